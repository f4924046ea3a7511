"""Detect collapsed unsupervised landmarks during training.

FSE's equivariance loss alone is minimised by putting every landmark on the
same (equivariant) spot; the diversity loss counters this, but a too weak
diversity weight or too small softmax temperature can still let several
maps merge. :class:`LandmarkCollapseHook` measures, every ``interval``
training iterations, the spread of the K landmarks that the estimator
detected on the training batch (``model.last_train_landmarks`` (B, K, 2),
input pixels, kept by ``UnsupervisedLandmarkEstimator.loss``):

- ``spread``: the mean pairwise distance between the K landmarks of an
  image, averaged over the batch (input pixels);
- ``distinct``: the number of distinct landmarks once those closer than
  ``radius`` px are merged (connected components of the "closer than
  ``radius``" graph, single linkage), averaged over the batch;
- ``close``: how many of the K landmarks have another landmark within
  ``radius`` px, averaged over the batch.

Both go to the message hub (``train/landmark_spread``,
``train/landmark_distinct``, logged with the losses). When ``close >=
max_close_fraction * K`` or ``spread < min_spread`` the hook logs a WARNING
such as ``landmarks collapsed: 28 of 30 maps within 2.0 px (...)``.
"""
import logging
from typing import Optional

import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from kp_ext.registry import HOOKS
from kp_ext.utils import to_numpy

__all__ = ['LandmarkCollapseHook', 'landmark_spread_stats']


def _components(adjacent: np.ndarray) -> int:
    """Number of connected components of a boolean adjacency matrix."""
    k = adjacent.shape[0]
    label = -np.ones(k, dtype=np.int64)
    count = 0
    for start in range(k):
        if label[start] >= 0:
            continue
        stack = [start]
        label[start] = count
        while stack:
            i = stack.pop()
            for j in np.flatnonzero(adjacent[i] & (label < 0)):
                label[j] = count
                stack.append(j)
        count += 1
    return count


def landmark_spread_stats(landmarks, radius: float = 2.0) -> dict:
    """Spread statistics of landmarks (B, K, 2) (or (K, 2)).

    Returns dict(spread, distinct, close, num_keypoints) with batch means
    of the mean pairwise distance, the number of distinct landmarks after
    merging those closer than ``radius`` and the number of landmarks with
    a neighbour within ``radius`` (see module doc).
    """
    lm = to_numpy(landmarks, np.float64)
    if lm.ndim == 2:
        lm = lm[None]
    if lm.ndim != 3 or lm.shape[-1] != 2:
        raise ValueError(f'landmarks must be (B, K, 2), got {lm.shape}')
    b, k, _ = lm.shape
    if k < 2:
        return dict(spread=0.0, distinct=float(k), close=0.0,
                    num_keypoints=k)
    dist = np.linalg.norm(lm[:, :, None] - lm[:, None], axis=-1)
    iu = np.triu_indices(k, 1)
    spread = dist[:, iu[0], iu[1]].mean(-1)
    adjacent = dist < radius
    eye = np.eye(k, dtype=bool)
    adjacent &= ~eye
    close = adjacent.any(-1).sum(-1)
    distinct = np.array([_components(a) for a in adjacent])
    return dict(spread=float(spread.mean()), distinct=float(distinct.mean()),
                close=float(close.mean()), num_keypoints=k)


@HOOKS.register_module()
class LandmarkCollapseHook(Hook):
    """Warn when the learnt landmarks collapse (see module doc).

    Args:
        interval (int): check every ``interval`` training iterations.
        radius (float): landmarks closer than this (input px) are merged.
        max_close_fraction (float): warn when at least this fraction of the
            K landmarks has a neighbour within ``radius``.
        min_spread (float, optional): also warn when the mean pairwise
            distance is below this (input px).
    """

    priority = 'LOW'

    def __init__(self, interval: int = 50, radius: float = 2.0,
                 max_close_fraction: float = 0.5,
                 min_spread: Optional[float] = None):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        if radius <= 0:
            raise ValueError(f'radius must be > 0, got {radius}')
        if not 0 < max_close_fraction <= 1:
            raise ValueError('max_close_fraction must be in (0, 1], got '
                             f'{max_close_fraction}')
        self.interval = int(interval)
        self.radius = float(radius)
        self.max_close_fraction = float(max_close_fraction)
        self.min_spread = None if min_spread is None else float(min_spread)
        self.last_stats: Optional[dict] = None
        self.num_warnings = 0

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if not self.every_n_train_iters(runner, self.interval):
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        landmarks = getattr(model, 'last_train_landmarks', None)
        if landmarks is None:
            return
        stats = self.check(landmarks, runner.logger)
        hub = runner.message_hub
        hub.update_scalar('train/landmark_spread', stats['spread'])
        hub.update_scalar('train/landmark_distinct', stats['distinct'])

    def check(self, landmarks, logger=None) -> dict:
        """Measure landmarks (B, K, 2); log a warning if collapsed."""
        stats = landmark_spread_stats(landmarks, self.radius)
        k = stats['num_keypoints']
        collapsed = stats['close'] >= self.max_close_fraction * k
        if self.min_spread is not None and stats['spread'] < self.min_spread:
            collapsed = True
        stats['collapsed'] = bool(collapsed)
        self.last_stats = stats
        if collapsed:
            self.num_warnings += 1
            msg = (f'landmarks collapsed: {int(round(stats["close"]))} of {k} '
                   f'maps within {self.radius:g} px (distinct landmarks '
                   f'{stats["distinct"]:.1f} of {k}, mean pairwise distance '
                   f'{stats["spread"]:.2f} px); raise the diversity loss '
                   'weight or the softmax beta')
            print_log(msg, logger=logger if logger is not None else 'current',
                      level=logging.WARNING)
        return stats
