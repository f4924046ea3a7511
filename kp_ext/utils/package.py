"""Package checks: kp_ext imported as a namespace package.

(Each sub-package's ``__init__`` imports its modules explicitly;
``tests/test_package_exports.py`` checks that none is left out.)
"""
import os.path as osp
import sys


def check_not_namespace_package(package_name: str = 'kp_ext') -> None:
    """Raise ``ImportError`` when ``package_name`` was imported as a
    namespace package.

    A folder named ``kp_ext`` without ``__init__.py`` (typically the
    repository checkout itself, e.g. ``~/code/kp_ext/``) that lies on
    ``sys.path`` -- the current folder when running ``python -c`` or
    ``python -m`` from ``~/code`` -- wins over an editable install (whose
    finder comes after the path entries): ``import kp_ext`` then gives an
    empty namespace package, ``kp_ext/__init__.py`` never runs and
    sub-modules still load from the install, so the failure surfaces far
    away (a weights-only unpickling error when loading a checkpoint).
    ``kp_ext/registry.py`` calls this, so the first kp_ext component
    imported says what happened instead.
    """
    package = sys.modules.get(package_name)
    if package is None or getattr(package, '__file__', None) is not None:
        return
    shadow = list(getattr(package, '__path__', []))
    real = osp.dirname(osp.dirname(osp.abspath(__file__)))
    raise ImportError(
        f'{package_name} was imported as a namespace package from '
        f'{shadow} -- a folder named {package_name!r} without __init__.py '
        '(probably the repository checkout) on sys.path, e.g. in the '
        f'current folder -- instead of the package at {real}, so '
        f'{package_name}/__init__.py did not run. Run from inside the '
        'checkout (or any folder without a folder named '
        f'{package_name!r}), or rename that folder.')
