# Part affinity fields predicted by a Stacked Hourglass (Newell et al.):
# the backbone's every stack outputs 2L + K maps (PAFs first, then the
# confidence maps), the head (PAFSplitHead) only splits them and supervises
# every stack. Stride 4: 384x384 input -> 96x96 maps, so the codec's
# lengths (in map pixels) are doubled with respect to the stride-8 VGG
# model. Body model (kp_ext's COCO-17: 17 parts, 29 limbs), bottom-up
# data, loss masks, grouping and evaluation as
# configs/openpose/openpose_kpext_coco.py.
_base_ = ['openpose_kpext_coco.py']
from kp_ext.codecs.paf_body_model import PAFBodyModel as __PAFBodyModel

input_size = (384, 384)
# sigma 2.47 map px = the reference's 7 input px std at stride 4
codec = dict(
    type='PartAffinityField', input_size=input_size, heatmap_size=(96, 96),
    sigma=2.47, limb_width=2.0, limb_end_margin=2.0,
    body_model={{_base_.codec.body_model}}, nms_kernel=5)
# the hourglass's outputs: 2L PAF channels + K confidence maps of the body
# model, read from its metainfo file (kp_ext's COCO-17: 2 x 29 + 17; the
# head checks this count against its decoder)
__body = __PAFBodyModel(_base_.codec.body_model)
num_outputs = 2 * __body.num_limbs + __body.num_parts

optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=5e-4), clip_grad=dict(max_norm=40.0))

model = dict(
    backbone=dict(
        _delete_=True,
        type='StackedHourglass', num_stacks=4, num_channels=256, depth=4,
        num_blocks=1, out_channels=num_outputs),
    head=dict(
        _delete_=True,
        type='PAFSplitHead',
        in_channels=num_outputs,
        num_stages=4,
        loss=dict(type='PAFLoss'),
        decoder=codec))

# the hourglass halves the resolution 4 times after its stride-4 stem:
# inputs must be multiples of 64
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GenerateInvalidMask'),
    dict(type='RandomFlip', direction='horizontal',
         mask_keys=['invalid_mask']),
    dict(type='BottomupRandomAffine', input_size=input_size,
         shift_factor=0.2, scale_factor=(0.75, 1.5), rotate_factor=40),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='BottomupResize', input_size=input_size, size_factor=64),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
