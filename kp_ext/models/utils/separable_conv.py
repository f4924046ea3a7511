"""Depthwise-separable convolutions with dilation, shared by
:class:`~kp_ext.models.backbones.DilatedSeparableNet` and
:class:`~kp_ext.models.heads.LightPAFHead`.

- :class:`SeparableConv`: a k x k depthwise convolution (one filter per
  channel, ``groups = channels``; stride s, dilation d) then a 1x1
  pointwise convolution, each followed by norm and activation (MobileNet
  v1, Howard et al. 2017, Sec. 3.1: ``k^2 C + C C'`` weights instead of
  ``k^2 C C'``). The dilated depthwise filter covers ``d (k - 1) + 1``
  pixels at the cost of ``k^2`` (Yu & Koltun, ICLR 2016), the way
  Lightweight OpenPose (Osokin 2018, Sec. 3.2) keeps a large receptive
  field at stride 8.
- :class:`SeparableResidual`: ``act(x + SeparableConv_d(x))`` with the last
  activation moved after the sum (the ResNet unit, He et al. 2016, with a
  separable body): blocks of these with growing dilations (e.g. 1, 2, 4)
  give a stride-8 map a receptive field of tens of cells in a few layers
  (the "hybrid dilated convolution" rule of Wang et al., WACV 2018: no
  common factor > 1 in a group's dilations, so no checkerboard holes).

Padding ``d (k - 1) / 2`` keeps the size at stride 1 (odd ``k``); with
stride 2 an H x W input gives ceil(H / 2) x ceil(W / 2).
"""
from typing import Optional

import torch.nn as nn
from mmcv.cnn import ConvModule, build_activation_layer
from torch import Tensor

__all__ = ['SeparableConv', 'SeparableResidual']


class SeparableConv(nn.Sequential):
    """Depthwise k x k (stride, dilation) -> norm -> act -> pointwise 1x1 ->
    norm [-> act] (module doc).

    Args:
        in_channels (int): input channels (= depthwise groups).
        out_channels (int): output channels of the pointwise conv.
        kernel_size (int): odd depthwise kernel size. Default: 3.
        stride (int): depthwise stride. Default: 1.
        dilation (int): depthwise dilation. Default: 1.
        norm_cfg (dict, optional): norm after both convs (convs then have
            no bias). Default: ``dict(type='BN')``.
        act_cfg (dict, optional): activation after both convs. Default:
            ReLU (fuses with the convs in onnxruntime, int8 included).
        last_act (bool): activation after the pointwise conv too.
            Default: True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 dilation: int = 1,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 last_act: bool = True):
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f'kernel_size must be odd and positive, got '
                             f'{kernel_size}')
        if stride < 1 or dilation < 1:
            raise ValueError(f'stride and dilation must be >= 1, got '
                             f'{stride}, {dilation}')
        if in_channels < 1 or out_channels < 1:
            raise ValueError(f'channels must be >= 1, got {in_channels}, '
                             f'{out_channels}')
        pad = dilation * (kernel_size - 1) // 2
        super().__init__(
            ConvModule(in_channels, in_channels, kernel_size, stride=stride,
                       padding=pad, dilation=dilation, groups=in_channels,
                       norm_cfg=norm_cfg, act_cfg=act_cfg),
            ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg,
                       act_cfg=act_cfg if last_act else None))
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.stride = int(stride)
        self.dilation = int(dilation)


class SeparableResidual(nn.Module):
    """``act(x + SeparableConv_d(x))`` at constant width and size.

    Args:
        channels (int): input = output channels.
        dilation (int): depthwise dilation. Default: 1.
        kernel_size, norm_cfg, act_cfg: as :class:`SeparableConv`.
    """

    def __init__(self,
                 channels: int,
                 dilation: int = 1,
                 kernel_size: int = 3,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU')):
        super().__init__()
        self.conv = SeparableConv(channels, channels, kernel_size,
                                  dilation=dilation, norm_cfg=norm_cfg,
                                  act_cfg=act_cfg, last_act=False)
        self.act = (nn.Identity() if act_cfg is None else
                    build_activation_layer(dict(act_cfg)))
        self.channels = int(channels)
        self.dilation = int(dilation)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(x + self.conv(x))
