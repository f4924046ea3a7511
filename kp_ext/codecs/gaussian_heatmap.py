"""Gaussian heatmap codec for top-down keypoint detection (Stacked Hourglass).

Newell et al., "Stacked Hourglass Networks for Human Pose Estimation"
(ECCV 2016) supervise every stack with one 2-D Gaussian per keypoint, drawn
on a heatmap ``stride`` times smaller than the input crop, and read the
prediction back at the heatmap maximum, moved a quarter pixel towards the
higher neighbour. This codec keeps that target and offers sub-pixel
decoders: an exact log-parabola fit (default), the quarter offset, DARK
(Zhang et al., CVPR 2020), and the official code's whole post-processing
(``'pose_hg_train'``: quarter offset, then truncation to whole image
pixels).

Coordinate mapping
------------------
Pixel centres are at integers in both the input crop and the heatmap. The
strides are ``sx = w_in / W`` and ``sy = h_in / H`` (4 for 256x256 -> 64x64).
Heatmap pixel ``j`` is the centre of the input pixel block
``[j*sx, (j+1)*sx - 1]`` (the mapping of an area/"align_corners=False"
resize), so::

    x_in = (x_hm + 0.5) * sx - 0.5        x_hm = (x_in + 0.5) / sx - 0.5
    y_in = (y_hm + 0.5) * sy - 0.5        y_hm = (y_in + 0.5) / sy - 0.5

The input extent ``[-0.5, w_in - 0.5]`` maps onto the heatmap extent
``[-0.5, W - 0.5]``, so a horizontal flip of the crop (``x -> w_in-1-x``)
is exactly a flip of the heatmap (``x_hm -> W-1-x_hm``): flip testing needs
no heatmap shift. ``encode`` and ``decode`` use this same mapping, so the
round trip has no systematic bias.
The public attributes ``heatmap_offset = 0.5`` and
``flip_shift_heatmap = False`` state this convention (MMPose's
``MSRAHeatmap`` maps ``x_in = x_hm * s`` and flips with a 1-px shift; see
``kp_ext/codecs/coordinate_convention.py`` for mixing the two).

Encoding
--------
For a keypoint at heatmap position ``(mx, my)`` (real-valued, not rounded)::

    H[k, y, x] = exp(-((x - mx)^2 + (y - my)^2) / (2 sigma^2))

computed separably as the outer product of a 1-D ``y`` and a 1-D ``x``
Gaussian; ``sigma`` is in heatmap pixels. The 1-D factors are set to 0
below ``sqrt(float32 tiny)`` (~1e-19, i.e. beyond ~9.3 sigma) so the maps
hold no denormal floats (slow on CPUs); there is no 3-sigma truncation.
For several instances the maps are combined with an element-wise maximum
(as in MMPose). A keypoint gets
weight 0 (and draws nothing) when it is invisible (``visible < 0.5``),
not finite, or when its 3-sigma support ``[m - 3 sigma, m + 3 sigma]``
misses every pixel centre of the map along x or y (MMPose's 3-sigma rule);
otherwise its weight is its visibility value.

The official Stacked Hourglass code (princeton-vl/pose-hg-train) draws its
targets differently; two options reproduce it (both off by default):

- ``integer_center=True``: the Gaussian is centred on the heatmap pixel
  that contains the keypoint, ``c = trunc(m + 0.5 + 1e-4)`` per axis. The
  official ``transform()`` (src/util/img.lua) maps a point to the
  corner-based heatmap coordinate ``u = m + 0.5`` (pixel ``j`` covers
  ``[j, j+1)``), adds ``1e-4`` and truncates towards zero (``:int()``), so
  ``c`` is ``floor(m + 0.5)`` (round half up) on the map and ``ceil`` left
  of / above it (``u < 0``: one pixel nearer the map than rounding).
- ``window=w`` (odd): values are kept only in the ``w x w`` pixel block
  centred on ``floor(c + 0.5)`` (``c`` the drawn centre) and are 0
  elsewhere; the keypoint draws (and keeps its weight) when that block
  overlaps the map, i.e. ``-r <= floor(c + 0.5) <= W - 1 + r`` with
  ``r = w // 2`` (this replaces the 3-sigma rule). The official
  ``drawGaussian(img, pt, 1)`` pastes ``image.gaussian(7)``: a 7 x 7 block
  (``6 * 1 + 1``) of amplitude 1 and std ``0.25 * 7 = 1.75`` px (torch
  ``image.gaussian``'s default ``sigma`` is relative to the size), i.e.
  ``sigma=1.75, window=7, integer_center=True`` here.

Decoding (``refine``)
---------------------
All modes start at the integer argmax ``(x0, y0)``; the score is the
heatmap value there.

``'gaussian_log'`` (default): along each axis, fit a parabola to the logs
of three consecutive values ``a, b, c`` at positions ``p-1, p, p+1``
(``p = x0`` clipped to ``[1, W-2]``, i.e. the argmax and its neighbours,
or the three pixels at the border when the argmax is on it)::

    x = p + (ln c - ln a) / (2 (2 ln b - ln a - ln c))

The log of a Gaussian is a parabola with its vertex at the centre, and a
2-D Gaussian is separable, so this is exact for an unclipped target (up
to float precision) and costs a handful of operations per keypoint. The
result is clamped to ``[x0 - 0.5, x0 + 0.5]`` (the mode of a symmetric
peak lies within half a pixel of its argmax), widened by 1 heatmap pixel
outwards when the argmax is on the border, so a keypoint up to 1.5 heatmap
pixels beyond the border pixel centre (a partly cut-off Gaussian) still
decodes exactly and a noisy border fit cannot run away. Values are
floored at ``1e-10`` before the log; a non-concave fit
(``2 ln b - ln a - ln c <= 0``) or a non-finite one keeps the argmax on
that axis.

``'quarter'``: ``x = x0 + 0.25 * sign(H[y0, x0+1] - H[y0, x0-1])`` for
``0 < x0 < W-1`` (Newell et al.; MSRA), the same along y.

``'dark'``: blur each map with a ``blur_kernel_size`` Gaussian (OpenCV's
default sigma ``0.3 ((k-1)/2 - 1) + 0.8``, zeros outside the map), rescale to
the original maximum, take ``L = ln max(H, 1e-10)`` and do one Newton step
``x = x0 - Hess(L)^-1 grad(L)`` with central differences (step 1 for the
gradient and the mixed term, step 2 for ``L_xx``/``L_yy``), for argmaxes at
least 2 pixels from the border.

``'pose_hg_train'``: the whole post-processing of the official Stacked
Hourglass code (princeton-vl/pose-hg-train), up to and including the final
image coordinate:

1. ``getPreds`` (src/util/eval.lua @4637618, lines 30-37): the argmax of
   the flattened map (``torch.max`` over ``H * W``), split into the 1-based
   column ``(idx - 1) % W + 1`` and row ``floor((idx - 1) / W) + 1``; here
   ``(x0, y0)`` 0-based (``p = x0 + 1``). Ties: the first maximum in
   row-major order (numpy's ``argmax``).
2. the quarter offset (src/util/pose.lua @4637618 ``postprocess``, lines
   86-96, the condition on line 91):
   ``p += 0.25 * sign(H[y, x+1] - H[y, x-1], H[y+1, x] - H[y-1, x])``
   **only when both** ``1 < pX < outputRes`` and ``1 < pY < outputRes``
   (0-based: ``0 < x0 < W-1`` and ``0 < y0 < H-1``); an argmax on any
   border row/column gets no offset on either axis (``'quarter'`` tests
   each axis alone). ``sign(0) = 0``.
3. ``p:add(0.5)`` (pose.lua:97), then ``transformPreds`` (pose.lua:103;
   src/util/img.lua @d8a6577 lines 67-75) -> ``transform(pt, c, s, 0,
   res, invert)`` (img.lua lines 54-65, ``getTransform`` lines 18-52):
   ``pt - 1``, the inverse crop transform, ``+ 1e-4``, truncation towards
   zero (``:int()``), ``+ 1``: a **whole** 1-based image pixel.

   ``p + 0.5 - 1 = x0 + offset + 0.5`` is the corner-based heatmap
   coordinate of the refined position, i.e. kp_ext's heatmap coordinate
   ``x0 + offset`` (pixel centres at integers). So :meth:`decode` returns
   ``'quarter'``'s crop coordinate (with the both-axes rule), the
   estimator maps it linearly to the image (``x_lin``, 0-based), and
   :meth:`finish_image_keypoints` does the rest: ``trunc(x_lin + 1e-4)``
   (the official 1-based ``trunc(x_lin + 1e-4) + 1``, minus 1 for kp_ext's
   0-based frame). ``TopdownPoseEstimator`` calls it when
   :attr:`rounds_image_keypoints` is True. kp_ext's crop
   (``TopdownAffine``: centre ``c``, size ``h``, input width ``w``) is the
   official ``getTransform(center = c - h / (2 w), scale = h / 200,
   res = W)`` applied to ``pt - 1`` (``c - h / 512`` for a 256 input), so
   the official inverse of that crop is this same ``x_lin``.
   src/misc/predictMPII.m (lines 7, 19-23) writes the coordinates unchanged
   as the MPII ``annopoints`` ``x``, ``y``.

The truncation floors a positive coordinate to the pixel grid (mean bias
-0.5 image px, error up to 1 px on top of the heatmap's); a coordinate in
``(-1, 0)`` goes to 0 (truncation towards zero, not floor). Used through
MMPose's heads (which know nothing of :meth:`finish_image_keypoints`) the
codec decodes as ``'quarter'`` with the both-axes rule, without the
truncation.

``'none'``: the integer argmax.

All-zero maps decode to the argmax at pixel (0, 0) with score 0. Maps
holding NaN or inf (a diverged checkpoint, an fp16 overflow) raise
:class:`~kp_ext.codecs.base.NonFiniteMapError` naming the (sample,
keypoint channel) pairs: decoded, an all-NaN map gave pixel (0, 0) with
score 0 and an inf pixel an infinite score.
"""
from typing import Optional, Sequence, Tuple

import numpy as np

from kp_ext.registry import KEYPOINT_CODECS
from .base import BaseKeypointCodec, as_numpy, check_maps

__all__ = ['GaussianHeatmap']

_LOG_FLOOR = 1e-10
# how far (heatmap px) 'gaussian_log' may place a peak beyond the map extent
_BORDER_EXTRA = 1.0
# stand-in heatmap coordinate for keypoints that draw nothing
_FAR_AWAY = 1e6
# maps blurred per matrix-product call in 'dark' decoding
_DARK_CHUNK = 32
# ln(sqrt(smallest normal float32)): 1-D Gaussian values below it are 0
_LOG_SQRT_TINY = float(0.5 * np.log(np.finfo(np.float32).tiny))
# the official transform() adds 1e-4 before truncating (src/util/img.lua)
_OFFICIAL_EPS = 1e-4


def _as_size(size, name):
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f'{name} must be (w, h) with positive ints, '
                         f'got {size}')
    return size


def _blur_matrix(n: int, kernel_size: int) -> np.ndarray:
    """(n, n) matrix M with ``M @ v`` = v convolved with OpenCV's Gaussian
    kernel of ``kernel_size`` taps, zeros outside the map (as MMPose's DARK
    blur, which pads the map with zeros before ``cv2.GaussianBlur``)."""
    r = kernel_size // 2
    sigma = 0.3 * ((kernel_size - 1) * 0.5 - 1) + 0.8
    offsets = np.arange(-r, r + 1)
    taps = np.exp(-offsets ** 2 / (2 * sigma * sigma))
    taps /= taps.sum()
    diff = np.arange(n)[None, :] - np.arange(n)[:, None]  # j - i
    mat = np.where(np.abs(diff) <= r, taps[np.clip(diff + r, 0, 2 * r)], 0.0)
    return mat


@KEYPOINT_CODECS.register_module()
class GaussianHeatmap(BaseKeypointCodec):
    """Gaussian heatmaps (Newell et al. 2016) with sub-pixel decoding.

    See the module docstring for the exact coordinate mapping, encoding and
    the decoding equations.

    Args:
        input_size (tuple[int, int]): input crop size ``(w, h)``.
        heatmap_size (tuple[int, int]): heatmap size ``(W, H)``.
        sigma (float): Gaussian sigma in heatmap pixels. Default 2.0.
        refine (str): sub-pixel decoder, ``'gaussian_log'`` (default,
            exact log-parabola fit), ``'quarter'``, ``'dark'``,
            ``'pose_hg_train'`` (the official Stacked Hourglass
            post-processing, truncation to whole image pixels included;
            see the module docstring) or ``'none'``.
        blur_kernel_size (int): odd Gaussian kernel size for ``'dark'``.
            Default 11 (matches sigma 2).
        window (int, optional): odd side of the square pixel block the
            Gaussian is truncated to (the official code's 7); None (default)
            draws it untruncated.
        integer_center (bool): centre the Gaussian on the heatmap pixel that
            contains the keypoint, as the official code does. Default False
            (real-valued centre).

    Outputs of :meth:`encode`: ``heatmaps`` (K, H, W) float32 and
    ``keypoint_weights`` (N, K) float32.
    """

    auxiliary_encode_keys = set()
    # coordinate convention (kp_ext.codecs.coordinate_convention):
    # x_in = (x_hm + heatmap_offset) * stride - heatmap_offset (MMPose's
    # MSRAHeatmap: 0), and flip testing needs no heatmap shift (MMPose's
    # ``test_cfg.shift_heatmap`` must be False with this codec)
    heatmap_offset = 0.5
    flip_shift_heatmap = False
    field_mapping_table = dict(heatmaps='heatmaps')
    instance_mapping_table = dict()
    label_mapping_table = dict(keypoint_weights='keypoint_weights')

    REFINE_MODES = ('gaussian_log', 'quarter', 'dark', 'pose_hg_train',
                    'none')

    def __init__(self,
                 input_size: Sequence[int],
                 heatmap_size: Sequence[int],
                 sigma: float = 2.0,
                 refine: str = 'gaussian_log',
                 blur_kernel_size: int = 11,
                 window: Optional[int] = None,
                 integer_center: bool = False) -> None:
        super().__init__()
        self.input_size = _as_size(input_size, 'input_size')
        self.heatmap_size = _as_size(heatmap_size, 'heatmap_size')
        if not sigma > 0:
            raise ValueError(f'sigma must be > 0, got {sigma}')
        if refine not in self.REFINE_MODES:
            raise ValueError(f'refine must be one of {self.REFINE_MODES}, '
                             f'got {refine!r}')
        if blur_kernel_size < 1 or blur_kernel_size % 2 != 1:
            raise ValueError('blur_kernel_size must be a positive odd int, '
                             f'got {blur_kernel_size}')
        if window is not None and (int(window) != window or window < 1
                                   or window % 2 != 1):
            raise ValueError('window must be None or a positive odd int, '
                             f'got {window}')
        self.sigma = float(sigma)
        self.window = None if window is None else int(window)
        self.integer_center = bool(integer_center)
        self.refine = refine
        self.blur_kernel_size = int(blur_kernel_size)
        W, H = self.heatmap_size
        # stride (sx, sy): input pixels per heatmap pixel
        self.stride = np.array(self.input_size, dtype=np.float64) / \
            np.array(self.heatmap_size, dtype=np.float64)
        # encode constants (see _gaussians)
        self._mu_scale = 1.0 / self.stride
        o = self.heatmap_offset
        self._mu_shift = o / self.stride - o
        # a keypoint draws when its support touches the map: the 3-sigma
        # interval of its centre, or (with a window) the window block
        r = 3.0 * self.sigma if self.window is None else self.window // 2
        self._support_lo = np.array([-r, -r])
        self._support_hi = np.array([W - 1 + r, H - 1 + r])
        self._grid_xy = np.concatenate([np.arange(W), np.arange(H)]).astype(
            np.float32)
        self._grid_split = np.array([W, H])
        self._neg_inv_two_var = np.float32(-0.5 / (self.sigma * self.sigma))
        self._dec_shift = o * self.stride - o
        self._blur = None  # DARK's (by, bx^T) blur matrices, built lazily

    # ------------------------------------------------------------------
    # coordinate mapping
    @property
    def rounds_image_keypoints(self) -> bool:
        """True when the decode ends in the image frame (``refine=
        'pose_hg_train'``): the top-down estimator then passes its
        image-space keypoints (float64) through
        :meth:`finish_image_keypoints`."""
        return self.refine == 'pose_hg_train'

    def finish_image_keypoints(self, keypoints: np.ndarray) -> np.ndarray:
        """Last step of the official decode on image coordinates (..., 2)
        in kp_ext's 0-based pixels: ``trunc(x + 1e-4)`` (src/util/img.lua
        @d8a6577 ``transform``: ``(t*pt_):sub(1,2):add(1e-4)``,
        ``:int():add(1)``, 1-based, minus kp_ext's 1-based -> 0-based
        shift). Identity for the other refine modes."""
        xy = np.asarray(keypoints, dtype=np.float64)
        if not self.rounds_image_keypoints:
            return xy
        with np.errstate(invalid='ignore'):
            return np.trunc(xy + _OFFICIAL_EPS)

    def input_to_heatmap(self, coords: np.ndarray) -> np.ndarray:
        """Input-crop pixels (..., 2) -> heatmap pixels (..., 2)."""
        o = self.heatmap_offset
        return (np.asarray(coords, dtype=np.float64) + o) / self.stride - o

    def heatmap_to_input(self, coords: np.ndarray) -> np.ndarray:
        """Heatmap pixels (..., 2) -> input-crop pixels (..., 2)."""
        o = self.heatmap_offset
        return (np.asarray(coords, dtype=np.float64) + o) * self.stride - o

    # ------------------------------------------------------------------
    # encoding
    def _gaussians(self, keypoints, keypoints_visible):
        """Per-instance maps: (N, K, H, W) float32 and weights (N, K)."""
        kpts = np.asarray(keypoints, dtype=np.float64)
        if kpts.ndim != 3 or kpts.shape[-1] < 2:
            raise ValueError('keypoints must have shape (N, K, 2), got '
                             f'{kpts.shape}')
        kpts = kpts[..., :2]
        N, K = kpts.shape[:2]
        if keypoints_visible is None:
            vis = None
        else:
            vis = np.asarray(keypoints_visible, dtype=np.float64)
            if vis.ndim == 3:  # (N, K, 1|2) visibility
                vis = vis[..., 0]
            if vis.shape != (N, K):
                raise ValueError('keypoints_visible must have shape '
                                 f'{(N, K)}, got {vis.shape}')
        W = self.heatmap_size[0]
        # heatmap coords: mu = (kpt + 0.5) / stride - 0.5 = kpt * a + b
        mu = kpts * self._mu_scale + self._mu_shift  # (N, K, 2)
        if self.integer_center:
            # the official transform(): trunc(u + 1e-4), u = mu + 0.5
            with np.errstate(invalid='ignore'):
                mu = np.trunc(mu + (0.5 + _OFFICIAL_EPS))
        # support touches the map (NaN coordinates compare False)
        block = mu if self.window is None else np.floor(mu + 0.5)
        valid = ((block >= self._support_lo)
                 & (block <= self._support_hi)).all(axis=-1)
        if vis is None:
            weights = valid.astype(np.float32)
        else:
            valid &= vis >= 0.5
            weights = np.multiply(vis, valid, dtype=np.float32)
        # invalid keypoints are moved far away: their Gaussian underflows
        # to exactly 0, so they draw nothing
        mu = np.where(valid[..., None], mu, _FAR_AWAY).astype(np.float32)
        # one pass for both 1-D Gaussians: [x-part (W) | y-part (H)]
        g = self._grid_xy - np.repeat(mu, self._grid_split, axis=-1)
        if self.window is not None:
            # pixels outside the window block around floor(mu + 0.5)
            outside = np.abs(self._grid_xy - np.repeat(
                np.floor(mu + 0.5), self._grid_split, axis=-1)) \
                > self.window // 2
        g *= g
        g *= self._neg_inv_two_var
        # flush 1-D values below sqrt(float32 tiny) to 0, so that no
        # product is a (slow) denormal; it cuts the Gaussian at ~9.3 sigma
        np.copyto(g, -np.inf, where=g < _LOG_SQRT_TINY)
        if self.window is not None:
            np.copyto(g, -np.inf, where=outside)
        np.exp(g, out=g)
        heatmaps = g[..., W:, None] * g[..., None, :W]
        return heatmaps, weights

    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Encode keypoints into one set of heatmaps.

        Args:
            keypoints (np.ndarray): (N, K, 2) in input-crop pixels.
            keypoints_visible (np.ndarray, optional): (N, K), default all 1.

        Returns:
            dict: ``heatmaps`` (K, H, W) float32 (maximum over the N
            instances) and ``keypoint_weights`` (N, K) float32.
        """
        maps, weights = self._gaussians(keypoints, keypoints_visible)
        if maps.shape[0] == 1:
            heatmaps = maps[0]
        elif maps.shape[0] == 0:
            W, H = self.heatmap_size
            heatmaps = np.zeros((maps.shape[1], H, W), dtype=np.float32)
        else:
            heatmaps = maps.max(axis=0)
        return dict(heatmaps=heatmaps, keypoint_weights=weights)

    def batch_encode(self,
                     keypoints: np.ndarray,
                     keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Encode B single-instance samples at once, each on its own maps.

        Args:
            keypoints (np.ndarray): (B, K, 2) in input-crop pixels.
            keypoints_visible (np.ndarray, optional): (B, K).

        Returns:
            dict: ``heatmaps`` (B, K, H, W) float32, ``keypoint_weights``
            (B, K) float32; ``heatmaps[b]`` equals
            ``encode(keypoints[b:b+1], keypoints_visible[b:b+1])['heatmaps']``.
        """
        heatmaps, weights = self._gaussians(keypoints, keypoints_visible)
        return dict(heatmaps=heatmaps, keypoint_weights=weights)

    # ------------------------------------------------------------------
    # decoding
    def decode(self, encoded: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Decode heatmaps (K, H, W) into keypoints (1, K, 2) in input-crop
        pixels and scores (1, K) (the heatmap maximum)."""
        heatmaps = np.asarray(encoded)
        if heatmaps.ndim != 3:
            raise ValueError('decode expects heatmaps (K, H, W), got '
                             f'{heatmaps.shape}')
        keypoints, scores = self.batch_decode_arrays(heatmaps[None])
        return keypoints, scores

    def batch_decode(self, batch_encoded
                     ) -> Tuple[np.ndarray, np.ndarray]:
        """Decode a batch (B, K, H, W) (array, CPU tensor or sequence of
        (K, H, W)) in one vectorised pass, with MMPose's contract: returns
        ``(batch_keypoints (B, 1, K, 2), batch_scores (B, 1, K))``, so
        ``batch_keypoints[b]`` is sample b's (N=1, K, 2)."""
        keypoints, scores = self.batch_decode_arrays(
            as_numpy(batch_encoded))
        return keypoints[:, None], scores[:, None]

    def batch_decode_arrays(
            self, heatmaps: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Vectorised decode: heatmaps (B, K, H, W) -> keypoints (B, K, 2)
        float32 in input-crop pixels, scores (B, K) float32."""
        hm = np.asarray(heatmaps)
        if hm.ndim != 4:
            raise ValueError('batch decode expects heatmaps (B, K, H, W), '
                             f'got {hm.shape}')
        check_maps(hm, self.heatmap_size, type(self).__name__, finite=True)
        if hm.dtype.kind != 'f':
            hm = hm.astype(np.float32)
        B, K, H, W = hm.shape
        flat = hm.reshape(B * K, H * W)
        idx, vals = self._argmax(flat)
        # integer argmax as (M, 2) [x0, y0]
        xy0 = np.stack(np.divmod(idx, W)[::-1], axis=-1)
        if self.refine == 'gaussian_log':
            xy = self._refine_gaussian_log(flat, idx, xy0, W, H)
        elif self.refine == 'quarter':
            xy = self._refine_quarter(flat, idx, xy0, W, H)
        elif self.refine == 'pose_hg_train':
            xy = self._refine_quarter(flat, idx, xy0, W, H, both_axes=True)
        elif self.refine == 'dark':
            xy = self._refine_dark(flat, xy0, vals, W, H)
        else:
            xy = xy0
        coords = xy * self.stride + self._dec_shift  # (xy + .5) s - .5
        keypoints = coords.astype(np.float32).reshape(B, K, 2)
        scores = vals.astype(np.float32).reshape(B, K)
        return keypoints, scores

    @staticmethod
    def _argmax(flat: np.ndarray):
        """Row-wise argmax and max of (M, P). The maps are finite here
        (``check_maps(finite=True)`` raised ``NonFiniteMapError`` before),
        so no NaN handling: the NaN-skipping search it once had could no
        longer run."""
        idx = flat.argmax(axis=1)
        vals = np.take_along_axis(flat, idx[:, None], axis=1)[:, 0]
        return idx, vals

    @staticmethod
    def _neighbour_offsets(W, H):
        """Flat-index offsets of the 3-point stencils along x and y, and
        the valid range of the stencil centre per axis."""
        ox = (-1, 0, 1) if W >= 3 else (0, 0, 0)  # degenerate: no refine
        oy = (-W, 0, W) if H >= 3 else (0, 0, 0)
        lo = np.array([1 if W >= 3 else 0, 1 if H >= 3 else 0])
        hi = np.array([W - 2 if W >= 3 else W - 1,
                       H - 2 if H >= 3 else H - 1])
        return np.array(ox + oy), lo, hi

    def _refine_gaussian_log(self, flat, idx, xy0, W, H):
        M = flat.shape[0]
        offsets, lo, hi = self._neighbour_offsets(W, H)
        # stencil centre: the argmax, moved inwards when on the border
        centre = np.minimum(np.maximum(xy0, lo), hi)  # (M, 2)
        shift = centre - xy0
        base = idx + np.arange(M) * (H * W) + shift[:, 0] + shift[:, 1] * W
        v = flat.take(base[:, None] + offsets)  # (M, 6): x stencil, y stencil
        v = np.log(np.maximum(v, _LOG_FLOOR, dtype=np.float64))
        a, b, c = v[:, 0::3], v[:, 1::3], v[:, 2::3]  # (M, 2) each
        den = 2.0 * (2.0 * b - a - c)
        # vertex of the parabola through (-1, a), (0, b), (1, c); a
        # non-concave or non-finite fit keeps the argmax (dividing by +inf
        # instead of <= 0 avoids floating-point warnings)
        concave = den > 0
        off = (c - a) / np.where(concave, den, np.inf)
        xy = np.where(concave & np.isfinite(off), centre + off, xy0)
        # within half a pixel of the argmax, +_BORDER_EXTRA outwards at the
        # border
        size = self._size_m1(W, H)
        lo_b = np.where(xy0 == 0, -0.5 - _BORDER_EXTRA, -0.5)
        hi_b = np.where(xy0 == size, 0.5 + _BORDER_EXTRA, 0.5)
        return np.minimum(np.maximum(xy, xy0 + lo_b), xy0 + hi_b)

    @staticmethod
    def _size_m1(W, H):
        return np.array([W - 1, H - 1])

    def _refine_quarter(self, flat, idx, xy0, W, H, both_axes=False):
        M = flat.shape[0]
        # 0 < x0 < W-1 (resp. y); elsewhere the stencil collapses to the
        # argmax itself and the difference is 0
        inner = (xy0 > 0) & (xy0 < self._size_m1(W, H))  # (M, 2)
        if both_axes:
            # pose.lua:91: offset only if the argmax is interior on both
            # axes (`pX > 1 and pX < res and pY > 1 and pY < res`)
            inner = inner & inner.all(axis=1, keepdims=True)
        step = np.array([1, W]) * inner  # flat-index step along x, y
        pos = (idx + np.arange(M) * (H * W))[:, None]
        d = (flat.take(pos + step).astype(np.float64)
             - flat.take(pos - step))  # H[+1] - H[-1], (M, 2)
        return xy0 + np.where(d > 0, 0.25, np.where(d < 0, -0.25, 0.0))

    def _refine_dark(self, flat, xy0, vals, W, H):
        M = flat.shape[0]
        if self._blur is None or self._blur[0].shape[0] != H \
                or self._blur[1].shape[0] != W:
            self._blur = (
                _blur_matrix(H, self.blur_kernel_size).astype(np.float32),
                np.ascontiguousarray(
                    _blur_matrix(W, self.blur_kernel_size).T, np.float32))
        by, bxt = self._blur  # blurred = by @ map @ bx^T
        src = flat.reshape(M, H, W).astype(np.float32)
        # the maps are finite (checked), but float64 values beyond the
        # float32 range become inf in this cast: those pixels are zeroed
        bad = ~np.isfinite(src)
        if bad.any():
            src[bad] = 0.0
        blurred = np.empty_like(src)  # (M, H, W), in cache-sized chunks
        for i in range(0, M, _DARK_CHUNK):
            np.matmul(np.matmul(by, src[i:i + _DARK_CHUNK]), bxt,
                      out=blurred[i:i + _DARK_CHUNK])
        xy = xy0.astype(np.float64)
        x0, y0 = xy0[:, 0], xy0[:, 1]
        ok = (x0 >= 2) & (x0 <= W - 3) & (y0 >= 2) & (y0 <= H - 3)
        if not ok.any():
            return xy
        m = np.nonzero(ok)[0]
        # rescale each map to its original maximum (DARK's modulation);
        # it only matters through the log floor
        bmax = blurred.reshape(M, -1).max(axis=1)[m].astype(np.float64)
        v = vals[m].astype(np.float64)
        scale = np.where(bmax > 0, v / np.where(bmax > 0, bmax, 1.0), 1.0)
        # the 13-point stencil around each argmax, logs only there
        sy = np.array([0, 0, 0, 1, -1, 0, 0, 2, -2, 1, -1, 1, -1])
        sx = np.array([0, 1, -1, 0, 0, 2, -2, 0, 0, 1, 1, -1, -1])
        pts = blurred[m[:, None], y0[m][:, None] + sy, x0[m][:, None] + sx]
        L = np.log(np.maximum(pts * scale[:, None], _LOG_FLOOR))
        (c, xp, xm, yp, ym, x2p, x2m, y2p, y2m,
         pp, mp, pm, mm) = L.T  # pp: (y+1, x+1), mp: (y-1, x+1), ...
        gx = 0.5 * (xp - xm)
        gy = 0.5 * (yp - ym)
        hxx = 0.25 * (x2p - 2 * c + x2m)
        hyy = 0.25 * (y2p - 2 * c + y2m)
        hxy = 0.25 * (pp - mp - pm + mm)
        det = hxx * hyy - hxy * hxy
        safe = np.where(det != 0, det, np.inf)
        ox = -(hyy * gx - hxy * gy) / safe
        oy = -(-hxy * gx + hxx * gy) / safe
        good = np.isfinite(ox) & np.isfinite(oy)
        xy[m, 0] += np.where(good, ox, 0.0)
        xy[m, 1] += np.where(good, oy, 0.0)
        return xy
