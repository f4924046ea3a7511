"""Bottom-up pose estimator: the whole image in, all people out.

The pipeline's ``BottomupResize`` resizes the image keeping its aspect
ratio (padding the rest) and records, like MMPose's bottom-up resize,
``input_size`` (w, h of the network input), ``input_center`` and
``input_scale`` (the image region, in image pixels, that the input
covers). The head returns keypoints in input pixels; they are mapped back
to the image exactly as in top-down::

    image = input / input_size * input_scale + input_center - 0.5 * input_scale

Test-time augmentation (``test_cfg``):

- ``flip_test`` (bool): the horizontally flipped input runs too; the head
  brings its maps back (``flip_heatmaps`` + ``flip_pafs``, ``flip_indices``
  from the metainfo, limbs from the codec) and averages them.
- ``multiscale_test`` (list of float, e.g. ``[0.5, 1.0, 1.5]``): the input
  tensor is resized by each factor (bilinear; the size rounded to a
  multiple of ``size_divisor``, default 8, the network stride), the
  network runs (with flip when asked), every scale's maps are resized
  (bilinear, half-pixel centres) to the map size of the unscaled input and
  averaged, then grouped once. PAFs hold unit vectors, which do not change
  with the scale, so they are averaged as they are. The scaled inputs
  cover the same image extent as the original, so the averaged maps stay
  on the original map grid.
- ``multiscale_resolution`` (``'map'`` | ``'input'``, default ``'map'``):
  where the scales' maps are averaged and grouped. ``'map'``: on the map
  grid of the unscaled input (above). ``'input'``: every scale's maps are
  resized bicubically to the unscaled input's size (h, w) and averaged
  there, and the peaks are searched at that resolution: the reference
  test procedure (ZheC/Realtime_Multi-Person_Pose_Estimation
  ``testing/python/demo`` and ``applyModel.m``: heatmaps and PAFs
  upsampled by the stride with cubic interpolation, averaged over
  ``scale_search = [0.5, 1, 1.5, 2]``; there on the original image, here on
  the network input, whose height the paper config sets to 368). Also
  applies with a single scale.
  ``'image'``: the reference MATLAB evaluation (ZheC
  ``testing/evalCOCO.m:18-20``, ``testing/src/applyModel.m``): the input
  is the original image (the paper config's ``BottomupResize(resize_mode=
  'none')``); for each sample of height H, ``scale0 =
  multiscale_base_height / H`` (368) and every factor ``s`` of
  ``multiscale_test`` resizes the *original image* by ``s * scale0``
  (bicubic with antialiasing, MATLAB ``imresize``'s default; output size
  ``ceil``, l. 53, 69), pads it as ``padHeight`` does (to
  ``multiscale_pad_height`` = 368 rows, centred, when shorter; columns to
  ``max(w, 368)`` rounded up to a multiple of 8, centred; pixel value
  ``multiscale_pad_value`` = 128 before normalisation, ``config.m:57``),
  runs the network, resizes the maps by the stride (bicubic, l. 111-113),
  removes the padding (``resizeIntoScaledImg``, l. 116) and resizes them
  to H x W (l. 117); the scales' maps are averaged (l. 153-155) and
  grouped at the original resolution (the head decodes with the map size
  as input size: stride 1, keypoints in image pixels). A scaled image
  taller than the pad height that is not a multiple of ``size_divisor``
  gets extra rows at the bottom (the reference's Caffe net takes any
  size; kp_ext's stride-8 networks need multiples of 8), cut off with the
  padding.
- ``output_heatmaps`` (bool): also store the (averaged) maps as
  ``pred_fields`` (heatmaps, pafs).

The batch tensor's size is recorded in every data sample's metainfo as
``batch_input_shape`` (h, w) before the head decodes: the head (its codec)
reports keypoints and boxes in pixels of that tensor (right/bottom padding
added by the data preprocessor does not move them), and
:meth:`_finish_instances` maps them to the image, once, as MMPose's
``BottomupPoseEstimator.add_pred_to_datasample`` does.
"""
import math
from typing import Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from kp_ext.codecs.base import NonFiniteMapError
from kp_ext.models.estimators.base import BasePoseEstimator
from kp_ext.registry import MODELS
from kp_ext.utils import to_numpy

__all__ = ['BottomupPoseEstimator']


@MODELS.register_module()
class BottomupPoseEstimator(BasePoseEstimator):
    """Bottom-up estimator (see :class:`BasePoseEstimator` for args).

    The head must provide ``predict(feats, data_samples, test_cfg)`` and,
    for ``multiscale_test``, ``predict_maps`` / ``predict_from_maps`` (as
    every :class:`BasePAFHead` does), with keypoints (and boxes, if any) in
    input pixels.
    """

    def loss(self, inputs: Tensor, data_samples: list) -> dict:
        if not self.with_head:
            raise RuntimeError('BottomupPoseEstimator.loss needs a head')
        feats = self.extract_feat(inputs)
        losses = dict()
        losses.update(
            self.head.loss(feats, data_samples, train_cfg=self.train_cfg))
        return losses

    # ----------------------------------------------------------- predict
    def _feats(self, inputs: Tensor, flip: bool):
        if flip:
            return [self.extract_feat(inputs),
                    self.extract_feat(inputs.flip(-1))]
        return self.extract_feat(inputs)

    @staticmethod
    def _scaled_size(size: int, factor: float, divisor: int) -> int:
        return max(divisor, int(round(size * factor / divisor)) * divisor)

    def _multiscale_maps(self, inputs: Tensor, data_samples: list,
                         scales: Sequence[float], flip: bool,
                         resolution: str = 'map') -> Tuple[Tensor, Tensor]:
        divisor = int(self.test_cfg.get('size_divisor', 8))
        if divisor < 1:
            raise ValueError(f'size_divisor must be >= 1, got {divisor}')
        h, w = inputs.shape[-2:]
        results = []
        for s in scales:
            s = float(s)
            if s <= 0:
                raise ValueError(f'multiscale_test factors must be > 0, '
                                 f'got {s}')
            if s == 1.0:
                x = inputs
            else:
                size = (self._scaled_size(h, s, divisor),
                        self._scaled_size(w, s, divisor))
                x = F.interpolate(inputs, size=size, mode='bilinear',
                                  align_corners=False)
            hm, paf = self.head.predict_maps(
                self._feats(x, flip), data_samples,
                dict(self.test_cfg, flip_test=flip))
            results.append((x.shape[-2:], hm, paf))
        if resolution == 'input':
            base, mode = (int(h), int(w)), 'bicubic'
        else:
            # map size of the unscaled input: stride taken from a scale's
            # run
            (xh, xw), hm0, _ = (next((r for r in results
                                      if tuple(r[0]) == (h, w)),
                                     results[0]))
            base = (max(1, int(round(h * hm0.shape[-2] / xh))),
                    max(1, int(round(w * hm0.shape[-1] / xw))))
            mode = 'bilinear'
        hm_sum, paf_sum = 0, 0
        for _, hm, paf in results:
            if tuple(hm.shape[-2:]) != base:
                hm = F.interpolate(hm, size=base, mode=mode,
                                   align_corners=False)
                paf = F.interpolate(paf, size=base, mode=mode,
                                    align_corners=False)
            hm_sum = hm_sum + hm
            paf_sum = paf_sum + paf
        n = len(results)
        return hm_sum / n, paf_sum / n

    def _pad_pixel(self, value: float, channels: int, like: Tensor
                   ) -> Tensor:
        """(1, C, 1, 1) normalised value of the raw pixel ``value`` (the
        data preprocessor's mean / std, when it normalises)."""
        out = torch.full((1, channels, 1, 1), float(value), dtype=like.dtype,
                         device=like.device)
        pre = getattr(self, 'data_preprocessor', None)
        mean, std = getattr(pre, 'mean', None), getattr(pre, 'std', None)
        if getattr(pre, '_enable_normalize', True) and mean is not None and \
                std is not None and mean.numel() == channels:
            out = (out - mean.reshape(1, -1, 1, 1).to(like)) / \
                std.reshape(1, -1, 1, 1).to(like)
        return out

    def _image_resolution_predict(self, inputs: Tensor, data_samples: list,
                                  scales: Sequence[float], flip: bool):
        """``multiscale_resolution='image'`` (module doc): per sample, the
        scales made from the original image, maps averaged at its
        resolution, grouped there."""
        cfg = self.test_cfg
        base = float(cfg.get('multiscale_base_height', 368))
        box = int(cfg.get('multiscale_pad_height', 368))
        divisor = int(cfg.get('size_divisor', 8))
        if base <= 0 or box < 1 or divisor < 1:
            raise ValueError('multiscale_base_height, multiscale_pad_height '
                             'and size_divisor must be positive')
        pad_px = self._pad_pixel(cfg.get('multiscale_pad_value', 0),
                                 inputs.shape[1], inputs)
        preds, fields = [], []
        for i, ds in enumerate(data_samples):
            hh, ww = (int(v) for v in ds.metainfo.get(
                'img_shape', inputs.shape[-2:])[:2])
            img = inputs[i:i + 1, :, :hh, :ww]
            hm_sum = paf_sum = 0
            for s in scales:
                m = float(s) * base / hh
                if m <= 0:
                    raise ValueError(f'multiscale_test factors must be > 0, '
                                     f'got {s}')
                h = max(1, int(math.ceil(hh * m - 1e-6)))
                w = max(1, int(math.ceil(ww * m - 1e-6)))
                x = img if (h, w) == (hh, ww) else F.interpolate(
                    img, size=(h, w), mode='bicubic', align_corners=False,
                    antialias=True)
                # padHeight (applyModel.m): rows to `box` (centred) when
                # shorter, columns to max(w, box) rounded up to 8 (centred)
                ph = int(math.ceil(box / 8) * 8) if h < box else h
                ph = int(math.ceil(ph / divisor) * divisor)
                pw = int(math.ceil(max(w, box) / 8) * 8)
                pw = int(math.ceil(pw / divisor) * divisor)
                top = (int(math.ceil(box / 8) * 8) - h) // 2 if h < box \
                    else 0
                left = (pw - w) // 2
                canvas = pad_px.expand(1, x.shape[1], ph, pw).clone()
                canvas[..., top:top + h, left:left + w] = x
                hm, paf = self.head.predict_maps(
                    self._feats(canvas, flip), [ds],
                    dict(cfg, flip_test=flip))
                maps = torch.cat([hm, paf], 1)
                maps = F.interpolate(maps, size=(ph, pw), mode='bicubic',
                                     align_corners=False)
                maps = maps[..., top:top + h, left:left + w]
                if (h, w) != (hh, ww):
                    maps = F.interpolate(maps, size=(hh, ww), mode='bicubic',
                                         align_corners=False, antialias=True)
                hm_sum = hm_sum + maps[:, :hm.shape[1]]
                paf_sum = paf_sum + maps[:, hm.shape[1]:]
            n = len(scales)
            ds.set_metainfo(dict(batch_input_shape=(hh, ww)))
            try:
                out = self.head.predict_from_maps(hm_sum / n, paf_sum / n,
                                                  [ds], cfg)
            except NonFiniteMapError as e:  # one sample: name it
                raise e.located(self._image_names(data_samples, [i]),
                                getattr(self, 'checkpoint_file', None)) from e
            if isinstance(out, tuple):
                preds += list(out[0])
                fields += list(out[1])
            else:
                preds += list(out)
        return (preds, fields) if fields else preds

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        if not self.with_head:
            raise RuntimeError('BottomupPoseEstimator.predict needs a head')
        if data_samples is None:
            raise ValueError('predict needs data samples (input metainfo)')
        if len(data_samples) != inputs.shape[0]:
            raise ValueError(f'{len(data_samples)} data samples for a batch '
                             f'of {inputs.shape[0]}')
        batch_input_shape = tuple(int(v) for v in inputs.shape[-2:])
        for ds in data_samples:
            ds.set_metainfo(dict(batch_input_shape=batch_input_shape))
        flip = bool(self.test_cfg.get('flip_test', False))
        scales = self.test_cfg.get('multiscale_test', None)
        if scales is not None and not isinstance(scales, (list, tuple)):
            raise TypeError('multiscale_test must be a list of scale '
                            f'factors, got {scales!r}')
        resolution = self.test_cfg.get('multiscale_resolution', 'map')
        if resolution not in ('map', 'input', 'image'):
            raise ValueError("test_cfg.multiscale_resolution must be 'map', "
                             f"'input' or 'image', got {resolution!r}")
        with self._non_finite_guard(inputs, data_samples):
            if resolution == 'image':
                preds = self._image_resolution_predict(
                    inputs, data_samples, scales or [1.0], flip)
            elif (scales and [float(s) for s in scales] != [1.0]) or \
                    resolution == 'input':
                hm, paf = self._multiscale_maps(inputs, data_samples,
                                                scales or [1.0], flip,
                                                resolution)
                preds = self.head.predict_from_maps(hm, paf, data_samples,
                                                    self.test_cfg)
            else:
                preds = self.head.predict(self._feats(inputs, flip),
                                          data_samples,
                                          test_cfg=self.test_cfg)
        return self._attach_predictions(preds, data_samples)

    # ----------------------------------------------------- to the image
    def _finish_instances(self, pred_instances, data_sample):
        """Keypoints and boxes from the network input to the original
        image: the one place bottom-up predictions change frame (the head
        returns them, with their scores, in input pixels)."""
        meta, hint = data_sample.metainfo, ' (BottomupResize sets them)'
        keypoints = to_numpy(pred_instances.keypoints).astype(np.float32)
        keypoints[..., :2] = self.input_to_image(keypoints[..., :2], meta,
                                                 hint)
        pred_instances.keypoints = keypoints
        if 'bboxes' in pred_instances:
            # the map is a positive scale + shift per axis (no rotation at
            # test time): the corners of a box stay its corners
            corners = to_numpy(pred_instances.bboxes).reshape(-1, 2, 2)
            pred_instances.bboxes = self.input_to_image(
                corners, meta, hint).reshape(-1, 4)
        if 'keypoints_visible' not in pred_instances:
            pred_instances.keypoints_visible = pred_instances.keypoint_scores
        return pred_instances
