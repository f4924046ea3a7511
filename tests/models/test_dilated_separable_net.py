"""DilatedSeparableNet (kp_ext's real-time front end, issue 22) and its
separable units: shapes, stride, parameter count against a hand count,
receptive field against the analytic one, NHWC = NCHW, gradients."""
import pytest
import torch
import torch.nn as nn

from kp_ext.models.backbones import DilatedSeparableNet
from kp_ext.models.utils import SeparableConv, SeparableResidual
from kp_ext.registry import MODELS


def _bn(c):
    return 2 * c  # weight + bias


def _hand_params(stem=32, arch=((64, 1), (128, 2), (128, 1), (192, 2)),
                 dilations=(1, 2, 5, 1, 2, 5), out=128, k=3, cin=3):
    """Convs without bias (each followed by BN)."""
    total = cin * stem * 9 + _bn(stem)
    c = stem
    for w, _ in arch:
        total += c * k * k + _bn(c) + c * w + _bn(w)
        c = w
    total += len(dilations) * (c * k * k + _bn(c) + c * c + _bn(c))
    return total + c * out + _bn(out)


def _receptive_field(arch, dilations, k=3):
    rf, jump = 3, 2  # the 3x3 stride-2 stem
    for _, s in arch:
        rf += (k - 1) * jump
        jump *= s
    for d in dilations:
        rf += (k - 1) * d * jump
    return rf


def test_default_net_params_stride_and_shapes():
    net = MODELS.build(dict(type='DilatedSeparableNet'))
    assert isinstance(net, DilatedSeparableNet)
    n = sum(p.numel() for p in net.parameters())
    assert n == _hand_params() == 318_016
    assert net.stride == 8 and net.out_channels == 128
    depthwise = [m for m in net.modules() if isinstance(m, nn.Conv2d)
                 and m.groups > 1]
    assert len(depthwise) == 4 + 6
    assert all(m.groups == m.in_channels == m.out_channels
               for m in depthwise)
    assert [m.dilation[0] for m in depthwise[4:]] == [1, 2, 5, 1, 2, 5]
    net.eval()
    with torch.no_grad():
        out = net(torch.randn(1, 3, 368, 368))
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0].shape == (1, 128, 46, 46)


def test_stride_4_variant_and_widen_factor():
    net = DilatedSeparableNet(arch=((16, 1), (32, 2), (48, 1)),
                              dilations=(1, 2), out_channels=24,
                              widen_factor=0.5)
    assert net.stride == 4
    assert net.arch == ((8, 1), (16, 2), (24, 1))  # widths >= 8
    assert net.out_channels == 12
    out = net(torch.randn(2, 3, 32, 40))[0]
    assert out.shape == (2, 12, 8, 10)


def test_receptive_field_matches_the_analytic_one():
    """A linear variant (no activation): the input pixels that reach the
    centre output cell span exactly the analytic receptive field."""
    arch, dilations = ((8, 1), (8, 2), (8, 1), (8, 2)), (1, 2, 5)
    torch.manual_seed(0)
    net = DilatedSeparableNet(arch=arch, dilations=dilations,
                              out_channels=8, stem_channels=8,
                              act_cfg=None).eval()
    rf = _receptive_field(arch, dilations)
    assert rf == 155
    x = torch.randn(1, 3, 256, 256, requires_grad=True)
    out = net(x)[0]
    out[0, :, 16, 16].sum().backward()
    cols = torch.nonzero(x.grad[0].abs().sum(dim=(0, 1)) > 0)
    rows = torch.nonzero(x.grad[0].abs().sum(dim=(0, 2)) > 0)
    assert int(cols.max() - cols.min()) + 1 == rf
    assert int(rows.max() - rows.min()) + 1 == rf


def test_channels_last_gives_the_nchw_values():
    torch.manual_seed(0)
    a = DilatedSeparableNet(arch=((8, 2), (16, 2)), dilations=(1, 2),
                            out_channels=8).eval()
    b = DilatedSeparableNet(arch=((8, 2), (16, 2)), dilations=(1, 2),
                            out_channels=8, channels_last=True).eval()
    b.load_state_dict(a.state_dict())
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        ya, yb = a(x)[0], b(x)[0]
    assert yb.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(ya, yb, atol=1e-5, rtol=1e-5)


def test_gradient_reaches_the_stem():
    net = DilatedSeparableNet(arch=((8, 2), (8, 2)), dilations=(1, 2),
                              out_channels=8)
    net(torch.randn(2, 3, 32, 32))[0].square().mean().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
    assert net.stem.conv.weight.grad.abs().sum() > 0


def test_separable_units():
    conv = SeparableConv(4, 6, stride=2, dilation=3)
    dw, pw = conv[0].conv, conv[1].conv
    assert (dw.groups, dw.padding, dw.dilation) == (4, (3, 3), (3, 3))
    assert pw.kernel_size == (1, 1) and pw.out_channels == 6
    assert conv(torch.randn(1, 4, 9, 9)).shape == (1, 6, 5, 5)
    unit = SeparableResidual(4, dilation=2).eval()
    x = torch.randn(1, 4, 7, 7)
    with torch.no_grad():
        expected = torch.relu(x + unit.conv(x))
        assert torch.equal(unit(x), expected)
    with pytest.raises(ValueError, match='odd'):
        SeparableConv(4, 4, kernel_size=2)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match='strides'):
        DilatedSeparableNet(arch=((8, 3), ))
    with pytest.raises(ValueError, match='dilations'):
        DilatedSeparableNet(dilations=(0, ))
    with pytest.raises(ValueError, match='smaller than the stride'):
        DilatedSeparableNet()(torch.randn(1, 3, 4, 4))
