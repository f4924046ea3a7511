from .package import import_submodules

__all__ = ['import_submodules']
