"""Tests of kp_ext.codecs.GaussianHeatmap against hand-computed values and
brute-force oracles (explicit per-pixel loops, np.convolve)."""
import math

import numpy as np
import pytest

from kp_ext.codecs import NonFiniteMapError
from kp_ext.codecs.gaussian_heatmap import GaussianHeatmap, _blur_matrix
from conftest import official_hourglass_target as official_target
from conftest import torch_image_gaussian
from kp_ext.registry import KEYPOINT_CODECS

MODES = ('gaussian_log', 'quarter', 'dark', 'pose_hg_train', 'none')


def brute_force_heatmap(kpt_xy, input_size, heatmap_size, sigma):
    """Per-pixel loop with the documented mapping
    x_hm = (x_in + 0.5) / stride - 0.5, no vectorisation."""
    (w, h), (W, H) = input_size, heatmap_size
    mx = (kpt_xy[0] + 0.5) / (w / W) - 0.5
    my = (kpt_xy[1] + 0.5) / (h / H) - 0.5
    out = np.zeros((H, W))
    for y in range(H):
        for x in range(W):
            out[y, x] = math.exp(-((x - mx) ** 2 + (y - my) ** 2) /
                                 (2 * sigma ** 2))
    return out


def random_keypoints(rng, n, k, size, margin=0.0):
    w, h = size
    return np.stack([rng.uniform(margin, w - margin, (n, k)),
                     rng.uniform(margin, h - margin, (n, k))],
                    axis=-1).astype(np.float32).astype(np.float64)


# --------------------------------------------------------------- encode
def test_encode_hand_computed_integer_centre():
    codec = GaussianHeatmap(input_size=(64, 64), heatmap_size=(16, 16),
                            sigma=2.0)
    # heatmap pixel (5, 7) <-> input ((5 + .5) * 4 - .5, (7 + .5) * 4 - .5)
    kpts = np.array([[[21.5, 29.5]]])
    enc = codec.encode(kpts, np.ones((1, 1)))
    hm = enc['heatmaps']
    assert hm.shape == (1, 16, 16) and hm.dtype == np.float32
    assert enc['keypoint_weights'].dtype == np.float32
    np.testing.assert_array_equal(enc['keypoint_weights'], [[1.0]])
    assert hm[0, 7, 5] == 1.0
    assert np.unravel_index(hm[0].argmax(), hm[0].shape) == (7, 5)
    # neighbours: exp(-d^2 / (2 sigma^2)), sigma = 2 -> exp(-d^2 / 8)
    np.testing.assert_allclose(hm[0, 7, 6], math.exp(-1 / 8), rtol=1e-6)
    np.testing.assert_allclose(hm[0, 6, 5], math.exp(-1 / 8), rtol=1e-6)
    np.testing.assert_allclose(hm[0, 8, 6], math.exp(-2 / 8), rtol=1e-6)
    np.testing.assert_allclose(hm[0, 7, 3], math.exp(-4 / 8), rtol=1e-6)
    np.testing.assert_allclose(hm[0, 10, 9], math.exp(-25 / 8), rtol=1e-6)
    # no truncation at 3 sigma: the tail is the exact Gaussian
    np.testing.assert_allclose(hm[0, 7, 15], math.exp(-100 / 8), rtol=1e-5)


@pytest.mark.parametrize('kpt,sizes', [
    ((10.0, 3.3), ((64, 64), (16, 16))),
    ((37.7, 12.25), ((48, 32), (12, 8))),
    ((99.1, 41.0), ((200, 100), (50, 20))),  # strides 4 (x) and 5 (y)
])
def test_encode_matches_brute_force(kpt, sizes):
    input_size, heatmap_size = sizes
    codec = GaussianHeatmap(input_size, heatmap_size, sigma=1.5)
    hm = codec.encode(np.array([[kpt]]))['heatmaps'][0]
    ref = brute_force_heatmap(kpt, input_size, heatmap_size, 1.5)
    np.testing.assert_allclose(hm, ref, rtol=2e-5, atol=1e-7)


def test_encode_subpixel_hand_value():
    codec = GaussianHeatmap((64, 64), (16, 16), sigma=2.0)
    # x_in = 10 -> x_hm = 10.5 / 4 - .5 = 2.125; y_in = 29.5 -> y_hm = 7
    hm = codec.encode(np.array([[[10.0, 29.5]]]))['heatmaps'][0]
    np.testing.assert_allclose(hm[7, 2], math.exp(-0.125 ** 2 / 8),
                               rtol=1e-6)
    np.testing.assert_allclose(hm[7, 3], math.exp(-0.875 ** 2 / 8),
                               rtol=1e-6)
    np.testing.assert_allclose(hm[6, 2], math.exp(-(0.125 ** 2 + 1) / 8),
                               rtol=1e-6)


def test_coordinate_mapping_helpers_roundtrip():
    codec = GaussianHeatmap((192, 256), (48, 64))
    pts = np.array([[0.0, 0.0], [1.5, 1.5], [191.0, 255.0]])
    hm_pts = codec.input_to_heatmap(pts)
    np.testing.assert_allclose(hm_pts[1], [0.0, 0.0])  # block centre
    np.testing.assert_allclose(hm_pts[0], [-0.375, -0.375])
    np.testing.assert_allclose(codec.heatmap_to_input(hm_pts), pts)
    # the input extent [-0.5, w - 0.5] is the heatmap extent [-0.5, W - .5]
    np.testing.assert_allclose(
        codec.input_to_heatmap([[-0.5, -0.5], [191.5, 255.5]]),
        [[-0.5, -0.5], [47.5, 63.5]])


def test_flip_of_input_is_flip_of_heatmap():
    codec = GaussianHeatmap((192, 256), (48, 64), sigma=2.0)
    rng = np.random.default_rng(3)
    kpts = random_keypoints(rng, 1, 5, (192, 256))
    flipped = kpts.copy()
    flipped[..., 0] = 192 - 1 - kpts[..., 0]
    hm = codec.encode(kpts)['heatmaps']
    hm_f = codec.encode(flipped)['heatmaps']
    np.testing.assert_allclose(hm_f, hm[..., ::-1], atol=2e-6)


def test_weights_invisible_and_three_sigma_rule():
    codec = GaussianHeatmap((64, 64), (16, 16), sigma=2.0)  # r = 6 hm px
    to_in = lambda m: (m + 0.5) * 4 - 0.5  # noqa: E731
    kpts = np.array([[
        [30.0, 30.0],               # 0 inside, invisible
        [to_in(-6.0), to_in(7.0)],  # 1 support just touches pixel 0
        [to_in(-6.25), 30.0],       # 2 just outside (left)
        [30.0, to_in(21.0)],        # 3 touches pixel 15 from below
        [30.0, to_in(21.25)],       # 4 just outside (bottom)
        [np.nan, 30.0],             # 5 NaN coordinate
        [30.0, 30.0],               # 6 visibility 0.8 -> weight 0.8
        [30.0, 30.0],               # 7 visibility 0.3 -> invisible
    ]])
    vis = np.array([[0, 1, 1, 1, 1, 1, 0.8, 0.3]])
    enc = codec.encode(kpts, vis)
    np.testing.assert_allclose(enc['keypoint_weights'],
                               [[0, 1, 0, 1, 0, 0, 0.8, 0]], rtol=1e-7)
    hm = enc['heatmaps']
    for k in (0, 2, 4, 5, 7):  # nothing drawn for zero-weight keypoints
        assert not hm[k].any(), k
    for k in (1, 3, 6):
        assert hm[k].max() > 0
    # keypoint 1: mu = (-6, 7) -> pixel (0, 7) holds exp(-36/8)
    np.testing.assert_allclose(hm[1, 7, 0], math.exp(-36 / 8),
                               rtol=1e-5)
    assert np.isfinite(hm).all()
    # default visibility: all ones
    np.testing.assert_array_equal(
        codec.encode(kpts[:, 1:3])['keypoint_weights'], [[1, 0]])


def test_encode_multi_instance_max_and_weights():
    codec = GaussianHeatmap((64, 64), (16, 16), sigma=2.0)
    kpts = np.array([[[21.5, 29.5], [10.0, 10.0]],
                     [[41.5, 29.5], [200.0, 10.0]]])
    vis = np.array([[1, 1], [1, 1]])
    enc = codec.encode(kpts, vis)
    assert enc['heatmaps'].shape == (2, 16, 16)
    np.testing.assert_array_equal(enc['keypoint_weights'], [[1, 1], [1, 0]])
    single = [codec.encode(kpts[n:n + 1], vis[n:n + 1])['heatmaps']
              for n in range(2)]
    np.testing.assert_array_equal(enc['heatmaps'],
                                  np.maximum(single[0], single[1]))
    # both peaks of keypoint 0 are 1 (pixels (5, 7) and (10, 7))
    assert enc['heatmaps'][0, 7, 5] == 1.0 and enc['heatmaps'][0, 7, 10] == 1
    # zero instances -> zero maps, (0, K) weights
    enc0 = codec.encode(np.zeros((0, 2, 2)), np.zeros((0, 2)))
    assert enc0['heatmaps'].shape == (2, 16, 16) and not enc0['heatmaps'].any()
    assert enc0['keypoint_weights'].shape == (0, 2)


def test_batch_encode_equals_per_instance_encode():
    codec = GaussianHeatmap((192, 256), (48, 64), sigma=2.0)
    rng = np.random.default_rng(0)
    kpts = random_keypoints(rng, 20, 17, (192, 256))
    kpts[3, 4] = [-40.0, 10.0]  # outside by the 3-sigma rule
    vis = (rng.uniform(size=(20, 17)) > 0.2).astype(np.float32)
    out = codec.batch_encode(kpts, vis)
    assert out['heatmaps'].shape == (20, 17, 64, 48)
    assert out['keypoint_weights'].shape == (20, 17)
    for b in range(20):
        enc = codec.encode(kpts[b:b + 1], vis[b:b + 1])
        np.testing.assert_array_equal(out['heatmaps'][b], enc['heatmaps'])
        np.testing.assert_array_equal(out['keypoint_weights'][b],
                                      enc['keypoint_weights'][0])
    assert out['keypoint_weights'][3, 4] == 0


# --------------------------------------------------------------- decode
@pytest.mark.parametrize('sizes', [((192, 256), (48, 64)),
                                   ((256, 256), (64, 64)),
                                   ((200, 100), (50, 20))])
def test_default_decode_roundtrip_is_exact(sizes):
    codec = GaussianHeatmap(*sizes, sigma=2.0)
    assert codec.refine == 'gaussian_log'
    rng = np.random.default_rng(1)
    # all keypoints inside the input image, borders included
    kpts = random_keypoints(rng, 100, 17, sizes[0])
    hms = codec.batch_encode(kpts)['heatmaps']
    dec = np.stack([codec.decode(h)[0][0] for h in hms])
    err = np.linalg.norm(dec - kpts, axis=-1)
    assert err.mean() < 0.35  # the target
    assert err.max() < 1e-2  # in fact exact up to float32 rounding
    assert abs((dec - kpts)[..., 0].mean()) < 1e-3  # no bias


def test_plain_argmax_is_coarse_and_quarter_between():
    # guards that the round-trip test above can fail: the cheap decoders
    # are far off on the same data
    rng = np.random.default_rng(2)
    kpts = random_keypoints(rng, 50, 17, (192, 256))
    errs = {}
    for mode in ('none', 'quarter'):
        codec = GaussianHeatmap((192, 256), (48, 64), refine=mode)
        hms = codec.batch_encode(kpts)['heatmaps']
        dec, _ = codec.batch_decode_arrays(hms)
        errs[mode] = np.linalg.norm(dec - kpts, axis=-1).mean()
    # uniform sub-pixel error in a 4x4 input block: ~1.5 px for the argmax
    assert 1.2 < errs['none'] < 1.9
    assert 0.5 < errs['quarter'] < errs['none']


def test_dark_decode_interior_roundtrip():
    codec = GaussianHeatmap((192, 256), (48, 64), sigma=2.0, refine='dark',
                            blur_kernel_size=11)
    rng = np.random.default_rng(4)
    kpts = random_keypoints(rng, 30, 17, (192, 256), margin=24)
    hms = codec.batch_encode(kpts)['heatmaps']
    dec, scores = codec.batch_decode_arrays(hms)
    err = np.linalg.norm(dec - kpts, axis=-1)
    assert err.mean() < 0.01
    np.testing.assert_allclose(scores, hms.max(axis=(2, 3)))


def test_blur_matrix_matches_np_convolve():
    n, ks = 20, 11
    sigma = 0.3 * ((ks - 1) * 0.5 - 1) + 0.8  # OpenCV's default, = 2.0
    taps = np.exp(-np.arange(-5, 6) ** 2 / (2 * sigma ** 2))
    taps /= taps.sum()
    v = np.random.default_rng(5).uniform(size=n)
    ref = np.convolve(v, taps, mode='same')  # zeros outside
    np.testing.assert_allclose(_blur_matrix(n, ks) @ v, ref, rtol=1e-12)


def test_gaussian_log_hand_case():
    # stencil logs along x: a=-1, b=0, c=-0.5 -> x = 3 + (c - a) /
    # (2 (2b - a - c)) = 3 + 0.5 / 3; along y symmetric -> y = 4
    hm = np.zeros((1, 8, 8), dtype=np.float32)
    hm[0, 4, 3] = 1.0
    hm[0, 4, 2] = math.exp(-1.0)
    hm[0, 4, 4] = math.exp(-0.5)
    hm[0, 3, 3] = hm[0, 5, 3] = math.exp(-0.2)
    codec = GaussianHeatmap((32, 32), (8, 8))  # stride 4
    kpts, scores = codec.decode(hm)
    assert kpts.shape == (1, 1, 2) and scores.shape == (1, 1)
    x_hm, y_hm = 3 + 1 / 6, 4.0
    np.testing.assert_allclose(kpts[0, 0],
                               [(x_hm + .5) * 4 - .5, (y_hm + .5) * 4 - .5],
                               rtol=1e-6)
    assert scores[0, 0] == 1.0


def test_gaussian_log_border_extrapolation_and_clamp():
    codec = GaussianHeatmap((64, 64), (16, 16), sigma=2.0)
    # x_in = -2.5 -> x_hm = -0.875: beyond the map extent but within the
    # 1-pixel border allowance -> decoded exactly
    hm = codec.encode(np.array([[[-2.5, 30.0]]]))['heatmaps']
    kpts, _ = codec.decode(hm)
    np.testing.assert_allclose(kpts[0, 0], [-2.5, 30.0], atol=1e-3)
    # x_hm = -4 (still weighted by the 3-sigma rule): clamped to -1.5
    hm = codec.encode(np.array([[[-16.5, 30.0]]]))['heatmaps']
    kpts, _ = codec.decode(hm)
    np.testing.assert_allclose(kpts[0, 0], [(-1.5 + .5) * 4 - .5, 30.0],
                               atol=1e-3)


def test_quarter_hand_case_and_border():
    hm = np.zeros((2, 8, 8), dtype=np.float32)
    # channel 0: argmax (x=3, y=4); right > left -> +0.25 in x;
    # up (y=3) > down (y=5) -> -0.25 in y
    hm[0, 4, 3] = 1.0
    hm[0, 4, 4], hm[0, 4, 2] = 0.6, 0.5
    hm[0, 3, 3], hm[0, 5, 3] = 0.7, 0.1
    # channel 1: argmax on the left border (x=0, y=2): no x shift;
    # equal neighbours in y -> no y shift
    hm[1, 2, 0] = 1.0
    hm[1, 2, 1] = 0.9
    hm[1, 1, 0] = hm[1, 3, 0] = 0.4
    codec = GaussianHeatmap((32, 32), (8, 8), refine='quarter')
    kpts, scores = codec.decode(hm)
    to_in = lambda v: (v + 0.5) * 4 - 0.5  # noqa: E731
    np.testing.assert_allclose(kpts[0], [[to_in(3.25), to_in(3.75)],
                                         [to_in(0.0), to_in(2.0)]])
    np.testing.assert_array_equal(scores, [[1.0, 1.0]])


@pytest.mark.parametrize('mode', MODES)
def test_zero_and_nan_heatmaps(mode):
    codec = GaussianHeatmap((64, 64), (16, 16), refine=mode)
    hm = codec.encode(np.array([[[21.5, 29.5]] * 4]))['heatmaps'].copy()
    hm[0] = 0.0  # all zero
    with np.errstate(all='raise'):  # no floating-point warnings either
        kpts, scores = codec.decode(hm)
    assert np.isfinite(kpts).all() and np.isfinite(scores).all()
    np.testing.assert_array_equal(scores[0], [0.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(kpts[0, 0], codec.heatmap_to_input([0., 0.]))
    # NaN anywhere (all NaN, away from / next to the peak) is an error
    # naming the channels (tests/test_non_finite_maps.py)
    hm[1] = np.nan
    hm[2, :3, :3] = np.nan
    hm[3, 7, 6] = np.nan
    with pytest.raises(NonFiniteMapError,
                       match=r'3 of 4 heatmap channel\(s\).*sample 0: '
                       r'channel\(s\) \[1, 2, 3\]'):
        codec.decode(hm)


@pytest.mark.parametrize('mode', MODES)
def test_batch_decode_matches_decode(mode):
    codec = GaussianHeatmap((192, 256), (48, 64), refine=mode)
    rng = np.random.default_rng(6)
    kpts = random_keypoints(rng, 6, 17, (192, 256))
    hms = codec.batch_encode(kpts)['heatmaps']
    hms += rng.normal(scale=0.01, size=hms.shape).astype(np.float32)
    kb, sb = codec.batch_decode_arrays(hms)
    assert kb.shape == (6, 17, 2) and sb.shape == (6, 17)
    assert kb.dtype == np.float32 and sb.dtype == np.float32
    # MMPose's contract: (batch_keypoints, batch_scores), indexed by sample
    batch_keypoints, batch_scores = codec.batch_decode(hms)
    assert codec.support_batch_decoding
    assert batch_keypoints.shape == (6, 1, 17, 2)
    assert batch_scores.shape == (6, 1, 17)
    for b in range(6):
        k1, s1 = codec.decode(hms[b])
        np.testing.assert_array_equal(kb[b:b + 1], k1)
        np.testing.assert_array_equal(sb[b:b + 1], s1)
        np.testing.assert_array_equal(batch_keypoints[b], k1)
        np.testing.assert_array_equal(batch_scores[b], s1)
    np.testing.assert_allclose(sb, hms.max(axis=(2, 3)))


def test_noisy_heatmaps_stay_near_argmax():
    codec = GaussianHeatmap((192, 256), (48, 64))
    rng = np.random.default_rng(7)
    hms = rng.normal(size=(3, 17, 64, 48)).astype(np.float32)
    kpts, scores = codec.batch_decode_arrays(hms)
    flat = hms.reshape(3, 17, -1)
    idx = flat.argmax(-1)
    argmax_in = codec.heatmap_to_input(
        np.stack([idx % 48, idx // 48], axis=-1))
    # refinement moves at most half a heatmap pixel (2 input px) away from
    # the argmax, +1 heatmap pixel outwards at the border
    assert np.abs(kpts - argmax_in).max() <= 6.0 + 1e-4
    inner = ((idx % 48 > 0) & (idx % 48 < 47) & (idx // 48 > 0)
             & (idx // 48 < 63))
    assert np.abs(kpts - argmax_in)[inner].max() <= 2.0 + 1e-4


# ---------------------------------------------------------------- misc
def test_registry_and_tables():
    codec = KEYPOINT_CODECS.build(dict(type='GaussianHeatmap',
                                       input_size=(192, 256),
                                       heatmap_size=(48, 64), sigma=2,
                                       refine='dark', blur_kernel_size=11))
    assert isinstance(codec, GaussianHeatmap)
    assert codec.field_mapping_table == dict(heatmaps='heatmaps')
    assert codec.label_mapping_table == dict(
        keypoint_weights='keypoint_weights')
    np.testing.assert_allclose(codec.stride, [4.0, 4.0])
    from kp_ext.codecs import GaussianHeatmap as Exported
    assert Exported is GaussianHeatmap


@pytest.mark.parametrize('kwargs', [dict(refine='taylor'), dict(sigma=0),
                                    dict(blur_kernel_size=10),
                                    dict(heatmap_size=(0, 4))])
def test_bad_arguments(kwargs):
    args = dict(input_size=(64, 64), heatmap_size=(16, 16))
    args.update(kwargs)
    with pytest.raises(ValueError):
        GaussianHeatmap(**args)


def test_bad_shapes():
    codec = GaussianHeatmap((64, 64), (16, 16))
    with pytest.raises(ValueError):
        codec.encode(np.zeros((3, 2)))
    with pytest.raises(ValueError):
        codec.encode(np.zeros((1, 3, 2)), np.ones((1, 4)))
    with pytest.raises(ValueError):
        codec.decode(np.zeros((16, 16)))


def test_no_denormals_in_targets():
    codec = GaussianHeatmap((192, 256), (48, 64), sigma=2.0)
    rng = np.random.default_rng(8)
    hms = codec.batch_encode(random_keypoints(rng, 50, 17,
                                              (192, 256)))['heatmaps']
    tiny = np.finfo(np.float32).tiny
    assert not ((hms > 0) & (hms < tiny)).any()
    # the cut is far out: 9 sigma from the centre is still non-zero
    hm = codec.encode(np.array([[[1.5, 1.5]]]))['heatmaps'][0]  # at (0, 0)
    np.testing.assert_allclose(hm[0, 18], math.exp(-18 ** 2 / 8), rtol=1e-6)
    assert hm[0, 19] == 0.0  # 9.5 sigma


# ------------------------------------------ official pose-hg-train targets
def official_codec(**kw):
    return GaussianHeatmap(input_size=(256, 256), heatmap_size=(64, 64),
                           sigma=1.75, window=7, integer_center=True, **kw)


def test_official_target_equals_torch_image_gaussian_7x7():
    g = torch_image_gaussian(7)
    # hand check of the library formula: std 1.75 px, peak 1 at the middle
    assert g[3, 3] == 1.0
    np.testing.assert_allclose(g[3, 4], math.exp(-1 / (2 * 1.75 ** 2)))
    np.testing.assert_allclose(g[0, 0], math.exp(-18 / (2 * 1.75 ** 2)))
    codec = official_codec()
    # x_in 101.3 -> x_hm = 101.8 / 4 - 0.5 = 24.95 -> pixel 25;
    # y_in 62.9 -> y_hm = 63.4 / 4 - 0.5 = 15.35 -> pixel 15
    enc = codec.encode(np.array([[[101.3, 62.9]]]), np.ones((1, 1)))
    np.testing.assert_allclose(enc['heatmaps'][0],
                               official_target((25, 15)), rtol=1e-6,
                               atol=0)
    assert np.count_nonzero(enc['heatmaps'][0]) == 49
    np.testing.assert_array_equal(enc['keypoint_weights'], [[1.0]])


@pytest.mark.parametrize('x_hm,pixel', [
    (24.0, 24), (24.49, 24), (24.5, 25), (24.51, 25), (23.5, 24),
    (0.0, 0), (-0.4, 0), (-0.6, 0), (-1.4, 0),  # trunc towards zero
    (63.4, 63), (63.6, 64)])
def test_official_integer_centre_rounding(x_hm, pixel):
    """transform() in img.lua: 1-based trunc(u + 1e-4) + 1 with the
    corner-based u = x_hm + 0.5, i.e. 0-based pixel trunc(x_hm + 0.5)."""
    codec = official_codec()
    x_in = (x_hm + 0.5) * 4 - 0.5  # inverse of the codec's mapping
    enc = codec.encode(np.array([[[x_in, 30 * 4 + 1.5]]]), np.ones((1, 1)))
    np.testing.assert_allclose(enc['heatmaps'][0],
                               official_target((pixel, 30)), rtol=1e-6,
                               atol=0)


@pytest.mark.parametrize('x_hm,pixel,draws', [
    (-3.7, -3, True), (-2.6, -2, True),  # trunc(-3.2), trunc(-2.1)
    (-4.6, -4, False), (66.2, 66, True), (67.0, 67, False)])
def test_official_window_support_rule(x_hm, pixel, draws):
    """drawGaussian draws when its 7x7 block overlaps the map (centre
    within 3 px of it); otherwise the target is all zero and the weight 0.
    Left of the map trunc rounds towards zero: u = x_hm + .5 = -3.2 gives
    pixel -3."""
    codec = official_codec()
    x_in = (x_hm + 0.5) * 4 - 0.5
    enc = codec.encode(np.array([[[x_in, 20 * 4 + 1.5]]]), np.ones((1, 1)))
    hm = enc['heatmaps'][0]
    np.testing.assert_allclose(hm, official_target((pixel, 20)), rtol=1e-6,
                               atol=0)
    assert hm.any() == draws
    assert enc['keypoint_weights'][0, 0] == float(draws)


def test_window_without_integer_centre_cuts_the_exact_gaussian():
    codec = GaussianHeatmap(input_size=(64, 64), heatmap_size=(16, 16),
                            sigma=2.0, window=5)
    kpt = (37.7, 12.25)
    full = brute_force_heatmap(kpt, (64, 64), (16, 16), 2.0)
    hm = codec.encode(np.array([[kpt]]), np.ones((1, 1)))['heatmaps'][0]
    mx, my = (37.7 + .5) / 4 - .5, (12.25 + .5) / 4 - .5  # 9.05, 2.6875
    cx, cy = math.floor(mx + .5), math.floor(my + .5)  # 9, 3
    block = np.zeros_like(full, dtype=bool)
    block[cy - 2:cy + 3, cx - 2:cx + 3] = True
    np.testing.assert_allclose(hm[block], full[block], rtol=1e-5)
    assert not hm[~block].any()


def test_official_codec_missing_joint_draws_zeros_and_round_trip():
    codec = official_codec(refine='quarter')
    kpts = np.array([[[101.3, 62.9], [50.0, 50.0]]])
    enc = codec.encode(kpts, np.array([[1.0, 0.0]]))
    assert not enc['heatmaps'][1].any()
    np.testing.assert_array_equal(enc['keypoint_weights'], [[1.0, 0.0]])
    # an exact official target decodes to the pixel centre (the argmax;
    # the symmetric block gives no quarter offset)
    kp, score = codec.decode(enc['heatmaps'][:1])
    np.testing.assert_allclose(kp[0, 0], [(25 + .5) * 4 - .5,
                                          (15 + .5) * 4 - .5])
    assert score[0, 0] == 1.0


@pytest.mark.parametrize('window', [0, 4, -1, 2.5])
def test_window_must_be_odd_positive(window):
    with pytest.raises(ValueError, match='window'):
        GaussianHeatmap(input_size=(64, 64), heatmap_size=(16, 16),
                        window=window)


@pytest.mark.parametrize('batch', [1, 2, 3])
def test_batch_decode_unpacks_as_mmpose_heads_do(batch):
    """MMPose's ``HeatmapHead.decode`` does ``batch_keypoints, batch_scores
    = codec.batch_decode(outputs)`` on the network's tensor and reads
    sample b as ``(N, K, D)``; a list of per-sample pairs broke it for
    batches of 2 (taken for (scores, visibility)) and 3 (unpack error)."""
    import torch
    codec = GaussianHeatmap((64, 64), (16, 16), sigma=1.5)
    kpts = np.array([[[10.0, 20.0], [40.5, 33.25]]])
    hms = np.repeat(codec.encode(kpts)['heatmaps'][None], batch, axis=0)
    batch_keypoints, batch_scores = codec.batch_decode(torch.from_numpy(hms))
    assert len(batch_keypoints) == len(batch_scores) == batch
    for b in range(batch):
        assert batch_keypoints[b].shape == (1, 2, 2)
        np.testing.assert_allclose(batch_keypoints[b], kpts, atol=1e-3)
        np.testing.assert_array_equal(batch_scores[b],
                                      hms[b].max(axis=(1, 2))[None])


# --------------------------------------------------------------------------
# refine='pose_hg_train': the official Stacked Hourglass post-processing of
# princeton-vl/pose-hg-train, written out independently below from
# src/util/eval.lua @4637618 getPreds (lines 30-37), src/util/pose.lua
# @4637618 postprocess (lines 86-97: quarter offset only when the argmax is
# interior on both axes, then +0.5) and src/util/img.lua @d8a6577
# getTransform / transform / transformPreds (lines 18-75: pt - 1, inverse
# transform, +1e-4, :int(), +1 -> whole 1-based image pixels).

def _pose_hg_train_reference(hm, center, scale):
    """Official decode of one map stack (K, res, res) for an official crop
    ``center`` (in the frame the transform works in, i.e. after pt - 1)
    and ``scale`` (box size / 200): 1-based image pixels (K, 2)."""
    K, res, _ = hm.shape
    out = np.zeros((K, 2))
    h = 200.0 * scale
    t = np.eye(3)                                   # getTransform, rot 0
    t[0, 0] = t[1, 1] = res / h
    t[0, 2] = res * (-center[0] / h + 0.5)
    t[1, 2] = res * (-center[1] / h + 0.5)
    t_inv = np.linalg.inv(t)                        # invert
    for k in range(K):
        idx = int(np.argmax(hm[k].reshape(-1))) + 1  # torch.max, 1-based
        pX = (idx - 1) % res + 1
        pY = (idx - 1) // res + 1
        p = np.array([pX, pY], float)
        m = hm[k]  # m[pY - 1, pX - 1] is Lua's hm[pY][pX]
        if 1 < pX < res and 1 < pY < res:
            diff = np.array([m[pY - 1, pX] - m[pY - 1, pX - 2],
                             m[pY, pX - 1] - m[pY - 2, pX - 1]])
            p += np.sign(diff) * 0.25
        p += 0.5                                    # p:add(0.5)
        pt_ = np.array([p[0] - 1, p[1] - 1, 1.0])   # pt[1]-1, pt[2]-1
        new = (t_inv @ pt_)[:2] + 1e-4
        out[k] = np.trunc(new) + 1                  # :int():add(1)
    return out


def _pose_hg_train_maps():
    """Three hand-made maps (64 x 64), their peaks and neighbours."""
    hm = np.zeros((3, 64, 64), np.float32)
    # 0: argmax (x=20, y=30); right 0.6 > left 0.5 -> +0.25 in x;
    #    above 0.7 > below 0.1 -> -0.25 in y
    hm[0, 30, 20] = 1.0
    hm[0, 30, 21], hm[0, 30, 19] = 0.6, 0.5
    hm[0, 29, 20], hm[0, 31, 20] = 0.7, 0.1
    # 1: argmax on the left border (x=0, y=10), below 0.8 > above 0.3:
    #    'quarter' moves y by +0.25, the official code moves nothing
    #    (pX = 1 is not > 1, pose.lua:91)
    hm[1, 10, 0] = 1.0
    hm[1, 11, 0], hm[1, 9, 0], hm[1, 10, 1] = 0.8, 0.3, 0.5
    # 2: argmax (40, 40), equal x neighbours (sign 0), below > above
    hm[2, 40, 40] = 1.0
    hm[2, 40, 41] = hm[2, 40, 39] = 0.4
    hm[2, 41, 40], hm[2, 39, 40] = 0.6, 0.2
    return hm


# kp_ext crop: centre (300.3, 200.6), size 512 x 512 -> 256 x 256 input,
# 64 x 64 maps. It is the official getTransform with scale 512 / 200 and
# centre c - h / (2 w) = (300.3, 200.6) - 1 = (299.3, 199.6).
# By hand, 0: p = (21, 31) + (0.25, -0.25), + 0.5 = (21.75, 31.25),
# pt - 1 = (20.75, 30.25); inverse: x = 20.75 * 512 / 64 + 299.3 - 256
# = 209.3, y = 30.25 * 8 + 199.6 - 256 = 185.6; +1e-4, trunc, +1 ->
# (210, 186) 1-based = (209, 185) 0-based (kp_ext's linear decode: 209.3,
# 185.6). 1: p = (1, 11), no offset, pt - 1 = (0.5, 10.5) -> (47.3, 27.6)
# -> (47, 27). 2: p = (41, 41.25), pt - 1 = (40.5, 40.75) -> (367.3, 269.6)
# -> (367, 269).
HG_CENTER, HG_SIZE = (300.3, 200.6), 512.0
HG_OFFICIAL_0BASED = np.array([[209., 185.], [47., 27.], [367., 269.]])


def test_pose_hg_train_decode_hand_case():
    hm = _pose_hg_train_maps()
    codec = GaussianHeatmap((256, 256), (64, 64), sigma=1.75, window=7,
                            integer_center=True, refine='pose_hg_train')
    assert codec.rounds_image_keypoints
    kpts, scores = codec.decode(hm)
    to_in = lambda v: (v + 0.5) * 4 - 0.5  # noqa: E731
    # crop coordinates: 'quarter' with the both-axes rule
    np.testing.assert_allclose(kpts[0], [[to_in(20.25), to_in(29.75)],
                                         [to_in(0.0), to_in(10.0)],
                                         [to_in(40.0), to_in(40.25)]])
    np.testing.assert_array_equal(scores, [[1.0, 1.0, 1.0]])
    quarter, _ = GaussianHeatmap((256, 256), (64, 64),
                                 refine='quarter').decode(hm)
    assert quarter[0, 1, 1] == to_in(10.25)  # per-axis rule moves it
    # the estimator's linear map to the image, then the official truncation
    lin = kpts[0].astype(np.float64) / 256 * HG_SIZE + np.array(HG_CENTER) \
        - HG_SIZE / 2
    np.testing.assert_allclose(lin, [[209.3, 185.6], [47.3, 27.6],
                                     [367.3, 269.6]], atol=1e-9)
    np.testing.assert_array_equal(codec.finish_image_keypoints(lin),
                                  HG_OFFICIAL_0BASED)
    # and the independent transcription of the Lua code, 1-based
    ref = _pose_hg_train_reference(
        hm, np.array(HG_CENTER) - HG_SIZE / 512, HG_SIZE / 200)
    np.testing.assert_array_equal(ref, HG_OFFICIAL_0BASED + 1)


def test_pose_hg_train_reference_matches_codec_on_random_maps():
    """Random smooth maps and random crops: codec + estimator mapping +
    truncation == the Lua transcription minus 1 (1-based -> 0-based)."""
    rng = np.random.default_rng(5)
    codec = GaussianHeatmap((256, 256), (64, 64), refine='pose_hg_train')
    yy, xx = np.mgrid[0:64, 0:64]
    for _ in range(20):
        centre = rng.uniform(-3, 66, (4, 2))
        hm = np.exp(-((xx - centre[:, :1, None]) ** 2 +
                      (yy - centre[:, 1:, None]) ** 2) / 4.0)
        hm += rng.uniform(0, 1e-3, hm.shape)
        hm = hm.astype(np.float32)
        c = rng.uniform(100, 900, 2)
        size = rng.uniform(150, 900)
        kpts, _ = codec.decode(hm)
        lin = kpts[0].astype(np.float64) / 256 * size + c - size / 2
        ours = codec.finish_image_keypoints(lin)
        ref = _pose_hg_train_reference(hm, c - size / 512, size / 200)
        np.testing.assert_array_equal(ours, ref - 1)


def test_pose_hg_train_truncates_towards_zero():
    codec = GaussianHeatmap((256, 256), (64, 64), refine='pose_hg_train')
    # trunc(x + 1e-4): -0.7 -> 0 (not floor's -1), 3.99995 -> 4, 5.5 -> 5
    np.testing.assert_array_equal(
        codec.finish_image_keypoints([[-0.7, 3.99995], [5.5, 12.0]]),
        [[0.0, 4.0], [5.0, 12.0]])
    # other refine modes leave image coordinates alone
    other = GaussianHeatmap((256, 256), (64, 64), refine='quarter')
    assert not other.rounds_image_keypoints
    np.testing.assert_array_equal(other.finish_image_keypoints([[-0.7, 5.5]]),
                                  [[-0.7, 5.5]])
