"""Model card numbers: parameters, GFLOPs and CPU latency per image.

    python benchmarks/inference.py [--configs CFG ...] [--threads 1]
        [--batch-sizes 1 8] [--repeats 3] [--out FILE.md]
        [--peer lwop] [--int8 [--calib-images 8] [--calib-dir DIR]]
    python benchmarks/inference.py --int8-eval CONFIG [--checkpoint CKPT]
        [--max-samples N] [--calib-images 8] [--threads 1]

For each config's network (backbone + head up to the last stage's maps, as
exported by ``kp_ext.apis.onnx_export``; pipeline, normalisation and decoding
excluded) at the config's input size: parameters, GFLOPs of one image
(``torch.utils.flop_counter.FlopCounterMode``, 2 FLOPs per multiply-add),
and the median time per image over ``--repeats`` timed runs (after one
warm-up) of a batch of 1 and of 8 with

- PyTorch eager (``torch.no_grad``, contiguous NCHW input; a network built
  with ``channels_last=True`` converts it itself, as it does in use),
- PyTorch channels-last + ``torch.inference_mode`` (a copy of the network
  and the input in NHWC),
- onnxruntime (CPU execution provider),
- with ``--int8``: onnxruntime on the static int8 model
  (``kp_ext.apis.quantize_int8``) calibrated on ``--calib-images`` images
  of the config's training data through its test pipeline (or of the
  image folder ``--calib-dir``, e.g. ``../shared/data/coco_mini/train2017``
  when the config's data is absent),

all with the same thread count; ratios (×) are eager time / time.
``--configs`` takes config files or model aliases
(``configs/*/metafile.yml``, e.g. ``openpose_realtime``). Random weights
(latency does not depend on them).

``--peer lwop`` adds the PEER BASELINE network
(``benchmarks/lightweight_openpose_peer.py``, Lightweight OpenPose, not
part of kp_ext) at each config's input size, measured in the same process
the same way, and a second table: every config's time over the peer's
(same input, batch and backend; < 1 is faster than the peer).

``--int8-eval CONFIG`` (a bottom-up config with a ``val_dataloader``, e.g.
the synthetic quickstart) measures the int8 model against the float one in
one run: COCO AP of PyTorch, onnxruntime float32 and onnxruntime int8 on
the config's validation set (its held-out synthetic crowds; calibration
on its training crowds, never the evaluated ones), and the network time
per image of each on the validation input size, with the int8 speed-up.
"""
import argparse
import contextlib
import copy
import io
import os
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kp_ext.apis import (ExportableNetwork, calibration_inputs,  # noqa: E402
                         export_onnx, init_model, model_kind,
                         network_input_size, onnx_estimator, quantize_int8)
from kp_ext.apis.inputs import IMAGE_EXTENSIONS  # noqa: E402
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
BACKENDS = ('eager', 'cl', 'ort', 'int8')
BACKEND_NAMES = dict(eager='eager', cl='channels-last', ort='onnxruntime',
                     int8='onnxruntime int8')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--out', default=None, help='also write the table')
    parser.add_argument('--peer', choices=['lwop'], default=None,
                        help='time the peer baseline network too (module '
                        'doc)')
    parser.add_argument('--int8', action='store_true',
                        help='also time the static int8 onnxruntime model')
    parser.add_argument('--calib-images', type=int, default=8)
    parser.add_argument('--calib-dir', default=None,
                        help='folder of calibration images (default: the '
                        "config's training data)")
    parser.add_argument('--int8-eval', default=None, metavar='CONFIG',
                        help='AP and time of float vs int8 (module doc)')
    parser.add_argument('--checkpoint', default=None,
                        help='weights for --int8-eval (random without)')
    parser.add_argument('--max-samples', type=int, default=None,
                        help='--int8-eval: only the first validation '
                        'samples')
    args = parser.parse_args(argv)
    if args.calib_images < 1:
        parser.error('--calib-images must be >= 1')
    if args.calib_dir is not None and not os.path.isdir(args.calib_dir):
        parser.error(f'--calib-dir {args.calib_dir!r} is not a folder')
    return args


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


def _folder_images(folder: str, num: int) -> list:
    names = sorted(n for n in os.listdir(folder)
                   if os.path.splitext(n)[1].lower() in IMAGE_EXTENSIONS)
    if not names:
        raise FileNotFoundError(f'--calib-dir {folder!r} has no images')
    return [os.path.join(folder, n) for n in names[:num]]


def _calibration(model, args) -> list:
    images = (_folder_images(args.calib_dir, args.calib_images)
              if args.calib_dir else None)
    return calibration_inputs(model, args.calib_images, images=images)


def _export_plain(net, path: str, shape) -> None:
    """ONNX of a network returning ``(pafs, heatmaps)`` with the settings
    of :func:`kp_ext.apis.export_onnx` for bottom-up models."""
    axes = {0: 'batch', 2: 'height', 3: 'width'}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(net, (torch.randn(*shape), ), path,
                          input_names=['input'],
                          output_names=['pafs', 'heatmaps'],
                          dynamic_axes=dict(input=axes, pafs=axes,
                                            heatmaps=axes),
                          opset_version=17, dynamo=False)


def _time_network(label, netname, kind, net, export, w, h, args,
                  calib=None) -> list:
    """One row per batch size: params, GFLOPs and the backends' ms/img of
    ``net`` (``export(path, shape)`` writes its ONNX graph)."""
    params = sum(p.numel() for p in net.parameters())
    flops = gflops(net, torch.randn(1, 3, h, w))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'net.onnx')
        export(path, (1, 3, h, w))
        ort_net = _OrtNetwork(path, args.threads)
        int8_net = None
        if calib is not None:
            with contextlib.redirect_stdout(io.StringIO()):
                quantize_int8(path, os.path.join(d, 'net.int8.onnx'), calib)
            int8_net = _OrtNetwork(os.path.join(d, 'net.int8.onnx'),
                                   args.threads)
        net_cl = copy.deepcopy(net).to(memory_format=torch.channels_last)
        fns = dict(eager=lambda x: _no_grad(net, x),
                   cl=lambda x: _inference_cl(net_cl, x),
                   ort=lambda x: ort_net.run(x.numpy()))
        if int8_net is not None:
            fns['int8'] = lambda x: int8_net.run(x.numpy())
        rows = []
        for b in args.batch_sizes:
            x = torch.randn(b, 3, h, w)
            row = dict(config=label, kind=kind, net=netname,
                       input=f'{w}x{h}', params=params, gflops=flops,
                       batch=b)
            for name, fn in fns.items():
                row[name] = _median_ms_per_image(fn, x, args.repeats)
            rows.append(row)
            print(f'{label} batch {b}: ' + ', '.join(
                f'{BACKEND_NAMES[k]} {row[k]:.1f}' for k in BACKENDS
                if k in row) + ' ms/img', file=sys.stderr, flush=True)
    return rows


def _no_grad(net, x):
    with torch.no_grad():
        return net(x)


def _inference_cl(net, x):
    with torch.inference_mode():
        return net(x.contiguous(memory_format=torch.channels_last))


def bench(config: str, args):
    """(rows, calibration inputs or None) of a config's network."""
    model = init_model(config)
    net = ExportableNetwork(model).eval()
    w, h = network_input_size(model)
    calib = _calibration(model, args) if args.int8 else None
    return _time_network(
        config, type(model.backbone).__name__, model_kind(model), net,
        lambda path, shape: export_onnx(model, path, shape), w, h, args,
        calib), calib


def bench_peer(name: str, w: int, h: int, args, calib=None) -> list:
    from lightweight_openpose_peer import build_peer
    net = build_peer(name)
    return _time_network(
        f'PEER {name}', type(net).__name__, 'peer', net,
        lambda path, shape: _export_plain(net, path, shape), w, h, args,
        calib)


def table(rows, threads: int) -> str:
    cols = [k for k in BACKENDS[2:] if any(k in r for r in rows)]
    head = ('| config | network | input | params | GFLOPs / img | batch | '
            'eager ms/img | channels-last + inference_mode ms/img (×) | ' +
            ' | '.join(f'{BACKEND_NAMES[k]} ms/img (×)' for k in cols) +
            ' |')
    lines = [head, '|---|---|---|---:|---:|---:|---:|---:|' +
             '---:|' * len(cols)]
    for r in rows:
        line = (f'| `{r["config"]}` | {r["net"]} | {r["input"]} | '
                f'{r["params"] / 1e6:.2f} M | {r["gflops"]:.2f} | '
                f'{r["batch"]} | {r["eager"]:.1f} | '
                f'{r["cl"]:.1f} ({r["eager"] / r["cl"]:.2f}×)')
        for k in cols:
            line += (f' | {r[k]:.1f} ({r["eager"] / r[k]:.2f}×)' if k in r
                     else ' | –')
        lines.append(line + ' |')
    lines.append(f'\n{threads} torch / onnxruntime thread(s); torch '
                 f'{torch.__version__}.')
    return '\n'.join(lines)


def peer_ratios(rows) -> list:
    """Each config row's time over the peer's at the same input and batch
    (per backend)."""
    peers = {(r['input'], r['batch']): r for r in rows
             if r['kind'] == 'peer'}
    out = []
    for r in rows:
        p = peers.get((r['input'], r['batch']))
        if r['kind'] == 'peer' or p is None:
            continue
        out.append(dict(config=r['config'], input=r['input'],
                        batch=r['batch'], params=r['params'] / p['params'],
                        gflops=r['gflops'] / p['gflops'],
                        **{k: r[k] / p[k] for k in BACKENDS
                           if k in r and k in p}))
    return out


def ratio_table(ratios) -> str:
    cols = [k for k in BACKENDS if any(k in r for r in ratios)]
    lines = ['| config | input | batch | params / peer | GFLOPs / peer | ' +
             ' | '.join(f'{BACKEND_NAMES[k]} time / peer' for k in cols) +
             ' |', '|---|---|---:|---:|---:|' + '---:|' * len(cols)]
    for r in ratios:
        lines.append(f'| `{r["config"]}` | {r["input"]} | {r["batch"]} | '
                     f'{r["params"]:.2f} | {r["gflops"]:.2f} | ' +
                     ' | '.join(f'{r[k]:.2f}' if k in r else '–'
                                for k in cols) + ' |')
    return '\n'.join(lines)


# ------------------------------------------------------------ int8 eval
def evaluate(model, cfg, max_samples=None) -> dict:
    """The config's validation (else test) metric of ``model`` (a PyTorch
    or an onnxruntime estimator), one sample per step."""
    from mmengine.dataset import pseudo_collate
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope

    from kp_ext.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'kp_ext'))
    split = next((s for s in ('val', 'test')
                  if cfg.get(f'{s}_dataloader') and cfg.get(f'{s}_evaluator')),
                 None)
    if split is None:
        raise SystemExit(f'{cfg.filename}: --int8-eval needs a '
                         'val_dataloader + val_evaluator (or test_*)')
    dataset = DATASETS.build(copy.deepcopy(cfg[f'{split}_dataloader'].dataset))
    evaluator = Evaluator(copy.deepcopy(cfg[f'{split}_evaluator']))
    evaluator.dataset_meta = dataset.metainfo
    n = len(dataset) if max_samples is None else min(len(dataset),
                                                     int(max_samples))
    for i in range(n):
        data = pseudo_collate([dataset[i]])
        with torch.no_grad():
            outputs = model.test_step(data)
        evaluator.process(outputs, data)
    with contextlib.redirect_stdout(io.StringIO()):  # COCOeval's tables
        return evaluator.evaluate(n)


def int8_eval(args) -> dict:
    """AP and network time of PyTorch, onnxruntime float32 and int8 on the
    config's validation set (module doc)."""
    torch.manual_seed(0)
    model = init_model(args.int8_eval, args.checkpoint)
    if model_kind(model) != 'bottomup':
        raise SystemExit(f'--int8-eval needs a bottom-up config, got '
                         f'{args.int8_eval!r} ({model_kind(model)})')
    cfg = model.cfg
    w, h = network_input_size(model)
    calib = _calibration(model, args)
    x = torch.from_numpy(calib[0])
    results = {}
    with tempfile.TemporaryDirectory() as d:
        fp32, int8 = os.path.join(d, 'net.onnx'), os.path.join(
            d, 'net.int8.onnx')
        export_onnx(model, fp32, (1, 3, h, w))
        with contextlib.redirect_stdout(io.StringIO()):
            quantize_int8(fp32, int8, calib)
        net = ExportableNetwork(model).eval()
        backends = dict(pytorch=(model, lambda t: _no_grad(net, t)))
        for name, path in (('onnxruntime', fp32), ('onnxruntime int8',
                                                   int8)):
            est = onnx_estimator(model, path, threads=args.threads)
            backends[name] = (est, lambda t, e=est: e.extract_feat.run(
                t.numpy()))
        for name, (est, fn) in backends.items():
            metrics = evaluate(est, cfg, args.max_samples)
            ms = _median_ms_per_image(fn, x, args.repeats)
            results[name] = dict(metrics=metrics, ms=ms)
            print(f'{name}: AP {metrics.get("coco/AP", float("nan")):.3f}, '
                  f'{ms:.1f} ms/img', file=sys.stderr, flush=True)
    base = results['onnxruntime']
    weights = (f'checkpoint {args.checkpoint}' if args.checkpoint else
               'RANDOM weights')
    lines = [f'int8 vs float, `{args.int8_eval}` ({weights}; '
             f'{len(calib)} calibration images of '
             f'{args.calib_dir or "the training data"}; '
             f'{args.threads} thread(s); network input {w}x{h}, batch 1)',
             '', '| backend | AP | AP .5 | AR | network ms/img | speed-up vs '
             'onnxruntime float32 | AP change vs float32 |',
             '|---|---:|---:|---:|---:|---:|---:|']
    ap0 = base['metrics'].get('coco/AP', np.nan)
    for name, r in results.items():
        m = r['metrics']
        lines.append(
            f'| {name} | {m.get("coco/AP", float("nan")):.3f} | '
            f'{m.get("coco/AP .5", float("nan")):.3f} | '
            f'{m.get("coco/AR", float("nan")):.3f} | {r["ms"]:.1f} | '
            f'{base["ms"] / r["ms"]:.2f}× | '
            f'{m.get("coco/AP", np.nan) - ap0:+.3f} |')
    text = '\n'.join(lines)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    return results


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.int8_eval:
        return int8_eval(args)
    rows, peer_done = [], set()
    for config in args.configs:
        config_rows, calib = bench(config, args)
        rows.extend(config_rows)
        if args.peer:
            w, h = (int(v) for v in config_rows[0]['input'].split('x'))
            if (w, h) not in peer_done:  # int8: the config's calibration
                peer_done.add((w, h))
                rows.extend(bench_peer(args.peer, w, h, args, calib))
    text = table(rows, args.threads)
    if args.peer:
        text += ('\n\nTime over the PEER BASELINE (Lightweight OpenPose, '
                 '`benchmarks/lightweight_openpose_peer.py`), same run, same '
                 'input, batch and backend:\n\n' +
                 ratio_table(peer_ratios(rows)))
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    return rows


if __name__ == '__main__':
    main()
