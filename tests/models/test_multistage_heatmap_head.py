import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from kp_ext.codecs.base import BaseKeypointCodec
from kp_ext.models.heads.heatmap_head import MultiStageHeatmapHead
from kp_ext.models.utils import flip_heatmaps
from kp_ext.registry import KEYPOINT_CODECS, MODELS
from kp_ext.structures import PoseDataSample, flip_keypoints


@KEYPOINT_CODECS.register_module(force=True)
class _ArgmaxStride4TestCodec(BaseKeypointCodec):
    """Tiny codec for head tests: argmax * 4 (no batch_decode)."""

    def encode(self, keypoints, keypoints_visible=None):
        raise NotImplementedError

    def decode(self, encoded):
        k, h, w = encoded.shape
        idx = encoded.reshape(k, -1).argmax(1)
        kpts = np.stack([idx % w, idx // w], -1).astype(np.float32) * 4
        return kpts[None], encoded.reshape(k, -1).max(1)[None]


K = 3
FLIP = [1, 0, 2]


def _gaussian_codec():
    return dict(type='GaussianHeatmap', input_size=(64, 64),
                heatmap_size=(16, 16), sigma=2.)


def _samples(heatmaps, weights):
    samples = []
    for hm, w in zip(heatmaps, weights):
        ds = PoseDataSample(metainfo=dict(flip_indices=FLIP))
        ds.gt_fields = PixelData(heatmaps=torch.as_tensor(hm))
        ds.gt_instance_labels = InstanceData(
            keypoint_weights=torch.as_tensor(w)[None])
        samples.append(ds)
    return samples


def test_forward_identity_and_final_layers():
    head = MultiStageHeatmapHead(in_channels=K, out_channels=K, num_stages=2)
    feats = (torch.randn(1, K, 8, 8), torch.randn(1, K, 8, 8))
    outs = head(feats)
    assert len(outs) == 2 and outs[1] is feats[1]
    assert sum(p.numel() for p in head.parameters()) == 0
    with pytest.raises(ValueError):
        head(feats[:1])

    head2 = MODELS.build(dict(type='MultiStageHeatmapHead', in_channels=8,
                              out_channels=K, num_stages=2))
    outs = head2((torch.randn(1, 8, 8, 8), torch.randn(1, 8, 8, 8)))
    assert [tuple(o.shape) for o in outs] == [(1, K, 8, 8)] * 2
    assert len(head2.final_layers) == 2
    assert head2.final_layers[0] is not head2.final_layers[1]


def test_loss_sums_stages_and_acc():
    torch.manual_seed(0)
    gt = torch.rand(2, K, 16, 16)
    w = torch.tensor([[1., 1., 0.], [1., 0., 1.]])
    noisy = gt + 0.1 * torch.randn_like(gt)
    head = MultiStageHeatmapHead(in_channels=K, out_channels=K, num_stages=2)
    losses = head.loss((noisy, gt.clone()), _samples(gt, w))
    expected = ((noisy - gt) ** 2 * w[:, :, None, None]).mean()
    assert torch.allclose(losses['loss_kpt'], expected)
    assert float(losses['acc_pose']) == 1.0  # last stage equals target

    losses = head.loss((gt.clone(), noisy), _samples(gt, w))
    assert torch.allclose(losses['loss_kpt'], expected)
    far = torch.zeros_like(gt)
    gt_peaks = torch.zeros_like(gt)
    gt_peaks[..., 2, 2] = 1
    far[..., 13, 13] = 1
    losses = head.loss((far, far), _samples(gt_peaks, w))
    assert float(losses['acc_pose']) == 0.0


def test_loss_backprop_and_shape_check():
    gt = torch.rand(2, K, 16, 16)
    w = torch.ones(2, K)
    feats = (torch.zeros(2, K, 16, 16, requires_grad=True),
             torch.zeros(2, K, 16, 16, requires_grad=True))
    head = MultiStageHeatmapHead(in_channels=K, out_channels=K, num_stages=2)
    head.loss(feats, _samples(gt, w))['loss_kpt'].backward()
    assert all(f.grad.abs().sum() > 0 for f in feats)
    with pytest.raises(ValueError):
        head.loss((torch.zeros(2, K, 8, 8),) * 2, _samples(gt, w))


def test_predict_decodes_last_stage_and_outputs_heatmaps():
    hm = torch.zeros(2, K, 16, 16)
    hm[0, 0, 3, 5] = 1.
    hm[0, 1, 7, 1] = .5
    hm[0, 2, 0, 0] = .2
    hm[1, :, 9, 9] = .9
    head = MultiStageHeatmapHead(
        in_channels=K, out_channels=K, num_stages=2,
        decoder=dict(type='_ArgmaxStride4TestCodec'))
    preds, fields = head.predict((torch.zeros_like(hm), hm), _samples(
        hm, torch.ones(2, K)), dict(output_heatmaps=True))
    assert len(preds) == 2 and isinstance(preds[0], InstanceData)
    assert preds[0].keypoints.shape == (1, K, 2)
    assert preds[0].keypoint_scores.shape == (1, K)
    np.testing.assert_allclose(preds[0].keypoints[0],
                               [[20, 12], [4, 28], [0, 0]])
    np.testing.assert_allclose(preds[0].keypoint_scores[0], [1., .5, .2])
    np.testing.assert_allclose(preds[1].keypoints[0], [[36, 36]] * 3)
    assert torch.equal(fields[1].heatmaps, hm[1])
    out = head.predict((torch.zeros_like(hm), hm), _samples(
        hm, torch.ones(2, K)), {})
    assert isinstance(out, list)


def _encode_batch(codec, kpts):
    return torch.from_numpy(
        np.stack([codec.encode(k[None])['heatmaps'] for k in kpts]))


def test_flip_test_with_gaussian_codec():
    codec = KEYPOINT_CODECS.build(_gaussian_codec())
    rng = np.random.default_rng(0)
    kpts = rng.uniform(12, 52, size=(2, K, 2)).astype(np.float32)
    # what a perfect model predicts on the flipped crop: flipped keypoints
    # with left/right swapped
    kpts_flip = np.stack([
        flip_keypoints(k[None], None, (64, 64), FLIP)[0][0] for k in kpts
    ])
    hm = _encode_batch(codec, kpts)
    hm_flip = _encode_batch(codec, kpts_flip)
    # the flipped prediction, flipped back, is the original prediction
    assert torch.allclose(flip_heatmaps(hm_flip, FLIP), hm, atol=1e-6)

    head = MultiStageHeatmapHead(in_channels=K, out_channels=K, num_stages=1,
                                 decoder=_gaussian_codec())
    samples = _samples(hm, torch.ones(2, K))
    preds, fields = head.predict([(hm, ), (hm_flip, )], samples,
                                 dict(flip_test=True, output_heatmaps=True))
    for p, f, k, h in zip(preds, fields, kpts, hm):
        np.testing.assert_allclose(p.keypoints[0], k, atol=1e-2)
        assert torch.allclose(f.heatmaps, h, atol=1e-6)

    # a flipped prediction that disagrees: the average is half of each
    other = torch.zeros_like(hm)
    _, fields = head.predict([(hm, ), (other, )], samples,
                             dict(flip_test=True, output_heatmaps=True))
    assert torch.allclose(fields[0].heatmaps, 0.5 * hm[0])
    # the codec's convention needs no shift: asking for one would bias
    # every keypoint by half a heatmap pixel, so it raises
    with pytest.raises(ValueError, match='flip_shift_heatmap=False'):
        head.predict([(hm, ), (hm_flip, )], samples,
                     dict(flip_test=True, shift_heatmap=True))
    # with a codec that declares nothing, shift_heatmap moves the
    # flipped-back map one column right
    plain = MultiStageHeatmapHead(
        in_channels=K, out_channels=K, num_stages=1,
        decoder=dict(type='_ArgmaxStride4TestCodec'))
    _, fa = plain.predict([(other, ), (hm_flip, )], samples,
                          dict(flip_test=True, output_heatmaps=True))
    _, fb = plain.predict([(other, ), (hm_flip, )], samples,
                          dict(flip_test=True, output_heatmaps=True,
                               shift_heatmap=True))
    assert torch.allclose(fb[0].heatmaps[..., 1:], fa[0].heatmaps[..., :-1])

    with pytest.raises(ValueError, match='flip_indices'):
        head.predict([(hm, ), (hm_flip, )], [PoseDataSample(), PoseDataSample()],
                     dict(flip_test=True))


def test_flip_shift_defaults_to_the_codec_convention():
    """No ``shift_heatmap`` in test_cfg: kp_ext codecs flip without a
    shift, MMPose's MSRAHeatmap (known by class name) with MMPose's 1-px
    shift."""
    msra_like = type('MSRAHeatmap', (_ArgmaxStride4TestCodec, ), {})
    hm_flip = torch.zeros(1, K, 16, 16)
    hm_flip[0, :, 3, 4] = 1.0
    samples = [PoseDataSample(metainfo=dict(flip_indices=FLIP))]
    cols = {}
    for name, codec in (('kp_ext', KEYPOINT_CODECS.build(_gaussian_codec())),
                        ('msra', msra_like())):
        head = MultiStageHeatmapHead(in_channels=K, out_channels=K,
                                     num_stages=1)
        head.decoder = codec
        _, fields = head.predict([(torch.zeros_like(hm_flip), ),
                                  (hm_flip, )], samples,
                                 dict(flip_test=True, output_heatmaps=True))
        cols[name] = int(fields[0].heatmaps[0, 3].argmax())
    # flipped back, column 4 of 16 is column 11; MMPose's shift moves it
    # to 12
    assert cols == {'kp_ext': 11, 'msra': 12}


def test_predict_without_decoder_raises():
    head = MultiStageHeatmapHead(in_channels=K, out_channels=K, num_stages=1)
    with pytest.raises(RuntimeError, match='decoder'):
        head.predict((torch.zeros(1, K, 4, 4), ), [PoseDataSample()], {})


def test_per_stage_losses():
    gt = torch.rand(1, K, 8, 8)
    w = torch.ones(1, K)
    head = MultiStageHeatmapHead(
        in_channels=K, out_channels=K, num_stages=2,
        loss=[dict(type='KeypointMSELoss', loss_weight=0.),
              dict(type='KeypointMSELoss', loss_weight=1.)])
    zeros = torch.zeros_like(gt)
    loss = head.loss((zeros, gt), _samples(gt, w))['loss_kpt']
    assert float(loss) == 0.
    with pytest.raises(ValueError):
        MultiStageHeatmapHead(in_channels=K, out_channels=K, num_stages=2,
                              loss=[dict(type='KeypointMSELoss')])
