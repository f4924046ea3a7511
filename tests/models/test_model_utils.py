import numpy as np
import pytest
import torch

from kp_ext.models.utils import (flip_heatmaps, get_heatmap_maximum,
                                 pose_pck_accuracy)
from kp_ext.structures import keypoint_pck_accuracy


def test_flip_heatmaps_mirror_swap_shift():
    hm = torch.arange(2 * 3 * 2 * 4, dtype=torch.float32).reshape(2, 3, 2, 4)
    flip_indices = [1, 0, 2]
    out = flip_heatmaps(hm, flip_indices)
    for k, src in enumerate(flip_indices):
        for x in range(4):
            assert torch.equal(out[:, k, :, x], hm[:, src, :, 3 - x])
    shifted = flip_heatmaps(hm, flip_indices, shift_heatmap=True)
    assert torch.equal(shifted[..., 1:], out[..., :-1])
    assert torch.equal(shifted[..., 0], out[..., 0])
    # flipping back a flipped map gives the original
    assert torch.equal(flip_heatmaps(out, flip_indices), hm)
    with pytest.raises(ValueError):
        flip_heatmaps(hm, [0, 1])


def test_get_heatmap_maximum():
    hm = np.zeros((2, 3, 4, 5), dtype=np.float32)
    hm[0, 0, 2, 3] = 0.7
    hm[1, 2, 0, 4] = 0.2
    locs, vals = get_heatmap_maximum(hm)
    assert locs.shape == (2, 3, 2) and vals.shape == (2, 3)
    assert np.array_equal(locs[0, 0], [3, 2])
    assert np.array_equal(locs[1, 2], [4, 0])
    assert np.array_equal(locs[0, 1], [-1, -1])  # empty map
    assert np.isclose(vals[0, 0], 0.7)


def test_pck_accuracy():
    pred = np.array([[[0., 0.], [10., 0.], [3., 4.]]])
    gt = np.zeros((1, 3, 2))
    mask = np.array([[True, True, False]])
    acc, avg, cnt = keypoint_pck_accuracy(pred, gt, mask, 0.5,
                                          np.array([[10., 10.]]))
    assert cnt == 2 and np.isclose(avg, 0.5)
    assert acc[2] == -1 and acc[0] == 1 and acc[1] == 0

    out = torch.zeros(2, 2, 16, 16)
    tgt = torch.zeros(2, 2, 16, 16)
    tgt[:, 0, 5, 5] = 1
    tgt[:, 1, 10, 3] = 1
    out[:, 0, 5, 5] = 1  # exact
    out[:, 1, 10, 12] = 1  # 9 px off > 0.05 * 16
    _, avg, cnt = pose_pck_accuracy(out, tgt, torch.ones(2, 2) > 0)
    assert cnt == 2 and np.isclose(avg, 0.5)
    _, avg, cnt = pose_pck_accuracy(out, tgt,
                                    torch.tensor([[True, False]] * 2))
    assert cnt == 1 and np.isclose(avg, 1.0)
