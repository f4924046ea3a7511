"""Pictures of OpenPose outputs: confidence maps, part affinity fields and
assembled multi-person skeletons (numpy + OpenCV only).

Every function takes and returns RGB ``uint8`` (H, W, 3) images (as
:class:`PoseLocalVisualizer`); colours are RGB tuples. Maps (confidence
maps (K, h, w), PAFs (2L, h, w) with channels ``(2l, 2l + 1)`` = (x, y) of
limb ``l``) cover the whole image: map pixel ``(u, v)`` sits at image pixel
``((u + 0.5) * sx - 0.5, (v + 0.5) * sy - 0.5)`` with ``sx = W / w``,
``sy = H / h`` (the codecs' convention, pixel centres at integers).

Direction colour code (PAFs): the angle of ``(vx, vy)`` in image
coordinates (x right, y down), ``atan2(vy, vx)``, is the HSV hue: pointing
right = red (0 deg), down = yellow-green (90 deg), left = cyan (180 deg),
up = violet (270 deg); the vector length (clipped to ``max_norm``) is the
value (brightness), at full saturation.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from kp_ext.utils import to_numpy
from .utils import distinct_colors

__all__ = [
    'direction_color', 'paf_to_rgb', 'draw_confidence_maps',
    'draw_paf_arrows', 'draw_paf', 'draw_skeletons',
    'paf_panel'
]

Color = Tuple[int, int, int]


def _rgb_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f'image must be (H, W[, 3]), got {image.shape}')
    if image.dtype != np.uint8:
        image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image[..., :3])


def direction_color(vx: float, vy: float, value: float = 1.0) -> Color:
    """RGB colour of a direction (see module doc), ``value`` in [0, 1]."""
    hue = (np.degrees(np.arctan2(vy, vx)) % 360.0) / 2.0  # OpenCV: 0..180
    hsv = np.array([[[hue, 255, np.clip(value, 0, 1) * 255]]], np.float32)
    rgb = cv2.cvtColor(hsv.round().astype(np.uint8), cv2.COLOR_HSV2RGB)
    return tuple(int(c) for c in rgb[0, 0])


def paf_to_rgb(field_xy, max_norm: float = 1.0) -> np.ndarray:
    """Dense colour coding of a vector field (2, h, w) -> (h, w, 3) RGB:
    hue = direction, value = length / ``max_norm`` (clipped)."""
    f = to_numpy(field_xy).astype(np.float32)
    if f.ndim != 3 or f.shape[0] != 2:
        raise ValueError(f'field must be (2, h, w), got {f.shape}')
    f = np.nan_to_num(f)
    vx, vy = f
    hue = (np.degrees(np.arctan2(vy, vx)) % 360.0) / 2.0
    val = np.clip(np.hypot(vx, vy) / max(max_norm, 1e-12), 0, 1) * 255
    hsv = np.stack([hue, np.full_like(hue, 255), val], -1)
    return cv2.cvtColor(np.round(hsv).astype(np.uint8), cv2.COLOR_HSV2RGB)


def _blend(image: np.ndarray, overlay: np.ndarray, alpha) -> np.ndarray:
    """``(1 - a) * image + a * overlay``; ``alpha`` scalar or (H, W)."""
    a = np.asarray(alpha, np.float32)
    if a.ndim == 2:
        a = a[..., None]
    out = (1 - a) * image.astype(np.float32) + a * overlay.astype(np.float32)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _resize_map(m: np.ndarray, hw: Tuple[int, int]) -> np.ndarray:
    """Resize a (h, w) map to the image (half-pixel centres, as the
    codecs' stride mapping)."""
    if m.shape == tuple(hw):
        return m
    return cv2.resize(m.astype(np.float32), (int(hw[1]), int(hw[0])),
                      interpolation=cv2.INTER_LINEAR)


def draw_confidence_maps(image: np.ndarray, heatmaps,
                         alpha: float = 0.5,
                         colormap: int = cv2.COLORMAP_JET,
                         channels: Optional[Sequence[int]] = None,
                         vmax: Optional[float] = 1.0) -> np.ndarray:
    """Max over channels of confidence maps, colour-mapped and blended.

    Args:
        image: RGB (H, W, 3) (or grey).
        heatmaps: (K, h, w) or (h, w) maps (array or tensor).
        alpha: weight of the colour map where the map is at its maximum;
            the weight falls off with the map value, so the image stays
            visible away from the peaks.
        colormap: OpenCV colour map.
        channels: draw only these channels (e.g. one keypoint type).
        vmax: value shown at full colour (None: the map's maximum).
    """
    image = _rgb_image(image)
    hm = np.nan_to_num(to_numpy(heatmaps).astype(np.float32))
    if hm.ndim == 2:
        hm = hm[None]
    if hm.ndim != 3:
        raise ValueError(f'heatmaps must be (K, h, w), got {hm.shape}')
    if channels is not None:
        hm = hm[list(channels)]
    m = hm.max(0) if len(hm) else np.zeros(hm.shape[1:], np.float32)
    top = float(m.max()) if vmax is None else float(vmax)
    m = np.clip(m / top, 0, 1) if top > 0 else np.zeros_like(m)
    m = _resize_map(m, image.shape[:2])
    colored = cv2.applyColorMap(np.round(m * 255).astype(np.uint8),
                                colormap)
    colored = cv2.cvtColor(colored, cv2.COLOR_BGR2RGB)
    return _blend(image, colored, alpha * np.sqrt(np.clip(m, 0, 1)))


def _limb_field(pafs: np.ndarray, limb: Optional[int]) -> np.ndarray:
    """(2, h, w) field of one limb, or (``limb=None``) at each pixel the
    vector of the limb with the longest one."""
    if pafs.ndim != 3 or pafs.shape[0] % 2:
        raise ValueError(f'pafs must be (2L, h, w), got {pafs.shape}')
    f = pafs.reshape(-1, 2, *pafs.shape[1:])
    if limb is not None:
        if not -len(f) <= limb < len(f):
            raise IndexError(f'limb {limb} out of range for {len(f)} limbs')
        return f[limb]
    norms = np.hypot(f[:, 0], f[:, 1])
    best = norms.argmax(0)
    return np.take_along_axis(f, best[None, None], axis=0)[0]


def draw_paf_arrows(image: np.ndarray, pafs, limb: Optional[int] = 0,
                    step: int = 2, min_norm: float = 0.1,
                    color: Optional[Color] = None,
                    arrow_length: Optional[float] = None,
                    thickness: int = 1,
                    tip_length: float = 0.35) -> np.ndarray:
    """Quiver plot of one limb's PAF on a grid of map pixels.

    Args:
        image: RGB (H, W, 3); the maps cover it entirely.
        pafs: (2L, h, w) PAFs (or a (2, h, w) field with ``limb=0``).
        limb: limb index; None draws at every grid point the longest vector
            over all limbs.
        step: grid spacing in map pixels; arrows start at map pixels
            ``step // 2, step // 2 + step, ...``.
        min_norm: shorter vectors are skipped.
        color: one RGB colour for all arrows; None colours each arrow by its
            direction (:func:`direction_color`, full brightness).
        arrow_length: length in image pixels of a unit vector (default: the
            grid spacing in image pixels, 0.9 * step * stride); arrows scale
            with the vector length.
        thickness, tip_length: ``cv2.arrowedLine`` arguments.
    """
    out = _rgb_image(image).copy()
    f = np.nan_to_num(to_numpy(pafs).astype(np.float32))
    field = _limb_field(f, limb)
    fh, fw = field.shape[1:]
    H, W = out.shape[:2]
    sx, sy = W / fw, H / fh
    if step < 1:
        raise ValueError(f'step must be >= 1, got {step}')
    unit = 0.9 * step * min(sx, sy) if arrow_length is None else float(
        arrow_length)
    shift = 4  # sub-pixel bits for OpenCV
    one = 1 << shift
    for v in range(step // 2, fh, step):
        for u in range(step // 2, fw, step):
            vx, vy = float(field[0, v, u]), float(field[1, v, u])
            norm = np.hypot(vx, vy)
            if norm < min_norm:
                continue
            p0 = np.array([(u + 0.5) * sx - 0.5, (v + 0.5) * sy - 0.5])
            p1 = p0 + unit * np.array([vx, vy])
            col = color if color is not None else direction_color(vx, vy)
            cv2.arrowedLine(out,
                            tuple(int(round(c * one)) for c in p0),
                            tuple(int(round(c * one)) for c in p1),
                            tuple(int(c) for c in col), thickness,
                            cv2.LINE_AA, shift, tip_length)
    return out


def draw_paf(image: np.ndarray, pafs, limb: Optional[int] = 0,
             alpha: float = 0.6, step: int = 2, min_norm: float = 0.1,
             arrows: bool = True, arrow_color: Optional[Color] = None,
             max_norm: float = 1.0) -> np.ndarray:
    """Dense direction colour coding of a limb's PAF blended onto the image
    (weight ``alpha`` times the vector length / ``max_norm``), plus arrows
    (:func:`draw_paf_arrows`, direction-coloured unless ``arrow_color``).
    """
    image = _rgb_image(image)
    f = np.nan_to_num(to_numpy(pafs).astype(np.float32))
    field = _limb_field(f, limb)
    H, W = image.shape[:2]
    fx = _resize_map(field[0], (H, W))
    fy = _resize_map(field[1], (H, W))
    norm = np.hypot(fx, fy)
    # full-brightness direction colours, blended in proportion to length
    colored = paf_to_rgb(np.stack([fx, fy]) / np.maximum(norm, 1e-6)[None])
    weight = alpha * np.clip(norm / max(max_norm, 1e-12), 0, 1)
    out = _blend(image, colored, weight)
    if arrows:
        out = draw_paf_arrows(out, field, 0, step=step, min_norm=min_norm,
                              color=arrow_color)
    return out


def draw_skeletons(image: np.ndarray, keypoints,
                   keypoint_scores=None,
                   skeleton: Sequence[Sequence[int]] = (),
                   kpt_thr: float = 0.3,
                   color_by: str = 'person',
                   limb_colors: Optional[Sequence[Color]] = None,
                   radius: int = 3, thickness: int = 2,
                   scale: float = 1.0) -> np.ndarray:
    """Draw many people's skeletons.

    Args:
        image: RGB (H, W, 3).
        keypoints: (N, K, 2) in image pixels (or (K, 2) for one person).
        keypoint_scores: (N, K); keypoints scoring <= ``kpt_thr`` (and
            non-finite ones) are not drawn, nor their links. None: all drawn.
        skeleton: (a, b) keypoint index pairs to link.
        color_by: 'person' (one distinct colour per person, keypoints and
            links) or 'limb' (colour per link from ``limb_colors`` or
            :func:`kp_ext.visualization.utils.distinct_colors`; keypoints
            in the person's colour).
        scale: multiplies the coordinates (e.g. drawing on an image of
            another size).
    """
    if color_by not in ('person', 'limb'):
        raise ValueError(f"color_by must be 'person' or 'limb', got "
                         f'{color_by!r}')
    out = _rgb_image(image).copy()
    kpts = to_numpy(keypoints).astype(np.float64)
    if kpts.ndim == 2:
        kpts = kpts[None]
    if kpts.size == 0:
        return out
    if kpts.ndim != 3 or kpts.shape[-1] < 2:
        raise ValueError(f'keypoints must be (N, K, 2), got {kpts.shape}')
    n, k = kpts.shape[:2]
    if keypoint_scores is None:
        ok = np.ones((n, k), bool)
    else:
        scores = to_numpy(keypoint_scores).astype(np.float64).reshape(n, k)
        ok = scores > kpt_thr
    ok &= np.isfinite(kpts[..., :2]).all(-1)
    pcols = [tuple(c) for c in distinct_colors(n, saturation=0.85).tolist()]
    lcols = list(limb_colors) if limb_colors is not None else \
        distinct_colors(len(skeleton), saturation=1.0).tolist()
    if color_by == 'limb' and len(lcols) < len(skeleton):
        raise ValueError(f'{len(lcols)} limb colours for {len(skeleton)} '
                         'links')
    shift = 4
    one = 1 << shift

    def P(p):
        return tuple(int(round(c * scale * one)) for c in p[:2])

    for i in range(n):
        for j, (a, b) in enumerate(skeleton):
            if a >= k or b >= k or not (ok[i, a] and ok[i, b]):
                continue
            col = pcols[i] if color_by == 'person' else lcols[j]
            cv2.line(out, P(kpts[i, a]), P(kpts[i, b]),
                     tuple(int(c) for c in col), thickness, cv2.LINE_AA,
                     shift)
        for j in range(k):
            if ok[i, j]:
                cv2.circle(out, P(kpts[i, j]), int(radius * one),
                           pcols[i], -1, cv2.LINE_AA, shift)
    return out


def paf_panel(image: np.ndarray, heatmaps=None, pafs=None,
              keypoints=None, keypoint_scores=None,
              skeleton: Sequence[Sequence[int]] = (),
              limb: Optional[int] = None, kpt_thr: float = 0.3,
              step: int = 2) -> np.ndarray:
    """Side by side: confidence maps | PAF (``limb``, None = all) |
    skeletons, for the parts given (RGB, same height as ``image``)."""
    image = _rgb_image(image)
    panels = []
    if heatmaps is not None:
        panels.append(draw_confidence_maps(image, heatmaps))
    if pafs is not None:
        panels.append(draw_paf(image, pafs, limb=limb, step=step))
    if keypoints is not None:
        panels.append(draw_skeletons(image, keypoints, keypoint_scores,
                                     skeleton, kpt_thr))
    if not panels:
        return image.copy()
    sep = np.full((image.shape[0], 2, 3), 255, np.uint8)
    out = [panels[0]]
    for p in panels[1:]:
        out += [sep, p]
    return np.concatenate(out, axis=1)
