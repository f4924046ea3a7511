"""A folder named kp_ext (the checkout) in the current folder shadows an
editable install: kp_ext becomes an empty namespace package and its
__init__ never runs. The first component import must say so."""
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# what setuptools' editable install puts on sys.meta_path: a finder that
# maps kp_ext (and its sub-modules) to the source tree, consulted *after*
# the path entries (PathFinder), here pointing at this checkout
EDITABLE = textwrap.dedent('''
    import importlib.util, os, sys
    SRC = {src!r}

    class EditableFinder:
        @classmethod
        def find_spec(cls, name, path=None, target=None):
            if name != 'kp_ext' and not name.startswith('kp_ext.'):
                return None
            base = os.path.join(SRC, *name.split('.'))
            if os.path.isdir(base):
                return importlib.util.spec_from_file_location(
                    name, os.path.join(base, '__init__.py'),
                    submodule_search_locations=[base])
            if os.path.isfile(base + '.py'):
                return importlib.util.spec_from_file_location(
                    name, base + '.py')
            return None

    # right after the path entries (before any installed kp_ext's finder)
    from importlib.machinery import PathFinder
    sys.meta_path.insert(sys.meta_path.index(PathFinder) + 1,
                         EditableFinder)
''')


def _run(cwd, code):
    script = EDITABLE.format(src=str(REPO)) + textwrap.dedent(code)
    # ``python -c`` puts the current folder first on sys.path
    return subprocess.run([sys.executable, '-c', script], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={'PATH': '/usr/bin:/bin', 'OMP_NUM_THREADS': '1',
                               'HOME': str(cwd)})


def test_checkout_folder_named_kp_ext_is_detected(tmp_path):
    # <tmp>/kp_ext is "the checkout": a folder with the repo files but no
    # __init__.py of its own
    checkout = tmp_path / 'kp_ext'
    (checkout / 'kp_ext').mkdir(parents=True)
    (checkout / 'README.md').write_text('a checkout\n')
    proc = _run(tmp_path, '''
        import kp_ext
        assert getattr(kp_ext, '__file__', None) is None  # namespace
        import kp_ext.registry
    ''')
    assert proc.returncode != 0
    err = proc.stderr
    assert 'ImportError' in err and 'namespace package' in err, err
    assert str(checkout) in err and 'Run from inside the checkout' in err
    assert 'Unpickling' not in err


def test_normal_import_is_untouched(tmp_path):
    proc = _run(tmp_path, '''
        import kp_ext
        import kp_ext.registry
        from kp_ext.registry import MODELS
        assert kp_ext.__file__.endswith('__init__.py')
        print('ok', MODELS.get('StackedHourglass').__name__)
    ''')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['ok', 'StackedHourglass']
