"""One command per trained-model result: train within a budget, evaluate,
print the metric beside its baselines / oracles measured in the same run.

    python tools/benchmark.py accuracy --model openpose [--minutes M]
    python tools/benchmark.py accuracy --model mouse    [--minutes 15]
    python tools/benchmark.py accuracy --model faces    [--minutes 30]
    python tools/benchmark.py accuracy --model fse      [--minutes 60]
        [--threads T] [--work-dir DIR] [--config CFG]

- ``openpose``: ``tools/quickstart_openpose.py`` (its epoch schedule;
  ``--minutes`` caps it) -> COCO AP on the held-out synthetic crowds and
  the codec's oracle AP on the same images (perfect maps at the model's
  resolution, decoded the same way: the ceiling).
- ``mouse``: ``tools/bounded_train.py`` on
  ``configs/hourglass/hourglass_mouse_dlc.py`` -> PCK@0.05 / 0.1 / 0.2
  (bbox-normalised) and EPE (px) on the held-back frames.
- ``faces``: ``tools/bounded_train.py configs/hourglass/hourglass_faces68.py``
  -> NME on the unseen identities, beside the shape oracles of the same
  split (:func:`kp_ext.evaluation.shape_oracles`, network-input frame).
- ``fse``: ``tools/fse_benchmark.py --val-every 500 --select-by
  NME_holdout`` -> the regression NME (kp_ext protocol, 68 and 5 points),
  ``NME_mafl`` (the literature's protocol), and the shape oracles.

Each runs the existing tool in a subprocess (its flags and outputs
unchanged), reads the JSON it writes and prints one table. Thread count,
training minutes and iterations are printed with every number.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

MODELS = dict(
    openpose=dict(config='configs/quickstart/openpose_synthetic.py',
                  minutes=None),
    mouse=dict(config='configs/hourglass/hourglass_mouse_dlc.py',
               minutes=15.0),
    faces=dict(config='configs/hourglass/hourglass_faces68.py',
               minutes=30.0),
    fse=dict(config='configs/fse/fse_faces_bf16_pairs.py', minutes=60.0),
)
# the outer eye corners of the 68-point faces: every face NME's normaliser
OUTER_EYES = (36, 45)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', required=True, choices=sorted(MODELS))
    p.add_argument('--minutes', type=float, default=None,
                   help='training budget (default per model: openpose the '
                   "quickstart's schedule, mouse 15, faces 30, fse 60)")
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--config', default=None, help='another config')
    p.add_argument('--work-dir', default=None)
    p.add_argument('--val-every', type=int, default=500,
                   help='fse: evaluate every N iterations (selection)')
    p.add_argument('--cosine-lr', action='store_true',
                   help='fse: anneal the learning rate over the time budget '
                   '(tools/fse_benchmark.py --cosine-lr)')
    return p.parse_args(argv)


def _run(cmd, threads: int):
    cmd = cmd + ['--threads', str(threads)]
    print('+ ' + ' '.join(cmd), flush=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    subprocess.run(cmd, cwd=REPO, env=env, check=True)


def input_frame_keypoints(dataset):
    """Annotated keypoints of every sample of a (pipelined) dataset in its
    network-input frame (the crop the pipeline made) -> (N, K, 2); samples
    with a missing keypoint are left out."""
    import numpy as np

    from kp_ext.structures.bbox import apply_affine, image_to_input_matrix
    from kp_ext.utils import to_numpy
    out = []
    for i in range(len(dataset)):
        ds = dataset[i]['data_samples']
        meta = ds.metainfo
        gt = ds.gt_instances
        k = to_numpy(gt.keypoints, np.float64).reshape(-1, 2)
        if 'keypoints_visible' in gt and \
                not (to_numpy(gt.keypoints_visible) > 0).all():
            continue
        missing = [key for key in ('input_center', 'input_scale',
                                   'input_size') if key not in meta]
        if missing:
            raise KeyError(f'sample {i} ({meta.get("img_path")}): metainfo '
                           f'lacks {missing} (the crop of the pipeline)')
        out.append(apply_affine(k, image_to_input_matrix(meta)))
    return np.stack(out)


def face_shape_oracles(config: str, fit_key: str, test_key: str) -> dict:
    """Shape oracles (mean shape, at the true centroid, similarity-aligned)
    of a face config: mean shape from the training split, scored on the
    test split, in the network-input frame."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from kp_ext.evaluation import shape_oracles
    from kp_ext.registry import DATASETS
    init_default_scope('kp_ext')
    cfg = Config.fromfile(osp.join(REPO, config))

    def build(key):
        ds_cfg = cfg
        for part in key.split('.'):
            ds_cfg = ds_cfg[part]
        ds_cfg = dict(ds_cfg, test_mode=True)
        if 'pipeline' not in ds_cfg or key.startswith('train'):
            # the test pipeline: the same crop, no augmentation
            ds_cfg['pipeline'] = cfg.test_dataloader.dataset.get(
                'pipeline', None) or cfg.test_dataloader.dataset.test.pipeline
        return DATASETS.build(ds_cfg)

    fit = input_frame_keypoints(build(fit_key))
    test = input_frame_keypoints(build(test_key))
    res = shape_oracles(fit, test, OUTER_EYES)
    res.update(n_fit=len(fit), n_test=len(test))
    return res


def main(argv=None):
    args = parse_args(argv)
    spec = MODELS[args.model]
    config = args.config or spec['config']
    minutes = args.minutes if args.minutes is not None else spec['minutes']
    work = args.work_dir or osp.join('work_dirs', f'accuracy_{args.model}')
    py = sys.executable
    rows = []
    if args.model == 'openpose':
        cmd = [py, 'tools/quickstart_openpose.py', '--config', config,
               '--work-dir', work]
        if minutes is not None:
            cmd += ['--minutes', str(minutes)]
        _run(cmd, args.threads)
        res = json.load(open(osp.join(REPO, work, 'quickstart_metrics.json')))
        head = (f'OpenPose quickstart ({config}): {res["train_minutes"]:.1f} '
                f'training min, {res["total_minutes"]:.1f} min in all, '
                f'{args.threads} threads')
        for k in ('coco/AP', 'coco/AP .5', 'coco/AP .75', 'coco/AR'):
            rows.append((k, res[k], res.get(f'oracle/{k}')))
        cols = ('metric', 'trained', "codec oracle (ceiling)")
    elif args.model in ('mouse', 'faces'):
        _run([py, 'tools/bounded_train.py', config, '--minutes',
              str(minutes), '--work-dir', work], args.threads)
        res = json.load(open(osp.join(REPO, work, 'bounded_train.json')))
        m = res['metrics']
        head = (f'{config}: {res["train_minutes"]:.1f} training min '
                f'(budget {minutes}), {res["epochs"]} epochs, '
                f'{res["threads"]} threads')
        if args.model == 'mouse':
            for k in ('PCK', 'PCK@0.1', 'PCK@0.2', 'EPE'):
                if k in m:
                    name = 'PCK@0.05' if k == 'PCK' else k
                    rows.append((name + (' (px)' if k == 'EPE' else ''),
                                 m[k], None))
            cols = ('metric (held-back frames)', 'trained', '')
        else:
            orc = face_shape_oracles(config, 'train_dataloader.dataset',
                                     'test_dataloader.dataset')
            # the NME metric returns a fraction (MMPose's convention)
            rows.append(('NME % (68 pts, outer eyes)', 100 * m['NME'],
                         None))
            rows += [(f'oracle: {k}', orc[k], None)
                     for k in ('mean_shape', 'centroid', 'similarity')]
            cols = ('unseen identities', 'value', '')
    else:
        out = osp.join(work, 'fse_benchmark.json')
        _run([py, 'tools/fse_benchmark.py', '--config', config,
              '--minutes', str(minutes), '--work-dir', work,
              '--val-every', str(args.val_every), '--select-by',
              'NME_holdout', '--json', out]
             + (['--cosine-lr'] if args.cosine_lr else []), args.threads)
        res = json.load(open(osp.join(REPO, out)))
        orc = face_shape_oracles(config, 'val_dataloader.dataset.fit',
                                 'val_dataloader.dataset.test')
        head = (f'FSE ({config}): {res["iters"]} iterations in '
                f'{res["minutes"]:.1f} min, {res["threads"]} threads, '
                f'checkpoint chosen by NME_holdout: iteration '
                f'{res.get("selected_iter", res["iters"])}')
        for k in ('NME', 'NME_5pt', 'NME_mafl', 'NME_baseline',
                  'NME_5pt_baseline', 'NME_mafl_baseline'):
            if k in res:
                rows.append((k, res[k], None))
        rows += [(f'oracle: {k} (68 pts)', orc[k], None)
                 for k in ('mean_shape', 'centroid', 'similarity')]
        cols = ('held-back identities', 'NME %', '')
    print('\n' + '=' * 72)
    print(head)
    print(f'{cols[0]:<34s} {cols[1]:>10s} {cols[2]:>24s}')
    for name, v, o in rows:
        o_s = '' if o is None else f'{o:.4f}'
        print(f'{name:<34s} {v:10.4f} {o_s:>24s}')
    print('=' * 72)
    return dict(rows=rows, head=head)


if __name__ == '__main__':
    main()
