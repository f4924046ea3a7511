import pytest
import torch

from kp_ext.models.backbones.fse_convnet import FSEConvNet
from kp_ext.registry import MODELS


def _macs(net, size):
    """Conv multiply-adds of one forward pass, counted with hooks."""
    total = [0]

    def hook(mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1]
        total[0] += out.numel() * k * mod.in_channels // mod.groups

    hs = [m.register_forward_hook(hook) for m in net.modules()
          if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        net(torch.zeros(1, 3, size, size))
    for h in hs:
        h.remove()
    return total[0]


@pytest.mark.parametrize('arch,stride', [('paper', 2), ('dilated', 2),
                                         ('fast', 4)])
def test_output_shape_and_stride(arch, stride):
    net = MODELS.build(dict(type='FSEConvNet', out_channels=7, arch=arch))
    out = net(torch.rand(2, 3, 96, 80))
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0].shape == (2, 7, 96 // stride, 80 // stride)
    assert net.stride == stride


def test_paper_architecture_layers_and_cost():
    net = FSEConvNet(10, arch='paper')
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [20, 48, 64, 80, 256, 10]
    assert [c.kernel_size for c in convs] == [(5, 5)] * 5 + [(1, 1)]
    assert sum(isinstance(m, torch.nn.MaxPool2d) for m in net.modules()) == 1
    assert sum(isinstance(m, torch.nn.BatchNorm2d)
               for m in net.modules()) == 5
    # hand count at 96x96: two full-res layers, three at 48x48, 1x1
    full, half = 96 * 96, 48 * 48
    ref = (full * 25 * (3 * 20 + 20 * 48) + half * 25 *
           (48 * 64 + 64 * 80 + 80 * 256) + half * 256 * 10)
    assert _macs(net, 96) == ref
    # the fast default is an order of magnitude cheaper
    assert _macs(FSEConvNet(10), 96) * 8 < ref


def test_dilated_variant_and_overrides():
    net = FSEConvNet(5, arch='paper', kernel_sizes=3, dilation=2)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.dilation for c in convs[:5]] == [(1, 1)] + [(2, 2)] * 4
    assert [c.padding for c in convs[:5]] == [(1, 1)] + [(2, 2)] * 4
    # 'same' padding: only the pool changes the size
    assert net(torch.rand(1, 3, 32, 28))[0].shape == (1, 5, 16, 14)
    custom = FSEConvNet(3, channels=(8, 8, 8), kernel_sizes=(3, 5, 3),
                        dilations=(1, 1, 2), pool_after=None)
    assert custom.stride == 1
    assert custom(torch.rand(1, 3, 20, 20))[0].shape == (1, 3, 20, 20)
    with pytest.raises(ValueError):
        FSEConvNet(3, arch='huge')
    with pytest.raises(ValueError):
        FSEConvNet(3, channels=(8, 8), dilations=(1, 2, 3))
    with pytest.raises(ValueError):
        FSEConvNet(3, kernel_sizes=4)


def test_channels_last_matches_contiguous():
    torch.manual_seed(0)
    ref = FSEConvNet(6, arch='fast').eval()
    cl = FSEConvNet(6, arch='fast', channels_last=True).eval()
    cl.load_state_dict(ref.state_dict())
    x = torch.rand(2, 3, 48, 48)
    a, b = ref(x)[0], cl(x)[0]
    assert b.is_contiguous()
    assert torch.allclose(a, b, atol=1e-4)
    assert cl.layers[0].weight.is_contiguous(
        memory_format=torch.channels_last)


def test_backward_and_train_mode_batchnorm():
    net = FSEConvNet(4, arch='fast', channels_last=True)
    out = net(torch.rand(3, 3, 40, 40))[0]
    out.square().mean().backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    bn = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bn[0].num_batches_tracked.item() == 1


def test_reflect_padding_removes_the_border_position_cue():
    """On a constant image, zero padding makes the border cells differ
    from the interior (the net can tell where it is); reflect padding
    gives the same output everywhere."""
    torch.manual_seed(0)
    x = torch.full((1, 3, 64, 64), 0.7)
    for mode, constant in (('zeros', False), ('reflect', True)):
        torch.manual_seed(0)
        net = FSEConvNet(out_channels=4, padding_mode=mode).eval()
        with torch.no_grad():
            out = net(x)[0]
        spread = (out - out[..., 8:9, 8:9]).abs().max().item()
        assert (spread < 1e-5) == constant, (mode, spread)
    with pytest.raises(ValueError, match='padding_mode'):
        FSEConvNet(out_channels=4, padding_mode='mirror')
