"""LightPAFHead (issue 22): per-stage shapes, refinement inputs,
parameter count against a hand count, gradients from the last stage to
the first, and prediction through BasePAFHead."""
import numpy as np
import torch
import torch.nn as nn

from kp_ext.models.heads import LightPAFHead
from kp_ext.registry import MODELS
from kp_ext.structures import PoseDataSample

K, L = 17, 29  # kp_ext's COCO-17 body model (coco.py)


def _hand_params(f, c, mid, stages, dilations, k=17, limbs=29):
    """Convs without bias before BN; the two output convs with bias."""
    p, s = 2 * limbs, k
    total = 0
    for i in range(stages):
        cin = f if i == 0 else f + p + s
        if cin != c:
            total += cin * c + 2 * c
        total += len(dilations) * (9 * c + 2 * c + c * c + 2 * c)
        for out in (p, s):
            total += c * mid + 2 * mid + mid * out + out
    return total


def test_shapes_stages_and_params():
    head = MODELS.build(dict(
        type='LightPAFHead', in_channels=128,
        decoder=dict(type='PartAffinityField', input_size=(368, 368),
                     heatmap_size=(46, 46), body_model='coco.py')))
    assert isinstance(head, LightPAFHead)
    assert (head.num_keypoints, head.num_limbs) == (K, L)
    assert head.num_stages == len(head.trunks) == 2
    n = sum(p.numel() for p in head.parameters())
    assert n == _hand_params(128, 128, 128, 2, (1, 2, 4)) == 220_438
    # stage 1 starts with a separable unit on F, stage 2 with a 1x1 conv
    # on concat(F, PAF, CM)
    first = [m for m in head.trunks[1].modules()
             if isinstance(m, nn.Conv2d)][0]
    assert first.in_channels == 128 + 2 * L + K
    assert first.kernel_size == (1, 1)
    pafs, cms = head.eval()(torch.randn(2, 128, 6, 5))
    assert len(pafs) == len(cms) == 2
    for p, c in zip(pafs, cms):
        assert p.shape == (2, 2 * L, 6, 5) and c.shape == (2, K, 6, 5)


def test_stage_2_sees_stage_1():
    torch.manual_seed(0)
    head = LightPAFHead(in_channels=8, num_keypoints=3, num_limbs=2,
                        stage_channels=8, mid_channels=8,
                        dilations=(1, 2)).eval()
    x = torch.randn(1, 8, 6, 6)
    with torch.no_grad():
        before = head(x)[0][-1]
        head.cm_stages[0][-1].bias.add_(1.0)
        after = head(x)[0][-1]
    assert not torch.allclose(before, after)


def test_last_stage_loss_reaches_first_stage_and_features():
    torch.manual_seed(0)
    head = LightPAFHead(in_channels=6, num_keypoints=3, num_limbs=2,
                        num_stages=3, stage_channels=8, mid_channels=8,
                        dilations=(1, ))
    x = torch.randn(2, 6, 6, 6, requires_grad=True)
    pafs, cms = head(x)
    (pafs[-1].square().mean() + cms[-1].square().mean()).backward()
    assert x.grad.abs().sum() > 0
    for module in (head.trunks[0], head.paf_stages[0], head.cm_stages[0]):
        for p in module.parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0


def test_predict_groups_people_from_its_maps():
    """Through BasePAFHead: maps -> grouped instances in input pixels."""
    head = LightPAFHead(
        in_channels=8, stage_channels=8, mid_channels=8, dilations=(1, ),
        decoder=dict(type='PartAffinityField', input_size=(64, 64),
                     heatmap_size=(16, 16), body_model='coco.py',
                     peak_threshold=-1.0, paf_threshold=-1.0,
                     min_mean_score=-1.0)).eval()
    with torch.no_grad():
        preds = head.predict(torch.randn(1, 8, 16, 16), [PoseDataSample()])
    inst = preds[0]
    assert inst.keypoints.ndim == 3 and inst.keypoints.shape[1:] == (K, 2)
    assert np.isfinite(inst.keypoints).all()
