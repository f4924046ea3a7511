"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT``."""
import argparse
import math
import os
import os.path as osp
import sys

from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.hooks import LoggerHook
from mmengine.runner import Runner

import kp_ext  # noqa: F401  (registers weights-only-safe checkpoint types)
from kp_ext.engine.console import SummaryConsoleRunner, log_run_header
from kp_ext.engine.launch import setup_distributed, teardown_distributed
from kp_ext.datasets import DatasetNotFoundError, check_dataset_files
from kp_ext.utils.checkpoint import check_state_dict_matches
from kp_ext.utils.cli import (CfgOptionsAction, apply_runner_device,
                              check_config)
from kp_ext.utils.run_outputs import run_outputs


def parse_args():
    parser = argparse.ArgumentParser(description='Evaluate a pose model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the directory to save evaluation results')
    parser.add_argument('--out', help='the file to save metric results.')
    parser.add_argument(
        '--dump', type=str,
        help='dump predictions to a pickle file (.pkl or .pickle)')
    parser.add_argument(
        '--non-strict',
        action='store_true',
        help='evaluate even if the checkpoint\'s keys or shapes do not '
        'match the model (by default that is an error)')
    parser.add_argument(
        '--show-dir',
        help='directory where the visualization images will be saved.')
    parser.add_argument('--show', action='store_true', help='show results')
    parser.add_argument(
        '--interval', type=int, default=1, help='visualize per interval')
    parser.add_argument(
        '--wait-time', type=float, default=1, help='display time (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override some settings in the used config')
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
    if args.dump and not args.dump.endswith(('.pkl', '.pickle')):
        parser.error(f'--dump {args.dump}: the predictions are pickled; '
                     'give a file name ending in .pkl or .pickle')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    cfg.load_from = args.checkpoint
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.show or args.show_dir:
        vis = cfg.default_hooks.visualization
        vis.enable = True
        vis.show = args.show
        vis.wait_time = args.wait_time
        vis.interval = args.interval
        if args.show_dir:
            vis.out_dir = args.show_dir
    if args.dump:
        dump = dict(type='DumpResults', out_file_path=args.dump)
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, (list, tuple)):
            cfg.test_evaluator = [*evaluator, dump]
        else:
            cfg.test_evaluator = [evaluator, dump]
    return cfg


def log_test_progress(runner, lines: int = 10) -> None:
    """Log test progress about ``lines`` times over the test set.

    mmengine's ``LoggerHook`` logs test iterations every ``interval`` (50 in
    the default runtime): a test set of fewer batches printed nothing until
    the metrics. The interval is lowered (never raised) to
    ``ceil(batches / lines)``; each line has mmengine's ETA.
    """
    batches = len(runner.test_loop.dataloader)
    for hook in runner.hooks:
        if isinstance(hook, LoggerHook):
            hook.interval = max(1, min(hook.interval,
                                       math.ceil(batches / lines)))


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg = check_config(merge_args(cfg, args), args.config)
    try:  # a missing dataset: a few lines, before the runner dumps the cfg
        check_dataset_files(cfg, ('test', ), args.config)
    except DatasetNotFoundError as e:
        sys.exit(str(e))
    setup_distributed(cfg, args.launcher)  # gloo + CPU DDP without CUDA
    runner = (Runner if args.verbose else SummaryConsoleRunner).from_cfg(cfg)
    log_run_header(runner, args.config, ('test', ))
    # errors about non-finite outputs name the checkpoint
    getattr(runner.model, 'module', runner.model).checkpoint_file = \
        args.checkpoint
    log_test_progress(runner)
    if not args.non_strict:
        # mmengine loads load_from non-strictly: another model's checkpoint
        # would only log warnings and the metrics would be near zero
        check_state_dict_matches(
            runner.model, args.checkpoint,
            hint=' (pass --non-strict to evaluate anyway)')
    metrics = runner.test()
    if args.show_dir:
        out = run_outputs(runner, args.show_dir)
        runner.logger.info(f'{len(out["pictures"])} pictures of the '
                           f'predictions written to {out["vis_dir"]}')
    if args.out and is_main_process():  # one writer in a distributed run
        from mmengine.fileio import dump
        dump(metrics, args.out)
    teardown_distributed()
    return metrics


if __name__ == '__main__':
    main()
