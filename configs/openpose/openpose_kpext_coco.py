# OpenPose on COCO keypoints, kp_ext's variant of configs/openpose_coco.py
# (the paper's setting). Same network (VGG-19 front + 6-stage two-branch
# head, 368x368 input, stride 8, masked L2 on every stage, COCO with
# crowds masked, random flips). What it changes, each chosen
# on the ground-truth oracle or for CPU-scale training (measured effects:
# docs/PROTOCOLS.md, benchmarks/RESULTS_paf.md):
# - body model: COCO's 17 keypoints, no neck, 16 tree + 13 redundant limbs
#   (kp_ext/datasets/metainfo/coco.py, 58 PAF channels), no background
#   channel (the paper: 18 parts, 19 limbs, background);
# - grouping: Hungarian matching per limb, people of any size (min_parts=1,
#   mean peak score >= 0.2), sub-pixel peaks on the 46x46 maps (the paper:
#   greedy, >= 4 parts, score per part >= 0.4, peaks on maps upsampled to
#   the image);
# - test: the image fits in 368x368, one scale, flip test (the paper: height
#   368, scales {0.5, 1, 1.5, 2}, no flip);
# - training: Adam 1e-4 with warm-up and steps at epochs 70/90, loss
#   normalised per pixel (the paper: SGD 4e-5, refinement stages x4, Caffe
#   Euclidean loss), whole-image random affine (shift 0.2, scale 0.75-1.5,
#   rotation 40 degrees; the paper: 368 crops centred on a person).
#   python tools/train.py configs/openpose/openpose_kpext_coco.py
_base_ = ['../_base_/default_runtime.py',
          '../_base_/datasets/coco_bottomup.py']

# runtime: Adam (the PAFLoss is normalised per pixel, so the Caffe
# reference's lr 4e-5 on summed losses does not carry over)
max_epochs = 100
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-4), clip_grad=dict(max_norm=40.0))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001,
         by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=max_epochs, milestones=[70, 90],
         gamma=0.333, by_epoch=True),
]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3,
                    save_best='coco/AP', rule='greater'))
auto_scale_lr = dict(base_batch_size=10)

# codec: parts and limbs from the body model (kp_ext's COCO-17 model:
# 17 parts, 29 limbs, 58 PAF maps); the head takes its channel counts from
# it
input_size = (368, 368)
# sigma 1.24 map px = the reference's exp(-d^2 / (2 * 7^2)) at stride 8
codec = dict(
    type='PartAffinityField', input_size=input_size, heatmap_size=(46, 46),
    sigma=1.24, limb_width=1.0, body_model='coco.py')

model = dict(
    type='BottomupPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='OpenPoseVGG',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://vgg19')),
    head=dict(
        type='OpenPose2017Head',
        in_channels=128,
        num_stages=6,
        stage_channels=128,
        loss=dict(type='PAFLoss'),
        decoder=codec),
    test_cfg=dict(flip_test=True))

# data (configs/_base_/datasets/coco_bottomup.py): one sample per image
# with all its people; crowds and people without keypoints are masked
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GenerateInvalidMask'),
    dict(type='RandomFlip', direction='horizontal',
         mask_keys=['invalid_mask']),
    dict(type='BottomupRandomAffine', input_size=input_size,
         shift_factor=0.2, scale_factor=(0.75, 1.5), rotate_factor=40),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='BottomupResize', input_size=input_size, size_factor=8),
    dict(type='PackPoseInputs'),
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader

# OKS NMS removes duplicate fragments
val_evaluator = dict(nms_mode='oks_nms', nms_thr=0.9)
test_evaluator = val_evaluator
