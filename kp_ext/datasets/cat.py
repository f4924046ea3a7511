"""CAT dataset cat heads: ``<image>.cat`` landmark files beside the images."""
import os
import os.path as osp
from typing import List, Optional

import numpy as np

from kp_ext.registry import DATASETS
from .base_dataset import BaseKeypointDataset
from .utils import deterministic_split

__all__ = ['CatDataset', 'read_cat_file']


def read_cat_file(path: str) -> np.ndarray:
    """Read a ``.cat`` file: ``n x1 y1 ... xn yn`` (whitespace separated).

    Returns an (n, 2) float32 array. Raises ``ValueError`` naming the file
    when the count is not a positive integer, values are not numbers or
    fewer than ``2 * n`` coordinates follow (trailing extras are ignored,
    as original CAT files end with a space).
    """
    with open(path) as f:
        tokens = f.read().split()
    if not tokens:
        raise ValueError(f'{path}: empty .cat file')
    try:
        count = int(tokens[0])
    except ValueError:
        raise ValueError(f'{path}: first value {tokens[0]!r} is not a '
                         'point count')
    if count <= 0:
        raise ValueError(f'{path}: point count {count} is not positive')
    if len(tokens) - 1 < 2 * count:
        raise ValueError(f'{path}: {count} points announced but only '
                         f'{len(tokens) - 1} coordinates follow')
    try:
        values = [float(t) for t in tokens[1:1 + 2 * count]]
    except ValueError as e:
        raise ValueError(f'{path}: non-numeric coordinate ({e})')
    return np.array(values, dtype=np.float32).reshape(count, 2)


@DATASETS.register_module()
class CatDataset(BaseKeypointDataset):
    """Cat heads with 9 landmarks (CAT dataset format).

    Every ``*.cat`` file found (recursively) under ``data_prefix['img']``
    (or ``data_root``) annotates the image of the same name without
    ``.cat`` (``x.jpg.cat`` -> ``x.jpg``). ``ann_file``, if given, is a text
    file listing the image paths to use (relative to that folder), one per
    line. Points are all visible; a file whose count is not the metainfo's
    keypoint count, with unreadable values, NaN, coincident points or a
    missing image is a bad annotation (see ``on_bad_annotation``).

    Box: extent of the 9 points (eyes, mouth, ear tips and bases) grown by
    ``bbox_margin * max(w, h)`` on every side and clipped to the image (the
    pipeline's ``GetBBoxCenterScale`` pads further).

    Split (deterministic): ``split='all'|'train'|'val'``;
    ``split_by='image'`` splits images, ``'prefix'`` keeps images whose
    file names share the part before the first ``_`` (e.g. ``00000001``)
    on the same side. Validation keys are ``val_keys`` when given, else the
    first ``round(val_fraction * n)`` keys ordered by
    ``md5(f'{split_seed}:{key}')``. Extra sample keys: ``img_name`` (path
    relative to the image folder), ``interocular_dist`` (1,) from the
    metainfo's ``norm_indices`` (the eyes).

    Args:
        ann_file (str): optional image list (see above).
        split, split_by, val_fraction, val_keys, split_seed: see above.
        bbox_margin (float): see above.
        Others: see :class:`BaseKeypointDataset`.
    """

    METAINFO: dict = dict(from_file='cat9.py')
    DATASET_DOCS = 'cat-heads-cat-dataset'  # docs/DATASETS.md section
    _image_keys = ('img_id', 'img_path', 'img_name')

    def __init__(self,
                 ann_file: str = '',
                 split: str = 'all',
                 split_by: str = 'image',
                 val_fraction: float = 0.2,
                 val_keys: Optional[List[str]] = None,
                 split_seed: int = 0,
                 bbox_margin: float = 0.1,
                 **kwargs):
        if split not in ('all', 'train', 'val'):
            raise ValueError("CatDataset: split must be 'all', 'train' or "
                             f"'val', got {split!r}")
        if split_by not in ('image', 'prefix'):
            raise ValueError("CatDataset: split_by must be 'image' or "
                             f"'prefix', got {split_by!r}")
        self.split = split
        self.split_by = split_by
        self.val_fraction = val_fraction
        self.val_keys = None if val_keys is None else list(val_keys)
        self.split_seed = split_seed
        self.bbox_margin = float(bbox_margin)
        super().__init__(ann_file=ann_file, **kwargs)

    def _image_dir(self) -> str:
        return self.data_prefix.get('img') or self.data_root or '.'

    def _split_key(self, rel: str) -> str:
        if self.split_by == 'image':
            return rel
        return osp.join(osp.dirname(rel),
                        osp.basename(rel).split('_', 1)[0])

    def _list_images(self) -> List[str]:
        img_dir = self._image_dir()
        if not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'CatDataset: image folder {img_dir!r} not found')
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise FileNotFoundError(
                    f'CatDataset: image list {self.ann_file!r} not found')
            with open(self.ann_file) as f:
                return [ln.strip() for ln in f if ln.strip()]
        rels = []
        for root, _, files in os.walk(img_dir):
            for name in files:
                if name.endswith('.cat'):
                    rel = osp.relpath(osp.join(root, name[:-4]), img_dir)
                    rels.append(rel.replace(os.sep, '/'))
        return sorted(rels)

    def _load_instances(self) -> List[dict]:
        img_dir = self._image_dir()
        rels = self._list_images()
        train_keys, val_keys = deterministic_split(
            [self._split_key(r) for r in rels], self.val_fraction,
            self.split_seed, self.val_keys)
        keep = dict(all=set(train_keys) | set(val_keys),
                    train=set(train_keys), val=set(val_keys))[self.split]
        k = self.num_keypoints
        data_list = []
        for idx, rel in enumerate(rels):
            if self._split_key(rel) not in keep:
                continue
            img_path = osp.join(img_dir, rel)
            cat_path = img_path + '.cat'
            where = f'{cat_path}'
            if not osp.isfile(cat_path):
                self._bad(f'{where}: annotation file not found')
                continue
            try:
                keypoints = read_cat_file(cat_path)
            except ValueError as e:
                self._bad(str(e))
                continue
            if len(keypoints) != k:
                self._bad(f'{where}: has {len(keypoints)} points, expected '
                          f'{k} ({self._metainfo["dataset_name"]})')
                continue
            visible = np.ones(k, dtype=np.float32)
            sample = self._landmark_instance(
                where, img_path, keypoints, visible, bbox_mode='keypoints',
                bbox_margin=self.bbox_margin, img_id=idx, ann_id=idx,
                raw_ann_info=dict(ann_file=cat_path,
                                  keypoints=keypoints.tolist()),
                img_name=rel)
            if sample is not None:
                data_list.append(sample)
        return data_list
