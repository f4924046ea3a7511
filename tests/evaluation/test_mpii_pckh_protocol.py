"""MPII PCKh against hand computations in the semantics of the official MPII
evaluation package (evalMPII.zip, mirrored in anibali/eval-mpii-pose:
evalMPII.m, eval/evaluatePCKh.m; eval/computePCK.m, eval/genTablePCK.m,
eval/area_under_curve.m): head size = SC_BIAS (0.6) x head-box diagonal,
an entry counts where the joint is annotated (the gt is NaN otherwise and
computePCK.m ignores NaN distances) and is correct when
``error / head_size <= thr``; 'Mean' (the official 'Total') pools all
entries but pelvis and thorax; the official table's Head is the mean of
upper neck and head top. A person without a head size (NaN) is left out,
never counted as wrong."""
import numpy as np
import pytest
from mmengine.structures import InstanceData

from kp_ext.evaluation.functional import keypoint_pck_accuracy
from kp_ext.evaluation.metrics.pck import (mpii_pckh_auc,
                                           mpii_pckh_table)
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
    # official Head: (upper neck 2/2 + head top 1/2) / 2
    assert table['Head'] == pytest.approx(75)
    # UBody: wrists, elbows, shoulders pooled: 12 entries, A's right wrist
    # wrong
    assert table['UBody'] == pytest.approx(100 * 11 / 12)
    mmpose = mpii_pckh_table(pred, gt, vis > 0, head, NAMES, thr=0.5,
                             table='mmpose')
    assert mmpose['Head'] == pytest.approx(50)       # A right, B wrong
    assert 'UBody' not in mmpose
    assert mmpose['Mean'] == table['Mean']
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
    assert res['PCKh/Head'] == pytest.approx(75)  # official table
    assert {'PCKh/UBody', 'PCKh/AUC'} <= set(res)
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


# The 14 joints of the official evaluation, in its order (eval/
# annolist2matrix.m; evalMPII.m lines 112-118 plot ankle [1 6], knee
# [2 5], hip [3 4], wrist [7 12], elbow [8 11], shoulder [9 10], head
# [13 14]); kp_ext's MPII metainfo keeps MMPose's 16-joint order (NAMES),
# so the hand case below is written by name.
OFFICIAL_14 = ('right_ankle', 'right_knee', 'right_hip', 'left_hip',
               'left_knee', 'left_ankle', 'right_wrist', 'right_elbow',
               'right_shoulder', 'left_shoulder', 'left_elbow',
               'left_wrist', 'upper_neck', 'head_top')


def _official_case():
    """Two people, head sizes 10 (A) and 20 (B); errors placed by name."""
    gt = np.random.RandomState(7).randint(100, 300, (2, 16, 2)).astype(
        float)  # integers: pred - gt below is exact
    pred = gt.copy()
    vis = np.ones((2, 16))
    head = np.array([10.0, 20.0])
    a, b = 0, 1
    pred[a, J['head_top']] += [1.5, 2.0]      # 2.5 px: d = 0.25
    pred[a, J['upper_neck']] += [4.5, 6.0]    # 7.5 px: d = 0.75
    pred[a, J['right_wrist']] = np.nan        # counted, always wrong
    pred[a, J['left_elbow']] += [0.0, 0.625]  # d = 0.0625
    pred[a, J['pelvis']] += [100.0, 0.0]      # not one of the 14
    pred[b, J['right_shoulder']] += [3.0, 4.0]  # 5 px: d = 0.25
    pred[b, J['left_knee']] += [6.0, 8.0]     # 10 px: d = 0.5 (tie)
    pred[b, J['left_ankle']] += [500.0, 0.0]  # not annotated: NaN gt
    vis[b, J['left_ankle']] = 0
    pred[b, J['thorax']] += [50.0, 0.0]       # not one of the 14
    return pred, gt, vis > 0, head


def test_official_table_hand_case():
    """Every number by hand (computePCK.m, genTablePCK.m, evalMPII.m).

    Counted entries of the 14 joints: A 14, B 13 (left ankle unannotated)
    = 27. Normalised distances other than 0: A head top .25, A upper neck
    .75, A right wrist NaN prediction (evalMPII.m line 86 makes it inf:
    wrong at every threshold), A left elbow .0625, B right shoulder .25,
    B left knee .5; the other 21 entries are 0.
    """
    pred, gt, mask, head = _official_case()
    t = mpii_pckh_table(pred, gt, mask, head, NAMES, thr=0.5)
    # per joint at 0.5: upper neck 1/2 = 50, head top 2/2 = 100 ->
    # Head (pck(13) + pck(14)) / 2 = 75; right wrist 1/2, left wrist 2/2 ->
    # Wrist 75; every other joint 100 (B's left knee: .5 <= .5; left ankle:
    # A alone counted)
    assert t == pytest.approx(dict(
        Head=75.0, Shoulder=100.0, Elbow=100.0, Wrist=75.0, Hip=100.0,
        Knee=100.0, Ankle=100.0,
        # computePCK.m UBody: joints 7-12 pooled, 12 entries, 1 wrong
        UBody=100 * 11 / 12,
        # total: 14 joints pooled, 27 entries, wrong A neck and A wrist
        Mean=100 * 25 / 27))
    # MMPose's table: Head = head top alone
    assert mpii_pckh_table(pred, gt, mask, head, NAMES,
                           table='mmpose')['Head'] == pytest.approx(100.0)
    # at 0.1 also wrong: A head top, B right shoulder, B left knee -> 22/27
    at01 = mpii_pckh_table(pred, gt, mask, head, NAMES, thr=0.1)
    assert at01['Mean'] == pytest.approx(100 * 22 / 27)
    # AUC (evalMPII.m line 101: area_under_curve(scale01(range),
    # pck(:, end)), range = 0:0.01:0.5, line 25). Correct entries c_k at
    # threshold k / 100: 21 for k = 0..6, 22 for k = 7..24 (+ A left elbow
    # .0625), 24 for k = 25..49 (+ the two .25), 25 at k = 50 (+ B's knee
    # at .5). scale01 -> x_k = k / 50; area_under_curve (lines 20-24):
    # sum_k (x_k+1 - x_k) (y_k + y_k+1) / 2 with y = 100 c / 27
    # = 100 / 27 / 50 * (sum_k c_k - (c_0 + c_50) / 2)
    # = 100 / 27 / 50 * (7*21 + 18*22 + 25*24 + 25 - (21 + 25) / 2)
    # = 100 / 27 / 50 * (1168 - 23) = 2290 / 27 = 84.81
    assert mpii_pckh_auc(pred, gt, mask, head, NAMES) == \
        pytest.approx(2290 / 27)


def test_official_table_through_the_metric_and_keys():
    pred, gt, mask, head = _official_case()
    metric = METRICS.build(dict(type='MpiiPCKAccuracy'))
    metric.dataset_meta = dict(keypoint_id2name=dict(enumerate(NAMES)))
    vis = mask.astype(float)
    metric.process({}, [_sample(i, pred, gt, vis, head) for i in range(2)])
    res = metric.evaluate(2)
    expected = {'PCKh/Head': 75.0, 'PCKh/Wrist': 75.0,
                'PCKh/UBody': 100 * 11 / 12, 'PCKh/Mean': 100 * 25 / 27,
                'PCKh/Mean@0.1': 100 * 22 / 27, 'PCKh/AUC': 2290 / 27}
    for key, value in expected.items():
        assert res[key] == pytest.approx(value, rel=1e-5), key
    # every column is a key a checkpoint can be selected on
    assert {f'PCKh/{c}' for c in ('Shoulder', 'Elbow', 'Hip', 'Knee',
                                  'Ankle')} <= set(res)
    with pytest.raises(ValueError, match='table'):
        METRICS.build(dict(type='MpiiPCKAccuracy', table='hrnet'))

