"""Check a config's dataset files before the runner is built.

``tools/train.py`` and ``tools/test.py`` call :func:`check_dataset_files`
right after the config is loaded: a dataset that is not there stops with a
few lines naming the missing files and the section of ``docs/DATASETS.md``
that says where to get the data and how to lay it out, instead of a
traceback under mmengine's dump of the whole config.

The paths are read from the config itself, with each dataset class's own
defaults for keys the config leaves out (e.g. the Udacity CSVs of
``FaceLandmarkCSVDataset``): ``ann_file``, every other ``*_file`` key
(``bbox_file``, ``headbox_file``), the ``data_prefix`` folders and
``img_dirs``, joined with ``data_root`` when relative (as the readers join
them); wrapped datasets (``RegressionSplitDataset``'s ``fit``/``test``/
``holdout``, ``ConcatDataset``'s ``datasets``) are walked, and evaluators'
``*_file`` keys (``CocoKeypointMetric(ann_file=...)``) are checked as
given.
"""
import inspect
import os
import os.path as osp
from typing import Iterable, List, Optional, Tuple

__all__ = ['DATASETS_DOC', 'DatasetNotFoundError', 'dataset_docs',
           'dataset_paths', 'missing_dataset_files', 'check_dataset_files']

#: the page that says where each dataset comes from and its folder layout
DATASETS_DOC = 'docs/DATASETS.md'

# at most this many missing paths are listed (the message stays short)
_MAX_LISTED = 5


class DatasetNotFoundError(FileNotFoundError):
    """A file or folder a config's dataset needs is missing."""


def dataset_docs(dataset_type) -> str:
    """``docs/DATASETS.md#<anchor>`` for a dataset type (name or class).

    The anchor is the class attribute ``DATASET_DOCS`` of kp_ext's readers;
    unknown types get the page itself.
    """
    cls = _dataset_class(dataset_type)
    anchor = getattr(cls, 'DATASET_DOCS', None)
    return f'{DATASETS_DOC}#{anchor}' if anchor else DATASETS_DOC


def _dataset_class(dataset_type):
    if inspect.isclass(dataset_type):
        return dataset_type
    if not isinstance(dataset_type, str):
        return None
    from kp_ext.registry import DATASETS
    try:
        return DATASETS.get(dataset_type)
    except Exception:  # noqa: BLE001 - an unknown type is the runner's error
        return None


def _defaults(cls) -> dict:
    """Keyword defaults of ``cls.__init__`` (and its bases via **kwargs)."""
    out = {}
    for klass in reversed(getattr(cls, '__mro__', ())):
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        for p in params:
            if p.default is not inspect.Parameter.empty:
                out[p.name] = p.default
    return out


def _as_list(value) -> List[str]:
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str) and v]
    return [value] if isinstance(value, str) and value else []


def _join(root: str, path: str) -> str:
    return path if (osp.isabs(path) or not root) else osp.join(root, path)


def _dataset_paths(cfg: dict, where: str) -> Iterable[Tuple[str, str, str]]:
    """(path, description, dataset type) for one dataset cfg and the
    datasets it wraps."""
    dtype = cfg.get('type')
    cls = _dataset_class(dtype)
    name = getattr(cls, '__name__', str(dtype))
    for key, value in cfg.items():
        if key == 'pipeline':
            continue
        if isinstance(value, dict) and 'type' in value:
            yield from _dataset_paths(value, f'{where}.{key}')
        elif isinstance(value, (list, tuple)) and value and all(
                isinstance(v, dict) and 'type' in v for v in value):
            for i, v in enumerate(value):
                yield from _dataset_paths(v, f'{where}.{key}[{i}]')
    merged = dict(_defaults(cls), **cfg)
    root = merged.get('data_root') or ''
    keys = sorted(k for k in merged
                  if k == 'ann_file' or (k.endswith('_file')
                                         and k != 'ann_file'))
    for key in keys:
        for path in _as_list(merged.get(key)):
            yield _join(root, path), f'{where} ({name} {key})', dtype
    prefix = merged.get('data_prefix') or {}
    if isinstance(prefix, dict):
        for key, path in prefix.items():
            for p in _as_list(path):
                yield (_join(root, p), f'{where} ({name} data_prefix.{key})',
                       dtype)
    for path in _as_list(merged.get('img_dirs')):
        yield _join(root, path), f'{where} ({name} img_dirs)', dtype
    if root:
        yield root, f'{where} ({name} data_root)', dtype


def _evaluator_paths(cfg, where: str, dtype) -> Iterable[tuple]:
    metrics = cfg if isinstance(cfg, (list, tuple)) else [cfg]
    for metric in metrics:
        if not isinstance(metric, dict):
            continue
        for key, value in metric.items():
            if key.endswith('_file'):
                for path in _as_list(value):
                    yield (path, f'{where} ({metric.get("type")} {key})',
                           dtype)


def dataset_paths(cfg, phases: Iterable[str] = ('train', 'val')
                  ) -> List[Tuple[str, str, str]]:
    """Every path the ``<phase>_dataloader`` datasets and
    ``<phase>_evaluator`` metrics of ``cfg`` read: a list of
    ``(path, what needs it, docs section)``, each path once, in config
    order. Phases whose dataloader is ``None`` or absent are skipped."""
    paths, seen = [], set()
    for phase in phases:
        loader = cfg.get(f'{phase}_dataloader')
        if not isinstance(loader, dict) or not isinstance(
                loader.get('dataset'), dict):
            continue
        dataset = loader['dataset']
        found = list(_dataset_paths(dataset, f'{phase}_dataloader'))
        inner = next((t for _, _, t in found), dataset.get('type'))
        found += list(_evaluator_paths(cfg.get(f'{phase}_evaluator'),
                                       f'{phase}_evaluator', inner))
        for path, what, dtype in found:
            norm = osp.normpath(path)
            if norm not in seen:
                seen.add(norm)
                paths.append((path, what, dataset_docs(dtype)))
    return paths


def missing_dataset_files(cfg, phases: Iterable[str] = ('train', 'val')
                          ) -> List[Tuple[str, str, str]]:
    """The entries of :func:`dataset_paths` whose path does not exist."""
    return [p for p in dataset_paths(cfg, phases) if not osp.exists(p[0])]


def _shown_path(path: str) -> str:
    """The resolved absolute path (``configs/../data`` normalised), and
    the path as the config or the command line gave it when that was
    relative."""
    resolved = osp.abspath(path)
    if osp.isabs(path):
        return resolved
    return f'{resolved} (given as {path})'


def check_dataset_files(cfg, phases: Iterable[str] = ('train', 'val'),
                        config_name: Optional[str] = None) -> None:
    """Raise :class:`DatasetNotFoundError` with a short message (what is
    missing, where the docs say how to get it) when any path of
    :func:`missing_dataset_files` is missing.

    A ``data_root`` is listed only when nothing below it was listed (the
    files below a missing root are missing too and say more).
    """
    missing = missing_dataset_files(cfg, phases)
    if not missing:
        return
    listed = [m for m in missing
              if not (m[1].endswith('data_root)') and any(
                  other[0].startswith(m[0].rstrip('/') + '/')
                  for other in missing if other is not m))]
    cwd = os.getcwd()
    head = 'Dataset files not found'
    if config_name:
        head += f' for {config_name}'
    lines = [f'{head} (relative paths are from {cwd}):']
    for path, what, _ in listed[:_MAX_LISTED]:
        lines.append(f'  {_shown_path(path)}  <- {what}')
    if len(listed) > _MAX_LISTED:
        lines.append(f'  ... and {len(listed) - _MAX_LISTED} more')
    docs = list(dict.fromkeys(d for _, _, d in missing))
    lines.append('Where to get the data and the folder layout it expects: '
                 + ', '.join(docs))
    raise DatasetNotFoundError('\n'.join(lines))
