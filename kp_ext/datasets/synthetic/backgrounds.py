"""Random backgrounds (gradients, textures, checkerboards, shapes) and the
sensor noise of the synthetic scenes, drawn from the caller's generator
(the noise tables are fixed and built once)."""
import math

import cv2
import numpy as np

from .render import FigureCanvas, _color, _rot

__all__ = ['random_background']

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
