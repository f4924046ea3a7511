"""Time-bounded FSE benchmark on the shared 68-point faces.

Trains ``configs/fse_faces.py`` (or ``--config``) on the training
identities of ``../shared/data/youtube_faces_68lm_udacity`` for
``--minutes`` of wall-clock training, then evaluates the discovered
landmarks with the linear-regression protocol: the regressor is fitted on
the training identities and tested on the held-back identities (identity
split of ``FaceLandmarkCSVDataset``). Reports the 68-point and 5-point NME
of kp_ext's protocol (% of the outer-eye-corner distance) and, on the same
predictions, the literature's MAFL protocol (``NME_mafl``: 5 points, least
squares without bias, % of the eye-centre distance; when the config's
evaluator has it, as ``configs/fse_faces.py``), the mean-shape baselines
beside them, the ratio of the two normalisers measured on the held-back
faces, and the training throughput in image pairs per second (training
iterations only, data loading included, evaluation excluded). The final
weights are saved as ``WORK_DIR/final.pth``.

``--select-by KEY`` (with ``--val-every N``) keeps the checkpoint with the
lowest ``KEY`` among the periodic evaluations and the final weights and
reports the held-back error of that checkpoint beside the final one:
``NME_holdout`` (default config: the regression error on holdout
identities that neither training nor the regressor fit sees) or
``NME_fit_cv`` (cross-validated over the training identities; see
``LandmarkRegressionMetric``). The choice never looks at the held-back
identities.

    python tools/fse_benchmark.py --minutes 60 [--config CFG]
        [--work-dir DIR] [--threads T] [--batch-size B] [--cosine-lr]
        [--val-every N [--select-by NME_holdout]] [--json OUT]
"""
import argparse
import json
import os
import os.path as osp
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from kp_ext.engine.hooks.time_budget_hook import TimeBudgetHook

DEFAULT_CONFIG = 'configs/fse_faces.py'


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config', default=DEFAULT_CONFIG)
    p.add_argument('--minutes', type=float, default=60.0,
                   help='training time budget (wall clock)')
    p.add_argument('--work-dir', default='work_dirs/fse_benchmark')
    p.add_argument('--data-root', default=None,
                   help='override the faces folder')
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--batch-size', type=int, default=None)
    p.add_argument('--val-every', type=int, default=0,
                   help='also evaluate every N iterations (0: only at end)')
    p.add_argument('--cosine-lr', action='store_true',
                   help='anneal the learning rate over the time budget '
                   '(cosine, down to 2 %%)')
    p.add_argument('--select-by', default=None,
                   choices=('NME_holdout', 'NME_fit_cv'),
                   help='report the checkpoint with the lowest value of '
                   'this metric (never computed on the held-back '
                   'identities) among the --val-every evaluations and the '
                   'final weights')
    p.add_argument('--json', default=None, help='write the results here')
    return p.parse_args()


def _set_data_root(cfg, root):
    def visit(node):
        if isinstance(node, dict):
            if 'data_root' in node:
                node['data_root'] = root
            for v in node.values():
                visit(v)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        visit(cfg[key])


def main():
    args = parse_args()
    if args.select_by and not args.val_every:
        raise SystemExit('--select-by needs --val-every N')
    if args.threads:
        torch.set_num_threads(args.threads)
    repo = osp.dirname(osp.dirname(osp.abspath(__file__)))
    os.chdir(repo)
    cfg = Config.fromfile(args.config)
    cfg.work_dir = args.work_dir
    if args.data_root:
        _set_data_root(cfg, args.data_root)
    if args.batch_size:
        cfg.train_dataloader.batch_size = args.batch_size
    big = 10**9
    cfg.train_cfg.max_iters = big
    cfg.train_cfg.val_interval = args.val_every or big
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=big,
                                        by_epoch=False, save_last=True)
    if args.select_by:
        cfg.default_hooks.checkpoint.update(save_best=args.select_by,
                                            rule='less')
    if not torch.cuda.is_available():
        cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    cfg.test_evaluator = with_protocol_split(cfg.test_evaluator)

    runner = Runner.from_cfg(cfg)
    budget = TimeBudgetHook(minutes=args.minutes,
                            lr_schedule='cosine' if args.cosine_lr else None)
    runner.register_hook(budget)
    t0 = time.time()
    runner.train()
    wall = time.time() - t0
    # the evaluated weights (the EMA ones where the config averages), for
    # tools/test.py and tools/analysis/fse_diagnose.py
    runner.save_checkpoint(cfg.work_dir, 'final.pth', save_optimizer=False,
                           save_param_scheduler=False)
    metrics = {k: float(v) for k, v in runner.test().items()}
    final = dict(iter=budget.iters, **metrics)
    selected = None
    if args.select_by:
        selected = select_checkpoint(runner, final, args.select_by)
        metrics = {k: v for k, v in selected.items() if k != 'iter'}
    norm_ratio = normaliser_ratio(runner)
    bs = cfg.train_dataloader.batch_size
    pairs_per_s = budget.iters * bs / max(budget.train_time, 1e-9)
    res = dict(
        config=args.config, minutes=budget.train_time / 60,
        cosine_lr=bool(args.cosine_lr),
        iters=budget.iters, batch_size=bs, pairs_per_s=pairs_per_s,
        threads=torch.get_num_threads(), wall_minutes=wall / 60,
        outer_corner_over_eye_centre_distance=norm_ratio, **metrics)
    if selected is not None:
        res.update(selected_iter=selected['iter'], final=final)
    out = args.json or osp.join(cfg.work_dir, 'fse_benchmark.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(res, f, indent=2)
    print('\n' + '=' * 70)
    print(f'FSE faces benchmark ({args.config}): trained {budget.iters} '
          f'iterations x {bs} pairs in {budget.train_time / 60:.1f} min '
          f'-> {pairs_per_s:.1f} pairs/s ({torch.get_num_threads()} '
          'threads)')
    if selected is not None:
        key = args.select_by
        print(f'checkpoint chosen by {key}: iteration {selected["iter"]} '
              f'({key} {selected[key]:.2f} %; final weights: '
              f'{final["NME"]:.2f} % / '
              f'{final.get("NME_5pt", float("nan")):.2f} % held back, '
              f'{key} {final[key]:.2f} %)')
    print('held-back identities, NME % of outer-eye-corner distance:')
    print(f'  68 points: FSE {res.get("NME", float("nan")):6.2f}   '
          f'mean shape {res.get("NME_baseline", float("nan")):6.2f}')
    print(f'   5 points: FSE {res.get("NME_5pt", float("nan")):6.2f}   '
          f'mean shape {res.get("NME_5pt_baseline", float("nan")):6.2f}')
    if 'NME_mafl' in res:
        print('same predictions, literature protocol (5 points, least '
              'squares without bias, % of eye-centre distance):')
        print(f'   NME_mafl: FSE {res["NME_mafl"]:6.2f}   '
              f'mean shape {res["NME_mafl_baseline"]:6.2f}')
        print('   the same with a bias term: '
              f'{res.get(BIAS_KEY, float("nan")):6.2f}')
    if norm_ratio is not None:
        print('outer-eye-corner / eye-centre distance on the held-back '
              f'faces: {norm_ratio:.3f} (kp_ext NME_5pt x ratio = '
              f'{res.get("NME_5pt", float("nan")) * norm_ratio:.2f})')
    print(f'results    : {out}')
    print('=' * 70)


BIAS_KEY = 'mafl_bias/NME_mafl'


def with_protocol_split(evaluator):
    """The test evaluator plus the literature's protocol (``NME_mafl``) if
    missing and the same with a bias term (``mafl_bias/NME_mafl``), so the
    gap between the protocols splits into normaliser, ridge and bias on
    the same predictions (docs/PROTOCOLS.md). Only for
    ``LandmarkRegressionMetric`` evaluators."""
    metrics = list(evaluator) if isinstance(evaluator, (list, tuple)) \
        else [evaluator]
    if not any(m.get('type') == 'LandmarkRegressionMetric'
               for m in metrics):
        return evaluator
    if not any(m.get('protocol') == 'mafl' and not m.get('bias')
               for m in metrics):
        metrics.append(dict(type='LandmarkRegressionMetric',
                            protocol='mafl'))
    metrics.append(dict(type='LandmarkRegressionMetric', protocol='mafl',
                        bias=True, prefix=BIAS_KEY.split('/')[0]))
    return metrics


def normaliser_ratio(runner):
    """Mean over the held-back (test) faces of the outer-eye-corner
    distance (points 36, 45) over the eye-centre distance (means of 36-41
    and 42-47); ``None`` unless they have 68 points."""
    ds = getattr(runner.test_dataloader.dataset, 'test', None)
    if ds is None or getattr(ds, 'num_keypoints', None) != 68:
        return None
    pts = np.stack([ds.get_data_info(i)['keypoints'][0]
                    for i in range(len(ds))]).astype(np.float64)
    outer = np.linalg.norm(pts[:, 36] - pts[:, 45], axis=-1)
    centre = np.linalg.norm(pts[:, 36:42].mean(1) - pts[:, 42:48].mean(1),
                            axis=-1)
    return float(np.mean(outer / centre))


def select_checkpoint(runner, final: dict, key: str) -> dict:
    """The final weights' metrics, or those of the best periodic
    checkpoint by ``key`` (lower is better) when it is lower."""
    if key not in final:
        raise SystemExit(f'--select-by {key}: the metric reports no {key} '
                         '(NME_fit_cv needs a list of alphas, NME_holdout a '
                         'holdout dataset)')
    path = runner.message_hub.get_info('best_ckpt')
    best = runner.message_hub.get_info('best_score')
    if path is None or best is None or best >= final[key]:
        return final
    ckpt = runner.load_checkpoint(path)
    metrics = {k: float(v) for k, v in runner.test().items()}
    return dict(iter=int(ckpt['meta']['iter']), **metrics)


if __name__ == '__main__':
    main()
