# Stacked Hourglass (Newell et al., ECCV 2016) on MPII, the paper's setting:
# 8 stacks, 256 channels, 256x256 input, 64x64 heatmaps, RMSprop 2.5e-4,
# flip test, PCKh@0.5.
_base_ = [
    './_base_/default_runtime.py',
    './_base_/schedules/rmsprop_newell.py',
    './_base_/datasets/mpii.py',
]

# the MPII protocol's score: the "Mean" column of MPII tables (all joints
# but pelvis and thorax, official evaluatePCKh.m), not the all-16 'PCKh'
default_hooks = dict(
    checkpoint=dict(save_best='PCKh/Mean', rule='greater'))

# Gaussian of 1 px std at 64x64 (the paper); quarter-offset decode is the
# paper's, our default log-Gaussian refinement is more accurate.
codec = dict(
    type='GaussianHeatmap', input_size=(256, 256), heatmap_size=(64, 64),
    sigma=1.0)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='StackedHourglass', num_stacks=8, num_channels=256, depth=4,
        num_blocks=1, out_channels=16),
    head=dict(
        type='MultiStageHeatmapHead', in_channels=16, out_channels=16,
        num_stages=8,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, shift_heatmap=False))

# augmentation as in the paper: rotation +-30 deg, scale 0.75-1.25, flip
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=30,
         scale_factor=(0.75, 1.25)),
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
    batch_size=6,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type={{_base_.dataset_type}},
        data_root={{_base_.data_root}},
        data_mode={{_base_.data_mode}},
        ann_file='annotations/mpii_train.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type={{_base_.dataset_type}},
        data_root={{_base_.data_root}},
        data_mode={{_base_.data_mode}},
        ann_file='annotations/mpii_val.json',
        # official PCKh head size: 0.6 x head-box diagonal from MMPose's
        # MPII download (annotations/mpii_gt_val.mat, official evaluation
        # ground truth); a missing file is an error. headbox_file=None
        # falls back to |head_top - upper_neck|: NOT the official protocol
        # (docs/protocols/metrics.md)
        headbox_file='annotations/mpii_gt_val.mat',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# PCKh@0.5; the reported number is 'PCKh/Mean' (+ the per-joint table and
# 'PCKh/Mean@0.1'), docs/protocols/metrics.md
val_evaluator = dict(type='MpiiPCKAccuracy', thr=0.5)
test_evaluator = val_evaluator
