"""Base class of kp_ext heads (MMPose 1.x head interface).

A head turns backbone/neck features into predictions:

- ``forward(feats)``: raw outputs (e.g. heatmaps);
- ``loss(feats, batch_data_samples, train_cfg) -> dict`` of losses and
  logged metrics;
- ``predict(feats, batch_data_samples, test_cfg)`` -> list of
  ``InstanceData`` (``keypoints`` (N, K, 2) in the codec's input (crop)
  coordinates, ``keypoint_scores`` (N, K)), or a pair (instances, fields)
  when dense outputs are returned too.

The head owns the codec (``self.decoder``, built from ``KEYPOINT_CODECS``)
and :meth:`decode` runs it on a batch of outputs.
"""
from abc import ABCMeta, abstractmethod
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from kp_ext.registry import KEYPOINT_CODECS
from kp_ext.utils import to_numpy

__all__ = ['BaseHead']


class BaseHead(BaseModule, metaclass=ABCMeta):
    """Base head; subclasses implement ``forward``, ``loss``, ``predict``.

    Args:
        decoder (dict | BaseKeypointCodec, optional): codec (or its config)
            used by :meth:`decode`.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self, decoder: Optional[dict] = None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if isinstance(decoder, dict):
            decoder = KEYPOINT_CODECS.build(decoder)
        self.decoder = decoder

    @abstractmethod
    def forward(self, feats: Sequence[Tensor]):
        """Raw network outputs from features."""

    @abstractmethod
    def loss(self, feats, batch_data_samples, train_cfg: dict = {}) -> dict:
        """Losses (and logged accuracies) of a batch."""

    @abstractmethod
    def predict(self, feats, batch_data_samples, test_cfg: dict = {}):
        """Keypoint predictions (crop coordinates) of a batch."""

    def decode(self, batch_outputs: Union[Tensor, Tuple[Tensor, ...]]
               ) -> List[InstanceData]:
        """Decode a batch of outputs with ``self.decoder``.

        ``batch_outputs`` is a tensor (B, ...) or a tuple of such tensors
        (passed to the codec as separate arguments). Uses the codec's
        ``batch_decode`` when it overrides the per-sample loop.
        """
        if self.decoder is None:
            raise RuntimeError(
                f'{type(self).__name__} has no decoder: set `decoder` (a '
                'KEYPOINT_CODECS config) to use predict()/decode()')
        if isinstance(batch_outputs, Tensor):
            batch_outputs = (batch_outputs, )
        arrays = [to_numpy(o) for o in batch_outputs]
        batch_size = len(arrays[0])

        support_batch = getattr(self.decoder, 'support_batch_decoding', False)
        if support_batch:
            if len(arrays) == 1:
                result = self.decoder.batch_decode(arrays[0])
            else:
                result = self.decoder.batch_decode(*arrays)
            pairs = self._unpack_batch_result(result, batch_size)
        else:
            pairs = [
                self.decoder.decode(*[a[i] for a in arrays])
                for i in range(batch_size)
            ]
        preds = []
        for keypoints, scores in pairs:
            preds.append(
                InstanceData(
                    keypoints=np.asarray(keypoints, dtype=np.float32),
                    keypoint_scores=np.asarray(scores, dtype=np.float32)))
        return preds

    def _unpack_batch_result(self, result, batch_size: int):
        """Per-sample (keypoints, scores) pairs from a codec's
        ``batch_decode`` result ``(batch_keypoints, batch_scores)`` (MMPose's
        contract: two sequences indexed by sample)."""
        codec = type(self.decoder).__name__
        if not (isinstance(result, tuple) and len(result) == 2):
            raise RuntimeError(
                f'{codec}.batch_decode must return (batch_keypoints, '
                f'batch_scores), got {type(result).__name__}')
        keypoints, scores = result
        if len(keypoints) != batch_size or len(scores) != batch_size:
            raise RuntimeError(
                f'{codec}.batch_decode returned {len(keypoints)} keypoint '
                f'and {len(scores)} score entries for a batch of '
                f'{batch_size}')
        return list(zip(keypoints, scores))
