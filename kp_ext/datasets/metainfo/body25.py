"""OpenPose's BODY_25 body model (Cao et al., TPAMI 2019; the default model
of CMU openpose): 25 parts, 24 tree limbs + 2 redundant limbs.

Sources (CMU-Perceptual-Computing-Lab/openpose; line numbers of the stored
versions: ``src/openpose/pose/poseParameters.cpp`` @41d8c08,
``include/openpose/pose/poseParametersRender.hpp`` @3c9441a):

- parts and their order: ``POSE_BODY_25_BODY_PARTS``,
  poseParameters.cpp:7-34 (0 Nose, 1 Neck, 2-4 right arm, 5-7 left arm,
  8 MidHip, 9-11 right leg, 12-14 left leg, 15/16 eyes, 17/18 ears,
  19-21 left big toe / small toe / heel, 22-24 the right ones; 25 is the
  network's background channel: the codec's ``with_background``);
- limbs: ``POSE_BODY_PART_PAIRS`` (BODY_25), poseParameters.cpp:419, 26
  pairs. ``paf_limbs`` are those pairs in that order without the two
  ear-shoulder pairs (2-17, 5-18), which are ``paf_redundant_limbs`` (they
  are not drawn: ``POSE_BODY_25_PAIRS_RENDER_GPU``,
  poseParametersRender.hpp:16-17, lists the other 24). kp_ext's PAF
  channels are ``paf_limbs`` then ``paf_redundant_limbs`` (channels
  ``2l, 2l+1`` = x, y of limb ``l``); ``paf_limb_sequence`` keeps the 26
  pairs in openpose's order (its assembly order, for ``assembly=
  'connect56'``);
- the released network's PAF channels: ``POSE_MAP_INDEX`` (BODY_25),
  poseParameters.cpp:256, gives pair ``i`` the channels ``mapIdx[2i],
  mapIdx[2i+1]`` of the PAF blob; ``openpose_paf_channels`` lists, for each
  kp_ext limb in kp_ext's channel order, the released model's x channel
  (y is the next): the permutation that maps a converted BODY_25
  caffemodel's PAFs onto kp_ext's (its channel order is not a
  breadth-first tree order, which ``paf_limbs`` must be, so kp_ext cannot
  use it as is);
- colours: ``POSE_BODY_25_COLORS_RENDER_GPU``, poseParametersRender.hpp:
  19-44 (RGB, one per part); a drawn limb takes the colour of its second
  part, as openpose's ``renderKeypointsCpu`` does (``colorIndex =
  pairs[pair+1]*3``).

``source_metainfo`` / ``keypoint_sources``: the parts are made from
``coco_foot23.py`` (COCO-17 + the 6 COCO-WholeBody foot points): 23 are
copies; ``neck`` and ``mid_hip`` are the midpoints of the shoulders and of
the hips (``_derived_parts.py``, the same definitions as
``coco_openpose18.py``'s neck), defined when both are labelled.
Predictions go back to the 23 dataset keypoints through the same table
(neck and mid-hip dropped), as for the 18-part model.

Each part's ``type``, ``swap`` and ``sigmas`` (OKS) entry are its source
keypoint's in ``coco_foot23.py`` (a ``_base_`` of this file so that they
are read from there, not written again; its ``dataset_info`` is not
merged into this one): COCO's for the 17 COCO keypoints, COCO-WholeBody's
foot sigmas for the 6 foot points; neck and mid-hip take their pair's
(shoulders' 0.079, hips' 0.107) only so that the table is complete: they
are never scored. Evaluation is on dataset keypoints:
COCO AP on the 17 body keypoints (the COCO protocol, as the paper's COCO
numbers, which evaluate COCO's 17 keypoints only, neck excluded) and foot
AP on the 6 foot keypoints with COCO-WholeBody's sigmas
(``CocoBodyFootMetric``).
"""
_base_ = ['_derived_parts.py', 'coco_foot23.py']

_pairs = [  # POSE_BODY_PART_PAIRS, BODY_25 (poseParameters.cpp:419)
    (1, 8), (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (8, 9), (9, 10),
    (10, 11), (8, 12), (12, 13), (13, 14), (1, 0), (0, 15), (15, 17),
    (0, 16), (16, 18), (2, 17), (5, 18), (14, 19), (19, 20), (14, 21),
    (11, 22), (22, 23), (11, 24)]
# the parts in openpose's order (POSE_BODY_25_BODY_PARTS) with their
# colours (POSE_BODY_25_COLORS_RENDER_GPU)
__parts = dict(
    nose=[255, 0, 85], neck=[255, 0, 0], right_shoulder=[255, 85, 0],
    right_elbow=[255, 170, 0], right_wrist=[255, 255, 0],
    left_shoulder=[170, 255, 0], left_elbow=[85, 255, 0],
    left_wrist=[0, 255, 0], mid_hip=[255, 0, 0], right_hip=[0, 255, 85],
    right_knee=[0, 255, 170], right_ankle=[0, 255, 255],
    left_hip=[0, 170, 255], left_knee=[0, 85, 255], left_ankle=[0, 0, 255],
    right_eye=[255, 0, 170], left_eye=[170, 0, 255],
    right_ear=[255, 0, 255], left_ear=[85, 0, 255],
    left_big_toe=[0, 0, 255], left_small_toe=[0, 0, 255],
    left_heel=[0, 0, 255], right_big_toe=[0, 255, 255],
    right_small_toe=[0, 255, 255], right_heel=[0, 255, 255])
# what each part is made of: a coco_foot23.py keypoint of its name
# (copied) or a pair (_derived_parts.py); type, flip partner and sigma come
# from that keypoint, or from the pair's first one (a midpoint of a left /
# right pair is its own flip partner)
__sources = {n: _base_.derived_parts.get(n, n) for n in __parts}
__first = {n: s if isinstance(s, str) else s[0] for n, s in __sources.items()}
__src = _base_.dataset_info  # coco_foot23.py's
__src_kpt = {k.name: k for k in __src.keypoint_info.values()}
__src_sigma = dict(zip(
    [__src.keypoint_info[i].name for i in range(len(__src.sigmas))],
    __src.sigmas))
dataset_info = dict(
    _delete_=True,  # nothing of coco_foot23.py's dataset_info is inherited
    dataset_name='body25',
    paper_info=dict(
        author='Cao, Zhe and Hidalgo, Gines and Simon, Tomas and Wei, '
        'Shih-En and Sheikh, Yaser',
        title='OpenPose: Realtime Multi-Person 2D Pose Estimation using '
        'Part Affinity Fields',
        container='IEEE Transactions on Pattern Analysis and Machine '
        'Intelligence',
        year='2019',
        homepage='https://github.com/CMU-Perceptual-Computing-Lab/openpose',
    ),
    keypoint_info={
        i: dict(name=n, id=i, color=c, type=__src_kpt[__first[n]].type,
                swap=__src_kpt[n].swap if n == __sources[n] else '')
        for i, (n, c) in enumerate(__parts.items())
    },
    # drawn: POSE_BODY_25_PAIRS_RENDER_GPU (poseParametersRender.hpp:17),
    # each in the colour of its second part
    skeleton_info={
        0: dict(link=(1, 8), id=0, color=[255, 0, 0]),
        1: dict(link=(1, 2), id=1, color=[255, 85, 0]),
        2: dict(link=(1, 5), id=2, color=[170, 255, 0]),
        3: dict(link=(2, 3), id=3, color=[255, 170, 0]),
        4: dict(link=(3, 4), id=4, color=[255, 255, 0]),
        5: dict(link=(5, 6), id=5, color=[85, 255, 0]),
        6: dict(link=(6, 7), id=6, color=[0, 255, 0]),
        7: dict(link=(8, 9), id=7, color=[0, 255, 85]),
        8: dict(link=(9, 10), id=8, color=[0, 255, 170]),
        9: dict(link=(10, 11), id=9, color=[0, 255, 255]),
        10: dict(link=(8, 12), id=10, color=[0, 170, 255]),
        11: dict(link=(12, 13), id=11, color=[0, 85, 255]),
        12: dict(link=(13, 14), id=12, color=[0, 0, 255]),
        13: dict(link=(1, 0), id=13, color=[255, 0, 85]),
        14: dict(link=(0, 15), id=14, color=[255, 0, 170]),
        15: dict(link=(15, 17), id=15, color=[255, 0, 255]),
        16: dict(link=(0, 16), id=16, color=[170, 0, 255]),
        17: dict(link=(16, 18), id=17, color=[85, 0, 255]),
        18: dict(link=(14, 19), id=18, color=[0, 0, 255]),
        19: dict(link=(19, 20), id=19, color=[0, 0, 255]),
        20: dict(link=(14, 21), id=20, color=[0, 0, 255]),
        21: dict(link=(11, 22), id=21, color=[0, 255, 255]),
        22: dict(link=(22, 23), id=22, color=[0, 255, 255]),
        23: dict(link=(11, 24), id=23, color=[0, 255, 255]),
    },
    joint_weights=[1.] * 25,
    sigmas=[__src_sigma[__first[n]] for n in __parts],
    paf_limbs=[p for p in _pairs if p not in ((2, 17), (5, 18))],
    paf_redundant_limbs=[(2, 17), (5, 18)],
    paf_limb_sequence=_pairs,
    # POSE_MAP_INDEX (BODY_25, poseParameters.cpp:256): the released
    # model's PAF x channel of each kp_ext limb (paf_limbs, then
    # paf_redundant_limbs)
    openpose_paf_channels=[
        0, 14, 22, 16, 18, 24, 26, 6, 2, 4, 8, 10, 12, 30, 32, 36, 34, 38,
        40, 42, 44, 46, 48, 50, 20, 28
    ],
    source_metainfo='coco_foot23.py',
    keypoint_sources=__sources,
)
