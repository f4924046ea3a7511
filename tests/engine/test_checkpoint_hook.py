"""kp_ext's ``CheckpointHook``: nothing lost when a job dies while saving,
no non-finite checkpoint.

With ``max_keep_ckpts=1`` mmengine's hook deleted ``iter_2.pth`` before
writing ``iter_3.pth``; a kill during that write left nothing to resume
from. The kill is made deterministic here by raising from inside the save
at each step of it (during the write, after the rename, after
``last_checkpoint`` is updated); ``test_sigkill_while_saving_then_resume``
does it with a real SIGKILL of ``tools/train.py``.
"""
import os
import subprocess
import sys

import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from kp_ext.engine.hooks import checkpoint_hook
from kp_ext.engine.hooks.checkpoint_hook import CheckpointHook, write_atomic
from kp_ext.utils.non_finite import first_non_finite
from conftest import REPO, tiny_hourglass_synthetic_cfg, toy_regression_parts
from kp_ext.registry import HOOKS, METRICS


class _Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs."""


_ToyData, _ = toy_regression_parts()


def _runner(work_dir, max_iters, name, lr=0.05, best=None, **kw):
    checkpoint = dict(type='CheckpointHook', interval=1, by_epoch=False,
                      max_keep_ckpts=1, **(best or {}))
    return Runner(
        model=dict(type='ToyRegressorForTests'),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_ToyData(8),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=4, num_workers=0,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters,
                       val_interval=1),
        default_hooks=dict(
            checkpoint=checkpoint,
            logger=dict(type='LoggerHook', interval=1)),
        default_scope='kp_ext', experiment_name=name,
        randomness=dict(seed=0), **kw)


def _last(work_dir):
    return (work_dir / 'last_checkpoint').read_text().strip()


def test_config_name_builds_the_kp_ext_hook(tmp_path):
    hook = HOOKS.build(dict(type='CheckpointHook', interval=1))
    assert isinstance(hook, CheckpointHook)
    assert hook.backend_args == dict(backend='kp_ext_atomic_local')
    runner = _runner(tmp_path, 1, 'ck_build')
    assert any(isinstance(h, CheckpointHook) for h in runner.hooks)
    # an object store keeps mmengine's backend (whole-object puts)
    remote = CheckpointHook(interval=1, out_dir='s3://bucket/ckpts')
    assert remote.backend_args is None


def test_write_atomic_keeps_old_file_when_interrupted(tmp_path, monkeypatch):
    path = tmp_path / 'f.bin'
    write_atomic(b'old', path)

    def killed(src, dst):
        raise _Killed

    monkeypatch.setattr(checkpoint_hook.os, 'replace', killed)
    with pytest.raises(_Killed):
        write_atomic(b'new' * 1000, path)
    assert path.read_bytes() == b'old'
    assert (tmp_path / 'f.bin.partial').exists()


@pytest.mark.parametrize('kill_at', ['write', 'last_checkpoint', 'delete'])
def test_kill_while_saving_leaves_a_checkpoint_to_resume(
        tmp_path, monkeypatch, kill_at):
    """Killed while saving iter_3 with max_keep_ckpts=1: last_checkpoint
    names a complete file and --resume finishes the run."""
    real_replace = os.replace
    real_remove = checkpoint_hook.CheckpointHook._remove

    def replace(src, dst):
        if kill_at == 'write' and str(dst).endswith('iter_3.pth'):
            raise _Killed  # the new file is half-written (.partial)
        if kill_at == 'last_checkpoint' and str(dst).endswith(
                'last_checkpoint') and _exists(tmp_path / 'iter_3.pth'):
            raise _Killed  # iter_3 complete, last_checkpoint still old
        real_replace(src, dst)

    def remove(self, name):
        if kill_at == 'delete' and 'iter_2' in str(name):
            raise _Killed  # pointer moved, old file not yet removed
        real_remove(self, name)

    monkeypatch.setattr(checkpoint_hook.os, 'replace', replace)
    monkeypatch.setattr(checkpoint_hook.CheckpointHook, '_remove', remove)
    with pytest.raises(_Killed):
        _runner(tmp_path, 4, f'ck_kill_{kill_at}').train()
    monkeypatch.undo()

    last = _last(tmp_path)
    expected = 'iter_2.pth' if kill_at in ('write', 'last_checkpoint') \
        else 'iter_3.pth'
    assert os.path.basename(last) == expected
    ckpt = torch.load(last, weights_only=True)
    assert ckpt['meta']['iter'] == int(expected[5])

    resumed = _runner(tmp_path, 4, f'ck_resume_{kill_at}', resume=True)
    resumed.train()
    assert resumed.iter == 4
    assert os.path.basename(_last(tmp_path)) == 'iter_4.pth'
    # max_keep_ckpts=1 again holds after the run; no .partial is left
    left = sorted(p.name for p in tmp_path.glob('iter_*'))
    assert left[-1] == 'iter_4.pth'
    assert not list(tmp_path.glob('*.partial'))


def _exists(path):
    return os.path.exists(path)


def test_old_checkpoint_deleted_only_after_new_one(tmp_path):
    runner = _runner(tmp_path, 3, 'ck_keep')
    runner.train()
    assert sorted(p.name for p in tmp_path.glob('iter_*.pth')) == [
        'iter_3.pth']
    assert os.path.basename(_last(tmp_path)) == 'iter_3.pth'


@METRICS.register_module(force=True)
class _Improving(BaseMetric):
    """A score that improves at every evaluation (1, 2, 3, ...)."""

    calls = 0

    def process(self, data_batch, data_samples):
        self.results.append(0)

    def compute_metrics(self, results):
        type(self).calls += 1
        return dict(score=float(type(self).calls))


def test_previous_best_removed_only_after_new_best(tmp_path, monkeypatch):
    _Improving.calls = 0
    real_replace = os.replace

    def replace(src, dst):
        if os.path.basename(str(dst)) == 'best_score_iter_3.pth':
            raise _Killed  # while the new best is written
        real_replace(src, dst)

    def runner(name, **kw):
        return _runner(
            tmp_path, 3, name,
            val_dataloader=dict(
                dataset=_ToyData(8),
                sampler=dict(type='DefaultSampler', shuffle=False),
                batch_size=8, collate_fn=dict(type='default_collate')),
            val_cfg=dict(), val_evaluator=dict(type='_Improving'),
            best=dict(save_best='score', rule='greater'), **kw)

    monkeypatch.setattr(checkpoint_hook.os, 'replace', replace)
    with pytest.raises(_Killed):
        runner('ck_best').train()
    monkeypatch.undo()
    # the previous best is still there, complete
    (best, ) = tmp_path.glob('best_*.pth')
    assert best.name == 'best_score_iter_2.pth'
    assert torch.load(best, weights_only=True)['meta']['iter'] == 2


def test_non_finite_weights_are_never_saved(tmp_path):
    # lr=inf: the first step makes the weights inf/NaN
    runner = _runner(tmp_path, 2, 'ck_nan', lr=float('inf'))
    with pytest.raises(FloatingPointError, match='non-finite') as err:
        runner.train()
    assert 'fc.' in str(err.value)
    assert not list(tmp_path.glob('iter_*.pth'))


def test_first_non_finite():
    sd = dict(a=torch.zeros(3), n=torch.tensor([1, 2]),
              b=torch.tensor([1.0, float('nan'), float('inf')]))
    assert first_non_finite(sd) == ('b', 2, 3)
    assert first_non_finite(dict(a=torch.ones(2))) is None


_KILLING_TRAIN = """
import os, runpy, signal, sys
real_replace = os.replace
def replace(src, dst):
    # SIGKILL while iter_2.pth is being written: its data is in
    # iter_2.pth.partial, iter_1.pth is the newest complete checkpoint
    if str(dst).endswith('iter_2.pth'):
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)
os.replace = replace
sys.argv = ['tools/train.py'] + sys.argv[1:]
runpy.run_path('tools/train.py', run_name='__main__')
"""


@pytest.mark.slow
def test_sigkill_while_saving_then_resume(tmp_path):
    """The issue's case: max_keep_ckpts=1, SIGKILL while the new checkpoint
    is written; ``tools/train.py --resume`` continues from the previous
    one (mmengine's hook had already deleted it: FileNotFoundError)."""
    work = tmp_path / 'work'
    cfg = tiny_hourglass_synthetic_cfg(work, iters=3, num_samples=4)
    cfg_file = tmp_path / 'tiny.py'
    cfg.dump(str(cfg_file))
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    run = dict(cwd=str(REPO), env=env, capture_output=True, text=True,
               timeout=600)
    killed = subprocess.run(
        [sys.executable, '-c', _KILLING_TRAIN, str(cfg_file)], **run)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert os.path.basename(_last(work)) == 'iter_1.pth'
    assert (work / 'iter_1.pth').exists()

    resumed = subprocess.run(
        [sys.executable, 'tools/train.py', str(cfg_file), '--resume'], **run)
    out = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, out[-3000:]
    assert 'Resumed' in out or 'resumed' in out
    assert os.path.basename(_last(work)) == 'iter_3.pth'
    assert sorted(p.name for p in work.glob('*.pth')) == ['iter_3.pth']
    assert not list(work.glob('*.partial'))


def _log_text(work_dir):
    logs = sorted(work_dir.glob('*/*.log'))
    assert logs, f'no log file under {work_dir}'
    return logs[-1].read_text()


def test_no_file_client_deprecation_when_it_is_unused(tmp_path):
    """mmengine builds an unused FileClient in before_train and in every
    save (and logs its deprecation each time); with file_client_args=None
    kp_ext's hook drops that line, periodic and best saves alike."""
    _Improving.calls = 0
    runner = _runner(tmp_path / 'quiet', 3, 'ck_quiet',
                     best=dict(save_best='score', rule='greater'),
                     val_dataloader=dict(
                         dataset=_ToyData(4),
                         sampler=dict(type='DefaultSampler', shuffle=False),
                         batch_size=4, num_workers=0,
                         collate_fn=dict(type='default_collate')),
                     val_cfg=dict(), val_evaluator=dict(type='_Improving'))
    runner.train()
    assert list((tmp_path / 'quiet').glob('best_score_iter_3.pth'))
    text = _log_text(tmp_path / 'quiet')
    assert 'Checkpoints will be saved to' in text
    assert checkpoint_hook.FILE_CLIENT_DEPRECATION not in text
    # a config that asks for a FileClient keeps mmengine's message
    hook = CheckpointHook(interval=1, by_epoch=False,
                          file_client_args=dict(backend='disk'))
    runner2 = _runner(tmp_path / 'loud', 1, 'ck_loud')
    hook.before_train(runner2)
    assert checkpoint_hook.FILE_CLIENT_DEPRECATION in _log_text(
        tmp_path / 'loud')
