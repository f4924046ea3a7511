import pytest
import torch

from kp_ext.models.losses.heatmap_loss import (KeypointMSELoss,
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
