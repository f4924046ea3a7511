"""Speed and size benchmarks (numbers, never asserts).

    python tools/benchmark.py codec       # GaussianHeatmap encode/decode
    python tools/benchmark.py pipeline    # top-down data pipeline samples/s
    python tools/benchmark.py model       # hourglass fwd/bwd samples/s,
                                          # parameters, FLOPs (1, 2, 8 stacks)
    python tools/benchmark.py paf         # OpenPose grouping latency, AP
    python tools/benchmark.py all
    python tools/benchmark.py accuracy --model openpose|mouse|faces|fse
        [--minutes M] [--threads T]   # train within a budget, evaluate,
                                      # print beside baselines / oracles
                                      # (benchmarks/accuracy.py; not in all)

Each section prints its baseline measured in the same run and the ratio
against it. MMPose's own codecs are timed against ours by
``../shared/bench`` (see README).
"""
import argparse
import os.path as osp
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)


def bench_codec(args):
    from benchmarks import codecs
    codecs.main([])


def _time_pipeline(dataset, n):
    t0 = time.perf_counter()
    for i in range(n):
        dataset[i % len(dataset)]
    return n / (time.perf_counter() - t0)


def bench_pipeline(args):
    """Samples/s of the quickstart's top-down training pipeline, against
    rendering alone (the baseline: what the synthetic data costs)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from kp_ext.registry import DATASETS
    init_default_scope('kp_ext')
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/quickstart/hourglass_synthetic.py'))
    ds_cfg = cfg.train_dataloader.dataset
    n = args.samples
    render_only = DATASETS.build(dict(ds_cfg, pipeline=[]))
    full = DATASETS.build(ds_cfg)
    load_crop = DATASETS.build(
        dict(ds_cfg, pipeline=[t for t in ds_cfg.pipeline
                               if t['type'] != 'GenerateTarget']))
    base = _time_pipeline(render_only, n)
    rows = [('render only (baseline)', base),
            ('pipeline without GenerateTarget', _time_pipeline(load_crop, n)),
            ('full train pipeline', _time_pipeline(full, n))]
    print(f'\nTop-down pipeline, {n} samples, one process '
          '(quickstart config: 192x192 scenes -> 128x128 crops)')
    print(f'{"stage":36s} {"samples/s":>10s} {"vs baseline":>12s}')
    for name, v in rows:
        print(f'{name:36s} {v:10.1f} {v / base:11.2f}x')


def bench_model(args):
    """Hourglass forward/backward throughput, parameters and FLOPs."""
    from kp_ext.models.backbones.stacked_hourglass import StackedHourglass
    try:
        from mmengine.analysis import get_model_complexity_info
    except ImportError:  # pragma: no cover
        get_model_complexity_info = None
    size = args.input_size
    bs = args.batch_size
    print(f'\nStacked Hourglass (256 channels, 16 outputs), input '
          f'{size}x{size}, batch {bs}, {torch.get_num_threads()} threads')
    print(f'{"stacks":>6s} {"params (M)":>10s} {"GFLOPs":>8s} '
          f'{"fwd samp/s":>10s} {"fwd+bwd samp/s":>14s} {"vs 1 stack":>10s}')
    base = None
    for stacks in args.stacks:
        model = StackedHourglass(num_stacks=stacks, num_channels=256,
                                 out_channels=16)
        params = sum(p.numel() for p in model.parameters()) / 1e6
        gflops = float('nan')
        if get_model_complexity_info is not None:
            info = get_model_complexity_info(
                model, input_shape=(3, size, size), show_table=False,
                show_arch=False)
            gflops = info['flops'] / 1e9
        x = torch.randn(bs, 3, size, size)
        model.eval()
        with torch.no_grad():
            model(x)
            t0 = time.perf_counter()
            for _ in range(args.iters):
                model(x)
            fwd = bs * args.iters / (time.perf_counter() - t0)
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=1e-6)
        outs = model(x)
        sum(o.mean() for o in outs).backward()
        t0 = time.perf_counter()
        for _ in range(args.iters):
            opt.zero_grad()
            outs = model(x)
            sum(o.mean() for o in outs).backward()
            opt.step()
        train = bs * args.iters / (time.perf_counter() - t0)
        base = base or train
        print(f'{stacks:6d} {params:10.2f} {gflops:8.1f} {fwd:10.2f} '
              f'{train:14.2f} {train / base:9.2f}x')


def bench_paf(args):
    from benchmarks import paf_grouping
    sys.argv = ['paf_grouping.py', '--repeat', '5']
    paf_grouping.main()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == 'accuracy':
        from benchmarks import accuracy
        accuracy.main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('what', nargs='?', default='all',
                        choices=['codec', 'pipeline', 'model', 'paf', 'all'])
    parser.add_argument('--samples', type=int, default=200)
    parser.add_argument('--input-size', type=int, default=256)
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--stacks', type=int, nargs='+', default=[1, 2, 8])
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    steps = dict(codec=bench_codec, pipeline=bench_pipeline,
                 model=bench_model, paf=bench_paf)
    for name, fn in steps.items():
        if args.what in (name, 'all'):
            fn(args)


if __name__ == '__main__':
    main()
