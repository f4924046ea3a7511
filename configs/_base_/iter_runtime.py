# Runtime of iteration-based training (IterBasedTrainLoop: FSE, OpenPose's
# 600k iterations): default_runtime.py with checkpoints and the log
# processor counting iterations instead of epochs. A config inheriting it
# sets its schedule (train_cfg = dict(type='IterBasedTrainLoop', ...)) and
# the checkpoint interval in iterations.
_base_ = ['default_runtime.py']

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1000))
log_processor = dict(by_epoch=False)
