"""OpenPose's COCO body model (Cao et al., CVPR 2017): 18 parts, 19 limbs.

The 17 COCO keypoints plus a ``neck``, the midpoint of the two shoulders,
defined only when both shoulders are labelled; parts in the order of the
released COCO model (ZheC/Realtime_Multi-Person_Pose_Estimation
``testing/evalCOCO.m`` ``orderCOCO``; CMU openpose ``COCO_18``
``POSE_COCO_BODY_PARTS``): nose, neck, right arm, left arm, right leg,
left leg, right eye, left eye, right ear, left ear. The network's 19th
confidence-map channel, the background, is the codec's
``with_background`` option, not a part.

``paf_limbs``: the 17 limbs of the spanning tree rooted at the neck, in
the PAF channel order of the reference training code (caffe_train
``cpm_data_transformer.cpp`` ``mid_1``/``mid_2``, the ``mapIdx`` of the
reference demo) with the two ear-shoulder limbs taken out;
``paf_redundant_limbs``: those two ear-shoulder limbs (the reference's
limbs 18 and 19 of ``limbSeq``, which only complete skeletons). kp_ext
stores the PAF channels tree limbs first, then redundant limbs, so a
released caffemodel's channels ``2*9, 2*9+1`` (right shoulder-ear) and
``2*13, 2*13+1`` (left shoulder-ear) move to the end.

``source_metainfo`` / ``keypoint_sources``: how each part is made from the
keypoints of the annotated dataset (COCO): one name is a copy, a pair the
midpoint when both are labelled (the reference's neck, genJSON/
``cpm_data_transformer`` ``TransformMetaJoints``; the pair comes from
``_derived_parts.py``, shared with ``body25.py``). Predictions are mapped
back to the 17 COCO keypoints through the same table (the neck is
dropped), as the reference's ``evalCOCO.m`` does. ``sigmas``: COCO's; the
neck takes the shoulders' 0.079 (OKS is computed on the 17 COCO keypoints
only).
"""
_base_ = ['_derived_parts.py']

dataset_info = dict(
    dataset_name='coco_openpose18',
    paper_info=dict(
        author='Cao, Zhe and Simon, Tomas and Wei, Shih-En and Sheikh, '
        'Yaser',
        title='Realtime Multi-Person 2D Pose Estimation using Part '
        'Affinity Fields',
        container='CVPR',
        year='2017',
        homepage='https://github.com/ZheC/'
        'Realtime_Multi-Person_Pose_Estimation',
    ),
    keypoint_info={
        0: dict(name='nose', id=0, color=[255, 0, 0], type='upper',
                swap=''),
        1: dict(name='neck', id=1, color=[255, 85, 0], type='upper',
                swap=''),
        2: dict(name='right_shoulder', id=2, color=[255, 170, 0],
                type='upper', swap='left_shoulder'),
        3: dict(name='right_elbow', id=3, color=[255, 255, 0], type='upper',
                swap='left_elbow'),
        4: dict(name='right_wrist', id=4, color=[170, 255, 0], type='upper',
                swap='left_wrist'),
        5: dict(name='left_shoulder', id=5, color=[85, 255, 0],
                type='upper', swap='right_shoulder'),
        6: dict(name='left_elbow', id=6, color=[0, 255, 0], type='upper',
                swap='right_elbow'),
        7: dict(name='left_wrist', id=7, color=[0, 255, 85], type='upper',
                swap='right_wrist'),
        8: dict(name='right_hip', id=8, color=[0, 255, 170], type='lower',
                swap='left_hip'),
        9: dict(name='right_knee', id=9, color=[0, 255, 255], type='lower',
                swap='left_knee'),
        10: dict(name='right_ankle', id=10, color=[0, 170, 255],
                 type='lower', swap='left_ankle'),
        11: dict(name='left_hip', id=11, color=[0, 85, 255], type='lower',
                 swap='right_hip'),
        12: dict(name='left_knee', id=12, color=[0, 0, 255], type='lower',
                 swap='right_knee'),
        13: dict(name='left_ankle', id=13, color=[85, 0, 255], type='lower',
                 swap='right_ankle'),
        14: dict(name='right_eye', id=14, color=[170, 0, 255], type='upper',
                 swap='left_eye'),
        15: dict(name='left_eye', id=15, color=[255, 0, 255], type='upper',
                 swap='right_eye'),
        16: dict(name='right_ear', id=16, color=[255, 0, 170], type='upper',
                 swap='left_ear'),
        17: dict(name='left_ear', id=17, color=[255, 0, 85], type='upper',
                 swap='right_ear'),
    },
    # drawn skeleton: the 17 tree limbs (the reference demo draws these)
    skeleton_info={
        0: dict(link=('neck', 'right_hip'), id=0, color=[0, 255, 170]),
        1: dict(link=('right_hip', 'right_knee'), id=1,
                color=[0, 255, 255]),
        2: dict(link=('right_knee', 'right_ankle'), id=2,
                color=[0, 170, 255]),
        3: dict(link=('neck', 'left_hip'), id=3, color=[0, 85, 255]),
        4: dict(link=('left_hip', 'left_knee'), id=4, color=[0, 0, 255]),
        5: dict(link=('left_knee', 'left_ankle'), id=5,
                color=[85, 0, 255]),
        6: dict(link=('neck', 'right_shoulder'), id=6, color=[255, 0, 0]),
        7: dict(link=('right_shoulder', 'right_elbow'), id=7,
                color=[255, 170, 0]),
        8: dict(link=('right_elbow', 'right_wrist'), id=8,
                color=[255, 255, 0]),
        9: dict(link=('neck', 'left_shoulder'), id=9, color=[255, 85, 0]),
        10: dict(link=('left_shoulder', 'left_elbow'), id=10,
                 color=[170, 255, 0]),
        11: dict(link=('left_elbow', 'left_wrist'), id=11,
                 color=[85, 255, 0]),
        12: dict(link=('neck', 'nose'), id=12, color=[0, 0, 255]),
        13: dict(link=('nose', 'right_eye'), id=13, color=[170, 0, 255]),
        14: dict(link=('nose', 'left_eye'), id=14, color=[255, 0, 255]),
        15: dict(link=('right_eye', 'right_ear'), id=15,
                 color=[255, 0, 170]),
        16: dict(link=('left_eye', 'left_ear'), id=16, color=[255, 0, 85]),
    },
    joint_weights=[1.] * 18,
    sigmas=[
        0.026, 0.079, 0.079, 0.072, 0.062, 0.079, 0.072, 0.062, 0.107, 0.087,
        0.089, 0.107, 0.087, 0.089, 0.025, 0.025, 0.035, 0.035
    ],
    paf_limbs=[
        ('neck', 'right_hip'), ('right_hip', 'right_knee'),
        ('right_knee', 'right_ankle'),
        ('neck', 'left_hip'), ('left_hip', 'left_knee'),
        ('left_knee', 'left_ankle'),
        ('neck', 'right_shoulder'), ('right_shoulder', 'right_elbow'),
        ('right_elbow', 'right_wrist'),
        ('neck', 'left_shoulder'), ('left_shoulder', 'left_elbow'),
        ('left_elbow', 'left_wrist'),
        ('neck', 'nose'), ('nose', 'right_eye'), ('nose', 'left_eye'),
        ('right_eye', 'right_ear'), ('left_eye', 'left_ear'),
    ],
    paf_redundant_limbs=[
        ('right_shoulder', 'right_ear'),
        ('left_shoulder', 'left_ear'),
    ],
    # the order in which the reference assembles people limb by limb:
    # ``limbSeq`` of ZheC testing/src/connect56LineVec.m:28 (1-based parts
    # of the released model, named by testing/evalCOCO.m:7 ``orderCOCO``:
    # part 15 is the right eye, 17 the right ear), the same 19 limbs in the
    # same directions; the last two only complete people
    # (connect56LineVec.m:202-218). Read by the codec's
    # ``assembly='connect56'``.
    paf_limb_sequence=[
        ('neck', 'right_shoulder'), ('neck', 'left_shoulder'),
        ('right_shoulder', 'right_elbow'), ('right_elbow', 'right_wrist'),
        ('left_shoulder', 'left_elbow'), ('left_elbow', 'left_wrist'),
        ('neck', 'right_hip'), ('right_hip', 'right_knee'),
        ('right_knee', 'right_ankle'),
        ('neck', 'left_hip'), ('left_hip', 'left_knee'),
        ('left_knee', 'left_ankle'),
        ('neck', 'nose'), ('nose', 'right_eye'), ('right_eye', 'right_ear'),
        ('nose', 'left_eye'), ('left_eye', 'left_ear'),
        ('right_shoulder', 'right_ear'), ('left_shoulder', 'left_ear'),
    ],
    source_metainfo='coco.py',
    keypoint_sources=dict(
        nose='nose',
        neck={{_base_.derived_parts.neck}},
        right_shoulder='right_shoulder',
        right_elbow='right_elbow',
        right_wrist='right_wrist',
        left_shoulder='left_shoulder',
        left_elbow='left_elbow',
        left_wrist='left_wrist',
        right_hip='right_hip',
        right_knee='right_knee',
        right_ankle='right_ankle',
        left_hip='left_hip',
        left_knee='left_knee',
        left_ankle='left_ankle',
        right_eye='right_eye',
        left_eye='left_eye',
        right_ear='right_ear',
        left_ear='left_ear',
    ),
)
