# kp_ext's variant of the Stacked Hourglass MPII recipe (not the paper's).
# Same network, data, flip test and evaluation as ../hourglass_mpii.py; it
# changes only:
# - target: untruncated Gaussian of sigma 1 heatmap px on the exact
#   (sub-pixel) joint position, not the official 7x7 block of std 1.75 px
#   on the joint's pixel;
# - decode: exact log-parabola fit ('gaussian_log'), not the quarter offset;
# - loss: masked (missing and out-of-crop joints get weight 0), not an
#   all-zero target;
# - augmentation: MMPose's truncated-normal sampling (scale 1 + 0.25 t,
#   rotation 30 t deg on 60 % of the samples, t ~ TN(0, 1, [-1, 1])), no
#   colour scaling;
# - input normalised with ImageNet mean/std, not [0, 1];
# - schedule: 500-iteration linear warm-up and two drops (x0.2 at epochs 170
#   and 200, MMPose's hourglass schedule) instead of one.
_base_ = ['../hourglass_mpii.py']

codec = dict(
    type='GaussianHeatmap', input_size=(256, 256), heatmap_size=(64, 64),
    sigma=1.0)

model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375]),
    head=dict(
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=dict(_delete_=True, **codec)))

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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001,
         by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=210, milestones=[170, 200],
         gamma=0.2, by_epoch=True),
]
