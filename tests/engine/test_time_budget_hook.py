import time

import pytest

from kp_ext.engine.hooks.time_budget_hook import TimeBudgetHook


class _Loop:
    stop_training = False


class _Log:

    def __init__(self):
        self.messages = []

    def info(self, msg):
        self.messages.append(msg)


class _Runner:
    iter = 4

    def __init__(self):
        self.train_loop = _Loop()
        self.logger = _Log()


def test_stops_after_budget_only():
    hook = TimeBudgetHook(minutes=0.002)  # 0.12 s
    runner = _Runner()
    hook.before_train_iter(runner, 0)
    hook.after_train_iter(runner, 0)
    assert runner.train_loop.stop_training is False
    hook.before_train_iter(runner, 1)
    time.sleep(0.15)
    hook.after_train_iter(runner, 1)
    assert runner.train_loop.stop_training is True
    assert hook.iters == 2 and hook.train_time >= 0.15
    assert hook.stopped_at_iter == 5
    assert 'stopping at iteration 5' in runner.logger.messages[0]


def test_validation_time_is_not_counted():
    hook = TimeBudgetHook(minutes=0.002)
    runner = _Runner()
    hook.before_train_iter(runner, 0)
    hook.after_train_iter(runner, 0)
    hook.before_val_epoch(runner)
    time.sleep(0.15)  # "validation"
    hook.before_train_iter(runner, 1)
    hook.after_train_iter(runner, 1)
    assert hook.train_time < 0.1
    assert runner.train_loop.stop_training is False


def test_rejects_non_positive_budget():
    with pytest.raises(ValueError):
        TimeBudgetHook(minutes=0)


class _Optim:

    def __init__(self, lrs):
        self.param_groups = [dict(lr=lr) for lr in lrs]


def test_cosine_lr_over_the_budget():
    """lr = lr0 * (r + (1 - r) (1 + cos(pi t / T)) / 2), t = training time
    spent (set by hand here), r = min_lr_ratio."""
    import math
    hook = TimeBudgetHook(minutes=1.0, lr_schedule='cosine',
                          min_lr_ratio=0.1)
    runner = _Runner()
    runner.optim_wrapper = _Optim([1e-3, 2e-3])
    for t, factor in ((0.0, 1.0), (30.0, 0.55), (45.0, None), (60.0, 0.1),
                      (90.0, 0.1)):
        hook.train_time = t
        hook.before_train_iter(runner, 0)
        if factor is None:
            factor = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.75))
        lrs = [g['lr'] for g in runner.optim_wrapper.param_groups]
        assert lrs == pytest.approx([1e-3 * factor, 2e-3 * factor])
    # without a schedule the learning rate is left alone
    plain = TimeBudgetHook(minutes=1.0)
    runner.optim_wrapper = _Optim([1e-3])
    plain.train_time = 30.0
    plain.before_train_iter(runner, 0)
    assert runner.optim_wrapper.param_groups[0]['lr'] == 1e-3
    with pytest.raises(ValueError, match='lr_schedule'):
        TimeBudgetHook(minutes=1.0, lr_schedule='step')


def _budget_runner(work_dir, by_epoch, name):
    from mmengine.runner import Runner

    import kp_ext  # noqa: F401
    from conftest import toy_regression_parts
    data, _ = toy_regression_parts()
    train_cfg = (dict(by_epoch=True, max_epochs=50) if by_epoch else
                 dict(by_epoch=False, max_iters=200))
    return Runner(
        model=dict(type='ToyRegressorForTests'),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=data(8), sampler=dict(type='DefaultSampler',
                                          shuffle=False),
            batch_size=4, num_workers=0,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=train_cfg,
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', interval=10**6, by_epoch=by_epoch)),
        custom_hooks=[dict(type='TimeBudgetHook', minutes=1e-7)],
        default_scope='kp_ext', experiment_name=name,
        randomness=dict(seed=0))


@pytest.mark.parametrize('by_epoch', [True, False])
def test_budget_stop_leaves_a_loadable_checkpoint(tmp_path, by_epoch):
    """The checkpoint interval (10**6) is never reached: the stop by the
    budget (after the first iteration) must still save, and
    last_checkpoint names that file."""
    import torch
    runner = _budget_runner(tmp_path, by_epoch, f'tb_ckpt_{by_epoch}')
    runner.train()
    name = 'epoch_1.pth' if by_epoch else 'iter_1.pth'
    last = (tmp_path / 'last_checkpoint').read_text().strip()
    assert last.endswith(name) and (tmp_path / name).is_file()
    ckpt = torch.load(tmp_path / name, map_location='cpu',
                      weights_only=False)
    assert ckpt['meta']['iter'] == (2 if by_epoch else 1)
    assert 'optimizer' in ckpt
    w = runner.model.state_dict()['fc.weight']
    assert torch.equal(ckpt['state_dict']['fc.weight'], w)


def test_no_second_save_when_the_checkpoint_hook_saved(tmp_path):
    """interval 1: CheckpointHook saves at the stop itself; the budget
    hook adds no second save."""
    from kp_ext.engine.hooks.checkpoint_hook import CheckpointHook
    runner = _budget_runner(tmp_path, False, 'tb_ckpt_once')
    hook = next(h for h in runner.hooks if isinstance(h, CheckpointHook))
    hook.interval = 1
    steps = []
    save = hook._save_checkpoint_with_step

    def counted(runner, step, meta):
        steps.append(step)
        return save(runner, step, meta)

    hook._save_checkpoint_with_step = counted
    runner.train()
    assert steps == [1]
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['iter_1.pth']
