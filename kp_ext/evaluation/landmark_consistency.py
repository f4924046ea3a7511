"""Diagnostics of discovered (unsupervised) landmarks against annotations.

Issue 19 asks *why* FSE landmarks do not carry face shape. The linear
regression protocol (``LandmarkRegressionMetric``) gives one number; these
functions say per landmark what it does:

- :func:`similarity_align`: the least-squares similarity transform
  (scale, rotation, translation; no reflection) of each face's annotated
  points onto a reference shape (Umeyama 1991, "Least-squares estimation
  of transformation parameters between two point patterns", PAMI 13(4)),
  as (N, 2, 3) matrices; :func:`apply_similarity` applies them.
- :func:`procrustes_mean_shape`: the mean annotated shape by generalised
  Procrustes analysis (Gower 1975), kept in the frame of the plain mean
  of the given points (its centroid, size and orientation).
- :func:`landmark_consistency`: each face's transform applied to its
  discovered landmarks; a landmark that sits on the same facial point in
  every face lands on one position of the mean shape (spread 0), one
  stuck at an image position spreads as the faces move in the image.
- :func:`mass_on_face`: how much of each landmark's probability map lies
  on the face (the convex hull of the annotated points, dilated).
- :func:`map_spread`: how concentrated each probability map is (a broad
  map's expectation falls towards the image centre whatever the image).
- :func:`equivariance_error`: ``|T(Phi(x')) - Phi(x)|`` on pairs drawn by
  a model's own pair generator (``make_pair``) with a seeded generator.

All but :func:`equivariance_error` are numpy only; that one calls the
model and the warp it is given (duck-typed: this package does not import
``kp_ext.models``, tests/test_layering.py) and imports torch only to seed
the warps and switch off autograd.

Shapes: N faces, P annotated points, K discovered landmarks, (x, y)
coordinates in one pixel frame for both (e.g. network-input pixels).
"""
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np

from kp_ext.utils import to_numpy

__all__ = [
    'similarity_align', 'apply_similarity', 'procrustes_mean_shape',
    'landmark_consistency', 'convex_hull', 'face_region_mask',
    'mass_on_face', 'equivariance_error', 'map_spread', 'shape_oracles'
]


def _points(name: str, x, ndim: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != ndim or x.shape[-1] != 2:
        shape = '(N, P, 2)' if ndim == 3 else '(P, 2)'
        raise ValueError(f'{name}: expected {shape} points, got {x.shape}')
    if not np.isfinite(x).all():
        raise ValueError(f'{name}: contains NaN or inf')
    return x


def similarity_align(src, dst) -> np.ndarray:
    """Least-squares similarity maps of each ``src[n]`` onto ``dst``.

    Umeyama (1991): minimises ``sum_p |s R src[n, p] + t - dst[p]|^2``
    over the scale ``s > 0``, the rotation ``R`` (det +1: no reflection)
    and the translation ``t``, in closed form from the SVD of the 2x2
    cross-covariance.

    Args:
        src: (N, P, 2) point sets (e.g. each face's annotated points).
        dst: (P, 2) reference shape (e.g. the mean shape).
    Returns:
        (N, 2, 3) matrices ``[s R | t]``: ``dst ~ M[:, :, :2] @ p + M[:, :,
        2]`` (see :func:`apply_similarity`).
    """
    src = _points('similarity_align: src', src, 3)
    dst = _points('similarity_align: dst', dst, 2)
    if src.shape[1] != dst.shape[0]:
        raise ValueError(f'similarity_align: src has {src.shape[1]} points '
                         f'per set, dst {dst.shape[0]}')
    mu_s = src.mean(1, keepdims=True)  # (N, 1, 2)
    mu_d = dst.mean(0)
    sc = src - mu_s
    dc = dst - mu_d
    var_s = (sc**2).sum((1, 2)) / src.shape[1]  # (N,)
    bad = np.flatnonzero(var_s <= 1e-12 * max(1.0, float((dc**2).mean())))
    if bad.size:
        raise ValueError(f'similarity_align: point set(s) {bad[:8].tolist()}'
                         ' of src are degenerate (all points coincide)')
    cov = np.einsum('pi,npj->nij', dc, sc) / src.shape[1]  # (N, 2, 2)
    u, sig, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u) * np.linalg.det(vt))
    d[d == 0] = 1.0
    diag = np.stack([np.ones_like(d), d], -1)  # D = diag(1, d)
    rot = np.einsum('nij,nj,njk->nik', u, diag, vt)
    scale = (sig * diag).sum(-1) / var_s
    lin = scale[:, None, None] * rot
    t = mu_d[None] - np.einsum('nij,nj->ni', lin, mu_s[:, 0])
    return np.concatenate([lin, t[:, :, None]], -1)


def apply_similarity(mats, points) -> np.ndarray:
    """Points (N, Q, 2) mapped by per-sample (N, 2, 3) matrices."""
    mats = np.asarray(mats, dtype=np.float64)
    points = _points('apply_similarity: points', points, 3)
    if mats.shape != (len(points), 2, 3):
        raise ValueError(f'apply_similarity: {len(points)} point sets need '
                         f'({len(points)}, 2, 3) matrices, got {mats.shape}')
    return (np.einsum('nij,nqj->nqi', mats[:, :, :2], points) +
            mats[:, None, :, 2])


def procrustes_mean_shape(gt, iters: int = 20, tol: float = 1e-9
                          ) -> np.ndarray:
    """Mean shape (P, 2) of (N, P, 2) point sets by generalised Procrustes
    analysis: align every set to the current mean (:func:`similarity_align`),
    average, repeat. After each step the new mean is itself similarity-
    aligned to the plain average ``gt.mean(0)``, which fixes its frame: the
    result is in the pixels of the given points, with the centroid, size
    and orientation of their plain average."""
    gt = _points('procrustes_mean_shape: gt', gt, 3)
    frame = gt.mean(0)
    ref = frame
    for _ in range(int(iters)):
        aligned = apply_similarity(similarity_align(gt, ref), gt)
        new = aligned.mean(0)
        new = apply_similarity(similarity_align(new[None], frame),
                               new[None])[0]
        done = np.abs(new - ref).max() <= tol * max(1.0, np.abs(frame).max())
        ref = new
        if done:
            break
    return ref


def _spread(points: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(mean (K, 2), RMS distance to it (K,)) of (N, K, 2) points."""
    mean = points.mean(0)
    rms = np.sqrt(((points - mean)**2).sum(-1).mean(0))
    return mean, rms


def landmark_consistency(pred, gt, reference=None,
                         norm_indices: Optional[Sequence[int]] = None,
                         iters: int = 20) -> Dict[str, np.ndarray]:
    """How consistently each discovered landmark sits on the face.

    Each face ``n`` is similarity-aligned to the reference (mean) shape on
    its P annotated points (:func:`similarity_align`); the same transform
    maps its K discovered landmarks into that frame. For landmark ``k``:

    - ``spread_px[k]``: RMS over faces of the distance of the aligned
      landmark to its mean aligned position, ``sqrt(mean_n |a_nk -
      mean_n a_nk|^2)``, in pixels of the reference frame (the frame of
      the points given, at the mean face's size: see
      :func:`procrustes_mean_shape`). 0 = on the same facial point in
      every face (up to a similarity).
    - ``fixed_spread_px[k]``: the same for a point held fixed at the
      landmark's mean *input* position ``mean_n pred[n, k]`` in every face:
      what a landmark that ignores the face scores. ``spread_ratio`` =
      ``spread_px / fixed_spread_px`` (~1: behaves as a fixed image
      position; << 1: follows the face).
    - ``nearest_index[k]`` / ``nearest_dist_px[k]``: the annotated point of
      the reference shape nearest to the landmark's mean aligned position,
      and the distance to it (same frame).
    - ``*_norm``: the pixel values divided by ``norm_px``, the reference
      shape's distance between ``norm_indices`` (default (36, 45), the
      outer eye corners, for P = 68; none otherwise), when there is one.

    Args:
        pred: (N, K, 2) discovered landmarks.
        gt: (N, P, 2) annotated points, same frame as ``pred``.
        reference: (P, 2) reference shape; default
            ``procrustes_mean_shape(gt)``.
        norm_indices: pair of annotated points giving ``norm_px``.
        iters: Procrustes iterations of the default reference.
    Returns:
        dict of numpy arrays / floats (keys above, plus ``reference``
        (P, 2), ``mean_position`` (K, 2) in the reference frame,
        ``aligned`` (N, K, 2), ``transforms`` (N, 2, 3), ``norm_px``).
    """
    pred = _points('landmark_consistency: pred', pred, 3)
    gt = _points('landmark_consistency: gt', gt, 3)
    if len(pred) != len(gt):
        raise ValueError(f'landmark_consistency: {len(pred)} pred vs '
                         f'{len(gt)} gt samples')
    if len(gt) < 2:
        raise ValueError('landmark_consistency: needs >= 2 faces')
    p = gt.shape[1]
    ref = (procrustes_mean_shape(gt, iters) if reference is None else
           _points('landmark_consistency: reference', reference, 2))
    if ref.shape[0] != p:
        raise ValueError(f'landmark_consistency: reference has '
                         f'{ref.shape[0]} points, gt {p}')
    mats = similarity_align(gt, ref)
    aligned = apply_similarity(mats, pred)
    mean_pos, spread = _spread(aligned)
    fixed = np.broadcast_to(pred.mean(0), pred.shape)
    _, fixed_spread = _spread(apply_similarity(mats, fixed))
    dist = np.linalg.norm(mean_pos[:, None] - ref[None], axis=-1)  # (K, P)
    nearest = dist.argmin(1)
    nearest_dist = dist[np.arange(len(nearest)), nearest]
    if norm_indices is None and p == 68:
        norm_indices = (36, 45)
    norm = None
    if norm_indices is not None:
        i, j = (int(v) for v in norm_indices)
        if not (0 <= i < p and 0 <= j < p):
            raise IndexError(f'landmark_consistency: norm_indices '
                             f'{norm_indices} out of range for {p} points')
        norm = float(np.linalg.norm(ref[i] - ref[j]))
    with np.errstate(divide='ignore', invalid='ignore'):
        ratio = np.where(fixed_spread > 0, spread / fixed_spread, np.nan)
    out = dict(spread_px=spread, fixed_spread_px=fixed_spread,
               spread_ratio=ratio, nearest_index=nearest,
               nearest_dist_px=nearest_dist, mean_position=mean_pos,
               reference=ref, aligned=aligned, transforms=mats,
               norm_px=norm)
    if norm:
        out['spread_norm'] = spread / norm
        out['fixed_spread_norm'] = fixed_spread / norm
        out['nearest_dist_norm'] = nearest_dist / norm
    return out


def convex_hull(points) -> np.ndarray:
    """Convex hull (H, 2) of (P, 2) points, counter-clockwise in the (x
    right, y down) image frame as (x, y) cross products count it (Andrew's
    monotone chain), collinear points dropped."""
    pts = _points('convex_hull: points', points, 2)
    pts = np.unique(pts, axis=0)  # sorted by x, then y
    if len(pts) < 3:
        return pts

    def half(seq):
        chain = []
        for q in seq:
            while len(chain) >= 2:
                a, b = chain[-2], chain[-1]
                if (b[0] - a[0]) * (q[1] - a[1]) - \
                        (b[1] - a[1]) * (q[0] - a[0]) > 0:
                    break
                chain.pop()
            chain.append(q)
        return chain

    lower, upper = half(pts), half(pts[::-1])
    return np.array(lower[:-1] + upper[:-1])


def _hull_distance(hull: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Distance (Q,) of points (Q, 2) to a convex polygon (0 inside)."""
    if len(hull) == 1:
        return np.linalg.norm(pts - hull[0], axis=-1)
    a = hull
    b = np.roll(hull, -1, axis=0)
    if len(hull) == 2:  # a segment: one edge
        a, b = a[:1], b[:1]
    e = b - a  # (E, 2)
    rel = pts[:, None] - a[None]  # (Q, E, 2)
    t = np.clip((rel * e).sum(-1) / np.maximum((e * e).sum(-1), 1e-12), 0, 1)
    dist = np.linalg.norm(rel - t[..., None] * e, axis=-1).min(1)
    if len(hull) >= 3:
        cross = e[None, :, 0] * rel[..., 1] - e[None, :, 1] * rel[..., 0]
        inside = (cross >= 0).all(1) | (cross <= 0).all(1)
        dist = np.where(inside, 0.0, dist)
    return dist


def face_region_mask(gt, height: int, width: int,
                     stride: Sequence[float] = (1.0, 1.0),
                     margin: float = 0.1) -> np.ndarray:
    """(N, H, W) bool: map cells whose centre lies on the face.

    Cell ``(i, j)`` has its centre at ``((j + 0.5) s_x - 0.5, (i + 0.5) s_y
    - 0.5)`` in the pixels of ``gt`` (``stride`` = ``(s_x, s_y)``, pixels
    per cell; the mapping of ``LandmarkHead`` / ``heatmap_coords``). The
    face is the convex hull of the face's annotated points dilated by
    ``margin`` x the larger side of their bounding box (a cell centre
    within that distance of the hull counts). For 68 iBUG points the hull
    runs along the jaw line and over the eyebrows, so the forehead above
    the brows is mostly outside it (``margin`` 0.1 adds a band of ~1/10
    face width).
    """
    gt = _points('face_region_mask: gt', gt, 3)
    if margin < 0:
        raise ValueError(f'face_region_mask: margin must be >= 0, got '
                         f'{margin}')
    xs = (np.arange(width) + 0.5) * float(stride[0]) - 0.5
    ys = (np.arange(height) + 0.5) * float(stride[1]) - 0.5
    gx, gy = np.meshgrid(xs, ys)
    cells = np.stack([gx.ravel(), gy.ravel()], -1)
    masks = np.empty((len(gt), height, width), dtype=bool)
    for n, pts in enumerate(gt):
        size = float((pts.max(0) - pts.min(0)).max())
        dist = _hull_distance(convex_hull(pts), cells)
        masks[n] = (dist <= margin * size + 1e-9).reshape(height, width)
    return masks


def mass_on_face(probs, gt, stride: Sequence[float] = (1.0, 1.0),
                 margin: float = 0.1, threshold: float = 0.5
                 ) -> Dict[str, np.ndarray]:
    """Share of each landmark's probability mass on the face.

    Args:
        probs: (N, K, H, W) probability maps (each sums to 1 over H x W;
            e.g. the spatial softmax of ``LandmarkHead``).
        gt: (N, P, 2) annotated points in the pixels the maps' cells are
            mapped to by ``stride`` (:func:`face_region_mask`).
        stride: (s_x, s_y) pixels per map cell.
        margin: dilation of the face hull (:func:`face_region_mask`).
        threshold: a landmark is "on the face" with more mass than this.
    Returns:
        dict: ``mass`` (N, K) the mass inside each face's region;
        ``mean_mass`` (K,) its mean over faces; ``frac_landmarks_on_face``
        the fraction of landmarks with ``mean_mass > threshold``;
        ``frac_maps_on_face`` the fraction of (face, landmark) maps with
        ``mass > threshold``; ``uniform_mass`` the mean share of cells on
        the face (the mass of a uniform map: the chance level).
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 4:
        raise ValueError(f'mass_on_face: probs must be (N, K, H, W), got '
                         f'{probs.shape}')
    gt = _points('mass_on_face: gt', gt, 3)
    if len(gt) != len(probs):
        raise ValueError(f'mass_on_face: {len(probs)} maps vs {len(gt)} gt '
                         'samples')
    n, k, h, w = probs.shape
    total = probs.reshape(n, k, -1).sum(-1)
    if not np.allclose(total, 1.0, atol=1e-3):
        raise ValueError('mass_on_face: each probability map must sum to 1 '
                         f'(sums in [{total.min():.4g}, {total.max():.4g}])')
    mask = face_region_mask(gt, h, w, stride, margin)
    mass = np.einsum('nkhw,nhw->nk', probs, mask.astype(np.float64)) / total
    mean_mass = mass.mean(0)
    return dict(mass=mass, mean_mass=mean_mass,
                frac_landmarks_on_face=float((mean_mass > threshold).mean()),
                frac_maps_on_face=float((mass > threshold).mean()),
                uniform_mass=float(mask.mean()), threshold=float(threshold),
                margin=float(margin))


def map_spread(probs, stride: Sequence[float] = (1.0, 1.0)) -> np.ndarray:
    """RMS spread (N, K) of probability maps (N, K, H, W) about their
    mean, ``sqrt(sum_u p(u) |u - sum_u p(u) u|^2)``, in pixels, cell
    centres placed as in :func:`face_region_mask`. 0 for a single cell; a
    uniform H x W map at stride s: ``s sqrt((W^2 + H^2 - 2) / 12)``."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 4:
        raise ValueError(f'map_spread: probs must be (N, K, H, W), got '
                         f'{probs.shape}')
    h, w = probs.shape[-2:]
    xs = (np.arange(w) + 0.5) * float(stride[0]) - 0.5
    ys = (np.arange(h) + 0.5) * float(stride[1]) - 0.5
    total = probs.sum((-2, -1))
    if (total <= 0).any():
        raise ValueError('map_spread: a map has no mass')
    px = probs.sum(-2) / total[..., None]  # (N, K, W)
    py = probs.sum(-1) / total[..., None]  # (N, K, H)
    var = (px @ xs**2 - (px @ xs)**2) + (py @ ys**2 - (py @ ys)**2)
    return np.sqrt(np.clip(var, 0, None))


def equivariance_error(landmark_fn: Callable, inputs, make_pair: Callable,
                       seed: int = 0, batch_size: Optional[int] = None
                       ) -> Dict[str, np.ndarray]:
    """Equivariance error of a landmark detector on warped pairs.

    ``make_pair(x, generator) -> (x1, x2, T)`` (e.g.
    ``UnsupervisedLandmarkEstimator.make_pair`` / ``TPSWarp.make_pair``)
    draws a pair with ``T`` mapping pixels of ``x2`` to pixels of ``x1``;
    an equivariant detector ``Phi = landmark_fn`` (images -> (B, K, 2)
    pixels) satisfies ``T(Phi(x2)) = Phi(x1)`` (kp_ext.models.utils.
    tps_warp, eq. (*)). Returned, in pixels of the inputs:

    - ``mean_px``: mean over pairs and landmarks of ``|T(Phi(x2)) -
      Phi(x1)|``; ``per_landmark_px`` (K,) its mean over pairs;
    - ``fixed_px``: the same error for a detector that returns the same
      points for every image (the mean of ``Phi(x1)`` over all pairs):
      ``|T(c) - c|``, the scale of the warps at the landmarks; a detector
      that ignores the image scores this.

    The warps come from one ``torch.Generator`` seeded with ``seed`` (on
    the inputs' device), drawn batch after batch (``batch_size``; all at
    once by default), so a call is repeatable and two detectors called
    with the same seed and batches see the same pairs. Runs without
    autograd.
    """
    import torch  # the detector and warp are torch; only for the seed

    if inputs.dim() != 4:
        raise ValueError(f'equivariance_error: inputs must be (B, C, H, W), '
                         f'got {tuple(inputs.shape)}')
    total = inputs.shape[0]
    if total == 0:
        raise ValueError('equivariance_error: no inputs')
    step = total if batch_size is None else int(batch_size)
    if step < 1:
        raise ValueError(f'equivariance_error: batch_size must be >= 1, got '
                         f'{batch_size}')
    gen = torch.Generator(device=inputs.device)
    gen.manual_seed(int(seed))
    errs, lm1s, warps = [], [], []
    with torch.no_grad():
        for start in range(0, total, step):
            x = inputs[start:start + step]
            x1, x2, t2 = make_pair(x, gen)
            lm1 = landmark_fn(x1)
            back = t2(landmark_fn(x2))
            errs.append(to_numpy(torch.linalg.norm(back - lm1, dim=-1),
                                 np.float64))
            lm1s.append(to_numpy(lm1, np.float64))
            warps.append(t2)
        c = np.concatenate(lm1s).mean(0)  # (K, 2)
        fixed = []
        for lm1, t2 in zip(lm1s, warps):
            ct = torch.as_tensor(np.broadcast_to(c, lm1.shape).copy(),
                                 dtype=inputs.dtype, device=inputs.device)
            moved = to_numpy(t2(ct), np.float64)
            fixed.append(np.linalg.norm(moved - c, axis=-1))
    err = np.concatenate(errs)  # (N, K)
    fixed = np.concatenate(fixed)
    return dict(mean_px=float(err.mean()), per_landmark_px=err.mean(0),
                per_pair_px=err.mean(1), fixed_px=float(fixed.mean()),
                fixed_per_landmark_px=fixed.mean(0), seed=int(seed),
                num_pairs=int(total))


def shape_oracles(fit_gt, test_gt, norm_indices: Sequence[int]
                  ) -> Dict[str, float]:
    """NME (% of the distance between ``norm_indices``, per test face) of
    three predictors that know no image, only annotated shapes, all in one
    frame (e.g. the network input, where every face was cropped the same
    way):

    - ``'mean_shape'``: the mean of the fit faces, where it lies (what a
      regressor from uninformative landmarks gives);
    - ``'centroid'``: that mean shape translated onto each test face's
      own centroid (a predictor that knows where the face is, nothing
      more);
    - ``'similarity'``: the mean shape similarity-aligned (scale, rotation,
      translation; :func:`similarity_align`) to each test face (knows where
      the face is, its size and its in-plane rotation, not its shape).

    Discovered landmarks that carry face shape must beat ``'similarity'``.
    """
    fit_gt = _points('shape_oracles: fit_gt', fit_gt, 3)
    test_gt = _points('shape_oracles: test_gt', test_gt, 3)
    if fit_gt.shape[1:] != test_gt.shape[1:]:
        raise ValueError(f'shape_oracles: fit faces {fit_gt.shape[1:]} and '
                         f'test faces {test_gt.shape[1:]} differ')
    i, j = (int(v) for v in norm_indices)
    norm = np.linalg.norm(test_gt[:, i] - test_gt[:, j], axis=-1)
    if not (norm > 0).all():
        raise ValueError(f'shape_oracles: a test face has points {i} and {j}'
                         ' at the same place (zero normaliser)')
    mean = fit_gt.mean(0)

    def nme(pred):
        err = np.linalg.norm(pred - test_gt, axis=-1).mean(1)
        return float(100.0 * np.mean(err / norm))

    n = len(test_gt)
    placed = np.broadcast_to(mean, test_gt.shape)
    centred = mean[None] - mean.mean(0) + test_gt.mean(1, keepdims=True)
    aligned = np.stack([
        apply_similarity(similarity_align(mean[None], test_gt[k]),
                         mean[None])[0] for k in range(n)])
    return dict(mean_shape=nme(placed), centroid=nme(centred),
                similarity=nme(aligned))
