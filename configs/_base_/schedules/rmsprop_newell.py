# Newell et al. 2016 (Sec. 5, training details): RMSprop, learning rate
# 2.5e-4, dropped once by a factor of 5 after validation accuracy plateaus;
# no warm-up. The official code (pose-hg-train src/opts.lua: -LR 2.5e-4,
# -alpha 0.99, -epsilon 1e-8, momentum 0, weight decay 0 = torch's RMSprop
# defaults) has no scheduler: the drop is made by hand (README, -branch with
# a new -LR). A fixed epoch stands in for "after the plateau": epoch 170 of
# 210, where MMPose's hourglass schedule first drops.
optim_wrapper = dict(optimizer=dict(type='RMSprop', lr=2.5e-4))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=210, milestones=[170],
         gamma=0.2, by_epoch=True),
]
train_cfg = dict(by_epoch=True, max_epochs=210, val_interval=10)
val_cfg = dict()
test_cfg = dict()
# batch 6 per GPU in the paper's code (src/opts.lua -trainBatch 6)
auto_scale_lr = dict(base_batch_size=6)
