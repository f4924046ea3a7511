"""Stop training after a time budget (for bounded-time benchmarks)."""
import math
import os.path as osp
import time
from typing import Optional

from mmengine.hooks import CheckpointHook, Hook

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
    weights it has. A stop by the budget always leaves a checkpoint: when
    the run's ``CheckpointHook`` did not save at the step training ended
    (its ``interval`` not reached), this hook saves one there through it
    (same folder, name, optimizer state and ``last_checkpoint``), so
    ``--resume`` and the tools that report the checkpoint find it.
    ``train_time`` (s) and ``iters`` say what was spent, e.g. for a
    throughput figure.

    ``lr_schedule='cosine'`` anneals every parameter group's learning rate
    over the budget itself (an iteration count is unknown in advance):
    ``lr = lr0 * (r + (1 - r) * (1 + cos(pi * t / T)) / 2)`` with ``t`` the
    training time spent, ``T`` the budget and ``r = min_lr_ratio``, set
    before each iteration (it replaces the config's own schedule).
    """

    priority = 'LOWEST'

    def __init__(self, minutes: float, lr_schedule: Optional[str] = None,
                 min_lr_ratio: float = 0.02):
        if minutes <= 0:
            raise ValueError(f'minutes must be > 0, got {minutes}')
        if lr_schedule not in (None, 'cosine'):
            raise ValueError("lr_schedule must be None or 'cosine', got "
                             f'{lr_schedule!r}')
        if not 0 <= min_lr_ratio <= 1:
            raise ValueError(f'min_lr_ratio must be in [0, 1], got '
                             f'{min_lr_ratio}')
        self.seconds = float(minutes) * 60.0
        self.lr_schedule = lr_schedule
        self.min_lr_ratio = float(min_lr_ratio)
        self._base_lrs = None
        self.train_time = 0.0
        self.iters = 0
        self.stopped_at_iter = None
        self._start = None
        self._last_end = None

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        # loading this batch happened since the previous iteration ended
        self._start = self._last_end or time.perf_counter()
        if self.lr_schedule == 'cosine':
            groups = runner.optim_wrapper.param_groups
            if self._base_lrs is None:
                self._base_lrs = [g['lr'] for g in groups]
            frac = min(self.train_time / self.seconds, 1.0)
            r = self.min_lr_ratio
            factor = r + (1 - r) * 0.5 * (1 + math.cos(math.pi * frac))
            for g, lr0 in zip(groups, self._base_lrs):
                g['lr'] = lr0 * factor

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

    def after_train(self, runner) -> None:
        if self.stopped_at_iter is None:
            return
        ckpt = next((h for h in runner.hooks
                     if isinstance(h, CheckpointHook)), None)
        if ckpt is None:
            return
        # the loop has counted the finished epoch / iteration already
        if ckpt.by_epoch:
            step = runner.epoch
            meta = dict(epoch=step, iter=runner.iter)
        else:
            step = runner.iter
            meta = dict(epoch=runner.epoch, iter=step)
        last = runner.message_hub.get_info('last_ckpt')
        if last is not None and (osp.basename(str(last))
                                 == ckpt.filename_tmpl.format(step)):
            return  # CheckpointHook saved this step itself
        ckpt._save_checkpoint_with_step(runner, step, meta=meta)
        runner.logger.info(
            f'TimeBudgetHook: saved the checkpoint of the stop at '
            f'{"epoch" if ckpt.by_epoch else "iteration"} {step} '
            f'({ckpt.filename_tmpl.format(step)})')
