"""The one conversion of tensors and array-likes to numpy, used by models,
metrics and drawing alike."""
from typing import Optional

import numpy as np
import torch

__all__ = ['to_numpy']


def to_numpy(x, dtype: Optional[np.dtype] = None) -> np.ndarray:
    """Tensor (any device, maybe requiring grad) or array-like -> ndarray.

    Half and bfloat16 tensors (autocast, ``--amp``) become float32 first:
    numpy has no bfloat16, and ``Tensor.numpy()`` raises on it. ``dtype``,
    when given, is the dtype of the result.
    """
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype in (torch.float16, torch.bfloat16):
            x = x.float()
        x = x.cpu().numpy()
    x = np.asarray(x)
    return x.astype(dtype) if dtype is not None else x
