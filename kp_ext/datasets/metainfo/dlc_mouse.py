"""DeepLabCut "openfield" mouse (top view, single animal, 4 points).

Keypoint names are DeepLabCut's body-part names as they appear in the
project's ``CollectedData_*.csv`` header (``snout, leftear, rightear,
tailbase``), so the CSV columns can be matched by name. Left/right are the
animal's; a horizontal image flip swaps the two ears. There are no OKS
constants for this animal (``sigmas`` is empty); evaluate with PCK or
pixel error.
"""
dataset_info = dict(
    dataset_name='dlc_openfield_mouse',
    paper_info=dict(
        author='Mathis, Alexander and Mamidanna, Pranav and Cury, Kevin M. '
        'and Abe, Taiga and Murthy, Venkatesh N. and Mathis, Mackenzie W. '
        'and Bethge, Matthias',
        title='DeepLabCut: markerless pose estimation of user-defined body '
        'parts with deep learning',
        container='Nature Neuroscience',
        year='2018',
        homepage='https://github.com/DeepLabCut/DeepLabCut',
    ),
    keypoint_info={
        0: dict(name='snout', id=0, color=[51, 153, 255], type='', swap=''),
        1: dict(name='leftear', id=1, color=[0, 255, 0], type='',
                swap='rightear'),
        2: dict(name='rightear', id=2, color=[255, 128, 0], type='',
                swap='leftear'),
        3: dict(name='tailbase', id=3, color=[255, 51, 153], type='',
                swap=''),
    },
    skeleton_info={
        0: dict(link=('snout', 'leftear'), id=0, color=[0, 255, 0]),
        1: dict(link=('snout', 'rightear'), id=1, color=[255, 128, 0]),
        2: dict(link=('leftear', 'tailbase'), id=2, color=[0, 255, 0]),
        3: dict(link=('rightear', 'tailbase'), id=3, color=[255, 128, 0]),
    },
    joint_weights=[1., 1., 1., 1.],
    sigmas=[],
)
