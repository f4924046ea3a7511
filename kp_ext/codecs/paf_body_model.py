"""Body model of a Part Affinity Field codec, read from a metainfo file.

A body model is what the PAF network predicts: its parts (one confidence
map each), its limbs (one PAF each: a spanning tree ``paf_limbs`` plus
``paf_redundant_limbs``), and how its parts are made from the keypoints of
the annotated dataset. The metainfo file is the only place where these are
written (``kp_ext/datasets/metainfo/``): the codec and, through it, the
head derive limbs and channel counts from it.

- ``coco.py``: COCO's 17 keypoints are the parts (kp_ext's 16 tree + 13
  redundant limbs).
- ``coco_openpose18.py``: the OpenPose paper's 18 parts (COCO's 17 + a
  neck) and 19 limbs. Its ``source_metainfo`` (the dataset layout, COCO)
  and ``keypoint_sources`` (per part: one source keypoint name, copied, or
  two, whose midpoint is taken when both are labelled) say how targets are
  made from the dataset's keypoints; :meth:`PAFBodyModel.to_dataset`
  brings predictions back to the dataset's keypoints (a dataset keypoint
  takes the part that copies it; parts made from two keypoints are
  dropped), as the reference ``evalCOCO.m`` does.
"""
import functools
from typing import List, Optional, Tuple, Union

import numpy as np

from kp_ext.structures.metainfo import parse_pose_metainfo

__all__ = ['PAFBodyModel']


@functools.lru_cache(maxsize=32)
def _parse_file(name: str) -> dict:
    return parse_pose_metainfo(dict(from_file=name))


def _parse(metainfo: Union[str, dict]) -> Tuple[dict, str]:
    """(dataset_meta, description for error messages)."""
    if isinstance(metainfo, str):
        return _parse_file(metainfo), metainfo
    if isinstance(metainfo, dict):
        if set(metainfo) == {'from_file'}:
            return _parse_file(metainfo['from_file']), metainfo['from_file']
        return parse_pose_metainfo(metainfo), str(
            metainfo.get('from_file', metainfo.get('dataset_name', 'dict')))
    raise TypeError(f'body_model must be a metainfo file name or dict, got '
                    f'{metainfo!r}')


class PAFBodyModel:
    """Parts, limbs and dataset mapping of a PAF body model.

    Args:
        metainfo (str | dict): metainfo file name (e.g.
            ``'coco_openpose18.py'``), ``dict(from_file=...)`` or a
            ``dataset_info`` dict; it must define ``paf_limbs``.

    Attributes:
        name, num_parts, part_names, flip_indices (parts), limbs,
        redundant_limbs (index pairs of parts), num_limbs (both kinds),
        num_dataset_keypoints,
        sources (per part, a tuple of dataset keypoint indices).
    """

    def __init__(self, metainfo: Union[str, dict]):
        meta, where = _parse(metainfo)
        self.where = where
        self.name = meta['dataset_name']
        if 'paf_limbs' not in meta:
            raise ValueError(f'body model {where}: the metainfo defines no '
                             '`paf_limbs`')
        self.num_parts = int(meta['num_keypoints'])
        self.part_names = [meta['keypoint_id2name'][i]
                           for i in range(self.num_parts)]
        self.flip_indices = list(meta['flip_indices'])
        self.limbs = tuple(tuple(p) for p in meta['paf_limbs'])
        self.redundant_limbs = tuple(
            tuple(p) for p in meta.get('paf_redundant_limbs', []) or [])
        sources = meta.get('keypoint_sources')
        if sources is None:
            self.num_dataset_keypoints = self.num_parts
            self.sources = [(k, ) for k in range(self.num_parts)]
        else:
            src_file = meta.get('source_metainfo')
            if not src_file:
                raise KeyError(f'body model {where}: keypoint_sources needs '
                               '`source_metainfo` (the dataset layout)')
            src = _parse_file(src_file)
            self.num_dataset_keypoints = int(src['num_keypoints'])
            self.sources = self._resolve(sources, src, where, src_file)
        # dataset keypoint j <- the part that copies it (-1: none)
        self.part_of = np.full(self.num_dataset_keypoints, -1, np.int64)
        for k, s in enumerate(self.sources):
            if len(s) == 1:
                self.part_of[s[0]] = k
        #: parts that are evaluation (dataset) keypoints, ascending
        self.dataset_parts = tuple(
            sorted(int(k) for k in self.part_of if k >= 0))
        #: ``paf_limb_sequence`` as indices into ``limbs +
        #: redundant_limbs`` (the assembly order of the reference's
        #: ``connect56LineVec.m``), or None when the metainfo has none
        self.limb_sequence = self._limb_sequence(
            meta.get('paf_limb_sequence'), where)

    def _limb_sequence(self, seq, where: str) -> Optional[Tuple[int, ...]]:
        if seq is None:
            return None
        all_limbs = list(self.limbs) + list(self.redundant_limbs)
        name2id = {n: i for i, n in enumerate(self.part_names)}
        out = []
        for pair in seq:
            if len(pair) != 2 or any(
                    (n not in name2id) if isinstance(n, str) else
                    not (0 <= int(n) < self.num_parts) for n in pair):
                raise ValueError(f'body model {where}: paf_limb_sequence '
                                 f'entry {pair!r} is not a pair of parts')
            ab = tuple(name2id[n] if isinstance(n, str) else int(n)
                       for n in pair)
            if ab not in all_limbs:
                raise ValueError(f'body model {where}: paf_limb_sequence '
                                 f'limb {pair!r} is not one of paf_limbs / '
                                 'paf_redundant_limbs (same direction)')
            out.append(all_limbs.index(ab))
        if sorted(out) != list(range(len(all_limbs))):
            raise ValueError(f'body model {where}: paf_limb_sequence must '
                             f'list each of the {len(all_limbs)} limbs once')
        return tuple(out)

    def _resolve(self, sources: dict, src: dict, where: str,
                 src_file: str) -> List[Tuple[int, ...]]:
        name2id = src['keypoint_name2id']
        unknown = sorted(set(sources) - set(self.part_names))
        if unknown:
            raise ValueError(f'body model {where}: keypoint_sources names '
                             f'unknown parts {unknown}')
        out = []
        for part in self.part_names:
            if part not in sources:
                raise ValueError(f'body model {where}: keypoint_sources has '
                                 f'no entry for part {part!r}')
            names = sources[part]
            names = (names, ) if isinstance(names, str) else tuple(names)
            if len(names) not in (1, 2):
                raise ValueError(f'body model {where}: part {part!r} must '
                                 'come from one keypoint or the midpoint of '
                                 f'two, got {names}')
            for n in names:
                if n not in name2id:
                    raise ValueError(f'body model {where}: part {part!r} '
                                     f'comes from {n!r}, which is not a '
                                     f'keypoint of {src_file}')
            out.append(tuple(name2id[n] for n in names))
        return out

    @property
    def num_limbs(self) -> int:
        """L, tree and redundant limbs together (2L PAF channels)."""
        return len(self.limbs) + len(self.redundant_limbs)

    @property
    def is_identity(self) -> bool:
        return self.num_dataset_keypoints == self.num_parts and all(
            s == (k, ) for k, s in enumerate(self.sources))

    def to_parts(self, keypoints: np.ndarray,
                 visible: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Dataset keypoints (N, Kd, 2) and visibility (N, Kd) -> parts
        (N, K, 2) and visibility (N, K). A two-keypoint part is the midpoint
        and visible only when both are (> 0 and finite); otherwise its
        coordinates are NaN."""
        if self.is_identity:
            return keypoints, visible
        keypoints = np.asarray(keypoints, np.float64)
        visible = np.asarray(visible, np.float64)
        n = len(keypoints)
        parts = np.full((n, self.num_parts, 2), np.nan)
        vis = np.zeros((n, self.num_parts))
        with np.errstate(invalid='ignore'):
            ok = (np.nan_to_num(visible, nan=0.0) > 0) & \
                np.isfinite(keypoints).all(-1)
        for k, s in enumerate(self.sources):
            both = ok[:, list(s)].all(1)
            parts[both, k] = keypoints[both][:, list(s)].mean(1)
            vis[both, k] = 1.0
        return parts, vis

    def to_dataset(self, keypoints: np.ndarray, scores: np.ndarray
                   ) -> Tuple[np.ndarray, np.ndarray]:
        """Parts (N, K, 2) and scores (N, K) -> dataset keypoints
        (N, Kd, 2) and scores (N, Kd). A dataset keypoint no part copies
        gets score 0 and the mean of the person's found parts."""
        if self.is_identity:
            return keypoints, scores
        n = len(keypoints)
        out = np.zeros((n, self.num_dataset_keypoints, 2), keypoints.dtype)
        out_s = np.zeros((n, self.num_dataset_keypoints), scores.dtype)
        has = self.part_of >= 0
        out[:, has] = keypoints[:, self.part_of[has]]
        out_s[:, has] = scores[:, self.part_of[has]]
        if not has.all() and n:
            found = scores > 0
            cnt = np.maximum(found.sum(1, keepdims=True), 1)
            centre = (keypoints * found[..., None]).sum(1) / cnt
            out[:, ~has] = centre[:, None, :]
        return out, out_s

    def weights_to_dataset(self, part_weights: np.ndarray) -> np.ndarray:
        """Per-part weights (N, K) -> dataset keypoints (N, Kd): a dataset
        keypoint weighs what the part copying it weighs (0 if none)."""
        if self.is_identity:
            return part_weights
        out = np.zeros((len(part_weights), self.num_dataset_keypoints),
                       part_weights.dtype)
        has = self.part_of >= 0
        out[:, has] = part_weights[:, self.part_of[has]]
        return out

    def __repr__(self) -> str:
        return (f'PAFBodyModel({self.where!r}: {self.num_parts} parts, '
                f'{len(self.limbs)} + {len(self.redundant_limbs)} limbs, '
                f'{self.num_dataset_keypoints} dataset keypoints)')


def resolve_body_model(body_model: Optional[Union[str, dict]]
                       ) -> Optional[PAFBodyModel]:
    """None stays None; a name or dict becomes a :class:`PAFBodyModel`."""
    if body_model is None or isinstance(body_model, PAFBodyModel):
        return body_model
    return PAFBodyModel(body_model)
