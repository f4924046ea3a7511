"""Landmark head of Factorized Spatial Embeddings (Thewlis et al., 2017).

Score maps ``S`` (B, K, H, W) from the backbone -> ``p_k(u | x) =
softmax_u(beta * S_k(u))`` -> landmarks ``Phi_k(x) = sum_u u p_k(u | x)``
in *input pixel coordinates* (x right, y down, pixel centres at integers).
Heatmap pixel (i, j) has input position ``((j + 0.5) s_x - 0.5,
(i + 0.5) s_y - 0.5)``, ``s = input_size / heatmap_size`` (the
``SoftArgmax`` codec's mapping).

Training (no labels): the estimator builds a pair ``x1, x2`` with a known
backward warp ``T2`` (pixels of ``x2`` -> pixels of ``x1``; see
``kp_ext.models.utils.tps_warp``) and calls::

    losses, landmarks1 = head.loss_and_landmarks(feats1, feats2, warp=T2,
                                                 train_cfg=train_cfg)

(``head.loss`` returns the losses alone; ``landmarks1`` are the detached
landmarks of ``x1`` that ``LandmarkCollapseHook`` watches).

``feats1``/``feats2`` are the backbone outputs (tensor or tuple of stages)
of ``x1``/``x2``. Losses: ``loss_equiv`` = ``EquivarianceLoss`` of
``T2(Phi(x2))`` against ``Phi(x1)`` (exact with the image warp), and
``loss_div`` = ``DiversityLoss`` of both branches' maps (averaged).
"""
import math
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData
from torch import Tensor, nn

from kp_ext.codecs.base import check_finite_maps
from kp_ext.registry import MODELS
from .base_head import BaseHead

__all__ = ['LandmarkHead', 'spatial_softmax', 'soft_argmax', 'heatmap_coords']


def spatial_softmax(logits: Tensor, beta: Union[float, Tensor] = 1.0
                    ) -> Tensor:
    """Softmax of ``beta * logits`` over the spatial axes of (B, K, H, W),
    computed in float32 (max subtracted by ``torch.softmax``)."""
    b, k, h, w = logits.shape
    z = logits.float().reshape(b, k, h * w) * beta
    return torch.softmax(z, dim=-1).reshape(b, k, h, w)


def heatmap_coords(height: int, width: int, stride: Sequence[float],
                   device=None, dtype=torch.float32
                   ) -> Tuple[Tensor, Tensor]:
    """Input-pixel x (W,) and y (H,) of heatmap pixel centres:
    ``(j + 0.5) * s_x - 0.5`` and ``(i + 0.5) * s_y - 0.5``."""
    xs = (torch.arange(width, device=device, dtype=dtype) + 0.5) * float(
        stride[0]) - 0.5
    ys = (torch.arange(height, device=device, dtype=dtype) + 0.5) * float(
        stride[1]) - 0.5
    return xs, ys


def soft_argmax(probs: Tensor, stride: Sequence[float] = (1.0, 1.0)
                ) -> Tensor:
    """Expected positions (B, K, 2) of probability maps (B, K, H, W), in
    input pixels (``stride`` = input size / map size)."""
    _, _, h, w = probs.shape
    xs, ys = heatmap_coords(h, w, stride, probs.device, probs.dtype)
    ex = probs.sum(2) @ xs
    ey = probs.sum(3) @ ys
    return torch.stack([ex, ey], dim=-1)


@MODELS.register_module()
class LandmarkHead(BaseHead):
    """Spatial softmax + soft-argmax landmark head with FSE losses.

    Args:
        num_keypoints (int): K landmarks.
        in_channels (int, optional): channels of the incoming maps; when
            given and != K a 1x1 conv maps them to K score maps, otherwise
            the backbone's maps are used as the K score maps.
        input_size (tuple, optional): (w, h) network input, fixing the
            stride; otherwise taken from the warp (``loss``), the decoder,
            or the data samples' ``input_size``/``img_shape`` (``predict``).
        beta (float): inverse temperature of the spatial softmax.
        learnable_beta (bool): learn ``log beta``.
        loss_equivariance (dict): ``EquivarianceLoss`` config.
        loss_diversity (dict, optional): ``DiversityLoss`` config.
        loss_all_stages (bool): sum the losses over every stage of a
            multi-stage backbone (else only the last stage).
        decoder (dict, optional): ``SoftArgmax`` codec config; when given
            (and beta is fixed) ``predict`` decodes with it in numpy.
        score_mode (str): 'peak' (max probability) or 'concentration'
            (``1 / (1 + RMS spread in heatmap px)``), as the codec.
    """

    def __init__(self,
                 num_keypoints: int,
                 in_channels: Optional[int] = None,
                 input_size: Optional[Tuple[int, int]] = None,
                 beta: float = 1.0,
                 learnable_beta: bool = False,
                 loss_equivariance: dict = dict(
                     type='kp_ext.EquivarianceLoss'),
                 loss_diversity: Optional[dict] = dict(
                     type='kp_ext.DiversityLoss', mode='linear'),
                 loss_all_stages: bool = False,
                 decoder: Optional[dict] = None,
                 score_mode: str = 'peak',
                 init_cfg=None):
        super().__init__(decoder=decoder, init_cfg=init_cfg)
        if beta <= 0:
            raise ValueError(f'beta must be > 0, got {beta}')
        if score_mode not in ('peak', 'concentration'):
            raise ValueError(f'unknown score_mode {score_mode!r}')
        self.num_keypoints = int(num_keypoints)
        self.input_size = (tuple(int(v) for v in input_size)
                           if input_size is not None else None)
        self.score_mode = score_mode
        self.loss_all_stages = bool(loss_all_stages)
        if in_channels is not None and in_channels != num_keypoints:
            self.final_layer = nn.Conv2d(in_channels, num_keypoints, 1)
        else:
            self.final_layer = nn.Identity()
        self.learnable_beta = bool(learnable_beta)
        log_beta = torch.tensor(math.log(beta), dtype=torch.float32)
        if self.learnable_beta:
            self.log_beta = nn.Parameter(log_beta)
        else:
            self.register_buffer('log_beta', log_beta)
        self.loss_equivariance = MODELS.build(loss_equivariance)
        self.loss_diversity = (MODELS.build(loss_diversity)
                               if loss_diversity is not None else None)

    # -- maps and landmarks --------------------------------------------------
    @property
    def beta(self) -> Tensor:
        return self.log_beta.exp()

    def _stages(self, feats) -> list:
        if isinstance(feats, Tensor):
            feats = [feats]
        feats = list(feats)
        if not feats:
            raise ValueError('LandmarkHead got no feature maps')
        for f in feats:
            if f.dim() != 4:
                raise ValueError(f'expected (B, C, H, W) maps, got '
                                 f'{tuple(f.shape)}')
        return feats

    def forward(self, feats) -> Tensor:
        """Score maps (B, K, H, W) (logits) of the last stage."""
        return self.final_layer(self._stages(feats)[-1])

    def landmarks(self, maps: Tensor, input_size: Tuple[int, int]
                  ) -> Tuple[Tensor, Tensor]:
        """Score maps -> (landmarks (B, K, 2) input px, probs (B,K,H,W))."""
        probs = spatial_softmax(maps, self.beta)
        h, w = maps.shape[-2:]
        stride = (input_size[0] / w, input_size[1] / h)
        return soft_argmax(probs, stride), probs

    def _resolve_size(self, explicit=None, warp=None, data_samples=None):
        for cand in (explicit, self.input_size,
                     getattr(warp, 'image_size', None),
                     getattr(self.decoder, 'input_size', None)):
            if cand is not None:
                return tuple(cand)
        if data_samples:
            meta = data_samples[0].metainfo
            if meta.get('input_size') is not None:
                return tuple(int(v) for v in meta['input_size'])
            for key in ('img_shape', 'batch_input_shape'):
                if meta.get(key) is not None:
                    h, w = meta[key][:2]
                    return (int(w), int(h))
        raise ValueError(
            'LandmarkHead cannot tell the input size: set input_size, a '
            'decoder, pass a warp with image_size, or data samples with '
            'input_size/img_shape')

    # -- training ------------------------------------------------------------
    def loss(self, feats1, feats2, warp, train_cfg: dict = {},
             input_size: Optional[Tuple[int, int]] = None) -> dict:
        """FSE losses of a pair.

        Args:
            feats1, feats2: backbone outputs for ``x1`` and ``x2``.
            warp: callable mapping (B, N, 2) pixels of ``x2`` to pixels of
                ``x1`` (``T2`` of ``TPSWarp.make_pair``), or None for an
                identity pair.
            train_cfg (dict): unused keys are ignored.
            input_size: (w, h); defaults as in the class doc.
        Returns:
            dict(loss_equiv, loss_div[, beta]).
        """
        return self.loss_and_landmarks(feats1, feats2, warp, train_cfg,
                                       input_size)[0]

    def loss_and_landmarks(self, feats1, feats2, warp, train_cfg: dict = {},
                           input_size: Optional[Tuple[int, int]] = None
                           ) -> Tuple[dict, Tensor]:
        """:meth:`loss` and, from the same maps, the detached landmarks
        (B, K, 2) (input pixels) of ``x1`` at the last stage, for
        monitoring (``LandmarkCollapseHook``) without a second head run.

        Both losses get the probability maps: ``EquivarianceLoss`` (either
        form) with the input-pixel positions of the map cells.
        """
        size = self._resolve_size(input_size, warp)
        stages1, stages2 = self._stages(feats1), self._stages(feats2)
        if len(stages1) != len(stages2):
            raise ValueError('feats1 and feats2 have different stage counts')
        idx = (range(len(stages1)) if self.loss_all_stages
               else [len(stages1) - 1])
        loss_equiv, loss_div = 0.0, 0.0
        for i in idx:
            m1 = self.final_layer(stages1[i])
            m2 = self.final_layer(stages2[i])
            p1 = spatial_softmax(m1, self.beta)
            p2 = spatial_softmax(m2, self.beta)
            h, w = m1.shape[-2:]
            stride = (size[0] / w, size[1] / h)
            xs, ys = heatmap_coords(h, w, stride, m1.device)
            gy, gx = torch.meshgrid(ys, xs, indexing='ij')
            coords = torch.stack([gx, gy], -1).reshape(-1, 2)
            loss_equiv = loss_equiv + self.loss_equivariance(
                p2, p1, warp, image_size=size, coords=coords)
            if self.loss_diversity is not None:
                loss_div = loss_div + 0.5 * (
                    self.loss_diversity(p1) + self.loss_diversity(p2))
        losses = dict(loss_equiv=loss_equiv)
        if self.loss_diversity is not None:
            losses['loss_div'] = loss_div
        if self.learnable_beta:
            losses['beta'] = self.beta.detach()
        with torch.no_grad():
            landmarks = soft_argmax(p1.detach(), stride)
        return losses, landmarks

    # -- inference -----------------------------------------------------------
    def predict(self, feats, batch_data_samples=None, test_cfg: dict = {}):
        """Landmarks of a batch -> list of InstanceData(keypoints (1, K, 2)
        in input pixels, keypoint_scores (1, K)); with
        ``test_cfg.output_heatmaps`` also a list of PixelData(heatmaps=p).
        """
        test_cfg = test_cfg or {}
        if test_cfg.get('flip_test', False):
            raise ValueError(
                'LandmarkHead: flip_test is undefined for unsupervised '
                'landmarks (no left/right correspondence is learnt)')
        maps = self.forward(feats)
        size = self._resolve_size(data_samples=batch_data_samples)
        use_codec = (self.decoder is not None and not self.learnable_beta
                     and tuple(self.decoder.input_size) == tuple(size))
        if use_codec:
            # codec applies its own beta; feed beta_head/beta_codec * S
            scale = float(self.beta) / self.decoder.beta
            preds = self.decode(maps.detach().float() * scale)
            probs = (spatial_softmax(maps, self.beta)
                     if test_cfg.get('output_heatmaps', False) else None)
        else:
            # as the codec (SoftArgmax.decode): NaN/inf score maps raise
            # NonFiniteMapError naming the channels (one pass when finite)
            if not bool(torch.isfinite(maps).all()):
                check_finite_maps(maps.detach().float().cpu().numpy(),
                                  f'{type(self).__name__}.predict',
                                  'score map')
            with torch.no_grad():
                kpts, probs = self.landmarks(maps.detach(), size)
                scores = self._scores(probs, maps.shape[-2:], size)
            kpts = kpts.cpu().numpy().astype(np.float32)
            scores = scores.cpu().numpy().astype(np.float32)
            preds = [
                InstanceData(keypoints=kpts[i:i + 1],
                             keypoint_scores=scores[i:i + 1])
                for i in range(len(kpts))
            ]
        if test_cfg.get('output_heatmaps', False):
            fields = [PixelData(heatmaps=p.detach()) for p in probs]
            return preds, fields
        return preds

    def _scores(self, probs: Tensor, hw, size) -> Tensor:
        b, k = probs.shape[:2]
        if self.score_mode == 'peak':
            return probs.reshape(b, k, -1).amax(-1)
        h, w = hw
        xs, ys = heatmap_coords(h, w, (1.0, 1.0), probs.device)
        px, py = probs.sum(2), probs.sum(3)
        vx = px @ (xs * xs) - (px @ xs)**2
        vy = py @ (ys * ys) - (py @ ys)**2
        spread = ((vx + vy) / 2).clamp_min(0).sqrt()
        return 1.0 / (1.0 + spread)
