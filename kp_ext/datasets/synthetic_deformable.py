"""Synthetic deformable objects for unsupervised landmark learning.

:class:`SyntheticDeformableDataset` renders cartoon faces (head, ears,
hair, eyebrows, eyes with irises, nose, lips) with random appearance and
shape, moved by a random smooth deformation (similarity + anisotropy +
a smooth radial-basis displacement field, fold-free) onto a random
background (``kp_ext.datasets.synthetic.random_background``). Ten
ground-truth points (eyes, nose tip, mouth corners, lips, chin, ears) are
the exact images of the canonical points under the same deformation that
moves the drawn polygons, so they are exact up to the polygon tessellation
(< 0.1 px). They are meant for *evaluation* (the linear-regression
protocol); FSE training never reads them.

Conventions: pixels, x right, y down, pixel centres at integers (OpenCV's
drawing convention; polygons are drawn anti-aliased with 4 fractional
bits). ``bbox`` is the whole image ``[0, 0, W, H]`` so that
``GetBBoxCenterScale(padding=1.0)`` + ``TopdownAffine(input_size=(W, H))``
is the identity warp (box centre ``(W/2, H/2)`` -> crop centre). Sample
``i`` is rendered from ``np.random.default_rng([seed, i])`` only (no cache;
workers and reruns agree). "left"/"right" in keypoint names are *image*
sides.

"""
import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from kp_ext.registry import DATASETS
from .generated_dataset import GeneratedPoseDataset
from .synthetic.backgrounds import random_background

__all__ = [
    'SyntheticDeformableDataset',
    'render_deformable_face', 'SYNTHETIC_FACE_METAINFO', 'SmoothDeformation'
]

_KPT_NAMES = ('eye_left', 'eye_right', 'nose_tip', 'mouth_left',
              'mouth_right', 'upper_lip', 'lower_lip', 'chin', 'ear_left',
              'ear_right')
_SWAPS = dict(eye_left='eye_right', eye_right='eye_left',
              mouth_left='mouth_right', mouth_right='mouth_left',
              ear_left='ear_right', ear_right='ear_left')
_COLORS = ([255, 64, 64], [64, 64, 255], [255, 200, 0], [255, 0, 255],
           [0, 200, 255], [0, 255, 0], [0, 128, 0], [160, 82, 45],
           [255, 128, 0], [128, 0, 255])

SYNTHETIC_FACE_METAINFO = dict(
    dataset_name='synthetic_face10',
    keypoint_info={
        i: dict(name=n, id=i, color=list(_COLORS[i]), type='',
                swap=_SWAPS.get(n, ''))
        for i, n in enumerate(_KPT_NAMES)
    },
    skeleton_info={
        0: dict(link=('eye_left', 'eye_right'), id=0, color=[255, 255, 0]),
        1: dict(link=('mouth_left', 'upper_lip'), id=1, color=[255, 0, 0]),
        2: dict(link=('upper_lip', 'mouth_right'), id=2, color=[255, 0, 0]),
        3: dict(link=('mouth_right', 'lower_lip'), id=3, color=[255, 0, 0]),
        4: dict(link=('lower_lip', 'mouth_left'), id=4, color=[255, 0, 0]),
    },
    joint_weights=[1.0] * len(_KPT_NAMES),
    sigmas=[],
    # the metric's normaliser: distance between the two eye centres
    norm_indices=[0, 1],
)


# --------------------------------------------------------------------------
# smooth random deformation (forward map: canonical -> image)
# --------------------------------------------------------------------------
class SmoothDeformation:
    """``f(p) = c + s M (p + d(p))`` with ``d(p) = sum_j a_j exp(-|p -
    c_j|^2 / (2 w^2))`` (Gaussian RBF displacement on a ``g x g`` grid of
    centres over [-1.2, 1.2]^2), ``M`` = rotation x anisotropy.

    Fold-free: the Jacobian determinant of ``p + d(p)`` is checked on a
    grid over [-1.3, 1.3]^2; amplitudes are halved until it exceeds 0.3.
    """

    def __init__(self, rng: np.random.Generator, center, scale: float,
                 rotation_deg: float, aspect: float = 0.0,
                 amplitude: float = 0.07, width: float = 0.5,
                 grid: int = 3):
        self.center = np.asarray(center, dtype=np.float64)
        self.scale = float(scale)
        a = math.radians(rotation_deg)
        rot = np.array([[math.cos(a), -math.sin(a)],
                        [math.sin(a), math.cos(a)]])
        self.mat = rot @ np.diag([math.exp(aspect), math.exp(-aspect)])
        t = np.linspace(-1.2, 1.2, grid)
        gx, gy = np.meshgrid(t, t)
        self.ctrl = np.stack([gx.ravel(), gy.ravel()], -1)
        self.width = float(width)
        self.amp = rng.normal(0.0, amplitude, self.ctrl.shape)
        check = np.stack(np.meshgrid(np.linspace(-1.3, 1.3, 15),
                                     np.linspace(-1.3, 1.3, 15)),
                         -1).reshape(-1, 2)
        for _ in range(8):
            if self._min_det(check) > 0.3:
                break
            self.amp *= 0.5

    def _weights(self, p):
        d = p[:, None, :] - self.ctrl[None]
        return d, np.exp(-(d * d).sum(-1) / (2 * self.width**2))

    def displacement(self, p: np.ndarray) -> np.ndarray:
        _, g = self._weights(p)
        return g @ self.amp

    def _min_det(self, p: np.ndarray) -> float:
        d, g = self._weights(p)
        # d/dp_j of g_k = -g_k (p - c_k)_j / w^2
        dg = -g[..., None] * d / self.width**2  # (N, n, 2)
        jac = np.eye(2)[None] + np.einsum('nki,nkj->nij',
                                          self.amp[None].repeat(len(p), 0),
                                          dg)
        det = jac[:, 0, 0] * jac[:, 1, 1] - jac[:, 0, 1] * jac[:, 1, 0]
        return float(det.min())

    def __call__(self, points) -> np.ndarray:
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        q = p + self.displacement(p)
        return q @ self.mat.T * self.scale + self.center


def _ellipse(c, ax, ay, n=48, a0=0.0, a1=2 * math.pi):
    t = np.linspace(a0, a1, n, endpoint=(a1 - a0) < 2 * math.pi - 1e-9)
    return np.stack([c[0] + ax * np.cos(t), c[1] + ay * np.sin(t)], -1)


def _bezier(p0, p1, p2, n=16):
    t = np.linspace(0, 1, n)[:, None]
    return (1 - t)**2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2


def _fill(img, pts, color):
    poly = np.round(np.asarray(pts) * 16).astype(np.int32)
    cv2.fillPoly(img, [poly], tuple(float(c) for c in color),
                 lineType=cv2.LINE_AA, shift=4)


def _thick_curve(curve, thickness):
    """Polygon of a curve (N, 2) thickened by +-thickness/2 (normal)."""
    tang = np.gradient(curve, axis=0)
    tang /= np.linalg.norm(tang, axis=1, keepdims=True) + 1e-12
    normal = np.stack([-tang[:, 1], tang[:, 0]], -1)
    return np.concatenate([curve + normal * thickness / 2,
                           (curve - normal * thickness / 2)[::-1]])


def _rand_color(rng, lo=0, hi=255):
    return rng.uniform(lo, hi, 3)


def render_deformable_face(rng: np.random.Generator,
                           img_size: Tuple[int, int] = (96, 96),
                           scale_range: Tuple[float, float] = (0.3, 0.4),
                           max_rotation: float = 20.0,
                           max_shift: float = 0.08,
                           deform_amplitude: float = 0.07
                           ) -> Tuple[np.ndarray, np.ndarray]:
    """Render one deformed cartoon face.

    Args:
        rng: random generator (everything is drawn from it).
        img_size: (w, h).
        scale_range: canonical unit (half the head height ~ 0.9 units) in
            fractions of ``min(w, h)``.
        max_rotation: in-plane rotation range (degrees).
        max_shift: centre jitter in fractions of ``min(w, h)``.
        deform_amplitude: std of the RBF displacement amplitudes
            (canonical units).

    Returns:
        (img (h, w, 3) uint8 BGR, keypoints (10, 2) float64 image pixels).
    """
    w, h = int(img_size[0]), int(img_size[1])
    size = min(w, h)
    img = random_background(rng, w, h).copy()
    center = (np.array([(w - 1) / 2, (h - 1) / 2]) +
              rng.uniform(-max_shift, max_shift, 2) * size)
    f = SmoothDeformation(
        rng, center, rng.uniform(*scale_range) * size,
        rng.uniform(-max_rotation, max_rotation),
        aspect=rng.uniform(-0.1, 0.1), amplitude=deform_amplitude)

    # shape parameters (canonical units)
    ax, ay = rng.uniform(0.62, 0.74), rng.uniform(0.82, 0.94)
    ex, ey = rng.uniform(0.24, 0.32), rng.uniform(-0.22, -0.12)
    ny = rng.uniform(0.14, 0.24)
    mx, my = rng.uniform(0.18, 0.28), rng.uniform(0.42, 0.52)
    lip_up, lip_lo = rng.uniform(0.04, 0.08), rng.uniform(0.05, 0.1)
    skin = np.clip(rng.normal([110, 150, 200], 30), 20, 250)
    hair = _rand_color(rng, 0, 160)
    iris = _rand_color(rng, 20, 200)
    lips = np.clip(rng.normal([70, 60, 170], 30), 0, 255)
    dark = skin * rng.uniform(0.45, 0.7)

    # ears, hair back, head
    for s in (-1, 1):
        _fill(img, f(_ellipse((s * ax * 0.97, -0.02), 0.13, 0.2)), dark)
    _fill(img, f(_ellipse((0, -0.1), ax * 1.05, ay * 0.95, a0=math.pi,
                          a1=2 * math.pi) - [0, 0.02]), hair)
    _fill(img, f(_ellipse((0, 0), ax, ay)), skin)
    # freckles / texture spots (random, uninformative)
    for _ in range(int(rng.integers(0, 6))):
        c = rng.uniform(-0.5, 0.5, 2) * [ax, ay]
        _fill(img, f(_ellipse(c, 0.03, 0.03, n=12)), skin * 0.8)
    # hair fringe over the forehead
    fringe_y = rng.uniform(-0.62, -0.5)
    top = _ellipse((0, 0), ax, ay, a0=math.pi, a1=2 * math.pi, n=40)
    top = top[top[:, 1] <= fringe_y]
    if len(top) >= 2:
        fringe = np.concatenate(
            [top, _bezier(top[-1], np.array([0, fringe_y + 0.12]), top[0])])
        _fill(img, f(fringe), hair)
    # eyebrows, eyes
    brow_t = rng.uniform(0.04, 0.07)
    for s in (-1, 1):
        c = np.array([s * ex, ey])
        brow = _bezier(c + [-0.13, -0.1], c + [0, -0.17], c + [0.13, -0.1])
        _fill(img, f(_thick_curve(brow, brow_t)), hair * 0.7)
        _fill(img, f(_ellipse(c, 0.13, 0.075)), (235, 240, 245))
        _fill(img, f(_ellipse(c, 0.062, 0.062, n=24)), iris)
        _fill(img, f(_ellipse(c, 0.028, 0.028, n=16)), (15, 15, 15))
    # nose
    nose = np.array([[0, ey + 0.06], [0.09, ny + 0.02], [0, ny],
                     [-0.09, ny + 0.02]])
    _fill(img, f(nose), dark)
    # lips: upper and lower
    ml, mr = np.array([-mx, my]), np.array([mx, my])
    up = _bezier(ml, np.array([0, my - 2 * lip_up]), mr)
    lo = _bezier(mr, np.array([0, my + 2 * lip_lo]), ml)
    _fill(img, f(np.concatenate([up, lo])), lips)
    _fill(img, f(_thick_curve(_bezier(ml, np.array([0, my + 0.01]), mr),
                              0.015)), lips * 0.4)

    canon = np.array([[-ex, ey], [ex, ey], [0, ny], [-mx, my], [mx, my],
                      [0, my - lip_up], [0, my + lip_lo], [0, ay],
                      [-ax * 0.97 - 0.13, -0.02], [ax * 0.97 + 0.13, -0.02]])
    kpts = f(canon)
    # global brightness / contrast jitter
    gain, bias = rng.uniform(0.8, 1.2), rng.uniform(-20, 20)
    img = np.clip(img.astype(np.float32) * gain + bias, 0,
                  255).astype(np.uint8)
    return img, kpts


@DATASETS.register_module()
class SyntheticDeformableDataset(GeneratedPoseDataset):
    """Randomly deformed cartoon faces with 10 known points (module doc).

    Args:
        num_samples (int): dataset length.
        img_size (tuple): (w, h) of the rendered image.
        seed (int): base seed (sample ``i`` uses ``default_rng([seed, i])``;
            use different seeds for train / fit / test splits).
        scale_range, max_rotation, max_shift, deform_amplitude: see
            :func:`render_deformable_face`.
        metainfo (dict, optional): defaults to ``SYNTHETIC_FACE_METAINFO``.
        pipeline, test_mode, indices, lazy_init, max_refetch: mmengine.
    """

    METAINFO = SYNTHETIC_FACE_METAINFO
    DATA_DESCRIPTION = 'synthetic deformed cartoon faces'

    def __init__(self,
                 num_samples: int = 1000,
                 img_size: Tuple[int, int] = (96, 96),
                 seed: int = 0,
                 scale_range: Tuple[float, float] = (0.3, 0.4),
                 max_rotation: float = 20.0,
                 max_shift: float = 0.08,
                 deform_amplitude: float = 0.07,
                 metainfo: Optional[dict] = None,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 indices=None,
                 lazy_init: bool = False,
                 max_refetch: int = 1000):
        self.render_cfg = dict(
            scale_range=tuple(scale_range), max_rotation=float(max_rotation),
            max_shift=float(max_shift),
            deform_amplitude=float(deform_amplitude))
        super().__init__(num_samples, img_size, seed, metainfo, pipeline,
                         test_mode, indices, lazy_init, max_refetch)

    def render(self, index: int) -> Tuple[np.ndarray, np.ndarray]:
        """(img BGR uint8, keypoints (10, 2)) of sample ``index``."""
        return render_deformable_face(self.rng_for(index), self.img_size,
                                      **self.render_cfg)

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        i = info['synthetic_index']
        img, kpts = self.render(i)
        w, h = self.img_size
        k = len(kpts)
        norm = self._metainfo.get('norm_indices', [0, 1])
        info.update(
            img=img,
            img_path=f'synthetic://deformable/seed{self.seed}/{i:06d}',
            img_id=i,
            id=i,
            img_shape=(h, w),
            ori_shape=(h, w),
            bbox=np.array([[0, 0, w, h]], dtype=np.float32),
            bbox_score=np.ones(1, np.float32),
            keypoints=kpts[None].astype(np.float32),
            keypoints_visible=np.ones((1, k), np.float32),
            num_keypoints=k,
            area=np.array([w * h], np.float32),
            iscrowd=0,
            category_id=1,
            interocular_dist=np.array(
                [np.linalg.norm(kpts[norm[0]] - kpts[norm[1]])], np.float32),
            raw_ann_info=dict(keypoints=kpts.tolist()))
        info.update(self._sample_metainfo())
        return info
