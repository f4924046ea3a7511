"""Figures of unsupervised landmarks (numpy / OpenCV).

- :func:`draw_landmark_grid`: the FSE paper's figure, the same K landmarks
  in consistent colours (landmark ``k`` always has colour ``k``) across a
  grid of images;
- :func:`draw_warp_pair`: an image and its warped copy side by side, with
  the landmarks detected on each;
- :func:`fse_pair_figure`: runs an ``UnsupervisedLandmarkEstimator`` on a
  batch and its random TPS-warped copy and draws the pairs.

Images are (H, W, 3) uint8 in the channel order of the caller (BGR for
``cv2.imwrite``); colours are given in the same order. Landmarks are
(K, 2) pixels, x right, y down, pixel centres at integers (OpenCV's
convention, so no offset is applied; sub-pixel positions are drawn with 4
fractional bits).
"""
from typing import List, Optional, Sequence

import cv2
import numpy as np

from kp_ext.utils import to_numpy
from .utils import distinct_colors

__all__ = [
    'draw_landmarks', 'draw_landmark_grid',
    'draw_warp_pair', 'tensor_to_images', 'fse_pair_figure'
]

_SHIFT = 4


def _as_image(img) -> np.ndarray:
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f'image must be (H, W), (H, W, 3) or (H, W, 4), '
                         f'got {img.shape}')
    if img.shape[2] == 4:
        img = img[..., :3]
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img)


def draw_landmarks(img, landmarks, colors: Optional[np.ndarray] = None,
                   radius: float = 2.5, outline: bool = True,
                   scale: float = 1.0, labels: bool = False) -> np.ndarray:
    """Draw landmarks (K, 2) as filled discs on a copy of ``img``.

    Args:
        colors: (K, 3) uint8; default ``distinct_colors(K)``
            (:func:`kp_ext.visualization.utils.distinct_colors`).
        radius: disc radius in output pixels.
        outline: black ring around each disc (visible on any background).
        scale: resize the image by this factor first (landmarks follow:
            ``p' = (p + 0.5) * scale - 0.5``).
        labels: write the landmark index beside each disc.
    Landmarks that are not finite are skipped.
    """
    out = _as_image(img)
    pts = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
    if scale != 1.0:
        h, w = out.shape[:2]
        out = cv2.resize(out, (int(round(w * scale)), int(round(h * scale))),
                         interpolation=cv2.INTER_LINEAR)
        pts = (pts + 0.5) * scale - 0.5
    else:
        out = out.copy()
    k = len(pts)
    if colors is None:
        colors = distinct_colors(k)
    colors = np.asarray(colors).reshape(-1, 3)
    if len(colors) < k:
        raise ValueError(f'{len(colors)} colours for {k} landmarks')
    mult = 1 << _SHIFT
    r = max(1, int(round(radius * mult)))
    for i, p in enumerate(pts):
        if not np.all(np.isfinite(p)):
            continue
        c = (int(round(p[0] * mult)), int(round(p[1] * mult)))
        color = tuple(int(v) for v in colors[i])
        if outline:
            cv2.circle(out, c, r + mult, (0, 0, 0), -1, cv2.LINE_AA, _SHIFT)
        cv2.circle(out, c, r, color, -1, cv2.LINE_AA, _SHIFT)
        if labels:
            cv2.putText(out, str(i), (int(p[0] + radius + 1),
                                      int(p[1] - radius - 1)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.3, color, 1,
                        cv2.LINE_AA)
    return out


def _tile(tiles: List[np.ndarray], ncols: int, pad: int,
          pad_value: int) -> np.ndarray:
    h = max(t.shape[0] for t in tiles)
    w = max(t.shape[1] for t in tiles)
    nrows = -(-len(tiles) // ncols)
    grid = np.full((nrows * h + (nrows + 1) * pad,
                    ncols * w + (ncols + 1) * pad, 3), pad_value, np.uint8)
    for idx, t in enumerate(tiles):
        r, c = divmod(idx, ncols)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        grid[y:y + t.shape[0], x:x + t.shape[1]] = t
    return grid


def draw_landmark_grid(images: Sequence, landmarks, ncols: Optional[int]
                       = None, colors: Optional[np.ndarray] = None,
                       radius: float = 2.5, scale: float = 2.0,
                       pad: int = 2, pad_value: int = 255) -> np.ndarray:
    """A grid of images with the same K landmarks in the same colours.

    Args:
        images: N images (H, W[, C]).
        landmarks: (N, K, 2) landmarks (pixels of each image).
        ncols: columns (default ``ceil(sqrt(N))``).
        colors: (K, 3) colours, shared by all images.
        radius, scale: see :func:`draw_landmarks`.
        pad, pad_value: spacing between tiles and its grey level.
    """
    lms = np.asarray(landmarks, dtype=np.float64)
    if lms.ndim != 3 or lms.shape[-1] != 2:
        raise ValueError(f'landmarks must be (N, K, 2), got {lms.shape}')
    if len(images) != len(lms):
        raise ValueError(f'{len(images)} images but {len(lms)} landmark '
                         'sets')
    if len(images) == 0:
        raise ValueError('no images to draw')
    if colors is None:
        colors = distinct_colors(lms.shape[1])
    ncols = ncols or int(np.ceil(np.sqrt(len(images))))
    tiles = [draw_landmarks(img, lm, colors, radius, scale=scale)
             for img, lm in zip(images, lms)]
    return _tile(tiles, ncols, pad, pad_value)


def draw_warp_pair(image, landmarks, warped_image, warped_landmarks,
                   colors: Optional[np.ndarray] = None, radius: float = 2.5,
                   scale: float = 2.0, pad: int = 4,
                   pad_value: int = 255) -> np.ndarray:
    """``image`` and ``warped_image`` side by side, each with its own
    detected landmarks (K, 2) in the same colours."""
    lm = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
    wlm = np.asarray(warped_landmarks, dtype=np.float64).reshape(-1, 2)
    if lm.shape != wlm.shape:
        raise ValueError(f'landmark sets differ: {lm.shape} vs {wlm.shape}')
    if colors is None:
        colors = distinct_colors(len(lm))
    left = draw_landmarks(image, lm, colors, radius, scale=scale)
    right = draw_landmarks(warped_image, wlm, colors, radius, scale=scale)
    return _tile([left, right], 2, pad, pad_value)


def tensor_to_images(inputs, mean: Optional[Sequence[float]] = None,
                     std: Optional[Sequence[float]] = None,
                     flip_channels: bool = False) -> List[np.ndarray]:
    """Normalised tensors (B, C, H, W) -> list of (H, W, C) uint8 images
    (``x * std + mean``; ``flip_channels`` reverses RGB <-> BGR)."""
    arr = to_numpy(inputs, np.float32)
    if arr.ndim != 4:
        raise ValueError(f'expected (B, C, H, W), got {arr.shape}')
    c = arr.shape[1]
    if std is not None:
        arr = arr * np.asarray(std, np.float32).reshape(1, c, 1, 1)
    if mean is not None:
        arr = arr + np.asarray(mean, np.float32).reshape(1, c, 1, 1)
    imgs = np.clip(np.round(arr), 0, 255).astype(np.uint8).transpose(
        0, 2, 3, 1)
    if flip_channels:
        imgs = imgs[..., ::-1]
    return [np.ascontiguousarray(i) for i in imgs]


def fse_pair_figure(model, inputs, num: int = 4, generator=None,
                    mean: Optional[Sequence[float]] = None,
                    std: Optional[Sequence[float]] = None,
                    flip_channels: bool = False,
                    scale: float = 2.0) -> np.ndarray:
    """Rows of (image, TPS-warped image) pairs with the landmarks an
    ``UnsupervisedLandmarkEstimator`` detects on each.

    ``inputs`` (B, C, H, W) are network inputs (after the data
    preprocessor); ``mean``/``std`` undo the normalisation for display
    (default: the model's data preprocessor's). The pair is
    ``(x1, x2) = model.make_pair(inputs)``.
    """
    import torch
    pre = getattr(model, 'data_preprocessor', None)
    if mean is None and getattr(pre, '_enable_normalize', False):
        mean = pre.mean.flatten().tolist()
        std = pre.std.flatten().tolist()
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            x = inputs[:num]
            x1, x2, _ = model.make_pair(x, generator)
            lm1, _ = model.extract_landmarks(x1)
            lm2, _ = model.extract_landmarks(x2)
    finally:
        model.train(was_training)
    im1 = tensor_to_images(x1, mean, std, flip_channels)
    im2 = tensor_to_images(x2, mean, std, flip_channels)
    colors = distinct_colors(lm1.shape[1])
    rows = [draw_warp_pair(a, to_numpy(la), b, to_numpy(lb), colors,
                           scale=scale)
            for a, la, b, lb in zip(im1, lm1, im2, lm2)]
    return _tile(rows, 1, 0, 255)
