"""COCO person-keypoint dataset (top-down and bottom-up)."""
import copy
import json
import logging
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmengine.logging import print_log

from kp_ext.registry import DATASETS
from kp_ext.utils.json_file import load_json
from .base_dataset import BaseKeypointDataset

__all__ = ['CocoDataset']


@DATASETS.register_module()
class CocoDataset(BaseKeypointDataset):
    """COCO keypoints json (``person_keypoints_*.json``) read with
    xtcocotools.

    Which people are used (as MMPose): annotations that carry
    ``keypoints`` and ``bbox``, are not ``iscrowd`` and have
    ``num_keypoints > 0``. Crowd people and people without keypoints are
    not samples; in bottom-up mode their ``segmentation`` is listed in the
    image-level ``invalid_segs`` (with ``invalid_iscrowd``, parallel) so a
    mask of regions not to supervise can be built. Images without a usable
    person give no bottom-up sample.

    Sample keys: see ``docs/INTERFACES.md``; the box is COCO's xywh
    ``bbox`` turned into xyxy and clipped to ``[0, W-1] x [0, H-1]``;
    ``keypoints_visible = min(1, v)`` (v=1 "labelled but occluded" counts);
    ``area`` is COCO's segmentation area; ``segmentation`` is kept per
    instance. A usable person with a wrong keypoint count, non-finite
    values, no labelled keypoint although ``num_keypoints > 0`` or a box
    that is empty after clipping is a bad annotation (see
    ``on_bad_annotation``); so is a missing image file. In bottom-up mode a
    skipped bad person's segmentation also goes to ``invalid_segs``.

    Annotations the reader does not use because they lack ``keypoints`` or
    ``bbox`` (not keypoint annotations) or because their ``image_id`` is
    not in ``images`` are counted per reason and logged once after loading
    (``on_unused_annotation='warn'``, the default) or raise a
    ``ValueError`` naming the first of them (``'raise'``). Every sample
    carries the json's ``img_shape`` (height, width); ``LoadImage`` refuses
    an image whose decoded size differs.

    Ids must be unique (COCOeval indexes images and annotations by id): an
    annotation or image entry repeating an id already used is dropped (the
    first entry of each id is kept) with one warning per kind giving the
    count and the ids (``'warn'``), or a ``ValueError`` listing them
    (``on_unused_annotation='raise'``). (xtcocotools alone would keep the
    last image entry, and give the last annotation of a repeated id once
    per copy.)

    Args:
        ann_file (str): COCO keypoints json.
        bbox_file (str, optional): detection results (COCO results json:
            list of ``dict(image_id, category_id, bbox=xywh, score)``) used
            instead of ground-truth boxes; test mode and top-down only.
            One sample per detection of a keypoint category (others are
            ignored), box unclipped, ``bbox_score`` = the detection score,
            ``id`` = its index among the kept detections. Keypoints are
            dummies (zeros, all visible), ``img_shape`` is set, and
            ``filter_cfg=dict(bbox_score_thr=...)`` drops low-scored
            detections (MMPose semantics). This is the COCO top-down
            protocol of MMPose and the papers (docs/PROTOCOLS.md).
        on_unused_annotation (str): ``'warn'`` or ``'raise'`` (see above).
        Others: see :class:`BaseKeypointDataset`.
    """

    METAINFO: dict = dict(from_file='coco.py')
    DATASET_DOCS = 'coco-keypoints'  # docs/DATASETS.md section
    _path_attrs = ('bbox_file', )

    def __init__(self,
                 ann_file: str = '',
                 bbox_file: Optional[str] = None,
                 data_mode: str = 'topdown',
                 on_unused_annotation: str = 'warn',
                 **kwargs):
        if on_unused_annotation not in ('warn', 'raise'):
            raise ValueError('CocoDataset: on_unused_annotation must be '
                             f"'warn' or 'raise', got "
                             f'{on_unused_annotation!r}')
        self.on_unused_annotation = on_unused_annotation
        if bbox_file:
            if data_mode != 'topdown':
                raise ValueError('CocoDataset: bbox_file is only supported '
                                 'in data_mode="topdown"')
            if not kwargs.get('test_mode', False):
                raise ValueError('CocoDataset: bbox_file is only supported '
                                 'with test_mode=True')
        self.bbox_file = bbox_file
        super().__init__(ann_file=ann_file, data_mode=data_mode, **kwargs)

    # ------------------------------------------------------------------
    def _open_coco(self):
        from xtcocotools.coco import COCO
        data = load_json(self.ann_file, 'CocoDataset: annotation file',
                         expect=dict)
        self._drop_duplicate_ids(data)
        coco = COCO(self.ann_file, ann_data=data)
        self._metainfo['CLASSES'] = coco.loadCats(coco.getCatIds())
        return coco

    def _drop_duplicate_ids(self, data: dict) -> None:
        """Keep the first of the ``images`` / ``annotations`` entries that
        share an id (class doc); warn, or raise under
        ``on_unused_annotation='raise'``."""
        for key, what in (('images', 'image'), ('annotations', 'annotation')):
            entries = data.get(key)
            if not isinstance(entries, list):
                continue
            seen, kept, repeated = set(), [], []
            for entry in entries:
                ident = entry.get('id') if isinstance(entry, dict) else None
                try:
                    new = ident not in seen
                except TypeError:  # unhashable id: left to the reader
                    new = True
                if new or ident is None:
                    if ident is not None:
                        seen.add(ident)
                    kept.append(entry)
                else:
                    repeated.append(ident)
            if not repeated:
                continue
            ids = list(dict.fromkeys(repeated))
            shown = ids[:20] + (['...'] if len(ids) > 20 else [])
            msg = (f'{self.ann_file}: {len(repeated)} {what} entr'
                   f'{"y repeats" if len(repeated) == 1 else "ies repeat"} '
                   f'an id used before ({len(ids)} {what} id(s): '
                   f'{", ".join(str(i) for i in shown)})')
            if self.on_unused_annotation == 'raise':
                raise ValueError(f'{msg}; {what} ids must be unique (COCOeval '
                                 "indexes by id) (on_unused_annotation="
                                 "'raise')")
            print_log(f'CocoDataset: {msg}: only the first entry of each id '
                      f'is used (COCOeval indexes {what}s by id)',
                      logger='current', level=logging.WARNING)
            data[key] = kept

    def load_data_list(self) -> List[dict]:
        self.bad_annotations = []
        self.annotation_notes = {}
        coco = self._open_coco()
        if self.bbox_file:
            return self._load_detections(coco)

        for ann in coco.dataset.get('annotations', []):
            if ann.get('image_id') not in coco.imgs:
                self._unused(ann, 'image_id not in "images"',
                             f' (image_id {ann.get("image_id")!r})')
        instances, invalid = [], {}
        for img_id in coco.getImgIds():
            img = coco.loadImgs(img_id)[0]
            anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
            valid, segs, crowd = [], [], []
            for ann in anns:
                missing = [k for k in ('keypoints', 'bbox') if k not in ann]
                if missing:  # not a keypoint annotation
                    self._unused(ann, f'no {" / ".join(missing)}')
                    continue
                usable, info = self._parse_ann(ann, img)
                if usable and info is not None:
                    valid.append(info)
                    continue
                seg = ann.get('segmentation')
                if seg:
                    segs.append(copy.deepcopy(seg))
                    crowd.append(int(ann.get('iscrowd', 0)))
            if valid and self.check_image_exists \
                    and not osp.isfile(valid[0]['img_path']):
                self._bad(f'{self.ann_file}: image file '
                          f'{valid[0]["img_path"]} (image id {img_id}) '
                          'not found; annotation ids '
                          f'{[v["id"] for v in valid]}')
                continue
            instances.extend(valid)
            invalid[img_id] = (segs, crowd)

        if self.data_mode == 'topdown':
            return instances
        data_list = self._group_bottomup(
            instances, {k: v[0]
                        for k, v in invalid.items()})
        for sample in data_list:
            sample['invalid_iscrowd'] = np.array(
                invalid[sample['img_id']][1], dtype=np.int64)
        return data_list

    def _unused(self, ann: dict, reason: str, detail: str = '') -> None:
        """An annotation the reader does not use: counted under ``reason``,
        or an error with ``on_unused_annotation='raise'``."""
        where = f'annotation id {ann.get("id")!r}{detail}'
        if self.on_unused_annotation == 'raise':
            raise ValueError(f'{self.ann_file}: {where}: not used: {reason} '
                             "(on_unused_annotation='raise')")
        self._note(f'not used: {reason}', where)

    def _parse_ann(self, ann: dict, img: dict) -> Tuple[bool, Optional[dict]]:
        """Return ``(usable, data_info)``: ``usable`` is False for crowd
        people and people without keypoints; ``data_info`` is None when a
        usable person's annotation is bad (and was skipped)."""
        where = (f'{self.ann_file}: annotation id {ann.get("id")} (image id '
                 f'{img["id"]}, {img.get("file_name")})')
        k = self.num_keypoints
        if ann.get('iscrowd', 0):
            return False, None
        try:
            raw = np.asarray(ann['keypoints'], dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            if ann.get('num_keypoints', 1) == 0:
                return False, None
            self._bad(f'{where}: keypoints are not numbers')
            return True, None
        if 'num_keypoints' in ann:
            num_kpts = ann['num_keypoints']
        elif raw.size == 3 * k:
            num_kpts = int(np.count_nonzero(raw.reshape(k, 3)[:, 2] > 0))
        else:
            num_kpts = None  # unknown: decided by the checks below
        if num_kpts == 0 or (raw.size and np.nanmax(np.abs(raw)) == 0):
            return False, None

        if raw.size != 3 * k:
            self._bad(f'{where}: has {raw.size} keypoint values, expected '
                      f'{3 * k} ({k} keypoints x (x, y, v))')
            return True, None
        raw = raw.reshape(k, 3)
        keypoints = raw[:, :2].astype(np.float32)
        if not np.all(np.isfinite(raw[:, 2])):
            self._bad(f'{where}: has non-finite visibility flags')
            return True, None
        visible = np.minimum(1, raw[:, 2] > 0).astype(np.float32)

        try:
            x, y, w, h = (float(v) for v in ann['bbox'])
        except (TypeError, ValueError):
            self._bad(f'{where}: bbox {ann["bbox"]!r} is not 4 numbers')
            return True, None
        img_w, img_h = img['width'], img['height']
        bbox = np.array([
            np.clip(x, 0, img_w - 1),
            np.clip(y, 0, img_h - 1),
            np.clip(x + w, 0, img_w - 1),
            np.clip(y + h, 0, img_h - 1)
        ], dtype=np.float32)
        problem = self._check_instance(keypoints, visible, bbox)
        if problem is not None:
            self._bad(f'{where}: {problem}')
            return True, None
        self._note_far_outside(where, keypoints, visible, (img_w, img_h))

        info = self._pack_instance(
            img_path=osp.join(self.data_prefix['img'], img['file_name']),
            img_id=img['id'],
            ann_id=ann['id'],
            bbox=bbox,
            keypoints=keypoints,
            keypoints_visible=visible,
            raw_ann_info=copy.deepcopy(ann),
            area=float(ann.get('area', w * h)),
            iscrowd=0,
            category_id=ann.get('category_id', 1),
            segmentation=copy.deepcopy(ann.get('segmentation')),
            img_shape=(int(img_h), int(img_w)))
        return True, info

    def _load_detections(self, coco) -> List[dict]:
        if not osp.isfile(self.bbox_file):
            raise FileNotFoundError(
                f'CocoDataset: bbox_file {self.bbox_file!r} not found. The '
                'COCO top-down protocol crops person detections: '
                'COCO_val2017_detections_AP_H_56_person.json comes with '
                "MMPose's / HRNet's COCO data (folder "
                'person_detection_results/). To use the ground-truth boxes '
                'instead (not the reported protocol), set bbox_file=None, '
                'e.g. --cfg-options val_dataloader.dataset.bbox_file=None '
                'test_dataloader.dataset.bbox_file=None, or use '
                'configs/hourglass/hourglass_coco_gt_bbox.py')
        with open(self.bbox_file) as f:
            dets = json.load(f)
        if not isinstance(dets, list) or not all(
                isinstance(d, dict) for d in dets):
            raise ValueError(f'{self.bbox_file}: expected a list of '
                             'detection dicts')
        cats = coco.loadCats(coco.getCatIds())
        kpt_cats = {c['id'] for c in cats if c.get('keypoints')} or {1}
        k = self.num_keypoints
        data_list = []
        for i, det in enumerate(dets):
            if det.get('category_id', 1) not in kpt_cats:
                continue
            where = f'{self.bbox_file}: detection {i} (image id ' \
                    f'{det.get("image_id")})'
            if det.get('image_id') not in coco.imgs:
                self._bad(f'{where}: image id not in {self.ann_file}')
                continue
            img = coco.imgs[det['image_id']]
            try:
                x, y, w, h = (float(v) for v in det['bbox'][:4])
                score = float(det.get('score', 1.0))
            except (KeyError, TypeError, ValueError):
                self._bad(f'{where}: bbox/score unreadable')
                continue
            bbox = np.array([x, y, x + w, y + h], dtype=np.float32)
            keypoints = np.zeros((k, 2), dtype=np.float32)
            visible = np.ones(k, dtype=np.float32)
            problem = self._check_instance(keypoints, visible, bbox)
            if problem is None and not np.isfinite(score):
                problem = 'has a non-finite score'
            if problem is not None:
                self._bad(f'{where}: {problem}')
                continue
            img_path = osp.join(self.data_prefix['img'], img['file_name'])
            if self.check_image_exists and not osp.isfile(img_path):
                self._bad(f'{where}: image file {img_path} not found')
                continue
            data_list.append(
                self._pack_instance(
                    img_path=img_path,
                    img_id=det['image_id'],
                    ann_id=len(data_list),
                    bbox=bbox,
                    keypoints=keypoints,
                    keypoints_visible=visible,
                    raw_ann_info=copy.deepcopy(det),
                    bbox_score=score,
                    category_id=det.get('category_id', 1),
                    img_shape=(img['height'], img['width'])))
        return data_list
