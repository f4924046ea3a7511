"""kp_ext/structures/bbox.py: boxes of bottom-up predictions."""
import numpy as np

from kp_ext.structures import bboxes_from_keypoints


def test_bboxes_from_keypoints():
    kpts = np.array([[[1, 2], [5, 9], [100, 100]]], np.float32)
    scores = np.array([[1, 0.5, 0]], np.float32)
    np.testing.assert_allclose(bboxes_from_keypoints(kpts, scores),
                               [[1, 2, 5, 9]])
    np.testing.assert_allclose(bboxes_from_keypoints(kpts), [[1, 2, 100, 100]])
    assert bboxes_from_keypoints(np.zeros((0, 3, 2))).shape == (0, 4)
