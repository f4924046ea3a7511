"""A diverged run stops at the first non-finite loss (naming the iteration
and the loss term) without writing a NaN checkpoint, and a schedule that
trains nothing is refused; ``tools/train.py`` exits non-zero for both."""
import os
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from conftest import REPO, tiny_hourglass_synthetic_cfg
from kp_ext.engine.launch import check_train_schedule
from kp_ext.utils.non_finite import check_finite_losses


def test_check_finite_losses_names_the_term():
    ok = dict(loss=torch.tensor(1.0), loss_kpt=torch.tensor(1.0),
              acc_pose=torch.tensor(float('nan')))  # not a loss term
    check_finite_losses(ok)
    bad = dict(loss=torch.tensor(float('nan')), loss_kpt=torch.tensor(1.0),
               loss_paf=torch.tensor(float('inf')))
    with pytest.raises(FloatingPointError, match='loss_paf') as err:
        check_finite_losses(bad)
    assert 'loss_kpt' not in str(err.value).split('(')[0]


@pytest.mark.slow
def test_nan_loss_stops_training_without_checkpoint(tmp_path):
    cfg = tiny_hourglass_synthetic_cfg(tmp_path, iters=4,
                                       checkpoint_interval=3)
    cfg.optim_wrapper.optimizer.lr = float('inf')
    runner = Runner.from_cfg(cfg)
    # step 1 is finite and makes the weights inf: step 2's loss is NaN
    with pytest.raises(FloatingPointError,
                       match=r'non-finite loss at iteration 2 \(epoch 1\): '
                       r'loss_kpt'):
        runner.train()
    assert not list(tmp_path.glob('*.pth'))


@pytest.mark.parametrize('train_cfg', [
    dict(by_epoch=True, max_epochs=0),
    dict(type='IterBasedTrainLoop', max_iters=0),
    dict(by_epoch=True, max_epochs=-1),
    dict(by_epoch=True, max_epochs=2.5),
])
def test_schedule_that_trains_nothing_is_refused(train_cfg):
    key = 'max_iters' if 'max_iters' in train_cfg else 'max_epochs'
    with pytest.raises(ValueError, match=f'train_cfg.{key}='):
        check_train_schedule(Config(dict(train_cfg=train_cfg)))
    check_train_schedule(Config(dict(train_cfg=dict(max_epochs=1))))
    check_train_schedule(Config(dict(train_cfg=None)))


def _train_py(cfg_file, *args):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    return subprocess.run(
        [sys.executable, str(REPO / 'tools/train.py'), str(cfg_file), *args],
        cwd=str(REPO), env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_train_py_exits_non_zero(tmp_path):
    cfg = tiny_hourglass_synthetic_cfg(tmp_path / 'work', iters=3,
                                       checkpoint_interval=1)
    cfg_file = tmp_path / 'tiny.py'
    cfg.dump(str(cfg_file))
    done = _train_py(cfg_file, '--cfg-options', 'train_cfg.max_iters=0')
    assert done.returncode != 0
    assert 'train_cfg.max_iters=0 trains nothing' in done.stderr
    assert not (tmp_path / 'work').exists()

    done = _train_py(cfg_file, '--cfg-options',
                     'optim_wrapper.optimizer.lr=inf')
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]
    # with a checkpoint every iteration the inf weights of step 1 are
    # caught when saving; nothing is written either way
    assert 'non-finite weights' in out or 'non-finite loss' in out
    assert not list((tmp_path / 'work').glob('*.pth'))
