"""Run a trained model on images, folders or videos.

    python tools/infer.py CONFIG [CHECKPOINT] INPUT --out-dir DIR
        [--device cpu] [--show-kpt-thr 0.3] [--threads N]
        [--det-config CFG --det-checkpoint CKPT] [--frame-pictures]
        [--coco-results FILE]
        [--backend pytorch|onnxruntime [--onnx FILE]] [--batch-size N]
        [--max-frames N] [--input INPUT] [--draw-backend matplotlib|opencv]

CONFIG is a config file or a model alias of ``configs/*/metafile.yml``
(``hourglass_synthetic``, ``openpose_coco``, ...); an unknown one is
answered with the list of aliases. This script is kp_ext's demo (there is
no ``demo/`` folder).

INPUT is an image, a folder of images or a video. For every image it writes
``DIR/vis/<name>`` (skeletons, or landmarks, drawn) and
``DIR/predictions/<stem>.json``; for a video ``DIR/vis/<stem>.mp4`` (every
frame drawn) and ``DIR/predictions/<stem>.jsonl`` (one JSON line per
frame). Keypoints are COCO-style ``[x, y, score, ...]`` with a person
``score`` and ``bbox`` as x1, y1, x2, y2 (every file says
``"bbox_format": "xyxy"``; ``kp_ext.apis.prediction_to_dict``).
``--coco-results FILE`` also writes one COCO results file of all people
(``image_id``, ``category_id`` 1, ``keypoints``, ``score``, ``bbox`` as
x, y, w, h) that ``COCO.loadRes`` reads: image ids are the file names'
numbers when every input is named as COCO's images (``000000000139.jpg``),
else 1, 2, ... in input order (images and video frames). A checkpoint
trained on synthetic data only is said so in one ``WARNING:`` line.
A top-down model takes its person boxes from a bottom-up model with
``--det-config`` / ``--det-checkpoint``, else uses the whole image.
Images of a folder that cannot be read are skipped and listed at the end.

INPUT may also be a camera: its OpenCV index (``0``) or device path
(``/dev/video0``), as the positional INPUT or ``--input``; frames are read
until ``--max-frames`` or Ctrl-C, and written as a video. Where OpenCV
cannot open the camera the command fails with one ``error:`` line.

Real time: ``--backend onnxruntime`` runs the network in onnxruntime (CPU)
on the graph of ``tools/export_onnx.py`` (``--onnx FILE``: an exported
one, e.g. the int8 model of ``tools/export_onnx.py --int8``; else the
network is exported to ``DIR/model.onnx`` first); the pipeline, flip test,
decoding / PAF grouping and drawing stay kp_ext's, so the predictions are
PyTorch's within the export tolerance. ``--batch-size N`` runs N video
frames per network call (bottom-up models). For videos and cameras the
time of each stage (decode, preprocess, network, grouping, drawing,
writing; ``kp_ext.apis.StageTimer``) and the end-to-end frames/s are
printed at the end. Video and camera frames are drawn with OpenCV
(``--draw-backend opencv``: 12 ms per 640x480 frame, against 170 ms with
mmengine's matplotlib drawing, which images get by default; either can be
chosen).
"""
import argparse
import itertools
import json
import os
import os.path as osp
import sys
import time

import cv2

import kp_ext  # noqa: F401  (weights-only-safe checkpoint types)
from kp_ext.apis import (CheckpointMismatchError, InputError, PoseInferencer,
                         StageTimer, coco_image_id, export_onnx,
                         network_input_size, onnx_estimator,
                         prediction_to_dict, resolve_inputs, to_coco_results)
from kp_ext.apis.inputs import VideoFrames
from kp_ext.utils.cli import check_device_arg
from kp_ext.utils.progress import track
from kp_ext.utils.threads import default_num_threads, set_num_threads


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Keypoints of images, folders or videos with a kp_ext '
        'model', usage='%(prog)s CONFIG [CHECKPOINT] INPUT --out-dir DIR '
        '[options]')
    parser.add_argument('config', help='model config file or model alias '
                        '(configs/*/metafile.yml)')
    parser.add_argument('paths', nargs='*', metavar='[CHECKPOINT] INPUT',
                        help='checkpoint (optional) and input (image, '
                        'folder of images, or video)')
    parser.add_argument('--out-dir', required=True,
                        help='where pictures and predictions go')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--show-kpt-thr', type=float, default=0.3,
                        help='draw keypoints scoring above this')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch/OpenCV CPU threads (default: min(2, '
                        'the cores this process may use))')
    parser.add_argument('--det-config', default=None,
                        help='bottom-up (PAF) config giving person boxes to '
                        'a top-down model')
    parser.add_argument('--det-checkpoint', default=None)
    parser.add_argument('--frame-pictures', action='store_true',
                        help='also write every video frame as a picture')
    parser.add_argument('--coco-results', default=None, metavar='FILE',
                        help='also write all people as one COCO keypoint '
                        'results file (bbox x, y, w, h)')
    parser.add_argument('--input', default=None, dest='input_opt',
                        metavar='INPUT', help='the input, instead of the '
                        'positional one (e.g. --input 0: camera 0)')
    parser.add_argument('--backend', choices=['pytorch', 'onnxruntime'],
                        default='pytorch', help='where the network runs')
    parser.add_argument('--onnx', default=None, metavar='FILE',
                        help='--backend onnxruntime: an exported graph '
                        '(default: export to DIR/model.onnx)')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='video frames per network call (bottom-up)')
    parser.add_argument('--draw-backend', choices=['matplotlib', 'opencv'],
                        default=None, help='what draws the pictures '
                        "(default: 'opencv' for videos and cameras, 12 "
                        'instead of 170 ms per 640x480 frame; '
                        "'matplotlib', mmengine's drawing, for images)")
    parser.add_argument('--max-frames', type=int, default=None,
                        help='stop after this many images/frames (e.g. a '
                        'camera)')
    args = parser.parse_args(argv)
    n_in = 0 if args.input_opt is not None else 1
    if not n_in <= len(args.paths) <= n_in + 1:
        parser.error(f'expected [CHECKPOINT] INPUT (or [CHECKPOINT] with '
                     f'--input), got {args.paths}')
    check_device_arg(parser, args.device)  # e.g. cuda on a CPU-only torch
    if args.batch_size < 1:
        parser.error('--batch-size must be >= 1')
    if args.max_frames is not None and args.max_frames < 1:
        parser.error('--max-frames must be >= 1')
    if args.onnx is not None and args.backend != 'onnxruntime':
        parser.error('--onnx needs --backend onnxruntime')
    if args.onnx is not None and not osp.isfile(args.onnx):
        parser.error(f'--onnx {args.onnx!r}: no such file')
    if args.backend == 'onnxruntime' and args.device != 'cpu':
        parser.error('--backend onnxruntime runs on the CPU (--device cpu)')
    args.checkpoint = args.paths[0] if len(args.paths) == n_in + 1 \
        else None
    args.input = args.input_opt if args.input_opt is not None else \
        args.paths[-1]
    return args


def _onnxruntime_backend(inferencer, args, threads: int) -> str:
    """Swap the inferencer's network for onnxruntime (module doc);
    returns the graph's path."""
    path = args.onnx
    if path is None:
        path = osp.join(args.out_dir, 'model.onnx')
        os.makedirs(args.out_dir, exist_ok=True)
        w, h = network_input_size(inferencer.model)
        export_onnx(inferencer.model, path, (1, 3, h, w))
    inferencer.model = onnx_estimator(inferencer.model, path,
                                      threads=threads)
    return path


def _unique(name: str, used: set) -> str:
    stem = osp.splitext(name)[0]
    if stem in used:
        stem = name.replace('.', '_')
    used.add(stem)
    return stem


def _count(sources, videos) -> int:
    total = 0
    for s in sources:
        total += videos[s.name].num_frames if s.name in videos else 1
    return total


def main(argv=None) -> int:
    args = parse_args(argv)
    threads = set_num_threads(args.threads or default_num_threads())
    try:
        sources = resolve_inputs(args.input)
        # open videos (and cameras) first: an unreadable one fails before
        # any work
        videos = {s.name: VideoFrames(s.value) for s in sources
                  if s.kind in ('video', 'camera')}
        for video in videos.values():
            video.close()
    except InputError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    draw_backend = args.draw_backend or (
        'opencv' if videos else 'matplotlib')
    if args.checkpoint is None:
        print(f'WARNING: no checkpoint given: {args.config} runs with RANDOM '
              'weights; the predictions are meaningless', file=sys.stderr)
    try:
        inferencer = PoseInferencer(args.config, args.checkpoint,
                                    device=args.device,
                                    det_model=args.det_config,
                                    det_weights=args.det_checkpoint,
                                    warn_training_data=False,
                                    draw_backend=draw_backend)
    except (CheckpointMismatchError, FileNotFoundError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    if inferencer.training_data_warning:
        print(f'WARNING: {args.checkpoint}: '
              f'{inferencer.training_data_warning}', file=sys.stderr)
    if args.backend == 'onnxruntime':
        try:
            onnx_path = _onnxruntime_backend(inferencer, args, threads)
        except ImportError as e:
            print(f'error: --backend onnxruntime needs onnx and onnxruntime '
                  f'({e})', file=sys.stderr)
            return 2
        print(f'network in onnxruntime ({threads} thread(s)): {onnx_path}')
    timer = StageTimer()
    restore = timer.instrument(inferencer.model)
    vis_dir = osp.join(args.out_dir, 'vis')
    pred_dir = osp.join(args.out_dir, 'predictions')
    os.makedirs(vis_dir, exist_ok=True)
    os.makedirs(pred_dir, exist_ok=True)

    total = _count(sources, videos)
    used, failures, written = set(), [], 0
    writers, jsonl, stems = {}, {}, {}
    many = len(sources) > 1 or osp.isdir(args.input)
    # COCO image ids: the file names' numbers, else 1, 2, ... in order
    coco, coco_ids = [], all(
        s.kind == 'image' and coco_image_id(s.name) is not None
        for s in sources)
    record_index = 0
    if args.max_frames is not None:
        total = min(total, args.max_frames) if total else args.max_frames
    start = time.perf_counter()
    try:
        records = itertools.islice(inferencer.iter_results(
            sources, return_vis=True, kpt_thr=args.show_kpt_thr,
            skip_failures=many, batch_size=args.batch_size, timer=timer),
            args.max_frames)
        for rec in track(records, total):
            src = rec['source']
            record_index += 1
            if rec['error'] is not None:
                failures.append((src.name, rec['error']))
                continue
            pred = prediction_to_dict(rec['sample'])
            if args.coco_results:
                coco += to_coco_results(pred, coco_image_id(src.name)
                                        if coco_ids else record_index)
            if src.kind not in ('video', 'camera'):
                stem = _unique(osp.basename(src.name), used)
                ext = osp.splitext(src.name)[1] or '.png'
                cv2.imwrite(osp.join(vis_dir, stem + ext), rec['drawing'])
                with open(osp.join(pred_dir, stem + '.json'), 'w') as f:
                    json.dump(pred, f)
                written += 1
                continue
            with timer.stage('writing'):
                if src.name not in writers:
                    stems[src.name] = _unique(osp.basename(src.name), used)
                    video = rec['video']
                    writers[src.name] = cv2.VideoWriter(
                        osp.join(vis_dir, stems[src.name] + '.mp4'),
                        cv2.VideoWriter_fourcc(*'mp4v'), video.fps,
                        (rec['drawing'].shape[1], rec['drawing'].shape[0]))
                    jsonl[src.name] = open(
                        osp.join(pred_dir, stems[src.name] + '.jsonl'), 'w')
                writers[src.name].write(rec['drawing'])
                pred['frame_index'] = rec['frame']
                jsonl[src.name].write(json.dumps(pred) + '\n')
                if args.frame_pictures:
                    frame_dir = osp.join(vis_dir, stems[src.name])
                    os.makedirs(frame_dir, exist_ok=True)
                    cv2.imwrite(
                        osp.join(frame_dir, f'{rec["frame"]:06d}.jpg'),
                        rec['drawing'])
            written += 1
    except KeyboardInterrupt:  # e.g. a camera: stop, keep what is written
        print('\nstopped (Ctrl-C)', file=sys.stderr)
    except (InputError, OSError, ValueError) as e:
        print(f'\nerror: {e}', file=sys.stderr)
        return 2
    finally:
        restore()
        for w in writers.values():
            w.release()
        for f in jsonl.values():
            f.close()
    wall = time.perf_counter() - start
    print(f'{written} image(s)/frame(s) done with {threads} thread(s): '
          f'pictures in {vis_dir}, predictions in {pred_dir}')
    if videos:
        print(f'timing ({args.backend}, batch {args.batch_size}, '
              f'{threads} thread(s)): {timer.summary(wall)}')
    if args.coco_results:
        folder = osp.dirname(osp.abspath(args.coco_results))
        os.makedirs(folder, exist_ok=True)
        with open(args.coco_results, 'w') as f:
            json.dump(coco, f)
        print(f'COCO results ({len(coco)} people, bbox x, y, w, h; image '
              'ids ' + ('from the file names' if coco_ids else
                        '1, 2, ... in input order') +
              f'): {args.coco_results}')
    if failures:
        print(f'{len(failures)} input(s) failed:', file=sys.stderr)
        for name, message in failures:
            print(f'  {name}: {message}', file=sys.stderr)
    return 0 if written else 1


if __name__ == '__main__':
    sys.exit(main())
