"""Heatmap coordinate conventions (issue 15, item 3)."""
import numpy as np
import pytest

from kp_ext.codecs import GaussianHeatmap, SoftArgmax
from kp_ext.codecs.coordinate_convention import (decode_shift,
                                                 heatmap_convention)


class _CornerGaussian(GaussianHeatmap):
    """GaussianHeatmap with MMPose MSRAHeatmap's x_in = x_hm * s."""
    heatmap_offset = 0.0
    flip_shift_heatmap = True


def test_kp_ext_codecs_state_their_convention():
    for codec in (GaussianHeatmap((64, 64), (16, 16)),
                  SoftArgmax((64, 64), (16, 16))):
        assert heatmap_convention(codec) == (0.5, False)
    # heatmap pixel 0 is the centre of the input block [0, 3] at stride 4
    codec = GaussianHeatmap((64, 48), (16, 12))
    np.testing.assert_allclose(codec.heatmap_to_input([[0, 0], [15, 11]]),
                               [[1.5, 1.5], [61.5, 45.5]])
    np.testing.assert_allclose(_CornerGaussian(
        (64, 48), (16, 12)).heatmap_to_input([[15, 11]]), [[60, 44]])


def test_mmpose_codecs_known_by_name():
    assert heatmap_convention(type('MSRAHeatmap', (), {})()) == (0.0, True)
    assert heatmap_convention(type('UDPHeatmap', (), {})()) == (None, False)
    assert heatmap_convention(object()) == (None, None)


@pytest.mark.parametrize('size,expected', [((16, 16), -1.5), ((32, 32), -0.5)])
def test_mixing_shift_is_predicted(size, expected):
    """kp_ext targets read with x_in = x_hm * s land (o_dec - o_enc)(s - 1)
    away: -1.5 px at stride 4 (hand-computed), -0.5 px at stride 2."""
    kp = GaussianHeatmap((64, 64), size, sigma=1.5)
    corner = _CornerGaussian((64, 64), size, sigma=1.5)
    np.testing.assert_allclose(decode_shift(kp, corner), [expected] * 2)
    pts = np.array([[[20.3, 33.7], [40.0, 12.25]]])
    got, _ = corner.decode(kp.encode(pts)['heatmaps'])
    np.testing.assert_allclose(got - pts, expected, atol=1e-3)
    # the same convention round-trips
    back, _ = kp.decode(kp.encode(pts)['heatmaps'])
    np.testing.assert_allclose(back, pts, atol=1e-3)
    assert np.all(decode_shift(kp, kp) == 0)


def test_decode_shift_refuses_unknown_or_mismatched():
    kp = GaussianHeatmap((64, 64), (16, 16))
    with pytest.raises(ValueError, match='stride'):
        decode_shift(kp, GaussianHeatmap((64, 64), (32, 32)))
    udp = type('UDPHeatmap', (), dict(input_size=(64, 64),
                                      heatmap_size=(16, 16)))()
    with pytest.raises(ValueError, match='UDPHeatmap'):
        decode_shift(kp, udp)
