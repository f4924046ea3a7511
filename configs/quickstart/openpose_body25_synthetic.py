# Quickstart, bottom-up with feet: configs/quickstart/openpose_synthetic.py
# (its network, schedule and test settings) with the BODY_25 body model
# (kp_ext/datasets/metainfo/body25.py: 25 parts, 24 + 2 limbs) on
# synthetic crowds whose figures carry the six foot points (big toe, small
# toe, heel of each foot, on the drawn shoes: SyntheticCrowdDataset
# with_feet=True, the 23-point layout coco_foot23.py). Evaluated with
# CocoBodyFootMetric: COCO AP on the 17 body keypoints (coco/AP) and foot
# AP with COCO-WholeBody's foot sigmas (coco/foot/AP). Synthetic people
# only: it does not find people in real photos. The codec's map settings
# are openpose_synthetic.py's, written again because the pipelines hold
# the codec.
#   python tools/quickstart_openpose.py --config THIS
_base_ = ['openpose_synthetic.py']

input_size = (128, 128)
codec = dict(
    type='PartAffinityField', input_size=input_size, heatmap_size=(32, 32),
    sigma=1.5, limb_width=1.5, body_model='body25.py', min_parts=3)

model = dict(head=dict(decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GenerateInvalidMask'),
    dict(type='RandomFlip', direction='horizontal',
         mask_keys=['invalid_mask']),
    dict(type='BottomupRandomAffine', input_size=input_size,
         shift_factor=0.1, scale_factor=(0.8, 1.25), rotate_factor=20),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='BottomupResize', input_size=input_size, size_factor=8),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(
    dataset=dict(with_feet=True, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(with_feet=True, pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='CocoBodyFootMetric')
test_evaluator = val_evaluator
