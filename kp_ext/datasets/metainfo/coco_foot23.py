"""COCO's 17 body keypoints + 6 foot keypoints (23 points): the layout of
the foot readers (``kp_ext/datasets/coco_foot.py``) and of the synthetic
crowds with feet.

Keypoints 0-16 are COCO's (inherited from ``coco.py``: names, order,
colours, skeleton, sigmas); 17-22 the feet in the order of COCO-WholeBody's
``foot_kpts`` (left big toe, left small toe, left heel, right big toe,
right small toe, right heel: jin-s13/COCO-WholeBody ``data_format.md``,
MMPose ``coco_wholebody.py`` keypoints 17-22), which is also BODY_25's
foot order (CMU openpose ``poseParameters.cpp`` parts 19-24).

``sigmas``: COCO's for the body, COCO-WholeBody's foot sigmas for the feet
(``sigmas_foot`` of jin-s13/COCO-WholeBody ``evaluation/myeval_wholebody.py``:
0.068, 0.066, 0.066, 0.092, 0.094, 0.094, as written there, left and right
differing). ``annotation_fields``: the COCO annotation fields the 23 points
come from and go back to (``keypoints``: 17, ``foot_kpts``: 6), read by the
readers, ``CocoBodyFootMetric`` (COCO AP on the body, foot AP on the feet)
and the codec oracle. Foot skeleton links: ankle-big toe, big toe-small
toe, ankle-heel (BODY_25's rendered pairs 14-19, 19-20, 14-21, 11-22,
22-23, 11-24). No PAF limbs: the PAF body model of these points is
``body25.py``.
"""
_base_ = ['coco.py']

_left, _right = [0, 255, 0], [255, 128, 0]  # coco.py's left / right colours
dataset_info = dict(
    dataset_name='coco_foot23',
    keypoint_info={
        17: dict(name='left_big_toe', id=17, color=_left, type='lower',
                 swap='right_big_toe'),
        18: dict(name='left_small_toe', id=18, color=_left, type='lower',
                 swap='right_small_toe'),
        19: dict(name='left_heel', id=19, color=_left, type='lower',
                 swap='right_heel'),
        20: dict(name='right_big_toe', id=20, color=_right, type='lower',
                 swap='left_big_toe'),
        21: dict(name='right_small_toe', id=21, color=_right, type='lower',
                 swap='left_small_toe'),
        22: dict(name='right_heel', id=22, color=_right, type='lower',
                 swap='left_heel'),
    },
    skeleton_info={
        19: dict(link=('left_ankle', 'left_big_toe'), id=19, color=_left),
        20: dict(link=('left_big_toe', 'left_small_toe'), id=20,
                 color=_left),
        21: dict(link=('left_ankle', 'left_heel'), id=21, color=_left),
        22: dict(link=('right_ankle', 'right_big_toe'), id=22,
                 color=_right),
        23: dict(link=('right_big_toe', 'right_small_toe'), id=23,
                 color=_right),
        24: dict(link=('right_ankle', 'right_heel'), id=24, color=_right),
    },
    joint_weights=[
        1., 1., 1., 1., 1., 1., 1., 1.2, 1.2, 1.5, 1.5, 1., 1., 1.2, 1.2, 1.5,
        1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5
    ],
    sigmas=[
        0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062,
        0.062, 0.107, 0.107, 0.087, 0.087, 0.089, 0.089,
        0.068, 0.066, 0.066, 0.092, 0.094, 0.094
    ],
    paf_limbs=None,
    paf_redundant_limbs=None,
    annotation_fields=[('keypoints', 17), ('foot_kpts', 6)],
)
