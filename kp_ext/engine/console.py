"""What a run prints on the console: a short header, then the progress.

mmengine's Runner logs, before the first iteration, the system and runtime
environment, the whole config and the order of the hooks: 400+ lines on
the console for the quickstart (issue 23). :class:`SummaryConsoleRunner`
is mmengine's ``Runner`` whose console handler drops those three start-up
dumps (:class:`StartupDumpFilter`); the log file
(``work_dir/<timestamp>/<timestamp>.log``) keeps everything, and every
other message (progress lines with ETA, checkpoints, warnings, metrics)
still reaches the console. :func:`run_header` is the few lines printed
instead: config, work dir and log file, dataset sizes, model parameters,
device / threads / processes and the schedule with the progress interval.

``tools/train.py``, ``tools/test.py`` and the quickstarts use them
(``--verbose`` in train/test restores mmengine's console dump).
"""
import logging
import os.path as osp
from typing import Iterable, List, Optional

from mmengine.hooks import LoggerHook
from mmengine.runner import EpochBasedTrainLoop, Runner

__all__ = ['StartupDumpFilter', 'SummaryConsoleRunner', 'quiet_console',
           'run_header', 'log_run_header']


class StartupDumpFilter(logging.Filter):
    """Drops mmengine's start-up dumps (environment, config, hook order)
    from the handler it is attached to; passes every other record."""

    #: how each dump starts (``Runner._log_env`` and ``Runner.__init__``)
    MARKERS = ('System environment:', 'Config:\n',
               'Hooks will be executed in the following order')

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage().lstrip('\n-')
        return not message.startswith(self.MARKERS)


def quiet_console(logger: logging.Logger) -> logging.Logger:
    """Attach :class:`StartupDumpFilter` to the console handlers of
    ``logger`` (stream handlers that are not file handlers), once."""
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler) or not isinstance(
                handler, logging.StreamHandler):
            continue
        if not any(isinstance(f, StartupDumpFilter)
                   for f in handler.filters):
            handler.addFilter(StartupDumpFilter())
    return logger


class SummaryConsoleRunner(Runner):
    """mmengine's ``Runner`` whose console leaves out the start-up dumps
    (module doc); same arguments, same behaviour otherwise."""

    def build_logger(self, log_level='INFO', log_file=None, **kwargs):
        return quiet_console(
            super().build_logger(log_level, log_file, **kwargs))


def _dataset_line(name: str, loader) -> str:
    dataset = loader.dataset
    try:
        size = f'{len(dataset):,} samples'
    except TypeError:  # an iterable dataset
        size = 'samples'
    batches = ''
    try:
        batches = f', {len(loader):,} batches of {loader.batch_size}'
    except TypeError:
        pass
    return f'{name} {size} ({type(dataset).__name__}{batches})'


def _log_interval(runner) -> Optional[int]:
    for hook in runner.hooks:
        if isinstance(hook, LoggerHook):
            return hook.interval
    return None


def run_header(runner, config: Optional[str] = None,
               phases: Iterable[str] = ('train', 'val')) -> List[str]:
    """The lines printed before a run: config, work dir and log file,
    the datasets of ``phases`` ('train', 'val', 'test'; building their
    loops, as ``runner.train()`` / ``test()`` would next), the model's
    parameters, device, threads, processes and the schedule."""
    import torch
    phases = tuple(phases)
    kind = 'test' if phases == ('test', ) else 'train'
    log_file = osp.join(runner.log_dir, f'{runner.timestamp}.log')
    lines = [f'kp_ext {kind}: {config or runner.cfg.filename or "(config)"}',
             f'  work dir : {runner.work_dir}',
             f'  log file : {log_file} (full config and environment)']
    data = []
    for phase in phases:
        loop = getattr(runner, f'_{phase}_loop', None)
        if loop is None:
            continue
        loop = getattr(runner, f'{phase}_loop')  # built now, once
        if getattr(loop, 'dataloader', None) is not None:
            data.append(_dataset_line(phase, loop.dataloader))
    if data:
        lines.append('  data     : ' + '; '.join(data))
    model = getattr(runner.model, 'module', runner.model)
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    extra = '' if trainable == params else f', {trainable:,} trainable'
    lines.append(f'  model    : {type(model).__name__}, {params:,} '
                 f'parameters{extra}')
    first = next(model.parameters(), None)
    device = first.device if first is not None else 'cpu'
    procs = '1 process'
    if runner.distributed:
        backend = (torch.distributed.get_backend()
                   if torch.distributed.is_initialized() else '?')
        procs = (f'{runner.world_size} processes (distributed, {backend}, '
                 f'launcher {runner.launcher})')
    lines.append(f'  device   : {device}, {torch.get_num_threads()} torch '
                 f'thread(s) per process, {procs}')
    interval = _log_interval(runner)
    every = (f'a progress line with ETA every {interval} iteration(s)'
             if interval else 'no progress lines (no LoggerHook)')
    if kind == 'train':
        loop = runner.train_loop
        if isinstance(loop, EpochBasedTrainLoop):
            sched = (f'{loop.max_epochs} epochs x '
                     f'{len(loop.dataloader):,} iterations')
        else:
            sched = f'{loop.max_iters:,} iterations'
        lines.append(f'  schedule : {sched}; {every}')
    else:
        lines.append(f'  progress : {every}')
    return lines


def log_run_header(runner, config: Optional[str] = None,
                   phases: Iterable[str] = ('train', 'val')) -> None:
    """Log :func:`run_header` through the runner's logger (console and
    log file)."""
    runner.logger.info('\n'.join(run_header(runner, config, phases)))
