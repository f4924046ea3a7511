import itertools

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from kp_ext.models.heads.landmark_head import (LandmarkHead, heatmap_coords,
                                               soft_argmax, spatial_softmax)
from kp_ext.models.losses.fse_loss import DiversityLoss, EquivarianceLoss
from kp_ext.models.utils.tps_warp import TPSWarp, fit_tps
from kp_ext.registry import MODELS
from kp_ext.structures import PoseDataSample


def _delta_maps(b, k, h, w, positions):
    """Probability maps with all mass on pixel positions[b][k] = (i, j)."""
    p = torch.zeros(b, k, h, w)
    for bi in range(b):
        for ki in range(k):
            i, j = positions[bi][ki]
            p[bi, ki, i, j] = 1.0
    return p


def _random_probs(b, k, h, w, seed):
    g = torch.Generator().manual_seed(seed)
    return spatial_softmax(torch.randn(b, k, h, w, generator=g) * 2)


# -- diversity ---------------------------------------------------------------
def test_diversity_hand_values():
    same = _delta_maps(1, 2, 5, 5, [[(2, 3), (2, 3)]])
    apart = _delta_maps(1, 2, 5, 5, [[(0, 0), (4, 4)]])
    quad = DiversityLoss(mode='quadratic')
    lin = DiversityLoss(mode='linear')
    # identical deltas: sum_{k != k'} = 2 pairs x 1; K - sum max = 2 - 1
    assert quad(same).item() == pytest.approx(2.0)
    assert lin(same).item() == pytest.approx(1.0)
    assert quad(apart).item() == pytest.approx(0.0)
    assert lin(apart).item() == pytest.approx(0.0)
    # normalised maximum is 1
    assert DiversityLoss('quadratic', normalize=True)(same).item() == \
        pytest.approx(1.0)
    # K identical deltas: K(K-1) and K-1
    k = 4
    same4 = _delta_maps(1, k, 3, 3, [[(1, 1)] * k])
    assert quad(same4).item() == pytest.approx(k * (k - 1))
    assert lin(same4).item() == pytest.approx(k - 1)
    # two identical uniform maps on N cells: 2/N and 1
    uni = torch.full((1, 2, 4, 5), 1 / 20)
    assert quad(uni).item() == pytest.approx(2 / 20)
    assert lin(uni).item() == pytest.approx(1.0)


def test_diversity_matches_brute_force_loops():
    probs = _random_probs(3, 4, 6, 7, seed=0)
    p = probs.double().numpy()
    quad_ref, lin_ref = 0.0, 0.0
    for b in range(3):
        for k1, k2 in itertools.product(range(4), range(4)):
            if k1 != k2:
                quad_ref += (p[b, k1] * p[b, k2]).sum()
        for i in range(6):
            for j in range(7):
                col = p[b, :, i, j]
                lin_ref += col.sum() - col.max()
    loss_q = DiversityLoss('quadratic', loss_weight=2.0)(probs)
    loss_l = DiversityLoss('linear')(probs)
    assert loss_q.item() == pytest.approx(2.0 * quad_ref / 3, rel=1e-5)
    assert loss_l.item() == pytest.approx(lin_ref / 3, rel=1e-5)


def test_diversity_pooling_merges_neighbours_and_preserves_mass():
    near = _delta_maps(1, 2, 7, 7, [[(2, 2), (3, 3)]])
    assert DiversityLoss('linear')(near).item() == 0
    pooled = DiversityLoss('linear', pool_size=2)
    assert pooled(near).item() == pytest.approx(1.0)  # same 2x2 cell
    # mass preserved with a size not divisible by the pool
    probs = _random_probs(2, 3, 7, 9, seed=1)
    assert torch.allclose(pooled.pool(probs).sum((2, 3)),
                          torch.ones(2, 3), atol=1e-5)
    # pooling cannot decrease overlap (sum of max <= max of sums)
    assert pooled(probs) >= DiversityLoss('linear')(probs) - 1e-6


def test_diversity_gradient_and_errors():
    logits = torch.randn(2, 3, 5, 5, requires_grad=True)
    DiversityLoss('quadratic')(spatial_softmax(logits)).backward()
    assert logits.grad.abs().sum() > 0
    with pytest.raises(ValueError):
        DiversityLoss(mode='cubic')
    with pytest.raises(ValueError):
        DiversityLoss()(torch.zeros(3, 4, 4))


# -- equivariance ------------------------------------------------------------
def test_equivariance_hand_values():
    lm_ref = torch.tensor([[[10.0, 20.0], [50.0, 50.0]]])
    lm_w = lm_ref + torch.tensor([[[3.0, 4.0], [0.0, 0.0]]])
    # identity warp, pixels: (25 + 0) / 2
    raw = EquivarianceLoss(normalize=False)
    assert raw(lm_w, lm_ref).item() == pytest.approx(12.5)
    # normalised to [-1, 1] over a 100 x 50 image: (0.06^2 + 0.16^2) / 2
    norm = EquivarianceLoss(loss_weight=3.0)
    assert norm(lm_w, lm_ref, image_size=(100, 50)).item() == pytest.approx(
        3.0 * (0.06**2 + 0.16**2) / 2)
    # the warp is applied to the warped-image landmarks: T(u) = u - (3, 4)
    shift = lambda p: p - torch.tensor([3.0, 4.0])  # noqa: E731
    lm_w2 = lm_ref + torch.tensor([3.0, 4.0])
    assert raw(lm_w2, lm_ref, shift).item() == pytest.approx(0.0)
    with pytest.raises(ValueError):
        EquivarianceLoss()(lm_w, lm_ref)  # no image size


def _brightest_spot(images):
    """An exactly equivariant 'detector': brightness centroid, (B, 1, 2)."""
    img = images[:, 0]
    h, w = img.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(h).float(), torch.arange(w).float(),
                            indexing='ij')
    wgt = torch.where(img > 0.05, img, torch.zeros_like(img))
    m = wgt.sum((1, 2))
    return torch.stack([(wgt * xs).sum((1, 2)) / m,
                        (wgt * ys).sum((1, 2)) / m], -1)[:, None]


def test_equivariance_zero_for_equivariant_detector_on_dot_images():
    h = w = 64
    rng = np.random.default_rng(0)
    centres = rng.uniform(24, 40, (4, 2))
    ys, xs = np.mgrid[0:h, 0:w]
    dots = np.stack([np.exp(-((xs - cx)**2 + (ys - cy)**2) / 2.0)
                     for cx, cy in centres])[:, None]
    x = torch.tensor(dots, dtype=torch.float32)
    warp = TPSWarp(ctrl_sigma=0.03)
    x1, x2, t2 = warp.make_pair(x, torch.Generator().manual_seed(3))
    loss = EquivarianceLoss(normalize=False)
    good = loss(_brightest_spot(x2), _brightest_spot(x1), t2).item()
    assert good < 0.05  # px^2 (blob-centroid bias of a curved warp only)
    # a non-equivariant detector (fixed image centre) is penalised by
    # exactly mean |T2(c) - c|^2
    c = torch.full((4, 1, 2), 31.5)
    bad = loss(c, c, t2).item()
    ref = ((t2(c) - c)**2).sum(-1).mean().item()
    assert bad == pytest.approx(ref) and bad > 10 * good


def test_probabilistic_form_matches_double_sum():
    b, k, h, w = 2, 3, 4, 5
    stride = (4.0, 4.0)
    size = (20, 16)
    pw = _random_probs(b, k, h, w, seed=2).double()
    pr = _random_probs(b, k, h, w, seed=3).double()
    # unit mass to double precision (the O(HW) form relies on it)
    pw = pw / pw.sum((2, 3), keepdim=True)
    pr = pr / pr.sum((2, 3), keepdim=True)
    xs, ys = heatmap_coords(h, w, stride, dtype=torch.float64)
    gy, gx = torch.meshgrid(ys, xs, indexing='ij')
    coords = torch.stack([gx, gy], -1).reshape(-1, 2)
    a = torch.tensor([[0.9, 0.1], [-0.2, 1.05]], dtype=torch.float64)
    t = torch.tensor([1.5, -2.0], dtype=torch.float64)
    ctrl = coords[[0, 4, 15, 19, 7]]  # corners + one inner point
    tgt = ctrl @ a.T + t
    tgt = tgt + torch.tensor([0.0, 0.0, 0.0, 0.0, 1.0]).unsqueeze(-1)
    warp = fit_tps(ctrl, tgt.expand(b, -1, -1), image_size=size)
    tu = warp(coords).numpy()  # (B, N, 2)
    v = coords.numpy()
    s = np.array([2 / size[0], 2 / size[1]])
    ref = 0.0
    for bi in range(b):
        for ki in range(k):
            d = (tu[bi][:, None] - v[None]) * s  # (N, N, 2)
            dist = (d**2).sum(-1)
            ref += (pw[bi, ki].numpy().reshape(-1)[:, None] *
                    pr[bi, ki].numpy().reshape(-1)[None] * dist).sum()
    ref /= b * k
    loss = EquivarianceLoss(mode='probabilistic')
    got = loss(pw, pr, warp, image_size=size, coords=coords).item()
    assert got == pytest.approx(ref, rel=1e-9), (got, ref)
    # delta maps: the probabilistic form equals the coordinate form
    dw = _delta_maps(1, 2, h, w, [[(1, 2), (3, 0)]]).double()
    dr = _delta_maps(1, 2, h, w, [[(2, 2), (0, 4)]]).double()
    wp = warp.index(slice(0, 1))
    lw, lr = soft_argmax(dw, stride), soft_argmax(dr, stride)
    coord = EquivarianceLoss()(lw, lr, wp, image_size=size).item()
    prob = loss(dw, dr, wp, image_size=size, coords=coords).item()
    assert prob == pytest.approx(coord, rel=1e-9)


# -- head --------------------------------------------------------------------
def test_soft_argmax_peak_follows_stride_mapping():
    h, w, stride = 6, 8, (4.0, 2.0)
    logits = torch.full((1, 2, h, w), -1e4)
    logits[0, 0, 1, 5] = 50.0
    logits[0, 1, 4, 0] = 50.0
    lm = soft_argmax(spatial_softmax(logits), stride)[0]
    # (j + 0.5) * s - 0.5
    assert torch.allclose(lm[0], torch.tensor([21.5, 2.5]))
    assert torch.allclose(lm[1], torch.tensor([1.5, 8.5]))
    # stability: a huge common offset changes nothing
    lm2 = soft_argmax(spatial_softmax(logits + 1e6), stride)[0]
    assert torch.isfinite(lm2).all()


def _head(**kw):
    cfg = dict(type='LandmarkHead', num_keypoints=3, input_size=(32, 32))
    cfg.update(kw)
    return MODELS.build(cfg)


def test_head_loss_gradients_flow_to_backbone():
    net = MODELS.build(dict(type='FSEConvNet', out_channels=3, arch='fast'))
    head = _head(learnable_beta=True, beta=2.0)
    x = torch.rand(2, 3, 32, 32)
    x1, x2, t2 = TPSWarp().make_pair(x, torch.Generator().manual_seed(0))
    losses = head.loss(net(x1), net(x2), t2, train_cfg={})
    assert set(losses) == {'loss_equiv', 'loss_div', 'beta'}
    assert losses['beta'].item() == pytest.approx(2.0)
    (losses['loss_equiv'] + losses['loss_div']).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert net.layers[0].weight.grad.abs().sum() > 0
    assert head.log_beta.grad is not None


def test_head_loss_matches_manual_computation_and_stages():
    head = _head(loss_diversity=dict(type='DiversityLoss', mode='quadratic'),
                 loss_equivariance=dict(type='EquivarianceLoss',
                                        normalize=False))
    g = torch.Generator().manual_seed(1)
    early1, m1 = torch.randn(2, 2, 3, 8, 8, generator=g)
    early2, m2 = torch.randn(2, 2, 3, 8, 8, generator=g)
    tps = TPSWarp().sample(2, (32, 32), g)
    losses = head.loss((early1, m1), (early2, m2), tps)
    p1, p2 = spatial_softmax(m1), spatial_softmax(m2)
    l1, l2 = soft_argmax(p1, (4, 4)), soft_argmax(p2, (4, 4))
    ref = ((tps(l2) - l1)**2).sum(-1).mean()
    assert torch.allclose(losses['loss_equiv'], ref)
    div = DiversityLoss('quadratic')
    assert torch.allclose(losses['loss_div'], (div(p1) + div(p2)) / 2)
    all_stages = _head(loss_all_stages=True)
    both = all_stages.loss((early1, m1), (early2, m2), tps)
    last = all_stages.loss((m1, ), (m2, ), tps)
    first = all_stages.loss((early1, ), (early2, ), tps)
    assert torch.allclose(both['loss_equiv'],
                          last['loss_equiv'] + first['loss_equiv'])


def test_head_probabilistic_mode_adds_spread_for_affine_warps():
    g = torch.Generator().manual_seed(4)
    m1, m2 = torch.randn(2, 2, 3, 8, 8, generator=g)
    # affine T: E[T(u)] = T(E[u]), so prob = coord + mean spread terms
    tps = TPSWarp(ctrl_sigma=0.0).sample(2, (32, 32), g)
    coord = _head().loss(m1, m2, tps)['loss_equiv']
    prob = _head(loss_equivariance=dict(
        type='EquivarianceLoss', mode='probabilistic')).loss(m1, m2,
                                                              tps)
    xs, _ = heatmap_coords(8, 8, (4, 4))
    s = 2 / 32

    def spread(m, jac=None):
        p = spatial_softmax(m)
        mean = soft_argmax(p, (4, 4))
        gy, gx = torch.meshgrid(xs, xs, indexing='ij')
        c = torch.stack([gx, gy], -1).reshape(1, 1, -1, 2) - mean[:, :, None]
        if jac is not None:
            c = c @ jac.transpose(-1, -2)[:, None]
        return (p.reshape(2, 3, -1) * (c * s).pow(2).sum(-1)).sum(-1)

    jac = tps.jacobian(torch.zeros(1, 2))[:, 0]
    ref = coord + (spread(m1) + spread(m2, jac)).mean()
    assert torch.allclose(prob['loss_equiv'], ref, rtol=1e-4)


def test_head_predict_torch_and_codec_agree():
    g = torch.Generator().manual_seed(5)
    maps = torch.randn(3, 4, 12, 16, generator=g) * 3
    samples = [PoseDataSample(metainfo=dict(input_size=(64, 48)))
               for _ in range(3)]
    head = LandmarkHead(num_keypoints=4, beta=1.5)
    preds = head.predict((maps, ), samples, {})
    assert len(preds) == 3 and isinstance(preds[0], InstanceData)
    assert preds[0].keypoints.shape == (1, 4, 2)
    assert preds[0].keypoint_scores.shape == (1, 4)
    ref = soft_argmax(spatial_softmax(maps, 1.5), (4.0, 4.0))
    assert np.allclose(preds[1].keypoints[0], ref[1].numpy(), atol=1e-4)
    peak = spatial_softmax(maps, 1.5).reshape(3, 4, -1).amax(-1)
    assert np.allclose(preds[2].keypoint_scores[0], peak[2].numpy())
    coded = LandmarkHead(num_keypoints=4, beta=1.5, decoder=dict(
        type='SoftArgmax', input_size=(64, 48), heatmap_size=(16, 12),
        beta=1.0))
    preds_c, fields = coded.predict(maps, samples,
                                    dict(output_heatmaps=True))
    for a, b in zip(preds, preds_c):
        assert np.allclose(a.keypoints, b.keypoints, atol=1e-4)
        assert np.allclose(a.keypoint_scores, b.keypoint_scores, atol=1e-5)
    assert fields[0].heatmaps.shape == (4, 12, 16)
    with pytest.raises(ValueError):
        head.predict(maps, samples, dict(flip_test=True))
    with pytest.raises(ValueError):
        head.predict(maps, None, {})  # no way to know the input size


def test_head_in_channels_projection():
    head = _head(in_channels=16)
    out = head(torch.randn(2, 16, 8, 8))
    assert out.shape == (2, 3, 8, 8)
