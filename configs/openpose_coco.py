# OpenPose (Cao et al., "Realtime Multi-Person 2D Pose Estimation using
# Part Affinity Fields", CVPR 2017) on COCO keypoints, the paper's setting
# and, where the paper is silent, its official code
# (ZheC/Realtime_Multi-Person_Pose_Estimation; file names below):
# - body model: 18 parts (COCO's 17 + the neck, the midpoint of both
#   labelled shoulders), 19 limbs (38 PAF maps) and a background confidence
#   map (kp_ext/datasets/metainfo/coco_openpose18.py); predictions go back to
#   COCO's 17 keypoints for evaluation (testing/evalCOCO.m);
# - network: VGG-19 conv1_1-conv4_2 (ImageNet weights) + conv4_3/4_4_CPM,
#   6 stages of two branches (stage 1: 3x 3x3 conv; stages 2-6: 5x 7x7
#   conv), intermediate supervision, masked L2 (Caffe's EuclideanLoss,
#   sum / 2N) on both branches of every stage (training/setLayers.py);
# - training: SGD, lr 4e-5, momentum 0.9, weight decay 5e-4, lr x0.333
#   every 136106 iterations, 600000 iterations of batch 10
#   (training/example_proto/pose_solver.prototxt); lr multipliers
#   lr_mult_distro = [1, 1, 4]: VGG and stage 1 x1, stages 2-6 x4, biases
#   x2 without weight decay (setLayers.py);
# - data: 368x368 crops centred on an annotated person (>= 5 keypoints,
#   area >= 32^2) scaled to 0.6 of the crop height x U(0.5, 1.1), rotated
#   U(-40, 40) degrees, centre moved U(-40, 40) px, flipped with p = 0.5,
#   grey (128) outside the image; crowds and people without keypoints
#   masked out of the loss (setLayers.py transform_param, genCOCOMask.m);
#   confidence maps exp(-d^2 / (2 * 7^2)) px, PAF width 1 map px (stride 8);
# - test: the MATLAB evaluation behind the paper's COCO numbers
#   (testing/evalCOCO.m, testing/src/applyModel.m, testing/config.m and
#   testing/src/connect56LineVec.m at its latest commit, "Update
#   connect56LineVec.m"; file:line below; the same values are
#   kp_ext.codecs.part_affinity_field.TEST_PROCEDURES['matlab_eval'],
#   checked by tests/models/test_openpose_paper_config.py):
#   scales {0.5, 1, 1.5, 2} x 368 / image height, each resized from the
#   original image, maps brought back to it and averaged; peaks without
#   smoothing, 4-neighbour maxima >= 0.1, 6 px suppression; 10 samples per
#   limb read at pixels, > 80 % above 0.05, mean of those + distance
#   prior; greedy matching; limb-by-limb subsets; people with >= 3 parts
#   and score / parts >= 0.2; COCO score = person score x its keypoints,
#   keypoints + 0.5 px; no flip. The procedure the config had before (the
#   Python demo's, as kp_ext had it: maps at the 368-high input, Gaussian
#   smoothing 3 px, >= 4 parts, >= 0.4) is TEST_PROCEDURES['python_demo'];
#   docs/PROTOCOLS.md compares the two.
# kp_ext's variant: configs/openpose/openpose_kpext_coco.py (17 parts, 29
# limbs, Hungarian grouping, flip test, Adam); the measured differences are
# in docs/PROTOCOLS.md.
#   python tools/train.py configs/openpose_coco.py
_base_ = ['_base_/iter_runtime.py', '_base_/datasets/coco_bottomup.py']

# ----------------------------------------------------------------- schedule
max_iters = 600000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=20000)
val_cfg = dict()
test_cfg = dict()
# lr_mult_distro = [1, 1, 4]: the refinement stages (Mconv*_stage2-6) learn
# 4x faster; every bias 2x faster and without weight decay. mmengine's
# custom keys override the bias rule, so the refinement biases get their
# own (longer, hence matched first) keys: 8x, no decay.
__refine = [f'head.{branch}_stages.{t}.'
            for branch in ('paf', 'cm') for t in range(1, 6)]
__refine_bias = [f'{r}{i}.conv.bias' for r in __refine
                 for i in range(6)] + [f'{r}6.bias' for r in __refine]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=4e-5, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(
        bias_lr_mult=2.0, bias_decay_mult=0.0,
        custom_keys={
            **{k: dict(lr_mult=4.0) for k in __refine},
            **{k: dict(lr_mult=8.0, decay_mult=0.0) for k in __refine_bias},
        }))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[136106, 272212, 408318, 544424], gamma=0.333),
]
default_hooks = dict(
    checkpoint=dict(interval=20000, max_keep_ckpts=3, save_best='coco/AP',
                    rule='greater'))

# -------------------------------------------------------------- body model
input_size = (368, 368)
# sigma 1.24 map px = the reference's exp(-d^2 / (2 * 7^2)) at stride 8.
# Grouping (decode) = the MATLAB evaluation; the maps it gets are at the
# original image's resolution (test_cfg below), so every length is in image
# px. ZheC = ZheC/Realtime_Multi-Person_Pose_Estimation; c56 =
# testing/src/connect56LineVec.m (latest version).
codec = dict(
    type='PartAffinityField', input_size=input_size, heatmap_size=(46, 46),
    sigma=1.24, limb_width=1.0, body_model='coco_openpose18.py',
    with_background=True,
    # peaks (c56:17, findPeaks c56:354-399): thre1 = 0.1 (testing/config.m:
    # 49), no Gaussian smoothing (c56:355-357), strict maximum over the
    # 4-neighbourhood of the map with values < thre1 zeroed (c56:358-373),
    # then every peak within 6 px (<=) of an earlier kept one, in MATLAB's
    # column-major scan order, dropped (c56:384-398)
    upsample=1.0, smooth_sigma=0.0, peak_threshold=0.1, peak_rule='cross4',
    peak_suppress_radius=6.0, refine=None,
    # limbs: mid_num = 10 samples (c56:120) of linspace rounded to pixels
    # (c56:127-132); projections > thre2 = 0.05 (config.m:50) counted and
    # averaged (p_sum / p_count), + min(H / 2 / length - 1, 0) with H the
    # map (= image) height (c56:23, 134-148); kept when > 0 and more than
    # 80 % of the samples are above thre2 (c56:151)
    num_samples=10, paf_threshold=0.05, min_above_fraction=0.8,
    distance_prior=0.5, paf_sampling='nearest', limb_score_mean='above',
    # greedy per limb by connection score (c56:160-186); people assembled
    # limb by limb in limbSeq order (c56:28, 188-245; the body model's
    # paf_limb_sequence), kept with >= 3 parts and score / parts >= 0.2
    # (c56:253; the first version of the file, like the Python demo, had
    # 4 and 0.4)
    matching='greedy', assembly='connect56', min_parts=3,
    min_score_per_part=0.2, min_mean_score=0.0,
    # COCO results (testing/evalCOCO.m): score = person score x number of
    # its keypoints (l. 45, 67), keypoint = 1-based pixel - 0.5 = 0-based
    # pixel + 0.5 (l. 61-62), a part not found at (0, 0) (l. 57)
    instance_score='total_x_parts', keypoint_offset=0.5,
    missing_keypoints='origin')

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
        loss=dict(type='PAFLoss', reduction='caffe'),
        decoder=codec),
    # scale0 = 368 / image height (evalCOCO.m:18); multiplier =
    # scale_search x scale0 (applyModel.m:52-53), scale_search = [0.5 1 1.5
    # 2] (config.m:48); each scale resized from the original image
    # (applyModel.m:69), padded with 128 (config.m:57) to 368 rows / a
    # multiple of 8 columns (padHeight), maps x8, unpadded, resized to the
    # image (applyModel.m:111-117) and averaged (applyModel.m:153-155); no
    # flip test
    test_cfg=dict(
        flip_test=False,
        multiscale_test=[0.5, 1.0, 1.5, 2.0],
        multiscale_resolution='image',
        multiscale_base_height=368,
        multiscale_pad_height=368,
        multiscale_pad_value=128))

# -------------------------------------------------------------------- data
# (configs/_base_/datasets/coco_bottomup.py; the pipelines are the paper's)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GenerateInvalidMask'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal',
         mask_keys=['invalid_mask']),
    dict(type='PersonCentredRandomAffine', input_size=input_size,
         target_dist=0.6, scale_range=(0.5, 1.1), scale_prob=1.0,
         rotate_factor=40, center_shift=40, min_keypoints=5,
         min_area=32 * 32, pad_val=128),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
# the image as it is: the estimator makes the scales from it (test_cfg)
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='BottomupResize', input_size=input_size, size_factor=8,
         resize_mode='none', pad_val=128),
    dict(type='PackPoseInputs'),
]

train_dataloader = dict(sampler=dict(type='InfiniteSampler'),
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader

# instance score = the grouping's person score; no OKS NMS (the reference
# evaluates its people as they are)
val_evaluator = dict(nms_mode='none')
test_evaluator = val_evaluator
