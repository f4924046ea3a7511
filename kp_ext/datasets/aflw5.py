"""AFLW faces with 5 points, in the layout of the unsupervised-landmark
papers' public code."""
import os.path as osp
from typing import List, Optional

import numpy as np

from kp_ext.registry import DATASETS
from .base_dataset import BaseKeypointDataset
from .celeba_mafl import read_image_list

__all__ = ['AFLW5PointDataset']


@DATASETS.register_module()
class AFLW5PointDataset(BaseKeypointDataset):
    """AFLW face crops with the 5 MTFL-style points (eye centres, nose,
    mouth corners), as evaluated by Thewlis et al. 2017, Jakab et al. 2018
    and Zhang et al. 2018.

    Layout under ``data_root`` (that of ``tomasjakab/imm``
    ``imm/datasets/aflw_dataset.py``, read the same way by ``jamt9000/DVE``
    ``data_loader/data_loaders.py`` class ``AFLW`` and by
    ``YutingZhang/lmdis-rep`` ``nets/data/aflw_80x80.py`` and
    ``evaluation/face_evaluation.m``)::

        aflw_train_images.txt, aflw_test_images.txt   one image name a line
        aflw_train_keypoints.mat, aflw_test_keypoints.mat
            gt  (N, 5, 2) float: the 5 points of line i in (y, x) order,
                0-based pixels (lmdis-rep: "scale (0, h-1)")
            hw  (N, 2): the image's (height, width)
        output/<image name>                           the face crops

    (lmdis-rep renames ``output`` to ``aflw_images``: pass
    ``data_prefix=dict(img='aflw_images')``.) Row ``i`` of the ``.mat``
    arrays annotates line ``i`` of the list. ``split='train'`` (10,122
    faces in the papers) or ``'test'`` (2,991); ``imm`` also sets the last
    10 % of the training list aside as a validation set, which
    ``val_fraction`` reproduces (``split='train'`` then keeps the first
    90 %, ``split='val'`` the rest; default 0: no validation split).

    Checks (errors name the file and the list line): the list and the
    ``.mat`` arrays must have the same length; ``gt`` must be (N, 5, 2) and
    finite, ``hw`` (N, 2); ``hw`` must match the image file's size. Points
    (``mafl5`` metainfo) are all visible. Box (``bbox_mode``): ``'image'``
    (default: the crop is the face), ``'center_square'`` or
    ``'landmarks'`` (+ ``bbox_margin``). Extra sample keys: ``img_name``,
    ``interocular_dist`` (1,) (eye-centre distance).

    Args:
        ann_file (str, optional): the ``.mat`` file (default
            ``aflw_{train|test}_keypoints.mat`` after ``split``).
        image_list (str, optional): the list (default
            ``aflw_{train|test}_images.txt``).
        split (str): 'train', 'val' or 'test'.
        val_fraction (float): see above.
        bbox_mode (str), bbox_margin (float): see above.
        Others: see :class:`BaseKeypointDataset` (``data_root`` = the folder
        above; ``data_prefix=dict(img=...)`` the image folder).
    """

    METAINFO: dict = dict(from_file='mafl5.py')
    DATASET_DOCS = 'aflw-5-points'  # docs/DATASETS.md section
    _path_attrs = ('image_list', )
    _image_keys = ('img_id', 'img_path', 'img_name')

    def __init__(self,
                 ann_file: Optional[str] = None,
                 image_list: Optional[str] = None,
                 split: str = 'train',
                 val_fraction: float = 0.0,
                 bbox_mode: str = 'image',
                 bbox_margin: float = 0.1,
                 data_prefix: dict = dict(img='output'),
                 **kwargs):
        if split not in ('train', 'val', 'test'):
            raise ValueError("AFLW5PointDataset: split must be 'train', "
                             f"'val' or 'test', got {split!r}")
        if not 0.0 <= val_fraction < 1.0:
            raise ValueError('AFLW5PointDataset: val_fraction must be in '
                             f'[0, 1), got {val_fraction}')
        if split == 'val' and val_fraction == 0:
            raise ValueError("AFLW5PointDataset: split='val' needs "
                             'val_fraction > 0')
        self._check_bbox_mode(bbox_mode, 'landmarks')
        self.split = split
        self.val_fraction = float(val_fraction)
        self.bbox_mode = bbox_mode
        self.bbox_margin = float(bbox_margin)
        subset = 'test' if split == 'test' else 'train'
        self.image_list = image_list or f'aflw_{subset}_images.txt'
        super().__init__(
            ann_file=ann_file or f'aflw_{subset}_keypoints.mat',
            data_prefix=data_prefix, **kwargs)

    def _read_mat(self, n: int):
        from scipy.io import loadmat
        path = self.ann_file
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'AFLW5PointDataset: keypoint file {path!r} not found')
        try:
            mat = loadmat(path)
        except Exception as e:  # noqa: BLE001 - any reader error
            raise ValueError(f'{path}: not a readable MATLAB file ({e})')
        for key in ('gt', 'hw'):
            if key not in mat:
                raise KeyError(f'{path}: no {key!r} array (found '
                               f'{sorted(k for k in mat if k[0] != "_")})')
        gt = np.asarray(mat['gt'], dtype=np.float64)
        hw = np.asarray(mat['hw'])
        if gt.shape != (n, 5, 2):
            raise ValueError(f'{path}: gt has shape {gt.shape}, expected '
                             f'({n}, 5, 2) for the {n} images of '
                             f'{self.image_list}')
        if hw.shape != (n, 2):
            raise ValueError(f'{path}: hw has shape {hw.shape}, expected '
                             f'({n}, 2) for the {n} images of '
                             f'{self.image_list}')
        return gt, hw

    def _load_instances(self) -> List[dict]:
        entries = read_image_list(self.image_list)
        gt, hw = self._read_mat(len(entries))
        rows = list(range(len(entries)))
        if self.split != 'test' and self.val_fraction > 0:
            n_val = int(round(self.val_fraction * len(rows)))
            rows = rows[len(rows) - n_val:] if self.split == 'val' else \
                rows[:len(rows) - n_val]
        img_dir = self.data_prefix['img']
        visible = np.ones(5, dtype=np.float32)
        data_list = []
        for i in rows:
            line_no, name = entries[i]
            where = (f'{self.image_list}: line {line_no} ({name}; row {i} '
                     f'of {self.ann_file})')
            if not np.all(np.isfinite(gt[i])):
                self._bad(f'{where}: non-finite coordinate')
                continue
            keypoints = gt[i][:, ::-1].astype(np.float32)  # (y, x) -> (x, y)
            img_path = osp.join(img_dir, name)
            size = self._image_size(img_path)
            if size is not None and tuple(int(v) for v in hw[i]) != (
                    size[1], size[0]):
                self._bad(f'{where}: hw says {tuple(hw[i].tolist())} '
                          f'(height, width) but the image is {size[1]}x'
                          f'{size[0]}')
                continue
            sample = self._landmark_instance(
                where, img_path, keypoints, visible,
                bbox_mode=self.bbox_mode, bbox_margin=self.bbox_margin,
                iod_required=True, img_id=i, ann_id=i,
                raw_ann_info=dict(ann_file=self.ann_file,
                                  image_list=self.image_list,
                                  line=line_no, row=i, file_name=name),
                img_name=name)
            if sample is not None:
                data_list.append(sample)
        return data_list
