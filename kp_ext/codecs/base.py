"""Base class of keypoint codecs (MMPose 1.x interface, numpy only).

A codec turns keypoints into training targets (``encode``) and network
outputs back into keypoints (``decode``). ``GenerateTarget`` routes the
encoded dict into the data sample with three tables:

- ``field_mapping_table``: dense maps -> ``data_sample.gt_fields``
- ``instance_mapping_table``: per-instance values -> ``gt_instances``
- ``label_mapping_table``: targets/weights -> ``gt_instance_labels``

``auxiliary_encode_keys`` names extra entries of the pipeline's results
dict that ``encode`` needs (e.g. ``bbox_masks``), passed as keyword args.
"""
from abc import ABCMeta, abstractmethod
from typing import Optional, Tuple

import numpy as np

__all__ = ['BaseKeypointCodec']


class BaseKeypointCodec(metaclass=ABCMeta):
    """Encode keypoints into targets and decode outputs into keypoints."""

    auxiliary_encode_keys = set()
    field_mapping_table = dict()
    instance_mapping_table = dict()
    label_mapping_table = dict()

    @abstractmethod
    def encode(self, keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Encode keypoints (N, K, D) with visibility (N, K) into targets."""

    @abstractmethod
    def decode(self, encoded) -> Tuple[np.ndarray, np.ndarray]:
        """Decode one sample's outputs into keypoints (N, K, D), scores
        (N, K)."""

    def batch_decode(self, batch_encoded):
        """Decode a batch; the default loops over samples."""
        return [self.decode(e) for e in batch_encoded]

    @property
    def support_batch_decoding(self) -> bool:
        return type(self).batch_decode is not BaseKeypointCodec.batch_decode
