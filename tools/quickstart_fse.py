"""Unsupervised landmarks on built-in data: train FSE, evaluate, draw.

Trains Factorized Spatial Embeddings (``configs/quickstart/fse_synthetic.py``)
on the synthetic deformable faces, evaluates the discovered landmarks with
the linear-regression protocol (regressor fitted on one synthetic split,
tested on another) and draws the paper's figures: the same landmarks in the
same colours over a grid of test images, and image / warped-image pairs.

    python tools/quickstart_fse.py [--config CFG] [--work-dir DIR]
        [--max-iters N] [--threads T]
"""
import argparse
import json
import os
import os.path as osp
import time

import cv2
import torch
from mmengine.config import Config

import kp_ext  # noqa: F401
from kp_ext.apis import infer_command, model_kind, training_data_summary
from kp_ext.datasets import describe_training_data
from kp_ext.engine.console import SummaryConsoleRunner, log_run_header
from kp_ext.utils.threads import (default_num_threads, set_num_threads,
                                 thread_rule)
from kp_ext.visualization.landmark_drawing import (draw_landmark_grid,
                                                   fse_pair_figure)
from kp_ext.visualization.utils import distinct_colors

DEFAULT_CONFIG = 'configs/quickstart/fse_synthetic.py'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--work-dir', default='work_dirs/quickstart_fse')
    parser.add_argument('--max-iters', type=int, default=None,
                        help="override the config's training length")
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: min(2, the cores this '
                        'process may use), whatever the load; on a '
                        'busy machine --threads 1 is faster)')
    parser.add_argument('--num-vis', type=int, default=16,
                        help='test images in the landmark grid')
    return parser.parse_args()


def collect_test_batch(runner, num: int):
    """(images BGR uint8 list, network inputs) of the first ``num`` test
    samples (the ``test`` part of the RegressionSplitDataset)."""
    ds = runner.test_dataloader.dataset
    ds = getattr(ds, 'test', ds)
    items = [ds[i] for i in range(min(num, len(ds)))]
    data = runner.model.data_preprocessor(
        dict(inputs=[it['inputs'] for it in items],
             data_samples=[it['data_samples'] for it in items]), False)
    images = [it['inputs'].permute(1, 2, 0).numpy().copy() for it in items]
    return images, data['inputs']


def draw_figures(runner, out_dir: str, num: int) -> list:
    model = runner.model
    model.eval()
    images, inputs = collect_test_batch(runner, num)
    with torch.no_grad():
        lms, _ = model.extract_landmarks(inputs)
    k = lms.shape[1]
    colors = distinct_colors(k)
    os.makedirs(out_dir, exist_ok=True)
    grid = draw_landmark_grid(images, lms.numpy(), colors=colors, ncols=8,
                              scale=3.0, radius=3)
    grid_path = osp.join(out_dir, 'landmark_grid.png')
    cv2.imwrite(grid_path, grid)
    gen = torch.Generator().manual_seed(0)
    # the data preprocessor converted BGR->RGB: flip back for cv2
    pre = model.data_preprocessor
    pairs = fse_pair_figure(model, inputs, num=4, generator=gen,
                            flip_channels=bool(pre._channel_conversion),
                            scale=3.0)
    pairs_path = osp.join(out_dir, 'warp_pairs.png')
    cv2.imwrite(pairs_path, pairs)
    return [grid_path, pairs_path]


def main():
    args = parse_args()
    threads = set_num_threads(args.threads or default_num_threads())
    rule = thread_rule(threads, args.threads)
    print(f'quickstart: {rule}', flush=True)
    repo = osp.dirname(osp.dirname(osp.abspath(__file__)))
    os.chdir(repo)
    cfg = Config.fromfile(args.config)
    cfg.work_dir = args.work_dir
    if args.max_iters is not None:
        cfg.train_cfg.max_iters = args.max_iters
        cfg.train_cfg.val_interval = args.max_iters
        cfg.default_hooks.checkpoint.interval = args.max_iters
    if not torch.cuda.is_available():
        cfg.env_cfg.dist_cfg['backend'] = 'gloo'

    t0 = time.time()
    runner = SummaryConsoleRunner.from_cfg(cfg)  # header, no cfg dump
    log_run_header(runner, args.config)
    runner.train()
    train_s = time.time() - t0
    metrics = runner.test()
    pictures = draw_figures(runner, osp.join(runner.log_dir, 'vis'),
                            args.num_vis)

    last = osp.join(cfg.work_dir, 'last_checkpoint')
    ckpt = open(last).read().strip() if osp.exists(last) else None
    log_file = osp.join(runner.log_dir, f'{runner.timestamp}.log')
    iters = runner.train_loop.max_iters
    bs = cfg.train_dataloader.batch_size
    result = {k: float(v) for k, v in metrics.items()}
    result.update(train_minutes=train_s / 60, iters=iters, threads=threads,
                  thread_rule=rule,
                  pairs_per_s=iters * bs / train_s)
    with open(osp.join(cfg.work_dir, 'quickstart_fse_metrics.json'),
              'w') as f:
        json.dump(result, f, indent=2)

    print('\n' + '=' * 70)
    print(f'FSE quickstart finished: {iters} iterations ({iters * bs} '
          f'pairs) in {train_s / 60:.1f} min '
          f'({iters * bs / train_s:.1f} pairs/s incl. validation)')
    print(f'pictures   : {", ".join(pictures)}')
    print(f'log        : {log_file}')
    print(f'checkpoint : {ckpt}')
    print(training_data_summary(describe_training_data(cfg),
                                model_kind(runner.model)))
    print('landmark regression on held-out synthetic faces (NME, % of the '
          'inter-eye distance):')
    for k, v in metrics.items():
        print(f'  {k:<20s} {float(v):.2f}')
    print(f'threads    : {rule}')
    if ckpt:
        print('run the checkpoint on your own images or videos (here: a '
              'held-out synthetic image):')
        print('  ' + infer_command(cfg, ckpt, cfg.work_dir, threads))
    print('=' * 70)


if __name__ == '__main__':
    main()
