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
