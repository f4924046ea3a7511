"""Base class of keypoint codecs (MMPose 1.x interface, numpy only).

A codec turns keypoints into training targets (``encode``) and network
outputs back into keypoints (``decode``). ``GenerateTarget`` routes the
encoded dict into the data sample with three tables:

- ``field_mapping_table``: dense maps -> ``data_sample.gt_fields``
- ``instance_mapping_table``: per-instance values -> ``gt_instances``
- ``label_mapping_table``: targets/weights -> ``gt_instance_labels``

``auxiliary_encode_keys`` names extra entries of the pipeline's results
dict that ``encode`` needs (e.g. ``bbox_masks``), passed as keyword args.

The class attributes and method signatures are those of MMPose 1.3's
``mmpose.codecs.base.BaseKeypointCodec`` (checked against a pinned copy of
that contract by tests/codecs/test_codec_contract.py), so a kp_ext codec
drops into MMPose unchanged:

- ``decode(encoded)`` decodes ONE sample -> ``(keypoints (N, K, D),
  scores (N, K))``;
- ``batch_decode(batch_encoded)`` (optional) decodes a batch ->
  ``(batch_keypoints, batch_scores)``, each indexed by sample (MMPose's
  heads pass the network's tensors); the base raises
  ``NotImplementedError`` and ``support_batch_decoding`` is True only
  where a subclass overrides it.
"""
from abc import ABCMeta, abstractmethod
from typing import Any, List, Optional, Tuple

import numpy as np

__all__ = ['BaseKeypointCodec', 'as_numpy', 'check_maps']


def as_numpy(batch) -> np.ndarray:
    """A batch as a numpy array: MMPose's heads hand ``batch_decode`` the
    network's tensors, kp_ext's heads numpy arrays (duck-typed, so codecs
    never import torch)."""
    if hasattr(batch, 'detach'):
        batch = batch.detach().cpu().numpy()
    return np.asarray(batch)


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

    # extra results-dict entries ``encode`` takes as keyword arguments
    auxiliary_encode_keys = set()
    field_mapping_table = dict()
    instance_mapping_table = dict()
    label_mapping_table = dict()

    @abstractmethod
    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Encode keypoints (N, K, D) with visibility (N, K) into targets."""

    @abstractmethod
    def decode(self, encoded: Any) -> Tuple[np.ndarray, np.ndarray]:
        """Decode one sample's outputs into keypoints (N, K, D), scores
        (N, K)."""

    def batch_decode(self, batch_encoded: Any
                     ) -> Tuple[List[np.ndarray], List[np.ndarray]]:
        """Decode a batch into ``(batch_keypoints, batch_scores)`` indexed
        by sample; codecs that can vectorise override it (heads otherwise
        call :meth:`decode` per sample)."""
        raise NotImplementedError(
            f'{type(self).__name__} has no batch_decode; heads call decode '
            'per sample (support_batch_decoding is False)')

    @property
    def support_batch_decoding(self) -> bool:
        """Whether the subclass overrides :meth:`batch_decode`."""
        return type(self).batch_decode is not BaseKeypointCodec.batch_decode
