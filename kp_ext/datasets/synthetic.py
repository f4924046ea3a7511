"""Built-in synthetic people: seeded, reproducible, no files needed.

The renderer draws human-like figures on the COCO-17 skeleton with OpenCV
(filled anti-aliased polygons, circles and ellipses) on random backgrounds,
with random poses, scales, in-plane rotation, clothing, occluders and
truncation. The keypoints are *exactly* the rendered joint positions
(pixels, x right, y down, pixel centres at integers).

Conventions (documented choices)
--------------------------------
* ``keypoints_visible`` is 1 for every keypoint whose position lies on the
  pixel-centre grid of the image (``0 <= x <= w - 1`` and
  ``0 <= y <= h - 1``), **also when it is hidden** by an occluder, by another
  figure or by its own body: such points are labelled, like COCO ``v=1``,
  and both COCO ``v=1`` and ``v=2`` count for training. Keypoints outside the
  image (truncation) get ``keypoints_visible=0``; their (exact, out of
  image) coordinates are kept in ``keypoints`` all the same.
  Which labelled points are hidden is reported separately in
  ``keypoints_occluded`` (1 = covered by an occluder or by a figure drawn
  later), and :func:`export_coco` writes ``v=2`` (visible), ``v=1``
  (occluded) and ``v=0`` (outside, written as ``0, 0, 0``).
* Left and right. Every figure faces the camera (its face, eyes and nose are
  drawn), so the person's *left* side is on the image right of the body
  axis (before in-plane rotation, which keeps chirality). This cue is
  consistent with horizontal flipping (a mirrored front-facing figure is a
  front-facing figure whose labels swap), so flip augmentation and flip
  test are sound. ``lr_shade`` can additionally make the left limbs
  lighter and the right limbs darker; it defaults to 0 because such a cue
  is *not* flip-consistent (train with it only without flip augmentation).
* ``bbox`` is the box of the figure (keypoints plus head, hands and feet)
  enlarged by about half a limb width, clipped to ``[0, w-1] x [0, h-1]``;
  ``area`` is the pixel count of the figure's silhouette inside the image
  before occluders and later figures are drawn.
* Sample ``i`` of a dataset is rendered from ``np.random.default_rng([seed,
  i])`` only, so workers, reruns and subsets agree.
"""
import copy
import json
import math
import os
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.dataset import BaseDataset

from kp_ext.registry import DATASETS
from .base_dataset import PoseMetainfoMixin

__all__ = [
    'COCO_KEYPOINT_NAMES', 'COCO_SKELETON', 'SyntheticPeopleDataset',
    'SyntheticCrowdDataset', 'FigureCanvas', 'sample_figure',
    'place_figure', 'draw_figure', 'figure_bbox', 'random_background',
    'render_people_scene', 'render_crowd_scene', 'export_coco'
]

COCO_KEYPOINT_NAMES = (
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
    'right_knee', 'left_ankle', 'right_ankle')
# 0-based COCO limb pairs (the official 1-based list minus one).
COCO_SKELETON = ((15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11),
                 (6, 12), (5, 6), (5, 7), (6, 8), (7, 9), (8, 10), (1, 2),
                 (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6))
NUM_KEYPOINTS = 17

(NOSE, L_EYE, R_EYE, L_EAR, R_EAR, L_SH, R_SH, L_EL, R_EL, L_WR, R_WR, L_HIP,
 R_HIP, L_KN, R_KN, L_AN, R_AN) = range(NUM_KEYPOINTS)

# Nominal standing height of a figure, in torso lengths (head top to feet).
NOMINAL_HEIGHT = 3.75
_EAR_ALPHA = 1.6  # ear azimuth on the head (rad, 0 = nose)

_SHIFT = 4  # sub-pixel bits for OpenCV drawing
_ONE = 1 << _SHIFT
_OCCLUDER_ID = 255

_SKIN_TONES = np.array([(45, 62, 100), (58, 85, 135), (75, 108, 165),
                        (95, 135, 195), (120, 160, 220), (150, 190, 235),
                        (170, 205, 245)], dtype=np.float32)


# --------------------------------------------------------------------------
# small geometry helpers (2-vectors as numpy arrays, y down)
# --------------------------------------------------------------------------
def _rot(v, a):
    """Rotate 2-vector(s) ``v`` by ``a`` radians (clockwise on screen)."""
    c, s = math.cos(a), math.sin(a)
    v = np.asarray(v, dtype=np.float64)
    return np.stack([c * v[..., 0] - s * v[..., 1],
                     s * v[..., 0] + c * v[..., 1]], axis=-1)


def _unit(v):
    n = math.hypot(v[0], v[1])
    return v / n if n > 1e-9 else np.array([0.0, 1.0])


def _fix(p):
    """Float pixel coords -> int coords with ``_SHIFT`` fractional bits."""
    return np.round(np.asarray(p, dtype=np.float64) * _ONE).astype(np.int32)


class FigureCanvas:
    """Draws every primitive on the colour image (anti-aliased) and, when
    a label map is given, the same shape with an integer id (aliased)."""

    def __init__(self, img, label=None):
        self.img = img
        self.label = label
        self.lid = 0

    def poly(self, pts, color):
        p = _fix(pts).reshape(-1, 1, 2)
        cv2.fillConvexPoly(self.img, p, color, cv2.LINE_AA, _SHIFT)
        if self.label is not None:
            cv2.fillConvexPoly(self.label, p, self.lid, cv2.LINE_8, _SHIFT)

    def circle(self, c, r, color):
        c = tuple(int(v) for v in _fix(c))
        r = max(int(round(r * _ONE)), _ONE // 2)
        cv2.circle(self.img, c, r, color, -1, cv2.LINE_AA, _SHIFT)
        if self.label is not None:
            cv2.circle(self.label, c, r, self.lid, -1, cv2.LINE_8, _SHIFT)

    def ellipse(self, c, axes, angle_deg, color, start=0, end=360):
        c = tuple(int(v) for v in _fix(c))
        ax = tuple(max(int(round(a * _ONE)), _ONE // 2) for a in axes)
        cv2.ellipse(self.img, c, ax, angle_deg, start, end, color, -1,
                    cv2.LINE_AA, _SHIFT)
        if self.label is not None:
            cv2.ellipse(self.label, c, ax, angle_deg, start, end, self.lid,
                        -1, cv2.LINE_8, _SHIFT)

    def capsule(self, p0, p1, r0, r1, color):
        """A tapered limb: a quad between two end circles."""
        p0 = np.asarray(p0, np.float64)
        p1 = np.asarray(p1, np.float64)
        d = p1 - p0
        n = math.hypot(d[0], d[1])
        if n > 1e-6:
            nrm = np.array([-d[1], d[0]]) / n
            self.poly([p0 + nrm * r0, p1 + nrm * r1, p1 - nrm * r1,
                       p0 - nrm * r0], color)
        self.circle(p0, r0, color)
        self.circle(p1, r1, color)


def _color(c):
    return tuple(float(min(max(v, 0.0), 255.0)) for v in c)


# --------------------------------------------------------------------------
# figure model
# --------------------------------------------------------------------------
def sample_figure(rng: np.random.Generator, lr_shade: float = 0.0) -> dict:
    """Sample a random front-facing figure in its body frame.

    Units are torso lengths, the pelvis centre is the origin, y points down
    and the person's left is +x (the figure faces the camera).

    Returns a dict with ``joints`` (17, 2) in COCO order, the extra drawing
    geometry (head centre/axes/orientation, hands, feet, waist) and the
    clothing colours.
    """
    L = rng.uniform(0.92, 1.08)
    lean = rng.normal(0.0, 0.12)
    up = np.array([math.sin(lean), -math.cos(lean)])
    down = -up
    lat = np.array([math.cos(lean), math.sin(lean)])  # person's left
    pelvis = np.zeros(2)
    neck = pelvis + L * up
    sw = rng.uniform(0.36, 0.46) * L
    hw = rng.uniform(0.17, 0.24) * L
    j = np.zeros((NUM_KEYPOINTS, 2))
    j[L_SH] = neck + sw * lat - 0.05 * L * up
    j[R_SH] = neck - sw * lat - 0.05 * L * up
    j[L_HIP] = pelvis + hw * lat
    j[R_HIP] = pelvis - hw * lat

    # head: yaw turns the face, tilt rolls it in the image plane
    tilt = rng.normal(0.0, 0.15)
    hup = _rot(up, tilt)
    hlat = _rot(lat, tilt)
    hr = rng.uniform(0.19, 0.23) * L
    hry = hr * rng.uniform(1.12, 1.3)
    hc = neck + hup * (0.9 * hry + 0.1 * L)
    yaw = rng.uniform(-0.5, 0.5)

    def on_head(alpha, height, depth=1.0):
        return hc + hlat * (depth * hr * math.sin(alpha + yaw)) + \
            hup * (height * hry)

    j[NOSE] = on_head(0.0, -0.22, 0.92)
    j[L_EYE] = on_head(0.58, 0.12, 0.9)
    j[R_EYE] = on_head(-0.58, 0.12, 0.9)
    j[L_EAR] = on_head(_EAR_ALPHA, 0.0, 0.97)
    j[R_EAR] = on_head(-_EAR_ALPHA, 0.0, 0.97)
    # an ear on the far side of the turned head is hidden behind it
    ears_front = (math.cos(_EAR_ALPHA + yaw) > -0.1,
                  math.cos(-_EAR_ALPHA + yaw) > -0.1)

    def foreshort():
        return rng.uniform(0.6, 1.0) if rng.random() < 0.3 else 1.0

    # arms: angle from 'down', positive outwards (towards the arm's side)
    hands = []
    for side, sh, el, wr in ((1, L_SH, L_EL, L_WR), (-1, R_SH, R_EL, R_WR)):
        ua = rng.uniform(0.5, 0.62) * L * foreshort()
        fa = rng.uniform(0.45, 0.56) * L * foreshort()
        phi = rng.uniform(-0.5, 2.9)
        d1 = _rot(down, -side * phi)
        flex = rng.uniform(0.0, 2.4) * (1 if rng.random() < 0.5 else -1)
        d2 = _rot(d1, flex)
        j[el] = j[sh] + ua * d1
        j[wr] = j[el] + fa * d2
        hands.append(j[wr] + 0.07 * L * d2)

    # legs
    feet = []
    for side, hip, kn, an in ((1, L_HIP, L_KN, L_AN),
                              (-1, R_HIP, R_KN, R_AN)):
        th = rng.uniform(0.85, 1.0) * L * foreshort()
        sh_len = rng.uniform(0.8, 0.95) * L * foreshort()
        if rng.random() < 0.8:
            phi = rng.uniform(-0.15, 0.5)
            flex = rng.uniform(-0.4, 0.4)
        else:
            phi = rng.uniform(-0.3, 1.6)
            flex = rng.uniform(-1.8, 1.8)
        d1 = _rot(down, -side * phi)
        d2 = _rot(d1, flex)
        j[kn] = j[hip] + th * d1
        j[an] = j[kn] + sh_len * d2
        # foot: points sideways-outwards, roughly perpendicular to the shin
        fdir = _rot(d2, -side * rng.uniform(0.9, 1.6))
        feet.append((j[an] + 0.05 * L * d2 + 0.07 * L * fdir, fdir))

    width = rng.uniform(0.85, 1.2)
    skin = _SKIN_TONES[rng.integers(len(_SKIN_TONES))] + \
        rng.uniform(-12, 12, 3)
    shirt = rng.uniform(20, 240, 3)
    pants = (rng.uniform(20, 240, 3) if rng.random() < 0.6 else
             np.array([110, 60, 30]) + rng.uniform(-30, 40, 3))
    hair_kind = rng.random()
    return dict(
        joints=j, up=up, lat=lat, neck=neck, L=L, width=width,
        head_center=hc, head_axes=(hr, hry), head_up=hup, head_lat=hlat,
        yaw=yaw, ears_front=ears_front, hands=hands, feet=feet,
        colors=dict(
            skin=skin, shirt=shirt, pants=pants,
            shoes=rng.uniform(10, 90, 3),
            hair=(np.array([20, 25, 35]) + rng.uniform(0, 90) *
                  np.array([0.6, 0.9, 1.2])),
            eyes=np.array([25, 20, 20]) + rng.uniform(0, 25, 3)),
        long_sleeves=bool(rng.random() < 0.5),
        shorts=bool(rng.random() < 0.3),
        hair=('none' if hair_kind < 0.12 else
              'hat' if hair_kind < 0.25 else 'hair'),
        hat=rng.uniform(20, 240, 3),
        lr_shade=float(lr_shade))


def place_figure(fig: dict, scale: float, angle: float,
                 offset: Sequence[float]) -> dict:
    """Map a body-frame figure into the image: ``p_img = scale * R(angle) @
    p + offset`` (angle in radians). Returns a new dict with image-space
    geometry (``joints`` (17, 2) float64, ``hands``, ``feet``, head, and
    ``scale``/``angle``)."""
    c, s = math.cos(angle), math.sin(angle)
    R = np.array([[c, -s], [s, c]]) * scale
    off = np.asarray(offset, dtype=np.float64)

    def P(p):
        return np.asarray(p) @ R.T + off

    def V(v):
        return _rot(v, angle)

    out = dict(fig)
    out.update(
        joints=P(fig['joints']), neck=P(fig['neck']),
        up=V(fig['up']), lat=V(fig['lat']),
        head_center=P(fig['head_center']), head_up=V(fig['head_up']),
        head_lat=V(fig['head_lat']),
        hands=[P(h) for h in fig['hands']],
        feet=[(P(p), V(d)) for p, d in fig['feet']],
        scale=float(scale), angle=float(angle))
    return out


def _figure_extent(f):
    """Points bounding the drawn figure (image space, placed figure)."""
    hr, hry = f['head_axes']
    s = f['scale']
    hc, hu, hl = f['head_center'], f['head_up'], f['head_lat']
    pts = [f['joints'], np.stack(f['hands']),
           np.stack([p for p, _ in f['feet']]),
           np.stack([hc + hu * hry * s, hc - hu * hry * s,
                     hc + hl * hr * s, hc - hl * hr * s])]
    return np.concatenate(pts, axis=0)


def figure_bbox(f, img_w, img_h):
    """Box (x1, y1, x2, y2) of a placed figure, enlarged, clipped."""
    pts = _figure_extent(f)
    m = 0.12 * f['scale'] * f['L'] * f['width']
    x1, y1 = pts.min(0) - m
    x2, y2 = pts.max(0) + m
    return np.array([np.clip(x1, 0, img_w - 1), np.clip(y1, 0, img_h - 1),
                     np.clip(x2, 0, img_w - 1), np.clip(y2, 0, img_h - 1)],
                    dtype=np.float32)


def draw_figure(canvas: FigureCanvas, f: dict) -> None:
    """Draw a placed figure (painter's order: legs, torso, head, arms)."""
    s = f['scale'] * f['L']
    w = f['width'] * s
    j = f['joints']
    up, lat = f['up'], f['lat']
    col = f['colors']
    shade = f['lr_shade']

    def sided(c, side):  # side +1 = person's left
        return _color(np.asarray(c) * (1.0 + side * shade))

    skin = col['skin']
    # legs
    for side, hip, kn, an, foot in ((1, L_HIP, L_KN, L_AN, f['feet'][0]),
                                    (-1, R_HIP, R_KN, R_AN, f['feet'][1])):
        pants = sided(col['pants'], side)
        shin_col = sided(skin, side) if f['shorts'] else pants
        fp, fd = foot
        canvas.ellipse(fp, (0.13 * w, 0.065 * w),
                       math.degrees(math.atan2(fd[1], fd[0])),
                       sided(col['shoes'], side))
        canvas.capsule(j[kn], j[an], 0.095 * w, 0.075 * w, shin_col)
        canvas.capsule(j[hip], j[kn], 0.12 * w, 0.095 * w, pants)
    # pelvis (pants) and torso (shirt)
    waist_l = j[L_HIP] + up * 0.18 * s + lat * 0.05 * w
    waist_r = j[R_HIP] + up * 0.18 * s - lat * 0.05 * w
    canvas.poly([waist_l, waist_r, j[R_HIP] - lat * 0.1 * w - up * 0.12 * s,
                 j[L_HIP] + lat * 0.1 * w - up * 0.12 * s],
                _color(col['pants']))
    canvas.capsule(f['neck'] - up * 0.1 * s, f['neck'] + up * 0.15 * s,
                   0.08 * w, 0.075 * w, _color(skin * 0.9))
    canvas.poly([j[L_SH] + lat * 0.07 * w + up * 0.06 * s,
                 j[R_SH] - lat * 0.07 * w + up * 0.06 * s,
                 waist_r - lat * 0.02 * w, waist_l + lat * 0.02 * w],
                _color(col['shirt']))
    # head: ears, face, hair/hat, eyes, nose, mouth
    hc, hu, hl = f['head_center'], f['head_up'], f['head_lat']
    hr, hry = (a * f['scale'] for a in f['head_axes'])
    hang = math.degrees(math.atan2(hl[1], hl[0]))
    for front in (False, True):  # hidden ears behind the face
        if front:
            canvas.ellipse(hc, (hr, hry), hang, _color(skin))
        for ear, ear_front in zip((L_EAR, R_EAR), f['ears_front']):
            if ear_front == front:
                canvas.ellipse(j[ear], (0.2 * hr, 0.36 * hr), hang,
                               _color(skin * 0.85))
    if f['hair'] == 'hair':
        canvas.ellipse(hc + hu * 0.3 * hry, (1.02 * hr, 0.78 * hry), hang,
                       _color(col['hair']), 180, 360)
    elif f['hair'] == 'hat':
        canvas.ellipse(hc + hu * 0.42 * hry, (1.08 * hr, 0.72 * hry), hang,
                       _color(f['hat']), 180, 360)
        canvas.capsule(hc + hu * 0.42 * hry - hl * 1.2 * hr,
                       hc + hu * 0.42 * hry + hl * 1.2 * hr, 0.07 * hr,
                       0.07 * hr, _color(f['hat'] * 0.8))
    eye_r = max(0.13 * hr, 0.8)
    canvas.circle(j[L_EYE], eye_r, _color(col['eyes']))
    canvas.circle(j[R_EYE], eye_r, _color(col['eyes']))
    canvas.circle(j[NOSE], max(0.12 * hr, 0.8), _color(skin * 0.68))
    mouth = hc + hl * (0.8 * hr * math.sin(f['yaw'])) - hu * 0.55 * hry
    canvas.capsule(mouth - hl * 0.22 * hr, mouth + hl * 0.22 * hr,
                   0.05 * hr, 0.05 * hr, _color(skin * 0.55 +
                                                np.array([0, 0, 40])))
    # arms on top
    for side, sh, el, wr, hand in ((1, L_SH, L_EL, L_WR, f['hands'][0]),
                                   (-1, R_SH, R_EL, R_WR, f['hands'][1])):
        sleeve = sided(col['shirt'], side)
        fore = sleeve if f['long_sleeves'] else sided(skin, side)
        canvas.circle(hand, 0.085 * w, sided(skin * 0.95, side))
        canvas.capsule(j[el], j[wr], 0.075 * w, 0.06 * w, fore)
        canvas.capsule(j[sh], j[el], 0.09 * w, 0.075 * w, sleeve)


# --------------------------------------------------------------------------
# backgrounds and occluders
# --------------------------------------------------------------------------
_NOISE_TABLES = None
_GRIDS = {}


def _noise_tables():
    """Fixed-seed noise (uint8 magnitudes for + and -), built once."""
    global _NOISE_TABLES
    if _NOISE_TABLES is None:
        r = np.random.default_rng(20240607)
        n = r.standard_normal((2, 512, 512, 3)).astype(np.float32)
        tables = []
        for sigma in (3.0, 6.0, 10.0):
            pos = np.clip(n[0] * sigma, 0, 255).astype(np.uint8)
            neg = np.clip(-n[0] * sigma, 0, 255).astype(np.uint8)
            tables.append((pos, neg))
        _NOISE_TABLES = tables
    return _NOISE_TABLES


def _add_noise(rng, img):
    pos, neg = _noise_tables()[rng.integers(3)]
    h, w = img.shape[:2]
    if h > 512 or w > 512:
        reps = (-(-h // 512) + 1, -(-w // 512) + 1, 1)
        pos, neg = np.tile(pos, reps), np.tile(neg, reps)
    y0 = rng.integers(0, pos.shape[0] - h + 1)
    x0 = rng.integers(0, pos.shape[1] - w + 1)
    cv2.add(img, pos[y0:y0 + h, x0:x0 + w], dst=img)
    cv2.subtract(img, neg[y0:y0 + h, x0:x0 + w], dst=img)


def _grid(w, h):
    key = (w, h)
    if key not in _GRIDS:
        if len(_GRIDS) > 8:
            _GRIDS.clear()
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        _GRIDS[key] = (xs, ys)
    return _GRIDS[key]


def _random_shapes(rng, img, n, size):
    h, w = img.shape[:2]
    canvas = FigureCanvas(img)
    for _ in range(n):
        kind = rng.integers(5)
        c = rng.uniform((0, 0), (w, h))
        color = _color(rng.uniform(0, 255, 3))
        r = rng.uniform(0.03, 0.2) * size
        if kind == 0:  # rotated rectangle
            a = rng.uniform(0, np.pi)
            half = np.array([r, r * rng.uniform(0.2, 1.0)])
            corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * half
            canvas.poly(_rot(corners, a) + c, color)
        elif kind == 1:
            canvas.circle(c, r, color)
        elif kind == 2:
            canvas.ellipse(c, (r, r * rng.uniform(0.2, 1.0)),
                           rng.uniform(0, 180), color)
        elif kind == 3:  # limb-like capsule (hard negative)
            d = _rot(np.array([1.0, 0.0]), rng.uniform(0, 2 * np.pi)) * r
            t = rng.uniform(0.1, 0.3) * r
            canvas.capsule(c - d, c + d, t, t * rng.uniform(0.6, 1.0),
                           color)
        else:  # triangle
            pts = c + rng.uniform(-r, r, (3, 2))
            canvas.poly(pts, color)


def random_background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A random (h, w, 3) uint8 BGR background: bilinear gradients, smooth
    colour noise, stripes/checkers, random shapes, plus pixel noise."""
    kind = rng.integers(5)
    if kind in (0, 2):  # gradient (optionally with shapes)
        small = rng.uniform(0, 255, (2, 2, 3)).astype(np.uint8)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    elif kind in (1, 4):  # smooth colour noise
        gs = int(rng.integers(2, 10))
        small = rng.uniform(0, 255, (gs, gs, 3)).astype(np.uint8)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    else:  # stripes / checkerboard texture
        xs, ys = _grid(w, h)
        period = rng.uniform(6, 48)
        a = rng.uniform(0, np.pi)
        ca, sa = math.cos(a), math.sin(a)
        if rng.random() < 0.5:
            m = (((xs * ca + ys * sa) / period) % 1.0) < rng.uniform(0.3, 0.7)
        else:
            u = np.floor((xs * ca + ys * sa) / period)
            v = np.floor((-xs * sa + ys * ca) / period)
            m = ((u + v) % 2) == 0
        c0 = rng.uniform(0, 255, 3).astype(np.uint8)
        c1 = rng.uniform(0, 255, 3).astype(np.uint8)
        img = np.where(m[..., None], c0, c1).astype(np.uint8)
    if kind in (2, 4) or rng.random() < 0.25:
        _random_shapes(rng, img, int(rng.integers(2, 10)), min(w, h))
    if rng.random() < 0.2:
        img = cv2.GaussianBlur(img, (5, 5), 0)
    return np.ascontiguousarray(img)


def _draw_occluders(rng, canvas, anchors, size, n):
    """Occluding rectangles/ellipses/blobs near ``anchors`` (points)."""
    canvas.lid = _OCCLUDER_ID
    for _ in range(n):
        c = anchors[rng.integers(len(anchors))] + rng.normal(0, 0.1 * size,
                                                               2)
        r = rng.uniform(0.06, 0.18) * size
        color = _color(rng.uniform(0, 255, 3))
        kind = rng.integers(3)
        if kind == 0:
            a = rng.uniform(-0.4, 0.4)
            half = np.array([r, r * rng.uniform(0.4, 1.5)])
            corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * half
            canvas.poly(_rot(corners, a) + c, color)
        elif kind == 1:
            canvas.ellipse(c, (r, r * rng.uniform(0.4, 1.0)),
                           rng.uniform(0, 180), color)
        else:  # blob: a few overlapping circles
            for _ in range(int(rng.integers(3, 6))):
                canvas.circle(c + rng.normal(0, 0.5 * r, 2),
                              r * rng.uniform(0.4, 0.8), color)


# --------------------------------------------------------------------------
# scenes
# --------------------------------------------------------------------------
def _inside(kpts, w, h):
    return ((kpts[..., 0] >= 0) & (kpts[..., 0] <= w - 1) &
            (kpts[..., 1] >= 0) & (kpts[..., 1] <= h - 1))


def _occluded(label, kpts, inside, pid):
    """1 where a labelled keypoint of figure ``pid`` is covered by another
    id (occluder or later figure) in the final label map."""
    occ = np.zeros(len(kpts), dtype=np.float32)
    for k in np.flatnonzero(inside):
        x, y = int(round(kpts[k, 0])), int(round(kpts[k, 1]))
        v = label[y, x]
        occ[k] = float(v != 0 and v != pid)
    return occ


def _area(label, bbox, pid):
    x1, y1, x2, y2 = (int(math.floor(bbox[0])), int(math.floor(bbox[1])),
                      int(math.ceil(bbox[2])) + 1,
                      int(math.ceil(bbox[3])) + 1)
    return float(np.count_nonzero(label[y1:y2, x1:x2] == pid))


def _place_random(rng, fig, height_px, max_rotation, w, h, center=None,
                  jitter=0.0):
    """Scale/rotate a body-frame figure; centre its box at ``center`` (or a
    random point of the image)."""
    scale = height_px / NOMINAL_HEIGHT
    angle = math.radians(rng.uniform(-max_rotation, max_rotation))
    f = place_figure(fig, scale, angle, (0.0, 0.0))
    pts = _figure_extent(f)
    lo, hi = pts.min(0), pts.max(0)
    if center is None:
        center = rng.uniform((0, 0), (w - 1, h - 1))
    center = np.asarray(center, np.float64) + \
        rng.uniform(-jitter, jitter, 2) * (w, h)
    offset = center - (lo + hi) / 2
    return place_figure(fig, scale, angle, offset), hi - lo


def render_people_scene(rng: np.random.Generator,
                        img_size: Tuple[int, int] = (256, 256),
                        scale_range: Tuple[float, float] = (0.55, 0.9),
                        max_rotation: float = 30.0,
                        truncation_prob: float = 0.2,
                        occlusion_prob: float = 0.3,
                        num_distractors: int = 0,
                        lr_shade: float = 0.0,
                        return_label: bool = False):
    """Render one annotated figure (top-down scene).

    Args:
        rng: the generator (all randomness comes from it).
        img_size: (w, h) of the image.
        scale_range: nominal figure height as a fraction of the image
            height (min, max).
        max_rotation: in-plane rotation drawn uniformly from +-this
            (degrees).
        truncation_prob: chance to shift the figure partly out of the image.
        occlusion_prob: chance to draw 1-2 occluders over the figure.
        num_distractors: un-annotated partial figures drawn behind the
            annotated one.
        lr_shade: relative lightening of left / darkening of right limbs.
        return_label: also return the (h, w) uint8 label map (0 background,
            1 distractors, 2 the annotated figure, 255 occluders).

    Returns:
        tuple: ``img`` (h, w, 3) uint8 BGR and ``ann`` dict with
        ``keypoints`` (1, 17, 2) float32, ``keypoints_visible`` (1, 17),
        ``keypoints_occluded`` (1, 17), ``bbox`` (1, 4) xyxy, ``area`` (1,)
        (then ``label`` if ``return_label``).
    """
    w, h = int(img_size[0]), int(img_size[1])
    img = random_background(rng, w, h)
    label = np.zeros((h, w), np.uint8)
    canvas = FigureCanvas(img, label)
    for d in range(int(num_distractors)):
        fig = sample_figure(rng, lr_shade)
        hpx = rng.uniform(*scale_range) * h
        side = rng.choice([-1.0, 1.0])
        cx = (w - 1) / 2 + side * rng.uniform(0.45, 0.75) * w
        df, _ = _place_random(rng, fig, hpx, max_rotation, w, h,
                              center=(cx, rng.uniform(0.3, 0.7) * h))
        canvas.lid = 1
        draw_figure(canvas, df)
    fig = sample_figure(rng, lr_shade)
    hpx = rng.uniform(*scale_range) * h
    center = np.array([(w - 1) / 2, (h - 1) / 2])
    f, extent = _place_random(rng, fig, hpx, max_rotation, w, h,
                              center=center, jitter=0.06)
    if rng.random() < truncation_prob:
        # push a fraction of the figure's extent across a random border
        for _ in range(10):
            ang = rng.uniform(0, 2 * np.pi)
            frac = rng.uniform(0.15, 0.45)
            dirv = np.array([math.cos(ang), math.sin(ang)])
            # distance from centre to the border along dirv, then beyond it
            reach = min(abs(((w - 1) / 2) / (dirv[0] + 1e-9)),
                        abs(((h - 1) / 2) / (dirv[1] + 1e-9)))
            ext = abs(dirv[0]) * extent[0] + abs(dirv[1]) * extent[1]
            shift = dirv * (reach - ext / 2 + frac * ext)
            g = place_figure(fig, f['scale'], f['angle'],
                             _offset_of(f, fig) + shift)
            if _inside(g['joints'], w, h).sum() >= 4:
                f = g
                break
    pid = 2
    canvas.lid = pid
    draw_figure(canvas, f)
    kpts = f['joints'].astype(np.float32)
    inside = _inside(kpts, w, h)
    bbox = figure_bbox(f, w, h)
    area = _area(label, bbox, pid)
    if rng.random() < occlusion_prob:
        anchors = kpts[inside] if inside.any() else kpts
        _draw_occluders(rng, canvas, anchors, hpx, int(rng.integers(1, 3)))
    occ = _occluded(label, kpts, inside, pid)
    _add_noise(rng, img)
    ann = dict(
        keypoints=kpts[None],
        keypoints_visible=inside.astype(np.float32)[None],
        keypoints_occluded=occ[None],
        bbox=bbox[None],
        area=np.array([area], np.float32))
    return (img, ann, label) if return_label else (img, ann)


def _offset_of(f, fig):
    """Translation of a placed figure (image joints minus rotated-scaled
    body joints of the pelvis origin)."""
    c, s = math.cos(f['angle']), math.sin(f['angle'])
    R = np.array([[c, -s], [s, c]]) * f['scale']
    return f['joints'][0] - R @ fig['joints'][0]


def render_crowd_scene(rng: np.random.Generator,
                       img_size: Tuple[int, int] = (368, 368),
                       num_people: Union[int, Tuple[int, int]] = (1, 20),
                       scale_range: Tuple[float, float] = (0.22, 0.55),
                       max_rotation: float = 20.0,
                       occlusion_prob: float = 0.2,
                       min_keypoints_inside: int = 3,
                       lr_shade: float = 0.0,
                       return_label: bool = False):
    """Render a multi-person scene (bottom-up).

    Figures are drawn in painter's order from small (far) to large (near),
    so later figures occlude earlier ones. Every figure keeps at least
    ``min_keypoints_inside`` keypoints inside the image.

    Returns:
        tuple: ``img`` and ``ann`` with ``keypoints`` (N, 17, 2),
        ``keypoints_visible`` (N, 17), ``keypoints_occluded`` (N, 17),
        ``bbox`` (N, 4), ``area`` (N,); then, if ``return_label``, the label
        map (person ``p`` drawn with id ``p + 1``, occluders 255).
    """
    w, h = int(img_size[0]), int(img_size[1])
    if isinstance(num_people, (int, np.integer)):
        n = int(num_people)
    else:
        n = int(rng.integers(num_people[0], num_people[1] + 1))
    if n > 254:
        raise ValueError(f'num_people must be <= 254, got {n}')
    img = random_background(rng, w, h)
    label = np.zeros((h, w), np.uint8)
    canvas = FigureCanvas(img, label)
    heights = np.sort(rng.uniform(scale_range[0], scale_range[1], n)) * h
    figs = []
    for p in range(n):
        fig = sample_figure(rng, lr_shade)
        for _ in range(20):
            f, _ = _place_random(rng, fig, heights[p], max_rotation, w, h)
            if _inside(f['joints'], w, h).sum() >= min_keypoints_inside:
                break
        else:  # fall back to the image centre
            f, _ = _place_random(rng, fig, heights[p], max_rotation, w, h,
                                 center=((w - 1) / 2, (h - 1) / 2))
        figs.append(f)
    kpts = np.zeros((n, NUM_KEYPOINTS, 2), np.float32)
    vis = np.zeros((n, NUM_KEYPOINTS), np.float32)
    bboxes = np.zeros((n, 4), np.float32)
    areas = np.zeros(n, np.float32)
    for p, f in enumerate(figs):
        canvas.lid = p + 1
        draw_figure(canvas, f)
        kpts[p] = f['joints']
        vis[p] = _inside(kpts[p], w, h)
        bboxes[p] = figure_bbox(f, w, h)
        areas[p] = _area(label, bboxes[p], p + 1)
    if n and rng.random() < occlusion_prob:
        anchors = kpts[vis > 0]
        _draw_occluders(rng, canvas, anchors, float(heights.mean()),
                        int(rng.integers(1, 4)))
    occ = np.stack([_occluded(label, kpts[p], vis[p] > 0, p + 1)
                    for p in range(n)]) if n else np.zeros((0, 17),
                                                           np.float32)
    _add_noise(rng, img)
    ann = dict(keypoints=kpts, keypoints_visible=vis,
               keypoints_occluded=occ.astype(np.float32), bbox=bboxes,
               area=areas)
    return (img, ann, label) if return_label else (img, ann)


# --------------------------------------------------------------------------
# datasets
# --------------------------------------------------------------------------
_DEFAULT_METAINFO = dict(from_file='kp_ext/datasets/metainfo/coco.py')
_META_KEYS = ('upper_body_ids', 'lower_body_ids', 'flip_pairs',
              'dataset_keypoint_weights', 'flip_indices', 'skeleton_links')


def _coco_ann(kpts, vis, occ, bbox, area, ann_id, img_id):
    """COCO-style annotation dict (v=2 visible, 1 occluded, 0 outside)."""
    flat = []
    for (x, y), v, o in zip(kpts, vis, occ):
        if v > 0:
            flat += [float(x), float(y), 1 if o > 0 else 2]
        else:
            flat += [0.0, 0.0, 0]
    x1, y1, x2, y2 = (float(b) for b in bbox)
    return dict(id=int(ann_id), image_id=int(img_id), category_id=1,
                keypoints=flat, num_keypoints=int((vis > 0).sum()),
                bbox=[x1, y1, x2 - x1, y2 - y1], area=float(area),
                iscrowd=0)


class _SyntheticBase(PoseMetainfoMixin, BaseDataset):
    """Shared parts: metainfo parsing, lazy per-index rendering."""

    METAINFO: dict = _DEFAULT_METAINFO
    _kind = 'base'

    def __init__(self, num_samples: int, img_size, seed: int,
                 data_mode: str, metainfo=None, pipeline=(),
                 test_mode: bool = False, indices=None,
                 lazy_init: bool = False, max_refetch: int = 1000):
        if data_mode not in ('topdown', 'bottomup'):
            raise ValueError(f'{type(self).__name__}: data_mode must be '
                             f"'topdown' or 'bottomup', got {data_mode!r}")
        if int(num_samples) < 0:
            raise ValueError(f'{type(self).__name__}: num_samples must be '
                             f'>= 0, got {num_samples}')
        if len(img_size) != 2 or min(img_size) < 16:
            raise ValueError(f'{type(self).__name__}: img_size must be '
                             f'(w, h) >= 16, got {img_size}')
        self.num_samples = int(num_samples)
        self.img_size = (int(img_size[0]), int(img_size[1]))
        self.seed = int(seed)
        self.data_mode = data_mode
        super().__init__(
            ann_file='', metainfo=metainfo, data_root='',
            data_prefix=dict(img_path=''), indices=indices,
            serialize_data=False, pipeline=list(pipeline),
            test_mode=test_mode, lazy_init=lazy_init,
            max_refetch=max_refetch)
        nk = self._metainfo.get('num_keypoints', NUM_KEYPOINTS)
        if nk != NUM_KEYPOINTS:
            raise ValueError(f'{type(self).__name__}: renders the COCO-17 '
                             f'skeleton but metainfo has {nk} keypoints')

    def load_data_list(self):
        return [dict(synthetic_index=i,
                     img_path=f'synthetic://{self._kind}/seed{self.seed}/'
                     f'{i:06d}') for i in range(self.num_samples)]

    def rng_for(self, index: int) -> np.random.Generator:
        """The generator that renders sample ``index`` (seed, index)."""
        return np.random.default_rng([self.seed, int(index)])

    def render(self, index: int):
        """(img, ann) of original sample ``index``."""
        raise NotImplementedError

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        i = info['synthetic_index']
        img, ann = self.render(i)
        w, h = self.img_size
        n = len(ann['keypoints'])
        ids = [i * self._max_people + p + 1 for p in range(n)]
        raw = [_coco_ann(ann['keypoints'][p], ann['keypoints_visible'][p],
                         ann['keypoints_occluded'][p], ann['bbox'][p],
                         ann['area'][p], ids[p], i) for p in range(n)]
        num_kpts = [int((ann['keypoints_visible'][p] > 0).sum())
                    for p in range(n)]
        info.update(
            img=img, img_id=i, img_shape=(h, w), ori_shape=(h, w),
            bbox=ann['bbox'].astype(np.float32),
            bbox_score=np.ones(n, np.float32),
            keypoints=ann['keypoints'].astype(np.float32),
            keypoints_visible=ann['keypoints_visible'].astype(np.float32),
            keypoints_occluded=ann['keypoints_occluded'].astype(np.float32),
            area=ann['area'].astype(np.float32))
        if self.data_mode == 'topdown':
            info.update(id=ids[0], num_keypoints=num_kpts[0], iscrowd=0,
                        category_id=1, raw_ann_info=raw[0])
        else:
            info.update(id=ids, num_keypoints=num_kpts,
                        iscrowd=np.zeros(n, np.int64),
                        category_id=[1] * n, raw_ann_info=raw,
                        invalid_segs=[])
        for key in _META_KEYS:
            if key in self._metainfo:
                info[key] = copy.deepcopy(self._metainfo[key])
        if 'dataset_name' in self._metainfo:
            info['dataset_name'] = self._metainfo['dataset_name']
        return info


@DATASETS.register_module()
class SyntheticPeopleDataset(_SyntheticBase):
    """One rendered person per image, generated on the fly.

    Sample ``i`` is ``render_people_scene(np.random.default_rng([seed,
    i]), ...)``; nothing is cached, every worker and rerun agrees.

    Args:
        num_samples (int): dataset length. Default 1000.
        img_size (tuple): (w, h) of the scene. Default (256, 256).
        seed (int): base seed. Default 0.
        data_mode (str): 'topdown' (scalars ``id``, ``num_keypoints``...)
            or 'bottomup' (same sample with N=1 and per-person lists).
        metainfo (dict): default COCO
            ``dict(from_file='kp_ext/datasets/metainfo/coco.py')``; an
            already parsed ``dataset_meta`` (has ``num_keypoints``) is used
            as is.
        pipeline (list): transforms.
        test_mode (bool): mmengine flag.
        scale_range, max_rotation, truncation_prob, occlusion_prob,
        num_distractors, lr_shade: see :func:`render_people_scene`.
    """

    _kind = 'people'
    _max_people = 1

    def __init__(self, num_samples: int = 1000,
                 img_size: Tuple[int, int] = (256, 256), seed: int = 0,
                 data_mode: str = 'topdown', metainfo: Optional[dict] = None,
                 pipeline: Sequence = (), test_mode: bool = False,
                 scale_range: Tuple[float, float] = (0.55, 0.9),
                 max_rotation: float = 30.0, truncation_prob: float = 0.2,
                 occlusion_prob: float = 0.3, num_distractors: int = 0,
                 lr_shade: float = 0.0, indices=None,
                 lazy_init: bool = False, max_refetch: int = 1000):
        self.render_cfg = dict(
            scale_range=tuple(scale_range), max_rotation=float(max_rotation),
            truncation_prob=float(truncation_prob),
            occlusion_prob=float(occlusion_prob),
            num_distractors=int(num_distractors), lr_shade=float(lr_shade))
        super().__init__(num_samples, img_size, seed, data_mode, metainfo,
                         pipeline, test_mode, indices, lazy_init,
                         max_refetch)

    def render(self, index: int):
        return render_people_scene(self.rng_for(index), self.img_size,
                                   **self.render_cfg)


@DATASETS.register_module()
class SyntheticCrowdDataset(_SyntheticBase):
    """Multi-person rendered scenes for bottom-up training (one image per
    sample, all people annotated, later figures occlude earlier ones).

    Args:
        num_samples (int): dataset length. Default 1000.
        img_size (tuple): (w, h). Default (368, 368).
        seed (int): base seed.
        num_people (int | tuple): people per image, or an inclusive
            (min, max) range. Default (1, 20).
        scale_range (tuple): figure height / image height range.
            Default (0.22, 0.55).
        max_rotation, occlusion_prob, min_keypoints_inside, lr_shade: see
            :func:`render_crowd_scene`.
        data_mode (str): only 'bottomup'.
        metainfo, pipeline, test_mode: as :class:`SyntheticPeopleDataset`.
    """

    _kind = 'crowd'

    def __init__(self, num_samples: int = 1000,
                 img_size: Tuple[int, int] = (368, 368), seed: int = 0,
                 num_people: Union[int, Tuple[int, int]] = (1, 20),
                 scale_range: Tuple[float, float] = (0.22, 0.55),
                 max_rotation: float = 20.0, occlusion_prob: float = 0.2,
                 min_keypoints_inside: int = 3, lr_shade: float = 0.0,
                 data_mode: str = 'bottomup',
                 metainfo: Optional[dict] = None, pipeline: Sequence = (),
                 test_mode: bool = False, indices=None,
                 lazy_init: bool = False, max_refetch: int = 1000):
        if data_mode != 'bottomup':
            raise ValueError("SyntheticCrowdDataset supports data_mode="
                             f"'bottomup' only, got {data_mode!r}")
        if isinstance(num_people, (int, np.integer)):
            lo = hi = int(num_people)
        else:
            lo, hi = (int(v) for v in num_people)
        if not 0 <= lo <= hi <= 254:
            raise ValueError('SyntheticCrowdDataset: num_people must be an '
                             'int or (min, max) with 0 <= min <= max <= 254,'
                             f' got {num_people}')
        self._max_people = hi
        self.render_cfg = dict(
            num_people=num_people if isinstance(num_people, int) else
            (lo, hi), scale_range=tuple(scale_range),
            max_rotation=float(max_rotation),
            occlusion_prob=float(occlusion_prob),
            min_keypoints_inside=int(min_keypoints_inside),
            lr_shade=float(lr_shade))
        super().__init__(num_samples, img_size, seed, data_mode, metainfo,
                         pipeline, test_mode, indices, lazy_init,
                         max_refetch)

    def render(self, index: int):
        return render_crowd_scene(self.rng_for(index), self.img_size,
                                  **self.render_cfg)


def export_coco(dataset, out_dir: str, img_ext: str = '.png',
                ann_name: str = 'person_keypoints.json',
                indices: Optional[Sequence[int]] = None) -> str:
    """Write a synthetic dataset as COCO keypoints json + image files.

    Images go to ``out_dir/images/<img_id:06d><img_ext>``, annotations to
    ``out_dir/<ann_name>`` (returned). Keypoint ``v`` is 2 (visible),
    1 (labelled, occluded) or 0 (outside the image, written as 0, 0).
    Coordinates follow kp_ext's convention (pixel centres at integers).
    Annotation ids start at 1 (COCOeval treats id 0 as unmatched).
    """
    meta = getattr(dataset, 'metainfo', {}) or {}
    id2name = meta.get('keypoint_id2name')
    names = ([id2name[k] for k in range(NUM_KEYPOINTS)] if id2name else
             list(COCO_KEYPOINT_NAMES))
    links = meta.get('skeleton_links') or COCO_SKELETON
    img_dir = osp.join(out_dir, 'images')
    os.makedirs(img_dir, exist_ok=True)
    images, annotations = [], []
    seen = set()
    for idx in (range(len(dataset)) if indices is None else indices):
        info = dataset.get_data_info(int(idx))
        img_id = int(info['img_id'])
        raws = info['raw_ann_info']
        raws = [raws] if isinstance(raws, dict) else list(raws)
        annotations.extend(raws)
        if img_id in seen:
            continue
        seen.add(img_id)
        fname = f'{img_id:06d}{img_ext}'
        if not cv2.imwrite(osp.join(img_dir, fname), info['img']):
            raise IOError(f'export_coco: could not write '
                          f'{osp.join(img_dir, fname)}')
        h, w = info['img'].shape[:2]
        images.append(dict(id=img_id, file_name=fname, width=int(w),
                           height=int(h), synthetic=info['img_path']))
    coco = dict(
        info=dict(description='kp_ext synthetic people',
                  seed=int(getattr(dataset, 'seed', 0))),
        images=images, annotations=annotations,
        categories=[dict(id=1, name='person', supercategory='person',
                         keypoints=names,
                         skeleton=[[int(a) + 1, int(b) + 1]
                                   for a, b in links])])
    ann_path = osp.join(out_dir, ann_name)
    with open(ann_path, 'w') as f:
        json.dump(coco, f)
    return ann_path
