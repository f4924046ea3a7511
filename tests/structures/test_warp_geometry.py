"""The matrices between image, network-input and heatmap pixels of a
sample (kp_ext.structures.bbox), checked on hand-computed points."""
import numpy as np

from kp_ext.structures import (apply_affine, bbox_affine,
                               heatmap_to_image_matrix, image_to_input_matrix)

# a 128 x 128 box centred at (100, 80) cropped to a 64 x 64 input: stride 2
META = dict(input_center=np.array([[100., 80.]]),
            input_scale=np.array([[128., 128.]]), input_size=(64, 64))


def test_image_to_input_matrix_crop_resize_identity():
    m = image_to_input_matrix(META)
    np.testing.assert_allclose(
        apply_affine(np.array([[100., 80.], [36., 16.]]), m),
        [[32., 32.], [0., 0.]], atol=1e-4)
    resized = image_to_input_matrix(dict(ori_shape=(100, 200)), (50, 50))
    np.testing.assert_allclose(apply_affine([[200., 100.]], resized),
                               [[50., 50.]])
    np.testing.assert_array_equal(image_to_input_matrix({}),
                                  [[1, 0, 0], [0, 1, 0]])


def test_heatmap_to_image_matrix_inverts_the_crop_at_the_stride():
    # 16 x 16 heatmap of the 64 x 64 input: heatmap pixel j = input 4 j
    m = heatmap_to_image_matrix(META, (16, 16))
    # heatmap (4, 8) -> input (16, 32) -> image (100 + (16 - 32) * 2, 80)
    np.testing.assert_allclose(apply_affine([[4., 8.]], m), [[68., 80.]],
                               atol=1e-4)
    assert heatmap_to_image_matrix(dict(ori_shape=(10, 10)), (4, 4)) is None


def test_bbox_affine_is_the_hull_of_the_mapped_corners():
    rot90 = np.array([[0., -1., 10.], [1., 0., 0.]])  # (x, y) -> (10-y, x)
    np.testing.assert_allclose(bbox_affine([[1., 2., 4., 3.]], rot90),
                               [[7., 1., 8., 4.]])
    np.testing.assert_allclose(
        bbox_affine(np.array([[36., 16., 164., 144.]]),
                    image_to_input_matrix(META)), [[0., 0., 64., 64.]],
        atol=1e-4)
