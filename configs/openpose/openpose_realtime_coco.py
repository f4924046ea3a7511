# Real-time bottom-up pose on a CPU (issue 22): kp_ext's own network in
# the place of Lightweight OpenPose (Osokin 2018: MobileNet v1 front with
# dilation, CPM, one initial + one refinement stage, 4.1 M parameters),
# on kp_ext's COCO variant (configs/openpose/openpose_kpext_coco.py: its
# body model, codec, grouping, data and augmentation unchanged, so the
# ground-truth codec oracle is that config's). What it changes from the
# Lightweight OpenPose paper:
# - network (configs/_base_/models/openpose_realtime.py): DilatedSeparableNet
#   (3x3 stem + depthwise-separable layers to 192 channels at stride 8,
#   six dilated separable residual units d = 1, 2, 5, 1, 2, 5, 1x1 to 128)
#   and LightPAFHead (initial + one refinement stage, each a trunk of
#   separable residual units d = 1, 2, 4 shared by the PAF and
#   confidence-map outputs): 0.54 M parameters,
#   2.77 GFLOPs at 368x368 (the peer: 4.09 M, 17.76 GFLOPs; counted by
#   benchmarks/inference.py); batch norm + ReLU everywhere (folded / fused
#   at ONNX export, int8-friendly), no ELU;
# - body model: COCO's 17 keypoints, 29 limbs, no background (the paper:
#   18 parts + background, 19 limbs);
# - trained from scratch (no ImageNet weights exist for this network; the
#   paper starts from ImageNet MobileNet v1): Adam 1e-3, warm-up, steps at
#   epochs 70 / 90, confidence maps weighted 5x in the loss (as the
#   quickstarts: per-pixel PAFLoss lets the 58 PAF channels dominate);
# - test: one pass, no flip (real time; the kp_ext variant flips), the
#   image fitted into 368x368.
#   python tools/train.py configs/openpose/openpose_realtime_coco.py
#   speed vs the peer: python benchmarks/inference.py --configs
#     openpose_realtime --peer lwop --threads 1
_base_ = ['openpose_kpext_coco.py']
from mmengine.config import Config as __Config

optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-3), clip_grad=dict(max_norm=40.0))

# the network: configs/_base_/models/openpose_realtime.py (why it is read
# and not inherited: that file's header)
__net = __Config.fromfile(
    '{{fileDirname}}/../_base_/models/openpose_realtime.py').model
model = dict(
    backbone=dict(__net.backbone, _delete_=True),
    head=dict(__net.head, _delete_=True, decoder={{_base_.codec}}),
    test_cfg=dict(flip_test=False))
