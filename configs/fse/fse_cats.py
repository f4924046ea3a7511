# FSE on cat heads (CAT dataset sample, ../shared/data/cat_dataset_sample):
# the box is the 9 annotated points grown by bbox_margin then padded by
# GetBBoxCenterScale (cat photos are not face crops), resized to 96x96.
# K=10 landmarks; the regression protocol maps them to the 9 annotated
# points (normalised by the eye distance, the metainfo's norm_indices).
# The shared sample has only 24 images: this is a smoke/demo setting, the
# split is by image prefix (same cat on one side).
_base_ = ['../fse_faces.py']

num_keypoints = 10
input_size = (96, 96)
data_root = ('{{$KP_EXT_DATA:{{fileDirname}}/../../../shared/data}}'
             '/cat_dataset_sample/dataset/cats/')  # configs/README.md
dataset_type = 'CatDataset'

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs'),
]
test_pipeline = train_pipeline
_split = dict(type=dataset_type, data_prefix=dict(img=data_root),
              split_by='prefix', val_fraction=0.25, split_seed=0,
              bbox_margin=0.1)
train_dataloader = dict(
    batch_size=8,
    dataset=dict(_delete_=True, **_split, split='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(
        _delete_=True,
        type='RegressionSplitDataset',
        fit=dict(**_split, split='train', pipeline=test_pipeline,
                 test_mode=True),
        test=dict(**_split, split='val', pipeline=test_pipeline,
                  test_mode=True)))
test_dataloader = val_dataloader
# few fit images for 2K inputs: a stronger ridge
# replaces the base's pair of metrics (the MAFL protocol is for faces)
val_evaluator = dict(_delete_=True, type='LandmarkRegressionMetric',
                     alpha=1e-2)
test_evaluator = val_evaluator
# no holdout split for the cats: keep the latest checkpoints only
default_hooks = dict(checkpoint=dict(save_best=None))

model = dict(
    backbone=dict(out_channels=num_keypoints),
    head=dict(num_keypoints=num_keypoints, input_size=input_size))
train_cfg = dict(max_iters=2000, val_interval=500)
