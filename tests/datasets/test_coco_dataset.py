import copy
import json

import numpy as np
import pytest
from PIL import Image

from kp_ext.datasets import CocoDataset
from kp_ext.registry import DATASETS
from conftest import logged_messages, shared_data

K = 17


def _coco_json_counts(path):
    """Independent count of top-down people / bottom-up images."""
    with open(path) as f:
        data = json.load(f)
    people = [
        a for a in data['annotations']
        if not a.get('iscrowd', 0) and a.get('num_keypoints', 0) > 0
    ]
    return data, people


def test_coco_mini_topdown_counts_and_sample_layout():
    root = shared_data('coco_mini')
    ann = root / 'annotations' / 'person_keypoints_train2017.json'
    data, people = _coco_json_counts(ann)
    ds = CocoDataset(
        ann_file=str(ann), data_prefix=dict(img=str(root / 'train2017')))
    assert len(ds) == len(people) == 86
    assert sorted(ds.get_data_info(i)['id']
                  for i in range(len(ds))) == sorted(a['id'] for a in people)

    imgs = {im['id']: im for im in data['images']}
    by_id = {a['id']: a for a in people}
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        a = by_id[info['id']]
        im = imgs[a['image_id']]
        assert info['img_path'].endswith(im['file_name'])
        assert info['bbox'].shape == (1, 4)
        assert info['bbox'].dtype == np.float32
        assert info['keypoints'].shape == (1, K, 2)
        assert info['keypoints_visible'].shape == (1, K)
        assert info['bbox_score'].shape == (1, )
        kp = np.array(a['keypoints'], dtype=np.float32).reshape(K, 3)
        np.testing.assert_array_equal(info['keypoints'][0], kp[:, :2])
        np.testing.assert_array_equal(info['keypoints_visible'][0],
                                      (kp[:, 2] > 0).astype(np.float32))
        x, y, w, h = a['bbox']
        expected = np.clip([x, y, x + w, y + h], 0,
                           [im['width'] - 1, im['height'] - 1] * 2)
        np.testing.assert_allclose(info['bbox'][0], expected, atol=1e-3)
        assert info['num_keypoints'] == a['num_keypoints']
        assert info['iscrowd'] == 0 and info['category_id'] == 1
        assert np.isclose(info['area'][0], a['area'])
        assert info['raw_ann_info']['id'] == a['id']


def test_coco_mini_bottomup_groups_people_and_lists_invalid_segs():
    root = shared_data('coco_mini')
    ann = root / 'annotations' / 'person_keypoints_train2017.json'
    data, people = _coco_json_counts(ann)
    ds = DATASETS.build(
        dict(
            type='CocoDataset',
            ann_file=str(ann),
            data_prefix=dict(img=str(root / 'train2017')),
            data_mode='bottomup'))
    per_image = {}
    for a in people:
        per_image.setdefault(a['image_id'], []).append(a['id'])
    assert len(ds) == len(per_image) == 28
    n_crowd_kept = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        ids = per_image[info['img_id']]
        n = len(ids)
        assert sorted(info['id'].tolist()) == sorted(ids)
        assert info['keypoints'].shape == (n, K, 2)
        assert info['keypoints_visible'].shape == (n, K)
        assert info['bbox'].shape == (n, 4)
        assert info['area'].shape == (n, )
        assert len(info['raw_ann_info']) == n
        invalid = [
            a for a in data['annotations']
            if a['image_id'] == info['img_id'] and (
                a.get('iscrowd', 0) or a.get('num_keypoints', 0) == 0)
            and a.get('segmentation')
        ]
        assert len(info['invalid_segs']) == len(invalid)
        assert info['invalid_iscrowd'].tolist() == [
            int(a.get('iscrowd', 0)) for a in invalid
        ]
        n_crowd_kept += int(info['invalid_iscrowd'].sum())
        for seg, a in zip(info['invalid_segs'], invalid):
            assert seg == a['segmentation']
    crowd_imgs = {
        a['image_id']
        for a in data['annotations'] if a.get('iscrowd', 0)
    }
    n_crowd_expected = sum(
        1 for a in data['annotations']
        if a.get('iscrowd', 0) and a['image_id'] in per_image)
    assert crowd_imgs  # coco_mini has crowd regions
    assert n_crowd_kept == n_crowd_expected


def test_mmpose_testdata_coco_and_detections():
    root = shared_data('mmpose_testdata', 'coco')
    data, people = _coco_json_counts(root / 'test_coco.json')
    ds = CocoDataset(
        ann_file='test_coco.json', data_root=str(root),
        data_prefix=dict(img=''))
    assert len(ds) == len(people)
    # detections replace gt boxes in test mode
    with open(root / 'test_coco_det_AP_H_56.json') as f:
        dets = json.load(f)
    det_ds = CocoDataset(
        ann_file='test_coco.json',
        bbox_file='test_coco_det_AP_H_56.json',
        data_root=str(root),
        test_mode=True)
    assert len(det_ds) == sum(d['category_id'] == 1 for d in dets)
    info = det_ds.get_data_info(0)
    np.testing.assert_allclose(info['bbox_score'], [dets[0]['score']])
    x, y, w, h = dets[0]['bbox']
    np.testing.assert_allclose(info['bbox'][0], [x, y, x + w, y + h],
                               rtol=1e-5)
    assert info['keypoints'].shape == (1, K, 2)
    assert np.all(info['keypoints_visible'] == 1)
    assert len(info['img_shape']) == 2
    thr = CocoDataset(
        ann_file='test_coco.json',
        bbox_file='test_coco_det_AP_H_56.json',
        data_root=str(root),
        test_mode=True,
        filter_cfg=dict(bbox_score_thr=0.5))
    assert len(thr) == sum(d['category_id'] == 1 and d['score'] >= 0.5
                           for d in dets)
    assert 0 < len(thr) < len(det_ds)
    with pytest.raises(ValueError, match='test_mode'):
        CocoDataset(ann_file='test_coco.json',
                    bbox_file='test_coco_det_AP_H_56.json',
                    data_root=str(root))


# ----------------------------------------------------------------------
# tiny synthetic files


def _person(ann_id, img_id, kpts=None, bbox=(10, 10, 30, 40), **kw):
    if kpts is None:
        kpts = []
        for j in range(K):
            kpts += [12 + j, 15 + j, 2]
    ann = dict(id=ann_id, image_id=img_id, category_id=1, iscrowd=0,
               keypoints=kpts, num_keypoints=sum(v > 0 for v in kpts[2::3]),
               bbox=list(bbox), area=100.0,
               segmentation=[[10, 10, 40, 10, 40, 50]])
    ann.update(kw)
    return ann


def _write(tmp_path, anns, images=((1, 'a.png'), (2, 'b.png')),
           make_files=True):
    data = dict(
        images=[dict(id=i, file_name=n, width=64, height=48)
                for i, n in images],
        annotations=anns,
        categories=[dict(id=1, name='person', keypoints=['k'] * K,
                         skeleton=[])])
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(data))
    if make_files:
        for _, n in images:
            Image.new('RGB', (64, 48)).save(tmp_path / n)
    return path


def _build(path, **kw):
    return CocoDataset(ann_file=str(path),
                       data_prefix=dict(img=str(path.parent)), **kw)


def test_filters_crowd_and_keypointless_people(tmp_path):
    crowd = _person(2, 1, iscrowd=1,
                    segmentation=dict(counts='abc', size=[48, 64]))
    nokp = _person(3, 1, kpts=[0] * (3 * K), num_keypoints=0)
    path = _write(tmp_path, [_person(1, 1), crowd, nokp, _person(4, 2)])
    ds = _build(path)
    assert [ds.get_data_info(i)['id'] for i in range(len(ds))] == [1, 4]
    bu = _build(path, data_mode='bottomup')
    assert len(bu) == 2
    first = bu.get_data_info(0)
    assert first['img_id'] == 1 and first['id'].tolist() == [1]
    assert first['invalid_segs'] == [crowd['segmentation'],
                                     nokp['segmentation']]
    assert first['invalid_iscrowd'].tolist() == [1, 0]
    assert bu.get_data_info(1)['invalid_segs'] == []


def test_bbox_is_clipped_to_the_image(tmp_path):
    path = _write(tmp_path, [_person(1, 1, bbox=(-5, 20, 100, 100))])
    info = _build(path).get_data_info(0)
    np.testing.assert_allclose(info['bbox'][0], [0, 20, 63, 47])


def _bad_cases():
    good = _person(7, 1)
    wrong_len = copy.deepcopy(good)
    wrong_len['keypoints'] = wrong_len['keypoints'][:-3]
    nan_kp = copy.deepcopy(good)
    nan_kp['keypoints'][0] = float('nan')
    zero_box = _person(7, 1, bbox=(70, 10, 20, 20))  # outside: clips to 0 w
    zero_wh = _person(7, 1, bbox=(10, 10, 0, 20))
    invisible = copy.deepcopy(good)
    invisible['keypoints'][2::3] = [0] * K
    invisible['num_keypoints'] = 5  # claims keypoints, none labelled
    return [
        (wrong_len, 'expected 51'),
        (nan_kp, 'NaN'),
        (zero_box, 'zero-size'),
        (zero_wh, 'zero-size'),
        (invisible, 'invisible'),
    ]


@pytest.mark.parametrize('ann,match', _bad_cases())
def test_bad_annotation_raises_naming_file_and_id(tmp_path, ann, match):
    path = _write(tmp_path, [_person(1, 1), ann])
    with pytest.raises(ValueError, match=match) as err:
        _build(path)
    assert str(path) in str(err.value)
    assert 'annotation id 7' in str(err.value)


@pytest.mark.parametrize('ann,match', _bad_cases())
def test_bad_annotation_skip_logs_a_warning(tmp_path, ann, match):
    path = _write(tmp_path, [_person(1, 1), ann])
    with logged_messages() as messages:
        ds = _build(path, on_bad_annotation='skip')
    assert [ds.get_data_info(i)['id'] for i in range(len(ds))] == [1]
    assert len(ds.bad_annotations) == 1 and match in ds.bad_annotations[0]
    assert any('annotation id 7' in m for m in messages)
    # bottom-up: the skipped person's region is masked out instead
    bu = _build(path, on_bad_annotation='skip', data_mode='bottomup')
    assert len(bu.get_data_info(0)['invalid_segs']) == 1


def test_missing_image(tmp_path):
    path = _write(tmp_path, [_person(1, 1), _person(2, 2)])
    (tmp_path / 'b.png').unlink()
    with pytest.raises(ValueError, match='b.png') as err:
        _build(path)
    assert 'not found' in str(err.value)
    ds = _build(path, on_bad_annotation='skip')
    assert len(ds) == 1 and ds.get_data_info(0)['img_id'] == 1
    assert len(_build(path, check_image_exists=False)) == 2


def test_metainfo_from_file_lazy_init_and_pipeline_keys(tmp_path):
    path = _write(tmp_path, [_person(1, 1)])
    ds = CocoDataset(ann_file=str(path),
                     metainfo=dict(from_file='kp_ext/datasets/metainfo/'
                                   'coco.py'),
                     data_prefix=dict(img=str(tmp_path)), lazy_init=True,
                     pipeline=[lambda d: d])
    assert ds.metainfo['num_keypoints'] == K
    assert ds.metainfo['paf_limbs'][0] == (5, 6)  # left-right shoulder
    assert not ds._fully_initialized
    sample = ds[0]
    assert sample['flip_indices'][1] == 2
    assert sample['dataset_name'] == 'coco'
    assert sample['dataset_keypoint_weights'].shape == (K, )
    # a dataset_meta built for another layout is rejected by the check
    with pytest.raises(ValueError, match='expected 27'):
        CocoDataset(ann_file=str(path), metainfo=dict(from_file='cat9'),
                    data_prefix=dict(img=str(tmp_path)))


def test_argument_errors(tmp_path):
    path = _write(tmp_path, [_person(1, 1)])
    with pytest.raises(ValueError, match='data_mode'):
        _build(path, data_mode='sideways')
    with pytest.raises(ValueError, match='on_bad_annotation'):
        _build(path, on_bad_annotation='ignore')
    with pytest.raises(FileNotFoundError):
        CocoDataset(ann_file=str(tmp_path / 'none.json'))
