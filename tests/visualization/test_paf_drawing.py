"""PAF, confidence-map and skeleton drawing (paf_drawing)."""
import numpy as np
import pytest
import torch

from kp_ext.codecs import PartAffinityField
from kp_ext.visualization.paf_drawing import (direction_color,
                                              draw_confidence_maps, draw_paf,
                                              draw_paf_arrows, draw_skeletons,
                                              paf_panel, paf_to_rgb)
from kp_ext.visualization.utils import distinct_colors

RED, CYAN = (255, 0, 0), (0, 255, 255)


def test_direction_colour_code():
    assert direction_color(1, 0) == RED               # right
    assert direction_color(-1, 0) == CYAN             # left
    assert direction_color(0, 1) == (127, 255, 0)     # down (hue 90)
    assert direction_color(0, -1) == (128, 0, 255)    # up (hue 270)
    assert direction_color(1, 0, value=0.) == (0, 0, 0)


def test_paf_to_rgb_hue_and_value():
    f = np.zeros((2, 2, 3), np.float32)
    f[0, 0, 0] = 1.0         # right, full length
    f[1, 0, 1] = 1.0         # down
    f[0, 1, 0] = -0.5        # left, half length
    rgb = paf_to_rgb(f)
    assert tuple(rgb[0, 0]) == RED
    assert tuple(rgb[0, 1]) == (127, 255, 0)
    assert tuple(rgb[1, 0]) == (0, 128, 128)  # cyan at half value
    assert tuple(rgb[1, 2]) == (0, 0, 0)      # no vector: black
    with pytest.raises(ValueError):
        paf_to_rgb(np.zeros((3, 4, 4)))


def _one_arrow(vx, vy, length=30.0):
    img = np.zeros((100, 100, 3), np.uint8)
    field = np.zeros((2, 10, 10), np.float32)  # stride 10
    field[:, 5, 5] = (vx, vy)                  # starts at image (54.5, 54.5)
    return draw_paf_arrows(img, field, limb=0, step=1, arrow_length=length)


def _extent(lit):
    idx = np.nonzero(lit)[0]
    return 0 if len(idx) == 0 else idx.max() - idx.min() + 1


@pytest.mark.parametrize('sign', [1, -1])
def test_arrow_points_along_the_field(sign):
    out = _one_arrow(sign * 1.0, 0.0)
    lit = out.max(-1) > 60
    tip_x = int(round(54.5 + sign * 30))
    # shaft: lit pixels only between start and tip
    xs = np.nonzero(lit.any(0))[0]
    assert min(abs(xs.min() - min(54.5, tip_x)),
               abs(xs.max() - max(54.5, tip_x))) <= 2
    assert xs.max() - xs.min() >= 28
    # the head (wide) is at the tip end, not at the start
    near_tip = _extent(lit[:, tip_x - sign * 3])
    near_start = _extent(lit[:, 55 + sign * 3])
    assert near_tip >= near_start + 3
    # colour along the shaft encodes the direction
    mid = (55 + tip_x) // 2
    rows = np.nonzero(lit[:, mid])[0]
    px = out[rows[np.argmax(out[rows, mid].sum(-1))], mid].astype(int)
    expect = np.array(RED if sign > 0 else CYAN)
    # anti-aliased line: the hue is exact, the brightness may drop
    assert px.max() > 120
    assert np.abs(px / px.max() * 255 - expect).max() <= 10


def test_vertical_arrow_points_down():
    out = _one_arrow(0.0, 1.0)
    lit = out.max(-1) > 60
    ys = np.nonzero(lit.any(1))[0]
    assert ys.min() >= 52 and ys.max() >= 82       # downwards, not up
    assert _extent(lit[81]) >= _extent(lit[58]) + 3
    # explicit colour overrides the direction code, short vectors skipped
    field = np.zeros((2, 10, 10), np.float32)
    field[0, 2, 2] = 0.05
    field[0, 7, 7] = 1.0
    out = draw_paf_arrows(np.zeros((100, 100, 3), np.uint8), field, 0,
                          step=1, min_norm=0.1, color=(0, 0, 255))
    assert out[..., :2].max() == 0 and out[..., 2].max() > 0
    assert out[:40, :40].max() == 0


def test_codec_field_of_a_horizontal_limb_draws_red_arrows():
    codec = PartAffinityField((64, 64), (16, 16), limbs=[(0, 1)])
    enc = codec.encode(np.array([[[8., 30.], [56., 30.]]]))
    img = np.full((64, 64, 3), 40, np.uint8)
    out = draw_paf_arrows(img, enc['pafs'], limb=0, step=2)
    changed = np.abs(out.astype(int) - 40).sum(-1) > 60
    assert changed.sum() > 20
    cols = out[changed].astype(int)
    # every arrow is red-ish: red channel dominates
    assert (cols[:, 0] > cols[:, 1] + 30).mean() > 0.9
    # reversed limb direction -> cyan arrows
    enc = codec.encode(np.array([[[56., 30.], [8., 30.]]]))
    out = draw_paf_arrows(img, torch.from_numpy(enc['pafs']), limb=0,
                          step=2)
    cols = out[np.abs(out.astype(int) - 40).sum(-1) > 60].astype(int)
    assert (cols[:, 1] > cols[:, 0] + 30).mean() > 0.9


def test_draw_paf_dense_overlay_only_where_the_field_is():
    img = np.full((40, 40, 3), 100, np.uint8)
    pafs = np.zeros((4, 10, 10), np.float32)   # two limbs
    pafs[2, 4:6, :] = 1.0                      # limb 1: right, a band
    out = draw_paf(img, pafs, limb=1, arrows=False)
    assert (out[:10] == 100).all() and (out[-10:] == 100).all()
    band = out[18:22].astype(int)
    assert (band[..., 0] > band[..., 1] + 50).all()   # red tint
    # limb 0 is empty: nothing drawn
    assert (draw_paf(img, pafs, limb=0) == 100).all()
    # limb=None: the longest vector of any limb
    assert (draw_paf(img, pafs, limb=None, arrows=False) == out).all()
    with pytest.raises(IndexError):
        draw_paf(img, pafs, limb=2)


def test_confidence_maps_blend_at_peaks_only():
    img = np.full((32, 32, 3), 128, np.uint8)
    hm = np.zeros((3, 8, 8), np.float32)
    hm[1, 2, 5] = 1.0
    out = draw_confidence_maps(img, hm, alpha=0.6)
    diff = np.abs(out.astype(int) - 128).sum(-1)
    y, x = np.unravel_index(diff.argmax(), diff.shape)
    assert abs(x - 21.5) <= 2 and abs(y - 9.5) <= 2
    assert diff[28:, :10].max() == 0   # far from the peak: untouched
    assert (draw_confidence_maps(img, np.zeros((3, 8, 8))) == img).all()
    # channel selection
    assert (draw_confidence_maps(img, hm, channels=[0]) == img).all()


def test_skeletons_per_person_and_per_limb():
    img = np.zeros((60, 60, 3), np.uint8)
    kpts = np.array([[[10., 10.], [10., 50.], [30., 30.]],
                     [[50., 10.], [50., 50.], [np.nan, 0.]]])
    scores = np.array([[1., 1., 0.1], [1., 1., 1.]])
    out = draw_skeletons(img, kpts, scores, skeleton=[(0, 1), (1, 2)],
                         radius=2, thickness=3)
    c0, c1 = map(tuple, distinct_colors(2, saturation=0.85).tolist())
    assert c0 != c1
    assert tuple(out[30, 10]) == c0 and tuple(out[30, 50]) == c1
    assert out[30, 30].max() == 0        # low-score keypoint not drawn
    assert out[40, 20].max() == 0        # nor its link
    out = draw_skeletons(img, kpts, scores, skeleton=[(0, 1), (1, 2)],
                         color_by='limb', limb_colors=[(10, 20, 30),
                                                       (40, 50, 60)],
                         radius=1, thickness=3)
    assert tuple(out[30, 10]) == (10, 20, 30)
    assert (draw_skeletons(img, np.zeros((0, 17, 2))) == img).all()
    with pytest.raises(ValueError):
        draw_skeletons(img, kpts, color_by='joint')


def test_panel_layout():
    img = np.zeros((20, 30, 3), np.uint8)
    out = paf_panel(img, np.zeros((2, 5, 5)), np.zeros((4, 5, 5)),
                    np.zeros((1, 2, 2)), skeleton=[(0, 1)])
    assert out.shape == (20, 3 * 30 + 2 * 2, 3)
