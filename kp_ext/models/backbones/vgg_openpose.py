"""VGG-19 front end of OpenPose (Cao et al., CVPR 2017 / TPAMI 2019).

The image features ``F`` fed to every stage of the OpenPose head: the first
ten convolutions of VGG-19 (``conv1_1`` ... ``conv4_2``, all 3x3, padding
1, ReLU) with three 2x2 max-pools, then the two "CPM" layers of the
reference model (``conv4_3_CPM`` 3x3 -> 256, ``conv4_4_CPM`` 3x3 -> 128,
ReLU)::

    64 64 M 128 128 M 256 256 256 256 M 512 512 | 256 128

Output stride 8 (an H x W input gives floor(H / 8) x floor(W / 8) maps;
feed multiples of 8 so that the map grid covers the input exactly).
``num_pools=2`` (a kp_ext option, not the paper's) drops the third pool:
stride 4, the last VGG block and the CPM layers then run at twice the
resolution (4x their cost), for small inputs whose people are a few map
cells tall at stride 8.

Pretrained weights: the VGG layers live in ``self.features``, an
``nn.Sequential`` laid out like torchvision's ``vgg19().features`` (conv,
ReLU, ..., pool; with ``norm_cfg`` BN: conv, BN, ReLU like ``vgg19_bn``),
so a torchvision checkpoint loads with
``init_cfg=dict(type='Pretrained', checkpoint='torchvision://vgg19')``
(keys ``features.0`` ... ``features.22`` match; the rest are ignored).

Initialisation without pretrained weights: Kaiming normal (fan-out, ReLU)
for every conv, zero biases, unit BN. Training from scratch without
ImageNet weights is slow and unstable without normalisation, so configs
that cannot load VGG weights (and the tiny CPU variant, e.g.
``widen_factor=1/8``) should use ``norm_cfg=dict(type='BN')``; the paper's
model (``norm_cfg=None``) is meant to start from ImageNet VGG-19.

``channels_last=True`` (a kp_ext option) runs the convolutions on NHWC
activations (faster oneDNN kernels on CPU) and returns the features in that
memory format, so the head's convolutions that follow run NHWC as well; the
values are the same as with NCHW.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule, initialize

from kp_ext.models.utils.backbone_input import check_backbone_input
from kp_ext.registry import MODELS

__all__ = ['OpenPoseVGG']


@MODELS.register_module()
class OpenPoseVGG(BaseModule):
    """VGG-19 conv1_1-conv4_2 + conv4_3_CPM / conv4_4_CPM, stride 8.

    Args:
        in_channels (int): image channels. Default: 3.
        widths (sequence of 6 int): channels of the four VGG blocks and the
            two CPM layers. Default: ``(64, 128, 256, 512, 256, 128)``.
        num_convs (sequence of 4 int): 3x3 convs of each VGG block (a 2x2
            max-pool follows each of the first three). Default:
            ``(2, 2, 4, 2)`` (VGG-19 up to conv4_2).
        widen_factor (float): multiplies every width (rounded, at least 1);
            e.g. 0.125 for a tiny CPU model. Default: 1.0.
        num_pools (int): 2x2 max-pools after the first ``num_pools`` VGG
            blocks, 1-3; output stride ``2 ** num_pools``. Default: 3 (the
            paper, stride 8).
        norm_cfg (dict, optional): e.g. ``dict(type='BN')`` to add batch
            norm after every conv (conv, BN, ReLU). Default: None (the
            paper).
        channels_last (bool): NHWC activations (see the module doc).
            Default: False.
        init_cfg (dict | list[dict], optional): mmengine init config (e.g.
            ``Pretrained``), applied by ``init_weights`` on top of the
            default Kaiming initialisation done at construction.

    Returns (forward):
        tuple[Tensor]: one feature map (B, C, H/8, W/8), ``C =
        self.out_channels`` (128 by default).
    """

    def __init__(self,
                 in_channels: int = 3,
                 widths: Sequence[int] = (64, 128, 256, 512, 256, 128),
                 num_convs: Sequence[int] = (2, 2, 4, 2),
                 widen_factor: float = 1.0,
                 norm_cfg: Optional[dict] = None,
                 num_pools: int = 3,
                 channels_last: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if num_pools not in (1, 2, 3):
            raise ValueError(f'num_pools must be 1, 2 or 3, got {num_pools}')
        widths = tuple(int(w) for w in widths)
        num_convs = tuple(int(n) for n in num_convs)
        if len(widths) != 6:
            raise ValueError('widths must give 6 channel counts (4 VGG '
                             f'blocks + 2 CPM layers), got {widths}')
        if len(num_convs) != 4 or min(num_convs) < 1:
            raise ValueError('num_convs must give 4 positive conv counts, '
                             f'got {num_convs}')
        if widen_factor <= 0:
            raise ValueError(f'widen_factor must be > 0, got {widen_factor}')
        self.widths = tuple(max(1, int(round(w * widen_factor)))
                            for w in widths)
        self.num_convs = num_convs
        self.norm_cfg = norm_cfg
        self.num_pools = int(num_pools)
        self.stride = 2**self.num_pools
        self.channels_last = bool(channels_last)

        layers = []
        c = in_channels
        for i, (w, n) in enumerate(zip(self.widths[:4], num_convs)):
            for _ in range(n):
                layers += self._conv(c, w)
                c = w
            if i < self.num_pools:
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        self.features = nn.Sequential(*layers)
        cpm = []
        for w in self.widths[4:]:
            cpm += self._conv(c, w)
            c = w
        self.cpm = nn.Sequential(*cpm)
        self.out_channels = c
        # Kaiming-normal convs (fan-out, ReLU), unit norms; applied at
        # construction, ``init_cfg`` (e.g. Pretrained) by ``init_weights``
        initialize(self, [
            dict(type='Kaiming', layer='Conv2d', mode='fan_out',
                 nonlinearity='relu', distribution='normal', bias=0),
            dict(type='Constant', layer='_BatchNorm', val=1, bias=0)
        ])
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def _conv(self, in_channels: int, out_channels: int) -> list:
        if self.norm_cfg is None:
            return [nn.Conv2d(in_channels, out_channels, 3, padding=1),
                    nn.ReLU(inplace=True)]
        cfg = dict(self.norm_cfg)
        norm_type = cfg.pop('type')
        if norm_type not in ('BN', 'BN2d', 'SyncBN'):
            raise ValueError(f'unsupported norm type {norm_type!r} (use BN '
                             'or SyncBN)')
        cfg.pop('requires_grad', None)
        norm_cls = (nn.SyncBatchNorm if norm_type == 'SyncBN' else
                    nn.BatchNorm2d)
        return [nn.Conv2d(in_channels, out_channels, 3, padding=1),
                norm_cls(out_channels, **cfg), nn.ReLU(inplace=True)]

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        x = check_backbone_input(x, self.stride, self.channels_last)
        return (self.cpm(self.features(x)), )
