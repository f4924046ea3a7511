"""tools/dataset_converters/mpii_mat2json.py on a small generated .mat in
the layout of MPII's mpii_human_pose_v1_u12_1.mat (RELEASE.annolist(i)
.annorect(j).annopoints.point(k), head box x1..y2, objpos, scale,
RELEASE.img_train)."""
import json
import sys

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from kp_ext.datasets import MpiiDataset
from tools.dataset_converters import mpii_mat2json


def _struct_array(records):
    """A MATLAB 1 x n struct array (savemat writes numpy records)."""
    keys = list(records[0])
    arr = np.empty((1, len(records)), dtype=[(k, 'O') for k in keys])
    for i, r in enumerate(records):
        for k in keys:
            arr[0, i][k] = r[k]
    return arr


def _points(joints):
    """annopoints.point of {id: (x, y)}; is_visible as MPII mixes it:
    numbers, '0'/'1' strings and empty."""
    vis = [1, '1', '', 0]
    return _struct_array([dict(id=jid, x=x, y=y, is_visible=vis[n % 4])
                          for n, (jid, (x, y)) in enumerate(joints.items())])


def _rect(joints=None, box=(10., 20., 40., 60.), center=(100., 200.),
          scale=1.5):
    empty = np.zeros((0, 0))
    return dict(
        x1=box[0], y1=box[1], x2=box[2], y2=box[3],
        annopoints=(empty if joints is None else
                    _struct_array([dict(point=_points(joints))])),
        scale=empty if scale is None else scale,
        objpos=_struct_array([dict(x=center[0], y=center[1])]))


ALL = {j: (100. + 3 * j, 50. + 7 * j) for j in range(16)}
PARTIAL = {j: xy for j, xy in ALL.items() if j not in (0, 5)}


@pytest.fixture
def release_mat(tmp_path):
    annolist = _struct_array([
        # training image, two people: all joints / ankles missing
        dict(image=_struct_array([dict(name='000000001.jpg')]),
             annorect=_struct_array([
                 _rect(ALL), _rect(PARTIAL, box=(0., 0., 30., 40.),
                                   center=(300., 250.), scale=2.0)])),
        # training image: one person without keypoints, one without scale
        dict(image=_struct_array([dict(name='000000002.jpg')]),
             annorect=_struct_array([_rect(None),
                                     _rect(ALL, scale=None)])),
        # test image (img_train 0): keypoints are not released
        dict(image=_struct_array([dict(name='000000003.jpg')]),
             annorect=_struct_array([_rect(ALL, center=(7., 8.))])),
    ])
    path = tmp_path / 'mpii_human_pose_v1_u12_1.mat'
    savemat(path, dict(RELEASE=_struct_array([dict(
        annolist=annolist, img_train=np.array([[1, 1, 0]]),
        version='12')])))
    return path


def test_convert_release_struct(release_mat):
    people, boxes, skipped = mpii_mat2json.convert(str(release_mat))
    assert [p['image'] for p in people] == ['000000001.jpg'] * 2
    assert skipped == {'no keypoints': 1, 'no objpos/scale': 1}
    first, second = people
    assert first['center'] == [100., 200.] and first['scale'] == 1.5
    np.testing.assert_allclose(first['joints'], [ALL[j] for j in range(16)])
    assert first['joints_vis'] == [1] * 16
    assert second['joints_vis'] == [0] + [1] * 4 + [0] + [1] * 10
    assert second['joints'][0] == [-1, -1] and second['joints'][5] == [-1, -1]
    assert boxes == [[[10, 20], [40, 60]], [[0, 0], [30, 40]]]
    # 'all' images also reads the test image's person
    people, _, _ = mpii_mat2json.convert(str(release_mat), images='all')
    assert [p['image'] for p in people][-1] == '000000003.jpg'


def test_output_reads_in_mpii_dataset_with_official_head_size(
        release_mat, tmp_path, monkeypatch):
    out, hb = tmp_path / 'mpii_train.json', tmp_path / 'headboxes.json'
    monkeypatch.setattr(sys, 'argv', [
        'mpii_mat2json.py', str(release_mat), str(out), '--headbox-out',
        str(hb)])
    mpii_mat2json.main()
    Image.new('RGB', (8, 8)).save(tmp_path / '000000001.jpg')
    ds = MpiiDataset(ann_file=str(out), headbox_file=str(hb),
                     data_prefix=dict(img=str(tmp_path)), test_mode=True)
    assert len(ds) == 2
    # official PCKh head size: 0.6 x head-box diagonal (50 px, 50 px)
    np.testing.assert_allclose(
        [ds.get_data_info(i)['head_size'][0] for i in range(2)],
        [0.6 * 50, 0.6 * 50], rtol=1e-6)
    info = ds.get_data_info(1)
    np.testing.assert_allclose(info['keypoints'][0][1],
                               np.subtract(ALL[1], 1))  # 1-based -> 0
    assert info['keypoints_visible'][0][[0, 5]].tolist() == [0, 0]
    # --exclude drops the people of another list (e.g. mpii_val.json)
    with open(out) as f:
        val = json.load(f)[:1]
    (tmp_path / 'val.json').write_text(json.dumps(val))
    people, _, skipped = mpii_mat2json.convert(
        str(release_mat), exclude=str(tmp_path / 'val.json'))
    assert len(people) == 1 and skipped['excluded'] == 1


def test_not_an_mpii_release_file(tmp_path):
    savemat(tmp_path / 'x.mat', dict(other=np.zeros(2)))
    with pytest.raises(KeyError, match='RELEASE'):
        mpii_mat2json.convert(str(tmp_path / 'x.mat'))
