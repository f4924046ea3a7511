"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .data_preprocessor import PoseDataPreprocessor

__all__ = [
    'PoseDataPreprocessor'
]
