"""Mixed precision on the CPU.

mmengine's ``AmpOptimWrapper`` requires a GPU (it asserts CUDA/NPU/MLU).
On the CPU, ``--amp`` uses :class:`BF16OptimWrapper`: the forward pass runs
under ``torch.autocast('cpu', dtype=torch.bfloat16)``; bf16 has float32's
exponent range, so no loss scaling is needed.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from kp_ext.registry import OPTIM_WRAPPERS

__all__ = ['BF16OptimWrapper']


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """OptimWrapper whose ``optim_context`` autocasts to bfloat16 on CPU."""

    def __init__(self, *args, dtype='bfloat16', **kwargs):
        super().__init__(*args, **kwargs)
        self.cast_dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
