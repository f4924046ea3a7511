"""Static int8 quantisation of an exported kp_ext network (onnxruntime).

``calibration_inputs`` gives the network inputs of a few images of the
config's own data: the training set's images (not the ones evaluated)
through the config's *test* pipeline and the model's data preprocessor,
i.e. exactly what the network sees at inference. ``quantize_int8`` runs
onnxruntime's pre-processing (shape inference, graph optimisation: batch
norm folded, Conv + ReLU fused) and ``quantize_static`` on them: MinMax
ranges of every activation from the calibration inputs, weights int8 per
output channel, activations uint8, QDQ format (onnxruntime's CPU provider
runs the quantised operators where it has kernels for them and float
elsewhere; onnxruntime's "Quantize ONNX models" documentation recommends
QDQ and per-channel weights for CNNs on x86). The quantised graph keeps
the float graph's inputs, outputs and dynamic axes, so
:func:`~kp_ext.apis.onnx_estimator` runs it as it runs the float one.
Needs ``onnx`` and ``onnxruntime``.
"""
import copy
import os
import os.path as osp
import tempfile
from typing import List, Optional, Sequence

import numpy as np
import torch

__all__ = ['calibration_inputs', 'quantize_int8']


def _dataset_images(cfg, num: int, split: str) -> list:
    """The first ``num`` images (arrays or paths) of the config's
    ``split`` dataset ('train' or 'test')."""
    from mmengine.registry import init_default_scope

    from kp_ext.registry import DATASETS
    from .inference import _dataset_cfgs, _test_dataset_cfg
    init_default_scope(cfg.get('default_scope', 'kp_ext'))
    if split == 'train':
        loader = cfg.get('train_dataloader')
        found = _dataset_cfgs(loader.get('dataset')) if loader else []
        if not found:
            raise KeyError(f'config {cfg.filename!r} has no '
                           'train_dataloader.dataset with a pipeline to '
                           'take calibration images from')
        ds_cfg = found[0]
    elif split == 'test':
        ds_cfg = _test_dataset_cfg(cfg)
    else:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    try:
        dataset = DATASETS.build(dict(copy.deepcopy(ds_cfg), pipeline=[]))
    except (FileNotFoundError, OSError) as e:
        raise FileNotFoundError(
            f'config {cfg.filename!r}: the {split} dataset '
            f'({ds_cfg.get("type")}) for the int8 calibration images cannot '
            f'be read: {e}') from e
    if len(dataset) == 0:
        raise ValueError(f'config {cfg.filename!r}: the {split} dataset is '
                         'empty (no calibration images)')
    images = []
    for i in range(min(int(num), len(dataset))):
        info = dataset[i]
        images.append(info['img'] if info.get('img') is not None
                      else info['img_path'])
    return images


def calibration_inputs(model, num_images: int = 8, split: str = 'train',
                       images: Optional[Sequence] = None
                       ) -> List[np.ndarray]:
    """Network inputs (1, 3, H, W) float32 of ``num_images`` images of the
    config's ``split`` data (or of ``images``: paths / BGR arrays): the
    test pipeline and the data preprocessor applied (module doc)."""
    from mmengine.dataset import pseudo_collate

    from .inference import _base_info, _pipeline
    if images is None:
        if num_images < 1:
            raise ValueError(f'num_images must be >= 1, got {num_images}')
        images = _dataset_images(model.cfg, num_images, split)
    pipeline = _pipeline(model)
    inputs = []
    for img in images:
        data = pseudo_collate([pipeline(_base_info(model, img))])
        with torch.no_grad():
            x = model.data_preprocessor(data, False)['inputs']
        inputs.append(np.ascontiguousarray(x.float().cpu().numpy()))
    if not inputs:
        raise ValueError('no calibration images')
    return inputs


class _Reader:
    """onnxruntime's CalibrationDataReader protocol over a list."""

    def __init__(self, inputs: List[np.ndarray], name: str = 'input'):
        self._iter = iter([{name: x.astype(np.float32)} for x in inputs])

    def get_next(self):
        return next(self._iter, None)


def quantize_int8(fp32_path: str, out_path: str,
                  inputs: List[np.ndarray], per_channel: bool = True) -> str:
    """Write the int8 (QDQ, static) model of ``fp32_path`` calibrated on
    ``inputs`` to ``out_path``; returns ``out_path``."""
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    if not inputs:
        raise ValueError('quantize_int8 needs at least one calibration '
                         'input')
    if not osp.isfile(fp32_path):
        raise FileNotFoundError(f'no ONNX model at {fp32_path!r}')
    folder = osp.dirname(osp.abspath(out_path))
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        prepared = osp.join(tmp, 'prepared.onnx')
        quant_pre_process(fp32_path, prepared, skip_symbolic_shape=True)
        quantize_static(
            prepared, out_path, _Reader(inputs),
            quant_format=QuantFormat.QDQ, per_channel=bool(per_channel),
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax)
    return out_path
