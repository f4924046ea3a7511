"""Loading mmengine checkpoints under torch >= 2.6 (``weights_only=True``).

mmengine 0.10.x calls ``torch.load(file, map_location=...)`` without
``weights_only``; torch >= 2.6 then unpickles with the restricted
``weights_only`` loader, which refuses anything but tensors and plain
containers. An mmengine checkpoint also holds its ``message_hub`` (with
``HistoryBuffer`` objects and numpy arrays/scalars) and the config text, so
``--resume`` and ``load_from`` fail with "Weights only load failed".

Rather than turning the safety off (``weights_only=False`` would execute
arbitrary pickled code from a checkpoint), we allow-list exactly the types
that mmengine writes into a checkpoint. ``torch.load`` stays restricted for
everything else.

Local checkpoint files are read by :func:`load_from_local` (installed
as mmengine's loader for plain paths on ``import kp_ext``): an empty,
truncated or foreign file raises :class:`CheckpointFileError` naming it,
instead of a bare ``EOFError`` or torch's advice to retry with
``weights_only=False`` (which would run code from the file).
:func:`check_state_dict_matches` is the strict comparison of a checkpoint
with a model that ``tools/test.py`` runs before evaluating.
"""
import collections
import os.path as osp
import pickle
import re

import numpy as np
import torch


def _numpy_safe_globals():
    types = [np.ndarray, np.dtype]
    # numpy 1 keeps the pickling helpers in numpy.core, numpy 2 in numpy._core
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    types += [_reconstruct, scalar]
    # dtype classes (numpy >= 1.25 pickles dtypes as e.g. Float64DType)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        for name in dir(dtypes):
            obj = getattr(dtypes, name)
            if isinstance(obj, type) and issubclass(obj, np.dtype):
                types.append(obj)
    # scalar types (np.float64(...) pickles through its class)
    for name in ('bool_', 'int8', 'int16', 'int32', 'int64', 'uint8',
                 'uint16', 'uint32', 'uint64', 'float16', 'float32',
                 'float64', 'complex64', 'complex128'):
        types.append(getattr(np, name))
    return types


def checkpoint_safe_globals():
    """The types an mmengine 0.10 checkpoint may contain besides tensors."""
    from mmengine.logging.history_buffer import HistoryBuffer
    types = _numpy_safe_globals()
    types += [HistoryBuffer, collections.OrderedDict, collections.defaultdict,
              collections.Counter,
              # pickle protocol 2 writes empty bytes as ``bytes()``: the
              # buffer of an empty array (e.g. metainfo 'sigmas' = [])
              bytes]
    try:
        from mmengine.config import ConfigDict
        types.append(ConfigDict)
    except ImportError:  # pragma: no cover
        pass
    return types


def register_checkpoint_safe_globals():
    """Allow-list mmengine's checkpoint types for ``torch.load``.

    A no-op on torch < 2.4, which has no ``add_safe_globals`` (and loads
    with ``weights_only=False`` by default anyway).
    """
    register_history_buffer_reducer()
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:
        return
    add(checkpoint_safe_globals())


def _reduce_history_buffer(buffer):
    # HistoryBuffer's default pickle stores its statistics methods, which
    # pickle as ``getattr(HistoryBuffer, 'min')``; ``builtins.getattr`` is
    # exactly what a weights-only loader must never allow. Rebuild it from
    # its data instead: HistoryBuffer(log_history, count_history, max_len).
    return (type(buffer), (buffer._log_history.tolist(),
                           buffer._count_history.tolist(),
                           buffer.max_length))


def register_history_buffer_reducer():
    """Make mmengine's ``HistoryBuffer`` pickle without ``getattr``."""
    import copyreg

    from mmengine.logging.history_buffer import HistoryBuffer
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)


class CheckpointFileError(ValueError):
    """A checkpoint file is empty, truncated or not a checkpoint."""


def _weights_only_detail(err: Exception) -> str:
    """The part of torch's weights-only failure that describes the file
    (without its advice to load unsafely)."""
    text = str(err)
    match = re.search(r'Unsupported global: GLOBAL (\S+)', text)
    if match:
        return f'holds the Python object {match.group(1)}, which kp_ext\'s ' \
            'weights-only loader does not allow'
    match = re.search(r'WeightsUnpickler error:\s*(.+?)\s*(\n\n|$)', text,
                      re.S)
    detail = match.group(1).strip() if match else type(err).__name__
    return f'is not a PyTorch checkpoint (unpickling failed: {detail})'


def load_from_local(filename: str, map_location=None):
    """mmengine's loader for local checkpoint files (same name, same
    arguments), with errors naming the file.

    Loads with torch's default (``weights_only=True`` on torch >= 2.6, the
    types of :func:`checkpoint_safe_globals` allowed) and never falls back
    to an unrestricted load.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename!r} not found')
    size = osp.getsize(filename)
    if size == 0:
        raise CheckpointFileError(f'checkpoint file {filename} is empty '
                                  '(0 bytes): the save was interrupted or '
                                  'the copy failed')
    try:
        return torch.load(filename, map_location=map_location)
    except (EOFError, RuntimeError) as e:
        if isinstance(e, RuntimeError) and not re.search(
                r'zip archive|PytorchStreamReader|unexpected EOF', str(e)):
            raise
        raise CheckpointFileError(
            f'checkpoint file {filename} ({size} bytes) is truncated or '
            f'corrupted: {str(e).split(". ")[0] or type(e).__name__}'
        ) from None
    except pickle.UnpicklingError as e:
        raise CheckpointFileError(f'checkpoint file {filename} ({size} bytes)'
                                  f' {_weights_only_detail(e)}') from None


def register_checkpoint_loader():
    """Make :func:`load_from_local` mmengine's loader for plain paths
    (``load_from``, ``--resume``, ``runner.load_checkpoint``)."""
    from mmengine.runner import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)


def check_state_dict_matches(model: torch.nn.Module, filename: str,
                             hint: str = '') -> None:
    """Raise ``CheckpointFileError`` listing the keys of the checkpoint's
    ``state_dict`` that the model lacks (unexpected), the model's keys the
    checkpoint lacks (missing) and the keys whose shapes differ.

    mmengine loads ``load_from`` non-strictly: a checkpoint of another model
    only logs warnings and the evaluation runs on random weights. ``hint``
    ends the message (e.g. how to skip the check). A ``module.`` prefix (a
    saved DDP wrapper) is ignored, as mmengine does.
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    # any scheme mmengine loads (a path goes to load_from_local, a URL to
    # mmengine's downloader)
    ckpt = CheckpointLoader.load_checkpoint(filename, map_location='cpu')
    if not isinstance(ckpt, dict):
        raise CheckpointFileError(f'checkpoint file {filename} holds a '
                                  f'{type(ckpt).__name__}, not a dict')
    state = ckpt.get('state_dict', ckpt)
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    model = getattr(model, 'module', model)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [
        f'{k}: checkpoint {tuple(state[k].shape)}, model '
        f'{tuple(own[k].shape)}' for k in own
        if k in state and hasattr(state[k], 'shape')
        and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    problems = []
    for name, keys in (('missing in the checkpoint', missing),
                       ('unexpected (not in the model)', unexpected),
                       ('with another shape', mismatched)):
        if keys:
            more = f' ... ({len(keys)} in all)' if len(keys) > 5 else ''
            problems.append(f'{len(keys)} key(s) {name}: '
                            f'{keys[:5]}{more}')
    if problems:
        raise CheckpointFileError(
            f'checkpoint file {filename} does not fit the model '
            f'{type(model).__name__} of the config: ' + '; '.join(problems) +
            hint)
