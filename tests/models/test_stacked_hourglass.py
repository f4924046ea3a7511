import pytest
import torch
import torch.nn as nn

from kp_ext.models.backbones.stacked_hourglass import (Hourglass,
                                                       PreActBottleneck,
                                                       StackedHourglass)
from kp_ext.registry import MODELS


def _num_params(m):
    return sum(p.numel() for p in m.parameters())


def test_param_count_matches_paper():
    # Newell et al. report 25.1M parameters for 8 stacks, 256 channels
    # (MPII, 16 keypoints).
    model = StackedHourglass(num_stacks=8, num_channels=256, depth=4,
                             num_blocks=1, out_channels=16)
    n = _num_params(model)
    print(f'8-stack hourglass parameters: {n} ({n / 25.1e6:.4f} x 25.1M)')
    assert abs(n - 25.1e6) / 25.1e6 < 0.03


def test_residual_module_structure():
    same = PreActBottleneck(32, 32)
    assert isinstance(same.skip, nn.Identity)
    change = PreActBottleneck(16, 32)
    assert isinstance(change.skip, nn.Conv2d)
    assert change.skip.kernel_size == (1, 1)
    # pre-activation: BN first, the branch ends on a conv (no BN/ReLU after)
    assert isinstance(change.branch[0], nn.BatchNorm2d)
    assert isinstance(change.branch[-1], nn.Conv2d)
    convs = [m for m in change.branch if isinstance(m, nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(1, 1), (3, 3), (1, 1)]
    assert [c.out_channels for c in convs] == [16, 16, 32]
    x = torch.randn(2, 16, 8, 8)
    assert change(x).shape == (2, 32, 8, 8)
    # the input is not modified in place (skip path reads it)
    x0 = x.clone()
    same16 = PreActBottleneck(16, 16)
    same16(x)
    assert torch.equal(x, x0)


def test_hourglass_residual_count():
    # per level: upper, low1, low3 (+ the bottom one): 3 * depth + 1
    hg = Hourglass(depth=4, channels=16, num_blocks=1)
    n = sum(isinstance(m, PreActBottleneck) for m in hg.modules())
    assert n == 13
    hg2 = Hourglass(depth=3, channels=16, num_blocks=2)
    n2 = sum(isinstance(m, PreActBottleneck) for m in hg2.modules())
    assert n2 == 2 * (3 * 3 + 1)


@pytest.mark.parametrize('num_stacks', [1, 2])
def test_forward_shapes(num_stacks):
    model = MODELS.build(
        dict(type='StackedHourglass', num_stacks=num_stacks, num_channels=32,
             out_channels=5))
    outs = model(torch.randn(2, 3, 64, 128))
    assert isinstance(outs, tuple) and len(outs) == num_stacks
    for o in outs:
        assert o.shape == (2, 5, 16, 32)
    # near-zero initial heatmaps (prediction convs init with small std)
    assert outs[-1].abs().max() < 0.1


def test_stacks_do_not_share_weights():
    model = StackedHourglass(num_stacks=2, num_channels=16, depth=2,
                             out_channels=3)
    ids0 = {id(p) for p in model.hourglasses[0].parameters()}
    ids1 = {id(p) for p in model.hourglasses[1].parameters()}
    assert not ids0 & ids1
    assert len(model.remap_feats) == 1 and len(model.remap_preds) == 1


def test_gradients_reach_first_stack_from_each_stack():
    torch.manual_seed(0)
    model = StackedHourglass(num_stacks=2, num_channels=16, depth=3,
                             out_channels=4)
    x = torch.randn(2, 3, 32, 32)
    for i in range(2):
        model.zero_grad()
        outs = model(x)
        (outs[i] ** 2).sum().backward()
        stem_grad = model.stem[0].weight.grad
        hg0_grad = model.hourglasses[0].up1[0].branch[2].weight.grad
        assert stem_grad is not None and stem_grad.abs().sum() > 0
        assert hg0_grad is not None and hg0_grad.abs().sum() > 0
        hg1_grad = model.hourglasses[1].up1[0].branch[2].weight.grad
        if i == 0:  # stack 0's loss does not depend on stack 1
            assert hg1_grad is None or hg1_grad.abs().sum() == 0
        else:
            assert hg1_grad.abs().sum() > 0
            # through the remap of the first stack's prediction
            assert model.remap_preds[0].weight.grad.abs().sum() > 0


def test_bad_input_size_raises():
    model = StackedHourglass(num_stacks=1, num_channels=16, depth=4,
                             out_channels=2)
    with pytest.raises(ValueError, match='divisible by 64'):
        model(torch.randn(1, 3, 40, 40))


def test_invalid_args():
    with pytest.raises(ValueError):
        StackedHourglass(num_stacks=0)
    with pytest.raises(ValueError):
        PreActBottleneck(8, 7)


def test_default_init_kaiming_convs_unit_bn_near_zero_heads():
    torch.manual_seed(0)
    model = StackedHourglass(num_stacks=2, num_channels=32, out_channels=5,
                             pred_init_std=0.001)
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d) and m.bias is not None:
            assert torch.all(m.bias == 0)
        if isinstance(m, torch.nn.BatchNorm2d):
            assert torch.all(m.weight == 1) and torch.all(m.bias == 0)
    conv = model.remap_feats[0]                 # 1x1, 32 -> 32
    assert conv.weight.std().item() == pytest.approx((2 / 32)**0.5,
                                                     rel=0.2)
    for pred in model.preds:
        assert pred.weight.std().item() == pytest.approx(0.001, rel=0.3)


def test_channels_last_gives_the_nchw_values():
    torch.manual_seed(0)
    ref = StackedHourglass(num_stacks=2, num_channels=16, depth=2,
                           out_channels=5)
    nhwc = StackedHourglass(num_stacks=2, num_channels=16, depth=2,
                            out_channels=5, channels_last=True)
    nhwc.load_state_dict(ref.state_dict())
    conv = nhwc.stem[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert not conv.is_contiguous()
    x = torch.randn(2, 3, 32, 32)
    ref.eval()
    nhwc.eval()
    a, b = ref(x), nhwc(x)
    for pa, pb in zip(a, b):
        assert pb.is_contiguous(memory_format=torch.channels_last)
        assert torch.allclose(pa, pb, atol=1e-5)
    # training mode (batch statistics) and gradients agree as well
    ref.train()
    nhwc.train()
    sum(o.square().sum() for o in ref(x)).backward()
    sum(o.square().sum() for o in nhwc(x)).backward()
    assert torch.allclose(ref.stem[0].weight.grad, nhwc.stem[0].weight.grad,
                          rtol=1e-4, atol=1e-5)
