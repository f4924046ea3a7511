"""Numpy evaluation functions shared by the keypoint metrics.

Same semantics as MMPose's ``mmpose.evaluation.functional`` so numbers are
comparable between the two toolboxes:

- :func:`keypoint_pck_accuracy`: per-joint PCK and its mean over joints
  (defined with the distances it shares with the models' training accuracy
  in :mod:`kp_ext.structures.keypoint_accuracy`).
- :func:`keypoint_nme`: normalised mean error (a fraction, not percent).
- :func:`keypoint_epe`: mean end-point error in pixels.
- :func:`oks_iou`, :func:`oks_nms`, :func:`soft_oks_nms`: Object Keypoint
  Similarity and the NMS variants used on COCO-style results.

Shapes: N instances, K keypoints, D = 2 coordinates.
"""
from typing import List, Optional, Sequence

import numpy as np

from kp_ext.structures.keypoint_accuracy import (keypoint_pck_accuracy,
                                                 normalized_distances)

__all__ = [
    'keypoint_pck_accuracy', 'keypoint_nme', 'keypoint_epe', 'oks_iou',
    'oks_nms', 'soft_oks_nms', 'COCO_PERSON_SIGMAS'
]

# OKS sigmas of the 17 COCO person keypoints (COCO keypoint evaluation).
COCO_PERSON_SIGMAS = np.array([
    .26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87,
    .87, .89, .89
]) / 10.0


def keypoint_nme(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray,
                 normalize_factor: np.ndarray) -> float:
    """Normalised mean error: mean over all valid keypoints of
    ``|pred - gt| / normalize_factor``, as a fraction (multiply by 100 for
    the percentages printed in face-alignment papers).

    Args:
        pred, gt: (N, K, 2); mask: (N, K) bool;
        normalize_factor: (N, 2) or (N,) per-instance factor, e.g. the
            inter-ocular distance.
    """
    distances = normalized_distances(pred, gt, mask, normalize_factor)
    valid = distances[distances != -1]
    return float(valid.sum() / max(1, len(valid)))


def keypoint_epe(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    """Mean end-point error in pixels over the valid keypoints."""
    N = np.asarray(pred).shape[0]
    distances = normalized_distances(pred, gt, mask,
                                     np.ones((N, 2), dtype=np.float32))
    valid = distances[distances != -1]
    return float(valid.sum() / max(1, len(valid)))


def oks_iou(g: np.ndarray, d: np.ndarray, a_g: float, a_d: np.ndarray,
            sigmas: Optional[Sequence[float]] = None,
            vis_thr: Optional[float] = None) -> np.ndarray:
    """Object Keypoint Similarity between one instance and several others.

    ``OKS = mean_k exp(-d_k^2 / (2 * s^2 * (2 * sigma_k)^2))`` with ``s^2``
    the mean of the two areas (COCO's definition, used symmetrically for
    NMS between two predictions).

    Args:
        g: (K*3,) or (K, 3) keypoints ``x, y, score`` of the reference.
        d: (M, K*3) or (M, K, 3) of the others.
        a_g: area of the reference; a_d: (M,) areas of the others.
        sigmas: (K,) per-keypoint sigmas (COCO person sigmas if None).
        vis_thr: when given, only keypoints whose scores in both instances
            exceed it take part (OKS 0 when none does).

    Returns:
        np.ndarray: (M,) OKS values.
    """
    g = np.asarray(g, dtype=np.float64).reshape(-1, 3)
    K = g.shape[0]
    d = np.asarray(d, dtype=np.float64).reshape(-1, K, 3)
    a_d = np.asarray(a_d, dtype=np.float64).reshape(-1)
    if sigmas is None:
        if K != len(COCO_PERSON_SIGMAS):
            raise ValueError(f'{K} keypoints: sigmas must be given '
                             '(COCO person sigmas are for 17 keypoints)')
        sigmas = COCO_PERSON_SIGMAS
    sigmas = np.asarray(sigmas, dtype=np.float64)
    if sigmas.shape != (K, ):
        raise ValueError(f'sigmas has shape {sigmas.shape}, expected ({K},)')
    variances = (sigmas * 2)**2
    ious = np.zeros(len(d), dtype=np.float64)
    for n in range(len(d)):
        dx = d[n, :, 0] - g[:, 0]
        dy = d[n, :, 1] - g[:, 1]
        e = (dx**2 + dy**2) / variances / (
            (a_g + a_d[n]) / 2 + np.spacing(1)) / 2
        if vis_thr is not None:
            e = e[(g[:, 2] > vis_thr) & (d[n, :, 2] > vis_thr)]
        ious[n] = np.sum(np.exp(-e)) / len(e) if len(e) else 0.0
    return ious


def _nms_inputs(kpts_db: List[dict], score_per_joint: bool):
    """Scores (M,), flattened keypoints (M, K*3) and areas (M,) of a list of
    instance dicts with ``keypoints`` (K, 3), ``score`` and ``area``."""
    if score_per_joint:
        scores = np.array([np.mean(k['score']) for k in kpts_db])
    else:
        scores = np.array([float(k['score']) for k in kpts_db])
    kpts = np.array([np.asarray(k['keypoints']).reshape(-1)
                     for k in kpts_db])
    areas = np.array([float(k['area']) for k in kpts_db])
    return scores, kpts, areas


def oks_nms(kpts_db: List[dict], thr: float,
            sigmas: Optional[Sequence[float]] = None,
            vis_thr: Optional[float] = None,
            score_per_joint: bool = False) -> np.ndarray:
    """Greedy OKS non-maximum suppression.

    Args:
        kpts_db: instances, each a dict with ``keypoints`` (K, 3) holding
            x, y, keypoint score; ``score`` (instance score) and ``area``.
        thr: instances whose OKS with a kept, higher-scored instance exceeds
            ``thr`` are removed.
        sigmas, vis_thr: see :func:`oks_iou`.
        score_per_joint: ``score`` is per keypoint; its mean is used.

    Returns:
        np.ndarray: indices of the kept instances, highest score first.
    """
    if len(kpts_db) == 0:
        return np.zeros(0, dtype=np.int64)
    scores, kpts, areas = _nms_inputs(kpts_db, score_per_joint)
    order = np.argsort(-scores, kind='stable')
    keep = []
    while len(order) > 0:
        i = order[0]
        keep.append(i)
        ovr = oks_iou(kpts[i], kpts[order[1:]], areas[i], areas[order[1:]],
                      sigmas, vis_thr)
        order = order[1:][ovr <= thr]
    return np.array(keep, dtype=np.int64)


def soft_oks_nms(kpts_db: List[dict], thr: float, max_dets: int = 20,
                 sigmas: Optional[Sequence[float]] = None,
                 vis_thr: Optional[float] = None,
                 score_per_joint: bool = False) -> np.ndarray:
    """Soft OKS NMS with Gaussian rescoring ``s * exp(-oks^2 / thr)``.

    Instead of removing overlapping instances, their scores decay with the
    OKS to each kept instance; the next kept instance is the highest
    rescored one. Returns the indices of at most ``max_dets`` kept instances
    in the order they were selected (as MMPose; the instance dicts' scores
    are left unchanged).
    """
    if len(kpts_db) == 0:
        return np.zeros(0, dtype=np.int64)
    scores, kpts, areas = _nms_inputs(kpts_db, score_per_joint)
    order = np.argsort(-scores, kind='stable')
    scores = scores[order]
    keep = []
    while len(order) > 0 and len(keep) < max_dets:
        i = order[0]
        keep.append(i)
        ovr = oks_iou(kpts[i], kpts[order[1:]], areas[i], areas[order[1:]],
                      sigmas, vis_thr)
        order = order[1:]
        scores = scores[1:] * np.exp(-ovr**2 / thr)
        resort = np.argsort(-scores, kind='stable')
        order = order[resort]
        scores = scores[resort]
    return np.array(keep, dtype=np.int64)
