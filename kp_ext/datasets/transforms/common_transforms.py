"""Transforms shared by top-down and bottom-up pipelines (MMPose names).

- ``GetBBoxCenterScale``: ``bbox`` (N, 4) xyxy -> ``bbox_center``,
  ``bbox_scale`` (w, h in pixels, padded).
- ``RandomFlip``: image, boxes, keypoints (with left/right swap), masks.
- ``RandomHalfBody``: shrink the box to the upper or lower body.
- ``RandomBBoxTransform``: random shift / rescale / rotation of the box.
- ``GenerateTarget``: run a codec's ``encode`` and store its outputs.
"""
import logging
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmengine.logging import print_log
from scipy.stats import truncnorm

from kp_ext.datasets.sample_rng import sample_rng
from kp_ext.registry import KEYPOINT_CODECS, TRANSFORMS
from kp_ext.structures import bbox_xyxy2cs, flip_keypoints
from .loading import _describe

__all__ = [
    'GetBBoxCenterScale', 'RandomFlip', 'RandomHalfBody',
    'RandomBBoxTransform', 'GenerateTarget'
]

_FLIP_DIRECTIONS = ('horizontal', 'vertical', 'diagonal')


def _check_boxes(center: np.ndarray, scale: np.ndarray, results: dict,
                 what: str) -> None:
    """Raise a clear error for NaN/inf or non-positive box sizes."""
    bad = ~(np.isfinite(center).all(-1) & np.isfinite(scale).all(-1)
            & (scale > 0).all(-1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f'invalid {what} for {_describe(results)}: instance {i} has '
            f'centre {center[i].tolist()} and size {scale[i].tolist()} '
            '(zero-size, negative or NaN box)')


@TRANSFORMS.register_module()
class GetBBoxCenterScale(BaseTransform):
    """Convert ``bbox`` (N, 4) xyxy into ``bbox_center`` and ``bbox_scale``.

    ``bbox_scale`` is ``padding * (w, h)`` in pixels. As in MMPose, when the
    results already hold ``bbox_center`` and ``bbox_scale`` these are used
    instead of ``bbox`` (the padding is still applied to the scale).
    Zero-size, inverted or NaN boxes raise a ``ValueError`` naming the
    sample.

    Args:
        padding (float): Scale factor applied to the box size. Defaults to
            1.25.
    """

    def __init__(self, padding: float = 1.25) -> None:
        super().__init__()
        if not padding > 0:
            raise ValueError(f'padding must be positive, got {padding}')
        self.padding = padding

    def transform(self, results: dict) -> dict:
        if ('bbox_center' in results and 'bbox_scale' in results):
            center = np.asarray(results['bbox_center'], dtype=np.float32)
            scale = np.asarray(results['bbox_scale'],
                               dtype=np.float32) * self.padding
            _check_boxes(center.reshape(-1, 2), scale.reshape(-1, 2),
                         results, 'bbox_center/bbox_scale')
        else:
            if results.get('bbox') is None:
                raise KeyError('GetBBoxCenterScale needs "bbox" (or '
                               '"bbox_center" and "bbox_scale") for '
                               f'{_describe(results)}')
            bbox = np.asarray(results['bbox'], dtype=np.float32)
            if bbox.shape[-1] != 4:
                raise ValueError(f'bbox must have shape (N, 4), got '
                                 f'{bbox.shape} for {_describe(results)}')
            bbox = bbox.reshape(-1, 4)
            _check_boxes((bbox[:, :2] + bbox[:, 2:]) * 0.5,
                         bbox[:, 2:] - bbox[:, :2], results, 'bbox (xyxy)')
            center, scale = bbox_xyxy2cs(bbox, padding=self.padding)
        results['bbox_center'] = center.astype(np.float32)
        results['bbox_scale'] = scale.astype(np.float32)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(padding={self.padding})'


def _flip_indices_of(results: dict, num_keypoints: int) -> List[int]:
    """``flip_indices`` from results (or derived from ``flip_pairs``)."""
    if results.get('flip_indices') is not None:
        indices = [int(i) for i in results['flip_indices']]
    elif results.get('flip_pairs') is not None:
        indices = list(range(num_keypoints))
        for a, b in results['flip_pairs']:
            indices[a], indices[b] = int(b), int(a)
    else:
        raise KeyError('RandomFlip needs "flip_indices" (from dataset_meta) '
                       f'to flip keypoints of {_describe(results)}')
    if len(indices) != num_keypoints:
        raise ValueError(f'{len(indices)} flip_indices but {num_keypoints} '
                         f'keypoints for {_describe(results)}')
    return indices


def _flip_array(arr: np.ndarray, direction: str, axes: Tuple[int, int]):
    """Flip ``arr`` along the (row, col) ``axes`` for ``direction``."""
    if direction == 'horizontal':
        out = np.flip(arr, axis=axes[1])
    elif direction == 'vertical':
        out = np.flip(arr, axis=axes[0])
    else:
        out = np.flip(arr, axis=axes)
    return np.ascontiguousarray(out)


@TRANSFORMS.register_module()
class RandomFlip(BaseTransform):
    """Randomly flip the image, boxes, keypoints and masks.

    Required keys: ``img`` (or ``img_shape``); ``flip_indices`` when
    ``keypoints`` are present. Modified keys: ``img``, ``bbox``,
    ``bbox_center``, ``bbox_rotation``, ``keypoints``, ``keypoints_visible``,
    the ``mask_keys`` present. Added keys: ``flip``, ``flip_direction``.

    Pixel centres are at integers: ``x`` becomes ``w - 1 - x``. Keypoint
    ``k`` takes the place of ``flip_indices[k]`` (left/right swap), and its
    visibility moves with it. Flip before ``TopdownAffine``.

    Args:
        prob (float | list[float]): Flip probability; a list gives one
            probability per entry of ``direction``. Defaults to 0.5.
        direction (str | list[str]): ``'horizontal'``, ``'vertical'`` or
            ``'diagonal'`` (both). Defaults to ``'horizontal'``.
        mask_keys (Sequence[str]): Result keys of masks to flip with the
            image: (H, W[, C]) arrays or (N, H, W) stacks. Defaults to
            ``('img_mask', 'mask', 'masks')``.
    """

    def __init__(self,
                 prob: Union[float, List[float]] = 0.5,
                 direction: Union[str, List[str]] = 'horizontal',
                 mask_keys: Sequence[str] = ('img_mask', 'mask',
                                             'masks')) -> None:
        super().__init__()
        directions = [direction] if isinstance(direction, str) else list(
            direction)
        if not directions or any(d not in _FLIP_DIRECTIONS
                                 for d in directions):
            raise ValueError(f'direction must be one of {_FLIP_DIRECTIONS} '
                             f'or a list of them, got {direction!r}')
        if isinstance(prob, (list, tuple)):
            probs = [float(p) for p in prob]
            if len(probs) != len(directions):
                raise ValueError('prob and direction lists must have the '
                                 'same length')
        else:
            probs = [float(prob) / len(directions)] * len(directions)
        if any(p < 0 for p in probs) or sum(probs) > 1 + 1e-6:
            raise ValueError(f'invalid flip probability {prob!r}')
        self.prob = prob
        self.direction = direction
        self.mask_keys = tuple(mask_keys)
        self._directions = directions + [None]
        self._probs = probs + [max(0., 1. - sum(probs))]

    @cache_randomness
    def _choose_direction(self, rng) -> Optional[str]:
        p = np.asarray(self._probs, dtype=np.float64)
        idx = rng.choice(len(self._directions), p=p / p.sum())
        return self._directions[idx]

    def _flip_mask(self, mask: np.ndarray, img_hw, direction: str, key):
        mask = np.asarray(mask)
        if tuple(mask.shape[:2]) == tuple(img_hw):
            return _flip_array(mask, direction, (0, 1))
        if mask.ndim == 3 and tuple(mask.shape[1:]) == tuple(img_hw):
            return _flip_array(mask, direction, (1, 2))
        raise ValueError(f'cannot flip "{key}" of shape {mask.shape} with an '
                         f'image of shape {tuple(img_hw)}')

    def transform(self, results: dict) -> dict:
        direction = self._choose_direction(sample_rng(results))
        if direction is None:
            results['flip'] = False
            results['flip_direction'] = None
            return results
        if results.get('transformed_keypoints') is not None:
            raise RuntimeError('RandomFlip must come before TopdownAffine '
                               '("transformed_keypoints" already set)')
        results['flip'] = True
        results['flip_direction'] = direction

        img = results.get('img')
        if isinstance(img, list):
            h, w = img[0].shape[:2]
            results['img'] = [_flip_array(i, direction, (0, 1)) for i in img]
        elif img is not None:
            h, w = img.shape[:2]
            results['img'] = _flip_array(img, direction, (0, 1))
        else:
            h, w = results['img_shape'][:2]

        for key in self.mask_keys:
            if results.get(key) is not None:
                results[key] = self._flip_mask(results[key], (h, w),
                                               direction, key)

        flip_x = direction in ('horizontal', 'diagonal')
        flip_y = direction in ('vertical', 'diagonal')
        if results.get('bbox') is not None:
            bbox = np.array(results['bbox'], dtype=np.float32, copy=True)
            if flip_x:
                bbox[..., [0, 2]] = w - 1 - bbox[..., [2, 0]]
            if flip_y:
                bbox[..., [1, 3]] = h - 1 - bbox[..., [3, 1]]
            results['bbox'] = bbox
        if results.get('bbox_center') is not None:
            center = np.array(results['bbox_center'], dtype=np.float32,
                              copy=True)
            if flip_x:
                center[..., 0] = w - 1 - center[..., 0]
            if flip_y:
                center[..., 1] = h - 1 - center[..., 1]
            results['bbox_center'] = center
        if results.get('bbox_rotation') is not None and direction != \
                'diagonal':
            # a mirror reverses the sense of rotation
            results['bbox_rotation'] = -np.asarray(results['bbox_rotation'])

        if results.get('keypoints') is not None:
            keypoints = np.asarray(results['keypoints'])
            indices = _flip_indices_of(results, keypoints.shape[-2])
            first = 'horizontal' if flip_x else 'vertical'
            keypoints, _ = flip_keypoints(keypoints, None, (w, h), indices,
                                          direction=first)
            if direction == 'diagonal':
                keypoints[..., 1] = h - 1 - keypoints[..., 1]
            results['keypoints'] = keypoints
            if results.get('keypoints_visible') is not None:
                vis = np.asarray(results['keypoints_visible'])
                # (N, K) or (N, K, 2): keypoint axis mirrors keypoints'
                results['keypoints_visible'] = np.take(
                    vis, indices, axis=keypoints.ndim - 2).copy()
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'direction={self.direction!r})')


@TRANSFORMS.register_module()
class RandomHalfBody(BaseTransform):
    """Randomly replace a person's box by the box of its upper or lower body.

    Required keys: ``keypoints``, ``keypoints_visible``, ``bbox_center``,
    ``bbox_scale``, ``upper_body_ids``, ``lower_body_ids`` (from
    dataset_meta). Modified keys: ``bbox_center``, ``bbox_scale``.

    An instance with at least ``min_total_keypoints`` visible keypoints is
    chosen with probability ``prob``; the upper body is preferred with
    probability ``upper_prioritized_prob`` (the other half is used when the
    preferred half has too few visible keypoints). The new box spans the
    visible keypoints of that half, enlarged by ``padding``.
    """

    def __init__(self,
                 min_total_keypoints: int = 9,
                 min_upper_keypoints: int = 2,
                 min_lower_keypoints: int = 3,
                 padding: float = 1.5,
                 prob: float = 0.3,
                 upper_prioritized_prob: float = 0.7) -> None:
        super().__init__()
        self.min_total_keypoints = min_total_keypoints
        self.min_upper_keypoints = min_upper_keypoints
        self.min_lower_keypoints = min_lower_keypoints
        self.padding = padding
        self.prob = prob
        self.upper_prioritized_prob = upper_prioritized_prob

    @cache_randomness
    def _select(self, visible: np.ndarray, upper_ids, lower_ids, rng):
        chosen = []
        for vis in visible:
            if vis.sum() < self.min_total_keypoints or \
                    rng.random() > self.prob:
                chosen.append(None)
                continue
            upper = [i for i in upper_ids if vis[i] > 0]
            lower = [i for i in lower_ids if vis[i] > 0]
            ok_upper = len(upper) >= self.min_upper_keypoints
            ok_lower = len(lower) >= self.min_lower_keypoints
            prefer_upper = rng.random() < self.upper_prioritized_prob
            if ok_upper and (prefer_upper or not ok_lower):
                chosen.append(upper)
            elif ok_lower:
                chosen.append(lower)
            else:
                chosen.append(None)
        return chosen

    def transform(self, results: dict) -> dict:
        for key in ('upper_body_ids', 'lower_body_ids'):
            if results.get(key) is None:
                raise KeyError(f'RandomHalfBody needs "{key}" (from '
                               f'dataset_meta) for {_describe(results)}')
        keypoints = np.asarray(results['keypoints'])
        visible = np.asarray(results['keypoints_visible'])
        if visible.ndim == 3:
            visible = visible[..., 0]
        visible = np.where(np.isfinite(keypoints).all(-1), visible, 0)
        chosen = self._select(visible, results['upper_body_ids'],
                              results['lower_body_ids'],
                              sample_rng(results))
        centers = np.array(results['bbox_center'], dtype=np.float32)
        scales = np.array(results['bbox_scale'], dtype=np.float32)
        for i, ids in enumerate(chosen):
            if ids is None:
                continue
            pts = keypoints[i, ids, :2]
            size = (pts.max(0) - pts.min(0)) * self.padding
            if not (size > 0).any():
                continue  # coincident keypoints: keep the full-body box
            centers[i] = pts.mean(0)
            scales[i] = size
        results['bbox_center'] = centers
        results['bbox_scale'] = scales
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(min_total_keypoints='
                f'{self.min_total_keypoints}, min_upper_keypoints='
                f'{self.min_upper_keypoints}, min_lower_keypoints='
                f'{self.min_lower_keypoints}, padding={self.padding}, '
                f'prob={self.prob}, upper_prioritized_prob='
                f'{self.upper_prioritized_prob})')


@TRANSFORMS.register_module()
class RandomBBoxTransform(BaseTransform):
    r"""Randomly shift, rescale and rotate the boxes (MMPose semantics by
    default, Newell et al.'s official sampling as an option).

    For each box, independent draws of ``t`` from ``noise``:

    - ``'truncnorm'`` (default, MMPose): ``t ~ TruncatedNormal(0, 1,
      [-1, 1])``;
    - ``'clipped_normal'`` (pose-hg-train ``src/util/pose.lua``
      ``rnd(x) = max(-2x, min(2x, randn() * x))``): ``t = clip(N(0, 1),
      -2, 2)``, so ``t * factor`` is ``N(0, factor)`` clipped to
      ``+-2 factor``;

    and then

    - shift (prob ``shift_prob``): ``center += t * shift_factor * scale``
      (per axis);
    - rescale (prob ``scale_prob``): ``scale_mode='linear'`` (default):
      ``scale *= mu + t * sigma`` with ``mu, sigma`` the middle and
      half-width of ``scale_factor``; ``scale_mode='log2'`` (the official
      ``s = s * 2 ^ rnd(opt.scale)``): ``scale *= 2 ** (t * scale_factor)``
      with ``scale_factor`` a float (the std of the log2 factor);
    - rotate (prob ``rotate_prob``): ``bbox_rotation = t * rotate_factor``
      degrees (otherwise 0).

    The official recipe (opts ``-scale 0.25 -rotate 30``, rotation kept
    when ``uniform() > 0.6``) is ``noise='clipped_normal', shift_prob=0,
    scale_mode='log2', scale_factor=0.25, rotate_factor=30,
    rotate_prob=0.4``: scale ``2 ** clip(N(0, .25), +-.5)``, rotation
    ``clip(N(0, 30), +-60)`` on 40 % of the samples.

    Required keys: ``bbox_center``, ``bbox_scale``. Modified keys: the same.
    Added keys: ``bbox_rotation`` (N,).

    Args:
        shift_factor (float): Defaults to 0.16.
        shift_prob (float): Defaults to 0.3.
        scale_factor (tuple[float, float] | float): ``'linear'``: range of
            the scale multiplier, a float ``f`` means ``(1 - f, 1 + f)``;
            ``'log2'``: the float std of ``log2`` of the multiplier.
            Defaults to ``(0.5, 1.5)``.
        scale_prob (float): Defaults to 1.0.
        rotate_factor (float): Rotation in degrees for ``t = 1``. Defaults
            to 80.
        rotate_prob (float): Defaults to 0.6.
        noise (str): ``'truncnorm'`` (default) or ``'clipped_normal'``.
        scale_mode (str): ``'linear'`` (default) or ``'log2'``.
    """

    NOISES = ('truncnorm', 'clipped_normal')
    SCALE_MODES = ('linear', 'log2')

    def __init__(self,
                 shift_factor: float = 0.16,
                 shift_prob: float = 0.3,
                 scale_factor: Union[Tuple[float, float],
                                     float] = (0.5, 1.5),
                 scale_prob: float = 1.0,
                 rotate_factor: float = 80.0,
                 rotate_prob: float = 0.6,
                 noise: str = 'truncnorm',
                 scale_mode: str = 'linear') -> None:
        super().__init__()
        if noise not in self.NOISES:
            raise ValueError(f'noise must be one of {self.NOISES}, got '
                             f'{noise!r}')
        if scale_mode not in self.SCALE_MODES:
            raise ValueError(f'scale_mode must be one of {self.SCALE_MODES}'
                             f', got {scale_mode!r}')
        if scale_mode == 'log2':
            if not isinstance(scale_factor, (int, float)) or \
                    not scale_factor >= 0:
                raise ValueError("scale_mode='log2' needs scale_factor as "
                                 'a float >= 0 (std of log2 of the scale), '
                                 f'got {scale_factor!r}')
            scale_factor = float(scale_factor)
        else:
            if isinstance(scale_factor, (int, float)):
                scale_factor = (1. - scale_factor, 1. + scale_factor)
            scale_factor = tuple(float(s) for s in scale_factor)
            if len(scale_factor) != 2 or not 0 < scale_factor[0] <= \
                    scale_factor[1]:
                raise ValueError('scale_factor must be (min, max) with '
                                 f'0 < min <= max, got {scale_factor}')
        self.noise = noise
        self.scale_mode = scale_mode
        self.shift_factor = shift_factor
        self.shift_prob = shift_prob
        self.scale_factor = scale_factor
        self.scale_prob = scale_prob
        self.rotate_factor = rotate_factor
        self.rotate_prob = rotate_prob

    @staticmethod
    def _truncnorm(size, rng) -> np.ndarray:
        return truncnorm.rvs(-1., 1., size=size,
                             random_state=rng).astype(np.float32)

    @staticmethod
    def _clipped_normal(size, rng) -> np.ndarray:
        return np.clip(rng.standard_normal(size), -2.,
                       2.).astype(np.float32)

    @cache_randomness
    def _get_transform_params(self, num_bboxes: int, rng):
        if self.noise == 'truncnorm':
            t = self._truncnorm((num_bboxes, 4), rng)
        else:
            t = self._clipped_normal((num_bboxes, 4), rng)
        offset = t[:, :2] * self.shift_factor
        offset = np.where(
            rng.random((num_bboxes, 1)) < self.shift_prob, offset, 0.)
        if self.scale_mode == 'log2':
            scale = np.exp2(t[:, 2:3] * self.scale_factor)
        else:
            lo, hi = self.scale_factor
            scale = t[:, 2:3] * (hi - lo) * 0.5 + (hi + lo) * 0.5
        scale = np.where(
            rng.random((num_bboxes, 1)) < self.scale_prob, scale, 1.)
        rotate = t[:, 3] * self.rotate_factor
        rotate = np.where(
            rng.random(num_bboxes) < self.rotate_prob, rotate, 0.)
        return (offset.astype(np.float32), scale.astype(np.float32),
                rotate.astype(np.float32))

    def transform(self, results: dict) -> dict:
        scale = np.asarray(results['bbox_scale'], dtype=np.float32)
        center = np.asarray(results['bbox_center'], dtype=np.float32)
        offset, factor, rotate = self._get_transform_params(
            scale.shape[0], sample_rng(results))
        results['bbox_center'] = center + offset * scale
        results['bbox_scale'] = scale * factor
        results['bbox_rotation'] = rotate
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(shift_factor={self.shift_factor}'
                f', shift_prob={self.shift_prob}, scale_factor='
                f'{self.scale_factor}, scale_prob={self.scale_prob}, '
                f'rotate_factor={self.rotate_factor}, rotate_prob='
                f'{self.rotate_prob}, noise={self.noise!r}, '
                f'scale_mode={self.scale_mode!r})')


@TRANSFORMS.register_module()
class GenerateTarget(BaseTransform):
    """Encode keypoints into training targets with a codec.

    Uses ``transformed_keypoints`` (set by ``TopdownAffine``) or else
    ``keypoints``, with ``keypoints_visible`` and the codec's
    ``auxiliary_encode_keys`` taken from the results. The encoded items are
    merged into the results; the codec's non-empty ``field_mapping_table``,
    ``instance_mapping_table`` and ``label_mapping_table`` are stored under
    those names so ``PackPoseInputs`` knows where each item goes.

    Non-finite keypoints are made invisible (in ``results`` too) and set to
    0 for the codec, with a warning, so they get weight 0 and never NaN
    targets.

    Args:
        encoder (dict | list[dict]): Codec config(s) for ``KEYPOINT_CODECS``.
        multilevel (bool): With several encoders, whether they encode the
            same items at several levels (outputs become per-key lists)
            rather than different items (outputs merged; several
            ``keypoint_weights`` are multiplied). Defaults to False.
        use_dataset_keypoint_weights (bool): Multiply ``keypoint_weights`` by
            ``results['dataset_keypoint_weights']`` (K,). Defaults to False.
    """

    def __init__(self,
                 encoder: Union[dict, List[dict]],
                 multilevel: bool = False,
                 use_dataset_keypoint_weights: bool = False) -> None:
        super().__init__()
        self.encoder_cfg = encoder
        self.multilevel = multilevel
        self.use_dataset_keypoint_weights = use_dataset_keypoint_weights
        if isinstance(encoder, (list, tuple)):
            if not encoder:
                raise ValueError('GenerateTarget got an empty encoder list')
            self.encoder = [self._build(cfg) for cfg in encoder]
        else:
            if multilevel:
                raise ValueError('multilevel=True needs a list of encoders')
            self.encoder = self._build(encoder)

    @staticmethod
    def _build(cfg):
        if isinstance(cfg, dict):
            return KEYPOINT_CODECS.build(cfg)
        return cfg  # an already-built codec

    def _keypoints(self, results: dict):
        if results.get('transformed_keypoints') is not None:
            keypoints = results['transformed_keypoints']
        elif results.get('keypoints') is not None:
            keypoints = results['keypoints']
        else:
            raise KeyError('GenerateTarget needs "transformed_keypoints" or '
                           f'"keypoints" for {_describe(results)}')
        keypoints = np.array(keypoints, dtype=np.float32, copy=True)

        visible = results.get('keypoints_visible')
        if visible is None:
            visible = np.ones(keypoints.shape[:-1], dtype=np.float32)
        visible = np.array(visible, dtype=np.float32, copy=True)
        if visible.ndim == keypoints.ndim and visible.shape[-1] == 2:
            # (N, K, 2): visibility and per-keypoint visibility weights
            results['keypoints_visible_weights'] = visible[..., 1].copy()
            visible = visible[..., 0].copy()
        if visible.shape != keypoints.shape[:-1]:
            raise ValueError(f'keypoints_visible shape {visible.shape} does '
                             f'not match keypoints {keypoints.shape} for '
                             f'{_describe(results)}')

        bad = ~np.isfinite(keypoints).all(-1) | ~np.isfinite(visible)
        if bad.any():
            print_log(
                f'GenerateTarget: {int(bad.sum())} non-finite keypoint(s) '
                f'in {_describe(results)} treated as invisible',
                logger='current',
                level=logging.WARNING)
            keypoints[bad] = 0.
            visible[bad] = 0.
        results['keypoints_visible'] = visible
        return keypoints, visible

    @staticmethod
    def _encode(codec, keypoints, visible, results):
        aux = {k: results.get(k) for k in codec.auxiliary_encode_keys}
        return codec.encode(
            keypoints=keypoints, keypoints_visible=visible, **aux)

    def transform(self, results: dict) -> dict:
        keypoints, visible = self._keypoints(results)
        codecs = self.encoder if isinstance(self.encoder,
                                            list) else [self.encoder]
        encoded_list = [
            self._encode(c, keypoints, visible, results) for c in codecs
        ]

        if len(codecs) == 1:
            encoded = dict(encoded_list[0])
        elif self.multilevel:
            keys = set(encoded_list[0])
            if any(set(e) != keys for e in encoded_list):
                got = [sorted(e) for e in encoded_list]
                raise ValueError('multilevel encoders must produce the same '
                                 f'items, got {got}')
            encoded = {
                k: [e[k] for e in encoded_list]
                for k in encoded_list[0]
            }
        else:
            encoded = dict()
            weights = None
            for e in encoded_list:
                for key, value in e.items():
                    if key == 'keypoint_weights':
                        weights = value if weights is None else \
                            weights * value
                    elif key in encoded:
                        raise ValueError(
                            f'encoders of GenerateTarget both produce "{key}"'
                            '; use multilevel=True for per-level targets')
                    else:
                        encoded[key] = value
            if weights is not None:
                encoded['keypoint_weights'] = weights

        if self.use_dataset_keypoint_weights and 'keypoint_weights' in encoded:
            if results.get('dataset_keypoint_weights') is None:
                raise KeyError('use_dataset_keypoint_weights=True needs '
                               '"dataset_keypoint_weights" in results for '
                               f'{_describe(results)}')
            dw = np.asarray(results['dataset_keypoint_weights'],
                            dtype=np.float32)
            w = encoded['keypoint_weights']
            encoded['keypoint_weights'] = [x * dw for x in w] if isinstance(
                w, list) else w * dw

        for table in ('field_mapping_table', 'instance_mapping_table',
                      'label_mapping_table'):
            merged = dict()
            for codec in codecs:
                merged.update(getattr(codec, table, None) or {})
            if merged:
                encoded[table] = merged

        results.update(encoded)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(encoder={self.encoder_cfg!r}, '
                f'multilevel={self.multilevel}, '
                'use_dataset_keypoint_weights='
                f'{self.use_dataset_keypoint_weights})')
