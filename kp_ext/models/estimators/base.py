"""Base class of pose estimators (mmengine ``BaseModel``).

An estimator wires ``backbone`` -> optional ``neck`` -> ``head`` and exposes
mmengine's ``forward(inputs, data_samples, mode)``:

- ``mode='loss'``: dict of losses (``head.loss``);
- ``mode='predict'``: data samples with ``pred_instances`` (and optional
  ``pred_fields``) filled in;
- ``mode='tensor'``: the head's raw outputs (or the features if no head).

Components are built from the ``kp_ext`` ``MODELS`` registry, so configs
work without a default scope being set.
"""
import contextlib
import copy
from itertools import zip_longest
from abc import ABCMeta, abstractmethod
from typing import List, Optional, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from torch import Tensor

from kp_ext.codecs.base import NonFiniteMapError
from kp_ext.registry import MODELS
from kp_ext.structures.metainfo import parse_pose_metainfo
from kp_ext.utils import to_numpy
from kp_ext.utils.non_finite import check_finite_inputs, check_finite_losses

__all__ = ['BasePoseEstimator']


class BasePoseEstimator(BaseModel, metaclass=ABCMeta):
    """Backbone + neck + head pose estimator.

    Args:
        backbone (dict): backbone config.
        neck (dict, optional): neck config.
        head (dict, optional): head config.
        train_cfg (dict, optional): passed to ``head.loss``.
        test_cfg (dict, optional): passed to ``head.predict`` (e.g.
            ``flip_test``, ``shift_heatmap``, ``output_heatmaps``).
        data_preprocessor (dict | nn.Module, optional): e.g.
            ``dict(type='PoseDataPreprocessor', mean=..., std=...)``.
        init_cfg (dict | list[dict], optional): mmengine init config.
        metainfo (dict, optional): dataset metainfo (``dict(from_file=...)``
            or an already parsed ``dataset_meta``); copied into the data
            samples' metainfo at prediction (gives ``flip_indices`` for
            flip test).

    ``checkpoint_file`` (None here) is the checkpoint the weights came
    from, set by ``kp_ext.apis.init_model`` and ``tools/test.py``; errors
    about non-finite inputs or outputs at prediction name it and the
    image(s) (:meth:`_non_finite_guard`).
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor=None,
                 init_cfg=None,
                 metainfo: Optional[dict] = None):
        if isinstance(data_preprocessor, dict):
            # Build from kp_ext's registry (mmengine's BaseModel would use
            # the root registry, which needs a default scope to find
            # kp_ext's); an unprefixed type follows the caller's default
            # scope, 'kp_ext.PoseDataPreprocessor' is kp_ext's in any scope.
            data_preprocessor = MODELS.build(copy.deepcopy(data_preprocessor))
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.metainfo = self._load_metainfo(metainfo)
        self.checkpoint_file: Optional[str] = None
        self.train_cfg = dict(train_cfg) if train_cfg else {}
        self.test_cfg = dict(test_cfg) if test_cfg else {}

        self.backbone = MODELS.build(copy.deepcopy(backbone))
        if neck is not None:
            self.neck = MODELS.build(copy.deepcopy(neck))
        if head is not None:
            self.head = MODELS.build(copy.deepcopy(head))

    @property
    def with_neck(self) -> bool:
        return getattr(self, 'neck', None) is not None

    @property
    def with_head(self) -> bool:
        return getattr(self, 'head', None) is not None

    @staticmethod
    def _load_metainfo(metainfo: Optional[dict]) -> Optional[dict]:
        return None if metainfo is None else parse_pose_metainfo(metainfo)

    def extract_feat(self, inputs: Tensor):
        """Backbone (+ neck) features."""
        x = self.backbone(inputs)
        if self.with_neck:
            x = self.neck(x)
        return x

    def _forward(self, inputs: Tensor, data_samples=None):
        x = self.extract_feat(inputs)
        if self.with_head:
            x = self.head.forward(x)
        return x

    def forward(self,
                inputs: Union[Tensor, List[Tensor]],
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            if self.metainfo is not None and data_samples is not None:
                for ds in data_samples:
                    ds.set_metainfo(self.metainfo)
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs)
        raise ValueError(f'invalid mode {mode!r}; use "loss", "predict" '
                         'or "tensor"')

    def parse_losses(self, losses: dict):
        """mmengine's, then stop at the first NaN/inf loss term, before the
        update is applied (``kp_ext.utils.non_finite``)."""
        loss, log_vars = super().parse_losses(losses)
        check_finite_losses(log_vars)
        return loss, log_vars

    # -- non-finite inputs and outputs at prediction ------------------------
    @staticmethod
    def _image_names(data_samples, indices) -> str:
        """"image 'a.jpg', image 'b.jpg'" (or "batch input 1 (no img_path:
        an array)") for the samples at batch ``indices``, each image once.
        """
        names = []
        for i in indices:
            sample = data_samples[i] if data_samples is not None and \
                i < len(data_samples) else None
            path = sample.metainfo.get('img_path') if sample is not None \
                else None
            name = f'image {path!r}' if path else \
                f'batch input {i} (no img_path: an array)'
            if name not in names:
                names.append(name)
        return ', '.join(names)

    @contextlib.contextmanager
    def _non_finite_guard(self, inputs: Tensor, data_samples):
        """Around ``predict``: refuse NaN/inf inputs before the network
        (``NonFiniteInputError``), and re-raise a decoder's
        ``NonFiniteMapError`` naming the image(s) and the checkpoint."""
        owner = f'{type(self).__name__}.predict'
        checkpoint = getattr(self, 'checkpoint_file', None)
        check_finite_inputs(
            inputs, lambda idx: self._image_names(data_samples, idx),
            f'{owner} (checkpoint {checkpoint!r})' if checkpoint else owner)
        try:
            yield
        except NonFiniteMapError as e:
            if e.where is not None:  # already located (per-sample decode)
                raise
            raise e.located(self._image_names(data_samples, e.samples),
                            checkpoint) from e

    @abstractmethod
    def loss(self, inputs: Tensor, data_samples: list) -> dict:
        """Losses of a batch."""

    @abstractmethod
    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Data samples with predictions."""

    @staticmethod
    def input_to_image(keypoints: np.ndarray, meta: dict,
                       hint: str = '', dtype=np.float32) -> np.ndarray:
        """Map keypoints (..., 2) from network-input to image pixels.

        ``x_img = x_in / input_size * input_scale + input_center -
        input_scale / 2`` with the ``input_size``, ``input_center`` and
        ``input_scale`` that the pipeline (``TopdownAffine``,
        ``BottomupResize``) wrote into the sample's metainfo (MMPose's
        convention; the test-time warp has no rotation). Computed in
        float64, returned as ``dtype`` (float32 by default).
        """
        missing = [k for k in ('input_size', 'input_center', 'input_scale')
                   if k not in meta]
        if missing:
            raise KeyError(f'data sample metainfo lacks {missing}; needed to '
                           'map keypoints from the network input to the '
                           f'image{hint}')
        size, center, scale = (
            np.asarray(meta[k], dtype=np.float64).reshape(2)
            for k in ('input_size', 'input_center', 'input_scale'))
        return (np.asarray(keypoints, np.float64) / size * scale + center -
                0.5 * scale).astype(dtype)

    def _attach_predictions(self, preds, data_samples: list) -> list:
        """``head.predict`` output (instances, or (instances, fields)) ->
        data samples with ``pred_instances`` / ``pred_fields``."""
        if isinstance(preds, tuple):
            pred_instances, pred_fields = preds
        else:
            pred_instances, pred_fields = preds, None
        return self.add_pred_to_datasample(pred_instances, pred_fields,
                                           data_samples)

    def add_pred_to_datasample(self, batch_pred_instances, batch_pred_fields,
                               batch_data_samples) -> list:
        """Write each sample's predictions (made image-space by
        :meth:`_finish_instances`) into it (MMPose's signature)."""
        if len(batch_pred_instances) != len(batch_data_samples):
            raise RuntimeError(
                f'{len(batch_pred_instances)} predictions for '
                f'{len(batch_data_samples)} data samples')
        for pred, fields, sample in zip_longest(batch_pred_instances,
                                                batch_pred_fields or [],
                                                batch_data_samples):
            sample.pred_instances = self._finish_instances(pred, sample)
            if fields is not None:
                sample.pred_fields = fields
        return batch_data_samples

    def _finish_instances(self, pred, data_sample):
        """Top-down default: keypoints from the crop to the image,
        ``keypoints_visible`` from the scores, boxes copied from the
        ground-truth instances (the boxes the crops were made from)."""
        keypoints = to_numpy(pred.keypoints).astype(np.float32)
        keypoints[..., :2] = self.input_to_image(keypoints[..., :2],
                                                 data_sample.metainfo)
        pred.keypoints = keypoints
        if 'keypoints_visible' not in pred:
            pred.keypoints_visible = pred.keypoint_scores
        if 'gt_instances' in data_sample:
            gt = data_sample.gt_instances
            for key in ('bboxes', 'bbox_scores'):
                if key in gt:
                    pred.set_field(to_numpy(gt.get(key)), key)
        return pred
