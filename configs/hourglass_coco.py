# Stacked Hourglass, top-down on COCO keypoints (MMPose's hourglass
# setting: 256x256 crops, 64x64 heatmaps, Adam 5e-4, 210 epochs).
# Evaluation follows the COCO top-down protocol of MMPose and the papers
# (docs/PROTOCOLS.md): val/test crops come from person detections
# (bbox_file, the detector of HRNet/MMPose: AP 56.4 on COCO val person),
# every detection kept, predictions rescored by box score x mean keypoint
# score above 0.2 and OKS-NMS'ed at 0.9. Ground-truth boxes instead:
# configs/hourglass/hourglass_coco_gt_bbox.py.
_base_ = ['./_base_/default_runtime.py']

train_cfg = dict(by_epoch=True, max_epochs=210, val_interval=10)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001,
         by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=210, milestones=[170, 200],
         gamma=0.1, by_epoch=True),
]
auto_scale_lr = dict(base_batch_size=256)
default_hooks = dict(checkpoint=dict(save_best='coco/AP', rule='greater'))

codec = dict(
    type='GaussianHeatmap', input_size=(256, 256), heatmap_size=(64, 64),
    sigma=2)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='StackedHourglass', num_stacks=8, num_channels=256, depth=4,
        num_blocks=1, out_channels=17),
    head=dict(
        type='MultiStageHeatmapHead', in_channels=17, out_channels=17,
        num_stages=8,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, shift_heatmap=False))

dataset_type = 'CocoDataset'
data_mode = 'topdown'
# $KP_EXT_DATA/coco/, default <repo>/data/coco/ (configs/README.md)
data_root = '{{$KP_EXT_DATA:{{fileDirname}}/../data}}/coco/'

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
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
    batch_size=32,
    num_workers=2,
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
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_val2017.json',
        # person detections (COCO results json) from MMPose's / HRNet's
        # COCO download; every detection is kept (MMPose: no threshold,
        # MMPose 0.x det_bbox_thr=0.0, HRNet IMAGE_THRE 0.0)
        bbox_file='person_detection_results/'
        'COCO_val2017_detections_AP_H_56_person.json',
        filter_cfg=dict(bbox_score_thr=0.0),
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# MMPose CocoMetric defaults, written out: they are part of the protocol
val_evaluator = dict(
    type='CocoKeypointMetric',
    ann_file=data_root + 'annotations/person_keypoints_val2017.json',
    score_mode='bbox_keypoint',
    keypoint_score_thr=0.2,
    nms_mode='oks_nms',
    nms_thr=0.9)
test_evaluator = val_evaluator
