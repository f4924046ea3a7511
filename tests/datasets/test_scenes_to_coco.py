"""scenes_to_coco: the COCO ground truth of keypoint scenes without images
(benchmarks/paf_grouping.py builds its synthetic ground truth with it)."""
import numpy as np
import pytest

from kp_ext.datasets.synthetic.coco_export import scenes_to_coco


def test_hand_computed_ground_truth():
    kp = np.array([[[10., 20.], [30., 5.], [99., 99.]],     # 2 visible
                   [[1., 1.], [2., 2.], [3., 3.]]])        # none visible
    vis = np.array([[1, 1, 0], [0, 0, 0]])
    scenes = [(kp, vis, np.array([400., 9.])),
              (np.zeros((0, 3, 2)), np.zeros((0, 3)), np.zeros(0))]
    gt = scenes_to_coco(scenes, (64, 48))
    assert gt['images'] == [dict(id=0, width=64, height=48),
                            dict(id=1, width=64, height=48)]
    (ann, ) = gt['annotations']  # the person without a visible point: none
    assert ann == dict(id=1, image_id=0, category_id=1, iscrowd=0,
                       area=400.0, bbox=[10.0, 5.0, 20.0, 15.0],
                       keypoints=[10., 20., 2., 30., 5., 2., 99., 99., 0.],
                       num_keypoints=2)
    (cat, ) = gt['categories']
    assert cat['keypoints'] == ['0', '1', '2'] and cat['name'] == 'person'


def test_loads_in_cocoeval():
    xtcocotools = pytest.importorskip('xtcocotools.coco')
    kp = np.array([[[10., 20.], [30., 5.]]])
    gt = scenes_to_coco([(kp, np.ones((1, 2)), [50.])] * 3, (40, 40))
    coco = xtcocotools.COCO()
    coco.dataset = gt
    coco.createIndex()
    assert sorted(coco.getImgIds()) == [0, 1, 2]
    assert [a['image_id'] for a in coco.loadAnns(coco.getAnnIds())] == \
        [0, 1, 2]
    assert [a['id'] for a in gt['annotations']] == [1, 2, 3]
