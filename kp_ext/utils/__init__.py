from .arrays import to_numpy
from .json_file import load_json
from .package import check_not_namespace_package

__all__ = ['to_numpy', 'check_not_namespace_package', 'load_json']
