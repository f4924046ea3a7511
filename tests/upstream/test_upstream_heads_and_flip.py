"""Items 2 and 3 in MMPose's heads: batch decoding through
``HeatmapHead.decode`` and flip testing with each toolbox's convention."""
import pytest
from upstream_env import require_mmpose

pytestmark = pytest.mark.upstream
require_mmpose()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmpose.registry import MODELS as MMPOSE_MODELS  # noqa: E402
from mmpose.structures import PoseDataSample  # noqa: E402

from kp_ext.codecs import GaussianHeatmap  # noqa: E402
from kp_ext.registry import MODELS  # noqa: E402
from kp_ext.structures import flip_keypoints  # noqa: E402

K = 3
FLIP = [1, 0, 2]
CODEC = dict(type='kp_ext.GaussianHeatmap', input_size=(64, 64),
             heatmap_size=(16, 16), sigma=1.5)
KPTS = np.array([[[20.3, 33.7], [41.0, 30.25], [33.5, 12.0]]])


class _Identity(torch.nn.Module):
    """Head input = its heatmaps (a perfect network)."""

    def forward(self, x):
        return x


def _mmpose_head(decoder):
    head = MMPOSE_MODELS.build(dict(
        type='mmpose.HeatmapHead', in_channels=K, out_channels=K,
        deconv_out_channels=None, conv_out_channels=None,
        final_layer=None, decoder=decoder))
    head.final_layer = _Identity()
    return head


@pytest.mark.parametrize('batch', [1, 2, 3])
def test_mmpose_heatmap_head_decodes_kp_ext_batches(batch):
    codec = GaussianHeatmap((64, 64), (16, 16), sigma=1.5)
    hm = torch.from_numpy(np.repeat(
        codec.encode(KPTS)['heatmaps'][None], batch, axis=0))
    preds = _mmpose_head(CODEC).decode(hm)
    assert len(preds) == batch
    for p in preds:
        np.testing.assert_allclose(p.keypoints, KPTS, atol=1e-3)
        assert p.keypoint_scores.shape == (1, K)


def _flip_pair(codec):
    flipped = flip_keypoints(KPTS, None, (64, 64), FLIP)[0]
    hm = torch.from_numpy(codec.encode(KPTS)['heatmaps'][None])
    hm_flip = torch.from_numpy(codec.encode(flipped)['heatmaps'][None])
    samples = [PoseDataSample(metainfo=dict(flip_indices=FLIP))]
    return hm, hm_flip, samples


def test_mmpose_flip_test_with_kp_ext_codec_needs_no_shift():
    """MMPose's HeatmapHead flip test with a perfect network: kp_ext's
    convention is exact with shift_heatmap=False (its declared
    flip_shift_heatmap); MMPose's 1-px shift would move x by s/2 = 2 px."""
    codec = GaussianHeatmap((64, 64), (16, 16), sigma=1.5)
    assert codec.flip_shift_heatmap is False
    hm, hm_flip, samples = _flip_pair(codec)
    head = _mmpose_head(CODEC)
    out = {}
    for shift in (False, True):
        preds = head.predict([(hm, ), (hm_flip, )], samples,
                             dict(flip_test=True, shift_heatmap=shift))
        out[shift] = preds[0].keypoints
    np.testing.assert_allclose(out[False], KPTS, atol=1e-2)
    assert np.abs(out[True][..., 0] - KPTS[..., 0] - 2.0).max() < 0.6


def test_kp_ext_head_flip_with_mmpose_codec_uses_mmpose_shift():
    """kp_ext's head decoding with MMPose's MSRAHeatmap flips with MMPose's
    1-px shift unless told otherwise (as MMPose's MSRA configs do)."""
    msra = dict(type='mmpose.MSRAHeatmap', input_size=(64, 64),
                heatmap_size=(16, 16), sigma=1.5)
    head = MODELS.build(dict(type='kp_ext.MultiStageHeatmapHead',
                             in_channels=K, out_channels=K, num_stages=1,
                             decoder=msra))
    mm_head = _mmpose_head(msra)
    # x on the stride so MSRAHeatmap's integer centres are exact
    kpts = np.array([[[20.0, 32.0], [40.0, 28.0], [32.0, 12.0]]])
    hm = torch.from_numpy(head.decoder.encode(kpts)['heatmaps'][None])
    flipped = flip_keypoints(kpts, None, (64, 64), FLIP)[0]
    hm_flip = torch.from_numpy(head.decoder.encode(flipped)['heatmaps'][None])
    samples = [PoseDataSample(metainfo=dict(flip_indices=FLIP))]
    ours = head.predict([(hm, ), (hm_flip, )], samples,
                        dict(flip_test=True))[0].keypoints
    theirs = mm_head.predict([(hm, ), (hm_flip, )], samples,
                             dict(flip_test=True, shift_heatmap=True))
    np.testing.assert_allclose(ours, theirs[0].keypoints, atol=1e-4)
