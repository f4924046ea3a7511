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
"""
import collections

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
