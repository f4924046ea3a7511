from .dataset_files import (DatasetNotFoundError, check_dataset_files,
                            dataset_docs, missing_dataset_files)
from .package import import_submodules

__all__ = ['import_submodules', 'DatasetNotFoundError', 'check_dataset_files',
           'dataset_docs', 'missing_dataset_files']
