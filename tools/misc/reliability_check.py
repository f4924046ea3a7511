"""Re-measure what docs/RELIABILITY.md promises, on a tiny config.

    python tools/misc/reliability_check.py [--kills N] [--train-kills K]
        [--save-kills M] [--seed S] [--work-dir DIR] [--out FILE.json]
        [--skip resume,kills,dist]

Three measurements, each on the quickstart hourglass shrunk to seconds
(8 channels, 64x64 synthetic people, batch 4; :func:`tiny_config`):

1. **resume** - the largest weight difference (max |a - b| over every
   floating tensor of the final ``state_dict``) between an uninterrupted
   run and a run SIGKILLed right after a checkpoint and continued with
   ``tools/train.py --resume``, for an epoch-based loop (2 epochs, one
   dataloader worker) and an iteration-based loop (6 iterations).
2. **kills** - ``N`` SIGKILLs of the iteration-based run at a random
   moment (uniform over the wall time of an uninterrupted calibration
   run: start-up, training or saving; a trainer that finished first is
   rerun with a moment drawn below its time), ``--train-kills K`` at a
   random moment of its training phase (uniform from the first logged
   iteration to the end), and ``M`` SIGKILLs inside a checkpoint save (a
   random save, at a random one of its steps: half of ``NAME.partial``
   written, the partial file complete but not renamed, the new checkpoint
   in place but ``last_checkpoint`` not rewritten, ``last_checkpoint``
   rewritten but the old checkpoint not deleted). Each kill is followed
   by ``tools/train.py --resume`` in the same work dir, which must finish
   (exit 0) with the uninterrupted run's weights.
3. **dist** - the test metrics of ``bash tools/dist_test.sh`` with 1 and
   with 2 processes (gloo on a CPU-only torch; 5 test samples, so the
   2-process sampler pads one) on the epoch run's checkpoint.

Training runs are forked from this process (``tools/train.py`` through
``runpy``, so imports are paid once) in their own process group; a kill
is ``SIGKILL`` of that group (trainer and dataloader workers).
``dist_test.sh`` starts fresh processes through torchrun. Prints a table
and writes every figure to ``--out`` (default ``WORK_DIR/reliability.json``).
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import random
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(REPO, 'tools', 'train.py')
QUICKSTART = osp.join(REPO, 'configs', 'quickstart', 'hourglass_synthetic.py')

#: the steps of a checkpoint save a kill can land in (module doc, 2.)
SAVE_STAGES = ('mid-write', 'before-rename', 'before-last_checkpoint',
               'before-delete')
ITERS, ITER_CKPT_INTERVAL, EPOCHS = 6, 2, 2
NUM_TEST = 5  # odd: two ranks see 3 + 3 samples, one a padded duplicate


def tiny_config(work_dir: str, loop: str, name: str):
    """configs/quickstart/hourglass_synthetic.py shrunk to seconds:
    2-stack 8-channel hourglass, 64x64 crops of 8 synthetic people, batch
    4, the quickstart's augmentation, schedule types and checkpoint hook
    (``max_keep_ckpts=1``), no validation, a log line per iteration, a
    test set of 5 people. ``loop``: ``'epoch'`` (2 epochs, a checkpoint
    each, one dataloader worker) or ``'iter'`` (6 iterations, a checkpoint
    every 2, no worker)."""
    from mmengine.config import Config

    from kp_ext.utils.config_edit import to_iteration_loop
    cfg = Config.fromfile(QUICKSTART)
    cfg.work_dir = work_dir
    cfg.experiment_name = name
    size = (64, 64)
    if loop == 'epoch':
        cfg.train_cfg = dict(by_epoch=True, max_epochs=EPOCHS,
                             val_interval=10**6)
        interval, workers = 1, 1
    else:
        to_iteration_loop(cfg, ITERS)
        interval, workers = ITER_CKPT_INTERVAL, 0
    cfg.default_hooks.checkpoint.update(interval=interval, save_best=None)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.model.backbone.num_channels = 8
    for codec in (cfg.model.head.decoder, cfg.codec):
        codec.update(input_size=size, heatmap_size=(16, 16))
    for pipeline in (cfg.train_pipeline, cfg.val_dataloader.dataset.pipeline):
        for step in pipeline:
            if step['type'] == 'TopdownAffine':
                step['input_size'] = size
            if step['type'] == 'GenerateTarget':
                step['encoder'] = cfg.codec
    cfg.train_dataloader.update(batch_size=4, num_workers=workers,
                                persistent_workers=workers > 0)
    cfg.train_dataloader.dataset.update(num_samples=8, img_size=size,
                                        pipeline=cfg.train_pipeline)
    test = cfg.val_dataloader
    test.update(batch_size=2, num_workers=0, persistent_workers=False)
    test.dataset.update(num_samples=NUM_TEST, img_size=size)
    cfg.test_dataloader = test
    cfg.test_evaluator = cfg.val_evaluator
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    return cfg


# ----------------------------------------------------------- the killing
def _install_kill(stage: str, save_index: int) -> None:
    """In a forked trainer: SIGKILL the process group at ``stage`` of its
    ``save_index``-th checkpoint save (1-based), or (``'after-save'``)
    once that save is complete."""
    import kp_ext.engine.hooks.checkpoint_hook as ck

    def die():
        sys.stdout.flush()
        sys.stderr.flush()
        os.killpg(0, signal.SIGKILL)

    saves = {'n': 0}
    write_atomic = ck.write_atomic
    save_step = ck.CheckpointHook._save_checkpoint_with_step

    def counting_save(self, runner, step, meta):
        saves['n'] += 1
        save_step(self, runner, step, meta)
        if stage == 'after-save' and saves['n'] == save_index:
            die()

    def killing_write(data, path):
        path = str(path)
        this = saves['n'] == save_index
        if this and path.endswith('.pth') and stage == 'mid-write':
            with open(path + ck.PARTIAL_SUFFIX, 'wb') as f:
                f.write(data[:len(data) // 2])
                f.flush()
                os.fsync(f.fileno())
            die()
        if this and path.endswith('.pth') and stage == 'before-rename':
            with open(path + ck.PARTIAL_SUFFIX, 'wb') as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            die()
        if this and path.endswith('last_checkpoint') and \
                stage == 'before-last_checkpoint':
            die()
        write_atomic(data, path)

    remove = os.remove

    def killing_remove(path, *a, **kw):
        if stage == 'before-delete' and saves['n'] == save_index and \
                str(path).endswith('.pth'):
            die()
        remove(path, *a, **kw)

    ck.write_atomic = killing_write
    ck.CheckpointHook._save_checkpoint_with_step = counting_save
    os.remove = killing_remove


def _fork_train(args, log_file: str, kill=None) -> int:
    """Fork ``tools/train.py ARGS`` (runpy) in its own process group with
    its output in ``log_file``; returns the child's pid. ``kill``: a
    ``(stage, save_index)`` for :func:`_install_kill`."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setpgid(0, 0)
        fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        # a test runner may have put its own capture in sys.stdout/stderr
        sys.stdout = open(1, 'w', buffering=1, closefd=False)
        sys.stderr = open(2, 'w', buffering=1, closefd=False)
        if kill is not None:
            _install_kill(*kill)
        sys.argv = [TRAIN] + list(args)
        runpy.run_path(TRAIN, run_name='__main__')
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported through the log
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pid: int):
    """(exit code or -signal, seconds waited)."""
    t0 = time.time()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status), time.time() - t0
    return os.WEXITSTATUS(status), time.time() - t0


def _run_train(args, log_file, kill=None):
    t0 = time.time()
    code, _ = _wait(_fork_train(args, log_file, kill))
    return code, time.time() - t0


def _kill_after(args, log_file, seconds: float, after: str = None):
    """Start a trainer, SIGKILL its group ``seconds`` after the start (or,
    with ``after``, after that text first appears in ``log_file``) if it
    is still running (``math.inf``: let it finish). Returns (exit code, -9
    when killed; seconds from the start to the kill or to the trainer's
    own exit; seconds from the start to the first sight of ``after``, or
    None)."""
    t0 = time.time()
    pid = _fork_train(args, log_file)
    seen = None
    deadline = None if after else t0 + seconds
    while deadline is None or time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return (-os.WTERMSIG(status) if os.WIFSIGNALED(status)
                    else os.WEXITSTATUS(status)), time.time() - t0, seen
        if deadline is None and after in _read(log_file):
            seen = time.time() - t0
            deadline = time.time() + seconds
        time.sleep(0.02)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    code = _wait(pid)[0]
    return code, time.time() - t0, seen


def _read(path: str) -> str:
    if not osp.exists(path):
        return ''
    with open(path, errors='replace') as f:
        return f.read()


#: a training iteration's log line (``LoggerHook`` interval 1) and a save's
FIRST_ITER = 'Iter(train) [1/'
ITER_LINE = re.compile(r'Iter\(train\) \[(\d+)/\d+\]')
SAVE_LINE = re.compile(r'Saving checkpoint at (\d+) iterations')


def phase_reached(log_text: str) -> str:
    """Where a killed run was, from its log: ``'start-up'`` (no iteration
    logged yet), ``'training, after iteration k'`` (the last line is that
    iteration's) or ``'in or after the save at iteration k'`` (the last
    line announces that save)."""
    last = None
    for line in log_text.splitlines():
        m = ITER_LINE.search(line)
        if m:
            last = f'training, after iteration {m.group(1)}'
        m = SAVE_LINE.search(line)
        if m:
            last = f'in or after the save at iteration {m.group(1)}'
    return last or 'start-up'


def calibrate(root: str) -> dict:
    """Seconds to the first logged iteration and from it to the end, of
    an uninterrupted run of the kill trials' config forked the same way
    (the wall times kill moments are drawn from)."""
    work = osp.join(root, 'kill_calibration')
    os.makedirs(work, exist_ok=True)
    cfg = _write_cfg(tiny_config(work, 'iter', 'rc_kill_calibration'),
                     osp.join(work, 'tiny.py'))
    log = osp.join(work, 'train.log')
    code, total, first = _kill_after([cfg], log, math.inf, FIRST_ITER)
    if code != 0 or first is None:
        raise RuntimeError(f'calibration run failed: {log}')
    return dict(startup_s=round(first, 2),
                training_s=round(total - first, 2), total_s=round(total, 2))


# ---------------------------------------------------------- the measures
def _last_checkpoint(work_dir: str):
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.exists(path):
        return None
    with open(path) as f:
        return f.read().strip()


def _weights(work_dir: str) -> dict:
    from kp_ext.utils.checkpoint import load_from_local
    ckpt = load_from_local(_last_checkpoint(work_dir), map_location='cpu')
    return ckpt['state_dict']


def max_weight_diff(a: dict, b: dict) -> float:
    """max |a - b| over the floating tensors of two state dicts (same
    keys and shapes, else ValueError naming the first difference)."""
    if a.keys() != b.keys():
        raise ValueError(f'state dicts differ in keys: '
                         f'{sorted(set(a) ^ set(b))[:5]}')
    worst = 0.0
    for k in a:
        if a[k].shape != b[k].shape:
            raise ValueError(f'{k}: shapes {tuple(a[k].shape)} vs '
                             f'{tuple(b[k].shape)}')
        if a[k].is_floating_point():
            worst = max(worst, float(
                (a[k].double() - b[k].double()).abs().max()))
        elif not bool((a[k] == b[k]).all()):
            worst = float('inf')
    return worst


def _resumed_ok(log_file: str, work_dir: str) -> bool:
    """The resumed run said it resumed, or that there was nothing to
    resume from (a kill before the first checkpoint). Read from the
    console capture and from mmengine's own log files in ``work_dir``
    (``TIMESTAMP/TIMESTAMP.log``): under a test runner that captures
    stdout the console capture can be empty."""
    texts = []
    for path in [log_file] + sorted(glob.glob(osp.join(work_dir, '*',
                                                       '*.log'))):
        if osp.exists(path):
            with open(path, errors='replace') as f:
                texts.append(f.read())
    text = '\n'.join(texts)
    return 'resumed epoch' in text.lower() or 'no checkpoint found' in text


def _write_cfg(cfg, path: str) -> str:
    cfg.dump(path)
    return path


def measure_resume(root: str) -> dict:
    """(1): per loop, the uninterrupted run, a run killed right after its
    first checkpoint, the ``--resume`` of it, and the weight difference."""
    out = {}
    for loop in ('epoch', 'iter'):
        runs = {}
        for kind in ('full', 'killed'):
            work = osp.join(root, f'resume_{loop}_{kind}')
            os.makedirs(work, exist_ok=True)
            cfg = _write_cfg(tiny_config(work, loop, f'rc_{loop}_{kind}'),
                             osp.join(work, 'tiny.py'))
            runs[kind] = (work, cfg)
        work, cfg = runs['full']
        code, secs = _run_train([cfg], osp.join(work, 'train.log'))
        if code != 0:
            raise RuntimeError(f'uninterrupted {loop} run failed ({code}): '
                               f'{work}/train.log')
        work_k, cfg_k = runs['killed']
        log = osp.join(work_k, 'train.log')
        code_k, _ = _run_train([cfg_k], log, kill=('after-save', 1))
        at = _last_checkpoint(work_k)
        code_r, _ = _run_train([cfg_k, '--resume'], log)
        diff = (max_weight_diff(_weights(work), _weights(work_k))
                if code_r == 0 else None)
        out[loop] = dict(killed_exit=code_k, killed_after=osp.basename(
            at or 'none'), resume_exit=code_r, resumed=_resumed_ok(log, work_k),
            max_abs_weight_diff=diff, uninterrupted_s=round(secs, 1),
            work_dir=work_k, config=cfg)
    return out


def measure_kills(root: str, reference: str, n_random: int, n_save: int,
                  rng: random.Random, timing: dict,
                  n_train: int = 0) -> list:
    """(2): each trial in a fresh work dir of the iteration-based config:
    a kill, then ``--resume`` to the end, compared with ``reference``.
    ``'random'`` kills fall uniformly over the whole run (``timing``, from
    :func:`calibrate`), ``'train'`` kills uniformly over its training
    phase (counted from the first logged iteration), ``'save'`` kills in a
    random step of a random save. A trainer that finished before its kill
    moment is started again with the moment drawn anew below the time it
    took (at most 5 draws; ``draws`` in the report)."""
    ref = _weights(reference)
    trials = ([('random', None)] * n_random + [('train', None)] * n_train +
              [('save', None)] * n_save)
    out = []
    for i, (kind, _) in enumerate(trials):
        work = osp.join(root, f'kill_{i:02d}_{kind}')
        os.makedirs(work, exist_ok=True)
        cfg_path = osp.join(work, 'tiny.py')
        log = osp.join(work, 'train.log')
        draws = 1
        if kind in ('random', 'train'):
            bound = (timing['total_s'] if kind == 'random'
                     else timing['training_s'])
            after = FIRST_ITER if kind == 'train' else None
            while True:
                _fresh(work)
                cfg = _write_cfg(tiny_config(work, 'iter', f'rc_kill_{i}'),
                                 cfg_path)
                at_s = rng.uniform(0.0, bound)
                code_k, took, _ = _kill_after([cfg], log, at_s, after)
                if code_k != 0 or draws == 5:
                    break
                # finished before the kill: draw again below its run time
                bound = min(bound, took if after is None else
                            max(took - timing['startup_s'], 0.05))
                draws += 1
            where = (f'{at_s:.2f} s after the start' if after is None else
                     f'{at_s:.2f} s after iteration 1 was logged')
        else:
            cfg = _write_cfg(tiny_config(work, 'iter', f'rc_kill_{i}'),
                             cfg_path)
            stage = rng.choice(SAVE_STAGES)
            # 'before-delete' needs an older checkpoint (max_keep_ckpts=1)
            first = 2 if stage == 'before-delete' else 1
            index = rng.randint(first, ITERS // ITER_CKPT_INTERVAL)
            code_k, _ = _run_train([cfg], log, kill=(stage, index))
            where = f'save {index} of {ITERS // ITER_CKPT_INTERVAL}, {stage}'
        phase = (phase_reached(_read(log)) if code_k == -9 else
                 'finished' if code_k == 0 else f'failed (exit {code_k})')
        left = _last_checkpoint(work)
        partial = sorted(p for p in os.listdir(work) if p.endswith('.partial'))
        code_r, _ = _run_train([cfg, '--resume'], log)
        diff = (max_weight_diff(ref, _weights(work)) if code_r == 0
                else None)
        out.append(dict(kind=kind, where=where, draws=draws,
                        killed_exit=code_k, phase_at_kill=phase,
                        last_checkpoint_after_kill=osp.basename(left)
                        if left else None, partial_files=partial,
                        resume_exit=code_r, resumed=_resumed_ok(log, work),
                        max_abs_weight_diff=diff, work_dir=work))
    return out


def _fresh(work: str) -> None:
    """Empty a trial's work dir (a redrawn trial starts from nothing)."""
    shutil.rmtree(work)
    os.makedirs(work)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def measure_dist(root: str, cfg_file: str, checkpoint: str) -> dict:
    """(3): ``tools/dist_test.sh`` with 1 and 2 processes; the metrics
    and their largest difference."""
    metrics = {}
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('CUDA_VISIBLE_DEVICES', None)
    for n in (1, 2):
        out = osp.join(root, f'dist_test_{n}.json')
        log = osp.join(root, f'dist_test_{n}.log')
        env['PORT'] = str(_free_port())
        with open(log, 'w') as f:
            done = subprocess.run(
                ['bash', osp.join(REPO, 'tools', 'dist_test.sh'), cfg_file,
                 checkpoint, str(n), '--work-dir',
                 osp.join(root, f'dist_test_{n}'), '--out', out],
                cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise RuntimeError(f'dist_test.sh with {n} process(es) failed '
                               f'({done.returncode}): {log}')
        with open(out) as f:
            metrics[n] = json.load(f)
    keys = sorted(set(metrics[1]) | set(metrics[2]))
    diff = max(abs(float(metrics[1].get(k, float('nan'))) -
                   float(metrics[2].get(k, float('nan')))) for k in keys)
    return dict(metrics_1=metrics[1], metrics_2=metrics[2],
                max_abs_metric_diff=diff, num_test_samples=NUM_TEST)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/reliability_check')
    parser.add_argument('--kills', type=int, default=5,
                        help='SIGKILLs at a random moment')
    parser.add_argument('--train-kills', type=int, default=0,
                        help='SIGKILLs at a random moment of the training '
                        'phase (after the first iteration is logged)')
    parser.add_argument('--save-kills', type=int, default=4,
                        help='SIGKILLs inside a checkpoint save')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the kill moments and save steps')
    parser.add_argument('--skip', default='',
                        help='comma-separated parts to leave out: '
                        'resume, kills, dist (kills and dist need resume)')
    parser.add_argument('--out', default=None,
                        help='json of every figure (default '
                        'WORK_DIR/reliability.json)')
    args = parser.parse_args(argv)
    args.skip = {s for s in args.skip.split(',') if s}
    unknown = args.skip - {'resume', 'kills', 'dist'}
    if unknown:
        parser.error(f'--skip {",".join(sorted(unknown))}: not one of '
                     'resume, kills, dist')
    if 'resume' in args.skip and not {'kills', 'dist'} <= args.skip:
        parser.error('--skip resume: kills and dist use its runs; skip '
                     'them too')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    import torch
    import kp_ext  # noqa: F401  (imported once, before the forks)
    torch.set_num_threads(1)
    root = osp.abspath(args.work_dir)
    os.makedirs(root, exist_ok=True)
    rng = random.Random(args.seed)
    report = dict(command=' '.join(['python',
                                    'tools/misc/reliability_check.py'] +
                                   list(argv if argv is not None
                                        else sys.argv[1:])),
                  torch=torch.__version__, threads_per_process=1)
    t0 = time.time()
    if 'resume' not in args.skip:
        report['resume'] = measure_resume(root)
        print('resume:', json.dumps(
            {k: v['max_abs_weight_diff'] for k, v in
             report['resume'].items()}), flush=True)
    if 'kills' not in args.skip:
        report['kill_timing'] = calibrate(root)
        report['kills'] = measure_kills(
            root, osp.join(root, 'resume_iter_full'), args.kills,
            args.save_kills, rng, report['kill_timing'], args.train_kills)
    if 'dist' not in args.skip:
        full = osp.join(root, 'resume_epoch_full')
        report['dist'] = measure_dist(root, osp.join(full, 'tiny.py'),
                                      _last_checkpoint(full))
    report['minutes'] = round((time.time() - t0) / 60, 1)
    out = args.out or osp.join(root, 'reliability.json')
    with open(out, 'w') as f:
        json.dump(report, f, indent=2)
    _print_summary(report, out)
    return report


def _print_summary(report: dict, out: str) -> None:
    print('=' * 70)
    for loop, r in report.get('resume', {}).items():
        print(f'resume, {loop}-based: killed after {r["killed_after"]}, '
              f'--resume exit {r["resume_exit"]}, max |weight diff| vs '
              f'uninterrupted {r["max_abs_weight_diff"]}')
    kills = report.get('kills', [])
    if kills:
        ok = sum(k['resume_exit'] == 0 and k['resumed'] for k in kills)
        worst = max((k['max_abs_weight_diff'] for k in kills
                     if k['max_abs_weight_diff'] is not None),
                    default=None)
        print(f'kills: {ok} of {len(kills)} followed by a successful '
              f'--resume; max |weight diff| vs uninterrupted {worst}')
        t = report['kill_timing']
        print(f'  (uninterrupted: {t["startup_s"]} s start-up, '
              f'{t["training_s"]} s training)')
        for k in kills:
            print(f'  {k["kind"]:6s} {k["where"]:<42s} exit '
                  f'{k["killed_exit"]:>3} ({k["phase_at_kill"]}), left '
                  f'{k["last_checkpoint_after_kill"]}, resume exit '
                  f'{k["resume_exit"]}, diff {k["max_abs_weight_diff"]}')
    if 'dist' in report:
        d = report['dist']
        print(f'dist_test.sh 1 vs 2 processes ({d["num_test_samples"]} '
              f'samples): max |metric diff| {d["max_abs_metric_diff"]}')
    print(f'{report["minutes"]} min; all figures in {out}')
    print('=' * 70)


if __name__ == '__main__':
    main()
