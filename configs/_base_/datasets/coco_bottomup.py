# COCO keypoints, bottom-up: one sample per image with all its people;
# crowds and people without keypoints become the invalid mask.
# $KP_EXT_DATA/coco/, default <repo>/data/coco/ (configs/README.md,
# docs/DATASETS.md#coco-keypoints). A config adds its pipelines:
#   train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
#   val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
dataset_type = 'CocoDataset'
data_mode = 'bottomup'
data_root = '{{$KP_EXT_DATA:{{fileDirname}}/../../../data}}/coco/'

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
        data_prefix=dict(img='train2017/')))
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
        test_mode=True))
test_dataloader = val_dataloader

# instance score = the grouping's person score (pred_instances.scores /
# bbox_scores)
val_evaluator = dict(
    type='CocoKeypointMetric',
    ann_file=data_root + 'annotations/person_keypoints_val2017.json',
    score_mode='bbox')
test_evaluator = val_evaluator
