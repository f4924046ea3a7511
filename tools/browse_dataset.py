"""Look at what a config feeds the network: samples after the pipeline.

``python tools/browse_dataset.py CONFIG [--phase train|val|test] [--n 8]
[--out-dir DIR] [--seed 0]``

For each sample one PNG, panels side by side, all in network-input pixels:

- the augmented input with its keypoints and skeleton
  (``transformed_keypoints``: the points the targets were made from;
  invisible points are not drawn);
- top-down targets: the heatmaps (maximum over keypoints) over the input;
- bottom-up targets: confidence maps | PAFs (colour = direction)
  (``paf_panel``);
- FSE (an estimator with a ``warp`` and no targets): a training pair
  ``(x1, x2)`` drawn by the config's ``TPSWarp``, with a grid of points
  ``u`` of ``x2`` and the same points ``T2(u)`` in ``x1`` in the same
  colours (the correspondence the equivariance loss uses).

Files are ``{out_dir}/{phase}_{index:05d}.png`` (default out dir
``work_dirs/browse_<config name>``); the tool prints where they went.
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import kp_ext  # noqa: F401
from kp_ext.registry import DATASETS, MODELS
from kp_ext.datasets import DatasetNotFoundError, check_dataset_files
from kp_ext.utils import to_numpy
from kp_ext.visualization.landmark_drawing import draw_warp_pair
from kp_ext.visualization.paf_drawing import draw_skeletons, paf_panel
from kp_ext.visualization.utils import (distinct_colors, heatmap_overlay,
                                        sample_to_input_space,
                                        tensor_to_image)

__all__ = ['browse', 'render_sample', 'main']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--phase', default='train',
                        choices=['train', 'val', 'test'],
                        help='which dataloader (train shows augmentation)')
    parser.add_argument('--n', type=int, default=8,
                        help='number of samples drawn')
    parser.add_argument('--out-dir', help='where the PNGs go')
    parser.add_argument('--seed', type=int, default=0,
                        help='picks the samples, the augmentation and the '
                        'FSE warps')
    parser.add_argument('--scale', type=float, default=2.0,
                        help='panels are drawn at this multiple of the '
                        'input size')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def _pack_transformed(pipeline):
    """Ask the pipeline's PackPoseInputs to keep transformed_keypoints."""
    for step in pipeline or []:
        if isinstance(step, dict) and str(step.get('type', '')).split(
                '.')[-1] == 'PackPoseInputs':
            step['pack_transformed'] = True


def _datasets_in(cfg):
    """The dataset cfg and those it wraps (RegressionSplitDataset, ...)."""
    yield cfg
    for value in cfg.values():
        if isinstance(value, dict) and 'type' in value:
            yield from _datasets_in(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                if isinstance(v, dict) and 'type' in v:
                    yield from _datasets_in(v)


def _input_keypoints(sample, input_hw):
    """(N, K, 2) keypoints in input pixels and (N, K) visibility."""
    gt = sample.gt_instances
    if 'transformed_keypoints' in gt:
        kpts = to_numpy(gt.transformed_keypoints)
    else:  # a pipeline without a crop/warp: map through the metainfo
        kpts = to_numpy(sample_to_input_space(
            sample, input_hw).gt_instances.keypoints)
    vis = (to_numpy(gt.keypoints_visible) if 'keypoints_visible' in gt
           else np.ones(kpts.shape[:2], np.float32))
    return kpts.reshape(len(vis), -1, 2), vis.reshape(len(vis), -1)


def _upscale(image, scale):
    if scale == 1:
        return image
    h, w = image.shape[:2]
    return cv2.resize(image, (int(round(w * scale)), int(round(h * scale))),
                      interpolation=cv2.INTER_NEAREST)


def _fse_pair(warp, image, scale, generator, grid=6):
    """(x1, x2) of the config's warp on one input, with ``grid x grid``
    points of x2 and their images T2(u) in x1."""
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(
        2, 0, 1)[None].float()
    with torch.no_grad():
        x1, x2, t2 = warp.make_pair(x, generator)
    h, w = image.shape[:2]
    ys, xs = np.meshgrid(np.linspace(0.15 * h, 0.85 * h, grid),
                         np.linspace(0.15 * w, 0.85 * w, grid),
                         indexing='ij')
    u = torch.tensor(np.stack([xs.ravel(), ys.ravel()], -1),
                     dtype=torch.float32)[None]
    with torch.no_grad():
        t2u = t2(u)
    as_img = [np.clip(t[0].permute(1, 2, 0).numpy(), 0, 255).astype(
        np.uint8) for t in (x1, x2)]
    return draw_warp_pair(as_img[0], to_numpy(t2u[0]), as_img[1],
                          to_numpy(u[0]), distinct_colors(grid * grid),
                          scale=scale, pad=0)


def render_sample(item, meta, scale=2.0, warp=None, generator=None):
    """The panels of one packed sample (``dataset[i]``) as one RGB image.

    ``meta``: the dataset's metainfo (skeleton); ``warp``: the config's
    TPSWarp for FSE pairs (None: no pair panel).
    """
    image = tensor_to_image(item['inputs'], 'bgr')
    sample = item['data_samples']
    kpts, vis = _input_keypoints(sample, image.shape[:2])
    skeleton = meta.get('skeleton_links', ())
    fields = sample.get('gt_fields')
    big = _upscale(image, scale)
    panels = [draw_skeletons(big, kpts * scale + (scale - 1) / 2, vis,
                             skeleton, kpt_thr=0.5)]
    if fields is not None and 'pafs' in fields:
        panels.append(_upscale(paf_panel(
            image, heatmaps=to_numpy(fields.heatmaps),
            pafs=to_numpy(fields.pafs)), scale))
    elif fields is not None and 'heatmaps' in fields:
        panels.append(heatmap_overlay(to_numpy(fields.heatmaps), big))
    if warp is not None:
        panels.append(_fse_pair(warp, image, scale, generator))
    height = max(p.shape[0] for p in panels)
    sep = np.full((height, 4, 3), 255, np.uint8)
    row = []
    for p in panels:
        if p.shape[0] < height:
            p = np.concatenate([p, np.full((height - p.shape[0],) +
                                           p.shape[1:], 255, np.uint8)])
        row += [p, sep]
    return np.concatenate(row[:-1], axis=1)


def browse(cfg, phase='train', n=8, out_dir='browse', seed=0, scale=2.0):
    """Write ``n`` rendered samples of ``cfg``'s ``phase`` dataloader to
    ``out_dir``; returns the written paths."""
    init_default_scope(cfg.get('default_scope', 'kp_ext'))
    loader = cfg.get(f'{phase}_dataloader')
    if not loader:
        raise ValueError(f'the config has no {phase}_dataloader')
    ds_cfg = loader['dataset']
    for d in _datasets_in(ds_cfg):
        _pack_transformed(d.get('pipeline'))
    np.random.seed(seed)  # transforms draw from numpy's global RNG
    torch.manual_seed(seed)
    dataset = DATASETS.build(ds_cfg)
    meta = dict(getattr(dataset, 'metainfo', {}) or {})
    warp = None
    model = cfg.get('model', {})
    if isinstance(model, dict) and isinstance(model.get('warp'), dict):
        warp = MODELS.build(model['warp'])
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    count = min(n, len(dataset))
    indices = np.sort(rng.choice(len(dataset), count, replace=False))
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for idx in indices:
        drawn = render_sample(dataset[int(idx)], meta, scale, warp,
                              generator)
        path = osp.join(out_dir, f'{phase}_{int(idx):05d}.png')
        cv2.imwrite(path, drawn[..., ::-1])
        paths.append(path)
    return paths


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    try:
        check_dataset_files(cfg, (args.phase, ), args.config)
    except DatasetNotFoundError as e:
        sys.exit(str(e))
    out_dir = args.out_dir or osp.join(
        'work_dirs',
        'browse_' + osp.splitext(osp.basename(args.config))[0])
    paths = browse(cfg, args.phase, args.n, out_dir, args.seed, args.scale)
    print(f'{len(paths)} {args.phase} samples drawn in {out_dir}')
    return paths


if __name__ == '__main__':
    main()
