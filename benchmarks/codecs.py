#!/usr/bin/env python3
"""Throughput of kp_ext's GaussianHeatmap codec (numpy, single process).

Prints microseconds per instance (K keypoints) for:
  encode        one ``encode(keypoints (1,K,2), visible (1,K))`` call
  batch_encode  ``batch_encode`` of --batch instances at once, / batch
  decode        one ``decode(heatmaps (K,H,W))`` call
  batch_decode  ``batch_decode_arrays`` of --batch instances at once, / batch
and the round-trip error (encode -> decode) in input pixels over
--pool x K random keypoints drawn uniformly in [0, w) x [0, h).

Timings are the median over --rounds rounds of the median single-call time
(single calls) or of the median per-instance time of 5 batched calls.

    python benchmarks/codecs.py                      # defaults: COCO 192x256
    python benchmarks/codecs.py --input-size 256 256 --heatmap-size 64 64
"""
import argparse
import os
import platform
import sys
import time

import numpy as np

from kp_ext.codecs.gaussian_heatmap import GaussianHeatmap


def _median_single(fn, args_pool, reps):
    pc = time.perf_counter_ns
    ts = np.empty(reps)
    n = len(args_pool)
    for i in range(reps):
        a = args_pool[i % n]
        t0 = pc()
        fn(*a)
        ts[i] = pc() - t0
    return float(np.median(ts)) / 1e3


def _batched(fn, args, batch, calls=5):
    """Median over `calls` batched calls of the time per instance (us)."""
    ts = np.empty(calls)
    for i in range(calls):
        t0 = time.perf_counter_ns()
        fn(*args)
        ts[i] = time.perf_counter_ns() - t0
    return float(np.median(ts)) / 1e3 / batch


def run(args):
    rng = np.random.default_rng(args.seed)
    w, h = args.input_size
    K = args.num_keypoints
    pool = np.stack([rng.uniform(0, w, (args.pool, K)),
                     rng.uniform(0, h, (args.pool, K))],
                    axis=-1).astype(np.float32)
    vis1 = np.ones((1, K), dtype=np.float32)
    B = args.batch
    rows = []
    for mode in args.modes:
        codec = GaussianHeatmap(tuple(args.input_size),
                                tuple(args.heatmap_size), sigma=args.sigma,
                                refine=mode)
        hms = codec.batch_encode(pool)['heatmaps']
        dec, _ = codec.batch_decode_arrays(hms)
        err = np.linalg.norm(dec.astype(np.float64) - pool, axis=-1)
        enc_args = [(k[None], vis1) for k in pool]
        dec_args = [(hm,) for hm in hms]
        bk = pool[:B]
        bv = np.ones((B, K), dtype=np.float32)
        bh = hms[:B]
        # warm-up
        _median_single(codec.encode, enc_args, 20)
        _median_single(codec.decode, dec_args, 20)
        codec.batch_encode(bk, bv)
        codec.batch_decode_arrays(bh)
        reps = args.reps if mode != 'dark' else max(20, args.reps // 10)
        res = dict(enc=[], benc=[], dec=[], bdec=[])
        for _ in range(args.rounds):
            res['enc'].append(_median_single(codec.encode, enc_args, reps))
            res['benc'].append(_batched(codec.batch_encode, (bk, bv), B))
            res['dec'].append(_median_single(codec.decode, dec_args, reps))
            res['bdec'].append(_batched(codec.batch_decode_arrays, (bh,), B))
        rows.append((mode, {k: float(np.median(v)) for k, v in res.items()},
                     err))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--num-keypoints', type=int, default=17)
    ap.add_argument('--input-size', type=int, nargs=2, default=(192, 256),
                    metavar=('W', 'H'))
    ap.add_argument('--heatmap-size', type=int, nargs=2, default=(48, 64),
                    metavar=('W', 'H'))
    ap.add_argument('--sigma', type=float, default=2.0)
    ap.add_argument('--pool', type=int, default=500,
                    help='random instances (round-trip error, call pool)')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--reps', type=int, default=500,
                    help='single calls per round (dark: /10)')
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--modes', nargs='+',
                    default=list(GaussianHeatmap.REFINE_MODES),
                    choices=GaussianHeatmap.REFINE_MODES)
    args = ap.parse_args(argv)
    args.batch = min(args.batch, args.pool)
    rows = run(args)
    print(f'# kp_ext GaussianHeatmap  K={args.num_keypoints} '
          f'input={tuple(args.input_size)} '
          f'heatmap={tuple(args.heatmap_size)} sigma={args.sigma} '
          f'batch={args.batch} rounds={args.rounds} reps={args.reps}')
    print(f'# python={sys.version.split()[0]} numpy={np.__version__} '
          f'machine={platform.machine()} cpus={os.cpu_count()}')
    hdr = (f"{'refine':<13} {'encode':>8} {'b.encode':>9} {'decode':>8} "
           f"{'b.decode':>9} {'RT mean':>8} {'RT max':>7}")
    print(hdr)
    print('-' * len(hdr))
    for mode, t, err in rows:
        print(f"{mode:<13} {t['enc']:8.1f} {t['benc']:9.1f} {t['dec']:8.1f} "
              f"{t['bdec']:9.1f} {err.mean():8.4f} {err.max():7.4f}")
    print('(us per instance; b.* = a batched call over --batch instances '
          '/ batch; RT = round-trip error in input px)')


if __name__ == '__main__':
    main()
