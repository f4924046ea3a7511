"""DeepLabCut labelled frames (single-animal ``CollectedData_*.csv``)."""
import csv
import math
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np

from kp_ext.registry import DATASETS
from .base_dataset import BaseKeypointDataset
from .utils import natural_sort_key

__all__ = ['DeepLabCutDataset', 'read_dlc_csv']


def read_dlc_csv(path: str):
    """Parse a single-animal DeepLabCut CSV.

    The header has three rows, ``scorer``, ``bodyparts`` and ``coords``
    (``x``/``y``, optionally ``likelihood``), then one row per frame whose
    leading index cell(s) give the image path relative to the project
    (DLC 2.3+ writes it as three cells ``labeled-data, <video>, <img>``).

    Returns:
        (bodyparts, frames): body-part names in column order and a list of
        ``(line_no, image_rel_path, {bodypart: (x_str, y_str)}, complete)``
        where ``complete`` says the row has as many cells as the header;
        empty cells stay empty strings (missing labels), absent ones are
        ``None``.
    """
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    if len(rows) < 3 or not rows[0] or rows[0][0].strip() != 'scorer':
        raise ValueError(f'{path}: not a DeepLabCut CSV (expected header '
                         'rows scorer/bodyparts/coords)')
    if rows[1] and rows[1][0].strip() == 'individuals':
        raise ValueError(f'{path}: multi-animal DeepLabCut CSVs (with an '
                         '"individuals" header row) are not supported')
    if rows[1][0].strip() != 'bodyparts' or rows[2][0].strip() != 'coords':
        raise ValueError(f'{path}: header rows 2-3 must be "bodyparts" and '
                         '"coords"')
    coords = [c.strip() for c in rows[2]]
    try:
        n_index = next(i for i, c in enumerate(coords) if c in ('x', 'y'))
    except StopIteration:
        raise ValueError(f'{path}: no x/y columns in the coords row')
    columns = {}
    bodyparts = []
    for j in range(n_index, len(coords)):
        part = rows[1][j].strip() if j < len(rows[1]) else ''
        if not part:
            raise ValueError(f'{path}: column {j} has no body-part name')
        if part not in columns:
            columns[part] = {}
            bodyparts.append(part)
        columns[part][coords[j]] = j
    for part, cols in columns.items():
        if 'x' not in cols or 'y' not in cols:
            raise ValueError(f'{path}: body part {part!r} lacks an x or y '
                             'column')
    frames = []
    for line, row in enumerate(rows[3:], start=4):
        if not row or not any(c.strip() for c in row):
            continue
        rel = '/'.join(c.strip() for c in row[:n_index] if c.strip())
        cells = [c.strip() for c in row]
        values = {
            part: tuple(cells[cols[c]] if cols[c] < len(cells) else None
                        for c in ('x', 'y'))
            for part, cols in columns.items()
        }
        frames.append((line, rel, values, len(row) == len(coords)))
    return bodyparts, frames


def _to_float(text: Optional[str]) -> float:
    if text is None or text == '':
        return math.nan
    return float(text)


@DATASETS.register_module()
class DeepLabCutDataset(BaseKeypointDataset):
    """Single-animal DeepLabCut labelled data, one sample per frame.

    ``ann_file`` is the project's ``labeled-data/<video>/CollectedData_*.csv``.
    The CSV's body parts must be exactly the metainfo keypoint names (any
    order; default metainfo: the openfield mouse ``dlc_mouse.py``). Image
    paths in the CSV are relative to the DLC project folder: they are joined
    with ``data_prefix['img']`` when set (e.g. ``data_root`` = the project),
    otherwise with the project folder inferred from the CSV location
    (``<project>/labeled-data/<video>/<csv>``).

    Empty / NaN cells are missing labels: that keypoint is invisible
    (coordinates 0); ``inf`` cells and keypoints with only one of x / y
    filled are read the same way but counted and logged once after loading.
    A frame with no labelled keypoint, a row with the wrong
    number of cells, a non-numeric cell or a missing image is a bad
    annotation (see ``on_bad_annotation``).

    Split (never random; consecutive frames are strongly correlated):
    frames are ordered by their image path in natural order; ``split=
    'train'`` takes the first ``floor(train_fraction * n)``, ``'val'`` the
    rest, ``'all'`` every frame; ``frame_range=(start, stop)`` (a Python
    slice of that order) overrides ``split``. The split is made before bad
    frames are dropped, so the ranges do not move.

    Box (``bbox_mode``): ``'keypoints'`` (default) = extent of the visible
    keypoints grown by ``bbox_margin * max(w, h)`` on every side (the four
    mouse points sit inside the body, so a generous margin), each side at
    least ``min_bbox_size`` px, clipped to the frame; ``'image'`` = the full
    frame; ``'center_square'`` = the largest square centred in the frame.
    Extra sample keys: ``frame_index`` (position in that order) and
    ``img_name`` (the CSV's relative path).

    Args:
        ann_file (str): the DLC CSV.
        split (str), train_fraction (float), frame_range (tuple, optional):
            see above.
        bbox_mode (str), bbox_margin (float), min_bbox_size (float): see
            above.
        Others: see :class:`BaseKeypointDataset`.
    """

    METAINFO: dict = dict(from_file='dlc_mouse.py')
    DATASET_DOCS = 'deeplabcut'  # docs/DATASETS.md section
    _image_keys = ('img_id', 'img_path', 'img_name', 'frame_index')

    def __init__(self,
                 ann_file: str = '',
                 split: str = 'all',
                 train_fraction: float = 0.8,
                 frame_range: Optional[Sequence[Optional[int]]] = None,
                 bbox_mode: str = 'keypoints',
                 bbox_margin: float = 0.25,
                 min_bbox_size: float = 32.,
                 **kwargs):
        if split not in ('all', 'train', 'val'):
            raise ValueError("DeepLabCutDataset: split must be 'all', "
                             f"'train' or 'val', got {split!r}")
        if not 0.0 <= train_fraction <= 1.0:
            raise ValueError('DeepLabCutDataset: train_fraction must be in '
                             f'[0, 1], got {train_fraction}')
        if frame_range is not None and len(frame_range) != 2:
            raise ValueError('DeepLabCutDataset: frame_range must be '
                             f'(start, stop), got {frame_range!r}')
        self._check_bbox_mode(bbox_mode, 'keypoints')
        self.split = split
        self.train_fraction = float(train_fraction)
        self.frame_range = (None if frame_range is None else tuple(
            frame_range))
        self.bbox_mode = bbox_mode
        self.bbox_margin = float(bbox_margin)
        self.min_bbox_size = float(min_bbox_size)
        super().__init__(ann_file=ann_file, **kwargs)

    def _note_cells(self, where: str, names: List[str],
                    keypoints: np.ndarray) -> None:
        """Count cells read as a missing label that look like a mistake:
        infinite values and keypoints with only one of x / y filled."""
        inf = [n for n, xy in zip(names, keypoints) if np.isinf(xy).any()]
        if inf:
            self._note('infinite coordinate cells read as missing labels',
                       f'{where}: {inf}')
        half = [n for n, xy in zip(names, keypoints)
                if np.isfinite(xy).sum() == 1 and not np.isinf(xy).any()]
        if half:
            self._note('keypoints with only one of x / y filled, read as '
                       'missing labels', f'{where}: {half}')

    def _image_root(self) -> str:
        if self.data_prefix.get('img'):
            return self.data_prefix['img']
        csv_dir = osp.dirname(osp.abspath(self.ann_file))
        parent = osp.dirname(csv_dir)
        if osp.basename(parent) == 'labeled-data':
            return osp.dirname(parent)
        return csv_dir

    def frame_slice(self, num_frames: int) -> slice:
        """The slice of the ordered frames this dataset uses."""
        if self.frame_range is not None:
            return slice(*self.frame_range)
        n_train = int(math.floor(self.train_fraction * num_frames))
        return dict(
            all=slice(0, num_frames),
            train=slice(0, n_train),
            val=slice(n_train, num_frames))[self.split]

    def _load_instances(self) -> List[dict]:
        if not self.ann_file or not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'DeepLabCutDataset: CSV file {self.ann_file!r} not found')
        bodyparts, frames = read_dlc_csv(self.ann_file)
        names = [
            self._metainfo['keypoint_id2name'][i]
            for i in range(self.num_keypoints)
        ]
        if set(bodyparts) != set(names):
            raise ValueError(
                f'{self.ann_file}: body parts {bodyparts} do not match the '
                f'metainfo keypoints {names} '
                f'({self._metainfo["dataset_name"]})')
        frames = sorted(frames, key=lambda f: natural_sort_key(f[1]))
        order = list(range(len(frames)))[self.frame_slice(len(frames))]
        root = self._image_root()
        data_list = []
        for frame_index in order:
            line, rel, values, complete = frames[frame_index]
            where = f'{self.ann_file}: line {line} ({rel})'
            if not complete:
                self._bad(f'{where}: wrong number of cells for '
                          f'{len(names)} keypoints (x, y)')
                continue
            try:
                keypoints = np.array(
                    [[_to_float(v) for v in values[n]] for n in names],
                    dtype=np.float32)
            except ValueError as e:
                self._bad(f'{where}: non-numeric coordinate ({e})')
                continue
            visible = np.all(np.isfinite(keypoints), axis=1).astype(
                np.float32)
            self._note_cells(where, names, keypoints)
            img_path = osp.join(root, rel)
            bbox = self._instance_bbox(
                where, img_path, keypoints, visible, self.bbox_mode,
                self.bbox_margin, self.min_bbox_size)
            if bbox is None:
                continue
            data_list.append(
                self._pack_instance(
                    img_path=img_path,
                    img_id=frame_index,
                    ann_id=frame_index,
                    bbox=bbox,
                    keypoints=keypoints,
                    keypoints_visible=visible,
                    raw_ann_info=dict(
                        ann_file=self.ann_file,
                        line=line,
                        image=rel,
                        keypoints={n: values[n] for n in names}),
                    img_name=rel,
                    frame_index=frame_index))
        return data_list
