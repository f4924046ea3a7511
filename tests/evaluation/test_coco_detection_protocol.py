"""The COCO top-down protocol of MMPose and the papers: person detections
(``bbox_file``) instead of ground-truth boxes, every prediction rescored
by box score x mean keypoint score over keypoints scoring above 0.2, then
greedy OKS-NMS at 0.9 per image, then COCOeval. Oracles: hand-computed OKS
and scores, xtcocotools COCOeval on the hand-built result list."""
import json
import math

import numpy as np
import pytest
from mmengine.structures import InstanceData
from xtcocotools.coco import COCO
from xtcocotools.cocoeval import COCOeval

from conftest import shared_data
from kp_ext.datasets import CocoDataset
from kp_ext.evaluation.functional import oks_nms
from kp_ext.registry import METRICS, TRANSFORMS
from kp_ext.structures import PoseDataSample

SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62,
                   1.07, 1.07, .87, .87, .89, .89]) / 10.0
META = dict(num_keypoints=17, sigmas=SIGMAS,
            keypoint_id2name={i: f'k{i}' for i in range(17)})
NAMES = ['AP', 'AP .5', 'AP .75', 'AP (M)', 'AP (L)', 'AR', 'AR .5',
         'AR .75', 'AR (M)', 'AR (L)']


def test_oks_nms_greedy_by_hand():
    """Two keypoints, sigma 0.1 and 0.2, areas 100/300 (OKS uses their
    mean). B duplicates A and goes; C overlaps B more than the threshold
    but B is already gone, so only its OKS with A (below) counts: kept."""
    sig = np.array([0.1, 0.2])

    def inst(x, score, area):
        # keypoint 2 is at the same place in all three
        return dict(keypoints=np.array([[x, 0, 1], [50, 50, 1]], float),
                    score=score, area=area)

    def oks(dx, a1, a2):
        """COCO: mean_k exp(-d_k^2 / (2 s^2 (2 sigma_k)^2)), s^2 = mean
        area; keypoint 2 coincides (exp(0) = 1)."""
        s2 = (a1 + a2) / 2
        return (math.exp(-dx**2 / (2 * s2 * (2 * 0.1)**2)) + 1) / 2

    a, b, c = inst(0, 0.9, 100), inst(1, 0.8, 300), inst(2, 0.7, 100)
    # (exp(-1 / 16) + 1) / 2, (exp(-1 / 16) + 1) / 2, (exp(-4 / 8) + 1) / 2
    assert oks(1, 100, 300) == pytest.approx(0.9697, abs=1e-4)  # A-B
    assert oks(1, 300, 100) == pytest.approx(0.9697, abs=1e-4)  # B-C
    assert oks(2, 100, 100) == pytest.approx(0.8033, abs=1e-4)  # A-C
    # thr 0.9: B (0.97 with A) goes; C: 0.80 with A -> kept
    assert oks_nms([c, a, b], 0.9, sigmas=sig).tolist() == [1, 0]
    # thr 0.8: C goes too (0.8033 with A)
    assert oks_nms([c, a, b], 0.8, sigmas=sig).tolist() == [1]
    # thr 0.98: all kept, highest score first
    assert oks_nms([c, a, b], 0.98, sigmas=sig).tolist() == [1, 2, 0]


def _det_sample(img_id, sample_id, kpts, kpt_scores, bbox_score,
                scale=(100., 200.)):
    ds = PoseDataSample(metainfo=dict(img_id=img_id, id=sample_id))
    ds.gt_instances = InstanceData(
        bbox_scales=np.array([scale], np.float32))
    ds.pred_instances = InstanceData(
        keypoints=np.asarray(kpts, np.float32)[None],
        keypoint_scores=np.asarray(kpt_scores, np.float32)[None],
        bbox_scores=np.array([bbox_score], np.float32))
    return ds.to_dict()


def test_rescoring_by_hand(tmp_path):
    """score = box score x mean of the keypoint scores > 0.2 (0 if none);
    read back from the written COCO results json."""
    rng = np.random.RandomState(0)
    ks = np.full(17, 0.1)
    ks[:4] = [0.5, 0.9, 0.19, 0.7]  # 0.19 is not above the threshold
    weak = np.full(17, 0.15)        # no keypoint above 0.2
    far = [[100 * i, 0] for i in range(3)]
    samples = [
        _det_sample(1, i, rng.uniform(0, 50, (17, 2)) + far[i], k, b)
        for i, (k, b) in enumerate([(ks, 0.8), (weak, 0.99),
                                    (np.ones(17), 0.6)])]
    metric = METRICS.build(dict(type='CocoKeypointMetric', format_only=True,
                                outfile_prefix=str(tmp_path / 'r')))
    metric.dataset_meta = META
    metric.process({}, samples)
    assert metric.evaluate(3) == {}
    res = json.loads((tmp_path / 'r.keypoints.json').read_text())
    scores = sorted(r['score'] for r in res)
    assert scores == pytest.approx(
        sorted([0.8 * (0.5 + 0.9 + 0.7) / 3, 0.0, 0.6]), rel=1e-6)


def _usable(data):
    return [a for a in data['annotations']
            if a.get('num_keypoints', 0) > 0 and not a.get('iscrowd', 0)]


def _write_dets(tmp_path, dets):
    path = tmp_path / 'dets.json'
    path.write_text(json.dumps(dets))
    return path


def _coco_mini():
    root = shared_data('coco_mini')
    ann = root / 'annotations' / 'person_keypoints_train2017.json'
    return root, ann, json.loads(ann.read_text())


def test_dataset_reads_generated_detections_on_coco_mini(tmp_path):
    root, ann, data = _coco_mini()
    people = _usable(data)
    dets = [dict(image_id=a['image_id'], category_id=1, bbox=a['bbox'],
                 score=round(0.3 + 0.7 * i / len(people), 4))
            for i, a in enumerate(people)]
    img = people[0]['image_id']
    dets += [dict(image_id=img, category_id=2, bbox=[1, 2, 30, 40],
                  score=0.9),                      # not a person: ignored
             dict(image_id=img, category_id=1, bbox=[5, 6, 20, 30],
                  score=0.01)]                     # low-scored person
    path = _write_dets(tmp_path, dets)
    kw = dict(ann_file=str(ann), bbox_file=str(path), test_mode=True,
              data_prefix=dict(img=str(root / 'train2017')))
    ds = CocoDataset(**kw)
    assert len(ds) == len(people) + 1
    for i, a in enumerate(people):
        info = ds.get_data_info(i)
        x, y, w, h = a['bbox']
        np.testing.assert_allclose(info['bbox'][0], [x, y, x + w, y + h],
                                   rtol=1e-6)
        assert info['bbox_score'][0] == pytest.approx(dets[i]['score'])
        assert info['img_id'] == a['image_id'] and info['id'] == i
        assert info['img_path'].endswith(
            COCO(str(ann)).imgs[a['image_id']]['file_name'])
        assert not info['keypoints'].any()
    # the detection score threshold of filter_cfg
    thr = CocoDataset(filter_cfg=dict(bbox_score_thr=0.05), **kw)
    assert len(thr) == len(people)
    # a detection on an unknown image names the file and the detection
    bad = _write_dets(tmp_path, dets[:2] + [dict(dets[0], image_id=-5)])
    with pytest.raises(ValueError, match='detection 2 .image id -5'):
        CocoDataset(**dict(kw, bbox_file=str(bad)))
    with pytest.raises(FileNotFoundError, match='bbox_file=None'):
        CocoDataset(**dict(kw, bbox_file=str(tmp_path / 'none.json')))


def test_detection_path_end_to_end_matches_cocoeval(tmp_path):
    """coco_mini with generated detections: each person's gt box (its
    prediction near the truth), a duplicate box at a lower score with a
    near-identical prediction (OKS-NMS must drop it) and a confident false
    positive with weak keypoints (rescored to 0). The metric (protocol
    defaults) must equal COCOeval of the hand-built kept list."""
    root, ann, data = _coco_mini()
    people = _usable(data)
    rng = np.random.RandomState(0)
    dets = []
    for i, a in enumerate(people):
        dets.append(dict(image_id=a['image_id'], category_id=1,
                         bbox=a['bbox'], score=0.5 + 0.5 * rng.rand(),
                         kind='main', person=i))
        dets.append(dict(dets[-1], bbox=list(np.add(a['bbox'], 2)),
                         score=0.6 * dets[-1]['score'], kind='dup'))
    for img in sorted({a['image_id'] for a in people})[:5]:
        dets.append(dict(image_id=img, category_id=1, bbox=[0, 0, 60, 60],
                         score=0.97, kind='fp'))
    ds = CocoDataset(ann_file=str(ann), bbox_file=str(_write_dets(
        tmp_path, dets)), test_mode=True, data_prefix=dict(img=str(
            root / 'train2017')))
    center_scale = TRANSFORMS.build(dict(type='GetBBoxCenterScale',
                                         padding=1.25))
    preds = {}   # person -> (keypoints, scores) of its main detection
    samples, expected = [], []
    for idx in range(len(ds)):
        info = ds.get_data_info(idx)
        det = info['raw_ann_info']
        box = info['bbox'][0]
        if det['kind'] == 'fp':
            kpts = rng.uniform(box[:2], box[2:], (17, 2))
            scores = np.full(17, 0.15)
        elif det['kind'] == 'main':
            g = np.asarray(people[det['person']]['keypoints'],
                           float).reshape(17, 3)
            centre = (box[:2] + box[2:]) / 2
            labelled = g[:, 2] > 0
            kpts = np.where(labelled[:, None], g[:, :2],
                            centre) + rng.normal(0, 2, (17, 2))
            scores = np.where(labelled, rng.uniform(0.25, 1, 17), 0.1)
            preds[det['person']] = kpts, scores
        else:
            kpts, scores = preds[det['person']]
            kpts = kpts + rng.normal(0, 0.5, (17, 2))
        scale = center_scale(dict(bbox=info['bbox']))['bbox_scale'][0]
        samples.append(_det_sample(info['img_id'], info['id'], kpts, scores,
                                   info['bbox_score'][0], scale))
        if det['kind'] != 'dup':
            k32 = np.asarray(kpts, np.float32).astype(float)
            s32 = np.asarray(scores, np.float32).astype(float)
            conf = s32[s32 > 0.2]
            score = float(info['bbox_score'][0]) * (
                conf.mean() if len(conf) else 0.0)
            expected.append(dict(
                image_id=info['img_id'], category_id=1, score=score,
                keypoints=np.concatenate([k32, s32[:, None]],
                                         1).reshape(-1).tolist()))
    assert len(samples) == 2 * len(people) + 5

    def metric(**cfg):
        m = METRICS.build(dict(type='CocoKeypointMetric', ann_file=str(ann),
                               **cfg))
        m.dataset_meta = META
        m.process({}, samples)
        res = m.evaluate(len(samples))
        return np.array([res[f'coco/{n}'] for n in NAMES])

    coco = COCO(str(ann))
    ev = COCOeval(coco, coco.loadRes(expected), 'keypoints', SIGMAS, True)
    ev.params.useSegm = None
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    protocol = metric()
    np.testing.assert_allclose(protocol, ev.stats, atol=1e-9)
    assert protocol[0] > 0.6
    # without OKS-NMS the duplicates are false positives: AP drops
    assert metric(nms_mode='none')[0] < protocol[0] - 0.01
