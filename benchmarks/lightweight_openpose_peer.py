"""PEER BASELINE, not part of kp_ext: Lightweight OpenPose's network,
written here only to time kp_ext's real-time config against it in one run
(``benchmarks/inference.py --peer lwop``).

Osokin, "Real-time 2D Multi-Person Pose Estimation on CPU: Lightweight
OpenPose" (arXiv:1811.12004, 2018), Sec. 3 and Fig. 2, and the layer list
of its public implementation (Daniil-Osokin/
lightweight-human-pose-estimation.pytorch, ``models/with_mobilenet.py``),
re-written from that description:

- MobileNet v1 front (Howard et al. 2017) up to conv5_5, the stride of
  conv5_1 replaced by dilation 2 (output stride 8): a 3x3 stride-2 conv
  (32, BN, ReLU) then depthwise-separable layers (3x3 depthwise + BN +
  ReLU, 1x1 pointwise + BN + ReLU) of widths 64, 128/2, 128, 256/2, 256,
  512, 512 (dilation 2), 512 x 4 (``/2``: stride 2);
- CPM: a 1x1 conv 512 -> 128 (ReLU), three depthwise-separable layers
  without BN (ELU) whose output is added to their input, a 3x3 conv (ReLU);
- initial stage: three 3x3 convs (128, ReLU) shared by two outputs, each a
  1x1 conv to 512 (ReLU) and a 1x1 output conv (19 heatmaps = 18 parts +
  background, 38 PAF channels = 19 limbs);
- one refinement stage on ``concat(F, heatmaps, PAFs)``: five blocks, each
  a 1x1 conv (ReLU) to 128 whose output is added to that of a 3x3 conv
  (BN, ReLU) and a 3x3 conv of dilation 2 (BN, ReLU), then two outputs of
  a 1x1 conv (128, ReLU) and a 1x1 output conv.

About 4.1 M parameters (the paper's count; 4,091,698 here, checked by
``tests/apis/test_realtime_openpose.py``).
Random weights: latency does not depend on them. The forward returns the
last stage's ``(pafs, heatmaps)``, the order of kp_ext's exported graph.
"""
import torch
from torch import nn

__all__ = ['LightweightOpenPosePeer', 'build_peer', 'PEERS']


def _conv(cin, cout, k=3, stride=1, dilation=1, bn=True, relu=True,
          bias=True):
    layers = [nn.Conv2d(cin, cout, k, stride, dilation * (k - 1) // 2,
                        dilation=dilation, bias=bias)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def _separable(cin, cout, stride=1, dilation=1, bn=True):
    act = nn.ReLU if bn else nn.ELU
    layers = [nn.Conv2d(cin, cin, 3, stride, dilation, dilation=dilation,
                        groups=cin, bias=False)]
    if bn:
        layers.append(nn.BatchNorm2d(cin))
    layers += [act(inplace=True), nn.Conv2d(cin, cout, 1, bias=False)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(act(inplace=True))
    return nn.Sequential(*layers)


class _Cpm(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.align = _conv(cin, c, 1, bn=False)
        self.trunk = nn.Sequential(*[_separable(c, c, bn=False)
                                     for _ in range(3)])
        self.conv = _conv(c, c, bn=False)

    def forward(self, x):
        x = self.align(x)
        return self.conv(x + self.trunk(x))


def _outputs(c, mid, n):
    return nn.Sequential(_conv(c, mid, 1, bn=False),
                         _conv(mid, n, 1, bn=False, relu=False))


class _RefinementBlock(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.initial = _conv(cin, c, 1, bn=False)
        self.trunk = nn.Sequential(_conv(c, c), _conv(c, c, dilation=2))

    def forward(self, x):
        x = self.initial(x)
        return x + self.trunk(x)


class LightweightOpenPosePeer(nn.Module):
    """The peer network (module doc); input (B, 3, H, W), H and W
    multiples of 8; returns ``(pafs, heatmaps)`` of the last stage."""

    def __init__(self, num_refinement_stages: int = 1, channels: int = 128,
                 num_heatmaps: int = 19, num_pafs: int = 38):
        super().__init__()
        widths = [(32, 64, 1, 1), (64, 128, 2, 1), (128, 128, 1, 1),
                  (128, 256, 2, 1), (256, 256, 1, 1), (256, 512, 1, 1),
                  (512, 512, 1, 2)] + [(512, 512, 1, 1)] * 4
        self.backbone = nn.Sequential(
            _conv(3, 32, stride=2, bias=False),
            *[_separable(a, b, s, d) for a, b, s, d in widths])
        self.cpm = _Cpm(512, channels)
        self.initial_trunk = nn.Sequential(
            *[_conv(channels, channels, bn=False) for _ in range(3)])
        self.initial_heatmaps = _outputs(channels, 512, num_heatmaps)
        self.initial_pafs = _outputs(channels, 512, num_pafs)
        cin = channels + num_heatmaps + num_pafs
        self.refinements = nn.ModuleList()
        for _ in range(num_refinement_stages):
            self.refinements.append(nn.ModuleDict(dict(
                trunk=nn.Sequential(
                    _RefinementBlock(cin, channels),
                    *[_RefinementBlock(channels, channels)
                      for _ in range(4)]),
                heatmaps=_outputs(channels, channels, num_heatmaps),
                pafs=_outputs(channels, channels, num_pafs))))

    def forward(self, x):
        f = self.cpm(self.backbone(x))
        t = self.initial_trunk(f)
        heatmaps, pafs = self.initial_heatmaps(t), self.initial_pafs(t)
        for stage in self.refinements:
            t = stage['trunk'](torch.cat([f, heatmaps, pafs], dim=1))
            heatmaps, pafs = stage['heatmaps'](t), stage['pafs'](t)
        return pafs, heatmaps


#: ``--peer`` names of benchmarks/inference.py
PEERS = dict(lwop=LightweightOpenPosePeer)


def build_peer(name: str) -> nn.Module:
    """The peer network ``name`` (a key of :data:`PEERS`), eval mode."""
    if name not in PEERS:
        raise KeyError(f'unknown peer {name!r}; known: {sorted(PEERS)}')
    return PEERS[name]().eval()
