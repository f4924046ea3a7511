"""Bottom-up (whole image, all people) transforms (MMPose 1.x names).

Pipelines
---------
Training (OpenPose)::

    LoadImage -> GenerateInvalidMask -> RandomFlip(mask_keys=['invalid_mask'])
    -> BottomupRandomAffine(input_size) -> GenerateTarget(PartAffinityField)
    -> PackPoseInputs

Testing::

    LoadImage -> BottomupResize(input_size) -> PackPoseInputs

Invalid regions (loss mask)
---------------------------
COCO lists crowds and people without keypoints as ``invalid_segs``
(polygons, uncompressed or compressed RLE, in original-image pixels; a
binary (H, W) array is accepted too). They are rasterised **once at the
image resolution** into ``invalid_mask`` (uint8 (H, W), 1 = invalid) by
:class:`GenerateInvalidMask`, which every geometric step then moves with
the image: ``RandomFlip`` (list ``'invalid_mask'`` in its ``mask_keys``)
and the affine / resize here (nearest-neighbour warp, zero = valid border:
padding holds no unlabelled people). After the warp the mask is also
handed to the codec through ``invalid_segs = [mask at input resolution]``
(``PartAffinityField.encode`` accepts binary masks of the input size and
turns them into its map-resolution ``heatmap_mask``: a map pixel is masked
when at least half of its input pixels are invalid), and the original
polygons, whose coordinates no longer match the image, are dropped.

When no ``invalid_mask`` is present the affine / resize rasterises
``invalid_segs`` itself, applying the flip recorded in ``flip`` /
``flip_direction`` (``RandomFlip`` never touches the polygons), so
``GenerateInvalidMask`` is optional; it is the explicit, cleanest form.
A mask made by :class:`GenerateInvalidMask` before a flip but not flipped
with the image (``RandomFlip`` without ``'invalid_mask'`` in
``mask_keys``) is detected and raises a ``ValueError`` instead of giving a
silently mirrored loss mask.

Keypoints outside the output
----------------------------
:class:`BottomupRandomAffine` maps every keypoint and keeps its visibility
as it is, also when it lands outside the network input: the codec decides
what takes part (``PartAffinityField`` renders only points inside the input
extent, and a limb only when both its ends do, as the reference OpenPose).
Keeping the coordinates lets a later transform (or a visualisation) still
use them.

Coordinate conventions
----------------------
Pixel centres at integers. Both transforms set ``input_size`` (w, h) of the
network input, ``input_center`` (2,) and ``input_scale`` (2,) such that,
for an unrotated warp (always for :class:`BottomupResize`)::

    x_img = x_in / input_size * input_scale + input_center
            - 0.5 * input_scale

which is the mapping ``BottomupPoseEstimator`` uses to bring predictions
back to the original image, and ``warp_mat`` (2x3, image -> input).
"""
import math
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from scipy.stats import truncnorm

from kp_ext.datasets.sample_rng import sample_rng
from kp_ext.registry import TRANSFORMS
from kp_ext.structures import apply_affine, get_warp_matrix
from kp_ext.structures.mask import flip_mask, segs_to_mask, warp_mask
from .loading import _describe

__all__ = ['GenerateInvalidMask', 'BottomupRandomAffine', 'BottomupResize']

_MASK_KEY = 'invalid_mask'
_PROFILE_KEY = 'invalid_mask_profile'


# ---------------------------------------------------------------------------
# invalid regions
# ---------------------------------------------------------------------------
def _profile(mask: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Column and row sums: cheap fingerprint to detect a missed flip."""
    m = mask.astype(np.int64)
    return m.sum(0), m.sum(1)


def _image_hw(results: dict) -> Tuple[int, int]:
    img = results.get('img')
    if isinstance(img, list):
        img = img[0]
    if img is not None:
        return tuple(int(v) for v in img.shape[:2])
    if results.get('img_shape') is not None:
        return tuple(int(v) for v in results['img_shape'][:2])
    raise KeyError(f'need "img" or "img_shape" for {_describe(results)}')


def _current_invalid_mask(results: dict, img_hw) -> Optional[np.ndarray]:
    """The invalid mask in the current image frame, or None if empty.

    Uses ``invalid_mask`` (checked against a missed flip) or rasterises
    ``invalid_segs`` (original-image polygons) and applies the recorded
    flip.
    """
    mask = results.get(_MASK_KEY)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape[:2] != tuple(img_hw):
            raise ValueError(f'"{_MASK_KEY}" of shape {mask.shape} does not '
                             f'match the image {tuple(img_hw)} of '
                             f'{_describe(results)}')
        prof = results.get(_PROFILE_KEY)
        if prof is not None:
            made_dir, cols, rows = prof
            now_dir = results.get('flip_direction') if results.get(
                'flip') else None
            if now_dir != made_dir:
                cur_c, cur_r = _profile(mask)
                exp_c = cols[::-1] if now_dir in ('horizontal',
                                                  'diagonal') else cols
                exp_r = rows[::-1] if now_dir in ('vertical',
                                                  'diagonal') else rows
                ok = (np.array_equal(cur_c, exp_c)
                      and np.array_equal(cur_r, exp_r))
                if not ok and np.array_equal(cur_c, cols) and \
                        np.array_equal(cur_r, rows):
                    raise ValueError(
                        f'"{_MASK_KEY}" of {_describe(results)} was made '
                        'before a flip but not flipped with the image: add '
                        f'"{_MASK_KEY}" to RandomFlip(mask_keys=...)')
        return (mask > 0).astype(np.uint8)
    segs = results.get('invalid_segs')
    if segs is None or (isinstance(segs, (list, tuple)) and len(segs) == 0):
        return None
    mask = segs_to_mask(segs, img_hw, _describe(results))
    if results.get('flip'):
        mask = flip_mask(mask, results.get('flip_direction'))
    return mask


def _warp_invalid(results: dict, img_hw, warp_mat: np.ndarray,
                  out_size: Tuple[int, int]) -> None:
    """Warp the invalid mask with the image; hand it to the codec."""
    mask = _current_invalid_mask(results, img_hw)
    results.pop(_PROFILE_KEY, None)
    if mask is None:
        results[_MASK_KEY] = np.zeros((out_size[1], out_size[0]), np.uint8)
        results['invalid_segs'] = []
        return
    warped = warp_mask(mask, warp_mat, out_size)
    results[_MASK_KEY] = warped
    results['invalid_segs'] = [warped.astype(bool)] if warped.any() else []


@TRANSFORMS.register_module()
class GenerateInvalidMask(BaseTransform):
    """Rasterise ``invalid_segs`` into ``invalid_mask`` at image resolution.

    Required keys: ``img`` (or ``img_shape``); optional ``invalid_segs``
    (see :func:`segs_to_mask`), ``flip`` / ``flip_direction``.
    Added keys: ``invalid_mask`` (uint8 (H, W), 1 = crowd / unlabelled
    person: no supervision), ``invalid_mask_profile`` (private, used to
    detect a mask that missed a later flip).

    Place it before ``RandomFlip`` and list ``'invalid_mask'`` in the flip's
    ``mask_keys``; placed after a flip, it applies the recorded flip itself
    (the polygons are in original-image coordinates).
    """

    def transform(self, results: dict) -> dict:
        img_hw = _image_hw(results)
        segs = results.get('invalid_segs')
        mask = segs_to_mask(segs, img_hw, _describe(results))
        if results.get('flip'):
            mask = flip_mask(mask, results.get('flip_direction'))
        results[_MASK_KEY] = mask
        made_dir = results.get('flip_direction') if results.get(
            'flip') else None
        results[_PROFILE_KEY] = (made_dir, ) + _profile(mask)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'


# ---------------------------------------------------------------------------
# geometry helpers
# ---------------------------------------------------------------------------
def _check_size(input_size, name='input_size') -> Tuple[int, int]:
    if len(input_size) != 2 or any(
            int(s) != s or s <= 0 for s in input_size):
        raise ValueError(f'{name} must be two positive ints (w, h), got '
                         f'{input_size}')
    return int(input_size[0]), int(input_size[1])


def _border(pad_val, channels: int):
    if isinstance(pad_val, (int, float)):
        return (float(pad_val), ) * max(channels, 1)
    vals = tuple(float(v) for v in pad_val)
    if len(vals) == 1:
        return vals * max(channels, 1)
    return vals


def _warp_image(img, warp_mat, out_size, pad_val, flags=cv2.INTER_LINEAR):
    def one(im):
        ch = 1 if im.ndim == 2 else im.shape[2]
        border = _border(pad_val, ch)
        if ch > 4:  # OpenCV border values hold at most 4 channels
            return np.stack([
                cv2.warpAffine(np.ascontiguousarray(im[..., c]), warp_mat,
                               out_size, flags=flags,
                               borderMode=cv2.BORDER_CONSTANT,
                               borderValue=border[min(c, len(border) - 1)])
                for c in range(ch)
            ], axis=-1)
        return cv2.warpAffine(np.ascontiguousarray(im), warp_mat, out_size,
                              flags=flags, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=border)

    if isinstance(img, list):
        return [one(i) for i in img]
    return one(img)


def _warp_instances(results: dict, warp_mat: np.ndarray, zoom: float,
                    key_kpts: str) -> None:
    """Map keypoints (into ``key_kpts``), boxes and box centres/scales."""
    if results.get('keypoints') is not None:
        kpts = np.asarray(results['keypoints'], np.float32)
        out = kpts.copy()
        if kpts.size:
            out[..., :2] = apply_affine(kpts[..., :2], warp_mat)
        results[key_kpts] = out.astype(np.float32)
    if key_kpts != 'keypoints':
        return  # test-time resize: boxes stay in image coordinates
    if results.get('bbox') is not None:
        b = np.asarray(results['bbox'], np.float32).reshape(-1, 4)
        corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [0, 3]],
                            b[:, [2, 3]]], axis=1)
        c = apply_affine(corners, warp_mat) if len(b) else corners
        results['bbox'] = np.concatenate(
            [c.min(axis=1), c.max(axis=1)], axis=1).astype(np.float32)
    if results.get('bbox_center') is not None:
        results['bbox_center'] = apply_affine(
            np.asarray(results['bbox_center'], np.float32).reshape(-1, 2),
            warp_mat).astype(np.float32)
    if results.get('bbox_scale') is not None:
        results['bbox_scale'] = (np.asarray(results['bbox_scale'],
                                            np.float32) * zoom).astype(
                                                np.float32)


def _warp_sample(results: dict, img_hw: Tuple[int, int],
                 warp_mat: np.ndarray, input_size: Tuple[int, int],
                 zoom: float, pad_val, center: np.ndarray,
                 region: np.ndarray, rotate: float) -> dict:
    """Warp a bottom-up sample into the network input: the invalid-region
    masks, the image and the instances; then record the crop
    (``img_shape``, ``input_size``, ``input_center``, ``input_scale``,
    ``input_rotation``, ``warp_mat``)."""
    w, h = input_size
    _warp_invalid(results, img_hw, warp_mat, (w, h))
    results['img'] = _warp_image(results['img'], warp_mat, (w, h), pad_val)
    _warp_instances(results, warp_mat, zoom, 'keypoints')
    results['img_shape'] = (h, w)
    results['input_size'] = (w, h)
    results['input_center'] = np.asarray(center, np.float32)
    results['input_scale'] = np.asarray(region, np.float32)
    results['input_rotation'] = float(rotate)
    results['warp_mat'] = warp_mat
    return results


# ---------------------------------------------------------------------------
# training: random affine of the whole image
# ---------------------------------------------------------------------------
@TRANSFORMS.register_module()
class BottomupRandomAffine(BaseTransform):
    """Randomly shift, rescale and rotate the whole image to ``input_size``.

    The source region has centre ``(W/2, H/2) + offset * (W, H)`` and size
    ``scale * (W, H)`` (W, H: the image), made to the aspect ratio of
    ``input_size`` by shrinking the longer side (``scale_type='short'``: the
    short side fills the input at scale 1) or growing the shorter one
    (``'long'``: the whole image fits); it is rotated by ``rotate`` degrees
    and warped onto the input (bilinear, ``pad_val`` border). Random values
    (as MMPose): ``offset ~ shift_factor * truncnorm(-1, 1)`` per axis,
    ``scale ~ scale_factor[0] + (scale_factor[1] - scale_factor[0]) *
    (truncnorm(-1, 1) + 1) / 2``, ``rotate ~ rotate_factor *
    truncnorm(-1, 1)``, each applied with its probability.

    Required keys: ``img``; optional ``keypoints`` (N, K, 2), ``bbox``
    (N, 4), ``bbox_center``/``bbox_scale``, ``invalid_mask`` /
    ``invalid_segs`` (see module doc).
    Modified keys: ``img``, ``img_shape`` (now the input's), ``keypoints``
    (now in input pixels, visibility unchanged: see module doc), ``bbox``
    (axis-aligned hull of the warped box), ``bbox_center``, ``bbox_scale``,
    ``invalid_mask`` (input resolution), ``invalid_segs`` (``[mask]`` at
    input resolution or ``[]``).
    Added keys: ``input_size``, ``input_center``, ``input_scale``,
    ``input_rotation``, ``warp_mat``.

    Args:
        input_size (tuple[int, int]): network input (w, h).
        shift_factor (float): shift range as a fraction of the image size.
        shift_prob (float): probability of a shift.
        scale_factor (tuple[float, float]): range of the source-region
            scale (relative to the image).
        scale_prob (float): probability of a rescale.
        scale_type (str): 'short' or 'long' (see above).
        rotate_factor (float): rotation range in degrees.
        rotate_prob (float): probability of a rotation.
        pad_val (float | tuple): border value of the image.
    """

    def __init__(self,
                 input_size: Sequence[int],
                 shift_factor: float = 0.2,
                 shift_prob: float = 1.0,
                 scale_factor: Tuple[float, float] = (0.75, 1.5),
                 scale_prob: float = 1.0,
                 scale_type: str = 'short',
                 rotate_factor: float = 30.0,
                 rotate_prob: float = 1.0,
                 pad_val: Union[float, Sequence[float]] = 0) -> None:
        super().__init__()
        self.input_size = _check_size(input_size)
        if scale_type not in ('short', 'long'):
            raise ValueError("scale_type must be 'short' or 'long', got "
                             f'{scale_type!r}')
        if len(scale_factor) != 2 or not 0 < scale_factor[0] <= \
                scale_factor[1]:
            raise ValueError('scale_factor must be (min, max) with 0 < min '
                             f'<= max, got {scale_factor}')
        if shift_factor < 0 or rotate_factor < 0:
            raise ValueError('shift_factor and rotate_factor must be >= 0')
        for name, p in (('shift_prob', shift_prob), ('scale_prob',
                                                     scale_prob),
                        ('rotate_prob', rotate_prob)):
            if not 0 <= p <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {p}')
        self.shift_factor = float(shift_factor)
        self.shift_prob = float(shift_prob)
        self.scale_factor = (float(scale_factor[0]), float(scale_factor[1]))
        self.scale_prob = float(scale_prob)
        self.scale_type = scale_type
        self.rotate_factor = float(rotate_factor)
        self.rotate_prob = float(rotate_prob)
        self.pad_val = pad_val

    @staticmethod
    def _truncnorm(rng, size=None) -> np.ndarray:
        return truncnorm.rvs(-1., 1., size=size, random_state=rng)

    @cache_randomness
    def _get_transform_params(self, rng) -> Tuple[np.ndarray, float,
                                                  float]:
        """(offset (2,) as fraction of the image, scale, rotate degrees)."""
        offset = np.zeros(2)
        if self.shift_factor > 0 and rng.random() < self.shift_prob:
            offset = self._truncnorm(rng, size=2) * self.shift_factor
        scale = 1.0
        lo, hi = self.scale_factor
        if rng.random() < self.scale_prob:
            scale = lo + (hi - lo) * (float(self._truncnorm(rng)) + 1) / 2
        rotate = 0.0
        if self.rotate_factor > 0 and rng.random() < self.rotate_prob:
            rotate = float(self._truncnorm(rng)) * self.rotate_factor
        return np.asarray(offset, np.float64), float(scale), float(rotate)

    def _region_size(self, img_w: int, img_h: int,
                     scale: float) -> np.ndarray:
        w, h = scale * img_w, scale * img_h
        ar = self.input_size[0] / self.input_size[1]
        wide = w > h * ar
        if (self.scale_type == 'short') == wide:
            return np.array([h * ar, h], np.float64)  # fix the height
        return np.array([w, w / ar], np.float64)  # fix the width

    def transform(self, results: dict) -> dict:
        if results.get('img') is None:
            raise KeyError(f'BottomupRandomAffine needs "img" for '
                           f'{_describe(results)}')
        img_h, img_w = _image_hw(results)
        w, h = self.input_size
        offset, scale_rate, rotate = self._get_transform_params(
            sample_rng(results))
        center = np.array([img_w / 2., img_h / 2.]) + offset * [img_w, img_h]
        region = self._region_size(img_w, img_h, scale_rate)
        warp_mat = get_warp_matrix(center.astype(np.float32),
                                   region.astype(np.float32), rotate,
                                   (w, h)).astype(np.float64)

        zoom = float(math.hypot(warp_mat[0, 0], warp_mat[0, 1]))
        return _warp_sample(results, (img_h, img_w), warp_mat, (w, h), zoom,
                            self.pad_val, center, region, rotate)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'shift_factor={self.shift_factor}, shift_prob='
                f'{self.shift_prob}, scale_factor={self.scale_factor}, '
                f'scale_prob={self.scale_prob}, scale_type='
                f'{self.scale_type!r}, rotate_factor={self.rotate_factor}, '
                f'rotate_prob={self.rotate_prob}, pad_val={self.pad_val})')


# ---------------------------------------------------------------------------
# testing: resize (keep aspect ratio) and pad
# ---------------------------------------------------------------------------
@TRANSFORMS.register_module()
class BottomupResize(BaseTransform):
    """Resize the whole image keeping its aspect ratio, centre it, pad.

    ``resize_mode='fit'``: the image is scaled by ``r = min(w_in / W,
    h_in / H)`` so that it fits in ``input_size``; the network input is
    ``input_size`` rounded up to a multiple of ``size_factor``.
    ``'expand'``: ``r = max(...)`` (the image covers ``input_size``); the
    input is the resized image's size rounded up to a multiple of
    ``size_factor``. The resized image is centred in the input (image
    centre ``(W/2, H/2)`` on input centre ``(w_pad/2, h_pad/2)``), the rest
    is ``pad_val``. ``'height'``: ``r = h_in / H`` (the reference OpenPose
    test procedure: image height -> 368, width proportional); the input is
    the resized image's size rounded up to a multiple of ``size_factor``.
    ``'none'``: the image as it is (``r = 1``, no padding, ``input_size``
    and ``size_factor`` unused), for a test procedure that resizes the
    image itself (the reference MATLAB evaluation: the estimator's
    ``multiscale_resolution='image'`` makes every scale from the original
    image, ZheC ``testing/src/applyModel.m:69``).

    Sets ``input_size = (w_pad, h_pad)``, ``input_center = (W/2, H/2)`` and
    ``input_scale = (w_pad, h_pad) / r``, so that exactly::

        x_img = x_in / input_size * input_scale + input_center
                - 0.5 * input_scale

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``;
    ``keypoints`` and ``bbox`` stay in original-image pixels (for
    evaluation). Added keys: ``input_size``, ``input_center``,
    ``input_scale``, ``warp_mat`` (image -> input), ``transformed_keypoints``
    (keypoints in input pixels, when there are keypoints); when the sample
    has ``invalid_segs`` / ``invalid_mask`` they are mapped to the input as
    by :class:`BottomupRandomAffine` (so targets can be encoded).

    Args:
        input_size (tuple[int, int]): target (w, h).
        size_factor (int): the input size is a multiple of this (the
            network's total stride). Default 8.
        resize_mode (str): 'fit', 'expand', 'height' or 'none'.
        pad_val (float | tuple): border value.
    """

    def __init__(self,
                 input_size: Sequence[int],
                 size_factor: int = 8,
                 resize_mode: str = 'fit',
                 pad_val: Union[float, Sequence[float]] = 0) -> None:
        super().__init__()
        self.input_size = _check_size(input_size)
        if int(size_factor) != size_factor or size_factor < 1:
            raise ValueError(f'size_factor must be a positive int, got '
                             f'{size_factor}')
        if resize_mode not in ('fit', 'expand', 'height', 'none'):
            raise ValueError("resize_mode must be 'fit', 'expand', 'height' "
                             f"or 'none', got {resize_mode!r}")
        self.size_factor = int(size_factor)
        self.resize_mode = resize_mode
        self.pad_val = pad_val

    def _ceil(self, v: float) -> int:
        f = self.size_factor
        return int(math.ceil(v / f - 1e-9)) * f

    def get_geometry(self, img_w: int, img_h: int):
        """(ratio r, padded input size (w, h), input_center, input_scale)."""
        w, h = self.input_size
        if self.resize_mode == 'none':
            r, padded = 1.0, (int(img_w), int(img_h))
        elif self.resize_mode == 'fit':
            r = min(w / img_w, h / img_h)
            padded = (self._ceil(w), self._ceil(h))
        else:
            r = max(w / img_w, h / img_h) if self.resize_mode == 'expand' \
                else h / img_h
            padded = (self._ceil(img_w * r), self._ceil(img_h * r))
        center = np.array([img_w / 2., img_h / 2.], np.float64)
        scale = np.array(padded, np.float64) / r
        return r, padded, center, scale

    def transform(self, results: dict) -> dict:
        if results.get('img') is None:
            raise KeyError(f'BottomupResize needs "img" for '
                           f'{_describe(results)}')
        img_h, img_w = _image_hw(results)
        r, (pw, ph), center, scale = self.get_geometry(img_w, img_h)
        # x_in = r * (x_img - center + scale / 2)
        warp_mat = np.array(
            [[r, 0., r * (scale[0] / 2 - center[0])],
             [0., r, r * (scale[1] / 2 - center[1])]], np.float64)
        if results.get('invalid_segs') or results.get(_MASK_KEY) is not None:
            _warp_invalid(results, (img_h, img_w), warp_mat, (pw, ph))
        flags = cv2.INTER_AREA if r < 1 else cv2.INTER_LINEAR
        if self.resize_mode == 'none':
            pass                                  # the image as it is
        elif flags == cv2.INTER_AREA:
            # area averaging needs a resize; then pad by translation only
            rw, rh = img_w * r, img_h * r
            img = results['img']

            def one(im):
                small = cv2.resize(
                    np.ascontiguousarray(im),
                    (max(1, int(round(rw))), max(1, int(round(rh)))),
                    interpolation=cv2.INTER_AREA)
                # cv2.resize maps x -> (x + 0.5) * s - 0.5 with s the true
                # per-axis ratio; compose with the wanted image -> input map
                sx = small.shape[1] / im.shape[1]
                sy = small.shape[0] / im.shape[0]
                m2 = np.array([[r / sx, 0, 0], [0, r / sy, 0]], np.float64)
                # small -> image: x = (x_s + 0.5) / s - 0.5
                m2[0, 2] = (warp_mat[0, 2] + r * (0.5 / sx - 0.5))
                m2[1, 2] = (warp_mat[1, 2] + r * (0.5 / sy - 0.5))
                return _warp_image(small, m2, (pw, ph), self.pad_val)

            results['img'] = [one(i) for i in img] if isinstance(
                img, list) else one(img)
        else:
            results['img'] = _warp_image(results['img'], warp_mat, (pw, ph),
                                         self.pad_val)
        _warp_instances(results, warp_mat, r, 'transformed_keypoints')
        results['img_shape'] = (ph, pw)
        results['input_size'] = (pw, ph)
        results['input_center'] = center.astype(np.float32)
        results['input_scale'] = scale.astype(np.float32)
        results['warp_mat'] = warp_mat
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'size_factor={self.size_factor}, resize_mode='
                f'{self.resize_mode!r}, pad_val={self.pad_val})')
