# Quickstart, bottom-up with feet: configs/quickstart/openpose_synthetic.py
# (its network, schedule and test settings) with the BODY_25 body model
# (kp_ext/datasets/metainfo/body25.py: 25 parts, 24 + 2 limbs) on
# synthetic crowds whose figures carry the six foot points (big toe, small
# toe, heel of each foot, on the drawn shoes: SyntheticCrowdDataset
# with_feet=True, the 23-point layout coco_foot23.py). Evaluated with
# CocoBodyFootMetric: COCO AP on the 17 body keypoints (coco/AP) and foot
# AP with COCO-WholeBody's foot sigmas (coco/foot/AP). Synthetic people
# only: it does not find people in real photos. The codec is
# openpose_synthetic.py's with the BODY_25 body model, and so is the
# training pipeline, with this codec as its target encoder.
#   python tools/quickstart_openpose.py --config THIS
_base_ = ['openpose_synthetic.py']

codec = dict(_base_.codec, body_model='body25.py')

model = dict(head=dict(decoder=codec))

# the base's pipelines; training targets from this codec
train_pipeline = [
    dict(t, encoder=codec) if t.type == 'GenerateTarget' else t
    for t in _base_.train_pipeline]
train_dataloader = dict(
    dataset=dict(with_feet=True, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(with_feet=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='CocoBodyFootMetric')
test_evaluator = val_evaluator
