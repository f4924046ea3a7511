"""The synthetic people datasets (registered): one figure per image
(:class:`SyntheticPeopleDataset`) or crowds (:class:`SyntheticCrowdDataset`),
rendered lazily per index from ``np.random.default_rng([seed, index])``
(optionally kept in memory after the first render: ``cache_renders``)."""
import copy
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from kp_ext.registry import DATASETS
from ..generated_dataset import GeneratedPoseDataset
from .coco_export import coco_annotation
from .figure import FOOT_KEYPOINT_NAMES, NUM_KEYPOINTS
from .scenes import render_crowd_scene, render_people_scene

__all__ = ['SyntheticPeopleDataset', 'SyntheticCrowdDataset']

_DEFAULT_METAINFO = dict(from_file='kp_ext/datasets/metainfo/coco.py')


class _SyntheticBase(GeneratedPoseDataset):
    """Shared parts of the people datasets: data mode, COCO-17 check,
    samples with their COCO annotations."""

    METAINFO: dict = _DEFAULT_METAINFO
    SAMPLE_METAINFO_KEYS = GeneratedPoseDataset.SAMPLE_METAINFO_KEYS + (
        'skeleton_links', )
    _kind = 'base'
    _rendered_keypoints = NUM_KEYPOINTS
    _rendered_layout = 'the COCO-17 skeleton'

    def __init__(self, num_samples: int, img_size, seed: int,
                 data_mode: str, metainfo=None, pipeline=(),
                 test_mode: bool = False, indices=None,
                 lazy_init: bool = False, max_refetch: int = 1000,
                 cache_renders: bool = False):
        if data_mode not in ('topdown', 'bottomup'):
            raise ValueError(f'{type(self).__name__}: data_mode must be '
                             f"'topdown' or 'bottomup', got {data_mode!r}")
        self.data_mode = data_mode
        # index -> (img, ann); per process (each data worker fills its own)
        self.cache_renders = bool(cache_renders)
        self._render_cache = {}
        super().__init__(num_samples, img_size, seed, metainfo, pipeline,
                         test_mode, indices, lazy_init, max_refetch)
        nk = self._metainfo.get('num_keypoints', NUM_KEYPOINTS)
        if nk != self._rendered_keypoints:
            raise ValueError(
                f'{type(self).__name__}: renders {self._rendered_keypoints} '
                f'keypoints ({self._rendered_layout}) but metainfo has {nk}')

    def load_data_list(self):
        return [dict(synthetic_index=i,
                     img_path=f'synthetic://{self._kind}/seed{self.seed}/'
                     f'{i:06d}') for i in range(self.num_samples)]

    def render(self, index: int):
        """(img, ann) of original sample ``index``."""
        raise NotImplementedError

    def _render_once(self, index: int):
        """``render(index)``, kept after the first call when
        ``cache_renders`` (a copy is returned: transforms write in place).
        Rendering is deterministic per index, so cached and fresh samples
        are identical."""
        if not self.cache_renders:
            return self.render(index)
        if index not in self._render_cache:
            self._render_cache[index] = self.render(index)
        img, ann = self._render_cache[index]
        return img.copy(), copy.deepcopy(ann)

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        i = info['synthetic_index']
        img, ann = self._render_once(i)
        w, h = self.img_size
        n = len(ann['keypoints'])
        ids = [i * self._max_people + p + 1 for p in range(n)]
        body = slice(0, NUM_KEYPOINTS)
        raw = [coco_annotation(ann['keypoints'][p, body],
                               ann['keypoints_visible'][p, body],
                               ann['keypoints_occluded'][p, body],
                               ann['bbox'][p], ann['area'][p], ids[p], i)
               for p in range(n)]
        if self._rendered_keypoints > NUM_KEYPOINTS:
            # the feet: COCO-WholeBody's foot_kpts / foot_valid
            # (annotation_fields of coco_foot23.py)
            feet = slice(NUM_KEYPOINTS, None)
            for p, r in enumerate(raw):
                r['foot_kpts'] = coco_annotation(
                    ann['keypoints'][p, feet],
                    ann['keypoints_visible'][p, feet],
                    ann['keypoints_occluded'][p, feet], ann['bbox'][p],
                    0.0, 0, 0)['keypoints']
                r['foot_valid'] = True
        num_kpts = [int((ann['keypoints_visible'][p, body] > 0).sum())
                    for p in range(n)]
        info.update(
            img=img, img_id=i, img_shape=(h, w), ori_shape=(h, w),
            bbox=ann['bbox'].astype(np.float32),
            bbox_score=np.ones(n, np.float32),
            keypoints=ann['keypoints'].astype(np.float32),
            keypoints_visible=ann['keypoints_visible'].astype(np.float32),
            keypoints_occluded=ann['keypoints_occluded'].astype(np.float32),
            area=ann['area'].astype(np.float32))
        if self.data_mode == 'topdown':
            info.update(id=ids[0], num_keypoints=num_kpts[0], iscrowd=0,
                        category_id=1, raw_ann_info=raw[0])
        else:
            info.update(id=ids, num_keypoints=num_kpts,
                        iscrowd=np.zeros(n, np.int64),
                        category_id=[1] * n, raw_ann_info=raw,
                        invalid_segs=[])
        info.update(self._sample_metainfo())
        return info


@DATASETS.register_module()
class SyntheticPeopleDataset(_SyntheticBase):
    """One rendered person per image, generated on the fly.

    Sample ``i`` is ``render_people_scene(np.random.default_rng([seed,
    i]), ...)``; every worker and rerun agrees.

    Args:
        num_samples (int): dataset length. Default 1000.
        img_size (tuple): (w, h) of the scene. Default (256, 256).
        seed (int): base seed. Default 0.
        data_mode (str): 'topdown' (scalars ``id``, ``num_keypoints``...)
            or 'bottomup' (same sample with N=1 and per-person lists).
        metainfo (dict): default COCO
            ``dict(from_file='kp_ext/datasets/metainfo/coco.py')``; an
            already parsed ``dataset_meta`` (has ``num_keypoints``) is used
            as is.
        pipeline (list): transforms.
        test_mode (bool): mmengine flag.
        scale_range, max_rotation, truncation_prob, occlusion_prob,
        num_distractors, lr_shade: see :func:`render_people_scene`.
        cache_renders (bool): keep each rendered sample in memory after its
            first use (about ``w * h * 3`` bytes each, per data worker), so
            later epochs skip the rendering. Default False.
    """

    _kind = 'people'
    _max_people = 1
    DATA_DESCRIPTION = 'synthetic people'

    def __init__(self, num_samples: int = 1000,
                 img_size: Tuple[int, int] = (256, 256), seed: int = 0,
                 data_mode: str = 'topdown', metainfo: Optional[dict] = None,
                 pipeline: Sequence = (), test_mode: bool = False,
                 scale_range: Tuple[float, float] = (0.55, 0.9),
                 max_rotation: float = 30.0, truncation_prob: float = 0.2,
                 occlusion_prob: float = 0.3, num_distractors: int = 0,
                 lr_shade: float = 0.0, indices=None,
                 lazy_init: bool = False, max_refetch: int = 1000,
                 cache_renders: bool = False):
        self.render_cfg = dict(
            scale_range=tuple(scale_range), max_rotation=float(max_rotation),
            truncation_prob=float(truncation_prob),
            occlusion_prob=float(occlusion_prob),
            num_distractors=int(num_distractors), lr_shade=float(lr_shade))
        super().__init__(num_samples, img_size, seed, data_mode, metainfo,
                         pipeline, test_mode, indices, lazy_init,
                         max_refetch, cache_renders)

    def render(self, index: int):
        return render_people_scene(self.rng_for(index), self.img_size,
                                   **self.render_cfg)


@DATASETS.register_module()
class SyntheticCrowdDataset(_SyntheticBase):
    """Multi-person rendered scenes for bottom-up training (one image per
    sample, all people annotated, later figures occlude earlier ones).

    Args:
        num_samples (int): dataset length. Default 1000.
        img_size (tuple): (w, h). Default (368, 368).
        seed (int): base seed.
        num_people (int | tuple): people per image, or an inclusive
            (min, max) range. Default (1, 20).
        scale_range (tuple): figure height / image height range.
            Default (0.22, 0.55).
        max_rotation, occlusion_prob, min_keypoints_inside, lr_shade: see
            :func:`render_crowd_scene`.
        with_feet (bool): also the six foot points (big toe, small toe,
            heel of each foot, on the drawn shoes): samples of the 23-point
            layout ``coco_foot23.py`` (the default metainfo then), whose
            ``raw_ann_info`` carries them as COCO-WholeBody's
            ``foot_kpts``. Same images as without. Default False.
        data_mode (str): only 'bottomup'.
        metainfo, pipeline, test_mode, cache_renders: as
            :class:`SyntheticPeopleDataset`.
    """

    _kind = 'crowd'
    DATA_DESCRIPTION = 'synthetic crowds of people'

    def __init__(self, num_samples: int = 1000,
                 img_size: Tuple[int, int] = (368, 368), seed: int = 0,
                 num_people: Union[int, Tuple[int, int]] = (1, 20),
                 scale_range: Tuple[float, float] = (0.22, 0.55),
                 max_rotation: float = 20.0, occlusion_prob: float = 0.2,
                 min_keypoints_inside: int = 3, lr_shade: float = 0.0,
                 with_feet: bool = False,
                 data_mode: str = 'bottomup',
                 metainfo: Optional[dict] = None, pipeline: Sequence = (),
                 test_mode: bool = False, indices=None,
                 lazy_init: bool = False, max_refetch: int = 1000,
                 cache_renders: bool = False):
        if data_mode != 'bottomup':
            raise ValueError("SyntheticCrowdDataset supports data_mode="
                             f"'bottomup' only, got {data_mode!r}")
        if isinstance(num_people, (int, np.integer)):
            lo = hi = int(num_people)
        else:
            lo, hi = (int(v) for v in num_people)
        if not 0 <= lo <= hi <= 254:
            raise ValueError('SyntheticCrowdDataset: num_people must be an '
                             'int or (min, max) with 0 <= min <= max <= 254,'
                             f' got {num_people}')
        self._max_people = hi
        self.render_cfg = dict(
            num_people=num_people if isinstance(num_people, int) else
            (lo, hi), scale_range=tuple(scale_range),
            max_rotation=float(max_rotation),
            occlusion_prob=float(occlusion_prob),
            min_keypoints_inside=int(min_keypoints_inside),
            lr_shade=float(lr_shade))
        if with_feet:
            self.render_cfg['with_feet'] = True
            self._rendered_keypoints = NUM_KEYPOINTS + len(
                FOOT_KEYPOINT_NAMES)
            self._rendered_layout = 'COCO-17 + 6 foot points'
            if metainfo is None:
                metainfo = dict(from_file='coco_foot23.py')
        super().__init__(num_samples, img_size, seed, data_mode, metainfo,
                         pipeline, test_mode, indices, lazy_init,
                         max_refetch, cache_renders)

    def render(self, index: int):
        return render_crowd_scene(self.rng_for(index), self.img_size,
                                  **self.render_cfg)
