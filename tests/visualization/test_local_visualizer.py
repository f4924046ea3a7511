import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from kp_ext.registry import VISUALIZERS
from kp_ext.structures import PoseDataSample
from kp_ext.visualization import PoseLocalVisualizer
from kp_ext.visualization.paf_drawing import draw_paf_arrows
from kp_ext.visualization.utils import (heatmap_overlay,
                                        sample_to_input_space,
                                        warp_heatmaps_to_image)

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
META = dict(keypoint_colors=np.array([RED, BLUE, (255, 255, 0)]),
            skeleton_links=[(0, 1), (1, 2)],
            skeleton_link_colors=np.array([GREEN, (255, 0, 255)]))

_count = [0]


def _vis(**kw):
    _count[0] += 1
    vis = VISUALIZERS.build(dict(type='PoseLocalVisualizer',
                                 name=f'test_vis_{_count[0]}', line_width=3,
                                 radius=4, **kw))
    vis.set_dataset_meta(META)
    return vis


def _inst(kpts, scores):
    return InstanceData(keypoints=np.asarray(kpts, np.float32)[None],
                        keypoint_scores=np.asarray(scores, np.float32)[None])


@pytest.mark.parametrize('backend', ['matplotlib', 'opencv'])
def test_link_midpoint_has_link_colour(backend):
    vis = _vis(backend=backend)
    img = np.zeros((100, 120, 3), np.uint8)
    out = vis.draw_instances_kpts(
        img, _inst([[20, 50], [80, 50], [80, 90]], [0.9, 0.9, 0.1]))
    assert out.shape == img.shape
    assert tuple(out[50, 50]) == GREEN          # midpoint of link 0-1
    assert tuple(out[50, 20]) == RED            # keypoint 0 on top
    assert tuple(out[50, 80]) == BLUE           # keypoint 1
    # keypoint 2 is below kpt_thr: neither it nor link 1-2 is drawn
    assert tuple(out[70, 80]) == (0, 0, 0)
    assert tuple(out[90, 80]) == (0, 0, 0)
    assert tuple(out[10, 10]) == (0, 0, 0)
    # a lower threshold draws them (tensor input)
    inst = _inst([[20, 50], [80, 50], [80, 90]], [0.9, 0.9, 0.1])
    inst.keypoints = torch.as_tensor(inst.keypoints)
    out = vis.draw_instances_kpts(img, inst, kpt_thr=0.05)
    assert tuple(out[70, 80]) == (255, 0, 255)
    assert tuple(out[90, 80]) == (255, 255, 0)


@pytest.mark.parametrize('backend', ['matplotlib', 'opencv'])
def test_vertical_link_and_gt_visibility(backend):
    vis = _vis(backend=backend)
    img = np.full((60, 60, 3), 30, np.uint8)
    gt = InstanceData(keypoints=np.array([[[10, 5], [10, 45], [50, 50]]],
                                         np.float32),
                      keypoints_visible=np.array([[1, 1, 0]], np.float32))
    out = vis.draw_instances_kpts(img, gt, kpt_thr=0.0)
    assert tuple(out[25, 10]) == GREEN
    assert tuple(out[50, 50]) == (30, 30, 30)   # not visible


def test_opencv_backend_draws_what_matplotlib_draws():
    """The two backends put the same links, discs and boxes on the same
    pixels: the drawn masks overlap almost entirely, the centres agree."""
    img = np.zeros((90, 110, 3), np.uint8)
    inst = InstanceData(
        keypoints=np.array([[[15.3, 20.7], [70.2, 25.1], [60.0, 80.4]],
                            [[95.0, 10.0], [100.0, 60.0], [-5.0, 3.0]]],
                           np.float32),
        keypoint_scores=np.array([[0.9, 0.8, 0.7], [0.9, 0.9, 0.9]],
                                 np.float32),
        bboxes=np.array([[10.0, 15.0, 75.0, 85.0], [90.0, 5.0, 105.0, 65.0]],
                        np.float32))
    drawn = {}
    for backend in ('matplotlib', 'opencv'):
        vis = _vis(backend=backend)
        out = vis.draw_instances_bbox(img, inst)
        drawn[backend] = vis.draw_instances_kpts(out, inst)
    masks = {k: v.any(-1) for k, v in drawn.items()}
    # every pixel one backend draws is within 1 px of one the other draws
    # (anti-aliased edges differ)
    for a, b in (('matplotlib', 'opencv'), ('opencv', 'matplotlib')):
        near_b = cv2.dilate(masks[b].astype(np.uint8), np.ones((3, 3),
                                                              np.uint8))
        covered = (masks[a] & (near_b > 0)).sum() / masks[a].sum()
        assert masks[a].sum() > 500 and covered > 0.97, (a, covered)
    for x, y in ((15, 21), (70, 25), (60, 80), (95, 10), (100, 60)):
        assert (drawn['matplotlib'][y, x] == drawn['opencv'][y, x]).all(), \
            (x, y)
    # the off-image keypoint (-5, 3) is drawn by neither
    assert not masks['opencv'][0:6, 0:3].any()


@pytest.mark.parametrize('backend', ['matplotlib', 'opencv'])
def test_keypoint_at_the_border_keeps_the_picture_in_place(backend):
    # before the fix, matplotlib widened its axes to the disc reaching past
    # the corner: the picture shrank inside white margins
    img = np.full((80, 96, 3), 90, np.uint8)
    out = _vis(backend=backend).draw_instances_kpts(
        img, _inst([[1, 1], [60, 79], [95, 40]], [0.9, 0.9, 0.0]))
    assert not (out == 255).all(-1).any()
    assert tuple(out[79, 0]) == (90, 90, 90)
    assert tuple(out[0, 95]) == (90, 90, 90)
    assert tuple(out[1, 1]) == RED and tuple(out[79, 60]) == BLUE


def test_opencv_backend_alpha_and_bad_backend():
    img = np.full((40, 40, 3), 100, np.uint8)
    vis = _vis(backend='opencv', alpha=0.5)
    out = vis.draw_instances_kpts(img, _inst([[20, 20], [30, 20], [0, 0]],
                                             [0.9, 0.9, 0.0]))
    # half red over grey 100 at keypoint 0; the rest of the image kept
    assert tuple(out[20, 20]) == (178, 50, 50)
    assert tuple(out[35, 5]) == (100, 100, 100)
    with pytest.raises(ValueError, match="backend must be 'matplotlib' or "
                       "'opencv', got 'pil'"):
        PoseLocalVisualizer(name='test_vis_bad_backend', backend='pil')


def test_heatmap_overlay_shape_and_colours():
    img = np.zeros((64, 80, 3), np.uint8)
    hm = np.zeros((3, 16, 20), np.float32)
    hm[1, 8, 10] = 1.0                       # max over channels
    out = heatmap_overlay(hm, img, alpha=1.0)
    assert out.shape == img.shape and out.dtype == np.uint8
    jet = cv2.applyColorMap(np.array([[0, 255]], np.uint8),
                            cv2.COLORMAP_JET)[0, :, ::-1]
    peak = np.unravel_index(np.abs(out.astype(int) -
                                   jet[1]).sum(-1).argmin(), out.shape[:2])
    # peak near heatmap pixel (10, 8) * 4
    assert abs(peak[0] - 33.5) <= 2 and abs(peak[1] - 41.5) <= 2
    np.testing.assert_array_equal(out[0, 0], jet[0])
    # alpha blend on a grey image
    grey = np.full((64, 80, 3), 100, np.uint8)
    half = heatmap_overlay(hm, grey, alpha=0.5)
    np.testing.assert_allclose(half[0, 0], 0.5 * 100 + 0.5 * jet[0],
                               atol=1)


def test_add_datasample_side_by_side_and_out_file(tmp_path):
    vis = _vis()
    img = np.zeros((80, 100, 3), np.uint8)
    ds = PoseDataSample()
    ds.gt_instances = InstanceData(
        keypoints=np.array([[[10, 40], [90, 40], [50, 70]]], np.float32),
        keypoints_visible=np.ones((1, 3), np.float32),
        bboxes=np.array([[5, 5, 95, 75]], np.float32))
    ds.pred_instances = _inst([[10, 20], [90, 20], [50, 70]], [1, 1, 1])
    ds.pred_fields = PixelData(heatmaps=np.random.rand(3, 20, 25))
    out_file = tmp_path / 'sub' / 'vis.png'
    drawn = vis.add_datasample('s', img, ds, out_file=str(out_file))
    assert drawn.shape == (80, 200, 3)
    assert tuple(drawn[40, 50]) == GREEN            # gt link, left panel
    assert tuple(drawn[20, 100 + 50]) == GREEN      # pred link, right panel
    assert tuple(drawn[20, 50]) == (0, 0, 0)
    saved = mmcv.imread(str(out_file), channel_order='rgb')
    np.testing.assert_array_equal(saved, drawn)
    # heatmap panel below the prediction only (gt has no fields)
    drawn = vis.add_datasample('s', img, ds, draw_gt=False, draw_bbox=True,
                               draw_heatmap=True,
                               out_file=str(tmp_path / 'h.png'))
    assert drawn.shape == (160, 100, 3)
    assert drawn[80:].std() > 10
    # the bbox is drawn in green on the left edge x = 5
    drawn = vis.add_datasample('s', img, ds, draw_pred=False,
                               draw_bbox=True, out_file=str(tmp_path / 'b.png'))
    assert drawn.shape == (80, 100, 3)
    assert drawn[30:50, 4:8, 1].max() > 100


def test_add_datasample_goes_to_backend(tmp_path):
    vis = _vis(vis_backends=[dict(type='LocalVisBackend')],
               save_dir=str(tmp_path))
    img = np.zeros((40, 40, 3), np.uint8)
    ds = PoseDataSample()
    ds.pred_instances = _inst([[5, 5], [30, 5], [30, 30]], [1, 1, 1])
    vis.add_datasample('val_img', img, ds, step=7)
    files = list(tmp_path.rglob('*.png'))
    assert len(files) == 1 and '7' in files[0].name


def test_vector_field_arrows():
    vis = _vis()
    img = np.zeros((32, 32, 3), np.uint8)
    field = np.zeros((2, 8, 8), np.float32)
    field[0, 4, 4] = 1.0                       # one vector pointing right
    out = vis.draw_vector_field(img, field, step=1, color=(0, 255, 255))
    ys, xs = np.nonzero(out[..., 1])
    assert len(xs) and xs.min() >= 17 and xs.max() > 20
    assert np.all(np.abs(ys - 18) <= 3)
    with pytest.raises(ValueError):
        vis.draw_vector_field(img, np.zeros((3, 8, 8)))


def test_vector_field_arrows_are_the_paf_drawers_at_pixel_centres():
    # one drawer: the visualizer draws what draw_paf_arrows draws
    vis = _vis()
    img = np.zeros((32, 32, 3), np.uint8)
    field = np.zeros((2, 8, 8), np.float32)
    field[0, 4, 4] = 1.0              # stride 4: map pixel 4 -> image 17.5
    out = vis.draw_vector_field(img, field, step=1, color=(0, 255, 255),
                                length=8)
    np.testing.assert_array_equal(
        out, draw_paf_arrows(img, field, 0, step=1, color=(0, 255, 255),
                             arrow_length=8, tip_length=0.3))
    # the anti-aliased shaft is centred on y = (4 + 0.5) * 4 - 0.5 = 17.5
    # (map pixel centres on image pixel centres), not on 18
    col = out[:, 21, 1].astype(np.float64)
    assert abs((col * np.arange(32)).sum() / col.sum() - 17.5) < 0.1
    # (L, 2, H, W) fields draw the same arrows
    np.testing.assert_array_equal(
        vis.draw_vector_field(img, field[None], step=1,
                              color=(0, 255, 255), length=8), out)


def test_warp_heatmaps_and_input_space_mapping():
    meta = dict(input_center=np.array([[100., 80.]]),
                input_scale=np.array([[128., 128.]]),
                input_size=(64, 64))
    hm = np.zeros((1, 16, 16), np.float32)
    hm[0, 8, 4] = 1.0    # input (16, 32) -> image (100 + (16-32)*2, 80)
    out = warp_heatmaps_to_image(hm, meta, (160, 200))
    assert out.shape == (1, 160, 200)
    y, x = np.unravel_index(out[0].argmax(), out[0].shape)
    assert (y, x) == (80, 68)
    ds = PoseDataSample(metainfo=meta)
    ds.pred_instances = _inst([[100, 80], [68, 80], [100, 96]], [1, 1, 1])
    ds.pred_instances.bboxes = np.array([[36., 16., 164., 144.]])
    mapped = sample_to_input_space(ds, (64, 64))
    np.testing.assert_allclose(mapped.pred_instances.keypoints[0],
                               [[32, 32], [16, 32], [32, 40]], atol=1e-4)
    np.testing.assert_allclose(mapped.pred_instances.bboxes[0],
                               [0, 0, 64, 64], atol=1e-4)
    # the original is untouched
    assert ds.pred_instances.keypoints[0, 0, 0] == 100


def test_set_dataset_meta_colour_count_checked():
    vis = _vis()
    with pytest.raises(ValueError):
        vis.draw_instances_kpts(np.zeros((10, 10, 3), np.uint8),
                                _inst([[1, 1], [2, 2]], [1, 1]))
    assert isinstance(vis, PoseLocalVisualizer)
