"""kp_ext.evaluation.landmark_consistency: hand-made cases with known
answers (issue 19), and a smoke run of tools/analysis/fse_diagnose.py."""
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.spatial import procrustes

from kp_ext.evaluation import (apply_similarity, convex_hull,
                               equivariance_error, face_region_mask,
                               landmark_consistency, map_spread,
                               mass_on_face, procrustes_mean_shape,
                               similarity_align)

REPO = Path(__file__).resolve().parents[2]
FACES = REPO.parent / 'shared' / 'data' / 'youtube_faces_68lm_udacity'


def _rot(theta):
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s], [s, c]])


def _shape(rng, p=12):
    return rng.uniform(-20, 20, (p, 2))


def _similar(shape, scales, thetas, shifts):
    """(N, P, 2): shape mapped by s_n R(theta_n) p + t_n."""
    return np.stack([s * shape @ _rot(t).T + np.asarray(d)
                     for s, t, d in zip(scales, thetas, shifts)])


# -- (d) similarity_align ---------------------------------------------------
def test_similarity_align_recovers_a_known_transform():
    rng = np.random.default_rng(0)
    src = _shape(rng)
    s, theta, t = 1.7, 0.6, np.array([5.0, -3.0])
    dst = s * src @ _rot(theta).T + t
    m = similarity_align(src[None], dst)[0]
    np.testing.assert_allclose(m[:, :2], s * _rot(theta), atol=1e-10)
    np.testing.assert_allclose(m[:, 2], t, atol=1e-10)
    np.testing.assert_allclose(apply_similarity(m[None], src[None])[0], dst,
                               atol=1e-10)


def test_similarity_align_matches_scipy_procrustes_disparity():
    """scipy.spatial.procrustes standardises both sets (unit Frobenius
    norm) and fits the second onto the first: its disparity is our
    residual divided by dst's centred squared norm."""
    rng = np.random.default_rng(1)
    dst = _shape(rng, 20)
    src = 0.5 * dst @ _rot(-1.1).T + 7 + rng.normal(0, 1.0, dst.shape)
    m = similarity_align(src[None], dst)[0]
    res = ((apply_similarity(m[None], src[None])[0] - dst)**2).sum()
    norm = ((dst - dst.mean(0))**2).sum()
    _, _, disparity = procrustes(dst, src)
    assert res / norm == pytest.approx(disparity, rel=1e-9)


def test_similarity_align_never_reflects():
    rng = np.random.default_rng(2)
    src = _shape(rng)
    mirrored = src * np.array([-1.0, 1.0])
    m = similarity_align(src[None], mirrored)[0]
    assert np.linalg.det(m[:, :2]) > 0


def test_similarity_align_names_a_degenerate_set():
    src = np.zeros((2, 5, 2))
    src[0] = np.arange(10).reshape(5, 2)
    with pytest.raises(ValueError, match=r'\[1\]'):
        similarity_align(src, src[0])


def test_procrustes_mean_shape_keeps_the_plain_average_frame():
    rng = np.random.default_rng(3)
    shape = _shape(rng)
    faces = _similar(shape, [1.0, 1.2, 0.8, 1.0], [0.0, 0.2, -0.2, 0.1],
                     [(50, 50), (52, 49), (48, 51), (50, 50)])
    mean = procrustes_mean_shape(faces)
    # the mean of similar shapes is that shape, up to a similarity ...
    m = similarity_align(shape[None], mean)[0]
    np.testing.assert_allclose(apply_similarity(m[None], shape[None])[0],
                               mean, atol=1e-8)
    # ... placed where the plain average sits
    np.testing.assert_allclose(mean.mean(0), faces.mean((0, 1)), atol=1e-8)


# -- (a) landmarks on a fixed annotated point ---------------------------------
def test_landmark_following_an_annotated_point_has_zero_spread():
    rng = np.random.default_rng(4)
    shape = _shape(rng)
    n = 6
    faces = _similar(shape, rng.uniform(0.7, 1.4, n),
                     rng.uniform(-0.8, 0.8, n), rng.uniform(20, 80, (n, 2)))
    # landmark 0 on point 3, landmark 1 on point 7, landmark 2 halfway
    pred = np.stack([faces[:, 3], faces[:, 7],
                     (faces[:, 3] + faces[:, 7]) / 2], 1)
    out = landmark_consistency(pred, faces)
    np.testing.assert_allclose(out['spread_px'], 0.0, atol=1e-8)
    assert out['nearest_index'][:2].tolist() == [3, 7]
    np.testing.assert_allclose(out['nearest_dist_px'][:2], 0.0, atol=1e-8)
    assert (out['fixed_spread_px'] > 1).all()  # the faces do move
    assert out['norm_px'] is None  # 12 points: no default normaliser


# -- (b) a landmark stuck at one image position -------------------------------
def test_landmark_fixed_in_the_image_spreads_as_the_faces_translate():
    rng = np.random.default_rng(5)
    shape = _shape(rng)
    d = 4.0
    faces = _similar(shape, [1, 1], [0, 0], [(-d, 0), (d, 0)])
    pred = np.full((2, 1, 2), 10.0)
    # reference = the shape itself: face n maps back by -t_n, so the fixed
    # point lands at q - t_n, i.e. q -/+ d: RMS distance to the mean is d
    out = landmark_consistency(pred, faces, reference=shape)
    assert out['spread_px'][0] == pytest.approx(d)
    assert out['fixed_spread_px'][0] == pytest.approx(d)
    assert out['spread_ratio'][0] == pytest.approx(1.0)
    np.testing.assert_allclose(out['mean_position'][0], [10.0, 10.0])


def test_landmark_fixed_in_the_image_spreads_as_the_faces_rotate():
    rng = np.random.default_rng(6)
    shape = _shape(rng)
    r = 6.0
    thetas = [0, np.pi / 2, np.pi, 3 * np.pi / 2]
    faces = _similar(shape, [1] * 4, thetas, [(0, 0)] * 4)
    pred = np.tile(np.array([[[r, 0.0]]]), (4, 1, 1))
    # aligned positions R(-theta_n) q: four points on the circle of radius
    # r, mean 0, so the RMS distance to the mean is r
    out = landmark_consistency(pred, faces, reference=shape)
    assert out['spread_px'][0] == pytest.approx(r)
    np.testing.assert_allclose(out['mean_position'][0], 0.0, atol=1e-9)


def test_landmark_consistency_normalises_by_the_outer_eye_distance():
    rng = np.random.default_rng(7)
    shape = rng.uniform(0, 50, (68, 2))
    shape[36], shape[45] = (10.0, 20.0), (40.0, 20.0)
    faces = _similar(shape, [1, 1], [0, 0], [(-3, 0), (3, 0)])
    out = landmark_consistency(np.full((2, 1, 2), 5.0), faces,
                               reference=shape)
    assert out['norm_px'] == pytest.approx(30.0)
    assert out['spread_norm'][0] == pytest.approx(3.0 / 30.0)


def test_landmark_consistency_errors_name_the_input():
    with pytest.raises(ValueError, match='pred'):
        landmark_consistency(np.zeros((3, 2)), np.zeros((3, 5, 2)))
    with pytest.raises(ValueError, match='2 pred vs 3 gt'):
        landmark_consistency(np.zeros((2, 1, 2)), np.zeros((3, 5, 2)))


# -- (c) mass_on_face ---------------------------------------------------------
def test_convex_hull_of_a_square_with_inner_points():
    pts = np.array([[0, 0], [4, 0], [4, 4], [0, 4], [2, 2], [1, 3], [2, 0]],
                   float)
    hull = convex_hull(pts)
    assert sorted(map(tuple, hull)) == [(0, 0), (0, 4), (4, 0), (4, 4)]


def test_mass_on_face_half_inside_half_outside():
    # 8 x 8 map at stride 1 (cell centres at integers); the face is the
    # square [1, 4] x [1, 4] (hull of its corners and two inner points)
    gt = np.array([[[1, 1], [4, 1], [4, 4], [1, 4], [2, 2], [3, 3]]], float)
    probs = np.zeros((1, 2, 8, 8))
    probs[0, 0, 2, 2] = 0.5   # inside
    probs[0, 0, 6, 6] = 0.5   # outside
    probs[0, 1, 1, 4] = 1.0   # (x 4, y 1): on the hull's corner: inside
    out = mass_on_face(probs, gt, stride=(1, 1), margin=0.0)
    np.testing.assert_allclose(out['mass'], [[0.5, 1.0]])
    assert out['frac_landmarks_on_face'] == 0.5  # 0.5 is not > 0.5
    assert out['uniform_mass'] == pytest.approx(16 / 64)


def test_mass_on_face_margin_and_stride():
    gt = np.array([[[1, 1], [4, 1], [4, 4], [1, 4]]], float)  # size 3
    # margin 0.5 x 3 = 1.5 px around the square; with stride 2 the cell
    # (i, j) is centred at (2 j + 0.5, 2 i + 0.5)
    mask = face_region_mask(gt, 4, 4, stride=(2, 2), margin=0.5)
    centres = (np.arange(4) + 0.5) * 2 - 0.5
    expect = np.zeros((4, 4), bool)
    for i, y in enumerate(centres):
        for j, x in enumerate(centres):
            dx = max(1 - x, 0, x - 4)
            dy = max(1 - y, 0, y - 4)
            expect[i, j] = math.hypot(dx, dy) <= 1.5
    np.testing.assert_array_equal(mask[0], expect)
    assert expect.sum() not in (0, 16)


def test_mass_on_face_rejects_unnormalised_maps():
    with pytest.raises(ValueError, match='sum to 1'):
        mass_on_face(np.ones((1, 1, 4, 4)), np.zeros((1, 3, 2)) +
                     np.array([[0, 0], [1, 0], [0, 1]]))


def test_map_spread_of_a_point_two_points_and_a_uniform_map():
    probs = np.zeros((1, 3, 6, 8))
    probs[0, 0, 2, 3] = 1.0                         # one cell: 0
    probs[0, 1, 1, 1] = probs[0, 1, 1, 5] = 0.5     # 4 cells apart: 2
    probs[0, 2] = 1.0 / 48                          # uniform 8 x 6
    s = map_spread(probs, stride=(2, 2))            # px = 2 x cells
    np.testing.assert_allclose(
        s[0], [0.0, 4.0, 2 * math.sqrt((64 + 36 - 2) / 12)], atol=1e-12)


# -- (e) equivariance_error ---------------------------------------------------
def _warp():
    from kp_ext.models.utils.tps_warp import TPSWarp
    return TPSWarp(num_ctrl=4, ctrl_sigma=0.04, rotation=20.0,
                   scale=(0.9, 1.1), translation=0.1)


class _Oracle:
    """Landmarks carried by the warp itself: ``Phi(x1) = P`` and
    ``Phi(x2) = T2^{-1}(P)`` (Newton inverse of the pair's TPS), so
    ``T2(Phi(x2)) = Phi(x1)`` exactly (up to the inverse's tolerance)."""

    def __init__(self, warp, points):
        self.warp, self.points = warp, points

    def make_pair(self, x, gen):
        self.x1, x2, self.t2 = self.warp.make_pair(x, gen)
        return self.x1, x2, self.t2

    def __call__(self, x):
        p = self.points.expand(x.shape[0], -1, -1)
        return p if x is self.x1 else self.t2.inverse(p)


def test_equivariance_error_zero_for_an_oracle_large_for_a_constant():
    torch.manual_seed(0)
    x = torch.rand(6, 3, 32, 32)
    pts = torch.tensor([[8.0, 8.0], [20.0, 12.0], [16.0, 24.0]])[None]
    warp = _warp()
    oracle = _Oracle(warp, pts)
    good = equivariance_error(oracle, x, oracle.make_pair, seed=3,
                              batch_size=4)
    assert good['mean_px'] < 1e-3
    assert good['per_landmark_px'].shape == (3,)
    assert good['num_pairs'] == 6
    const = equivariance_error(lambda im: pts.expand(im.shape[0], -1, -1),
                               x, warp.make_pair, seed=3, batch_size=4)
    assert const['mean_px'] > 1.0
    # a constant detector scores exactly the fixed-point reference
    assert const['mean_px'] == pytest.approx(const['fixed_px'], rel=1e-5)
    # the oracle sees the same warps: its fixed-point reference is equal
    assert good['fixed_px'] == pytest.approx(const['fixed_px'], rel=1e-5)


def test_equivariance_error_is_repeatable_and_seeded():
    x = torch.rand(4, 3, 24, 24, generator=torch.Generator().manual_seed(1))
    warp = _warp()

    def centroid(im):  # a content-dependent detector
        w = im.mean(1).flatten(1).softmax(-1).view(-1, 24, 24)
        g = torch.arange(24.0)
        return torch.stack([(w.sum(1) * g).sum(-1), (w.sum(2) * g).sum(-1)],
                           -1)[:, None]

    a = equivariance_error(centroid, x, warp.make_pair, seed=5)
    b = equivariance_error(centroid, x, warp.make_pair, seed=5)
    c = equivariance_error(centroid, x, warp.make_pair, seed=6)
    assert a['mean_px'] == b['mean_px']
    assert a['mean_px'] != c['mean_px']


# -- tools/analysis/fse_diagnose.py -------------------------------------------
def test_fse_diagnose_names_the_missing_data(load_tool, tmp_path,
                                             monkeypatch, capsys):
    tool = load_tool('tools/analysis/fse_diagnose.py')
    monkeypatch.setenv('KP_EXT_DATA', str(tmp_path / 'nowhere'))
    with pytest.raises(SystemExit) as e:
        tool.main([str(REPO / 'configs' / 'fse_faces.py')])
    assert 'nowhere' in str(e.value) and 'youtube_faces' in str(e.value)


@pytest.mark.skipif(not FACES.is_dir(),
                    reason=f'needs the shared 68-point faces at {FACES}')
def test_fse_diagnose_smoke_random_and_checkpoint(load_tool, tmp_path,
                                                  monkeypatch, capsys):
    monkeypatch.setenv('KP_EXT_DATA', str(FACES.parent))
    tool = load_tool('tools/analysis/fse_diagnose.py')
    cfg = str(REPO / 'configs' / 'fse_faces.py')
    out = tmp_path / 'random.json'
    tool.main([cfg, '--split', 'val', '--max-samples', '6', '--out',
               str(out), '--threads', '1'])
    text = capsys.readouterr().out
    assert 'random initialisation' in text.lower() and 'spread' in text
    res = json.loads(out.read_text())
    assert res['num_faces'] == 6 and res['checkpoint'] is None
    assert len(res['landmarks']) == 30
    assert 0 <= res['summary']['frac_landmarks_on_face'] <= 1
    assert res['summary']['equivariance_px'] >= 0
    # a checkpoint: the tool also reports the start-of-training error
    from mmengine.config import Config

    from kp_ext.apis import init_model
    model = init_model(Config.fromfile(cfg))
    ckpt = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    out2 = tmp_path / 'ckpt.json'
    tool.main([cfg, str(ckpt), '--max-samples', '6', '--out', str(out2)])
    res2 = json.loads(out2.read_text())
    assert res2['checkpoint'] == str(ckpt)
    assert 'equivariance_px_at_init' in res2['summary']
