"""Item 1: each toolbox builds the other's codecs by scope prefix."""
import pytest
from upstream_env import require_mmpose

pytestmark = pytest.mark.upstream
require_mmpose()

from mmpose.codecs import MSRAHeatmap  # noqa: E402
from mmpose.registry import KEYPOINT_CODECS as MMPOSE_CODECS  # noqa: E402

from kp_ext.codecs import GaussianHeatmap  # noqa: E402
from kp_ext.registry import KEYPOINT_CODECS  # noqa: E402


def test_mmpose_builds_kp_ext_codec():
    codec = MMPOSE_CODECS.build(dict(type='kp_ext.GaussianHeatmap',
                                     input_size=(64, 64),
                                     heatmap_size=(16, 16)))
    assert type(codec) is GaussianHeatmap


def test_kp_ext_builds_mmpose_codec_by_prefix_and_name():
    cfg = dict(input_size=(64, 64), heatmap_size=(16, 16), sigma=2.0)
    assert type(KEYPOINT_CODECS.build(
        dict(type='mmpose.MSRAHeatmap', **cfg))) is MSRAHeatmap
    # an unprefixed name kp_ext lacks is found in MMPose's (parent) registry
    assert type(KEYPOINT_CODECS.build(
        dict(type='MSRAHeatmap', **cfg))) is MSRAHeatmap


def test_kp_ext_registry_is_mmpose_child():
    assert KEYPOINT_CODECS.parent is MMPOSE_CODECS
    assert MMPOSE_CODECS.children['kp_ext'] is KEYPOINT_CODECS
