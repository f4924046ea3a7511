# FSE ablation row (benchmarks/RESULTS_fse.md): configs/fse_faces.py with
# a 64x64 network input instead of 96x96 (same crop, 16x16 maps)
_base_ = ['../../configs/fse_faces.py']
input_size = (64, 64)
_affine = dict(type='TopdownAffine', input_size=input_size)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding={{_base_.crop_fraction}}),
    _affine,
    dict(type='PackPoseInputs'),
]
test_pipeline = train_pipeline[:-1] + [{{_base_.pack_with_identity}}]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(fit=dict(pipeline=test_pipeline),
                                   test=dict(pipeline=test_pipeline),
                                   holdout=dict(pipeline=test_pipeline)))
test_dataloader = val_dataloader
model = dict(head=dict(input_size=input_size))
