"""Round trip (encode -> decode, ground truth in, no network) of the Stacked
Hourglass paper codec against kp_ext's default, on real keypoints.

Each person of MPII (mmpose_testdata, 5 people) and COCO (coco_mini, 86
people with keypoints) is cropped as the MPII configs do
(``GetBBoxCenterScale(padding=1.25)`` + ``TopdownAffine`` to 256x256, no
augmentation); its visible keypoints in the crop are encoded to 64x64
heatmaps and decoded back (visible joints inside the crop; the number
left out is printed). Errors are reported in crop pixels and in image
pixels (crop error x box size / 256), and as the PCK a perfect network
would score with that codec (MPII: PCKh with the joint-based head size of
``MpiiDataset``; COCO: PCK of max(box w, h)). A uniform sample of 100 000
random crop positions gives the same statistics without the datasets'
selection of positions.

    cd WT && PYTHONPATH=. OMP_NUM_THREADS=1 \\
        python benchmarks/hourglass_codec_roundtrip.py [--data ../shared/data]
"""
import argparse
import os.path as osp

import numpy as np
from mmengine.registry import init_default_scope

import kp_ext  # noqa: F401
from kp_ext.registry import DATASETS, KEYPOINT_CODECS

INPUT, HEATMAP = (256, 256), (64, 64)
THRESHOLDS = (0.5, 0.1, 0.05, 0.025)
CODECS = {
    'paper (sigma 1.75, 7x7, integer centre, quarter)':
    dict(sigma=1.75, window=7, integer_center=True, refine='quarter'),
    'paper target, log-parabola decode':
    dict(sigma=1.75, window=7, integer_center=True, refine='gaussian_log'),
    'sigma 1.75 7x7 on the exact position, quarter':
    dict(sigma=1.75, window=7, refine='quarter'),
    'kp_ext variant (sigma 1, untruncated, log-parabola)':
    dict(sigma=1.0),
}
PIPELINE = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='TopdownAffine', input_size=INPUT),
]


def crops(cfg):
    """(keypoints in the crop (P, 2), image px per crop px (P,),
    normaliser in image px (P,)) of the visible keypoints of a dataset."""
    ds = DATASETS.build(cfg)
    xy, px, norm, outside = [], [], [], [0]
    for i in range(len(ds)):
        s = ds[i]
        vis = np.asarray(s['keypoints_visible']).reshape(-1) > 0
        kpts = np.asarray(s['transformed_keypoints']).reshape(-1, 2)
        # only joints inside the crop can be encoded on its heatmap
        inside = ((kpts >= -0.5) & (kpts <= INPUT[0] - 0.5)).all(-1)
        outside[0] += int((vis & ~inside).sum())
        kpts = kpts[vis & inside]
        scale = float(np.asarray(s['input_scale']).reshape(-1)[0]) / INPUT[0]
        if 'head_size' in s:
            n = float(np.asarray(s['head_size']).reshape(-1)[0])
        else:
            box = np.asarray(s['bbox']).reshape(4)
            n = float(max(box[2] - box[0], box[3] - box[1]))
        if not np.isfinite(n):
            continue  # no head size: PCKh skips the person
        xy.append(kpts)
        px.append(np.full(len(kpts), scale))
        norm.append(np.full(len(kpts), n))
    print(f'{cfg["type"]}: {outside[0]} visible joints outside the crop '
          'left out')
    return np.concatenate(xy), np.concatenate(px), np.concatenate(norm)


def round_trip(codec, xy):
    """Decoded minus true positions (crop px), one keypoint per map."""
    dec = []
    for chunk in np.array_split(xy, max(1, len(xy) // 2000)):
        hm = codec.batch_encode(chunk[:, None].astype(np.float32),
                                np.ones((len(chunk), 1)))['heatmaps']
        kp, _ = codec.batch_decode_arrays(hm)
        dec.append(kp[:, 0])
    return np.linalg.norm(np.concatenate(dec) - xy, axis=-1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default=osp.join('..', 'shared', 'data'))
    args = parser.parse_args()
    init_default_scope('kp_ext')
    mpii = osp.join(args.data, 'mmpose_testdata', 'mpii')
    coco = osp.join(args.data, 'coco_mini')
    sets = {
        'MPII (PCKh)': crops(dict(
            type='MpiiDataset', data_root=mpii, ann_file='test_mpii.json',
            data_prefix=dict(img=''), test_mode=True, pipeline=PIPELINE)),
        'COCO (PCK of box)': crops(dict(
            type='CocoDataset', data_root=coco,
            ann_file='annotations/person_keypoints_train2017.json',
            data_prefix=dict(img='train2017/'), test_mode=True,
            pipeline=PIPELINE)),
    }
    rng = np.random.default_rng(0)
    uniform = rng.uniform(-0.5, 255.5, (100000, 2))
    for name, kw in CODECS.items():
        codec = KEYPOINT_CODECS.build(dict(
            type='GaussianHeatmap', input_size=INPUT, heatmap_size=HEATMAP,
            **kw))
        print(f'\n## {name}')
        err = round_trip(codec, uniform)
        print(f'uniform crop positions (n={len(err)}): mean {err.mean():.3f}'
              f' / max {err.max():.3f} crop px')
        for sname, (xy, px, norm) in sets.items():
            err = round_trip(codec, xy)
            img = err * px
            pck = {t: 100 * np.mean(img <= t * norm)
                   for t in THRESHOLDS}
            print(f'{sname} n={len(err)}: crop px mean {err.mean():.3f} '
                  f'max {err.max():.3f}; image px mean {img.mean():.3f} '
                  f'max {img.max():.3f}; PCK@' +
                  '/'.join(str(t) for t in THRESHOLDS) + ' ' +
                  ' / '.join(f'{v:.1f}' for v in pck.values()))


if __name__ == '__main__':
    main()
