"""Top-down crop: warp the box region of the image to the model input."""
import math
from typing import Optional, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from kp_ext.registry import TRANSFORMS
from kp_ext.structures import apply_affine, fix_aspect_ratio, get_warp_matrix
from .loading import _describe

__all__ = ['TopdownAffine', 'get_udp_warp_matrix']


def get_udp_warp_matrix(center, scale, rot: float,
                        output_size) -> np.ndarray:
    """2x3 affine matrix of unbiased data processing (UDP, CVPR 2020).

    Maps the box centre to ``((w - 1) / 2, (h - 1) / 2)`` and the box size
    ``scale`` to ``output_size - 1`` pixel steps, so that the first and last
    pixel centres of the crop span the box; ``rot`` (degrees) turns the box
    in the same sense as :func:`kp_ext.structures.get_warp_matrix`.
    """
    cx, cy = float(center[0]), float(center[1])
    sx = (output_size[0] - 1.) / float(scale[0])
    sy = (output_size[1] - 1.) / float(scale[1])
    r = math.radians(rot)
    cs, sn = math.cos(r), math.sin(r)
    # rotate about the box centre by -rot, scale, then move the centre to
    # the crop centre
    mat = np.array([[cs * sx, sn * sx, 0.], [-sn * sy, cs * sy, 0.]],
                   dtype=np.float64)
    mat[0, 2] = (output_size[0] - 1.) * 0.5 - (mat[0, 0] * cx +
                                                mat[0, 1] * cy)
    mat[1, 2] = (output_size[1] - 1.) * 0.5 - (mat[1, 0] * cx +
                                                mat[1, 1] * cy)
    return mat


@TRANSFORMS.register_module()
class TopdownAffine(BaseTransform):
    """Crop the box region to the model input by an affine warp.

    Required keys: ``img``, ``bbox_center`` (1, 2), ``bbox_scale`` (1, 2),
    optional ``bbox_rotation`` (1,), ``keypoints`` (1, K, 2).
    Modified keys: ``img`` (now ``input_size``), ``bbox_scale`` (aspect ratio
    fixed to ``w / h`` of ``input_size`` by growing the shorter side).
    As in MMPose, ``img_shape`` keeps the shape of the loaded image.
    Added keys: ``input_size`` (w, h), ``input_center`` (2,),
    ``input_scale`` (2,), ``transformed_keypoints`` (keypoints in crop
    pixels; ``keypoints`` stay in image pixels).

    The box centre lands on the crop centre ``(w/2, h/2)`` (or
    ``((w-1)/2, (h-1)/2)`` with ``use_udp``) and the box width on the crop
    width. Bilinear interpolation, zero border.

    Args:
        input_size (tuple[int, int]): Model input (w, h).
        use_udp (bool): Use the unbiased (UDP) warp. Defaults to False.
    """

    def __init__(self, input_size: Sequence[int],
                 use_udp: bool = False) -> None:
        super().__init__()
        if len(input_size) != 2 or any(
                int(s) != s or s <= 0 for s in input_size):
            raise ValueError(
                f'input_size must be two positive ints (w, h), got '
                f'{input_size}')
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.use_udp = use_udp

    def _warp(self, center, scale, rot) -> np.ndarray:
        if self.use_udp:
            return get_udp_warp_matrix(center, scale, rot, self.input_size)
        return get_warp_matrix(center, scale, rot, self.input_size)

    def transform(self, results: dict) -> Optional[dict]:
        w, h = self.input_size
        center = np.asarray(results['bbox_center'], dtype=np.float32)
        scale = np.asarray(results['bbox_scale'], dtype=np.float32)
        if center.shape != (1, 2) or scale.shape != (1, 2):
            raise ValueError(
                'TopdownAffine handles one instance per sample: got '
                f'bbox_center {center.shape}, bbox_scale {scale.shape} for '
                f'{_describe(results)}')
        scale = fix_aspect_ratio(scale, aspect_ratio=w / h)
        if not (np.isfinite(center).all() and np.isfinite(scale).all()
                and (scale > 0).all()):
            raise ValueError(f'invalid box (centre {center[0].tolist()}, '
                             f'size {scale[0].tolist()}) for '
                             f'{_describe(results)}')
        results['bbox_scale'] = scale
        rot = 0.
        if results.get('bbox_rotation') is not None:
            rot = float(np.asarray(results['bbox_rotation']).reshape(-1)[0])

        warp_mat = self._warp(center[0], scale[0], rot)

        def warp(img):
            return cv2.warpAffine(
                np.ascontiguousarray(img),
                warp_mat, (w, h),
                flags=cv2.INTER_LINEAR)

        if isinstance(results['img'], list):
            results['img'] = [warp(img) for img in results['img']]
        else:
            results['img'] = warp(results['img'])

        if results.get('keypoints') is not None:
            keypoints = np.asarray(results['keypoints'], dtype=np.float32)
            transformed = keypoints.copy()
            transformed[..., :2] = apply_affine(keypoints[..., :2], warp_mat)
            results['transformed_keypoints'] = transformed.astype(np.float32)

        results['input_size'] = (w, h)
        results['input_center'] = center[0].copy()
        results['input_scale'] = scale[0].copy()
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'use_udp={self.use_udp})')
