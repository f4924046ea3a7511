"""Train a kp_ext model: ``python tools/train.py CONFIG [--work-dir DIR]``.

Same flags as MMPose's tools/train.py.
"""
import argparse
import os
import os.path as osp
import sys

import torch
from mmengine.config import Config
from mmengine.runner import Runner

import kp_ext  # noqa: F401  (registers weights-only-safe checkpoint types)
from kp_ext.engine.console import SummaryConsoleRunner, log_run_header
from kp_ext.datasets import DatasetNotFoundError, check_dataset_files
from kp_ext.utils.cli import (CfgOptionsAction, apply_runner_device,
                              check_config)
from kp_ext.engine.launch import (check_train_schedule, resolve_auto_resume,
                                  setup_distributed, teardown_distributed)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a pose model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If specify checkpoint path, resume from it, while if not '
        'specify, try to auto resume from the latest checkpoint '
        'in the work directory.')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training (fp16 with loss '
        'scaling on GPU, bfloat16 autocast on CPU)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='whether not to evaluate the checkpoint during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='whether to auto scale the learning rate according to the '
        'actual batch size and the original batch size.')
    parser.add_argument(
        '--show-dir',
        help='directory where the visualization images will be saved.')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='visualize per interval samples.')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--device', default=None,
        help='cpu, cuda or cuda:N; must be where mmengine runs (default: '
        'its choice, a GPU when torch sees one)')
    parser.add_argument(
        '--verbose', action='store_true',
        help="also print mmengine's environment, config and hook dump on the "
        'console (always in the log file)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    apply_runner_device(parser, args.device, args.launcher)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge CLI arguments into the config."""
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    check_train_schedule(cfg)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        else:
            cfg.optim_wrapper.type = 'BF16OptimWrapper'

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    # `--resume` (or `resume = True`) without a checkpoint file: the latest
    # of work_dir, or none (mmengine would log "resumed from ... None")
    args.resume_note = resolve_auto_resume(cfg)

    if args.show_dir:
        vis = cfg.default_hooks.visualization
        vis.enable = True
        vis.out_dir = args.show_dir
        vis.interval = args.interval
    return cfg


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg = check_config(merge_args(cfg, args), args.config)
    try:  # a missing dataset: a few lines, before the runner dumps the cfg
        check_dataset_files(cfg, ('train', 'val'), args.config)
    except DatasetNotFoundError as e:
        sys.exit(str(e))
    # gloo + CPU DDP without CUDA, mmengine's set-up with it
    setup_distributed(cfg, args.launcher)
    runner = (Runner if args.verbose else SummaryConsoleRunner).from_cfg(cfg)
    log_run_header(runner, args.config, ('train', 'val'))
    if getattr(args, 'resume_note', None):
        runner.logger.warning(args.resume_note)
    try:
        runner.train()
    except FloatingPointError as e:  # diverged (kp_ext.utils.non_finite)
        runner.logger.error(f'training stopped: {e}')
        raise SystemExit(1)
    teardown_distributed()


if __name__ == '__main__':
    main()
