"""Saying what a loaded model was trained on.

:func:`checkpoint_training_data` finds the training data of a checkpoint:
its ``meta['training_data']`` (written by kp_ext's ``CheckpointHook``),
else the training dataset of the config saved in its meta (mmengine's
``meta['cfg']``), else that of the config it is loaded with.
:func:`training_data_summary` turns the answer into the one line the
quickstarts print beside their checkpoint (``trained on ...``; for synthetic
data with what to expect and what to train instead), and
:func:`training_data_warning` gives that line for a synthetic-only model, as
``tools/infer.py`` and ``PoseInferencer`` print it.
"""
from typing import Optional

from mmengine.config import Config

from kp_ext.datasets.training_data import describe_training_data

__all__ = ['checkpoint_training_data', 'training_data_warning',
           'training_data_summary', 'REAL_DATA_CONFIGS']

#: what to train instead of a synthetic-only model, per model kind
REAL_DATA_CONFIGS = dict(
    topdown='configs/hourglass_coco.py (COCO) or configs/hourglass_mpii.py '
    '(MPII)',
    bottomup='configs/openpose_coco.py (COCO)',
    landmarks='configs/fse_faces.py (real faces) or '
    'configs/fse/fse_paper_celeba.py (CelebA)')


def checkpoint_training_data(ckpt: Optional[dict],
                             config) -> Optional[dict]:
    """``dict(dataset_types, synthetic, description, source)`` of the
    data the checkpoint ``ckpt`` (a loaded dict) was trained on;
    ``source`` says where it was read: ``'checkpoint meta'``,
    ``'checkpoint config'`` or ``'config'``. None when nothing says."""
    meta = (ckpt or {}).get('meta') if isinstance(ckpt, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    found = meta.get('training_data')
    if isinstance(found, dict) and 'synthetic' in found:
        return dict(found, source='checkpoint meta')
    text = meta.get('cfg')
    if isinstance(text, str):
        try:
            found = describe_training_data(Config.fromstring(text, '.py'))
        except Exception:  # an unparsable saved config: use the given one
            found = None
        if found is not None:
            return dict(found, source='checkpoint config')
    found = describe_training_data(config) if config is not None else None
    return dict(found, source='config') if found is not None else None


def training_data_summary(data: Optional[dict],
                          kind: Optional[str] = None) -> Optional[str]:
    """One line saying what a model was trained on, from ``data``
    (:func:`checkpoint_training_data` or
    ``kp_ext.datasets.describe_training_data(cfg)``): ``trained on <real
    data>``, or for synthetic data ``trained on <synthetic data> only:
    expect poor results on real photos; train <config> for real images``
    with the config of ``REAL_DATA_CONFIGS[kind]`` (``kind``:
    ``'topdown'``, ``'bottomup'``, ``'landmarks'``). None when ``data``
    says nothing."""
    if not data:
        return None
    what = data.get('description') or ', '.join(
        data.get('dataset_types', [])) or (
            'synthetic images' if data.get('synthetic') else 'unknown data')
    if not data.get('synthetic'):
        return f'trained on {what}'
    instead = REAL_DATA_CONFIGS.get(kind, 'a config of real images')
    return (f'trained on {what} only: expect poor results on real photos; '
            f'train {instead} for real images (data: docs/DATASETS.md)')


def training_data_warning(model) -> Optional[str]:
    """One line when ``model`` (from ``init_model`` with a checkpoint) was
    trained on synthetic data only, naming the data and what to train for
    real images (:func:`training_data_summary`); None otherwise."""
    data = getattr(model, 'training_data', None)
    if not data or not data.get('synthetic'):
        return None
    from .inference import model_kind
    return training_data_summary(data, model_kind(model))
