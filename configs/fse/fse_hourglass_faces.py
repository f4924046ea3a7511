# FSE on faces with a Stacked Hourglass detector instead of the small
# FSE net -- by config only: StackedHourglass(out_channels=K) gives K score
# maps per stack at 1/4 resolution (the depth-4 hourglass needs an input
# divisible by 64, hence 128x128 input and 32x32 maps) and LandmarkHead
# turns the last stack's maps into landmarks (loss_all_stages supervises
# every stack with the FSE losses, as intermediate supervision).
_base_ = ['../fse_faces.py']

num_keypoints = 30
input_size = (128, 128)

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding={{_base_.crop_fraction}}),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs'),
]
test_pipeline = train_pipeline[:-1] + [{{_base_.pack_with_identity}}]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    dataset=dict(fit=dict(pipeline=test_pipeline),
                 test=dict(pipeline=test_pipeline),
                 holdout=dict(pipeline=test_pipeline)))
test_dataloader = val_dataloader

model = dict(
    backbone=dict(_delete_=True, type='StackedHourglass', num_stacks=2,
                  num_channels=128, depth=4, num_blocks=1,
                  out_channels=num_keypoints),
    head=dict(num_keypoints=num_keypoints, input_size=input_size,
              loss_all_stages=True))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4))
