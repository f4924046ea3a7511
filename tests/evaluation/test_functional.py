import math

import numpy as np
import pytest

from kp_ext.evaluation.functional import (keypoint_epe, keypoint_nme,
                                          keypoint_pck_accuracy, oks_iou,
                                          oks_nms, soft_oks_nms)


def test_pck_accuracy_by_hand():
    gt = np.zeros((2, 3, 2))
    pred = gt.copy()
    # instance 0 (norm 10): joint0 off by 0.3 norm (correct at thr .5),
    # joint1 off by 0.6 (wrong), joint2 exact
    pred[0, 0] = [3, 0]
    pred[0, 1] = [0, 6]
    # instance 1 (norm 20): joint0 off by 12 px = 0.6 (wrong), joint1 off by
    # 4 px = 0.2 (correct), joint2 not annotated
    pred[1, 0] = [12, 0]
    pred[1, 1] = [4, 0]
    mask = np.array([[1, 1, 1], [1, 1, 0]], dtype=bool)
    norm = np.array([[10, 10], [20, 20]])
    acc, avg, cnt = keypoint_pck_accuracy(pred, gt, mask, 0.5, norm)
    np.testing.assert_allclose(acc, [0.5, 0.5, 1.0])
    assert avg == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert cnt == 3
    # a zero normaliser removes the instance from scoring
    acc, _, _ = keypoint_pck_accuracy(pred, gt, mask, 0.5,
                                      np.array([[10, 10], [0, 0]]))
    np.testing.assert_allclose(acc, [1.0, 0.0, 1.0])
    # a joint with no valid entry gets -1 and is left out of the mean
    acc, avg, cnt = keypoint_pck_accuracy(pred, gt, np.zeros((2, 3), bool)
                                          | [[True, False, False]] * 2, 0.5,
                                          norm)
    assert acc[1] == -1 and acc[2] == -1 and cnt == 1 and avg == 0.5


def test_nme_and_epe_by_hand():
    gt = np.zeros((1, 2, 2))
    pred = np.array([[[3.0, 4.0], [0.0, 1.0]]])
    mask = np.ones((1, 2), bool)
    # errors 5 and 1, normaliser 10 -> (0.5 + 0.1) / 2
    assert keypoint_nme(pred, gt, mask, np.array([[10, 10]])) == \
        pytest.approx(0.3)
    assert keypoint_epe(pred, gt, mask) == pytest.approx(3.0)


def test_oks_iou_matches_formula():
    sig = np.array([0.1, 0.2])
    g = np.array([[0, 0, 1], [10, 0, 1]], float)
    d = np.array([[[1, 0, 1], [10, 2, 1]]], float)
    area = 100.0
    # COCO: exp(-d^2 / (2 * s^2 * k^2)), k = 2 sigma, s^2 = area
    expect = np.mean([math.exp(-1 / (2 * area * 0.2**2)),
                      math.exp(-4 / (2 * area * 0.4**2))])
    assert oks_iou(g, d, area, [area], sig)[0] == pytest.approx(expect,
                                                                rel=1e-9)
    # vis_thr keeps only keypoints confident in both
    d2 = d.copy()
    d2[0, 1, 2] = 0.0
    assert oks_iou(g, d2, area, [area], sig, vis_thr=0.5)[0] == \
        pytest.approx(math.exp(-1 / (2 * area * 0.2**2)))


def _inst(kpts, score, area=400.0):
    k = np.concatenate([np.asarray(kpts, float), np.ones((len(kpts), 1))], 1)
    return dict(keypoints=k, score=score, area=area)


def test_oks_nms_removes_duplicate():
    sig = np.full(3, 0.05)
    a = [[10, 10], [20, 10], [15, 30]]
    dup = [[10.5, 10], [20, 10.5], [15, 30]]
    far = [[100, 100], [120, 100], [110, 130]]
    db = [_inst(dup, 0.8), _inst(a, 0.9), _inst(far, 0.5)]
    keep = oks_nms(db, 0.9, sigmas=sig)
    assert keep.tolist() == [1, 2]
    # a strict threshold keeps everything
    assert sorted(oks_nms(db, 1.0, sigmas=sig).tolist()) == [0, 1, 2]
    assert len(oks_nms([], 0.9, sigmas=sig)) == 0
    # soft NMS keeps all, but the duplicate's decayed score ranks it last
    soft = soft_oks_nms(db, 0.3, sigmas=sig)
    assert soft.tolist() == [1, 2, 0]
