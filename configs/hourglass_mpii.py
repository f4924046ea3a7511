# Stacked Hourglass (Newell et al., ECCV 2016) on MPII, the paper's setting
# and, where the paper is silent, its official code (princeton-vl/
# pose-hg-train): 8 stacks, 256 channels, 256x256 input, 64x64 heatmaps,
# RMSprop 2.5e-4 dropped once (x0.2), flip test, the official decode
# (quarter pixel, whole image pixels), PCKh@0.5. Every setting and its
# source: docs/PROTOCOLS.md.
# kp_ext's improved recipe: configs/hourglass/hourglass_mpii_kpext.py.
_base_ = [
    './_base_/default_runtime.py',
    './_base_/schedules/rmsprop_newell.py',
    './_base_/datasets/mpii.py',
]

# the MPII protocol's score: the "Mean" column of MPII tables (all joints
# but pelvis and thorax, official evaluatePCKh.m), not the all-16 'PCKh'
default_hooks = dict(
    checkpoint=dict(save_best='PCKh/Mean', rule='greater'))

# the official target (src/util/img.lua drawGaussian(.., 1)): torch's
# image.gaussian(7), a 7x7 block of std 0.25 * 7 = 1.75 px on the heatmap
# pixel holding the joint (the paper says "1 px std", the code's size
# argument); decode 'pose_hg_train', the official post-processing: argmax
# (src/util/eval.lua getPreds) + a quarter pixel towards the higher
# neighbour when the argmax is interior on both axes, +0.5 (src/util/
# pose.lua postprocess, lines 86-97), mapped back to the image and
# truncated to a whole pixel (src/util/img.lua transformPreds/transform:
# +1e-4, :int()); kp_ext's variants keep sub-pixel decodes
codec = dict(
    type='GaussianHeatmap', input_size=(256, 256), heatmap_size=(64, 64),
    sigma=1.75, window=7, integer_center=True, refine='pose_hg_train')

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        # the official network sees RGB in [0, 1] (torch image.load), no
        # mean/std normalisation
        mean=[0., 0., 0.],
        std=[255., 255., 255.],
        bgr_to_rgb=True),
    backbone=dict(
        type='StackedHourglass', num_stacks=8, num_channels=256, depth=4,
        num_blocks=1, out_channels=16),
    head=dict(
        type='MultiStageHeatmapHead', in_channels=16, out_channels=16,
        num_stages=8,
        # plain MSE over all joints of all stacks (nn.MSECriterion per stack,
        # summed): missing / out-of-crop joints are supervised with an
        # all-zero target, not masked
        loss=dict(type='KeypointMSELoss', use_target_weight=False),
        decoder=codec),
    # src/train.lua: average the heatmaps of the image and of its mirror
    # (flipped back, joints swapped), no shift
    test_cfg=dict(flip_test=True, shift_heatmap=False))

# augmentation of the official code (src/util/pose.lua generateSample): no
# shift; scale 2^clip(N(0, .25), +-.5); rotation clip(N(0, 30), +-60) deg on
# 40 % of the samples; flip with p = 0.5; each colour channel x U(0.6, 1.4)
# (the paper: "rotation (+/- 30 degrees), and scaling (.75-1.25)")
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', noise='clipped_normal', shift_prob=0,
         scale_mode='log2', scale_factor=0.25, rotate_factor=30,
         rotate_prob=0.4),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RandomChannelScale', factor_range=(0.6, 1.4)),
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
        # (docs/PROTOCOLS.md)
        headbox_file='annotations/mpii_gt_val.mat',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# PCKh@0.5; the reported number is 'PCKh/Mean' (+ the per-joint table and
# 'PCKh/Mean@0.1'), docs/PROTOCOLS.md
val_evaluator = dict(type='MpiiPCKAccuracy', thr=0.5)
test_evaluator = val_evaluator
