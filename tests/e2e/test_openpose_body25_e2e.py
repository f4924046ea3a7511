"""BODY_25 end to end on synthetic crowds with feet: a few iterations of
configs/quickstart/openpose_body25_synthetic.py through
tools/quickstart_openpose.py (train, COCO AP of the body + foot AP,
drawings), then PoseInferencer's JSON and drawing of the feet and
tools/browse_dataset.py's foot targets."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from conftest import REPO

CONFIG = 'configs/quickstart/openpose_body25_synthetic.py'


def _load(name):
    path = REPO / 'tools' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _small_opts():
    opts = ['param_scheduler=[]', 'default_hooks.logger.interval=1']
    for phase, n in (('train', 8), ('val', 4), ('test', 4)):
        opts += [f'{phase}_dataloader.dataset.num_samples={n}',
                 f'{phase}_dataloader.batch_size=4',
                 f'{phase}_dataloader.num_workers=0',
                 f'{phase}_dataloader.persistent_workers=False']
    return opts


@pytest.mark.slow
def test_body25_quickstart_trains_evaluates_draws_and_infers(tmp_path):
    tool = _load('quickstart_openpose')
    res = tool.main(['--config', CONFIG, '--work-dir', str(tmp_path / 'qs'),
                     '--max-epochs', '1', '--num-panels', '1',
                     '--cfg-options', *_small_opts()])
    m = res['metrics']
    for key in ('coco/AP', 'coco/foot/AP', 'oracle/coco/AP',
                'oracle/coco/foot/AP'):
        assert key in m and -1.0 <= m[key] <= 1.0, key
    assert res['panels'] and all(osp.getsize(p) > 0 for p in res['panels'])
    assert res['checkpoint'] and osp.exists(res['checkpoint'])

    # the inferencer names every keypoint and draws the feet
    from kp_ext.apis import PoseInferencer
    from kp_ext.datasets import SyntheticCrowdDataset
    inf = PoseInferencer(str(tmp_path / 'qs' / 'infer_config.py'),
                         res['checkpoint'])
    img = SyntheticCrowdDataset(num_samples=1, img_size=(192, 192),
                                num_people=2, seed=7,
                                with_feet=True).get_data_info(0)['img']
    out = inf(img, return_vis=True, kpt_thr=0.0)
    pred = out['predictions'][0]
    json.dumps(pred)
    names = pred['keypoint_names']
    assert len(names) == 23 and names[17:] == [
        'left_big_toe', 'left_small_toe', 'left_heel', 'right_big_toe',
        'right_small_toe', 'right_heel']
    for person in pred['instances']:
        assert len(person['keypoints']) == 3 * 23
    assert out['visualization'][0].shape == img.shape


def test_browse_dataset_shows_the_foot_targets(tmp_path):
    browse = _load('browse_dataset')
    cfg = Config.fromfile(str(REPO / CONFIG))
    cfg.train_dataloader.dataset.update(num_samples=2, cache_renders=False)
    paths = browse.browse(cfg, 'train', n=1, out_dir=str(tmp_path))
    assert len(paths) == 1 and osp.getsize(paths[0]) > 0
    # the targets it draws hold the foot parts (BODY_25 parts 19-24)
    from mmengine.registry import init_default_scope

    from kp_ext.registry import DATASETS
    init_default_scope('kp_ext')
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    heat = ds[0]['data_samples'].gt_fields.heatmaps.numpy()
    assert heat.shape[0] == 25
    vis = ds.get_data_info(0)['keypoints_visible'][:, 17:]
    if vis.any():
        assert np.max(heat[19:]) > 0.5
