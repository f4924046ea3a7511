import numpy as np
import pytest
from scipy.special import softmax

from kp_ext.codecs.soft_argmax import SoftArgmax
from kp_ext.registry import KEYPOINT_CODECS


def _codec(**kw):
    cfg = dict(type='SoftArgmax', input_size=(64, 48), heatmap_size=(16, 12))
    cfg.update(kw)
    return KEYPOINT_CODECS.build(cfg)


def test_delta_map_decodes_to_block_centre():
    codec = _codec()  # stride 4
    logits = np.full((3, 12, 16), -50.0)
    logits[0, 0, 0] = 60.0
    logits[1, 5, 9] = 60.0
    logits[2, 11, 15] = 60.0
    kpts, scores = codec.decode(logits)
    assert kpts.shape == (1, 3, 2) and scores.shape == (1, 3)
    # heatmap (i, j) -> ((j + .5) * 4 - .5, (i + .5) * 4 - .5)
    expected = np.array([[1.5, 1.5], [37.5, 21.5], [61.5, 45.5]])
    np.testing.assert_allclose(kpts[0], expected, atol=1e-4)
    np.testing.assert_allclose(scores[0], 1.0, atol=1e-6)
    # stride 1: the heatmap pixel itself
    c1 = SoftArgmax(input_size=(16, 12), heatmap_size=(16, 12))
    np.testing.assert_allclose(c1.decode(logits)[0][0],
                               [[0, 0], [9, 5], [15, 11]], atol=1e-6)


def test_decode_matches_scipy_softmax_expectation():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (5, 12, 16))
    codec = _codec(beta=1.7)
    kpts, scores = codec.decode(logits)
    for k in range(5):
        p = softmax(1.7 * logits[k].ravel()).reshape(12, 16)
        x = sum(p[i, j] * ((j + 0.5) * 4 - 0.5) for i in range(12)
                for j in range(16))
        y = sum(p[i, j] * ((i + 0.5) * 4 - 0.5) for i in range(12)
                for j in range(16))
        np.testing.assert_allclose(kpts[0, k], [x, y], rtol=1e-5)
        assert scores[0, k] == pytest.approx(p.max(), rel=1e-5)


def test_numerically_stable_and_beta_sharpens():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 1, (2, 12, 16))
    codec = _codec()
    base = codec.decode(logits)[0]
    shifted = codec.decode(logits * 1.0 + 1e6)[0]
    np.testing.assert_allclose(base, shifted, atol=1e-3)
    huge = codec.decode(logits * 1e5)[0]
    assert np.isfinite(huge).all()
    # large beta -> hard argmax
    i, j = np.unravel_index(np.argmax(logits[0]), logits[0].shape)
    sharp = _codec(beta=1e4).decode(logits)[0]
    np.testing.assert_allclose(sharp[0, 0], [(j + .5) * 4 - .5,
                                             (i + .5) * 4 - .5], atol=1e-3)


def test_encode_unit_mass_and_round_trip():
    rng = np.random.default_rng(2)
    codec = _codec(sigma=1.0)
    # >= 4.5 sigma inside the 16 x 12 map (stride 4)
    kpts = np.stack([rng.uniform(17.5, 45.5, (1, 6)),
                     rng.uniform(17.5, 29.5, (1, 6))], -1).astype(np.float32)
    vis = np.ones((1, 6), np.float32)
    vis[0, 4] = 0
    kpts[0, 5] = [200.0, 10.0]  # outside the input
    enc = codec.encode(kpts, vis)
    hm, wts = enc['heatmaps'], enc['keypoint_weights']
    assert hm.shape == (6, 12, 16) and wts.shape == (1, 6)
    np.testing.assert_array_equal(wts[0], [1, 1, 1, 1, 0, 0])
    np.testing.assert_allclose(hm[:4].sum((1, 2)), 1.0, atol=1e-5)
    assert hm[4:].max() == 0
    # decode(log p) inverts encode for interior points
    dec, _ = codec.decode(np.log(np.maximum(hm[:4], 1e-30)))
    np.testing.assert_allclose(dec[0], kpts[0, :4], atol=2e-4)
    # Gaussian shape: peak cell is the one containing the keypoint
    i, j = np.unravel_index(hm[0].argmax(), hm[0].shape)
    assert abs((j + 0.5) * 4 - 0.5 - kpts[0, 0, 0]) <= 2.0
    assert abs((i + 0.5) * 4 - 0.5 - kpts[0, 0, 1]) <= 2.0
    # two instances: mixture of unit mass
    two = codec.encode(np.stack([kpts[0], kpts[0] + 4])[:, :2])
    np.testing.assert_allclose(two['heatmaps'].sum((1, 2)), 1.0, atol=1e-5)


def test_concentration_score_and_batch_decode():
    codec = _codec(score_mode='concentration')
    logits = np.zeros((2, 12, 16))
    logits[0, 3, 3] = 100.0
    _, scores = codec.decode(logits)
    assert scores[0, 0] == pytest.approx(1.0, abs=1e-6)
    # flat map: RMS spread of a uniform grid, sqrt((var_x + var_y) / 2)
    spread = np.sqrt(((16**2 - 1) / 12 + (12**2 - 1) / 12) / 2)
    assert scores[0, 1] == pytest.approx(1 / (1 + spread), rel=1e-5)
    rng = np.random.default_rng(3)
    batch = rng.normal(0, 1, (4, 3, 12, 16))
    kb, sb = codec.batch_decode(batch)
    assert kb.shape == (4, 1, 3, 2) and sb.shape == (4, 1, 3)
    for b in range(4):
        k1, s1 = codec.decode(batch[b])
        np.testing.assert_allclose(kb[b], k1)
        np.testing.assert_allclose(sb[b], s1)
    assert codec.support_batch_decoding


def test_tables_and_errors():
    assert SoftArgmax.field_mapping_table == dict(heatmaps='heatmaps')
    assert SoftArgmax.label_mapping_table == dict(
        keypoint_weights='keypoint_weights')
    codec = _codec()
    with pytest.raises(ValueError):
        codec.decode(np.zeros((3, 10, 10)))  # wrong heatmap size
    with pytest.raises(ValueError):
        codec.decode(np.zeros((12, 16)))
    with pytest.raises(ValueError):
        _codec(score_mode='mean')
    with pytest.raises(ValueError):
        codec.encode(np.zeros((3, 2)))
