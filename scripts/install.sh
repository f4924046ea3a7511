#!/usr/bin/env bash
# Install what is missing for kp_ext into the current Python (idempotent).
#
# - torch: the CPU build 2.13.0 first; a bare ``torch`` requirement with no
#   torch installed would pull a multi-GB CUDA build.
# - mmcv: the ``mmcv-lite`` distribution (no compiled ops).
# - xtcocotools: its PyPI wheel is built against numpy 1 and fails to import
#   under numpy 2, so it is built from source against the installed numpy.
set -euo pipefail
PY=${PYTHON:-python3}
cd "$(dirname "$0")/.."
PIP="$PY -m pip install --disable-pip-version-check -q"

if ! $PY -c 'import torch' 2>/dev/null; then
    echo '[install] torch==2.13.0 (CPU build)'
    $PIP torch==2.13.0
fi
if ! $PY -c 'import mmengine, mmcv, scipy, matplotlib, cv2, Cython, pytest' 2>/dev/null; then
    echo '[install] mmengine, mmcv-lite, numpy, scipy, matplotlib, cython, pytest'
    $PIP 'mmengine>=0.10.3,<1.0' 'mmcv-lite>=2.1.0,<2.3.0' numpy scipy \
        matplotlib cython pytest
fi
if ! $PY -c 'from xtcocotools.cocoeval import COCOeval; from xtcocotools import mask' 2>/dev/null; then
    echo '[install] xtcocotools (built from source against the installed numpy)'
    $PIP --force-reinstall --no-deps --no-build-isolation \
        --no-binary xtcocotools xtcocotools
fi
# ONNX export (tools/export_onnx.py, benchmarks/inference.py) and its tests;
# torch's TorchScript exporter (dynamo=False) needs only onnx
if ! $PY -c 'import onnx, onnxruntime' 2>/dev/null; then
    echo '[install] onnx, onnxruntime (ONNX export and its check)'
    $PIP onnx onnxruntime
fi
# (re)install when kp_ext is missing or imports from another checkout
# (checked from / so that the current directory does not shadow the install)
here=$(pwd)
if ! (cd / && $PY -c "import os, kp_ext; assert os.path.dirname(os.path.realpath(kp_ext.__file__)) == os.path.realpath('$here/kp_ext')") 2>/dev/null; then
    echo '[install] kp_ext (editable, from this checkout)'
    $PIP --no-deps --no-build-isolation -e .
fi
