"""The five MAFL / CelebA / AFLW (MTFL) face points.

0 left_eye, 1 right_eye (eye centres), 2 nose (tip), 3 left_mouth,
4 right_mouth (mouth corners): the column order of CelebA's
``list_landmarks_align_celeba.txt`` (``lefteye_x lefteye_y righteye_x ...``)
and of the AFLW 5-point files of the unsupervised-landmark papers. "Left"
is the side that appears on the image's left (CelebA's first image has
``lefteye_x`` 69 < ``righteye_x`` 106). ``norm_indices`` are the two eye
centres: their distance is the inter-ocular normaliser of the MAFL / AFLW
tables. There are no OKS constants for this layout (``sigmas`` is empty).
"""
dataset_info = dict(
    dataset_name='mafl5',
    paper_info=dict(
        author='Zhang, Zhanpeng and Luo, Ping and Loy, Chen Change and '
        'Tang, Xiaoou',
        title='Learning Deep Representation for Face Alignment with '
        'Auxiliary Attributes',
        container='IEEE TPAMI',
        year='2016',
        homepage='http://mmlab.ie.cuhk.edu.hk/projects/TCDCN.html',
    ),
    keypoint_info={
        0: dict(name='left_eye', id=0, color=[0, 255, 0], type='',
                swap='right_eye'),
        1: dict(name='right_eye', id=1, color=[255, 128, 0], type='',
                swap='left_eye'),
        2: dict(name='nose', id=2, color=[51, 153, 255], type='', swap=''),
        3: dict(name='left_mouth', id=3, color=[0, 255, 0], type='',
                swap='right_mouth'),
        4: dict(name='right_mouth', id=4, color=[255, 128, 0], type='',
                swap='left_mouth'),
    },
    skeleton_info={
        0: dict(link=('left_eye', 'right_eye'), id=0, color=[51, 153, 255]),
        1: dict(link=('left_eye', 'nose'), id=1, color=[0, 255, 0]),
        2: dict(link=('right_eye', 'nose'), id=2, color=[255, 128, 0]),
        3: dict(link=('left_mouth', 'right_mouth'), id=3,
                color=[51, 153, 255]),
    },
    joint_weights=[1.] * 5,
    sigmas=[],
    norm_indices=['left_eye', 'right_eye'],
)
