"""Import shims for the scratch MMPose venv of `make test-upstream` ONLY.

scripts/upstream_venv.sh copies this file into that venv (with a ``.pth``
line that imports it at start-up); it is never installed into the system
python and kp_ext never imports it.

``import mmpose.models`` (MMPose 1.3.2) imports, at import time, from
modules the conformance tests never run:

- ``mmdet.utils`` (``ConfigType``, ``reduce_mean``) in
  heads/hybrid_heads/rtmo_head.py -- mmdet is not installed (it would pull
  its own mmcv pin);
- ``mmcv.ops.MultiScaleDeformableAttention`` in the ED-Pose transformer
  head -- mmcv-lite ships ``mmcv/ops`` without the compiled ``mmcv._ext``;
- ``torchvision.transforms.ToPILImage`` in visualization/simcc_vis.py
  (imported whenever a runner builds MMPose's visualizer registry) -- no
  torchvision build matches the CPU torch 2.13 wheel here.

This finder serves exactly those module names, and only when the
real module cannot be imported. The stand-ins hold only the imported
names; using one (calling ``reduce_mean``, building the attention layer)
raises ``ImportError`` saying it is a shim.
"""
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Union

_SHIMMED = {'mmdet', 'mmdet.utils', 'mmcv.ops', 'torchvision',
            'torchvision.transforms'}


def _unavailable(name):
    def fail(*args, **kwargs):
        raise ImportError(f'{name} is an import shim of the kp_ext upstream '
                          'test venv (scripts/upstream_shims.py); the real '
                          'package is not installed there')
    return fail


class _Unavailable:
    """Placeholder class: instantiating it raises ImportError."""

    def __init__(self, *args, **kwargs):
        _unavailable(type(self).__name__)()


def _fill(module):
    name = module.__name__
    if name == 'mmdet':
        module.__path__ = []
        module.__version__ = '0.0.0+kp_ext_shim'
    elif name == 'mmdet.utils':
        from mmengine.config import ConfigDict
        module.ConfigType = Union[ConfigDict, dict]
        module.OptConfigType = Union[ConfigDict, dict, None]
        module.reduce_mean = _unavailable('mmdet.utils.reduce_mean')
    elif name == 'torchvision':
        module.__path__ = []
        module.__version__ = '0.0.0+kp_ext_shim'
    elif name == 'torchvision.transforms':
        module.ToPILImage = type('ToPILImage', (_Unavailable, ), {})
    elif name == 'mmcv.ops':
        module.MultiScaleDeformableAttention = type(
            'MultiScaleDeformableAttention', (_Unavailable, ), {})
        module.DeformConv2d = type('DeformConv2d', (_Unavailable, ), {})
    module.__kp_ext_shim__ = True


class _ShimLoader(importlib.abc.Loader):

    def create_module(self, spec):
        return types.ModuleType(spec.name)

    def exec_module(self, module):
        _fill(module)


class _ShimFinder(importlib.abc.MetaPathFinder):
    """Serves a shim only when the real module fails to import."""

    _busy = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _SHIMMED or fullname in self._busy:
            return None
        if fullname == 'mmcv.ops':
            # the real mmcv.ops exists but needs the compiled mmcv._ext
            self._busy.add(fullname)
            try:
                importlib.import_module('mmcv._ext')
                return None
            except ImportError:
                pass
            finally:
                self._busy.discard(fullname)
        else:
            self._busy.add(fullname)
            try:
                spec = importlib.machinery.PathFinder.find_spec(
                    fullname.split('.')[0])
            finally:
                self._busy.discard(fullname)
            if spec is not None:
                return None
        return importlib.machinery.ModuleSpec(fullname, _ShimLoader())


sys.meta_path.insert(0, _ShimFinder())
