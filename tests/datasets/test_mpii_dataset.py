import json

import numpy as np
import pytest
from PIL import Image

from conftest import shared_data
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
