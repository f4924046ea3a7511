# OpenPose BODY_25 (Cao et al., TPAMI 2019; CMU openpose's default model):
# the 2019 network (PAF stages first) with the 25-part body model
# kp_ext/datasets/metainfo/body25.py (COCO-17 + neck + mid-hip + 6 foot
# points; 24 + 2 limbs, 52 PAF channels), trained on COCO with the
# COCO-WholeBody foot annotations.
# What is the paper's / the released model's here (sources cited in
# docs/PROTOCOLS.md, "OpenPose BODY_25"):
# - head: the released BODY_25 prototxt (models/pose/body_25/
#   pose_deploy.prototxt): 4 PAF stages then 2 confidence-map stages, widths
#   96 / 128 / 128 / 128 / 96 / 128 with 1x1 widths 256 / 512 / ..., PReLU,
#   26 confidence maps (25 parts + background: with_background);
# - grouping thresholds: openpose's defaults (poseParameters.cpp,
#   getPoseDefault*: peaks > 0.05, PAF score > 0.05 on >= 95 % of the
#   samples, >= 3 parts and >= 0.4 score per part per person), limbs
#   assembled person by person in openpose's pair order (paf_limb_sequence)
#   on maps upsampled x8 to the input;
# - evaluation: COCO AP on the 17 COCO keypoints and foot AP with
#   COCO-WholeBody's foot sigmas (CocoBodyFootMetric, xtcocotools).
# What is kp_ext's (no source for the paper's BODY_25 value): the training
# schedule, augmentation and input handling of
# configs/openpose/openpose_kpext_coco.py (Adam, 368x368, flip test), the
# foot annotations (COCO-WholeBody's, CocoFootDataset; the authors' own
# foot file is foot_layout='cmu_foot'), 10 samples per limb.
#   python tools/train.py configs/openpose/openpose2019_body25_coco.py
_base_ = ['openpose2019_coco.py']

# the base's codec (368x368 input, 46x46 maps, sigma, limb width) with
# BODY_25 and openpose's grouping
codec = dict(
    _base_.codec, body_model='body25.py', with_background=True,
    upsample=8.0, peak_threshold=0.05, paf_threshold=0.05,
    min_above_fraction=0.95, matching='greedy', assembly='connect56',
    min_parts=3, min_score_per_part=0.4, min_mean_score=0.0)

model = dict(
    head=dict(
        num_paf_stages=4,
        num_cm_stages=2,
        stage_channels=[96, 128, 128, 128, 96, 128],
        mid_channels=[256, 512, 512, 512, 256, 512],
        decoder=codec))

# the base's pipelines; training targets from this codec
train_pipeline = [
    dict(t, encoder=codec) if t.type == 'GenerateTarget' else t
    for t in _base_.train_pipeline]

# COCO-WholeBody (docs/DATASETS.md#coco-wholebody-feet), in the COCO folder
data_root = '{{$KP_EXT_DATA:{{fileDirname}}/../../data}}/coco/'
train_dataloader = dict(dataset=dict(
    type='CocoFootDataset', foot_layout='wholebody',
    ann_file='annotations/coco_wholebody_train_v1.0.json',
    pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    type='CocoFootDataset', foot_layout='wholebody',
    ann_file='annotations/coco_wholebody_val_v1.0.json'))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoBodyFootMetric',
    ann_file=data_root + 'annotations/coco_wholebody_val_v1.0.json')
test_evaluator = val_evaluator
