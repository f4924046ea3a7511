"""What a model was trained on, from its config's training dataset.

:func:`describe_training_data` reads ``train_dataloader.dataset`` of a
config (through repeat / concat / split wrappers) and returns
``dict(dataset_types, synthetic, description)``. kp_ext's
``CheckpointHook`` stores it as ``meta['training_data']`` in every
checkpoint; ``kp_ext.apis.init_model`` reads it back (or derives it from
the config saved in the checkpoint, or from the config) so that the
inference tools can say when a model has only seen synthetic images.

A dataset class says it is generated with a class attribute
``SYNTHETIC = True`` and what it shows with ``DATA_DESCRIPTION`` (e.g.
``'synthetic people'``); every other dataset counts as real data.
"""
import os.path as osp
from typing import List, Optional

from kp_ext.registry import DATASETS

__all__ = ['describe_training_data', 'leaf_dataset_cfgs']

_WRAPPER_KEYS = ('dataset', 'datasets', 'fit', 'test', 'holdout')


def leaf_dataset_cfgs(dataset_cfg) -> List[dict]:
    """The dataset configs under ``dataset_cfg`` that are not wrappers:
    ``dataset`` (repeat / class-balanced), ``datasets`` (concat),
    ``fit`` / ``test`` / ``holdout`` (``RegressionSplitDataset``)."""
    if not isinstance(dataset_cfg, dict):
        return []
    nested = [k for k in _WRAPPER_KEYS if isinstance(
        dataset_cfg.get(k), (dict, list, tuple))]
    if not nested:
        return [dataset_cfg] if 'type' in dataset_cfg else []
    found = []
    for key in nested:
        value = dataset_cfg[key]
        for v in (value if isinstance(value, (list, tuple)) else [value]):
            found.extend(leaf_dataset_cfgs(v))
    return found


def _type_name(t) -> str:
    if isinstance(t, type):
        return t.__name__
    return str(t).split('.')[-1]


def _dataset_class(t):
    if isinstance(t, type):
        return t
    try:
        return DATASETS.get(str(t))
    except Exception:  # an unknown scope prefix only loses the class
        return None


def _describe_one(ds: dict) -> dict:
    t = ds.get('type')
    name = _type_name(t)
    cls = _dataset_class(t)
    if cls is not None:
        synthetic = bool(getattr(cls, 'SYNTHETIC', False))
    else:  # not registered here (e.g. another package's): by its name
        synthetic = 'synthetic' in name.lower()
    if synthetic:
        what = getattr(cls, 'DATA_DESCRIPTION', None) or 'synthetic images'
        return dict(type=name, synthetic=True, description=f'{what} ({name})')
    root, ann = ds.get('data_root'), ds.get('ann_file')
    where = osp.join(str(root or ''), str(ann)) if ann else root
    text = f'{name} ({osp.normpath(str(where))})' if where else name
    return dict(type=name, synthetic=False, description=text)


def describe_training_data(cfg) -> Optional[dict]:
    """``dict(dataset_types=[...], synthetic=bool, description=str)`` of
    ``cfg.train_dataloader.dataset`` (a Config or dict); ``synthetic`` is
    True only when every training dataset is generated. None when the
    config has no training dataset."""
    loader = cfg.get('train_dataloader') if hasattr(cfg, 'get') else None
    if not isinstance(loader, dict):
        return None
    leaves = leaf_dataset_cfgs(loader.get('dataset'))
    if not leaves:
        return None
    parts = [_describe_one(ds) for ds in leaves]
    descriptions = []
    for p in parts:
        if p['description'] not in descriptions:
            descriptions.append(p['description'])
    return dict(dataset_types=sorted({p['type'] for p in parts}),
                synthetic=all(p['synthetic'] for p in parts),
                description=' + '.join(descriptions))
