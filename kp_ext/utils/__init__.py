from .arrays import to_numpy
from .dataset_files import (DatasetNotFoundError, check_dataset_files,
                            dataset_docs, dataset_paths,
                            missing_dataset_files)
from .json_file import load_json
from .package import check_not_namespace_package

__all__ = ['to_numpy', 'check_not_namespace_package',
           'DatasetNotFoundError', 'check_dataset_files', 'dataset_docs',
           'dataset_paths', 'missing_dataset_files', 'load_json']
