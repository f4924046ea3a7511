"""What ``tools/train.py`` and ``tools/test.py`` settle before building the
mmengine ``Runner``: the distributed set-up and a schedule that trains.

**Distributed on GPUs and on the CPU with one command**
(``bash tools/dist_train.sh CONFIG N``, torchrun + mmengine DDP).
mmengine 0.10's ``init_dist('pytorch')`` calls ``torch.cuda.set_device``
(``AttributeError: module 'torch._C' has no attribute '_cuda_setDevice'``
on a CPU-only torch) and its DDP wrapper passes ``device_ids=[LOCAL_RANK]``
(rejected for CPU modules). Without CUDA, :func:`setup_distributed`
therefore initialises the ``gloo`` process group itself from torchrun's
environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``;
mmengine then finds it initialised) and asks for
``MMDistributedDataParallel(device_ids=None)``. With CUDA nothing changes:
the config's backend (``nccl``) and mmengine's own set-up.

**A schedule that trains** (:func:`check_train_schedule`):
``train_cfg.max_epochs=0`` / ``max_iters=0`` used to train nothing, save
nothing and exit 0; it is refused with the key at fault.

**Auto-resume with nothing to resume** (:func:`resolve_auto_resume`):
``--resume`` in an empty work dir used to log "Auto resumed from the latest
checkpoint None." and train from scratch; the run now says that no
checkpoint was found and that training starts from scratch.
"""
import os
import os.path as osp
from typing import Optional

import torch
import torch.distributed as torch_dist

__all__ = ['setup_distributed', 'teardown_distributed', 'check_train_schedule',
           'resolve_auto_resume']


def setup_distributed(cfg, launcher: str) -> None:
    """Set ``cfg.launcher`` and, for a CPU-only run, the gloo process group
    and a CPU DDP wrapper (module doc)."""
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if launcher != 'pytorch':
        # mmengine's slurm / mpi set-up calls torch.cuda.set_device
        raise ValueError(
            f'--launcher {launcher} needs CUDA (mmengine sets a GPU per '
            'process); on CPUs start the processes with torchrun: '
            '`bash tools/dist_train.sh CONFIG NUM_PROCESSES` (--launcher '
            'pytorch; NNODES/NODE_RANK/MASTER_ADDR/PORT for several '
            'machines)')
    if not torch_dist.is_initialized():
        missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR',
                               'MASTER_PORT') if k not in os.environ]
        if missing:
            raise RuntimeError(
                f'--launcher pytorch needs the environment variables '
                f'{missing} that torchrun sets; start it with '
                '`bash tools/dist_train.sh CONFIG NUM_PROCESSES`')
        timeout = cfg.env_cfg.dist_cfg.get('timeout')
        kwargs = {}
        if timeout is not None:
            from datetime import timedelta
            kwargs['timeout'] = timedelta(seconds=timeout)
        torch_dist.init_process_group(
            backend='gloo', rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']), **kwargs)


def teardown_distributed() -> None:
    """Wait for every process, then destroy the process group before the
    interpreter exits. Without it a gloo worker thread can still be alive
    at exit and the process aborts (``terminate called without an active
    exception``, SIGABRT; seen once in ``test_distributed_cpu`` after a
    finished run)."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def check_train_schedule(cfg) -> None:
    """Refuse a ``train_cfg`` whose loop would train nothing."""
    train_cfg = cfg.get('train_cfg') or {}
    for key in ('max_epochs', 'max_iters'):
        value = train_cfg.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) \
                or value < 1:
            raise ValueError(
                f'train_cfg.{key}={value!r} trains nothing and saves '
                f'nothing: give a positive integer (to evaluate a '
                'checkpoint use tools/test.py)')


def resolve_auto_resume(cfg) -> Optional[str]:
    """Settle ``resume=True`` without ``load_from`` (``--resume`` with no
    file: the latest checkpoint of ``work_dir``) before the Runner is built.

    mmengine reads ``work_dir/last_checkpoint`` and, when there is none,
    logs "Auto resumed from the latest checkpoint None." and trains from
    scratch. When ``work_dir`` holds no ``last_checkpoint`` (or an empty
    one), ``cfg.resume`` is set to False and the line to log is returned:
    no checkpoint found, training starts from scratch. Otherwise nothing
    changes (mmengine resumes from the file it names) and None is returned.
    """
    if not cfg.get('resume') or cfg.get('load_from'):
        return None
    work_dir = cfg.get('work_dir')
    record = osp.join(work_dir, 'last_checkpoint') if work_dir else None
    latest = None
    if record and osp.isfile(record):
        with open(record) as f:
            latest = f.read().strip() or None
    if latest is not None:
        return None
    cfg.resume = False
    return (f'--resume: no checkpoint found in {work_dir} (no '
            'last_checkpoint file there, nothing saved yet): training '
            'starts from scratch')
