"""The synthetic figure: a human-like body on the COCO-17 skeleton.

:func:`sample_figure` draws a random front-facing figure in its body frame
(pose, proportions, clothing), :func:`place_figure` scales, rotates and
moves it into an image, :func:`draw_figure` paints it on a
:class:`~.render.FigureCanvas`. The keypoints are exactly the rendered
joint positions.
"""
import math
from typing import Sequence

import numpy as np

from kp_ext.structures.metainfo import parse_pose_metainfo
from .render import FigureCanvas, _color, _rot

__all__ = [
    'COCO_KEYPOINT_NAMES', 'COCO_SKELETON', 'NUM_KEYPOINTS', 'sample_figure',
    'place_figure', 'draw_figure', 'figure_bbox', 'foot_keypoints',
    'FOOT_KEYPOINT_NAMES'
]

# The figure is drawn on COCO's keypoints, named, ordered and linked as in
# kp_ext/datasets/metainfo/coco.py, the one source of that layout.
_COCO = parse_pose_metainfo(dict(from_file='coco.py'))
NUM_KEYPOINTS = _COCO['num_keypoints']
COCO_KEYPOINT_NAMES = tuple(_COCO['keypoint_id2name'][k]
                            for k in range(NUM_KEYPOINTS))
COCO_SKELETON = tuple(_COCO['skeleton_links'])  # 0-based index pairs

# the joints the renderer places, looked up by their coco.py names
_JOINT_NAMES = (
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
    'right_knee', 'left_ankle', 'right_ankle')
(NOSE, L_EYE, R_EYE, L_EAR, R_EAR, L_SH, R_SH, L_EL, R_EL, L_WR, R_WR, L_HIP,
 R_HIP, L_KN, R_KN, L_AN, R_AN) = (_COCO['keypoint_name2id'][name]
                                   for name in _JOINT_NAMES)

# The six foot points (big toe, small toe, heel of each foot), in the order
# of kp_ext/datasets/metainfo/coco_foot23.py (keypoints 17-22), which
# places them after COCO's 17.
_FOOT23 = parse_pose_metainfo(dict(from_file='coco_foot23.py'))
FOOT_KEYPOINT_NAMES = tuple(_FOOT23['keypoint_id2name'][k]
                            for k in range(NUM_KEYPOINTS,
                                           _FOOT23['num_keypoints']))

# Nominal standing height of a figure, in torso lengths (head top to feet).
NOMINAL_HEIGHT = 3.75
_EAR_ALPHA = 1.6  # ear azimuth on the head (rad, 0 = nose)

_SKIN_TONES = np.array([(45, 62, 100), (58, 85, 135), (75, 108, 165),
                        (95, 135, 195), (120, 160, 220), (150, 190, 235),
                        (170, 205, 245)], dtype=np.float32)


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


def foot_keypoints(f: dict) -> np.ndarray:
    """The six foot points (``FOOT_KEYPOINT_NAMES`` order) of a placed
    figure, (6, 2) float64, on the drawn shoe of each foot.

    The shoe is the ellipse :func:`draw_figure` paints: centre ``p``, unit
    direction ``d`` (pointing away from the body), half axes ``0.13 w`` and
    ``0.065 w`` (``w`` the limb width unit). With ``g`` the unit normal of
    ``d`` on the sole's side (towards where the shin points): big toe ``p +
    0.11 w d - 0.02 w g`` (the tip), small toe ``p + 0.06 w d + 0.035 w g``,
    heel ``p - 0.09 w d + 0.045 w g`` (the back of the sole, clear of the
    shin). All three lie inside the ellipse. Only the placed geometry is
    read, no random draw: rendering with feet draws the same images as
    without.
    """
    w = f['width'] * f['scale'] * f['L']
    j = f['joints']
    out = []
    for (p, d), kn, an in zip(f['feet'], (L_KN, R_KN), (L_AN, R_AN)):
        p = np.asarray(p, np.float64)
        d = np.asarray(d, np.float64)
        d = d / max(np.hypot(d[0], d[1]), 1e-12)
        g = np.array([-d[1], d[0]])
        if np.dot(g, j[an] - j[kn]) < 0:
            g = -g
        out += [p + 0.11 * w * d - 0.02 * w * g,
                p + 0.06 * w * d + 0.035 * w * g,
                p - 0.09 * w * d + 0.045 * w * g]
    return np.stack(out)


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
