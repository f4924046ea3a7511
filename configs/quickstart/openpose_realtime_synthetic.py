# Quickstart of the real-time bottom-up config
# (configs/openpose/openpose_realtime_coco.py: DilatedSeparableNet +
# LightPAFHead) on the project's synthetic crowds, with the data, codec,
# optimiser and evaluation of configs/quickstart/openpose_synthetic.py
# (1-4 people per 192x192 image fed at 128x128, tested at 160x160, 32x32
# maps in training, 2,400 crowds, Adam 3e-3 + warm-up + cosine, bf16
# autocast, flip test; no files needed) and a schedule of its own (4
# epochs of batch 8, below). Trained on synthetic people only: it does not
# find people in real photos. Target: COCO AP >= 0.55 on the 100 held-out
# crowds in 10 minutes on 2 cores (measured: README, "Real-time").
#   python tools/quickstart_openpose.py \
#       --config configs/quickstart/openpose_realtime_synthetic.py
# What it changes from the real-time COCO config, for small inputs:
# - output stride 4 (the last separable layer keeps stride 1; the dilated
#   units then run at 32x32), as the bottom-up quickstart's stride 4;
# - the quickstart's body model and codec (coco_paf26.py: COCO-17 with 26
#   limbs; sigma 1.5, limb width 1.5) instead of the COCO config's
#   coco.py (29 limbs);
# - flip test (openpose_synthetic.py's; the COCO config runs one pass).
_base_ = ['./openpose_synthetic.py']
from mmengine.config import Config as __Config

# the real-time network (configs/_base_/models/openpose_realtime.py, read
# as the COCO config reads it) with output stride 4: its last separable
# layer keeps stride 1; the flip test is the base's
__net = __Config.fromfile(
    '{{fileDirname}}/../_base_/models/openpose_realtime.py').model
model = dict(
    backbone=dict(
        __net.backbone, _delete_=True,
        arch=__net.backbone.arch[:-1] + ((__net.backbone.arch[-1][0], 1), )),
    head=dict(__net.head, _delete_=True, decoder={{_base_.codec}}))

# schedule: the network costs ~2.2x the base's per training sample on a CPU
# (fwd + bwd, batch 8 at 128 px, 2 threads: 329 vs 153 ms; its depthwise
# convolutions are cheap at inference, not in backward), so it trains 4
# epochs of batch 8 where the base trains 7 of batch 4, to stay inside
# the 10-minute budget
max_epochs = 4
train_cfg = dict(by_epoch=True, max_epochs=max_epochs,
                 val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=40, start_factor=0.05,
         by_epoch=False),
    dict(type='CosineAnnealingLR', begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=1e-4, by_epoch=True),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
train_dataloader = dict(batch_size=8)

