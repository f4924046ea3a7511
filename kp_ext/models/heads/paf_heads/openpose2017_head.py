"""The two-branch multi-stage network of Cao et al., "Realtime
Multi-Person 2D Pose Estimation using Part Affinity Fields" (CVPR 2017,
Fig. 3; ZheC/Realtime_Multi-Person_Pose_Estimation
``training/setLayers.py``)."""
from typing import Optional, Sequence, Union

import torch
from mmcv.cnn import ConvModule

from kp_ext.registry import MODELS
from .base_paf_head import ConvPAFHead, _act, _per_stage

__all__ = ['OpenPose2017Head']


@MODELS.register_module()
class OpenPose2017Head(ConvPAFHead):
    """CVPR 2017 OpenPose head: two branches (PAFs, confidence maps) per
    stage.

    Stage 1 runs two branches on ``F``, each 3 x (3x3 conv,
    ``stage_channels``) + 1x1 conv (``mid_channels``, 512) + 1x1 conv to the
    outputs (2L PAF / K' maps); every later stage ``t`` runs two branches
    on ``concat(F, PAF_{t-1}, S_{t-1})``, each 5 x (7x7 conv,
    ``stage_channels``) + 1x1 conv (``mid_channels``, 128) + 1x1 output
    conv. Outputs, loss and prediction: :class:`BasePAFHead`.

    Args:
        in_channels (int): channels of the backbone features ``F``.
        num_stages (int): stages. Default: 6 (the paper).
        stage_channels (int | list[int], optional): conv width of each
            stage (a list: one per stage). Default: 128.
        mid_channels (int | list[int], optional): width of the 1x1 conv
            before the output conv. Default: 512 at stage 1, 128 later (the
            paper).
        norm_cfg (dict, optional): norm after every conv but the outputs
            (e.g. ``dict(type='BN')`` for from-scratch training). Default:
            None (the paper).
        act_cfg (dict, optional): activation. Default: ReLU.
        **kwargs: :class:`ConvPAFHead`'s and :class:`BasePAFHead`'s
            arguments (``out_init_std``, ``num_keypoints``, ``num_limbs``,
            ``with_background``, ``loss``, ``decoder``, ``init_cfg``).
    """

    arch = '2017'

    def __init__(self,
                 in_channels: int,
                 num_stages: Optional[int] = None,
                 stage_channels: Optional[Union[int, Sequence[int]]] = None,
                 mid_channels: Optional[Union[int, Sequence[int]]] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 **kwargs):
        super().__init__(in_channels=in_channels, **kwargs)
        self.num_stages = 6 if num_stages is None else int(num_stages)
        if self.num_stages < 1:
            raise ValueError(f'num_stages must be >= 1, got {self.num_stages}')
        act_cfg = dict(type='ReLU') if act_cfg is None else act_cfg
        t_num = self.num_stages
        chans = _per_stage(stage_channels, 128, t_num, 'stage_channels')
        mids = _per_stage(mid_channels, [512] + [128] * (t_num - 1), t_num,
                          'mid_channels')
        refine_in = self.in_channels + self.paf_channels + self.cm_channels
        for t in range(t_num):
            in_c = self.in_channels if t == 0 else refine_in
            n_conv, k = (3, 3) if t == 0 else (5, 7)
            for stages, out_c in ((self.paf_stages, self.paf_channels),
                                  (self.cm_stages, self.cm_channels)):
                layers = []
                c = in_c
                for _ in range(n_conv):
                    layers.append(
                        ConvModule(c, chans[t], k, padding=k // 2,
                                   norm_cfg=norm_cfg,
                                   act_cfg=_act(act_cfg, chans[t])))
                    c = chans[t]
                stages.append(self._stage(layers, c, mids[t], out_c,
                                          norm_cfg, act_cfg))
        self._default_init()

    def forward(self, feats):
        """Per-stage ``(pafs, heatmaps)`` from ``F`` (the last element of
        ``feats``, or ``feats`` itself when a tensor)."""
        x = self._features(feats)
        paf, cm = self.paf_stages[0](x), self.cm_stages[0](x)
        pafs, cms = [paf], [cm]
        for t in range(1, self.num_stages):
            inp = torch.cat([x, paf, cm], dim=1)
            paf, cm = self.paf_stages[t](inp), self.cm_stages[t](inp)
            pafs.append(paf)
            cms.append(cm)
        return pafs, cms
