"""Helpers for drawing: colours, heatmap overlays and drawing a sample's
instances / heatmaps in the original image or the network input (crop).
The warp geometry itself (which matrix maps image, input and heatmap
pixels) is in :mod:`kp_ext.structures.bbox`.
"""
import colorsys
import copy
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from kp_ext.structures import (apply_affine, bbox_affine,
                               heatmap_to_image_matrix,
                               image_to_input_matrix)
from kp_ext.utils import to_numpy

__all__ = [
    'color_list', 'distinct_colors', 'heatmap_overlay',
    'sample_to_input_space', 'warp_heatmaps_to_image', 'tensor_to_image'
]

ColorType = Union[str, Sequence[int], np.ndarray]


def color_list(color: Optional[ColorType], n: int,
               what: str = 'color') -> list:
    """``n`` colours from one colour (name or RGB tuple) or a per-item
    sequence / (n, 3) array; RGB tuples of ints, names kept as strings."""
    if color is None:
        return [None] * n
    if isinstance(color, str):
        return [color] * n
    arr = np.asarray(color)
    if arr.ndim == 1 and arr.shape[0] in (3, 4) and not isinstance(
            color[0], (str, tuple, list, np.ndarray)):
        return [tuple(int(c) for c in arr[:3])] * n
    if len(color) != n:
        raise ValueError(f'{len(color)} {what}s given for {n} items')
    out = []
    for c in color:
        out.append(c if isinstance(c, str) else tuple(
            int(v) for v in np.asarray(c).reshape(-1)[:3]))
    return out


def distinct_colors(n: int, saturation: float = 0.9,
                    value: float = 1.0) -> np.ndarray:
    """The toolbox's palette: ``n`` well separated colours (n, 3) uint8,
    hues in golden-ratio steps (neighbouring indices get far-apart hues),
    so colour ``i`` is the same for every ``n`` (FSE landmarks, people,
    limbs)."""
    if n < 0:
        raise ValueError(f'n must be >= 0, got {n}')
    hues = (np.arange(int(n)) * 0.618033988749895) % 1.0
    cols = [colorsys.hsv_to_rgb(h, saturation, value) for h in hues]
    return np.round(np.array(cols, dtype=np.float64).reshape(-1, 3) *
                    255).astype(np.uint8)


def heatmap_overlay(heatmaps, image: np.ndarray, alpha: float = 0.5,
                    colormap: int = cv2.COLORMAP_JET) -> np.ndarray:
    """Blend a colour-mapped heatmap onto an RGB image.

    Args:
        heatmaps: (K, H, W) or (H, W) array / tensor; the maximum over the
            K channels is shown.
        image: (h, w, 3) uint8 RGB image; the heatmap is resized to it.
        alpha: weight of the heatmap in the blend.

    Returns:
        np.ndarray: (h, w, 3) uint8 RGB.
    """
    hm = to_numpy(heatmaps).astype(np.float32)
    if hm.ndim == 3:
        hm = hm.max(axis=0)
    if hm.ndim != 2:
        raise ValueError(f'heatmaps must be (K, H, W) or (H, W), got '
                         f'{hm.shape}')
    h, w = image.shape[:2]
    hm = cv2.resize(hm, (w, h), interpolation=cv2.INTER_LINEAR)
    lo, hi = float(hm.min()), float(hm.max())
    norm = (hm - lo) / (hi - lo) if hi > lo else np.zeros_like(hm)
    colored = cv2.applyColorMap(
        np.clip(norm * 255, 0, 255).astype(np.uint8), colormap)
    colored = cv2.cvtColor(colored, cv2.COLOR_BGR2RGB)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    out = (1 - alpha) * image.astype(np.float32) + alpha * colored
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def sample_to_input_space(data_sample, input_hw: Tuple[int, int]):
    """A copy of ``data_sample`` whose gt/pred ``keypoints`` and ``bboxes``
    are mapped from the original image into the network input; heatmap
    fields stay as they are (they already cover the input)."""
    sample = copy.deepcopy(data_sample)
    matrix = image_to_input_matrix(sample.metainfo, input_hw)
    for field in ('gt_instances', 'pred_instances'):
        if field not in sample:
            continue
        inst = getattr(sample, field)
        if 'keypoints' in inst:
            kpts = to_numpy(inst.keypoints).astype(np.float32)
            inst.keypoints = apply_affine(kpts, matrix)
        if 'bboxes' in inst:
            inst.bboxes = bbox_affine(inst.bboxes, matrix)
    return sample


def warp_heatmaps_to_image(heatmaps, metainfo: dict,
                           image_hw: Tuple[int, int]) -> np.ndarray:
    """Warp (K, h, w) heatmaps of a top-down crop back onto the original
    image (H, W) using the sample's input_center/scale/size; without those
    keys the heatmaps are returned unchanged (they are then resized to the
    image when drawn)."""
    hm = to_numpy(heatmaps).astype(np.float32)
    squeeze = hm.ndim == 2
    if squeeze:
        hm = hm[None]
    full = heatmap_to_image_matrix(metainfo, hm.shape[1:])
    if full is None:
        return hm[0] if squeeze else hm
    H, W = image_hw
    out = np.stack([
        cv2.warpAffine(c, full, (int(W), int(H)), flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        for c in hm
    ])
    return out[0] if squeeze else out


def tensor_to_image(inputs, channel_order: str = 'bgr') -> np.ndarray:
    """A packed input (C, H, W) tensor / array -> (H, W, 3) uint8 RGB.

    ``channel_order`` is the order of the packed channels (kp_ext loads
    images BGR like mmcv). Float inputs are clipped to [0, 255].
    """
    arr = to_numpy(inputs)
    if arr.ndim == 3 and arr.shape[0] in (1, 3):
        arr = arr.transpose(1, 2, 0)
    if arr.ndim == 2:
        arr = arr[..., None]
    arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    if channel_order == 'bgr':
        arr = arr[..., ::-1]
    return np.ascontiguousarray(arr)
