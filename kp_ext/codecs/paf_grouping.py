"""Bottom-up grouping of OpenPose (Cao et al., CVPR 2017 / TPAMI 2019).

Pure numpy (plus OpenCV for resizing/blurring and SciPy's Hungarian solver).
Every function works in *map* coordinates: pixel centres at integers of the
confidence map / PAF grid (the caller maps them to input pixels).

Pipeline (``group_people`` runs all of it):

1. ``prepare_heatmaps``: optional resize by ``upsample`` (bicubic, OpenCV's
   half-pixel convention, so upsampled pixel ``i`` is map position
   ``(i + 0.5) / upsample - 0.5``) and optional Gaussian smoothing.
2. ``find_peaks``: a pixel is a peak of part ``k`` when it equals the
   maximum of its ``nms_kernel`` x ``nms_kernel`` window and exceeds
   ``peak_threshold``; on a plateau only the first pixel in raster order is
   kept. At most ``max_peaks`` peaks per part are kept, the highest
   (OpenPose's cap is 127). Optional sub-pixel refinement by a parabola
   fitted to the logs of the three values around the peak on each axis (the
   three outermost pixels for a peak on the border) (``'gaussian'``; exact
   for an isolated Gaussian) or to the values themselves (``'quadratic'``),
   clamped to half a pixel around the peak.
3. ``score_limb_candidates``: every pair (peak of part a, peak of part b) of
   every limb, ``chunk_pairs`` pairs at a time (bounded memory). The line
   integral of the PAF along the segment is approximated by ``num_samples``
   evenly spaced points (end points included) at which the PAF is read
   bilinearly and projected on the segment's unit vector. A pair is a
   candidate when more than ``min_above_fraction`` of the samples exceed
   ``paf_threshold`` and the mean projection plus the distance prior
   ``min(distance_prior * H / length - 1, 0)`` (H: map height; the reference
   penalises segments longer than half the image height) is positive. The
   candidate's score is that penalised mean.
4. ``match_limbs``: per limb, a bipartite matching of the candidates, either
   maximum-weight (``'hungarian'``,
   :func:`scipy.optimize.linear_sum_assignment`) or greedy by descending
   score (``'greedy'``, the reference implementation).
5. ``assemble_people``: connections are merged into people with a
   union-find. Tree-limb connections are processed first, strongest first,
   then the redundant-limb connections, strongest first. A connection
   merges the two partial skeletons of its ends only when they hold no part
   type in common (a person never gets two left wrists); a connection
   between parts already in the same person is a no-op (the redundant
   limbs' role in the reference: confirm, or merge). Unlike the reference,
   a redundant connection between two lone peaks may start a person (there
   is nothing to duplicate, and COCO has people whose only labelled parts
   are, e.g., the two hips). Redundant limbs keep a person whose linking
   part is missing in one piece (no left shoulder: hip-hip re-joins the
   left hip, elbow-hip the left arm, nose-right shoulder the face).
6. People with fewer than ``min_parts`` parts or a mean peak score below
   ``min_mean_score`` are dropped; with ``min_score_per_part``, also those
   whose summed peak and connection scores per part fall below it (the
   reference demo drops people with < 4 parts or a score per part < 0.4:
   ``min_parts=4, min_score_per_part=0.4`` with ``matching='greedy'``).

Every setting of steps 1-6 is a field of :class:`GroupingSettings`, the one
object ``group_people`` takes (built from a config dict with
:meth:`GroupingSettings.from_config`).
"""
import dataclasses
from typing import Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    'GroupingSettings', 'prepare_heatmaps', 'find_peaks',
    'score_limb_candidates', 'match_limbs', 'assemble_people', 'group_people'
]


@dataclasses.dataclass(frozen=True)
class GroupingSettings:
    """Settings of the OpenPose grouping (module docstring, steps 1-6).

    Attributes:
        upsample (float): resize factor of the confidence maps before the
            peak search (1 = none; the reference uses the stride).
        smooth_sigma (float): Gaussian smoothing (upsampled px); 0 = none.
        peak_threshold (float): minimum peak value.
        nms_kernel (int): odd side of the max-filter window.
        refine (str | None): sub-pixel refinement ``'gaussian'`` |
            ``'quadratic'`` | None (``'none'`` is read as None).
        num_samples (int): points sampled on each candidate limb.
        paf_threshold (float): a sample counts when its projection exceeds
            it.
        min_above_fraction (float): a candidate needs more than this
            fraction of samples above ``paf_threshold``.
        distance_prior (float | None): penalty ``min(r * H / len - 1, 0)``
            with r = this value (0.5 in the reference); None: none.
        matching (str): ``'hungarian'`` or ``'greedy'`` (the reference).
        min_parts (int): minimum number of parts of a person. Default 1:
            COCO counts people with one or two labelled parts, and the
            low-scored fragments rank last, so they cost no AP; use 3-4 for
            display.
        min_mean_score (float): minimum mean peak score of a person.
        min_score_per_part (float | None): minimum summed peak and
            connection scores per part (the reference demo's 0.4); None:
            no such filter.
        max_peaks (int | None): peaks kept per part, the highest
            (OpenPose's ``POSE_MAX_PEOPLE`` = 127); None keeps all. With the
            cap, decoding costs at most ``L * max_peaks**2`` limb candidates
            whatever the maps hold (noise included).
        chunk_pairs (int): limb candidates scored at a time; bounds the
            scoring's working memory (~1.5 kB per pair at 10 samples, 25 MB
            at the default 16384); results do not depend on it.
    """

    upsample: float = 1.0
    smooth_sigma: float = 0.0
    peak_threshold: float = 0.1
    nms_kernel: int = 3
    refine: Optional[str] = 'gaussian'
    num_samples: int = 10
    paf_threshold: float = 0.05
    min_above_fraction: float = 0.8
    distance_prior: Optional[float] = 0.5
    matching: str = 'hungarian'
    min_parts: int = 1
    min_mean_score: float = 0.2
    min_score_per_part: Optional[float] = None
    max_peaks: Optional[int] = 127
    chunk_pairs: int = 16384

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        for name in ('upsample', 'smooth_sigma', 'peak_threshold',
                     'paf_threshold', 'min_above_fraction', 'min_mean_score'):
            put(name, float(getattr(self, name)))
        for name in ('nms_kernel', 'num_samples', 'min_parts',
                     'chunk_pairs'):
            put(name, int(getattr(self, name)))
        for name in ('distance_prior', 'min_score_per_part'):
            if getattr(self, name) is not None:
                put(name, float(getattr(self, name)))
        if self.refine == 'none':
            put('refine', None)
        if self.refine not in (None, 'gaussian', 'quadratic'):
            raise ValueError(f'refine must be gaussian|quadratic|none, got '
                             f'{self.refine!r}')
        if self.matching not in ('hungarian', 'greedy'):
            raise ValueError(f"matching must be 'hungarian' or 'greedy', "
                             f'got {self.matching!r}')
        if self.max_peaks is not None:
            put('max_peaks', int(self.max_peaks))
            if self.max_peaks < 1:
                raise ValueError(f'max_peaks must be >= 1 or None, got '
                                 f'{self.max_peaks}')
        if self.chunk_pairs < 1:
            raise ValueError(
                f'chunk_pairs must be >= 1, got {self.chunk_pairs}')

    @classmethod
    def from_config(cls, cfg: Union['GroupingSettings', dict, None]
                    ) -> 'GroupingSettings':
        """Settings from a config dict (unknown keys are errors), the
        settings themselves, or None (the defaults)."""
        if cfg is None:
            return cls()
        if isinstance(cfg, cls):
            return cfg
        if not isinstance(cfg, dict):
            raise TypeError(f'grouping settings must be a dict or '
                            f'GroupingSettings, got {type(cfg).__name__}')
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise TypeError(f'unknown grouping settings {unknown}; known: '
                            f'{sorted(known)}')
        return cls(**cfg)


def _per_chunk(fn, maps: np.ndarray) -> np.ndarray:
    """Apply an OpenCV function to an (H, W, C) stack, at most 256 channels
    per call (OpenCV's limit is 512)."""
    if maps.shape[2] <= 256:
        out = fn(maps)
        return out.reshape(out.shape[0], out.shape[1], -1)
    parts = [fn(np.ascontiguousarray(maps[..., s:s + 256]))
             for s in range(0, maps.shape[2], 256)]
    return np.concatenate(
        [p.reshape(p.shape[0], p.shape[1], -1) for p in parts], axis=2)


def prepare_heatmaps(heatmaps: np.ndarray, upsample: float = 1.0,
                     smooth_sigma: float = 0.0) -> np.ndarray:
    """Sanitise (NaN/inf -> 0), optionally upsample (bicubic) and
    Gaussian-smooth (``smooth_sigma`` in upsampled pixels).

    Takes (K, H, W), returns a contiguous float32 (H', W', K) stack (the
    layout OpenCV works in).
    """
    import cv2
    maps = np.nan_to_num(np.asarray(heatmaps, np.float32), nan=0.0,
                         posinf=0.0, neginf=0.0)
    maps = np.ascontiguousarray(maps.transpose(1, 2, 0))
    if upsample != 1:
        h, w = maps.shape[:2]
        size = (max(1, int(round(w * upsample))),
                max(1, int(round(h * upsample))))
        maps = _per_chunk(
            lambda m: cv2.resize(m, size, interpolation=cv2.INTER_CUBIC),
            maps)
    if smooth_sigma > 0:
        maps = _per_chunk(
            lambda m: cv2.GaussianBlur(m, (0, 0), smooth_sigma), maps)
    return maps


def _parabola_offset(a, b, c, log: bool):
    """Vertex of the parabola through (-1, a), (0, b), (1, c); NaN when the
    fit is not concave."""
    if log:
        a = np.log(np.maximum(a, 1e-10))
        b = np.log(np.maximum(b, 1e-10))
        c = np.log(np.maximum(c, 1e-10))
    den = 2.0 * (2.0 * b - a - c)
    with np.errstate(divide='ignore', invalid='ignore'):
        off = (c - a) / den
    return np.where((den > 0) & np.isfinite(off), off, np.nan)


def _refine_axis(maps, c, y, x, axis: int, log: bool):
    """Sub-pixel offset along ``axis`` (0: x, 1: y) of the peaks at integer
    ``(x, y)`` of the (H, W, K) ``maps``: parabola through the peak and its
    two neighbours (the three outermost pixels when the peak is on the
    border), clamped to half a pixel around the peak; 0 when the fit fails
    or the axis has fewer than 3 pixels."""
    size = maps.shape[1 - axis]
    pos = x if axis == 0 else y
    if size < 3:
        return np.zeros(len(pos))
    p = np.clip(pos, 1, size - 2)
    if axis == 0:
        a, b, cc = maps[y, p - 1, c], maps[y, p, c], maps[y, p + 1, c]
    else:
        a, b, cc = maps[p - 1, x, c], maps[p, x, c], maps[p + 1, x, c]
    off = p + _parabola_offset(a, b, cc, log) - pos
    return np.where(np.isfinite(off), np.clip(off, -0.5, 0.5), 0.0)


def find_peaks(maps: np.ndarray, threshold: float = 0.1, nms_kernel: int = 3,
               refine: Optional[str] = 'gaussian',
               max_peaks: Optional[int] = None):
    """Local maxima of every channel of ``maps`` (H, W, K) (the output of
    :func:`prepare_heatmaps`).

    ``max_peaks`` keeps, per part, only the ``max_peaks`` highest peaks
    (ties: first in raster order); None keeps all. OpenPose caps the peaks
    of a part at ``POSE_MAX_PEOPLE = 127`` (``openpose/pose/poseParameters
    .hpp``); the cap bounds the number of limb candidates (at most
    ``max_peaks**2`` per limb) whatever the maps hold.

    Returns ``(xy (P, 2) float, score (P,), part (P,) int, starts (K+1,))``,
    sorted by part, then raster order; peaks of part ``k`` are rows
    ``starts[k]:starts[k+1]``. ``xy`` is in pixels of ``maps``.
    """
    import cv2
    if refine not in (None, 'none', 'gaussian', 'quadratic'):
        raise ValueError(f'refine must be gaussian|quadratic|none, got '
                         f'{refine!r}')
    if nms_kernel < 1 or nms_kernel % 2 == 0:
        raise ValueError(f'nms_kernel must be a positive odd int, got '
                         f'{nms_kernel}')
    if max_peaks is not None and int(max_peaks) < 1:
        raise ValueError(f'max_peaks must be >= 1 or None, got {max_peaks}')
    h, w, k_num = maps.shape
    y, x, c = np.nonzero(maps > threshold)
    val = maps[y, x, c]
    r = nms_kernel // 2
    if len(c) and r > 0:
        # max filter (OpenCV's default dilate border ignores outside pixels)
        elem = np.ones((nms_kernel, nms_kernel), np.uint8)
        maxf = _per_chunk(lambda m: cv2.dilate(m, elem), maps)
        keep = val >= maxf[y, x, c]
        y, x, c, val = y[keep], x[keep], c[keep], val[keep]
        # plateaus: keep only the first pixel (raster order) of equal maxima
        drop = np.zeros(len(c), bool)
        for dy in range(-r, 1):
            for dx in range(-r, r + 1):
                if dy == 0 and dx >= 0:
                    break
                yy, xx = y + dy, x + dx
                ok = np.flatnonzero((yy >= 0) & (xx >= 0) & (xx < w))
                nb = maps[yy[ok], xx[ok], c[ok]]
                drop[ok[nb == val[ok]]] = True
        keep = ~drop
        y, x, c, val = y[keep], x[keep], c[keep], val[keep]
    if max_peaks is not None and len(c):
        # rank within each part by descending value (ties: raster order,
        # the order np.nonzero gives); keep the top max_peaks, in raster
        # order as before
        by_score = np.lexsort((np.arange(len(c)), -val, c))
        c_s = c[by_score]
        rank = np.arange(len(c_s)) - np.searchsorted(c_s, c_s, 'left')
        keep = np.sort(by_score[rank < int(max_peaks)])
        y, x, c, val = y[keep], x[keep], c[keep], val[keep]
    order = np.argsort(c, kind='stable')          # by part, then raster
    y, x, c, val = y[order], x[order], c[order], val[order]
    xy = np.stack([x, y], axis=1).astype(np.float64)
    if len(c) and refine in ('gaussian', 'quadratic'):
        log = refine == 'gaussian'
        xy[:, 0] += _refine_axis(maps, c, y, x, 0, log)
        xy[:, 1] += _refine_axis(maps, c, y, x, 1, log)
    starts = np.searchsorted(c, np.arange(k_num + 1))
    return xy, val.astype(np.float64), c.astype(np.int64), starts


def _bilinear_pair(pafs: np.ndarray, ch: np.ndarray, x: np.ndarray,
                   y: np.ndarray):
    """Bilinear read (edge-clamped) of channels ``ch`` and ``ch + 1`` of
    ``pafs`` (C, H, W) at ``(x, y)``; ``ch`` broadcasts against x, y."""
    _, h, w = pafs.shape
    x = np.clip(x, 0, w - 1)
    y = np.clip(y, 0, h - 1)
    x0 = np.minimum(x.astype(np.int64), max(w - 2, 0))   # x >= 0: trunc
    y0 = np.minimum(y.astype(np.int64), max(h - 2, 0))
    fx = x - x0
    fy = y - y0
    dx = 1 if w > 1 else 0
    dy = w if h > 1 else 0
    flat = pafs.reshape(-1)
    i00 = ch * (h * w) + y0 * w + x0
    w00 = (1 - fx) * (1 - fy)
    w01 = fx * (1 - fy)
    w10 = (1 - fx) * fy
    w11 = fx * fy
    out = []
    for i in (i00, i00 + h * w):
        out.append(flat[i] * w00 + flat[i + dx] * w01 +
                   flat[i + dy] * w10 + flat[i + dy + dx] * w11)
    return out


def _pair_blocks(starts: np.ndarray, limbs: Sequence[Sequence[int]],
                 chunk_pairs: int):
    """Yield ``(limb, idx_a, idx_b)`` index arrays of all peak pairs of all
    limbs, in limb order, then part-a order, then part-b order, at most
    ``chunk_pairs`` pairs per chunk (several limbs share a chunk when they
    are small; a limb with more pairs is split into blocks of part-a rows x
    part-b columns)."""
    pending, n = [], 0

    def flush():
        ls, ias, ibs = [], [], []
        for l, a0, a1, b0, b1 in pending:
            ias.append(np.repeat(np.arange(a0, a1), b1 - b0))
            ibs.append(np.tile(np.arange(b0, b1), a1 - a0))
            ls.append(np.full((a1 - a0) * (b1 - b0), l, np.int64))
        return np.concatenate(ls), np.concatenate(ias), np.concatenate(ibs)

    for l, (a, b) in enumerate(limbs):
        a0, a1 = int(starts[a]), int(starts[a + 1])
        b0, b1 = int(starts[b]), int(starts[b + 1])
        if a1 == a0 or b1 == b0:
            continue
        cols = min(b1 - b0, chunk_pairs)
        rows = max(1, chunk_pairs // cols)
        for s in range(a0, a1, rows):
            e = min(s + rows, a1)
            for t in range(b0, b1, cols):
                u = min(t + cols, b1)
                k = (e - s) * (u - t)
                if pending and n + k > chunk_pairs:
                    yield flush()
                    pending, n = [], 0
                pending.append((l, s, e, t, u))
                n += k
    if pending:
        yield flush()


def score_limb_candidates(xy: np.ndarray, starts: np.ndarray,
                          pafs: np.ndarray, limbs: Sequence[Sequence[int]],
                          num_samples: int = 10, paf_threshold: float = 0.05,
                          min_above_fraction: float = 0.8,
                          distance_prior: Optional[float] = 0.5,
                          chunk_pairs: int = 16384):
    """Score all peak pairs of all limbs (vectorised, in chunks).

    ``xy`` peaks in PAF-map pixels, ``starts`` per-part offsets (see
    :func:`find_peaks`), ``pafs`` (2L, H, W) with channels ``2l`` (x) and
    ``2l+1`` (y) for ``limbs[l] = (a, b)`` pointing from a to b.

    Pairs are scored ``chunk_pairs`` at a time, so the working memory is
    ``O(chunk_pairs * num_samples)`` (about 1.5 kB per pair at 10 samples:
    25 MB for the default 16384) plus the surviving candidates (32 bytes
    each), whatever the number of peaks; the result does not depend on the
    chunk size. In each chunk pairs are first screened exactly on a boolean
    "field stronger than the threshold" map (see the code) and only the
    survivors are read bilinearly; the result is the same as reading every
    pair.

    Returns ``(limb (C,), idx_a (C,), idx_b (C,), score (C,))`` for the pairs
    that pass both criteria (``idx_*`` index rows of ``xy``), in limb order.
    """
    e = np.zeros(0, np.int64)
    empty = (e, e, e, np.zeros(0))
    if num_samples < 1:
        raise ValueError(f'num_samples must be >= 1, got {num_samples}')
    if int(chunk_pairs) < 1:
        raise ValueError(f'chunk_pairs must be >= 1, got {chunk_pairs}')
    need = int(np.floor(min_above_fraction * num_samples)) + 1
    if need > num_samples:
        return empty
    t = np.linspace(0.0, 1.0, num_samples)
    _, h, w = pafs.shape
    strong = probe = None
    if paf_threshold >= 0:
        # Exact screening: a bilinear sample's projection on a unit vector
        # is at most the largest field magnitude of its 2x2 block, so a
        # sample whose block has no pixel with |field| > paf_threshold
        # fails. A pair may fail at most S - need samples, so a pair whose
        # S - need + 1 probe samples all fail is dropped before the
        # (costlier) bilinear reads of all S samples.
        strong = (pafs[0::2]**2 + pafs[1::2]**2) > paf_threshold**2
        if w > 1:
            strong[:, :, :-1] |= strong[:, :, 1:]
        if h > 1:
            strong[:, :-1, :] |= strong[:, 1:, :]
        strong = strong.reshape(-1)
        n_probe = num_samples - need + 1
        probe = np.unique(np.round(np.linspace(
            0, num_samples - 1, n_probe + 2)[1:-1]).astype(np.int64))
        if len(probe) < n_probe:            # too few interior samples
            probe = np.arange(num_samples)[:n_probe]
    out = []
    for limb, ia, ib in _pair_blocks(starts, limbs, int(chunk_pairs)):
        d = xy[ib] - xy[ia]
        norm = np.hypot(d[:, 0], d[:, 1])
        ok = norm > 1e-6
        ia, ib, limb, d, norm = ia[ok], ib[ok], limb[ok], d[ok], norm[ok]
        if strong is not None and len(limb) > 64:
            tp = t[probe]
            pa = xy[ia]
            sx = np.clip(pa[:, :1] + d[:, :1] * tp, 0, w - 1)
            sy = np.clip(pa[:, 1:] + d[:, 1:] * tp, 0, h - 1)
            x0 = np.minimum(sx.astype(np.int64), max(w - 2, 0))
            y0 = np.minimum(sy.astype(np.int64), max(h - 2, 0))
            alive = strong[limb[:, None] * (h * w) + y0 * w + x0].any(1)
            ia, ib, limb, d, norm = (ia[alive], ib[alive], limb[alive],
                                     d[alive], norm[alive])
        if len(limb) == 0:
            continue
        pa = xy[ia]
        sx = pa[:, :1] + d[:, :1] * t
        sy = pa[:, 1:] + d[:, 1:] * t
        fx, fy = _bilinear_pair(pafs, (2 * limb)[:, None], sx, sy)
        proj = (fx * d[:, :1] + fy * d[:, 1:]) / norm[:, None]   # (C, S)
        score = proj.mean(axis=1)
        if distance_prior is not None:
            score = score + np.minimum(distance_prior * h / norm - 1.0, 0.0)
        above = (proj > paf_threshold).sum(axis=1)
        ok = (above >= need) & (score > 0) & np.isfinite(score)
        out.append((limb[ok], ia[ok], ib[ok], score[ok]))
    if not out:
        return empty
    return tuple(np.concatenate(v) for v in zip(*out))


def match_limbs(limb: np.ndarray, ia: np.ndarray, ib: np.ndarray,
                score: np.ndarray, num_limbs: int, method: str = 'hungarian'):
    """Per-limb bipartite matching; returns the kept subset of the input
    arrays (``limb, ia, ib, score``)."""
    if method not in ('hungarian', 'greedy'):
        raise ValueError(f"matching must be 'hungarian' or 'greedy', got "
                         f'{method!r}')
    if len(limb) == 0:
        return limb, ia, ib, score
    keep = np.zeros(len(limb), bool)
    order = np.argsort(limb, kind='stable')
    bounds = np.searchsorted(limb[order], np.arange(num_limbs + 1))
    for l in range(num_limbs):
        sel = order[bounds[l]:bounds[l + 1]]
        if len(sel) == 0:
            continue
        if len(sel) == 1:
            keep[sel] = True
            continue
        if method == 'greedy':
            sel = sel[np.argsort(-score[sel], kind='stable')]
            used_a, used_b = set(), set()
            for s, a, b in zip(sel.tolist(), ia[sel].tolist(),
                               ib[sel].tolist()):
                if a in used_a or b in used_b:
                    continue
                used_a.add(a)
                used_b.add(b)
                keep[s] = True
        else:
            from scipy.optimize import linear_sum_assignment
            ua, ra = np.unique(ia[sel], return_inverse=True)
            ub, rb = np.unique(ib[sel], return_inverse=True)
            # Missing pairs weigh 0; candidate scores are > 0, so the
            # maximum-weight assignment restricted to candidates is the
            # maximum-weight matching of the candidate graph.
            w = np.zeros((len(ua), len(ub)))
            w[ra, rb] = score[sel]
            pos = np.full((len(ua), len(ub)), -1, np.int64)
            pos[ra, rb] = sel
            r, c = linear_sum_assignment(w, maximize=True)
            hit = pos[r, c]
            keep[hit[hit >= 0]] = True
    return limb[keep], ia[keep], ib[keep], score[keep]


def assemble_people(num_peaks: int, part: np.ndarray, limb: np.ndarray,
                    ia: np.ndarray, ib: np.ndarray, score: np.ndarray,
                    num_tree_limbs: int):
    """Union-find assembly of matched connections into people.

    Limbs with index ``>= num_tree_limbs`` are redundant (see module doc).
    Returns ``(person (P,) int, conn_sum (G,), conn_count (G,))``: the person
    id of every peak (ids ``0..G-1``; a peak never connected is a person of
    its own) and the sum / number of connection scores of each person.
    """
    parent = list(range(num_peaks))
    occ = [1 << int(p) for p in part.tolist()]
    csum = [0.0] * num_peaks
    ccount = [0] * num_peaks

    def find(i):
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    redundant = limb >= num_tree_limbs
    # tree connections first, then redundant ones; strongest first in each
    order = np.lexsort((-score, redundant))
    for red, a, b, s in zip(redundant[order].tolist(), ia[order].tolist(),
                            ib[order].tolist(), score[order].tolist()):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if occ[ra] & occ[rb]:
            continue                      # would duplicate a part type
        if ccount[ra] < ccount[rb]:
            ra, rb = rb, ra
        parent[rb] = ra
        occ[ra] |= occ[rb]
        csum[ra] += csum[rb] + s
        ccount[ra] += ccount[rb] + 1
    roots = np.fromiter((find(i) for i in range(num_peaks)), np.int64,
                        num_peaks)
    uniq, person = np.unique(roots, return_inverse=True)
    conn_sum = np.asarray(csum, np.float64)[uniq]
    conn_count = np.asarray(ccount, np.int64)[uniq]
    return person.reshape(-1), conn_sum, conn_count


def group_people(heatmaps: np.ndarray, pafs: np.ndarray,
                 limbs: Sequence[Sequence[int]],
                 redundant_limbs: Sequence[Sequence[int]] = (),
                 settings: Union[GroupingSettings, dict, None] = None
                 ) -> Tuple[np.ndarray, ...]:
    """Peaks + grouping on one sample's maps.

    Args:
        heatmaps: (K, H, W) part confidence maps (no background channel).
        pafs: (2L, H, W), L = len(limbs) + len(redundant_limbs), tree limbs
            first.
        settings: :class:`GroupingSettings` (or its config dict; None: the
            defaults).

    Returns:
        keypoints (N, K, 2) in map pixels of ``heatmaps`` (float32; a
        missing part is placed at the mean of the person's found parts),
        keypoint_scores (N, K) (peak values, 0 for missing parts),
        instance_scores (N,) = (sum of peak scores / K) * mean connection
        score (clipped to [0, 1]; 1 for a one-part person), sorted
        descending.
    """
    cfg = GroupingSettings.from_config(settings)
    heatmaps = np.asarray(heatmaps)
    k_num = heatmaps.shape[0]
    all_limbs = [tuple(map(int, lb)) for lb in limbs] + \
        [tuple(map(int, lb)) for lb in redundant_limbs]
    empty = (np.zeros((0, k_num, 2), np.float32),
             np.zeros((0, k_num), np.float32), np.zeros((0,), np.float32))
    maps = prepare_heatmaps(heatmaps, cfg.upsample, cfg.smooth_sigma)
    xy, val, part, starts = find_peaks(maps, cfg.peak_threshold,
                                       cfg.nms_kernel, cfg.refine,
                                       cfg.max_peaks)
    if len(val) == 0:
        return empty
    if cfg.upsample != 1:
        xy = (xy + 0.5) * (np.array([heatmaps.shape[2], heatmaps.shape[1]]) /
                           np.array([maps.shape[1], maps.shape[0]])) - 0.5
    pafs = np.ascontiguousarray(np.nan_to_num(
        np.asarray(pafs, np.float32), nan=0.0, posinf=0.0, neginf=0.0))
    limb, ia, ib, sc = score_limb_candidates(
        xy, starts, pafs, all_limbs, cfg.num_samples, cfg.paf_threshold,
        cfg.min_above_fraction, cfg.distance_prior, cfg.chunk_pairs)
    limb, ia, ib, sc = match_limbs(limb, ia, ib, sc, len(all_limbs),
                                   cfg.matching)
    person, conn_sum, conn_count = assemble_people(
        len(val), part, limb, ia, ib, sc, len(limbs))
    g = len(conn_sum)
    kpts = np.zeros((g, k_num, 2), np.float64)
    kscore = np.zeros((g, k_num), np.float64)
    kpts[person, part] = xy
    kscore[person, part] = val
    found = np.zeros((g, k_num), bool)
    found[person, part] = True
    n_parts = found.sum(1)
    mean_peak = kscore.sum(1) / np.maximum(n_parts, 1)
    keep = (n_parts >= cfg.min_parts) & (mean_peak >= cfg.min_mean_score)
    if cfg.min_score_per_part is not None:
        # the reference demo's subset score: peak scores + connection
        # scores, per part
        total = kscore.sum(1) + conn_sum
        keep &= total >= cfg.min_score_per_part * np.maximum(n_parts, 1)
    if not keep.any():
        return empty
    kpts, kscore, found = kpts[keep], kscore[keep], found[keep]
    n_parts = n_parts[keep]
    conn_mean = np.where(conn_count[keep] > 0,
                         conn_sum[keep] / np.maximum(conn_count[keep], 1),
                         1.0)
    inst = kscore.sum(1) / k_num * np.clip(conn_mean, 0.0, 1.0)
    centre = (kpts * found[..., None]).sum(1) / n_parts[:, None]
    kpts = np.where(found[..., None], kpts, centre[:, None, :])
    order = np.argsort(-inst, kind='stable')
    return (kpts[order].astype(np.float32), kscore[order].astype(np.float32),
            inst[order].astype(np.float32))
