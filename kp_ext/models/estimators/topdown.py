"""Top-down pose estimator: one person crop per data sample.

The head predicts keypoints in crop (model input) coordinates; they are
mapped back to the image with the crop's ``input_center``, ``input_scale``
(box (w, h) in image pixels) and ``input_size`` (crop (w, h)):

    image = crop / input_size * input_scale + input_center - 0.5 * input_scale

which inverts ``get_warp_matrix`` without rotation (the box centre maps to
the crop centre, the box width to the crop width).
"""
from itertools import zip_longest

import numpy as np
import torch
from torch import Tensor

from kp_ext.models.estimators.base import BasePoseEstimator
from kp_ext.models.utils import to_numpy
from kp_ext.registry import MODELS

__all__ = ['TopdownPoseEstimator']


@MODELS.register_module()
class TopdownPoseEstimator(BasePoseEstimator):
    """Top-down estimator (see :class:`BasePoseEstimator` for args).

    ``test_cfg['flip_test']`` runs the network on the horizontally flipped
    input too and lets the head merge both.
    """

    def loss(self, inputs: Tensor, data_samples: list) -> dict:
        if not self.with_head:
            raise RuntimeError('TopdownPoseEstimator.loss needs a head')
        feats = self.extract_feat(inputs)
        losses = dict()
        losses.update(
            self.head.loss(feats, data_samples, train_cfg=self.train_cfg))
        return losses

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        if not self.with_head:
            raise RuntimeError('TopdownPoseEstimator.predict needs a head')
        if data_samples is None:
            raise ValueError('predict needs data samples (crop metainfo)')
        if self.test_cfg.get('flip_test', False):
            feats = [
                self.extract_feat(inputs),
                self.extract_feat(inputs.flip(-1))
            ]
        else:
            feats = self.extract_feat(inputs)
        preds = self.head.predict(feats, data_samples, test_cfg=self.test_cfg)
        if isinstance(preds, tuple):
            pred_instances, pred_fields = preds
        else:
            pred_instances, pred_fields = preds, None
        return self.add_pred_to_datasample(pred_instances, pred_fields,
                                           data_samples)

    def add_pred_to_datasample(self, batch_pred_instances, batch_pred_fields,
                               batch_data_samples) -> list:
        if len(batch_pred_instances) != len(batch_data_samples):
            raise RuntimeError(
                f'{len(batch_pred_instances)} predictions for '
                f'{len(batch_data_samples)} data samples')
        if batch_pred_fields is None:
            batch_pred_fields = []
        for pred_instances, pred_fields, data_sample in zip_longest(
                batch_pred_instances, batch_pred_fields, batch_data_samples):
            keypoints = to_numpy(pred_instances.keypoints).astype(np.float32)
            keypoints[..., :2] = self.input_to_image(
                keypoints[..., :2], data_sample.metainfo)
            pred_instances.keypoints = keypoints
            if 'keypoints_visible' not in pred_instances:
                pred_instances.keypoints_visible = \
                    pred_instances.keypoint_scores

            if 'gt_instances' in data_sample:
                gt = data_sample.gt_instances
                for key in ('bboxes', 'bbox_scores'):
                    if key in gt:
                        value = gt.get(key)
                        pred_instances.set_field(
                            to_numpy(value) if isinstance(value, torch.Tensor)
                            else value, key)
            data_sample.pred_instances = pred_instances
            if pred_fields is not None:
                data_sample.pred_fields = pred_fields
        return batch_data_samples
