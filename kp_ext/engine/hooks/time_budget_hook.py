"""Stop training after a wall-clock budget (for bounded-time benchmarks)."""
import time

from mmengine.hooks import Hook

from kp_ext.registry import HOOKS

__all__ = ['TimeBudgetHook']


@HOOKS.register_module()
class TimeBudgetHook(Hook):
    """Ends training once ``minutes`` of wall-clock time have passed.

    Checked after every training iteration; it sets the train loop's
    ``stop_training`` flag (the flag mmengine's ``EarlyStoppingHook`` uses).
    An epoch-based loop reads the flag between epochs, so training ends at
    the end of the epoch in which the budget ran out (an iteration-based
    loop stops at once); ``runner.train()`` returns normally and the caller
    can evaluate the weights it has.
    """

    priority = 'LOWEST'

    def __init__(self, minutes: float):
        if minutes <= 0:
            raise ValueError(f'minutes must be > 0, got {minutes}')
        self.seconds = float(minutes) * 60.0
        self._start = None
        self.stopped_at_iter = None

    def before_train(self, runner) -> None:
        self._start = time.monotonic()

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if time.monotonic() - self._start >= self.seconds:
            if self.stopped_at_iter is None:
                runner.logger.info(
                    f'TimeBudgetHook: {self.seconds / 60:.1f} min used, '
                    f'stopping at iteration {runner.iter + 1}')
                self.stopped_at_iter = runner.iter + 1
            runner.train_loop.stop_training = True
