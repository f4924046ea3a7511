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

# a foot point takes the colour of its side's ankle (coco.py's left / right
# colours)
__coco = _base_.dataset_info
__ankle = {k.name: k.color for k in __coco.keypoint_info.values()}
__left, __right = __ankle['left_ankle'], __ankle['right_ankle']
dataset_info = dict(
    dataset_name='coco_foot23',
    keypoint_info={
        17: dict(name='left_big_toe', id=17, color=__left, type='lower',
                 swap='right_big_toe'),
        18: dict(name='left_small_toe', id=18, color=__left, type='lower',
                 swap='right_small_toe'),
        19: dict(name='left_heel', id=19, color=__left, type='lower',
                 swap='right_heel'),
        20: dict(name='right_big_toe', id=20, color=__right, type='lower',
                 swap='left_big_toe'),
        21: dict(name='right_small_toe', id=21, color=__right, type='lower',
                 swap='left_small_toe'),
        22: dict(name='right_heel', id=22, color=__right, type='lower',
                 swap='left_heel'),
    },
    skeleton_info={
        19: dict(link=('left_ankle', 'left_big_toe'), id=19, color=__left),
        20: dict(link=('left_big_toe', 'left_small_toe'), id=20,
                 color=__left),
        21: dict(link=('left_ankle', 'left_heel'), id=21, color=__left),
        22: dict(link=('right_ankle', 'right_big_toe'), id=22,
                 color=__right),
        23: dict(link=('right_big_toe', 'right_small_toe'), id=23,
                 color=__right),
        24: dict(link=('right_ankle', 'right_heel'), id=24, color=__right),
    },
    # coco.py's 17, then the 6 feet
    joint_weights=__coco.joint_weights + [1.5] * 6,
    sigmas=__coco.sigmas + [0.068, 0.066, 0.066, 0.092, 0.094, 0.094],
    paf_limbs=None,
    paf_redundant_limbs=None,
    annotation_fields=[('keypoints', 17), ('foot_kpts', 6)],
)
