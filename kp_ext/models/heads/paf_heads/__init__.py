from kp_ext.utils.package import import_submodules

__all__ = import_submodules(__name__, __path__, globals())
