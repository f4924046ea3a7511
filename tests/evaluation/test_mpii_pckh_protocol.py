"""MPII PCKh against a hand computation with the official evaluatePCKh.m
formula: head size = SC_BIAS (0.6) x head-box diagonal, an entry counts
where the joint is annotated (jnt_visible) and is correct when
``error / head_size <= 0.5``; 'Mean' over all joints but pelvis and thorax,
weighted by the joints' counts. A person without a head size (NaN) is left
out, never counted as wrong."""
import numpy as np
import pytest
from mmengine.structures import InstanceData

from kp_ext.evaluation.functional import keypoint_pck_accuracy
from kp_ext.evaluation.metrics.pck import mpii_pckh_table
from kp_ext.registry import METRICS
from kp_ext.structures import PoseDataSample

NAMES = ['right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee',
         'left_ankle', 'pelvis', 'thorax', 'upper_neck', 'head_top',
         'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder',
         'left_elbow', 'left_wrist']
J = {n: i for i, n in enumerate(NAMES)}
SC_BIAS = 0.6


def _head_size(box):
    """util_get_head_size of evaluatePCKh.m: 0.6 x the box diagonal."""
    (x1, y1), (x2, y2) = box
    return SC_BIAS * np.hypot(x2 - x1, y2 - y1)


def _people():
    """Three people; A and B with head boxes, C without a head size."""
    rng = np.random.RandomState(0)
    gt = rng.randint(100, 300, (3, 16, 2)).astype(float)  # exact ties
    pred = gt.copy()
    vis = np.ones((3, 16))
    # A: box diagonal 50 -> head size 30; PCKh@0.5 tolerates 15 px
    head = [_head_size([[0, 0], [30, 40]]),
            # B: box diagonal 10 -> head size 6; tolerates 3 px
            _head_size([[10, 10], [16, 18]]),
            np.nan]
    assert head[0] == pytest.approx(30) and head[1] == pytest.approx(6)
    pred[0, J['head_top']] += [9, 12]        # 15 px = 0.5 exactly: correct
    pred[0, J['right_wrist']] += [16, 0]     # 0.53: wrong
    pred[0, J['left_wrist']] += [0, 2]       # 0.067: correct, also at 0.1
    pred[0, J['pelvis']] += [100, 0]         # wrong, not in the MPII mean
    pred[0, J['left_ankle']] += [500, 0]     # not annotated
    vis[0, J['left_ankle']] = 0
    pred[1, J['head_top']] += [0, 4]         # 0.67: wrong
    pred[1, J['right_shoulder']] += [2.9, 0]  # 0.48: correct, wrong at 0.1
    pred[1, J['thorax']] += [50, 0]          # wrong, not in the MPII mean
    pred[2] += 1000                          # C: no head size, not scored
    return pred, gt, vis, np.array(head)


def test_official_formula_by_hand():
    pred, gt, vis, head = _people()
    table = mpii_pckh_table(pred, gt, vis > 0, head, NAMES, thr=0.5)
    # counted in the mean (14 joints): A 13 (left ankle unannotated),
    # B 14; wrong: A right wrist, B head top -> 25 / 27
    assert table['Mean'] == pytest.approx(100 * 25 / 27)
    assert table['Head'] == pytest.approx(50)       # A right, B wrong
    assert table['Shoulder'] == pytest.approx(100)
    assert table['Wrist'] == pytest.approx(75)      # right 1/2, left 2/2
    assert table['Ankle'] == pytest.approx(100)     # left: only B counted
    for col in ('Elbow', 'Hip', 'Knee'):
        assert table[col] == pytest.approx(100)
    # PCKh@0.1 (A 3 px, B 0.6 px): also wrong A head top, B right
    # shoulder -> 23 / 27
    at01 = mpii_pckh_table(pred, gt, vis > 0, head, NAMES, thr=0.1)
    assert at01['Mean'] == pytest.approx(100 * 23 / 27)


def _sample(i, pred, gt, vis, head):
    ds = PoseDataSample(metainfo=dict(img_id=i, id=i))
    ds.gt_instances = InstanceData(
        keypoints=gt[i][None].astype(np.float32),
        keypoints_visible=vis[i][None].astype(np.float32),
        head_size=np.array([head[i]], np.float32))
    ds.pred_instances = InstanceData(
        keypoints=pred[i][None].astype(np.float32),
        keypoint_scores=np.ones((1, 16), np.float32))
    return ds.to_dict()


def test_metric_reports_protocol_keys_and_skips_nan_head():
    pred, gt, vis, head = _people()
    metric = METRICS.build(dict(type='MpiiPCKAccuracy'))
    metric.dataset_meta = dict(keypoint_id2name=dict(enumerate(NAMES)))
    metric.process({}, [_sample(i, pred, gt, vis, head) for i in range(3)])
    res = metric.evaluate(3)
    assert res['PCKh/Mean'] == pytest.approx(100 * 25 / 27, rel=1e-6)
    assert res['PCKh/Mean@0.1'] == pytest.approx(100 * 23 / 27, rel=1e-6)
    assert res['PCKh/Head'] == pytest.approx(50)
    # all-16 'PCKh' (MMPose PCKAccuracy: strict '<'): A's head top at
    # exactly 0.5 is wrong there; head_top 0/2, right_wrist, pelvis,
    # thorax 1/2, the 12 others 1 -> 13.5 / 16; C (no head) not scored
    assert res['PCKh'] == pytest.approx(13.5 / 16)


def test_perfect_prediction_with_nan_head_scores_one():
    """The bug: a NaN head size made every joint of that person wrong."""
    gt = np.random.RandomState(1).uniform(0, 100, (2, 16, 2))
    mask = np.ones((2, 16), bool)
    norm = np.array([[20.0, 20.0], [np.nan, np.nan]])
    acc, avg, cnt = keypoint_pck_accuracy(gt, gt, mask, 0.5, norm)
    np.testing.assert_array_equal(acc, np.ones(16))
    assert avg == 1.0 and cnt == 16
    table = mpii_pckh_table(gt, gt, mask, norm[:, 0], NAMES)
    assert table['Mean'] == 100.0
    # nobody with a head size: nothing scored (-1 per joint), not "0 %"
    acc, avg, cnt = keypoint_pck_accuracy(gt, gt, mask, 0.5,
                                          np.full((2, 2), np.nan))
    assert np.all(acc == -1) and cnt == 0
