# Quickstart: a small Stacked Hourglass (2 stacks, 64 channels) trained on
# the project's synthetic people (no files needed), CPU-friendly.
#   python tools/quickstart.py        (or: python tools/train.py THIS_FILE)
_base_ = ['../_base_/default_runtime.py']

# runtime
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=4)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.05,
         by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=12, milestones=[9, 11],
         gamma=0.2, by_epoch=True),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=4, max_keep_ckpts=1,
                    save_best='PCK', rule='greater'))
randomness = dict(seed=0)

# codec: 128x128 crops -> 32x32 heatmaps (stride 4)
codec = dict(
    type='GaussianHeatmap', input_size=(128, 128), heatmap_size=(32, 32),
    sigma=1.5)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='StackedHourglass', num_stacks=2, num_channels=64, depth=4,
        num_blocks=1, out_channels=17),
    head=dict(
        type='MultiStageHeatmapHead', in_channels=17, out_channels=17,
        num_stages=2,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, shift_heatmap=False))

dataset_type = 'SyntheticPeopleDataset'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0.2, rotate_factor=30,
         scale_factor=(0.8, 1.2)),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, num_samples=1000, seed=0, img_size=(192, 192),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, num_samples=200, seed=12345, img_size=(192, 192),
        test_mode=True, pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='PCKAccuracy', thr=0.1, norm_item='bbox'),
    dict(type='CocoKeypointMetric', ann_file=None),
]
test_evaluator = val_evaluator
