"""Normalised keypoint distances and PCK, pure numpy.

The one implementation behind the training-time heatmap accuracy
(:func:`kp_ext.models.utils.heatmap_accuracy.pose_pck_accuracy`, MMPose's
``acc_pose``) and the evaluation metrics
(:mod:`kp_ext.evaluation.functional`: PCK, NME, EPE), with MMPose's
semantics (``mmpose.evaluation.functional``).

Shapes: N instances, K keypoints, D = 2 coordinates.
"""
import numpy as np

__all__ = ['normalized_distances', 'distance_accuracy',
           'keypoint_pck_accuracy']


def normalized_distances(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray,
                         norm_factor: np.ndarray) -> np.ndarray:
    """Distances ``|pred - gt| / norm`` as a (K, N) array; -1 where invalid.

    An entry is invalid when its ``mask`` is False or when the instance's
    normalisation factor is not a positive finite number (zero, negative,
    NaN or inf: e.g. an MPII person without a head size); such an instance
    cannot be scored and is left out, never counted as wrong.
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    mask = np.asarray(mask).astype(bool)
    norm_factor = np.asarray(norm_factor, dtype=np.float64)
    if pred.shape != gt.shape or pred.ndim != 3:
        raise ValueError(f'pred {pred.shape} and gt {gt.shape} must both be '
                         '(N, K, D)')
    N, K, D = pred.shape
    if mask.shape != (N, K):
        raise ValueError(f'mask must be (N, K) = {(N, K)}, got {mask.shape}')
    norm_factor = np.broadcast_to(norm_factor.reshape(N, -1), (N, D)).copy()
    usable = np.isfinite(norm_factor) & (norm_factor > 0)
    valid = mask.copy()
    valid[~np.all(usable, axis=1), :] = False
    norm_factor[~usable] = 1.0
    dist = np.full((N, K), -1.0, dtype=np.float64)
    diff = (pred - gt) / norm_factor[:, None, :]
    dist[valid] = np.linalg.norm(diff[valid], axis=-1)
    return dist.T


def distance_accuracy(distances: np.ndarray, thr: float) -> float:
    """Fraction of valid (!= -1) distances below ``thr``; -1 if none."""
    valid = distances != -1
    n = valid.sum()
    if n == 0:
        return -1.0
    return float((distances[valid] < thr).sum() / n)


def keypoint_pck_accuracy(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray,
                          thr: float, norm_factor: np.ndarray):
    """Percentage of Correct Keypoints.

    A keypoint is correct when ``|pred - gt| / norm_factor < thr``.

    Args:
        pred, gt: (N, K, 2) coordinates.
        mask: (N, K) bool, which keypoints are annotated.
        thr: threshold on the normalised distance.
        norm_factor: (N, 2) (or (N,) / (N, 1)) normalisation per instance,
            e.g. bbox size, head size (PCKh) or torso size. An instance
            whose factor is not positive and finite (0, NaN) is skipped.

    Returns:
        tuple: ``acc`` (K,) per-joint accuracy (-1 for joints without any
        valid entry), ``avg_acc`` the mean of the valid per-joint accuracies
        (MMPose semantics: mean over joints, not over all keypoints) and
        ``cnt`` the number of joints with valid entries.
    """
    distances = normalized_distances(pred, gt, mask, norm_factor)
    acc = np.array([distance_accuracy(d, thr) for d in distances])
    valid_acc = acc[acc >= 0]
    cnt = len(valid_acc)
    avg_acc = float(valid_acc.mean()) if cnt > 0 else 0.0
    return acc, avg_acc, cnt
