"""Tests of the PartAffinityField codec (OpenPose) and its grouping.

Oracles: a per-pixel Python evaluation of the paper's formulas (encode),
SciPy's map_coordinates / linear_sum_assignment and brute force (grouping),
hand-built scenes (decode), xtcocotools COCOeval (oracle AP).
"""
import dataclasses
import importlib.util
import itertools
import math

import numpy as np
import pytest
from scipy.ndimage import map_coordinates
from scipy.optimize import linear_sum_assignment

from kp_ext.codecs import NonFiniteMapError, PartAffinityField
from kp_ext.codecs import paf_grouping as G
from kp_ext.codecs.paf_body_model import PAFBodyModel
from kp_ext.registry import KEYPOINT_CODECS

from conftest import REPO, shared_data

STRIDE = 8
COCO_PAF_LIMBS = PAFBodyModel('coco.py').limbs
COCO_PAF_REDUNDANT_LIMBS = PAFBodyModel('coco.py').redundant_limbs


def to_input(u):
    """Map pixel -> input pixel at stride 8."""
    return (np.asarray(u, np.float64) + 0.5) * STRIDE - 0.5


# A standing COCO person, in units of its height, centred at the hips.
TEMPLATE = np.array([
    [0.00, -0.62], [-0.04, -0.65], [0.04, -0.65], [-0.08, -0.62],
    [0.08, -0.62], [-0.14, -0.48], [0.14, -0.48], [-0.20, -0.28],
    [0.20, -0.28], [-0.22, -0.08], [0.22, -0.08], [-0.09, 0.0],
    [0.09, 0.0], [-0.10, 0.20], [0.10, 0.20], [-0.10, 0.38], [0.10, 0.38]])


def person(cx, cy, height):
    return TEMPLATE * height + np.array([cx, cy])


def codec368(**kw):
    return PartAffinityField(input_size=(368, 368), heatmap_size=(46, 46),
                             **kw)


def match_people(pred, gt, vis):
    """Hungarian matching by mean visible-keypoint distance; returns
    (pairs, distance matrix)."""
    cost = np.zeros((len(gt), len(pred)))
    for i, j in itertools.product(range(len(gt)), range(len(pred))):
        v = vis[i] > 0
        cost[i, j] = np.linalg.norm(pred[j, v] - gt[i, v], axis=-1).mean()
    r, c = linear_sum_assignment(cost)
    return list(zip(r, c)), cost


# ---------------------------------------------------------------- encode


def brute_force_paf(codec, kpts, vis):
    """Per-pixel Python evaluation of the PAF definition (paper eq. 8-9)."""
    w, h = codec.heatmap_size
    out = np.zeros((2 * codec.num_limbs, h, w))
    m = codec.limb_end_margin
    for l, (a, b) in enumerate(codec.all_limbs):
        for y in range(h):
            for x in range(w):
                acc, n = np.zeros(2), 0
                for p in range(len(kpts)):
                    if not (vis[p, a] and vis[p, b]):
                        continue
                    pa = (kpts[p, a] + 0.5) / STRIDE - 0.5
                    pb = (kpts[p, b] + 0.5) / STRIDE - 0.5
                    length = math.hypot(*(pb - pa))
                    v = (pb - pa) / length
                    rel = np.array([x, y]) - pa
                    along = rel @ v
                    perp = abs(rel @ np.array([-v[1], v[0]]))
                    if -m <= along <= length + m and \
                            perp <= codec.limb_width:
                        acc += v
                        n += 1
                if n:
                    out[2 * l:2 * l + 2, y, x] = acc / n
    return out


@pytest.mark.parametrize('margin', [0.0, 1.0])
def test_paf_horizontal_band(margin):
    codec = PartAffinityField((80, 80), (10, 10), limbs=[(0, 1)],
                              limb_width=1.0, limb_end_margin=margin)
    kp = np.array([[to_input([2, 5]), to_input([7, 5])]])
    enc = codec.encode(kp, np.ones((1, 2)))
    paf = enc['pafs']
    assert paf.shape == (2, 10, 10)
    expect = np.zeros((10, 10), bool)
    expect[4:7, int(2 - margin):int(7 + margin) + 1] = True
    np.testing.assert_allclose(paf[0][expect], 1.0)
    np.testing.assert_allclose(paf[1], 0.0)
    assert np.all(paf[0][~expect] == 0)


def test_paf_matches_brute_force_with_overlaps():
    codec = PartAffinityField((96, 96), (12, 12), limbs=[(0, 1), (1, 2)],
                              limb_width=1.0, limb_end_margin=0.5)
    rng = np.random.default_rng(3)
    kp = rng.uniform(5, 90, size=(3, 3, 2))
    vis = np.ones((3, 3))
    vis[2, 2] = 0
    enc = codec.encode(kp, vis)
    ref = brute_force_paf(codec, kp, vis)
    np.testing.assert_allclose(enc['pafs'], ref, atol=1e-6)
    assert (np.abs(ref) > 0).sum() > 20          # the case is not trivial


def test_paf_averaged_where_limbs_cross():
    codec = PartAffinityField((80, 80), (10, 10), limbs=[(0, 1)],
                              limb_end_margin=0.0)
    a = [to_input([1, 5]), to_input([9, 5])]      # rightwards along row 5
    b = [to_input([5, 1]), to_input([5, 9])]      # downwards along column 5
    paf = codec.encode(np.array([a, b]), np.ones((2, 2)))['pafs']
    np.testing.assert_allclose(paf[:, 5, 5], [0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(paf[:, 5, 2], [1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(paf[:, 2, 5], [0.0, 1.0], atol=1e-6)
    # opposite directions on the same pixels cancel
    c = [to_input([9, 5]), to_input([1, 5])]
    paf = codec.encode(np.array([a, c]), np.ones((2, 2)))['pafs']
    np.testing.assert_allclose(paf[:, 5, 3], [0.0, 0.0], atol=1e-6)


def test_confidence_maps_max_and_background():
    codec = PartAffinityField((80, 80), (10, 10), limbs=[(0, 1)], sigma=1.5,
                              with_background=True)
    p1, p2 = np.array([3.3, 4.0]), np.array([5.0, 4.6])
    kp = np.array([[to_input(p1), to_input([8, 8])],
                   [to_input(p2), to_input([1, 1])]])
    hm = codec.encode(kp, np.ones((2, 2)))['heatmaps']
    assert hm.shape == (3, 10, 10)
    ys, xs = np.mgrid[0:10, 0:10]
    g1 = np.exp(-((xs - p1[0])**2 + (ys - p1[1])**2) / 1.5**2)
    g2 = np.exp(-((xs - p2[0])**2 + (ys - p2[1])**2) / 1.5**2)
    np.testing.assert_allclose(hm[0], np.maximum(g1, g2), atol=1e-6)
    np.testing.assert_allclose(hm[2], 1 - hm[:2].max(0), atol=1e-6)


def test_keypoints_outside_image_are_not_drawn():
    codec = PartAffinityField((80, 80), (10, 10), limbs=[(0, 1)])
    kp = np.array([[[-30.0, 40.0], [40.0, 40.0]],
                   [[20.0, 20.0], [np.nan, 5.0]]])
    enc = codec.encode(kp, np.ones((2, 2)))
    np.testing.assert_array_equal(enc['keypoint_weights'],
                                  [[0, 1], [1, 0]])
    assert np.all(enc['pafs'] == 0)               # no limb has both ends
    assert enc['heatmaps'][0].max() > 0.5 and enc['heatmaps'][1].max() > 0.5
    # an invisible keypoint draws nothing
    enc = codec.encode(kp[:1] * 0 + 40, np.array([[0, 1]]))
    assert np.all(enc['heatmaps'][0] == 0) and np.all(enc['pafs'] == 0)


def test_mask_from_crowd_polygon_and_rle():
    import xtcocotools.mask as mask_util
    codec = PartAffinityField((80, 80), (10, 10), limbs=[(0, 1)])
    kp = np.zeros((0, 2, 2))
    # polygon covering map pixels x 2..4, y 3..5 (input px 16..39, 24..47)
    poly = [[16, 24, 40, 24, 40, 48, 16, 48]]
    m = codec.encode(kp, invalid_segs=[poly])['heatmap_mask']
    expect = np.ones((10, 10))
    expect[3:6, 2:5] = 0
    np.testing.assert_array_equal(m, expect)
    # the same region as an uncompressed RLE (COCO crowd style: run
    # lengths of the column-major mask, starting with zeros) and as the
    # compressed RLE xtcocotools makes of it, plus a ready mask at map size
    bin_mask = np.zeros((80, 80), np.uint8)
    bin_mask[24:48, 16:40] = 1
    flat = bin_mask.T.reshape(-1)
    change = np.flatnonzero(np.diff(flat)) + 1
    counts = np.diff(np.concatenate([[0], change, [flat.size]])).tolist()
    raw = dict(size=[80, 80], counts=counts)
    compressed = mask_util.frPyObjects(raw, 80, 80)
    ready = np.ones((10, 10))
    ready[9, 9] = 0
    expect_ready = expect.copy()
    expect_ready[9, 9] = 0
    for rle in (raw, compressed):
        m = codec.encode(kp, invalid_segs=[rle], heatmap_mask=ready)[
            'heatmap_mask']
        np.testing.assert_array_equal(m, expect_ready)
    # less than half of a map pixel covered: still valid
    m = codec.encode(kp, invalid_segs=[[[0, 0, 3, 0, 3, 3, 0, 3]]])[
        'heatmap_mask']
    assert m.min() == 1
    with pytest.raises(ValueError, match='RLE size'):
        codec.encode(kp, invalid_segs=[dict(size=[10, 10], counts=b'0')])


def test_real_crowd_rles_decode_consistently():
    """COCO crowd RLEs (uncompressed): the mask has as many pixels as the
    odd runs, lies inside the annotation's bbox, and the compressed RLE
    that xtcocotools makes of it decodes to the same mask."""
    import json

    import xtcocotools.mask as mask_util

    from kp_ext.structures.mask import decode_rle
    ann = shared_data('coco_mini', 'annotations',
                      'person_keypoints_train2017.json')
    gt = json.load(open(ann))
    imgs = {i['id']: i for i in gt['images']}
    crowds = [a for a in gt['annotations'] if a['iscrowd']]
    assert crowds
    for a in crowds:
        img = imgs[a['image_id']]
        h, w = img['height'], img['width']
        codec = PartAffinityField((w, h), (w // 8, h // 8))
        seg = a['segmentation']
        inv = codec._invalid_mask([seg])
        assert inv.sum() == sum(seg['counts'][1::2])
        ys, xs = np.nonzero(inv)
        x0, y0, bw, bh = a['bbox']
        assert xs.min() >= x0 - 1 and xs.max() <= x0 + bw
        assert ys.min() >= y0 - 1 and ys.max() <= y0 + bh
        comp = mask_util.frPyObjects(seg, h, w)
        assert isinstance(comp['counts'], bytes)
        np.testing.assert_array_equal(decode_rle(comp['counts'], h, w), inv)
        mask = codec.encode(np.zeros((0, 17, 2)),
                            invalid_segs=[seg])['heatmap_mask']
        # map pixels at least half covered are masked
        assert abs((mask == 0).sum() * 64 - inv.sum()) < 0.25 * inv.sum() \
            + 64 * 40


def test_build_tables_and_defaults():
    codec = KEYPOINT_CODECS.build(dict(type='PartAffinityField',
                                       input_size=(368, 368),
                                       heatmap_size=(46, 46)))
    assert codec.num_keypoints == 17
    assert codec.limbs == COCO_PAF_LIMBS
    assert codec.redundant_limbs == COCO_PAF_REDUNDANT_LIMBS
    # the default tree spans the 17 COCO parts
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    a, b = zip(*COCO_PAF_LIMBS)
    n, _ = connected_components(sp.coo_matrix((np.ones(16), (a, b)),
                                              shape=(17, 17)), directed=False)
    assert n == 1 and len(COCO_PAF_LIMBS) == 16
    enc = codec.encode(person(180, 180, 200)[None], np.ones((1, 17)))
    assert enc['pafs'].shape == (2 * 29, 46, 46)
    assert set(codec.field_mapping_table) == {'heatmaps', 'pafs',
                                              'heatmap_mask'}
    assert codec.label_mapping_table == dict(
        keypoint_weights='keypoint_weights')
    assert 'invalid_segs' in codec.auxiliary_encode_keys
    with pytest.raises(ValueError):
        PartAffinityField((368, 368), (46, 46), limbs=[(0, 0)])
    with pytest.raises(ValueError):
        codec368(matching='auction')


# ---------------------------------------------------------------- peaks


def test_peak_refinement_is_exact_for_gaussians_incl_border():
    codec = PartAffinityField((96, 96), (12, 12), limbs=[(0, 1)])
    rng = np.random.default_rng(0)
    for _ in range(20):
        u = rng.uniform(-0.45, 11.45, size=(1, 2, 2))
        u[0, 1] = [11.3, 0.2]                      # near a corner
        hm = codec.encode(to_input(u), np.ones((1, 2)))['heatmaps']
        xy, val, part, starts = G.find_peaks(G.prepare_heatmaps(hm))
        assert list(starts) == [0, 1, 2]
        np.testing.assert_allclose(xy, u[0], atol=1e-4)


def test_plateau_gives_one_peak_and_nans_are_ignored():
    maps = np.zeros((2, 9, 9), np.float32)
    maps[0, 4, 3:5] = 0.8                          # two equal maxima
    maps[1] = np.nan
    xy, val, part, starts = G.find_peaks(G.prepare_heatmaps(maps))
    assert len(val) == 1 and part[0] == 0
    assert xy[0, 0] == pytest.approx(3.5) and xy[0, 1] == pytest.approx(4)


def test_max_peaks_keeps_the_highest_peaks_of_each_part_in_raster_order():
    maps = np.zeros((2, 12, 12), np.float32)
    for (y, x), v in zip([(1, 1), (1, 8), (5, 4), (9, 1), (9, 9)],
                         [0.3, 0.9, 0.5, 0.9, 0.2]):
        maps[0, y, x] = v
    maps[1, 6, 6] = 0.7
    prep = G.prepare_heatmaps(maps)
    xy, val, part, starts = G.find_peaks(prep, refine=None, max_peaks=3)
    assert list(starts) == [0, 3, 4]
    # part 0: the three highest (0.9, 0.9, 0.5), still in raster order
    np.testing.assert_array_equal(xy[:3], [[8, 1], [4, 5], [1, 9]])
    np.testing.assert_allclose(val[:3], [0.9, 0.5, 0.9])
    # ties are broken by raster order
    xy1, val1, _, _ = G.find_peaks(prep, refine=None, max_peaks=1)
    np.testing.assert_array_equal(xy1, [[8, 1], [6, 6]])
    # a cap above the peak count changes nothing
    full = G.find_peaks(prep, refine=None, max_peaks=None)
    same = G.find_peaks(prep, refine=None, max_peaks=5)
    for a, b in zip(full, same):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match='max_peaks'):
        G.find_peaks(prep, max_peaks=0)
    with pytest.raises(ValueError, match='max_peaks'):
        codec368(max_peaks=0)
    with pytest.raises(ValueError, match='chunk_pairs'):
        codec368(chunk_pairs=0)


def test_noise_maps_decode_with_bounded_candidates_time_and_memory():
    """Issue 12: 96x96 noise maps (configs/openpose/hourglass_paf_coco.py's
    map size) needed > 21 GB before the cap and the chunked scoring."""
    import time
    import tracemalloc
    rng = np.random.default_rng(0)
    n, cap = 96, 40
    hm = rng.random((17, n, n)).astype(np.float32)
    pafs = rng.uniform(-1, 1, (58, n, n)).astype(np.float32)
    prep = G.prepare_heatmaps(hm)
    _, _, _, raw = G.find_peaks(prep)
    assert np.diff(raw).min() > 400           # noise: hundreds per part
    xy, val, part, starts = G.find_peaks(prep, max_peaks=cap)
    assert np.diff(starts).max() == cap
    codec = PartAffinityField((8 * n, 8 * n), (n, n), max_peaks=cap,
                              chunk_pairs=4096)
    tracemalloc.start()
    t0 = time.process_time()
    kp, ks, inst = codec.decode_instances((hm, pafs))
    cpu = time.process_time() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert kp.shape[1:] == (17, 2) and len(kp) <= 17 * cap
    assert (ks > 0).sum() <= 17 * cap          # every person's parts: peaks
    assert peak < 64 * 2**20, peak / 2**20
    assert cpu < 10, cpu


def test_cap_and_chunks_leave_normal_maps_unchanged():
    codec = codec368()
    rng = np.random.default_rng(5)
    kp = random_crowd(rng, 8)
    vis = (rng.random((8, 17)) > 0.1).astype(float)
    ref = _roundtrip(codec368(max_peaks=None, chunk_pairs=1 << 30), kp, vis)
    for kw in (dict(), dict(chunk_pairs=1), dict(chunk_pairs=7),
               dict(max_peaks=8, chunk_pairs=50)):
        got = _roundtrip(codec368(**kw), kp, vis)
        for a, b in zip(ref, got):
            np.testing.assert_array_equal(a, b)
    assert codec.grouping.max_peaks == 127
    assert len(ref[0]) >= 8


# ---------------------------------------------------------------- scoring


def test_candidate_scores_match_independent_implementation():
    rng = np.random.default_rng(1)
    h = w = 30
    pafs = rng.normal(0, 0.5, size=(4, h, w)).astype(np.float32)
    pafs[0, 10:14, :] = 1.0                       # limb 0 field along +x
    pafs[1, 10:14, :] = 0.0
    xy = np.concatenate([rng.uniform(0, 29, (12, 2)),
                         np.array([[3, 11.5], [5, 12]]),
                         rng.uniform(0, 29, (12, 2)),
                         np.array([[20, 12], [25, 11]])])
    starts = np.array([0, 14, 28, 28])
    limbs = [(0, 1), (1, 0)]
    got = G.score_limb_candidates(xy, starts, pafs, limbs, 10, 0.05, 0.8,
                                  0.5)
    got = {(l, a, b): s for l, a, b, s in zip(*got)}
    expect = {}
    t = np.linspace(0, 1, 10)
    for l, (pa_, pb_) in enumerate(limbs):
        for i in range(starts[pa_], starts[pa_ + 1]):
            for j in range(starts[pb_], starts[pb_ + 1]):
                d = xy[j] - xy[i]
                n = np.linalg.norm(d)
                pts = xy[i] + t[:, None] * d
                fx = map_coordinates(pafs[2 * l], [pts[:, 1], pts[:, 0]],
                                     order=1, mode='nearest')
                fy = map_coordinates(pafs[2 * l + 1], [pts[:, 1], pts[:, 0]],
                                     order=1, mode='nearest')
                proj = (fx * d[0] + fy * d[1]) / n
                s = proj.mean() + min(0.5 * h / n - 1, 0)
                if (proj > 0.05).sum() > 8 and s > 0:
                    expect[(l, i, j)] = s
    assert len(got) > 4
    assert got.keys() == expect.keys()
    for k in got:
        assert got[k] == pytest.approx(expect[k], abs=1e-5)


def test_hungarian_is_optimal_and_greedy_is_the_reference():
    # a1-b1 0.9, a1-b2 0.8, a2-b1 0.7: greedy takes 0.9; optimum is 1.5
    limb = np.zeros(3, np.int64)
    ia, ib = np.array([0, 0, 1]), np.array([2, 3, 2])
    sc = np.array([0.9, 0.8, 0.7])
    _, ha, hb, hs = G.match_limbs(limb, ia, ib, sc, 1, 'hungarian')
    assert sorted(zip(ha, hb)) == [(0, 3), (1, 2)]
    _, ga, gb, gs = G.match_limbs(limb, ia, ib, sc, 1, 'greedy')
    assert list(zip(ga, gb)) == [(0, 2)]
    # random cases against brute force over all matchings
    rng = np.random.default_rng(5)
    for _ in range(30):
        na, nb = rng.integers(1, 5, size=2)
        mask = rng.random((na, nb)) < 0.6
        a, b = np.nonzero(mask)
        if len(a) == 0:
            continue
        s = rng.uniform(0.1, 1, len(a))
        _, ma, mb, ms = G.match_limbs(np.zeros(len(a), np.int64), a,
                                      b + 10, s, 1, 'hungarian')
        assert len(set(ma)) == len(ma) and len(set(mb)) == len(mb)
        best = 0.0
        for perm in itertools.permutations(range(int(max(na, nb))), int(na)):
            tot = sum(s[k] for k in range(len(a)) if perm[a[k]] == b[k])
            best = max(best, tot)
        assert ms.sum() == pytest.approx(best)


# ---------------------------------------------------------------- decode


def _roundtrip(codec, kp, vis):
    enc = codec.encode(kp, vis)
    return codec.decode_instances((enc['heatmaps'], enc['pafs']))


def random_crowd(rng, n, min_gap=26.0):
    """People of height 100-220 px whose same-type keypoints are at least
    ``min_gap`` input px (> 3 map px) apart."""
    people = []
    while len(people) < n:
        p = person(rng.uniform(60, 308), rng.uniform(130, 250),
                   rng.uniform(100, 220))
        p += rng.normal(0, 3, p.shape)
        if p.min() < 2 or p.max() > 365:
            continue
        if all(np.linalg.norm(p - q, axis=1).min() >= min_gap
               for q in people):
            people.append(p)
    return np.stack(people)


@pytest.mark.parametrize('matching', ['hungarian', 'greedy'])
def test_roundtrip_random_crowds(matching):
    codec = codec368(matching=matching)
    rng = np.random.default_rng(7)
    for n in (1, 4, 8):
        kp = random_crowd(rng, n)
        vis = np.ones((n, 17))
        pk, ps, inst = _roundtrip(codec, kp, vis)
        assert pk.shape == (n, 17, 2), n
        pairs, cost = match_people(pk, kp, vis)
        for i, j in pairs:
            assert np.abs(pk[j] - kp[i]).max() < 0.05
            assert ps[j].min() > 0.5
        assert np.all(np.diff(inst) <= 0)


def test_crossing_forearms():
    a = person(140, 200, 200)
    b = person(228, 200, 200)
    # A's right forearm and B's left forearm cross in an X between them
    a[8], a[10] = [170, 130], [230, 150]
    b[7], b[9] = [195, 130], [150, 150]
    kp = np.stack([a, b])
    pk, ps, _ = _roundtrip(codec368(), kp, np.ones((2, 17)))
    assert pk.shape == (2, 17, 2)
    pairs, _ = match_people(pk, kp, np.ones((2, 17)))
    for i, j in pairs:
        np.testing.assert_allclose(pk[j], kp[i], atol=0.05)


def test_touching_people():
    a = person(150, 200, 220)
    b = person(222, 200, 220)            # shoulders 41 px apart
    a[10] = b[9] + [-24, 0]              # hands touching
    kp = np.stack([a, b])
    pk, _, _ = _roundtrip(codec368(), kp, np.ones((2, 17)))
    assert pk.shape == (2, 17, 2)
    pairs, _ = match_people(pk, kp, np.ones((2, 17)))
    for i, j in pairs:
        np.testing.assert_allclose(pk[j], kp[i], atol=0.05)


def test_missing_shoulder_kept_in_one_person_by_redundant_limbs():
    kp = np.stack([person(120, 200, 200), person(260, 190, 180)])
    vis = np.ones((2, 17))
    vis[0, 5] = 0                         # person 0 has no left shoulder
    pk, ps, _ = _roundtrip(codec368(), kp, vis)
    assert pk.shape == (2, 17, 2)
    pairs, _ = match_people(pk, kp, vis)
    for i, j in pairs:
        v = vis[i] > 0
        np.testing.assert_allclose(pk[j][v], kp[i][v], atol=0.05)
        np.testing.assert_array_equal(ps[j] > 0, v)
    # the tree alone splits that person (left hip, arm and face fall off)
    tree_only = codec368(limbs=COCO_PAF_LIMBS, redundant_limbs=())
    pk2, _, _ = _roundtrip(tree_only, kp, vis)
    assert len(pk2) > 2


def test_hungarian_and_greedy_agree_on_easy_scene():
    kp = np.stack([person(80, 200, 180), person(184, 190, 200),
                   person(290, 200, 170)])
    vis = np.ones((3, 17))
    vis[1, [3, 9]] = 0
    h = _roundtrip(codec368(matching='hungarian'), kp, vis)
    g = _roundtrip(codec368(matching='greedy'), kp, vis)
    for x, y in zip(h, g):
        np.testing.assert_array_equal(x, y)
    assert h[0].shape == (3, 17, 2)


def test_min_parts_and_min_mean_score_filter():
    kp = np.stack([person(120, 200, 200), person(260, 190, 180)])
    vis = np.ones((2, 17))
    vis[1, 2:] = 0                                 # nose + left eye only
    assert len(_roundtrip(codec368(), kp, vis)[0]) == 2
    assert len(_roundtrip(codec368(min_parts=3), kp, vis)[0]) == 1
    assert len(_roundtrip(codec368(min_mean_score=1.01), kp, vis)[0]) == 0


def test_reference_grouping_filters_hand_made():
    """The reference demo's filters: >= 4 parts and (peak scores +
    connection scores) / parts >= 0.4. Chain body 0-1-2-3-4; person A is
    full strength, B has 3 parts, C has peaks of 0.15 and a field of 0.1:
    (5 * 0.15 + 4 * 0.1) / 5 = 0.23 per part."""
    chain = [(0, 1), (1, 2), (2, 3), (3, 4)]
    kw = dict(limbs=chain, redundant_limbs=(), matching='greedy',
              min_mean_score=0.0, refine=None)
    codec = codec368(**kw)
    line = np.array([[0, -60], [0, -30], [0, 0], [0, 30], [0, 60]], float)
    a, b, c = line + [80, 180], line + [184, 180], line + [288, 180]
    vis_b = np.array([[1, 1, 1, 0, 0]])
    ea = codec.encode(a[None], np.ones((1, 5)))
    eb = codec.encode(b[None], vis_b)
    ec = codec.encode(c[None], np.ones((1, 5)))
    hm = ea['heatmaps'] + eb['heatmaps'] + 0.15 * ec['heatmaps']
    pafs = ea['pafs'] + eb['pafs'] + 0.1 * ec['pafs']

    def people(**filters):
        kp, ks, _ = codec368(**kw, **filters).decode_instances(
            (hm, pafs))
        x = [k[s > 0][:, 0].mean() for k, s in zip(kp, ks)]
        assert all(min(abs(v - 80), abs(v - 184), abs(v - 288)) < 5
                   for v in x)
        return ''.join(sorted('ABC'[int(v > 130) + int(v > 240)]
                              for v in x))

    assert people() == 'ABC'
    assert people(min_parts=4) == 'AC'
    assert people(min_parts=4, min_score_per_part=0.4) == 'A'
    assert people(min_parts=4, min_score_per_part=0.18) == 'AC'
    assert people(min_score_per_part=0.4) == 'AB'   # B: (3 + 2) / 3


def test_missing_parts_placed_at_person_mean():
    kp = person(180, 190, 200)[None]
    vis = np.ones((1, 17))
    vis[0, 16] = 0
    pk, ps, _ = _roundtrip(codec368(), kp, vis)
    assert ps[0, 16] == 0
    np.testing.assert_allclose(pk[0, 16], kp[0, :16].mean(0), atol=0.05)


# ---------------------------------------------------------------- bad input


def test_bad_inputs_give_defined_outputs():
    codec = codec368()
    k = 17
    # no people
    enc = codec.encode(np.zeros((0, k, 2)), np.zeros((0, k)))
    assert enc['heatmaps'].shape == (k, 46, 46) and enc['heatmaps'].max() == 0
    assert enc['keypoint_weights'].shape == (0, k)
    kp, ks = codec.decode(enc)
    assert kp.shape == (0, k, 2) and ks.shape == (0, k)
    # every keypoint outside the image
    enc = codec.encode(person(180, 180, 200)[None] + 1000, np.ones((1, k)))
    assert enc['heatmaps'].max() == 0 and enc['pafs'].max() == 0
    assert enc['keypoint_weights'].sum() == 0
    assert codec.decode(enc)[0].shape == (0, k, 2)
    # zero maps: nobody
    hm = np.zeros((k, 46, 46), np.float32)
    pafs = np.zeros((58, 46, 46), np.float32)
    kp, ks, inst = codec.decode_instances(hm, pafs)
    assert kp.shape == (0, k, 2) and ks.shape == (0, k)
    assert inst.shape == (0,)
    # NaN / inf maps or PAFs are errors naming the channels, not "0 people"
    # (more cases: tests/test_non_finite_maps.py)
    enc = codec.encode(person(180, 180, 200)[None], np.ones((1, k)))
    for h_, p_, kind in ((np.full_like(hm, np.nan), pafs, 'heatmap'),
                         (np.full_like(hm, np.inf), pafs, 'heatmap'),
                         (enc['heatmaps'], np.full_like(pafs, np.nan),
                          'PAF')):
        with pytest.raises(NonFiniteMapError,
                           match=f'PartAffinityField.decode: .* {kind} '
                           r'channel\(s\) hold NaN/inf'):
            codec.decode_instances(h_, p_)
    # two identical people on top of each other: one person
    p = person(180, 180, 200)
    kp, ks = codec.decode(codec.encode(np.stack([p, p]), np.ones((2, k))))
    assert kp.shape == (1, k, 2)
    np.testing.assert_allclose(kp[0], p, atol=0.05)
    # background channel is accepted and ignored
    enc_bg = codec368(with_background=True).encode(p[None])
    assert enc_bg['heatmaps'].shape[0] == k + 1
    assert codec.decode(enc_bg)[0].shape == (1, k, 2)
    # wrong shapes are errors
    with pytest.raises(ValueError, match='pafs'):
        codec.decode((enc['heatmaps'], enc['pafs'][:10]))
    with pytest.raises(ValueError, match='keypoints'):
        codec.encode(np.zeros((1, 5, 2)))


# ---------------------------------------------------------------- oracle AP


def _bench():
    spec = importlib.util.spec_from_file_location(
        'paf_bench', REPO / 'benchmarks' / 'paf_grouping.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_python_loop_baseline_agrees_with_vectorised_greedy():
    bench = _bench()
    codec = codec368(matching='greedy')
    kp, vis, _ = bench.make_people(np.random.default_rng(11), 12)
    enc = codec.encode(kp, vis)
    lk, ls, li = bench.loop_group_people(
        enc['heatmaps'], enc['pafs'], codec.limbs, codec.redundant_limbs,
        **dataclasses.asdict(codec.grouping))
    gk, gs, gi = codec.decode_instances(enc)
    gk = (gk + 0.5) / STRIDE - 0.5
    assert lk.shape == gk.shape and len(lk) >= 12
    for i in range(len(lk)):
        d = np.abs(gk - lk[i]).max((1, 2))
        j = d.argmin()
        assert d[j] < 1e-3 and gi[j] == pytest.approx(li[i], abs=1e-5)


def test_oracle_ap_coco_mini():
    ann = shared_data('coco_mini', 'annotations',
                      'person_keypoints_train2017.json')
    ap, n_img, n_people, _ = _bench().coco_oracle_ap(ann, side='short')
    assert n_img == 80 and n_people == 86
    assert ap >= 0.95


def test_oracle_ap_synthetic_20_people():
    bench = _bench()
    scenes = bench.synthetic_scenes(8, 20, seed=3)
    assert all(len(s[0]) == 20 for s in scenes)
    assert bench.synthetic_oracle_ap(scenes) >= 0.9


# ---------------------------------------------------------------- contract


def test_decode_contract_instances_batches_and_mmpose_slices():
    """decode_instances returns (keypoints, keypoint scores, instance
    scores), decode the first two (MMPose's per-sample contract);
    batch_decode the three per-sample lists (AssociativeEmbedding's
    contract, with its ``input_sizes``); MMPose's per-sample (1, C, H, W)
    slices decode like (C, H, W) maps."""
    import torch
    codec = codec368()
    scenes = [np.stack([person(120, 180, 200), person(260, 170, 180)]),
              person(180, 180, 220)[None]]
    encs = [codec.encode(s) for s in scenes]
    singles = [codec.decode_instances(e) for e in encs]
    for (kp, ks, inst), gt in zip(singles, scenes):
        assert kp.shape == (len(gt), 17, 2) and ks.shape == (len(gt), 17)
        assert inst.shape == (len(gt), ) and np.all(inst > 0)
        assert np.all(np.diff(inst) <= 0)          # sorted by instance score
        pairs, cost = match_people(kp, gt, np.ones(gt.shape[:2]))
        assert max(cost[i, j] for i, j in pairs) < 1.0
    # MMPose's BaseHead.decode (no batch_decode) hands each sample over as
    # (1, C, H, W) slices (np.split of the batch)
    got = codec.decode(encs[0]['heatmaps'][None], encs[0]['pafs'][None])
    assert len(got) == 2
    for a, b in zip(got, singles[0][:2]):
        np.testing.assert_array_equal(a, b)
    # a batch: the same per-sample results, as lists
    hm = np.stack([e['heatmaps'] for e in encs])
    pafs = np.stack([e['pafs'] for e in encs])
    kps, kss, insts = codec.batch_decode(hm, pafs)
    assert len(kps) == len(kss) == len(insts) == 2
    for got, want in zip(zip(kps, kss, insts), singles):
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
    # tensors (as MMPose's heads pass them), even requiring grad
    t_hm = torch.from_numpy(hm).requires_grad_()
    kps_t = codec.batch_decode(t_hm, torch.from_numpy(pafs))[0]
    np.testing.assert_array_equal(kps_t[1], kps[1])
    # input_sizes: the same maps seen as the output of a 2x larger input
    # (hand-computed: x_in = (x_map + 0.5) * stride - 0.5, stride 16)
    kps2 = codec.batch_decode(hm, pafs, input_sizes=[(736, 736)] * 2)[0]
    np.testing.assert_allclose(kps2[0], (kps[0] + 0.5) * 2 - 0.5, atol=1e-4)
    kp2, _ = codec.decode(encs[1], input_size=(736, 368))
    np.testing.assert_allclose(kp2[..., 0], (kps[1][..., 0] + 0.5) * 2 - 0.5,
                               atol=1e-4)
    np.testing.assert_allclose(kp2[..., 1], kps[1][..., 1], atol=1e-4)
    with pytest.raises(ValueError, match='input_sizes'):
        codec.batch_decode(hm, pafs, input_sizes=[(368, 368)])
    with pytest.raises(ValueError, match='input_size'):
        codec.decode(encs[1], input_size=(0, 368))
    with pytest.raises(ValueError, match='batch'):
        codec.batch_decode(hm[0], pafs[0])
    assert codec.support_batch_decoding


# ------------------------------------------------ invalid_segs frames


def _crowd_scene():
    """A 640 x 427 image (COCO's size for many images) with a crowd RLE of
    the image's size and a polygon in image pixels."""
    import xtcocotools.mask as mask_util
    h, w = 427, 640
    blob = np.zeros((h, w), np.uint8)
    blob[200:380, 60:300] = 1
    rle = mask_util.encode(np.asfortranarray(blob))   # size (427, 640)
    poly = [[420., 40., 600., 60., 560., 250., 400., 220.]]
    return (h, w), [rle, poly]


def test_invalid_segs_in_image_frame_give_kp_ext_paths_mask():
    """MMPose's pipeline hands COCO's original-image segmentations (and
    ``ori_shape``, ``warp_mat``, ``flip``) to GenerateTarget; with
    ``invalid_segs_frame='image'`` the codec brings them to the input
    itself and the loss mask is the one of kp_ext's path (segmentations
    warped by BottomupRandomAffine, codec in the input frame)."""
    import copy

    from kp_ext.datasets.transforms import (BottomupRandomAffine,
                                            GenerateTarget)
    (h, w), segs = _crowd_scene()
    size, maps = (368, 368), (46, 46)
    np.random.seed(3)
    sample = dict(img=np.zeros((h, w, 3), np.uint8), img_shape=(h, w),
                  ori_shape=(h, w), keypoints=np.zeros((0, 17, 2),
                                                       np.float32),
                  keypoints_visible=np.zeros((0, 17), np.float32),
                  invalid_segs=copy.deepcopy(segs))
    res = BottomupRandomAffine(size, rotate_factor=20.)(sample)
    assert abs(res['input_rotation']) > 0.1          # a real rotation
    kp_ext_mask = GenerateTarget(dict(
        type='PartAffinityField', input_size=size,
        heatmap_size=maps))(copy.deepcopy(res))['heatmap_mask']
    assert 20 < (kp_ext_mask == 0).sum() < kp_ext_mask.size - 20

    # MMPose-style results: original segmentations, warp_mat, ori_shape
    mm = dict(res, invalid_segs=copy.deepcopy(segs), flip=False,
              flip_direction=None)
    image_codec = dict(type='PartAffinityField', input_size=size,
                       heatmap_size=maps, invalid_segs_frame='image')
    got = GenerateTarget(image_codec)(copy.deepcopy(mm))['heatmap_mask']
    np.testing.assert_array_equal(got, kp_ext_mask)
    # MMPose flips after the affine (RandomFlip follows
    # BottomupRandomAffine): the mask is the mirror image
    flipped = GenerateTarget(image_codec)(dict(
        copy.deepcopy(mm), flip=True,
        flip_direction='horizontal'))['heatmap_mask']
    np.testing.assert_array_equal(flipped, kp_ext_mask[:, ::-1])

    # the input-frame codec refuses the original-size RLE, naming the
    # option
    codec = codec368()
    with pytest.raises(ValueError, match=r"invalid_segs_frame='image'.*"
                       r"RLE size \(427, 640\)"):
        codec.encode(np.zeros((0, 17, 2)), invalid_segs=segs[:1])


def test_invalid_segs_image_frame_hand_case_and_errors():
    # 40 x 40 image, input 80 x 80 at twice its scale, maps 10 x 10: the
    # polygon's image pixels 8..19 x 12..23 are input pixels 16..39 x
    # 24..47, map pixels x 2..4, y 3..5 (stride 8)
    codec = PartAffinityField((80, 80), (10, 10), limbs=[(0, 1)],
                              invalid_segs_frame='image')
    assert {'invalid_segs', 'ori_shape', 'warp_mat', 'flip',
            'flip_direction'} <= codec.auxiliary_encode_keys
    assert PartAffinityField((80, 80), (10, 10), limbs=[(0, 1)]) \
        .auxiliary_encode_keys == {'invalid_segs'}
    kp = np.zeros((0, 2, 2))
    poly = [[8, 12, 20, 12, 20, 24, 8, 24]]
    twice = np.array([[2., 0, 0], [0, 2., 0]])
    m = codec.encode(kp, invalid_segs=[poly], ori_shape=(40, 40),
                     warp_mat=twice)['heatmap_mask']
    expect = np.ones((10, 10))
    expect[3:6, 2:5] = 0
    np.testing.assert_array_equal(m, expect)
    # flipped horizontally after the warp: map columns 10 - 1 - (2..4)
    m = codec.encode(kp, invalid_segs=[poly], ori_shape=(40, 40),
                     warp_mat=twice, flip=True,
                     flip_direction='horizontal')['heatmap_mask']
    np.testing.assert_array_equal(m, expect[:, ::-1])
    # an image of the input's size needs no warp
    m = codec.encode(kp, invalid_segs=[[[16, 24, 40, 24, 40, 48, 16, 48]]],
                     ori_shape=(80, 80))['heatmap_mask']
    np.testing.assert_array_equal(m, expect)
    with pytest.raises(KeyError, match='ori_shape'):
        codec.encode(kp, invalid_segs=[poly], warp_mat=twice)
    with pytest.raises(KeyError, match='warp_mat'):
        codec.encode(kp, invalid_segs=[poly], ori_shape=(40, 40))
    with pytest.raises(TypeError, match="invalid_segs_frame='input'"):
        codec.encode(kp, invalid_segs=[np.ones((80, 80), bool)],
                     ori_shape=(40, 40), warp_mat=twice)
    with pytest.raises(ValueError, match='RLE size'):
        codec.encode(kp, invalid_segs=[dict(size=[80, 80], counts=b'0')],
                     ori_shape=(40, 40), warp_mat=twice)
    with pytest.raises(ValueError, match='invalid_segs_frame'):
        PartAffinityField((80, 80), (10, 10), limbs=[(0, 1)],
                          invalid_segs_frame='crop')


def test_grouping_settings_object():
    """group_people takes one GroupingSettings (or its config dict); the
    codec builds it from its flat config keys."""
    S = G.GroupingSettings
    s = S.from_config(dict(matching='greedy', min_parts=4,
                           min_score_per_part=0.4, refine='none'))
    assert (s.matching, s.min_parts, s.min_score_per_part, s.refine) == \
        ('greedy', 4, 0.4, None)
    assert s.max_peaks == 127 and s.upsample == 1.0      # defaults
    assert S.from_config(None) == S() and S.from_config(s) is s
    with pytest.raises(TypeError, match='min_part'):
        S.from_config(dict(min_part=3))
    for bad in (dict(matching='auction'), dict(refine='dark'),
                dict(max_peaks=0), dict(chunk_pairs=0)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            S(**bad)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.min_parts = 2
    codec = codec368(matching='greedy', min_parts=4, min_score_per_part=0.4,
                     refine='none')
    assert codec.grouping == s
    # the same grouping through the object, its dict, and the codec
    enc = codec.encode(np.stack([person(120, 180, 200),
                                 person(260, 170, 180)]))
    by_obj = G.group_people(enc['heatmaps'], enc['pafs'], codec.limbs,
                            codec.redundant_limbs, s)
    by_dict = G.group_people(enc['heatmaps'], enc['pafs'], codec.limbs,
                             codec.redundant_limbs, dataclasses.asdict(s))
    assert len(by_obj[0]) == 2
    for a, b in zip(by_obj, by_dict):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(to_input(by_obj[0]), codec.decode(enc)[0],
                               atol=1e-4)
    # a stricter filter drops everyone: the settings are really used
    strict = G.group_people(enc['heatmaps'], enc['pafs'], codec.limbs,
                            codec.redundant_limbs, dict(min_parts=18))
    assert strict[0].shape == (0, 17, 2)
