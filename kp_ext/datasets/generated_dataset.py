"""Base of kp_ext's generated datasets (synthetic people, crowds and
deformable faces): no files; sample ``i`` is rendered when asked for, from
``np.random.default_rng([seed, i])`` only, so workers, reruns and subsets
agree."""
from typing import Sequence, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from .base_dataset import PoseMetainfoMixin

__all__ = ['GeneratedPoseDataset']


class GeneratedPoseDataset(PoseMetainfoMixin, BaseDataset):
    """Length, image size, seed and per-index generator of a generated
    dataset; a subclass sets its render settings before calling
    ``__init__`` and fills samples in ``get_data_info``.

    Args:
        num_samples (int): dataset length (>= 0).
        img_size (tuple): (w, h) of the rendered images, each >= 16.
        seed (int): base seed.
        metainfo, pipeline, test_mode, indices, lazy_init, max_refetch:
            as in mmengine's ``BaseDataset`` (metainfo parsed by
            :class:`PoseMetainfoMixin`).
    """

    # what a model trained on it has seen (kp_ext.datasets.training_data)
    SYNTHETIC = True
    DATA_DESCRIPTION = 'synthetic images'

    def __init__(self, num_samples: int, img_size: Tuple[int, int],
                 seed: int, metainfo=None, pipeline: Sequence = (),
                 test_mode: bool = False, indices=None,
                 lazy_init: bool = False, max_refetch: int = 1000):
        if int(num_samples) < 0:
            raise ValueError(f'{type(self).__name__}: num_samples must be '
                             f'>= 0, got {num_samples}')
        if len(img_size) != 2 or min(img_size) < 16:
            raise ValueError(f'{type(self).__name__}: img_size must be '
                             f'(w, h) >= 16, got {img_size}')
        self.num_samples = int(num_samples)
        self.img_size = (int(img_size[0]), int(img_size[1]))
        self.seed = int(seed)
        super().__init__(
            ann_file='', metainfo=metainfo, data_root='',
            data_prefix=dict(img_path=''), indices=indices,
            serialize_data=False, pipeline=list(pipeline),
            test_mode=test_mode, lazy_init=lazy_init,
            max_refetch=max_refetch)

    def load_data_list(self):
        return [dict(synthetic_index=i) for i in range(self.num_samples)]

    def rng_for(self, index: int) -> np.random.Generator:
        """The generator that renders sample ``index`` (seed, index)."""
        return np.random.default_rng([self.seed, int(index)])
