"""TPSWarp's sampled distributions against its configured ones.

What ``TPSWarp._affine`` / ``TPSWarp.sample`` draw (kp_ext/models/utils/
tps_warp.py): rotation uniform in +-``rotation`` DEGREES, isotropic scale
log-uniform in ``scale``, anisotropy a uniform in +-``aspect`` (s_x = s e^a,
s_y = s e^-a), shear uniform in +-``shear``, translation uniform in
+-``translation`` per axis and control-point offsets N(0, ``ctrl_sigma``^2)
per coordinate, both in units of HALF THE LARGER IMAGE SIDE; folding draws
get their offsets halved up to ``max_shrink`` times, then dropped.

Each statistic is recovered from the sampled maps only (a least-squares
affine fit of T over a grid of points, or T at the control points), and
each test fails for the plausible wrong sampler named in it (radians for
degrees, pixels or per-axis half sides for half the larger side, normal
for uniform, ...). Non-square images (96 x 64) tell "larger side" from
"per axis". Fast: a few thousand warps per test, all seeded.
"""
import importlib.util
import math

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from scipy import stats

import kp_ext  # noqa: F401
from conftest import REPO
from kp_ext.models.utils.tps_warp import TPS, TPSWarp
from kp_ext.registry import MODELS

W, H = 96, 64               # non-square: the unit is half the LARGER side
HALF = max(W, H) / 2.0      # 48 px
N = 4000
P_MIN = 1e-3                # KS p-value floor (fixed seeds: deterministic)

# one distribution at a time; an affine map's Jacobian is constant, so the
# fold check needs no more than a 2 x 2 grid (speed)
PURE = dict(ctrl_sigma=0.0, rotation=0.0, scale=(1.0, 1.0), aspect=0.0,
            translation=0.0, shear=0.0, check_grid=2)


def _sample(warp, n=N, size=(W, H), seed=0, chunk=500):
    gen = torch.Generator().manual_seed(seed)
    return [warp.sample(min(chunk, n - i), size, gen)
            for i in range(0, n, chunk)]


def _grid(w, h, g=9):
    xs = torch.linspace(0, w - 1, g, dtype=torch.float64)
    ys = torch.linspace(0, h - 1, g, dtype=torch.float64)
    gy, gx = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], -1)


def _affine_fit(tps_list, w=W, h=H, points=None):
    """Least squares T(p) ~ c + t + M (p - c) -> M (B, 2, 2), t (B, 2) px,
    residual (B, N, 2) px, at ``points`` (default: a 9 x 9 grid)."""
    p = _grid(w, h) if points is None else points.double()
    c = p.new_tensor([(w - 1) / 2.0, (h - 1) / 2.0])
    x = torch.cat([torch.ones_like(p[:, :1]), p - c], -1)
    y = torch.cat([t.to(torch.float64).warp_points(p) for t in tps_list])
    coef = torch.linalg.pinv(x) @ y
    return (coef[:, 1:].transpose(-1, -2), coef[:, 0] - c, y - x @ coef)


def _ks_uniform(x, lo, hi):
    return stats.kstest(np.asarray(x), 'uniform', args=(lo, hi - lo)).pvalue


def _ctrl_px(warp, size=(W, H)):
    fr = warp._frame(size)
    return (fr['ctrl'] * fr['scale'] + fr['origin']).double()


def test_rotation_is_uniform_in_degrees_and_rigid_in_pixels():
    warp = TPSWarp(**dict(PURE, rotation=30.0))
    m, t, res = _affine_fit(_sample(warp))
    assert res.abs().max() < 1e-3            # exactly affine
    # a rotation in PIXELS (isotropic frame): M orthonormal on a 96x64
    # image; rotating in per-axis normalised coordinates would shear it
    eye = torch.eye(2, dtype=m.dtype).expand_as(m)
    assert torch.allclose(m @ m.transpose(-1, -2), eye, atol=1e-5)
    ang = torch.rad2deg(torch.atan2(m[:, 1, 0], m[:, 0, 0])).numpy()
    # degrees (radians would give |angle| < 0.53), uniform (a normal with
    # std 30 would exceed 30; one with std 10 fails the KS test)
    assert np.abs(ang).max() <= 30.0 + 1e-3
    assert ang.max() > 29.5 and ang.min() < -29.5
    assert ang.std() == pytest.approx(30.0 / math.sqrt(3), rel=0.025)
    assert abs(ang.mean()) < 0.6
    assert _ks_uniform(ang, -30.0, 30.0) > P_MIN
    # about the image centre: no translation
    assert t.abs().max() < 1e-3


def test_scale_is_log_uniform_within_the_configured_range():
    lo, hi = 0.85, 1.15
    warp = TPSWarp(**dict(PURE, scale=(lo, hi)))
    m, _, _ = _affine_fit(_sample(warp, seed=1))
    s = torch.linalg.det(m).sqrt()
    # isotropic (aspect 0): M = s I, s > 1 samples a larger source area
    assert torch.allclose(m, s.view(-1, 1, 1) * torch.eye(2, dtype=m.dtype),
                          atol=1e-5)
    s = s.numpy()
    assert s.min() >= lo - 1e-5 and s.max() <= hi + 1e-5
    assert s.min() < lo + 0.003 and s.max() > hi - 0.003
    ls = np.log(s)
    assert _ks_uniform(ls, math.log(lo), math.log(hi)) > P_MIN
    # log-uniform fits better than uniform in s itself (the docstring's
    # "uniform in log space")
    d_log = stats.kstest(ls, 'uniform',
                         args=(math.log(lo), math.log(hi / lo))).statistic
    d_lin = stats.kstest(s, 'uniform', args=(lo, hi - lo)).statistic
    assert d_log < d_lin
    assert ls.std() == pytest.approx(math.log(hi / lo) / math.sqrt(12),
                                     rel=0.03)


def test_aspect_and_shear_are_uniform():
    warp = TPSWarp(**dict(PURE, aspect=0.1, shear=0.2))
    m, _, _ = _affine_fit(_sample(warp, seed=2))
    # rotation 0: M = diag(s e^a, s e^-a) [[1, sh], [0, 1]]
    assert m[:, 1, 0].abs().max() < 1e-5
    a = (0.5 * torch.log(m[:, 0, 0] / m[:, 1, 1])).numpy()
    sh = (m[:, 0, 1] / m[:, 0, 0]).numpy()
    assert torch.allclose(torch.linalg.det(m), torch.ones(1, dtype=m.dtype),
                          atol=1e-5)        # scale range (1, 1)
    assert np.abs(a).max() <= 0.1 + 1e-5 and np.abs(a).max() > 0.099
    assert np.abs(sh).max() <= 0.2 + 1e-5 and np.abs(sh).max() > 0.198
    assert _ks_uniform(a, -0.1, 0.1) > P_MIN
    assert _ks_uniform(sh, -0.2, 0.2) > P_MIN


def test_translation_is_uniform_in_half_larger_side_units():
    warp = TPSWarp(**dict(PURE, translation=0.1))
    _, t, _ = _affine_fit(_sample(warp, seed=3))
    bound = 0.1 * HALF                       # 4.8 px on BOTH axes
    for axis in (0, 1):
        ti = t[:, axis].numpy()
        # pixels would give |t| <= 0.1; per-axis half sides would give
        # |t_y| <= 3.2 px on this 96 x 64 image
        assert np.abs(ti).max() <= bound + 1e-3
        assert np.abs(ti).max() > 0.98 * bound
        assert ti.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)
        assert _ks_uniform(ti, -bound, bound) > P_MIN
    assert abs(np.corrcoef(t[:, 0], t[:, 1])[0, 1]) < 0.05


def test_control_point_offsets_are_normal_with_sigma_in_half_side_units():
    sigma = 0.01            # small: the fold rejection never acts
    warp = TPSWarp(**dict(PURE, ctrl_sigma=sigma))
    ctrl = _ctrl_px(warp)
    tps = _sample(warp, n=2000, seed=4)
    d = torch.cat([t.to(torch.float64).warp_points(ctrl) for t in tps]) - ctrl
    want = sigma * HALF                      # 0.48 px on both axes
    for axis in (0, 1):
        di = d[..., axis].flatten().numpy()
        # pixels: 0.01 px; per-axis half sides: 0.32 px in y
        assert di.std() == pytest.approx(want, rel=0.02)
        assert abs(di.mean()) < 5 * want / math.sqrt(len(di))
        assert stats.kstest(di, 'norm', args=(0.0, want)).pvalue > P_MIN
    # independent coordinates and control points
    flat = d.reshape(d.shape[0], -1).numpy()
    corr = np.corrcoef(flat.T)
    assert np.abs(corr - np.eye(len(corr))).max() < 0.15


def test_offsets_survive_the_affine_part_as_the_non_affine_residual():
    """What benchmarks/fse_warp_stats.py measures: after a least-squares
    affine fit at the n control points, the residual per coordinate has
    variance sigma^2 (n - 3) / n, whatever the affine draw."""
    sigma = 0.02
    warp = TPSWarp(num_ctrl=5, ctrl_sigma=sigma, rotation=30.0,
                   scale=(0.85, 1.15), translation=0.1)
    ctrl = _ctrl_px(warp)
    _, _, res = _affine_fit(_sample(warp, n=2000, seed=5), points=ctrl)
    n = ctrl.shape[0]
    rms = res.pow(2).mean().sqrt().item()
    assert rms == pytest.approx(sigma * HALF * math.sqrt((n - 3) / n),
                                rel=0.02)


def _replay_factors(warp, n, size, seed):
    """(TPS, factors): the factor by which the fold rejection scaled each
    sample's offsets, from re-drawing ``_affine`` then ``randn`` (the
    order of ``TPSWarp.sample``) with a copy of the generator."""
    fr = warp._frame(size)
    gen = torch.Generator().manual_seed(seed)
    replay = torch.Generator().manual_seed(seed)
    tps = warp.sample(n, size, gen)
    lin, t = warp._affine(n, fr['ctrl'].device, replay)
    delta = torch.randn(n, fr['ctrl'].shape[0], 2,
                        generator=replay) * warp.ctrl_sigma
    base = fr['ctrl'].unsqueeze(0) @ lin.transpose(-1, -2) + t[:, None]
    tgt = (tps.warp_points(_ctrl_px(warp, size).float()) -
           fr['origin']) / fr['scale']
    f = ((tgt - base) * delta).sum((1, 2)) / (delta * delta).sum((1, 2))
    assert (tgt - base - f.view(-1, 1, 1) * delta).abs().max() < 1e-4
    return tps, f, fr, base, delta


def test_fold_rejection_halves_only_folding_draws_then_drops():
    warp = TPSWarp(num_ctrl=5, ctrl_sigma=0.15, rotation=10.0,
                   max_shrink=4, min_det=0.1)
    size = (48, 48)
    tps, f, fr, base, delta = _replay_factors(warp, 400, size, seed=6)
    allowed = torch.tensor([1.0, 0.5, 0.25, 0.125, 0.0625, 0.0])
    assert ((f[:, None] - allowed).abs().min(1).values < 1e-4).all()
    assert (f < 0.99).float().mean() > 0.2      # it did act
    assert (f > 0.99).float().mean() > 0.05     # not on every draw
    assert tps.jacobian_det(fr['check']).amin(1).min() > warp.min_det
    # minimal: each shrunk draw folds at twice its final factor (the last
    # one it rejected), so no draw is shrunk more than needed
    for k in torch.nonzero(f < 0.99).flatten()[:50]:
        fk = 2 * f[k].item() if f[k] > 0 else 0.0625
        params = fr['solve'] @ (base[k] + fk * delta[k])
        prev = TPS(fr['ctrl'], params[None], fr['origin'], fr['scale'],
                   size)
        assert prev.jacobian_det(fr['check']).min() <= warp.min_det


def test_fse_faces_config_warp_samples_its_configured_distribution():
    cfg = Config.fromfile(str(REPO / 'configs/fse_faces.py'))
    with DefaultScope.overwrite_default_scope('kp_ext'):
        warp = MODELS.build(cfg.model.warp)
    assert isinstance(warp, TPSWarp)
    c = cfg.model.warp
    assert (warp.rotation, warp.ctrl_sigma, warp.scale_range,
            warp.translation, warp.num_ctrl) == (
                c.rotation, c.ctrl_sigma, tuple(c.scale), c.translation,
                c.num_ctrl)
    size = (96, 96)
    half = 48.0
    tps, f, fr, _, _ = _replay_factors(warp, 1000, size, seed=7)
    assert (f < 0.99).float().mean() < 0.02     # rejection ~never acts
    ctrl = _ctrl_px(warp, size)
    # affine part from a fit at the control points, TPS part = residual
    m, t, res = _affine_fit([tps], *size, points=ctrl)
    ang = torch.rad2deg(torch.atan2(m[:, 1, 0] - m[:, 0, 1],
                                    m[:, 0, 0] + m[:, 1, 1])).numpy()
    # similarity angle: rotation +- shear / 2 (<= 1.4 deg) + TPS noise
    assert ang.std() == pytest.approx(c.rotation / math.sqrt(3), rel=0.05)
    assert np.abs(ang).max() < c.rotation + 3.0
    s = torch.linalg.det(m).sqrt().numpy()
    q = np.quantile(s, [0.01, 0.99])
    assert c.scale[0] - 0.02 < q[0] < c.scale[0] + 0.02
    assert c.scale[1] - 0.02 < q[1] < c.scale[1] + 0.02
    tt = t.flatten().numpy()
    assert tt.std() == pytest.approx(c.translation * half / math.sqrt(3),
                                     rel=0.1)
    n = ctrl.shape[0]
    rms = res.pow(2).mean().sqrt().item()
    assert rms == pytest.approx(c.ctrl_sigma * half * math.sqrt((n - 3) / n),
                                rel=0.03)


def _load_bench():
    path = REPO / 'benchmarks/fse_warp_stats.py'
    spec = importlib.util.spec_from_file_location('fse_warp_stats', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_benchmark_measure_recovers_a_known_affine_and_public_samplers():
    bench = _load_bench()
    w, h = 100, 80
    p = bench.grid_points(w, h)
    c = p.new_tensor([(w - 1) / 2, (h - 1) / 2])
    th = math.radians(12.0)
    r = p.new_tensor([[math.cos(th), -math.sin(th)],
                      [math.sin(th), math.cos(th)]])
    y = ((p - c) @ (1.1 * r).T + c + p.new_tensor([3.0, -2.0]))[None]
    st = bench.measure(y, w, h)
    assert st['rot'].item() == pytest.approx(12.0, abs=1e-6)
    assert st['log_s'].exp().item() == pytest.approx(1.1, abs=1e-9)
    assert (st['tx'].item(), st['ty'].item()) == pytest.approx((3.0, -2.0))
    assert st['nonaff'].item() < 1e-9 and st['aniso'].item() < 1e-9
    assert st['min_det'].item() == pytest.approx(1.21)
    # the DVE / IMM re-implementations with zero kernel weights are their
    # explicit affine draws: rotation N(0, rotsd) degrees
    rng = np.random.default_rng(0)
    y = bench.dve_like(rng, 500, (100, 100), 0.0, 0.0, 0.0, 0.0, 5.0)
    st = bench.measure(y, 100, 100)
    assert st['rot'].std().item() == pytest.approx(5.0, rel=0.1)
    assert st['nonaff'].max() < 1e-6
    y = bench.imm_like(rng, 500, (64, 64), 0.0, 0.1, 0.0, (0.0, 0.0))
    st = bench.measure(y, 64, 64)
    assert st['log_s'].exp().std().item() == pytest.approx(0.1, rel=0.1)
    # alldbi: rotation uniform in +-0.5 rad
    y = bench.alldbi_like(rng, 500, (146, 146), 0.0)
    ang = bench.measure(y, 146, 146)['rot']
    assert 27.0 < ang.abs().max().item() < 29.5
