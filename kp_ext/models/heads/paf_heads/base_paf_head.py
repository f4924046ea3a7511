"""What every OpenPose head shares: part affinity fields + confidence maps.

Cao et al., "Realtime Multi-Person 2D Pose Estimation using Part Affinity
Fields" (CVPR 2017) and "OpenPose: Realtime Multi-Person 2D Pose Estimation
using Part Affinity Fields" (TPAMI 2019). The networks differ
(:class:`OpenPose2017Head`, :class:`OpenPose2019Head`,
:class:`PAFSplitHead`); their outputs, loss and prediction are this file's.

Channels
--------
``L`` limbs (tree + redundant, 2L PAF channels, (x, y) per limb), ``K'``
confidence-map channels (K parts [+ background]); taken from the decoder
(``PartAffinityField`` and its body model) unless given.

Outputs
-------
``forward(feats)`` returns ``(pafs, heatmaps)``: two lists of per-stage
tensors, (B, 2L, H, W) and (B, K', H, W), in stage order (the last is the
final prediction). The lists may differ in length (TPAMI 2019).

Loss
----
The paper's ``f = sum_t f_S^t + sum_t f_L^t`` with
``f^t = sum_p W(p) ||pred_t(p) - target(p)||^2``: every stage of each
branch against ``gt_fields.heatmaps`` / ``gt_fields.pafs``, masked by
``gt_fields.heatmap_mask`` (W(p), (H, W) or (1, H, W); all ones when
absent), each stage's term normalised by :class:`PAFLoss` (default: per
pixel and image, summed over channels, see its docstring) and the terms
summed over stages (intermediate supervision, as in the paper). Returned as
``loss_paf`` (PAF branch) and ``loss_heatmap`` (confidence maps).

Prediction
----------
Last-stage maps; with ``test_cfg['flip_test']`` the features are a pair
(original, horizontally flipped input) and the flipped maps are brought
back with :func:`flip_heatmaps` / :func:`flip_pafs` (``flip_indices`` from
the decoder's body model or the data samples' metainfo, limbs from the
codec) and averaged. The batch is then grouped by the codec through
:meth:`BaseHead.decode` (keypoints, keypoint scores and instance scores),
in pixels of the *model input* (the batch tensor; the estimator records
its size as ``batch_input_shape`` (h, w) in the metainfo, otherwise the
codec's ``input_size`` is taken as the input frame); each person's box is
the extent of its found keypoints. The estimator maps keypoints and boxes
to the image.
"""
import copy
from abc import abstractmethod
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import initialize, normal_init
from mmengine.structures import PixelData
from torch import Tensor

from kp_ext.models.heads.base_head import BaseHead
from kp_ext.models.utils import flip_heatmaps
from kp_ext.registry import MODELS
from kp_ext.structures.bbox import bboxes_from_keypoints
from .paf_flip import flip_pafs

__all__ = ['BasePAFHead', 'ConvPAFHead']


def _act(act_cfg: Optional[dict], channels: int) -> Optional[dict]:
    """Per-channel PReLU (as in BODY_25), other activations unchanged."""
    if act_cfg is None:
        return None
    act_cfg = dict(act_cfg)
    if act_cfg.get('type') == 'PReLU':
        act_cfg.setdefault('num_parameters', channels)
    return act_cfg


def _per_stage(value, default, num: int, name: str) -> List[int]:
    """One width per stage from an int, a list or (None) the default."""
    if value is None:
        value = default
    if isinstance(value, int):
        return [value] * num
    value = [int(v) for v in value]
    if len(value) != num:
        raise ValueError(f'{name} gives {len(value)} values for {num} '
                         'stages')
    return value


class BasePAFHead(BaseHead):
    """Loss, flip test and prediction of a multi-stage PAF head (module
    docstring); subclasses build the stages and implement ``forward``.

    Args:
        num_keypoints (int, optional): K, the body model's parts (e.g. 18
            for the paper's COCO model); default: the decoder's.
        num_limbs (int, optional): L (tree + redundant limbs), 2L PAF
            channels; default: the decoder's (its body model's limbs).
        with_background (bool, optional): confidence maps have a background
            channel (K' = K + 1). Default: the decoder's, else False.
        loss (dict): loss config applied to every stage of both branches.
            Default: ``dict(type='kp_ext.PAFLoss')``.
        loss_heatmap (dict, optional): a separate loss for the
            confidence-map branch (e.g. ``loss`` with a larger
            ``loss_weight``: with the ``'pixel'`` reduction the 2L PAF
            channels outweigh the K confidence maps). Default: None (the
            paper: ``loss`` for both branches).
        decoder (dict, optional): codec config (``PartAffinityField``);
            needed by ``predict`` and by flip test (its limbs).
        init_cfg: mmengine init config.
    """

    #: the ``arch`` value of :func:`PartAffinityFieldHead` that builds it
    arch: Optional[str] = None

    def __init__(self,
                 num_keypoints: Optional[int] = None,
                 num_limbs: Optional[int] = None,
                 with_background: Optional[bool] = None,
                 loss: dict = dict(type='kp_ext.PAFLoss'),
                 loss_heatmap: Optional[dict] = None,
                 decoder: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(decoder=decoder, init_cfg=init_cfg)
        if num_keypoints is None:
            num_keypoints = getattr(self.decoder, 'num_keypoints', None)
        if num_limbs is None:
            num_limbs = getattr(self.decoder, 'num_limbs', None)
        if with_background is None:
            with_background = bool(
                getattr(self.decoder, 'with_background', False))
        if num_keypoints is None or num_limbs is None:
            raise ValueError('give num_keypoints and num_limbs (or a '
                             'decoder to take them from)')
        if num_keypoints < 1 or num_limbs < 1:
            raise ValueError('num_keypoints and num_limbs must be >= 1')
        self.num_keypoints = int(num_keypoints)
        self.num_limbs = int(num_limbs)
        self.with_background = bool(with_background)
        self.paf_channels = 2 * self.num_limbs
        self.cm_channels = self.num_keypoints + int(self.with_background)
        self._check_decoder()
        self.loss_module = MODELS.build(copy.deepcopy(loss))
        self.loss_heatmap_module = (
            self.loss_module if loss_heatmap is None else
            MODELS.build(copy.deepcopy(loss_heatmap)))
        self.paf_stages = nn.ModuleList()
        self.cm_stages = nn.ModuleList()

    def _check_decoder(self):
        dec = self.decoder
        if dec is None:
            return
        k = getattr(dec, 'num_keypoints', None)
        n = getattr(dec, 'num_limbs', None)
        bg = getattr(dec, 'with_background', None)
        if (k is not None and k != self.num_keypoints) or \
                (n is not None and n != self.num_limbs) or \
                (bg is not None and bool(bg) != self.with_background):
            raise ValueError(
                f'decoder (K={k}, L={n}, with_background={bg}) does not '
                f'match the head (K={self.num_keypoints}, L={self.num_limbs},'
                f' with_background={self.with_background})')

    @abstractmethod
    def forward(self, feats: Union[Tensor, Sequence[Tensor]]
                ) -> Tuple[List[Tensor], List[Tensor]]:
        """``(pafs, heatmaps)``: lists of per-stage (B, 2L, H, W) and
        (B, K', H, W) tensors, last stage last."""

    @staticmethod
    def _as_list(feats: Union[Tensor, Sequence[Tensor]]) -> List[Tensor]:
        if isinstance(feats, Tensor):
            feats = (feats, )
        feats = list(feats)
        if not feats:
            raise ValueError('forward got no features')
        return feats

    # -------------------------------------------------------------- loss
    @staticmethod
    def _stack_field(batch_data_samples, key: str) -> Tensor:
        maps = []
        for i, ds in enumerate(batch_data_samples):
            fields = ds.get('gt_fields', None)
            if fields is None or key not in fields:
                raise KeyError(f'data sample {i} has no gt_fields.{key} (the '
                               'PartAffinityField codec in GenerateTarget '
                               'produces it)')
            maps.append(torch.as_tensor(fields.get(key)))
        return torch.stack(maps)

    def _gather_targets(self, batch_data_samples):
        gt_cm = self._stack_field(batch_data_samples, 'heatmaps')
        gt_paf = self._stack_field(batch_data_samples, 'pafs')
        h, w = gt_cm.shape[-2:]
        masks = []
        has_mask = False
        for ds in batch_data_samples:
            fields = ds.get('gt_fields', None)
            if fields is not None and 'heatmap_mask' in fields:
                m = torch.as_tensor(fields.get('heatmap_mask'))
                if m.ndim == 3 and m.shape[0] == 1:
                    m = m[0]
                if m.shape != (h, w):
                    raise ValueError(f'heatmap_mask of shape '
                                     f'{tuple(m.shape)}; expected (H, W) or '
                                     f'(1, H, W) with (H, W) = {(h, w)}')
                masks.append(m)
                has_mask = True
            else:
                masks.append(torch.ones(h, w))
        mask = torch.stack(masks)[:, None] if has_mask else None
        return gt_cm, gt_paf, mask

    def loss(self, feats, batch_data_samples, train_cfg: dict = {}) -> dict:
        """``loss_paf`` and ``loss_heatmap``: sums over stages of the masked
        L2 (see the module docstring)."""
        pafs, cms = self.forward(feats)
        gt_cm, gt_paf, mask = self._gather_targets(batch_data_samples)
        device, dtype = pafs[-1].device, pafs[-1].dtype
        gt_cm = gt_cm.to(device=device, dtype=dtype)
        gt_paf = gt_paf.to(device=device, dtype=dtype)
        if mask is not None:
            mask = mask.to(device=device, dtype=dtype)
        if cms[-1].shape != gt_cm.shape:
            raise ValueError(f'predicted heatmaps {tuple(cms[-1].shape)} and '
                             f'targets {tuple(gt_cm.shape)} differ (check the '
                             "codec's heatmap_size / with_background)")
        if pafs[-1].shape != gt_paf.shape:
            raise ValueError(f'predicted PAFs {tuple(pafs[-1].shape)} and '
                             f'targets {tuple(gt_paf.shape)} differ (check '
                             "the codec's heatmap_size and limbs)")
        loss_paf = sum(self.loss_module(p, gt_paf, mask) for p in pafs)
        loss_cm = sum(self.loss_heatmap_module(c, gt_cm, mask) for c in cms)
        return dict(loss_paf=loss_paf, loss_heatmap=loss_cm)
    # ----------------------------------------------------------- predict
    def _flip_limbs(self) -> Sequence[Tuple[int, int]]:
        dec = self.decoder
        limbs = getattr(dec, 'all_limbs', None)
        if limbs is None and dec is not None:
            limbs = tuple(getattr(dec, 'limbs', ())) + tuple(
                getattr(dec, 'redundant_limbs', ()) or ())
        if not limbs:
            raise RuntimeError('flip test needs the PAF limbs: set the '
                               "head's decoder (PartAffinityField)")
        if len(limbs) != self.num_limbs:
            raise ValueError(f'decoder has {len(limbs)} limbs, the head '
                             f'{self.num_limbs}')
        return limbs

    def _flip_indices(self, batch_data_samples) -> List[int]:
        """The parts' flip indices: the decoder's body model's, else the
        data samples' metainfo (the dataset's keypoints are the parts)."""
        own = getattr(self.decoder, 'flip_indices', None)
        if own is not None:
            return [int(i) for i in own]
        if not batch_data_samples or \
                'flip_indices' not in batch_data_samples[0].metainfo:
            raise ValueError('flip_test needs `flip_indices` in the data '
                             "samples' metainfo (set the estimator's "
                             '`metainfo`)')
        return [int(i) for i in batch_data_samples[0].metainfo['flip_indices']]

    def flip_maps(self, heatmaps: Tensor, pafs: Tensor,
                  flip_indices: Sequence[int]) -> Tuple[Tensor, Tensor]:
        """Horizontally flip (B, K', H, W) maps and (B, 2L, H, W) PAFs
        (channel swap included); the background channel stays put."""
        flip_indices = list(flip_indices)
        if len(flip_indices) != self.num_keypoints:
            raise ValueError(f'{len(flip_indices)} flip indices for '
                             f'{self.num_keypoints} keypoints')
        cm_indices = flip_indices + ([self.num_keypoints]
                                     if self.with_background else [])
        return (flip_heatmaps(heatmaps, cm_indices),
                flip_pafs(pafs, self._flip_limbs(), flip_indices))

    def predict_maps(self, feats, batch_data_samples,
                     test_cfg: dict = {}) -> Tuple[Tensor, Tensor]:
        """Last-stage ``(heatmaps (B, K', H, W), pafs (B, 2L, H, W))``,
        averaged with the flipped input's maps when
        ``test_cfg['flip_test']`` (feats = [orig, flipped])."""
        test_cfg = test_cfg or {}
        if test_cfg.get('flip_test', False):
            if not isinstance(feats, (list, tuple)) or len(feats) != 2:
                raise ValueError('flip_test expects feats = [feats, '
                                 'feats_of_flipped_input]')
            flip_indices = self._flip_indices(batch_data_samples)
            pafs, cms = self.forward(feats[0])
            pafs_f, cms_f = self.forward(feats[1])
            cm_back, paf_back = self.flip_maps(cms_f[-1], pafs_f[-1],
                                               flip_indices)
            return ((cms[-1] + cm_back) * 0.5, (pafs[-1] + paf_back) * 0.5)
        pafs, cms = self.forward(feats)
        return cms[-1], pafs[-1]

    def _input_size(self, data_sample) -> Tuple[int, int]:
        """(w, h) of the model input the maps were computed from: the batch
        tensor's (``batch_input_shape``, set by the estimator), else the
        codec's ``input_size``."""
        meta = data_sample.metainfo if data_sample is not None else {}
        if 'batch_input_shape' in meta:
            h, w = meta['batch_input_shape'][:2]
            return int(w), int(h)
        return tuple(self.decoder.input_size)

    def predict_from_maps(self, heatmaps: Tensor, pafs: Tensor,
                          batch_data_samples, test_cfg: dict = {}):
        """Group people on maps (see :meth:`predict` for the output)."""
        if self.decoder is None:
            raise RuntimeError(
                f'{type(self).__name__} has no decoder: set `decoder` '
                '(a PartAffinityField config) to use predict()')
        test_cfg = test_cfg or {}
        if heatmaps.ndim != 4 or pafs.ndim != 4 or \
                heatmaps.shape[0] != pafs.shape[0]:
            raise ValueError(f'maps must be batched (B, C, H, W), got '
                             f'{tuple(heatmaps.shape)} and '
                             f'{tuple(pafs.shape)}')
        batch_size = heatmaps.shape[0]
        if batch_data_samples is None:
            batch_data_samples = [None] * batch_size
        if len(batch_data_samples) != batch_size:
            raise ValueError(f'{len(batch_data_samples)} data samples for a '
                             f'batch of {batch_size}')
        preds = self.decode(
            (heatmaps.float(), pafs.float()),
            input_sizes=[self._input_size(ds) for ds in batch_data_samples])
        for pred in preds:
            pred.bboxes = bboxes_from_keypoints(pred.keypoints,
                                                pred.keypoint_scores)
        if test_cfg.get('output_heatmaps', False):
            fields = [
                PixelData(heatmaps=h, pafs=p)
                for h, p in zip(heatmaps.detach(), pafs.detach())
            ]
            return preds, fields
        return preds

    def predict(self, feats, batch_data_samples, test_cfg: dict = {}):
        """Decode the last stage (flip test when ``test_cfg['flip_test']``).

        Returns:
            list[InstanceData] with ``keypoints`` (N, K, 2) in model-input
            pixels, ``keypoint_scores`` (N, K), ``scores`` and
            ``bbox_scores`` (N,) instance scores, ``bboxes`` (N, 4) xyxy
            extents of the found keypoints (N = 0 when nobody is found);
            or (that list, list[PixelData(heatmaps, pafs)]) when
            ``test_cfg['output_heatmaps']``.
        """
        heatmaps, pafs = self.predict_maps(feats, batch_data_samples,
                                           test_cfg)
        return self.predict_from_maps(heatmaps, pafs, batch_data_samples,
                                      test_cfg)


class ConvPAFHead(BasePAFHead):
    """Base of the heads whose stages are conv nets on the backbone's
    features ``F`` (the last element of the backbone's tuple, e.g.
    :class:`OpenPoseVGG`'s stride-8 features).

    Args:
        in_channels (int): channels of ``F``.
        out_init_std (float): std of the normal init of the output convs
            (near-zero initial maps). Default: 0.01.
        **kwargs: :class:`BasePAFHead`'s arguments.
    """

    def __init__(self, in_channels: int, out_init_std: float = 0.01,
                 **kwargs):
        super().__init__(**kwargs)
        if in_channels is None or in_channels < 1:
            raise ValueError(f'{type(self).__name__} needs in_channels '
                             '(backbone feature channels)')
        self.in_channels = int(in_channels)
        self.out_init_std = out_init_std

    def _stage(self, layers: List[nn.Module], channels: int,
               mid_channels: int, out_channels: int, norm_cfg,
               act_cfg) -> nn.Sequential:
        """A stage: ``layers`` (ending with ``channels`` channels), a 1x1
        conv to ``mid_channels`` and the 1x1 output conv (marked for the
        near-zero init)."""
        out = nn.Conv2d(mid_channels, out_channels, 1)
        out._is_output = True
        return nn.Sequential(
            *layers,
            ConvModule(channels, mid_channels, 1, norm_cfg=norm_cfg,
                       act_cfg=_act(act_cfg, mid_channels)), out)

    def _default_init(self):
        """Kaiming-normal convs, unit norms (mmengine init configs),
        near-zero output convs."""
        initialize(self, [
            dict(type='Kaiming', layer='Conv2d', mode='fan_in',
                 nonlinearity='relu', distribution='normal', bias=0),
            dict(type='Constant', layer='_BatchNorm', val=1, bias=0)
        ])
        for m in self.modules():
            if getattr(m, '_is_output', False):
                normal_init(m, std=self.out_init_std, bias=0)

    def init_weights(self):
        """Keep the default initialisation unless ``init_cfg`` is given.

        (mmcv's ``ConvModule.init_weights`` would otherwise re-initialise
        the hidden convs with its own defaults.)
        """
        if self.init_cfg is not None:
            super().init_weights()

    def _features(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """``F``: the last backbone output, checked."""
        x = self._as_list(feats)[-1]
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'features of shape {tuple(x.shape)}; expected '
                             f'(B, {self.in_channels}, H, W)')
        return x
