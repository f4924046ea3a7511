import copy
import os

import numpy as np
import pytest

from kp_ext.datasets.utils import deterministic_split, natural_sort_key
from kp_ext.structures.metainfo import (METAINFO_DIR, is_parsed_metainfo,
                                        parse_pose_metainfo,
                                        resolve_metainfo_file)

COCO_NAMES = [
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
    'right_knee', 'left_ankle', 'right_ankle'
]

INTERFACE_KEYS = {
    'dataset_name', 'num_keypoints', 'keypoint_id2name', 'keypoint_name2id',
    'upper_body_ids', 'lower_body_ids', 'flip_indices', 'flip_pairs',
    'keypoint_colors', 'num_skeleton_links', 'skeleton_links',
    'skeleton_link_colors', 'dataset_keypoint_weights', 'sigmas'
}


def _meta(name):
    return parse_pose_metainfo(dict(from_file=name))


@pytest.mark.parametrize('name,k', [('coco', 17), ('mpii', 16),
                                    ('face68', 68), ('dlc_mouse', 4),
                                    ('cat9', 9)])
def test_every_metainfo_parses(name, k):
    meta = _meta(f'kp_ext/datasets/metainfo/{name}.py')
    assert INTERFACE_KEYS <= set(meta)
    assert meta['num_keypoints'] == k
    fi = meta['flip_indices']
    assert sorted(fi) == list(range(k))
    assert all(fi[fi[i]] == i for i in range(k))  # an involution
    assert meta['keypoint_colors'].shape == (k, 3)
    assert meta['keypoint_colors'].dtype == np.uint8
    assert meta['skeleton_link_colors'].shape == (meta['num_skeleton_links'],
                                                  3)
    assert meta['dataset_keypoint_weights'].shape == (k, )
    assert meta['sigmas'].size in (0, k)
    for a, b in meta['skeleton_links']:
        assert 0 <= a < k and 0 <= b < k and a != b
    for i, j in meta['flip_pairs']:
        assert i < j and fi[i] == j


def test_coco_metainfo_against_hand_lists():
    meta = _meta('coco')
    assert meta['dataset_name'] == 'coco'
    assert meta['flip_indices'] == [
        0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15
    ]
    assert meta['flip_pairs'] == [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10),
                                  (11, 12), (13, 14), (15, 16)]
    assert [meta['keypoint_id2name'][i] for i in range(17)] == COCO_NAMES
    assert meta['upper_body_ids'] == list(range(11))
    assert meta['lower_body_ids'] == list(range(11, 17))
    np.testing.assert_allclose(meta['sigmas'][:5],
                               [.026, .025, .025, .035, .035], atol=1e-6)
    np.testing.assert_allclose(meta['sigmas'][15:], [.089, .089], atol=1e-6)
    # the 19 links of the official COCO skeleton (1-based in the json)
    official = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12],
                [7, 13], [6, 7], [6, 8], [7, 9], [8, 10], [9, 11], [2, 3],
                [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]
    assert {frozenset((a - 1, b - 1))
            for a, b in official} == {frozenset(l)
                                      for l in meta['skeleton_links']}


def test_coco_paf_limbs_form_a_bfs_ordered_spanning_tree():
    meta = _meta('coco')
    limbs = meta['paf_limbs']
    assert len(limbs) == 16
    # union-find: no cycle, everything connected
    parent = list(range(17))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in limbs:
        ra, rb = find(a), find(b)
        assert ra != rb, f'cycle through {(a, b)}'
        parent[ra] = rb
    assert len({find(i) for i in range(17)}) == 1
    reached = {limbs[0][0]}
    for a, b in limbs:
        assert a in reached  # parent first
        reached.add(b)
    name2id = meta['keypoint_name2id']
    assert meta['paf_limb_names'][0] == ('left_shoulder', 'right_shoulder')
    assert [(name2id[a], name2id[b])
            for a, b in meta['paf_limb_names']] == limbs
    red = meta['paf_redundant_limbs']
    red_sets = {frozenset(p) for p in red}
    assert {name2id['left_ear'], name2id['left_shoulder']} in red_sets
    assert {name2id['right_ear'], name2id['right_shoulder']} in red_sets
    assert not {frozenset(p) for p in red} & {frozenset(p) for p in limbs}


def test_mpii_order_and_flips():
    meta = _meta('mpii')
    names = [meta['keypoint_id2name'][i] for i in range(16)]
    assert names == [
        'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee',
        'left_ankle', 'pelvis', 'thorax', 'upper_neck', 'head_top',
        'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder',
        'left_elbow', 'left_wrist'
    ]
    assert meta['flip_indices'] == [
        5, 4, 3, 2, 1, 0, 6, 7, 8, 9, 15, 14, 13, 12, 11, 10
    ]
    assert meta['head_indices'] == [8, 9]


def test_face68_mirror_mapping_and_norm_indices():
    meta = _meta('face68.py')
    fi = meta['flip_indices']
    expected = {0: 16, 1: 15, 7: 9, 8: 8, 17: 26, 21: 22, 27: 27, 30: 30,
                31: 35, 33: 33, 36: 45, 39: 42, 40: 47, 41: 46, 48: 54,
                51: 51, 55: 59, 57: 57, 60: 64, 62: 62, 65: 67, 66: 66}
    for i, j in expected.items():
        assert fi[i] == j and fi[j] == i
    # on the symmetry axis: 8, 27-30, 33, 51, 57, 62, 66
    assert [i for i in range(68) if fi[i] == i] == [
        8, 27, 28, 29, 30, 33, 51, 57, 62, 66
    ]
    assert meta['norm_indices'] == [36, 45]
    assert meta['sigmas'].size == 0
    # contours: closed eyes, 17-point jaw chain
    links = {frozenset(l) for l in meta['skeleton_links']}
    assert frozenset((41, 36)) in links and frozenset((47, 42)) in links
    assert all(frozenset((i, i + 1)) in links for i in range(16))
    assert frozenset((16, 17)) not in links


def test_cat_and_mouse_flips():
    cat = _meta('cat9')
    assert cat['flip_indices'] == [1, 0, 2, 8, 7, 6, 5, 4, 3]
    assert cat['norm_indices'] == [0, 1]
    mouse = _meta('dlc_mouse')
    assert [mouse['keypoint_id2name'][i] for i in range(4)] == [
        'snout', 'leftear', 'rightear', 'tailbase'
    ]
    assert mouse['flip_indices'] == [0, 2, 1, 3]


def test_resolve_metainfo_file_variants(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative repo paths must still resolve
    target = os.path.join(METAINFO_DIR, 'coco.py')
    for name in ('coco', 'coco.py', 'kp_ext/datasets/metainfo/coco.py',
                 'configs/_base_/datasets/coco.py', target):
        assert os.path.samefile(resolve_metainfo_file(name), target)
    with pytest.raises(FileNotFoundError, match='no_such_layout'):
        resolve_metainfo_file('no_such_layout.py')


def _toy_info():
    return dict(
        dataset_name='toy',
        keypoint_info={
            0: dict(name='a', id=0, swap='b'),
            1: dict(name='b', id=1, swap='a'),
            2: dict(name='c', id=2, swap=''),
        },
        skeleton_info={0: dict(link=('a', 'c'), id=0)},
        joint_weights=[1., 1., 2.],
        sigmas=[0.1, 0.1, 0.2])


def test_parse_inline_dict_and_overrides(tmp_path):
    meta = parse_pose_metainfo(_toy_info())
    assert meta['flip_indices'] == [1, 0, 2]
    assert meta['skeleton_links'] == [(0, 2)]
    # file + override of a top-level key
    path = tmp_path / 'toy.py'
    path.write_text(f'dataset_info = {_toy_info()!r}\n')
    meta = parse_pose_metainfo(dict(from_file=str(path), dataset_name='t2'))
    assert meta['dataset_name'] == 't2' and meta['num_keypoints'] == 3


@pytest.mark.parametrize('mutate,match', [
    (lambda m: m['keypoint_info'][2].update(swap='a'), 'not symmetric'),
    (lambda m: m['keypoint_info'][0].update(swap='zz'), 'unknown keypoint'),
    (lambda m: m['skeleton_info'][0].update(link=('a', 'q')), 'unknown'),
    (lambda m: m.update(joint_weights=[1., 1.]), 'joint_weights'),
    (lambda m: m.update(sigmas=[0.1]), 'sigmas'),
    (lambda m: m['keypoint_info'][1].update(name='a'), 'duplicate'),
    (lambda m: m.update(paf_limbs=[('a', 'b')]), 'spanning tree'),
    (lambda m: m.update(paf_limbs=[('a', 'b'), ('b', 'a')]), 'connect'),
])
def test_parse_rejects_inconsistent_metainfo(mutate, match):
    info = copy.deepcopy(_toy_info())
    mutate(info)
    with pytest.raises(ValueError, match=match):
        parse_pose_metainfo(info)


def test_parse_requires_keys():
    info = _toy_info()
    del info['sigmas']
    with pytest.raises(KeyError, match='sigmas'):
        parse_pose_metainfo(info)


def test_deterministic_split():
    keys = [f'id{i}' for i in range(50)]
    tr, va = deterministic_split(keys, 0.2, seed=0)
    assert len(va) == 10 and len(tr) == 40 and not set(tr) & set(va)
    # independent of input order and duplicates
    assert deterministic_split(keys[::-1] + keys, 0.2, 0) == (tr, va)
    assert deterministic_split(keys, 0.2, seed=1) != (tr, va)
    tr2, va2 = deterministic_split(keys, 0.2, val_keys=['id3', 'id7'])
    assert va2 == ['id3', 'id7'] and len(tr2) == 48
    with pytest.raises(ValueError, match='nope'):
        deterministic_split(keys, val_keys=['nope'])
    # tiny sets still get both sides
    assert [len(s) for s in deterministic_split(['a', 'b'], 0.1)] == [1, 1]


def test_natural_sort_key():
    names = ['img10.png', 'img2.png', 'img1.png']
    assert sorted(names, key=natural_sort_key) == [
        'img1.png', 'img2.png', 'img10.png'
    ]


def test_coco_paf_limbs_are_the_codec_defaults():
    """The metainfo is the only definition of the PAF limbs: the codec's
    default body model reads them from coco.py."""
    from kp_ext.codecs import PartAffinityField
    meta = parse_pose_metainfo(dict(from_file='coco.py'))
    codec = PartAffinityField((368, 368), (46, 46))
    assert [tuple(p) for p in meta['paf_limbs']] == list(codec.limbs)
    assert [tuple(p) for p in meta['paf_redundant_limbs']] == \
        list(codec.redundant_limbs)

def test_parse_is_idempotent():
    """Parsing a parsed metainfo returns an equal, independent copy; every
    consumer (datasets, estimators, codecs) tells parsed from raw the same
    way."""
    meta = parse_pose_metainfo(dict(from_file='coco.py'))
    assert is_parsed_metainfo(meta)
    assert not is_parsed_metainfo(dict(from_file='coco.py'))
    assert not is_parsed_metainfo(_toy_info())
    again = parse_pose_metainfo(meta)
    assert again is not meta and set(again) == set(meta)
    for key, value in meta.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(again[key], value)
            assert again[key] is not value
        else:
            assert again[key] == value
    with pytest.raises(TypeError, match='must be a dict'):
        parse_pose_metainfo(['coco.py'])


def test_dataset_estimator_and_codec_share_the_parse():
    """A parsed metainfo handed to a dataset or an estimator is kept as it
    is; the PAF body model reads the same tables from the same file."""
    from kp_ext.codecs.paf_body_model import PAFBodyModel
    from kp_ext.datasets import SyntheticPeopleDataset
    from kp_ext.models.estimators.base import BasePoseEstimator
    meta = parse_pose_metainfo(dict(from_file='coco.py'))
    meta['dataset_name'] = 'coco_renamed'  # a parsed dict is not re-read
    ds_meta = SyntheticPeopleDataset._load_metainfo(meta)
    assert ds_meta['dataset_name'] == 'coco_renamed'
    assert BasePoseEstimator._load_metainfo(meta)['dataset_name'] == \
        'coco_renamed'
    body = PAFBodyModel('coco.py')
    assert list(body.limbs) == meta['paf_limbs']
    assert body.flip_indices == meta['flip_indices']
