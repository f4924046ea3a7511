# kp_ext's real-time bottom-up network (issue 22), the one place it is
# written: DilatedSeparableNet + LightPAFHead (what each layer is, why, and
# what it changes from Lightweight OpenPose, Osokin 2018:
# configs/openpose/openpose_realtime_coco.py's header).
# Not a config by itself, and not listed in `_base_`: the configs that use
# it inherit a complete config that has a `model` of its own (mmengine
# refuses two bases that define the same key), so they read this file with
# Config.fromfile and put its backbone and head in place of their base's,
# adding the head's decoder (their codec) and what differs:
# - configs/openpose/openpose_realtime_coco.py: as written (stride 8);
# - configs/quickstart/openpose_realtime_synthetic.py: the last separable
#   layer keeps stride 1 (output stride 4).
model = dict(
    backbone=dict(
        type='DilatedSeparableNet',
        stem_channels=32,
        arch=((64, 1), (128, 2), (128, 1), (192, 2)),
        dilations=(1, 2, 5, 1, 2, 5),
        out_channels=128,
        channels_last=True),
    head=dict(
        type='LightPAFHead',
        in_channels=128,
        num_stages=2,
        stage_channels=128,
        dilations=(1, 2, 4),
        mid_channels=128,
        loss=dict(type='PAFLoss'),
        loss_heatmap=dict(type='PAFLoss', loss_weight=5.0)))
