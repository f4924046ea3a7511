"""Draw the BODY_25 codec's ground-truth oracle on a real image: the
COCO-WholeBody annotation of one image (COCO-17 + 6 foot points) is
encoded into BODY_25 confidence maps and PAFs at the BODY_25 config's map
resolution (368x368 input, 46x46 maps), decoded and grouped by the same
codec (``kp_ext.evaluation.bottomup_codec_oracle``'s steps), mapped back
to the image and drawn as ``tools/infer.py`` draws predictions.

This is NOT a trained network's output (no BODY_25 model is trained
here): it shows what the BODY_25 grouping recovers from perfect maps.

    python tools/analysis/body25_oracle_drawing.py \\
        ../shared/data/mmpose_testdata/coco/test_coco_wholebody.json \\
        --image-id 196141 --out docs/images/body25_oracle_196141.png
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('ann_file', help='COCO-WholeBody json (images beside it '
                   'unless --img-dir)')
    p.add_argument('--img-dir', default=None)
    p.add_argument('--image-id', type=int, default=None,
                   help='default: the image with most foot points')
    p.add_argument('--config',
                   default='configs/openpose/openpose2019_body25_coco.py')
    p.add_argument('--max-side', type=int, default=480,
                   help='the drawing is resized to at most this many px')
    p.add_argument('--out', default='body25_oracle.png')
    return p.parse_args(argv)


def oracle_drawing(ann_file, img_dir=None, image_id=None,
                   config='configs/openpose/openpose2019_body25_coco.py',
                   max_side=480):
    """(BGR drawing, image id, number of people drawn)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from kp_ext.evaluation.codec_oracle import raw_people
    from kp_ext.registry import DATASETS, KEYPOINT_CODECS
    from kp_ext.structures import PoseDataSample
    from kp_ext.structures.bbox import apply_affine, image_to_input_matrix
    from kp_ext.visualization import PoseLocalVisualizer
    from mmengine.structures import InstanceData
    init_default_scope('kp_ext')
    cfg = Config.fromfile(config)
    codec = KEYPOINT_CODECS.build(cfg.model.head.decoder.to_dict())
    img_dir = img_dir or osp.dirname(osp.abspath(ann_file))
    ds = DATASETS.build(dict(
        type='CocoFootDataset', ann_file=ann_file,
        data_prefix=dict(img=img_dir + '/'), data_mode='bottomup',
        test_mode=True, pipeline=cfg.val_dataloader.dataset.pipeline))
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    if image_id is None:
        idx = int(np.argmax([v['keypoints_visible'][:, 17:].sum()
                             for v in infos]))
    else:
        ids = [int(v['img_id']) for v in infos]
        if image_id not in ids:
            raise ValueError(f'{ann_file}: no usable image with id '
                             f'{image_id} (ids: {ids})')
        idx = ids.index(image_id)
    packed = ds[idx]
    meta = dict(packed['data_samples'].metainfo)
    fields = ds.metainfo.get('annotation_fields')
    kpts, vis = raw_people(meta['raw_ann_info'], 23, '', fields)
    k_in = apply_affine(kpts, image_to_input_matrix(meta))
    enc = codec.encode(k_in, vis)
    pk, ps, pi = codec.decode_instances((enc['heatmaps'], enc['pafs']))
    size = np.asarray(meta['input_size'], np.float64)
    center = np.asarray(meta['input_center'], np.float64)
    scale = np.asarray(meta['input_scale'], np.float64)
    pk = pk / size * scale + center - 0.5 * scale
    img = cv2.imread(meta['img_path'])
    sample = PoseDataSample(metainfo=dict(img_path=meta['img_path']))
    sample.pred_instances = InstanceData(
        keypoints=pk.astype(np.float32), keypoint_scores=ps,
        scores=pi)
    vis_ = PoseLocalVisualizer(name='body25_oracle', radius=4, line_width=3)
    vis_.set_dataset_meta(ds.metainfo)
    drawn = vis_.add_datasample('oracle', img[..., ::-1].copy(), sample,
                                draw_gt=False, draw_pred=True, kpt_thr=0.05)
    drawn = np.ascontiguousarray(drawn[..., ::-1])
    h, w = drawn.shape[:2]
    f = min(1.0, max_side / max(h, w))
    if f < 1:
        drawn = cv2.resize(drawn, (int(round(w * f)), int(round(h * f))),
                           interpolation=cv2.INTER_AREA)
    return drawn, int(meta['img_id']), len(pk)


def main(argv=None):
    args = parse_args(argv)
    drawn, img_id, n = oracle_drawing(args.ann_file, args.img_dir,
                                      args.image_id, args.config,
                                      args.max_side)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    cv2.imwrite(args.out, drawn, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f'{args.out}: image {img_id}, {n} people (ground-truth maps '
          'decoded by the BODY_25 codec, not a trained model), '
          f'{osp.getsize(args.out) / 1024:.0f} kB')
    return args.out


if __name__ == '__main__':
    main()
