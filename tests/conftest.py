import contextlib
import logging
import math
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
# Real data lives beside the repo (../shared/data), never inside it.
SHARED_DATA = Path(os.environ.get('KP_EXT_SHARED_DATA',
                                  REPO.parent / 'shared' / 'data'))


def shared_data(*parts):
    """Path under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f'needs shared data {path} (absent on this machine)')
    return path


@contextlib.contextmanager
def logged_messages():
    """Collect the messages logged through mmengine's current logger (what
    ``print_log(..., logger='current')`` writes) into a list."""
    from mmengine.logging import MMLogger

    class _ListHandler(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    messages = []
    handler = _ListHandler()
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def _single_thread_torch():
    import torch
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    yield


def tiny_fse_synthetic_cfg(work_dir, iters, *, val_interval=100,
                           num_fit=16, num_test=8):
    """configs/quickstart/fse_synthetic.py shrunk for a real Runner in
    seconds: an 8-channel net, 16 training images, ``num_fit``/``num_test``
    regression samples, no workers, a log line per iteration, no custom
    hooks (callers add theirs) and the checkpoint hook left to the caller
    (``cfg.default_hooks.checkpoint``)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs/quickstart/fse_synthetic.py'))
    cfg.work_dir = str(work_dir)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_interval=val_interval)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.custom_hooks = []
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.model.backbone.update(channels=(8, 8, 8, 8, 8, 8))
    cfg.train_dataloader.update(batch_size=4, num_workers=0,
                                persistent_workers=False)
    cfg.train_dataloader.dataset.num_samples = 16
    for name in ('val_dataloader', 'test_dataloader'):
        cfg[name].update(batch_size=8, num_workers=0,
                         persistent_workers=False)
        cfg[name].dataset.fit.num_samples = num_fit
        cfg[name].dataset.test.num_samples = num_test
    return cfg


def tiny_hourglass_synthetic_cfg(work_dir, *, epochs=None, iters=None,
                                 num_samples=8, num_workers=0,
                                 checkpoint_interval=1):
    """configs/quickstart/hourglass_synthetic.py shrunk for a real Runner in
    seconds: a 2-stack, 8-channel hourglass on 64x64 crops of 64x64
    synthetic people, batch 4, the quickstart's train pipeline (random flip
    and box transform) and schedule types, an epoch-based (``epochs``) or
    iteration-based (``iters``) loop without validation, a log line per
    iteration; the checkpoint hook is the quickstart's (``max_keep_ckpts=1``)
    every ``checkpoint_interval`` epochs/iterations."""
    from mmengine.config import Config

    from kp_ext.utils.config_edit import to_iteration_loop
    cfg = Config.fromfile(
        str(REPO / 'configs/quickstart/hourglass_synthetic.py'))
    cfg.work_dir = str(work_dir)
    if epochs is not None:
        cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs,
                             val_interval=10**6)
    else:
        to_iteration_loop(cfg, iters)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint.update(interval=checkpoint_interval,
                                        save_best=None)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    size = (64, 64)
    cfg.model.backbone.num_channels = 8
    for codec in (cfg.model.head.decoder, cfg.codec):
        codec.update(input_size=size, heatmap_size=(16, 16))
    for step in cfg.train_pipeline:
        if step['type'] == 'TopdownAffine':
            step['input_size'] = size
        if step['type'] == 'GenerateTarget':
            step['encoder'] = cfg.codec
    cfg.train_dataloader.update(
        batch_size=4, num_workers=num_workers,
        persistent_workers=num_workers > 0)
    cfg.train_dataloader.dataset.update(
        num_samples=num_samples, img_size=(64, 64),
        pipeline=cfg.train_pipeline)
    return cfg


_E2E = Path(__file__).resolve().parent / 'e2e'


def pytest_collection_modifyitems(config, items):
    """Every test under tests/e2e trains, evaluates and draws: marked
    ``slow`` (``make test-quick`` skips them; ``make test`` and CI run
    them)."""
    for item in items:
        if _E2E in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.slow)


# --- Stacked Hourglass official targets (pose-hg-train), an oracle for the
# codec and config tests
def torch_image_gaussian(size):
    """torch ``image.gaussian(size)`` with its defaults (sigma 0.25 of the
    size, amplitude 1, mean 0.5), written out from the library's formula:
    g[v, u] = exp(-((u + 1 - c)^2 + (v + 1 - c)^2) / (2 (0.25 size)^2)),
    c = 0.5 size + 0.5 (1-based centre)."""
    c = 0.5 * size + 0.5
    s = 0.25 * size
    g = np.empty((size, size))
    for v in range(size):
        for u in range(size):
            g[v, u] = math.exp(-(((u + 1 - c) / s) ** 2 +
                                 ((v + 1 - c) / s) ** 2) / 2)
    return g


def official_hourglass_target(pixel_xy, heatmap_size=(64, 64), size=7):
    """drawGaussian(img, pt, 1): paste image.gaussian(7) with its centre on
    the (0-based) pixel, cut at the map border."""
    W, H = heatmap_size
    out = np.zeros((H, W))
    g = torch_image_gaussian(size)
    r = size // 2
    px, py = pixel_xy
    for v in range(size):
        for u in range(size):
            x, y = px - r + u, py - r + v
            if 0 <= x < W and 0 <= y < H:
                out[y, x] = g[v, u]
    return out


@pytest.fixture
def load_tool():
    """``load_tool('tools/x/y.py')`` imports a tool script as a module
    (tools/ are scripts, not a package)."""
    import importlib.util

    def load(relpath):
        path = REPO / relpath
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load


def toy_regression_parts():
    """A dataset of ``n`` seeded 4-vectors with their sum as the target and
    a linear regressor (registered in kp_ext's MODELS as
    ``ToyRegressorForTests``): the smallest model a real mmengine Runner
    trains, for the checkpoint and resume tests."""
    import torch
    import torch.nn as nn
    from mmengine.model import BaseModel
    from torch.utils.data import Dataset

    from kp_ext.registry import MODELS

    class ToyRegressionData(Dataset):

        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            x = torch.randn(4, generator=torch.Generator().manual_seed(i))
            return dict(inputs=x, target=x.sum().reshape(1))

    @MODELS.register_module(name='ToyRegressorForTests', force=True)
    class ToyRegressor(BaseModel):

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 1)

        def forward(self, inputs, target=None, mode='tensor'):
            out = self.fc(inputs)
            if mode == 'loss':
                return dict(loss=((out - target)**2).mean())
            return out

    return ToyRegressionData, ToyRegressor
