"""Check a config's data before a long training: what is present, missing
or malformed.

    python tools/misc/check_data.py CONFIG [--phases train,val,test]
        [--cfg-options KEY=VALUE ...]

Every file and folder the config's datasets and evaluators read
(``kp_ext.datasets.dataset_paths``: annotation files, ``*_file`` keys,
image folders, ``data_root``) gets one line: ``present``, ``MISSING`` or
``MALFORMED`` (an empty file, a json / csv / .mat / .npy file that does
not parse, an empty folder), each path resolved to an absolute one. Then,
for each phase whose files are all there, the dataset is built with its
reader (which checks the annotations themselves) and the images its
samples name are looked for: ``train: CocoDataset 149,813 samples;
images: 56,599 of 56,599 present``. Exit status 0 when everything is
present and well-formed, 1 otherwise (with the ``docs/DATASETS.md``
section that says where to get the data and its layout), 2 for a bad
command line.
"""
import argparse
import contextlib
import csv
import io
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Tuple

from mmengine.config import Config

import kp_ext  # noqa: F401  (registers the readers)
from kp_ext.datasets import dataset_docs, dataset_paths
from kp_ext.utils.cli import CfgOptionsAction, check_config

PHASES = ('train', 'val', 'test')
#: images listed per phase when some are missing
_MAX_LISTED = 3


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--phases', default=','.join(PHASES),
                        help='comma-separated dataloaders to check '
                        '(default: train,val,test)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override config settings, e.g. '
                        'train_dataloader.dataset.data_root=/data/coco/')
    args = parser.parse_args(argv)
    args.phases = tuple(p for p in args.phases.split(',') if p)
    bad = [p for p in args.phases if p not in PHASES]
    if bad:
        parser.error(f'--phases {",".join(bad)}: not one of '
                     f'{", ".join(PHASES)}')
    if not osp.isfile(args.config):
        parser.error(f'config file {args.config} not found')
    return args


def file_problem(path: str) -> Optional[str]:
    """Why the existing file or folder ``path`` cannot be read, or None:
    an empty file or folder, or a json / csv / .mat / .npy file that does
    not parse (the readers check the content further)."""
    if osp.isdir(path):
        return None if os.listdir(path) else 'empty folder'
    size = osp.getsize(path)
    if size == 0:
        return 'empty file (0 bytes)'
    ext = osp.splitext(path)[1].lower()
    try:
        if ext == '.json':
            with open(path, 'rb') as f:
                json.loads(f.read())
        elif ext == '.csv':
            with open(path, newline='') as f:
                rows = sum(1 for row in csv.reader(f) if row)
            if rows < 2:
                return f'no data rows ({rows} row(s))'
        elif ext == '.mat':
            import scipy.io
            scipy.io.loadmat(path)
        elif ext == '.npy':
            import numpy as np
            np.load(path, allow_pickle=False)
    except ImportError:  # scipy absent: the reader will tell
        return None
    except Exception as e:  # noqa: BLE001 - the message is the answer
        kind = {'.json': 'not valid JSON', '.csv': 'not a readable CSV',
                '.mat': 'not a readable MATLAB file',
                '.npy': 'not a readable .npy file'}[ext]
        return f'{kind}: {str(e).splitlines()[0] if str(e) else type(e)}'
    return None


def check_files(cfg, phases) -> List[Tuple[str, str, str, str, str]]:
    """(status, absolute path, problem, what needs it, docs section) of
    every path of ``phases``; status ``present``, ``MISSING`` or
    ``MALFORMED``."""
    rows = []
    for path, what, docs in dataset_paths(cfg, phases):
        resolved = osp.abspath(path)
        if not osp.exists(resolved):
            rows.append(('MISSING', resolved, '', what, docs))
            continue
        # a data_root is only a parent: what is below it says more
        problem = (None if what.endswith('data_root)')
                   else file_problem(resolved))
        rows.append(('MALFORMED' if problem else 'present', resolved,
                     problem or '', what, docs))
    return rows


def _image_paths(dataset) -> Optional[list]:
    """The ``img_path`` of every sample of a built dataset (through
    ``fit``/``test``/``holdout`` and ``datasets`` wrappers), or None when
    the dataset generates its images."""
    if getattr(type(dataset), 'SYNTHETIC', False):
        return None
    parts = [getattr(dataset, k) for k in ('fit', 'test', 'holdout')
             if getattr(dataset, k, None) is not None]
    parts += list(getattr(dataset, 'datasets', None) or [])
    inner = getattr(dataset, 'dataset', None)
    if inner is not None and not parts:
        parts = [inner]
    if parts:
        found = [_image_paths(p) for p in parts]
        if all(f is None for f in found):
            return None
        return [p for f in found if f for p in f]
    if not hasattr(dataset, 'get_data_info'):
        return []
    paths = []
    for i in range(len(dataset)):  # also when mmengine serialised the list
        info = dataset.get_data_info(i)
        if isinstance(info, dict) and info.get('img_path'):
            paths.append(info['img_path'])
    return paths


def check_phase(cfg, phase: str) -> Tuple[bool, str]:
    """(ok, line) after building the phase's dataset with its reader and
    looking for the images its samples name."""
    from mmengine.registry import init_default_scope
    from kp_ext.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'kp_ext'))
    loader = cfg.get(f'{phase}_dataloader')
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # xtcocotools' chat
            dataset = DATASETS.build(loader['dataset'])
    except Exception as e:  # noqa: BLE001 - the reader's message
        msg = str(e).strip().splitlines()
        return False, (f'{phase}: MALFORMED - the reader '
                       f'({loader["dataset"].get("type")}) failed: '
                       f'{type(e).__name__}: {msg[0] if msg else ""}')
    name = type(dataset).__name__
    try:
        size = f'{len(dataset):,} samples'
    except TypeError:
        size = 'samples'
    images = _image_paths(dataset)
    if images is None:
        return True, f'{phase}: {name} {size}; images generated in memory'
    unique = list(dict.fromkeys(images))
    missing = [p for p in unique if not osp.isfile(p)]
    line = (f'{phase}: {name} {size}; images: '
            f'{len(unique) - len(missing):,} of {len(unique):,} present')
    if missing:
        first = ', '.join(osp.abspath(p) for p in missing[:_MAX_LISTED])
        line += f' - MISSING {len(missing):,} (first: {first})'
    return not missing, line


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    check_config(cfg, args.config)
    phases = [p for p in args.phases if isinstance(
        cfg.get(f'{p}_dataloader'), dict)]
    print(f'check_data: {args.config} (relative paths are from '
          f'{os.getcwd()})')
    rows = check_files(cfg, phases)
    for status, path, problem, what, _ in rows:
        extra = f': {problem}' if problem else ''
        print(f'  {status:<9s} {path}{extra}  <- {what}')
    bad = [r for r in rows if r[0] != 'present']
    failed = 0
    for phase in phases:
        if any(r[3].startswith(f'{phase}_') for r in bad):
            print(f'{phase}: not built (files missing or malformed above)')
            continue
        phase_ok, line = check_phase(cfg, phase)
        print(line)
        failed += not phase_ok
    ok = not bad and not failed
    missing = sum(r[0] == 'MISSING' for r in rows)
    malformed = sum(r[0] == 'MALFORMED' for r in rows)
    if ok:
        print(f'all {len(rows)} path(s) present and readable')
        return 0
    docs = list(dict.fromkeys(r[4] for r in bad)) or [
        dataset_docs(cfg.get(f'{p}_dataloader')['dataset'].get('type'))
        for p in phases]
    print(f'{missing} missing, {malformed} malformed, {failed} split(s) '
          'whose annotations or images fail; where to get the data and the '
          f'layout it expects: {", ".join(dict.fromkeys(docs))}')
    return 1


if __name__ == '__main__':
    sys.exit(main())
