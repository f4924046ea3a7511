"""Colour augmentation of the official Stacked Hourglass code.

``RandomChannelScale``: every colour channel of the image is multiplied by
its own factor drawn from ``U(low, high)`` and clipped to the value range,
as in princeton-vl/pose-hg-train ``src/util/pose.lua`` (``generateSample``:
``inp[c]:mul(torch.uniform(0.6, 1.4)):clamp(0, 1)`` for c = 1, 2, 3, after
the crop and the flip, on images in [0, 1]).
"""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from kp_ext.datasets.sample_rng import sample_rng
from kp_ext.registry import TRANSFORMS
from .loading import _describe

__all__ = ['RandomChannelScale']


@TRANSFORMS.register_module()
class RandomChannelScale(BaseTransform):
    """Multiply each image channel by an independent ``U(low, high)``
    factor and clip to ``[0, max_value]`` (Newell et al.'s official colour
    augmentation: ``factor_range=(0.6, 1.4)``).

    Place it after ``TopdownAffine`` (the official code scales the crop, so
    its zero padding stays 0). ``uint8`` images are rounded back to
    ``uint8``; float images stay float. Required / modified key: ``img``
    (H, W, C). Added key: ``channel_scale`` (C,) float32, the factors used.

    Args:
        factor_range (Sequence[float]): ``(low, high)``, 0 <= low <= high.
            Defaults to ``(0.6, 1.4)``.
        max_value (float): upper clip value. Defaults to 255 (8-bit images;
            the official code's images are in [0, 1]).
        prob (float): probability of scaling an image at all. Defaults to 1
            (the official code scales every training image).
    """

    def __init__(self,
                 factor_range: Sequence[float] = (0.6, 1.4),
                 max_value: float = 255.0,
                 prob: float = 1.0) -> None:
        super().__init__()
        factor_range = tuple(float(f) for f in factor_range)
        if len(factor_range) != 2 or not 0 <= factor_range[0] <= \
                factor_range[1]:
            raise ValueError('factor_range must be (low, high) with '
                             f'0 <= low <= high, got {factor_range}')
        if not max_value > 0:
            raise ValueError(f'max_value must be > 0, got {max_value}')
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.factor_range = factor_range
        self.max_value = float(max_value)
        self.prob = float(prob)

    @cache_randomness
    def _get_factors(self, num_channels: int, rng):
        """Drawn from the sample's generator
        (:mod:`kp_ext.datasets.sample_rng`)."""
        if rng.random() >= self.prob:
            return None
        low, high = self.factor_range
        return rng.uniform(low, high, num_channels).astype(np.float32)

    def transform(self, results: dict) -> dict:
        img = results.get('img')
        if not isinstance(img, np.ndarray) or img.ndim != 3:
            raise ValueError('RandomChannelScale expects "img" as an (H, W, '
                             f'C) array, got {type(img).__name__} '
                             f'{getattr(img, "shape", "")} for '
                             f'{_describe(results)}')
        factors = self._get_factors(img.shape[2], sample_rng(results))
        if factors is None:
            results['channel_scale'] = np.ones(img.shape[2], np.float32)
            return results
        out = np.clip(img.astype(np.float32) * factors, 0.0, self.max_value)
        if img.dtype == np.uint8:
            out = np.rint(out).astype(np.uint8)
        else:
            out = out.astype(img.dtype, copy=False)
        results['img'] = out
        results['channel_scale'] = factors
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(factor_range={self.factor_range}'
                f', max_value={self.max_value}, prob={self.prob})')
