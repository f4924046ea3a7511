"""Losses of Factorized Spatial Embeddings (Thewlis, Bilen & Vedaldi 2017).

Alignment (equivariance), eq. (4) of the paper, written with the backward
warp ``T`` (pixels of the warped image ``x'`` -> pixels of ``x``, the map
``grid_sample`` uses, see ``kp_ext.models.utils.tps_warp``)::

    coordinate form (default):
        L_align = 1/K sum_k || T(Phi_k(x')) - Phi_k(x) ||^2
    probabilistic form (the paper's expectation):
        L_align = 1/K sum_k sum_u sum_v || T(u) - v ||^2 p_k(u|x') p_k(v|x)
                = 1/K sum_k ( ||E'[T(u)] - E[v]||^2 + Var'[T(u)] + Var[v] )

(computed in O(HW) through the right-hand side). With ``normalize=True``
(default) coordinates are mapped to [-1, 1] over the image,
``x_n = (2 x + 1) / W - 1`` (likewise y with H), i.e. squared distances are
measured in units of half the image side, so the weight does not depend on
the resolution; with ``normalize=False`` distances are in pixels.
Averaged over landmarks and the batch.

Diversity (both averaged over the batch)::

    quadratic: sum_{k != k'} sum_u p_k(u) p_k'(u)          in [0, K(K-1)]
    linear:    sum_u ( sum_k p_k(u) - max_k p_k(u) )       in [0, K-1]
               (= K - sum_u max_k p_k(u), the paper's "sum minus max")

after optional mass-preserving sum pooling of each map over
``pool_size x pool_size`` cells (zero padded), so landmarks closer than a
cell also overlap; ``normalize=True`` divides by the maximum
(``K(K-1)`` resp. ``K-1``) so the loss lies in [0, 1].
"""
from typing import Optional, Tuple

import torch.nn.functional as F
from torch import Tensor, nn

from kp_ext.registry import MODELS

__all__ = ['EquivarianceLoss', 'DiversityLoss']


def _norm_scale(image_size, ref: Tensor) -> Tensor:
    w, h = image_size
    return ref.new_tensor([2.0 / w, 2.0 / h])


def _expected_position(probs: Tensor, coords: Optional[Tensor]) -> Tensor:
    """Expected positions (B, K, 2) of probability maps (B, K, H, W) over
    the input-pixel positions ``coords`` of their cells."""
    if coords is None:
        raise ValueError('EquivarianceLoss: probability maps need coords '
                         '(H*W, 2)')
    b, k, h, w = probs.shape
    return probs.reshape(b, k, h * w) @ coords.reshape(h * w, 2).to(probs)


@MODELS.register_module()
class EquivarianceLoss(nn.Module):
    """Alignment loss ``|| T(Phi(x')) - Phi(x) ||^2`` (see module doc).

    Args:
        mode (str): 'coordinate' (soft-argmax landmarks) or 'probabilistic'
            (expectation over both probability maps).
        normalize (bool): measure distances in [-1, 1] image coordinates.
        loss_weight (float): multiplier.
    """

    def __init__(self, mode: str = 'coordinate', normalize: bool = True,
                 loss_weight: float = 1.0):
        super().__init__()
        if mode not in ('coordinate', 'probabilistic'):
            raise ValueError(f"mode must be 'coordinate' or 'probabilistic'"
                             f', got {mode!r}')
        self.mode = mode
        self.normalize = bool(normalize)
        self.loss_weight = float(loss_weight)

    def forward(self, pred_warped: Tensor, pred_ref: Tensor, warp=None,
                image_size: Optional[Tuple[int, int]] = None,
                coords: Optional[Tensor] = None,
                weight: Optional[Tensor] = None) -> Tensor:
        """
        Args:
            pred_warped: probability maps (B, K, H, W) of ``x'`` (both
                modes; the coordinate form takes their expected positions
                over ``coords``, i.e. the soft-argmax landmarks), or, in
                coordinate mode, landmarks (B, K, 2).
            pred_ref: same for ``x``.
            warp: callable (B, N, 2) -> (B, N, 2), pixels of ``x'`` to
                pixels of ``x`` (``T``); None = identity.
            image_size: (w, h) for ``normalize``; defaults to
                ``warp.image_size``.
            coords: with probability maps: (H*W, 2) or (H, W, 2)
                input-pixel positions of the map cells (row-major).
            weight: optional (B, K) per-landmark weights.
        """
        if self.normalize:
            if image_size is None:
                image_size = getattr(warp, 'image_size', None)
            if image_size is None:
                raise ValueError('EquivarianceLoss(normalize=True) needs '
                                 'image_size (or a warp with image_size)')
        if self.mode == 'coordinate':
            if pred_warped.dim() == 4:
                pred_warped = _expected_position(pred_warped, coords)
                pred_ref = _expected_position(pred_ref, coords)
            per_kpt = self._coordinate(pred_warped, pred_ref, warp,
                                       image_size)
        else:
            per_kpt = self._probabilistic(pred_warped, pred_ref, warp,
                                          image_size, coords)
        if weight is not None:
            per_kpt = per_kpt * weight
        return per_kpt.mean() * self.loss_weight

    def _coordinate(self, lm_w, lm_r, warp, image_size):
        if lm_w.shape != lm_r.shape or lm_w.shape[-1] != 2:
            raise ValueError(f'landmarks must both be (B, K, 2): '
                             f'{tuple(lm_w.shape)} vs {tuple(lm_r.shape)}')
        mapped = warp(lm_w) if warp is not None else lm_w
        diff = mapped - lm_r
        if self.normalize:
            diff = diff * _norm_scale(image_size, diff)
        return (diff * diff).sum(-1)  # (B, K)

    def _probabilistic(self, p_w, p_r, warp, image_size, coords):
        if p_w.dim() != 4 or p_w.shape != p_r.shape:
            raise ValueError('probabilistic mode needs two (B, K, H, W) '
                             'probability maps of the same shape')
        if coords is None:
            raise ValueError('probabilistic mode needs coords (H*W, 2)')
        b, k, h, w = p_w.shape
        coords = coords.reshape(h * w, 2).to(p_w)
        pw = p_w.reshape(b, k, h * w)
        pr = p_r.reshape(b, k, h * w)
        tu = warp(coords) if warp is not None else coords.expand(b, -1, -1)
        v = coords
        if self.normalize:
            s = _norm_scale(image_size, pw)
            tu, v = tu * s, v * s
        m_w = pw @ tu  # (B, K, 2)
        m_r = pr @ v
        # centred second moments: sum_u p(u) |T(u) - m|^2
        var_w = (pw @ (tu * tu).sum(-1, keepdim=True)).squeeze(-1) - (
            m_w * m_w).sum(-1)
        var_r = (pr @ (v * v).sum(-1, keepdim=True)).squeeze(-1) - (
            m_r * m_r).sum(-1)
        d = m_w - m_r
        return (d * d).sum(-1) + var_w.clamp_min(0) + var_r.clamp_min(0)


@MODELS.register_module()
class DiversityLoss(nn.Module):
    """Penalise overlap between the K probability maps (module doc).

    Args:
        mode (str): 'linear' (sum minus max) or 'quadratic' (pairwise).
        pool_size (int): sum-pooling cell (1 = none).
        normalize (bool): divide by the maximum so the loss is in [0, 1].
        loss_weight (float): multiplier.
    """

    def __init__(self, mode: str = 'linear', pool_size: int = 1,
                 normalize: bool = False, loss_weight: float = 1.0):
        super().__init__()
        if mode not in ('linear', 'quadratic'):
            raise ValueError(f"mode must be 'linear' or 'quadratic', got "
                             f'{mode!r}')
        if pool_size < 1:
            raise ValueError(f'pool_size must be >= 1, got {pool_size}')
        self.mode = mode
        self.pool_size = int(pool_size)
        self.normalize = bool(normalize)
        self.loss_weight = float(loss_weight)

    def pool(self, probs: Tensor) -> Tensor:
        """Mass-preserving sum pooling over pool_size cells (zero padded)."""
        s = self.pool_size
        if s == 1:
            return probs
        h, w = probs.shape[-2:]
        probs = F.pad(probs, (0, (-w) % s, 0, (-h) % s))
        return F.avg_pool2d(probs, s, s) * (s * s)

    def forward(self, probs: Tensor) -> Tensor:
        """probs: (B, K, H, W), each map summing to 1 -> scalar."""
        if probs.dim() != 4:
            raise ValueError(f'expected (B, K, H, W) maps, got '
                             f'{tuple(probs.shape)}')
        b, k = probs.shape[:2]
        p = self.pool(probs.float()).reshape(b, k, -1)
        if self.mode == 'quadratic':
            gram = p @ p.transpose(1, 2)  # (B, K, K)
            loss = gram.sum((1, 2)) - gram.diagonal(dim1=1, dim2=2).sum(-1)
            max_val = k * (k - 1)
        else:
            loss = (p.sum(1) - p.amax(1)).sum(-1)
            max_val = k - 1
        if self.normalize:
            loss = loss / max(max_val, 1)
        return loss.mean() * self.loss_weight
