"""Train a config for a bounded wall-clock time, then evaluate it.

The benchmark behind the README's supervised face and mouse numbers:

    python tools/bounded_train.py configs/hourglass/hourglass_faces68.py \
        --minutes 25 --work-dir work_dirs/bench_faces

trains (the config's schedule, cut at ``--minutes``), saves the final
weights as ``final.pth``, evaluates them on the config's test split and
prints/writes the metrics.
"""
import argparse
import json
import os.path as osp
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import kp_ext  # noqa: F401


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--minutes', type=float, required=True)
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    if not torch.cuda.is_available():
        cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
        dict(type='TimeBudgetHook', minutes=args.minutes)]
    # validation inside the budget would eat it: evaluate once at the end
    cfg.train_cfg.val_interval = 10**6

    runner = Runner.from_cfg(cfg)
    t0 = time.time()
    runner.train()
    train_min = (time.time() - t0) / 60
    # the weights that are evaluated, for tools/test.py
    runner.save_checkpoint(args.work_dir, 'final.pth', save_optimizer=False,
                           save_param_scheduler=False)
    metrics = runner.test()
    out = dict(config=args.config, minutes_budget=args.minutes,
               train_minutes=round(train_min, 2), iters=runner.iter,
               epochs=runner.epoch, threads=torch.get_num_threads(),
               metrics={k: float(v) for k, v in metrics.items()})
    with open(osp.join(args.work_dir, 'bounded_train.json'), 'w') as f:
        json.dump(out, f, indent=2)
    print(json.dumps(out, indent=2))


if __name__ == '__main__':
    main()
