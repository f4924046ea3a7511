"""Model-side helpers: test-time flip of heatmaps and heatmap accuracy.

- :func:`flip_heatmaps`: bring heatmaps predicted on a horizontally flipped
  image back to the original frame (mirror + left/right channel swap, plus
  MMPose's optional 1-px shift).
- :func:`get_heatmap_maximum`: per-channel argmax locations and values.
- :func:`pose_pck_accuracy`: PCK between the argmax of predicted and target
  heatmaps (MMPose's ``acc_pose`` training log), thresholded at a fraction
  of the heatmap size.
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from kp_ext.structures import keypoint_pck_accuracy
from kp_ext.utils import to_numpy

__all__ = [
    'flip_heatmaps', 'get_heatmap_maximum', 'pose_pck_accuracy'
]


def flip_heatmaps(heatmaps: Tensor,
                  flip_indices: Sequence[int],
                  shift_heatmap: bool = False) -> Tensor:
    """Undo a horizontal image flip on heatmaps (B, K, H, W).

    The maps are mirrored along the width and channel ``k`` takes the map of
    ``flip_indices[k]`` (left/right swap; ``flip_indices`` is its own
    inverse). With ``shift_heatmap`` the result is moved right by one pixel
    (column ``x`` takes column ``x - 1``), as MMPose does to compensate the
    sub-pixel misalignment of flipping at a coarser stride.
    """
    if heatmaps.ndim != 4:
        raise ValueError(f'heatmaps must be (B, K, H, W), got shape '
                         f'{tuple(heatmaps.shape)}')
    flip_indices = list(flip_indices)
    if len(flip_indices) != heatmaps.shape[1]:
        raise ValueError(f'{heatmaps.shape[1]} heatmap channels but '
                         f'{len(flip_indices)} flip indices')
    out = heatmaps.flip(-1)[:, flip_indices]
    if shift_heatmap:
        out = torch.cat([out[..., :1], out[..., :-1]], dim=-1)
    return out


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
