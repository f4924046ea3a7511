import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from kp_ext.registry import METRICS
from kp_ext.structures import PoseDataSample

MPII_NAMES = ['right_ankle', 'right_knee', 'right_hip', 'left_hip',
              'left_knee', 'left_ankle', 'pelvis', 'thorax', 'upper_neck',
              'head_top', 'right_wrist', 'right_elbow', 'right_shoulder',
              'left_shoulder', 'left_elbow', 'left_wrist']


def _sample(gt, pred, vis=None, tensors=False, **gt_extra):
    ds = PoseDataSample(metainfo=dict(img_id=0, id=0))
    k = gt.shape[0]
    vis = np.ones(k) if vis is None else vis
    conv = (lambda a: torch.as_tensor(a)) if tensors else (lambda a: a)
    ds.gt_instances = InstanceData(
        keypoints=conv(gt[None].astype(np.float32)),
        keypoints_visible=conv(np.asarray(vis, np.float32)[None]),
        **{k_: np.asarray(v)[None] for k_, v in gt_extra.items()})
    ds.pred_instances = InstanceData(
        keypoints=conv(pred[None].astype(np.float32)),
        keypoint_scores=np.ones((1, k), np.float32))
    return ds.to_dict()


def _mpii_samples(perm=None):
    """Two MPII people; errors placed by hand (see expected numbers)."""
    idx = {n: i for i, n in enumerate(MPII_NAMES)}
    gt0 = np.random.RandomState(0).uniform(50, 150, (16, 2))
    gt1 = np.random.RandomState(1).uniform(50, 150, (16, 2))
    p0, p1 = gt0.copy(), gt1.copy()
    vis1 = np.ones(16)
    # person 0, head size 10 (thr 0.5 -> 5 px)
    p0[idx['right_wrist']] += [6, 0]      # 0.6: wrong
    p0[idx['left_wrist']] += [0, 4]       # 0.4: right
    p0[idx['head_top']] += [3.3, 4.4]     # 5.5 -> 0.55: wrong
    p0[idx['pelvis']] += [100, 0]         # wrong, but not in the MPII mean
    # person 1, head size 20 (thr -> 10 px)
    p1[idx['head_top']] += [0, 9]         # 0.45: right
    p1[idx['right_ankle']] += [11, 0]     # 0.55: wrong
    p1[idx['left_ankle']] += [50, 0]      # not annotated
    vis1[idx['left_ankle']] = 0
    if perm is not None:  # a dataset with another keypoint order
        gt0, gt1, p0, p1, vis1 = (a[perm] for a in (gt0, gt1, p0, p1, vis1))
    return [_sample(gt0, p0, head_size=10.0),
            _sample(gt1, p1, vis1, tensors=True, head_size=20.0)]


@pytest.mark.parametrize('permute', [False, True])
def test_pckh_mpii_table_hand_oracle(permute):
    perm = np.random.RandomState(3).permutation(16) if permute else None
    names = MPII_NAMES if perm is None else [MPII_NAMES[i] for i in perm]
    metric = METRICS.build(dict(type='PCKAccuracy', norm_item='head'))
    metric.dataset_meta = dict(keypoint_id2name=dict(enumerate(names)))
    metric.process({}, _mpii_samples(perm))
    res = metric.evaluate(2)
    # per-joint accuracy: pelvis .5, head_top .5, r_wrist .5, r_ankle .5,
    # l_ankle 1 (one valid entry), the other 11 joints 1 -> mean 14 / 16
    assert res['PCKh'] == pytest.approx(14 / 16)
    # official Head (genTablePCK.m): (upper neck 100 + head top 50) / 2
    assert res['PCKh/Head'] == pytest.approx(75.0)
    # UBody: wrists, elbows, shoulders pooled: 12 entries, 1 wrong
    assert res['PCKh/UBody'] == pytest.approx(100 * 11 / 12)
    assert res['PCKh/Wrist'] == pytest.approx(75.0)   # (50 + 100) / 2
    assert res['PCKh/Ankle'] == pytest.approx(75.0)   # (50 + 100) / 2
    for col in ('Shoulder', 'Elbow', 'Hip', 'Knee'):
        assert res[f'PCKh/{col}'] == pytest.approx(100.0)
    # MPII mean: 14 joints, 27 annotated entries, 3 wrong
    assert res['PCKh/Mean'] == pytest.approx(100 * 24 / 27)
    # at 0.1 every displaced annotated entry (5 in the 14 joints) is wrong
    assert res['PCKh/Mean@0.1'] == pytest.approx(100 * 22 / 27)


def test_pckh_without_mpii_names_skips_table():
    metric = METRICS.build(dict(type='PCKAccuracy', norm_item='head'))
    metric.dataset_meta = dict(
        keypoint_id2name={i: f'kp{i}' for i in range(16)})
    metric.process({}, _mpii_samples())
    res = metric.evaluate(2)
    assert set(res) == {'PCKh'}


def test_pck_bbox_and_torso_hand_oracle():
    gt = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [0, 20], [0, 30.]])
    pred = gt.copy()
    pred[0] += [1.5, 0]   # bbox size 40 -> 1.5 / 40 = .0375 < .05: right
    pred[1] += [0, 2.5]   # .0625: wrong
    # torso = |gt[4] - gt[5]| = 10 -> thr .05 = .5 px
    sample = _sample(gt, pred, bboxes=np.array([0, 0, 40, 20.]))
    metric = METRICS.build(dict(type='PCKAccuracy',
                                norm_item=['bbox', 'torso']))
    metric.process({}, [sample])
    res = metric.evaluate(1)
    assert res['PCK'] == pytest.approx(5 / 6)
    assert res['tPCK'] == pytest.approx(4 / 6)
    with pytest.raises(KeyError):
        METRICS.build(dict(type='PCKAccuracy', norm_item='elbow'))


def test_pck_explicit_thr():
    gt = np.zeros((3, 2))
    pred = np.array([[0, 3.], [0, 7.], [0, 0.]])
    metric = METRICS.build(dict(type='PCKAccuracy', thr=0.2,
                                norm_item='bbox'))
    metric.process({}, [_sample(gt, pred, bboxes=np.array([0, 0, 20, 30.]))])
    # 6 px at thr .2 of 30: 3 right, 7 wrong, 0 right
    assert metric.evaluate(1)['PCK'] == pytest.approx(2 / 3)


def test_pck_extra_thresholds_and_epe_hand_oracle():
    # bbox 40 px: thresholds 0.05 / 0.1 / 0.2 = 2 / 4 / 8 px
    gt = np.zeros((4, 2))
    pred = np.array([[0, 1.], [3, 0.], [0, 6.], [0, 9.]])
    vis = np.array([1, 1, 1, 1.])
    box = np.array([0, 0, 40, 10.])
    metric = METRICS.build(dict(type='PCKAccuracy', thr=0.05,
                                extra_thrs=(0.1, 0.2)))
    metric.process({}, [_sample(gt, pred, vis, bboxes=box)])
    res = metric.evaluate(1)
    assert res['PCK'] == pytest.approx(1 / 4)
    assert res['PCK@0.1'] == pytest.approx(2 / 4)
    assert res['PCK@0.2'] == pytest.approx(3 / 4)
    # EPE: mean distance over annotated keypoints, the 9-px one masked out
    vis[3] = 0
    epe = METRICS.build(dict(type='EPE'))
    epe.process({}, [_sample(gt, pred, vis)])
    assert epe.evaluate(1) == {'EPE': pytest.approx((1 + 3 + 6) / 3)}
    with pytest.raises(ValueError, match='extra_thrs'):
        METRICS.build(dict(type='PCKAccuracy', extra_thrs=(0.1, -1)))


def _face(seed, outer=((30, 50), (70, 50))):
    gt = np.random.RandomState(seed).uniform(20, 80, (68, 2))
    gt[36], gt[45] = outer
    return gt


def test_nme_interocular_hand_oracle():
    gt0 = _face(0)                          # inter-ocular 40
    gt1 = _face(1, ((0, 0), (30, 40)))      # inter-ocular 50
    p0, p1 = gt0.copy(), gt1.copy()
    p0[0] += [3, 4]      # 5 / 40
    p0[10] += [8, 0]     # 8 / 40
    p1[5] += [0, 10]     # 10 / 50
    vis1 = np.ones(68)
    p1[7] += [100, 0]
    vis1[7] = 0          # not annotated: not counted
    expected = (5 / 40 + 8 / 40 + 10 / 50) / (68 + 67)
    for cfg in (dict(norm_mode='keypoint_distance', keypoint_indices=[36, 45]),
                dict(norm_mode='use_norm_item', norm_item='interocular'),
                dict(norm_mode='keypoint_distance')):
        metric = METRICS.build(dict(type='NME', **cfg))
        metric.dataset_meta = dict(dataset_name='face68')
        metric.process({}, [_sample(gt0, p0), _sample(gt1, p1, vis1)])
        assert metric.evaluate(2)['NME'] == pytest.approx(expected)


def test_nme_bbox_size():
    gt = np.zeros((4, 2))
    pred = gt.copy()
    pred[2] = [0, 4]
    # sqrt(w * h) = sqrt(8 * 32) = 16 -> 4 / 16 / 4 keypoints
    metric = METRICS.build(dict(type='NME', norm_mode='use_norm_item',
                                norm_item='bbox_size'))
    metric.process({}, [_sample(gt, pred, bboxes=np.array([2, 2, 10, 34.]))])
    assert metric.evaluate(1)['NME'] == pytest.approx(0.25 / 4)
    with pytest.raises(KeyError):
        METRICS.build(dict(type='NME', norm_mode='use_norm_item'))


def test_through_mmengine_evaluator():
    """Evaluator hands PoseDataSample.to_dict() dicts to process()."""
    from mmengine.evaluator import Evaluator
    from mmengine.registry import DefaultScope
    gt = np.zeros((3, 2))
    pred = np.array([[0, 1.], [0, 3.], [0, 0.]])
    ds = PoseDataSample(metainfo=dict(img_id=0, id=0))
    ds.gt_instances = InstanceData(
        keypoints=torch.tensor(gt[None], dtype=torch.float32),
        keypoints_visible=torch.ones(1, 3),
        bboxes=torch.tensor([[0., 0., 40., 20.]]))
    ds.pred_instances = InstanceData(
        keypoints=torch.tensor(pred[None], dtype=torch.float32),
        keypoint_scores=torch.ones(1, 3))
    with DefaultScope.overwrite_default_scope('kp_ext'):
        ev = Evaluator([dict(type='PCKAccuracy'),
                        dict(type='NME', norm_mode='use_norm_item',
                             norm_item='bbox_size', prefix='face')])
    ev.process([ds], {})
    res = ev.evaluate(1)
    # 2 px = 0.05 x 40: 1 px right, 3 px wrong, 0 right
    assert res['PCK'] == pytest.approx(2 / 3)
    assert res['face/NME'] == pytest.approx(4 / 3 / np.sqrt(800))


def test_pckh_table_with_project_mpii_metainfo():
    """The MPII metainfo file's names drive the table (same hand numbers)."""
    from pathlib import Path
    from kp_ext.structures.metainfo import METAINFO_DIR, parse_pose_metainfo
    meta_file = Path(METAINFO_DIR) / 'mpii.py'
    meta = parse_pose_metainfo(dict(from_file=str(meta_file)))
    names = [meta['keypoint_id2name'][i] for i in range(16)]
    perm = np.array([MPII_NAMES.index(n) for n in names])
    metric = METRICS.build(dict(type='MpiiPCKAccuracy'))
    metric.dataset_meta = meta
    metric.process({}, _mpii_samples(perm))
    res = metric.evaluate(2)
    assert res['PCKh/Head'] == pytest.approx(75.0)  # official Head
    assert res['PCKh/Mean'] == pytest.approx(100 * 24 / 27)
    # MMPose's table: Head = head top only
    metric = METRICS.build(dict(type='MpiiPCKAccuracy', table='mmpose'))
    metric.dataset_meta = meta
    metric.process({}, _mpii_samples(perm))
    res = metric.evaluate(2)
    assert res['PCKh/Head'] == pytest.approx(50.0)
    assert res['PCKh/Mean'] == pytest.approx(100 * 24 / 27)
    assert 'PCKh/UBody' not in res and 'PCKh/AUC' not in res


def test_paired_keypoints_mask_and_mismatch():
    from kp_ext.evaluation.metrics.sample_keypoints import paired_keypoints
    sample = dict(img_path='a.jpg',
                  pred_instances=dict(keypoints=np.zeros((1, 3, 2))),
                  gt_instances=dict(keypoints=np.ones((1, 3, 2)),
                                    keypoints_visible=np.array([[1, 0, 2]])))
    pred, gt, mask = paired_keypoints(sample, 'NME')
    assert pred.dtype == gt.dtype == np.float64
    np.testing.assert_array_equal(mask, [[True, False, True]])
    del sample['gt_instances']['keypoints_visible']
    assert paired_keypoints(sample, 'NME')[2].all()
    sample['pred_instances']['keypoints'] = np.zeros((2, 3, 2))
    with pytest.raises(ValueError, match=r'PCKAccuracy: sample a\.jpg'):
        paired_keypoints(sample, 'PCKAccuracy')
