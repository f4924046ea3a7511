"""Training throughput of the FSE components (pairs per second, CPU).

One step = sample two random TPS warps per image and build the pair
(``TPSWarp.make_pair``), forward both images through ``FSEConvNet``,
``LandmarkHead.loss`` (equivariance + diversity), backward, SGD step.
Images are random 96x96 RGB tensors (the step cost does not depend on the
content). Threads: ``torch.set_num_threads(--threads)`` (default 2).

    python benchmarks/fse_throughput.py                   # paper vs fast
    python benchmarks/fse_throughput.py --configs fast --batch 32 --iters 20

Each config is timed after ``--warmup`` steps; rounds of configs are
interleaved (``--rounds``) and the best and median round are reported, so
background load on a shared machine shows up as a spread, not a bias
towards one config.
"""
import argparse
import contextlib
import statistics
import time

import torch

from kp_ext.models.backbones.fse_convnet import FSEConvNet
from kp_ext.models.heads.landmark_head import LandmarkHead
from kp_ext.models.utils.tps_warp import TPSWarp

CONFIGS = dict(
    paper=dict(backbone=dict(arch='paper'), channels_last=False,
               bf16=False, compose=True),
    paper_cl=dict(backbone=dict(arch='paper'), channels_last=True,
                  bf16=False, compose=True),
    dilated=dict(backbone=dict(arch='dilated'), channels_last=True,
                 bf16=False, compose=True),
    fast=dict(backbone=dict(arch='fast'), channels_last=True, bf16=False,
              compose=True),
    fast_nocl=dict(backbone=dict(arch='fast'), channels_last=False,
                   bf16=False, compose=True),
    fast_bf16=dict(backbone=dict(arch='fast'), channels_last=True,
                   bf16=True, compose=True),
    fast_nocompose=dict(backbone=dict(arch='fast'), channels_last=True,
                        bf16=False, compose=False),
)


class Step:
    """One FSE training step for a config."""

    def __init__(self, cfg, num_keypoints, batch, size, seed=0):
        torch.manual_seed(seed)
        self.cfg = cfg
        self.net = FSEConvNet(num_keypoints, channels_last=cfg[
            'channels_last'], **cfg['backbone'])
        self.head = LandmarkHead(num_keypoints, input_size=(size, size))
        self.warp = TPSWarp(compose=cfg['compose'])
        params = list(self.net.parameters()) + list(self.head.parameters())
        self.opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9)
        self.images = torch.rand(batch, 3, size, size)
        self.batch = batch

    def __call__(self):
        x1, x2, t2 = self.warp.make_pair(self.images)
        ctx = (torch.autocast('cpu', dtype=torch.bfloat16)
               if self.cfg['bf16'] else contextlib.nullcontext())
        with ctx:
            # both images in one batch: one pass, BN statistics shared
            maps = self.net(torch.cat([x1, x2], 0))[0]
        m1, m2 = maps.float().split(self.batch, 0)
        losses = self.head.loss((m1, ), (m2, ), t2)
        loss = sum(losses.values())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return float(loss.detach())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+', default=['paper', 'fast'],
                        choices=sorted(CONFIGS))
    parser.add_argument('--batch', type=int, default=32, help='pairs/step')
    parser.add_argument('--size', type=int, default=96)
    parser.add_argument('--keypoints', type=int, default=10)
    parser.add_argument('--iters', type=int, default=5,
                        help='timed steps per round')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    steps = {}
    for name in args.configs:
        step = Step(CONFIGS[name], args.keypoints, args.batch, args.size)
        for _ in range(args.warmup):
            step()
        steps[name] = step
    results = {name: [] for name in args.configs}
    for _ in range(args.rounds):
        for name, step in steps.items():
            t0 = time.perf_counter()
            for _ in range(args.iters):
                step()
            dt = time.perf_counter() - t0
            results[name].append(args.batch * args.iters / dt)
    print(f'threads={args.threads} batch={args.batch} pairs, '
          f'{args.size}x{args.size}, K={args.keypoints}, '
          f'{args.iters} steps x {args.rounds} rounds')
    print(f'{"config":16s} {"best":>8s} {"median":>8s}  pairs/s  '
          'stride params')
    for name, vals in results.items():
        net = steps[name].net
        n_params = sum(p.numel() for p in net.parameters())
        print(f'{name:16s} {max(vals):8.2f} {statistics.median(vals):8.2f}'
              f'           {net.stride:>2d}  {n_params}')


if __name__ == '__main__':
    main()
