# Supervised mouse keypoints (snout, ears, tail base) with a small Stacked
# Hourglass on the DeepLabCut openfield frames in ../shared/data; frames are
# split by range (first 80% train, last 20% val), never at random.
_base_ = ['../_base_/default_runtime.py']

data_root = ('{{$KP_EXT_DATA:{{fileDirname}}/../../../shared/data}}'
             '/deeplabcut_examples/examples/openfield-Pranav-2018-10-30/')
ann_file = 'labeled-data/m4s1/CollectedData_Pranav.csv'

train_cfg = dict(by_epoch=True, max_epochs=150, val_interval=25)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01,
         by_epoch=False),
    dict(type='CosineAnnealingLR', begin=0, end=150, T_max=150,
         eta_min=1e-5, by_epoch=True),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=25, max_keep_ckpts=1,
                    save_best='PCK', rule='greater'))
randomness = dict(seed=0)

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
        num_blocks=1, out_channels=4),
    head=dict(
        type='MultiStageHeatmapHead', in_channels=4, out_channels=4,
        num_stages=2,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, shift_heatmap=False))

dataset_type = 'DeepLabCutDataset'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='RandomFlip', direction='horizontal'),
    # top view: any orientation is plausible
    dict(type='RandomBBoxTransform', rotate_factor=90, rotate_prob=0.8,
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
        type=dataset_type, data_root=data_root, ann_file=ann_file,
        split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file=ann_file,
        split='val', test_mode=True, pipeline=val_pipeline))
test_dataloader = val_dataloader

# PCK at 0.05 of the bbox (the key 'PCK', used to select checkpoints),
# 0.1 and 0.2 beside it, and the end-point error in image pixels: PCK@0.2
# alone is 1.0 for any decent model on these frames
val_evaluator = [
    dict(type='PCKAccuracy', thr=0.05, norm_item='bbox',
         extra_thrs=(0.1, 0.2)),
    dict(type='EPE'),
]
test_evaluator = val_evaluator
