"""Why do FSE landmarks not carry face shape? Per-landmark diagnostics.

``python tools/analysis/fse_diagnose.py CONFIG [CHECKPOINT] [--split val]
[--out JSON] [--threads 1]``

Builds the config's unsupervised landmark model (``kp_ext.apis.
init_model``; without CHECKPOINT the weights are a random initialisation
seeded with the config's ``randomness.seed``, i.e. the start of training),
runs one part of the config's ``val_dataloader`` dataset (a
``RegressionSplitDataset``; ``--split`` names the part, ``test`` /
``holdout`` / ``fit``, or the ``split`` of the dataset in it, e.g. ``val``
for ``configs/fse_faces.py``'s held-back identities) and measures, with
:mod:`kp_ext.evaluation.landmark_consistency`, in network-input pixels:

- per landmark: its spread after similarity-aligning each face to the mean
  annotated shape (Procrustes on the annotated points), in px of the mean
  shape's frame and in % of its outer-eye distance; the same spread for a
  point fixed at the landmark's mean image position (what ignoring the face
  scores); the nearest annotated point of the mean shape; the share of its
  probability mass on the face (hull of the annotated points, dilated by
  ``--margin`` x the face's size; a uniform map's share is printed as the
  chance level); the RMS spread of its probability map (a broad map's
  soft-argmax sits near the image centre whatever the image);
- the equivariance error ``|T(Phi(x')) - Phi(x)|`` on pairs drawn from the
  split's images by the model's own ``make_pair`` (seeded ``--seed``), and,
  with a checkpoint, the same for the random initialisation.

Prints a table and a summary saying what the numbers mean; ``--out``
writes them as JSON. Without the data the config points to it exits
naming the missing folder.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List

import numpy as np

__all__ = ['select_part', 'collect', 'diagnose', 'main']

PARTS = ('test', 'holdout', 'fit')


def select_part(dataset_cfg, split: str):
    """(part name, dataset config) of the val dataset's ``split`` part."""
    if dataset_cfg.get('type') != 'RegressionSplitDataset':
        return split, dataset_cfg
    if split in PARTS:
        part = dataset_cfg.get(split)
        if part is None:
            raise KeyError(f'val_dataloader.dataset has no {split!r} part')
        return split, part
    for name in PARTS:
        part = dataset_cfg.get(name)
        if part is not None and part.get('split') == split:
            return name, part
    have = {n: dataset_cfg[n].get('split') for n in PARTS
            if dataset_cfg.get(n) is not None}
    raise KeyError(f'--split {split!r}: val_dataloader.dataset '
                   f'(RegressionSplitDataset) has the parts {have} '
                   '(name: dataset split); give a part name or a split')


def _check_data(part_cfg):
    root = part_cfg.get('data_root')
    if root and not osp.isdir(root):
        sys.exit(f'fse_diagnose: the dataset folder {osp.normpath(root)} '
                 'does not exist (data_root of the config; set '
                 '$KP_EXT_DATA to the folder holding '
                 f'{osp.basename(osp.normpath(root))})')


def collect(model, dataset, indices, batch_size: int = 32):
    """Network inputs, landmarks, maps and annotations (input px)."""
    import torch
    from mmengine.dataset import pseudo_collate

    from kp_ext.utils import to_numpy
    inputs, preds, probs, gts, skipped = [], [], [], [], 0
    size = None
    for start in range(0, len(indices), batch_size):
        items = [dataset[int(i)] for i in indices[start:start + batch_size]]
        keep = []
        for item in items:
            gt = item['data_samples'].gt_instances
            vis = (to_numpy(gt.keypoints_visible).reshape(-1) > 0
                   if 'keypoints_visible' in gt else None)
            if vis is not None and not vis.all():
                skipped += 1
                continue
            keep.append(item)
        if not keep:
            continue
        data = model.data_preprocessor(pseudo_collate(keep), False)
        x = data['inputs']
        with torch.no_grad():
            lm, p = model.extract_landmarks(x)
        for s in data['data_samples']:
            meta = s.metainfo
            for key in ('input_center', 'input_scale', 'input_size'):
                if meta.get(key) is None:
                    raise KeyError(f'fse_diagnose: sample '
                                   f'{meta.get("img_path")} lacks {key!r} '
                                   '(the crop box)')
            c = np.asarray(meta['input_center'], np.float64).reshape(2)
            sc = np.asarray(meta['input_scale'], np.float64).reshape(2)
            size = np.asarray(meta['input_size'], np.float64).reshape(2)
            k = to_numpy(s.gt_instances.keypoints, np.float64)[0, :, :2]
            # image -> input px: the inverse of the estimator's mapping
            gts.append((k - (c - sc / 2)) / sc * size)
        inputs.append(x)
        preds.append(to_numpy(lm, np.float64))
        probs.append(to_numpy(p, np.float32))
    if not gts:
        raise ValueError('fse_diagnose: no fully annotated sample')
    return dict(inputs=torch.cat(inputs), pred=np.concatenate(preds),
                probs=np.concatenate(probs), gt=np.stack(gts),
                input_size=tuple(int(v) for v in size), skipped=skipped)


def diagnose(model, data, seed: int = 0, margin: float = 0.1,
             batch_size: int = 32) -> dict:
    """The three measurements on collected data (:func:`collect`)."""
    from kp_ext.evaluation import (equivariance_error, landmark_consistency,
                                   map_spread, mass_on_face)
    cons = landmark_consistency(data['pred'], data['gt'])
    h, w = data['probs'].shape[-2:]
    stride = (data['input_size'][0] / w, data['input_size'][1] / h)
    mass = mass_on_face(data['probs'], data['gt'], stride, margin)
    eq = equivariance_error(lambda x: model.extract_landmarks(x)[0],
                            data['inputs'], model.make_pair, seed=seed,
                            batch_size=batch_size)
    spread = map_spread(data['probs'], stride).mean(0)  # (K,)
    return dict(consistency=cons, mass=mass, equivariance=eq,
                stride=stride, map_rms_px=spread)


def _random_model(cfg, seed: int):
    from mmengine.runner import set_random_seed

    from kp_ext.apis import init_model
    set_random_seed(seed)
    # the modules' own (PyTorch default) initialisation; init_model drops
    # init_cfg (no pretrained downloads), so a config that starts from
    # pretrained weights would start elsewhere
    return init_model(cfg).eval()


def _summary(d: dict) -> dict:
    c, m, e = d['consistency'], d['mass'], d['equivariance']
    norm = c['norm_px']
    out = dict(
        median_spread_px=float(np.median(c['spread_px'])),
        median_fixed_spread_px=float(np.median(c['fixed_spread_px'])),
        median_spread_ratio=float(np.nanmedian(c['spread_ratio'])),
        frac_landmarks_on_face=m['frac_landmarks_on_face'],
        frac_maps_on_face=m['frac_maps_on_face'],
        mean_mass_on_face=float(m['mean_mass'].mean()),
        median_map_rms_px=float(np.median(d['map_rms_px'])),
        uniform_mass_on_face=m['uniform_mass'],
        equivariance_px=e['mean_px'],
        equivariance_fixed_px=e['fixed_px'])
    if norm:
        out['median_spread_pct_iod'] = 100 * out['median_spread_px'] / norm
    return out


def _names(dataset) -> dict:
    meta = getattr(dataset, 'metainfo', None) or {}
    return {int(k): str(v) for k, v in
            (meta.get('keypoint_id2name') or {}).items()}


def _table(d: dict, names: dict) -> List[str]:
    c, m = d['consistency'], d['mass']
    norm = c['norm_px']
    lines = [' k  spread_px  spread_%IOD  fixed_px  ratio  nearest_pt'
             '                dist_px  mass_on_face  map_rms_px']
    for k in range(len(c['spread_px'])):
        j = int(c['nearest_index'][k])
        name = f'{j} {names.get(j, "")}'.strip()[:24]
        pct = (f'{100 * c["spread_px"][k] / norm:11.1f}' if norm
               else f'{"-":>11}')
        lines.append(
            f'{k:2d}  {c["spread_px"][k]:9.2f}  {pct}  '
            f'{c["fixed_spread_px"][k]:8.2f}  {c["spread_ratio"][k]:5.2f}  '
            f'{name:<24}  {c["nearest_dist_px"][k]:7.2f}  '
            f'{m["mean_mass"][k]:12.2f}  {d["map_rms_px"][k]:10.1f}')
    return lines


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint', nargs='?', default=None,
                   help='weights; without: random initialisation (the '
                        'start of training)')
    p.add_argument('--split', default='test',
                   help='part of the val RegressionSplitDataset (test, '
                        'holdout, fit) or its dataset split (e.g. val)')
    p.add_argument('--out', default=None, help='write the results as JSON')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--max-samples', type=int, default=None,
                   help='evenly spaced subset of the split')
    p.add_argument('--seed', type=int, default=0,
                   help='seed of the equivariance pairs\' warps')
    p.add_argument('--margin', type=float, default=0.1,
                   help='face hull dilation, x the face bounding box side')
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    os.environ.setdefault('OMP_NUM_THREADS', str(args.threads))
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from kp_ext.apis import init_model
    from kp_ext.evaluation import map_spread
    from kp_ext.registry import DATASETS
    torch.set_num_threads(max(1, args.threads))

    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'kp_ext'))
    loader = cfg.get('val_dataloader')
    if not loader or not loader.get('dataset'):
        raise KeyError(f'{args.config}: no val_dataloader.dataset')
    part, part_cfg = select_part(loader['dataset'], args.split)
    _check_data(part_cfg)
    dataset = DATASETS.build(part_cfg)
    n = len(dataset)
    indices = np.arange(n)
    if args.max_samples is not None and args.max_samples < n:
        indices = np.unique(np.linspace(0, n - 1, args.max_samples)
                            .round().astype(int))
    init_seed = int((cfg.get('randomness') or {}).get('seed') or 0)
    start = _random_model(cfg, init_seed)
    model = (init_model(cfg, args.checkpoint) if args.checkpoint
             else start)
    for m in (model, start):
        if not hasattr(m, 'extract_landmarks') or \
                not hasattr(m, 'make_pair'):
            raise TypeError(f'{args.config}: {type(m).__name__} is not an '
                            'unsupervised landmark estimator '
                            '(extract_landmarks, make_pair)')

    data = collect(model, dataset, indices, args.batch_size)
    res = diagnose(model, data, args.seed, args.margin, args.batch_size)
    summary = _summary(res)
    at_init = None
    if args.checkpoint:
        data0 = collect(start, dataset, indices, args.batch_size)
        at_init = _summary(diagnose(start, data0, args.seed, args.margin,
                                    args.batch_size))
        for key in ('equivariance_px', 'median_spread_px',
                    'frac_landmarks_on_face'):
            summary[f'{key}_at_init'] = at_init[key]

    c, m, e = res['consistency'], res['mass'], res['equivariance']
    norm = c['norm_px']
    nf, k = data['pred'].shape[:2]
    p = data['gt'].shape[1]
    w, h = data['input_size']
    weights = (f'checkpoint {args.checkpoint}' if args.checkpoint else
               f'RANDOM INITIALISATION (no checkpoint; seed {init_seed}) = '
               'the start of training')
    hm_h, hm_w = data['probs'].shape[-2:]
    uniform_rms = float(map_spread(np.full((1, 1, hm_h, hm_w),
                                           1.0 / (hm_h * hm_w)),
                                   res['stride'])[0, 0])
    names = _names(dataset)
    split_name = part_cfg.get('split', part)
    lines = [
        f'FSE landmark diagnostics: {args.config}',
        f'weights: {weights}',
        f'split {split_name!r} (part {part!r} of val_dataloader.dataset): '
        f'{nf} faces' + (f' ({data["skipped"]} not fully annotated, '
                         'skipped)' if data['skipped'] else '') +
        f', K={k} landmarks, {p} annotated points, {w}x{h} network input,'
        f' maps {res["stride"][0]:g} px per cell',
        'frame: each face similarity-aligned (scale, rotation, translation;'
        f' Procrustes on its {p} annotated points) to the mean annotated '
        f'shape; px = pixels of the {w}x{h} network input at the mean '
        'face size' + (f'; mean shape outer-eye distance (IOD, points 36-'
                       f'45) = {norm:.1f} px' if norm else ''),
        '',
    ] + _table(res, names) + [
        '',
        'columns: spread_px = RMS distance of the aligned landmark to its '
        'mean aligned position (0 = the same facial point on every face); '
        'fixed_px = that spread for a point fixed at the landmark\'s mean '
        'image position (what a landmark ignoring the face scores); ratio '
        '= spread / fixed (~1: behaves like a fixed image position; << 1: '
        'follows the face); nearest_pt / dist_px = annotated point of the '
        'mean shape nearest to the landmark\'s mean aligned position; '
        f'mass_on_face = mean share of its softmax mass inside the hull of '
        f'the annotated points dilated by {args.margin:g} x the face box '
        f'side (a uniform map puts {m["uniform_mass"]:.2f} there); '
        'map_rms_px = RMS spread of its probability map about its mean '
        f'position, input px (a uniform map: {uniform_rms:.1f} px)',
        '',
        'summary:',
        f'  median spread {summary["median_spread_px"]:.2f} px' + (
            f' ({summary["median_spread_pct_iod"]:.1f} % of IOD)'
            if norm else '') +
        f'; a fixed image position: {summary["median_fixed_spread_px"]:.2f}'
        f' px; median ratio {summary["median_spread_ratio"]:.2f}',
        f'  landmarks with > 50 % mass on the face: '
        f'{int(round(m["frac_landmarks_on_face"] * k))}/{k} '
        f'({m["frac_landmarks_on_face"]:.2f}); maps (face, landmark) > 50 %:'
        f' {m["frac_maps_on_face"]:.2f}; mean mass on face '
        f'{summary["mean_mass_on_face"]:.2f} (uniform map '
        f'{m["uniform_mass"]:.2f}); median map RMS spread '
        f'{summary["median_map_rms_px"]:.1f} px (uniform {uniform_rms:.1f})',
        f'  equivariance error |T(Phi(x\')) - Phi(x)|: {e["mean_px"]:.2f} '
        f'px on {e["num_pairs"]} pairs of these images (model\'s own TPS '
        f'warps, seed {args.seed}); a constant detector: '
        f'{e["fixed_px"]:.2f} px',
    ]
    if m['uniform_mass'] >= m['threshold']:
        lines.append(
            f'  note: the face region holds {m["uniform_mass"]:.0%} of the '
            'map cells, so a uniform (uninformative) map already has > 50 % '
            'of its mass on the face; read mass_on_face against that '
            'chance level')
    if at_init is not None:
        lines.append(
            f'  at the start of training (random init, seed {init_seed}): '
            f'equivariance {at_init["equivariance_px"]:.2f} px, median '
            f'spread {at_init["median_spread_px"]:.2f} px, landmarks on '
            f'face {at_init["frac_landmarks_on_face"]:.2f}')
    print('\n'.join(lines))

    per_landmark = [dict(
        k=i, spread_px=c['spread_px'][i],
        spread_pct_iod=(100 * c['spread_px'][i] / norm if norm else None),
        fixed_spread_px=c['fixed_spread_px'][i],
        spread_ratio=c['spread_ratio'][i],
        nearest_point=int(c['nearest_index'][i]),
        nearest_point_name=names.get(int(c['nearest_index'][i])),
        nearest_dist_px=c['nearest_dist_px'][i],
        mean_position_px=c['mean_position'][i],
        mass_on_face=m['mean_mass'][i], map_rms_px=res['map_rms_px'][i],
        equivariance_px=e['per_landmark_px'][i]) for i in range(k)]
    result = _jsonable(dict(
        config=args.config, checkpoint=args.checkpoint,
        weights='checkpoint' if args.checkpoint else 'random_init',
        init_seed=init_seed, split=split_name, part=part, num_faces=nf,
        skipped=data['skipped'], num_landmarks=k, num_annotated=p,
        input_size=[w, h], frame=(
            f'px of the {w}x{h} network input, faces similarity-aligned to '
            'the mean annotated shape'), iod_px=norm, margin=args.margin,
        pair_seed=args.seed, uniform_map_rms_px=uniform_rms,
        uniform_mass_on_face=m['uniform_mass'], summary=summary,
        at_init=at_init,
        mean_shape_px=c['reference'], landmarks=per_landmark))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
        print(f'wrote {args.out}')
    return result


if __name__ == '__main__':
    main()
