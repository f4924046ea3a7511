"""Run a trained model on one's own images (MMPose ``mmpose.apis``).

``init_model`` builds the estimator of a config, loads a checkpoint with a
strict key check and attaches the dataset metainfo (``flip_indices``,
skeleton, ...) so that flip test and drawing work without a dataset.
``inference_topdown`` / ``inference_bottomup`` / ``inference_landmarks``
run the config's own test pipeline (``test_dataloader.dataset.pipeline``,
as MMPose's ``inference_topdown`` does) on an image path or array and call
``model.test_step``: the estimator maps the predictions to image
coordinates (nothing here repeats that mapping).
"""
import copy
import os.path as osp
from typing import List, Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint
from mmengine.structures import InstanceData

from kp_ext.registry import DATASETS, MODELS
from .inputs import InputError
from .model_aliases import resolve_config
from .training_data import checkpoint_training_data

__all__ = [
    'init_model', 'inference_topdown', 'inference_bottomup',
    'inference_landmarks', 'model_kind', 'dataset_meta_from_config',
    'merge_data_samples', 'CheckpointMismatchError', 'network_input_size',
    'network_stride'
]

ImageType = Union[str, np.ndarray]


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's weights do not fit the model its config builds."""


def model_kind(model) -> str:
    """'topdown', 'bottomup' or 'landmarks' (unsupervised) for an estimator
    (or a config's ``model.type``)."""
    from kp_ext.models.estimators import (BottomupPoseEstimator,
                                          TopdownPoseEstimator,
                                          UnsupervisedLandmarkEstimator)
    cls = model if isinstance(model, type) else type(model)
    if isinstance(model, str):
        cls = MODELS.get(model)
        if cls is None:
            raise KeyError(f'unknown model type {model!r}')
    for base, kind in ((UnsupervisedLandmarkEstimator, 'landmarks'),
                       (BottomupPoseEstimator, 'bottomup'),
                       (TopdownPoseEstimator, 'topdown')):
        if issubclass(cls, base):
            return kind
    raise TypeError(f'{cls.__name__} is not a kp_ext pose estimator '
                    '(top-down, bottom-up or unsupervised landmarks)')


def _dataset_cfgs(dataset_cfg):
    """The leaf dataset configs of a (possibly wrapped) dataset config:
    ``dataset`` (repeat/class-balanced wrappers), ``datasets`` (concat),
    ``fit``/``test``/``holdout`` (``RegressionSplitDataset``)."""
    if not isinstance(dataset_cfg, dict):
        return []
    if 'pipeline' in dataset_cfg:
        return [dataset_cfg]
    found = []
    for key in ('dataset', 'test', 'fit', 'holdout', 'datasets'):
        value = dataset_cfg.get(key)
        for v in (value if isinstance(value, (list, tuple)) else [value]):
            found.extend(_dataset_cfgs(v))
    return found


def _test_dataset_cfg(cfg: Config) -> dict:
    for name in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        loader = cfg.get(name)
        if loader and _dataset_cfgs(loader.get('dataset')):
            return _dataset_cfgs(loader['dataset'])[0]
    raise KeyError(f'config {cfg.filename!r} has no test_dataloader.dataset '
                   'with a pipeline (needed to prepare images for the '
                   'model)')


def dataset_meta_from_config(cfg: Config) -> Optional[dict]:
    """Parsed metainfo of the config's test dataset: its ``metainfo``
    entry, else the dataset class's default ``METAINFO`` (None if neither).
    """
    from kp_ext.structures.metainfo import parse_pose_metainfo
    ds = _test_dataset_cfg(cfg)
    metainfo = ds.get('metainfo')
    if metainfo is None:
        cls = DATASETS.get(ds.get('type'))
        metainfo = getattr(cls, 'METAINFO', None) if cls else None
    if not metainfo:
        return None
    return parse_pose_metainfo(copy.deepcopy(dict(metainfo)))


def _checkpoint_model_type(ckpt: dict) -> Optional[str]:
    """The estimator type of the config saved in an mmengine checkpoint."""
    text = (ckpt.get('meta') or {}).get('cfg')
    if not isinstance(text, str):
        return None
    try:
        return Config.fromstring(text, '.py').model.get('type')
    except Exception:  # an unparsable saved config only loses the hint
        return None


def _load_weights(model, checkpoint: str, config_name: str) -> dict:
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint file not found: {checkpoint!r}')
    try:
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    except Exception as e:
        raise CheckpointMismatchError(
            f'cannot read checkpoint {checkpoint!r}: {e}') from e
    if not isinstance(ckpt, dict):
        raise CheckpointMismatchError(
            f'checkpoint {checkpoint!r} holds a {type(ckpt).__name__}, not '
            'a state dict')
    state = ckpt.get('state_dict', ckpt)
    state = {(k[7:] if k.startswith('module.') else k): v
             for k, v in state.items()}
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = sorted(k for k in set(own) & set(state)
                        if tuple(own[k].shape) != tuple(state[k].shape))
    if missing or unexpected or mismatched:
        def show(keys):
            return ', '.join(keys[:8]) + (
                f' ... ({len(keys)} in all)' if len(keys) > 8 else '')
        lines = [f'checkpoint {checkpoint!r} does not fit the model of '
                 f'config {config_name!r} ({type(model).__name__}):']
        ckpt_type = _checkpoint_model_type(ckpt)
        if ckpt_type and ckpt_type != type(model).__name__:
            lines.append(f'  the checkpoint was trained as a {ckpt_type}')
        if missing:
            lines.append(f'  missing keys: {show(missing)}')
        if unexpected:
            lines.append(f'  unexpected keys: {show(unexpected)}')
        if mismatched:
            lines.append('  shape mismatch: ' + show([
                f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}'
                for k in mismatched]))
        raise CheckpointMismatchError('\n'.join(lines))
    model.load_state_dict(state, strict=True)
    return ckpt


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None):
    """Build the estimator of ``config`` and load ``checkpoint``.

    Keys are checked strictly: a checkpoint of another model (or another
    config) raises :class:`CheckpointMismatchError` listing the missing,
    unexpected and mis-shaped keys. The dataset metainfo (from the
    checkpoint's ``meta.dataset_meta`` that mmengine's Runner saves, else
    from the config's test dataset) is stored as ``model.dataset_meta``;
    for supervised models it also becomes ``model.metainfo``, which the
    estimator copies into every data sample (``flip_indices`` for flip
    test). Unsupervised landmarks are not the annotated points, so their
    model gets no keypoint metainfo. Without a checkpoint the weights stay
    random (the caller should say so). ``config`` is a config file or a
    model alias of ``configs/*/metafile.yml`` (:func:`resolve_config`).
    ``model.training_data`` says what the checkpoint was trained on
    (:func:`checkpoint_training_data`; None without a checkpoint).
    Returns the model in eval mode with ``model.cfg`` set.
    """
    if isinstance(config, str):
        config_name = config
        config = Config.fromfile(resolve_config(config))
    elif isinstance(config, Config):
        config_name = config.filename or '<Config>'
        config = copy.deepcopy(config)
    else:
        raise TypeError(f'config must be a path or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    init_default_scope(config.get('default_scope', 'kp_ext'))
    model_cfg = copy.deepcopy(config.model)
    model_cfg.pop('init_cfg', None)  # no pretrained downloads at inference
    if model_cfg.get('backbone') is not None:
        model_cfg.backbone.pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    kind = model_kind(model)
    dataset_meta = None
    model.training_data = None  # random weights: trained on nothing
    if checkpoint is not None:
        ckpt = _load_weights(model, checkpoint, config_name)
        dataset_meta = (ckpt.get('meta') or {}).get('dataset_meta')
        model.training_data = checkpoint_training_data(ckpt, config)
    if not dataset_meta or 'flip_indices' not in dataset_meta:
        dataset_meta = dataset_meta_from_config(config)
    model.cfg = config
    model.checkpoint_file = checkpoint  # named by non-finite output errors
    model.dataset_meta = dataset_meta
    if kind != 'landmarks' and dataset_meta is not None and \
            model.metainfo is None:
        model.metainfo = copy.deepcopy(dataset_meta)
    model.to(device)
    model.eval()
    return model


# --------------------------------------------------------------- running
def _pipeline(model) -> Compose:
    """The config's test pipeline (built once per model)."""
    pipeline = getattr(model, '_kp_ext_test_pipeline', None)
    if pipeline is None:
        cfg = getattr(model, 'cfg', None)
        if cfg is None:
            raise AttributeError('model has no `cfg`: build it with '
                                 'kp_ext.apis.init_model')
        init_default_scope(cfg.get('default_scope', 'kp_ext'))
        pipeline = Compose(copy.deepcopy(_test_dataset_cfg(cfg)['pipeline']))
        model._kp_ext_test_pipeline = pipeline
    return pipeline


def network_input_size(model):
    """(w, h) network input of the config's test pipeline (the
    ``input_size`` of its TopdownAffine / BottomupResize)."""
    for t in _pipeline(model).transforms:
        size = getattr(t, 'input_size', None)
        if size is not None:
            return tuple(int(v) for v in size)
    raise ValueError('the test pipeline has no transform with an '
                     'input_size (TopdownAffine / BottomupResize)')


def network_stride(model) -> int:
    """Input pixels per output-map cell (1 when the head has no codec with
    ``input_size`` / ``heatmap_size``)."""
    codec = getattr(getattr(model, 'head', None), 'decoder', None)
    size = getattr(codec, 'input_size', None)
    hm = getattr(codec, 'heatmap_size', None)
    if size is None or hm is None:
        return 1
    return max(1, int(round(size[0] / hm[0])))


def _base_info(model, img: ImageType) -> dict:
    """The sample dict of one image (path or array); checks its size."""
    if isinstance(img, str):
        info = dict(img_path=img)
        name = repr(img)
    elif isinstance(img, np.ndarray):
        info = dict(img=img, img_path=None)
        name = 'the input array'
    else:
        raise TypeError('an image must be a file path or a numpy array, got '
                        f'{type(img).__name__}')
    if model.dataset_meta:
        info.update(copy.deepcopy(model.dataset_meta))
    # load once here to check the size before the pipeline resamples it
    loader = _pipeline(model).transforms[0]
    loaded = loader(dict(info))
    h, w = loaded['img'].shape[:2]
    if loaded['img'].dtype.kind == 'f' and \
            not np.isfinite(loaded['img']).all():
        bad = int((~np.isfinite(loaded['img'])).sum())
        what = name if isinstance(img, np.ndarray) else f'image {name}'
        raise InputError(f'{what} holds NaN/inf pixel values ({bad} of '
                         f'{loaded["img"].size}): refused before the network')
    stride = network_stride(model)
    if min(h, w) < max(2, stride):
        raise ValueError(f'image {name} is {w}x{h} pixels, smaller than the '
                         f'network stride ({stride} px): nothing to detect')
    info['img'] = loaded['img']
    info['img_path'] = loaded.get('img_path')
    return info


def _run(model, infos: List[dict]) -> list:
    pipeline = _pipeline(model)
    data = pseudo_collate([pipeline(copy.deepcopy(i)) for i in infos])
    with torch.no_grad():
        return model.test_step(data)


def _boxes(bboxes, w: int, h: int, name: str) -> np.ndarray:
    if bboxes is None:
        # the whole image, pixel centres at integers (as bbox_mode='image')
        return np.array([[0, 0, w - 1, h - 1]], dtype=np.float32)
    boxes = np.asarray(bboxes, dtype=np.float32)
    if boxes.size == 0:
        return boxes.reshape(0, 4)
    if boxes.ndim == 1:
        boxes = boxes[None]
    if boxes.ndim != 2 or boxes.shape[1] not in (4, 5):
        raise ValueError(f'bboxes for {name} must be (N, 4) xyxy (or '
                         f'(N, 5) with scores), got shape {boxes.shape}')
    return boxes


def _crop_inference(model, img: ImageType, bboxes) -> list:
    info = _base_info(model, img)
    h, w = info['img'].shape[:2]
    name = repr(img) if isinstance(img, str) else 'the input array'
    boxes = _boxes(bboxes, w, h, name)
    infos = []
    for i, box in enumerate(boxes):
        one = dict(info, bbox=box[None, :4].copy(),
                   bbox_score=np.array([box[4] if len(box) > 4 else 1.0],
                                       np.float32),
                   id=i)
        infos.append(one)
    if not infos:
        return []
    return _run(model, infos)


def inference_topdown(model, img: ImageType, bboxes=None) -> list:
    """Top-down keypoints of the people in ``bboxes`` ((N, 4) xyxy, or
    (N, 5) with scores; the whole image as one box when None).

    Returns one :class:`PoseDataSample` per box, keypoints in image pixels
    (``pred_instances.keypoints`` (1, K, 2), ``keypoint_scores``,
    ``bboxes``, ``bbox_scores``); ``merge_data_samples`` joins them.
    """
    if model_kind(model) != 'topdown':
        raise TypeError(f'inference_topdown needs a top-down model, got a '
                        f'{type(model).__name__}')
    return _crop_inference(model, img, bboxes)


def inference_landmarks(model, img: ImageType, bboxes=None) -> list:
    """Unsupervised (FSE) landmarks of the object in each box (default: the
    box the config's dataset would use — the centred square for
    ``bbox_mode='center_square'`` — else the whole image), one
    :class:`PoseDataSample` per box, landmarks in image pixels."""
    if model_kind(model) != 'landmarks':
        raise TypeError(f'inference_landmarks needs an unsupervised landmark '
                        f'model, got a {type(model).__name__}')
    if bboxes is None and \
            _test_dataset_cfg(model.cfg).get('bbox_mode') == 'center_square':
        info = _base_info(model, img)
        h, w = info['img'].shape[:2]
        # the dataset's box (BaseKeypointDataset._instance_bbox)
        cx, cy, half = (w - 1) / 2, (h - 1) / 2, min(w, h) / 2
        bboxes = [[cx - half, cy - half, cx + half, cy + half]]
        img = info['img'] if not isinstance(img, str) else img
    return _crop_inference(model, img, bboxes)


def inference_bottomup(model, img: Union[ImageType, List[ImageType]]
                       ) -> list:
    """All people of the image (bottom-up): a list with one
    :class:`PoseDataSample` whose ``pred_instances`` hold keypoints (N, K,
    2) in image pixels, ``keypoint_scores``, ``scores`` (per person) and
    ``bboxes`` (the keypoints' extent). A list of images runs as one batch
    (e.g. video frames: one network call) and gives one sample per image,
    in order."""
    if model_kind(model) != 'bottomup':
        raise TypeError(f'inference_bottomup needs a bottom-up model, got a '
                        f'{type(model).__name__}')
    if isinstance(img, (list, tuple)):
        if not img:
            raise ValueError('inference_bottomup got an empty list of '
                             'images')
        return _run(model, [_base_info(model, i) for i in img])
    return _run(model, [_base_info(model, img)])


def merge_data_samples(data_samples: list):
    """One data sample holding the instances of several (same image), as
    MMPose's ``merge_data_samples``; None for an empty list."""
    if not data_samples:
        return None
    merged = data_samples[0].clone()
    instances = [ds.pred_instances for ds in data_samples
                 if 'pred_instances' in ds]
    if instances:
        merged.pred_instances = InstanceData.cat(instances)
    return merged
