"""CocoBodyFootMetric: COCO AP of the body and foot AP of the feet, and
the BODY_25 codec oracle on the COCO-WholeBody sample."""
import numpy as np
import pytest

from conftest import shared_data
from kp_ext.evaluation import CocoBodyFootMetric
from kp_ext.structures.metainfo import parse_pose_metainfo

META = parse_pose_metainfo(dict(from_file='coco_foot23.py'))


def _sample(img_id, kpts, vis, pred):
    return dict(img_id=img_id, id=[img_id * 10 + i for i in range(len(kpts))],
                ori_shape=(200, 300),
                gt_instances=dict(
                    keypoints=kpts, keypoints_visible=vis,
                    bboxes=np.concatenate([kpts.min(1) - 5, kpts.max(1) + 5],
                                          1),
                    areas=np.full(len(kpts), 4000.0)),
                pred_instances=dict(keypoints=pred,
                                    keypoint_scores=np.ones(vis.shape),
                                    scores=np.ones(len(kpts))))


def _run(shift_feet):
    rng = np.random.default_rng(0)
    kpts = rng.uniform(20, 180, (2, 23, 2))
    vis = np.ones((2, 23))
    pred = kpts.copy()
    pred[:, 17:] += shift_feet
    m = CocoBodyFootMetric(ann_file=None, score_mode='bbox', nms_mode='none')
    m.dataset_meta = META
    m.process(None, [_sample(1, kpts, vis, pred)])
    return m.evaluate(1)


def test_perfect_body_and_feet_then_bad_feet_only():
    good = _run(0.0)
    assert good['coco/AP'] == pytest.approx(1.0)
    assert good['coco/foot/AP'] == pytest.approx(1.0)
    bad = _run(15.0)   # feet 21 px off: foot AP drops, body AP does not
    assert bad['coco/AP'] == pytest.approx(1.0)
    assert bad['coco/foot/AP'] < 0.5


def test_metric_needs_the_foot_layout():
    m = CocoBodyFootMetric(ann_file=None)
    m.dataset_meta = parse_pose_metainfo(dict(from_file='coco.py'))
    with pytest.raises(ValueError, match='annotation_fields'):
        m._fields(17)


def test_body25_oracle_ap_on_the_wholebody_sample(capsys):
    """Ground-truth maps of the BODY_25 config's codec on the 4 real
    COCO-WholeBody images (benchmarks/paf_grouping.py --body25): the body
    is recovered exactly, the feet mostly (small, close parts)."""
    root = shared_data('mmpose_testdata', 'coco')
    ann = root / 'test_coco_wholebody.json'
    if not ann.is_file():
        pytest.skip(f'{ann} absent (../shared/data/mmpose_testdata)')
    import sys

    from conftest import REPO
    sys.path.insert(0, str(REPO / 'benchmarks'))
    from paf_grouping import body25_oracle_ap
    res = body25_oracle_ap(ann, root)
    print(f"BODY_25 oracle: body AP {res['AP']:.4f}, foot AP "
          f"{res['foot/AP']:.4f}")
    assert res['AP'] > 0.95
    assert res['foot/AP'] > 0.6
