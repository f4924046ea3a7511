"""Import every module of a sub-package so its components register.

Each ``kp_ext`` sub-package calls :func:`import_submodules` from its
``__init__``: dropping a new file into ``kp_ext/codecs/`` (say) is enough
for ``KEYPOINT_CODECS.build(dict(type=...))`` to find it, and the names a
module lists in ``__all__`` become attributes of the package, as an explicit
``from .x import *`` would make them.
"""
import importlib
import pkgutil


def import_submodules(package_name, package_path, namespace):
    """Import all modules and sub-packages of a package into ``namespace``.

    Returns the list of exported names (for ``__all__``).
    """
    exported = []
    for info in sorted(pkgutil.iter_modules(package_path),
                       key=lambda i: i.name):
        if info.name.startswith('_'):
            continue
        module = importlib.import_module(f'{package_name}.{info.name}')
        names = getattr(module, '__all__', [])
        for name in names:
            namespace[name] = getattr(module, name)
        exported.extend(names)
    return exported
