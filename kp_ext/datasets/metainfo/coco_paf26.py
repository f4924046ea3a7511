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
    paf_limbs=[
        ('left_shoulder', 'right_shoulder'),
        ('left_shoulder', 'left_hip'),
        ('right_shoulder', 'right_hip'),
        ('left_shoulder', 'left_elbow'),
        ('left_elbow', 'left_wrist'),
        ('right_shoulder', 'right_elbow'),
        ('right_elbow', 'right_wrist'),
        ('left_hip', 'left_knee'),
        ('left_knee', 'left_ankle'),
        ('right_hip', 'right_knee'),
        ('right_knee', 'right_ankle'),
        ('left_shoulder', 'nose'),
        ('nose', 'left_eye'),
        ('nose', 'right_eye'),
        ('left_eye', 'left_ear'),
        ('right_eye', 'right_ear'),
    ],
    paf_redundant_limbs=[
        ('left_hip', 'right_hip'),
        ('right_shoulder', 'nose'),
        ('left_shoulder', 'left_ear'),
        ('right_shoulder', 'right_ear'),
        ('left_shoulder', 'left_wrist'),
        ('right_shoulder', 'right_wrist'),
        ('left_hip', 'left_ankle'),
        ('right_hip', 'right_ankle'),
        ('left_elbow', 'left_hip'),
        ('right_elbow', 'right_hip'),
    ],
)
