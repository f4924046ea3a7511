"""tools/infer.py's files (issue 23): every prediction JSON / JSON line says
``"bbox_format": "xyxy"``, and ``--coco-results FILE`` writes one COCO
keypoint results file (bbox x, y, w, h) that xtcocotools' ``loadRes``
accepts as it is."""
import json

import cv2
import numpy as np
import pytest

from kp_ext.apis import coco_image_id, to_coco_results
from kp_ext.datasets import COCO_KEYPOINT_NAMES, COCO_SKELETON
from tiny_models import load_script, people_image, trained


def _images(folder, names):
    folder.mkdir()
    for i, name in enumerate(names):
        cv2.imwrite(str(folder / name), people_image(96, 80, seed=i))
    return folder


def _gt(path, ids):
    """A COCO keypoint ground-truth file of ``ids`` (96x80 images)."""
    path.write_text(json.dumps(dict(
        images=[dict(id=i, file_name=f'{i:012d}.png', width=96, height=80)
                for i in ids],
        annotations=[],
        categories=[dict(id=1, name='person', supercategory='person',
                         keypoints=list(COCO_KEYPOINT_NAMES),
                         skeleton=[[int(a) + 1, int(b) + 1]
                                   for a, b in COCO_SKELETON])])))
    return str(path)


@pytest.mark.parametrize('kind', ['topdown', 'bottomup'])
def test_coco_results_load_with_xtcocotools(tmp_path, kind, capsys):
    from xtcocotools.coco import COCO
    config, ckpt = trained(kind)
    names = ['000000000139.png', '000000000785.png']
    folder = _images(tmp_path / 'imgs', names)
    out, results = tmp_path / 'out', tmp_path / 'res' / 'results.json'
    tool = load_script('tools/infer.py')
    args = [config, ckpt, str(folder), '--out-dir', str(out), '--threads',
            '1', '--coco-results', str(results)]
    if kind == 'bottomup':  # a barely trained net: let its parts group
        args[0] = _loose(tmp_path, config)
    assert tool.main(args) == 0
    assert 'COCO results' in capsys.readouterr().out
    res = json.loads(results.read_text())
    assert res, 'no people written'
    assert {r['image_id'] for r in res} <= {139, 785}
    for r in res:
        assert set(r) == {'image_id', 'category_id', 'keypoints', 'score',
                          'bbox'}
        assert r['category_id'] == 1 and len(r['keypoints']) == 17 * 3
    # the bbox is the prediction file's x1, y1, x2, y2 as x, y, w, h
    pred = json.loads((out / 'predictions' / '000000000139.json')
                      .read_text())
    assert pred['bbox_format'] == 'xyxy'
    first = [r for r in res if r['image_id'] == 139]
    for r, inst in zip(first, pred['instances']):
        x1, y1, x2, y2 = inst['bbox']
        np.testing.assert_allclose(r['bbox'], [x1, y1, x2 - x1, y2 - y1],
                                   atol=2e-3)
        assert r['keypoints'] == inst['keypoints']
        assert r['score'] == inst['score']
    gt = COCO(_gt(tmp_path / 'gt.json', [139, 785, 1000]))
    dt = gt.loadRes(str(results))
    assert len(dt.getAnnIds()) == len(res)
    from xtcocotools.cocoeval import COCOeval
    COCOeval(gt, dt, 'keypoints', use_area=True)  # sets up without error


def _loose(tmp_path, config):
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    cfg.model.head.decoder.update(peak_threshold=-1.0, paf_threshold=-1.0,
                                  min_mean_score=-1.0, min_parts=3)
    path = str(tmp_path / 'loose_paf.py')
    cfg.dump(path)
    return path


def test_every_json_says_bbox_format_and_ids_in_order(tmp_path, capsys):
    config, ckpt = trained('topdown')
    folder = _images(tmp_path / 'imgs', ['b.png', 'a.png'])
    results = tmp_path / 'results.json'
    out = tmp_path / 'out'
    assert load_script('tools/infer.py').main(
        [config, ckpt, str(folder), '--out-dir', str(out), '--threads', '1',
         '--coco-results', str(results)]) == 0
    for name in ('a', 'b'):
        pred = json.loads((out / 'predictions' / f'{name}.json').read_text())
        assert pred['bbox_format'] == 'xyxy'
        assert len(pred['instances'][0]['bbox']) == 4
    # names that are not COCO ids: 1, 2, ... in input order (a, b)
    res = json.loads(results.read_text())
    assert [r['image_id'] for r in res] == [1, 2]
    assert '1, 2, ... in input order' in capsys.readouterr().out


def test_video_lines_say_bbox_format(tmp_path):
    config, ckpt = trained('topdown')
    path = tmp_path / 'clip.mp4'
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 5,
                        (96, 80))
    for i in range(2):
        w.write(people_image(96, 80, seed=i))
    w.release()
    assert load_script('tools/infer.py').main(
        [config, ckpt, str(path), '--out-dir', str(tmp_path / 'out'),
         '--threads', '1']) == 0
    lines = (tmp_path / 'out' / 'predictions' / 'clip.jsonl').read_text()
    assert [json.loads(x)['bbox_format'] for x in lines.splitlines()] == \
        ['xyxy', 'xyxy']


def test_coco_result_helpers():
    assert coco_image_id('/x/000000000139.jpg') == 139
    assert coco_image_id('person.jpg') is None
    pred = dict(img_path='x.png', bbox_format='xyxy', instances=[
        dict(keypoints=[1, 2, 0.5, 5, 8, 0.7], score=0.4),
        dict(keypoints=[0, 0, 1, 1, 1, 1], score=0.9, bbox=[2, 3, 12, 23])])
    a, b = to_coco_results(pred, 7)
    assert a['bbox'] == [1, 2, 4, 6]  # the keypoints' extent
    assert b['bbox'] == [2, 3, 10, 20] and b['image_id'] == 7
    with pytest.raises(ValueError, match=r"x\.png.*bbox_format 'xywh'"):
        to_coco_results(dict(pred, bbox_format='xywh'), 7)
