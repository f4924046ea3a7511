"""The main job on built-in data: train, evaluate and draw predictions.

Trains the quickstart Stacked Hourglass (``configs/quickstart/``) on the
project's synthetic people, evaluates it on a held-out synthetic split, and
writes pictures of its predictions. Prints where the pictures, the log and
the checkpoint are, and the final accuracy.

    python tools/quickstart.py [--config CFG] [--work-dir DIR] [--max-epochs N]
"""
import argparse
import json
import os
import os.path as osp
import time

import torch
from mmengine.config import Config

import kp_ext  # noqa: F401
from kp_ext.apis import infer_command, model_kind, training_data_summary
from kp_ext.datasets import describe_training_data
from kp_ext.engine.console import SummaryConsoleRunner, log_run_header
from kp_ext.utils.run_outputs import run_outputs
from kp_ext.utils.threads import (default_num_threads, set_num_threads,
                                 thread_rule)

DEFAULT_CONFIG = 'configs/quickstart/hourglass_synthetic.py'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument('--max-epochs', type=int, default=None,
                        help='override the config\'s training length')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: min(2, the cores this '
                        'process may use), whatever the load; on a '
                        'busy machine --threads 1 is faster)')
    return parser.parse_args()


def main():
    args = parse_args()
    threads = set_num_threads(args.threads or default_num_threads())
    rule = thread_rule(threads, args.threads)
    print(f'quickstart: {rule}', flush=True)
    repo = osp.dirname(osp.dirname(osp.abspath(__file__)))
    os.chdir(repo)
    cfg = Config.fromfile(args.config)
    cfg.work_dir = args.work_dir
    if args.max_epochs is not None:
        cfg.train_cfg.max_epochs = args.max_epochs
    if not torch.cuda.is_available():
        cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    # pictures of the test-set predictions
    cfg.default_hooks.visualization.enable = True
    cfg.default_hooks.visualization.out_dir = 'vis'

    t0 = time.time()
    runner = SummaryConsoleRunner.from_cfg(cfg)  # header, no cfg dump
    log_run_header(runner, args.config)
    runner.train()
    train_s = time.time() - t0
    metrics = runner.test()

    out = run_outputs(runner)
    ckpt, vis_dir = out['checkpoint'], out['vis_dir']
    pictures, log_file = out['pictures'], out['log_file']
    with open(osp.join(cfg.work_dir, 'quickstart_metrics.json'), 'w') as f:
        json.dump(dict({k: float(v) for k, v in metrics.items()},
                       train_minutes=train_s / 60, threads=threads,
                       thread_rule=rule), f, indent=2)

    print('\n' + '=' * 70)
    print(f'quickstart finished: trained {runner.train_loop.max_epochs} '
          f'epochs in {train_s / 60:.1f} min')
    print(f'pictures   : {vis_dir} ({len(pictures)} images)')
    print(f'log        : {log_file}')
    print(f'checkpoint : {ckpt}')
    print(training_data_summary(describe_training_data(cfg),
                                model_kind(runner.model)))
    print('final accuracy on held-out synthetic people:')
    for k, v in metrics.items():
        print(f'  {k:<16s} {float(v):.4f}')
    print(f'threads    : {rule}')
    if ckpt:
        print('run the checkpoint on your own images or videos (here: a '
              'held-out synthetic image):')
        print('  ' + infer_command(cfg, ckpt, cfg.work_dir, threads))
    print('=' * 70)


if __name__ == '__main__':
    main()
