# Quickstart: Factorized Spatial Embeddings (Thewlis et al., ICCV 2017) on
# the built-in synthetic deformable faces (no files needed, CPU friendly).
#
# FSE learns K landmarks from images alone (equivariance to random TPS warps
# + diversity); the 10 rendered ground-truth points are used only for the
# evaluation protocol: a linear regressor from the K landmarks to the 10
# points is fitted on a "fit" split (seed 1) and tested on a "test" split
# (seed 2). Input 64x64, K=16, FSEConvNet 'fast', Adam 1e-3, batch 16,
# 1000 iterations = 16k pairs (about 7 min at the 0.4 s/iteration seen on
# 2 lightly loaded cores; 43 min were measured on a heavily shared machine).
# Stated result (tools/quickstart_fse.py, see benchmarks/RESULTS_fse.md):
# regression NME ~15% of the inter-eye distance (measured 15.2%) against a
# mean-shape baseline of 40.6%.
_base_ = ['../_base_/iter_runtime.py']

num_keypoints = 16          # K discovered landmarks
input_size = (64, 64)       # (w, h); rendered at this size, identity crop

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs'),
]
test_pipeline = train_pipeline

dataset_type = 'SyntheticDeformableDataset'
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, num_samples=16000, img_size=input_size,
                 seed=0, pipeline=train_pipeline))
_eval_dataset = dict(
    type='RegressionSplitDataset',
    fit=dict(type=dataset_type, num_samples=400, img_size=input_size,
             seed=1, pipeline=test_pipeline, test_mode=True),
    test=dict(type=dataset_type, num_samples=300, img_size=input_size,
              seed=2, pipeline=test_pipeline, test_mode=True))
val_dataloader = dict(
    batch_size=50,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_eval_dataset)
test_dataloader = val_dataloader
val_evaluator = dict(type='LandmarkRegressionMetric')
test_evaluator = val_evaluator

model = dict(
    type='UnsupervisedLandmarkEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor', mean=[127.5, 127.5, 127.5],
        std=[64.0, 64.0, 64.0], bgr_to_rgb=True),
    backbone=dict(type='FSEConvNet', out_channels=num_keypoints,
                  arch='fast'),
    head=dict(
        type='LandmarkHead',
        num_keypoints=num_keypoints,
        input_size=input_size,
        beta=1.0,
        loss_equivariance=dict(type='EquivarianceLoss', loss_weight=1.0),
        loss_diversity=dict(type='DiversityLoss', mode='linear',
                            normalize=True, loss_weight=1.0)),
    warp=dict(type='TPSWarp', num_ctrl=5, ctrl_sigma=0.04, rotation=15.0,
              scale=(0.9, 1.1), translation=0.05))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000,
                 val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(checkpoint=dict(interval=1000))
custom_hooks = [dict(type='LandmarkCollapseHook', interval=50, radius=1.5)]
randomness = dict(seed=0)
