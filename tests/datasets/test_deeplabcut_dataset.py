import csv

import numpy as np
import pytest
from PIL import Image

from conftest import shared_data
from kp_ext.datasets import DeepLabCutDataset, read_dlc_csv
from kp_ext.registry import DATASETS

OPENFIELD = ('deeplabcut_examples', 'examples', 'openfield-Pranav-2018-10-30')
CSV_REL = 'labeled-data/m4s1/CollectedData_Pranav.csv'


def _frames(ds):
    return [ds.get_data_info(i)['frame_index'] for i in range(len(ds))]


def test_openfield_frame_range_split():
    project = shared_data(*OPENFIELD)
    cfg = dict(type='DeepLabCutDataset', ann_file=CSV_REL,
               data_root=str(project))
    full = DATASETS.build(dict(cfg, split='all'))
    train = DATASETS.build(dict(cfg, split='train'))
    val = DATASETS.build(dict(cfg, split='val'))
    assert len(full) == 80
    assert (len(train), len(val)) == (64, 16)
    tr, va = _frames(train), _frames(val)
    assert tr == list(range(64)) and va == list(range(64, 80))
    assert max(tr) < min(va) and not set(tr) & set(va)
    names_tr = [train.get_data_info(i)['img_name'] for i in range(64)]
    names_va = [val.get_data_info(i)['img_name'] for i in range(16)]
    assert names_tr[0].endswith('img0000.png')
    assert names_tr[-1].endswith('img0063.png')
    assert names_va[0].endswith('img0064.png')
    assert names_va[-1].endswith('img0079.png')

    # values equal the CSV (bodyparts reordered to the metainfo order)
    with open(project / CSV_REL, newline='') as f:
        rows = list(csv.reader(f))
    parts = rows[1][1:]
    row0 = rows[3]
    info = full.get_data_info(0)
    names = [full.metainfo['keypoint_id2name'][i] for i in range(4)]
    for k, name in enumerate(names):
        j = parts.index(name) + 1
        np.testing.assert_allclose(info['keypoints'][0, k],
                                   [float(row0[j]), float(row0[j + 1])],
                                   rtol=1e-6)
    assert np.all(info['keypoints_visible'] == 1)
    assert info['img_path'].endswith('labeled-data/m4s1/img0000.png')
    x1, y1, x2, y2 = info['bbox'][0]
    kp = info['keypoints'][0]
    assert np.all(kp[:, 0] > x1) and np.all(kp[:, 0] < x2)
    assert np.all(kp[:, 1] > y1) and np.all(kp[:, 1] < y2)
    assert 0 <= x1 and 0 <= y1 and x2 <= 639 and y2 <= 479

    # the project folder is inferred when no image prefix is given
    by_path = DeepLabCutDataset(ann_file=str(project / CSV_REL),
                                frame_range=(10, 20), bbox_mode='image')
    assert _frames(by_path) == list(range(10, 20))
    np.testing.assert_allclose(by_path.get_data_info(0)['bbox'][0],
                               [0, 0, 639, 479])


def test_reaching_csv_with_missing_labels_needs_its_own_metainfo():
    project = shared_data('deeplabcut_examples', 'examples',
                          'Reaching-Mackenzie-2018-08-30')
    csv_path = project / 'labeled-data' / 'reachingvideo1' / \
        'CollectedData_Mackenzie.csv'
    with pytest.raises(ValueError, match='do not match the metainfo'):
        DeepLabCutDataset(ann_file=str(csv_path))
    parts, frames = read_dlc_csv(str(csv_path))
    assert parts == ['Hand', 'Finger1', 'Tongue', 'Joystick1', 'Joystick2']
    info = dict(
        dataset_name='reaching',
        keypoint_info={
            i: dict(name=n, id=i, swap='')
            for i, n in enumerate(parts)
        },
        skeleton_info={},
        joint_weights=[1.] * 5,
        sigmas=[])
    ds = DeepLabCutDataset(ann_file=str(csv_path), metainfo=info)
    assert len(ds) == len(frames) == 55
    missing = sum(
        int((ds.get_data_info(i)['keypoints_visible'] == 0).sum())
        for i in range(len(ds)))
    assert missing == 42  # SOURCE.md: 42 unlabelled points
    for i in range(len(ds)):
        d = ds.get_data_info(i)
        assert np.all(np.isfinite(d['keypoints']))
        assert np.all(d['keypoints'][0][d['keypoints_visible'][0] == 0] == 0)


# ----------------------------------------------------------------------
PARTS = ['snout', 'leftear', 'rightear', 'tailbase']


def _write(tmp_path, rows, parts=PARTS, n_frames=5):
    vid = tmp_path / 'proj' / 'labeled-data' / 'v1'
    vid.mkdir(parents=True)
    path = vid / 'CollectedData_me.csv'
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['scorer'] + ['me'] * 2 * len(parts))
        w.writerow(['bodyparts'] + [p for p in parts for _ in 'xy'])
        w.writerow(['coords'] + ['x', 'y'] * len(parts))
        for r in rows:
            w.writerow(r)
    for i in range(n_frames):
        Image.new('RGB', (200, 100)).save(vid / f'img{i}.png')
    return path


def _row(i, vals=None):
    if vals is None:
        vals = [50 + i, 40, 45, 35, 55, 35, 80, 50]
    return [f'labeled-data/v1/img{i}.png'] + vals


def test_nan_keypoints_are_invisible_and_order_is_natural(tmp_path):
    rows = [_row(i) for i in (4, 1, 3, 0, 2)]
    rows[0] = _row(4, [50, 40, '', '', 55, 35, 'NaN', 'nan'])
    path = _write(tmp_path, rows)
    ds = DeepLabCutDataset(ann_file=str(path), split='val',
                           train_fraction=0.6)
    assert _frames(ds) == [3, 4]
    last = ds.get_data_info(1)
    assert last['img_name'] == 'labeled-data/v1/img4.png'
    np.testing.assert_array_equal(last['keypoints_visible'][0], [1, 0, 1, 0])
    np.testing.assert_array_equal(last['keypoints'][0, 1], [0, 0])
    assert last['num_keypoints'] == 2
    # min_bbox_size keeps a usable box around few points
    x1, y1, x2, y2 = last['bbox'][0]
    assert x2 - x1 >= 32 - 1e-4 and y2 - y1 >= 32 - 1e-4


@pytest.mark.parametrize('row,match', [
    (_row(1, [''] * 8), 'invisible'),
    (_row(1, [50, 40, 45, 35, 55, 35, 80]), 'wrong number of cells'),
    (_row(1, [50, 40, 'abc', 35, 55, 35, 80, 50]), 'non-numeric'),
    (['labeled-data/v1/img9.png', 50, 40, 45, 35, 55, 35, 80, 50],
     'img9.png missing'),
    (_row(1, [50, 40, 50, 40, 50, 40, 50, 40]), 'zero-size'),
])
def test_bad_rows(tmp_path, row, match):
    path = _write(tmp_path, [_row(0), row])
    kw = dict(ann_file=str(path))
    if match == 'zero-size':
        kw['min_bbox_size'] = 0
    with pytest.raises(ValueError, match=match) as err:
        DeepLabCutDataset(**kw)
    assert str(path) in str(err.value) and 'line 5' in str(err.value)
    ds = DeepLabCutDataset(on_bad_annotation='skip', **kw)
    assert len(ds) == 1 and len(ds.bad_annotations) == 1


def test_bad_headers(tmp_path):
    path = _write(tmp_path, [_row(0)], parts=['snout', 'leftear', 'tail',
                                              'rightear'])
    with pytest.raises(ValueError, match="'tail'"):
        DeepLabCutDataset(ann_file=str(path))
    other = tmp_path / 'x.csv'
    other.write_text('a,b\n1,2\n')
    with pytest.raises(ValueError, match='not a DeepLabCut CSV'):
        DeepLabCutDataset(ann_file=str(other))
    multi = tmp_path / 'm.csv'
    multi.write_text('scorer,me,me\nindividuals,a,a\nbodyparts,s,s\n'
                     'coords,x,y\n')
    with pytest.raises(ValueError, match='multi-animal'):
        DeepLabCutDataset(ann_file=str(multi))
    with pytest.raises(ValueError, match='split'):
        DeepLabCutDataset(ann_file=str(path), split='random')
