"""PersonCentredRandomAffine (the OpenPose reference's person-centred 368
crops) and BottomupResize(resize_mode='height') (its test resize)."""
import numpy as np
import pytest

from kp_ext.datasets.transforms import BottomupResize
from kp_ext.datasets.transforms.person_centred_affine import \
    PersonCentredRandomAffine
from kp_ext.registry import TRANSFORMS


def _sample():
    img = np.zeros((300, 400, 3), np.uint8)
    kpts = np.zeros((2, 17, 2), np.float32)
    kpts[0] = np.linspace([100, 50], [140, 250], 17)     # tall person
    kpts[1] = np.linspace([300, 100], [310, 120], 17)    # tiny person
    vis = np.ones((2, 17), np.float32)
    bbox = np.array([[100, 50, 140, 250], [300, 100, 310, 120]],
                    np.float32)
    return dict(img=img, keypoints=kpts, keypoints_visible=vis, bbox=bbox,
                area=np.array([8000., 200.]), invalid_segs=[])


def test_crop_centres_and_scales_the_main_person():
    t = TRANSFORMS.build(dict(type='PersonCentredRandomAffine',
                              input_size=(368, 368), scale_range=(1, 1),
                              rotate_factor=0, center_shift=0))
    assert isinstance(t, PersonCentredRandomAffine)
    out = t(_sample())
    assert out['main_person'] == 0            # the tiny one: area < 32^2
    assert out['img'].shape == (368, 368, 3)
    k = out['keypoints'][0]
    # box centre (120, 150) -> crop centre; box height 200 -> 0.6 * 368
    np.testing.assert_allclose(k.mean(0), [184, 184], atol=1e-3)
    assert k[:, 1].max() - k[:, 1].min() == pytest.approx(0.6 * 368,
                                                         rel=1e-5)
    assert out['input_size'] == (368, 368)
    assert out['img'][0, 0].tolist() == [128, 128, 128]  # outside: grey
    np.testing.assert_allclose(out['input_scale'], [368 / 1.104] * 2,
                               rtol=1e-5)


def test_random_draws_stay_in_the_reference_ranges():
    t = PersonCentredRandomAffine(input_size=(368, 368))
    np.random.seed(0)
    heights, centres, rots = [], [], []
    for _ in range(200):
        out = t(_sample())
        k = out['keypoints'][0]
        heights.append(np.linalg.norm(k[-1] - k[0]) / (0.6 * 368) *
                       (200 / np.hypot(40, 200)))
        centres.append(k.mean(0) - 184)
        rots.append(out['input_rotation'])
    heights, centres = np.array(heights), np.array(centres)
    assert 0.5 - 1e-4 <= heights.min() and heights.max() <= 1.1 + 1e-4
    assert heights.max() - heights.min() > 0.5
    # the centre moves by up to 40 px (rotation does not move it)
    assert np.abs(centres).max() <= 40 + 1e-3
    assert np.abs(centres).max() > 30
    assert max(np.abs(rots)) <= 40 and max(np.abs(rots)) > 30


def test_no_main_person_falls_back_to_the_whole_image():
    s = _sample()
    s['keypoints_visible'][:] = 0
    t = PersonCentredRandomAffine(input_size=(64, 64), scale_range=(1, 1),
                                  rotate_factor=0, center_shift=0)
    out = t(s)
    assert out['main_person'] == -1
    np.testing.assert_allclose(out['input_center'], [200, 150])
    np.testing.assert_allclose(out['input_scale'], [300, 300])
    with pytest.raises(ValueError, match='scale_range'):
        PersonCentredRandomAffine(scale_range=(1.1, 0.5))
    s.pop('keypoints_visible')
    with pytest.raises(KeyError, match='keypoints_visible'):
        t(s)


def test_resize_height_mode_sets_the_height():
    t = BottomupResize(input_size=(368, 368), size_factor=8,
                       resize_mode='height')
    out = t(dict(img=np.zeros((480, 640, 3), np.uint8)))
    # 480 -> 368, 640 -> 490.7, padded to 496
    assert out['img'].shape == (368, 496, 3)
    assert out['input_size'] == (496, 368)
    np.testing.assert_allclose(out['input_scale'],
                               [496 * 480 / 368, 480], rtol=1e-6)
