"""Tiny trained checkpoints of the three model kinds (trained once per
test process, shared by the test modules of tests/apis): each quickstart
config shrunk to a net of a few thousand parameters on 64x64 inputs,
trained 2 iterations by mmengine's Runner in a temporary folder; the
shrunk config is dumped beside its checkpoint."""
import atexit
import functools
import glob
import os.path as osp
import shutil
import tempfile

import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from conftest import REPO, tiny_fse_synthetic_cfg

SIZE = 64


def _loaders(cfg, fn):
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(name):
            fn(cfg[name])


def _common(cfg, work_dir, iters=2):
    cfg.work_dir = str(work_dir)
    cfg.train_cfg = dict(by_epoch=False, max_iters=iters, val_interval=1000)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.param_scheduler = []
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=iters, by_epoch=False)
    cfg.default_hooks.visualization = dict(type='PoseVisualizationHook',
                                           enable=False)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')

    def loader(dl):
        dl.batch_size = 2
        dl.num_workers = 0
        dl.persistent_workers = False
    _loaders(cfg, loader)
    return cfg


def _small_inputs(cfg, stride, resize_types):
    """Codec and pipelines at SIZE x SIZE inputs (maps SIZE / stride) on
    4 synthetic 96x96 images."""
    codec = dict(cfg.model.head.decoder, input_size=(SIZE, SIZE),
                 heatmap_size=(SIZE // stride, SIZE // stride))
    cfg.model.head.decoder = codec

    def loader(dl):
        dl.dataset.update(num_samples=4, img_size=(96, 96))
        for t in dl.dataset.pipeline:
            if t['type'] in resize_types:
                t['input_size'] = (SIZE, SIZE)
            if t['type'] == 'GenerateTarget':
                t['encoder'] = codec
    _loaders(cfg, loader)
    return cfg


def load_script(relpath):
    """A script of the repository (tools/..., benchmarks/...) as a module.
    """
    import importlib.util
    path = REPO / relpath
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tiny_hourglass_cfg(work_dir):
    cfg = Config.fromfile(
        str(REPO / 'configs/quickstart/hourglass_synthetic.py'))
    cfg = _common(cfg, work_dir)
    cfg.model.backbone.update(num_stacks=1, num_channels=16, depth=2)
    cfg.model.head.num_stages = 1
    return _small_inputs(cfg, 4, ('TopdownAffine', ))


def tiny_openpose_cfg(work_dir):
    cfg = Config.fromfile(
        str(REPO / 'configs/quickstart/openpose_synthetic.py'))
    cfg = _common(cfg, work_dir)
    cfg.model.backbone = dict(type='OpenPoseVGG',
                              widths=(8, 8, 16, 16, 16, 16),
                              num_convs=(1, 1, 1, 1),
                              norm_cfg=dict(type='BN'))
    cfg.model.head.update(in_channels=16, stage_channels=8, mid_channels=16,
                          num_paf_stages=1, num_cm_stages=1,
                          num_dense_blocks=1)
    return _small_inputs(cfg, 8, ('BottomupRandomAffine', 'BottomupResize'))


def tiny_fse_cfg(work_dir):
    cfg = tiny_fse_synthetic_cfg(work_dir, 2, val_interval=1000)
    cfg = _common(cfg, work_dir)
    return cfg


TINY_CFGS = dict(topdown=tiny_hourglass_cfg, bottomup=tiny_openpose_cfg,
                 landmarks=tiny_fse_cfg)


def train_tiny(kind, work_dir):
    """(config path, checkpoint path) of a 2-iteration run of ``kind``."""
    cfg = TINY_CFGS[kind](work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpts = sorted(glob.glob(osp.join(str(work_dir), 'iter_*.pth')))
    assert ckpts, f'no checkpoint written in {work_dir}'
    config_path = osp.join(str(work_dir), f'tiny_{kind}.py')
    cfg.dump(config_path)
    return config_path, ckpts[-1]


@functools.lru_cache(maxsize=None)
def trained(kind):
    """(config path, checkpoint path) of ``kind``, trained once per process
    in a temporary folder removed at exit."""
    work_dir = tempfile.mkdtemp(prefix=f'kp_ext_tiny_{kind}_')
    atexit.register(shutil.rmtree, work_dir, True)
    return train_tiny(kind, work_dir)


def people_image(w=96, h=80, seed=3):
    """A synthetic BGR image with people (kp_ext's renderer)."""
    from kp_ext.datasets import SyntheticPeopleDataset
    ds = SyntheticPeopleDataset(num_samples=1, seed=seed, img_size=(w, h),
                                pipeline=[], test_mode=True)
    return np.ascontiguousarray(ds[0]['img'])
