"""ONNX export of a kp_ext network and an onnxruntime-backed estimator.

The exported graph is the network only — backbone (+ neck) and the head's
``forward`` — from the normalised input (B, 3, H, W) to the last stage's
maps, with a dynamic batch axis (and dynamic H, W for bottom-up models,
whose input size follows the image's aspect ratio):

- top-down (hourglass): ``heatmaps`` (B, K, h, w);
- bottom-up (OpenPose 2017 / 2019): ``pafs`` (B, 2L, h, w) and
  ``heatmaps`` (B, K', h, w);
- landmarks (FSE): ``maps`` (B, K, h, w) score maps (logits).

Normalisation (the data preprocessor) and decoding stay outside the graph:
:func:`onnx_estimator` returns a copy of the estimator whose network runs
in onnxruntime, so the config's pipeline, the data preprocessor, flip test,
the numpy codec decode / PAF grouping and the mapping to image
coordinates are the PyTorch model's own. onnx and onnxruntime are imported
only when used (``pip install onnx onnxruntime``).
"""
import copy
import types
import warnings
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from .inference import model_kind

__all__ = ['export_onnx', 'onnx_estimator', 'output_names',
           'ExportableNetwork']


def output_names(kind: str) -> List[str]:
    return dict(topdown=['heatmaps'], bottomup=['pafs', 'heatmaps'],
                landmarks=['maps'])[kind]


class ExportableNetwork(nn.Module):
    """Normalised input -> the last stage's maps (see module doc)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.kind = model_kind(model)

    def forward(self, x):
        out = self.model.head.forward(self.model.extract_feat(x))
        if self.kind == 'topdown':
            return out[-1]
        if self.kind == 'bottomup':
            pafs, cms = out
            return pafs[-1], cms[-1]
        return out


def _head_passthrough(kind: str):
    """``head.forward`` for maps that already are the head's outputs (the
    inverse of :class:`ExportableNetwork`'s selection)."""
    if kind == 'topdown':
        return lambda self, outs: [outs[0]]
    if kind == 'bottomup':
        return lambda self, outs: ([outs[0]], [outs[1]])
    return lambda self, outs: outs[0]


def export_onnx(model, path: str, input_shape: Sequence[int],
                opset: int = 17) -> Dict[str, object]:
    """Export ``model``'s network to ``path`` (legacy TorchScript exporter,
    ``dynamo=False``: needs only the ``onnx`` package).

    Args:
        input_shape: (B, C, H, W) of the example input.
    Returns:
        dict(input_names, output_names, dynamic_axes).
    """
    kind = model_kind(model)
    net = ExportableNetwork(model).eval()
    names = output_names(kind)
    axes = {0: 'batch'}
    if kind == 'bottomup':
        axes = {0: 'batch', 2: 'height', 3: 'width'}
    dynamic_axes = {'input': axes}
    for n in names:
        dynamic_axes[n] = {0: 'batch'} if kind != 'bottomup' else \
            {0: 'batch', 2: 'map_height', 3: 'map_width'}
    example = torch.randn(*input_shape)
    # shape checks in the models become constants of the trace (expected:
    # the input size of top-down / landmark models is fixed)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(net, (example, ), path, input_names=['input'],
                          output_names=names, dynamic_axes=dynamic_axes,
                          opset_version=opset, dynamo=False)
    return dict(input_names=['input'], output_names=names,
                dynamic_axes=dynamic_axes)


class _OrtNetwork:
    """Calls an onnxruntime session like ``extract_feat``: tensor in,
    tuple of tensors out."""

    def __init__(self, path: str, threads: int = 1):
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            path, opts, providers=['CPUExecutionProvider'])

    def run(self, x: np.ndarray) -> List[np.ndarray]:
        return self.session.run(None, {'input': x.astype(np.float32)})

    def __call__(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outs = self.run(np.ascontiguousarray(x.detach().cpu().numpy()))
        return tuple(torch.from_numpy(o) for o in outs)


def onnx_estimator(model, path: str, threads: int = 1):
    """A copy of ``model`` whose network is the onnxruntime session of
    ``path``; ``test_step`` (pipeline outputs in, data samples out) works
    as for the PyTorch model."""
    kind = model_kind(model)
    ort_model = copy.deepcopy(model)
    ort_model.extract_feat = _OrtNetwork(path, threads)
    ort_model.head.forward = types.MethodType(_head_passthrough(kind),
                                              ort_model.head)
    return ort_model
