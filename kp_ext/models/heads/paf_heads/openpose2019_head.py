"""The PAF-first network of Cao et al., "OpenPose: Realtime Multi-Person
2D Pose Estimation using Part Affinity Fields" (TPAMI 2019, Fig. 3 and
Sec. 3.1; the released BODY_25 model,
CMU-Perceptual-Computing-Lab/openpose ``models/pose/body_25``)."""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from torch import Tensor

from kp_ext.registry import MODELS
from .base_paf_head import ConvPAFHead, _act, _per_stage

__all__ = ['OpenPose2019Head']


class _DenseConvBlock(nn.Module):
    """Three chained 3x3 convs; the three outputs are concatenated (the
    receptive field of a 7x7 conv at lower cost, the shallow outputs
    kept)."""

    def __init__(self, in_channels: int, channels: int, norm_cfg, act_cfg):
        super().__init__()
        self.convs = nn.ModuleList()
        c = in_channels
        for _ in range(3):
            self.convs.append(
                ConvModule(c, channels, 3, padding=1, norm_cfg=norm_cfg,
                           act_cfg=_act(act_cfg, channels)))
            c = channels
        self.out_channels = 3 * channels

    def forward(self, x: Tensor) -> Tensor:
        outs = []
        for conv in self.convs:
            x = conv(x)
            outs.append(x)
        return torch.cat(outs, dim=1)


@MODELS.register_module()
class OpenPose2019Head(ConvPAFHead):
    """TPAMI 2019 OpenPose head: PAF stages first, then confidence-map
    stages.

    ``num_paf_stages`` PAF stages (input ``F``, then ``concat(F,
    PAF_{t-1})``) followed by ``num_cm_stages`` confidence-map stages (input
    ``concat(F, PAF_last)``, then ``concat(F, PAF_last, S_{t-1})``). A stage
    is ``num_dense_blocks`` blocks of three chained 3x3 convs whose three
    outputs are concatenated (3 x ``stage_channels`` channels), then a 1x1
    conv (``mid_channels``) and a 1x1 output conv. PReLU activations as in
    the released BODY_25 model. BODY_25 itself uses 4 PAF + 2 CM stages with
    ``stage_channels=[96, 128, 128, 128, 96, 128]`` and
    ``mid_channels=[256, 512, 512, 512, 256, 512]``; the paper's best
    accuracy is 5 PAF + 1 CM. Outputs (the two lists differ in length),
    loss and prediction: :class:`BasePAFHead`.

    Args:
        in_channels (int): channels of the backbone features ``F``.
        num_paf_stages (int): PAF stages. Default: 4.
        num_cm_stages (int): confidence-map stages. Default: 2.
        stage_channels (int | list[int], optional): conv width of each
            stage (a list: one per stage, PAF stages then CM stages).
            Default: 128.
        mid_channels (int | list[int], optional): width of the 1x1 conv
            before the output conv (per stage, as ``stage_channels``).
            Default: 512.
        num_dense_blocks (int): blocks per stage. Default: 5.
        norm_cfg (dict, optional): norm after every conv but the outputs.
            Default: None (the paper).
        act_cfg (dict, optional): activation. Default: per-channel PReLU.
        **kwargs: :class:`ConvPAFHead`'s and :class:`BasePAFHead`'s
            arguments (``out_init_std``, ``num_keypoints``, ``num_limbs``,
            ``with_background``, ``loss``, ``decoder``, ``init_cfg``).
    """

    arch = '2019'

    def __init__(self,
                 in_channels: int,
                 num_paf_stages: int = 4,
                 num_cm_stages: int = 2,
                 stage_channels: Optional[Union[int, Sequence[int]]] = None,
                 mid_channels: Optional[Union[int, Sequence[int]]] = None,
                 num_dense_blocks: int = 5,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 **kwargs):
        super().__init__(in_channels=in_channels, **kwargs)
        if num_paf_stages < 1 or num_cm_stages < 1:
            raise ValueError('num_paf_stages and num_cm_stages must be '
                             '>= 1')
        if num_dense_blocks < 1:
            raise ValueError('num_dense_blocks must be >= 1')
        act_cfg = dict(type='PReLU') if act_cfg is None else act_cfg
        self.num_paf_stages = n_paf = int(num_paf_stages)
        self.num_cm_stages = n_cm = int(num_cm_stages)
        self.num_stages = n_paf + n_cm
        chans = _per_stage(stage_channels, 128, n_paf + n_cm,
                           'stage_channels')
        mids = _per_stage(mid_channels, 512, n_paf + n_cm, 'mid_channels')
        f, p, s = self.in_channels, self.paf_channels, self.cm_channels
        for i in range(n_paf + n_cm):
            if i < n_paf:
                in_c = f if i == 0 else f + p
                out_c, stages = p, self.paf_stages
            else:
                in_c = f + p if i == n_paf else f + p + s
                out_c, stages = s, self.cm_stages
            layers = []
            c = in_c
            for _ in range(int(num_dense_blocks)):
                block = _DenseConvBlock(c, chans[i], norm_cfg, act_cfg)
                layers.append(block)
                c = block.out_channels
            stages.append(self._stage(layers, c, mids[i], out_c, norm_cfg,
                                      act_cfg))
        self._default_init()

    def forward(self, feats):
        """Per-stage ``(pafs, heatmaps)`` from ``F`` (the last element of
        ``feats``, or ``feats`` itself when a tensor)."""
        x = self._features(feats)
        paf = self.paf_stages[0](x)
        pafs = [paf]
        for stage in self.paf_stages[1:]:
            paf = stage(torch.cat([x, paf], dim=1))
            pafs.append(paf)
        cm = self.cm_stages[0](torch.cat([x, paf], dim=1))
        cms = [cm]
        for stage in self.cm_stages[1:]:
            cm = stage(torch.cat([x, paf, cm], dim=1))
            cms.append(cm)
        return pafs, cms
