"""MPII Human Pose dataset in MMPose's json layout."""
import json
import logging
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine.logging import print_log

from kp_ext.registry import DATASETS
from kp_ext.utils.json_file import load_json
from .base_dataset import BaseKeypointDataset

__all__ = ['MpiiDataset']

PIXEL_STD = 200.  # MPII person scales are in units of 200 px
HEADBOX_SC_BIAS = 0.6  # official PCKh: head size = 0.6 * headbox diagonal
# How to get the official head boxes of the validation split (named in the
# error raised when the configured headbox_file is missing).
HEADBOX_HELP = (
    'mpii_gt_val.mat holds the official head boxes (headboxes_src) of the '
    '2958 validation people in the order of mpii_val.json; it comes with '
    "MMPose's MPII annotations (see MMPose's dataset docs, 'MPII', file "
    'annotations/mpii_gt_val.mat) and is the ground truth of the official '
    'MPII evaluation package (evaluatePCKh.m)')


@DATASETS.register_module()
class MpiiDataset(BaseKeypointDataset):
    """MPII annotations as the json list MMPose uses: one dict per person
    with ``image``, ``center`` (x, y), ``scale`` (box height / 200 px),
    ``joints`` (16 x 2) and ``joints_vis`` (16), in MPII's 1-based (MATLAB)
    pixel coordinates.

    Box: as MMPose, the centre moves down by ``15 * scale`` px (to include
    the feet) and by -1 (1-based to 0-based); the box is a square of side
    ``scale * 200`` around it, returned as unclipped xyxy (clipping would
    move the crop centre). MMPose's effective crop of ``scale * 200 * 1.25``
    comes from ``GetBBoxCenterScale(padding=1.25)`` in the pipeline, exactly
    as in MMPose 1.x, so the 1.25 is not applied here. Joints are shifted by
    -1 as well (``one_based=True``) so that keypoints and box share kp_ext's
    0-based pixel convention (MMPose 0.x did the same; 1.x shifts only the
    centre and adds 1 back in its MPII evaluation).

    ``head_size`` (1,) for PCKh:

    - with ``headbox_file`` (one head box per json entry, same order):
      ``0.6 * ||(x2, y2) - (x1, y1)||``, **the official MPII protocol**
      (``util_get_head_size`` / ``SC_BIAS`` of evaluatePCKh.m). Accepted:
      ``.mat`` with ``headboxes_src`` (2, 2, N) (``mpii_gt_val.mat``; when
      it also holds ``pos_gt_src`` (16, 2, N) its joints must match the
      json's, which catches a file of another split or order), ``.npy``
      with (N, 2, 2), (N, 4) or (2, 2, N), ``.json`` list of
      ``[[x1, y1], [x2, y2]]`` or ``[x1, y1, x2, y2]``. A configured file
      that does not exist is an error naming the path and where to get it.
    - ``headbox_file=None``: the joint-segment fallback
      ``head_size_factor * ||head_top - upper_neck||``, **not the official
      protocol** (a warning says so when ``test_mode=True``). PCKh's
      threshold is "50 % of the head segment length" and the 0.6 x
      head-box diagonal is MPII's estimate of that segment from a box, so
      the segment between the two head joints is the closest joint-based
      stand-in, but the two sizes differ per person and the numbers are not
      comparable with published MPII results. When a person lacks either
      head joint its ``head_size`` is NaN (a warning counts them) and PCKh
      leaves that person out.

    Args:
        ann_file (str): the json list.
        headbox_file (str, optional): see above.
        head_size_factor (float): scale of the joint-based head size.
        one_based (bool): the json coordinates are 1-based (MPII); False
            for already 0-based files.
        Others: see :class:`BaseKeypointDataset`.
    """

    METAINFO: dict = dict(from_file='mpii.py')
    DATASET_DOCS = 'mpii'  # docs/DATASETS.md section
    _path_attrs = ('headbox_file', )

    def __init__(self,
                 ann_file: str = '',
                 headbox_file: Optional[str] = None,
                 head_size_factor: float = 1.0,
                 one_based: bool = True,
                 **kwargs):
        if headbox_file:
            ext = osp.splitext(headbox_file)[1].lower()
            if ext not in ('.mat', '.npy', '.json'):
                raise ValueError(f'MpiiDataset: headbox_file must be .mat, '
                                 f'.npy or .json, got {headbox_file!r}')
        self.headbox_file = headbox_file
        self.head_size_factor = float(head_size_factor)
        self.one_based = bool(one_based)
        super().__init__(ann_file=ann_file, **kwargs)

    def _load_headboxes(self, anns: List[dict]) -> np.ndarray:
        path, num = self.headbox_file, len(anns)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'MpiiDataset: headbox_file {path!r} not found. The '
                'official MPII PCKh normalises by 0.6 x the head-box '
                f'diagonal; {HEADBOX_HELP}. To evaluate with the '
                'joint-segment head size instead (NOT the official '
                'protocol, numbers not comparable with papers), set '
                'headbox_file=None, e.g. --cfg-options '
                'val_dataloader.dataset.headbox_file=None '
                'test_dataloader.dataset.headbox_file=None')
        ext = osp.splitext(path)[1].lower()
        if ext == '.mat':
            from scipy.io import loadmat
            mat = loadmat(path)
            if 'headboxes_src' not in mat:
                raise ValueError(f'{path}: no "headboxes_src" array')
            boxes = np.transpose(np.asarray(mat['headboxes_src'], float),
                                 (2, 0, 1))
            if 'pos_gt_src' in mat:
                missing = mat.get('jnt_missing')
                self._check_mat_joints(
                    np.asarray(mat['pos_gt_src'], float), anns,
                    None if missing is None else np.asarray(missing) > 0)
        else:
            if ext == '.npy':
                boxes = np.load(path).astype(float)
            else:
                with open(path) as f:
                    boxes = np.asarray(json.load(f), dtype=float)
            if boxes.ndim == 2 and boxes.shape[1] == 4:
                boxes = boxes.reshape(-1, 2, 2)
            elif boxes.ndim == 3 and boxes.shape[:2] == (2, 2) \
                    and boxes.shape[2] != 2:
                boxes = np.transpose(boxes, (2, 0, 1))
        if boxes.ndim != 3 or boxes.shape[1:] != (2, 2):
            raise ValueError(f'{path}: head boxes must be (N, 2, 2) '
                             f'[[x1, y1], [x2, y2]], got {boxes.shape}')
        if len(boxes) != num:
            raise ValueError(f'{path}: {len(boxes)} head boxes for {num} '
                             f'annotations in {self.ann_file}')
        return boxes

    def _check_mat_joints(self, pos_gt_src: np.ndarray, anns: List[dict],
                          jnt_missing: Optional[np.ndarray]) -> None:
        """Raise unless the .mat's joints ``pos_gt_src`` (K, 2, N) equal the
        json's (within 1 px where both are annotated; ``jnt_missing``
        (K, N) marks the .mat's unannotated joints): head boxes of another
        split or order would give silently wrong PCKh."""
        path = self.headbox_file
        k = self.num_keypoints
        if pos_gt_src.ndim != 3 or pos_gt_src.shape[:2] != (k, 2):
            raise ValueError(f'{path}: pos_gt_src must be ({k}, 2, N), got '
                             f'{pos_gt_src.shape}')
        if pos_gt_src.shape[2] != len(anns):
            raise ValueError(f'{path}: {pos_gt_src.shape[2]} people in '
                             f'pos_gt_src for {len(anns)} annotations in '
                             f'{self.ann_file}')
        for idx, ann in enumerate(anns):
            try:
                joints = np.asarray(ann['joints'], float).reshape(k, 2)
                vis = np.asarray(ann['joints_vis'], float).reshape(k) > 0
            except (KeyError, TypeError, ValueError):
                continue  # reported by _load_instances
            mat_joints = pos_gt_src[:, :, idx]
            both = vis & np.all(np.isfinite(mat_joints), axis=1)
            if jnt_missing is not None and jnt_missing.shape == (
                    k, len(anns)):
                both &= ~jnt_missing[:, idx]
            err = np.abs(joints[both] - mat_joints[both])
            if err.size and err.max() > 1.0:
                raise ValueError(
                    f'{path}: person {idx} ({ann.get("image")}) has joints '
                    f'differing by up to {err.max():.1f} px from '
                    f'{self.ann_file}: the head boxes are not those of '
                    'this annotation file (another split or order)')

    def _load_instances(self) -> List[dict]:
        anns = load_json(self.ann_file, 'MpiiDataset: annotation file',
                         expect=list)
        headboxes = (
            self._load_headboxes(anns) if self.headbox_file else None)
        if headboxes is None and self.test_mode:
            print_log(
                f'MpiiDataset ({self.ann_file}): no headbox_file, PCKh is '
                'normalised by the joint-segment head size '
                f'{self.head_size_factor:g} x |head_top - upper_neck|: this '
                'is NOT the official protocol (0.6 x head-box diagonal from '
                'mpii_gt_val.mat); the numbers are not comparable with '
                'published MPII results', logger='current',
                level=logging.WARNING)
        name2id = self._metainfo['keypoint_name2id']
        neck, top = self._metainfo.get(
            'head_indices',
            [name2id.get('upper_neck'), name2id.get('head_top')])
        k = self.num_keypoints
        offset = 1.0 if self.one_based else 0.0
        image_ids = {}
        data_list, missing_head = [], 0
        for idx, ann in enumerate(anns):
            where = f'{self.ann_file}: annotation {idx}'
            try:
                image = str(ann['image'])
                where += f' ({image})'
                center = np.asarray(ann['center'], dtype=np.float64)
                scale = float(ann['scale'])
                keypoints = np.asarray(ann['joints'], dtype=np.float64)
                visible = np.asarray(ann['joints_vis'], dtype=np.float64)
            except (KeyError, TypeError, ValueError) as e:
                self._bad(f'{where}: unreadable entry ({e!r}); needs image, '
                          'center, scale, joints, joints_vis')
                continue
            if keypoints.size != 2 * k or visible.size != k \
                    or center.shape != (2, ):
                self._bad(f'{where}: has {keypoints.size // 2} joints and '
                          f'{visible.size} visibility flags, expected {k}')
                continue
            keypoints = keypoints.reshape(k, 2) - offset
            visible = visible.reshape(k)
            size = scale * PIXEL_STD
            if center[0] != -1:
                center[1] += 15. / PIXEL_STD * size
            center = center - offset
            bbox = np.concatenate([center - size / 2, center + size / 2])
            problem = self._check_instance(keypoints, visible, bbox)
            if problem is not None:
                self._bad(f'{where}: {problem}')
                continue
            img_path = osp.join(self.data_prefix['img'], image)
            if self.check_image_exists and not osp.isfile(img_path):
                self._bad(f'{where}: image file {img_path} not found')
                continue

            if headboxes is not None:
                head_size = HEADBOX_SC_BIAS * float(
                    np.linalg.norm(headboxes[idx][1] - headboxes[idx][0]))
            elif neck is not None and top is not None \
                    and visible[neck] > 0 and visible[top] > 0:
                head_size = self.head_size_factor * float(
                    np.linalg.norm(keypoints[top] - keypoints[neck]))
            else:
                head_size = float('nan')
                missing_head += 1

            stem = osp.splitext(osp.basename(image))[0]
            if stem.isdigit():
                img_id = int(stem)
            else:
                img_id = image_ids.setdefault(image, len(image_ids))
            data_list.append(
                self._pack_instance(
                    img_path=img_path,
                    img_id=img_id,
                    ann_id=idx,
                    bbox=bbox,
                    keypoints=keypoints,
                    keypoints_visible=visible,
                    raw_ann_info=ann,
                    head_size=np.array([head_size], dtype=np.float32)))
        if missing_head:
            print_log(
                f'MpiiDataset: {missing_head} people in {self.ann_file} '
                'lack upper_neck/head_top and have no headbox; their '
                'head_size is NaN', logger='current',
                level=logging.WARNING)
        return data_list
