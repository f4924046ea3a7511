import pytest
import torch
import torch.nn as nn

from kp_ext.models.backbones.vgg_openpose import OpenPoseVGG
from kp_ext.registry import MODELS


def _expected_params(widths, num_convs=(2, 2, 4, 2), in_channels=3):
    total, c = 0, in_channels
    for w, n in zip(widths[:4], num_convs):
        for _ in range(n):
            total += c * w * 9 + w
            c = w
    for w in widths[4:]:
        total += c * w * 9 + w
        c = w
    return total


def test_full_vgg_front_param_count_and_layout():
    model = OpenPoseVGG()
    n = sum(p.numel() for p in model.parameters())
    # conv1_1 .. conv4_2 of VGG-19 (5,865,536) + conv4_3_CPM (1,179,904)
    # + conv4_4_CPM (295,040)
    print(f'OpenPoseVGG (VGG-19 conv1_1-conv4_2 + CPM) parameters: {n:,}')
    assert n == 7_340_480 == _expected_params((64, 128, 256, 512, 256, 128))
    assert model.out_channels == 128
    # torchvision vgg19().features indices of the convs up to conv4_2
    convs = [i for i, m in enumerate(model.features)
             if isinstance(m, nn.Conv2d)]
    assert convs == [0, 2, 5, 7, 10, 12, 14, 16, 19, 21]
    pools = [i for i, m in enumerate(model.features)
             if isinstance(m, nn.MaxPool2d)]
    assert pools == [4, 9, 18]
    assert [c.out_channels for c in model.cpm if isinstance(c, nn.Conv2d)
            ] == [256, 128]
    assert all(c.kernel_size == (3, 3) for c in model.modules()
               if isinstance(c, nn.Conv2d))
    with torch.no_grad():
        out = model(torch.randn(1, 3, 32, 48))
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0].shape == (1, 128, 4, 6)


def test_tiny_variant_shapes_stride_and_bn():
    model = MODELS.build(dict(type='OpenPoseVGG', widen_factor=1 / 8,
                              norm_cfg=dict(type='BN')))
    assert model.widths == (8, 16, 32, 64, 32, 16)
    assert model.out_channels == 16
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(bns) == 12
    # vgg19_bn layout: conv, BN, ReLU
    assert isinstance(model.features[1], nn.BatchNorm2d)
    for h, w in [(64, 48), (96, 128)]:
        out = model(torch.randn(2, 3, h, w))
        assert out[0].shape == (2, 16, h // 8, w // 8)
    n = sum(p.numel() for p in model.parameters())
    assert n < 120_000
    assert _expected_params(model.widths) + 2 * sum(model.widths[:1] * 2 +
                                                    model.widths[1:2] * 2 +
                                                    model.widths[2:3] * 4 +
                                                    model.widths[3:4] * 2 +
                                                    model.widths[4:]) == n

    custom = OpenPoseVGG(widths=(4, 4, 8, 8, 8, 6), num_convs=(1, 1, 2, 1))
    assert custom(torch.randn(1, 3, 16, 16))[0].shape == (1, 6, 2, 2)
    with pytest.raises(ValueError, match='widths'):
        OpenPoseVGG(widths=(64, 128))
    with pytest.raises(ValueError, match='stride'):
        custom(torch.randn(1, 3, 4, 16))


@pytest.mark.parametrize('num_pools', [1, 2, 3])
def test_num_pools_sets_the_stride(num_pools):
    model = OpenPoseVGG(widths=(4, 4, 8, 8, 8, 6), num_pools=num_pools)
    stride = 2**num_pools
    assert model.stride == stride
    assert model(torch.randn(1, 3, 32, 48))[0].shape == (1, 6, 32 // stride,
                                                          48 // stride)
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == num_pools
    with pytest.raises(ValueError, match='num_pools'):
        OpenPoseVGG(num_pools=4)


def test_kaiming_init_keeps_activations_alive():
    torch.manual_seed(0)
    model = OpenPoseVGG(widen_factor=0.25)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            assert torch.all(m.bias == 0)
            fan_out = m.out_channels * 9
            assert m.weight.std().item() == pytest.approx(
                (2 / fan_out)**0.5, rel=0.2)
    with torch.no_grad():
        out = model(torch.randn(2, 3, 64, 64))[0]
    assert out.std() > 0.05  # the signal does not vanish through 12 convs
    assert (out > 0).float().mean() > 0.1


def test_torchvision_layout_checkpoint_loads(tmp_path):
    """A checkpoint laid out like torchvision's vgg19 loads into
    ``features`` (extra keys of conv4_3 onwards / the classifier are
    ignored)."""
    src = OpenPoseVGG(widen_factor=0.125)
    state = {f'features.{k}': v.clone()
             for k, v in src.features.state_dict().items()}
    state['features.23.weight'] = torch.zeros(8, 8, 3, 3)  # conv4_3 of VGG
    state['classifier.0.weight'] = torch.zeros(4, 4)
    path = tmp_path / 'vgg19_like.pth'
    torch.save(state, path)
    model = OpenPoseVGG(widen_factor=0.125,
                        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    assert not torch.equal(model.features[0].weight, src.features[0].weight)
    model.init_weights()
    for k, v in src.features.state_dict().items():
        assert torch.equal(model.features.state_dict()[k], v), k


def test_channels_last_same_values_and_grads():
    torch.manual_seed(0)
    ref = OpenPoseVGG(widths=(4, 8, 8, 8, 8, 6), num_convs=(1, 1, 1, 1),
                      num_pools=2, norm_cfg=dict(type='BN'))
    nhwc = OpenPoseVGG(widths=(4, 8, 8, 8, 8, 6), num_convs=(1, 1, 1, 1),
                       num_pools=2, norm_cfg=dict(type='BN'),
                       channels_last=True)
    nhwc.load_state_dict(ref.state_dict())
    assert nhwc.features[0].weight.is_contiguous(
        memory_format=torch.channels_last)
    x = torch.randn(2, 3, 32, 32)
    a, b = ref(x)[0], nhwc(x)[0]
    assert b.is_contiguous(memory_format=torch.channels_last)
    assert not a.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    a.square().sum().backward()
    b.square().sum().backward()
    torch.testing.assert_close(ref.features[0].weight.grad,
                               nhwc.features[0].weight.grad,
                               rtol=1e-3, atol=1e-4)
