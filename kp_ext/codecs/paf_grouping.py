"""Bottom-up grouping of OpenPose (Cao et al., CVPR 2017 / TPAMI 2019).

Pure numpy (plus OpenCV for resizing/blurring, SciPy's Hungarian solver
and SciPy's k-d tree for the reference's 6 px peak suppression).
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
   Python demo and the first version of ``connect56LineVec.m`` drop people
   with < 4 parts or a score per part < 0.4: ``min_parts=4,
   min_score_per_part=0.4`` with ``matching='greedy'``; the latest
   ``connect56LineVec.m``, behind the paper's numbers, < 3 and < 0.2,
   below).

Every setting of steps 1-6 is a field of :class:`GroupingSettings`, the one
object ``group_people`` takes (built from a config dict with
:meth:`GroupingSettings.from_config`).

The MATLAB evaluation (``connect56LineVec.m``)
----------------------------------------------
The settings below reproduce the grouping of the code behind the paper's
COCO numbers, ZheC/Realtime_Multi-Person_Pose_Estimation
``testing/src/connect56LineVec.m`` at its latest commit ("Update
connect56LineVec.m"; line numbers of that version), called by
``testing/evalCOCO.m:22`` on maps at the original image resolution
(``applyModel.m``; the estimator's ``multiscale_resolution='image'``):

- ``peak_rule='cross4'`` (``findPeaks``, l. 354-399): no smoothing (the
  Gaussian filter is commented out, l. 355-357), values below the
  threshold (``param.thre1``, l. 17) set to 0 (l. 358), a peak is
  strictly greater than its 4 neighbours on that map, 0 outside it
  (l. 360-373); the peaks come out in MATLAB's column-major order of the
  (H, W) map, i.e. by x, then y (``find``, l. 374).
- ``peak_suppress_radius=6`` (l. 384-398): the peaks of a part taken in
  that order, every peak within 6 px (``<= 6``) of an earlier *kept* one
  is dropped, whatever the scores (not "the weaker one": the first in
  scan order wins).
- ``paf_sampling='nearest'`` (l. 127-131): the 10 points of ``linspace``
  rounded to the nearest pixel (MATLAB's ``round``, halves away from zero)
  and read there; ``limb_score_mean='above'`` (l. 134-148): the score is
  the mean of the projections above ``param.thre2`` only (``p_sum /
  p_count``), plus ``min(height / length - 1, 0)`` with ``height`` half
  the map height (l. 23, 148); a candidate needs score > 0 and more than
  80 % of the samples above ``thre2`` (l. 151).
- greedy matching by connection score (l. 160-186; ties in candidate
  order, MATLAB's ``sortrows`` is stable), ``matching='greedy'``.
- ``assembly='connect56'`` (l. 188-245): limbs taken in ``limbSeq`` order
  (l. 28; the body model's ``paf_limb_sequence``). For a limb none of whose
  parts has a peak nothing happens (l. 48-49); when only one part has
  peaks, each of its peaks that no person holds starts a person of 1 part
  scored with its peak (l. 50-86). A tree limb's connection (a, b) adds b
  (overwriting, count + 1, score + peak(b) + connection) to every person
  holding a, else starts a person {a, b} of count 2 scored peak(a) +
  peak(b) + connection (l. 194-201, 219-245; people are never merged). A
  redundant limb (``limbSeq`` rows 18-19, the ear-shoulder limbs) only
  fills a missing end of a person holding the other end, without count or
  score (l. 202-218).
- ``min_parts=3``, ``min_score_per_part=0.2`` (l. 253): people whose count
  is below 3 or whose score / count is below 0.2 are dropped (the first
  version of the file had 4 and 0.4).
- ``instance_score='total_x_parts'``: the score COCOeval gets is the
  person's score times its number of found parts that are evaluation
  keypoints (``testing/evalCOCO.m:45, 67``; ``score_parts``: the neck is
  not one, l. 29-31 there).
"""
import dataclasses
from typing import Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    'GroupingSettings', 'prepare_heatmaps', 'find_peaks',
    'score_limb_candidates', 'match_limbs', 'assemble_people',
    'assemble_connect56', 'group_people'
]

_PEAK_RULES = ('window', 'cross4')
_SAMPLINGS = ('bilinear', 'nearest')
_MEANS = ('all', 'above')
_ASSEMBLIES = ('union_find', 'connect56')
_INSTANCE_SCORES = ('kp_ext', 'total_x_parts')


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
        peak_rule (str): ``'window'`` (default: a peak equals the maximum
            of its ``nms_kernel`` window, first pixel of a plateau, value
            > ``peak_threshold``; raster order) or ``'cross4'``
            (``connect56LineVec.m`` ``findPeaks``: strictly above its 4
            neighbours on the map with values < ``peak_threshold`` zeroed,
            value >= ``peak_threshold``; ``nms_kernel`` unused; column-major
            order, by x then y).
        peak_suppress_radius (float | None): drop every peak within this
            distance (inclusive) of an earlier kept peak of the same part,
            in the order of ``peak_rule`` (``connect56LineVec.m``: 6);
            None: none. Applied before ``max_peaks``.
        paf_sampling (str): ``'bilinear'`` (default) or ``'nearest'``
            (the reference: the sample rounded to a pixel, halves up).
        limb_score_mean (str): ``'all'`` (default, the Python demo: mean
            projection of all samples) or ``'above'``
            (``connect56LineVec.m``: mean of the samples above
            ``paf_threshold``).
        assembly (str): ``'union_find'`` (default, kp_ext's; module doc,
            step 5) or ``'connect56'`` (the reference's limb-by-limb subsets,
            module doc; needs the limbs in the reference's order, the
            ``limb_order`` of :func:`group_people`).
        instance_score (str): ``'kp_ext'`` (default: mean peak score over
            K x mean connection score) or ``'total_x_parts'``
            (``evalCOCO.m``: the person's score, the sum of its peak and
            connection scores, times its number of found ``score_parts``).
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
    peak_rule: str = 'window'
    peak_suppress_radius: Optional[float] = None
    paf_sampling: str = 'bilinear'
    limb_score_mean: str = 'all'
    assembly: str = 'union_find'
    instance_score: str = 'kp_ext'

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        for name in ('upsample', 'smooth_sigma', 'peak_threshold',
                     'paf_threshold', 'min_above_fraction', 'min_mean_score'):
            put(name, float(getattr(self, name)))
        for name in ('nms_kernel', 'num_samples', 'min_parts',
                     'chunk_pairs'):
            put(name, int(getattr(self, name)))
        for name in ('distance_prior', 'min_score_per_part',
                     'peak_suppress_radius'):
            if getattr(self, name) is not None:
                put(name, float(getattr(self, name)))
        for name, allowed in (('peak_rule', _PEAK_RULES),
                              ('paf_sampling', _SAMPLINGS),
                              ('limb_score_mean', _MEANS),
                              ('assembly', _ASSEMBLIES),
                              ('instance_score', _INSTANCE_SCORES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f'{name} must be one of {allowed}, got '
                                 f'{getattr(self, name)!r}')
        if self.peak_suppress_radius is not None and \
                self.peak_suppress_radius < 0:
            raise ValueError(f'peak_suppress_radius must be >= 0 or None, '
                             f'got {self.peak_suppress_radius}')
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


def _cross4_peaks(maps: np.ndarray, threshold: float):
    """``connect56LineVec.m`` ``findPeaks`` (l. 358-374): on the map with
    values < ``threshold`` set to 0, pixels strictly greater than their 4
    neighbours (0 outside the map). Returns ``(y, x, c)`` by part, then in
    MATLAB's column-major order (x, then y)."""
    m = np.where(maps >= threshold, maps, 0).astype(maps.dtype)
    pad = np.zeros((m.shape[0] + 2, m.shape[1] + 2, m.shape[2]), m.dtype)
    pad[1:-1, 1:-1] = m
    peak = ((m > pad[1:-1, :-2]) & (m > pad[1:-1, 2:]) &
            (m > pad[:-2, 1:-1]) & (m > pad[2:, 1:-1]))
    c, x, y = np.nonzero(peak.transpose(2, 1, 0))
    return y, x, c


def _suppress_near(y, x, c, radius: float) -> np.ndarray:
    """Keep-mask of the peaks ``(y, x, c)`` (grouped by part, in scan
    order) with every peak within ``radius`` (inclusive) of an earlier kept
    peak of the same part dropped (``connect56LineVec.m`` l. 384-398)."""
    from scipy.spatial import cKDTree
    keep = np.ones(len(c), bool)
    bounds = np.flatnonzero(np.diff(c)) + 1
    for s, e in zip(np.r_[0, bounds], np.r_[bounds, len(c)]):
        if e - s < 2:
            continue
        pts = np.stack([x[s:e], y[s:e]], 1).astype(np.float64)
        pairs = cKDTree(pts).query_pairs(float(radius), output_type='ndarray')
        if len(pairs) == 0:
            continue
        pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]  # i < j
        first = np.searchsorted(pairs[:, 0], np.arange(e - s + 1))
        alive = np.ones(e - s, bool)
        for i in np.unique(pairs[:, 0]).tolist():
            if alive[i]:
                alive[pairs[first[i]:first[i + 1], 1]] = False
        keep[s:e] = alive
    return keep


def find_peaks(maps: np.ndarray, threshold: float = 0.1, nms_kernel: int = 3,
               refine: Optional[str] = 'gaussian',
               max_peaks: Optional[int] = None, rule: str = 'window',
               suppress_radius: Optional[float] = None):
    """Local maxima of every channel of ``maps`` (H, W, K) (the output of
    :func:`prepare_heatmaps`).

    ``rule``: ``'window'`` (maximum of the ``nms_kernel`` window, value >
    ``threshold``, first pixel of a plateau; raster order) or ``'cross4'``
    (``connect56LineVec.m``'s 4-neighbour strict maximum, value >=
    ``threshold``; column-major order, see :class:`GroupingSettings`).
    ``suppress_radius``: drop every peak within that distance (inclusive)
    of an earlier kept peak of its part, in that order.

    ``max_peaks`` keeps, per part, only the ``max_peaks`` highest peaks
    (ties: first in the rule's order); None keeps all. OpenPose caps the
    peaks of a part at ``POSE_MAX_PEOPLE = 127`` (``openpose/pose/
    poseParameters.hpp``); the cap bounds the number of limb candidates (at
    most ``max_peaks**2`` per limb) whatever the maps hold.

    Returns ``(xy (P, 2) float, score (P,), part (P,) int, starts (K+1,))``,
    sorted by part, then the rule's order; peaks of part ``k`` are rows
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
    if rule not in _PEAK_RULES:
        raise ValueError(f'rule must be one of {_PEAK_RULES}, got {rule!r}')
    h, w, k_num = maps.shape
    if rule == 'cross4':
        y, x, c = _cross4_peaks(maps, threshold)
        r = 0
    else:
        y, x, c = np.nonzero(maps > threshold)
        r = nms_kernel // 2
    val = maps[y, x, c]
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
    order = np.argsort(c, kind='stable')          # by part, then scan
    y, x, c, val = y[order], x[order], c[order], val[order]
    if suppress_radius is not None and len(c) > 1:
        keep = _suppress_near(y, x, c, suppress_radius)
        y, x, c, val = y[keep], x[keep], c[keep], val[keep]
    if max_peaks is not None and len(c):
        # rank within each part by descending value (ties: scan order, the
        # order of the arrays); keep the top max_peaks, in scan order as
        # before
        by_score = np.lexsort((np.arange(len(c)), -val, c))
        c_s = c[by_score]
        rank = np.arange(len(c_s)) - np.searchsorted(c_s, c_s, 'left')
        keep = np.sort(by_score[rank < int(max_peaks)])
        y, x, c, val = y[keep], x[keep], c[keep], val[keep]
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


def _nearest_pair(pafs: np.ndarray, ch: np.ndarray, x: np.ndarray,
                  y: np.ndarray):
    """Channels ``ch`` and ``ch + 1`` of ``pafs`` (C, H, W) at the pixel
    nearest to ``(x, y)`` (``floor(v + 0.5)``, edge-clamped)."""
    _, h, w = pafs.shape
    xi = np.clip(np.floor(np.clip(x, 0, w - 1) + 0.5), 0, w - 1).astype(
        np.int64)
    yi = np.clip(np.floor(np.clip(y, 0, h - 1) + 0.5), 0, h - 1).astype(
        np.int64)
    flat = pafs.reshape(-1)
    i = ch * (h * w) + yi * w + xi
    return flat[i], flat[i + h * w]


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
                          chunk_pairs: int = 16384,
                          sampling: str = 'bilinear',
                          mean_over: str = 'all'):
    """Score all peak pairs of all limbs (vectorised, in chunks).

    ``xy`` peaks in PAF-map pixels, ``starts`` per-part offsets (see
    :func:`find_peaks`), ``pafs`` (2L, H, W) with channels ``2l`` (x) and
    ``2l+1`` (y) for ``limbs[l] = (a, b)`` pointing from a to b.

    ``sampling``: the PAF read ``'bilinear'`` at each sample or at the
    ``'nearest'`` pixel (``floor(v + 0.5)``: MATLAB's ``round`` of
    ``connect56LineVec.m`` l. 130-131 for the non-negative positions of a
    map). ``mean_over``: the score is the mean projection of ``'all'``
    samples or of those ``'above'`` ``paf_threshold`` (``p_sum / p_count``,
    l. 148).

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
    if sampling not in _SAMPLINGS:
        raise ValueError(f'sampling must be one of {_SAMPLINGS}, got '
                         f'{sampling!r}')
    if mean_over not in _MEANS:
        raise ValueError(f'mean_over must be one of {_MEANS}, got '
                         f'{mean_over!r}')
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
        if sampling == 'nearest':
            fx, fy = _nearest_pair(pafs, (2 * limb)[:, None], sx, sy)
        else:
            fx, fy = _bilinear_pair(pafs, (2 * limb)[:, None], sx, sy)
        proj = (fx * d[:, :1] + fy * d[:, 1:]) / norm[:, None]   # (C, S)
        is_above = proj > paf_threshold
        above = is_above.sum(axis=1)
        if mean_over == 'above':
            with np.errstate(invalid='ignore', divide='ignore'):
                score = np.where(is_above, proj, 0.0).sum(axis=1) / above
        else:
            score = proj.mean(axis=1)
        if distance_prior is not None:
            score = score + np.minimum(distance_prior * h / norm - 1.0, 0.0)
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


def assemble_connect56(starts: np.ndarray, val: np.ndarray,
                       limbs: Sequence[Sequence[int]], limb: np.ndarray,
                       ia: np.ndarray, ib: np.ndarray, score: np.ndarray,
                       order: Sequence[int], redundant: Sequence[bool]):
    """The reference's subset assembly (``connect56LineVec.m`` l. 44-86,
    188-245 of its latest version; module doc).

    Args:
        starts: per-part offsets of the peaks (:func:`find_peaks`).
        val: peak scores (P,).
        limbs: (a, b) of every limb (all of them, indexed by ``limb``).
        limb, ia, ib, score: the matched connections (:func:`match_limbs`).
        order: the limbs in the order they are processed (``limbSeq``).
        redundant: per limb, True for a limb that only completes people
            (the reference's limbs 18-19).

    Returns ``(parts (G, K) int, -1 = none, count (G,), total (G,),
    conn_sum (G,), conn_count (G,))`` in creation order: ``count`` and
    ``total`` are the reference's ``subset(:, end)`` (its part count) and
    ``subset(:, end-1)`` (peak + connection scores); parts filled by a
    redundant limb are in ``parts`` but in neither.
    """
    k_num = len(starts) - 1
    rows, count, total, csum, ccount = [], [], [], [], []

    def new(pairs, n, t, cs, cc):
        r = [-1] * k_num
        for k, pk in pairs:
            r[k] = pk
        rows.append(r)
        count.append(n)
        total.append(t)
        csum.append(cs)
        ccount.append(cc)

    by_limb = {}
    sel = np.lexsort((-score, limb)) if len(limb) else np.zeros(0, int)
    for j in sel.tolist():                   # per limb, strongest first
        by_limb.setdefault(int(limb[j]), []).append(
            (int(ia[j]), int(ib[j]), float(score[j])))
    for l in order:
        a, b = (int(v) for v in limbs[l])
        na = int(starts[a + 1] - starts[a])
        nb = int(starts[b + 1] - starts[b])
        if na == 0 and nb == 0:
            continue
        if na == 0 or nb == 0:
            k = b if na == 0 else a
            for pk in range(int(starts[k]), int(starts[k + 1])):
                if not any(r[k] == pk for r in rows):
                    new([(k, pk)], 1, float(val[pk]), 0.0, 0)
            continue
        conns = by_limb.get(l, [])
        if redundant[l]:
            for pa, pb, _ in conns:
                for r in rows:
                    if r[a] == pa and r[b] == -1:
                        r[b] = pb
                    elif r[b] == pb and r[a] == -1:
                        r[a] = pa
            continue
        for pa, pb, sc in conns:
            num = 0
            for g, r in enumerate(rows):
                if r[a] == pa:
                    r[b] = pb
                    num += 1
                    count[g] += 1
                    total[g] += float(val[pb]) + sc
                    csum[g] += sc
                    ccount[g] += 1
            if num == 0:
                new([(a, pa), (b, pb)], 2,
                    float(val[pa]) + float(val[pb]) + sc, sc, 1)
    return (np.asarray(rows, np.int64).reshape(-1, k_num),
            np.asarray(count, np.int64), np.asarray(total, np.float64),
            np.asarray(csum, np.float64), np.asarray(ccount, np.int64))


def group_people(heatmaps: np.ndarray, pafs: np.ndarray,
                 limbs: Sequence[Sequence[int]],
                 redundant_limbs: Sequence[Sequence[int]] = (),
                 settings: Union[GroupingSettings, dict, None] = None,
                 limb_order: Optional[Sequence[int]] = None,
                 score_parts: Optional[Sequence[int]] = None
                 ) -> Tuple[np.ndarray, ...]:
    """Peaks + grouping on one sample's maps.

    Args:
        heatmaps: (K, H, W) part confidence maps (no background channel).
        pafs: (2L, H, W), L = len(limbs) + len(redundant_limbs), tree limbs
            first.
        settings: :class:`GroupingSettings` (or its config dict; None: the
            defaults).
        limb_order: with ``assembly='connect56'``: the order in which the
            limbs (indices into tree + redundant limbs) are assembled, the
            reference's ``limbSeq``; default: tree limbs, then redundant
            ones, as given.
        score_parts: the parts counted by ``instance_score=
            'total_x_parts'`` (evalCOCO.m counts the evaluated keypoints,
            not the neck); default: all.

    Returns:
        keypoints (N, K, 2) in map pixels of ``heatmaps`` (float32; a
        missing part is placed at the mean of the person's found parts),
        keypoint_scores (N, K) (peak values, 0 for missing parts),
        instance_scores (N,) (``instance_score='kp_ext'``: (sum of peak
        scores / K) * mean connection score, clipped to [0, 1], 1 for a
        one-part person; ``'total_x_parts'``: peak + connection scores
        times the number of found ``score_parts``), sorted descending
        (stable).
    """
    cfg = GroupingSettings.from_config(settings)
    heatmaps = np.asarray(heatmaps)
    k_num = heatmaps.shape[0]
    all_limbs = [tuple(map(int, lb)) for lb in limbs] + \
        [tuple(map(int, lb)) for lb in redundant_limbs]
    if limb_order is None:
        limb_order = list(range(len(all_limbs)))
    limb_order = [int(v) for v in limb_order]
    if sorted(limb_order) != list(range(len(all_limbs))):
        raise ValueError(f'limb_order must be a permutation of the '
                         f'{len(all_limbs)} limbs, got {limb_order}')
    counted = np.ones(k_num, bool)
    if score_parts is not None:
        counted[:] = False
        counted[np.asarray(list(score_parts), np.int64)] = True
    empty = (np.zeros((0, k_num, 2), np.float32),
             np.zeros((0, k_num), np.float32), np.zeros((0,), np.float32))
    maps = prepare_heatmaps(heatmaps, cfg.upsample, cfg.smooth_sigma)
    xy, val, part, starts = find_peaks(maps, cfg.peak_threshold,
                                       cfg.nms_kernel, cfg.refine,
                                       cfg.max_peaks, cfg.peak_rule,
                                       cfg.peak_suppress_radius)
    if len(val) == 0:
        return empty
    if cfg.upsample != 1:
        xy = (xy + 0.5) * (np.array([heatmaps.shape[2], heatmaps.shape[1]]) /
                           np.array([maps.shape[1], maps.shape[0]])) - 0.5
    pafs = np.ascontiguousarray(np.nan_to_num(
        np.asarray(pafs, np.float32), nan=0.0, posinf=0.0, neginf=0.0))
    limb, ia, ib, sc = score_limb_candidates(
        xy, starts, pafs, all_limbs, cfg.num_samples, cfg.paf_threshold,
        cfg.min_above_fraction, cfg.distance_prior, cfg.chunk_pairs,
        cfg.paf_sampling, cfg.limb_score_mean)
    limb, ia, ib, sc = match_limbs(limb, ia, ib, sc, len(all_limbs),
                                   cfg.matching)
    if cfg.assembly == 'connect56':
        rows, count, total, conn_sum, conn_count = assemble_connect56(
            starts, val, all_limbs, limb, ia, ib, sc, limb_order,
            [l >= len(limbs) for l in range(len(all_limbs))])
        g = len(rows)
        found = rows >= 0
        kpts = np.zeros((g, k_num, 2), np.float64)
        kscore = np.zeros((g, k_num), np.float64)
        gi, ki = np.nonzero(found)
        kpts[gi, ki] = xy[rows[gi, ki]]
        kscore[gi, ki] = val[rows[gi, ki]]
        n_parts = found.sum(1)
    else:
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
        count = n_parts
        # the reference's subset score: peak scores + connection scores
        total = kscore.sum(1) + conn_sum
    if g == 0:
        return empty
    mean_peak = kscore.sum(1) / np.maximum(n_parts, 1)
    keep = (count >= cfg.min_parts) & (mean_peak >= cfg.min_mean_score)
    if cfg.min_score_per_part is not None:
        keep &= total >= cfg.min_score_per_part * np.maximum(count, 1)
    if not keep.any():
        return empty
    kpts, kscore, found = kpts[keep], kscore[keep], found[keep]
    n_parts, total = n_parts[keep], total[keep]
    if cfg.instance_score == 'total_x_parts':
        inst = total * (found & counted).sum(1)
    else:
        conn_mean = np.where(conn_count[keep] > 0,
                             conn_sum[keep] / np.maximum(conn_count[keep], 1),
                             1.0)
        inst = kscore.sum(1) / k_num * np.clip(conn_mean, 0.0, 1.0)
    centre = (kpts * found[..., None]).sum(1) / np.maximum(n_parts, 1)[:, None]
    kpts = np.where(found[..., None], kpts, centre[:, None, :])
    order = np.argsort(-inst, kind='stable')
    return (kpts[order].astype(np.float32), kscore[order].astype(np.float32),
            inst[order].astype(np.float32))
