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

    def decode(self, batch_outputs: Union[Tensor, Tuple[Tensor, ...]],
               input_sizes: Optional[Sequence[Tuple[int, int]]] = None
               ) -> List[InstanceData]:
        """Decode a batch of outputs with ``self.decoder``.

        ``batch_outputs`` is a tensor (B, ...) or a tuple of such tensors
        (passed to the codec as separate arguments). Uses the codec's
        ``batch_decode`` when it overrides the per-sample loop.
        ``input_sizes`` (per-sample (w, h) of the network input) is passed
        on to codecs that decode into a given input frame (MMPose's
        ``AssociativeEmbedding.batch_decode(..., input_sizes)``; per sample:
        ``decode(..., input_size=)``).

        A codec returns ``(keypoints, keypoint_scores)`` or, bottom-up,
        ``(keypoints, keypoint_scores, instance_scores)``; the instance
        scores become ``bbox_scores`` (MMPose's name) and ``scores``.
        """
        if self.decoder is None:
            raise RuntimeError(
                f'{type(self).__name__} has no decoder: set `decoder` (a '
                'KEYPOINT_CODECS config) to use predict()/decode()')
        if isinstance(batch_outputs, Tensor):
            batch_outputs = (batch_outputs, )
        arrays = [to_numpy(o) for o in batch_outputs]
        batch_size = len(arrays[0])
        if input_sizes is not None and len(input_sizes) != batch_size:
            raise ValueError(f'{len(input_sizes)} input_sizes for a batch '
                             f'of {batch_size}')

        support_batch = getattr(self.decoder, 'support_batch_decoding', False)
        if support_batch:
            kwargs = {} if input_sizes is None else dict(
                input_sizes=input_sizes)
            result = self.decoder.batch_decode(*arrays, **kwargs)
            results = self._unpack_batch_result(result, batch_size)
        else:
            results = []
            for i in range(batch_size):
                kwargs = {} if input_sizes is None else dict(
                    input_size=input_sizes[i])
                results.append(
                    self.decoder.decode(*[a[i] for a in arrays], **kwargs))
        preds = []
        for result in results:
            keypoints, scores = result[:2]
            pred = InstanceData(
                keypoints=np.asarray(keypoints, dtype=np.float32),
                keypoint_scores=np.asarray(scores, dtype=np.float32))
            if len(result) == 3:
                instance_scores = np.asarray(result[2], dtype=np.float32)
                pred.bbox_scores = instance_scores
                pred.scores = instance_scores
            preds.append(pred)
        return preds

    def _unpack_batch_result(self, result, batch_size: int):
        """Per-sample results from a codec's ``batch_decode`` output:
        per-field batches ``(batch_keypoints, batch_scores[,
        batch_instance_scores])``, each indexed by sample (MMPose's
        contract; arrays with a batch axis or per-sample lists)."""
        codec = type(self.decoder).__name__
        if not (isinstance(result, tuple) and len(result) in (2, 3)):
            raise RuntimeError(
                f'{codec}.batch_decode must return (batch_keypoints, '
                'batch_scores[, batch_instance_scores]), got '
                f'{type(result).__name__}')
        lengths = [len(r) for r in result]
        if any(n != batch_size for n in lengths):
            raise RuntimeError(
                f'{codec}.batch_decode returned {lengths} entries per field '
                f'for a batch of {batch_size}')
        return list(zip(*result))
