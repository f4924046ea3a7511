"""Training curves from mmengine's JSON logs.

``python tools/analysis/plot_curves.py WORK_DIR_OR_LOG [...] --keys loss PCK
--out curves.png``

Reads the scalar log mmengine's ``LoggerHook`` writes through
``LocalVisBackend``: ``<work_dir>/<timestamp>/vis_data/<timestamp>.json``
(else ``scalars.json``), one JSON dict per line. A work dir's runs (one
timestamp folder per start, e.g. after ``--resume``) are read in order.
Training lines carry ``iter`` (and ``epoch`` when training by epoch);
validation lines carry only ``step``, which is the epoch when training by
epoch and the iteration otherwise, so every point is placed at its
training iteration (a by-epoch validation at the last iteration of its
epoch). One panel per key, one line per log given; a key also matches a
logged ``<prefix>/<key>`` (``AP`` -> ``coco/AP``).
"""
import argparse
import glob
import json
import os.path as osp
import sys
from typing import Dict, List, Tuple

__all__ = ['find_logs', 'read_rows', 'curves', 'plot', 'main']


def find_logs(path: str) -> List[str]:
    """The JSON scalar logs of a work dir (in run order), or ``[path]``
    for a file."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path}: no such log file or work dir')
    runs = sorted(glob.glob(osp.join(path, '*', 'vis_data')) +
                  glob.glob(osp.join(path, 'vis_data')))
    logs = []
    for vis in runs:
        stamped = sorted(f for f in glob.glob(osp.join(vis, '*.json'))
                         if osp.basename(f) != 'scalars.json')
        logs += stamped or glob.glob(osp.join(vis, 'scalars.json'))
    if not logs:
        raise FileNotFoundError(
            f'{path}: no <timestamp>/vis_data/*.json (mmengine writes them '
            'with LocalVisBackend, the default vis_backends)')
    return logs


def read_rows(paths: List[str]) -> List[dict]:
    rows = []
    for path in paths:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise ValueError(f'{path}: line {n} is not JSON ({e})')
    return rows


def _match(key: str, names) -> str:
    if key in names:
        return key
    close = sorted(n for n in names if n.endswith('/' + key))
    if len(close) == 1:
        return close[0]
    raise KeyError(key)


def curves(rows: List[dict], keys: List[str]
           ) -> Dict[str, Tuple[List[float], List[float]]]:
    """{logged key: (iterations, values)} for each asked key.

    Raises ``KeyError`` naming the keys the log has when one is absent.
    """
    train = [r for r in rows if 'iter' in r]
    by_epoch = any('epoch' in r for r in train)
    last_iter_of_epoch = {}
    for r in train:
        if 'epoch' in r:
            e = r['epoch']
            last_iter_of_epoch[e] = max(last_iter_of_epoch.get(e, 0),
                                        r['iter'])
    names = sorted({k for r in rows for k in r} -
                   {'step', 'iter', 'epoch'})
    out = {}
    for key in keys:
        try:
            name = _match(key, names)
        except KeyError:
            raise KeyError(f'{key!r} is not in the log; logged keys: '
                           f'{", ".join(names)}') from None
        xs, ys = [], []
        for r in rows:
            if name not in r:
                continue
            if 'iter' in r:
                x = r['iter']
            elif by_epoch:
                x = last_iter_of_epoch.get(r['step'], r['step'])
            else:
                x = r['step']
            xs.append(float(x))
            ys.append(float(r[name]))
        out[name] = (xs, ys)
    return out


def plot(series: Dict[str, Dict[str, Tuple[list, list]]], out: str,
         title: str = '') -> None:
    """``series``: {label of a log: curves(...)}; one panel per key."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    keys = list(dict.fromkeys(k for c in series.values() for k in c))
    fig, axes = plt.subplots(len(keys), 1, sharex=True, squeeze=False,
                             figsize=(7, 2.6 * len(keys) + 0.6))
    for ax, key in zip(axes[:, 0], keys):
        for label, c in series.items():
            if key in c:
                xs, ys = c[key]
                ax.plot(xs, ys, marker='.' if len(xs) < 30 else None,
                        label=label)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize='small')
    axes[-1, 0].set_xlabel('training iteration')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('logs', nargs='+', metavar='WORK_DIR_OR_LOG')
    parser.add_argument('--keys', nargs='+', default=['loss'],
                        help='logged scalars, e.g. loss PCK NME coco/AP')
    parser.add_argument('--out', default='curves.png')
    parser.add_argument('--title', default='')
    args = parser.parse_args(argv)
    series = {}
    try:
        for path in args.logs:
            series[path] = curves(read_rows(find_logs(path)), args.keys)
    except (FileNotFoundError, KeyError, ValueError) as e:
        sys.exit(f'plot_curves: {e.args[0] if e.args else e}')
    plot(series, args.out, args.title)
    for path, c in series.items():
        parts = [f'{k}: {len(v[0])} points, last {v[1][-1]:.4g}'
                 for k, v in c.items()]
        print(f'{path}: ' + '; '.join(parts))
    print(f'curves written to {args.out}')
    return series


if __name__ == '__main__':
    main()
