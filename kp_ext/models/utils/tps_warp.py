"""Thin-plate-spline (TPS) warps in torch, batched, for equivariance training.

Conventions
-----------
Pixel coordinates: x right, y down, pixel centres at integers; an image of
size (W, H) covers ``[-0.5, W - 0.5] x [-0.5, H - 0.5]``. Images are
resampled with ``torch.nn.functional.grid_sample(..., align_corners=False)``
and the exact pixel -> grid mapping ``x_g = (2 x + 1) / W - 1`` (so the
pixel centre ``x`` lands on the centre of texel ``x``).

Direction (the one thing to get right)
--------------------------------------
A :class:`TPS` object ``T`` is always the *backward* map used to resample
an image: it maps a pixel ``u'`` of the **warped** image to the location
``T(u')`` in the **source** image,

    x'(u') = x(T(u'))            (``warp_images``, one ``grid_sample``)

so ``T.warp_points`` / ``T(points)`` maps *warped-image* coordinates to
*source-image* coordinates, exactly and consistently with the image warp
(no TPS inversion anywhere in training). In the paper's notation the image
deformation is ``g = T^{-1}`` (content at ``p`` moves to ``g(p)``), and the
alignment constraint ``Phi(x o g^{-1}) = g(Phi(x))`` becomes

    T(Phi(x')) = Phi(x)                                   (*)

landmarks detected in the warped image, mapped back through ``T``, equal
the landmarks of the source image. ``EquivarianceLoss`` uses (*) verbatim.
:meth:`TPS.inverse` (Newton iterations) gives ``g = T^{-1}`` numerically for
visualisation/tests only.

TPS model
---------
``T(p) = a_0 + A p + sum_i w_i U(|p - c_i|)``, ``U(r) = r^2 log r`` (the
kernel of ``scipy.interpolate.RBFInterpolator(kernel='thin_plate_spline')``)
fitted to control points ``c_i -> y_i`` by the standard linear system

    [ K + lambda I   P ] [w]   [y]
    [ P^T            0 ] [a] = [0],   K_ij = U(|c_i - c_j|), P_i = [1, c_i]

(``lambda`` = ``reg`` is in pixel units, the same as scipy's ``smoothing``).
Internally points are expressed in a normalised frame
``p~ = (p - origin) / scale`` (float32-friendly); because the TPS
interpolant is scale invariant up to ``lambda~ = lambda / scale^2`` the
result is identical to fitting in pixels.

Random warps (:class:`TPSWarp`)
-------------------------------
Control points ``c_i``: a regular ``num_ctrl x num_ctrl`` grid over the
*warped* (output) image (shared by the batch, so the system matrix is
inverted once and cached). Targets ``y_i = A (c_i - centre) + centre + t +
delta_i`` with ``A = R(theta) diag(s_x, s_y) [[1, sh], [0, 1]]`` and
``delta_i ~ N(0, ctrl_sigma^2)``; translations and ``ctrl_sigma`` are in
units of half the larger image side. Folding warps are rejected: the
Jacobian determinant of ``T`` is checked on a grid; samples with
``det <= min_det`` get their control-point perturbation halved (and refitted)
up to ``max_shrink`` times, then dropped to the pure affine part (whose
determinant ``s_x s_y`` is always positive).
"""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from kp_ext.registry import MODELS

__all__ = [
    'TPS', 'TPSWarp', 'tps_kernel', 'fit_tps', 'tps_warp_images',
    'pixel_grid', 'pixel_to_grid_sample', 'make_fse_pair'
]

SizeWH = Tuple[int, int]


def tps_kernel(r2: Tensor) -> Tensor:
    """``U = r^2 log r`` from squared distances ``r2`` (0 where r == 0)."""
    # r^2 log r = 0.5 r^2 log r^2; clamp keeps log finite, result exact 0.
    return 0.5 * r2 * torch.log(r2.clamp_min(1e-20))


def pixel_grid(height: int, width: int, device=None,
               dtype=torch.float32) -> Tensor:
    """Pixel-centre coordinates (H*W, 2) as (x, y), row-major."""
    ys = torch.arange(height, device=device, dtype=dtype)
    xs = torch.arange(width, device=device, dtype=dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=-1)


def pixel_to_grid_sample(points: Tensor, size_wh: SizeWH) -> Tensor:
    """Pixel coords -> ``grid_sample`` coords for ``align_corners=False``."""
    w, h = size_wh
    scale = points.new_tensor([2.0 / w, 2.0 / h])
    return (points * scale) + (scale * 0.5 - 1.0)


def _sq_dist(points: Tensor, ctrl: Tensor) -> Tensor:
    """Squared distances (..., N, n) via ``|p|^2 + |c|^2 - 2 p.c`` (one
    matmul, no (..., N, n, 2) intermediate)."""
    cross = torch.matmul(points, ctrl.transpose(-1, -2))
    p2 = (points * points).sum(-1, keepdim=True)
    c2 = (ctrl * ctrl).sum(-1).unsqueeze(-2)
    return (p2 + c2 - 2.0 * cross).clamp_min_(0.0)


def _basis(points: Tensor, ctrl: Tensor) -> Tensor:
    """TPS basis rows ``[U(|p - c_1|) .. U(|p - c_n|), 1, x, y]``.

    points (..., N, 2), ctrl (n, 2) or (B, n, 2) -> (..., N, n + 3).
    """
    r2 = _sq_dist(points, ctrl)
    ones = torch.ones_like(points[..., :1])
    return torch.cat([tps_kernel(r2), ones, points], dim=-1)


def _system_matrix(ctrl: Tensor, reg: float) -> Tensor:
    """The (n+3, n+3) TPS system matrix (batched if ctrl is (B, n, 2))."""
    n = ctrl.shape[-2]
    diff = ctrl.unsqueeze(-2) - ctrl.unsqueeze(-3)
    k = tps_kernel((diff * diff).sum(-1))
    if reg:
        k = k + reg * torch.eye(n, dtype=ctrl.dtype, device=ctrl.device)
    p = torch.cat([torch.ones_like(ctrl[..., :1]), ctrl], dim=-1)
    top = torch.cat([k, p], dim=-1)
    zeros = ctrl.new_zeros(ctrl.shape[:-2] + (3, 3))
    bottom = torch.cat([p.transpose(-1, -2), zeros], dim=-1)
    return torch.cat([top, bottom], dim=-2)


class TPS:
    """A batch of fitted thin-plate splines (the backward map ``T``).

    Maps points of the warped (output) image to the source image, in pixel
    coordinates. Build with :func:`fit_tps` or :meth:`TPSWarp.sample`.

    Args:
        ctrl (Tensor): control points in the normalised frame, (n, 2)
            shared by the batch or (B, n, 2).
        params (Tensor): (B, n + 3, 2) kernel weights then affine rows
            ``a_0, a_x, a_y`` in the normalised frame.
        origin (Tensor): (2,) pixel origin of the normalised frame.
        scale (float): pixels per normalised unit.
        image_size (tuple, optional): (w, h) of the images the map is
            defined on (output and source; used by ``warp_images``).
    """

    def __init__(self, ctrl: Tensor, params: Tensor, origin: Tensor,
                 scale: float, image_size: Optional[SizeWH] = None):
        self.ctrl = ctrl
        self.params = params
        self.origin = origin.to(params)
        self.scale = float(scale)
        self.image_size = (tuple(int(v) for v in image_size)
                           if image_size is not None else None)

    @property
    def batch_size(self) -> int:
        return self.params.shape[0]

    def __len__(self) -> int:
        return self.batch_size

    def _normalise(self, points: Tensor) -> Tensor:
        return (points - self.origin.to(points)) / self.scale

    def _eval_norm(self, pn: Tensor) -> Tensor:
        """Evaluate in the normalised frame: pn (B, N, 2) or (N, 2)."""
        params = self.params.to(pn.dtype)
        ctrl = self.ctrl.to(pn.dtype)
        if pn.dim() == 2 and ctrl.dim() == 3:
            pn = pn.unsqueeze(0).expand(self.batch_size, -1, -1)
        n = ctrl.shape[-2]
        # shared points and control grid: one (N, n) kernel for the batch
        r2 = _sq_dist(pn, ctrl)
        if torch.is_grad_enabled() and (pn.requires_grad
                                        or params.requires_grad):
            u = tps_kernel(r2)
        else:  # in place: no autograd, ~2x less memory traffic
            u = r2.clamp_min(1e-20).log_().mul_(r2).mul_(0.5)
        return (torch.matmul(u, params[..., :n, :]) +
                torch.matmul(pn, params[..., n + 1:, :]) +
                params[..., n:n + 1, :])

    def __call__(self, points: Tensor) -> Tensor:
        return self.warp_points(points)

    def warp_points(self, points: Tensor) -> Tensor:
        """``T(points)``: warped-image pixels -> source-image pixels.

        points: (B, N, 2), or (N, 2) applied to every sample -> (B, N, 2).
        """
        if points.shape[-1] != 2:
            raise ValueError(f'points must end with 2 coords, got '
                             f'{tuple(points.shape)}')
        if points.dim() == 3 and points.shape[0] != self.batch_size:
            raise ValueError(f'points batch {points.shape[0]} != TPS batch '
                             f'{self.batch_size}')
        out = self._eval_norm(self._normalise(points))
        return out * self.scale + self.origin.to(out)

    def jacobian(self, points: Tensor) -> Tensor:
        """Jacobian dT/dp (B, N, 2, 2) at pixel points (B, N, 2) or (N, 2);
        ``J[..., i, j] = d T_i / d p_j`` (dimensionless, frame-independent).
        """
        pn = self._normalise(points)
        if pn.dim() == 2:
            pn = pn.unsqueeze(0).expand(self.batch_size, -1, -1)
        params = self.params.to(pn.dtype)
        ctrl = self.ctrl.to(pn.dtype)
        n = ctrl.shape[-2]
        if ctrl.dim() == 2:
            diff = pn.unsqueeze(-2) - ctrl  # (B, N, n, 2)
        else:
            diff = pn.unsqueeze(-2) - ctrl.unsqueeze(-3)
        r2 = (diff * diff).sum(-1)
        # d/dp [r^2 log r] = (p - c) (2 log r + 1) = (p - c)(log r^2 + 1)
        g = torch.where(r2 > 0, torch.log(r2.clamp_min(1e-20)) + 1.0,
                        torch.zeros_like(r2))
        dk = diff * g.unsqueeze(-1)  # (B, N, n, 2): dU_i/dp_j
        w = params[:, :n]  # (B, n, 2)
        # J[i, j] = sum_k w[k, i] dU_k/dp_j + a_{1+j}[i]
        jac = torch.einsum('bki,bnkj->bnij', w, dk)
        affine = params[:, n + 1:n + 3].transpose(-1, -2)  # (B, 2(i), 2(j))
        return jac + affine.unsqueeze(1)

    def jacobian_det(self, points: Tensor) -> Tensor:
        """det dT/dp at points -> (B, N); <= 0 means a fold."""
        j = self.jacobian(points)
        return j[..., 0, 0] * j[..., 1, 1] - j[..., 0, 1] * j[..., 1, 0]

    def inverse(self, points: Tensor, num_iters: int = 30) -> Tensor:
        """``T^{-1}(points)`` (source -> warped pixels) by Newton's method.

        Not used in training (no closed form); for visualisation/tests.
        Starts from the inverse of the affine part.
        """
        if points.dim() == 2:
            points = points.unsqueeze(0).expand(self.batch_size, -1, -1)
        n = self.ctrl.shape[-2]
        params = self.params.to(points.dtype)
        a0 = params[:, n] * self.scale + self.origin.to(points)
        aff = params[:, n + 1:n + 3].transpose(-1, -2)  # (B, 2, 2)
        # affine part in pixels: T_aff(p) = aff (p - origin) + a0
        rhs = (points - a0.unsqueeze(1)).unsqueeze(-1)
        u = (torch.linalg.solve(aff.unsqueeze(1), rhs).squeeze(-1) +
             self.origin.to(points))
        for _ in range(num_iters):
            res = self.warp_points(u) - points
            jac = self.jacobian(u)
            u = u - torch.linalg.solve(jac, res.unsqueeze(-1)).squeeze(-1)
        return u

    def warp_images(self, images: Tensor, out_size: Optional[SizeWH] = None,
                    padding_mode: str = 'zeros',
                    mode: str = 'bilinear') -> Tensor:
        """Resample ``images`` (B, C, H, W): ``out(u') = images(T(u'))``."""
        return tps_warp_images(images, self, out_size, padding_mode, mode)

    def index(self, idx) -> 'TPS':
        """Sub-batch selection (``idx`` tensor/slice over the batch)."""
        ctrl = self.ctrl if self.ctrl.dim() == 2 else self.ctrl[idx]
        return TPS(ctrl, self.params[idx], self.origin, self.scale,
                   self.image_size)

    def to(self, *args, **kwargs) -> 'TPS':
        return TPS(self.ctrl.to(*args, **kwargs),
                   self.params.to(*args, **kwargs),
                   self.origin.to(*args, **kwargs), self.scale,
                   self.image_size)

    def __repr__(self) -> str:
        return (f'TPS(batch={self.batch_size}, num_ctrl='
                f'{self.ctrl.shape[-2]}, image_size={self.image_size})')


def fit_tps(ctrl: Tensor, targets: Tensor, reg: float = 0.0,
            image_size: Optional[SizeWH] = None,
            origin: Optional[Tensor] = None,
            scale: Optional[float] = None) -> TPS:
    """Fit ``T`` with ``T(ctrl_i) = targets_i`` (exactly when ``reg=0``).

    Args:
        ctrl: (n, 2) or (B, n, 2) control points in pixels (the domain).
        targets: (B, n, 2) or (n, 2) values ``T(ctrl)`` in pixels.
        reg: ``lambda`` added to the kernel diagonal (pixel units, same
            as scipy's ``RBFInterpolator(smoothing=...)``).
        image_size: (w, h), stored on the result; it also fixes the
            default normalised frame (centre, half the larger side).
    Solved in float64 with ``torch.linalg.solve``; the result keeps the
    dtype of ``targets``.
    """
    if targets.dim() == 2:
        targets = targets.unsqueeze(0)
    dtype = targets.dtype
    if origin is None:
        if image_size is not None:
            origin = targets.new_tensor([(image_size[0] - 1) / 2.0,
                                         (image_size[1] - 1) / 2.0])
        else:
            c = ctrl.reshape(-1, 2)
            origin = (c.amin(0) + c.amax(0)) / 2.0
    origin = origin.to(device=targets.device, dtype=dtype)
    if scale is None:
        if image_size is not None:
            scale = max(image_size) / 2.0
        else:
            c = ctrl.reshape(-1, 2)
            scale = float((c.amax(0) - c.amin(0)).max()) / 2.0 or 1.0
    cn = ((ctrl.to(torch.float64) - origin.double()) / scale)
    yn = ((targets.to(torch.float64) - origin.double()) / scale)
    lhs = _system_matrix(cn, reg / scale**2)
    rhs = torch.cat([yn, yn.new_zeros(yn.shape[:-2] + (3, 2))], dim=-2)
    params = torch.linalg.solve(lhs, rhs)  # a shared lhs broadcasts
    return TPS(cn.to(dtype), params.to(dtype), origin, scale, image_size)


def tps_warp_images(images: Tensor, tps, out_size: Optional[SizeWH] = None,
                    padding_mode: str = 'zeros',
                    mode: str = 'bilinear') -> Tensor:
    """``out(u') = images(tps(u'))`` for every output pixel ``u'``.

    ``tps`` is a :class:`TPS` or any callable mapping output pixel coords
    (B, N, 2) (or (N, 2)) to source pixel coords (B, N, 2). Uses
    ``grid_sample(align_corners=False)`` with exact pixel-centre mapping.
    """
    b, _, h, w = images.shape
    ow, oh = out_size if out_size is not None else (w, h)
    grid = _grid_cache(oh, ow, images.device, torch.float32)
    src = tps(grid)
    if src.shape[0] != b:
        raise ValueError(f'warp batch {src.shape[0]} != images batch {b}')
    g = pixel_to_grid_sample(src, (w, h)).reshape(b, oh, ow, 2)
    return F.grid_sample(images, g.to(images.dtype), mode=mode,
                         padding_mode=padding_mode, align_corners=False)


_GRID_CACHE = {}


def _grid_cache(h: int, w: int, device, dtype) -> Tensor:
    key = (h, w, str(device), dtype)
    grid = _GRID_CACHE.get(key)
    if grid is None:
        grid = pixel_grid(h, w, device, dtype)
        if len(_GRID_CACHE) > 32:
            _GRID_CACHE.clear()
        _GRID_CACHE[key] = grid
    return grid


class _Composed:
    """``p -> outer(inner(p))`` (e.g. ``T1 o T2``), batched."""

    def __init__(self, outer, inner):
        self.outer, self.inner = outer, inner

    def __call__(self, points):
        return self.outer(self.inner(points))


@MODELS.register_module()
class TPSWarp(nn.Module):
    """Random batched TPS warps (backward maps ``T``; see module doc).

    Registered in ``MODELS`` so an estimator can build it from a config;
    it has no parameters (buffers only follow ``.to(device)``).

    Args:
        num_ctrl (int): control grid ``num_ctrl x num_ctrl`` (>= 2).
        ctrl_sigma (float): std of the Gaussian control-point displacement,
            in units of half the larger image side (0.05 on 96 px ~ 2.4 px).
        rotation (float): max |rotation| in degrees (uniform).
        scale (tuple): (min, max) isotropic scale of the backward map
            (uniform in log space); >1 zooms out.
        aspect (float): max |log| anisotropy (s_x = s e^a, s_y = s e^-a).
        translation (float): max |translation| per axis, in units of half
            the larger image side (uniform).
        shear (float): max |shear| coefficient (uniform).
        reg (float): TPS regularisation ``lambda`` (pixel units).
        min_det (float): Jacobian-determinant threshold for accepting a
            sample (> 0 rejects folds).
        max_shrink (int): halvings of the perturbation before falling back
            to the affine part.
        check_grid (int): Jacobian checked on ``check_grid^2`` points.
        padding_mode (str): ``grid_sample`` padding ('zeros', 'border',
            'reflection').
        compose (bool): in :meth:`make_pair`, sample ``x2`` directly from
            ``x`` through ``T1 o T2`` (one interpolation) instead of from
            ``x1`` (two interpolations). Both give ``x2 = x1 o T2`` inside
            ``x1``'s frame; with ``compose`` pixels that ``T2`` maps outside
            ``x1`` show the source content instead of padding.
        pair_mode (str): how :meth:`make_pair` builds ``x1``:
            ``'two_warps'`` (default; ``x1 = x o T1``, as the public FSE, DVE
            and IMM code do, benchmarks/RESULTS_fse_warps.md) or
            ``'image_and_warp'`` (``x1 = x`` unwarped, ``T1`` = identity).
            ``x2 = x1 o T2`` either way.
    """

    PAIR_MODES = ('two_warps', 'image_and_warp')

    def __init__(self,
                 num_ctrl: int = 5,
                 ctrl_sigma: float = 0.04,
                 rotation: float = 15.0,
                 scale: Sequence[float] = (0.9, 1.1),
                 aspect: float = 0.05,
                 translation: float = 0.05,
                 shear: float = 0.05,
                 reg: float = 0.0,
                 min_det: float = 0.1,
                 max_shrink: int = 4,
                 check_grid: int = 17,
                 padding_mode: str = 'zeros',
                 compose: bool = True,
                 pair_mode: str = 'two_warps'):
        super().__init__()
        if pair_mode not in self.PAIR_MODES:
            raise ValueError(f'TPSWarp: pair_mode must be one of '
                             f'{self.PAIR_MODES}, got {pair_mode!r}')
        if num_ctrl < 2:
            raise ValueError(f'num_ctrl must be >= 2, got {num_ctrl}')
        if max_shrink < 0:
            raise ValueError(f'max_shrink must be >= 0, got {max_shrink}')
        if scale[0] <= 0 or scale[1] < scale[0]:
            raise ValueError(f'scale range must be 0 < min <= max: {scale}')
        self.num_ctrl = int(num_ctrl)
        self.ctrl_sigma = float(ctrl_sigma)
        self.rotation = float(rotation)
        self.scale_range = (float(scale[0]), float(scale[1]))
        self.aspect = float(aspect)
        self.translation = float(translation)
        self.shear = float(shear)
        self.reg = float(reg)
        self.min_det = float(min_det)
        self.max_shrink = int(max_shrink)
        self.check_grid = int(check_grid)
        self.padding_mode = padding_mode
        self.compose = bool(compose)
        self.pair_mode = pair_mode
        self.register_buffer('_dummy', torch.zeros(0), persistent=False)
        self._cache = {}

    # -- construction of the fixed control grid and its inverse system ----
    def _frame(self, image_size: SizeWH):
        w, h = image_size
        key = (w, h, str(self._dummy.device))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        device = self._dummy.device
        origin = torch.tensor([(w - 1) / 2.0, (h - 1) / 2.0],
                              dtype=torch.float64, device=device)
        scale = max(w, h) / 2.0
        xs = torch.linspace(0, w - 1, self.num_ctrl, dtype=torch.float64,
                            device=device)
        ys = torch.linspace(0, h - 1, self.num_ctrl, dtype=torch.float64,
                            device=device)
        gy, gx = torch.meshgrid(ys, xs, indexing='ij')
        ctrl = (torch.stack([gx.reshape(-1), gy.reshape(-1)], -1) -
                origin) / scale
        n = ctrl.shape[0]
        lhs = _system_matrix(ctrl, self.reg / scale**2)
        # params = lhs^{-1} [y; 0] = lhs^{-1}[:, :n] y
        solve_mat = torch.linalg.inv(lhs)[:, :n].float()
        check = torch.stack(torch.meshgrid(
            torch.linspace(-0.5, h - 0.5, self.check_grid, device=device),
            torch.linspace(-0.5, w - 0.5, self.check_grid, device=device),
            indexing='ij')[::-1], -1).reshape(-1, 2)
        hit = dict(origin=origin.float(), scale=scale, ctrl=ctrl.float(),
                   solve=solve_mat, check=check)
        self._cache[key] = hit
        return hit

    def _affine(self, b: int, device, gen) -> Tuple[Tensor, Tensor]:
        """Random (B, 2, 2) linear parts and (B, 2) translations."""

        def uni(lo, hi):
            return torch.rand(b, device=device, generator=gen) * (hi - lo) + lo

        theta = uni(-self.rotation, self.rotation) * (math.pi / 180.0)
        log_s = uni(math.log(self.scale_range[0]),
                    math.log(self.scale_range[1]))
        asp = uni(-self.aspect, self.aspect)
        sh = uni(-self.shear, self.shear)
        sx, sy = torch.exp(log_s + asp), torch.exp(log_s - asp)
        c, s = torch.cos(theta), torch.sin(theta)
        rot = torch.stack([torch.stack([c, -s], -1),
                           torch.stack([s, c], -1)], -2)
        diag = torch.diag_embed(torch.stack([sx, sy], -1))
        shear = torch.eye(2, device=device).repeat(b, 1, 1)
        shear[:, 0, 1] = sh
        lin = rot @ diag @ shear
        t = torch.stack([uni(-self.translation, self.translation),
                         uni(-self.translation, self.translation)], -1)
        return lin, t

    def sample(self, batch_size: int, image_size: SizeWH,
               generator: Optional[torch.Generator] = None) -> TPS:
        """Draw ``batch_size`` fold-free backward maps for (w, h) images."""
        fr = self._frame(tuple(image_size))
        device = fr['ctrl'].device
        ctrl, solve = fr['ctrl'], fr['solve']
        lin, t = self._affine(batch_size, device, generator)
        base = ctrl.unsqueeze(0) @ lin.transpose(-1, -2) + t.unsqueeze(1)
        delta = torch.randn(batch_size, ctrl.shape[0], 2, device=device,
                            generator=generator) * self.ctrl_sigma
        factor = torch.ones(batch_size, 1, 1, device=device)
        for attempt in range(self.max_shrink + 2):
            if attempt == self.max_shrink + 1:
                factor = torch.where(bad.view(-1, 1, 1),
                                     torch.zeros_like(factor), factor)
            params = solve @ (base + delta * factor)
            tps = TPS(ctrl, params, fr['origin'], fr['scale'],
                      tuple(image_size))
            det = tps.jacobian_det(fr['check'])
            bad = (det <= self.min_det).any(dim=1)
            if not bool(bad.any()):
                break
            factor = torch.where(bad.view(-1, 1, 1), factor * 0.5, factor)
        return tps

    def warp_images(self, images: Tensor, tps) -> Tensor:
        """``out(u') = images(tps(u'))`` with this module's padding."""
        return tps_warp_images(images, tps, padding_mode=self.padding_mode)

    @staticmethod
    def warp_points(points: Tensor, tps) -> Tensor:
        """``tps(points)``: warped-image pixels -> source pixels."""
        return tps(points)

    def forward(self, images: Tensor,
                generator: Optional[torch.Generator] = None
                ) -> Tuple[Tensor, TPS]:
        """Warp a batch with fresh random maps -> (warped, T)."""
        b, _, h, w = images.shape
        tps = self.sample(b, (w, h), generator)
        return self.warp_images(images, tps), tps

    def make_pair(self, images: Tensor,
                  generator: Optional[torch.Generator] = None
                  ) -> Tuple[Tensor, Tensor, TPS]:
        """FSE training pair ``(x1, x2, T2)`` from images (B, C, H, W).

        ``x1 = x o T1`` (``x1(u) = x(T1(u))``), ``x2 = x1 o T2``; ``T2`` maps
        pixels of ``x2`` to pixels of ``x1`` (the known warp of the pair),
        so an equivariant detector satisfies ``T2(Phi(x2)) = Phi(x1)``.
        With ``pair_mode='image_and_warp'``, ``x1 = x``.
        """
        b, _, h, w = images.shape
        if self.pair_mode == 'image_and_warp':
            t2 = self.sample(b, (w, h), generator)
            return images, self.warp_images(images, t2), t2
        t1 = self.sample(b, (w, h), generator)
        t2 = self.sample(b, (w, h), generator)
        x1 = self.warp_images(images, t1)
        if self.compose:
            x2 = self.warp_images(images, _Composed(t1, t2))
        else:
            x2 = self.warp_images(x1, t2)
        return x1, x2, t2

    def extra_repr(self) -> str:
        return (f'num_ctrl={self.num_ctrl}, ctrl_sigma={self.ctrl_sigma}, '
                f'rotation={self.rotation}, scale={self.scale_range}, '
                f'translation={self.translation}, reg={self.reg}, '
                f'pair_mode={self.pair_mode!r}')


def make_fse_pair(images: Tensor, warp: Optional[Union[TPSWarp, dict]] = None,
                  generator: Optional[torch.Generator] = None):
    """Functional form of :meth:`TPSWarp.make_pair` -> (x1, x2, T2)."""
    if warp is None:
        warp = TPSWarp()
    elif isinstance(warp, dict):
        warp = TPSWarp(**warp)
    return warp.make_pair(images, generator)
