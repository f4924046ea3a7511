"""Bottom-up transforms: resize / affine geometry, invalid masks, flip
consistency of OpenPose targets, bad input."""
import copy

import cv2
import numpy as np
import pytest
import xtcocotools.mask as mask_util

from kp_ext.codecs import PartAffinityField
from kp_ext.datasets.transforms import (BottomupRandomAffine, BottomupResize,
                                        GenerateInvalidMask, GenerateTarget,
                                        PackPoseInputs, RandomFlip)
from kp_ext.structures import apply_affine, segs_to_mask

K = 17
COCO_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]


def to_image(x_in, results):
    """The estimator's mapping input pixels -> original image pixels."""
    size = np.asarray(results['input_size'], np.float64)
    scale = np.asarray(results['input_scale'], np.float64)
    center = np.asarray(results['input_center'], np.float64)
    return x_in / size * scale + center - 0.5 * scale


def fixed_affine(input_size, **kw):
    """A BottomupRandomAffine without randomness (identity-like params)."""
    kw.setdefault('shift_factor', 0.)
    kw.setdefault('scale_factor', (1., 1.))
    kw.setdefault('rotate_factor', 0.)
    return BottomupRandomAffine(input_size, **kw)


def people_sample(w=64, h=64, n=2, seed=0):
    rng = np.random.default_rng(seed)
    kpts = rng.uniform([4, 4], [w - 5, h - 5], size=(n, K, 2)).astype(
        np.float32)
    return dict(
        img=rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
        img_path='mem', img_id=1, img_shape=(h, w), ori_shape=(h, w),
        keypoints=kpts, keypoints_visible=np.ones((n, K), np.float32),
        bbox=np.concatenate([kpts.min(1), kpts.max(1)], 1),
        flip_indices=list(COCO_FLIP), invalid_segs=[])


# ----------------------------------------------------------- BottomupResize
def test_resize_hand_case_upscale():
    # 200 x 100 image into 256 x 256: r = 1.28, resized 256 x 128, centred
    img = np.zeros((100, 200, 3), np.uint8)
    img[10, 20] = 255
    res = BottomupResize((256, 256), size_factor=8)(dict(
        img=img, keypoints=np.array([[[0., 0.], [20., 10.], [199., 99.]]],
                                    np.float32)))
    assert res['img'].shape == (256, 256, 3)
    assert res['input_size'] == (256, 256)
    np.testing.assert_allclose(res['input_center'], [100., 50.])
    np.testing.assert_allclose(res['input_scale'], [200., 200.])
    # x_in = 1.28 * (x - 100 + 100), y_in = 1.28 * (y - 50 + 100)
    np.testing.assert_allclose(
        res['transformed_keypoints'][0],
        [[0., 64.], [25.6, 76.8], [254.72, 190.72]], atol=1e-4)
    # keypoints stay in the image (evaluation) frame
    np.testing.assert_allclose(res['keypoints'][0, 1], [20., 10.])
    # the bright pixel lands at the transformed keypoint
    y, x = np.unravel_index(res['img'][..., 0].argmax(), (256, 256))
    assert abs(x - 25.6) <= 1 and abs(y - 76.8) <= 1
    # padding above and below the resized image
    assert res['img'][:63].max() == 0 and res['img'][193:].max() == 0
    # round trip through the estimator's mapping is exact
    back = to_image(res['transformed_keypoints'][0].astype(np.float64), res)
    np.testing.assert_allclose(back, [[0., 0.], [20., 10.], [199., 99.]],
                               atol=1e-4)


def test_resize_downscale_area_path_keeps_geometry():
    # 640 x 480 into 320 x 320: r = 0.5 (INTER_AREA path), pad top/bottom
    img = np.zeros((480, 640), np.float32)
    img[100:110, 200:210] = 1.0
    res = BottomupResize((320, 320), size_factor=32)(dict(img=img))
    out = res['img']
    assert out.shape == (320, 320)
    ys, xs = np.mgrid[0:320, 0:320]
    cx = (out * xs).sum() / out.sum()
    cy = (out * ys).sum() / out.sum()
    # image centroid (204.5, 104.5) -> 0.5 * (x - 320 + 320), y: centre
    # 240, scale 640 -> 0.5 * (104.5 - 240 + 320)
    assert abs(cx - 102.25) < 0.05 and abs(cy - 92.25) < 0.05
    np.testing.assert_allclose(out.sum(), 100 * 0.25, rtol=1e-3)
    np.testing.assert_allclose(res['input_scale'], [640., 640.])
    # round trip of arbitrary points (forward with warp_mat, back with
    # the estimator formula)
    pts = np.array([[0., 0.], [639., 479.], [123.4, 456.7]])
    fwd = apply_affine(pts, res['warp_mat']).astype(np.float64)
    np.testing.assert_allclose(to_image(fwd, res), pts, atol=1e-4)


def test_resize_size_factor_and_expand():
    img = np.zeros((90, 130, 3), np.uint8)
    res = BottomupResize((100, 100), size_factor=32)(dict(img=img))
    assert res['input_size'] == (128, 128)
    assert res['img'].shape[:2] == (128, 128)
    # fit: the image fits in 100 x 100 (r = 100 / 130)
    np.testing.assert_allclose(res['input_scale'], np.array([128, 128]) *
                               130 / 100, rtol=1e-6)
    res = BottomupResize((100, 100), size_factor=8,
                         resize_mode='expand')(dict(img=img))
    # expand: r = 100 / 90, resized 144.4 x 100 -> padded 152 x 104
    assert res['input_size'] == (152, 104)
    np.testing.assert_allclose(res['input_scale'][0] / 152,
                               res['input_scale'][1] / 104, rtol=1e-6)
    with pytest.raises(ValueError):
        BottomupResize((100, 100), resize_mode='stretch')
    with pytest.raises(ValueError):
        BottomupResize((0, 100))


def test_resize_mode_none_keeps_the_image():
    """resize_mode='none' (the MATLAB evaluation's input: the estimator
    makes the scales): the image unchanged, identity input -> image map."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (90, 131, 3), np.uint8)
    res = BottomupResize((368, 368), size_factor=8,
                         resize_mode='none')(dict(img=img.copy()))
    np.testing.assert_array_equal(res['img'], img)
    assert res['input_size'] == (131, 90) and res['img_shape'] == (90, 131)
    np.testing.assert_allclose(res['warp_mat'], np.eye(2, 3))
    pts = np.array([[0., 0.], [130., 89.], [12.3, 45.6]])
    np.testing.assert_allclose(to_image(pts, res), pts, atol=1e-4)


# ------------------------------------------------------ BottomupRandomAffine
def test_affine_moves_keypoints_with_the_image():
    np.random.seed(3)
    h, w = 120, 160
    img = np.zeros((h, w), np.float32)
    kpts = np.array([[[30., 40.], [100., 20.], [140., 100.]]], np.float32)
    for x, y in kpts[0]:
        cv2.circle(img, (int(x), int(y)), 2, 1.0, -1)
    t = BottomupRandomAffine((96, 96), shift_factor=0.1,
                             scale_factor=(0.8, 1.2), rotate_factor=40)
    for _ in range(5):
        res = t(dict(img=img.copy(), keypoints=kpts.copy(),
                     keypoints_visible=np.ones((1, 3), np.float32),
                     bbox=np.array([[30., 20., 140., 100.]], np.float32)))
        out = res['img']
        assert out.shape == (96, 96)
        for x, y in res['keypoints'][0]:
            xi, yi = int(round(x)), int(round(y))
            if 3 <= xi < 93 and 3 <= yi < 93:
                patch = out[yi - 3:yi + 4, xi - 3:xi + 4]
                py, px = np.unravel_index(patch.argmax(), patch.shape)
                assert abs(px - 3) <= 1 and abs(py - 3) <= 1
                assert patch.max() > 0.5
        # visibility untouched, box = hull of the warped box corners
        np.testing.assert_array_equal(res['keypoints_visible'], 1)
        b = res['bbox'][0]
        assert (res['keypoints'][0] >= b[:2] - 1e-3).all()
        assert (res['keypoints'][0] <= b[2:] + 1e-3).all()
        assert res['img_shape'] == (96, 96)
        assert res['input_size'] == (96, 96)


def test_affine_input_center_scale_match_estimator_mapping():
    np.random.seed(0)
    t = BottomupRandomAffine((128, 96), shift_factor=0.2,
                             scale_factor=(0.7, 1.4), rotate_factor=0)
    for _ in range(4):
        res = t(dict(img=np.zeros((100, 150, 3), np.uint8),
                     keypoints=np.array([[[10., 20.], [140., 90.]]],
                                        np.float32)))
        back = to_image(res['keypoints'][0].astype(np.float64), res)
        np.testing.assert_allclose(back, [[10., 20.], [140., 90.]],
                                   atol=1e-3)


def test_affine_scale_type_short_and_long():
    img = np.zeros((100, 200, 3), np.uint8)
    short = fixed_affine((64, 64))(dict(img=img.copy()))
    np.testing.assert_allclose(short['input_scale'], [100., 100.])
    long_ = fixed_affine((64, 64), scale_type='long')(dict(img=img.copy()))
    np.testing.assert_allclose(long_['input_scale'], [200., 200.])
    with pytest.raises(ValueError):
        BottomupRandomAffine((64, 64), scale_type='medium')


# ------------------------------------------------------------ invalid masks
def _square_poly(x0, y0, x1, y1):
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


def test_segs_to_mask_formats():
    h, w = 40, 60
    poly = _square_poly(10, 5, 29.9, 14.9)
    m_poly = segs_to_mask([poly], (h, w))
    assert m_poly.dtype == np.uint8 and m_poly.shape == (h, w)
    assert m_poly[10, 20] == 1 and m_poly[30, 50] == 0
    binary = np.zeros((h, w), np.uint8)
    binary[20:30, 40:50] = 1
    rle = mask_util.encode(np.asfortranarray(binary))
    rle_str = dict(size=rle['size'], counts=rle['counts'].decode())
    # uncompressed RLE: counts as a list of run lengths (column-major)
    flat = binary.flatten(order='F')
    runs, cur, n = [], 0, 0
    for v in flat:
        if v != cur:
            runs.append(n)
            cur, n = v, 0
        n += 1
    runs.append(n)
    unc = dict(size=[h, w], counts=runs)
    for seg in (rle, rle_str, unc, binary):
        m = segs_to_mask([seg], (h, w))
        np.testing.assert_array_equal(m, binary)
    both = segs_to_mask([poly, rle], (h, w))
    assert both.sum() == m_poly.sum() + binary.sum()
    assert segs_to_mask([], (h, w)).sum() == 0
    assert segs_to_mask(None, (h, w)).sum() == 0
    assert segs_to_mask([[[1, 2, 3, 4]]], (h, w)).sum() == 0  # degenerate
    with pytest.raises(ValueError, match='RLE size'):
        segs_to_mask([dict(size=[10, 10], counts=rle['counts'])], (h, w),
                     where='img 7')


def test_invalid_region_masks_targets_after_affine():
    s = people_sample(64, 64, n=1)
    s['invalid_segs'] = [_square_poly(0, 0, 31.9, 63.9)]  # left half
    res = fixed_affine((64, 64))(copy.deepcopy(s))
    assert res['invalid_mask'].shape == (64, 64)
    assert res['invalid_mask'][:, :32].all() and not res['invalid_mask'][
        :, 32:].any()
    assert len(res['invalid_segs']) == 1 and res['invalid_segs'][0].shape \
        == (64, 64)
    codec = dict(type='PartAffinityField', input_size=(64, 64),
                 heatmap_size=(16, 16))
    res = GenerateTarget(codec)(res)
    hm_mask = res['heatmap_mask']
    assert hm_mask.shape == (16, 16)
    assert (hm_mask[:, :8] == 0).all() and (hm_mask[:, 8:] == 1).all()


def test_invalid_mask_follows_flip_in_both_pipelines():
    s = people_sample(64, 48, n=2, seed=1)
    s['invalid_segs'] = [_square_poly(2, 3, 20, 30)]
    a = GenerateInvalidMask()(copy.deepcopy(s))
    a = RandomFlip(prob=1., mask_keys=['invalid_mask'])(a)
    a = fixed_affine((64, 48))(a)
    b = RandomFlip(prob=1.)(copy.deepcopy(s))  # no GenerateInvalidMask
    b = fixed_affine((64, 48))(b)
    np.testing.assert_array_equal(a['invalid_mask'], b['invalid_mask'])
    # mirrored: the region is now on the right
    assert a['invalid_mask'][:, 40:].any() and not a['invalid_mask'][
        :, :40].any()


def test_mask_made_before_flip_but_not_flipped_raises():
    s = people_sample(64, 48, n=1)
    s['invalid_segs'] = [_square_poly(2, 3, 20, 30)]
    r = GenerateInvalidMask()(copy.deepcopy(s))
    r = RandomFlip(prob=1.)(r)  # mask_keys lack 'invalid_mask'
    with pytest.raises(ValueError, match='mask_keys'):
        fixed_affine((64, 48))(r)


# ------------------------------------------------- flip consistency (PAFs)
@pytest.mark.parametrize('seed', [0, 1])
def test_flipped_sample_gives_flipped_targets(seed):
    from kp_ext.models.heads.paf_heads.paf_flip import flip_pafs
    codec = PartAffinityField(input_size=(64, 64), heatmap_size=(32, 32),
                              sigma=1.5, limb_width=1.5)
    s = people_sample(64, 64, n=3, seed=seed)
    s['keypoints_visible'][0, 3] = 0
    s['invalid_segs'] = [_square_poly(4, 6, 17.9, 25.9)]

    def run(prob):
        r = GenerateInvalidMask()(copy.deepcopy(s))
        r = RandomFlip(prob=prob, mask_keys=['invalid_mask'])(r)
        r = fixed_affine((64, 64))(r)
        return GenerateTarget(encoder=codec)(r)

    plain, flipped = run(0.), run(1.)
    assert flipped['flip'] and not plain['flip']
    # confidence maps: mirrored, channels swapped left/right
    np.testing.assert_allclose(flipped['heatmaps'],
                               plain['heatmaps'][COCO_FLIP][..., ::-1],
                               atol=1e-5)
    limbs = codec.all_limbs
    np.testing.assert_allclose(flipped['pafs'],
                               flip_pafs(plain['pafs'], limbs, COCO_FLIP),
                               atol=1e-5)
    # independent check of one limb's directions: left upper arm (5, 7)
    # becomes the right upper arm (6, 8), x component negated
    l_src = limbs.index((5, 7))
    l_dst = limbs.index((6, 8))
    np.testing.assert_allclose(flipped['pafs'][2 * l_dst],
                               -plain['pafs'][2 * l_src][:, ::-1], atol=1e-5)
    np.testing.assert_allclose(flipped['pafs'][2 * l_dst + 1],
                               plain['pafs'][2 * l_src + 1][:, ::-1],
                               atol=1e-5)
    # the shoulder-shoulder limb (5, 6) maps onto itself, reversed: x keeps
    # its sign after mirroring, y flips
    l_sh = limbs.index((5, 6))
    np.testing.assert_allclose(flipped['pafs'][2 * l_sh],
                               plain['pafs'][2 * l_sh][:, ::-1], atol=1e-5)
    np.testing.assert_array_equal(flipped['heatmap_mask'],
                                  plain['heatmap_mask'][:, ::-1])
    assert (plain['heatmap_mask'] == 0).any()
    np.testing.assert_array_equal(flipped['keypoint_weights'],
                                  plain['keypoint_weights'][:, COCO_FLIP])


# ---------------------------------------------------------------- bad input
def _full_pipeline(results, size=(64, 64), hm=(16, 16), affine=None):
    codec = dict(type='PartAffinityField', input_size=size,
                 heatmap_size=hm)
    r = GenerateInvalidMask()(results)
    r = RandomFlip(prob=1., mask_keys=['invalid_mask'])(r)
    r = (affine or BottomupRandomAffine(size))(r)
    r = GenerateTarget(codec)(r)
    return PackPoseInputs()(r)


def test_image_without_people():
    s = people_sample(80, 60, n=0)
    s['keypoints'] = np.zeros((0, K, 2), np.float32)
    s['keypoints_visible'] = np.zeros((0, K), np.float32)
    s['bbox'] = np.zeros((0, 4), np.float32)
    out = _full_pipeline(s)
    ds = out['data_samples']
    assert ds.gt_fields.heatmaps.abs().sum() == 0
    assert ds.gt_fields.pafs.abs().sum() == 0
    assert (ds.gt_fields.heatmap_mask == 1).all()
    assert tuple(ds.gt_instance_labels.keypoint_weights.shape) == (0, K)
    assert ds.gt_instances.keypoints.shape == (0, K, 2)
    res = BottomupResize((64, 64))(copy.deepcopy(s))
    assert res['transformed_keypoints'].shape == (0, K, 2)


def test_people_all_outside_the_image():
    s = people_sample(64, 64, n=2)
    s['keypoints'][:] = [-500., 900.]
    out = _full_pipeline(s)
    ds = out['data_samples']
    assert ds.gt_fields.heatmaps.abs().sum() == 0
    assert ds.gt_fields.pafs.abs().sum() == 0
    assert (ds.gt_instance_labels.keypoint_weights == 0).all()
    # visibility is kept as annotated (the codec decides what takes part)
    assert (ds.gt_instances.keypoints_visible == 1).all()


def test_crowd_only_image():
    s = people_sample(64, 64, n=0)
    s['keypoints'] = np.zeros((0, K, 2), np.float32)
    s['keypoints_visible'] = np.zeros((0, K), np.float32)
    s['bbox'] = np.zeros((0, 4), np.float32)
    whole = np.ones((64, 64), np.uint8)
    s['invalid_segs'] = [mask_util.encode(np.asfortranarray(whole))]
    out = _full_pipeline(copy.deepcopy(s), affine=fixed_affine((64, 64)))
    ds = out['data_samples']
    assert ds.gt_fields.heatmaps.abs().sum() == 0
    assert ds.gt_fields.pafs.abs().sum() == 0
    # the crowd covers the whole image: nothing is supervised
    assert (ds.gt_fields.heatmap_mask == 0).all()
    # zoomed out, only the padding (no people there) stays valid
    out = _full_pipeline(copy.deepcopy(s), affine=fixed_affine(
        (64, 64), scale_factor=(2., 2.)))
    mask = out['data_samples'].gt_fields.heatmap_mask.numpy()
    assert (mask[4:12, 4:12] == 0).all()
    assert (mask[:, :3] == 1).all() and (mask[:, 13:] == 1).all()
