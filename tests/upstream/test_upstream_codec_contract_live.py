"""Item 6: the pinned MMPose 1.3.2 contract (tests/codecs/
test_codec_contract.py) equals the installed MMPose's, and a codec
subclassing MMPose's base (as an upstream PR does) runs in kp_ext."""
import importlib.util
from pathlib import Path

import pytest
from upstream_env import require_mmpose

pytestmark = pytest.mark.upstream
require_mmpose()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmpose.codecs.base import BaseKeypointCodec as MMPoseBase  # noqa: E402

from kp_ext.codecs.base import BaseKeypointCodec  # noqa: E402
from kp_ext.models.heads import MultiStageHeatmapHead  # noqa: E402
from kp_ext.registry import KEYPOINT_CODECS  # noqa: E402


def _pinned():
    path = Path(__file__).resolve().parents[1] / 'codecs' / \
        'test_codec_contract.py'
    spec = importlib.util.spec_from_file_location('_pinned_contract', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_pin_matches_installed_mmpose_and_kp_ext():
    mod = _pinned()
    assert mod.codec_contract(MMPoseBase) == mod.MMPOSE_132_CODEC_CONTRACT
    assert mod.codec_contract(BaseKeypointCodec) == \
        mod.codec_contract(MMPoseBase)


def test_mmpose_subclass_codec_decodes_in_kp_ext_head():
    class ArgmaxCodec(MMPoseBase):
        def encode(self, keypoints, keypoints_visible=None):
            return dict()

        def decode(self, encoded):
            k, h, w = encoded.shape
            idx = encoded.reshape(k, -1).argmax(1)
            xy = np.stack([idx % w, idx // w], -1).astype(np.float32)
            return xy[None], encoded.reshape(k, -1).max(1)[None]

    KEYPOINT_CODECS.register_module(module=ArgmaxCodec, force=True)
    head = MultiStageHeatmapHead(in_channels=2, out_channels=2, num_stages=1,
                                 decoder=dict(type='ArgmaxCodec'))
    hm = torch.zeros(2, 2, 4, 5)
    hm[:, 0, 1, 3] = 1
    hm[:, 1, 2, 0] = 1
    preds = head.decode(hm)
    assert len(preds) == 2
    np.testing.assert_array_equal(preds[1].keypoints, [[[3, 1], [0, 2]]])
