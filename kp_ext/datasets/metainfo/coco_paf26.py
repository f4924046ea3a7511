"""The quickstart OpenPose body model: COCO's 17 keypoints (inherited from
``coco.py``), the 16 limbs of ``coco.py``'s spanning tree and the first 10
of its redundant limbs (26 limbs, 52 PAF channels), in this channel order.

``configs/quickstart/openpose_synthetic.py`` used to write these limbs
inline as index pairs; they are this file now, and
``tests/configs/test_paf_body_model_configs.py`` checks that the channel
order is the inline list's, pair for pair. It drops ``coco.py``'s last
three redundant limbs (knee-knee, shoulder-eye on both sides): the
quickstart's numbers (benchmarks/RESULTS_paf.md, docs/MODEL_ZOO.md) were
measured with these 26.
"""
_base_ = ['coco.py']

dataset_info = dict(
    dataset_name='coco_paf26',
    # paf_limbs: coco.py's (inherited)
    paf_redundant_limbs=_base_.dataset_info.paf_redundant_limbs[:10],
)
