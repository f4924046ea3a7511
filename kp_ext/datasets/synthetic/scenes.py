"""Synthetic scenes: figures placed on a background with occluders and
truncation -- one person per image (top-down) or a crowd (bottom-up).
Each returns the image and its annotations (keypoints, visibility,
occlusion, boxes, silhouette areas)."""
import math
from typing import Tuple, Union

import numpy as np

from .backgrounds import _add_noise, random_background
from .figure import (FOOT_KEYPOINT_NAMES, NOMINAL_HEIGHT, NUM_KEYPOINTS,
                     _figure_extent, draw_figure, figure_bbox,
                     foot_keypoints, place_figure, sample_figure)
from .render import FigureCanvas, _color, _rot

_OCCLUDER_ID = 255  # label-map id of occluders (figures count from 1)

__all__ = ['render_people_scene', 'render_crowd_scene']

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
                       return_label: bool = False,
                       with_feet: bool = False):
    """Render a multi-person scene (bottom-up).

    Figures are drawn in painter's order from small (far) to large (near),
    so later figures occlude earlier ones. Every figure keeps at least
    ``min_keypoints_inside`` keypoints inside the image (of COCO's 17).
    ``with_feet`` adds the six foot points of :func:`foot_keypoints` after
    the 17 (the ``coco_foot23.py`` layout, K = 23); the image and the 17
    are the same as without (no extra random draw).

    Returns:
        tuple: ``img`` and ``ann`` with ``keypoints`` (N, K, 2),
        ``keypoints_visible`` (N, K), ``keypoints_occluded`` (N, K),
        ``bbox`` (N, 4), ``area`` (N,), K = 17 (23 with feet); then, if
        ``return_label``, the label map (person ``p`` drawn with id
        ``p + 1``, occluders 255).
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
    num_kpts = NUM_KEYPOINTS + (len(FOOT_KEYPOINT_NAMES) if with_feet
                                else 0)
    kpts = np.zeros((n, num_kpts, 2), np.float32)
    vis = np.zeros((n, num_kpts), np.float32)
    bboxes = np.zeros((n, 4), np.float32)
    areas = np.zeros(n, np.float32)
    for p, f in enumerate(figs):
        canvas.lid = p + 1
        draw_figure(canvas, f)
        kpts[p] = (np.concatenate([f['joints'], foot_keypoints(f)])
                   if with_feet else f['joints'])
        vis[p] = _inside(kpts[p], w, h)
        bboxes[p] = figure_bbox(f, w, h)
        areas[p] = _area(label, bboxes[p], p + 1)
    if n and rng.random() < occlusion_prob:
        # anchored on COCO's 17 only: the same occluders with feet
        body = slice(0, NUM_KEYPOINTS)
        anchors = kpts[:, body][vis[:, body] > 0]
        _draw_occluders(rng, canvas, anchors, float(heights.mean()),
                        int(rng.integers(1, 4)))
    occ = np.stack([_occluded(label, kpts[p], vis[p] > 0, p + 1)
                    for p in range(n)]) if n else np.zeros((0, num_kpts),
                                                           np.float32)
    _add_noise(rng, img)
    ann = dict(keypoints=kpts, keypoints_visible=vis,
               keypoints_occluded=occ.astype(np.float32), bbox=bboxes,
               area=areas)
    return (img, ann, label) if return_label else (img, ann)
