"""List kp_ext's registered components with their one-line docstrings.

``python tools/misc/list_components.py [--registry models] [--names]``

Registries import their modules lazily (``MODELS.module_dict`` is empty
until something is built), so every ``kp_ext`` sub-package is imported
first; each then registers all of its modules.
"""
import argparse
import importlib
import inspect
import pkgutil
import re
import sys

import kp_ext
import kp_ext.registry as registry_module
from mmengine.registry import Registry

__all__ = ['kp_ext_registries', 'import_all', 'components', 'main']


def kp_ext_registries():
    """{lower-case variable name in kp_ext/registry.py: Registry}."""
    return {
        name.lower(): obj
        for name, obj in vars(registry_module).items()
        if isinstance(obj, Registry) and obj.scope == 'kp_ext'
    }


def import_all():
    """Import every sub-package of kp_ext (so every component registers).

    Returns the names that failed to import with the error, so a broken
    optional module is reported instead of hiding its components.
    """
    failed = {}
    for info in pkgutil.iter_modules(kp_ext.__path__):
        if info.name.startswith('_') or not info.ispkg:
            continue
        try:
            importlib.import_module(f'kp_ext.{info.name}')
        except Exception as e:  # noqa: BLE001 - reported to the user
            failed[f'kp_ext.{info.name}'] = f'{type(e).__name__}: {e}'
    return failed


# a full stop followed by a new sentence (not "et al. 2016", "e.g. x")
_SENTENCE_END = re.compile(r'(?<!\bal)(?<!e\.g)(?<!i\.e)\.\s+(?=[A-Z`(])')


def first_doc_line(obj, width: int = 100) -> str:
    """The first sentence of the docstring's first paragraph, on one line
    (cut to ``width`` characters)."""
    doc = inspect.getdoc(obj) or ''
    paragraph = []
    for line in doc.splitlines():
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    text = ' '.join(paragraph)
    if not text:
        return '(no docstring)'
    end = _SENTENCE_END.search(text)
    if end:
        text = text[:end.start() + 1]
    return text if len(text) <= width else text[:width - 3] + '...'


def components(registry: Registry):
    """[(registered name, one-line docstring)] sorted by name."""
    return sorted((name, first_doc_line(obj))
                  for name, obj in registry.module_dict.items())


def _resolve(name, registries):
    key = name.lower().replace('-', '_')
    if key in registries:
        return key
    for var, reg in registries.items():  # the registry's own name too
        if reg.name.lower().replace(' ', '_') == key:
            return var
    # singular/plural, or the end of the name ('codecs' -> keypoint_codecs)
    stem = key.rstrip('s')
    close = [var for var in registries
             if var.rstrip('s') == stem or var.rstrip('s').endswith(
                 '_' + stem)]
    if len(close) == 1:
        return close[0]
    sys.exit(f'list_components: unknown registry {name!r}; one of: '
             f'{", ".join(sorted(registries))}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--registry', nargs='+', metavar='NAME',
                        help='only these registries (e.g. models datasets '
                        'transforms metrics hooks keypoint_codecs)')
    parser.add_argument('--names', action='store_true',
                        help='names only, no docstrings')
    args = parser.parse_args(argv)
    failed = import_all()
    registries = kp_ext_registries()
    chosen = ([_resolve(n, registries) for n in args.registry]
              if args.registry else sorted(registries))
    for var in chosen:
        entries = components(registries[var])
        if not entries:
            if args.registry:
                print(f'{var}: (none registered in kp_ext)')
            continue
        print(f'{var} ({len(entries)}):')
        width = max(len(n) for n, _ in entries)
        for name, doc in entries:
            print(f'  {name}' if args.names else
                  f'  {name.ljust(width)}  {doc}')
    for module, error in failed.items():
        print(f'could not import {module}: {error}', file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
