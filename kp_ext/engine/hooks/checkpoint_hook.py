"""mmengine's ``CheckpointHook``, made safe against a kill and a NaN.

kp_ext registers it under mmengine's name, so every config's
``default_hooks.checkpoint=dict(type='CheckpointHook', ...)`` (with
``default_scope='kp_ext'``) gets it. What it changes:

- **Atomic files.** Every checkpoint (``iter_N.pth``/``epoch_N.pth``,
  ``best_*.pth``) and ``last_checkpoint`` is written to ``NAME.partial``,
  flushed and fsynced, then renamed over ``NAME`` (and the directory
  fsynced): a reader sees the old file or the complete new one, never a
  truncated one (:class:`AtomicLocalBackend`, local paths only; object
  stores already replace objects whole).
- **Delete last.** With ``max_keep_ckpts``, mmengine deletes the oldest
  checkpoint *before* writing the new one, so a SIGKILL during the write
  (0.3-0.8 s for a 7 MB file) left nothing to ``--resume`` from. Here the
  new checkpoint is written, ``last_checkpoint`` is pointed at it, and only
  then are the old ones deleted (the previous best likewise after the new
  best). A kill at any moment leaves ``last_checkpoint`` naming a complete
  file. (A kill between the last two steps leaves one old file behind.)
- **No non-finite checkpoint.** Before a checkpoint is written, its
  ``state_dict`` is checked: a NaN/inf tensor raises ``FloatingPointError``
  naming the tensor and the iteration; nothing is written.
- **Buffers agree across ranks.** In a distributed run every rank keeps its
  own BatchNorm statistics (mmengine's DDP does not broadcast buffers);
  before a checkpoint is written and before each validation, the buffers
  are averaged over the ranks (mmengine's ``SyncBuffersHook`` does it after
  training epochs only), so the file holds what every rank evaluates with.

- **No FileClient noise.** mmengine 0.10 builds a deprecated
  ``FileClient`` in ``before_train`` and in every ``save_checkpoint`` even
  when ``file_client_args`` is None (it is then unused), and each one logs
  '"FileClient" will be deprecated'. With ``file_client_args=None`` (the
  default) that message is dropped; a config that sets
  ``file_client_args`` still sees it.
- **What it was trained on.** ``meta['training_data']`` of every
  checkpoint is ``kp_ext.datasets.describe_training_data(cfg)`` (dataset
  types, synthetic or not, a description), which ``tools/infer.py`` and
  ``PoseInferencer`` report.

Leftover ``*.partial`` files of a killed run are removed at the start of
the next one.
"""
import contextlib
import glob
import logging
import os
import os.path as osp

from mmengine.dist import all_reduce_params, is_distributed, is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook as _MMEngineCheckpointHook
from mmengine.logging import MMLogger

from kp_ext.datasets.training_data import describe_training_data
from kp_ext.utils.non_finite import first_non_finite
from kp_ext.registry import HOOKS

__all__ = ['CheckpointHook', 'AtomicLocalBackend', 'write_atomic']

ATOMIC_BACKEND = 'kp_ext_atomic_local'
PARTIAL_SUFFIX = '.partial'


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` through ``path.partial`` + fsync + rename."""
    path = str(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = path + PARTIAL_SUFFIX
    with open(tmp, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(folder)


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend whose writes are atomic
    (:func:`write_atomic`); registered as ``'kp_ext_atomic_local'``."""

    def put(self, obj: bytes, filepath) -> None:
        write_atomic(obj, filepath)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        write_atomic(obj.encode(encoding), filepath)


register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)


FILE_CLIENT_DEPRECATION = '"FileClient" will be deprecated'


class _DropFileClientDeprecation(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(
            FILE_CLIENT_DEPRECATION)


@contextlib.contextmanager
def _quiet_unused_file_client(active: bool):
    """Drop mmengine's FileClient deprecation message while ``active``
    (``file_client_args`` is None, so the FileClient it builds is unused)."""
    if not active:
        yield
        return
    logger = MMLogger.get_current_instance()
    drop = _DropFileClientDeprecation()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


class _DeferredRemoval:
    """A file backend proxy that records removals instead of doing them."""

    def __init__(self, backend):
        self._backend = backend
        self.removed = []

    def remove(self, path):
        self.removed.append(path)

    def rmtree(self, path):
        self.removed.append(path)

    def __getattr__(self, name):
        return getattr(self._backend, name)


@HOOKS.register_module()
class CheckpointHook(_MMEngineCheckpointHook):
    """``mmengine.hooks.CheckpointHook`` with atomic writes, deletion of old
    checkpoints after the new one is in place, a refusal to save non-finite
    weights and rank-averaged buffers (module doc). Same arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        backend_args = self.backend_args
        local_dir = self.out_dir is None or '://' not in str(self.out_dir)
        if self.file_client_args is None and local_dir and (
                backend_args is None
                or backend_args == dict(backend='local')):
            self.backend_args = dict(backend=ATOMIC_BACKEND)
        self._last_synced_iter = None

    # ----------------------------------------------------------- set-up
    def before_train(self, runner) -> None:
        with _quiet_unused_file_client(self.file_client_args is None):
            super().before_train(runner)
        if is_main_process() and isinstance(self.file_backend, LocalBackend):
            for stale in glob.glob(
                    osp.join(glob.escape(str(self.out_dir)),
                             '*' + PARTIAL_SUFFIX)):
                os.remove(stale)
                runner.logger.warning(
                    f'removed {stale}: a checkpoint left half-written by an '
                    'interrupted run')

    # ------------------------------------------------- buffers and NaNs
    def _sync_buffers(self, runner) -> None:
        if is_distributed() and self._last_synced_iter != runner.iter:
            buffers = list(runner.model.buffers())
            if buffers:
                all_reduce_params(buffers, op='mean')
            self._last_synced_iter = runner.iter

    def before_val_epoch(self, runner) -> None:
        self._sync_buffers(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = first_non_finite(checkpoint.get('state_dict', {}))
        if bad is not None:
            name, n_bad, n = bad
            meta = checkpoint.get('meta', {})
            raise FloatingPointError(
                f'refusing to save a checkpoint with non-finite weights: '
                f'{name} has {n_bad} of {n} values NaN/inf (epoch '
                f'{meta.get("epoch")}, iteration {meta.get("iter")}); '
                'training diverged - lower the learning rate or check the '
                'data')
        # what the weights were trained on, for the inference tools
        described = describe_training_data(runner.cfg)
        if described is not None:
            checkpoint.setdefault('meta', {})['training_data'] = described

    # ------------------------------------------------------------ saving
    def _save_checkpoint_with_step(self, runner, step, meta):
        self._sync_buffers(runner)
        old_steps = []
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            while len(self.keep_ckpt_ids) >= self.max_keep_ckpts:
                old_steps.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        # 1. the new checkpoint, complete (atomic write)
        with _quiet_unused_file_client(self.file_client_args is None):
            runner.save_checkpoint(
                self.out_dir,
                ckpt_filename,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
        if not is_main_process():
            return
        # 2. last_checkpoint points at it
        write_atomic(
            str(self.last_ckpt).encode(),
            osp.join(runner.work_dir, 'last_checkpoint'))
        # 3. only now the checkpoints it replaces go
        for old in old_steps:
            self._remove(self.filename_tmpl.format(old))

    def _remove(self, name_or_path) -> None:
        path = self.file_backend.join_path(self.out_dir, name_or_path) \
            if not osp.isabs(str(name_or_path)) else name_or_path
        if path == self.last_ckpt:
            return
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        # mmengine removes the previous best before writing the new one:
        # postpone the removal until the new best is written
        backend = self.file_backend
        self.file_backend = deferred = _DeferredRemoval(backend)
        try:
            with _quiet_unused_file_client(self.file_client_args is None):
                super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        keep = {self.last_ckpt, getattr(self, 'best_ckpt_path', None)}
        keep.update(getattr(self, 'best_ckpt_path_dict', {}).values())
        for path in deferred.removed:
            if path not in keep:
                self._remove(path)
