"""Drawing primitives of the synthetic scenes: 2-vector geometry (numpy,
y down) and :class:`FigureCanvas`, which paints polygons, circles,
ellipses and tapered limbs anti-aliased on the colour image and, when a
label map is given, the same shapes aliased with an integer id (which
figure or occluder covers each pixel)."""
import math

import cv2
import numpy as np

__all__ = ['FigureCanvas']

_SHIFT = 4  # sub-pixel bits for OpenCV drawing
_ONE = 1 << _SHIFT


def _rot(v, a):
    """Rotate 2-vector(s) ``v`` by ``a`` radians (clockwise on screen)."""
    c, s = math.cos(a), math.sin(a)
    v = np.asarray(v, dtype=np.float64)
    return np.stack([c * v[..., 0] - s * v[..., 1],
                     s * v[..., 0] + c * v[..., 1]], axis=-1)


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
