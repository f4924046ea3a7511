"""Command-line checks shared by the tools (``tools/train.py``,
``tools/test.py``, ...): errors that name the argument or config key at
fault instead of a traceback from deep inside mmengine.
"""
import os
from argparse import ArgumentParser, Namespace
from typing import Optional

from mmengine.config import Config, DictAction

__all__ = ['CfgOptionsAction', 'check_config', 'device_problem',
           'check_device_arg', 'apply_runner_device', 'check_output_file']


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` (``--cfg-options key=value ...``) that
    rejects an item without ``=`` through ``parser.error`` (mmengine raises
    ``ValueError: not enough values to unpack``)."""

    def __call__(self, parser: ArgumentParser, namespace: Namespace,
                 values, option_string=None):
        for item in values or []:
            key = item.split('=', 1)[0]
            if '=' not in item or not key:
                parser.error(f'{option_string or self.dest}: {item!r} is not '
                             'KEY=VALUE (e.g. train_dataloader.batch_size=8)')
        super().__call__(parser, namespace, values, option_string)


def check_config(cfg: Config, filename: str) -> Config:
    """The checks every tool needs once the command line is merged into the
    config (read from ``filename``): ``model`` is a dict with a ``type``.

    (A config is Python: ``Config.fromfile`` runs its code and its
    ``custom_imports``, so load only configs you trust.)
    """
    model = cfg.get('model')
    if not model or not hasattr(model, 'get') or not model.get('type'):
        raise ValueError(f'{filename}: `model` must be a dict with a '
                         f'registered `type` (e.g. TopdownPoseEstimator), '
                         f'got {model!r}')
    return cfg


def device_problem(device: str) -> Optional[str]:
    """Why the torch device ``device`` cannot be used here, or None.

    ``'cuda'`` / ``'cuda:N'`` on a torch without CUDA (the CPU build) or
    without a GPU, an index beyond the GPUs, ``'mps'`` without MPS, or a
    string torch does not know: the one line a tool prints instead of
    torch's traceback at the first tensor moved there.
    """
    import torch
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        return (f'{device!r} is not a torch device (e.g. cpu, cuda, '
                'cuda:1)')
    if dev.type == 'cuda':
        if torch.version.cuda is None and not torch.cuda.is_available():
            return (f'{device}: this torch {torch.__version__} is a CPU '
                    'build without CUDA; use --device cpu (or install a '
                    'CUDA build of torch)')
        if not torch.cuda.is_available():
            return (f'{device}: torch {torch.__version__} finds no CUDA GPU '
                    '(driver missing, or CUDA_VISIBLE_DEVICES hides them); '
                    'use --device cpu')
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            return (f'{device}: there are {count} CUDA GPU(s) (cuda:0 .. '
                    f'cuda:{count - 1})')
    elif dev.type == 'mps':
        mps = getattr(torch.backends, 'mps', None)
        if mps is None or not mps.is_available():
            return f'{device}: MPS is not available; use --device cpu'
    elif dev.type != 'cpu':
        backend = getattr(torch, dev.type, None)
        available = getattr(backend, 'is_available', None)
        if available is not None and not available():
            return f'{device}: no {dev.type} device; use --device cpu'
    return None


def check_device_arg(parser: ArgumentParser, device: Optional[str],
                     option: str = '--device') -> None:
    """``parser.error`` (exit 2, one line) when ``device`` cannot be used
    (:func:`device_problem`); None (the tool's default) passes."""
    if device is None:
        return
    problem = device_problem(device)
    if problem is not None:
        parser.error(f'{option} {problem}')


def apply_runner_device(parser: ArgumentParser, device: Optional[str],
                        launcher: str = 'none') -> None:
    """``--device`` of ``tools/train.py`` / ``tools/test.py``.

    mmengine's Runner picks the device itself (``mmengine.device.
    get_device()``: a GPU when torch sees one, decided when mmengine is
    imported), so ``--device`` states that choice: a device that cannot be
    used (``cuda`` on a CPU-only torch, :func:`device_problem`) or another
    type than mmengine's (``cpu`` with a visible GPU: hide it with
    ``CUDA_VISIBLE_DEVICES=``) is one line and exit 2 instead of torch's
    traceback; ``cuda:N`` makes GPU N the current one (one process only:
    distributed ranks take theirs from ``LOCAL_RANK``). None (the default)
    leaves mmengine's choice.
    """
    if device is None:
        return
    check_device_arg(parser, device)
    import torch
    from mmengine.device import get_device
    dev, picked = torch.device(device), get_device()
    if dev.type != picked:
        hint = (' (run with CUDA_VISIBLE_DEVICES= to hide the GPUs)'
                if dev.type == 'cpu' and picked == 'cuda' else '')
        parser.error(f'--device {device}: mmengine runs on {picked} here '
                     f'(it picks the device itself){hint}')
    if dev.type == 'cuda' and dev.index is not None:
        if launcher != 'none':
            parser.error(f'--device {device}: with --launcher {launcher} '
                         'every process takes the GPU of its LOCAL_RANK; '
                         'give --device cuda')
        torch.cuda.set_device(dev.index)


def check_output_file(parser: ArgumentParser, path: str,
                      option: str = '--out') -> None:
    """``parser.error`` unless ``path`` can be written: its folder exists
    and is writable and the path is not a folder. Checked before any work,
    so a long export does not fail at its last step. A file that did not
    exist is not left behind."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        parser.error(f'{option} {path}: is a folder; give a file name')
    if not os.path.isdir(folder):
        parser.error(f'{option} {path}: the folder {folder} does not exist')
    existed = os.path.exists(path)
    try:
        with open(path, 'ab'):
            pass
    except OSError as e:
        parser.error(f'{option} {path}: cannot be written '
                     f'({e.strerror or e})')
    if not existed:
        try:
            os.remove(path)
        except OSError:
            pass
