"""Round trip (encode -> decode, ground truth in, no network) of the Stacked
Hourglass paper codec against kp_ext's default, on real keypoints.

Each person of MPII (mmpose_testdata, 5 people) and COCO (coco_mini, 86
people with keypoints) is cropped as the MPII configs do
(``GetBBoxCenterScale(padding=1.25)`` + ``TopdownAffine`` to 256x256, no
augmentation); its visible keypoints in the crop are encoded to 64x64
heatmaps and decoded back (visible joints inside the crop; the number
left out is printed), then mapped to the image as ``TopdownPoseEstimator``
maps predictions (``x_img = x_in / 256 * box + centre - box / 2``, float64),
followed, for ``refine='pose_hg_train'`` (the official decode), by the
codec's ``finish_image_keypoints`` (truncation to whole image pixels,
pose-hg-train src/util/img.lua ``transform``). The truth is the encoded
crop position mapped the same way. Errors are reported in image pixels,
in crop pixels (image error x 256 / box size) and as the PCK a perfect
network would score with that codec (MPII: PCKh with the joint-based head
size of ``MpiiDataset``; COCO: PCK of max(box w, h)); ``bias`` is the mean
signed image error (x, y). A uniform sample of 100 000 random crop
positions, each in a random crop (centre uniform in [200, 800] px, box
200-1000 px), gives the same statistics without the datasets' selection
of positions.

    cd WT && PYTHONPATH=. OMP_NUM_THREADS=1 \\
        python benchmarks/hourglass_codec_roundtrip.py [--data ../shared/data]
"""
import argparse
import os.path as osp

import numpy as np
from mmengine.registry import init_default_scope

import kp_ext  # noqa: F401
from kp_ext.registry import DATASETS, KEYPOINT_CODECS
from kp_ext.utils.progress import track

INPUT, HEATMAP = (256, 256), (64, 64)
THRESHOLDS = (0.5, 0.1, 0.05, 0.025)
CODECS = {
    'paper (sigma 1.75, 7x7, integer centre, official decode '
    "'pose_hg_train')":
    dict(sigma=1.75, window=7, integer_center=True, refine='pose_hg_train'),
    'paper target, quarter decode (sub-pixel, no truncation)':
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
    """(keypoints in the crop (P, 2), crop centre (P, 2) and box size (P,)
    in image px, normaliser in image px (P,)) of the visible keypoints of
    a dataset."""
    ds = DATASETS.build(cfg)
    xy, centre, boxes, norm, outside = [], [], [], [], [0]
    for i in track(range(len(ds))):
        s = ds[i]
        vis = np.asarray(s['keypoints_visible']).reshape(-1) > 0
        kpts = np.asarray(s['transformed_keypoints']).reshape(-1, 2)
        # only joints inside the crop can be encoded on its heatmap
        inside = ((kpts >= -0.5) & (kpts <= INPUT[0] - 0.5)).all(-1)
        outside[0] += int((vis & ~inside).sum())
        kpts = kpts[vis & inside]
        size = np.asarray(s['input_scale'], np.float64).reshape(-1)
        assert size[0] == size[-1], 'square crops expected'
        c = np.asarray(s['input_center'], np.float64).reshape(2)
        if 'head_size' in s:
            n = float(np.asarray(s['head_size']).reshape(-1)[0])
        else:
            box = np.asarray(s['bbox']).reshape(4)
            n = float(max(box[2] - box[0], box[3] - box[1]))
        if not np.isfinite(n):
            continue  # no head size: PCKh skips the person
        xy.append(kpts)
        centre.append(np.tile(c, (len(kpts), 1)))
        boxes.append(np.full(len(kpts), size[0]))
        norm.append(np.full(len(kpts), n))
    print(f'{cfg["type"]}: {outside[0]} visible joints outside the crop '
          'left out')
    return tuple(np.concatenate(a) for a in (xy, centre, boxes, norm))


def to_image(xy, centre, box):
    """TopdownPoseEstimator.input_to_image, vectorised, float64."""
    return (np.asarray(xy, np.float64) / INPUT[0] * box[:, None] + centre
            - 0.5 * box[:, None])


def round_trip(codec, xy, centre, box):
    """Decoded minus true positions in image px (P, 2), one keypoint per
    map, decoded as the top-down estimator does."""
    dec = []
    for chunk in np.array_split(xy, max(1, len(xy) // 2000)):
        hm = codec.batch_encode(chunk[:, None].astype(np.float32),
                                np.ones((len(chunk), 1)))['heatmaps']
        kp, _ = codec.batch_decode_arrays(hm)
        dec.append(kp[:, 0])
    img = to_image(np.concatenate(dec), centre, box)
    if codec.rounds_image_keypoints:
        img = codec.finish_image_keypoints(img)
    return img - to_image(xy.astype(np.float32), centre, box)


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
    u_centre = rng.uniform(200, 800, (len(uniform), 2))
    u_box = rng.uniform(200, 1000, len(uniform))
    for name, kw in CODECS.items():
        codec = KEYPOINT_CODECS.build(dict(
            type='GaussianHeatmap', input_size=INPUT, heatmap_size=HEATMAP,
            **kw))
        print(f'\n## {name}')
        d = round_trip(codec, uniform, u_centre, u_box)
        img = np.linalg.norm(d, axis=-1)
        err = img * INPUT[0] / u_box
        print(f'uniform crop positions (n={len(err)}): crop px mean '
              f'{err.mean():.3f} / max {err.max():.3f}; image px mean '
              f'{img.mean():.3f} / max {img.max():.3f}; bias '
              f'({d[:, 0].mean():+.3f}, {d[:, 1].mean():+.3f}) image px')
        for sname, (xy, centre, box, norm) in sets.items():
            d = round_trip(codec, xy, centre, box)
            img = np.linalg.norm(d, axis=-1)
            err = img * INPUT[0] / box
            pck = {t: 100 * np.mean(img <= t * norm)
                   for t in THRESHOLDS}
            print(f'{sname} n={len(err)}: crop px mean {err.mean():.3f} '
                  f'max {err.max():.3f}; image px mean {img.mean():.3f} '
                  f'max {img.max():.3f}; bias ({d[:, 0].mean():+.3f}, '
                  f'{d[:, 1].mean():+.3f}); PCK@' +
                  '/'.join(str(t) for t in THRESHOLDS) + ' ' +
                  ' / '.join(f'{v:.1f}' for v in pck.values()))


if __name__ == '__main__':
    main()
