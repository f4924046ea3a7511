"""Model card numbers: parameters, GFLOPs and CPU latency per image.

    python benchmarks/inference.py [--configs CFG ...] [--threads 1]
        [--batch-sizes 1 8] [--repeats 3] [--out FILE.md]

For each config's network (backbone + head up to the last stage's maps, as
exported by ``kp_ext.apis.onnx_export``; pipeline, normalisation and decoding
excluded) at the config's input size: parameters, GFLOPs of one image
(``torch.utils.flop_counter.FlopCounterMode``, 2 FLOPs per multiply-add),
and the median time per image over ``--repeats`` timed runs (after one
warm-up) of a batch of 1 and of 8 with

- PyTorch eager (``torch.no_grad``, contiguous NCHW),
- PyTorch channels-last + ``torch.inference_mode``,
- onnxruntime (CPU execution provider),

all with the same thread count; ratios are eager time / time. Random
weights (latency does not depend on them).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
from kp_ext.apis import (ExportableNetwork, export_onnx,  # noqa: E402
                         init_model, model_kind, network_input_size)
from kp_ext.apis.onnx_export import _OrtNetwork  # noqa: E402

DEFAULT_CONFIGS = [
    'configs/quickstart/hourglass_synthetic.py',
    'configs/hourglass_mpii.py',
    'configs/quickstart/openpose_synthetic.py',
    'configs/openpose_coco.py',
    'configs/openpose/openpose2019_coco.py',
    'configs/quickstart/fse_synthetic.py',
    'configs/fse_faces.py',
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--out', default=None, help='also write the table')
    return parser.parse_args(argv)


def gflops(net, x) -> float:
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        net(x)
    return counter.get_total_flops() / 1e9


def _median_ms_per_image(fn, x, repeats: int) -> float:
    fn(x)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3 / x.shape[0]


def bench(config: str, batch_sizes, repeats: int, threads: int) -> list:
    model = init_model(config)
    net = ExportableNetwork(model).eval()
    w, h = network_input_size(model)
    params = sum(p.numel() for p in model.backbone.parameters()) + sum(
        p.numel() for p in model.head.parameters())
    flops = gflops(net, torch.randn(1, 3, h, w))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'net.onnx')
        export_onnx(model, path, (1, 3, h, w))
        ort_net = _OrtNetwork(path, threads)
        net_cl = ExportableNetwork(model).eval().to(
            memory_format=torch.channels_last)

        def eager(x):
            with torch.no_grad():
                return net(x)

        def channels_last(x):
            with torch.inference_mode():
                return net_cl(x.contiguous(memory_format=torch.channels_last))

        def ort(x):
            return ort_net.run(x.numpy())

        rows = []
        for b in batch_sizes:
            x = torch.randn(b, 3, h, w)
            t_eager = _median_ms_per_image(eager, x, repeats)
            t_cl = _median_ms_per_image(channels_last, x, repeats)
            t_ort = _median_ms_per_image(ort, x, repeats)
            rows.append(dict(config=config, kind=model_kind(model),
                             net=type(model.backbone).__name__,
                             input=f'{w}x{h}', params=params, gflops=flops,
                             batch=b, eager=t_eager, cl=t_cl, ort=t_ort))
            print(f'{config} batch {b}: eager {t_eager:.1f} ms/img, '
                  f'channels-last {t_cl:.1f}, onnxruntime {t_ort:.1f}',
                  file=sys.stderr, flush=True)
    return rows


def table(rows, threads: int) -> str:
    lines = [
        f'| config | network | input | params | GFLOPs / img | batch | '
        f'eager ms/img | channels-last + inference_mode ms/img (×) | '
        f'onnxruntime ms/img (×) |',
        '|---|---|---|---:|---:|---:|---:|---:|---:|']
    for r in rows:
        lines.append(
            f'| `{r["config"]}` | {r["net"]} | {r["input"]} | '
            f'{r["params"] / 1e6:.2f} M | {r["gflops"]:.2f} | {r["batch"]} | '
            f'{r["eager"]:.1f} | {r["cl"]:.1f} ({r["eager"] / r["cl"]:.2f}×)'
            f' | {r["ort"]:.1f} ({r["eager"] / r["ort"]:.2f}×) |')
    lines.append(f'\n{threads} torch / onnxruntime thread(s); torch '
                 f'{torch.__version__}.')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    for config in args.configs:
        rows.extend(bench(config, args.batch_sizes, args.repeats,
                          args.threads))
    text = table(rows, args.threads)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    return rows


if __name__ == '__main__':
    main()
