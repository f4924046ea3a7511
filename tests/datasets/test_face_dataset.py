import csv
import json

import numpy as np
import pytest
from PIL import Image

from conftest import shared_data
from kp_ext.datasets import FaceLandmarkCSVDataset, face_identity
from kp_ext.registry import DATASETS

K = 68


def _ids(ds):
    return {ds.get_data_info(i)['identity'] for i in range(len(ds))}


def _csv_rows(path):
    with open(path, newline='') as f:
        return list(csv.reader(f))[1:]


def test_identity_split_of_shared_faces():
    root = shared_data('youtube_faces_68lm_udacity')
    cfg = dict(type='FaceLandmarkCSVDataset', data_root=str(root))
    full = DATASETS.build(dict(cfg, split='all'))
    train = DATASETS.build(dict(cfg, split='train'))
    val = DATASETS.build(dict(cfg, split='val'))
    assert len(full) == 1205
    assert len(train) + len(val) == 1205
    assert not _ids(train) & _ids(val)
    with open(root / 'identities.json') as f:
        identities = set(json.load(f))
    assert _ids(train) | _ids(val) == identities
    assert len(_ids(val)) == 20  # round(0.2 * 100)
    # re-split by identity: val takes frames from both Udacity CSVs
    folders = {
        val.get_data_info(i)['img_name'].split('/')[0]
        for i in range(len(val))
    }
    assert folders == {'training', 'test'}
    # img_id is stable across splits and unique
    full_ids = {
        full.get_data_info(i)['img_name']: full.get_data_info(i)['img_id']
        for i in range(len(full))
    }
    assert len(set(full_ids.values())) == 1205
    for i in range(0, len(val), 37):
        info = val.get_data_info(i)
        assert full_ids[info['img_name']] == info['img_id']
    # deterministic: building again gives the same split
    again = DATASETS.build(dict(cfg, split='val'))
    assert _ids(again) == _ids(val)
    # holdout identities come out of the training identities only: val is
    # unchanged, training never sees them
    hcfg = dict(cfg, holdout_fraction=0.15)
    h_train = DATASETS.build(dict(hcfg, split='train'))
    h_hold = DATASETS.build(dict(hcfg, split='holdout'))
    h_val = DATASETS.build(dict(hcfg, split='val'))
    assert _ids(h_val) == _ids(val)
    assert not _ids(h_train) & _ids(h_hold)
    assert _ids(h_train) | _ids(h_hold) == _ids(train)
    assert len(_ids(h_hold)) == 12  # round(0.15 * 80)
    assert len(h_train) + len(h_hold) == len(train)
    assert h_hold.identity_split['holdout'] == sorted(_ids(h_hold))
    with pytest.raises(ValueError, match='holdout_fraction'):
        DATASETS.build(dict(cfg, split='holdout'))

    info = train.get_data_info(0)
    rows = {r[0]: r for r in _csv_rows(root / 'data' /
                                       'training_frames_keypoints.csv')}
    name = info['img_name'].split('/', 1)[1]
    kp = np.array(rows[name][1:], dtype=np.float32).reshape(K, 2)
    np.testing.assert_allclose(info['keypoints'][0], kp)
    assert info['identity'] == face_identity(name)
    assert np.all(info['keypoints_visible'] == 1)
    iod = np.linalg.norm(kp[36] - kp[45])
    np.testing.assert_allclose(info['interocular_dist'], [iod], rtol=1e-5)
    # the bbox contains the landmarks that lie inside the image
    w, h = Image.open(info['img_path']).size
    x1, y1, x2, y2 = info['bbox'][0]
    inside = (kp[:, 0] >= 0) & (kp[:, 0] <= w - 1) & (kp[:, 1] >= 0) & (
        kp[:, 1] <= h - 1)
    assert np.all(kp[inside, 0] >= x1) and np.all(kp[inside, 0] <= x2)
    assert np.all(kp[inside, 1] >= y1) and np.all(kp[inside, 1] <= y2)
    assert 0 <= x1 < x2 <= w - 1 and 0 <= y1 < y2 <= h - 1


def test_shared_face_images_are_rgba_png_and_decode_to_bgr():
    root = shared_data('youtube_faces_68lm_udacity')
    ds = FaceLandmarkCSVDataset(data_root=str(root), indices=3,
                                bbox_mode='image')
    path = ds.get_data_info(0)['img_path']
    with Image.open(path) as im:
        assert im.format == 'PNG' and im.mode == 'RGBA'
        w, h = im.size
    np.testing.assert_allclose(ds.get_data_info(0)['bbox'][0],
                               [0, 0, w - 1, h - 1])
    import mmcv
    img = mmcv.imread(path)  # what LoadImage does: decode by content
    assert img.shape == (h, w, 3)


# ----------------------------------------------------------------------


def _face(offset=0.):
    ang = np.linspace(0, 2 * np.pi, K, endpoint=False)
    pts = np.stack([40 + 20 * np.cos(ang), 40 + 20 * np.sin(ang)], 1)
    return (pts + offset).round(2).ravel().tolist()


def _write(tmp_path, rows, name='f.csv', folder='imgs', images=None):
    (tmp_path / folder).mkdir(exist_ok=True)
    with open(tmp_path / name, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow([''] + [str(i) for i in range(2 * K)])
        for r in rows:
            w.writerow(r)
    names = images if images is not None else [r[0] for r in rows]
    for n in names:
        Image.new('RGBA', (80, 90)).save(tmp_path / folder / n, format='PNG')
    return tmp_path / name


def test_explicit_val_identities_and_split_seed(tmp_path):
    rows = [[f'{p}_{i:02d}.jpg'] + _face(i) for p in ('Ann_Lee', 'Bo', 'Cy')
            for i in range(3)]
    path = _write(tmp_path, rows)
    kw = dict(ann_file=str(path), img_dirs=str(tmp_path / 'imgs'))
    val = FaceLandmarkCSVDataset(split='val', val_identities=['Ann_Lee'],
                                 **kw)
    assert _ids(val) == {'Ann_Lee'} and len(val) == 3
    train = FaceLandmarkCSVDataset(split='train', val_identities=['Ann_Lee'],
                                   **kw)
    assert _ids(train) == {'Bo', 'Cy'}
    assert train.identity_split == dict(train=['Bo', 'Cy'], val=['Ann_Lee'],
                                        holdout=[])
    with pytest.raises(ValueError, match='Zed'):
        FaceLandmarkCSVDataset(split='val', val_identities=['Zed'], **kw)
    splits = {
        tuple(FaceLandmarkCSVDataset(split='val', val_fraction=0.34,
                                     split_seed=s, **kw).identity_split['val'])
        for s in range(6)
    }
    assert all(len(s) == 1 for s in splits) and len(splits) > 1
    bu = FaceLandmarkCSVDataset(data_mode='bottomup', **kw)
    assert len(bu) == 9 and bu.get_data_info(0)['keypoints'].shape == (1, K,
                                                                        2)


def _bad_rows():
    good = ['Ann_00.jpg'] + _face()
    nan = ['Ann_01.jpg'] + _face()
    nan[5] = 'nan'
    same = ['Ann_02.jpg'] + [10.0] * (2 * K)
    return [
        (['Ann_01.jpg'] + _face()[:-2], 'expected 136'),
        (nan, 'NaN'),
        (['Ann_01.jpg'] + ['x'] + _face()[1:], 'non-numeric'),
        (same, 'zero-size'),
        (['noidentity.jpg'] + _face(), 'identity'),
    ], good


@pytest.mark.parametrize('row,match', _bad_rows()[0])
def test_bad_rows(tmp_path, row, match):
    good = _bad_rows()[1]
    path = _write(tmp_path, [good, row])
    kw = dict(ann_file=str(path), img_dirs=str(tmp_path / 'imgs'))
    with pytest.raises(ValueError, match=match) as err:
        FaceLandmarkCSVDataset(**kw)
    assert str(path) in str(err.value) and 'line 3' in str(err.value)
    ds = FaceLandmarkCSVDataset(on_bad_annotation='skip', **kw)
    assert len(ds) == 1 and len(ds.bad_annotations) == 1


def test_missing_image_and_bad_arguments(tmp_path):
    rows = [['Ann_00.jpg'] + _face(), ['Ann_01.jpg'] + _face()]
    path = _write(tmp_path, rows, images=['Ann_00.jpg'])
    kw = dict(ann_file=str(path), img_dirs=str(tmp_path / 'imgs'))
    with pytest.raises(ValueError, match='Ann_01.jpg missing'):
        FaceLandmarkCSVDataset(**kw)
    assert len(FaceLandmarkCSVDataset(on_bad_annotation='skip', **kw)) == 1
    with pytest.raises(ValueError, match='split'):
        FaceLandmarkCSVDataset(split='test', **kw)
    with pytest.raises(ValueError, match='img_dirs'):
        FaceLandmarkCSVDataset(ann_file=[str(path)] * 2, img_dirs=['a'])
    with pytest.raises(FileNotFoundError):
        FaceLandmarkCSVDataset(ann_file=str(tmp_path / 'none.csv'))


def test_center_square_bbox_crops_the_centred_square(tmp_path):
    """80x90 (w x h) frames: the largest centred square is 80x80 around
    the centre (39.5, 44.5); GetBBoxCenterScale(padding=0.5) +
    TopdownAffine then show the central 40x40 pixels."""
    rows = [['Ann_00.jpg'] + _face()]
    path = _write(tmp_path, rows)
    img = np.zeros((90, 80, 4), np.uint8)
    img[..., 3] = 255
    img[24:65, 19:60, :3] = 200   # inner 41x41 block around the centre
    Image.fromarray(img).save(tmp_path / 'imgs' / 'Ann_00.jpg',
                              format='PNG')
    from mmengine.registry import init_default_scope
    init_default_scope('kp_ext')
    ds = FaceLandmarkCSVDataset(
        ann_file=str(path), img_dirs=str(tmp_path / 'imgs'),
        bbox_mode='center_square',
        pipeline=[dict(type='LoadImage'),
                  dict(type='GetBBoxCenterScale', padding=0.5),
                  dict(type='TopdownAffine', input_size=(40, 40))])
    np.testing.assert_allclose(ds.get_data_info(0)['bbox'][0],
                               [-0.5, 4.5, 79.5, 84.5])
    out = ds[0]
    np.testing.assert_allclose(out['bbox_center'][0], [39.5, 44.5])
    np.testing.assert_allclose(out['bbox_scale'][0], [40, 40])
    # the crop lies inside the bright block: no black pixels
    assert out['img'].shape == (40, 40, 3)
    assert out['img'][1:-1, 1:-1].min() > 150
    with pytest.raises(ValueError, match='center_square'):
        FaceLandmarkCSVDataset(ann_file=str(path), bbox_mode='square')
