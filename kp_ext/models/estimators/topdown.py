"""Top-down pose estimator: one person crop per data sample.

The head predicts keypoints in crop (model input) coordinates; they are
mapped back to the image with the crop's ``input_center``, ``input_scale``
(box (w, h) in image pixels) and ``input_size`` (crop (w, h)):

    image = crop / input_size * input_scale + input_center - 0.5 * input_scale

which inverts ``get_warp_matrix`` without rotation (the box centre maps to
the crop centre, the box width to the crop width).

A decoder whose ``rounds_image_keypoints`` is True (``GaussianHeatmap(
refine='pose_hg_train')``, the official Stacked Hourglass decode) finishes
its decode in the image frame: the mapped keypoints (float64) go through
its ``finish_image_keypoints`` (the official truncation to whole pixels,
src/util/img.lua ``transform``).
"""
import numpy as np
from torch import Tensor

from kp_ext.models.estimators.base import BasePoseEstimator
from kp_ext.registry import MODELS
from kp_ext.utils import to_numpy

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
        with self._non_finite_guard(inputs, data_samples):
            if self.test_cfg.get('flip_test', False):
                feats = [
                    self.extract_feat(inputs),
                    self.extract_feat(inputs.flip(-1))
                ]
            else:
                feats = self.extract_feat(inputs)
            preds = self.head.predict(feats, data_samples,
                                      test_cfg=self.test_cfg)
        return self._attach_predictions(preds, data_samples)

    def _finish_instances(self, pred, data_sample):
        decoder = getattr(self.head, 'decoder', None) if self.with_head \
            else None
        if not getattr(decoder, 'rounds_image_keypoints', False):
            return super()._finish_instances(pred, data_sample)
        crop = to_numpy(pred.keypoints)[..., :2].astype(np.float64)
        pred = super()._finish_instances(pred, data_sample)
        image = self.input_to_image(crop, data_sample.metainfo,
                                    dtype=np.float64)
        pred.keypoints[..., :2] = decoder.finish_image_keypoints(
            image).astype(np.float32)
        return pred
