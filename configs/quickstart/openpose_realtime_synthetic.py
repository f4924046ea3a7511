# Quickstart of the real-time bottom-up config
# (configs/openpose/openpose_realtime_coco.py: DilatedSeparableNet +
# LightPAFHead) on the project's synthetic crowds, with the data, codec,
# schedule and evaluation of configs/quickstart/openpose_synthetic.py
# (1-4 people per 192x192 image fed at 128x128, 32x32 maps, 2,400 crowds,
# 9 epochs, Adam 3e-3 + warm-up + cosine, bf16 autocast, flip test; no
# files needed). Trained on synthetic people only: it does not find people
# in real photos. Target: COCO AP >= 0.55 on the 100 held-out crowds in
# 10 minutes on 2 cores (not measured yet: configs/openpose/metafile.yml).
#   python tools/quickstart_openpose.py \
#       --config configs/quickstart/openpose_realtime_synthetic.py
# What it changes from the real-time COCO config, for small inputs:
# - output stride 4 (the last separable layer keeps stride 1; the dilated
#   units then run at 32x32), as the bottom-up quickstart's stride 4;
# - the quickstart's body model and codec (coco_paf26.py: COCO-17 with 26
#   limbs; sigma 1.5, limb width 1.5) instead of the COCO config's
#   coco.py (29 limbs);
# - flip test (as the other quickstart; the COCO config runs one pass).
_base_ = ['./openpose_synthetic.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='DilatedSeparableNet',
        stem_channels=32,
        arch=((64, 1), (128, 2), (128, 1), (192, 1)),
        dilations=(1, 2, 5, 1, 2, 5),
        out_channels=128,
        channels_last=True),
    head=dict(
        _delete_=True,
        type='LightPAFHead',
        in_channels=128,
        num_stages=2,
        stage_channels=128,
        dilations=(1, 2, 4),
        mid_channels=128,
        loss=dict(type='PAFLoss'),
        loss_heatmap=dict(type='PAFLoss', loss_weight=5.0),
        decoder={{_base_.codec}}),
    test_cfg=dict(flip_test=True))
