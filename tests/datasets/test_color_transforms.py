"""RandomChannelScale: hand-computed values and the U(0.6, 1.4) law."""
import numpy as np
import pytest

from kp_ext.datasets.transforms import RandomChannelScale
from kp_ext.registry import TRANSFORMS


def _img(values, dtype=np.uint8):
    """(4, 5, C) image whose channel c is the constant values[c]."""
    return np.tile(np.asarray(values, dtype=dtype), (4, 5, 1))


def test_registered_and_repr():
    t = TRANSFORMS.build(dict(type='RandomChannelScale'))
    assert isinstance(t, RandomChannelScale)
    assert t.factor_range == (0.6, 1.4) and t.max_value == 255.0
    assert 'factor_range=(0.6, 1.4)' in repr(t)


def test_fixed_factor_multiplies_rounds_and_clips_uint8():
    t = RandomChannelScale(factor_range=(1.2, 1.2))
    out = t(dict(img=_img([200, 250, 0]), img_path='a.jpg'))
    assert out['img'].dtype == np.uint8
    # 200 * 1.2 = 240; 250 * 1.2 = 300 -> clipped to 255; 0 stays 0
    np.testing.assert_array_equal(out['img'][0, 0], [240, 255, 0])
    np.testing.assert_allclose(out['channel_scale'], [1.2, 1.2, 1.2],
                               rtol=1e-6)
    # 101 * 0.6 = 60.6 -> 61 (rounded, not truncated)
    out = RandomChannelScale(factor_range=(0.6, 0.6))(
        dict(img=_img([101, 3, 7])))
    np.testing.assert_array_equal(out['img'][2, 3], [61, 2, 4])


def test_float_image_stays_float_and_clips_at_max_value():
    t = RandomChannelScale(factor_range=(1.5, 1.5), max_value=1.0)
    out = t(dict(img=_img([0.2, 0.8, 0.5], np.float32)))
    assert out['img'].dtype == np.float32
    np.testing.assert_allclose(out['img'][1, 1], [0.3, 1.0, 0.75],
                               rtol=1e-6)


def test_factors_are_independent_uniform_per_channel():
    np.random.seed(0)
    t = RandomChannelScale()
    n = 4000
    img = _img([100, 100, 100], np.float32)
    f = np.stack([t(dict(img=img.copy()))['channel_scale']
                  for _ in range(n)])
    assert f.shape == (n, 3)
    assert f.min() >= 0.6 and f.max() <= 1.4
    # U(0.6, 1.4): mean 1, variance 0.8^2 / 12 = 0.0533; each quarter of the
    # range holds a quarter of the draws; channels uncorrelated
    np.testing.assert_allclose(f.mean(axis=0), 1.0, atol=0.015)
    np.testing.assert_allclose(f.var(axis=0), 0.8 ** 2 / 12, rtol=0.06)
    hist = np.histogram(f[:, 0], bins=4, range=(0.6, 1.4))[0] / n
    np.testing.assert_allclose(hist, 0.25, atol=0.03)
    corr = np.corrcoef(f.T)
    assert np.abs(corr[np.triu_indices(3, 1)]).max() < 0.05
    # the image is scaled by exactly these factors
    out = t(dict(img=img.copy()))
    np.testing.assert_allclose(out['img'][0, 0], 100 * out['channel_scale'],
                               rtol=1e-6)


def test_prob_zero_leaves_the_image_unchanged():
    img = _img([10, 20, 30])
    out = RandomChannelScale(prob=0.0)(dict(img=img.copy()))
    np.testing.assert_array_equal(out['img'], img)
    np.testing.assert_array_equal(out['channel_scale'], [1, 1, 1])


@pytest.mark.parametrize('kwargs', [dict(factor_range=(1.4, 0.6)),
                                    dict(factor_range=(-0.1, 1.0)),
                                    dict(factor_range=(1.0, )),
                                    dict(max_value=0), dict(prob=1.5)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        RandomChannelScale(**kwargs)


def test_bad_image_names_the_file():
    with pytest.raises(ValueError, match='x.jpg'):
        RandomChannelScale()(dict(img=np.zeros((4, 5)), img_path='x.jpg'))
