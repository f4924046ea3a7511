"""Soft-argmax codec (Factorized Spatial Embeddings, Thewlis et al. 2017).

Score maps ``S_k`` (logits, (K, H, W)) become per-landmark distributions
``p_k(u) = softmax_u(beta * S_k(u))`` (max subtracted first, so any logit
range is safe) and the landmark is their expectation ``sum_u u p_k(u)``.

Coordinates: input pixels, x right, y down, pixel centres at integers.
With stride ``s_x = input_w / heatmap_w`` (and ``s_y``), heatmap pixel
``(i, j)`` (row, column) has its centre at input position

    x = (j + 0.5) * s_x - 0.5,    y = (i + 0.5) * s_y - 0.5

(the centre of the ``s x s`` input block it covers); the expectation is
taken over these positions, so decoded keypoints are directly in input
coordinates. The inverse mapping ``j = (x + 0.5) / s_x - 0.5`` is used by
``encode``.

Scores: ``score_mode='peak'`` gives ``max_u p_k(u)`` (1 for a delta,
``1/(H W)`` for a flat map); ``'concentration'`` gives
``1 / (1 + sigma_k)`` with ``sigma_k`` the RMS spread (in heatmap pixels)
of ``p_k`` around its mean (1 for a delta).

``encode`` produces unit-mass targets: Gaussians (std ``sigma`` heatmap
pixels) sampled at heatmap pixel centres and normalised to sum 1 per map
(a mixture over visible instances when N > 1), so a supervised variant can
train ``p_k`` with e.g. a cross-entropy; invisible or out-of-map keypoints
give an all-zero map and weight 0. ``decode(log(encode(kp)))`` returns
``kp`` (within ~1e-4 px for points >= 4.5 sigma inside the map, sigma >= 1;
truncation at the border biases the mean towards the centre).

The same maths in torch for training lives in
``kp_ext.models.heads.landmark_head`` (``spatial_softmax``,
``soft_argmax``).
"""
from typing import Optional, Tuple

import numpy as np

from kp_ext.registry import KEYPOINT_CODECS
from .base import BaseKeypointCodec, as_numpy, check_maps

__all__ = ['SoftArgmax']


@KEYPOINT_CODECS.register_module()
class SoftArgmax(BaseKeypointCodec):
    """Score maps <-> expected landmark coordinates.

    Args:
        input_size (tuple): (w, h) of the network input.
        heatmap_size (tuple): (w, h) of the score maps.
        beta (float): inverse temperature applied to logits before the
            softmax (``p = softmax(beta * S)``).
        sigma (float): std (heatmap pixels) of the ``encode`` Gaussians.
        score_mode (str): 'peak' or 'concentration' (see module doc).
    """

    # coordinate convention (kp_ext.codecs.coordinate_convention):
    # x_in = (x_hm + heatmap_offset) * stride - heatmap_offset (MMPose's
    # MSRAHeatmap: 0), and flip testing needs no heatmap shift (MMPose's
    # ``test_cfg.shift_heatmap`` must be False with this codec)
    heatmap_offset = 0.5
    flip_shift_heatmap = False
    field_mapping_table = dict(heatmaps='heatmaps')
    label_mapping_table = dict(keypoint_weights='keypoint_weights')

    def __init__(self,
                 input_size: Tuple[int, int],
                 heatmap_size: Tuple[int, int],
                 beta: float = 1.0,
                 sigma: float = 1.0,
                 score_mode: str = 'peak'):
        super().__init__()
        if score_mode not in ('peak', 'concentration'):
            raise ValueError(f"score_mode must be 'peak' or 'concentration',"
                             f' got {score_mode!r}')
        if beta <= 0 or sigma <= 0:
            raise ValueError(f'beta and sigma must be > 0 (got {beta}, '
                             f'{sigma})')
        self.input_size = tuple(int(v) for v in input_size)
        self.heatmap_size = tuple(int(v) for v in heatmap_size)
        self.beta = float(beta)
        self.sigma = float(sigma)
        self.score_mode = score_mode
        self.stride = np.array([
            self.input_size[0] / self.heatmap_size[0],
            self.input_size[1] / self.heatmap_size[1]
        ], dtype=np.float64)
        w, h = self.heatmap_size
        # input-coordinate positions of heatmap pixel centres
        self._xs = (np.arange(w) + 0.5) * self.stride[0] - 0.5
        self._ys = (np.arange(h) + 0.5) * self.stride[1] - 0.5

    # -- encode --------------------------------------------------------------
    def encode(self, keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """keypoints (N, K, 2) input pixels -> ``heatmaps`` (K, H, W) unit
        mass per visible landmark, ``keypoint_weights`` (N, K)."""
        keypoints = np.asarray(keypoints, dtype=np.float64)
        if keypoints.ndim != 3 or keypoints.shape[-1] != 2:
            raise ValueError(f'keypoints must be (N, K, 2), got '
                             f'{keypoints.shape}')
        n, k, _ = keypoints.shape
        if keypoints_visible is None:
            keypoints_visible = np.ones((n, k), dtype=np.float32)
        vis = np.asarray(keypoints_visible, dtype=np.float32).reshape(n, k)
        w, h = self.heatmap_size
        # heatmap coordinates of the keypoints
        mu = (keypoints + 0.5) / self.stride - 0.5
        inside = ((mu[..., 0] >= -0.5) & (mu[..., 0] <= w - 0.5)
                  & (mu[..., 1] >= -0.5) & (mu[..., 1] <= h - 0.5)
                  & np.isfinite(mu).all(-1))
        weights = (vis > 0.5) & inside
        xs = np.arange(w, dtype=np.float64)
        ys = np.arange(h, dtype=np.float64)
        heatmaps = np.zeros((k, h, w), dtype=np.float64)
        mu_safe = np.where(weights[..., None], mu, 0.0)
        # separable Gaussians: (N, K, W) and (N, K, H)
        gx = np.exp(-(xs - mu_safe[..., 0:1])**2 / (2 * self.sigma**2))
        gy = np.exp(-(ys - mu_safe[..., 1:2])**2 / (2 * self.sigma**2))
        gx /= gx.sum(-1, keepdims=True)
        gy /= gy.sum(-1, keepdims=True)
        for i in range(n):
            heatmaps += (weights[i][:, None, None] *
                         gy[i][:, :, None] * gx[i][:, None, :])
        count = weights.sum(0)
        heatmaps /= np.maximum(count, 1)[:, None, None]
        return dict(
            heatmaps=heatmaps.astype(np.float32),
            keypoint_weights=weights.astype(np.float32))

    # -- decode --------------------------------------------------------------
    def decode(self, encoded: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Score maps (K, H, W) logits -> keypoints (1, K, 2), scores (1, K)
        (input coordinates)."""
        encoded = np.asarray(encoded)
        if encoded.ndim != 3:
            raise ValueError(f'decode expects (K, H, W) score maps, got '
                             f'{encoded.shape}')
        keypoints, scores = self.batch_decode(encoded[None])
        return keypoints[0], scores[0]

    def batch_decode(self, batch_encoded: np.ndarray
                     ) -> Tuple[np.ndarray, np.ndarray]:
        """(B, K, H, W) logits -> keypoints (B, 1, K, 2), scores (B, 1, K)."""
        s = np.asarray(as_numpy(batch_encoded), dtype=np.float64)
        if s.ndim != 4:
            raise ValueError(f'batch_decode expects (B, K, H, W), got '
                             f'{s.shape}')
        check_maps(s, self.heatmap_size, type(self).__name__, finite=True,
                   kind='score map')
        b, k, h, w = s.shape
        probs = self.softmax(s)
        px = probs.sum(2)  # (B, K, W) marginal over rows
        py = probs.sum(3)  # (B, K, H)
        ex = px @ self._xs
        ey = py @ self._ys
        keypoints = np.stack([ex, ey], -1)
        if self.score_mode == 'peak':
            scores = probs.reshape(b, k, -1).max(-1)
        else:
            vx = px @ (self._xs**2) - ex**2
            vy = py @ (self._ys**2) - ey**2
            # RMS spread in heatmap pixels
            spread = np.sqrt(np.maximum(
                (vx / self.stride[0]**2 + vy / self.stride[1]**2) / 2, 0))
            scores = 1.0 / (1.0 + spread)
        return (keypoints[:, None].astype(np.float32),
                scores[:, None].astype(np.float32))

    def softmax(self, logits: np.ndarray) -> np.ndarray:
        """Stable spatial softmax of ``beta * logits`` over the last two
        axes."""
        z = self.beta * np.asarray(logits, dtype=np.float64)
        z = z - z.max(axis=(-2, -1), keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=(-2, -1), keepdims=True)
