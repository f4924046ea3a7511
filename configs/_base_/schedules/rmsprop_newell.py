# Newell et al. 2016: RMSprop, learning rate 2.5e-4, dropped (x0.2) on
# plateau; we drop at fixed epochs (MMPose's hourglass schedule).
optim_wrapper = dict(optimizer=dict(type='RMSprop', lr=2.5e-4))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001,
         by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=210, milestones=[170, 200],
         gamma=0.2, by_epoch=True),
]
train_cfg = dict(by_epoch=True, max_epochs=210, val_interval=10)
val_cfg = dict()
test_cfg = dict()
# batch 6 per GPU in the paper's code
auto_scale_lr = dict(base_batch_size=6)
