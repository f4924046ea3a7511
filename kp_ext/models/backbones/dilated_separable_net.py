"""A depthwise-separable front end with dilated residual blocks for
real-time bottom-up pose on a CPU (kp_ext's design, issue 22).

Starting point: Lightweight OpenPose (Osokin, "Real-time 2D Multi-Person
Pose Estimation on CPU: Lightweight OpenPose", 2018, Sec. 3.2), a MobileNet
v1 front cut at conv5_5 with the last stride replaced by dilation, so
seven depthwise-separable layers run at stride 8 with 256-512 channels
(the bulk of its ~9 GMAC at 368x368). This network keeps the two ideas
that make that design work on a CPU (depthwise-separable convolutions,
dilation instead of a further stride) and spends less at stride 8:

- stem: 3x3 conv, stride 2 (a dense conv on 3 channels is cheap);
- ``arch``: depthwise-separable layers (:class:`SeparableConv`), each
  ``(out_channels, stride)``; the default reaches stride 8 at 192
  channels (MobileNet v1's widths, Howard et al. 2017 Table 1, stopped
  before its 256-1024-channel layers);
- ``dilations``: residual separable units (:class:`SeparableResidual`) at
  the output resolution with dilated depthwise filters: the default
  (1, 2, 5, 1, 2, 5) adds 32 map cells (256 px at stride 8) of receptive
  field for 6 x (9 C + C^2) weights (hybrid dilated convolution, Wang et
  al. 2018: 1, 2, 5 share no factor, so no cell is skipped);
- a 1x1 conv to ``out_channels`` (the "align" layer of Lightweight
  OpenPose's CPM).

Every conv is followed by batch norm and ReLU (ReLU fuses with the convs
in onnxruntime, int8 included); batch norm folds into the convs at ONNX
export. Output stride ``stem stride x product of the arch strides`` (8 by
default; e.g. ``arch`` with the last stride 1 gives stride 4 for small
inputs, the dilated units then run at twice the resolution). Feed
multiples of the stride. ``channels_last=True`` runs the convolutions on
NHWC activations (oneDNN's faster depthwise kernels on CPU) and returns
the features in that memory format; the values are the same as NCHW.

Initialisation: Kaiming normal (fan-out, ReLU) convs, zero biases, unit
norms; no ImageNet weights exist for this network (train from scratch).
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule, initialize

from kp_ext.models.utils.backbone_input import check_backbone_input
from kp_ext.models.utils.separable_conv import (SeparableConv,
                                                SeparableResidual)
from kp_ext.registry import MODELS

__all__ = ['DilatedSeparableNet']

DEFAULT_ARCH = ((64, 1), (128, 2), (128, 1), (192, 2))


@MODELS.register_module()
class DilatedSeparableNet(BaseModule):
    """Stem + depthwise-separable layers + dilated separable residual units
    + 1x1 conv (module doc).

    Args:
        in_channels (int): image channels. Default: 3.
        stem_channels (int): channels of the 3x3 stride-2 stem conv.
            Default: 32.
        arch (sequence of (int, int)): ``(out_channels, stride)`` of each
            separable layer after the stem. Default:
            ``((64, 1), (128, 2), (128, 1), (192, 2))`` (stride 8).
        dilations (sequence of int): dilation of each residual unit at the
            output resolution (width: the last ``arch`` layer's). Default:
            ``(1, 2, 5, 1, 2, 5)``.
        out_channels (int): channels of the features. Default: 128.
        kernel_size (int): depthwise kernel size. Default: 3.
        widen_factor (float): multiplies every width (rounded, at least
            8). Default: 1.0.
        norm_cfg (dict): norm after every conv. Default: BN.
        act_cfg (dict): activation. Default: ReLU.
        channels_last (bool): NHWC activations (module doc). Default: False.
        init_cfg (dict | list[dict], optional): mmengine init config,
            applied by ``init_weights`` on top of the default
            initialisation done at construction.

    Returns (forward):
        tuple[Tensor]: one feature map (B, out_channels, H / s, W / s),
        ``s = self.stride``.
    """

    def __init__(self,
                 in_channels: int = 3,
                 stem_channels: int = 32,
                 arch: Sequence[Sequence[int]] = DEFAULT_ARCH,
                 dilations: Sequence[int] = (1, 2, 5, 1, 2, 5),
                 out_channels: int = 128,
                 kernel_size: int = 3,
                 widen_factor: float = 1.0,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 channels_last: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if widen_factor <= 0:
            raise ValueError(f'widen_factor must be > 0, got {widen_factor}')
        arch = [tuple(int(v) for v in layer) for layer in arch]
        if not arch or any(len(layer) != 2 for layer in arch):
            raise ValueError('arch must give at least one (out_channels, '
                             f'stride) pair, got {arch}')
        if any(s not in (1, 2) for _, s in arch):
            raise ValueError(f'arch strides must be 1 or 2, got {arch}')
        dilations = tuple(int(d) for d in dilations)
        if any(d < 1 for d in dilations):
            raise ValueError(f'dilations must be >= 1, got {dilations}')

        def width(c):
            return max(8, int(round(c * widen_factor)))

        self.stem_channels = width(stem_channels)
        self.arch = tuple((width(c), s) for c, s in arch)
        self.dilations = dilations
        self.out_channels = width(out_channels)
        self.stride = 2
        for _, s in self.arch:
            self.stride *= s
        self.channels_last = bool(channels_last)

        self.stem = ConvModule(in_channels, self.stem_channels, 3, stride=2,
                               padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        layers, c = [], self.stem_channels
        for w, s in self.arch:
            layers.append(SeparableConv(c, w, kernel_size, stride=s,
                                        norm_cfg=norm_cfg, act_cfg=act_cfg))
            c = w
        self.layers = nn.Sequential(*layers)
        self.trunk = nn.Sequential(*[
            SeparableResidual(c, d, kernel_size, norm_cfg=norm_cfg,
                              act_cfg=act_cfg) for d in dilations])
        self.align = ConvModule(c, self.out_channels, 1, norm_cfg=norm_cfg,
                                act_cfg=act_cfg)
        initialize(self, [
            dict(type='Kaiming', layer='Conv2d', mode='fan_out',
                 nonlinearity='relu', distribution='normal', bias=0),
            dict(type='Constant', layer='_BatchNorm', val=1, bias=0)
        ])
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def init_weights(self):
        """Keep the default initialisation unless ``init_cfg`` is given
        (mmcv's ``ConvModule.init_weights`` would redo it its own way)."""
        if self.init_cfg is not None:
            super().init_weights()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        x = check_backbone_input(x, self.stride, self.channels_last)
        x = self.layers(self.stem(x))
        return (self.align(self.trunk(x)), )
