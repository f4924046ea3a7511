"""Export a kp_ext network to ONNX and check it against PyTorch.

    python tools/export_onnx.py CONFIG CHECKPOINT --out model.onnx
        [--image IMG] [--atol 1e-4] [--rtol 1e-4] [--opset 17] [--seed 0]
        [--int8 [--int8-out FILE] [--calib-images 8] [--calib-split train]]

The graph maps the normalised input (dynamic batch axis) to the last
stage's maps (``kp_ext.apis.onnx_export``). Checks, printed:

1. onnxruntime (CPU) against PyTorch on a random batch of 2 (the dynamic
   batch axis in use): largest absolute difference of every output, and
   that difference relative to the output's scale (largest PyTorch
   magnitude);
2. end to end on an image (``--image``, default the first image of the
   config's test set): the config's pipeline, onnxruntime maps, kp_ext's
   numpy decode / PAF grouping, image coordinates, against the PyTorch
   path: largest keypoint difference (px) and the number of people;
3. with ``--int8``: a static int8 model (``--int8-out``, default
   ``OUT`` with ``.int8.onnx``; ``kp_ext.apis.quantize_int8``: QDQ,
   per-channel weights, MinMax ranges) calibrated on ``--calib-images``
   images of the config's training data through its test pipeline
   (``--calib-split test`` for the test data); it must run and give
   finite maps on the batch of 2 (its difference to the float maps and
   its number of people on the image are printed, not checked: int8 is
   approximate by design).

Exits with status 1 when a map difference exceeds ``--atol`` + ``--rtol``
x the output's scale (float32 rounding grows with the magnitude: random
hourglass heatmaps of magnitude ~84 differ by ~2e-4, 3e-6 relative) or a
keypoint difference exceeds ``--kpt-atol`` (px). Without a checkpoint the
random weights are drawn from ``torch.manual_seed(--seed)``, so a rerun
exports and checks the same network. Needs ``pip install onnx
onnxruntime``.
"""
import argparse
import sys

import numpy as np
import torch

import kp_ext  # noqa: F401  (weights-only-safe checkpoint types)
from kp_ext.apis import (ExportableNetwork, calibration_inputs, export_onnx,
                         first_test_image, inference_bottomup,
                         inference_landmarks, inference_topdown, init_model,
                         model_kind, network_input_size, onnx_estimator,
                         quantize_int8)
from kp_ext.utils.cli import check_output_file

INFER = dict(topdown=inference_topdown, bottomup=inference_bottomup,
             landmarks=inference_landmarks)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='omit only to check the export of random '
                        'weights')
    parser.add_argument('--out', required=True, help='the .onnx file')
    parser.add_argument('--image', default=None,
                        help='image for the end-to-end check (default: '
                        'the first image of the config\'s test set)')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='allowed map difference: atol + rtol x the '
                        'output\'s largest magnitude')
    parser.add_argument('--rtol', type=float, default=1e-4,
                        help='allowed map difference relative to the '
                        'output\'s largest magnitude')
    parser.add_argument('--seed', type=int, default=0,
                        help='torch seed of the random weights (no '
                        'checkpoint)')
    parser.add_argument('--kpt-atol', type=float, default=1e-2,
                        help='largest allowed keypoint difference (px)')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--int8', action='store_true',
                        help='also write a static int8 model (see above)')
    parser.add_argument('--int8-out', default=None,
                        help='the int8 .onnx file (default: OUT with '
                        '.int8.onnx)')
    parser.add_argument('--calib-images', type=int, default=8,
                        help='calibration images of the config\'s data')
    parser.add_argument('--calib-split', choices=['train', 'test'],
                        default='train')
    args = parser.parse_args(argv)
    # before the model is built and exported: a bad path fails in a second
    check_output_file(parser, args.out)
    if args.int8:
        if args.calib_images < 1:
            parser.error('--calib-images must be >= 1')
        if args.int8_out is None:
            stem = args.out[:-5] if args.out.endswith('.onnx') else args.out
            args.int8_out = stem + '.int8.onnx'
        check_output_file(parser, args.int8_out)
    return args


def map_tolerance(scale: float, atol: float, rtol: float) -> float:
    """Largest allowed map difference for an output whose largest
    magnitude is ``scale``: ``atol + rtol * scale`` (numpy's allclose)."""
    return float(atol) + float(rtol) * float(scale)


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x, )


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)  # the random weights, without a checkpoint
    model = init_model(args.config, args.checkpoint)
    kind = model_kind(model)
    w, h = network_input_size(model)
    info = export_onnx(model, args.out, (1, 3, h, w), opset=args.opset)
    print(f'exported {type(model).__name__} ({kind}) -> {args.out}; input '
          f'(batch, 3, {h}, {w}); outputs {info["output_names"]}')

    ort_model = onnx_estimator(model, args.out, threads=args.threads)
    x = torch.randn(2, 3, h, w, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = _as_tuple(ExportableNetwork(model)(x))
    outs = ort_model.extract_feat.run(x.numpy())
    map_diff, map_scale, maps_ok = {}, {}, True
    for name, a, b in zip(info['output_names'], ref, outs):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f'{name}: onnxruntime shape {b.shape}, '
                               f'PyTorch {tuple(a.shape)}')
        map_diff[name] = float(np.abs(a.numpy() - b).max())
        map_scale[name] = float(np.abs(a.numpy()).max())
        tol = map_tolerance(map_scale[name], args.atol, args.rtol)
        maps_ok &= map_diff[name] <= tol
        rel = map_diff[name] / map_scale[name] if map_scale[name] else 0.0
        print(f'onnxruntime vs PyTorch, batch 2, {name} {tuple(b.shape)}: '
              f'max abs difference {map_diff[name]:.3g} ({rel:.2g} of the '
              f'output\'s scale {map_scale[name]:.3g}; allowed {tol:.3g})')

    img = args.image if args.image else first_test_image(model.cfg)
    torch_res = INFER[kind](model, img)
    ort_res = INFER[kind](ort_model, img)
    kp_t = np.concatenate([r.pred_instances.keypoints for r in torch_res])
    kp_o = np.concatenate([r.pred_instances.keypoints for r in ort_res])
    same_people = kp_t.shape == kp_o.shape
    kpt_diff = float(np.abs(kp_t - kp_o).max()) if same_people and \
        kp_t.size else (0.0 if same_people else float('inf'))
    print(f'end to end (pipeline, onnxruntime maps, numpy decode): '
          f'{len(kp_o)} vs {len(kp_t)} instance(s) (PyTorch); max keypoint '
          f'difference {kpt_diff:.3g} px')
    ok = maps_ok and kpt_diff <= args.kpt_atol
    int8 = _int8(args, model, x, ref, info, img, kind) if args.int8 else None
    if int8 is not None:
        ok &= int8['finite']
    if int8 is not None and not int8['finite']:
        print('FAILED: the int8 model gives non-finite maps')
    else:
        print('OK' if ok else 'MISMATCH: differences above the tolerances')
    return dict(ok=ok, map_diff=map_diff, map_scale=map_scale,
                kpt_diff=kpt_diff,
                num_instances=(len(kp_t), len(kp_o)), onnx=args.out,
                input_shape=(h, w), int8=int8, **info)


def _int8(args, model, x, ref, info, img, kind) -> dict:
    """Quantise, run on the batch of 2 and on the image (module doc)."""
    inputs = calibration_inputs(model, args.calib_images, args.calib_split)
    quantize_int8(args.out, args.int8_out, inputs)
    q_model = onnx_estimator(model, args.int8_out, threads=args.threads)
    outs = q_model.extract_feat.run(x.numpy())
    finite, diff = True, {}
    for name, a, b in zip(info['output_names'], ref, outs):
        finite &= bool(np.isfinite(b).all()) and \
            tuple(b.shape) == tuple(a.shape)
        diff[name] = float(np.abs(a.numpy() - b).max())
        scale = float(np.abs(a.numpy()).max())
        print(f'int8 vs PyTorch, batch 2, {name} {tuple(b.shape)}: max abs '
              f'difference {diff[name]:.3g} (output\'s scale {scale:.3g})')
    people = len(np.concatenate([r.pred_instances.keypoints
                                 for r in INFER[kind](q_model, img)]))
    print(f'int8 model ({len(inputs)} calibration image(s) of the '
          f'{args.calib_split} data) -> {args.int8_out}; {people} '
          'instance(s) on the image; maps '
          + ('finite' if finite else 'NOT FINITE'))
    return dict(path=args.int8_out, finite=finite, map_diff=diff,
                num_instances=people, calib_images=len(inputs))


if __name__ == '__main__':
    sys.exit(0 if main()['ok'] else 1)
