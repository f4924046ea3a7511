"""Item 3 against MMPose's own codecs: the mixing shift is what
kp_ext.codecs.coordinate_convention predicts, in both directions."""
import pytest
from upstream_env import require_mmpose

pytestmark = pytest.mark.upstream
require_mmpose()

import numpy as np  # noqa: E402
from mmpose.codecs import MSRAHeatmap  # noqa: E402

from kp_ext.codecs import GaussianHeatmap  # noqa: E402
from kp_ext.codecs.coordinate_convention import decode_shift  # noqa: E402


def test_kp_ext_targets_read_by_msra_dark():
    kp = GaussianHeatmap((64, 64), (16, 16), sigma=2.0)
    msra = MSRAHeatmap((64, 64), (16, 16), sigma=2.0, unbiased=True)
    np.testing.assert_allclose(decode_shift(kp, msra), [-1.5, -1.5])
    pts = np.array([[[20.3, 33.7], [40.0, 25.25]]])
    got, _ = msra.decode(kp.encode(pts)['heatmaps'])
    np.testing.assert_allclose(got - pts, -1.5, atol=0.05)


def test_msra_targets_read_by_kp_ext():
    kp = GaussianHeatmap((64, 64), (16, 16), sigma=2.0)
    msra = MSRAHeatmap((64, 64), (16, 16), sigma=2.0)
    np.testing.assert_allclose(decode_shift(msra, kp), [1.5, 1.5])
    # on the stride MSRAHeatmap's integer centres are exact
    pts = np.array([[[20.0, 32.0], [40.0, 24.0]]])
    got, _ = kp.decode(msra.encode(pts)['heatmaps'])
    np.testing.assert_allclose(got - pts, 1.5, atol=1e-3)
    # and each toolbox round-trips its own convention
    back, _ = msra.decode(msra.encode(pts)['heatmaps'])
    np.testing.assert_allclose(back, pts, atol=1e-3)
