"""Every kp_ext package imports each of its modules explicitly (the import
graph is visible to readers and tools, as in MMPose), so a new module that
is not added to its package's ``__init__`` -- and whose components would
then never register -- fails here."""
import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / 'kp_ext'
PACKAGES = sorted(p.parent for p in PKG.rglob('__init__.py')
                  if p.parent.name != 'metainfo')


def _dotted(path):
    return '.'.join(path.relative_to(PKG.parent).parts)


@pytest.mark.parametrize('package', PACKAGES, ids=_dotted)
def test_package_imports_each_module(package):
    init = package / '__init__.py'
    imported = set()
    for node in ast.walk(ast.parse(init.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                imported.add(node.module.split('.')[0])
            else:
                imported.update(a.name for a in node.names)
    modules = {m.name for m in pkgutil.iter_modules([str(package)])
               if not m.name.startswith('_')}
    pkg = importlib.import_module(_dotted(package))
    for attr in pkg.__all__:
        assert hasattr(pkg, attr), (_dotted(package), attr)
    if package in (PKG, PKG / 'utils'):
        # helpers that register nothing: imported where they are used
        return
    assert modules - imported == set(), f'{_dotted(package)}/__init__.py'
