"""kp_ext <-> another toolbox's codec registry (issue 15, item 1), without
MMPose: a stand-in root registry with scope ``_FAKE`` plays MMPose's."""
import pytest
from mmengine.registry import Registry

from kp_ext.codecs import GaussianHeatmap
from kp_ext.codecs.base import BaseKeypointCodec
from kp_ext.registry import KEYPOINT_CODECS, link_codec_registry

_FAKE = 'kp_ext_test_fakepose'


@pytest.fixture
def fake_root():
    if KEYPOINT_CODECS.parent is not None:
        pytest.skip('kp_ext KEYPOINT_CODECS is linked to '
                    f'{KEYPOINT_CODECS.parent.scope!r} (MMPose installed); '
                    'tests/upstream covers the real link')
    root = Registry('KEYPOINT_CODECS', scope=_FAKE)

    @root.register_module()
    class FakeHeatmap(BaseKeypointCodec):
        def encode(self, keypoints, keypoints_visible=None):
            return {}

        def decode(self, encoded):
            return encoded, encoded

    link_codec_registry(root)
    yield root, FakeHeatmap
    KEYPOINT_CODECS.parent = None
    root._children.pop(KEYPOINT_CODECS.scope)


def test_both_directions_by_prefix(fake_root):
    root, fake = fake_root
    codec = root.build(dict(type='kp_ext.GaussianHeatmap',
                            input_size=(64, 64), heatmap_size=(16, 16)))
    assert type(codec) is GaussianHeatmap
    assert type(KEYPOINT_CODECS.build(dict(type=f'{_FAKE}.FakeHeatmap'))) \
        is fake
    # an unprefixed name not in kp_ext is found in the parent
    assert type(KEYPOINT_CODECS.build(dict(type='FakeHeatmap'))) is fake


def test_link_is_idempotent_and_single(fake_root):
    root, _ = fake_root
    link_codec_registry(root)
    with pytest.raises(RuntimeError, match='already linked'):
        link_codec_registry(Registry('KEYPOINT_CODECS', scope=_FAKE + '2'))


def test_unlinked_names_fail_with_key_error():
    if KEYPOINT_CODECS.parent is not None:
        pytest.skip('linked to MMPose')
    with pytest.raises(KeyError, match='MSRAHeatmap'):
        KEYPOINT_CODECS.build(dict(type='mmpose.MSRAHeatmap'))
