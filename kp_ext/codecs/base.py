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

__all__ = ['BaseKeypointCodec', 'check_maps']


def check_maps(maps: np.ndarray, heatmap_size, codec: str,
               finite: bool = False) -> None:
    """Raise ``ValueError`` unless maps (..., H, W) have the codec's
    ``heatmap_size`` (w, h) (a decoder maps pixels to the input with its
    stride, so other maps would decode to silently rescaled coordinates)
    and, with ``finite``, hold no NaN/inf (which would decode to NaN)."""
    h, w = maps.shape[-2:]
    if (w, h) != tuple(heatmap_size):
        raise ValueError(f'{codec}.decode: maps are {w}x{h} (w x h) but the '
                         f'codec was built for heatmap_size='
                         f'{tuple(heatmap_size)}')
    if finite and not np.all(np.isfinite(maps)):
        bad = ~np.isfinite(maps).reshape(*maps.shape[:-2], -1).all(-1)
        first = np.argwhere(bad).tolist()[:8]
        raise ValueError(f'{codec}.decode: {int(bad.sum())} map(s) hold '
                         'NaN/inf values (first, as (sample, keypoint) '
                         f'indices: {first}); the network output is not '
                         'finite')


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
