"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .base import BasePoseEstimator
from .bottomup import BottomupPoseEstimator
from .topdown import TopdownPoseEstimator
from .unsupervised import UnsupervisedLandmarkEstimator

__all__ = [
    'BasePoseEstimator', 'BottomupPoseEstimator', 'TopdownPoseEstimator',
    'UnsupervisedLandmarkEstimator'
]
