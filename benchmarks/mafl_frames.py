"""NME_mafl in the two frames of ``LandmarkRegressionMetric(protocol='mafl')``.

``frame='resized'`` measures errors in network-input pixels (the frame of
the published MAFL numbers: ``tomasjakab/imm`` ``scripts/test.py`` scores the
128 x 128 crop of the aligned image resized to 160 x 160, an anisotropic
resize of 178 x 218); ``frame='original'`` in image pixels. The two differ
only when the box -> input resize is not uniform.

On the shared 68-point faces (``configs/fse_faces.py`` splits: regressor fit
on the training identities, scored on the 20 held-back identities), with
predictions derived from the ground truth, no network:

- ``mean shape``: no landmarks, every test face predicted as the mean fit
  shape (``NME_mafl_baseline``);
- ``jaw+brows``: K = 27 landmarks = the annotated points 0-26 (jaw and
  eyebrows) + Gaussian noise of ``--noise`` image pixels per coordinate
  (seeded), regressed without bias to the 5 MAFL points.

and three input frames for the same boxes:

- ``kp_ext crop``: the pipeline's own box (centred square, 0.6 x the shorter
  side) and its 96 x 96 input: uniform, the frames must agree;
- ``IMM anisotropy``: the same box with a 109 x 89 input: y scaled by
  89 / 109 = 0.8165 relative to x, as IMM's 160 / 218 vs 160 / 178;
- ``whole frame -> 96 x 96``: the box is the whole image (faces are
  74-494 x 91-421 px), squashed to a square as IMM does with the aligned
  CelebA image (a different box, so a different regression from the rows
  above; compare the two frames within the row).

    OMP_NUM_THREADS=1 python benchmarks/mafl_frames.py      # ~20 s
"""
import argparse
import os.path as osp
import sys
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

from mmengine.config import Config  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

import kp_ext  # noqa: E402,F401
from kp_ext.evaluation.metrics.landmark_regression import \
    LandmarkRegressionMetric  # noqa: E402
from kp_ext.registry import DATASETS  # noqa: E402
from kp_ext.utils.progress import track  # noqa: E402


def load_samples(config):
    """(split, gt (68, 2), box centre, box size, input size, image (w, h))
    of every fit / test sample of the config's test dataset."""
    cfg = Config.fromfile(config)
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.pop('holdout', None)
    ds = DATASETS.build(ds_cfg)
    out = []
    for i in track(range(len(ds))):
        sample = ds[i]['data_samples']
        meta = sample.metainfo
        gt = np.asarray(sample.gt_instances.keypoints, np.float64)[0]
        h, w = meta['ori_shape'][:2]
        out.append(dict(split=meta['regression_split'], gt=gt,
                        center=np.asarray(meta['input_center'], np.float64),
                        scale=np.asarray(meta['input_scale'], np.float64),
                        size=np.asarray(meta['input_size'], np.float64),
                        wh=np.array([w, h], np.float64)))
    return out


def packed(samples, preds, frame_kind):
    """Metric input dicts for one input-frame variant."""
    out = []
    for s, p in zip(samples, preds):
        if frame_kind == 'kp_ext crop':
            center, scale, size = s['center'], s['scale'], s['size']
        elif frame_kind == 'IMM anisotropy':
            center, scale, size = s['center'], s['scale'], (109, 89)
        else:  # whole frame squashed to 96 x 96
            center, scale, size = (s['wh'] - 1) / 2, s['wh'], (96, 96)
        out.append(dict(
            regression_split=s['split'], img_path='',
            input_center=np.asarray(center), input_scale=np.asarray(scale),
            input_size=tuple(size),
            pred_instances=dict(keypoints=np.asarray(p)[None]),
            gt_instances=dict(keypoints=s['gt'][None],
                              keypoints_visible=np.ones((1, 68)))))
    return out


def nme(samples, frame):
    metric = LandmarkRegressionMetric(protocol='mafl', frame=frame)
    metric.process({}, samples)
    return metric.compute_metrics(metric.results), metric.last_fit


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=osp.join(
        REPO, 'configs', 'fse_faces.py'))
    parser.add_argument('--noise', type=float, default=2.0,
                        help='landmark noise, image px per coordinate')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    MMLogger.get_instance('mafl_frames', log_level='WARNING')
    init_default_scope('kp_ext')
    tic = time.time()
    samples = load_samples(args.config)
    rng = np.random.default_rng(args.seed)
    preds = [s['gt'][:27] + rng.normal(0, args.noise, (27, 2))
             for s in samples]
    n_fit = sum(s['split'] == 'fit' for s in samples)
    print(f'{len(samples)} faces: {n_fit} fit, {len(samples) - n_fit} test '
          f'({args.config}); landmarks = points 0-26 + N(0, '
          f'{args.noise:g} px)')
    print(f'| input frame | predictions | NME_mafl resized | NME_mafl '
          f'original | resized / original |')
    print('|---|---|---|---|---|')
    for kind in ('kp_ext crop', 'IMM anisotropy', 'whole frame -> 96 x 96'):
        batch = packed(samples, preds, kind)
        res, fit_r = nme(batch, 'resized')
        org, fit_o = nme(batch, 'original')
        assert np.allclose(fit_r['weights'], fit_o['weights'])
        for name, key in (('mean shape', 'NME_mafl_baseline'),
                          ('jaw+brows', 'NME_mafl')):
            print(f'| {kind} | {name} | {res[key]:.3f} % | {org[key]:.3f} % '
                  f'| {res[key] / org[key]:.4f} |')
    print(f'({time.time() - tic:.1f} s)')


if __name__ == '__main__':
    main()
