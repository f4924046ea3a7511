# Supervised 68-point face landmarks with a small Stacked Hourglass on the
# YouTube-Faces crops of ../shared/data/youtube_faces_68lm_udacity, split by
# identity (no identity in both train and val). The whole (loose) crop is
# the box, as for the mean-shape baseline quoted in the README.
# Not a paper config. kp_ext's changes against Newell et al.'s recipe
# (RMSprop 2.5e-4, float32): bf16 autocast (BF16OptimWrapper; ~1.7x faster
# convolutions on an avx512_bf16 CPU) and NHWC activations
# (`channels_last`, ~15 % faster steps) so that a 64-epoch schedule, cosine
# decay included, ends inside 30 minutes on 2 cores
# (`python tools/benchmark.py accuracy --model faces --minutes 30`); Adam at
# lr 4e-3 (from 1e-3: -0.9 NME points on the 20-epoch proxy); DARK decoding
# (Zhang et al., CVPR 2020; chosen on the training faces). Ablations:
# benchmarks/RESULTS_hourglass.md.
# float32 throughout: --cfg-options optim_wrapper.type=OptimWrapper.
_base_ = ['../_base_/default_runtime.py']

data_root = ('{{$KP_EXT_DATA:{{fileDirname}}/../../../shared/data}}'
             '/youtube_faces_68lm_udacity/')  # configs/README.md

# 64 epochs of 60 iterations (~24 s each at 2 threads, bf16, NHWC)
max_epochs = 64
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=16)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(type='BF16OptimWrapper',
                     optimizer=dict(type='Adam', lr=4e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01,
         by_epoch=False),
    dict(type='CosineAnnealingLR', begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=1e-5, by_epoch=True),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=16, max_keep_ckpts=1,
                    save_best='NME', rule='less'))
randomness = dict(seed=0)

codec = dict(
    type='GaussianHeatmap', input_size=(128, 128), heatmap_size=(32, 32),
    sigma=1.0, refine='dark')

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='StackedHourglass', num_stacks=2, num_channels=64, depth=4,
        num_blocks=1, out_channels=68, channels_last=True),
    head=dict(
        type='MultiStageHeatmapHead', in_channels=68, out_channels=68,
        num_stages=2,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, shift_heatmap=False))

dataset_type = 'FaceLandmarkCSVDataset'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_factor=0.05, shift_prob=0.5,
         rotate_factor=20, scale_factor=(0.85, 1.15)),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, data_root=data_root, split='train',
        bbox_mode='image', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, split='val',
        bbox_mode='image', test_mode=True, pipeline=val_pipeline))
test_dataloader = val_dataloader

# normalised by the outer-eye-corner distance (points 36 and 45)
val_evaluator = dict(type='NME', norm_mode='keypoint_distance',
                     keypoint_indices=[36, 45])
test_evaluator = val_evaluator
