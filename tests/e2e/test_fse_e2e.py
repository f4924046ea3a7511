"""End to end for Factorized Spatial Embeddings: every FSE config builds,
trains a few iterations on tiny data, evaluates with the regression
protocol and draws the landmark figures; bad inputs (tiny, grayscale and
RGBA images) go through training and prediction."""
import csv

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from conftest import REPO, shared_data
from kp_ext.engine.hooks.landmark_collapse_hook import LandmarkCollapseHook
from kp_ext.models.estimators.unsupervised import \
    UnsupervisedLandmarkEstimator
from kp_ext.registry import DATASETS
from kp_ext.visualization.landmark_drawing import (draw_landmark_grid,
                                                   fse_pair_figure)

TINY_NET = dict(channels=(8, 8, 8, 8, 8, 8))


def _visit(node, fn):
    if isinstance(node, dict):
        fn(node)
        for v in node.values():
            _visit(v, fn)
    elif isinstance(node, list):
        for v in node:
            _visit(v, fn)


def _tiny(cfg, work_dir, *, iters=2, batch=4, data_root=None,
          limits=None):
    cfg.work_dir = str(work_dir)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_interval=iters)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=iters, by_epoch=False)
    # the config's hooks (weight average included), collapse check every
    # iteration
    cfg.custom_hooks = [
        dict(h, interval=1) if h['type'] == 'LandmarkCollapseHook' else h
        for h in cfg.get('custom_hooks', [])]
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg[name]
        dl.batch_size = batch
        dl.num_workers = 0
        dl.persistent_workers = False
    if data_root is not None:
        def set_root(d):
            if 'data_root' in d:
                d['data_root'] = data_root
            if 'data_prefix' in d:
                d['data_prefix'] = dict(img=data_root)
        for name in ('train_dataloader', 'val_dataloader',
                     'test_dataloader'):
            _visit(cfg[name], set_root)
    if limits:
        cfg.train_dataloader.dataset.update(limits['train'])
        for name in ('val_dataloader', 'test_dataloader'):
            cfg[name].dataset.fit.update(limits['fit'])
            cfg[name].dataset.test.update(limits['test'])
            if cfg[name].dataset.get('holdout') is not None:
                cfg[name].dataset.holdout.update(limits['holdout'])
    return cfg


def _run(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    return runner, metrics


def _figures(runner, tmp_path):
    model = runner.model
    model.eval()
    ds = runner.test_dataloader.dataset.test
    items = [ds[i] for i in range(min(4, len(ds)))]
    data = model.data_preprocessor(
        dict(inputs=[it['inputs'] for it in items],
             data_samples=[it['data_samples'] for it in items]), False)
    with torch.no_grad():
        lms, _ = model.extract_landmarks(data['inputs'])
    imgs = [it['inputs'].permute(1, 2, 0).numpy() for it in items]
    grid = draw_landmark_grid(imgs, lms.numpy(), ncols=2)
    pairs = fse_pair_figure(model, data['inputs'], num=2)
    for name, im in (('grid.png', grid), ('pairs.png', pairs)):
        assert cv2.imwrite(str(tmp_path / name), im)
    assert grid.shape[0] > 0 and pairs.shape[0] > 0


def _check_metrics(metrics, five_point):
    assert np.isfinite(metrics['NME']) and metrics['NME'] > 0
    assert np.isfinite(metrics['NME_baseline'])
    assert ('NME_5pt' in metrics) == five_point


def test_quickstart_config(tmp_path):
    cfg = Config.fromfile(str(REPO / 'configs/quickstart/fse_synthetic.py'))
    assert cfg.model.type == 'UnsupervisedLandmarkEstimator'
    cfg = _tiny(cfg, tmp_path, iters=3, limits=dict(
        train=dict(num_samples=12), fit=dict(num_samples=24),
        test=dict(num_samples=8)))
    cfg.model.backbone.update(TINY_NET)
    runner, metrics = _run(cfg)
    _check_metrics(metrics, five_point=False)
    assert (tmp_path / 'iter_3.pth').exists()
    hooks = [h for h in runner.hooks if isinstance(h, LandmarkCollapseHook)]
    assert hooks and hooks[0].last_stats is not None
    _figures(runner, tmp_path)


def _faces_limits():
    return dict(train=dict(indices=16), fit=dict(indices=24),
                test=dict(indices=8), holdout=dict(indices=8))


def test_faces_config(tmp_path):
    root = str(shared_data('youtube_faces_68lm_udacity')) + '/'
    cfg = Config.fromfile(str(REPO / 'configs/fse_faces.py'))
    assert cfg.model.head.num_keypoints == 30
    assert cfg.train_dataloader.dataset.split == 'train'
    assert cfg.test_dataloader.dataset.test.split == 'val'
    save_best = cfg.default_hooks.checkpoint.save_best
    assert save_best == 'NME_holdout'
    cfg = _tiny(cfg, tmp_path, data_root=root, limits=_faces_limits())
    cfg.default_hooks.checkpoint.update(save_best=save_best, rule='less')
    cfg.model.backbone.update(TINY_NET)
    runner, metrics = _run(cfg)
    _check_metrics(metrics, five_point=True)
    # identity split: no identity on both sides
    ds = runner.test_dataloader.dataset
    assert not (set(ds.fit.identity_split['val']) &
                set(ds.fit.identity_split['train']))
    # the ridge alpha was chosen by CV over identity-grouped fit folds
    assert ds[0]['data_samples'].metainfo['identity'] in \
        ds.fit.identity_split['train']
    metric = runner.test_evaluator.metrics[0]
    alphas = cfg.test_evaluator[0].alpha
    assert set(metric.last_fit['cv_nme']) == set(alphas)
    assert metric.last_fit['alpha'] in alphas
    # the literature's protocol on the same predictions
    assert runner.test_evaluator.metrics[1].protocol == 'mafl'
    assert {'NME_mafl', 'NME_mafl_baseline', 'NME_mafl_holdout'} <= \
        set(metrics)
    # holdout identities: out of training, scored for checkpoint selection
    split = ds.holdout.identity_split
    assert split['holdout'] and not set(split['holdout']) & (
        set(split['train']) | set(split['val']))
    assert not set(split['holdout']) & {
        runner.train_dataloader.dataset.get_data_info(i)['identity']
        for i in range(len(runner.train_dataloader.dataset))}
    assert metric.last_fit['num_holdout'] == 8
    assert np.isfinite(metrics['NME_holdout'])
    best = list(tmp_path.glob('best_NME_holdout_iter_2.pth'))
    assert best
    # checkpoints carry the weight average (tested and saved as state_dict)
    assert 'ema_state_dict' in torch.load(best[0], map_location='cpu')
    _figures(runner, tmp_path)


def test_hourglass_faces_config(tmp_path):
    root = str(shared_data('youtube_faces_68lm_udacity')) + '/'
    cfg = Config.fromfile(str(REPO / 'configs/fse/fse_hourglass_faces.py'))
    assert cfg.model.backbone.type == 'StackedHourglass'
    assert cfg.model.backbone.out_channels == cfg.model.head.num_keypoints
    cfg = _tiny(cfg, tmp_path, batch=2, data_root=root,
                limits=_faces_limits())
    cfg.model.backbone.update(num_stacks=2, num_channels=16)
    runner, metrics = _run(cfg)
    _check_metrics(metrics, five_point=True)


def test_cats_config(tmp_path):
    root = str(shared_data('cat_dataset_sample', 'dataset', 'cats')) + '/'
    cfg = Config.fromfile(str(REPO / 'configs/fse/fse_cats.py'))
    cfg = _tiny(cfg, tmp_path, data_root=root)
    cfg.model.backbone.update(TINY_NET)
    runner, metrics = _run(cfg)
    _check_metrics(metrics, five_point=False)


def _write_faces(tmp_path):
    """Three tiny face images: grayscale, RGBA and colour (smaller than the
    96x96 crop), 68 points each, two identities."""
    rng = np.random.default_rng(0)
    img_dir = tmp_path / 'imgs'
    img_dir.mkdir()
    rows = []
    for name, shape in (('a_00.png', (40, 36)), ('a_01.png', (30, 30, 4)),
                        ('b_00.jpg', (28, 33, 3))):
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        assert cv2.imwrite(str(img_dir / name), img)
        h, w = shape[:2]
        pts = rng.uniform(2, min(w, h) - 3, (68, 2))
        rows.append([name] + [f'{v:.2f}' for v in pts.reshape(-1)])
    with open(tmp_path / 'faces.csv', 'w', newline='') as f:
        wr = csv.writer(f)
        wr.writerow(['name'] + [f'c{i}' for i in range(136)])
        wr.writerows(rows)
    return img_dir


def test_small_grayscale_rgba_images_train_and_predict(tmp_path):
    img_dir = _write_faces(tmp_path)
    cfg = Config.fromfile(str(REPO / 'configs/fse_faces.py'))
    ds_cfg = dict(cfg.train_dataloader.dataset)
    ds_cfg.update(data_root='', ann_file=str(tmp_path / 'faces.csv'),
                  img_dirs=str(img_dir), split='all')
    with DefaultScope.overwrite_default_scope('kp_ext'):
        ds = DATASETS.build(ds_cfg)
        items = [ds[i] for i in range(len(ds))]
    for it in items:
        assert tuple(it['inputs'].shape) == (3, 96, 96)  # upsampled, BGR
    model_cfg = dict(cfg.model)
    model_cfg['backbone'] = dict(model_cfg['backbone'], **TINY_NET)
    model_cfg.pop('type')
    model = UnsupervisedLandmarkEstimator(**model_cfg)
    data = model.data_preprocessor(
        dict(inputs=[it['inputs'] for it in items],
             data_samples=[it['data_samples'] for it in items]), True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    with torch.no_grad():
        out = model(**model.data_preprocessor(
            dict(inputs=[it['inputs'] for it in items],
                 data_samples=[it['data_samples'] for it in items]), False),
            mode='predict')
    for s in out:
        kp = s.pred_instances.keypoints
        assert kp.shape == (1, 30, 2)
        h, w = s.metainfo['ori_shape'][:2]
        # landmarks of the whole-image crop lie inside the original image
        assert (kp[..., 0] > -1).all() and (kp[..., 0] < w).all()
        assert (kp[..., 1] > -1).all() and (kp[..., 1] < h).all()


def test_paper_celeba_config(tmp_path):
    """configs/fse/fse_paper_celeba.py through mmengine's Runner on a
    generated CelebA / MAFL tree: trains, then scores with the literature's
    protocol (NME_mafl)."""
    from tests.datasets.test_celeba_mafl_dataset import make_celeba
    root = str(make_celeba(tmp_path / 'celeba')) + '/'
    cfg = Config.fromfile(str(REPO / 'configs/fse/fse_paper_celeba.py'))
    cfg = _tiny(cfg, tmp_path / 'work', batch=2)
    cfg.train_dataloader.dataset.data_root = root
    for name in ('val_dataloader', 'test_dataloader'):
        cfg[name].dataset.fit.data_root = root
        cfg[name].dataset.test.data_root = root
    cfg.model.backbone.update(TINY_NET)
    runner, metrics = _run(cfg)
    assert set(metrics) == {'NME_mafl', 'NME_mafl_baseline'}
    assert np.isfinite(metrics['NME_mafl']) and metrics['NME_mafl'] > 0
    metric = runner.test_evaluator.metrics[0]
    assert metric.last_fit['num_fit'] == 3 and metric.last_fit['num_test'] == 1
