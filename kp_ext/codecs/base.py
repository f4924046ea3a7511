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

__all__ = [
    'BaseKeypointCodec', 'as_numpy', 'check_maps', 'check_finite_maps',
    'check_finite_map_groups', 'NonFiniteMapError'
]


def as_numpy(batch) -> np.ndarray:
    """A batch as a numpy array: MMPose's heads hand ``batch_decode`` the
    network's tensors, kp_ext's heads numpy arrays (duck-typed, so codecs
    never import torch)."""
    if hasattr(batch, 'detach'):
        batch = batch.detach().cpu().numpy()
    return np.asarray(batch)


class NonFiniteMapError(ValueError):
    """Maps given to a decoder (heatmaps, PAFs, score maps) hold NaN/inf.

    A diverged checkpoint or an overflowing fp16 run produces such maps;
    decoded, they give keypoints at made-up places (an all-NaN heatmap
    decodes to its pixel (0, 0)), infinite scores or no people at all, so
    every kp_ext decoder raises this instead. The message names the
    decoder, the kind of map and the channels; the estimators and
    ``PoseInferencer`` re-raise it (:meth:`located`) naming the image and
    the checkpoint too.

    Attributes:
        codec (str): who found it, e.g. ``'GaussianHeatmap.decode'``.
        kind (str): ``'heatmap'``, ``'PAF'`` or ``'score map'``.
        locations (list[tuple[int, int]]): ``(sample, channel)`` of every
            non-finite map (sample 0 for a single-sample decode).
        by_kind (dict): ``kind -> locations`` when a decoder checks
            several outputs (a PAF decode: ``'heatmap'``, ``'PAF'``).
        detail (str): the decoder's message (without the image / checkpoint
            context :meth:`located` adds).
        where, checkpoint (str or None): the image(s) and checkpoint
            :meth:`located` named (None before).
    """

    def __init__(self, message: str, codec: str = '', kind: str = '',
                 locations=(), detail: Optional[str] = None,
                 by_kind: Optional[dict] = None,
                 where: Optional[str] = None,
                 checkpoint: Optional[str] = None) -> None:
        super().__init__(message)
        self.where = where
        self.checkpoint = checkpoint
        self.codec = codec
        self.kind = kind
        self.locations = [tuple(int(v) for v in loc) for loc in locations]
        self.detail = message if detail is None else detail
        self.by_kind = dict(by_kind) if by_kind else (
            {kind: list(self.locations)} if kind else {})

    def __reduce__(self):  # picklable (dataloader workers, ranks)
        return (type(self), (self.args[0], self.codec, self.kind,
                             self.locations, self.detail, self.by_kind,
                             self.where, self.checkpoint))

    @property
    def samples(self) -> List[int]:
        """Batch indices of the samples with non-finite maps, sorted."""
        return sorted({s for s, _ in self.locations})

    def located(self, where: str, checkpoint: Optional[str] = None
                ) -> 'NonFiniteMapError':
        """The same error with the image(s) (``where``) and the checkpoint
        named: ``'non-finite network output on WHERE (checkpoint C): ' +
        detail``."""
        ckpt = (f'checkpoint {checkpoint!r}' if checkpoint else
                'weights not loaded from a checkpoint file (random, or '
                'the run in progress)')
        return type(self)(
            f'non-finite network output on {where} ({ckpt}): {self.detail}',
            self.codec, self.kind, self.locations, self.detail, self.by_kind,
            where, checkpoint)


def _describe_bad(maps: np.ndarray, locations: np.ndarray,
                  limit: int) -> str:
    """'[0, 3]: 4096 NaN of 4096 values, [0, 5]: 1 +inf of 4096 values'
    for the first ``limit`` (sample, channel) rows of ``locations`` of
    maps (B, C, H, W)."""
    parts = []
    for s, c in locations[:limit]:
        m = maps[s, c]
        counts = [(int(np.isnan(m).sum()), 'NaN'),
                  (int(np.isposinf(m).sum()), '+inf'),
                  (int(np.isneginf(m).sum()), '-inf')]
        what = ', '.join(f'{n} {name}' for n, name in counts if n)
        parts.append(f'[{s}, {c}]: {what} of {m.size} values')
    return ', '.join(parts)


def check_finite_maps(maps, codec: str, kind: str = 'heatmap',
                      first: int = 8) -> None:
    """Raise :class:`NonFiniteMapError` if maps (B, C, H, W) hold NaN/inf.

    One ``np.isfinite(maps).all()`` pass when they are finite; only on
    failure are the (sample, channel) pairs listed: their count, for each
    of the first ``first`` samples its channels, and the NaN / +inf / -inf
    counts of the first 3 maps. ``kind`` names the maps (``'heatmap'``,
    ``'PAF'``, ``'score map'``) and ``codec`` the decoder.
    """
    check_finite_map_groups(codec, [(maps, kind)], first)


def check_finite_map_groups(codec: str, groups, first: int = 8) -> None:
    """:func:`check_finite_maps` of several outputs of one network, e.g.
    ``[(heatmaps, 'heatmap'), (pafs, 'PAF')]``: one error naming the
    non-finite channels of each kind (``error.by_kind``)."""
    parts, by_kind = [], {}
    for maps, kind in groups:
        maps = np.asarray(maps)
        if maps.dtype.kind not in 'fc' or np.isfinite(maps).all():
            continue
        if maps.ndim != 4:
            raise ValueError(f'{codec}: expected {kind}s (B, C, H, W), got '
                             f'{maps.shape}')
        bad = ~np.isfinite(maps).reshape(*maps.shape[:2], -1).all(-1)
        loc = np.argwhere(bad)
        by_kind[kind] = loc.tolist()
        samples = np.flatnonzero(bad.any(1))
        per_sample = '; '.join(
            f'sample {s}: channel(s) {np.flatnonzero(bad[s]).tolist()}'
            for s in samples[:first])
        if len(samples) > first:
            per_sample += f'; ... ({len(samples)} samples)'
        counted = min(3, len(loc))
        parts.append(
            f'{len(loc)} of {bad.size} {kind} channel(s) hold NaN/inf '
            f'values ({per_sample}; [sample, channel] '
            f'{_describe_bad(maps, loc, counted)}'
            f'{", ..." if len(loc) > counted else ""})')
    if not parts:
        return
    kinds = list(by_kind)
    message = (f'{codec}: {" and ".join(parts)}; the network output is not '
               'finite (a diverged checkpoint or an fp16 overflow?)')
    raise NonFiniteMapError(
        message, codec=codec, kind=' and '.join(kinds),
        locations=[tuple(loc) for k in kinds for loc in by_kind[k]],
        by_kind=by_kind)


def check_maps(maps: np.ndarray, heatmap_size, codec: str,
               finite: bool = False, kind: str = 'heatmap') -> None:
    """Raise ``ValueError`` unless maps (B, C, H, W) have the codec's
    ``heatmap_size`` (w, h) (a decoder maps pixels to the input with its
    stride, so other maps would decode to silently rescaled coordinates)
    and, with ``finite``, :class:`NonFiniteMapError` if they hold NaN/inf
    (:func:`check_finite_maps`)."""
    h, w = maps.shape[-2:]
    if (w, h) != tuple(heatmap_size):
        raise ValueError(f'{codec}.decode: maps are {w}x{h} (w x h) but the '
                         f'codec was built for heatmap_size='
                         f'{tuple(heatmap_size)}')
    if finite:
        check_finite_maps(maps, f'{codec}.decode', kind)


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
