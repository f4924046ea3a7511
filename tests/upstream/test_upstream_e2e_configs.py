"""End to end, both directions (2 training iterations + one prediction):

- an MMPose config (``default_scope='mmpose'``, MMPose's estimator,
  dataset and pipeline) with ``custom_imports=dict(imports=['kp_ext'])``
  training kp_ext's codec, head and backbone;
- a kp_ext config (``default_scope='kp_ext'``) training MMPose's HRNet and
  MSRAHeatmap under kp_ext's estimator, head, dataset and pipeline.
"""
import json
import math

import pytest
from upstream_env import require_mmpose

require_mmpose()

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

pytestmark = [pytest.mark.upstream, pytest.mark.slow]

RUNTIME = '''
train_cfg = dict(by_epoch=False, max_iters=2)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
default_hooks = dict(
    checkpoint=dict(type='mmengine.CheckpointHook', interval=1000,
                    by_epoch=False),
    logger=dict(type='mmengine.LoggerHook', interval=1))
log_level = 'WARNING'
randomness = dict(seed=0)
'''

MMPOSE_CONFIG = '''
default_scope = 'mmpose'
custom_imports = dict(imports=['kp_ext'], allow_failed_imports=False)
codec = dict(type='kp_ext.GaussianHeatmap', input_size=(64, 64),
             heatmap_size=(16, 16), sigma=1.5)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(type='PoseDataPreprocessor',
                           mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='kp_ext.StackedHourglass', num_stacks=2,
                  num_channels=16, depth=2, out_channels=17),
    head=dict(type='kp_ext.MultiStageHeatmapHead', in_channels=17,
              out_channels=17, num_stages=2, decoder=codec),
    test_cfg=dict(flip_test=True, shift_heatmap=False))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CocoDataset', data_root=DATA_ROOT,
                 data_mode='topdown', ann_file='ann.json',
                 data_prefix=dict(img='images/'), pipeline=train_pipeline))
'''

KP_EXT_CONFIG = '''
default_scope = 'kp_ext'
codec = dict(type='mmpose.MSRAHeatmap', input_size=(64, 64),
             heatmap_size=(16, 16), sigma=2.0)
branch = dict(block='BASIC', num_modules=1)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(type='PoseDataPreprocessor',
                           mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        type='mmpose.HRNet', in_channels=3,
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK',
                        num_blocks=(1, ), num_channels=(8, )),
            stage2=dict(num_branches=2, num_blocks=(1, 1),
                        num_channels=(8, 16), **branch),
            stage3=dict(num_branches=3, num_blocks=(1, 1, 1),
                        num_channels=(8, 16, 32), **branch),
            stage4=dict(num_branches=4, num_blocks=(1, 1, 1, 1),
                        num_channels=(8, 16, 32, 64), **branch))),
    head=dict(type='MultiStageHeatmapHead', in_channels=8, out_channels=17,
              num_stages=1, decoder=codec),
    test_cfg=dict(flip_test=True))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='SyntheticPeopleDataset', num_samples=8, seed=0,
                 img_size=(96, 96), pipeline=train_pipeline))
'''


def _tiny_coco(root, n=4, size=96):
    """n noise images with one COCO person (17 keypoints) each."""
    rng = np.random.default_rng(0)
    (root / 'images').mkdir()
    images, anns = [], []
    for i in range(n):
        name = f'{i:03d}.jpg'
        cv2.imwrite(str(root / 'images' / name),
                    rng.integers(0, 255, (size, size, 3), dtype=np.uint8))
        kpts = rng.uniform(20, 76, size=(17, 2))
        x0, y0 = kpts.min(0) - 4
        w, h = kpts.max(0) - kpts.min(0) + 8
        flat = np.concatenate([kpts, np.full((17, 1), 2.0)], 1)
        images.append(dict(id=i + 1, file_name=name, width=size,
                           height=size))
        anns.append(dict(id=i + 1, image_id=i + 1, category_id=1,
                         bbox=[float(x0), float(y0), float(w), float(h)],
                         area=float(w * h), iscrowd=0, num_keypoints=17,
                         keypoints=flat.ravel().round(2).tolist()))
    cats = [dict(id=1, name='person', supercategory='person',
                 keypoints=[str(k) for k in range(17)], skeleton=[])]
    (root / 'ann.json').write_text(json.dumps(
        dict(images=images, annotations=anns, categories=cats)))


def _train_and_predict(tmp_path, text):
    path = tmp_path / 'config.py'
    path.write_text(text + RUNTIME)
    cfg = Config.fromfile(str(path))
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss) and loss > 0
    # one prediction through the test pipeline, in image coordinates
    dataset = runner.train_dataloader.dataset
    train_transforms = dataset.pipeline.transforms
    dataset.pipeline = dataset.pipeline.__class__(cfg.test_pipeline)
    runner.model.eval()
    out = runner.model.test_step(pseudo_collate([dataset[0]]))
    kpts = out[0].pred_instances.keypoints
    assert kpts.shape == (1, 17, 2) and np.isfinite(kpts).all()
    return runner, train_transforms


def test_mmpose_config_trains_kp_ext_codec_head_backbone(tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    _tiny_coco(data)
    runner, transforms = _train_and_predict(
        tmp_path, f'DATA_ROOT = {str(data)!r}\n' + MMPOSE_CONFIG)
    model = runner.model
    assert type(model).__module__.startswith('mmpose.')
    assert type(model.backbone).__module__.startswith('kp_ext.')
    assert type(model.head).__module__.startswith('kp_ext.')
    assert type(model.head.decoder).__name__ == 'GaussianHeatmap'
    encoder = transforms[4].encoder
    assert type(encoder).__module__.startswith('kp_ext.')


def test_kp_ext_config_trains_mmpose_hrnet_and_msra(tmp_path):
    runner, transforms = _train_and_predict(tmp_path, KP_EXT_CONFIG)
    model = runner.model
    assert type(model).__module__.startswith('kp_ext.')
    assert type(model.backbone).__module__.startswith('mmpose.')
    assert type(model.head.decoder).__module__.startswith('mmpose.')
    assert type(transforms[4].encoder).__module__.startswith('mmpose.')
