"""Bad input through the transforms: clear errors or safe handling."""
import cv2
import numpy as np
import pytest

import kp_ext.datasets.transforms.common_transforms as common_mod
import kp_ext.datasets.transforms.loading as loading_mod
from kp_ext.codecs.base import BaseKeypointCodec
from kp_ext.datasets.transforms import (GenerateTarget, GetBBoxCenterScale,
                                        ImageLoadError, LoadImage,
                                        PackPoseInputs, TopdownAffine)
from kp_ext.registry import KEYPOINT_CODECS


@KEYPOINT_CODECS.register_module(name='_TransformsBadInputCodec')
class _GaussianLikeCodec(BaseKeypointCodec):
    """Gaussian blob per visible keypoint on a 6x6 map: NaN coordinates
    reaching it would give NaN maps."""

    label_mapping_table = dict(keypoint_weights='keypoint_weights')

    def encode(self, keypoints, keypoints_visible=None):
        ys, xs = np.mgrid[0:6, 0:6].astype(np.float32)
        maps = np.zeros((keypoints.shape[1], 6, 6), dtype=np.float32)
        weights = (keypoints_visible > 0.5).astype(np.float32)
        for k in range(keypoints.shape[1]):
            x, y = keypoints[0, k]
            blob = np.exp(-((xs - x)**2 + (ys - y)**2) / 2.)
            maps[k] = blob * weights[0, k]
        return dict(heatmaps=maps, keypoint_weights=weights)

    def decode(self, encoded):
        raise NotImplementedError('decode is not exercised by these tests')


@pytest.fixture
def log_records(monkeypatch):
    records = []

    def fake_print_log(msg, logger=None, level=None):
        records.append((msg, level))

    monkeypatch.setattr(loading_mod, 'print_log', fake_print_log)
    monkeypatch.setattr(common_mod, 'print_log', fake_print_log)
    return records


# --------------------------------------------------------------- LoadImage
def test_missing_file_names_file_and_annotation(tmp_path):
    path = str(tmp_path / 'nope.jpg')
    with pytest.raises(FileNotFoundError) as err:
        LoadImage()(dict(img_path=path, id=42))
    assert 'nope.jpg' in str(err.value) and '42' in str(err.value)
    assert isinstance(err.value, ImageLoadError)


def test_garbage_bytes_unreadable(tmp_path):
    path = tmp_path / 'garbage.jpg'
    path.write_bytes(b'this is not an image at all' * 10)
    with pytest.raises(ImageLoadError, match=r'garbage\.jpg.*id 5'):
        LoadImage()(dict(img_path=str(path), id=5))
    empty = tmp_path / 'empty.png'
    empty.write_bytes(b'')
    with pytest.raises(ImageLoadError, match='empty'):
        LoadImage()(dict(img_path=str(empty)))


def test_truncated_jpeg_and_png(tmp_path):
    img = np.random.RandomState(0).randint(0, 255, (64, 64, 3),
                                           dtype=np.uint8)
    ok, buf = cv2.imencode('.jpg', img)
    assert ok
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(buf.tobytes()[:len(buf) // 2])
    # (some OpenCV builds decode a cut JPEG silently, padding it with grey;
    # the end-of-image marker check catches it whatever the build)
    with pytest.raises(ImageLoadError, match=r'truncated image file .*cut'):
        LoadImage()(dict(img_path=str(cut)))
    for n_cut in (2, 100):
        assert loading_mod._jpeg_truncated(buf.tobytes()[:-n_cut])
    assert not loading_mod._jpeg_truncated(buf.tobytes())
    # the intact file loads, also with junk after the end-of-image marker
    whole = tmp_path / 'whole.jpg'
    whole.write_bytes(buf.tobytes() + b'\x00' * 7)
    assert LoadImage()(dict(img_path=str(whole)))['img'].shape == (64, 64, 3)

    ok, buf = cv2.imencode('.png', img)
    cut_png = tmp_path / 'cut.png'
    cut_png.write_bytes(buf.tobytes()[:len(buf) - 30])
    with pytest.raises(ImageLoadError, match=r'truncated image file .*cut'):
        LoadImage()(dict(img_path=str(cut_png)))
    assert not loading_mod._png_truncated(buf.tobytes())


def test_ignore_empty_returns_none_and_warns(tmp_path, log_records):
    out = LoadImage(ignore_empty=True)(
        dict(img_path=str(tmp_path / 'gone.jpg'), id=3))
    assert out is None
    assert len(log_records) == 1
    msg, level = log_records[0]
    assert 'gone.jpg' in msg and level == 30  # logging.WARNING


def test_rgba_png_with_jpg_extension(tmp_path):
    bgra = np.zeros((5, 6, 4), dtype=np.uint8)
    bgra[..., 0] = 10  # B
    bgra[..., 1] = 20  # G
    bgra[..., 2] = 30  # R
    bgra[..., 3] = 128  # alpha
    path = tmp_path / 'really_png.jpg'
    ok, buf = cv2.imencode('.png', bgra)
    path.write_bytes(buf.tobytes())
    out = LoadImage()(dict(img_path=str(path)))
    assert out['img'].shape == (5, 6, 3) and out['img'].dtype == np.uint8
    np.testing.assert_array_equal(out['img'][0, 0], [10, 20, 30])
    assert out['img_shape'] == (5, 6) and out['ori_shape'] == (5, 6)


def test_grayscale_and_16bit_become_3_channel_uint8(tmp_path):
    gray = np.arange(20, dtype=np.uint8).reshape(4, 5) * 10
    path = tmp_path / 'gray.png'
    cv2.imwrite(str(path), gray)
    out = LoadImage()(dict(img_path=str(path)))
    assert out['img'].shape == (4, 5, 3)
    for c in range(3):
        np.testing.assert_array_equal(out['img'][..., c], gray)

    deep = np.full((3, 4), 257 * 200, dtype=np.uint16)
    path16 = tmp_path / 'deep.png'
    cv2.imwrite(str(path16), deep)
    out = LoadImage()(dict(img_path=str(path16)))
    assert out['img'].dtype == np.uint8 and out['img'].shape == (3, 4, 3)
    assert np.all(out['img'] == 200)
    out = LoadImage(color_type='unchanged')(dict(img_path=str(path16)))
    assert out['img'].dtype == np.uint16

    out = LoadImage(to_float32=True)(dict(img_path=str(path)))
    assert out['img'].dtype == np.float32 and out['img'].shape == (4, 5, 3)

    # in-memory grayscale / RGBA arrays are normalised too
    assert LoadImage()(dict(img=gray))['img'].shape == (4, 5, 3)
    rgba = np.zeros((4, 5, 4), dtype=np.uint8)
    assert LoadImage()(dict(img=rgba))['img'].shape == (4, 5, 3)


# --------------------------------------------------------- bbox / affine
@pytest.mark.parametrize('bbox', [[10., 10., 10., 30.], [10., 10., 30., 10.],
                                  [30., 10., 10., 40.],
                                  [np.nan, 0., 10., 10.]])
def test_zero_size_or_nan_bbox_clear_error(bbox):
    results = dict(
        bbox=np.array([bbox], dtype=np.float32),
        img_path='people/p1.jpg',
        id=99)
    with pytest.raises(ValueError, match=r'p1\.jpg.*annotation id 99'):
        GetBBoxCenterScale()(results)


def test_missing_bbox_clear_error():
    with pytest.raises(KeyError, match='bbox'):
        GetBBoxCenterScale()(dict(img_path='a.jpg'))


def test_topdown_affine_rejects_zero_scale():
    results = dict(
        img=np.zeros((10, 10, 3), dtype=np.uint8),
        bbox_center=np.array([[5., 5.]], dtype=np.float32),
        bbox_scale=np.array([[0., 0.]], dtype=np.float32),
        img_path='z.jpg')
    with pytest.raises(ValueError, match=r'z\.jpg'):
        TopdownAffine(input_size=(4, 4))(results)


# --------------------------------------------------------- GenerateTarget
def test_nan_keypoints_get_weight_zero_and_no_nan_targets(log_records):
    results = dict(
        img_path='n.jpg',
        id=1,
        transformed_keypoints=np.array([[[np.nan, 2.], [3., 3.],
                                         [1., np.inf]]],
                                       dtype=np.float32),
        keypoints_visible=np.ones((1, 3), dtype=np.float32))
    out = GenerateTarget(encoder=dict(type='_TransformsBadInputCodec'))(
        results)
    assert np.isfinite(out['heatmaps']).all()
    np.testing.assert_array_equal(out['keypoint_weights'], [[0., 1., 0.]])
    np.testing.assert_array_equal(out['keypoints_visible'], [[0., 1., 0.]])
    assert out['heatmaps'][0].max() == 0. and out['heatmaps'][1].max() == 1.
    assert any('n.jpg' in msg and '2 non-finite' in msg
               for msg, _ in log_records)
    packed = PackPoseInputs()(dict(out, img=np.zeros((6, 6, 3), np.uint8)))
    assert packed['data_samples'].gt_fields.heatmaps.isfinite().all()


def test_all_keypoints_invisible_give_zero_weights():
    results = dict(
        transformed_keypoints=np.array([[[1., 1.], [2., 2.]]],
                                       dtype=np.float32),
        keypoints_visible=np.zeros((1, 2), dtype=np.float32))
    out = GenerateTarget(encoder=dict(type='_TransformsBadInputCodec'))(
        results)
    np.testing.assert_array_equal(out['keypoint_weights'], [[0., 0.]])
    assert out['heatmaps'].max() == 0.


def test_all_invisible_and_nan_with_gaussian_heatmap():
    try:
        from kp_ext.codecs import GaussianHeatmap  # noqa: F401
    except ImportError:
        pytest.skip('GaussianHeatmap codec not available')
    t = GenerateTarget(
        encoder=dict(
            type='GaussianHeatmap',
            input_size=(16, 16),
            heatmap_size=(4, 4),
            sigma=1.))
    out = t(
        dict(
            transformed_keypoints=np.array([[[4., 4.], [8., 8.]]],
                                           dtype=np.float32),
            keypoints_visible=np.zeros((1, 2), dtype=np.float32)))
    np.testing.assert_array_equal(out['keypoint_weights'], [[0., 0.]])
    assert np.isfinite(out['heatmaps']).all()
    out = t(
        dict(
            transformed_keypoints=np.array([[[np.nan, 4.], [8., 8.]]],
                                           dtype=np.float32),
            keypoints_visible=np.ones((1, 2), dtype=np.float32)))
    np.testing.assert_array_equal(out['keypoint_weights'], [[0., 1.]])
    assert np.isfinite(out['heatmaps']).all()
    assert out['heatmaps'][0].max() == 0.


def test_generate_target_without_keypoints_clear_error():
    with pytest.raises(KeyError, match=r'keypoints.*q\.jpg'):
        GenerateTarget(encoder=dict(type='_TransformsBadInputCodec'))(
            dict(img_path='q.jpg'))


def test_dataset_weights_missing_clear_error():
    t = GenerateTarget(
        encoder=dict(type='_TransformsBadInputCodec'),
        use_dataset_keypoint_weights=True)
    with pytest.raises(KeyError, match='dataset_keypoint_weights'):
        t(
            dict(
                keypoints=np.zeros((1, 2, 2), dtype=np.float32),
                keypoints_visible=np.ones((1, 2), dtype=np.float32)))
