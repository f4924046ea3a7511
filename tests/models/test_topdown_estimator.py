import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmengine.structures import InstanceData, PixelData

from kp_ext.models.estimators.topdown import TopdownPoseEstimator
from kp_ext.models.heads.base_head import BaseHead
from kp_ext.models.utils import flip_heatmaps
from kp_ext.registry import KEYPOINT_CODECS, MODELS
from kp_ext.structures import PoseDataSample

K = 3


@MODELS.register_module(force=True)
class _PoolBackboneForTest(nn.Module):
    """(B, C, H, W) -> one stage: 4x4 average pool of a fixed 1x1 mix."""

    def __init__(self, in_channels=K, out_channels=K, asymmetric=False):
        super().__init__()
        self.mix = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        with torch.no_grad():
            self.mix.weight.copy_(torch.eye(out_channels, in_channels)[...,
                                                                       None,
                                                                       None])
        self.asymmetric = asymmetric

    def forward(self, x):
        y = F.avg_pool2d(self.mix(x), 4)
        if self.asymmetric:  # breaks flip equivariance
            ramp = torch.linspace(0, 1, y.shape[-1])
            y = y * ramp
        return (y, )


@MODELS.register_module(force=True)
class _FixedKeypointHeadForTest(BaseHead):
    """Returns fixed crop keypoints, whatever the features."""

    def __init__(self, keypoints):
        super().__init__()
        self.keypoints = np.asarray(keypoints, dtype=np.float32)

    def forward(self, feats):
        return feats

    def loss(self, feats, batch_data_samples, train_cfg={}):
        return dict()

    def predict(self, feats, batch_data_samples, test_cfg={}):
        return [
            InstanceData(keypoints=self.keypoints[None].copy(),
                         keypoint_scores=np.ones((1, len(self.keypoints)),
                                                 np.float32))
            for _ in batch_data_samples
        ]


def _sample(center, scale, size=(64, 64), flip_indices=(0, 1, 2)):
    ds = PoseDataSample(metainfo=dict(
        input_size=np.array(size), input_center=np.array(center, np.float32),
        input_scale=np.array(scale, np.float32),
        flip_indices=list(flip_indices)))
    ds.gt_instances = InstanceData(
        bboxes=np.array([[1., 2., 3., 4.]], np.float32),
        bbox_scores=np.array([0.9], np.float32))
    return ds


def test_predict_maps_crop_to_image_coordinates():
    crop_kpts = [[0., 0.], [24., 32.], [48., 64.]]
    model = TopdownPoseEstimator(
        backbone=dict(type='_PoolBackboneForTest'),
        head=dict(type='_FixedKeypointHeadForTest', keypoints=crop_kpts))
    ds = _sample(center=(100., 200.), scale=(96., 128.), size=(48, 64))
    (out, ) = model(torch.zeros(1, K, 64, 48), [ds], mode='predict')
    # image = crop / input_size * input_scale + center - scale / 2
    np.testing.assert_allclose(out.pred_instances.keypoints[0],
                               [[52., 136.], [100., 200.], [148., 264.]])
    np.testing.assert_allclose(out.pred_instances.bboxes, [[1., 2., 3., 4.]])
    np.testing.assert_allclose(out.pred_instances.bbox_scores, [0.9])
    assert out.pred_instances.keypoint_scores.shape == (1, K)

    # consistent with the affine warp of the crop (no rotation)
    from kp_ext.structures import apply_affine, get_warp_matrix
    inv = get_warp_matrix(np.array([100., 200.]), np.array([96., 128.]), 0.,
                          (48, 64), inv=True)
    np.testing.assert_allclose(apply_affine(np.array(crop_kpts), inv),
                               out.pred_instances.keypoints[0], atol=1e-3)

    ds2 = PoseDataSample(metainfo=dict(input_size=(48, 64)))
    with pytest.raises(KeyError, match='input_center'):
        model(torch.zeros(1, K, 64, 48), [ds2], mode='predict')


def _head_cfg(num_stages=1):
    return dict(type='MultiStageHeatmapHead', in_channels=K, out_channels=K,
                num_stages=num_stages,
                decoder=dict(type='GaussianHeatmap', input_size=(64, 64),
                             heatmap_size=(16, 16), sigma=2.))


def test_flip_test_plumbing():
    torch.manual_seed(0)
    x = torch.rand(2, K, 64, 64)
    flip = (1, 0, 2)
    # equivariant backbone with symmetric flip indices: flip test changes
    # nothing
    model = TopdownPoseEstimator(
        backbone=dict(type='_PoolBackboneForTest'), head=_head_cfg(),
        test_cfg=dict(flip_test=True, output_heatmaps=True))
    samples = [_sample((32., 32.), (64., 64.)) for _ in range(2)]
    out = model(x, samples, mode='predict')
    pooled = F.avg_pool2d(x, 4)
    for i, ds in enumerate(out):
        assert torch.allclose(ds.pred_fields.heatmaps, pooled[i], atol=1e-6)

    # non-equivariant backbone: the head averages h(x) and the flipped-back
    # h(flip(x)) with the swap of flip_indices
    model = TopdownPoseEstimator(
        backbone=dict(type='_PoolBackboneForTest', asymmetric=True),
        head=_head_cfg(),
        test_cfg=dict(flip_test=True, output_heatmaps=True))
    samples = [_sample((32., 32.), (64., 64.), flip_indices=flip)
               for _ in range(2)]
    out = model(x, samples, mode='predict')
    h = model.backbone(x)[0]
    h_flip = model.backbone(x.flip(-1))[0]
    expected = 0.5 * (h + flip_heatmaps(h_flip, flip))
    for i, ds in enumerate(out):
        assert torch.allclose(ds.pred_fields.heatmaps, expected[i])
    # predictions decode the averaged heatmaps (crop == image here)
    codec = KEYPOINT_CODECS.build(_head_cfg()['decoder'])
    kpts, _ = codec.decode(expected[0].detach().numpy())
    np.testing.assert_allclose(out[0].pred_instances.keypoints, kpts,
                               atol=1e-4)


def test_metainfo_is_copied_into_samples_at_predict():
    meta = dict(num_keypoints=K, flip_indices=[2, 1, 0], dataset_name='toy')
    model = TopdownPoseEstimator(
        backbone=dict(type='_PoolBackboneForTest'), head=_head_cfg(),
        test_cfg=dict(flip_test=True), metainfo=meta)
    ds = PoseDataSample(metainfo=dict(
        input_size=(64, 64), input_center=(32., 32.), input_scale=(64., 64.)))
    (out, ) = model(torch.rand(1, K, 64, 64), [ds], mode='predict')
    assert out.metainfo['flip_indices'] == [2, 1, 0]
    assert 'bboxes' not in out.pred_instances


def _train_batch(codec, rng, batch=4):
    inputs, samples = [], []
    for _ in range(batch):
        kpts = rng.uniform(8, 56, size=(1, K, 2)).astype(np.float32)
        enc = codec.encode(kpts, np.ones((1, K), np.float32))
        ds = PoseDataSample(metainfo=dict(
            input_size=(64, 64), input_center=(32., 32.),
            input_scale=(64., 64.), flip_indices=[1, 0, 2]))
        ds.gt_fields = PixelData(heatmaps=torch.from_numpy(enc['heatmaps']))
        ds.gt_instance_labels = InstanceData(
            keypoint_weights=torch.from_numpy(enc['keypoint_weights']))
        ds.gt_instances = InstanceData(
            keypoints=kpts, bboxes=np.array([[0, 0, 63, 63]], np.float32),
            bbox_scores=np.ones(1, np.float32))
        samples.append(ds)
        inputs.append(torch.from_numpy(
            rng.integers(0, 256, (3, 64, 64), dtype=np.uint8)))
    return dict(inputs=inputs, data_samples=samples)


def test_hourglass_estimator_trains_and_predicts():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    head = _head_cfg(num_stages=2)
    model = MODELS.build(dict(
        type='TopdownPoseEstimator',
        data_preprocessor=dict(type='PoseDataPreprocessor',
                               mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        backbone=dict(type='StackedHourglass', num_stacks=2, num_channels=32,
                      depth=4, out_channels=K),
        head=head,
        test_cfg=dict(flip_test=True, output_heatmaps=True)))
    codec = KEYPOINT_CODECS.build(head['decoder'])
    data = _train_batch(codec, rng)

    # tensor mode: per-stage heatmaps
    batch = model.data_preprocessor(data, training=False)
    assert batch['inputs'].dtype == torch.float32
    assert abs(float(batch['inputs'].mean())) < 0.5
    outs = model(batch['inputs'], mode='tensor')
    assert len(outs) == 2 and outs[-1].shape == (4, K, 16, 16)

    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05,
                                         momentum=0.9))
    model.train()
    losses = []
    for _ in range(20):
        log = model.train_step(data, optim)
        losses.append(float(log['loss_kpt']))
        assert 'acc_pose' in log
    print(f'hourglass loss: first {losses[0]:.5f} last {losses[-1]:.5f} '
          f'min {min(losses):.5f}')
    assert losses[-1] < 0.5 * losses[0]

    model.eval()
    with torch.no_grad():
        preds = model.val_step(data)
    assert len(preds) == 4
    for ds in preds:
        assert ds.pred_instances.keypoints.shape == (1, K, 2)
        assert ds.pred_instances.keypoint_scores.shape == (1, K)
        assert ds.pred_fields.heatmaps.shape == (K, 16, 16)
        assert np.isfinite(ds.pred_instances.keypoints).all()


def test_pose_hg_train_decode_ends_on_whole_image_pixels():
    """refine='pose_hg_train' (the official Stacked Hourglass decode): the
    estimator maps the crop keypoints to the image and the codec truncates
    them (src/util/img.lua @d8a6577 transform: +1e-4, :int(), +1; 1-based
    -> kp_ext's 0-based). Hand numbers: tests/codecs/
    test_gaussian_heatmap.py::test_pose_hg_train_decode_hand_case (same
    maps and crop); a variant decoder keeps the sub-pixel mapping."""
    import copy
    import sys
    from pathlib import Path
    # the hand case lives beside the codec tests (pytest puts that folder
    # on sys.path when it collects them; this makes the test run alone)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'codecs'))
    from test_gaussian_heatmap import (HG_CENTER, HG_OFFICIAL_0BASED,
                                       HG_SIZE, _pose_hg_train_maps)
    hm = _pose_hg_train_maps()  # (3, 64, 64), K = 3 maps
    # the pool backbone averages 4 x 4 blocks: a 256 x 256 input whose
    # blocks are constant gives these maps exactly
    x = torch.from_numpy(np.kron(hm, np.ones((4, 4), np.float32)))[None]
    ds = _sample(center=HG_CENTER, scale=(HG_SIZE, HG_SIZE),
                 size=(256, 256))
    results = {}
    for refine in ('pose_hg_train', 'quarter'):
        head = dict(type='MultiStageHeatmapHead', in_channels=K,
                    out_channels=K, num_stages=1,
                    decoder=dict(type='GaussianHeatmap', input_size=(256, 256),
                                 heatmap_size=(64, 64), sigma=1.75, window=7,
                                 integer_center=True, refine=refine))
        model = TopdownPoseEstimator(
            backbone=dict(type='_PoolBackboneForTest'), head=head)
        (out, ) = model(x, [copy.deepcopy(ds)], mode='predict')
        results[refine] = out.pred_instances.keypoints[0]
    np.testing.assert_array_equal(results['pose_hg_train'],
                                  HG_OFFICIAL_0BASED)
    # 'quarter' (per-axis rule, no truncation): 209.3, 185.6 for map 0 and
    # map 1 moved down by a quarter heatmap px = 2 image px (27.6 + 2)
    np.testing.assert_allclose(results['quarter'],
                               [[209.3, 185.6], [47.3, 29.6],
                                [367.3, 269.6]], atol=1e-4)


def test_invalid_mode():
    model = TopdownPoseEstimator(backbone=dict(type='_PoolBackboneForTest'),
                                 head=_head_cfg())
    with pytest.raises(ValueError, match='mode'):
        model(torch.zeros(1, K, 64, 64), None, mode='bogus')
