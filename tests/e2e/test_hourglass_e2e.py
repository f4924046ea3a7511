"""End to end for the Stacked Hourglass paper: every config builds and
trains a few iterations on tiny data, evaluates, draws pictures; resume and
load_from work on the trained checkpoint (torch weights_only loading)."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from conftest import REPO, shared_data

TINY_HG = dict(num_stacks=1, num_channels=32)


def _tiny(cfg, work_dir, *, iters=2, size=64, num_samples=None):
    """Shrink a config: tiny hourglass, small crops, a few iterations."""
    cfg.work_dir = str(work_dir)
    cfg.train_cfg = dict(by_epoch=False, max_iters=iters, val_interval=iters)
    cfg.param_scheduler = []
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=iters, by_epoch=False)
    cfg.default_hooks.visualization = dict(
        type='PoseVisualizationHook', enable=True, out_dir='vis')
    cfg.model.backbone.update(TINY_HG)
    cfg.model.head.num_stages = 1
    codec = dict(cfg.model.head.decoder)
    codec.update(input_size=(size, size), heatmap_size=(size // 4, size // 4))
    cfg.model.head.decoder = codec
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg[loader]
        dl.batch_size = 2
        dl.num_workers = 0
        dl.persistent_workers = False
        for t in dl.dataset.pipeline:
            if t['type'] == 'TopdownAffine':
                t['input_size'] = (size, size)
            if t['type'] == 'GenerateTarget':
                t['encoder'] = codec
        if num_samples is not None:
            dl.dataset.num_samples = num_samples
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    return cfg


def _run(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    pics = glob.glob(osp.join(runner.log_dir, 'vis', '*.png'))
    return runner, metrics, pics


def test_quickstart_config_trains_evaluates_draws(tmp_path):
    cfg = Config.fromfile(str(REPO / 'configs/quickstart/hourglass_synthetic.py'))
    cfg = _tiny(cfg, tmp_path, iters=3, num_samples=6)
    runner, metrics, pics = _run(cfg)
    assert 0.0 <= metrics['PCK'] <= 1.0
    assert 'coco/AP' in metrics
    assert len(pics) == 6  # one picture per test sample
    assert osp.exists(tmp_path / 'iter_3.pth')


def test_quickstart_resume_and_load_from(tmp_path):
    cfg = Config.fromfile(str(REPO / 'configs/quickstart/hourglass_synthetic.py'))
    cfg = _tiny(cfg, tmp_path, iters=2, num_samples=4)
    cfg.default_hooks.visualization.enable = False
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpt = tmp_path / 'iter_2.pth'
    weights = {k: v.clone() for k, v in runner.model.state_dict().items()}

    # --resume: continue to iter 4 from iter 2 (optimizer, message hub...)
    cfg2 = cfg.copy()
    cfg2.train_cfg = dict(by_epoch=False, max_iters=4, val_interval=4)
    cfg2.resume = True
    cfg2.load_from = str(ckpt)
    cfg2.experiment_name = 'resumed'
    resumed = Runner.from_cfg(cfg2)
    resumed.train()
    assert resumed.iter == 4
    assert osp.exists(tmp_path / 'iter_4.pth')

    # load_from (tools/test.py): the weights come back exactly
    cfg3 = cfg.copy()
    cfg3.load_from = str(ckpt)
    cfg3.work_dir = str(tmp_path / 'test')
    cfg3.experiment_name = 'loaded'
    tester = Runner.from_cfg(cfg3)
    tester.load_or_resume()
    for k, v in tester.model.state_dict().items():
        torch.testing.assert_close(v, weights[k])


def test_amp_on_cpu_uses_bf16(tmp_path):
    """--amp on a CPU machine trains with the bf16 autocast wrapper."""
    from tools.train import merge_args

    class Args:
        launcher = 'none'
        cfg_options = None
        work_dir = str(tmp_path)
        amp = True
        resume = None
        no_validate = True
        auto_scale_lr = False
        show_dir = None
        config = 'x.py'
    cfg = Config.fromfile(str(REPO / 'configs/quickstart/hourglass_synthetic.py'))
    cfg = _tiny(cfg, tmp_path, iters=2, num_samples=4)
    cfg = merge_args(cfg, Args)
    if torch.cuda.is_available():
        pytest.skip('CPU-only behaviour')
    assert cfg.optim_wrapper.type == 'BF16OptimWrapper'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2


def test_hourglass_mpii_config_on_mmpose_testdata(tmp_path):
    mpii = shared_data('mmpose_testdata', 'mpii')
    cfg = Config.fromfile(str(REPO / 'configs/hourglass_mpii.py'))
    # the paper's model is built as configured (8 stacks x 256 channels)
    from kp_ext.registry import MODELS
    paper = MODELS.build(cfg.model)
    n = sum(p.numel() for p in paper.parameters())
    assert abs(n - 25.1e6) / 25.1e6 < 0.03
    assert cfg.default_hooks.checkpoint.save_best == 'PCKh/Mean'
    cfg = _tiny(cfg, tmp_path)
    # the official head-box path: a generated mpii_gt_val.mat-like file
    # (head boxes around the two head joints, pos_gt_src = the json joints)
    with open(mpii / 'test_mpii.json') as f:
        joints = np.array([a['joints'] for a in json.load(f)], float)
    boxes = np.stack([joints[:, 8:10].min(1) - 5, joints[:, 8:10].max(1) + 5],
                     axis=1)
    from scipy.io import savemat
    savemat(tmp_path / 'gt_val.mat', dict(
        headboxes_src=boxes.transpose(1, 2, 0),
        pos_gt_src=joints.transpose(1, 2, 0)))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[loader].dataset
        ds.data_root = str(mpii)
        ds.ann_file = 'test_mpii.json'
        ds.data_prefix = dict(img='')
        if loader != 'train_dataloader':
            assert ds.headbox_file == 'annotations/mpii_gt_val.mat'
            ds.headbox_file = str(tmp_path / 'gt_val.mat')
    runner, metrics, pics = _run(cfg)
    assert 'PCKh' in metrics and 'PCKh/Mean' in metrics
    assert pics


def test_hourglass_coco_config_on_mmpose_testdata(tmp_path):
    coco = shared_data('mmpose_testdata', 'coco')
    cfg = Config.fromfile(str(REPO / 'configs/hourglass_coco.py'))
    cfg = _tiny(cfg, tmp_path)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[loader].dataset
        ds.data_root = str(coco)
        ds.ann_file = 'test_coco.json'
        ds.data_prefix = dict(img='')
        if loader != 'train_dataloader':
            # the protocol's person detections (real detector output)
            assert ds.bbox_file.startswith('person_detection_results/')
            ds.bbox_file = 'test_coco_det_AP_H_56.json'
            ds.filter_cfg = dict(bbox_score_thr=0.5)  # 18 of 118: fast
    cfg.val_evaluator = cfg.test_evaluator = dict(
        type='CocoKeypointMetric', ann_file=str(coco / 'test_coco.json'))
    runner, metrics, pics = _run(cfg)
    assert 0.0 <= metrics['coco/AP'] <= 1.0
    assert pics


def test_hourglass_faces_config(tmp_path):
    shared_data('youtube_faces_68lm_udacity')
    cfg = Config.fromfile(str(REPO / 'configs/hourglass/hourglass_faces68.py'))
    cfg = _tiny(cfg, tmp_path)
    # a handful of validation identities keeps the test fast
    for loader in ('val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.indices = 4
    cfg.train_dataloader.dataset.indices = 8
    runner, metrics, pics = _run(cfg)
    assert metrics['NME'] > 0
    assert len(pics) == 4


def test_hourglass_mouse_config(tmp_path):
    shared_data('deeplabcut_examples')
    cfg = Config.fromfile(str(REPO / 'configs/hourglass/hourglass_mouse_dlc.py'))
    cfg = _tiny(cfg, tmp_path)
    for loader in ('val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.indices = 3
    cfg.train_dataloader.dataset.indices = 6
    runner, metrics, pics = _run(cfg)
    # PCK@0.05 (the selection key), 0.1, 0.2 and the EPE in pixels
    assert 0.0 <= metrics['PCK'] <= metrics['PCK@0.1'] <= \
        metrics['PCK@0.2'] <= 1.0
    assert metrics['EPE'] > 0
    assert len(pics) == 3
