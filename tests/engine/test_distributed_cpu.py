"""``bash tools/dist_train.sh CONFIG 2`` on the CPU (gloo), one tiny config
per estimator kind (top-down, bottom-up, unsupervised).

Two processes train a few iterations and evaluate once on an odd number of
samples (mmengine's sampler pads the last rank with a duplicate, which must
not be counted); rank 0 alone writes the one checkpoint; the metric of the
two-process evaluation equals the one-process metric of that checkpoint
(BatchNorm statistics are averaged over the ranks before saving and before
validating, see kp_ext's CheckpointHook).
"""
import json
import os
import socket
import subprocess

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from kp_ext.utils.config_edit import to_iteration_loop
from conftest import (REPO, tiny_fse_synthetic_cfg,
                      tiny_hourglass_synthetic_cfg)

ITERS = 2
NUM_VAL = 5  # odd: 2 ranks see 3 + 3 samples, one a padded duplicate


def _topdown(work_dir):
    cfg = tiny_hourglass_synthetic_cfg(work_dir, iters=ITERS,
                                       checkpoint_interval=ITERS)
    quick = Config.fromfile(
        str(REPO / 'configs/quickstart/hourglass_synthetic.py'))
    val = quick.val_dataloader
    val.update(batch_size=2, num_workers=0, persistent_workers=False)
    val.dataset.update(num_samples=NUM_VAL, img_size=(64, 64))
    for step in val.dataset.pipeline:
        if step['type'] == 'TopdownAffine':
            step['input_size'] = (64, 64)
    cfg.val_dataloader = val
    cfg.val_evaluator = quick.val_evaluator
    cfg.val_cfg = dict()
    cfg.train_cfg.val_interval = ITERS
    return cfg


def _bottomup(work_dir):
    cfg = Config.fromfile(
        str(REPO / 'configs/quickstart/openpose_synthetic.py'))
    cfg.work_dir = str(work_dir)
    cfg.model.backbone.update(widths=(8, 8, 8, 8, 8, 8),
                              num_convs=(1, 1, 1, 1))
    cfg.model.head.update(in_channels=8, stage_channels=8, mid_channels=8,
                          num_dense_blocks=1)
    size = (64, 64)
    # maps at the backbone's stride (the quickstart keeps stride 4)
    stride = 2**cfg.model.backbone.get('num_pools', 3)
    for codec in (cfg.model.head.decoder, cfg.codec):
        codec.update(input_size=size,
                     heatmap_size=(size[0] // stride, size[1] // stride))
    for key in ('train_dataloader', 'val_dataloader'):
        dl = cfg[key]
        dl.update(batch_size=2, num_workers=0, persistent_workers=False)
        dl.dataset.update(img_size=size)
        for step in dl.dataset.pipeline:
            if 'input_size' in step:
                step['input_size'] = size
            if step['type'] == 'GenerateTarget':
                step['encoder'] = cfg.codec
    cfg.train_dataloader.dataset.num_samples = 8
    cfg.val_dataloader.dataset.num_samples = NUM_VAL
    to_iteration_loop(cfg, ITERS, val_interval=ITERS)
    cfg.param_scheduler = []
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=ITERS, by_epoch=False)
    return cfg


def _unsupervised(work_dir):
    # 40 fit samples > 33 regression unknowns (2K + 1): a well-posed fit
    cfg = tiny_fse_synthetic_cfg(work_dir, ITERS, val_interval=ITERS,
                                 num_fit=40, num_test=NUM_VAL)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=ITERS, by_epoch=False)
    return cfg


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _val_metrics(work_dir):
    """The validation metrics logged (by rank 0) in scalars.json."""
    (scalars, ) = work_dir.glob('*/vis_data/scalars.json')
    lines = [json.loads(line) for line in scalars.read_text().splitlines()]
    val = [d for d in lines if 'loss' not in d and 'lr' not in d]
    assert len(val) == 1, lines
    return {k: v for k, v in val[0].items()
            if k not in ('step', 'iter', 'epoch', 'time', 'data_time')}


@pytest.mark.slow
@pytest.mark.parametrize('make_cfg', [_topdown, _bottomup, _unsupervised])
def test_dist_train_two_cpu_processes(tmp_path, make_cfg):
    work_dir = tmp_path / 'work'
    cfg = make_cfg(work_dir)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.test_evaluator = cfg.val_evaluator
    cfg.test_cfg = dict()
    cfg_file = tmp_path / 'tiny.py'
    cfg.dump(str(cfg_file))

    env = dict(os.environ, PORT=str(_free_port()), OMP_NUM_THREADS='1')
    env.pop('CUDA_VISIBLE_DEVICES', None)
    done = subprocess.run(
        ['bash', str(REPO / 'tools/dist_train.sh'), str(cfg_file), '2',
         '--work-dir', str(work_dir)],
        cwd=str(REPO), env=env, capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    # the run header (kp_ext.engine.console), not mmengine's console dump
    assert '2 processes (distributed, gloo' in out

    ckpts = sorted(p.name for p in work_dir.glob('*.pth'))
    assert ckpts == [f'iter_{ITERS}.pth'], ckpts
    assert not list(work_dir.glob('*.partial'))
    dist_metrics = _val_metrics(work_dir)
    assert dist_metrics

    one = Config.fromfile(str(cfg_file))
    one.work_dir = str(tmp_path / 'one')
    one.load_from = str(work_dir / f'iter_{ITERS}.pth')
    one.experiment_name = f'dist_single_{make_cfg.__name__}'
    torch.set_num_threads(1)  # as each of the two processes
    single = Runner.from_cfg(one).test()
    for key, value in dist_metrics.items():
        assert single[key] == pytest.approx(value, rel=1e-6), (
            key, value, single[key])
