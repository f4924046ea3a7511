"""The codec oracle of a bottom-up model: the metric its own codec scores
on the test images when the network's maps are perfect.

The ground-truth people of each test image (``raw_ann_info``, image
pixels) are brought into the network input exactly as the test pipeline
brings the image (``input_center``, ``input_scale``, ``input_size`` of
``BottomupResize``: :func:`~kp_ext.structures.bbox.image_to_input_matrix`),
encoded by the codec at the model's map resolution (at the test input's
size: a test pipeline that resizes to another size than the codec's
``input_size`` gets the maps the fully convolutional net returns for that
input, same stride, ``PartAffinityField.at_input_size``), decoded and
grouped by the same codec, mapped back to the image the way the estimator
maps predictions (:meth:`BasePoseEstimator.input_to_image`) and scored by
the same metric. What the trained model scores below this number is what
the network has not learned; the oracle itself is the ceiling that the
map resolution and the grouping leave.
"""
from typing import Optional

import numpy as np

from kp_ext.structures.bbox import apply_affine, image_to_input_matrix

__all__ = ['bottomup_codec_oracle', 'raw_people']


def raw_people(raw_ann_info, num_keypoints: int, where: str = '',
               fields=None):
    """``raw_ann_info`` (one COCO-style annotation dict or a list of them,
    ``keypoints`` = flat ``x, y, v`` triples in image pixels) -> keypoints
    (N, K, 2) and visibility (N, K) (``v > 0``); crowd annotations
    (``iscrowd``) are left out, as the metric ignores them. ``fields``
    (a metainfo's ``annotation_fields``, e.g. ``[('keypoints', 17),
    ('foot_kpts', 6)]``): the K keypoints are these annotation fields
    concatenated (default: ``keypoints`` alone)."""
    anns = [raw_ann_info] if isinstance(raw_ann_info, dict) else \
        list(raw_ann_info or [])
    names = [f[0] for f in fields] if fields else ['keypoints']
    kpts, vis = [], []
    for j, ann in enumerate(anns):
        if int(ann.get('iscrowd', 0)):
            continue
        flat = np.concatenate([np.asarray(ann.get(n, ()), np.float64)
                               .reshape(-1) for n in names])
        if flat.size != 3 * num_keypoints:
            raise ValueError(
                f'{where}annotation {ann.get("id", j)}: {flat.size} keypoint'
                f' values in {names}, expected {3 * num_keypoints} (x, y, '
                f'v for {num_keypoints} keypoints)')
        k = flat.reshape(num_keypoints, 3)
        kpts.append(k[:, :2])
        vis.append(k[:, 2] > 0)
    if not kpts:
        return np.zeros((0, num_keypoints, 2)), np.zeros((0, num_keypoints),
                                                         bool)
    return np.stack(kpts), np.stack(vis)


def _frame(meta: dict, where: str):
    missing = [k for k in ('input_size', 'input_center', 'input_scale')
               if k not in meta]
    if missing:
        raise KeyError(f'{where}metainfo lacks {missing} (the test '
                       "pipeline's BottomupResize writes them)")
    return tuple(np.asarray(meta[k], np.float64).reshape(2)
                 for k in ('input_size', 'input_center', 'input_scale'))


def _codec_at(codec, size, where: str):
    """``codec`` for the test input ``size`` (w, h) at its own stride."""
    own = tuple(int(v) for v in getattr(codec, 'input_size', size))
    if tuple(int(v) for v in size) == own:
        return codec
    if not hasattr(codec, 'at_input_size'):
        raise ValueError(
            f'{where}the test input is {tuple(size)} but the codec '
            f'{type(codec).__name__} encodes {own} and cannot change its '
            'input size (no at_input_size): the oracle would be wrong')
    return codec.at_input_size(size)


def bottomup_codec_oracle(dataset, codec, metric,
                          max_samples: Optional[int] = None) -> dict:
    """Metric of ``codec``'s decoding of its own encoding of every test
    image's ground truth (module docstring).

    Args:
        dataset: the test dataset, pipeline included (its samples are
            packed: ``data_samples`` with ``raw_ann_info`` and the input
            frame in their metainfo).
        codec: the model's decoder (e.g. ``PartAffinityField``), with
            ``encode``, ``decode_instances`` and ``num_dataset_keypoints``
            (or ``num_keypoints``).
        metric: a fresh metric (e.g. ``CocoKeypointMetric`` without
            ``ann_file``: its ground truth comes from the same samples).
        max_samples (int, optional): only the first ones.

    Returns:
        dict: the metric's results.
    """
    num_kpts = int(getattr(codec, 'num_dataset_keypoints', None) or
                   codec.num_keypoints)
    n = len(dataset) if max_samples is None else min(len(dataset),
                                                     int(max_samples))
    if n == 0:
        raise ValueError('bottomup_codec_oracle: the dataset is empty')
    metric.dataset_meta = dict(getattr(dataset, 'metainfo', {}) or {})
    # the annotation fields the dataset's keypoints come from (coco_foot23)
    fields = metric.dataset_meta.get('annotation_fields')
    for i in range(n):
        packed = dataset[i]
        ds = packed['data_samples']
        meta = dict(ds.metainfo)
        where = f'sample {i} ({meta.get("img_path", "?")}): '
        if 'raw_ann_info' not in meta:
            raise KeyError(f'{where}no raw_ann_info in the metainfo; the '
                           'oracle needs the ground-truth annotations')
        kpts, vis = raw_people(meta['raw_ann_info'], num_kpts, where,
                               fields)
        size, center, scale = _frame(meta, where)
        k_in = apply_affine(kpts, image_to_input_matrix(meta)).astype(
            np.float64)
        at_size = _codec_at(codec, size, where)
        enc = at_size.encode(k_in, vis)
        pk, ps, pi = at_size.decode_instances((enc['heatmaps'],
                                               enc['pafs']))
        pk = np.asarray(pk, np.float64) / size * scale + center - 0.5 * scale
        sample = ds.to_dict()
        sample.update(meta)
        sample['pred_instances'] = dict(
            keypoints=pk.astype(np.float32),
            keypoint_scores=np.asarray(ps, np.float32),
            scores=np.asarray(pi, np.float32))
        sample.pop('gt_instances', None)
        metric.process(None, [sample])
    return metric.evaluate(n)
