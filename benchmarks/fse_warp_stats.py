"""Measured statistics of the random warps of FSE training: kp_ext's
``TPSWarp`` (configs/fse_faces.py, configs/fse/fse_paper_celeba.py) beside
the samplers of the public FSE / DVE / IMM code.

Every warp is handled as a *backward* map ``T`` (pixels of the warped image
-> pixels of the image it is resampled from), the map ``grid_sample``
takes; kp_ext's ``TPS`` and the public samplers all build exactly this map
(the public ones hand their grid straight to ``grid_sample`` or to an
equivalent bilinear sampler). For each sampled ``T``, on a 25 x 25 grid of
pixel centres spanning the image:

- an affine map ``T(p) ~ c + t + M (p - c)`` (c = image centre) is fitted by
  least squares; rotation = the angle of the closest similarity,
  ``atan2(M10 - M01, M00 + M11)`` (deg); scale = ``sqrt(det M)`` (> 1 zooms
  out, as kp_ext's ``scale``); anisotropy = log of the singular-value ratio
  of M; translation = t (px, and in units of half the larger image side,
  kp_ext's unit);
- non-affine part = RMS over the grid of ``|T(p) - affine fit(p)|`` (px);
  total = RMS of ``|T(p) - p|`` (px);
- folds: the Jacobian determinant by finite differences between grid
  points; "det<=0.1" is the fraction of samples whose minimum is at most
  kp_ext's ``min_det`` (the samples kp_ext's fold rejection would act on),
  "fold" the fraction with a true fold (det <= 0);
- kp_ext only: the fraction of samples whose control-point perturbation
  the fold rejection halved ("shrunk") or dropped to the affine part
  ("dropped"), recovered exactly by re-drawing the sampler's random numbers
  from the same generator state (see ``kp_factors``).

Public samplers are re-implemented here from the formulas of their code
(citations in benchmarks/RESULTS_fse_warps.md) and evaluated in their own
normalised coordinates, then converted to their own pixels:
``px = (x + 1) / 2 * (W - 1)`` for DVE and IMM (align-corners convention:
DVE's ``grid_unnormalize``, IMM's torch 0.4.1 ``grid_sample``) and
``px = (x + 1) * W / 2`` for the alldbi FSE port (its bilinear sampler).
Rows marked ``~TPSWarp`` are the nearest TPSWarp configs (moment-matched:
same std of rotation / log-scale / translation, uniform instead of normal;
the non-affine ctrl_sigma matched to the same RMS non-affine displacement).

    OMP_NUM_THREADS=1 python benchmarks/fse_warp_stats.py [--n 2000]
"""
import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
GRID = 25          # measurement grid (GRID x GRID pixel centres)
MIN_DET = 0.1      # kp_ext TPSWarp's default min_det
CHUNK = 250


# -- measurement ------------------------------------------------------------
def grid_points(w, h, g=GRID):
    xs = torch.linspace(0, w - 1, g, dtype=torch.float64)
    ys = torch.linspace(0, h - 1, g, dtype=torch.float64)
    gy, gx = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], -1)


def measure(y, w, h, g=GRID):
    """Per-sample statistics of backward maps sampled on ``grid_points``.

    y: (B, g*g, 2) source pixels T(p) for p = grid_points(w, h, g).
    Returns a dict of (B,) float64 tensors.
    """
    y = y.to(torch.float64)
    p = grid_points(w, h, g)
    c = p.new_tensor([(w - 1) / 2.0, (h - 1) / 2.0])
    x = torch.cat([torch.ones_like(p[:, :1]), p - c], -1)       # (N, 3)
    coef = torch.linalg.pinv(x) @ y                              # (B, 3, 2)
    fit = x @ coef
    m = coef[:, 1:].transpose(-1, -2)                           # (B, 2, 2)
    t = coef[:, 0] - c
    rot = torch.rad2deg(torch.atan2(m[:, 1, 0] - m[:, 0, 1],
                                    m[:, 0, 0] + m[:, 1, 1]))
    det = torch.linalg.det(m)
    sv = torch.linalg.svdvals(m)
    res = ((y - fit)**2).sum(-1).mean(-1).sqrt()
    tot = ((y - p)**2).sum(-1).mean(-1).sqrt()
    # finite-difference Jacobian between neighbouring grid points
    yg = y.reshape(-1, g, g, 2)
    hx, hy = (w - 1) / (g - 1), (h - 1) / (g - 1)
    jx = (yg[:, :-1, 1:] - yg[:, :-1, :-1]) / hx    # dT/dx
    jy = (yg[:, 1:, :-1] - yg[:, :-1, :-1]) / hy    # dT/dy
    jdet = jx[..., 0] * jy[..., 1] - jx[..., 1] * jy[..., 0]
    return dict(rot=rot, log_s=0.5 * torch.log(det.abs()),
                aniso=torch.log(sv[:, 0] / sv[:, 1]), tx=t[:, 0],
                ty=t[:, 1], nonaff=res, total=tot,
                min_det=jdet.flatten(1).amin(1))


def summarise(name, st, w, h, input_half, extra=None):
    """One printable row (dict) from per-sample stats ``st``."""
    half = max(w, h) / 2.0
    t = torch.cat([st['tx'], st['ty']])
    row = dict(
        setting=name, size=f'{w}x{h}',
        rot_std=float(st['rot'].std()),
        rot_max=float(st['rot'].abs().max()),
        s_lo=float(st['log_s'].exp().min()),
        s_hi=float(st['log_s'].exp().max()),
        logs_std=float(st['log_s'].std()),
        aniso=float(st['aniso'].mean()),
        t_std_px=float(t.std()), t_max_px=float(t.abs().max()),
        t_std_half=float(t.std()) / half,
        t_std_in=float(t.std()) / input_half,
        nonaff_px=float((st['nonaff']**2).mean().sqrt()),
        nonaff_in=float((st['nonaff']**2).mean().sqrt()) / input_half,
        total_px=float((st['total']**2).mean().sqrt()),
        det01=float((st['min_det'] <= MIN_DET).double().mean()),
        fold=float((st['min_det'] <= 0).double().mean()),
        shrunk=None, dropped=None)
    if extra:
        row.update(extra)
    return row


# -- kp_ext TPSWarp ---------------------------------------------------------
def kp_factors(warp, n, size, gen):
    """Sample ``n`` warps from ``warp`` -> (TPS list, factors (n,)).

    The factor by which the fold rejection scaled each sample's control-
    point perturbation (1, 1/2, ..., or 0 = dropped) is recovered exactly:
    ``TPSWarp.sample`` draws ``_affine`` then ``randn(B, n_ctrl, 2)`` from
    the generator, so re-drawing them from a copy of the generator state
    gives ``base`` and ``delta``; the fitted TPS interpolates its control
    targets exactly (reg=0), so ``T(ctrl) = base + factor * delta``.
    """
    fr = warp._frame(tuple(size))
    ctrl_px = fr['ctrl'] * fr['scale'] + fr['origin']
    out, factors = [], []
    for start in range(0, n, CHUNK):
        b = min(CHUNK, n - start)
        replay = torch.Generator()
        replay.set_state(gen.get_state())
        tps = warp.sample(b, size, gen)
        lin, t = warp._affine(b, fr['ctrl'].device, replay)
        delta = torch.randn(b, fr['ctrl'].shape[0], 2,
                            generator=replay) * warp.ctrl_sigma
        base = fr['ctrl'].unsqueeze(0) @ lin.transpose(-1, -2) + t[:, None]
        tgt = (tps.warp_points(ctrl_px) - fr['origin']) / fr['scale']
        num = ((tgt - base) * delta).sum((1, 2))
        den = (delta * delta).sum((1, 2)).clamp_min(1e-30)
        f = num / den if warp.ctrl_sigma > 0 else torch.ones(b)
        resid = (tgt - base - f.view(-1, 1, 1) * delta).abs().max()
        assert resid < 1e-3, f'replay mismatch ({resid:.2e}): has ' \
            'TPSWarp.sample changed its draw order?'
        out.append(tps)
        factors.append(f)
    return out, torch.cat(factors)


def run_tpswarp(name, warp, size, n, gen, input_half):
    w, h = size
    tps_list, f = kp_factors(warp, n, size, gen)
    p = grid_points(w, h).float()
    y = torch.cat([t.warp_points(p) for t in tps_list])
    st = measure(y, w, h)
    return summarise(name, st, w, h, input_half, dict(
        shrunk=float(((f < 0.999) & (f > 1e-6)).double().mean()),
        dropped=float((f <= 1e-6).double().mean())))


def build_config_warp(path):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import kp_ext  # noqa: F401  (registers the modules)
    from kp_ext.registry import MODELS
    cfg = Config.fromfile(str(path))
    with DefaultScope.overwrite_default_scope('kp_ext'):
        return MODELS.build(cfg.model.warp)


# -- public samplers (re-implemented from their formulas) --------------------
def _tps_kernel_weights_map(rng, n, ctrl, w_of, aff_of, pts_n, kernel):
    """Evaluate random TPS-weight maps at normalised points pts_n (N, 2):
    out = K(pts, ctrl) @ W + [1, x, y] @ aff (DVE / IMM parametrisation:
    random kernel weights, no side conditions)."""
    d = ((pts_n[:, None, :] - ctrl[None]) ** 2).sum(-1)         # (N, M)
    k = kernel(d)
    lin = np.concatenate([np.ones((len(pts_n), 1)), pts_n], 1)  # (N, 3)
    out = np.empty((n, len(pts_n), 2))
    for i in range(n):
        out[i] = k @ w_of(rng) + lin @ aff_of(rng)
    return out


def _ctrl_grid(nc):
    xs = np.linspace(-1, 1, nc)
    gx, gy = np.meshgrid(xs, xs)
    return np.c_[gx.ravel(), gy.ravel()]


def dve_like(rng, n, size, warpsd_all, warpsd_subset, transsd, scalesd,
             rotsd):
    """jamt9000/DVE utils/tps.py ``random_tps_weights`` on a 10x10 grid,
    kernel D log(D + 1e-5) (D = squared distance)."""
    ctrl = _ctrl_grid(10)

    def w_of(r):
        wt = r.standard_normal((100, 2)) * warpsd_all
        sub = r.random((100, 2)) > 0.5
        wt[sub] = r.standard_normal(sub.sum()) * warpsd_subset
        return wt

    def aff_of(r):
        rot = r.standard_normal() * rotsd * math.pi / 180
        sc = 1.0 + r.standard_normal() * scalesd
        tx, ty = r.standard_normal() * transsd, r.standard_normal() * transsd
        return np.array([[tx, ty],
                         [sc * math.cos(rot), sc * -math.sin(rot)],
                         [sc * math.sin(rot), sc * math.cos(rot)]])

    return _eval_norm_sampler(rng, n, size, ctrl, w_of, aff_of,
                              lambda d: d * np.log(d + 1e-5), 'corners')


def imm_like(rng, n, size, rotsd, scalesd, transsd, warpsd):
    """tomasjakab/imm imm/utils/tps_sampler.py ``sample_tps_w`` on a 10x10
    grid, kernel log(D) D (D = squared distance clipped at 1e-8)."""
    ctrl = _ctrl_grid(10)

    def w_of(r):
        mask = (r.random((100, 2)) > 0.5).astype(float)
        return (warpsd[0] * r.standard_normal((100, 2)) +
                warpsd[1] * (mask * r.standard_normal((100, 2))))

    def aff_of(r):
        rot = math.radians(r.standard_normal() * rotsd)
        sc = 1.0 + r.standard_normal() * scalesd
        return np.array([[transsd * r.standard_normal(),
                          transsd * r.standard_normal()],
                         [sc * math.cos(rot), sc * -math.sin(rot)],
                         [sc * math.sin(rot), sc * math.cos(rot)]])

    def kern(d):
        d = np.clip(d, 1e-8, None)
        return np.log(d) * d

    return _eval_norm_sampler(rng, n, size, ctrl, w_of, aff_of, kern,
                              'corners')


def alldbi_like(rng, n, size, wdev):
    """alldbi/Factorized-Spatial-Embeddings utils/warp.py
    ``image_warping2(img, w)``: affine only (the 4 corner control points
    get zero kernel weights)."""
    def w_of(r):
        return np.zeros((1, 2))

    def aff_of(r):
        rot = r.uniform(-0.5, 0.5)
        tx, ty = r.normal(0, wdev), r.normal(0, wdev)
        sx = r.uniform(0.8 - wdev, 1.1 + wdev)
        sy = sx + r.normal(0, 0.1)
        # x_s = tx + sx cos x - sy sin y ; y_s = ty + sx sin x + sy cos y
        return np.array([[tx, ty],
                         [sx * math.cos(rot), sx * math.sin(rot)],
                         [-sy * math.sin(rot), sy * math.cos(rot)]])

    return _eval_norm_sampler(rng, n, size, np.zeros((1, 2)), w_of, aff_of,
                              lambda d: np.zeros_like(d), 'alldbi')


def _eval_norm_sampler(rng, n, size, ctrl, w_of, aff_of, kernel, conv):
    w, h = size
    p = grid_points(w, h).numpy()
    # output pixel -> normalised (each code's meshgrid: linspace(-1, 1, W))
    pn = np.c_[2 * p[:, 0] / (w - 1) - 1, 2 * p[:, 1] / (h - 1) - 1]
    out = _tps_kernel_weights_map(rng, n, ctrl, w_of, aff_of, pn, kernel)
    if conv == 'corners':   # normalised -> source pixel, align corners
        out = (out + 1) / 2 * np.array([w - 1, h - 1])
    else:                   # alldbi's _interpolate: (x + 1) * W / 2
        out = (out + 1) * np.array([w, h]) / 2
    return torch.from_numpy(out)


def run_native(name, y, size, input_half):
    w, h = size
    return summarise(name, measure(y, w, h), w, h, input_half)


# -- the table ---------------------------------------------------------------
COLS = [('setting', '{:<34}'), ('size', '{:>7}'), ('rot_std', '{:6.2f}'),
        ('rot_max', '{:6.1f}'), ('s_lo', '{:5.3f}'), ('s_hi', '{:5.3f}'),
        ('logs_std', '{:6.3f}'), ('aniso', '{:6.3f}'),
        ('t_std_px', '{:6.2f}'), ('t_max_px', '{:6.1f}'),
        ('t_std_half', '{:6.3f}'), ('t_std_in', '{:6.3f}'),
        ('nonaff_px', '{:6.2f}'), ('nonaff_in', '{:6.3f}'),
        ('total_px', '{:6.2f}'), ('det01', '{:5.3f}'), ('fold', '{:5.3f}'),
        ('shrunk', '{:5.3f}'), ('dropped', '{:5.3f}')]


def print_table(rows):
    widths = [34 if c == 'setting' else max(len(c), len(f.format(0.0)))
              for c, f in COLS]
    print(' '.join(c.ljust(wd) if c == 'setting' else c.rjust(wd)
                   for (c, _), wd in zip(COLS, widths)))
    for r in rows:
        cells = []
        for (c, f), wd in zip(COLS, widths):
            v = r.get(c)
            cells.append('-'.rjust(wd) if v is None else
                         f.format(v).rjust(wd))
        print(' '.join(cells))


def calibrate_sigma(target_px, num_ctrl, size, gen, n=300):
    """ctrl_sigma of a pure-TPS TPSWarp(num_ctrl) whose RMS non-affine
    displacement on the measurement grid is ``target_px`` (linear in sigma
    while the fold rejection does not act)."""
    from kp_ext.models.utils.tps_warp import TPSWarp
    s0 = 0.01
    warp = TPSWarp(num_ctrl=num_ctrl, ctrl_sigma=s0, rotation=0,
                   scale=(1, 1), aspect=0, translation=0, shear=0)
    row = run_tpswarp('calib', warp, size, n, gen, 1.0)
    return s0 * target_px / row['nonaff_px']


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=2000, help='warps per row')
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    from kp_ext.models.utils.tps_warp import TPSWarp
    t0 = time.time()
    gen = torch.Generator().manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    n = args.n
    rows = []

    faces = build_config_warp(REPO / 'configs/fse_faces.py')
    rows.append(run_tpswarp('kp_ext fse_faces (T1, T2 alike)', faces,
                            (96, 96), n, gen, 48))
    paper = build_config_warp(REPO / 'configs/fse/fse_paper_celeba.py')
    rows.append(run_tpswarp('kp_ext paper config (T1, T2 alike)', paper,
                            (100, 100), n, gen, 50))

    # DVE: Warper(100, 100) defaults, both warps of a pair scaled by
    # im1_multiplier = 0.5; the network sees the 70 x 70 centre (crop 15)
    a = 0.5
    dve_cfg = dict(warpsd_all=a * 0.001, warpsd_subset=a * 0.01,
                   transsd=a * 0.1, scalesd=a * 0.1, rotsd=a * 5)
    y = dve_like(rng, n, (100, 100), **dve_cfg)
    dve = run_native('DVE g1, g2 alike (native)', y, (100, 100), 35)
    rows.append(dve)

    # IMM: relative warp = the 'source' sampler, first = the 'target' one
    y = imm_like(rng, n, (128, 128), rotsd=5.0, scalesd=0.1, transsd=0.1,
                 warpsd=(0.001, 0.01))
    imm_src = run_native('IMM source = relative (native)', y, (128, 128),
                         64)
    rows.append(imm_src)
    y = imm_like(rng, n, (128, 128), rotsd=0.0, scalesd=0.0, transsd=0.1,
                 warpsd=(0.001, 0.005))
    rows.append(run_native('IMM target = first (native)', y, (128, 128),
                           64))

    # alldbi FSE: first warp w = 0 (train mode), relative warp w = 0.1, on
    # 146 x 146; the network sees a 128 x 128 crop
    y = alldbi_like(rng, n, (146, 146), 0.1)
    rows.append(run_native('alldbi A2 = relative (native)', y, (146, 146),
                           64))
    y = alldbi_like(rng, n, (146, 146), 0.0)
    rows.append(run_native('alldbi A1 = first (native)', y, (146, 146),
                           64))

    # nearest TPSWarp configs (moment-matched, not exact; see docstring).
    # DVE and IMM: matched to the MEASURED effective statistics above (their
    # random TPS kernel weights, which have no side conditions, add rotation,
    # scale, anisotropy and translation beyond the explicit affine draws):
    # uniform ranges with the measured std (half-range = std * sqrt 3),
    # aspect = the measured mean anisotropy (TPSWarp: log(sx/sy) = 2a, so
    # mean |log| ratio = aspect), ctrl_sigma on kp_ext's 5x5 grid matched to
    # the measured RMS non-affine displacement
    sq3 = math.sqrt(3.0)
    near = {}
    for key, row, size in (('DVE', dve, (100, 100)),
                           ('IMM', imm_src, (128, 128))):
        sig = calibrate_sigma(row['nonaff_px'], 5, size, gen)
        ls = row['logs_std'] * sq3
        near[key] = dict(num_ctrl=5, ctrl_sigma=sig,
                         rotation=row['rot_std'] * sq3,
                         scale=(math.exp(-ls), math.exp(ls)),
                         aspect=row['aniso'], shear=0.0,
                         translation=row['t_std_half'] * sq3)
    # alldbi relative: rotation U(+-0.5 rad) exactly; sx U(0.7, 1.2)
    # (linear, here log-uniform); sy = sx + N(0, .1): std of
    # a = log(sx/sy)/2 ~ 0.05 E[1/sx]; t N(0, .1) normalised = 7.3 px
    e_inv = math.log(1.2 / 0.7) / 0.5
    near['alldbi'] = dict(num_ctrl=2, ctrl_sigma=0.0,
                          rotation=math.degrees(0.5), scale=(0.7, 1.2),
                          aspect=0.05 * e_inv * sq3, shear=0.0,
                          translation=0.1 * sq3)
    for key, size, half in (('DVE', (100, 100), 35), ('IMM', (128, 128), 64),
                            ('alldbi', (146, 146), 64)):
        warp = TPSWarp(**near[key])
        rows.append(run_tpswarp(f'~TPSWarp {key} relative', warp, size, n,
                                gen, half))

    print(f'{n} warps per row; GRID={GRID}; min_det={MIN_DET}; units: rot '
          'deg, t and non-affine px of the warp frame (size), *_half = / '
          'half its larger side, *_in = / half the network-input side '
          '(DVE 70 px crop, IMM 128, alldbi 128 crop)')
    print_table(rows)
    print('\nnearest TPSWarp configs used:')
    def fmt(v):
        if isinstance(v, tuple):
            return str(tuple(round(x, 4) for x in v))
        return str(round(v, 4))

    for key, cfg in near.items():
        print(f'  {key}: ' + ', '.join(f'{k}={fmt(v)}'
                                        for k, v in cfg.items()))
    print(f'\n{time.time() - t0:.1f} s')
    return rows, near


if __name__ == '__main__':
    main()
