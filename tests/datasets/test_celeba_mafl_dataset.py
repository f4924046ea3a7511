"""CelebAMAFLDataset on a tiny CelebA/MAFL tree generated in tmp_path."""
import cv2
import numpy as np
import pytest

from kp_ext.datasets import CelebAMAFLDataset, read_celeba_landmarks
from kp_ext.registry import DATASETS

HEADER = ('lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y '
          'leftmouth_x leftmouth_y rightmouth_x rightmouth_y')
# 6 images: MAFL training 000001-000003, MAFL testing 000004; CelebA
# partition: 000001-000005 train (0), 000006 val (1)
NAMES = [f'{i:06d}.jpg' for i in range(1, 7)]


def _points(i):
    return np.array([[69, 109], [106, 113], [77, 142], [73, 152],
                     [108, 154]], np.float32) + i


def make_celeba(root, rows=None, count=None, mafl_train=NAMES[:3],
                mafl_test=NAMES[3:4], partition=None):
    """Write the CelebA + MAFL layout under ``root`` (178x218 images)."""
    (root / 'Anno').mkdir(parents=True)
    (root / 'Eval').mkdir()
    (root / 'MAFL').mkdir()
    img_dir = root / 'Img' / 'img_align_celeba'
    img_dir.mkdir(parents=True)
    if rows is None:
        rows = [f'{n} ' + ' '.join(str(int(v)) for v in
                                   _points(i).reshape(-1))
                for i, n in enumerate(NAMES)]
    lines = [str(len(rows) if count is None else count), HEADER] + rows
    (root / 'Anno' / 'list_landmarks_align_celeba.txt').write_text(
        '\n'.join(lines) + '\n')
    for i, n in enumerate(NAMES):
        img = np.full((218, 178, 3), 40 * i, np.uint8)
        cv2.circle(img, (89, 120), 30, (255, 255, 255), -1)
        cv2.imwrite(str(img_dir / n), img)
    (root / 'MAFL' / 'training.txt').write_text('\n'.join(mafl_train) + '\n')
    (root / 'MAFL' / 'testing.txt').write_text('\n'.join(mafl_test) + '\n')
    if partition is None:
        partition = [f'{n} {0 if i < 5 else 1}' for i, n in enumerate(NAMES)]
    (root / 'Eval' / 'list_eval_partition.txt').write_text(
        '\n'.join(partition) + '\n')
    return root


def _names(ds):
    return [ds.get_data_info(i)['img_name'] for i in range(len(ds))]


def test_splits_points_and_registry(tmp_path):
    root = make_celeba(tmp_path / 'celeba')
    cfg = dict(type='CelebAMAFLDataset', data_root=str(root))
    train = DATASETS.build(dict(cfg, split='mafl_train'))
    test = DATASETS.build(dict(cfg, split='mafl_test'))
    celeba = DATASETS.build(dict(cfg, split='celeba_train'))
    assert isinstance(train, CelebAMAFLDataset)
    assert _names(train) == NAMES[:3]
    assert _names(test) == NAMES[3:4]
    # CelebA training partition without the MAFL test image
    assert _names(celeba) == NAMES[:3] + NAMES[4:5]
    info = test.get_data_info(0)
    np.testing.assert_array_equal(info['keypoints'][0], _points(3))
    np.testing.assert_array_equal(info['bbox'][0], [0, 0, 177, 217])
    assert info['interocular_dist'][0] == pytest.approx(
        np.hypot(37, 4), rel=1e-6)
    assert test.metainfo['norm_indices'] == [0, 1]
    assert test.metainfo['flip_indices'] == [1, 0, 2, 4, 3]
    sq = DATASETS.build(dict(cfg, split='mafl_test',
                             bbox_mode='center_square'))
    # the centred 178 x 178 square: centre (88.5, 108.5), half side 89
    np.testing.assert_allclose(sq.get_data_info(0)['bbox'][0],
                               [-0.5, 19.5, 177.5, 197.5])
    # the pipeline reads the generated image
    ds = DATASETS.build(dict(cfg, split='mafl_test',
                             pipeline=[dict(type='kp_ext.LoadImage')]))
    assert ds[0]['img'].shape == (218, 178, 3)


def test_landmark_file_errors_name_file_and_line(tmp_path):
    ann = lambda root: root / 'Anno' / 'list_landmarks_align_celeba.txt'
    good = [f'{n} ' + ' '.join(['50'] * 10) for n in NAMES]
    root = make_celeba(tmp_path / 'a', rows=good[:2] + ['000003.jpg 1 2 3']
                       + good[3:])
    with pytest.raises(ValueError, match=r'celeba.txt: line 5: 4 fields'):
        read_celeba_landmarks(str(ann(root)))
    root = make_celeba(tmp_path / 'b', rows=good[:1] + [
        '000002.jpg 1 2 3 4 5 x 7 8 9 10'] + good[2:])
    with pytest.raises(ValueError, match=r'line 4 \(000002.jpg\): non-num'):
        CelebAMAFLDataset(data_root=str(root))
    root = make_celeba(tmp_path / 'c', count=7)
    with pytest.raises(ValueError, match='line 1 announces 7 images but 6'):
        CelebAMAFLDataset(data_root=str(root))
    root = make_celeba(tmp_path / 'd', rows=good + [good[0]], count=7)
    with pytest.raises(ValueError, match='line 9: 000001.jpg repeats line 3'):
        CelebAMAFLDataset(data_root=str(root))


def test_list_errors_name_file_and_line(tmp_path):
    root = make_celeba(tmp_path / 'a', mafl_test=['000004.jpg',
                                                  '999999.jpg'])
    with pytest.raises(ValueError, match=r'testing.txt: line 2: image '
                       '999999.jpg is not in'):
        CelebAMAFLDataset(data_root=str(root), split='mafl_test')
    root = make_celeba(tmp_path / 'b', mafl_test=['000001.jpg'])
    with pytest.raises(ValueError, match='share 1 images, e.g. 000001.jpg'):
        CelebAMAFLDataset(data_root=str(root), split='mafl_train')
    root = make_celeba(tmp_path / 'c', partition=['000001.jpg 0',
                                                  '000002.jpg train'])
    with pytest.raises(ValueError, match=r'list_eval_partition.txt: line 2'):
        CelebAMAFLDataset(data_root=str(root), split='celeba_train')
    # a missing image is a bad annotation naming the landmark line
    root = make_celeba(tmp_path / 'd')
    (root / 'Img' / 'img_align_celeba' / '000002.jpg').unlink()
    with pytest.raises(ValueError, match=r'line 4 \(000002.jpg\): image '
                       'file .* missing'):
        CelebAMAFLDataset(data_root=str(root))
    skip = CelebAMAFLDataset(data_root=str(root), on_bad_annotation='skip')
    assert _names(skip) == ['000001.jpg', '000003.jpg']
    with pytest.raises(ValueError, match='split must be one of'):
        CelebAMAFLDataset(data_root=str(root), split='train')
