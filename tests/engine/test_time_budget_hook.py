import time

import pytest

from kp_ext.engine.hooks.time_budget_hook import TimeBudgetHook


class _Loop:
    stop_training = False


class _Runner:
    iter = 4

    def __init__(self):
        self.train_loop = _Loop()

        class _Log:
            messages = []

            def info(self, msg):
                self.messages.append(msg)
        self.logger = _Log()


def test_stops_after_budget_only():
    hook = TimeBudgetHook(minutes=0.002)  # 0.12 s
    runner = _Runner()
    hook.before_train(runner)
    hook.after_train_iter(runner, 0)
    assert runner.train_loop.stop_training is False
    time.sleep(0.15)
    hook.after_train_iter(runner, 1)
    assert runner.train_loop.stop_training is True
    assert hook.stopped_at_iter == 5
    assert 'stopping at iteration 5' in runner.logger.messages[0]


def test_rejects_non_positive_budget():
    with pytest.raises(ValueError):
        TimeBudgetHook(minutes=0)
