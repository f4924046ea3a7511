# Factorized Spatial Embeddings (Thewlis, Bilen & Vedaldi, ICCV 2017) on
# faces, kp_ext's VARIANT for CPU-hour budgets: YouTube-Faces frames with
# 68 annotated points (../shared/data/youtube_faces_68lm_udacity), split BY
# IDENTITY (the regressor is evaluated on identities never seen in
# training). The paper setting is configs/fse/fse_paper_celeba.py; same
# K = 30, losses (probabilistic alignment + "sum minus max" diversity,
# 1 : 1), Adam 1e-3 and batch 32. What this variant changes:
# - data: the shared 68-point faces instead of CelebA / MAFL; a centred
#   square of 0.6 x the frame's shorter side resized to 96x96
#   (bbox_mode='center_square' + padding 0.6; no annotation is used to
#   crop); 15 % of the training identities held out for selection;
# - net: FSEConvNet arch='fast' (stride-2 stem, dilated 3x3 convs, output
#   stride 4, ~15x the paper net's throughput) with reflect padding;
# - warps: stronger TPS (sigma 0.06, rotation 30 deg, scale 0.85-1.15,
#   translation 0.1) filled by reflection;
# - evaluation: the kp_ext protocol of LandmarkRegressionMetric (all 68
#   points, ridge alpha chosen by identity-grouped CV, bias, NME in % of
#   the OUTER-EYE-CORNER distance; NME_5pt = the 5 MAFL points with that
#   same normaliser, not the literature's eye-centre one; the second
#   metric reports the literature's protocol, NME_mafl, beside it);
# - checkpoint chosen by NME_holdout, an EMA of the weights evaluated;
#   6,000 iterations.
_base_ = ['_base_/iter_runtime.py']

num_keypoints = 30          # K (paper: 10 / 30 / 50)
input_size = (96, 96)       # (w, h) network input
# $KP_EXT_DATA, default the development machine's ../shared/data beside
# the repository (configs/README.md)
data_root = ('{{$KP_EXT_DATA:{{fileDirname}}/../../shared/data}}'
             '/youtube_faces_68lm_udacity/')
dataset_type = 'FaceLandmarkCSVDataset'
crop_fraction = 0.6

train_pipeline = [
    dict(type='LoadImage'),                       # RGBA/grey -> BGR
    # centred square of 0.6 x min(W, H): the faces fill ~3/4 of the width
    # (the whole frame, black bars included, gave 21-30 % NME: README)
    dict(type='GetBBoxCenterScale', padding=crop_fraction),
    dict(type='TopdownAffine', input_size=input_size),  # resize to 96x96
    dict(type='PackPoseInputs'),
]
# + 'identity': the regression metric's CV folds group by identity
pack_with_identity = dict(
    type='PackPoseInputs',
    meta_keys=('id', 'img_id', 'img_path', 'ori_shape', 'img_shape',
               'input_size', 'input_center', 'input_scale', 'dataset_name',
               'identity'))
test_pipeline = train_pipeline[:-1] + [pack_with_identity]

# 'val' = the 20 held-back identities of the supervised face config;
# 'holdout' = 15 % of the other identities, kept out of training as well:
# checkpoints are selected by the regression error there (NME_holdout),
# never by the held-back identities
holdout_fraction = 0.15
_split = dict(type=dataset_type, data_root=data_root,
              bbox_mode='center_square',
              val_fraction=0.2, split_seed=0,
              holdout_fraction=holdout_fraction)
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**_split, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='RegressionSplitDataset',
        fit=dict(**_split, split='train', pipeline=test_pipeline,
                 test_mode=True),
        test=dict(**_split, split='val', pipeline=test_pipeline,
                  test_mode=True),
        holdout=dict(**_split, split='holdout', pipeline=test_pipeline,
                     test_mode=True)))
test_dataloader = val_dataloader
# ridge alpha (box-normalised units) chosen among these by 5-fold
# cross-validation on the fit split, folds grouped by identity (the test
# identities play no part in the choice)
# + the literature's protocol on the same predictions (NME_mafl*: 5
# points, least squares without bias, eye-centre normaliser)
val_evaluator = [
    dict(type='LandmarkRegressionMetric',
         alpha=[1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1.0],
         cv_folds=5, group_key='identity'),
    dict(type='LandmarkRegressionMetric', protocol='mafl'),
]
test_evaluator = val_evaluator

model = dict(
    type='UnsupervisedLandmarkEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor', mean=[127.5, 127.5, 127.5],
        std=[64.0, 64.0, 64.0], bgr_to_rgb=True),
    backbone=dict(type='FSEConvNet', out_channels=num_keypoints,
                  arch='fast',    # 'paper' = the original (slower) net
                  # zero padding lets the maps sit at fixed image
                  # positions; reflect padding forces them onto content
                  padding_mode='reflect'),
    head=dict(
        type='LandmarkHead',
        num_keypoints=num_keypoints,
        input_size=input_size,
        beta=1.0,
        # the paper's expectation form: also penalises the maps' spread
        loss_equivariance=dict(type='EquivarianceLoss',
                               mode='probabilistic', loss_weight=1.0),
        loss_diversity=dict(type='DiversityLoss', mode='linear',
                            normalize=True, loss_weight=1.0)),  # diversity
    # strong warps (weaker ones let maps settle at fixed image positions);
    # reflection fill: black borders are a position cue
    warp=dict(type='TPSWarp', num_ctrl=5, ctrl_sigma=0.06, rotation=30.0,
              scale=(0.85, 1.15), translation=0.1,
              padding_mode='reflection'))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=6000,
                 val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    # keep the checkpoint that regresses best on the holdout identities
    checkpoint=dict(interval=1000, save_best='NME_holdout', rule='less'))
custom_hooks = [
    dict(type='LandmarkCollapseHook', interval=50, radius=2.0),
    # evaluate (and checkpoint) an exponential moving average of the
    # weights, BatchNorm statistics included: decay 0.995, i.e. a horizon
    # of ~200 iterations. The landmark layout wanders between nearby
    # iterations; the average is steadier and regresses ~1 point better
    # (benchmarks/RESULTS_fse.md). Much longer horizons (0.999)
    # average layouts that differ and lag far behind.
    dict(type='PersistentEMAHook', ema_type='ExponentialMovingAverage',
         momentum=0.005, update_buffers=True),
]
randomness = dict(seed=0)
