"""CelebA aligned faces with the MAFL train / test lists (5 points)."""
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np

from kp_ext.registry import DATASETS
from .base_dataset import BaseKeypointDataset

__all__ = ['CelebAMAFLDataset', 'read_celeba_landmarks', 'read_image_list']

CELEBA_COLUMNS = ('lefteye_x', 'lefteye_y', 'righteye_x', 'righteye_y',
                  'nose_x', 'nose_y', 'leftmouth_x', 'leftmouth_y',
                  'rightmouth_x', 'rightmouth_y')


def read_celeba_landmarks(path: str) -> Dict[str, Tuple[int, np.ndarray]]:
    """Read ``list_landmarks_align_celeba.txt``.

    Format (CelebA release): line 1 the number of images, line 2 the ten
    column names (``CELEBA_COLUMNS``), then one line per image:
    ``<file name> x y x y x y x y x y`` (whitespace separated). Returns
    ``{file name: (line number, (5, 2) float32 points)}``. Raises
    ``ValueError`` naming the file and line of a malformed header or row,
    a repeated file name, or a count that does not match the rows.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'CelebA landmark file {path!r} not found')
    with open(path) as f:
        lines = f.read().splitlines()
    if len(lines) < 2:
        raise ValueError(f'{path}: expected a count line and a header line')
    try:
        count = int(lines[0].strip())
    except ValueError:
        raise ValueError(f'{path}: line 1: {lines[0]!r} is not the number '
                         'of images')
    header = tuple(lines[1].split())
    if header != CELEBA_COLUMNS:
        raise ValueError(f'{path}: line 2: header {" ".join(header)!r}, '
                         f'expected {" ".join(CELEBA_COLUMNS)!r}')
    out = {}
    for line_no, line in enumerate(lines[2:], start=3):
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) != 11:
            raise ValueError(f'{path}: line {line_no}: {len(tokens)} '
                             'fields, expected a file name and 10 '
                             'coordinates')
        name = tokens[0]
        try:
            values = np.array([float(t) for t in tokens[1:]], np.float32)
        except ValueError as e:
            raise ValueError(f'{path}: line {line_no} ({name}): '
                             f'non-numeric coordinate ({e})')
        if not np.all(np.isfinite(values)):
            raise ValueError(f'{path}: line {line_no} ({name}): non-finite '
                             'coordinate')
        if name in out:
            raise ValueError(f'{path}: line {line_no}: {name} repeats line '
                             f'{out[name][0]}')
        out[name] = (line_no, values.reshape(5, 2))
    if len(out) != count:
        raise ValueError(f'{path}: line 1 announces {count} images but '
                         f'{len(out)} rows follow')
    return out


def read_image_list(path: str) -> List[Tuple[int, str]]:
    """Image names of a list file (MAFL ``training.txt`` / ``testing.txt``:
    one name per line; the first whitespace-separated field is used, blank
    lines are skipped) as ``(line number, name)``. A repeated name raises
    ``ValueError`` naming the file and both lines."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image list {path!r} not found')
    seen, out = {}, []
    with open(path) as f:
        for line_no, line in enumerate(f, start=1):
            tokens = line.split()
            if not tokens:
                continue
            name = tokens[0]
            if name in seen:
                raise ValueError(f'{path}: line {line_no}: {name} repeats '
                                 f'line {seen[name]}')
            seen[name] = line_no
            out.append((line_no, name))
    return out


@DATASETS.register_module()
class CelebAMAFLDataset(BaseKeypointDataset):
    """CelebA aligned faces with MAFL's splits, as used by the
    unsupervised-landmark papers (Thewlis et al. 2017, Jakab et al. 2018,
    Zhang et al. 2018).

    Layout under ``data_root`` (the CelebA release plus MAFL's lists; the
    defaults are the folder names of the public re-implementations,
    ``tomasjakab/imm`` ``imm/datasets/celeba_dataset.py`` and
    ``jamt9000/DVE`` ``data_loader/data_loaders.py``)::

        Anno/list_landmarks_align_celeba.txt   5 points of every image
        Img/img_align_celeba/000001.jpg ...    the aligned 178x218 images
        Eval/list_eval_partition.txt           '<name> 0|1|2' (train/val/
                                               test; 'celeba_train' only)
        MAFL/training.txt, MAFL/testing.txt    one image name per line

    Splits (``split``): ``'mafl_train'`` (MAFL training list, 19,000
    images: the regressor's fit split), ``'mafl_test'`` (MAFL testing list,
    1,000 images), ``'celeba_train'`` (CelebA's training partition without
    the MAFL test images: the unsupervised training set, as
    ``imm``'s ``dataset='celeba', subset='train'``). MAFL list names
    missing from the landmark file, and names in both MAFL lists, are
    errors naming the list file and line.

    Points (``mafl5`` metainfo): left eye, right eye, nose, left and right
    mouth corner, all visible, in the file's pixel coordinates. Box
    (``bbox_mode``): ``'image'`` (default, the whole aligned image),
    ``'center_square'`` (the centred ``min(W, H)`` square) or
    ``'landmarks'`` (the 5 points' extent grown by ``bbox_margin *
    max(w, h)`` on every side). Extra sample keys: ``img_name``,
    ``interocular_dist`` (1,) (the eye-centre distance).

    Args:
        ann_file (str): the landmark file.
        split (str): see above.
        partition_file, mafl_train_list, mafl_test_list (str): the other
            list files (relative to ``data_root``).
        bbox_mode (str), bbox_margin (float): see above.
        Others: see :class:`BaseKeypointDataset` (``data_prefix=dict(
        img=...)`` is the image folder).
    """

    METAINFO: dict = dict(from_file='mafl5.py')
    DATASET_DOCS = 'celeba-and-mafl'  # docs/DATASETS.md section
    SPLITS = ('mafl_train', 'mafl_test', 'celeba_train')
    _path_attrs = ('partition_file', 'mafl_train_list', 'mafl_test_list')
    _image_keys = ('img_id', 'img_path', 'img_name')

    def __init__(self,
                 ann_file: str = 'Anno/list_landmarks_align_celeba.txt',
                 split: str = 'mafl_train',
                 partition_file: str = 'Eval/list_eval_partition.txt',
                 mafl_train_list: str = 'MAFL/training.txt',
                 mafl_test_list: str = 'MAFL/testing.txt',
                 bbox_mode: str = 'image',
                 bbox_margin: float = 0.1,
                 data_prefix: dict = dict(img='Img/img_align_celeba'),
                 **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'CelebAMAFLDataset: split must be one of '
                             f'{self.SPLITS}, got {split!r}')
        self._check_bbox_mode(bbox_mode, 'landmarks')
        self.split = split
        self.partition_file = partition_file
        self.mafl_train_list = mafl_train_list
        self.mafl_test_list = mafl_test_list
        self.bbox_mode = bbox_mode
        self.bbox_margin = float(bbox_margin)
        super().__init__(ann_file=ann_file, data_prefix=data_prefix,
                         **kwargs)

    def _checked_list(self, path: str, landmarks: dict) -> List[str]:
        names = []
        for line_no, name in read_image_list(path):
            if name not in landmarks:
                raise ValueError(f'{path}: line {line_no}: image {name} is '
                                 f'not in {self.ann_file}')
            names.append(name)
        return names

    def _celeba_train(self, landmarks: dict, mafl_test: set) -> List[str]:
        path = self.partition_file
        if not osp.isfile(path):
            raise FileNotFoundError(
                f"CelebAMAFLDataset: split='celeba_train' needs CelebA's "
                f'partition file {path!r}, not found')
        names = []
        with open(path) as f:
            for line_no, line in enumerate(f, start=1):
                tokens = line.split()
                if not tokens:
                    continue
                if len(tokens) != 2 or tokens[1] not in ('0', '1', '2'):
                    raise ValueError(f'{path}: line {line_no}: expected '
                                     "'<image name> 0|1|2', got "
                                     f'{line.strip()!r}')
                if tokens[0] not in landmarks:
                    raise ValueError(f'{path}: line {line_no}: image '
                                     f'{tokens[0]} is not in '
                                     f'{self.ann_file}')
                if tokens[1] == '0' and tokens[0] not in mafl_test:
                    names.append(tokens[0])
        return names

    def _load_instances(self) -> List[dict]:
        landmarks = read_celeba_landmarks(self.ann_file)
        test = self._checked_list(self.mafl_test_list, landmarks)
        if self.split == 'mafl_test':
            names = test
        else:
            train = self._checked_list(self.mafl_train_list, landmarks)
            both = set(train) & set(test)
            if both:
                raise ValueError(
                    f'{self.mafl_train_list} and {self.mafl_test_list} '
                    f'share {len(both)} images, e.g. {sorted(both)[0]}')
            names = (train if self.split == 'mafl_train' else
                     self._celeba_train(landmarks, set(test)))
        img_dir = self.data_prefix['img']
        visible = np.ones(5, dtype=np.float32)
        data_list = []
        for name in names:
            line_no, keypoints = landmarks[name]
            where = f'{self.ann_file}: line {line_no} ({name})'
            img_path = osp.join(img_dir, name)
            sample = self._landmark_instance(
                where, img_path, keypoints, visible,
                bbox_mode=self.bbox_mode, bbox_margin=self.bbox_margin,
                iod_required=True, img_id=line_no - 3, ann_id=line_no - 3,
                raw_ann_info=dict(ann_file=self.ann_file, line=line_no,
                                  file_name=name),
                img_name=name)
            if sample is not None:
                data_list.append(sample)
        return data_list
