"""Heatmap regression losses (MMPose names and semantics).

``KeypointMSELoss``: per-pixel squared error, each keypoint channel scaled by
its target weight (B, K) (0 for unlabelled keypoints), averaged over all
elements -- the loss of Newell et al. with MMPose's masking.
``KeypointOHKMMSELoss``: online hard keypoint mining (Chen et al., CPN):
only the ``topk`` keypoints with the largest loss per sample contribute.
``AdaptiveWingLoss``: Wang, Bo and Fuxin, "Adaptive Wing Loss for Robust
Face Alignment via Heatmap Regression", ICCV 2019, Eq. 6-8.
"""
from typing import Optional

import torch

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from kp_ext.registry import MODELS

__all__ = ['KeypointMSELoss', 'KeypointOHKMMSELoss', 'AdaptiveWingLoss']


def _check_shapes(output: Tensor, target: Tensor):
    if output.shape != target.shape:
        raise ValueError(f'output {tuple(output.shape)} and target '
                         f'{tuple(target.shape)} differ in shape')
    if output.ndim < 3:
        raise ValueError('heatmaps must be (B, K, ...), got shape '
                         f'{tuple(output.shape)}')


def _require_target_weights(target_weights: Optional[Tensor]) -> Tensor:
    """The (B, K) keypoint weights that ``use_target_weight=True`` needs."""
    if target_weights is None:
        raise ValueError('use_target_weight=True needs target_weights')
    return target_weights


def _channel_mask(output: Tensor, target_weights: Tensor) -> Tensor:
    """(B, K) or (B, K, ...) weights broadcast to the heatmap shape."""
    if target_weights.shape[:2] != output.shape[:2]:
        raise ValueError(f'target_weights {tuple(target_weights.shape)} do '
                         f'not match heatmaps {tuple(output.shape)} in (B, K)')
    extra = output.ndim - target_weights.ndim
    return target_weights.reshape(*target_weights.shape,
                                  *([1] * extra)).to(output.dtype)


@MODELS.register_module()
class KeypointMSELoss(nn.Module):
    """Masked MSE between predicted and target heatmaps.

    Args:
        use_target_weight (bool): scale each keypoint channel by its weight
            (B, K). Default: True.
        skip_empty_channel (bool): also drop channels whose target is all
            zeros. Default: False.
        loss_weight (float): multiplier of the loss. Default: 1.0.
    """

    def __init__(self,
                 use_target_weight: bool = True,
                 skip_empty_channel: bool = False,
                 loss_weight: float = 1.0):
        super().__init__()
        self.use_target_weight = use_target_weight
        self.skip_empty_channel = skip_empty_channel
        self.loss_weight = loss_weight

    def _mask(self, output: Tensor, target: Tensor,
              target_weights: Optional[Tensor],
              mask: Optional[Tensor]) -> Optional[Tensor]:
        out_mask = None
        if self.use_target_weight:
            out_mask = _channel_mask(
                output, _require_target_weights(target_weights))
        if mask is not None:
            mask = mask.to(output.dtype)
            out_mask = mask if out_mask is None else out_mask * mask
        if self.skip_empty_channel:
            nonempty = (target != 0).flatten(2).any(dim=2)
            ch = _channel_mask(output, nonempty)
            out_mask = ch if out_mask is None else out_mask * ch
        return out_mask

    def forward(self,
                output: Tensor,
                target: Tensor,
                target_weights: Optional[Tensor] = None,
                mask: Optional[Tensor] = None) -> Tensor:
        """Args:
            output, target: (B, K, H, W).
            target_weights: (B, K) keypoint weights.
            mask: optional pixel mask broadcastable to (B, K, H, W).
        """
        _check_shapes(output, target)
        loss = F.mse_loss(output, target, reduction='none')
        m = self._mask(output, target, target_weights, mask)
        if m is not None:
            loss = loss * m
        return loss.mean() * self.loss_weight


@MODELS.register_module()
class KeypointOHKMMSELoss(nn.Module):
    """MSE with online hard keypoint mining.

    Per sample, the per-keypoint losses (mean over pixels, times the
    keypoint weight) are ranked and the mean of the ``topk`` largest is
    kept; the result is averaged over the batch.

    Args:
        use_target_weight (bool): Default: True.
        topk (int): keypoints kept per sample. Default: 8.
        loss_weight (float): Default: 1.0.
    """

    def __init__(self,
                 use_target_weight: bool = True,
                 topk: int = 8,
                 loss_weight: float = 1.0):
        super().__init__()
        if topk <= 0:
            raise ValueError(f'topk must be > 0, got {topk}')
        self.use_target_weight = use_target_weight
        self.topk = topk
        self.loss_weight = loss_weight

    def forward(self,
                output: Tensor,
                target: Tensor,
                target_weights: Optional[Tensor] = None) -> Tensor:
        _check_shapes(output, target)
        k = output.shape[1]
        if k < self.topk:
            raise ValueError(f'topk ({self.topk}) exceeds the number of '
                             f'keypoints ({k})')
        per_kpt = F.mse_loss(output, target, reduction='none')
        per_kpt = per_kpt.flatten(2).mean(dim=2)  # (B, K)
        if self.use_target_weight:
            per_kpt = per_kpt * _require_target_weights(
                target_weights).reshape(per_kpt.shape).to(per_kpt.dtype)
        hard, _ = per_kpt.topk(self.topk, dim=1)
        return hard.mean() * self.loss_weight


@MODELS.register_module()
class AdaptiveWingLoss(nn.Module):
    """Adaptive Wing loss on heatmaps (Wang et al., ICCV 2019, Eq. 6-8).

    With ``d = |y - y_hat|`` per pixel and target value ``y`` in [0, 1]::

        AWing = omega * ln(1 + (d / epsilon) ** (alpha - y))   if d < theta
                A * d - C                                      otherwise
        A = omega / (1 + (theta / epsilon) ** (alpha - y)) * (alpha - y)
            * (theta / epsilon) ** (alpha - y - 1) / epsilon
        C = theta * A - omega * ln(1 + (theta / epsilon) ** (alpha - y))

    so that the two pieces meet with equal value and slope at ``theta``.
    Near the peak (``y`` ~ 1, exponent ~ 1.1) small errors keep a large
    gradient, unlike MSE; on the background (``y`` ~ 0, exponent 2.1) it
    behaves like a scaled MSE. Averaged over all elements, each keypoint
    channel scaled by its target weight (as ``KeypointMSELoss``). The paper's
    defaults: ``alpha=2.1, omega=14, epsilon=1, theta=0.5``. Computed in
    float32 (also under bf16 autocast). The paper's weighted loss map is not
    part of this loss.

    Args:
        alpha, omega, epsilon, theta (float): Eq. 8's constants.
        use_target_weight (bool): Default: True.
        loss_weight (float): Default: 1.0.
    """

    def __init__(self,
                 alpha: float = 2.1,
                 omega: float = 14.0,
                 epsilon: float = 1.0,
                 theta: float = 0.5,
                 use_target_weight: bool = True,
                 loss_weight: float = 1.0):
        super().__init__()
        if not alpha > 1:
            raise ValueError(f'alpha must be > 1 (the exponent alpha - y '
                             f'stays > 0 for y in [0, 1]), got {alpha}')
        for name, v in (('omega', omega), ('epsilon', epsilon),
                        ('theta', theta)):
            if not v > 0:
                raise ValueError(f'{name} must be > 0, got {v}')
        self.alpha = float(alpha)
        self.omega = float(omega)
        self.epsilon = float(epsilon)
        self.theta = float(theta)
        self.use_target_weight = use_target_weight
        self.loss_weight = loss_weight

    def forward(self,
                output: Tensor,
                target: Tensor,
                target_weights: Optional[Tensor] = None) -> Tensor:
        """Args:
            output, target: (B, K, H, W); target values in [0, 1].
            target_weights: (B, K) keypoint weights.
        """
        _check_shapes(output, target)
        output = output.float()
        target = target.float()
        d = (target - output).abs()
        e = self.alpha - target
        r = self.theta / self.epsilon
        r_e = r ** e
        a = self.omega / (1 + r_e) * e * r ** (e - 1) / self.epsilon
        c = self.theta * a - self.omega * torch.log1p(r_e)
        loss = torch.where(
            d < self.theta,
            self.omega * torch.log1p((d / self.epsilon) ** e),
            a * d - c)
        if self.use_target_weight:
            loss = loss * _channel_mask(
                loss, _require_target_weights(target_weights))
        return loss.mean() * self.loss_weight
