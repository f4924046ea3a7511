"""CAT dataset cat heads (9 points, the ``.cat`` file order).

0 left_eye, 1 right_eye, 2 mouth, 3-5 left_ear_1..3, 6-8 right_ear_1..3.
In the data "left" is the side that appears on the image's left. Each ear's
three points run clockwise round the image (left ear: outer base, tip,
inner base; right ear: inner base, tip, outer base), so a horizontal flip
maps left_ear_1 <-> right_ear_3, left_ear_2 <-> right_ear_2 and
left_ear_3 <-> right_ear_1 (checked on the shared sample: this mapping
mirrors every annotated head far better than ear_k <-> ear_k).
``norm_indices`` (the two eyes) give an inter-ocular distance for NME.
There are no OKS constants for cat heads (``sigmas`` is empty).
"""
dataset_info = dict(
    dataset_name='cat9',
    paper_info=dict(
        author='Zhang, Weiwei and Sun, Jian and Tang, Xiaoou',
        title='Cat Head Detection - How to Effectively Exploit Shape and '
        'Texture Features',
        container='European Conference on Computer Vision (ECCV)',
        year='2008',
        homepage='https://www.kaggle.com/datasets/crawford/cat-dataset',
    ),
    keypoint_info={
        0: dict(name='left_eye', id=0, color=[0, 255, 0], type='',
                swap='right_eye'),
        1: dict(name='right_eye', id=1, color=[255, 128, 0], type='',
                swap='left_eye'),
        2: dict(name='mouth', id=2, color=[51, 153, 255], type='', swap=''),
        3: dict(name='left_ear_1', id=3, color=[0, 255, 0], type='',
                swap='right_ear_3'),
        4: dict(name='left_ear_2', id=4, color=[0, 255, 0], type='',
                swap='right_ear_2'),
        5: dict(name='left_ear_3', id=5, color=[0, 255, 0], type='',
                swap='right_ear_1'),
        6: dict(name='right_ear_1', id=6, color=[255, 128, 0], type='',
                swap='left_ear_3'),
        7: dict(name='right_ear_2', id=7, color=[255, 128, 0], type='',
                swap='left_ear_2'),
        8: dict(name='right_ear_3', id=8, color=[255, 128, 0], type='',
                swap='left_ear_1'),
    },
    skeleton_info={
        0: dict(link=('left_eye', 'right_eye'), id=0, color=[51, 153, 255]),
        1: dict(link=('left_eye', 'mouth'), id=1, color=[0, 255, 0]),
        2: dict(link=('right_eye', 'mouth'), id=2, color=[255, 128, 0]),
        3: dict(link=('left_ear_1', 'left_ear_2'), id=3, color=[0, 255, 0]),
        4: dict(link=('left_ear_2', 'left_ear_3'), id=4, color=[0, 255, 0]),
        5: dict(link=('right_ear_1', 'right_ear_2'), id=5,
                color=[255, 128, 0]),
        6: dict(link=('right_ear_2', 'right_ear_3'), id=6,
                color=[255, 128, 0]),
        7: dict(link=('left_ear_3', 'right_ear_1'), id=7,
                color=[51, 153, 255]),
    },
    joint_weights=[1.] * 9,
    sigmas=[],
    norm_indices=['left_eye', 'right_eye'],
)
