import numpy as np
import pytest
from PIL import Image

from conftest import shared_data
from kp_ext.datasets import CatDataset, read_cat_file
from kp_ext.registry import DATASETS


def _names(ds):
    return [ds.get_data_info(i)['img_name'] for i in range(len(ds))]


def test_shared_cats_split_and_values():
    root = shared_data('cat_dataset_sample', 'dataset', 'cats')
    cfg = dict(type='CatDataset', data_root=str(root))
    full = DATASETS.build(dict(cfg, split='all'))
    train = DATASETS.build(dict(cfg, split='train'))
    val = DATASETS.build(dict(cfg, split='val'))
    assert len(full) == 24
    assert (len(train), len(val)) == (19, 5)
    assert not set(_names(train)) & set(_names(val))
    assert sorted(_names(train) + _names(val)) == sorted(_names(full))
    assert _names(DATASETS.build(dict(cfg, split='val'))) == _names(val)
    for i in range(len(full)):
        info = full.get_data_info(i)
        tokens = open(info['img_path'] + '.cat').read().split()
        assert tokens[0] == '9'
        kp = np.array(tokens[1:19], dtype=np.float32).reshape(9, 2)
        np.testing.assert_array_equal(info['keypoints'][0], kp)
        x1, y1, x2, y2 = info['bbox'][0]
        w, h = Image.open(info['img_path']).size
        # a few ear tips lie outside the photo; the box is clipped to it
        inside = np.all((kp >= 0) & (kp <= [w - 1, h - 1]), axis=1)
        assert inside.sum() >= 7
        assert np.all(kp[inside] >= [x1, y1])
        assert np.all(kp[inside] <= [x2, y2])
        assert 0 <= x1 < x2 <= w - 1 and 0 <= y1 < y2 <= h - 1
        np.testing.assert_allclose(info['interocular_dist'][0],
                                   np.linalg.norm(kp[0] - kp[1]), rtol=1e-6)
    # grouping by file-name prefix keeps a prefix on one side
    pval = CatDataset(data_root=str(root), split='val', split_by='prefix')
    ptrain = CatDataset(data_root=str(root), split='train',
                        split_by='prefix')
    pre = lambda ds: {n.split('/')[-1].split('_')[0] for n in _names(ds)}
    assert pval and ptrain and not pre(pval) & pre(ptrain)
    assert len(pval) + len(ptrain) == 24


def _cat(tmp_path, name, text, image=True):
    if image:
        Image.new('RGB', (100, 80)).save(tmp_path / name)
    (tmp_path / f'{name}.cat').write_text(text)


GOOD = '9 10 10 30 10 20 25 5 2 8 0 12 4 28 4 32 0 35 2 '


def test_read_cat_file_and_image_list(tmp_path):
    _cat(tmp_path, 'a.jpg', GOOD)
    _cat(tmp_path, 'b.jpg', GOOD)
    np.testing.assert_array_equal(
        read_cat_file(str(tmp_path / 'a.jpg.cat'))[2], [20, 25])
    (tmp_path / 'list.txt').write_text('b.jpg\n')
    ds = CatDataset(ann_file='list.txt', data_root=str(tmp_path))
    assert _names(ds) == ['b.jpg']
    bu = CatDataset(data_root=str(tmp_path), data_mode='bottomup')
    assert len(bu) == 2 and bu.get_data_info(0)['keypoints'].shape == (1, 9,
                                                                        2)
    with pytest.raises(ValueError, match='val keys not in the data'):
        CatDataset(data_root=str(tmp_path), val_keys=['zzz.jpg'])
    assert _names(CatDataset(data_root=str(tmp_path), split='val',
                             val_keys=['a.jpg'])) == ['a.jpg']


@pytest.mark.parametrize('text,image,match', [
    ('8 ' + GOOD[2:], True, 'has 8 points, expected 9'),
    ('9 1 2 3', True, 'only 3 coordinates'),
    ('9 10 10 nan ' + GOOD[8:], True, 'NaN'),
    ('x ' + GOOD[2:], True, 'not a point count'),
    ('9 ' + '5 5 ' * 9, True, 'zero-size'),
    ('9 10 10 10 10 ' + GOOD[14:], True, 'coincident normalisation points'),
    (GOOD, False, 'missing'),
])
def test_bad_cat_files(tmp_path, text, image, match):
    _cat(tmp_path, 'a.jpg', GOOD)
    _cat(tmp_path, 'b.jpg', text, image=image)
    with pytest.raises(ValueError, match=match) as err:
        CatDataset(data_root=str(tmp_path))
    assert 'b.jpg' in str(err.value)
    ds = CatDataset(data_root=str(tmp_path), on_bad_annotation='skip')
    assert _names(ds) == ['a.jpg'] and len(ds.bad_annotations) == 1
