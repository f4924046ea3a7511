"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .dilated_separable_net import DilatedSeparableNet
from .fse_convnet import FSEConvNet
from .stacked_hourglass import StackedHourglass
from .vgg_openpose import OpenPoseVGG

__all__ = [
    'DilatedSeparableNet', 'FSEConvNet', 'StackedHourglass', 'OpenPoseVGG'
]
