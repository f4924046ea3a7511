"""Top-down pose estimator: one person crop per data sample.

The head predicts keypoints in crop (model input) coordinates; they are
mapped back to the image with the crop's ``input_center``, ``input_scale``
(box (w, h) in image pixels) and ``input_size`` (crop (w, h)):

    image = crop / input_size * input_scale + input_center - 0.5 * input_scale

which inverts ``get_warp_matrix`` without rotation (the box centre maps to
the crop centre, the box width to the crop width).
"""
from torch import Tensor

from kp_ext.models.estimators.base import BasePoseEstimator
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
        return self._attach_predictions(preds, data_samples)
