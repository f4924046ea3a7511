"""Multi-stage heatmap head (intermediate supervision).

Sits on a backbone that returns one output per stage (the stacked hourglass
returns one heatmap prediction per stack). By default it adds no layers:
each stage's input *is* its heatmap prediction. When ``in_channels`` differs
from ``out_channels`` (a feature backbone) or ``final_layer`` is given, a
per-stage conv maps the features to heatmaps.

- ``loss``: the same heatmap loss (default masked MSE) applied to every stage
  against ``gt_fields.heatmaps``, summed; plus ``acc_pose``, the heatmap PCK
  of the last stage.
- ``predict``: last stage only; with ``test_cfg.flip_test`` the features are
  a pair (original, flipped image) and the flipped heatmaps are flipped back
  (``flip_indices`` from the data samples' metainfo; the 1-px
  ``shift_heatmap`` defaults to the codec's convention, see
  kp_ext/codecs/coordinate_convention.py) and averaged; then decoded by the
  codec.
"""
import copy
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.structures import PixelData
from torch import Tensor

from kp_ext.codecs.coordinate_convention import heatmap_convention
from kp_ext.models.heads.base_head import BaseHead
from kp_ext.models.utils import flip_heatmaps, pose_pck_accuracy
from kp_ext.registry import MODELS

__all__ = ['MultiStageHeatmapHead']


@MODELS.register_module()
class MultiStageHeatmapHead(BaseHead):
    """Heatmap head supervising every stage of a multi-stage backbone.

    Args:
        in_channels (int): channels of each stage's input.
        out_channels (int): heatmap channels (keypoints).
        num_stages (int): number of stages the backbone returns.
        final_layer (dict, optional): per-stage conv config
            (``kernel_size``, default 1) mapping ``in_channels`` to
            ``out_channels``. If None, a 1x1 conv is used when the channel
            counts differ and no layer at all when they agree.
        loss (dict | list[dict]): loss config, or one per stage.
            Default: ``KeypointMSELoss(use_target_weight=True)``.
        decoder (dict, optional): codec config (e.g. ``GaussianHeatmap``)
            used by ``predict``.
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 num_stages: int,
                 final_layer: Optional[dict] = None,
                 loss: Union[dict, List[dict]] = dict(
                     type='kp_ext.KeypointMSELoss', use_target_weight=True),
                 decoder: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(decoder=decoder, init_cfg=init_cfg)
        if num_stages < 1:
            raise ValueError(f'num_stages must be >= 1, got {num_stages}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_stages = num_stages

        if isinstance(loss, (list, tuple)):
            if len(loss) != num_stages:
                raise ValueError(f'{len(loss)} loss configs for '
                                 f'{num_stages} stages')
            self.loss_module = nn.ModuleList(
                MODELS.build(copy.deepcopy(c)) for c in loss)
        else:
            self.loss_module = MODELS.build(copy.deepcopy(loss))

        if final_layer is None and in_channels == out_channels:
            self.final_layers = None
        else:
            cfg = dict(kernel_size=1)
            cfg.update(final_layer or {})
            kernel_size = cfg.pop('kernel_size')
            if cfg:
                raise ValueError(
                    f'unknown final_layer options {sorted(cfg)}')
            self.final_layers = nn.ModuleList(
                nn.Conv2d(in_channels, out_channels, kernel_size,
                          padding=kernel_size // 2)
                for _ in range(num_stages))
            for conv in self.final_layers:
                nn.init.normal_(conv.weight, std=0.001)
                nn.init.zeros_(conv.bias)

    def _stage_loss(self, i: int):
        if isinstance(self.loss_module, nn.ModuleList):
            return self.loss_module[i]
        return self.loss_module

    def forward(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Per-stage heatmaps (B, out_channels, H, W) as a list."""
        if isinstance(feats, Tensor):
            feats = [feats]
        if len(feats) != self.num_stages:
            raise ValueError(f'{type(self).__name__} expects '
                             f'{self.num_stages} stage outputs, got '
                             f'{len(feats)}')
        outs = []
        for i, feat in enumerate(feats):
            if self.final_layers is not None:
                feat = self.final_layers[i](feat)
            elif feat.shape[1] != self.out_channels:
                raise ValueError(f'stage {i} has {feat.shape[1]} channels, '
                                 f'expected {self.out_channels}')
            outs.append(feat)
        return outs

    @staticmethod
    def _gather_targets(batch_data_samples) -> Tuple[Tensor, Tensor]:
        heatmaps = torch.stack([
            torch.as_tensor(d.gt_fields.heatmaps) for d in batch_data_samples
        ])
        weights = torch.cat([
            torch.as_tensor(d.gt_instance_labels.keypoint_weights).reshape(
                -1, heatmaps.shape[1]) for d in batch_data_samples
        ])
        if weights.shape[0] != heatmaps.shape[0]:
            raise ValueError(
                'MultiStageHeatmapHead is top-down: each data sample needs '
                f'one instance, got {weights.shape[0]} keypoint-weight rows '
                f'for {heatmaps.shape[0]} samples')
        return heatmaps, weights

    def loss(self, feats: Sequence[Tensor], batch_data_samples,
             train_cfg: dict = {}) -> dict:
        """``loss_kpt`` (sum of per-stage losses) and ``acc_pose``."""
        outs = self.forward(feats)
        gt_heatmaps, weights = self._gather_targets(batch_data_samples)
        device, dtype = outs[-1].device, outs[-1].dtype
        gt_heatmaps = gt_heatmaps.to(device=device, dtype=dtype)
        weights = weights.to(device=device, dtype=dtype)
        if outs[-1].shape != gt_heatmaps.shape:
            raise ValueError(f'predicted heatmaps {tuple(outs[-1].shape)} '
                             'and target heatmaps '
                             f'{tuple(gt_heatmaps.shape)} differ')

        loss = sum(
            self._stage_loss(i)(out, gt_heatmaps, weights)
            for i, out in enumerate(outs))
        _, avg_acc, _ = pose_pck_accuracy(
            outs[-1], gt_heatmaps, weights > 0)
        return dict(
            loss_kpt=loss,
            acc_pose=torch.tensor(avg_acc, dtype=dtype, device=device))

    def _flip_shift(self, test_cfg: dict) -> bool:
        """``shift_heatmap`` of the flip test: ``test_cfg['shift_heatmap']``
        if set, else the decoder's convention (kp_ext codecs: no shift;
        MMPose's MSRAHeatmap: 1-px shift). A shift contradicting a codec
        that declares ``flip_shift_heatmap`` would bias every keypoint by
        half a heatmap pixel, so it raises."""
        _, codec_shift = heatmap_convention(self.decoder)
        shift = test_cfg.get('shift_heatmap')
        if shift is None:
            return bool(codec_shift)
        if hasattr(self.decoder, 'flip_shift_heatmap') and \
                bool(shift) != bool(codec_shift):
            raise ValueError(
                f'test_cfg.shift_heatmap={shift} but the decoder '
                f'{type(self.decoder).__name__} declares '
                f'flip_shift_heatmap={codec_shift} (its heatmap_offset '
                'convention); drop shift_heatmap from test_cfg')
        return bool(shift)

    def predict(self, feats, batch_data_samples, test_cfg: dict = {}):
        """Decode the last stage's heatmaps (flip test when
        ``test_cfg['flip_test']``).

        Returns:
            list[InstanceData] (keypoints (1, K, 2) in crop coordinates,
            keypoint_scores (1, K)), or (that list, list[PixelData]) when
            ``test_cfg['output_heatmaps']``.
        """
        test_cfg = test_cfg or {}
        if test_cfg.get('flip_test', False):
            if len(feats) != 2:
                raise ValueError('flip_test expects feats = [feats, '
                                 'feats_of_flipped_input]')
            flip_mode = test_cfg.get('flip_mode', 'heatmap')
            if flip_mode != 'heatmap':
                raise ValueError(f'unsupported flip_mode {flip_mode!r}')
            if not batch_data_samples or \
                    'flip_indices' not in batch_data_samples[0].metainfo:
                raise ValueError('flip_test needs `flip_indices` in the '
                                 'data samples\' metainfo')
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            heatmaps = self.forward(feats[0])[-1]
            heatmaps_flip = flip_heatmaps(
                self.forward(feats[1])[-1], flip_indices,
                shift_heatmap=self._flip_shift(test_cfg))
            heatmaps = (heatmaps + heatmaps_flip) * 0.5
        else:
            heatmaps = self.forward(feats)[-1]

        preds = self.decode(heatmaps)
        if test_cfg.get('output_heatmaps', False):
            fields = [PixelData(heatmaps=h) for h in heatmaps.detach()]
            return preds, fields
        return preds
