"""Stop training after a time budget (for bounded-time benchmarks)."""
import time

from mmengine.hooks import Hook

from kp_ext.registry import HOOKS

__all__ = ['TimeBudgetHook']


@HOOKS.register_module()
class TimeBudgetHook(Hook):
    """Ends training once ``minutes`` of training time have been spent.

    Training time counts the training iterations and the data loading
    between them, not validation. It is checked after every iteration; the
    hook then sets the train loop's ``stop_training`` flag (the flag
    mmengine's ``EarlyStoppingHook`` uses). An epoch-based loop reads the
    flag between epochs, so training ends at the end of the epoch in which
    the budget ran out; an iteration-based loop stops at once.
    ``runner.train()`` returns normally and the caller can evaluate the
    weights it has. ``train_time`` (s) and ``iters`` say what was spent,
    e.g. for a throughput figure.
    """

    priority = 'LOWEST'

    def __init__(self, minutes: float):
        if minutes <= 0:
            raise ValueError(f'minutes must be > 0, got {minutes}')
        self.seconds = float(minutes) * 60.0
        self.train_time = 0.0
        self.iters = 0
        self.stopped_at_iter = None
        self._start = None
        self._last_end = None

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        # loading this batch happened since the previous iteration ended
        self._start = self._last_end or time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        now = time.perf_counter()
        self.train_time += now - self._start
        self._last_end = now
        self.iters += 1
        if self.train_time >= self.seconds:
            if self.stopped_at_iter is None:
                runner.logger.info(
                    f'TimeBudgetHook: {self.seconds / 60:.1f} min of '
                    f'training used, stopping at iteration {runner.iter + 1}')
                self.stopped_at_iter = runner.iter + 1
            runner.train_loop.stop_training = True

    def before_val_epoch(self, runner) -> None:
        self._last_end = None  # validation time is not training time
