"""Keypoint flipping helpers (horizontal flip with left/right swap)."""
import numpy as np


def flip_keypoints(keypoints: np.ndarray, keypoints_visible, image_size,
                   flip_indices, direction: str = 'horizontal'):
    """Flip keypoints (N, K, 2) in an image of ``image_size`` (w, h).

    ``flip_indices[k]`` is the index of the keypoint that ``k`` becomes
    (its left/right partner, or ``k`` itself). A pixel centre ``x`` maps to
    ``w - 1 - x`` (pixel centres at integers).
    """
    keypoints = np.asarray(keypoints)
    if keypoints.shape[-2] != len(flip_indices):
        raise ValueError(f'{keypoints.shape[-2]} keypoints but '
                         f'{len(flip_indices)} flip indices')
    w, h = image_size
    keypoints = keypoints[..., flip_indices, :].copy()
    if keypoints_visible is not None:
        keypoints_visible = np.asarray(keypoints_visible)[..., flip_indices]
    if direction == 'horizontal':
        keypoints[..., 0] = w - 1 - keypoints[..., 0]
    elif direction == 'vertical':
        keypoints[..., 1] = h - 1 - keypoints[..., 1]
    else:
        raise ValueError(f'unknown flip direction {direction!r}')
    return keypoints, keypoints_visible
