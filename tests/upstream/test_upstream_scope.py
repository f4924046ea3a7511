"""Item 5 under MMPose's real scope: kp_ext modules build kp_ext's parts
with ``default_scope='mmpose'``."""
import pytest
from upstream_env import require_mmpose

pytestmark = pytest.mark.upstream
require_mmpose()

from mmengine.registry import DefaultScope  # noqa: E402

from kp_ext.models.losses import KeypointMSELoss, PAFLoss  # noqa: E402
from kp_ext.registry import MODELS  # noqa: E402


@pytest.fixture
def mmpose_scope():
    with DefaultScope.overwrite_default_scope('mmpose'):
        DefaultScope.get_instance('kp_ext_upstream_scope',
                                  scope_name='mmpose')
        yield
    DefaultScope._instance_dict.pop('kp_ext_upstream_scope', None)


def test_premise_mmpose_has_its_own_keypoint_mse_loss(mmpose_scope):
    loss = MODELS.build(dict(type='KeypointMSELoss'))
    assert type(loss).__module__.startswith('mmpose.')


def test_heatmap_head_default_loss_is_kp_ext(mmpose_scope):
    head = MODELS.build(dict(type='kp_ext.MultiStageHeatmapHead',
                             in_channels=4, out_channels=4, num_stages=1))
    assert type(head.loss_module) is KeypointMSELoss


def test_paf_head_builds_under_mmpose_scope(mmpose_scope):
    head = MODELS.build(dict(type='kp_ext.PartAffinityFieldHead', arch=None,
                             in_channels=10, num_keypoints=4, num_limbs=3))
    assert type(head.loss_module) is PAFLoss
