import numpy as np
import pytest
import torch

from kp_ext.utils import to_numpy


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_to_numpy_half_tensors_become_float32(dtype):
    # bf16/fp16 come out of autocast (--amp); Tensor.numpy() raises on bf16
    t = torch.tensor([[0.5, -2.0], [1.25, 3.0]], dtype=dtype,
                     requires_grad=True)
    out = to_numpy(t)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0.5, -2.0], [1.25, 3.0]])
    assert to_numpy(t, np.float64).dtype == np.float64


def test_to_numpy_keeps_other_dtypes_and_array_likes():
    assert to_numpy(torch.arange(3)).dtype == np.int64
    assert to_numpy(torch.ones(2, dtype=torch.bool)).dtype == bool
    assert to_numpy(torch.zeros(2, dtype=torch.float64)).dtype == np.float64
    np.testing.assert_array_equal(to_numpy([[1, 2]], np.float32),
                                  np.array([[1., 2.]], np.float32))
    arr = np.zeros(3)
    assert to_numpy(arr) is arr
