import pytest
import torch

import math

from kp_ext.models.losses.heatmap_loss import (AdaptiveWingLoss,
                                               KeypointMSELoss,
                                               KeypointOHKMMSELoss)
from kp_ext.registry import MODELS


def test_mse_loss_masks_keypoints():
    torch.manual_seed(0)
    out = torch.rand(2, 3, 4, 5)
    tgt = torch.rand(2, 3, 4, 5)
    w = torch.tensor([[1., 0., 1.], [0.5, 1., 0.]])
    loss = MODELS.build(dict(type='KeypointMSELoss'))(out, tgt, w)
    expected = ((out - tgt) ** 2 * w[:, :, None, None]).mean()
    assert torch.allclose(loss, expected)
    # a masked keypoint's error does not change the loss
    out2 = out.clone()
    out2[0, 1] += 10
    assert torch.allclose(KeypointMSELoss()(out2, tgt, w), expected)
    # without target weights: plain MSE, scaled by loss_weight
    plain = KeypointMSELoss(use_target_weight=False, loss_weight=2.)
    assert torch.allclose(plain(out, tgt), 2 * ((out - tgt) ** 2).mean())


def test_mse_loss_skip_empty_channel_and_errors():
    out = torch.ones(1, 2, 3, 3)
    tgt = torch.zeros(1, 2, 3, 3)
    tgt[0, 0, 1, 1] = 1.
    loss = KeypointMSELoss(use_target_weight=False,
                           skip_empty_channel=True)(out, tgt)
    # channel 1 (empty) is dropped: 8 errors of 1 in channel 0 over 18
    assert torch.isclose(loss, torch.tensor(8 / 18))
    with pytest.raises(ValueError):
        KeypointMSELoss()(out, tgt)  # needs weights
    with pytest.raises(ValueError):
        KeypointMSELoss()(out, tgt[:, :1], torch.ones(1, 2))


def test_ohkm_loss_keeps_hardest():
    out = torch.zeros(1, 4, 2, 2)
    tgt = torch.zeros(1, 4, 2, 2)
    tgt[0, 0] = 1.  # per-keypoint loss 1
    tgt[0, 2] = 2.  # per-keypoint loss 4
    w = torch.ones(1, 4)
    loss = KeypointOHKMMSELoss(topk=2)(out, tgt, w)
    assert torch.isclose(loss, torch.tensor((1. + 4.) / 2))
    w[0, 2] = 0.
    loss = KeypointOHKMMSELoss(topk=2)(out, tgt, w)
    assert torch.isclose(loss, torch.tensor((1. + 0.) / 2))
    with pytest.raises(ValueError):
        KeypointOHKMMSELoss(topk=5)(out, tgt, w)


def _awing_scalar(y, p, alpha=2.1, omega=14., eps=1., theta=.5):
    """Eq. 8 of Wang et al. (ICCV 2019), one pixel, plain math."""
    d = abs(y - p)
    e = alpha - y
    if d < theta:
        return omega * math.log(1 + (d / eps) ** e)
    a = omega * (1 / (1 + (theta / eps) ** e)) * e * \
        (theta / eps) ** (e - 1) / eps
    c = theta * a - omega * math.log(1 + (theta / eps) ** e)
    return a * d - c


def test_adaptive_wing_loss_matches_the_equation_per_pixel():
    torch.manual_seed(0)
    tgt = torch.rand(2, 3, 4, 5)
    out = tgt + (torch.rand(2, 3, 4, 5) - 0.5) * 2.4  # both pieces used
    d = (out - tgt).abs()
    assert (d < 0.5).any() and (d >= 0.5).any()
    w = torch.tensor([[1., 0., 1.], [0.5, 1., 1.]])
    loss = MODELS.build(dict(type='kp_ext.AdaptiveWingLoss'))(out, tgt, w)
    ref = sum(_awing_scalar(float(tgt[b, k, i, j]), float(out[b, k, i, j]))
              * float(w[b, k])
              for b in range(2) for k in range(3)
              for i in range(4) for j in range(5)) / out.numel()
    assert loss.item() == pytest.approx(ref, rel=1e-5)
    # a masked keypoint's error does not count
    out2 = out.clone()
    out2[0, 1] += 5
    assert AdaptiveWingLoss()(out2, tgt, w).item() == pytest.approx(
        ref, rel=1e-5)
    # other constants and loss_weight reach the formula
    loss = AdaptiveWingLoss(alpha=3., omega=5., epsilon=.5, theta=.3,
                            use_target_weight=False, loss_weight=2.)(
                                out, tgt)
    ref = sum(_awing_scalar(float(y), float(p), 3., 5., .5, .3)
              for y, p in zip(tgt.flatten(), out.flatten())) / out.numel()
    assert loss.item() == pytest.approx(2 * ref, rel=1e-5)


def test_adaptive_wing_loss_is_continuous_at_theta_and_keeps_peak_gradient():
    y = torch.tensor([0., .5, 1.]).reshape(1, 3, 1, 1)
    f = AdaptiveWingLoss(use_target_weight=False)
    below = f(y + 0.5 - 1e-4, y).item()
    above = f(y + 0.5 + 1e-4, y).item()
    assert below == pytest.approx(above, abs=1e-2)
    # near the peak (y = 1) a small error keeps a much larger gradient than
    # on the background (y = 0): the point of the adaptive exponent
    p = (y + 0.01).requires_grad_(True)
    f(p, y).backward()
    g = p.grad.flatten()
    assert g[2] > 10 * g[0] > 0
    # bf16 outputs are computed in float32
    assert f(p.detach().bfloat16(), y).dtype == torch.float32


def test_adaptive_wing_loss_errors():
    out = torch.zeros(1, 2, 3, 3)
    with pytest.raises(ValueError, match='target_weights'):
        AdaptiveWingLoss()(out, out)
    with pytest.raises(ValueError, match='alpha'):
        AdaptiveWingLoss(alpha=1.)
    with pytest.raises(ValueError, match='theta'):
        AdaptiveWingLoss(theta=0.)
    with pytest.raises(ValueError, match='shape'):
        AdaptiveWingLoss(use_target_weight=False)(out, out[:, :1])
