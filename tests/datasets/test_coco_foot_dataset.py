"""The foot readers (CocoFootDataset), the BODY_25 / COCO+feet metainfo and
the synthetic crowds with feet."""
import json

import numpy as np
import pytest

from conftest import shared_data
from kp_ext.codecs import PAFBodyModel
from kp_ext.datasets import (CocoFootDataset, SyntheticCrowdDataset,
                             foot_annotation)
from kp_ext.structures.metainfo import (load_metainfo_file,
                                       parse_pose_metainfo)

# CMU openpose, src/openpose/pose/poseParameters.cpp (copied by hand from
# the stored source, independent of body25.py): POSE_BODY_25_BODY_PARTS,
# POSE_BODY_PART_PAIRS and POSE_MAP_INDEX of BODY_25
OPENPOSE_PARTS = [
    'Nose', 'Neck', 'RShoulder', 'RElbow', 'RWrist', 'LShoulder', 'LElbow',
    'LWrist', 'MidHip', 'RHip', 'RKnee', 'RAnkle', 'LHip', 'LKnee', 'LAnkle',
    'REye', 'LEye', 'REar', 'LEar', 'LBigToe', 'LSmallToe', 'LHeel',
    'RBigToe', 'RSmallToe', 'RHeel']
OPENPOSE_PAIRS = [1, 8, 1, 2, 1, 5, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 10,
                  11, 8, 12, 12, 13, 13, 14, 1, 0, 0, 15, 15, 17, 0, 16, 16,
                  18, 2, 17, 5, 18, 14, 19, 19, 20, 14, 21, 11, 22, 22, 23,
                  11, 24]
OPENPOSE_MAP_INDEX = [0, 1, 14, 15, 22, 23, 16, 17, 18, 19, 24, 25, 26, 27,
                      6, 7, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 30, 31, 32, 33,
                      36, 37, 34, 35, 38, 39, 20, 21, 28, 29, 40, 41, 42, 43,
                      44, 45, 46, 47, 48, 49, 50, 51]


def _op_name(name):
    """'left_big_toe' -> 'LBigToe', 'mid_hip' -> 'MidHip'."""
    parts = name.split('_')
    side = {'left': 'L', 'right': 'R'}.get(parts[0])
    rest = parts[1:] if side else parts
    return (side or '') + ''.join(p.capitalize() for p in rest)


def test_body25_parts_limbs_and_channels_are_openposes():
    meta = parse_pose_metainfo(dict(from_file='body25.py'))
    names = [meta['keypoint_id2name'][i] for i in range(25)]
    assert [_op_name(n) for n in names] == OPENPOSE_PARTS
    pairs = [tuple(OPENPOSE_PAIRS[i:i + 2])
             for i in range(0, len(OPENPOSE_PAIRS), 2)]
    body = PAFBodyModel('body25.py')
    all_limbs = list(body.limbs) + list(body.redundant_limbs)
    assert sorted(all_limbs) == sorted(pairs)  # same 26, same directions
    assert list(body.redundant_limbs) == [(2, 17), (5, 18)]
    assert [all_limbs[i] for i in body.limb_sequence] == pairs
    # the released model's x channel of every kp_ext limb (POSE_MAP_INDEX)
    chans = meta['openpose_paf_channels']
    assert chans == [OPENPOSE_MAP_INDEX[2 * pairs.index(lb)]
                     for lb in all_limbs]
    assert sorted(chans) == list(range(0, 52, 2))
    # flip pairs: every left part swaps with its right part
    for k, n in enumerate(names):
        other = names[meta['flip_indices'][k]]
        assert other == n.replace('left', 'X').replace(
            'right', 'left').replace('X', 'right')
    # OKS sigmas: COCO's for COCO's keypoints, WholeBody's for the feet
    coco = parse_pose_metainfo(dict(from_file='coco.py'))
    for k, n in enumerate(names):
        if n in coco['keypoint_name2id']:
            assert meta['sigmas'][k] == coco['sigmas'][
                coco['keypoint_name2id'][n]]
    np.testing.assert_allclose(meta['sigmas'][19:],
                               [.068, .066, .066, .092, .094, .094])
    # drawn limbs: openpose's render pairs (the 24 without ear-shoulder)
    assert sorted(meta['skeleton_links']) == sorted(
        p for p in pairs if p not in ((2, 17), (5, 18)))


def test_derived_parts_come_from_one_place():
    from mmengine.config import Config

    from kp_ext.structures.metainfo import resolve_metainfo_file
    defs = Config.fromfile(resolve_metainfo_file(
        '_derived_parts.py'))['derived_parts']
    assert set(defs) == {'neck', 'mid_hip'}
    for model in ('body25.py', 'coco_openpose18.py'):
        raw = load_metainfo_file(model)['keypoint_sources']
        assert tuple(raw['neck']) == tuple(defs['neck'])
    assert tuple(load_metainfo_file('body25.py')['keypoint_sources'][
        'mid_hip']) == tuple(defs['mid_hip'])
    # the midpoint, defined only when both ends are labelled
    body = PAFBodyModel('body25.py')
    kpts = np.zeros((2, 23, 2))
    kpts[:, 11], kpts[:, 12] = (10, 20), (30, 40)   # left / right hip
    vis = np.ones((2, 23))
    vis[1, 12] = 0
    parts, pvis = body.to_parts(kpts, vis)
    np.testing.assert_allclose(parts[0, 8], (20, 30))
    assert pvis[0, 8] == 1 and pvis[1, 8] == 0


def _wholebody():
    root = shared_data('mmpose_testdata', 'coco')
    ann = root / 'test_coco_wholebody.json'
    if not ann.is_file():
        pytest.skip(f'{ann} absent (../shared/data/mmpose_testdata)')
    return root, ann


def test_wholebody_reader_counts_match_the_file():
    root, ann = _wholebody()
    data = json.loads(ann.read_text())
    expected = {}
    for a in data['annotations']:
        if a.get('iscrowd') or a['num_keypoints'] == 0:
            continue  # not a usable person (COCO's rule)
        foot = np.asarray(a['foot_kpts']).reshape(6, 3)
        expected[a['id']] = (int((foot[:, 2] > 0).sum()) if a['foot_valid']
                             else 0, a['num_keypoints'])
    ds = CocoFootDataset(ann_file=str(ann), data_prefix=dict(img=str(root)))
    assert ds.metainfo['num_keypoints'] == 23
    got = {}
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        vis = info['keypoints_visible'][0]
        got[info['id']] = (int(vis[17:].sum()), int(vis[:17].sum()))
        raw = info['raw_ann_info']
        assert len(raw['keypoints']) == 51 and len(raw['foot_kpts']) == 18
    assert got == expected
    assert sum(v[0] for v in got.values()) == 38  # foot points in the file
    # bottom-up: one sample per image, all its people
    bu = CocoFootDataset(ann_file=str(ann), data_prefix=dict(img=str(root)),
                         data_mode='bottomup')
    assert sum(len(bu.get_data_info(i)['raw_ann_info'])
               for i in range(len(bu))) == len(expected)


def test_cmu_and_halpe_layouts(tmp_path):
    root, ann = _wholebody()
    data = json.loads(ann.read_text())
    cmu = dict(data, annotations=[
        dict({k: v for k, v in a.items() if k not in ('foot_kpts',
                                                      'foot_valid')},
             keypoints=a['keypoints'] + (a['foot_kpts'] if a['foot_valid']
                                         else [0] * 18))
        for a in data['annotations']])
    path = tmp_path / 'person_keypoints_foot.json'
    path.write_text(json.dumps(cmu))
    a = CocoFootDataset(ann_file=str(ann), data_prefix=dict(img=str(root)))
    b = CocoFootDataset(ann_file=str(path), data_prefix=dict(img=str(root)),
                        foot_layout='cmu_foot')
    assert len(a) == len(b)
    for i in range(len(a)):
        np.testing.assert_array_equal(a.get_data_info(i)['keypoints'],
                                      b.get_data_info(i)['keypoints'])
    halpe = shared_data('mmpose_testdata', 'halpe', 'test_halpe.json')
    if halpe.is_file():
        h = CocoFootDataset(ann_file=str(halpe),
                            data_prefix=dict(img=str(root)),
                            foot_layout='halpe')
        raw = json.loads(halpe.read_text())['annotations']
        by_id = {r['id']: np.asarray(r['keypoints']).reshape(-1, 3)
                 for r in raw}
        for i in range(len(h)):
            info = h.get_data_info(i)
            src = by_id[info['id']]
            # halpe 20-25: LBigToe, RBigToe, LSmallToe, RSmallToe, LHeel,
            # RHeel -> coco_foot23 17-22
            for dst, s in zip(range(17, 23), (20, 22, 24, 21, 23, 25)):
                assert info['keypoints_visible'][0, dst] == (src[s, 2] > 0)
                if src[s, 2] > 0:
                    np.testing.assert_allclose(info['keypoints'][0, dst],
                                               src[s, :2], atol=1e-3)


def test_bad_foot_arrays_name_the_annotation():
    good, _ = foot_annotation(dict(id=1, keypoints=[0] * 51,
                                   foot_kpts=[1, 2, 2] * 6, foot_valid=False),
                              'wholebody')
    assert good['foot_kpts'] == [0.0] * 18  # invalid feet: no points
    _, problem = foot_annotation(dict(keypoints=[0] * 51, foot_kpts=[0] * 9),
                                 'wholebody', 'f.json: annotation id 5: ')
    assert problem.startswith('f.json: annotation id 5: ') and '18' in problem
    _, problem = foot_annotation(dict(keypoints=[0] * 51), 'cmu_foot')
    assert "foot_layout='cmu_foot'" in problem
    with pytest.raises(ValueError, match='foot_layout'):
        CocoFootDataset(ann_file='x.json', foot_layout='openpose')


def test_synthetic_crowds_with_feet_keep_the_images():
    kw = dict(num_samples=3, img_size=(160, 160), num_people=(1, 4),
              scale_range=(0.5, 0.9), seed=3)
    plain = SyntheticCrowdDataset(**kw)
    feet = SyntheticCrowdDataset(with_feet=True, **kw)
    assert feet.metainfo['dataset_name'] == 'coco_foot23'
    seen = 0
    for i in range(3):
        a, b = plain.get_data_info(i), feet.get_data_info(i)
        np.testing.assert_array_equal(a['img'], b['img'])
        np.testing.assert_array_equal(a['keypoints'], b['keypoints'][:, :17])
        assert b['keypoints'].shape[1:] == (23, 2)
        for p, raw in enumerate(b['raw_ann_info']):
            assert raw['keypoints'] == a['raw_ann_info'][p]['keypoints']
            assert len(raw['foot_kpts']) == 18 and raw['foot_valid']
        # foot points lie below the ankles' knees, near the ankles
        k, v = b['keypoints'], b['keypoints_visible']
        for p in range(len(k)):
            for an, kn, toes in ((15, 13, (17, 18, 19)),
                                 (16, 14, (20, 21, 22))):
                shin = np.linalg.norm(k[p, an] - k[p, kn])
                for t in toes:
                    assert np.linalg.norm(k[p, t] - k[p, an]) < 0.6 * shin
                    seen += int(v[p, t] > 0)
    assert seen > 0
    with pytest.raises(ValueError, match='renders 23 keypoints'):
        SyntheticCrowdDataset(with_feet=True,
                              metainfo=dict(from_file='coco.py'), **kw)
