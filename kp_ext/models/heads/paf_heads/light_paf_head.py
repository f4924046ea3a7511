"""A light two-branch PAF head for real-time bottom-up pose on a CPU
(kp_ext's design, issue 22).

Lightweight OpenPose (Osokin 2018, Sec. 3.3) cut the six OpenPose stages
(Cao et al. 2017) to an initial stage and one refinement stage, each with
one trunk shared by the confidence-map and PAF outputs; its refinement
stage is five residual blocks of a 1x1 and two dense 3x3 convolutions
(one dilated) at 128 channels, about a third of that network's cost.
This head keeps that layout and makes the trunks depthwise-separable:

- stage 1 on the features ``F``: a 1x1 conv to ``stage_channels`` (when
  ``F`` has another width), then residual separable units
  (:class:`SeparableResidual`) with ``dilations`` (default 1, 2, 4: 14
  map cells of receptive field);
- stage t >= 2 on ``concat(F, PAF_{t-1}, S_{t-1})`` (the OpenPose
  refinement input): a 1x1 conv to ``stage_channels``, then the same
  units;
- every stage ends in two outputs from its trunk: PAFs (2L channels) and
  confidence maps (K' channels), each a 1x1 conv to ``mid_channels`` then
  a 1x1 output conv (near-zero init); Lightweight OpenPose's initial
  stage uses 512 there, here 128 by default.

Norm + ReLU after every conv but the outputs (from-scratch training; the
norms fold into the convs at ONNX export). Outputs, the multi-stage loss,
flip test and grouping: :class:`BasePAFHead`.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from torch import Tensor

from kp_ext.models.utils.separable_conv import SeparableResidual
from kp_ext.registry import MODELS
from .base_paf_head import ConvPAFHead

__all__ = ['LightPAFHead']


@MODELS.register_module()
class LightPAFHead(ConvPAFHead):
    """Initial + refinement stages of separable residual units, one trunk
    per stage shared by the PAF and confidence-map outputs (module doc).

    Args:
        in_channels (int): channels of the backbone features ``F``.
        num_stages (int): stages (1 initial + refinements). Default: 2.
        stage_channels (int): trunk width. Default: 128.
        dilations (sequence of int): dilation of each residual unit of a
            stage's trunk. Default: ``(1, 2, 4)``.
        mid_channels (int): width of the 1x1 conv before each output
            conv. Default: 128.
        kernel_size (int): depthwise kernel size. Default: 3.
        norm_cfg (dict, optional): norm after every conv but the outputs.
            Default: BN.
        act_cfg (dict, optional): activation. Default: ReLU.
        **kwargs: :class:`ConvPAFHead`'s and :class:`BasePAFHead`'s
            arguments (``out_init_std``, ``num_keypoints``, ``num_limbs``,
            ``with_background``, ``loss``, ``loss_heatmap``, ``decoder``,
            ``init_cfg``).
    """

    #: not one of :func:`PartAffinityFieldHead`'s archs: built by its name
    arch = 'light'

    def __init__(self,
                 in_channels: int,
                 num_stages: int = 2,
                 stage_channels: int = 128,
                 dilations: Sequence[int] = (1, 2, 4),
                 mid_channels: int = 128,
                 kernel_size: int = 3,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 **kwargs):
        super().__init__(in_channels=in_channels, **kwargs)
        if num_stages < 1:
            raise ValueError(f'num_stages must be >= 1, got {num_stages}')
        if stage_channels < 1 or mid_channels < 1:
            raise ValueError('stage_channels and mid_channels must be >= 1')
        dilations = tuple(int(d) for d in dilations)
        if any(d < 1 for d in dilations):
            raise ValueError(f'dilations must be >= 1, got {dilations}')
        self.num_stages = int(num_stages)
        self.stage_channels = c = int(stage_channels)
        self.dilations = dilations
        f, p, s = self.in_channels, self.paf_channels, self.cm_channels
        self.trunks = nn.ModuleList()
        for i in range(self.num_stages):
            in_c = f if i == 0 else f + p + s
            layers = []
            if in_c != c:
                layers.append(ConvModule(in_c, c, 1, norm_cfg=norm_cfg,
                                         act_cfg=act_cfg))
            layers += [SeparableResidual(c, d, kernel_size,
                                         norm_cfg=norm_cfg, act_cfg=act_cfg)
                       for d in dilations]
            self.trunks.append(nn.Sequential(*layers))
            self.paf_stages.append(self._stage([], c, int(mid_channels), p,
                                               norm_cfg, act_cfg))
            self.cm_stages.append(self._stage([], c, int(mid_channels), s,
                                              norm_cfg, act_cfg))
        self._default_init()

    def forward(self, feats):
        """Per-stage ``(pafs, heatmaps)`` from ``F`` (the last element of
        ``feats``, or ``feats`` itself when a tensor)."""
        x = self._features(feats)
        pafs, cms = [], []
        for i, trunk in enumerate(self.trunks):
            inp: Tensor = x if i == 0 else torch.cat([x, pafs[-1], cms[-1]],
                                                     dim=1)
            t = trunk(inp)
            pafs.append(self.paf_stages[i](t))
            cms.append(self.cm_stages[i](t))
        return pafs, cms
