import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData

from kp_ext.codecs.part_affinity_field import PartAffinityField
from kp_ext.models.estimators.bottomup import BottomupPoseEstimator
from kp_ext.registry import MODELS
from kp_ext.structures import PoseDataSample, flip_keypoints

COCO_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
K = 17
INPUT = (96, 64)  # (w, h) of the network input
MAP = (12, 8)
L = PartAffinityField(INPUT, MAP).num_limbs  # the default COCO limbs
# the input covers the image region centred at (130, 90) of size 192 x 128
# (twice the input size): image = input * 2 + (130, 90) - (96, 64)
CENTER = np.array([130., 90.], np.float32)
SCALE = np.array([192., 128.], np.float32)


def _people(scale=1.0, size=INPUT):
    rng = np.random.default_rng(5)
    base = np.array([
        [0, -22], [-2, -24], [2, -24], [-4, -22], [4, -22],
        [-8, -14], [8, -14], [-10, -4], [10, -4], [-11, 6], [11, 6],
        [-5, 4], [5, 4], [-5, 14], [5, 14], [-5, 24], [5, 24],
    ], np.float64)
    w, h = size
    people = np.stack([base * 0.9 * scale + [0.3 * w, 0.54 * h],
                       base * 1.1 * scale + [0.7 * w, 0.52 * h]])
    people += rng.uniform(-0.4, 0.4, people.shape) * scale
    return people.astype(np.float32)


def _to_image(kpts):
    return kpts / np.array(INPUT) * SCALE + CENTER - 0.5 * SCALE


def _codec(**kw):
    return PartAffinityField(input_size=INPUT, heatmap_size=MAP, sigma=1.0,
                             **kw)


def _maps(enc):
    return torch.cat([torch.from_numpy(enc['pafs']),
                      torch.from_numpy(enc['heatmaps'])])


@MODELS.register_module(force=True)
class _IdentityBackboneForTest(nn.Module):

    def forward(self, x):
        return (x, )


class _OracleBackbone(nn.Module):
    """A perfect 'network': looks the input image up and returns the
    encoded ground truth of the people in it (2L + K channels)."""

    def __init__(self, table):
        super().__init__()
        self.table = table  # list of (image (C, H, W), maps)

    def forward(self, x):
        outs = []
        for img in x:
            for ref, maps in self.table:
                if ref.shape == img.shape and torch.allclose(ref, img):
                    outs.append(maps)
                    break
            else:
                raise AssertionError('unknown input image')
        return (torch.stack(outs), )


@MODELS.register_module(force=True)
class _Stride8PoolBackboneForTest(nn.Module):
    """Input channels are maps rendered at stride 1; 8x8 average pooling
    gives stride-8 maps (a scale-consistent 'network')."""

    def forward(self, x):
        return (F.avg_pool2d(x, 8), )


def _estimator(backbone=dict(type='_IdentityBackboneForTest'), **test_cfg):
    return BottomupPoseEstimator(
        backbone=backbone,
        head=dict(type='PartAffinityFieldHead', arch=None, num_keypoints=K,
                  num_limbs=L,
                  decoder=dict(type='PartAffinityField', input_size=INPUT,
                               heatmap_size=MAP, sigma=1.0)),
        test_cfg=test_cfg)


def _sample(**meta):
    m = dict(input_size=INPUT, input_center=CENTER, input_scale=SCALE,
             flip_indices=COCO_FLIP)
    m.update(meta)
    return PoseDataSample(metainfo=m)


def _assert_people(pred, gt, tol, parts=slice(None)):
    assert len(pred) == len(gt)
    for person in gt:
        err = np.abs(pred[:, parts] - person[None, parts]).max(axis=(1, 2))
        assert err.min() < tol, err


def _oracle_setup():
    codec = _codec()
    kpts = _people()
    torch.manual_seed(0)
    img = torch.randn(3, INPUT[1], INPUT[0])
    kf, _ = flip_keypoints(kpts, None, INPUT, COCO_FLIP)
    table = [(img, _maps(codec.encode(kpts))),
             (img.flip(-1), _maps(codec.encode(kf)))]
    return img, kpts, table


def test_predict_recovers_keypoints_in_image_coordinates():
    img, kpts, table = _oracle_setup()
    model = _estimator()
    model.backbone = _OracleBackbone(table)
    model.eval()
    out = model(img[None], [_sample()], mode='predict')
    inst = out[0].pred_instances
    assert inst.keypoints.shape == (2, K, 2)
    _assert_people(inst.keypoints, _to_image(kpts), 2.0)  # 1 input px
    assert inst.scores.shape == inst.bbox_scores.shape == (2, )
    np.testing.assert_array_equal(inst.scores, inst.bbox_scores)
    assert np.all(inst.scores > 0)
    assert inst.keypoint_scores.shape == inst.keypoints_visible.shape
    # boxes: extents of the found keypoints, in image pixels
    for box, k, s in zip(inst.bboxes, inst.keypoints, inst.keypoint_scores):
        found = k[s > 0]
        np.testing.assert_allclose(box, [*found.min(0), *found.max(0)],
                                   atol=1e-4)
    assert out[0].metainfo['batch_input_shape'] == (INPUT[1], INPUT[0])


def test_head_output_mapped_to_the_image_once():
    """The head returns keypoints, boxes and scores in input pixels (its
    codec's decode, nothing else); the estimator maps keypoints and boxes
    with the input -> image map and leaves the scores as they are."""
    img, kpts, table = _oracle_setup()
    model = _estimator()
    model.backbone = _OracleBackbone(table)
    model.eval()
    feats = model.extract_feat(img[None])
    ds = _sample(batch_input_shape=(INPUT[1], INPUT[0]))
    head_out = model.head.predict(feats, [ds])[0]
    want_kp, want_ks, want_inst = model.head.decoder.decode_instances(
        (table[0][1][2 * L:].numpy(), table[0][1][:2 * L].numpy()))
    np.testing.assert_array_equal(head_out.keypoints, want_kp)
    np.testing.assert_array_equal(head_out.keypoint_scores, want_ks)
    np.testing.assert_array_equal(head_out.bbox_scores, want_inst)
    out = model(img[None], [_sample()], mode='predict')[0].pred_instances
    # hand-computed map: image = input * 2 + (130, 90) - (96, 64)
    np.testing.assert_allclose(out.keypoints, want_kp * 2 + [34., 26.],
                               atol=1e-4)
    np.testing.assert_allclose(out.bboxes,
                               head_out.bboxes * 2 + [34., 26., 34., 26.],
                               atol=1e-4)
    np.testing.assert_array_equal(out.bbox_scores, want_inst)
    np.testing.assert_array_equal(out.scores, want_inst)
    np.testing.assert_array_equal(out.keypoint_scores, want_ks)


def test_flip_test_averages_back_to_original_maps():
    img, kpts, table = _oracle_setup()
    model = _estimator(flip_test=True, output_heatmaps=True)
    model.backbone = _OracleBackbone(table)
    model.eval()
    out = model(img[None], [_sample()], mode='predict')
    fields = out[0].pred_fields
    # the flipped run brought back (limb swap + sign) equals the original
    np.testing.assert_allclose(
        torch.cat([fields.pafs, fields.heatmaps]).numpy(),
        table[0][1].numpy(), atol=1e-5)
    _assert_people(out[0].pred_instances.keypoints, _to_image(kpts), 2.0)

    # the estimator's metainfo provides flip_indices
    model = BottomupPoseEstimator(
        backbone=dict(type='_IdentityBackboneForTest'),
        head=dict(type='PartAffinityFieldHead', arch=None, num_keypoints=K,
                  num_limbs=L,
                  decoder=dict(type='PartAffinityField', input_size=INPUT,
                               heatmap_size=MAP)),
        test_cfg=dict(flip_test=True),
        metainfo=dict(flip_indices=COCO_FLIP, num_keypoints=K))
    model.backbone = _OracleBackbone(table)
    out = model(img[None], [_sample(flip_indices=None)], mode='predict')
    _assert_people(out[0].pred_instances.keypoints, _to_image(kpts), 2.0)


def _full_res_maps(kpts, size):
    """Maps rendered at stride 1 whose 8x8 average resembles stride 8."""
    fine = PartAffinityField(input_size=size, heatmap_size=size, sigma=8.0,
                             limb_width=6.0, limb_end_margin=6.0)
    return _maps(fine.encode(kpts))


def _full_res_scene():
    """Two people in a 192x128 input, their stride-1 maps (1, C, H, W) and
    the metainfo of an identity input -> image mapping."""
    size = (192, 128)
    kpts = _people(scale=2.0, size=size)
    x = _full_res_maps(kpts, size)[None]
    meta = dict(input_size=size, input_center=np.array([96., 64.]),
                input_scale=np.array(size, np.float32))
    return size, kpts, x, meta


def test_multiscale_test_same_people():
    size, kpts, x, meta = _full_res_scene()
    codec = dict(type='PartAffinityField', input_size=size,
                 heatmap_size=(24, 16), sigma=1.0)

    def run(**test_cfg):
        model = BottomupPoseEstimator(
            backbone=dict(type='_Stride8PoolBackboneForTest'),
            head=dict(type='PartAffinityFieldHead', arch=None,
                      num_keypoints=K, num_limbs=L, decoder=codec),
            test_cfg=test_cfg)
        return model(x, [PoseDataSample(metainfo=meta)],
                     mode='predict')[0]

    single = run(output_heatmaps=True)
    multi = run(multiscale_test=[0.5, 1.0, 1.5], output_heatmaps=True)
    assert multi.pred_fields.heatmaps.shape == \
        single.pred_fields.heatmaps.shape == (K, 16, 24)
    body = slice(5, 17)
    _assert_people(single.pred_instances.keypoints, kpts, 4.0, body)
    _assert_people(multi.pred_instances.keypoints, kpts, 4.0, body)
    # the maps of other scales landed on the same grid: peaks in place
    corr = np.corrcoef(multi.pred_fields.heatmaps.numpy().ravel(),
                       single.pred_fields.heatmaps.numpy().ravel())[0, 1]
    assert corr > 0.9
    # multiscale without 1.0 in the list: maps still land on the grid of
    # the unscaled input
    other = run(multiscale_test=[0.75, 1.25])
    _assert_people(other.pred_instances.keypoints, kpts, 6.0, body)
    with pytest.raises(ValueError, match='> 0'):
        run(multiscale_test=[0.0, 1.0])


@MODELS.register_module(force=True)
class _WidthValueBackboneForTest(nn.Module):
    """Stride-8 'maps' that all hold the input's width in pixels: the
    average over scales is then known by hand."""

    def forward(self, x):
        b, _, h, w = x.shape
        return (torch.full((b, 2 * L + K, h // 8, w // 8), float(w)), )


def test_multiscale_at_input_resolution_hand_made_average():
    """The reference test procedure: scales {0.5, 1, 1.5, 2}, every
    scale's maps upsampled to the input's size, averaged there. A 48x32
    input runs at widths 24, 48, 72, 96 (multiples of 8): every averaged
    map pixel is (24 + 48 + 72 + 96) / 4 = 60."""
    model = _estimator(backbone=dict(type='_WidthValueBackboneForTest'),
                       multiscale_test=[0.5, 1.0, 1.5, 2.0],
                       multiscale_resolution='input', output_heatmaps=True)
    x = torch.zeros(1, 3, 32, 48)
    meta = dict(input_size=(48, 32), input_center=np.array([24., 16.]),
                input_scale=np.array([48., 32.], np.float32))
    out = model(x, [PoseDataSample(metainfo=meta)], mode='predict')[0]
    assert out.pred_fields.heatmaps.shape == (K, 32, 48)
    assert out.pred_fields.pafs.shape == (2 * L, 32, 48)
    np.testing.assert_allclose(out.pred_fields.heatmaps.numpy(), 60.0,
                               rtol=1e-6)
    with pytest.raises(ValueError, match='multiscale_resolution'):
        _estimator(multiscale_resolution='original')(
            x, [PoseDataSample(metainfo=meta)], mode='predict')


@MODELS.register_module(force=True)
class _CanvasRecorderBackboneForTest(_WidthValueBackboneForTest):
    """Maps of value = input width; records the input sizes it sees."""

    seen = []

    def forward(self, x):
        type(self).seen.append(tuple(x.shape[-2:]))
        return super().forward(x)


def test_multiscale_at_image_resolution_hand_made_geometry():
    """multiscale_resolution='image' (ZheC applyModel.m): a 48x32 original
    image, base height 64 (the reference's 368, smaller here), scales
    {0.5, 1, 1.5, 2}: multipliers s * 64 / 32 give 32x48, 64x96, 96x144
    and 128x192 images; padHeight pads the first to 64 rows and to
    max(48, 64) = 64 columns, the others are already 64+ rows high and
    multiples of 8 wide. Each scale's maps (value = its input width) come
    back to 32x48 and average to (64 + 96 + 144 + 192) / 4 = 124."""
    _CanvasRecorderBackboneForTest.seen = []
    model = _estimator(backbone=dict(type='_CanvasRecorderBackboneForTest'),
                       multiscale_test=[0.5, 1.0, 1.5, 2.0],
                       multiscale_resolution='image',
                       multiscale_base_height=64, multiscale_pad_height=64,
                       output_heatmaps=True)
    x = torch.zeros(1, 3, 32, 48)
    meta = dict(input_size=(48, 32), input_center=np.array([24., 16.]),
                input_scale=np.array([48., 32.], np.float32),
                img_shape=(32, 48))
    out = model(x, [PoseDataSample(metainfo=meta)], mode='predict')[0]
    assert _CanvasRecorderBackboneForTest.seen == [
        (64, 64), (64, 96), (96, 144), (128, 192)]
    assert out.pred_fields.heatmaps.shape == (K, 32, 48)
    np.testing.assert_allclose(out.pred_fields.heatmaps.numpy(), 124.0,
                               rtol=1e-5)
    # the head decoded at the image's resolution (stride 1)
    assert out.metainfo['batch_input_shape'] == (32, 48)


@MODELS.register_module(force=True)
class _PadProbeBackboneForTest(nn.Module):
    """Channel 0 of the input, repeated, average-pooled by 8: shows where
    the image sits in the padded canvas."""

    def forward(self, x):
        return (F.avg_pool2d(x[:, :1].repeat(1, 2 * L + K, 1, 1), 8), )


def test_multiscale_at_image_resolution_pads_with_the_normalised_value():
    """The padding is the raw pixel value 128 (config.m:57) through the
    data preprocessor's normalisation: (128 - 100) / 4 = 7 here; the image
    (normalised value 0) is centred, and its maps, unpadded, are 0."""
    model = BottomupPoseEstimator(
        backbone=dict(type='_PadProbeBackboneForTest'),
        head=dict(type='PartAffinityFieldHead', arch=None, num_keypoints=K,
                  num_limbs=L,
                  decoder=dict(type='PartAffinityField', input_size=INPUT,
                               heatmap_size=MAP, sigma=1.0)),
        data_preprocessor=dict(type='PoseDataPreprocessor',
                               mean=[100.] * 3, std=[4.] * 3),
        test_cfg=dict(multiscale_test=[1.0], multiscale_resolution='image',
                      multiscale_base_height=16, multiscale_pad_height=64,
                      multiscale_pad_value=128, output_heatmaps=True))
    canvases = []
    hook = model.backbone.register_forward_hook(
        lambda m, i, o: canvases.append(i[0].detach().clone()))
    x = torch.zeros(1, 3, 16, 32)          # already normalised (0)
    meta = dict(input_size=(32, 16), input_center=np.array([16., 8.]),
                input_scale=np.array([32., 16.], np.float32),
                img_shape=(16, 32))
    out = model(x, [PoseDataSample(metainfo=meta)], mode='predict')[0]
    hook.remove()
    (canvas, ) = canvases
    assert canvas.shape[-2:] == (64, 64)  # 16 rows -> 64, 32 cols -> 64
    inside = canvas[0, 0, 24:40, 16:48]     # top (64-16)//2, left 16
    assert torch.all(inside == 0)
    assert torch.allclose(canvas[0, 0, :24], torch.tensor(7.0))
    assert torch.allclose(canvas[0, 0, :, :16], torch.tensor(7.0))
    assert out.pred_fields.heatmaps.shape == (K, 16, 32)


@pytest.fixture
def multiscale_scene():
    """The full-resolution scene and a factory of the stride-8 pooling
    model over it (four test scales, heatmaps in the output) with the
    given ``multiscale_*`` test settings: ``(size, kpts, x, meta,
    make_model)``."""
    size, kpts, x, meta = _full_res_scene()
    codec = dict(type='PartAffinityField', input_size=size,
                 heatmap_size=(24, 16), sigma=1.0, smooth_sigma=3.0,
                 refine=None)

    def make_model(**test_cfg):
        return BottomupPoseEstimator(
            backbone=dict(type='_Stride8PoolBackboneForTest'),
            head=dict(type='PartAffinityFieldHead', arch=None,
                      decoder=codec),
            test_cfg=dict(multiscale_test=[0.5, 1.0, 1.5, 2.0],
                          output_heatmaps=True, **test_cfg))
    return size, kpts, x, meta, make_model


def test_multiscale_at_image_resolution_finds_the_people(multiscale_scene):
    """Stride-1 maps as the 'image', base height = its height (scale0 =
    1): the scales' maps, averaged at the image's resolution, give the
    people back in image pixels."""
    size, kpts, x, meta, make_model = multiscale_scene
    model = make_model(multiscale_resolution='image',
                       multiscale_base_height=128,
                       multiscale_pad_height=128)
    out = model(x, [PoseDataSample(metainfo=dict(meta, img_shape=(128, 192)))],
                mode='predict')[0]
    assert out.pred_fields.heatmaps.shape == (K, 128, 192)
    _assert_people(out.pred_instances.keypoints, kpts, 3.0, slice(5, 17))


def test_multiscale_at_input_resolution_finds_the_people(multiscale_scene):
    size, kpts, x, meta, make_model = multiscale_scene
    model = make_model(multiscale_resolution='input')
    out = model(x, [PoseDataSample(metainfo=meta)], mode='predict')[0]
    hm = out.pred_fields.heatmaps.numpy()
    assert hm.shape == (K, 128, 192)
    # each person's left hip: the averaged map peaks within 2 input px
    for person in kpts:
        px, py = person[11]
        win = hm[11, int(py) - 12:int(py) + 13, int(px) - 12:int(px) + 13]
        dy, dx = np.unravel_index(win.argmax(), win.shape)
        assert np.hypot(int(px) - 12 + dx - px, int(py) - 12 + dy - py) < 2
    body = slice(5, 17)
    _assert_people(out.pred_instances.keypoints, kpts, 3.0, body)


def test_empty_image_gives_empty_prediction():
    model = _estimator(output_heatmaps=True)
    zeros = torch.zeros(2, 2 * L + K, MAP[1], MAP[0])
    out = model(zeros, [_sample(), _sample()], mode='predict')
    for ds in out:
        inst = ds.pred_instances
        assert inst.keypoints.shape == (0, K, 2)
        assert inst.keypoint_scores.shape == (0, K)
        assert inst.scores.shape == (0, )
        assert inst.bbox_scores.shape == (0, )
        assert inst.bboxes.shape == (0, 4)
        assert isinstance(ds.pred_fields, PixelData)
    out = _estimator(multiscale_test=[1.0, 2.0], flip_test=True)(
        zeros, [_sample(), _sample()], mode='predict')
    assert out[1].pred_instances.keypoints.shape == (0, K, 2)


def test_predict_needs_input_metainfo():
    model = _estimator()
    zeros = torch.zeros(1, 2 * L + K, MAP[1], MAP[0])
    with pytest.raises(KeyError, match='input_center'):
        model(zeros, [PoseDataSample(metainfo=dict(
            input_size=INPUT, input_scale=SCALE))], mode='predict')
    with pytest.raises(ValueError, match='data samples'):
        model(zeros, None, mode='predict')


def _train_samples(codec, n=2):
    kpts = _people()
    out = []
    for _ in range(n):
        enc = codec.encode(kpts)
        ds = PoseDataSample(metainfo=dict(input_size=INPUT,
                                          input_center=CENTER,
                                          input_scale=SCALE))
        ds.gt_fields = PixelData(
            heatmaps=torch.from_numpy(enc['heatmaps']),
            pafs=torch.from_numpy(enc['pafs']),
            heatmap_mask=torch.from_numpy(enc['heatmap_mask'])[None])
        out.append(ds)
    return out


def test_tiny_openpose_trains():
    torch.manual_seed(0)
    codec = _codec()
    model = BottomupPoseEstimator(
        backbone=dict(type='OpenPoseVGG', widen_factor=1 / 8,
                      norm_cfg=dict(type='BN')),
        head=dict(type='PartAffinityFieldHead', in_channels=16,
                  num_keypoints=K, num_limbs=L, arch='2017', num_stages=2,
                  stage_channels=8, mid_channels=16,
                  norm_cfg=dict(type='BN'),
                  decoder=dict(type='PartAffinityField', input_size=INPUT,
                               heatmap_size=MAP)),
        data_preprocessor=dict(type='PoseDataPreprocessor'))
    model.init_weights()
    samples = _train_samples(codec)
    inputs = torch.randn(2, 3, INPUT[1], INPUT[0])
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = []
    model.train()
    for _ in range(20):
        losses = model(inputs, samples, mode='loss')
        assert set(losses) == {'loss_paf', 'loss_heatmap'}
        loss = losses['loss_paf'] + losses['loss_heatmap']
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.item())
    assert np.all(np.isfinite(history))
    assert np.mean(history[-3:]) < 0.5 * history[0], history
    # predict runs end to end on the trained model
    model.eval()
    with torch.no_grad():
        out = model(inputs, samples, mode='predict')
    assert out[0].pred_instances.keypoints.shape[1:] == (K, 2)


def test_2019_head_on_vgg_loss_mode():
    torch.manual_seed(0)
    model = BottomupPoseEstimator(
        backbone=dict(type='OpenPoseVGG', widen_factor=1 / 8),
        head=dict(type='PartAffinityFieldHead', in_channels=16,
                  num_keypoints=K, num_limbs=L, arch='2019',
                  num_paf_stages=2, num_cm_stages=1, stage_channels=4,
                  mid_channels=8, num_dense_blocks=2))
    losses = model(torch.randn(2, 3, INPUT[1], INPUT[0]),
                   _train_samples(_codec()), mode='loss')
    total = losses['loss_paf'] + losses['loss_heatmap']
    total.backward()
    assert torch.isfinite(total)
    assert model.backbone.features[0].weight.grad.abs().sum() > 0
    pafs, cms = model(torch.randn(1, 3, INPUT[1], INPUT[0]), mode='tensor')
    assert len(pafs) == 2 and len(cms) == 1
    assert pafs[-1].shape == (1, 2 * L, MAP[1], MAP[0])


def test_hourglass_backbone_with_arch_none_head():
    """configs/openpose/hourglass_paf_coco.py: a StackedHourglass predicts
    2L + K maps per stack at stride 4; the head only splits them."""
    torch.manual_seed(0)
    hm_size = (INPUT[0] // 4, INPUT[1] // 4)
    codec = dict(type='PartAffinityField', input_size=INPUT,
                 heatmap_size=hm_size, sigma=1.5)
    model = BottomupPoseEstimator(
        backbone=dict(type='StackedHourglass', num_stacks=2,
                      num_channels=16, depth=2, out_channels=2 * L + K),
        head=dict(type='PartAffinityFieldHead', arch=None, num_stages=2,
                  decoder=codec),
        test_cfg=dict(flip_test=True, multiscale_test=[1.0, 2.0],
                      size_divisor=16))
    samples = _train_samples(PartAffinityField(INPUT, hm_size, sigma=1.5))
    inputs = torch.randn(2, 3, INPUT[1], INPUT[0])
    losses = model(inputs, samples, mode='loss')
    assert losses['loss_paf'].requires_grad
    (losses['loss_paf'] + losses['loss_heatmap']).backward()
    model.eval()
    for ds in samples:
        ds.set_metainfo(dict(flip_indices=COCO_FLIP))
    with torch.no_grad():
        out = model(inputs, samples, mode='predict')
    inst = out[0].pred_instances
    assert inst.keypoints.shape[1:] == (K, 2)
    assert len(inst.scores) == len(inst.keypoints)
