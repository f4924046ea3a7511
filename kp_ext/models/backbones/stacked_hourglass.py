"""Stacked Hourglass network (Newell, Yang and Deng, ECCV 2016).

This is the network of the paper (and of Newell's torch code,
``pose-hg-train/src/models/hg.lua``), not the CornerNet variant that MMPose
ships as ``HourglassNet``:

- stem: 7x7 stride-2 conv (64) + BN + ReLU, residual 64->128, 2x2 max-pool,
  residual 128->128, residual 128->``num_channels``: features at 1/4 of the
  input resolution;
- every residual module is a pre-activation bottleneck
  (BN-ReLU-conv1x1 c/2, BN-ReLU-conv3x3 c/2, BN-ReLU-conv1x1 c) with a 1x1
  skip conv when the channel count changes;
- an hourglass of depth ``d`` adds an upper branch (``num_blocks``
  residuals at full resolution) to a lower branch (max-pool, residuals,
  hourglass of depth ``d - 1`` or residuals at the bottom, residuals,
  nearest x2 upsampling);
- after each hourglass: residuals, a 1x1 conv + BN + ReLU ("lin") and a 1x1
  conv to ``out_channels`` heatmaps; except after the last stack, the
  features and the predictions are both mapped back by 1x1 convs and added
  to the stack's input to form the next stack's input. Stacks share no
  weights.

``forward`` returns one (B, out_channels, H/4, W/4) prediction per stack, so
that a multi-stage head can supervise every stack (intermediate
supervision).

``channels_last=True`` (a kp_ext option, as ``OpenPoseVGG``'s) runs the
network on NHWC activations (faster oneDNN kernels on CPU: 313 against 366
ms for a training step of the faces config's 2x64 net, batch 16 at 128 px,
bf16 autocast, 2 threads); the values are those of NCHW up to rounding.
"""
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule, initialize

from kp_ext.registry import MODELS

__all__ = ['StackedHourglass']


class PreActBottleneck(nn.Module):
    """Newell's residual module (pre-activation bottleneck).

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels; the bottleneck has
            ``out_channels // 2`` channels.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        if out_channels % 2:
            raise ValueError(
                f'out_channels must be even, got {out_channels}')
        mid = out_channels // 2
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.branch = nn.Sequential(
            nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True),
            nn.Conv2d(in_channels, mid, 1),
            nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, 3, padding=1),
            nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_channels, 1))
        self.skip = (nn.Identity() if in_channels == out_channels else
                     nn.Conv2d(in_channels, out_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The first BN-ReLU must not act in place on ``x``: the skip path
        # still needs it (BatchNorm returns a new tensor, so it does not).
        return self.branch(x) + self.skip(x)


def _residuals(in_channels: int, out_channels: int, num: int) -> nn.Sequential:
    layers = [PreActBottleneck(in_channels, out_channels)]
    layers += [
        PreActBottleneck(out_channels, out_channels) for _ in range(num - 1)
    ]
    return nn.Sequential(*layers)


class Hourglass(nn.Module):
    """One recursive hourglass module of ``depth`` poolings.

    Args:
        depth (int): number of 2x down-samplings (4 in the paper).
        channels (int): feature channels (kept throughout).
        num_blocks (int): residual modules at each position.
    """

    def __init__(self, depth: int, channels: int, num_blocks: int = 1):
        super().__init__()
        if depth < 1:
            raise ValueError(f'depth must be >= 1, got {depth}')
        self.depth = depth
        self.up1 = _residuals(channels, channels, num_blocks)
        self.low1 = _residuals(channels, channels, num_blocks)
        if depth > 1:
            self.low2 = Hourglass(depth - 1, channels, num_blocks)
        else:
            self.low2 = _residuals(channels, channels, num_blocks)
        self.low3 = _residuals(channels, channels, num_blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        div = 2**self.depth
        if h % div or w % div:
            raise ValueError(
                f'Hourglass of depth {self.depth} needs a feature map '
                f'divisible by {div}, got {h}x{w}')
        up1 = self.up1(x)
        low = self.low1(F.max_pool2d(x, 2, 2))
        low = self.low3(self.low2(low))
        return up1 + F.interpolate(low, scale_factor=2, mode='nearest')


@MODELS.register_module()
class StackedHourglass(BaseModule):
    """Stacked Hourglass backbone of Newell et al. (ECCV 2016).

    Args:
        num_stacks (int): number of stacked hourglasses. Default: 8.
        num_channels (int): feature channels. Default: 256.
        depth (int): poolings per hourglass. Default: 4.
        num_blocks (int): residual modules per position (``nModules`` in
            Newell's code). Default: 1.
        out_channels (int): predicted heatmaps per stack (keypoints).
            Default: 16 (MPII).
        in_channels (int): image channels. Default: 3.
        pred_init_std (float): std of the normal init of the 1x1 prediction
            convs (near-zero initial heatmaps; the MSE target is mostly
            zeros). Default: 0.001.
        channels_last (bool): NHWC weights and activations; the
            predictions are returned in that memory format. Default: False.
        init_cfg (dict | list[dict], optional): mmengine init config (e.g.
            ``Pretrained``), applied by ``init_weights`` on top of the
            default initialisation done at construction.

    Returns (forward):
        tuple[Tensor]: ``num_stacks`` predictions (B, out_channels, H/4, W/4).
    """

    def __init__(self,
                 num_stacks: int = 8,
                 num_channels: int = 256,
                 depth: int = 4,
                 num_blocks: int = 1,
                 out_channels: int = 16,
                 in_channels: int = 3,
                 pred_init_std: float = 0.001,
                 channels_last: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if num_stacks < 1:
            raise ValueError(f'num_stacks must be >= 1, got {num_stacks}')
        if num_blocks < 1:
            raise ValueError(f'num_blocks must be >= 1, got {num_blocks}')
        self.num_stacks = num_stacks
        self.num_channels = num_channels
        self.depth = depth
        self.num_blocks = num_blocks
        self.out_channels = out_channels
        self.pred_init_std = pred_init_std
        self.channels_last = bool(channels_last)
        c = num_channels

        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, 64, 7, stride=2, padding=3),
            nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            PreActBottleneck(64, 128),
            nn.MaxPool2d(2, 2),
            PreActBottleneck(128, 128),
            PreActBottleneck(128, c))

        self.hourglasses = nn.ModuleList()
        self.post = nn.ModuleList()  # residuals + lin after each hourglass
        self.preds = nn.ModuleList()  # 1x1 conv to heatmaps
        self.remap_feats = nn.ModuleList()  # 1x1 features -> next input
        self.remap_preds = nn.ModuleList()  # 1x1 heatmaps -> next input
        for i in range(num_stacks):
            self.hourglasses.append(Hourglass(depth, c, num_blocks))
            self.post.append(
                nn.Sequential(
                    _residuals(c, c, num_blocks),
                    nn.Conv2d(c, c, 1), nn.BatchNorm2d(c),
                    nn.ReLU(inplace=True)))
            self.preds.append(nn.Conv2d(c, out_channels, 1))
            if i < num_stacks - 1:
                self.remap_feats.append(nn.Conv2d(c, c, 1))
                self.remap_preds.append(nn.Conv2d(out_channels, c, 1))
        # Kaiming-normal convs (fan-out, ReLU), unit BN, near-zero heads;
        # applied at construction, ``init_cfg`` (e.g. Pretrained) by
        # ``init_weights``
        initialize(self, [
            dict(type='Kaiming', layer='Conv2d', mode='fan_out',
                 nonlinearity='relu', distribution='normal', bias=0,
                 override=dict(name='preds', type='Normal',
                               std=self.pred_init_std, bias=0)),
            dict(type='Constant', layer='BatchNorm2d', val=1, bias=0)
        ])
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        h, w = x.shape[-2:]
        div = 2**(self.depth + 2)
        if h % div or w % div:
            raise ValueError(
                f'StackedHourglass(depth={self.depth}) needs an input size '
                f'divisible by {div} (stride 4, then {self.depth} '
                f'poolings), got {h}x{w}')
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        inter = self.stem(x)
        outs = []
        for i in range(self.num_stacks):
            feat = self.post[i](self.hourglasses[i](inter))
            pred = self.preds[i](feat)
            outs.append(pred)
            if i < self.num_stacks - 1:
                inter = (inter + self.remap_feats[i](feat) +
                         self.remap_preds[i](pred))
        return tuple(outs)
