"""Training-time accuracy of predicted heatmaps.

- :func:`get_heatmap_maximum`: per-channel argmax locations and values.
- :func:`pose_pck_accuracy`: PCK between the argmax of predicted and target
  heatmaps (MMPose's ``acc_pose`` training log), thresholded at a fraction
  of the heatmap size.
"""
from typing import Optional, Tuple, Union

import numpy as np
from torch import Tensor

from kp_ext.structures import keypoint_pck_accuracy
from kp_ext.utils import to_numpy

__all__ = ['get_heatmap_maximum', 'pose_pck_accuracy']


def get_heatmap_maximum(heatmaps: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Argmax location (x, y) and value of each heatmap.

    Args:
        heatmaps: (K, H, W) or (B, K, H, W).

    Returns:
        locs (..., K, 2) float32 with -1 where the maximum is <= 0, and
        vals (..., K).
    """
    heatmaps = to_numpy(heatmaps)
    if heatmaps.ndim not in (3, 4):
        raise ValueError(f'heatmaps must be 3-D or 4-D, got shape '
                         f'{heatmaps.shape}')
    *lead, h, w = heatmaps.shape
    flat = heatmaps.reshape(*lead, h * w)
    idx = flat.argmax(axis=-1)
    vals = np.take_along_axis(flat, idx[..., None], axis=-1)[..., 0]
    locs = np.stack([idx % w, idx // w], axis=-1).astype(np.float32)
    locs[vals <= 0] = -1
    return locs, vals


def pose_pck_accuracy(output: Union[Tensor, np.ndarray],
                      target: Union[Tensor, np.ndarray],
                      mask: Union[Tensor, np.ndarray],
                      thr: float = 0.05,
                      normalize: Optional[np.ndarray] = None):
    """PCK between argmax locations of predicted and target heatmaps.

    Args:
        output, target: heatmaps (N, K, H, W).
        mask: (N, K) bool, keypoints to evaluate (e.g. ``weights > 0``).
        thr: threshold as a fraction of ``normalize``.
        normalize: (N, 2) normalisation per instance; default the heatmap
            size (W, H).

    Returns:
        (acc (K,), avg_acc, cnt) as in
        :func:`kp_ext.structures.keypoint_pck_accuracy`.
    """
    output = to_numpy(output)
    target = to_numpy(target)
    mask = to_numpy(mask).astype(bool)
    if output.shape != target.shape or output.ndim != 4:
        raise ValueError(f'output {output.shape} and target {target.shape} '
                         'must both be (N, K, H, W)')
    n, _, h, w = output.shape
    if n == 0:
        return np.zeros(0), 0., 0
    if normalize is None:
        normalize = np.tile(np.array([[w, h]], dtype=np.float64), (n, 1))
    pred, _ = get_heatmap_maximum(output)
    gt, _ = get_heatmap_maximum(target)
    return keypoint_pck_accuracy(pred, gt, mask, thr, normalize)
