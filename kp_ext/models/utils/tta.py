"""Test-time augmentation: undo a horizontal flip on predicted heatmaps
(MMPose ``mmpose.models.utils.tta``)."""
from typing import Sequence

import torch
from torch import Tensor

__all__ = ['flip_heatmaps']


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
