"""AFLW5PointDataset on a tiny AFLW tree (imm layout) generated in
tmp_path."""
import cv2
import numpy as np
import pytest
from scipy.io import savemat

from kp_ext.datasets import AFLW5PointDataset
from kp_ext.registry import DATASETS


def _xy(i):
    """The 5 points of face i in (x, y)."""
    return np.array([[20, 25], [45, 24], [33, 38], [24, 50], [43, 50]],
                    np.float64) + [i, 2 * i]


def make_aflw(root, subset='train', n=5, sizes=None, gt=None, hw=None,
              names=None):
    """Write ``aflw_<subset>_images.txt``, ``aflw_<subset>_keypoints.mat``
    (gt in (y, x) order, hw = (height, width)) and ``output/*.jpg``."""
    (root / 'output').mkdir(parents=True, exist_ok=True)
    names = names or [f'{subset}_{i:03d}.jpg' for i in range(n)]
    sizes = sizes or [(70 + i, 60 + 2 * i) for i in range(n)]  # (h, w)
    for name, (h, w) in zip(names, sizes):
        img = np.zeros((h, w, 3), np.uint8)
        cv2.ellipse(img, (w // 2, h // 2), (w // 3, h // 3), 0, 0, 360,
                    (200, 180, 160), -1)
        cv2.imwrite(str(root / 'output' / name), img)
    (root / f'aflw_{subset}_images.txt').write_text('\n'.join(names) + '\n')
    if gt is None:
        gt = np.stack([_xy(i)[:, ::-1] for i in range(n)])
    if hw is None:
        hw = np.array(sizes, np.int32)
    savemat(str(root / f'aflw_{subset}_keypoints.mat'), dict(gt=gt, hw=hw))
    return root


def _names(ds):
    return [ds.get_data_info(i)['img_name'] for i in range(len(ds))]


def test_reads_yx_points_splits_and_registry(tmp_path):
    root = make_aflw(tmp_path, 'train', n=10)
    make_aflw(tmp_path, 'test', n=3)
    cfg = dict(type='AFLW5PointDataset', data_root=str(tmp_path))
    train = DATASETS.build(dict(cfg, split='train'))
    assert isinstance(train, AFLW5PointDataset) and len(train) == 10
    for i in range(10):
        info = train.get_data_info(i)
        np.testing.assert_allclose(info['keypoints'][0], _xy(i))
        h, w = 70 + i, 60 + 2 * i
        np.testing.assert_array_equal(info['bbox'][0], [0, 0, w - 1, h - 1])
        assert info['img_path'] == str(root / 'output' / f'train_{i:03d}.jpg')
        assert info['interocular_dist'][0] == pytest.approx(
            np.linalg.norm(_xy(i)[0] - _xy(i)[1]), rel=1e-6)
    test = DATASETS.build(dict(cfg, split='test'))
    assert _names(test) == [f'test_{i:03d}.jpg' for i in range(3)]
    # imm's validation: the last 10 % of the training list
    tr = DATASETS.build(dict(cfg, split='train', val_fraction=0.2))
    va = DATASETS.build(dict(cfg, split='val', val_fraction=0.2))
    assert _names(tr) == _names(train)[:8] and _names(va) == \
        _names(train)[8:]
    ds = DATASETS.build(dict(cfg, split='test',
                             pipeline=[dict(type='kp_ext.LoadImage')]))
    assert ds[1]['img'].shape == (71, 62, 3)


def test_errors_name_file_and_line(tmp_path):
    make_aflw(tmp_path / 'a', n=3)
    (tmp_path / 'a' / 'aflw_train_images.txt').write_text(
        'train_000.jpg\ntrain_001.jpg\n')
    with pytest.raises(ValueError, match=r'keypoints.mat: gt has shape '
                       r'\(3, 5, 2\), expected \(2, 5, 2\)'):
        AFLW5PointDataset(data_root=str(tmp_path / 'a'))
    # hw disagreeing with the image file (line 2 of the list)
    hw = np.array([(70, 60), (99, 99), (72, 64)])
    make_aflw(tmp_path / 'b', n=3, hw=hw)
    with pytest.raises(ValueError, match=r'images.txt: line 2 '
                       r'\(train_001.jpg; row 1 of .*\): hw says'):
        AFLW5PointDataset(data_root=str(tmp_path / 'b'))
    gt = np.stack([_xy(i)[:, ::-1] for i in range(3)])
    gt[2, 0, 0] = np.nan
    make_aflw(tmp_path / 'c', n=3, gt=gt)
    with pytest.raises(ValueError, match=r'line 3 \(train_002.jpg.*non-fin'):
        AFLW5PointDataset(data_root=str(tmp_path / 'c'))
    skip = AFLW5PointDataset(data_root=str(tmp_path / 'c'),
                             on_bad_annotation='skip')
    assert len(skip) == 2 and 'line 3' in skip.bad_annotations[0]
    make_aflw(tmp_path / 'd', n=2)
    savemat(str(tmp_path / 'd' / 'aflw_train_keypoints.mat'),
            dict(pts=np.zeros((2, 5, 2))))
    with pytest.raises(KeyError, match="no 'gt' array"):
        AFLW5PointDataset(data_root=str(tmp_path / 'd'))
    with pytest.raises(FileNotFoundError, match='aflw_test_images.txt'):
        AFLW5PointDataset(data_root=str(tmp_path / 'd'), split='test')
    with pytest.raises(ValueError, match="needs val_fraction"):
        AFLW5PointDataset(data_root=str(tmp_path / 'd'), split='val')
