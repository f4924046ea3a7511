import json

import numpy as np
import pytest
from PIL import Image

from conftest import logged_messages, shared_data
from kp_ext.datasets import MpiiDataset
from kp_ext.registry import DATASETS

K = 16


def test_shared_mpii_json():
    root = shared_data('mmpose_testdata', 'mpii')
    with open(root / 'test_mpii.json') as f:
        anns = json.load(f)
    ds = DATASETS.build(
        dict(type='MpiiDataset', ann_file='test_mpii.json',
             data_root=str(root)))
    assert len(ds) == len(anns) == 5
    assert ds.metainfo['dataset_name'] == 'mpii'
    for i, a in enumerate(anns):
        info = ds.get_data_info(i)
        assert info['img_path'].endswith(a['image'])
        assert info['img_id'] == int(a['image'].split('.')[0])
        # MMPose: centre moved down by 15 * scale px, then 1-based -> 0
        cx, cy = a['center'][0] - 1, a['center'][1] + 15 * a['scale'] - 1
        half = a['scale'] * 200 / 2
        np.testing.assert_allclose(
            info['bbox'][0], [cx - half, cy - half, cx + half, cy + half],
            rtol=1e-5)
        joints = np.array(a['joints'], dtype=np.float32) - 1
        np.testing.assert_allclose(info['keypoints'][0], joints, rtol=1e-6)
        np.testing.assert_array_equal(info['keypoints_visible'][0],
                                      a['joints_vis'])
        head = np.linalg.norm(np.subtract(a['joints'][9], a['joints'][8]))
        assert info['head_size'].shape == (1, )
        np.testing.assert_allclose(info['head_size'][0], head, rtol=1e-5)
    # the 1.25 padding of MMPose comes from GetBBoxCenterScale: box = s*200
    w = ds.get_data_info(0)['bbox'][0, 2] - ds.get_data_info(0)['bbox'][0, 0]
    assert np.isclose(w, anns[0]['scale'] * 200, rtol=1e-5)


def _write(tmp_path, anns, images=('000001.jpg', 'x.jpg')):
    path = tmp_path / 'mpii.json'
    path.write_text(json.dumps(anns))
    for n in images:
        Image.new('RGB', (32, 32)).save(tmp_path / n)
    return path


def _ann(image='000001.jpg', joints=None, vis=None, scale=1.0):
    if joints is None:
        joints = [[10. + i, 20. + 2 * i] for i in range(K)]
    return dict(image=image, center=[50., 60.], scale=scale, joints=joints,
                joints_vis=[1] * K if vis is None else vis)


def test_headbox_files_and_fallbacks(tmp_path):
    anns = [_ann(), _ann(image='x.jpg', vis=[1] * 8 + [0] + [1] * 7)]
    path = _write(tmp_path, anns)
    ds = MpiiDataset(ann_file=str(path), data_prefix=dict(img=str(tmp_path)))
    assert ds.get_data_info(0)['img_id'] == 1
    assert ds.get_data_info(1)['img_id'] == 0  # non-numeric names: index
    h0 = np.linalg.norm(np.subtract(anns[0]['joints'][9],
                                    anns[0]['joints'][8]))
    assert np.isclose(ds.get_data_info(0)['head_size'][0], h0)
    assert np.isnan(ds.get_data_info(1)['head_size'][0])  # no upper_neck
    half = MpiiDataset(ann_file=str(path), head_size_factor=0.5,
                       data_prefix=dict(img=str(tmp_path)))
    assert np.isclose(half.get_data_info(0)['head_size'][0], h0 / 2)

    boxes = np.array([[[0, 0], [30, 40]], [[5, 5], [11, 13]]], float)
    np.save(tmp_path / 'hb.npy', boxes)
    (tmp_path / 'hb.json').write_text(
        json.dumps(boxes.reshape(2, 4).tolist()))
    for name in ('hb.npy', 'hb.json'):
        ds = MpiiDataset(ann_file='mpii.json', headbox_file=name,
                         data_root=str(tmp_path), test_mode=True)
        np.testing.assert_allclose(
            [ds.get_data_info(i)['head_size'][0] for i in range(2)],
            [0.6 * 50, 0.6 * 10], rtol=1e-6)
    from scipy.io import savemat
    savemat(tmp_path / 'hb.mat',
            dict(headboxes_src=np.transpose(boxes, (1, 2, 0))))
    ds = MpiiDataset(ann_file='mpii.json', headbox_file='hb.mat',
                     data_root=str(tmp_path))
    assert np.isclose(ds.get_data_info(0)['head_size'][0], 30)
    np.save(tmp_path / 'short.npy', boxes[:1])
    with pytest.raises(ValueError, match='1 head boxes for 2'):
        MpiiDataset(ann_file='mpii.json', headbox_file='short.npy',
                    data_root=str(tmp_path))
    with pytest.raises(ValueError, match='headbox_file'):
        MpiiDataset(ann_file='mpii.json', headbox_file='hb.txt',
                    data_root=str(tmp_path))


def test_bottomup_groups_people_of_an_image(tmp_path):
    path = _write(tmp_path, [_ann(), _ann(), _ann(image='x.jpg')])
    ds = MpiiDataset(ann_file=str(path), data_mode='bottomup',
                     data_prefix=dict(img=str(tmp_path)))
    assert len(ds) == 2
    first = ds.get_data_info(0)
    assert first['keypoints'].shape == (2, K, 2)
    assert first['head_size'].shape == (2, )
    assert first['id'].tolist() == [0, 1]
    assert first['invalid_segs'] == []


@pytest.mark.parametrize('ann,match', [
    (_ann(joints=[[1., 2.]] * (K - 1)), 'expected 16'),
    (_ann(joints=[[float('nan'), 2.]] + [[1., 2.]] * (K - 1)), 'NaN'),
    (_ann(vis=[0] * K), 'invisible'),
    (_ann(scale=0.0), 'zero-size'),
    (_ann(image='missing.jpg'), 'missing.jpg'),
    ({'image': '000001.jpg', 'center': [1, 2]}, 'unreadable entry'),
])
def test_bad_annotations(tmp_path, ann, match):
    path = _write(tmp_path, [_ann(), ann])
    with pytest.raises(ValueError, match=match) as err:
        MpiiDataset(ann_file=str(path), data_prefix=dict(img=str(tmp_path)))
    assert str(path) in str(err.value) and 'annotation 1' in str(err.value)
    ds = MpiiDataset(ann_file=str(path), on_bad_annotation='skip',
                     data_prefix=dict(img=str(tmp_path)))
    assert len(ds) == 1 and len(ds.bad_annotations) == 1


def _mat(tmp_path, anns, boxes, **extra):
    """An mpii_gt_val.mat-like file: headboxes_src (2, 2, N) indexed
    [corner, xy, person] as evaluatePCKh.m reads it."""
    from scipy.io import savemat
    path = tmp_path / 'mpii_gt_val.mat'
    savemat(path, dict(headboxes_src=np.transpose(boxes, (1, 2, 0)),
                       **extra))
    return path


def test_official_headboxes_from_mat(tmp_path):
    anns = [_ann(), _ann(image='x.jpg'), _ann(scale=2.0)]
    _write(tmp_path, anns)
    boxes = np.array([[[100, 50], [124, 82]],     # diagonal 40
                      [[7, 3], [12, 15]],         # diagonal 13
                      [[0, 0], [9, 12]]], float)  # diagonal 15
    joints = np.array([a['joints'] for a in anns], float)
    pos_gt_src = joints.transpose(1, 2, 0).copy()
    missing = np.zeros((K, 3))
    missing[3, 1] = 1          # unannotated in the .mat: its value is
    pos_gt_src[3, :, 1] = -1   # not compared with the json
    _mat(tmp_path, anns, boxes, pos_gt_src=pos_gt_src, jnt_missing=missing)
    ds = MpiiDataset(ann_file='mpii.json', data_root=str(tmp_path),
                     headbox_file='mpii_gt_val.mat', test_mode=True)
    np.testing.assert_allclose(
        [ds.get_data_info(i)['head_size'][0] for i in range(3)],
        [0.6 * 40, 0.6 * 13, 0.6 * 15], rtol=1e-6)
    # the .mat's joints must be this annotation file's (same order)
    _mat(tmp_path, anns, boxes,
         pos_gt_src=joints[[1, 0, 2]].transpose(1, 2, 0) + [[[0], [5]]])
    with pytest.raises(ValueError, match='not those of this annotation'):
        MpiiDataset(ann_file='mpii.json', data_root=str(tmp_path),
                    headbox_file='mpii_gt_val.mat', test_mode=True)


def test_missing_headbox_file_names_path_and_opt_out(tmp_path):
    _write(tmp_path, [_ann()])
    with pytest.raises(FileNotFoundError) as err:
        MpiiDataset(ann_file='mpii.json', data_root=str(tmp_path),
                    headbox_file='annotations/mpii_gt_val.mat',
                    test_mode=True)
    msg = str(err.value)
    assert str(tmp_path / 'annotations/mpii_gt_val.mat') in msg
    assert 'headbox_file=None' in msg and 'NOT the official' in msg


def test_fallback_warns_not_official(tmp_path):
    _write(tmp_path, [_ann()])
    with logged_messages() as messages:
        MpiiDataset(ann_file='mpii.json', data_root=str(tmp_path),
                    test_mode=True)
        n_test = len(messages)
        MpiiDataset(ann_file='mpii.json', data_root=str(tmp_path))
    assert n_test == len(messages) == 1  # training split: silent
    assert 'NOT the official protocol' in messages[0]
