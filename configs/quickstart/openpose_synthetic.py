# Quickstart, bottom-up: a tiny OpenPose (narrow VGG front end with batch
# norm + a small 2019-style head: 2 PAF stages then 1 confidence-map stage)
# trained from scratch on the project's synthetic crowds (1-4 people per
# 192x192 image, no files needed). Trained on synthetic people only: it
# does not find people in real photos.
# CPU-friendly (~10 minutes on 2 cores).
#   python tools/quickstart_openpose.py   (or: python tools/train.py THIS)
# What it changes from the paper (each measured in benchmarks/RESULTS_paf.md,
# "Quickstart ablations"), for a model that learns in CPU minutes:
# - the 192 px crowds are fed at 128x128 and the backbone keeps stride 4
#   (OpenPoseVGG num_pools=2): 32x32 maps, people 13-26 cells tall;
#   tested at 160x160 (40x40 maps; the fully convolutional net takes it);
# - confidence maps weighted 5x in the loss (loss_heatmap): with the
#   'pixel' reduction the 52 PAF channels otherwise dominate;
# - forward under bf16 autocast on the CPU (BF16OptimWrapper, 1.7x faster
#   steps where the CPU has native bf16, e.g. avx512_bf16/AMX; slower
#   elsewhere: --cfg-options optim_wrapper.type=OptimWrapper);
# - NHWC activations (OpenPoseVGG channels_last) and each training crowd
#   rendered once and kept in memory (cache_renders, ~110 kB per crowd);
# - 2,400 distinct training crowds, 7 epochs of batch 4 (more updates for
#   the same samples than batch 16), Adam 3e-3 with warm-up and cosine
#   decay, flip test.
_base_ = ['../_base_/default_runtime.py']

# runtime
max_epochs = 7
train_cfg = dict(by_epoch=True, max_epochs=max_epochs,
                 val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(
    type='BF16OptimWrapper',
    optimizer=dict(type='Adam', lr=3e-3), clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=40, start_factor=0.05,
         by_epoch=False),
    dict(type='CosineAnnealingLR', begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=1e-4, by_epoch=True),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=max_epochs,
                    max_keep_ckpts=1,
                    save_best='coco/AP', rule='greater'))
randomness = dict(seed=0)

# codec: 128x128 input -> 32x32 maps (stride 4). Body model
# kp_ext/datasets/metainfo/coco_paf26.py: COCO-17, the spanning tree (16)
# and 10 redundant limbs (cycles that keep people whole when a part is
# missing), 26 limbs = 52 PAF channels; the head takes its channel
# counts from the codec
body_model = 'coco_paf26.py'
input_size = (128, 128)
# test input: the 192 px crowds at 160x160 (40x40 maps): people 1.25x
# larger than at the training input, inside the training scales (0.8-1.25)
test_input_size = (160, 160)
codec = dict(
    type='PartAffinityField', input_size=input_size, heatmap_size=(32, 32),
    sigma=1.5, limb_width=1.5, body_model=body_model,
    min_parts=3)

model = dict(
    type='BottomupPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='OpenPoseVGG', widths=(16, 32, 48, 64, 48, 32),
        num_convs=(1, 1, 2, 2), num_pools=2, norm_cfg=dict(type='BN'),
        channels_last=True),
    head=dict(
        type='OpenPose2019Head',
        in_channels=32,
        num_paf_stages=2,
        num_cm_stages=1,
        num_dense_blocks=3,
        stage_channels=32,
        mid_channels=64,
        norm_cfg=dict(type='BN'),
        loss=dict(type='PAFLoss'),
        loss_heatmap=dict(type='PAFLoss', loss_weight=5.0),
        decoder=codec),
    test_cfg=dict(flip_test=True))

dataset_type = 'SyntheticCrowdDataset'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GenerateInvalidMask'),
    dict(type='RandomFlip', direction='horizontal',
         mask_keys=['invalid_mask']),
    dict(type='BottomupRandomAffine', input_size=input_size,
         shift_factor=0.1, scale_factor=(0.8, 1.25), rotate_factor=20),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='BottomupResize', input_size=test_input_size, size_factor=8),
    dict(type='PackPoseInputs'),
]
crowd = dict(img_size=(192, 192), num_people=(1, 4),
             scale_range=(0.4, 0.8), occlusion_prob=0.2)

train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, num_samples=2400, seed=0, cache_renders=True,
        pipeline=train_pipeline,
        **crowd))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, num_samples=100, seed=12345, test_mode=True,
        pipeline=val_pipeline, **crowd))
test_dataloader = val_dataloader

# ground truth from the samples (raw_ann_info); the instance score of the
# grouping ranks the people
val_evaluator = dict(type='CocoKeypointMetric', ann_file=None,
                     score_mode='bbox', nms_mode='oks_nms', nms_thr=0.9)
test_evaluator = val_evaluator
