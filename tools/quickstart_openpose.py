"""The bottom-up job on built-in data: train OpenPose, evaluate, draw.

Trains the quickstart OpenPose (``configs/quickstart/openpose_synthetic.py``)
on the project's synthetic crowds, evaluates COCO keypoint AP on a
held-out synthetic split, and writes pictures: the predicted skeletons of
every test image (PoseVisualizationHook) and, for a few images, a panel of
confidence maps | part affinity fields | assembled skeletons. Prints where
the pictures, the log and the checkpoint are, and the final AP.

    python tools/quickstart_openpose.py [--config CFG] [--work-dir DIR]
        [--max-epochs N] [--minutes M] [--num-panels N] [--threads N]
        [--cfg-options KEY=VALUE ...]
"""
import argparse
import contextlib
import io
import json
import os
import os.path as osp
import time

import cv2
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate

import kp_ext  # noqa: F401
from kp_ext.apis import infer_command, model_kind, training_data_summary
from kp_ext.datasets import describe_training_data
from kp_ext.engine.console import SummaryConsoleRunner, log_run_header
from kp_ext.evaluation import bottomup_codec_oracle
from kp_ext.registry import METRICS
from kp_ext.utils.run_outputs import run_outputs
from kp_ext.utils.threads import (default_num_threads, set_num_threads,
                                 thread_rule)
from kp_ext.visualization.paf_drawing import paf_panel
from kp_ext.visualization.utils import tensor_to_image

DEFAULT_CONFIG = 'configs/quickstart/openpose_synthetic.py'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--work-dir', default='work_dirs/quickstart_openpose')
    parser.add_argument('--max-epochs', type=int, default=None,
                        help="override the config's training length")
    parser.add_argument('--minutes', type=float, default=None,
                        help='stop training at the end of the epoch in '
                        'which this many training minutes are spent '
                        "(default: the config's schedule)")
    parser.add_argument('--num-panels', type=int, default=4,
                        help='test images drawn with their maps and PAFs')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: min(2, the cores this '
                        'process may use), whatever the load; on a '
                        'busy machine --threads 1 is faster)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default=None,
                        help='override config settings, e.g. '
                        'train_dataloader.dataset.num_samples=64')
    return parser.parse_args(argv)


def draw_panels(runner, cfg, out_dir: str, num: int) -> list:
    """Confidence maps | PAFs (all limbs, longest vector) | skeletons of the
    first ``num`` test images, drawn on the network input."""
    model = runner.model
    model.eval()
    dataset = runner.test_dataloader.dataset
    meta = dataset.metainfo
    skeleton = meta.get('skeleton_links') or []
    test_cfg = dict(model.test_cfg)
    model.test_cfg = dict(test_cfg, output_heatmaps=True)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    try:
        for i in range(min(num, len(dataset))):
            batch = pseudo_collate([dataset[i]])
            with torch.no_grad():
                sample = model.test_step(batch)[0]
            image = tensor_to_image(batch['inputs'][0], 'bgr')
            fields = sample.pred_fields
            pred = sample.pred_instances
            # predictions are in image pixels: back to the network input
            m = sample.metainfo
            size = np.asarray(m['input_size'], np.float64)
            scale = np.asarray(m['input_scale'], np.float64)
            center = np.asarray(m['input_center'], np.float64)
            kpts = (np.asarray(pred.keypoints, np.float64) - center +
                    0.5 * scale) / scale * size
            panel = paf_panel(image, fields.heatmaps, fields.pafs, kpts,
                              np.asarray(pred.keypoint_scores), skeleton,
                              limb=None, kpt_thr=0.1)
            path = osp.join(out_dir, f'paf_panel_{i}.png')
            cv2.imwrite(path, panel[..., ::-1])
            paths.append(path)
    finally:
        model.test_cfg = test_cfg
    return paths


def codec_oracle(runner, cfg) -> dict:
    """The test metric of the model's own codec on the test images' ground
    truth (perfect maps at the model's resolution): the ceiling beside the
    trained number (:func:`kp_ext.evaluation.bottomup_codec_oracle`)."""
    evaluator = cfg.test_evaluator
    if isinstance(evaluator, (list, tuple)):
        evaluator = evaluator[0]
    metric = METRICS.build(dict(evaluator))
    with contextlib.redirect_stdout(io.StringIO()):  # COCOeval's tables
        return bottomup_codec_oracle(runner.test_dataloader.dataset,
                                     runner.model.head.decoder, metric)


def main(argv=None) -> dict:
    args = parse_args(argv)
    threads = set_num_threads(args.threads or default_num_threads())
    rule = thread_rule(threads, args.threads)
    print(f'quickstart: {rule}', flush=True)
    repo = osp.dirname(osp.dirname(osp.abspath(__file__)))
    os.chdir(repo)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    if args.max_epochs is not None:
        cfg.train_cfg.max_epochs = args.max_epochs
        cfg.train_cfg.val_interval = min(cfg.train_cfg.get(
            'val_interval', 1), args.max_epochs)
    if not torch.cuda.is_available():
        cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    if args.minutes is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', None) or []) + [
            dict(type='TimeBudgetHook', minutes=args.minutes)]
    # pictures of the test-set predictions (skeletons)
    cfg.default_hooks.visualization.enable = True
    cfg.default_hooks.visualization.out_dir = 'vis'
    cfg.default_hooks.visualization.kpt_thr = 0.1

    t0 = time.time()
    runner = SummaryConsoleRunner.from_cfg(cfg)  # header, no cfg dump
    log_run_header(runner, args.config)
    runner.train()
    train_s = time.time() - t0
    metrics = runner.test()
    oracle = codec_oracle(runner, cfg)
    panel_dir = osp.join(runner.log_dir, 'paf')
    panels = draw_panels(runner, cfg, panel_dir, args.num_panels)
    total_s = time.time() - t0

    out = run_outputs(runner)
    ckpt, vis_dir = out['checkpoint'], out['vis_dir']
    pictures, log_file = out['pictures'], out['log_file']
    summary = {k: float(v) for k, v in metrics.items()}
    summary.update({f'oracle/{k}': float(v) for k, v in oracle.items()})
    summary.update(train_minutes=train_s / 60, total_minutes=total_s / 60,
                   threads=threads, thread_rule=rule)
    with open(osp.join(cfg.work_dir, 'quickstart_metrics.json'), 'w') as f:
        json.dump(summary, f, indent=2)

    print('\n' + '=' * 70)
    print(f'OpenPose quickstart finished: trained '
          f'{runner.epoch} epochs in {train_s / 60:.1f} min '
          f'({total_s / 60:.1f} min in all)')
    print(f'skeletons  : {vis_dir} ({len(pictures)} images)')
    print(f'PAF panels : {panel_dir} ({len(panels)} images: confidence maps'
          ' | PAFs | skeletons)')
    print(f'log        : {log_file}')
    print(f'checkpoint : {ckpt}')
    print(training_data_summary(describe_training_data(cfg),
                                model_kind(runner.model)))
    print('COCO keypoint metrics on held-out synthetic crowds (trained '
          "model | the codec's oracle: ground-truth maps at the model's "
          'resolution, decoded the same way = the ceiling):')
    for k, v in metrics.items():
        print(f'  {k:<16s} {float(v):.4f} | {float(oracle.get(k, "nan")):.4f}')
    print(f'threads    : {rule}')
    if ckpt:
        print('run the checkpoint on your own images or videos (here: a '
              'held-out synthetic image):')
        print('  ' + infer_command(cfg, ckpt, cfg.work_dir, threads))
    print('=' * 70)
    return dict(metrics=summary, oracle=oracle, vis_dir=vis_dir,
                pictures=pictures, panels=panels, checkpoint=ckpt)


if __name__ == '__main__':
    main()
