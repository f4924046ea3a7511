"""Common machinery of kp_ext keypoint datasets (mmengine ``BaseDataset``).

A reader subclasses :class:`BaseKeypointDataset` and implements
``_load_instances()``, returning one top-down sample dict per annotated
instance (the keys of ``docs/INTERFACES.md``, arrays with a leading
instance axis of length 1). The base class then

- parses ``metainfo`` (``dict(from_file=...)``, a full ``dataset_info`` dict,
  or a few keys overriding the class default ``METAINFO``) with
  :func:`parse_pose_metainfo`;
- in ``data_mode='bottomup'`` groups instances by ``img_id`` into one sample
  per image (array keys concatenated to N instances, per-instance scalars
  stacked into (N,) arrays, other values into lists, plus an image-level
  ``invalid_segs`` list);
- applies ``filter_cfg=dict(bbox_score_thr=...)`` (top-down only);
- adds ``upper_body_ids``, ``lower_body_ids``, ``flip_pairs``,
  ``flip_indices``, ``dataset_keypoint_weights`` and ``dataset_name`` from
  the metainfo to every sample handed to the pipeline.

Bad input (missing image, wrong keypoint count, NaN coordinates, zero-size
box, every keypoint invisible, unreadable rows) goes through
:meth:`BaseKeypointDataset._bad`: with ``on_bad_annotation='raise'`` (the
default) a ``ValueError`` naming the file and the annotation; with
``'skip'`` the instance is dropped, a warning is logged through mmengine's
current logger and the message is kept in ``self.bad_annotations``.

Suspicious but usable input (visible keypoints far outside the image,
non-finite or half-filled coordinate cells read as missing labels,
annotations a reader does not use) goes through
:meth:`BaseKeypointDataset._note`: counted per reason and logged once per
reason after loading, with the count and the first example
(``self.annotation_notes`` keeps them all). A dataset that ends up with no
sample raises a ``ValueError`` naming its annotation file (mmengine would
fail later with "need at least one array to concatenate").
"""
import copy
import logging
import os.path as osp
from collections.abc import Mapping
from itertools import filterfalse
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from kp_ext.structures.metainfo import (is_parsed_metainfo,
                                       parse_pose_metainfo)
from .dataset_files import dataset_docs

__all__ = ['PoseMetainfoMixin', 'BaseKeypointDataset']


class PoseMetainfoMixin:
    """``_load_metainfo`` of every kp_ext dataset (mmengine calls it with
    the ``metainfo`` argument): None gives the class default ``METAINFO``;
    a parsed ``dataset_meta`` is kept; a dict with neither ``from_file``
    nor ``keypoint_info`` overrides a few keys of the class default; the
    result goes through :func:`parse_pose_metainfo` (an empty metainfo
    stays empty)."""

    METAINFO: dict = dict()
    #: metainfo entries copied into every sample before the pipeline (as
    #: MMPose)
    SAMPLE_METAINFO_KEYS: Tuple[str, ...] = (
        'upper_body_ids', 'lower_body_ids', 'flip_pairs', 'flip_indices',
        'dataset_keypoint_weights', 'dataset_name')

    def _sample_metainfo(self) -> dict:
        """Copies of the ``SAMPLE_METAINFO_KEYS`` the metainfo has."""
        return {k: copy.deepcopy(self._metainfo[k])
                for k in self.SAMPLE_METAINFO_KEYS if k in self._metainfo}

    @classmethod
    def _load_metainfo(cls, metainfo: Optional[Mapping] = None) -> dict:
        if metainfo is None:
            metainfo = copy.deepcopy(cls.METAINFO)
        if not isinstance(metainfo, Mapping):
            raise TypeError(f'{cls.__name__}: metainfo must be a dict, got '
                            f'{type(metainfo)}')
        metainfo = dict(metainfo)
        if metainfo and not is_parsed_metainfo(metainfo) \
                and 'from_file' not in metainfo \
                and 'keypoint_info' not in metainfo:
            # a few keys overriding the class default
            metainfo = dict(copy.deepcopy(cls.METAINFO), **metainfo)
        if not metainfo:
            return {}
        return parse_pose_metainfo(metainfo)


class BaseKeypointDataset(PoseMetainfoMixin, BaseDataset):
    """Base class of kp_ext keypoint datasets.

    Args:
        ann_file (str | list[str]): annotation file(s); relative paths are
            joined with ``data_root``.
        data_mode (str): ``'topdown'`` (one sample per instance) or
            ``'bottomup'`` (one sample per image with all its instances).
        metainfo (dict, optional): see the module docstring.
        data_root (str): root joined with relative ``ann_file``,
            ``data_prefix`` and the subclass's extra path arguments.
        data_prefix (dict): ``dict(img=...)``, the image folder.
        filter_cfg (dict, optional): ``dict(bbox_score_thr=float)`` drops
            top-down samples whose ``bbox_score`` is below the threshold.
        indices, serialize_data, pipeline, test_mode, lazy_init,
        max_refetch: as in mmengine's ``BaseDataset``.
        on_bad_annotation (str): ``'raise'`` or ``'skip'`` (see module doc).
        check_image_exists (bool): check that every image file referenced
            by a sample exists while loading annotations (readers that need
            the image size read the image header regardless).
    """

    #: anchor of the reader's section in docs/DATASETS.md (where to get the
    #: data, the folder layout); a missing file's error names it
    DATASET_DOCS: Optional[str] = None
    # names of attributes holding extra paths to join with ``data_root``
    _path_attrs: Tuple[str, ...] = ()
    # keys that are per image (not per instance) when grouping bottom-up
    _image_keys: Tuple[str, ...] = ('img_id', 'img_path', 'img_shape')
    #: a visible keypoint more than this fraction of the image size beyond
    #: the border is reported by :meth:`_note_far_outside`
    FAR_OUTSIDE_FRACTION = 0.5

    def __init__(self,
                 ann_file: Union[str, Sequence[str]] = '',
                 data_mode: str = 'topdown',
                 metainfo: Optional[dict] = None,
                 data_root: Optional[str] = '',
                 data_prefix: dict = dict(img=''),
                 filter_cfg: Optional[dict] = None,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 serialize_data: bool = True,
                 pipeline: List[Union[dict, Callable]] = [],
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 max_refetch: int = 1000,
                 on_bad_annotation: str = 'raise',
                 check_image_exists: bool = True):
        if data_mode not in ('topdown', 'bottomup'):
            raise ValueError(f'{type(self).__name__}: data_mode must be '
                             f"'topdown' or 'bottomup', got {data_mode!r}")
        if on_bad_annotation not in ('raise', 'skip'):
            raise ValueError(f'{type(self).__name__}: on_bad_annotation '
                             "must be 'raise' or 'skip', got "
                             f'{on_bad_annotation!r}')
        if filter_cfg and 'bbox_score_thr' in filter_cfg \
                and data_mode != 'topdown':
            raise ValueError(f'{type(self).__name__}: bbox_score_thr '
                             'filtering needs data_mode="topdown"')
        self.data_mode = data_mode
        self.on_bad_annotation = on_bad_annotation
        self.check_image_exists = check_image_exists
        self.bad_annotations: List[str] = []
        self.annotation_notes: Dict[str, List[str]] = {}
        data_prefix = dict(data_prefix) if data_prefix else dict(img='')
        data_prefix.setdefault('img', '')
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root or '',
            data_prefix=data_prefix,
            filter_cfg=filter_cfg,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch)

    # ------------------------------------------------------------------
    # paths
    def _join_root(self, path):
        if isinstance(path, (list, tuple)):
            return [self._join_root(p) for p in path]
        if isinstance(path, str) and path and not osp.isabs(path) \
                and self.data_root:
            return osp.join(self.data_root, path)
        return path

    def _join_prefix(self):
        ann_file = self.ann_file
        if isinstance(ann_file, (list, tuple)):
            self.ann_file = ''
            super()._join_prefix()
            self.ann_file = self._join_root(list(ann_file))
        else:
            super()._join_prefix()
        for attr in self._path_attrs:
            setattr(self, attr, self._join_root(getattr(self, attr, None)))

    @property
    def num_keypoints(self) -> int:
        return self._metainfo['num_keypoints']

    # ------------------------------------------------------------------
    # loading
    def load_data_list(self) -> List[dict]:
        self.bad_annotations = []
        self.annotation_notes = {}
        try:
            instances = self._load_instances()
        except FileNotFoundError as e:
            # the reader names the missing file; add where to get the data
            raise FileNotFoundError(
                f'{e}; see {dataset_docs(type(self))} for where to get the '
                'data and the folder layout') from e
        if self.data_mode == 'topdown':
            return instances
        return self._group_bottomup(instances)

    def _load_instances(self) -> List[dict]:
        """Return one top-down sample dict per valid instance."""
        raise NotImplementedError(
            f'{type(self).__name__} must implement _load_instances()')

    def _group_bottomup(self,
                        instances: List[dict],
                        invalid_segs: Optional[dict] = None) -> List[dict]:
        """Group top-down instance dicts into one sample per image.

        ``invalid_segs`` optionally maps ``img_id`` to the segmentations of
        unusable instances of that image (crowds, people without
        keypoints); every sample gets an ``invalid_segs`` list.
        """
        groups = {}
        for inst in instances:
            groups.setdefault(inst['img_id'], []).append(inst)
        data_list = []
        for img_id, insts in groups.items():
            sample = {
                k: insts[0][k]
                for k in self._image_keys if k in insts[0]
            }
            for key in insts[0]:
                if key in sample:
                    continue
                values = [inst[key] for inst in insts]
                if isinstance(values[0], np.ndarray):
                    sample[key] = np.concatenate(values, axis=0)
                elif isinstance(values[0], (bool, int, float, np.number)):
                    sample[key] = np.array(values)
                else:
                    sample[key] = values
            sample['invalid_segs'] = list((invalid_segs or {}).get(
                img_id, []))
            data_list.append(sample)
        return data_list

    def filter_data(self) -> List[dict]:
        # mmengine's full_init calls this right after load_data_list: the
        # place to report what loading counted and to refuse an empty set
        self._log_notes()
        self._check_not_empty(self.data_list, 'in')
        data_list = self.data_list
        if not self.filter_cfg:
            return data_list
        unknown = set(self.filter_cfg) - {'bbox_score_thr'}
        if unknown:
            raise ValueError(f'{type(self).__name__}: unknown filter_cfg '
                             f'keys {sorted(unknown)}')
        thr = self.filter_cfg['bbox_score_thr']
        data_list = list(
            filterfalse(lambda d: float(d['bbox_score'][0]) < thr,
                        data_list))
        self._check_not_empty(data_list,
                              f'left by filter_cfg bbox_score_thr={thr} in')
        return data_list

    def _check_not_empty(self, data_list: List[dict], how: str) -> None:
        if data_list:
            return
        skipped = (f'; {len(self.bad_annotations)} bad annotations were '
                   'skipped (on_bad_annotation="skip"), the first: '
                   f'{self.bad_annotations[0]}'
                   if self.bad_annotations else '')
        raise ValueError(f'{type(self).__name__}: no sample {how} '
                         f'{self.ann_file!r} (data_mode={self.data_mode!r})'
                         f'{skipped}')

    def prepare_data(self, idx):
        data_info = self.get_data_info(idx)
        for key in self.SAMPLE_METAINFO_KEYS:
            if key in data_info:
                raise KeyError(f'"{key}" is reserved for metainfo but the '
                               f'sample {idx} already has it')
        data_info.update(self._sample_metainfo())
        return self.pipeline(data_info)

    # ------------------------------------------------------------------
    # helpers for readers
    #: ``bbox_mode`` values of :meth:`_instance_bbox` that read only the
    #: image size (every other value means the keypoints' extent)
    IMAGE_BBOX_MODES = ('image', 'center_square')

    @classmethod
    def _check_bbox_mode(cls, bbox_mode: str, keypoint_mode: str) -> None:
        """Raise unless ``bbox_mode`` is the reader's own name for the
        keypoints' extent (``keypoint_mode``) or an image mode."""
        modes = (keypoint_mode, ) + cls.IMAGE_BBOX_MODES
        if bbox_mode not in modes:
            raise ValueError(f'{cls.__name__}: bbox_mode must be one of '
                             f'{modes}, got {bbox_mode!r}')

    def _bad(self, message: str) -> None:
        """Raise ``ValueError(message)`` or log and record a skip."""
        if self.on_bad_annotation == 'raise':
            raise ValueError(message)
        self.bad_annotations.append(message)
        print_log(f'{type(self).__name__}: skipping bad annotation: '
                  f'{message}', logger='current', level=logging.WARNING)

    def _note(self, reason: str, where: str) -> None:
        """Count a suspicious but usable annotation under ``reason``;
        :meth:`filter_data` logs one warning per reason after loading."""
        self.annotation_notes.setdefault(reason, []).append(where)

    def _log_notes(self) -> None:
        for reason, wheres in self.annotation_notes.items():
            print_log(f'{type(self).__name__}: {self.ann_file}: '
                      f'{len(wheres)} annotation(s): {reason} (first: '
                      f'{wheres[0]})', logger='current',
                      level=logging.WARNING)

    def _note_far_outside(self, where: str, keypoints: np.ndarray,
                          keypoints_visible: np.ndarray,
                          img_size: Tuple[float, float]) -> None:
        """Note visible keypoints more than ``FAR_OUTSIDE_FRACTION`` of
        the image size (W, H) beyond its border (a wrong scale or image)."""
        size = np.asarray(img_size, dtype=np.float64)
        margin = self.FAR_OUTSIDE_FRACTION * size
        pts = np.asarray(keypoints, dtype=np.float64)[
            np.asarray(keypoints_visible) > 0]
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        far = np.any((pts < -margin) | (pts > size - 1 + margin), axis=1)
        if far.any():
            self._note(
                'visible keypoints more than '
                f'{self.FAR_OUTSIDE_FRACTION:g} x the image size outside '
                'the image (wrong image, size or coordinate scale?)',
                f'{where}: {int(far.sum())} keypoint(s), e.g. '
                f'{pts[far][0].round(1).tolist()} in a '
                f'{int(size[0])}x{int(size[1])} image')

    def _check_instance(self, keypoints: np.ndarray,
                        keypoints_visible: np.ndarray,
                        bbox: Optional[np.ndarray]) -> Optional[str]:
        """Return what is wrong with one instance, or ``None``.

        ``keypoints`` (K, 2), ``keypoints_visible`` (K,), ``bbox`` (4,)
        xyxy.
        """
        k = self.num_keypoints
        if keypoints.shape != (k, 2) or keypoints_visible.shape != (k, ):
            return (f'has {keypoints.size // 2 if keypoints.ndim else 0} '
                    f'keypoints, expected {k}')
        if not np.all(np.isfinite(keypoints_visible)):
            return 'has non-finite visibility flags'
        vis = keypoints_visible > 0
        bad = vis & ~np.all(np.isfinite(keypoints), axis=1)
        if bad.any():
            names = [self._metainfo['keypoint_id2name'][i]
                     for i in np.flatnonzero(bad)]
            return f'has NaN/inf coordinates for visible keypoints {names}'
        if not vis.any():
            return 'has all keypoints invisible'
        if bbox is not None:
            bbox = np.asarray(bbox, dtype=np.float64).reshape(-1)
            if bbox.shape != (4, ) or not np.all(np.isfinite(bbox)):
                return f'has an invalid bbox {bbox.tolist()}'
            if bbox[2] - bbox[0] <= 0 or bbox[3] - bbox[1] <= 0:
                return f'has a zero-size bbox {bbox.tolist()} (xyxy)'
        return None

    def _image_size(self, img_path: str) -> Optional[Tuple[int, int]]:
        """(width, height) read from the image header, ``None`` if the
        file is missing or unreadable."""
        if not osp.isfile(img_path):
            return None
        from PIL import Image
        try:
            with Image.open(img_path) as img:
                return img.size
        except Exception:  # noqa: BLE001 - any decoder error means unusable
            return None

    def _instance_bbox(self, where: str, img_path: str,
                       keypoints: np.ndarray, visible: np.ndarray,
                       bbox_mode: str = 'keypoints', margin: float = 0.0,
                       min_size: float = 0.0) -> Optional[np.ndarray]:
        """The xyxy box of one instance, or ``None`` once the bad annotation
        is reported.

        The image size comes from the file's header (a missing or
        unreadable image is a bad annotation); ``bbox_mode='image'`` gives
        the whole image, ``'center_square'`` the largest square centred in
        the image (side ``min(W, H)``; neither uses the annotation),
        otherwise the visible keypoints' extent (:meth:`_keypoint_bbox`);
        then :meth:`_check_instance` runs.
        """
        img_size = self._image_size(img_path)
        if img_size is None:
            self._bad(f'{where}: image file {img_path} missing or '
                      'unreadable')
            return None
        self._note_far_outside(where, keypoints, visible, img_size)
        if bbox_mode == 'image':
            bbox = np.array([0, 0, img_size[0] - 1, img_size[1] - 1],
                            dtype=np.float32)
        elif bbox_mode == 'center_square':
            w, h = img_size
            cx, cy, half = (w - 1) / 2, (h - 1) / 2, min(w, h) / 2
            bbox = np.array([cx - half, cy - half, cx + half, cy + half],
                            dtype=np.float32)
        else:
            bbox = self._keypoint_bbox(
                np.nan_to_num(keypoints), visible, margin, min_size,
                img_size)
        problem = self._check_instance(keypoints, visible, bbox)
        if problem is not None:
            self._bad(f'{where}: {problem}')
            return None
        return bbox

    @staticmethod
    def _keypoint_bbox(keypoints: np.ndarray,
                       keypoints_visible: np.ndarray,
                       margin: float = 0.0,
                       min_size: float = 0.0,
                       img_size: Optional[Tuple[int, int]] = None
                       ) -> np.ndarray:
        """xyxy box around the visible keypoints.

        The extent is grown by ``margin * max(w, h)`` on every side, then
        each side is grown around the centre to at least ``min_size``
        pixels, then the box is clipped to ``[0, W-1] x [0, H-1]`` when
        ``img_size`` (W, H) is given. A degenerate extent stays zero-size
        when ``min_size`` is 0 (the caller reports it).
        """
        pts = keypoints[keypoints_visible > 0]
        if pts.size == 0:
            return np.zeros(4, dtype=np.float32)
        x1, y1 = pts.min(axis=0)
        x2, y2 = pts.max(axis=0)
        pad = margin * max(x2 - x1, y2 - y1)
        x1, y1, x2, y2 = x1 - pad, y1 - pad, x2 + pad, y2 + pad
        if min_size > 0:
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            hw = max(x2 - x1, min_size) / 2
            hh = max(y2 - y1, min_size) / 2
            x1, x2, y1, y2 = cx - hw, cx + hw, cy - hh, cy + hh
        box = np.array([x1, y1, x2, y2], dtype=np.float32)
        if img_size is not None:
            w, h = img_size
            box[0::2] = np.clip(box[0::2], 0, w - 1)
            box[1::2] = np.clip(box[1::2], 0, h - 1)
        return box

    def _interocular_dist(self, where: str, keypoints: np.ndarray,
                          required: bool = False) -> Optional[np.ndarray]:
        """``interocular_dist`` (1,) float32 of one instance, the NME
        normaliser: the distance between the metainfo's ``norm_indices``
        (NaN when the layout has none, an error when ``required``), or
        ``None`` once coincident points are reported through :meth:`_bad`.
        """
        norm = self._metainfo.get('norm_indices')
        if norm is None:
            if required:
                raise KeyError(
                    f'{type(self).__name__}: metainfo '
                    f'{self._metainfo.get("dataset_name")!r} defines no '
                    '`norm_indices` (the inter-ocular pair)')
            return np.array([np.nan], dtype=np.float32)
        iod = float(np.linalg.norm(keypoints[norm[0]] - keypoints[norm[1]]))
        if not iod > 0:
            self._bad(f'{where}: has coincident normalisation points '
                      f'{norm} (inter-ocular distance 0)')
            return None
        return np.array([iod], dtype=np.float32)

    def _landmark_instance(self, where: str, img_path: str,
                           keypoints: np.ndarray, visible: np.ndarray, *,
                           bbox_mode: str, bbox_margin: float,
                           iod_required: bool = False,
                           **pack) -> Optional[dict]:
        """One sample of a landmark reader (faces, cats): its box
        (:meth:`_instance_bbox`), its ``interocular_dist``
        (:meth:`_interocular_dist`) and the packed sample
        (:meth:`_pack_instance`, with ``pack``'s other keys); ``None`` once
        a bad annotation is reported."""
        bbox = self._instance_bbox(where, img_path, keypoints, visible,
                                   bbox_mode, bbox_margin)
        if bbox is None:
            return None
        iod = self._interocular_dist(where, keypoints, required=iod_required)
        if iod is None:
            return None
        return self._pack_instance(
            img_path=img_path, bbox=bbox, keypoints=keypoints,
            keypoints_visible=visible, interocular_dist=iod, **pack)

    @staticmethod
    def _pack_instance(*,
                       img_path: str,
                       img_id: int,
                       ann_id: int,
                       bbox: np.ndarray,
                       keypoints: np.ndarray,
                       keypoints_visible: np.ndarray,
                       raw_ann_info,
                       bbox_score: float = 1.0,
                       area: Optional[float] = None,
                       iscrowd: int = 0,
                       category_id: int = 1,
                       **extra) -> dict:
        """Build a top-down sample dict with the INTERFACES.md layout.

        Coordinates of invisible keypoints that are not finite are set to
        0 so no NaN reaches the transforms.
        """
        keypoints = np.asarray(keypoints, dtype=np.float32).reshape(-1, 2)
        vis = (np.asarray(keypoints_visible, dtype=np.float32).reshape(-1)
               > 0).astype(np.float32)
        keypoints = np.where(np.isfinite(keypoints), keypoints,
                             0).astype(np.float32)
        bbox = np.asarray(bbox, dtype=np.float32).reshape(1, 4)
        if area is None:
            area = float((bbox[0, 2] - bbox[0, 0]) * (bbox[0, 3] - bbox[0, 1]))
        info = {
            'img_id': img_id,
            'img_path': img_path,
            'id': ann_id,
            'bbox': bbox,
            'bbox_score': np.array([bbox_score], dtype=np.float32),
            'keypoints': keypoints[None],
            'keypoints_visible': vis[None],
            'num_keypoints': int(vis.sum()),
            'area': np.array([area], dtype=np.float32),
            'iscrowd': int(iscrowd),
            'category_id': int(category_id),
            'raw_ann_info': raw_ann_info,
        }
        info.update(extra)
        return info
