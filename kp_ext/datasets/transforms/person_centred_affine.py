"""Person-centred random crop of the OpenPose reference training.

The reference (ZheC/Realtime_Multi-Person_Pose_Estimation
``training/setLayers.py`` ``transform_param``, implemented by caffe_train's
``cpm_data_transformer.cpp``) makes one training sample per annotated
"main" person and augments it by:

- scale: the person's box height becomes ``target_dist`` (0.6) of the crop
  height, times a multiplier drawn uniformly in ``[scale_min, scale_max]``
  = [0.5, 1.1] (with probability ``scale_prob`` = 1);
- rotation: uniform in +-``max_rotate_degree`` (40) degrees;
- crop: ``crop_size`` (368 x 368) centred on the person's box centre, moved
  by a uniform offset of up to +-``center_perterb_max`` (40) crop pixels on
  each axis; outside the image is grey (128);
- a horizontal flip with probability 0.5 (``RandomFlip`` before this
  transform; mirroring commutes with the crop).

:class:`PersonCentredRandomAffine` does this on a bottom-up sample (one
image, all its people): at every call it picks one of the image's people
that qualify as main persons (at least ``min_keypoints`` labelled
keypoints and an area of at least ``min_area`` px, the reference's
``genJSON`` filter) uniformly at random, so each qualifying person is a
crop centre as in the reference, though images are visited once per epoch
rather than once per main person. An image without such a person is
resized so that its height fills the crop, centred. Every other key is
handled as by :class:`BottomupRandomAffine` (keypoints, boxes and the
invalid mask move with the image; see ``bottomup_transforms``).
"""
from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from kp_ext.datasets.sample_rng import sample_rng
from kp_ext.registry import TRANSFORMS
from kp_ext.structures import get_warp_matrix
from .bottomup_transforms import _check_size, _image_hw, _warp_sample
from .loading import _describe

__all__ = ['PersonCentredRandomAffine']


@TRANSFORMS.register_module()
class PersonCentredRandomAffine(BaseTransform):
    """Crop ``input_size`` around a random main person (module doc).

    Required keys: ``img``, ``bbox`` (N, 4) xyxy, ``keypoints_visible``
    (N, K); optional ``area`` (N,), ``keypoints``, ``invalid_mask`` /
    ``invalid_segs``.
    Modified / added keys: as :class:`BottomupRandomAffine` (``img``,
    ``img_shape``, ``keypoints``, ``bbox``, ``invalid_mask``,
    ``invalid_segs``, ``input_size``, ``input_center``, ``input_scale``,
    ``input_rotation``, ``warp_mat``), plus ``main_person`` (index, -1
    when none qualified).

    Args:
        input_size (tuple[int, int]): crop (w, h). Default (368, 368).
        target_dist (float): person box height / crop height at scale
            multiplier 1. Default 0.6.
        scale_range (tuple[float, float]): uniform scale multiplier.
            Default (0.5, 1.1).
        scale_prob (float): probability of drawing the multiplier (else 1).
            Default 1.
        rotate_factor (float): uniform rotation range in degrees. Default
            40.
        center_shift (float): uniform crop-centre offset range, in crop
            pixels, per axis. Default 40.
        min_keypoints (int): labelled keypoints of a main person. Default
            5.
        min_area (float): area (``area`` key, else box area) of a main
            person, image px. Default 32 * 32.
        pad_val (float | tuple): border value. Default 128.
    """

    def __init__(self,
                 input_size: Sequence[int] = (368, 368),
                 target_dist: float = 0.6,
                 scale_range: Tuple[float, float] = (0.5, 1.1),
                 scale_prob: float = 1.0,
                 rotate_factor: float = 40.0,
                 center_shift: float = 40.0,
                 min_keypoints: int = 5,
                 min_area: float = 32 * 32,
                 pad_val: Union[float, Sequence[float]] = 128) -> None:
        super().__init__()
        self.input_size = _check_size(input_size)
        if target_dist <= 0:
            raise ValueError(f'target_dist must be > 0, got {target_dist}')
        if len(scale_range) != 2 or not 0 < scale_range[0] <= \
                scale_range[1]:
            raise ValueError('scale_range must be (min, max) with 0 < min '
                             f'<= max, got {scale_range}')
        if not 0 <= scale_prob <= 1:
            raise ValueError(f'scale_prob must be in [0, 1], got '
                             f'{scale_prob}')
        if rotate_factor < 0 or center_shift < 0:
            raise ValueError('rotate_factor and center_shift must be >= 0')
        self.target_dist = float(target_dist)
        self.scale_range = (float(scale_range[0]), float(scale_range[1]))
        self.scale_prob = float(scale_prob)
        self.rotate_factor = float(rotate_factor)
        self.center_shift = float(center_shift)
        self.min_keypoints = int(min_keypoints)
        self.min_area = float(min_area)
        self.pad_val = pad_val

    def main_persons(self, results: dict) -> np.ndarray:
        """Indices of the people that qualify as crop centres."""
        bbox = results.get('bbox')
        if bbox is None:
            return np.zeros(0, np.int64)
        bbox = np.asarray(bbox, np.float64).reshape(-1, 4)
        vis = results.get('keypoints_visible')
        if vis is None:
            raise KeyError('PersonCentredRandomAffine needs '
                           f'"keypoints_visible" for {_describe(results)}')
        vis = np.asarray(vis).reshape(len(bbox), -1)
        n_kpts = (np.nan_to_num(vis, nan=0.0) > 0).sum(1)
        area = results.get('area')
        if area is None:
            area = (bbox[:, 2] - bbox[:, 0]) * (bbox[:, 3] - bbox[:, 1])
        area = np.asarray(area, np.float64).reshape(-1)
        ok = (n_kpts >= self.min_keypoints) & (area >= self.min_area) & \
            (bbox[:, 3] > bbox[:, 1])
        return np.flatnonzero(ok)

    @cache_randomness
    def _draw(self, num_candidates: int, rng) -> Tuple[int, float, float,
                                                       np.ndarray]:
        """(candidate index or -1, scale multiplier, rotation degrees,
        centre offset (2,) in crop px), drawn from the sample's generator
        (:mod:`kp_ext.datasets.sample_rng`)."""
        pick = int(rng.integers(num_candidates)) if num_candidates else -1
        mult = 1.0
        if rng.random() < self.scale_prob:
            lo, hi = self.scale_range
            mult = lo + (hi - lo) * rng.random()
        rotate = (rng.random() * 2 - 1) * self.rotate_factor
        offset = (rng.random(2) * 2 - 1) * self.center_shift
        return pick, float(mult), float(rotate), offset

    def transform(self, results: dict) -> dict:
        if results.get('img') is None:
            raise KeyError('PersonCentredRandomAffine needs "img" for '
                           f'{_describe(results)}')
        img_h, img_w = _image_hw(results)
        w, h = self.input_size
        cands = self.main_persons(results)
        pick, mult, rotate, offset = self._draw(len(cands),
                                                sample_rng(results))
        if pick >= 0:
            person = int(cands[pick])
            x0, y0, x1, y1 = np.asarray(results['bbox'],
                                        np.float64).reshape(-1, 4)[person]
            centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
            zoom = self.target_dist * h / (y1 - y0) * mult
        else:
            person = -1
            centre = np.array([img_w / 2., img_h / 2.])
            zoom = h / img_h * mult
        region = np.array([w, h], np.float64) / zoom
        warp_mat = get_warp_matrix(centre.astype(np.float32),
                                   region.astype(np.float32), rotate,
                                   (w, h)).astype(np.float64)
        # the crop centre moves by `offset` crop px (after the rotation, as
        # the reference crops the rotated image): the person moves by -offset
        warp_mat[:, 2] -= offset
        inv = np.linalg.inv(np.vstack([warp_mat, [0., 0., 1.]]))[:2]
        centre = inv[:, :2] @ np.array([w / 2., h / 2.]) + inv[:, 2]
        _warp_sample(results, (img_h, img_w), warp_mat, (w, h), zoom,
                     self.pad_val, centre, region, rotate)
        results['main_person'] = person
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'target_dist={self.target_dist}, scale_range='
                f'{self.scale_range}, scale_prob={self.scale_prob}, '
                f'rotate_factor={self.rotate_factor}, center_shift='
                f'{self.center_shift}, min_keypoints={self.min_keypoints}, '
                f'min_area={self.min_area}, pad_val={self.pad_val})')
