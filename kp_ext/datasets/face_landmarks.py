"""68-point face landmarks from CSV files (Udacity / YouTube Faces layout)."""
import csv
import os.path as osp
import re
from typing import List, Optional, Sequence, Union

import numpy as np

from kp_ext.registry import DATASETS
from .base_dataset import BaseKeypointDataset
from .utils import deterministic_split

__all__ = ['FaceLandmarkCSVDataset', 'face_identity']

_IDENTITY_RE = re.compile(r'^(.+)_(\d+)$')
# layout of youtube_faces_68lm_udacity (relative to its folder)
UDACITY_CSVS = ('data/training_frames_keypoints.csv',
                'data/test_frames_keypoints.csv')
UDACITY_IMG_DIRS = ('data/training', 'data/test')


def face_identity(file_name: str) -> Optional[str]:
    """Identity of a ``<identity>_<NN>.<ext>`` file name (``None`` if the
    name has no trailing ``_<digits>``)."""
    stem = osp.splitext(osp.basename(file_name))[0]
    m = _IDENTITY_RE.match(stem)
    return m.group(1) if m else None


@DATASETS.register_module()
class FaceLandmarkCSVDataset(BaseKeypointDataset):
    """One face per image, landmarks from CSV rows
    ``file_name, x0, y0, ..., x67, y67`` after a header row.

    Made for ``youtube_faces_68lm_udacity`` (``data_root`` = that folder):
    by default it reads both Udacity CSVs, ``data/training`` and
    ``data/test`` images, and re-splits them **by identity** (the name
    before the last ``_NN``): Udacity's own train/test split shares
    identities, so it is never used as a split. The two CSVs reuse file
    names for different frames, so ``img_id`` is the running row index over
    all CSVs (stable across splits) and ``img_name`` is
    ``<image folder name>/<file name>``.

    Split (deterministic): ``split='all'|'train'|'val'|'holdout'``; the
    validation identities are ``val_identities`` when given, else the first
    ``round(val_fraction * n)`` identities ordered by
    ``md5(f'{split_seed}:{identity}')`` (see
    :func:`kp_ext.datasets.utils.deterministic_split`). With
    ``holdout_fraction > 0`` that fraction of the remaining (training)
    identities, drawn the same way with seed ``f'{split_seed}:holdout'``,
    becomes ``'holdout'`` and leaves ``'train'``: identities for model
    selection that training never sees, while ``'val'`` stays exactly the
    same identities (so it stays comparable with the supervised configs).

    Box (``bbox_mode``): ``'landmarks'`` (default) = the landmark extent
    grown by ``bbox_margin * max(w, h)`` on every side and clipped to the
    image (the pipeline's ``GetBBoxCenterScale`` adds its padding on top);
    ``'image'`` = the whole image ``[0, 0, W-1, H-1]``; ``'center_square'``
    = the largest square centred in the image (side ``min(W, H)``, no black
    bars after resizing; ``GetBBoxCenterScale(padding=f)`` then crops the
    centred ``f * min(W, H)`` square). The image header is
    read for the size, which also rejects missing or unreadable files. The
    ``.jpg`` files of this set are really RGBA PNGs: ``mmcv``/OpenCV decode
    by content, and ``LoadImage`` (colour mode) drops the alpha channel.

    Extra sample keys: ``identity`` (str), ``img_name``, and
    ``interocular_dist`` (1,) float32, the distance between the metainfo's
    ``norm_indices`` (outer eye corners 36 and 45), the NME normaliser.
    All 68 points are visible (the CSVs have no visibility flags).

    Args:
        ann_file (str | list[str]): CSV file(s).
        img_dirs (str | list[str], optional): image folder per CSV; by
            default ``data/training`` and ``data/test`` for the default
            (Udacity) CSVs, else ``data_prefix['img']`` for every CSV.
        split, val_fraction, val_identities, split_seed,
        holdout_fraction: see above.
        bbox_mode (str), bbox_margin (float): see above.
        Others: see :class:`BaseKeypointDataset`.
    """

    METAINFO: dict = dict(from_file='face68.py')
    DATASET_DOCS = 'youtube-faces-68-point-landmarks'  # docs/DATASETS.md section
    _path_attrs = ('img_dirs', )
    _image_keys = ('img_id', 'img_path', 'img_name', 'identity')

    def __init__(self,
                 ann_file: Union[str, Sequence[str]] = UDACITY_CSVS,
                 img_dirs: Optional[Union[str, Sequence[str]]] = None,
                 split: str = 'all',
                 val_fraction: float = 0.2,
                 val_identities: Optional[Sequence[str]] = None,
                 split_seed: int = 0,
                 holdout_fraction: float = 0.0,
                 bbox_mode: str = 'landmarks',
                 bbox_margin: float = 0.1,
                 **kwargs):
        if split not in ('all', 'train', 'val', 'holdout'):
            raise ValueError("FaceLandmarkCSVDataset: split must be 'all', "
                             f"'train', 'val' or 'holdout', got {split!r}")
        if not 0.0 <= holdout_fraction < 1.0:
            raise ValueError('FaceLandmarkCSVDataset: holdout_fraction must '
                             f'be in [0, 1), got {holdout_fraction}')
        if split == 'holdout' and holdout_fraction == 0:
            raise ValueError("FaceLandmarkCSVDataset: split='holdout' needs "
                             'holdout_fraction > 0')
        self._check_bbox_mode(bbox_mode, 'landmarks')
        ann_files = [ann_file] if isinstance(ann_file, str) else list(
            ann_file)
        if img_dirs is None and tuple(ann_files) == UDACITY_CSVS:
            img_dirs = UDACITY_IMG_DIRS
        if img_dirs is not None:
            img_dirs = [img_dirs] if isinstance(img_dirs, str) else list(
                img_dirs)
            if len(img_dirs) != len(ann_files):
                raise ValueError(
                    f'FaceLandmarkCSVDataset: {len(img_dirs)} img_dirs for '
                    f'{len(ann_files)} CSV files')
        self.img_dirs = img_dirs
        self.split = split
        self.val_fraction = val_fraction
        self.val_identities = (
            None if val_identities is None else list(val_identities))
        self.split_seed = split_seed
        self.holdout_fraction = float(holdout_fraction)
        self.bbox_mode = bbox_mode
        self.bbox_margin = float(bbox_margin)
        self.identity_split = None
        super().__init__(ann_file=ann_files, **kwargs)

    def _read_rows(self):
        """All CSV rows as (csv_path, line_no, img_dir, row)."""
        rows = []
        for i, path in enumerate(self.ann_file):
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'FaceLandmarkCSVDataset: CSV file {path!r} not found')
            img_dir = (self.img_dirs[i]
                       if self.img_dirs is not None else
                       self.data_prefix['img'])
            with open(path, newline='') as f:
                reader = csv.reader(f)
                header = next(reader, None)
                if header is None:
                    continue
                for row in reader:
                    if not row or not any(c.strip() for c in row):
                        continue
                    rows.append((path, reader.line_num, img_dir, row))
        return rows

    def _load_instances(self) -> List[dict]:
        rows = self._read_rows()
        k = self.num_keypoints
        identities = [face_identity(r[3][0]) for r in rows]
        train_ids, val_ids = deterministic_split(
            [i for i in identities if i is not None], self.val_fraction,
            self.split_seed, self.val_identities)
        holdout_ids = []
        if self.holdout_fraction > 0:
            train_ids, holdout_ids = deterministic_split(
                train_ids, self.holdout_fraction,
                f'{self.split_seed}:holdout')
        self.identity_split = dict(train=train_ids, val=val_ids,
                                   holdout=holdout_ids)
        keep = dict(all=set(train_ids) | set(val_ids) | set(holdout_ids),
                    train=set(train_ids), val=set(val_ids),
                    holdout=set(holdout_ids))[self.split]
        data_list = []
        for idx, ((path, line, img_dir, row), identity) in enumerate(
                zip(rows, identities)):
            name = row[0].strip()
            where = f'{path}: line {line} ({name})'
            if identity is None:
                self._bad(f'{where}: cannot read an identity from the file '
                          'name (expected <identity>_<NN>.<ext>)')
                continue
            if identity not in keep:
                continue
            values = row[1:]
            if len(values) != 2 * k:
                self._bad(f'{where}: has {len(values)} coordinates, '
                          f'expected {2 * k} ({k} keypoints)')
                continue
            try:
                keypoints = np.array([float(v) for v in values],
                                     dtype=np.float32).reshape(k, 2)
            except ValueError as e:
                self._bad(f'{where}: non-numeric coordinate ({e})')
                continue
            visible = np.ones(k, dtype=np.float32)
            img_path = osp.join(img_dir, name)
            sample = self._landmark_instance(
                where, img_path, keypoints, visible,
                bbox_mode=self.bbox_mode, bbox_margin=self.bbox_margin,
                img_id=idx, ann_id=idx,
                raw_ann_info=dict(ann_file=path, line=line, file_name=name),
                img_name=f'{osp.basename(osp.normpath(img_dir))}/{name}',
                identity=identity)
            if sample is not None:
                data_list.append(sample)
        return data_list
