import copy
import json

import numpy as np
import pytest
from mmengine.structures import InstanceData
from xtcocotools.coco import COCO
from xtcocotools.cocoeval import COCOeval

from kp_ext.registry import METRICS
from kp_ext.structures import PoseDataSample

from conftest import shared_data

# COCO person OKS sigmas (cocodataset.org keypoint evaluation)
SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62,
                   1.07, 1.07, .87, .87, .89, .89]) / 10.0
META = dict(num_keypoints=17, sigmas=SIGMAS,
            keypoint_id2name={i: f'k{i}' for i in range(17)})


def _person(rng, box, n_invisible):
    x, y, w, h = box
    kpts = np.stack([rng.uniform(x, x + w, 17), rng.uniform(y, y + h, 17),
                     np.full(17, 2.0)], 1)
    off = rng.choice(17, n_invisible, replace=False)
    kpts[off] = 0
    kpts[rng.choice(np.setdiff1d(np.arange(17), off), 2, replace=False),
         2] = 1
    return kpts


@pytest.fixture
def gt_json(tmp_path):
    """2 images, 3 people, written by hand in COCO format."""
    rng = np.random.RandomState(0)
    boxes = {1: [(100, 100, 80, 200), (300, 80, 100, 240)],
             2: [(50, 60, 120, 300)]}
    anns, ann_id = [], 10
    for img_id, bs in boxes.items():
        for j, box in enumerate(bs):
            k = _person(rng, box, n_invisible=3 + 2 * j)
            anns.append(dict(id=ann_id, image_id=img_id, category_id=1,
                             bbox=list(box), area=0.8 * box[2] * box[3],
                             iscrowd=0, num_keypoints=int((k[:, 2] > 0).sum()),
                             keypoints=k.reshape(-1).tolist()))
            ann_id += 1
    data = dict(images=[dict(id=1, width=640, height=480, file_name='a.jpg'),
                        dict(id=2, width=320, height=400, file_name='b.jpg')],
                annotations=anns,
                categories=[dict(id=1, name='person',
                                 keypoints=[f'k{i}' for i in range(17)],
                                 skeleton=[])])
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(data))
    return path, data


def _samples(data, pred_kpts, kpt_scores, bbox_scores, with_gt=True):
    """Top-down samples (one per gt person) as PoseDataSample dicts."""
    shapes = {im['id']: (im['height'], im['width']) for im in data['images']}
    out = []
    for ann, kp, ks, bs in zip(data['annotations'], pred_kpts, kpt_scores,
                               bbox_scores):
        x, y, w, h = ann['bbox']
        ds = PoseDataSample(metainfo=dict(id=ann['id'],
                                          img_id=ann['image_id'],
                                          ori_shape=shapes[ann['image_id']]))
        g = np.asarray(ann['keypoints'], np.float32).reshape(17, 3)
        if with_gt:
            ds.gt_instances = InstanceData(
                keypoints=g[None, :, :2], keypoints_visible=(g[None, :, 2] >
                                                             0).astype(
                                                                 np.float32),
                bboxes=np.array([[x, y, x + w, y + h]], np.float32),
                areas=np.array([ann['area']], np.float32),
                bbox_scales=np.array([[w, h]], np.float32) * 1.25)
        ds.pred_instances = InstanceData(
            keypoints=np.asarray(kp, np.float32)[None],
            keypoint_scores=np.asarray(ks, np.float32)[None],
            bbox_scores=np.array([bs], np.float32))
        out.append(ds.to_dict())
    return out


def _oracle(gt_path, dets, tmp_path):
    """Direct xtcocotools evaluation of COCO result dicts."""
    res = tmp_path / 'oracle_res.json'
    res.write_text(json.dumps(dets))
    coco = COCO(str(gt_path))
    ev = COCOeval(coco, coco.loadRes(str(res)), 'keypoints', SIGMAS, True)
    ev.params.useSegm = None
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    return ev.stats


NAMES = ['AP', 'AP .5', 'AP .75', 'AP (M)', 'AP (L)', 'AR', 'AR .5',
         'AR .75', 'AR (M)', 'AR (L)']


def _run(samples, **cfg):
    metric = METRICS.build(dict(type='CocoKeypointMetric', **cfg))
    metric.dataset_meta = META
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def _perturbed(data, seed=1):
    rng = np.random.RandomState(seed)
    kpts, scores, bscores = [], [], []
    for i, ann in enumerate(data['annotations']):
        g = np.asarray(ann['keypoints']).reshape(17, 3)[:, :2]
        kpts.append(g + rng.normal(0, 3 + 4 * i, g.shape))
        scores.append(rng.uniform(0, 1, 17))
        bscores.append(rng.uniform(0.5, 1))
    return kpts, scores, bscores


def _oracle_dets(data, kpts, scores, bscores, thr=0.2):
    dets = []
    for ann, kp, ks, bs in zip(data['annotations'], kpts, scores, bscores):
        ks = np.asarray(ks, np.float32).astype(np.float64)
        kp = np.asarray(kp, np.float32).astype(np.float64)
        valid = ks[ks > thr]
        score = float(np.float32(bs)) * (valid.mean() if len(valid) else 0)
        dets.append(dict(image_id=ann['image_id'], category_id=1,
                         keypoints=np.concatenate([kp, ks[:, None]],
                                                  1).reshape(-1).tolist(),
                         score=score))
    return dets


def test_perfect_predictions_ap_one(gt_json, tmp_path):
    path, data = gt_json
    kpts = [np.asarray(a['keypoints']).reshape(17, 3)[:, :2]
            for a in data['annotations']]
    samples = _samples(data, kpts, [np.ones(17)] * 3, [1.0] * 3)
    for ann_file in (str(path), None):
        res = _run(samples, ann_file=ann_file,
                   outfile_prefix=str(tmp_path / 'out' / 'res'))
        assert res['coco/AP'] == pytest.approx(1.0)
        assert res['coco/AR'] == pytest.approx(1.0)
        assert (tmp_path / 'out' / 'res.keypoints.json').exists()
    # built gt json holds the three people
    built = json.loads((tmp_path / 'out' / 'res.gt.json').read_text())
    assert len(built['annotations']) == 3 and len(built['images']) == 2


def test_perturbed_matches_direct_cocoeval(gt_json, tmp_path):
    path, data = gt_json
    kpts, scores, bscores = _perturbed(data)
    stats = _oracle(path, _oracle_dets(data, kpts, scores, bscores),
                    tmp_path)
    assert 0.05 < stats[0] < 0.95  # a non-trivial case
    samples = _samples(data, kpts, scores, bscores)
    for ann_file in (str(path), None):
        res = _run(samples, ann_file=ann_file, nms_mode='none')
        assert list(res) == [f'coco/{n}' for n in NAMES]
        np.testing.assert_allclose([res[f'coco/{n}'] for n in NAMES], stats,
                                   atol=1e-9)
    # rescoring matters: score_mode 'bbox' ranks by bbox score alone
    dets = _oracle_dets(data, kpts, scores, bscores)
    for d, b in zip(dets, bscores):
        d['score'] = float(np.float32(b))
    stats_bbox = _oracle(path, dets, tmp_path)
    res = _run(samples, ann_file=str(path), nms_mode='none',
               score_mode='bbox')
    np.testing.assert_allclose([res[f'coco/{n}'] for n in NAMES], stats_bbox,
                               atol=1e-9)


def test_oks_nms_drops_duplicate_prediction(gt_json, tmp_path):
    path, data = gt_json
    kpts, scores, bscores = _perturbed(data, seed=2)
    samples = _samples(data, kpts, scores, bscores)
    # a near copy of person 0's prediction with a lower score: a false
    # positive unless NMS removes it
    dup = copy.deepcopy(samples[0])
    dup['id'] = 999
    dup['pred_instances']['keypoints'] = dup['pred_instances'][
        'keypoints'] + 0.5
    dup['pred_instances']['bbox_scores'] = dup['pred_instances'][
        'bbox_scores'] * 0.5
    clean = _oracle(path, _oracle_dets(data, kpts, scores, bscores),
                    tmp_path)
    res = _run(samples + [dup], ann_file=str(path), nms_mode='oks_nms')
    np.testing.assert_allclose([res[f'coco/{n}'] for n in NAMES], clean,
                               atol=1e-9)
    no_nms = _run(samples + [dup], ann_file=str(path), nms_mode='none')
    assert no_nms['coco/AP'] != pytest.approx(clean[0])


def test_format_only(gt_json, tmp_path):
    path, data = gt_json
    kpts, scores, bscores = _perturbed(data)
    prefix = tmp_path / 'sub' / 'r'
    res = _run(_samples(data, kpts, scores, bscores), ann_file=str(path),
               format_only=True, outfile_prefix=str(prefix))
    assert res == {}
    dets = json.loads((tmp_path / 'sub' / 'r.keypoints.json').read_text())
    assert len(dets) == 3 and len(dets[0]['keypoints']) == 51
    with pytest.raises(ValueError):
        METRICS.build(dict(type='CocoMetric', format_only=True))


def test_alias_registered():
    assert METRICS.get('CocoMetric') is METRICS.get('CocoKeypointMetric')


def test_real_coco_mini_gt_as_predictions():
    ann_file = shared_data('coco_mini', 'annotations',
                           'person_keypoints_train2017.json')
    data = json.loads(ann_file.read_text())
    anns = [a for a in data['annotations']
            if a['num_keypoints'] > 0 and not a['iscrowd']]
    samples = []
    for a in anns:
        k = np.asarray(a['keypoints'], np.float32).reshape(17, 3)
        x, y, w, h = a['bbox']
        ds = PoseDataSample(metainfo=dict(id=a['id'], img_id=a['image_id']))
        ds.pred_instances = InstanceData(
            keypoints=k[None, :, :2], keypoint_scores=np.ones((1, 17)),
            bbox_scores=np.ones(1),
            bboxes=np.array([[x, y, x + w, y + h]]))
        samples.append(ds.to_dict())
    # no NMS: gt copied as predictions put every unlabelled keypoint at
    # (0, 0), so two sparsely annotated people look alike to OKS NMS
    res = _run(samples, ann_file=str(ann_file), nms_mode='none')
    assert res['coco/AP'] == pytest.approx(1.0)
    assert res['coco/AR'] == pytest.approx(1.0)
    # and a degraded copy is scored lower, as a direct COCOeval says
    rng = np.random.RandomState(0)
    for s in samples:
        s['pred_instances']['keypoints'] = s['pred_instances'][
            'keypoints'] + rng.normal(0, 6, (1, 17, 2))
    res = _run(samples, ann_file=str(ann_file), nms_mode='none')
    coco = COCO(str(ann_file))
    dets = [dict(image_id=s['img_id'], category_id=1, score=1.0,
                 keypoints=np.concatenate(
                     [s['pred_instances']['keypoints'][0],
                      np.ones((17, 1))], 1).reshape(-1).tolist())
            for s in samples]
    ev = COCOeval(coco, coco.loadRes(dets), 'keypoints', SIGMAS, True)
    ev.params.useSegm = None
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert res['coco/AP'] < 0.99
    assert res['coco/AP'] == pytest.approx(ev.stats[0], abs=1e-9)


def test_bottomup_samples_build_gt(gt_json, tmp_path):
    """One sample per image holding all its people, instance `scores`."""
    path, data = gt_json
    kpts, scores, bscores = _perturbed(data, seed=4)
    samples = []
    for img in data['images']:
        idx = [i for i, a in enumerate(data['annotations'])
               if a['image_id'] == img['id']]
        anns = [data['annotations'][i] for i in idx]
        g = np.stack([np.asarray(a['keypoints'], np.float32).reshape(17, 3)
                      for a in anns])
        ds = PoseDataSample(metainfo=dict(
            img_id=img['id'], id=[a['id'] for a in anns],
            ori_shape=(img['height'], img['width'])))
        ds.gt_instances = InstanceData(
            keypoints=g[..., :2], keypoints_visible=(g[..., 2] > 0).astype(
                np.float32),
            bboxes=np.array([[a['bbox'][0], a['bbox'][1],
                              a['bbox'][0] + a['bbox'][2],
                              a['bbox'][1] + a['bbox'][3]] for a in anns],
                            np.float32),
            areas=np.array([a['area'] for a in anns], np.float32))
        ds.pred_instances = InstanceData(
            keypoints=np.stack([kpts[i] for i in idx]).astype(np.float32),
            keypoint_scores=np.stack([scores[i] for i in idx]).astype(
                np.float32),
            scores=np.array([bscores[i] for i in idx], np.float32))
        samples.append(ds.to_dict())
    stats = _oracle(path, _oracle_dets(data, kpts, scores, bscores),
                    tmp_path)
    res = _run(samples, ann_file=None, nms_mode='none')
    np.testing.assert_allclose([res[f'coco/{n}'] for n in NAMES], stats,
                               atol=1e-9)
    # soft OKS NMS keeps these well-separated people: same numbers
    res = _run(samples, ann_file=None, nms_mode='soft_oks_nms')
    np.testing.assert_allclose([res[f'coco/{n}'] for n in NAMES], stats,
                               atol=1e-9)


def test_sigma_count_checked(gt_json):
    path, data = gt_json
    kpts, scores, bscores = _perturbed(data)
    metric = METRICS.build(dict(type='CocoMetric', ann_file=str(path)))
    metric.dataset_meta = dict(sigmas=SIGMAS[:5])
    metric.process({}, _samples(data, kpts, scores, bscores))
    with pytest.raises(ValueError, match='sigmas'):
        metric.evaluate(3)


def test_keypoint_rescoring_ranks_false_positive_last(gt_json, tmp_path):
    """A confident box with weak keypoints on nobody: rescoring (bbox score x
    mean keypoint score above 0.2, here 0) ranks it last, bbox scores
    rank it first; both must equal a direct COCOeval of those scores."""
    path, data = gt_json
    kpts, scores, bscores = _perturbed(data, seed=5)
    samples = _samples(data, kpts, scores, bscores)
    fp = copy.deepcopy(samples[0])
    fp['id'] = 998
    fp['pred_instances']['keypoints'] = np.random.RandomState(0).uniform(
        400, 600, (1, 17, 2)).astype(np.float32)
    fp['pred_instances']['keypoint_scores'] = np.full((1, 17), 0.15,
                                                      np.float32)
    fp['pred_instances']['bbox_scores'] = np.array([0.99], np.float32)
    fp_det = dict(image_id=1, category_id=1, keypoints=np.concatenate(
        [fp['pred_instances']['keypoints'][0].astype(np.float64),
         np.full((17, 1), np.float32(0.15))], 1).reshape(-1).tolist())
    dets = _oracle_dets(data, kpts, scores, bscores)
    rescored = _oracle(path, dets + [dict(fp_det, score=0.0)], tmp_path)
    res = _run(samples + [fp], ann_file=str(path), nms_mode='none')
    np.testing.assert_allclose([res[f'coco/{n}'] for n in NAMES], rescored,
                               atol=1e-9)
    for d, b in zip(dets, bscores):
        d['score'] = float(np.float32(b))
    by_box = _oracle(path, dets + [dict(fp_det, score=float(
        np.float32(0.99)))], tmp_path)
    res = _run(samples + [fp], ann_file=str(path), nms_mode='none',
               score_mode='bbox')
    np.testing.assert_allclose([res[f'coco/{n}'] for n in NAMES], by_box,
                               atol=1e-9)
    assert by_box[1] < rescored[1]   # AP .5 drops when the FP ranks first


def test_image_without_predictions(gt_json, tmp_path):
    """A bottom-up image where nothing was found (N=0 predictions) counts
    its people as missed, as in a direct COCOeval without them."""
    path, data = gt_json
    kpts, scores, bscores = _perturbed(data, seed=5)
    empty_img = data['images'][0]['id']
    samples, kept = [], []
    for img in data['images']:
        idx = [i for i, a in enumerate(data['annotations'])
               if a['image_id'] == img['id']]
        ds = PoseDataSample(metainfo=dict(
            img_id=img['id'], ori_shape=(img['height'], img['width'])))
        if img['id'] == empty_img:
            ds.pred_instances = InstanceData(
                keypoints=np.zeros((0, 17, 2), np.float32),
                keypoint_scores=np.zeros((0, 17), np.float32),
                scores=np.zeros((0, ), np.float32))
        else:
            kept += idx
            ds.pred_instances = InstanceData(
                keypoints=np.stack([kpts[i] for i in idx]).astype(
                    np.float32),
                keypoint_scores=np.stack([scores[i] for i in idx]).astype(
                    np.float32),
                scores=np.array([bscores[i] for i in idx], np.float32))
        samples.append(ds.to_dict())
    dets = [d for d in _oracle_dets(data, kpts, scores, bscores)
            if d['image_id'] != empty_img]
    assert len(dets) == len(kept) > 0
    stats = _oracle(path, dets, tmp_path)
    res = _run(samples, ann_file=str(path), nms_mode='none')
    np.testing.assert_allclose([res[f'coco/{n}'] for n in NAMES], stats,
                               atol=1e-9)
    assert res['coco/AR'] < 1.0
