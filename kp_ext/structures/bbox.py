"""Bounding-box helpers and the top-down affine warp: the matrices between
original-image, network-input and heatmap pixels of a sample.

Boxes are ``xyxy`` (x1, y1, x2, y2) or ``xywh`` (x1, y1, w, h) in pixels;
``cs`` is (centre (2,), scale (2,)) where scale is the box (w, h) in pixels
(MMPose 1.x convention, no 200-px unit). All functions accept a single box
(shape (4,)) or a stack (N, 4).
"""
import math
from typing import Optional, Tuple

import cv2
import numpy as np


def bbox_xyxy2xywh(bbox_xyxy: np.ndarray) -> np.ndarray:
    bbox = np.array(bbox_xyxy, dtype=np.float32, copy=True)
    bbox[..., 2] = bbox[..., 2] - bbox[..., 0]
    bbox[..., 3] = bbox[..., 3] - bbox[..., 1]
    return bbox


def bbox_xywh2xyxy(bbox_xywh: np.ndarray) -> np.ndarray:
    bbox = np.array(bbox_xywh, dtype=np.float32, copy=True)
    bbox[..., 2] = bbox[..., 2] + bbox[..., 0]
    bbox[..., 3] = bbox[..., 3] + bbox[..., 1]
    return bbox


def bbox_xyxy2cs(bbox: np.ndarray, padding: float = 1.0):
    """(x1, y1, x2, y2) -> (centre, scale), scale = padding * (w, h)."""
    bbox = np.asarray(bbox, dtype=np.float32)
    center = (bbox[..., :2] + bbox[..., 2:]) * 0.5
    scale = (bbox[..., 2:] - bbox[..., :2]) * padding
    return center, scale


def bbox_cs2xyxy(center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    center = np.asarray(center, dtype=np.float32)
    scale = np.asarray(scale, dtype=np.float32)
    return np.concatenate([center - scale * 0.5, center + scale * 0.5],
                          axis=-1)


def bboxes_from_keypoints(keypoints: np.ndarray,
                          keypoint_scores: Optional[np.ndarray] = None
                          ) -> np.ndarray:
    """xyxy boxes (N, 4) float32 spanning each person's keypoints (the box
    of a bottom-up prediction).

    Only keypoints with a score > 0 (found parts) count when
    ``keypoint_scores`` (N, K) is given; a person with no such keypoint
    gets the extent of all its keypoints. Non-finite coordinates are
    ignored (a person without any finite keypoint gets a zero box).
    """
    keypoints = np.asarray(keypoints, np.float64)
    if keypoints.ndim != 3 or keypoints.shape[-1] < 2:
        raise ValueError(f'keypoints must be (N, K, 2), got shape '
                         f'{keypoints.shape}')
    n, k = keypoints.shape[:2]
    xy = keypoints[..., :2]
    finite = np.isfinite(xy).all(-1)
    use = finite
    if keypoint_scores is not None:
        keypoint_scores = np.asarray(keypoint_scores).reshape(n, k)
        found = finite & (keypoint_scores > 0)
        use = np.where(found.any(1, keepdims=True), found, finite)
    boxes = np.zeros((n, 4), np.float32)
    for i in range(n):
        pts = xy[i][use[i]]
        if len(pts):
            boxes[i] = (*pts.min(0), *pts.max(0))
    return boxes


def fix_aspect_ratio(bbox_scale: np.ndarray, aspect_ratio: float):
    """Grow the shorter side of ``bbox_scale`` (…, 2) to ``w / h = ratio``."""
    bbox_scale = np.asarray(bbox_scale, dtype=np.float32)
    w, h = np.hsplit(bbox_scale.reshape(-1, 2), [1])
    out = np.where(w > h * aspect_ratio,
                   np.hstack([w, w / aspect_ratio]),
                   np.hstack([h * aspect_ratio, h]))
    return out.reshape(bbox_scale.shape).astype(np.float32)


def _rotate_point(pt: np.ndarray, angle_rad: float) -> np.ndarray:
    sn, cs = math.sin(angle_rad), math.cos(angle_rad)
    return np.array([pt[0] * cs - pt[1] * sn, pt[0] * sn + pt[1] * cs],
                    dtype=np.float32)


def _third_point(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = a - b
    return b + np.array([-d[1], d[0]], dtype=np.float32)


def get_warp_matrix(center, scale, rot: float, output_size,
                    shift=(0., 0.), inv: bool = False) -> np.ndarray:
    """2x3 affine matrix mapping the box (``center``, ``scale``, rotated by
    ``rot`` degrees, shifted by ``shift`` * scale) onto an image of
    ``output_size`` (w, h); ``inv=True`` gives the reverse mapping.

    The box centre maps to the output centre (w/2, h/2) and the box width to
    the output width, as in MMPose's ``get_warp_matrix``.
    """
    center = np.asarray(center, dtype=np.float32)
    scale = np.asarray(scale, dtype=np.float32)
    shift = np.asarray(shift, dtype=np.float32)
    src_w = scale[0]
    dst_w, dst_h = output_size
    rot_rad = np.deg2rad(rot)
    src_dir = _rotate_point(np.array([0., src_w * -0.5]), rot_rad)
    dst_dir = np.array([0., dst_w * -0.5], dtype=np.float32)

    src = np.zeros((3, 2), dtype=np.float32)
    src[0] = center + scale * shift
    src[1] = src[0] + src_dir
    src[2] = _third_point(src[0], src[1])
    dst = np.zeros((3, 2), dtype=np.float32)
    dst[0] = [dst_w * 0.5, dst_h * 0.5]
    dst[1] = dst[0] + dst_dir
    dst[2] = _third_point(dst[0], dst[1])
    if inv:
        return cv2.getAffineTransform(dst, src)
    return cv2.getAffineTransform(src, dst)


def apply_affine(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine ``matrix`` to points (..., 2)."""
    points = np.asarray(points, dtype=np.float32)
    return points @ matrix[:, :2].T + matrix[:, 2]


def _first_row(x, n: int = 2) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).reshape(-1, n)[0]


def image_to_input_matrix(metainfo: dict,
                          input_hw: Optional[Tuple[int, int]] = None
                          ) -> np.ndarray:
    """2x3 affine from original-image pixels to network-input pixels of a
    sample (its metainfo).

    The input (crop) of a top-down sample is the warp
    ``get_warp_matrix(input_center, input_scale, 0, input_size)`` of the
    image.

    Uses ``input_center``/``input_scale``/``input_size`` (top-down crop)
    when present; else scales ``ori_shape`` to ``input_hw`` (a resized
    whole image); else the identity.
    """
    if all(k in metainfo for k in ('input_center', 'input_scale',
                                   'input_size')):
        size = _first_row(metainfo['input_size'])
        return get_warp_matrix(
            _first_row(metainfo['input_center']),
            _first_row(metainfo['input_scale']), 0.,
            (int(round(size[0])), int(round(size[1]))))
    if 'ori_shape' in metainfo and input_hw is not None:
        oh, ow = [float(v) for v in metainfo['ori_shape'][:2]]
        ih, iw = input_hw
        return np.array([[iw / ow, 0, 0], [0, ih / oh, 0]], np.float32)
    return np.array([[1, 0, 0], [0, 1, 0]], np.float32)


def bbox_affine(boxes, matrix: np.ndarray) -> np.ndarray:
    """Axis-aligned hull (M, 4) of xyxy boxes under a 2x3 affine map."""
    b = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [0, 3]],
                        b[:, [2, 3]]], axis=1)
    c = apply_affine(corners, matrix)
    return np.concatenate([c.min(axis=1), c.max(axis=1)], axis=1)


def heatmap_to_image_matrix(metainfo: dict, heatmap_hw: Tuple[int, int]
                            ) -> Optional[np.ndarray]:
    """2x3 affine from heatmap pixels of a top-down crop to original-image
    pixels, from the sample's ``input_center``/``input_scale``/
    ``input_size``; None without those keys.

    Heatmaps cover the input with stride ``input_size / heatmap_size``
    (heatmap pixel ``j`` <-> input coordinate ``j * stride``, as the
    Gaussian-heatmap codec encodes ``keypoints / stride``).
    """
    if not all(k in metainfo for k in ('input_center', 'input_scale',
                                       'input_size')):
        return None
    h, w = heatmap_hw
    size = _first_row(metainfo['input_size'])
    stride = np.array([size[0] / w, size[1] / h])
    inv = get_warp_matrix(
        _first_row(metainfo['input_center']),
        _first_row(metainfo['input_scale']), 0.,
        (int(round(size[0])), int(round(size[1]))), inv=True)
    # heatmap pixel -> input pixel (x * stride) -> image pixel
    full = inv.astype(np.float64).copy()
    full[:, 0] *= stride[0]
    full[:, 1] *= stride[1]
    return full
