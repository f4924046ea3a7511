"""Tests of the data transforms with hand-computed expectations."""
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement, PixelData

from kp_ext.codecs.base import BaseKeypointCodec
from kp_ext.datasets.transforms import (GenerateTarget, GetBBoxCenterScale,
                                        LoadImage, PackPoseInputs,
                                        RandomBBoxTransform, RandomFlip,
                                        RandomHalfBody, TopdownAffine,
                                        get_udp_warp_matrix)
from kp_ext.registry import KEYPOINT_CODECS, TRANSFORMS
from kp_ext.structures import PoseDataSample, get_warp_matrix


@KEYPOINT_CODECS.register_module(name='_TransformsTestOneHotCodec')
class _OneHotCodec(BaseKeypointCodec):
    """Tiny codec: one-hot map at the rounded keypoint, weight=visibility.

    Records the arguments of the last ``encode`` call for the tests."""

    auxiliary_encode_keys = {'bbox'}
    field_mapping_table = dict(heatmaps='heatmaps')
    label_mapping_table = dict(keypoint_weights='keypoint_weights')

    def __init__(self, size=(4, 4), weight_scale=1.0):
        self.size = size
        self.weight_scale = weight_scale
        self.last_call = None

    def encode(self, keypoints, keypoints_visible=None, bbox=None):
        self.last_call = dict(
            keypoints=keypoints.copy(),
            keypoints_visible=keypoints_visible.copy(),
            bbox=bbox)
        w, h = self.size
        num_kpt = keypoints.shape[1]
        heatmaps = np.zeros((num_kpt, h, w), dtype=np.float32)
        weights = (keypoints_visible > 0.5).astype(np.float32) * \
            self.weight_scale
        for n in range(keypoints.shape[0]):
            for k in range(num_kpt):
                x, y = np.round(keypoints[n, k]).astype(int)
                if weights[n, k] > 0 and 0 <= x < w and 0 <= y < h:
                    heatmaps[k, y, x] = 1.
        return dict(heatmaps=heatmaps, keypoint_weights=weights)

    def decode(self, encoded):
        raise NotImplementedError('decode is not exercised by these tests')


@KEYPOINT_CODECS.register_module(name='_TransformsTestPafCodec')
class _ExtraFieldCodec(BaseKeypointCodec):
    """Emits an extra field ``pafs`` that only its own table declares."""

    field_mapping_table = dict(pafs='pafs')
    label_mapping_table = dict(keypoint_weights='keypoint_weights')

    def encode(self, keypoints, keypoints_visible=None):
        return dict(
            pafs=np.full((2, 4, 4), 2., dtype=np.float32),
            keypoint_weights=np.full(keypoints_visible.shape, 0.5,
                                     dtype=np.float32))

    def decode(self, encoded):
        raise NotImplementedError('decode is not exercised by these tests')


# --------------------------------------------------------------- registry
def test_registered_names():
    for name in ('LoadImage', 'GetBBoxCenterScale', 'RandomFlip',
                 'RandomHalfBody', 'RandomBBoxTransform', 'TopdownAffine',
                 'GenerateTarget', 'PackPoseInputs'):
        assert TRANSFORMS.get(name) is not None, name
    t = TRANSFORMS.build(dict(type='TopdownAffine', input_size=(8, 16)))
    assert isinstance(t, TopdownAffine) and t.input_size == (8, 16)


# ------------------------------------------------------ GetBBoxCenterScale
def test_get_bbox_center_scale_values():
    results = dict(bbox=np.array([[10., 20., 50., 100.]], dtype=np.float32))
    out = GetBBoxCenterScale(padding=1.25)(results)
    np.testing.assert_allclose(out['bbox_center'], [[30., 60.]])
    np.testing.assert_allclose(out['bbox_scale'], [[50., 100.]])
    assert out['bbox_center'].dtype == np.float32

    out = GetBBoxCenterScale(padding=1.0)(
        dict(bbox=np.array([[0., 0., 4., 2.], [1., 1., 3., 7.]])))
    np.testing.assert_allclose(out['bbox_center'], [[2., 1.], [2., 4.]])
    np.testing.assert_allclose(out['bbox_scale'], [[4., 2.], [2., 6.]])


def test_get_bbox_center_scale_uses_existing_center_scale():
    results = dict(
        bbox=np.array([[0., 0., 100., 100.]], dtype=np.float32),
        bbox_center=np.array([[5., 6.]], dtype=np.float32),
        bbox_scale=np.array([[10., 20.]], dtype=np.float32))
    out = GetBBoxCenterScale(padding=1.25)(results)
    np.testing.assert_allclose(out['bbox_center'], [[5., 6.]])
    np.testing.assert_allclose(out['bbox_scale'], [[12.5, 25.]])


# -------------------------------------------------------------- RandomFlip
def _flip_sample():
    img = np.zeros((4, 6, 3), dtype=np.uint8)  # h=4, w=6
    img[2, 1] = 255  # marks keypoint 0 at (x=1, y=2)
    img[0, 0] = 100
    return dict(
        img=img,
        img_shape=(4, 6),
        bbox=np.array([[0., 1., 2., 3.]], dtype=np.float32),
        bbox_center=np.array([[1., 2.]], dtype=np.float32),
        keypoints=np.array([[[1., 2.], [0., 0.], [5., 3.]]],
                           dtype=np.float32),
        keypoints_visible=np.array([[1., 0., 1.]], dtype=np.float32),
        flip_indices=[0, 2, 1],
        img_mask=np.arange(24, dtype=np.uint8).reshape(4, 6))


def test_random_flip_horizontal_hand_computed():
    out = RandomFlip(prob=1.0)(_flip_sample())
    assert out['flip'] is True and out['flip_direction'] == 'horizontal'
    # x -> w - 1 - x = 5 - x; keypoints 1 and 2 swap places (and visibility)
    np.testing.assert_allclose(out['keypoints'],
                               [[[4., 2.], [0., 3.], [5., 0.]]])
    np.testing.assert_allclose(out['keypoints_visible'], [[1., 1., 0.]])
    np.testing.assert_allclose(out['bbox'], [[3., 1., 5., 3.]])
    np.testing.assert_allclose(out['bbox_center'], [[4., 2.]])
    # the marked pixel moved with keypoint 0
    assert out['img'][2, 4, 0] == 255 and out['img'][2, 1, 0] == 0
    assert out['img'][0, 5, 0] == 100
    assert out['img'].flags['C_CONTIGUOUS']
    np.testing.assert_array_equal(
        out['img_mask'],
        np.arange(24, dtype=np.uint8).reshape(4, 6)[:, ::-1])


def test_random_flip_vertical_and_diagonal():
    out = RandomFlip(prob=1.0, direction='vertical')(_flip_sample())
    # y -> h - 1 - y = 3 - y, indices still swapped
    np.testing.assert_allclose(out['keypoints'],
                               [[[1., 1.], [5., 0.], [0., 3.]]])
    np.testing.assert_allclose(out['bbox'], [[0., 0., 2., 2.]])
    assert out['img'][1, 1, 0] == 255

    out = RandomFlip(prob=1.0, direction='diagonal')(_flip_sample())
    np.testing.assert_allclose(out['keypoints'],
                               [[[4., 1.], [0., 0.], [5., 3.]]])
    np.testing.assert_allclose(out['bbox'], [[3., 0., 5., 2.]])
    np.testing.assert_allclose(out['bbox_center'], [[4., 1.]])
    assert out['img'][1, 4, 0] == 255
    assert out['img'][3, 5, 0] == 100


def test_random_flip_no_flip_and_probability():
    sample = _flip_sample()
    out = RandomFlip(prob=0.0)(_flip_sample())
    assert out['flip'] is False and out['flip_direction'] is None
    np.testing.assert_array_equal(out['keypoints'], sample['keypoints'])
    np.testing.assert_array_equal(out['img'], sample['img'])

    np.random.seed(0)
    flip = RandomFlip(prob=0.5)
    flips = [flip(_flip_sample())['flip'] for _ in range(400)]
    assert 150 < sum(flips) < 250


def test_random_flip_flip_pairs_fallback_and_missing_indices():
    sample = _flip_sample()
    del sample['flip_indices']
    sample['flip_pairs'] = [(1, 2)]
    out = RandomFlip(prob=1.0)(sample)
    np.testing.assert_allclose(out['keypoints'][0, 1], [0., 3.])

    sample = _flip_sample()
    del sample['flip_indices']
    sample['img_path'] = 'x.jpg'
    with pytest.raises(KeyError, match='flip_indices'):
        RandomFlip(prob=1.0)(sample)


# ----------------------------------------------------------- RandomHalfBody
def test_random_half_body_upper():
    kpts = np.zeros((1, 10, 2), dtype=np.float32)
    kpts[0, :5] = [[0, 0], [2, 0], [4, 2], [2, 4], [2, 2]]  # upper body
    kpts[0, 5:] = [[0, 10], [10, 20], [5, 15], [6, 16], [7, 17]]
    results = dict(
        keypoints=kpts,
        keypoints_visible=np.ones((1, 10), dtype=np.float32),
        bbox_center=np.array([[5., 10.]], dtype=np.float32),
        bbox_scale=np.array([[12., 25.]], dtype=np.float32),
        upper_body_ids=[0, 1, 2, 3, 4],
        lower_body_ids=[5, 6, 7, 8, 9])
    t = RandomHalfBody(prob=1.0, upper_prioritized_prob=1.0, padding=1.5)
    out = t(dict(results))
    # mean of upper keypoints = (10/5, 8/5); extent 4 x 4, padded by 1.5
    np.testing.assert_allclose(out['bbox_center'], [[2., 1.6]], atol=1e-6)
    np.testing.assert_allclose(out['bbox_scale'], [[6., 6.]])

    # too few visible keypoints: box unchanged
    few = dict(results, keypoints_visible=np.array([[1.] * 5 + [0.] * 5]))
    out = t(few)
    np.testing.assert_allclose(out['bbox_center'], [[5., 10.]])


# ------------------------------------------------------ RandomBBoxTransform
def test_random_bbox_transform_disabled_is_identity():
    center = np.array([[10., 20.]], dtype=np.float32)
    scale = np.array([[30., 40.]], dtype=np.float32)
    t = RandomBBoxTransform(shift_prob=0., scale_prob=0., rotate_prob=0.)
    out = t(dict(bbox_center=center.copy(), bbox_scale=scale.copy()))
    np.testing.assert_allclose(out['bbox_center'], center)
    np.testing.assert_allclose(out['bbox_scale'], scale)
    np.testing.assert_allclose(out['bbox_rotation'], [0.])


def test_random_bbox_transform_ranges_and_truncated_normal():
    n = 20000
    center = np.zeros((n, 2), dtype=np.float32)
    scale = np.tile(np.array([[100., 200.]], dtype=np.float32), (n, 1))
    np.random.seed(1)
    t = RandomBBoxTransform(
        shift_factor=0.16,
        shift_prob=1.,
        scale_factor=(0.5, 1.5),
        scale_prob=1.,
        rotate_factor=80.,
        rotate_prob=1.)
    out = t(dict(bbox_center=center, bbox_scale=scale.copy()))
    rel_shift = out['bbox_center'] / scale
    factor = out['bbox_scale'] / scale
    rot = out['bbox_rotation']
    assert rot.shape == (n, )
    assert np.abs(rel_shift).max() <= 0.16 + 1e-6
    assert factor.min() >= 0.5 - 1e-6 and factor.max() <= 1.5 + 1e-6
    np.testing.assert_allclose(factor[:, 0], factor[:, 1], rtol=1e-6)
    assert np.abs(rot).max() <= 80. + 1e-4
    # standard normal truncated to [-1, 1] has variance 0.2911 (a uniform
    # would give 1/3)
    var = np.var(rot / 80.)
    assert abs(var - 0.2911) < 0.01
    assert abs(np.var(rel_shift[:, 0] / 0.16) - 0.2911) < 0.01

    # probabilities: about 30% shifted, 60% rotated with the defaults
    np.random.seed(2)
    out = RandomBBoxTransform()(
        dict(bbox_center=center.copy(), bbox_scale=scale.copy()))
    assert abs((out['bbox_rotation'] != 0).mean() - 0.6) < 0.02
    assert abs((out['bbox_center'][:, 0] != 0).mean() - 0.3) < 0.02


def _official_bbox_transform():
    """pose-hg-train's sampling (src/util/pose.lua generateSample)."""
    return RandomBBoxTransform(
        noise='clipped_normal', shift_prob=0., scale_mode='log2',
        scale_factor=0.25, rotate_factor=30., rotate_prob=0.4)


def test_random_bbox_transform_official_clipped_normal_sampling():
    from scipy.stats import norm
    n = 20000
    scale = np.tile(np.array([[100., 200.]], dtype=np.float32), (n, 1))
    np.random.seed(3)
    out = _official_bbox_transform()(
        dict(bbox_center=np.zeros((n, 2), np.float32),
             bbox_scale=scale.copy()))
    rot = out['bbox_rotation']
    log2s = np.log2(out['bbox_scale'] / scale)
    np.testing.assert_allclose(log2s[:, 0], log2s[:, 1], atol=1e-6)
    log2s = log2s[:, 0]
    np.testing.assert_array_equal(out['bbox_center'], 0.)  # no shift
    # rotation kept on 40 % (the official 'uniform() <= .6 -> r = 0')
    rotated = rot != 0
    assert abs(rotated.mean() - 0.4) < 0.015
    # bounds: |rotation| <= 2 * 30 deg, |log2 scale| <= 2 * 0.25
    assert np.abs(rot).max() <= 60. + 1e-4
    assert np.abs(log2s).max() <= 0.5 + 1e-6
    # N(0, 1) clipped at +-2: P(|t| = 2) = 2 (1 - Phi(2)) = 0.0455,
    # E[t^2] = P(|Z| < 2) - 4 phi(2) + 4 P(|Z| >= 2) = 0.9205
    p_clip = 2 * norm.sf(2.)
    var = (1 - p_clip) - 4 * norm.pdf(2.) + 4 * p_clip
    t_rot = rot[rotated] / 30.
    t_scale = log2s / 0.25
    for t in (t_rot, t_scale):
        assert abs(np.mean(np.abs(t) > 2 - 1e-4) - p_clip) < 0.006
        assert abs(np.mean(t ** 2) - var) < 0.04
        # the shape of the normal inside the bounds: P(t <= 0.5)
        assert abs(np.mean(t <= 0.5) - norm.cdf(0.5)) < 0.015
    # scale applied to every sample, independent of the rotation draw
    assert np.all(log2s != 0)
    assert abs(np.corrcoef(t_rot, t_scale[rotated])[0, 1]) < 0.05


@pytest.mark.parametrize('kwargs', [
    dict(scale_mode='log2', scale_factor=(0.75, 1.25)),
    dict(scale_mode='log2', scale_factor=-0.1),
    dict(scale_mode='exp'), dict(noise='uniform')])
def test_random_bbox_transform_bad_sampling_options(kwargs):
    with pytest.raises(ValueError):
        RandomBBoxTransform(**kwargs)


# ------------------------------------------------------------ TopdownAffine
def _affine_sample():
    # channel 0 holds x, channel 1 holds y: bilinear warping is exact
    ys, xs = np.mgrid[0:200, 0:200].astype(np.float32)
    img = np.stack([xs, ys, np.zeros_like(xs)], axis=-1)
    return dict(
        img=img,
        img_shape=(200, 200),
        bbox_center=np.array([[100., 80.]], dtype=np.float32),
        bbox_scale=np.array([[64., 128.]], dtype=np.float32),
        keypoints=np.array([[[100., 80.], [68., 16.], [132., 144.],
                             [132., 80.]]],
                           dtype=np.float32))


def test_topdown_affine_maps_box_to_crop():
    out = TopdownAffine(input_size=(32, 64))(_affine_sample())
    assert out['img'].shape == (64, 32, 3)
    tk = out['transformed_keypoints']
    # box centre -> crop centre (w/2, h/2); box corners -> crop corners
    np.testing.assert_allclose(tk[0, 0], [16., 32.], atol=1e-4)
    np.testing.assert_allclose(tk[0, 1], [0., 0.], atol=1e-4)
    np.testing.assert_allclose(tk[0, 2], [32., 64.], atol=1e-4)
    np.testing.assert_allclose(tk[0, 3], [32., 32.], atol=1e-4)
    # keypoints stay in image coordinates
    np.testing.assert_allclose(out['keypoints'][0, 0], [100., 80.])
    # crop pixel (i, j) samples image point (68 + 2i, 16 + 2j)
    j, i = np.mgrid[0:64, 0:32]
    np.testing.assert_allclose(out['img'][..., 0], 68 + 2 * i, atol=0.05)
    np.testing.assert_allclose(out['img'][..., 1], 16 + 2 * j, atol=0.05)
    assert out['input_size'] == (32, 64)
    np.testing.assert_allclose(out['input_center'], [100., 80.])
    np.testing.assert_allclose(out['input_scale'], [64., 128.])
    assert out['img_shape'] == (200, 200)


def test_topdown_affine_fixes_aspect_ratio():
    sample = _affine_sample()
    sample['bbox_scale'] = np.array([[64., 64.]], dtype=np.float32)
    out = TopdownAffine(input_size=(32, 64))(sample)
    # w/h must be 0.5: the height grows to 128
    np.testing.assert_allclose(out['bbox_scale'], [[64., 128.]])
    np.testing.assert_allclose(out['input_scale'], [64., 128.])

    sample = _affine_sample()
    sample['bbox_scale'] = np.array([[16., 128.]], dtype=np.float32)
    out = TopdownAffine(input_size=(32, 64))(sample)
    np.testing.assert_allclose(out['bbox_scale'], [[64., 128.]])


def test_topdown_affine_rotation():
    sample = _affine_sample()
    sample['bbox_rotation'] = np.array([90.], dtype=np.float32)
    out = TopdownAffine(input_size=(32, 64))(sample)
    tk = out['transformed_keypoints'][0]
    # rot=90: the image point half a box width right of the centre lands
    # half a crop width above the crop centre (get_warp_matrix convention)
    np.testing.assert_allclose(tk[3], [16., 16.], atol=1e-3)
    np.testing.assert_allclose(tk[0], [16., 32.], atol=1e-3)
    # the image follows the keypoints: crop pixel (16, 16) shows x=132
    assert abs(out['img'][16, 16, 0] - 132.) < 0.05
    assert abs(out['img'][16, 16, 1] - 80.) < 0.05


def test_topdown_affine_udp():
    out = TopdownAffine(input_size=(32, 64), use_udp=True)(_affine_sample())
    tk = out['transformed_keypoints'][0]
    # UDP: centre -> ((w-1)/2, (h-1)/2), the box spans w-1 / h-1 steps
    np.testing.assert_allclose(tk[0], [15.5, 31.5], atol=1e-4)
    np.testing.assert_allclose(tk[1], [0., 0.], atol=1e-4)
    np.testing.assert_allclose(tk[2], [31., 63.], atol=1e-4)

    # rotation turns the same way as get_warp_matrix
    center, scale = np.array([100., 80.]), np.array([64., 128.])
    udp = get_udp_warp_matrix(center, scale, 90., (32, 64))
    ref = get_warp_matrix(center, scale, 90., (32, 64))
    pt = np.array([132., 80., 1.])
    np.testing.assert_allclose(udp @ pt, [15.5, 31.5 - 32 * 63 / 128],
                               atol=1e-4)
    assert (ref @ pt)[1] < 32. and (udp @ pt)[1] < 31.5


def test_topdown_affine_rejects_multi_instance():
    sample = _affine_sample()
    sample['bbox_center'] = np.zeros((2, 2), dtype=np.float32)
    sample['bbox_scale'] = np.ones((2, 2), dtype=np.float32)
    sample['img_path'] = 'a.jpg'
    with pytest.raises(ValueError, match='one instance'):
        TopdownAffine(input_size=(32, 64))(sample)


# ----------------------------------------------------------- GenerateTarget
def _target_sample():
    return dict(
        keypoints=np.array([[[100., 100.], [100., 100.]]], dtype=np.float32),
        transformed_keypoints=np.array([[[1., 2.], [3., 0.]]],
                                       dtype=np.float32),
        keypoints_visible=np.array([[1., 1.]], dtype=np.float32),
        bbox=np.array([[0., 0., 4., 4.]], dtype=np.float32),
        dataset_keypoint_weights=np.array([1., 2.], dtype=np.float32))


def test_generate_target_uses_transformed_keypoints_and_aux_keys():
    t = GenerateTarget(encoder=dict(type='_TransformsTestOneHotCodec'))
    out = t(_target_sample())
    expected = np.zeros((2, 4, 4), dtype=np.float32)
    expected[0, 2, 1] = 1.
    expected[1, 0, 3] = 1.
    np.testing.assert_array_equal(out['heatmaps'], expected)
    np.testing.assert_array_equal(out['keypoint_weights'], [[1., 1.]])
    np.testing.assert_array_equal(t.encoder.last_call['bbox'],
                                  [[0., 0., 4., 4.]])
    assert out['field_mapping_table'] == dict(heatmaps='heatmaps')
    assert out['label_mapping_table'] == dict(
        keypoint_weights='keypoint_weights')
    assert 'instance_mapping_table' not in out

    # without transformed keypoints the original keypoints are encoded
    sample = _target_sample()
    del sample['transformed_keypoints']
    out = t(sample)
    assert out['heatmaps'].sum() == 0.
    np.testing.assert_array_equal(t.encoder.last_call['keypoints'],
                                  sample['keypoints'])


def test_generate_target_dataset_keypoint_weights():
    t = GenerateTarget(
        encoder=dict(type='_TransformsTestOneHotCodec', weight_scale=3.),
        use_dataset_keypoint_weights=True)
    out = t(_target_sample())
    np.testing.assert_allclose(out['keypoint_weights'], [[3., 6.]])


def test_generate_target_several_encoders():
    combined = GenerateTarget(encoder=[
        dict(type='_TransformsTestOneHotCodec', weight_scale=3.),
        dict(type='_TransformsTestPafCodec')
    ])
    out = combined(_target_sample())
    np.testing.assert_allclose(out['keypoint_weights'], [[1.5, 1.5]])
    assert out['pafs'].shape == (2, 4, 4) and out['heatmaps'].shape == (2, 4,
                                                                        4)
    assert out['field_mapping_table'] == dict(
        heatmaps='heatmaps', pafs='pafs')

    multi = GenerateTarget(
        encoder=[
            dict(type='_TransformsTestOneHotCodec', size=(4, 4)),
            dict(type='_TransformsTestOneHotCodec', size=(8, 8))
        ],
        multilevel=True)
    out = multi(_target_sample())
    assert [h.shape for h in out['heatmaps']] == [(2, 4, 4), (2, 8, 8)]
    assert len(out['keypoint_weights']) == 2

    with pytest.raises(ValueError, match='both produce'):
        GenerateTarget(encoder=[
            dict(type='_TransformsTestOneHotCodec'),
            dict(type='_TransformsTestOneHotCodec')
        ])(_target_sample())


def test_generate_target_visible_with_weights_channel():
    sample = _target_sample()
    sample['keypoints_visible'] = np.array([[[1., 0.5], [0., 1.]]],
                                           dtype=np.float32)
    out = GenerateTarget(
        encoder=dict(type='_TransformsTestOneHotCodec'))(sample)
    np.testing.assert_array_equal(out['keypoints_visible'], [[1., 0.]])
    np.testing.assert_array_equal(out['keypoints_visible_weights'],
                                  [[0.5, 1.]])
    np.testing.assert_array_equal(out['keypoint_weights'], [[1., 0.]])


def test_generate_target_with_gaussian_heatmap_codec():
    try:
        from kp_ext.codecs import GaussianHeatmap  # noqa: F401
    except ImportError:
        pytest.skip('GaussianHeatmap codec not available')
    t = GenerateTarget(
        encoder=dict(
            type='GaussianHeatmap',
            input_size=(32, 32),
            heatmap_size=(8, 8),
            sigma=1.))
    sample = _target_sample()
    sample['transformed_keypoints'] = np.array([[[14., 14.], [2., 30.]]],
                                               dtype=np.float32)
    out = t(sample)
    assert out['heatmaps'].shape == (2, 8, 8)
    np.testing.assert_array_equal(out['keypoint_weights'], [[1., 1.]])
    # (14 + 0.5) / 4 - 0.5 = 3.125 -> peak at heatmap pixel (3, 3)
    assert np.unravel_index(out['heatmaps'][0].argmax(), (8, 8)) == (3, 3)


# ----------------------------------------------------------- PackPoseInputs
def _pack_sample():
    img = np.random.RandomState(0).randint(0, 255, (6, 4, 3), dtype=np.uint8)
    results = dict(
        img=img,
        id=7,
        img_id=3,
        img_path='a.jpg',
        ori_shape=(60, 40),
        img_shape=(60, 40),
        input_size=(4, 6),
        input_center=np.array([20., 30.], dtype=np.float32),
        input_scale=np.array([40., 60.], dtype=np.float32),
        flip=False,
        flip_direction=None,
        flip_indices=[0, 2, 1],
        bbox=np.array([[0., 0., 40., 60.]], dtype=np.float32),
        bbox_score=np.ones(1, dtype=np.float32),
        bbox_center=np.array([[20., 30.]], dtype=np.float32),
        bbox_scale=np.array([[40., 60.]], dtype=np.float32),
        keypoints=np.zeros((1, 3, 2), dtype=np.float32),
        keypoints_visible=np.ones((1, 3), dtype=np.float32),
        transformed_keypoints=np.ones((1, 3, 2), dtype=np.float32),
        head_size=np.array([5.], dtype=np.float32),
        area=np.float32(2400.),
        heatmaps=np.zeros((3, 3, 2), dtype=np.float32),
        keypoint_weights=np.array([[1., 0., 1.]], dtype=np.float32),
        upper_body_ids=[0],
    )
    return results


def test_pack_pose_inputs_layout():
    results = _pack_sample()
    packed = PackPoseInputs()(results)
    inputs, ds = packed['inputs'], packed['data_samples']
    assert isinstance(ds, PoseDataSample)
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 6, 4)
    assert inputs.is_contiguous()
    np.testing.assert_array_equal(inputs.numpy(),
                                  results['img'].transpose(2, 0, 1))

    gi = ds.gt_instances
    np.testing.assert_array_equal(gi.bboxes, [[0., 0., 40., 60.]])
    np.testing.assert_array_equal(gi.bbox_centers, [[20., 30.]])
    np.testing.assert_array_equal(gi.bbox_scales, [[40., 60.]])
    np.testing.assert_array_equal(gi.bbox_scores, [1.])
    np.testing.assert_array_equal(gi.head_size, [5.])
    np.testing.assert_array_equal(gi.areas, [2400.])
    assert gi.keypoints.shape == (1, 3, 2)
    assert isinstance(gi.keypoints, np.ndarray)
    assert 'transformed_keypoints' not in gi

    labels = ds.gt_instance_labels
    assert isinstance(labels.keypoint_weights, torch.Tensor)
    np.testing.assert_array_equal(labels.keypoint_weights.numpy(),
                                  [[1., 0., 1.]])
    assert isinstance(ds.gt_fields, PixelData)
    assert isinstance(ds.gt_fields.heatmaps, torch.Tensor)
    assert tuple(ds.gt_fields.heatmaps.shape) == (3, 3, 2)

    meta = ds.metainfo
    for key in ('id', 'img_id', 'img_path', 'ori_shape', 'img_shape',
                'input_size', 'input_center', 'input_scale', 'flip',
                'flip_direction', 'flip_indices', 'head_size'):
        assert key in meta, key
    assert meta['id'] == 7 and meta['flip_indices'] == [0, 2, 1]
    assert 'upper_body_ids' not in meta and 'raw_ann_info' not in meta


def test_pack_pose_inputs_transformed_and_codec_tables():
    results = _pack_sample()
    results['pafs'] = np.ones((2, 3, 2), dtype=np.float32)
    results['field_mapping_table'] = dict(pafs='pafs')
    packed = PackPoseInputs(
        meta_keys=('id', ), pack_transformed=True)(results)
    ds = packed['data_samples']
    np.testing.assert_array_equal(ds.gt_instances.transformed_keypoints,
                                  np.ones((1, 3, 2)))
    assert set(ds.gt_fields.keys()) == {'heatmaps', 'pafs'}
    assert set(ds.metainfo) == {'id'}


def test_pack_pose_inputs_multilevel_fields_and_grayscale():
    results = _pack_sample()
    results['img'] = results['img'][..., 0]
    results['heatmaps'] = [np.zeros((3, 4, 4)), np.zeros((3, 8, 8))]
    results['keypoint_weights'] = [np.ones((1, 3)), np.zeros((1, 3))]
    packed = PackPoseInputs()(results)
    assert packed['inputs'].shape == (1, 6, 4)
    ds = packed['data_samples']
    assert isinstance(ds.gt_fields, BaseDataElement)
    assert [tuple(h.shape) for h in ds.gt_fields.heatmaps] == [(3, 4, 4),
                                                                (3, 8, 8)]
    # per-level labels are stacked on a new first axis (as in MMPose)
    assert tuple(ds.gt_instance_labels.keypoint_weights.shape) == (2, 1, 3)


def test_pack_pose_inputs_rejects_mismatched_instances():
    results = _pack_sample()
    results['bbox_score'] = np.ones(2, dtype=np.float32)
    with pytest.raises(ValueError, match='bbox_score'):
        PackPoseInputs()(results)


# ------------------------------------------------------------ full pipeline
def test_full_topdown_pipeline(tmp_path):
    import cv2
    img = np.zeros((120, 80, 3), dtype=np.uint8)
    img[50:70, 30:50] = 200
    path = tmp_path / 'person.png'
    cv2.imwrite(str(path), img)
    results = dict(
        img_path=str(path),
        id=11,
        img_id=1,
        bbox=np.array([[20., 30., 60., 90.]], dtype=np.float32),
        bbox_score=np.ones(1, dtype=np.float32),
        keypoints=np.array([[[40., 60.], [25., 35.], [55., 85.]]],
                           dtype=np.float32),
        keypoints_visible=np.array([[1., 1., 0.]], dtype=np.float32),
        flip_indices=[0, 2, 1],
        dataset_name='toy')
    pipeline = [
        TRANSFORMS.build(cfg) for cfg in [
            dict(type='LoadImage'),
            dict(type='GetBBoxCenterScale', padding=1.0),
            dict(type='RandomFlip', prob=1.0),
            dict(
                type='RandomBBoxTransform',
                shift_prob=0.,
                scale_prob=0.,
                rotate_prob=0.),
            dict(type='TopdownAffine', input_size=(16, 24)),
            dict(
                type='GenerateTarget',
                encoder=dict(type='_TransformsTestOneHotCodec',
                             size=(16, 24))),
            dict(type='PackPoseInputs', pack_transformed=True),
        ]
    ]
    for t in pipeline:
        results = t(results)
    inputs, ds = results['inputs'], results['data_samples']
    assert inputs.shape == (3, 24, 16) and inputs.dtype == torch.uint8
    # box 40x60 -> 16x24 is a factor 2.5; flipped centre (79-40, 60) = (39,
    # 60) lands on (8, 12); keypoint 0 (40, 60) -> (39, 60) -> (8, 12)
    tk = ds.gt_instances.transformed_keypoints
    np.testing.assert_allclose(tk[0, 0], [8., 12.], atol=1e-4)
    # keypoint 1 is the flipped old keypoint 2 (invisible): (24, 85)
    np.testing.assert_allclose(ds.gt_instances.keypoints[0, 1], [24., 85.])
    np.testing.assert_array_equal(ds.gt_instances.keypoints_visible,
                                  [[1., 0., 1.]])
    np.testing.assert_array_equal(
        ds.gt_instance_labels.keypoint_weights.numpy(), [[1., 0., 1.]])
    assert ds.gt_fields.heatmaps[0, 12, 8] == 1.
    assert ds.metainfo['flip'] is True and ds.metainfo['id'] == 11
    assert ds.metainfo['dataset_name'] == 'toy'
    # the bright square (x 30..49 -> 30..49 after flip) covers crop centre
    assert inputs[:, 12, 8].tolist() == [200, 200, 200]


def test_load_image_keeps_in_memory_image():
    img = np.full((5, 7, 3), 9, dtype=np.uint8)
    out = LoadImage()(dict(img=img))
    assert out['img'] is not None and out['img'].shape == (5, 7, 3)
    assert out['img_shape'] == (5, 7) and out['ori_shape'] == (5, 7)
    assert out['img_path'] is None
    out = LoadImage(to_float32=True)(dict(img=img))
    assert out['img'].dtype == np.float32
