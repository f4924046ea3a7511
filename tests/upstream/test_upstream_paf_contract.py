"""Item 4 (paf-structure's PAF codec) against MMPose's decoding contract:

- ``decode`` takes what MMPose's heads hand a per-sample decoder: the maps
  of one sample with its batch axis, ``(1, C, H, W)``;
- ``batch_decode`` returns, as MMPose's ``AssociativeEmbedding``, three
  per-sample sequences: keypoints (N, K, 2), keypoint scores (N, K) and
  instance scores (N,).
"""
import pytest
from upstream_env import require_mmpose

pytestmark = pytest.mark.upstream
require_mmpose()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmpose.registry import KEYPOINT_CODECS as MMPOSE_CODECS  # noqa: E402

PEOPLE = np.array([[[16.0, 16.0], [16.0, 40.0], [16.0, 64.0]],
                   [[64.0, 24.0], [64.0, 48.0], [64.0, 72.0]]])


def test_paf_codec_decodes_with_mmpose_contract():
    codec = MMPOSE_CODECS.build(dict(
        type='kp_ext.PartAffinityField', input_size=(96, 96),
        heatmap_size=(24, 24), limbs=[(0, 1), (1, 2)]))
    enc = codec.encode(PEOPLE, np.ones(PEOPLE.shape[:2]))
    heat = enc['heatmaps'][None]
    pafs = enc['pafs'][None]
    # per sample, as MMPose's heads call decode: (1, C, H, W) arrays
    kpts, scores = codec.decode(heat, pafs)
    order = np.argsort(kpts[:, 0, 0])
    np.testing.assert_allclose(kpts[order], PEOPLE, atol=1.0)
    assert scores.shape == (2, 3)
    # batched, on tensors, with instance scores (AssociativeEmbedding's)
    batch = codec.batch_decode(torch.from_numpy(np.repeat(heat, 2, 0)),
                               torch.from_numpy(np.repeat(pafs, 2, 0)))
    assert len(batch) == 3
    b_kpts, b_scores, b_inst = batch
    assert len(b_kpts) == len(b_scores) == len(b_inst) == 2
    for k, s, i in zip(b_kpts, b_scores, b_inst):
        assert k.shape == (2, 3, 2) and s.shape == (2, 3)
        assert np.shape(i) == (2, )
