"""Convert MPII's original annotation file to the json list MpiiDataset reads.

MPII Human Pose ships ``mpii_human_pose_v1_u12_1.mat`` holding the MATLAB
struct ``RELEASE`` (see the dataset's README): ``annolist(i).image.name``,
``annolist(i).annorect(j)`` with the head box ``x1, y1, x2, y2``, the
rough person position ``objpos.x/y``, the person scale ``scale`` (box
height / 200 px) and ``annopoints.point(k)`` with ``id`` (0-15, MPII joint
order), ``x``, ``y`` and ``is_visible``; ``img_train(i)`` is 1 for training
images (only those have keypoints).

Output: one dict per annotated person, as in MMPose's ``mpii_*.json``
(``image``, ``center`` = objpos, ``scale``, ``joints`` (16 x 2, MATLAB
1-based pixels, -1 where not annotated), ``joints_vis`` (1 = annotated,
whether occluded or not)), and with ``--headbox-out`` the people's head
boxes ``[[x1, y1], [x2, y2]]`` in the same order: a ``headbox_file`` for
``MpiiDataset``, which turns it into the official PCKh head size
(0.6 x diagonal). People without keypoints, centre or scale are skipped
and counted.

Note: MMPose's ``mpii_val.json`` (the 2958-person validation split of
Tompson et al. used by the papers) is a subset of the training images
chosen by that split, which is not in the .mat; ``--exclude`` drops the
people of such a json (matched by image and centre), e.g. to make a
training list without the validation people.

Usage::

    python tools/dataset_converters/mpii_mat2json.py \\
        mpii_human_pose_v1_u12_1.mat data/mpii/annotations/mpii_all.json \\
        --headbox-out data/mpii/annotations/mpii_all_headboxes.json
"""
import argparse
import json
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np

from kp_ext.utils.progress import track

__all__ = ['convert', 'load_release']

NUM_JOINTS = 16


def _items(x) -> list:
    """A MATLAB struct array / cell / scalar read with ``squeeze_me=True``
    as a list (empty for ``[]``)."""
    if x is None:
        return []
    if isinstance(x, np.ndarray):
        return list(x.flat)
    return [x]


def _field(obj, name):
    """Field ``name`` of a loaded struct, None when absent or empty."""
    value = getattr(obj, name, None)
    if value is None or (isinstance(value, np.ndarray) and value.size == 0):
        return None
    return value


def _number(x) -> Optional[float]:
    """A MATLAB scalar (number, 1-element array, '0'/'1' string) as float;
    None when empty."""
    if x is None:
        return None
    if isinstance(x, str):
        return float(x) if x.strip() else None
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    return float(arr[0]) if arr.size else None


def load_release(mat_file: str):
    """``RELEASE`` of the MPII .mat as loaded by scipy (structs as
    attribute objects)."""
    from scipy.io import loadmat
    mat = loadmat(mat_file, struct_as_record=False, squeeze_me=True)
    if 'RELEASE' not in mat:
        raise KeyError(f'{mat_file}: no RELEASE struct (expected MPII\'s '
                       'mpii_human_pose_v1_u12_1.mat)')
    return mat['RELEASE']


def _person(rect, where: str) -> Tuple[Optional[dict], Optional[list],
                                       Optional[str]]:
    """(person dict, head box, reason skipped) of one annorect."""
    annopoints = _field(rect, 'annopoints')
    points = None if annopoints is None else _field(annopoints, 'point')
    if points is None:
        return None, None, 'no keypoints'
    objpos, scale = _field(rect, 'objpos'), _number(_field(rect, 'scale'))
    if objpos is None or scale is None:
        return None, None, 'no objpos/scale'
    center = [_number(_field(objpos, 'x')), _number(_field(objpos, 'y'))]
    if None in center:
        return None, None, 'no objpos/scale'
    joints = np.full((NUM_JOINTS, 2), -1.0)
    vis = np.zeros(NUM_JOINTS, dtype=int)
    for p in _items(points):
        jid = _number(_field(p, 'id'))
        if jid is None or not 0 <= jid < NUM_JOINTS or jid != int(jid):
            raise ValueError(f'{where}: joint id {jid!r} outside 0-15')
        joints[int(jid)] = [_number(_field(p, 'x')), _number(_field(p, 'y'))]
        vis[int(jid)] = 1
    box = [_number(_field(rect, k)) for k in ('x1', 'y1', 'x2', 'y2')]
    headbox = None if None in box else [box[:2], box[2:]]
    person = dict(image=None, center=center, scale=scale,
                  joints=joints.tolist(), joints_vis=vis.tolist())
    return person, headbox, None


def convert(mat_file: str, images: str = 'train',
            exclude: Optional[str] = None) -> Tuple[List[dict], List[list],
                                                     Dict[str, int]]:
    """Return (people, head boxes, skipped counts by reason).

    Args:
        mat_file: ``mpii_human_pose_v1_u12_1.mat``.
        images: 'train' (``img_train == 1``, the images with keypoints),
            'all'.
        exclude: a json list in this format whose people (same image and
            centre) are left out.
    """
    if images not in ('train', 'all'):
        raise ValueError(f"images must be 'train' or 'all', got {images!r}")
    release = load_release(mat_file)
    annolist = _items(_field(release, 'annolist'))
    img_train = _items(_field(release, 'img_train'))
    if len(img_train) != len(annolist):
        raise ValueError(f'{mat_file}: {len(img_train)} img_train flags for '
                         f'{len(annolist)} annolist entries')
    excluded = set()
    if exclude:
        with open(exclude) as f:
            excluded = {(a['image'], round(float(a['center'][0]), 2),
                         round(float(a['center'][1]), 2))
                        for a in json.load(f)}
    people, headboxes, skipped = [], [], {}
    for i, (anno, train) in enumerate(track(zip(annolist, img_train),
                                            len(annolist))):
        if images == 'train' and not _number(train):
            continue
        name = _field(_field(anno, 'image'), 'name')
        if name is None:
            raise ValueError(f'{mat_file}: annolist({i + 1}) has no '
                             'image.name')
        for j, rect in enumerate(_items(_field(anno, 'annorect'))):
            where = f'{mat_file}: annolist({i + 1}).annorect({j + 1}) ({name})'
            person, headbox, reason = _person(rect, where)
            if person is None:
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
            person['image'] = str(name)
            key = (person['image'], round(person['center'][0], 2),
                   round(person['center'][1], 2))
            if key in excluded:
                skipped['excluded'] = skipped.get('excluded', 0) + 1
                continue
            if headbox is None:
                raise ValueError(f'{where}: has keypoints but no head box '
                                 'x1/y1/x2/y2')
            people.append(person)
            headboxes.append(headbox)
    return people, headboxes, skipped


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('mat_file', help='mpii_human_pose_v1_u12_1.mat')
    parser.add_argument('out_json', help='json list for MpiiDataset')
    parser.add_argument('--headbox-out', help='json list of the people\'s '
                        'head boxes (MpiiDataset headbox_file)')
    parser.add_argument('--images', choices=['train', 'all'],
                        default='train')
    parser.add_argument('--exclude', help='json list whose people are left '
                        'out (e.g. mpii_val.json)')
    return parser.parse_args()


def main():
    args = parse_args()
    people, headboxes, skipped = convert(args.mat_file, args.images,
                                         args.exclude)
    with open(args.out_json, 'w') as f:
        json.dump(people, f)
    print(f'{len(people)} people -> {osp.abspath(args.out_json)}; skipped: '
          f'{skipped or "none"}')
    if args.headbox_out:
        with open(args.headbox_out, 'w') as f:
            json.dump(headboxes, f)
        print(f'head boxes -> {osp.abspath(args.headbox_out)}')


if __name__ == '__main__':
    main()
