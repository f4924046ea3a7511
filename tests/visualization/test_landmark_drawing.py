"""Landmark figures: consistent colours across a grid, warp pairs."""
import numpy as np
import pytest
import torch

from kp_ext.visualization.landmark_drawing import (draw_landmark_grid,
                                                   draw_landmarks,
                                                   draw_warp_pair,
                                                   fse_pair_figure,
                                                   tensor_to_images)
from kp_ext.visualization.utils import distinct_colors as landmark_colors


def test_colors_distinct():
    c = landmark_colors(30)
    assert c.shape == (30, 3) and c.dtype == np.uint8
    assert len({tuple(x) for x in c}) == 30
    # neighbours in index are far apart in colour
    d = np.abs(c[1:].astype(int) - c[:-1].astype(int)).sum(1)
    assert d.min() > 60


def test_draw_landmarks_places_colour_at_point():
    img = np.zeros((40, 50, 3), np.uint8)
    cols = np.array([[255, 0, 0], [0, 255, 0]], np.uint8)
    out = draw_landmarks(img, [[10, 12], [30.4, 20.6]], cols, radius=3)
    assert img.sum() == 0  # input untouched
    np.testing.assert_array_equal(out[12, 10], [255, 0, 0])
    np.testing.assert_array_equal(out[21, 30], [0, 255, 0])
    # far from both points stays black
    assert out[35, 45].sum() == 0
    # non-finite landmarks are skipped; grayscale input becomes 3-channel
    out2 = draw_landmarks(np.zeros((10, 10), np.uint8), [[np.nan, 1]])
    assert out2.shape == (10, 10, 3) and out2.sum() == 0
    # scale maps p -> (p + 0.5) * s - 0.5: (10, 12) -> (20.5, 24.5)
    out3 = draw_landmarks(img, [[10, 12], [30, 20]], cols, radius=1.5,
                          scale=2.0, outline=False)
    assert out3.shape == (80, 100, 3)
    assert out3[24:26, 20:22, 0].min() > 150


def test_grid_uses_same_colour_per_landmark_in_every_tile():
    n, k = 5, 3
    imgs = [np.zeros((20, 20, 3), np.uint8) for _ in range(n)]
    rng = np.random.default_rng(0)
    lms = rng.uniform(4, 15, (n, k, 2))
    lms[:, :, :] = np.round(lms)
    grid = draw_landmark_grid(imgs, lms, ncols=3, scale=1.0, radius=1.5,
                              pad=2)
    assert grid.shape == (2 * 20 + 3 * 2, 3 * 20 + 4 * 2, 3)
    cols = landmark_colors(k)
    for i in range(n):
        r, c = divmod(i, 3)
        y0, x0 = 2 + r * 22, 2 + c * 22
        for j in range(k):
            # the last-drawn landmark wins where discs overlap
            later = [q for q in range(j + 1, k)
                     if np.linalg.norm(lms[i, q] - lms[i, j]) < 4]
            if later:
                continue
            x, y = lms[i, j].astype(int)
            np.testing.assert_array_equal(grid[y0 + y, x0 + x], cols[j])
    with pytest.raises(ValueError):
        draw_landmark_grid(imgs, lms[:2])


def test_warp_pair_side_by_side():
    a = np.full((16, 16, 3), 10, np.uint8)
    b = np.full((16, 16, 3), 200, np.uint8)
    lm = np.array([[4.0, 4.0]])
    out = draw_warp_pair(a, lm, b, [[10.0, 8.0]], scale=1.0, pad=4,
                         radius=1)
    assert out.shape == (24, 16 * 2 + 12, 3)
    col = landmark_colors(1)[0]
    np.testing.assert_array_equal(out[4 + 4, 4 + 4], col)
    np.testing.assert_array_equal(out[4 + 8, 4 + 16 + 4 + 10], col)
    assert out[4 + 15, 4 + 15].tolist() == [10, 10, 10]
    assert out[4 + 15, 24 + 15].tolist() == [200, 200, 200]
    with pytest.raises(ValueError):
        draw_warp_pair(a, lm, b, [[1, 1], [2, 2]])


def test_tensor_to_images_inverts_normalisation():
    img = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3))
    x = (torch.from_numpy(img).permute(0, 3, 1, 2).float() - 127.5) / 64
    out = tensor_to_images(x, [127.5] * 3, [64.0] * 3, flip_channels=True)
    np.testing.assert_array_equal(out[1], img[1, :, :, ::-1])


def test_fse_pair_figure_runs_on_estimator():
    from kp_ext.models.estimators.unsupervised import \
        UnsupervisedLandmarkEstimator
    model = UnsupervisedLandmarkEstimator(
        backbone=dict(type='FSEConvNet', out_channels=4,
                      channels=(8, 8, 8, 8, 8, 8)),
        head=dict(type='LandmarkHead', num_keypoints=4, input_size=(32, 32)),
        data_preprocessor=dict(type='PoseDataPreprocessor',
                               mean=[127.5] * 3, std=[64.0] * 3))
    x = torch.randn(3, 3, 32, 32)
    model.train()
    fig = fse_pair_figure(model, x, num=2,
                          generator=torch.Generator().manual_seed(0),
                          scale=1.0)
    assert model.training  # mode restored
    assert fig.shape == (2 * (32 + 8), 2 * 32 + 12, 3)
