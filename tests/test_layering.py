"""kp_ext's import graph keeps its layers (issue 13).

Bottom: ``utils`` and ``version`` (package plumbing), then ``registry``
(which imports ``utils``, never the other way round), then
``structures`` (data containers, geometry, metainfo), then ``codecs``;
``datasets``, ``models`` and ``evaluation`` side by side above them, none
importing another; ``visualization`` and ``engine`` above those; ``apis``
on top of the package, and ``tools/`` / ``benchmarks/`` outside it, never
imported by it. Every ``import`` in kp_ext's source is parsed with ``ast``
(also the ones inside functions) and each ``kp_ext.<package>`` it names is
checked against these directions.
"""
import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / 'kp_ext'

# rank of each top-level part of kp_ext: a part imports only lower ranks
RANK = {
    '': 0,  # kp_ext/__init__.py
    'utils': 0, 'version': 0,
    'registry': 1,
    'structures': 2,
    'codecs': 3,
    'datasets': 4, 'models': 4, 'evaluation': 4,
    'visualization': 5,
    'engine': 6,
    'apis': 7,
}
# parts of one rank that may import each other (package plumbing: the
# package's __init__ and the modules it names)
SAME_RANK_ALLOWED = {('', 'utils'), ('', 'version')}
OUTSIDE = {'tools', 'benchmarks', 'tests'}


def _module_name(path: Path, repo: Path = REPO) -> str:
    parts = list(path.relative_to(repo).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts = parts[:-1]
    return '.'.join(parts)


def _imports(path: Path, repo: Path = REPO):
    """(line, imported module) for every import in ``path``; relative
    imports resolved against the module's package."""
    module = _module_name(path, repo)
    package = module if path.name == '__init__.py' else \
        module.rpartition('.')[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                if node.level > 1:
                    base = base[:-(node.level - 1)]
                target = '.'.join(base + ([node.module] if node.module
                                          else []))
            else:
                target = node.module or ''
            yield node.lineno, target


def _part(module: str) -> str:
    """'kp_ext.codecs.base' -> 'codecs'; 'kp_ext' -> ''."""
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else ''


def _violations(package: Path = PACKAGE):
    repo = package.parent
    found = []
    for path in sorted(package.rglob('*.py')):
        src = _part(_module_name(path, repo))
        for line, target in _imports(path, repo):
            top = target.split('.')[0]
            where = f'{path.relative_to(repo)}:{line} imports {target}'
            if top in OUTSIDE:
                found.append(where)
                continue
            if top != 'kp_ext':
                continue
            dst = _part(target)
            if dst == src:
                continue
            if dst not in RANK or src not in RANK:
                found.append(f'{where} (part not in the layer table)')
            elif RANK[dst] > RANK[src] or (
                    RANK[dst] == RANK[src]
                    and (src, dst) not in SAME_RANK_ALLOWED):
                found.append(where)
    return found


def test_every_part_of_kp_ext_has_a_layer():
    parts = {p.stem if p.is_file() else p.name
             for p in PACKAGE.iterdir()
             if (p.is_dir() and (p / '__init__.py').is_file())
             or (p.suffix == '.py' and p.name != '__init__.py')}
    assert parts <= set(RANK), sorted(parts - set(RANK))


def test_imports_follow_the_layers():
    assert _violations(PACKAGE) == []


@pytest.mark.parametrize('src,code,bad', [
    ('models/estimators/base.py', 'from kp_ext.datasets import x\n', True),
    ('codecs/paf_body_model.py',
     'def f():\n    from kp_ext.datasets.utils import x\n', True),
    ('evaluation/metrics/m.py', 'from kp_ext.models import x\n', True),
    ('datasets/d.py', 'import kp_ext.evaluation\n', True),
    ('visualization/v.py', 'from kp_ext.engine import x\n', True),
    ('datasets/synthetic/d.py', 'from ...models import x\n', True),
    ('models/m.py', 'import tools.train\n', True),
    ('datasets/synthetic/d.py', 'from ..base_dataset import x\n', False),
    ('models/m.py', 'from kp_ext.structures import x\n', False),
    ('engine/e.py', 'from kp_ext.visualization import x\n', False),
    ('apis/a.py', 'from kp_ext.datasets import x\n', False),
    ('utils/u.py', 'def f():\n    from kp_ext.registry import DATASETS\n',
     True),
    ('registry.py', 'from kp_ext.utils.package import x\n', False),
])
def test_layer_check_catches_a_wrong_import(tmp_path, src, code, bad):
    """The checker itself: a planted import against the layers is found,
    one along them is not (relative imports resolved)."""
    fake = tmp_path / 'kp_ext' / src
    fake.parent.mkdir(parents=True)
    fake.write_text(code)
    assert bool(_violations(tmp_path / 'kp_ext')) is bad
