"""The weight average of configs/fse_faces.py (``PersistentEMAHook`` =
mmengine's EMAHook with ``update_buffers=True``): evaluation and
checkpoints use the average of the weights AND the BatchNorm statistics
(hand-computed here from the raw weights after every step), also when the
runner is tested right after training (plain EMAHook resets its average
there and tests the raw weights: the first test fails with it), and
``--resume`` under the weights-only loader restores both the raw weights
and the average."""
import copy

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from conftest import REPO, tiny_fse_synthetic_cfg


class _Record(Hook):
    """Copies the raw weights after each step and the weights the model
    is tested with."""

    def __init__(self):
        self.raw, self.tested, self.start = [], None, None

    def before_train(self, runner):
        self.start = copy.deepcopy(runner.model.state_dict())

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.raw.append(copy.deepcopy(runner.model.state_dict()))

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        self.tested = copy.deepcopy(runner.model.state_dict())


def _ema_hook():
    faces = Config.fromfile(str(REPO / 'configs/fse_faces.py'))
    (ema, ) = [h for h in faces.custom_hooks
               if h['type'] == 'PersistentEMAHook']
    assert ema['update_buffers'] and 0 < ema['momentum'] <= 0.01
    # a large momentum here so that raw and average differ clearly
    return dict(ema, momentum=0.5)


def _runner(work_dir, iters, **kw):
    cfg = tiny_fse_synthetic_cfg(work_dir, iters)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2,
                                        by_epoch=False)
    cfg.custom_hooks = [_ema_hook()]
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.update(kw)
    runner = Runner.from_cfg(cfg)
    rec = _Record()
    runner.register_hook(rec, priority='LOWEST')
    return runner, rec


def _average(raw, momentum):
    """EMA of the floating-point entries: a copy of the first step, then
    e <- e + momentum * (w - e) (mmengine's convention)."""
    ema = {k: v.clone() for k, v in raw[0].items()}
    for state in raw[1:]:
        for k, v in state.items():
            if v.dtype.is_floating_point:
                ema[k] += momentum * (v - ema[k])
    return ema


def _assert_equal(a, b, keys):
    for k in keys:
        torch.testing.assert_close(a[k], b[k], msg=k)


def test_tested_and_saved_weights_are_the_average(tmp_path):
    runner, rec = _runner(tmp_path, iters=2)
    runner.train()
    runner.test()
    ema = _average(rec.raw, 0.5)
    floats = [k for k, v in ema.items() if v.dtype.is_floating_point]
    bn = [k for k in floats if 'running_mean' in k]
    assert bn, 'the FSE net has BatchNorm layers'
    # the average differs from the last raw weights (weights and BN stats)
    assert any(not torch.allclose(ema[k], rec.raw[-1][k]) for k in bn)
    assert any(not torch.allclose(ema[k], rec.raw[-1][k])
               for k in floats if k not in bn)
    _assert_equal(rec.tested, ema, floats)
    # after the test the raw weights are back for further training
    _assert_equal(runner.model.state_dict(), rec.raw[-1], floats)
    # the checkpoint's state_dict is the average (what load_from deploys),
    # the raw weights ride along; both load with weights_only=True
    ckpt = torch.load(tmp_path / 'iter_2.pth', map_location='cpu')
    _assert_equal(ckpt['state_dict'], ema, floats)
    raw_saved = {k[len('module.'):]: v
                 for k, v in ckpt['ema_state_dict'].items()
                 if k.startswith('module.')}
    _assert_equal(raw_saved, rec.raw[-1], floats)


def test_resume_restores_raw_weights_and_average(tmp_path):
    first, rec1 = _runner(tmp_path, iters=2)
    first.train()
    resumed, rec2 = _runner(tmp_path, iters=3, resume=True,
                            load_from=str(tmp_path / 'iter_2.pth'))
    resumed.train()
    assert resumed.iter == 3
    # training went on from the raw weights, not from the average
    floats = [k for k, v in rec2.start.items() if v.dtype.is_floating_point]
    _assert_equal(rec2.start, rec1.raw[-1], floats)
    resumed.test()
    # one more step from the restored state: e3 = e2 + m (w3 - e2)
    ema = _average(rec1.raw + rec2.raw, 0.5)
    _assert_equal(rec2.tested, ema, floats)
