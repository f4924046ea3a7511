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
