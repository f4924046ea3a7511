"""Dataset wrappers.

:class:`RegressionSplitDataset` serves the unsupervised evaluation protocol
(``LandmarkRegressionMetric``): it concatenates a ``fit`` dataset (where the
linear regressor from discovered to annotated landmarks is fitted) and a
``test`` dataset (where it is evaluated) and tags every packed data
sample's metainfo with ``regression_split='fit'|'test'``, so one ordinary
``runner.test()`` / ``runner.val()`` pass feeds both splits to the metric.
An optional ``holdout`` dataset (tagged ``holdout``: e.g. identities kept
out of training, for model selection) is appended after them.
"""
import copy
from typing import Optional

import numpy as np
from torch.utils.data import Dataset

from kp_ext.registry import DATASETS

__all__ = ['RegressionSplitDataset']


@DATASETS.register_module()
class RegressionSplitDataset(Dataset):
    """``fit`` + ``test`` datasets, samples tagged for the regression metric.

    Index ``i < len(fit)`` is sample ``fit_indices[i]`` of ``fit`` (tagged
    ``fit``), then come the ``test`` samples (tagged ``test``) and the
    ``holdout`` samples, if any (tagged ``holdout``). The tag
    is written into each packed data sample's metainfo under ``split_key``
    after the child's pipeline ran, so any pipeline ending in
    ``PackPoseInputs`` works unchanged. ``metainfo`` is the test dataset's.

    Args:
        fit (dict | Dataset): dataset where the regressor is fitted (e.g.
            the training identities).
        test (dict | Dataset): dataset where it is evaluated.
        holdout (dict | Dataset, optional): a further evaluation set
            scored with the same regressor (``NME_holdout``).
        max_fit_samples (int, optional): use at most this many ``fit``
            samples, evenly spaced over the dataset (deterministic).
        split_key (str): metainfo key of the tag.
    """

    def __init__(self, fit, test, max_fit_samples: Optional[int] = None,
                 split_key: str = 'regression_split', holdout=None):
        self.fit = DATASETS.build(fit) if isinstance(fit, dict) else fit
        self.test = DATASETS.build(test) if isinstance(test, dict) else test
        self.holdout = (DATASETS.build(holdout)
                        if isinstance(holdout, dict) else holdout)
        n = len(self.fit)
        if max_fit_samples is not None and max_fit_samples < n:
            if max_fit_samples < 1:
                raise ValueError('max_fit_samples must be >= 1, got '
                                 f'{max_fit_samples}')
            self.fit_indices = np.unique(np.linspace(
                0, n - 1, int(max_fit_samples)).round().astype(np.int64))
        else:
            self.fit_indices = np.arange(n)
        self.split_key = split_key

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(getattr(self.test, 'metainfo', {}))

    def full_init(self):
        for ds in (self.fit, self.test, self.holdout):
            if hasattr(ds, 'full_init'):
                ds.full_init()

    def __len__(self) -> int:
        return (len(self.fit_indices) + len(self.test) +
                (len(self.holdout) if self.holdout is not None else 0))

    def __getitem__(self, idx: int):
        if idx < 0:
            idx += len(self)
        nfit, ntest = len(self.fit_indices), len(self.test)
        if not 0 <= idx < len(self):
            raise IndexError(f'RegressionSplitDataset index {idx} out of '
                             f'range ({len(self)} samples)')
        if idx < nfit:
            out, tag = self.fit[int(self.fit_indices[idx])], 'fit'
        elif idx < nfit + ntest:
            out, tag = self.test[idx - nfit], 'test'
        else:
            out, tag = self.holdout[idx - nfit - ntest], 'holdout'
        samples = out.get('data_samples') if isinstance(out, dict) else None
        if samples is None:
            raise KeyError('RegressionSplitDataset: the child pipeline must '
                           'end with PackPoseInputs (no "data_samples")')
        samples.set_metainfo({self.split_key: tag})
        return out
