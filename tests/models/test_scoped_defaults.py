"""Defaults inside kp_ext modules name their scope (issue 15, item 5).

Under a caller's foreign default scope (MMPose's ``'mmpose'``; here a
child registry with scope ``_FOREIGN`` that registers decoys under the same
names) an unprefixed default ``dict(type='KeypointMSELoss')`` would resolve
to the caller's class. Every kp_ext head/estimator must still build
kp_ext's parts. Runs without MMPose.
"""
import pytest
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import DefaultScope, Registry
from torch import nn

from kp_ext.models.estimators import UnsupervisedLandmarkEstimator
from kp_ext.models.heads import LandmarkHead, MultiStageHeatmapHead
from kp_ext.models.losses import (DiversityLoss, EquivarianceLoss,
                                  KeypointMSELoss, PAFLoss)
from kp_ext.models.utils.tps_warp import TPSWarp
from kp_ext.registry import MODELS

_FOREIGN = 'kp_ext_test_foreign'
FOREIGN_MODELS = Registry('model', parent=MMENGINE_MODELS, scope=_FOREIGN)


def _decoy(name):
    return FOREIGN_MODELS.register_module(name=name)(
        type(name, (nn.Module, ), {'__init__': lambda self, *a, **k:
                                   nn.Module.__init__(self)}))


DECOYS = {n: _decoy(n) for n in (
    'KeypointMSELoss', 'EquivarianceLoss', 'DiversityLoss', 'TPSWarp',
    'PAFLoss', 'PoseDataPreprocessor')}


@pytest.fixture
def foreign_scope():
    name = 'kp_ext_test_foreign_scope'
    with DefaultScope.overwrite_default_scope(_FOREIGN):
        DefaultScope.get_instance(name, scope_name=_FOREIGN)
        yield
    DefaultScope._instance_dict.pop(name, None)


def test_decoys_would_be_picked_unscoped(foreign_scope):
    # the premise: an unprefixed name resolves to the caller's scope
    assert type(MODELS.build(dict(type='KeypointMSELoss'))) is \
        DECOYS['KeypointMSELoss']


def test_heatmap_head_default_loss(foreign_scope):
    head = MODELS.build(dict(type='kp_ext.MultiStageHeatmapHead',
                             in_channels=4, out_channels=4, num_stages=2))
    assert type(head) is MultiStageHeatmapHead
    assert type(head.loss_module) is KeypointMSELoss


def test_landmark_head_default_losses(foreign_scope):
    head = MODELS.build(dict(type='kp_ext.LandmarkHead', num_keypoints=3))
    assert type(head) is LandmarkHead
    assert type(head.loss_equivariance) is EquivarianceLoss
    assert type(head.loss_diversity) is DiversityLoss


def test_unsupervised_estimator_default_warp_and_parts(foreign_scope):
    model = MODELS.build(dict(
        type='kp_ext.UnsupervisedLandmarkEstimator',
        backbone=dict(type='kp_ext.FSEConvNet', out_channels=3),
        head=dict(type='kp_ext.LandmarkHead', num_keypoints=3),
        data_preprocessor=dict(type='kp_ext.PoseDataPreprocessor')))
    assert type(model) is UnsupervisedLandmarkEstimator
    assert type(model.warp) is TPSWarp
    assert type(model.head.loss_equivariance) is EquivarianceLoss
    assert type(model.data_preprocessor).__module__.startswith('kp_ext.')


def test_topdown_estimator_parts(foreign_scope):
    model = MODELS.build(dict(
        type='kp_ext.TopdownPoseEstimator',
        backbone=dict(type='kp_ext.StackedHourglass', num_stacks=1,
                      out_channels=4, num_channels=16, depth=2),
        head=dict(type='kp_ext.MultiStageHeatmapHead', in_channels=4,
                  out_channels=4, num_stages=1)))
    assert type(model.head.loss_module) is KeypointMSELoss


def test_paf_head_default_loss(foreign_scope):
    head = MODELS.build(dict(type='kp_ext.PartAffinityFieldHead', arch=None,
                             in_channels=10, num_keypoints=4, num_limbs=3))
    assert type(head.loss_module) is PAFLoss
