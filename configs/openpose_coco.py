# OpenPose (Cao et al., CVPR 2017), the paper's setting on COCO keypoints:
# VGG-19 front end (conv1_1-conv4_2, ImageNet weights) + conv4_3/4_4_CPM,
# 6-stage two-branch head (PAFs + confidence maps), intermediate
# supervision, 368x368 input, stride 8 -> 46x46 maps, masked L2 loss
# (crowds and unlabelled people masked), bottom-up grouping by PAF line
# integrals. Flip test.
#   python tools/train.py configs/openpose_coco.py
_base_ = ['_base_/default_runtime.py']

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

# codec. COCO has no neck keypoint: the limbs are a spanning tree of the
# 17 COCO parts (16) plus redundant limbs (cycles bridging parts often
# unlabelled), as kp_ext.codecs.part_affinity_field's defaults, written out
# so that the head's channel count is fixed here: 29 limbs, 58 PAF maps.
__limbs = [(5, 6), (5, 11), (6, 12), (5, 7), (7, 9), (6, 8), (8, 10),
         (11, 13), (13, 15), (12, 14), (14, 16), (5, 0), (0, 1), (0, 2),
         (1, 3), (2, 4)]
__redundant_limbs = [(11, 12), (6, 0), (5, 3), (6, 4), (5, 9), (6, 10),
                   (11, 15), (12, 16), (7, 11), (8, 12), (13, 14), (5, 1),
                   (6, 2)]
num_limbs = 29
input_size = (368, 368)
# sigma 1.24 map px = the reference's exp(-d^2 / (2 * 7^2)) at stride 8
codec = dict(
    type='PartAffinityField', input_size=input_size, heatmap_size=(46, 46),
    sigma=1.24, limb_width=1.0, limbs=__limbs,
    redundant_limbs=__redundant_limbs)

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
        type='PartAffinityFieldHead',
        in_channels=128,
        num_keypoints=17,
        num_limbs=num_limbs,
        arch='2017',
        num_stages=6,
        stage_channels=128,
        loss=dict(type='PAFLoss'),
        decoder=codec),
    test_cfg=dict(flip_test=True))

# data: one sample per image with all its people (bottom-up); crowds and
# people without keypoints become the invalid mask
dataset_type = 'CocoDataset'
data_mode = 'bottomup'
data_root = 'data/coco/'
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

train_dataloader = dict(
    batch_size=10,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# instance score = the grouping's person score (pred_instances.scores /
# bbox_scores); OKS NMS removes duplicate fragments
val_evaluator = dict(
    type='CocoKeypointMetric',
    ann_file=data_root + 'annotations/person_keypoints_val2017.json',
    score_mode='bbox', nms_mode='oks_nms', nms_thr=0.9)
test_evaluator = val_evaluator
