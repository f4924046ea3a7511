import json
import math

import numpy as np
import pytest

from kp_ext.datasets.synthetic import (COCO_KEYPOINT_NAMES, FigureCanvas,
                                       SyntheticCrowdDataset,
                                       SyntheticPeopleDataset, draw_figure,
                                       export_coco, place_figure,
                                       random_background, render_crowd_scene,
                                       render_people_scene, sample_figure)
from kp_ext.registry import DATASETS

K = 17


def _inside(kpts, w, h):
    return ((kpts[..., 0] >= 0) & (kpts[..., 0] <= w - 1) &
            (kpts[..., 1] >= 0) & (kpts[..., 1] <= h - 1))


def test_registered_and_sample_keys():
    ds = DATASETS.build(
        dict(type='SyntheticPeopleDataset', num_samples=5, seed=1))
    assert isinstance(ds, SyntheticPeopleDataset)
    assert len(ds) == 5
    d = ds[3]
    assert d['img'].shape == (256, 256, 3) and d['img'].dtype == np.uint8
    assert d['img_shape'] == (256, 256) and d['ori_shape'] == (256, 256)
    assert d['img_path'] == 'synthetic://people/seed1/000003'
    assert d['img_id'] == 3 and d['id'] == 4  # ann ids start at 1
    assert d['bbox'].shape == (1, 4) and d['bbox'].dtype == np.float32
    assert d['bbox_score'].shape == (1, )
    assert d['keypoints'].shape == (1, K, 2)
    assert d['keypoints'].dtype == np.float32
    assert d['keypoints_visible'].shape == (1, K)
    assert set(np.unique(d['keypoints_visible'])) <= {0.0, 1.0}
    assert d['num_keypoints'] == int(d['keypoints_visible'].sum())
    assert d['iscrowd'] == 0 and d['category_id'] == 1
    assert d['area'].shape == (1, ) and d['area'][0] > 0
    assert d['raw_ann_info']['image_id'] == 3
    assert len(d['raw_ann_info']['keypoints']) == 3 * K
    # dataset_meta (COCO by default) and the per-sample meta keys
    assert ds.metainfo['num_keypoints'] == K
    assert d['flip_indices'][5] == 6 and d['flip_indices'][6] == 5
    # bbox contains every labelled keypoint
    x1, y1, x2, y2 = d['bbox'][0]
    kv = d['keypoints'][0][d['keypoints_visible'][0] > 0]
    assert (kv[:, 0] >= x1).all() and (kv[:, 0] <= x2).all()
    assert (kv[:, 1] >= y1).all() and (kv[:, 1] <= y2).all()


def test_determinism_and_independence():
    a = SyntheticPeopleDataset(num_samples=6, seed=7)
    b = SyntheticPeopleDataset(num_samples=6, seed=7)
    # access order must not matter (no global RNG state)
    b5 = b[5]
    b[1]
    a1, a5 = a[1], a[5]
    np.testing.assert_array_equal(a5['img'], b5['img'])
    np.testing.assert_array_equal(a5['keypoints'], b5['keypoints'])
    np.testing.assert_array_equal(a[1]['img'], a1['img'])
    assert not np.array_equal(a1['img'], a5['img'])
    assert not np.allclose(a1['keypoints'], a5['keypoints'])
    c = SyntheticPeopleDataset(num_samples=6, seed=8)
    assert not np.array_equal(c[5]['img'], a5['img'])
    # a subset keeps the original samples (workers / indices agree)
    sub = SyntheticPeopleDataset(num_samples=6, seed=7, indices=[5, 1])
    np.testing.assert_array_equal(sub[0]['img'], a5['img'])
    assert sub[0]['img_id'] == 5 and sub[1]['img_id'] == 1


def test_keypoints_lie_on_figure_pixels():
    rng = np.random.default_rng(0)
    for t in range(40):
        fig = sample_figure(rng)
        f = place_figure(fig, rng.uniform(15, 60), rng.uniform(-3.1, 3.1),
                         (200.0, 200.0))
        img = np.zeros((400, 400, 3), np.uint8)
        label = np.zeros((400, 400), np.uint8)
        canvas = FigureCanvas(img, label)
        canvas.lid = 9
        draw_figure(canvas, f)
        k = np.round(f['joints']).astype(int)
        assert (label[k[:, 1], k[:, 0]] == 9).all(), t
        assert (img[k[:, 1], k[:, 0]].sum(-1) > 0).all(), t


def test_scene_keypoints_on_figure_and_occlusion_flags():
    n_occ = 0
    for i in range(20):
        img, ann, label = render_people_scene(
            np.random.default_rng([3, i]), occlusion_prob=0.5,
            truncation_prob=0.3, return_label=True)
        kp = ann['keypoints'][0]
        vis = ann['keypoints_visible'][0] > 0
        occ = ann['keypoints_occluded'][0] > 0
        assert not (occ & ~vis).any()
        k = np.round(kp[vis]).astype(int)
        lab = label[k[:, 1], k[:, 0]]
        # labelled points are on the figure (id 2) unless flagged occluded
        np.testing.assert_array_equal(lab != 2, occ[vis])
        n_occ += occ.sum()
    assert n_occ > 0  # occluders do hide some keypoints

    # the nose (head) pixel differs from the background in a seeded case
    rng = np.random.default_rng([11, 0])
    bg = random_background(np.random.default_rng([11, 0]), 256, 256)
    img, ann = render_people_scene(rng, occlusion_prob=0.0,
                                   truncation_prob=0.0)
    x, y = np.round(ann['keypoints'][0, 0]).astype(int)
    assert np.abs(img[y, x].astype(int) - bg[y, x]).sum() > 40


def test_truncation_visibility_exact():
    w, h = 192, 160
    ds = SyntheticPeopleDataset(
        num_samples=25, img_size=(w, h), seed=2, truncation_prob=1.0,
        occlusion_prob=0.0)
    n_out = 0
    for i in range(len(ds)):
        d = ds[i]
        assert d['img'].shape == (h, w, 3)
        kp, vis = d['keypoints'][0], d['keypoints_visible'][0]
        np.testing.assert_array_equal(vis, _inside(kp, w, h))
        assert vis.sum() >= 4
        n_out += (vis == 0).sum()
        # raw COCO annotation: v=0 and zeros for points outside
        raw = np.array(d['raw_ann_info']['keypoints']).reshape(K, 3)
        assert ((raw[:, 2] == 0) == (vis == 0)).all()
        assert (raw[vis == 0, :2] == 0).all()
        x1, y1, x2, y2 = d['bbox'][0]
        assert 0 <= x1 <= x2 <= w - 1 and 0 <= y1 <= y2 <= h - 1
    assert n_out > 25  # truncation really cuts figures


def test_left_right_chirality():
    """Figures face the camera: with rotation up to 90 degrees the person's
    left shoulder/hip are on the image right of the body axis."""
    rng = np.random.default_rng(5)
    for _ in range(100):
        f = place_figure(sample_figure(rng), 30.0, rng.uniform(-1.5, 1.5),
                         (0, 0))
        j = f['joints']
        axis = (j[11] + j[12]) / 2 - (j[5] + j[6]) / 2  # shoulders -> hips
        for left, right in ((5, 6), (11, 12), (1, 2)):
            lr = j[left] - j[right]
            # y-down: left of the person = clockwise side of 'up'
            assert axis[0] * lr[1] - axis[1] * lr[0] < 0


def test_bottomup_crowd_counts():
    ds = DATASETS.build(
        dict(type='SyntheticCrowdDataset', num_samples=4, seed=0,
             num_people=7, img_size=(320, 288)))
    assert isinstance(ds, SyntheticCrowdDataset)
    d = ds[2]
    assert d['img'].shape == (288, 320, 3)
    assert d['keypoints'].shape == (7, K, 2)
    assert d['keypoints_visible'].shape == (7, K)
    assert d['bbox'].shape == (7, 4) and d['area'].shape == (7, )
    assert d['bbox_score'].shape == (7, )
    assert (d['iscrowd'] == 0).all() and len(d['iscrowd']) == 7
    assert d['invalid_segs'] == []
    assert len(d['id']) == len(set(d['id'])) == 7 and min(d['id']) >= 1
    assert len(d['raw_ann_info']) == 7
    np.testing.assert_array_equal(d['keypoints_visible'],
                                  _inside(d['keypoints'], 320, 288))
    assert (d['keypoints_visible'].sum(1) >= 3).all()

    rng_ds = SyntheticCrowdDataset(num_samples=12, seed=1,
                                   num_people=(1, 20))
    counts = [len(rng_ds[i]['keypoints']) for i in range(len(rng_ds))]
    assert all(1 <= c <= 20 for c in counts)
    assert len(set(counts)) > 2
    ids = [a for i in range(len(rng_ds)) for a in rng_ds[i]['id']]
    assert len(ids) == len(set(ids))  # annotation ids unique over images

    # painter's order: later figures occlude earlier ones, never the reverse
    img, ann, label = render_crowd_scene(
        np.random.default_rng(4), num_people=20, occlusion_prob=0.0,
        return_label=True)
    n_hidden = 0
    for p in range(20):
        vis = ann['keypoints_visible'][p] > 0
        k = np.round(ann['keypoints'][p][vis]).astype(int)
        lab = label[k[:, 1], k[:, 0]]
        assert (lab >= p + 1).all()
        np.testing.assert_array_equal(lab != p + 1,
                                      ann['keypoints_occluded'][p][vis] > 0)
        n_hidden += (lab != p + 1).sum()
    assert n_hidden > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match='data_mode'):
        SyntheticPeopleDataset(num_samples=2, data_mode='sideways')
    with pytest.raises(ValueError, match='num_people'):
        SyntheticCrowdDataset(num_samples=2, num_people=(5, 2))
    with pytest.raises(ValueError, match='bottomup'):
        SyntheticCrowdDataset(num_samples=2, data_mode='topdown')
    with pytest.raises(ValueError, match='17'):
        SyntheticPeopleDataset(
            num_samples=2, metainfo=dict(from_file='kp_ext/datasets/'
                                         'metainfo/face68.py'))


@pytest.mark.parametrize('cls', [SyntheticPeopleDataset,
                                 SyntheticCrowdDataset])
def test_cache_renders_same_samples(cls, monkeypatch):
    fresh = cls(num_samples=3, seed=7, img_size=(96, 96))
    cached = cls(num_samples=3, seed=7, img_size=(96, 96),
                 cache_renders=True)
    calls = []
    render = cached.render
    monkeypatch.setattr(cached, 'render',
                        lambda i: calls.append(i) or render(i))
    for _ in range(2):  # two "epochs"
        for i in (2, 0, 1):
            a, b = fresh[i], cached[i]
            np.testing.assert_array_equal(a['img'], b['img'])
            np.testing.assert_array_equal(a['keypoints'], b['keypoints'])
            np.testing.assert_array_equal(a['keypoints_visible'],
                                          b['keypoints_visible'])
            b['img'][:] = 0  # a transform writing in place
            b['keypoints'][:] = -1
    assert calls == [2, 0, 1]  # each index rendered once
    np.testing.assert_array_equal(cached[0]['img'], fresh[0]['img'])


def test_people_bottomup_mode():
    ds = SyntheticPeopleDataset(num_samples=2, seed=0, data_mode='bottomup')
    d = ds[0]
    assert d['keypoints'].shape == (1, K, 2)
    assert isinstance(d['id'], list) and d['invalid_segs'] == []


def test_export_coco_roundtrip(tmp_path):
    from xtcocotools.coco import COCO
    from xtcocotools.cocoeval import COCOeval
    ds = SyntheticCrowdDataset(num_samples=3, seed=0, num_people=(2, 5),
                               img_size=(200, 160))
    ann_file = export_coco(ds, str(tmp_path))
    coco = COCO(ann_file)
    assert sorted(coco.getImgIds()) == [0, 1, 2]
    cat = coco.loadCats(1)[0]
    assert cat['keypoints'] == list(COCO_KEYPOINT_NAMES)
    assert [16, 14] in cat['skeleton']
    dets = []
    for i in range(3):
        d = ds[i]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[i]))
        assert len(anns) == len(d['keypoints'])
        img = (tmp_path / 'images' / coco.loadImgs(i)[0]['file_name'])
        import cv2
        np.testing.assert_array_equal(cv2.imread(str(img)), d['img'])
        for p, a in enumerate(sorted(anns, key=lambda a: a['id'])):
            kp = np.array(a['keypoints']).reshape(K, 3)
            vis = d['keypoints_visible'][p] > 0
            np.testing.assert_allclose(kp[vis, :2], d['keypoints'][p][vis],
                                       atol=1e-4)
            occ = d['keypoints_occluded'][p] > 0
            np.testing.assert_array_equal(
                kp[:, 2], np.where(vis, np.where(occ, 1, 2), 0))
            assert a['num_keypoints'] == int(vis.sum())
            dets.append(dict(image_id=i, category_id=1, score=1.0,
                             keypoints=a['keypoints']))
    # ground truth as detections scores AP = 1 under COCOeval
    with open(tmp_path / 'dets.json', 'w') as f:
        json.dump(dets, f)
    sigmas = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62,
                       .62, 1.07, 1.07, .87, .87, .89, .89]) / 10.0
    ev = COCOeval(coco, coco.loadRes(str(tmp_path / 'dets.json')),
                  'keypoints', sigmas, use_area=True)
    ev.params.useSegm = None
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert math.isclose(ev.stats[0], 1.0, abs_tol=1e-6)


def test_pipeline_integration():
    from kp_ext.registry import TRANSFORMS
    needed = ('LoadImage', 'GetBBoxCenterScale', 'TopdownAffine',
              'PackPoseInputs')
    from mmengine.registry import init_default_scope
    init_default_scope('kp_ext')
    import kp_ext.datasets.transforms  # noqa: F401
    if any(TRANSFORMS.get(n) is None for n in needed):
        pytest.skip('top-down transforms not available')
    ds = SyntheticPeopleDataset(
        num_samples=2, seed=0,
        pipeline=[dict(type='LoadImage'),
                  dict(type='GetBBoxCenterScale', padding=1.25),
                  dict(type='TopdownAffine', input_size=(128, 128)),
                  dict(type='PackPoseInputs')])
    out = ds[1]
    assert tuple(out['inputs'].shape) == (3, 128, 128)
    ds_raw = SyntheticPeopleDataset(num_samples=2, seed=0)
    np.testing.assert_array_equal(
        out['data_samples'].gt_instances.keypoints,
        ds_raw[1]['keypoints'])
