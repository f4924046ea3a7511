import math

import numpy as np
import pytest
import torch
from scipy.interpolate import RBFInterpolator

from kp_ext.models.utils.tps_warp import (TPS, TPSWarp, fit_tps,
                                          make_fse_pair, pixel_grid,
                                          tps_warp_images)
from kp_ext.registry import MODELS


def _rng(seed=0):
    return np.random.default_rng(seed)


def _blob(h, w, centers, sigma=1.5):
    """(B, 1, H, W) Gaussian blobs at float pixel centres (B, 2)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    out = []
    for cx, cy in centers:
        out.append(np.exp(-((xs - cx)**2 + (ys - cy)**2) / (2 * sigma**2)))
    return torch.tensor(np.stack(out)[:, None], dtype=torch.float32)


def _centroid(img, thresh=0.02):
    """Brightness centroid (B, 2) in pixel coords (x, y) of (B,1,H,W)."""
    img = img[:, 0].double().clone()
    img[img < thresh] = 0
    h, w = img.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                            torch.arange(w, dtype=torch.float64),
                            indexing='ij')
    m = img.sum((1, 2))
    return torch.stack([(img * xs).sum((1, 2)) / m,
                        (img * ys).sum((1, 2)) / m], -1)


@pytest.mark.parametrize('reg', [0.0, 5.0, 200.0])
def test_fit_matches_scipy_rbf(reg):
    rng = _rng(1)
    n = 12
    ctrl = rng.uniform(0, 96, (n, 2))
    targets = ctrl + rng.normal(0, 4, (n, 2))
    query = rng.uniform(-10, 106, (200, 2))
    ref = RBFInterpolator(ctrl, targets, kernel='thin_plate_spline',
                          smoothing=reg, degree=1)(query)
    tps = fit_tps(torch.tensor(ctrl), torch.tensor(targets), reg=reg,
                  image_size=(96, 96))
    got = tps(torch.tensor(query)[None])[0].numpy()
    assert np.abs(got - ref).max() < 1e-6
    # float32 path (what training uses; r^2 by the |p|^2 + |c|^2 - 2 p.c
    # expansion) stays well below a thousandth of a pixel
    tps32 = fit_tps(torch.tensor(ctrl).float(),
                    torch.tensor(targets).float(), reg=reg,
                    image_size=(96, 96))
    got32 = tps32(torch.tensor(query).float()[None])[0].double().numpy()
    assert np.abs(got32 - ref).max() < 1e-3


def test_fit_interpolates_and_reproduces_affine():
    rng = _rng(2)
    ctrl = torch.tensor(rng.uniform(0, 64, (9, 2)))
    targets = ctrl + torch.tensor(rng.normal(0, 3, (9, 2)))
    tps = fit_tps(ctrl, targets, image_size=(64, 64))
    assert torch.allclose(tps(ctrl[None])[0], targets, atol=1e-8)
    # an affine target map is reproduced everywhere (zero bending)
    a = torch.tensor([[1.1, 0.2], [-0.15, 0.9]], dtype=torch.float64)
    t = torch.tensor([3.0, -2.0], dtype=torch.float64)
    tps = fit_tps(ctrl, ctrl @ a.T + t, image_size=(64, 64))
    q = torch.tensor(rng.uniform(-20, 80, (50, 2)))
    assert torch.allclose(tps(q[None])[0], q @ a.T + t, atol=1e-8)
    assert torch.allclose(tps.jacobian(q[None])[0],
                          a.expand(50, 2, 2), atol=1e-8)


def test_batched_control_points_match_individual_fits():
    rng = _rng(3)
    ctrl = torch.tensor(rng.uniform(0, 50, (3, 7, 2)))
    targets = ctrl + torch.tensor(rng.normal(0, 2, (3, 7, 2)))
    q = torch.tensor(rng.uniform(0, 50, (3, 20, 2)))
    batched = fit_tps(ctrl, targets, reg=1.0, image_size=(50, 50))(q)
    for b in range(3):
        single = fit_tps(ctrl[b], targets[b], reg=1.0,
                         image_size=(50, 50))(q[b:b + 1])[0]
        assert torch.allclose(batched[b], single, atol=1e-8)


def test_jacobian_matches_finite_differences():
    warp = TPSWarp(ctrl_sigma=0.08)
    tps = warp.sample(2, (40, 30), torch.Generator().manual_seed(0))
    tps = tps.to(torch.float64)
    pts = torch.rand(2, 25, 2, dtype=torch.float64) * torch.tensor(
        [40.0, 30.0])
    eps = 1e-5
    num = []
    for j in range(2):
        d = torch.zeros(2, dtype=torch.float64)
        d[j] = eps
        num.append((tps(pts + d) - tps(pts - d)) / (2 * eps))
    num = torch.stack(num, -1)  # (B, N, i, j)
    assert torch.allclose(tps.jacobian(pts), num, atol=1e-6)


def test_identity_and_integer_shift_follow_pixel_convention():
    rng = _rng(4)
    img = torch.tensor(rng.random((2, 3, 12, 17)), dtype=torch.float32)
    grid = torch.tensor(np.stack(np.meshgrid(np.linspace(0, 16, 4),
                                             np.linspace(0, 11, 4)),
                                 -1).reshape(-1, 2))
    ident = fit_tps(grid, grid.expand(2, -1, -1), image_size=(17, 12))
    out = tps_warp_images(img, ident)
    assert torch.allclose(out, img, atol=1e-5)
    # backward map T(u) = u + (3, 2): out(u) = img(u + (3, 2))
    shift = torch.tensor([3.0, 2.0], dtype=torch.float64)
    tps = fit_tps(grid, (grid + shift).expand(2, -1, -1),
                  image_size=(17, 12))
    out = tps_warp_images(img, tps)
    assert torch.allclose(out[:, :, :-2, :-3], img[:, :, 2:, 3:], atol=1e-5)
    assert out[:, :, -2:, :].abs().max() == 0  # zero padding outside


def test_linear_ramps_are_sampled_exactly_at_T():
    # bilinear interpolation is exact on linear functions, so warping the
    # images x(p) = p_x, y(p) = p_y must return T(u') at each pixel u'
    h, w = 40, 56
    ys, xs = torch.meshgrid(torch.arange(h).float(), torch.arange(w).float(),
                            indexing='ij')
    ramps = torch.stack([xs, ys])[None].repeat(3, 1, 1, 1)
    tps = TPSWarp(ctrl_sigma=0.05).sample(3, (w, h),
                                         torch.Generator().manual_seed(9))
    out = tps.warp_images(ramps, padding_mode='border')
    expected = tps(pixel_grid(h, w)).reshape(3, h, w, 2).permute(0, 3, 1, 2)
    inside = ((expected[:, 0] > 0) & (expected[:, 0] < w - 1)
              & (expected[:, 1] > 0) & (expected[:, 1] < h - 1))
    assert inside.float().mean() > 0.7
    err = (out - expected).abs().amax(1)[inside]
    assert err.max() < 1e-3


def test_dot_lands_where_inverse_says():
    h = w = 64
    warp = TPSWarp(ctrl_sigma=0.03, rotation=20)
    gen = torch.Generator().manual_seed(5)
    tps = warp.sample(6, (w, h), gen)
    src = torch.tensor([[20.3, 31.7], [40.6, 22.2], [31.5, 31.5],
                        [25.0, 44.4], [38.8, 40.1], [30.2, 18.9]])
    img = _blob(h, w, src.numpy(), sigma=1.2)
    out = warp.warp_images(img, tps)
    inv = tps.inverse(src[:, None])[:, 0]  # T^{-1}(p) by Newton
    assert (tps(inv[:, None])[:, 0] - src).abs().max() < 1e-3
    # the brightest pixel of the warped image is the pixel nearest u'
    flat = out[:, 0].reshape(6, -1).argmax(-1)
    peak = torch.stack([flat % w, flat // w], -1).float()
    assert ((peak - inv).abs() <= 0.5 + 1e-3).all()
    # the dot's centroid c satisfies T(c) ~ p (second-order blob bias only)
    c = _centroid(out).float()
    assert (tps(c[:, None])[:, 0] - src).norm(dim=-1).max() < 0.25
    assert (inv - c).norm(dim=-1).max() < 0.25


def test_random_warps_are_fold_free_and_folds_are_detected():
    h = w = 48
    # a deliberately folding TPS: swap two neighbouring control targets
    xs = torch.linspace(0, w - 1, 3, dtype=torch.float64)
    gy, gx = torch.meshgrid(xs, xs, indexing='ij')
    ctrl = torch.stack([gx.reshape(-1), gy.reshape(-1)], -1)
    tgt = ctrl.clone()
    tgt[[3, 5]] = tgt[[5, 3]]
    fold = fit_tps(ctrl, tgt, image_size=(w, h))
    dense = pixel_grid(h, w, dtype=torch.float64)
    assert fold.jacobian_det(dense).min() < 0

    # strong perturbations: raw draws fold, TPSWarp's draws do not
    warp = TPSWarp(num_ctrl=5, ctrl_sigma=0.35, min_det=0.05)
    gen = torch.Generator().manual_seed(0)
    tps = warp.sample(64, (w, h), gen)
    dets = tps.jacobian_det(pixel_grid(h, w))
    assert dets.min() > 0
    fr = warp._frame((w, h))
    raw_params = fr['solve'] @ (fr['ctrl'] + 0.35 * torch.randn(
        64, 25, 2, generator=torch.Generator().manual_seed(1)))
    raw = TPS(fr['ctrl'], raw_params, fr['origin'], fr['scale'], (w, h))
    assert (raw.jacobian_det(pixel_grid(h, w)).amin(1) <= 0).float().mean(
    ) > 0.2
    # and gentle defaults keep most of the perturbation (no shrinking)
    gentle = TPSWarp().sample(32, (w, h), torch.Generator().manual_seed(2))
    assert gentle.jacobian_det(pixel_grid(h, w)).min() > 0.1


def test_sample_statistics_follow_config():
    warp = TPSWarp(ctrl_sigma=0.0, rotation=30, scale=(1.0, 1.0), aspect=0,
                   translation=0.0, shear=0.0)
    tps = warp.sample(200, (50, 50), torch.Generator().manual_seed(3))
    j = tps.jacobian(torch.tensor([[24.5, 24.5]]))[:, 0]
    # pure rotations: orthonormal Jacobian, angle within +-30 deg
    assert torch.allclose(j @ j.transpose(-1, -2),
                          torch.eye(2).expand(200, 2, 2), atol=1e-4)
    ang = torch.atan2(j[:, 1, 0], j[:, 0, 0]) * 180 / math.pi
    assert ang.abs().max() <= 30.0 + 1e-3 and ang.abs().max() > 25
    # rotation about the image centre
    centre = torch.tensor([[24.5, 24.5]])
    assert torch.allclose(tps(centre), centre.expand(200, 1, 2), atol=1e-3)


def test_pair_generation_consistent_with_known_warp():
    h = w = 64
    src = torch.tensor([[30.0, 28.0], [34.5, 36.2], [28.3, 33.1]])
    img = _blob(h, w, src.numpy(), sigma=1.6)
    for compose in (True, False):
        warp = MODELS.build(dict(type='TPSWarp', compose=compose,
                                 ctrl_sigma=0.05))
        x1, x2, t2 = warp.make_pair(img, torch.Generator().manual_seed(7))
        assert x1.shape == x2.shape == img.shape
        c1, c2 = _centroid(x1).float(), _centroid(x2).float()
        # dot of x2 mapped by T2 lands on the dot of x1
        err = (t2(c2[:, None])[:, 0] - c1).norm(dim=-1)
        assert err.max() < 0.3, (compose, err)
    # without composition x2 is exactly x1 resampled through T2
    warp = TPSWarp(compose=False)
    x1, x2, t2 = warp.make_pair(img, torch.Generator().manual_seed(8))
    assert torch.allclose(x2, warp.warp_images(x1, t2))
    # functional API, same seed -> same pair
    a = make_fse_pair(img, dict(compose=False),
                      torch.Generator().manual_seed(8))
    assert torch.allclose(a[1], x2)


def test_pair_mode_image_and_warp():
    h = w = 64
    src = torch.tensor([[30.0, 28.0], [34.5, 36.2], [28.3, 33.1]])
    img = _blob(h, w, src.numpy(), sigma=1.6)
    warp = TPSWarp(pair_mode='image_and_warp', ctrl_sigma=0.05)
    x1, x2, t2 = warp.make_pair(img, torch.Generator().manual_seed(7))
    assert torch.equal(x1, img)  # the image itself, unwarped
    assert torch.allclose(x2, warp.warp_images(img, t2))
    c1, c2 = _centroid(x1).float(), _centroid(x2).float()
    err = (t2(c2[:, None])[:, 0] - c1).norm(dim=-1)
    # (the centroid of a TPS-warped blob is off its warped centre by a few
    # tenths of a pixel); without applying T2 the dots miss by pixels
    assert err.max() < 0.5, err
    assert (c2 - c1).norm(dim=-1).min() > 1.0
    with pytest.raises(ValueError, match='pair_mode'):
        TPSWarp(pair_mode='image')


def test_compose_matches_two_step_resampling_on_smooth_image():
    h = w = 48
    ys, xs = torch.meshgrid(torch.arange(h).float(), torch.arange(w).float(),
                            indexing='ij')
    img = (torch.sin(xs / 7.0) + torch.cos(ys / 5.0))[None, None].repeat(
        4, 1, 1, 1)
    gen = 11
    x1a, x2a, _ = TPSWarp(compose=True, padding_mode='border').make_pair(
        img, torch.Generator().manual_seed(gen))
    x1b, x2b, _ = TPSWarp(compose=False, padding_mode='border').make_pair(
        img, torch.Generator().manual_seed(gen))
    assert torch.equal(x1a, x1b)
    inner = (slice(None), slice(None), slice(12, 36), slice(12, 36))
    assert (x2a[inner] - x2b[inner]).abs().max() < 0.05


def test_grad_flows_through_image_warp():
    img = torch.rand(2, 1, 16, 16, requires_grad=True)
    out, tps = TPSWarp()(img)
    out.sum().backward()
    assert img.grad is not None and img.grad.abs().sum() > 0
    assert len(tps) == 2


def test_bad_arguments():
    with pytest.raises(ValueError):
        TPSWarp(num_ctrl=1)
    with pytest.raises(ValueError):
        TPSWarp(scale=(1.2, 1.0))
    tps = TPSWarp().sample(2, (16, 16))
    with pytest.raises(ValueError):
        tps(torch.zeros(3, 4, 2))


def test_point_gradients_match_analytic_jacobian():
    # the loss back-propagates through T(landmarks): autograd == dT/dp
    tps = TPSWarp(ctrl_sigma=0.06).sample(
        2, (32, 32), torch.Generator().manual_seed(4)).to(torch.float64)
    pts = (torch.rand(2, 5, 2, dtype=torch.float64) * 31).requires_grad_()
    out = tps(pts)
    for i in range(2):
        (g, ) = torch.autograd.grad(out[..., i].sum(), pts,
                                    retain_graph=True)
        assert torch.allclose(g, tps.jacobian(pts.detach())[..., i, :],
                              atol=1e-9)
    # no-grad evaluation (in-place kernel) gives the same values
    with torch.no_grad():
        assert torch.allclose(tps(pts), out, atol=1e-12)
