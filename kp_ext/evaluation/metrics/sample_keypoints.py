"""What every keypoint metric reads first from a packed sample: predicted
and gt keypoints, one prediction per gt instance, and which gt keypoints
are annotated."""
from typing import Tuple

import numpy as np

from kp_ext.utils import to_numpy

__all__ = ['paired_keypoints']


def paired_keypoints(sample: dict, metric: str
                     ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``pred`` and ``gt`` keypoints (N, K, 2) float64 and ``mask`` (N, K)
    bool (``gt_instances.keypoints_visible > 0``, all True without it).

    Raises ``ValueError`` naming ``metric`` and the sample's image when the
    predictions do not pair one to one with the gt instances.
    """
    pred = to_numpy(sample['pred_instances']['keypoints'], np.float64)
    gt_inst = sample['gt_instances']
    gt = to_numpy(gt_inst['keypoints'], np.float64)
    if pred.shape != gt.shape:
        raise ValueError(
            f'{metric}: sample '
            f'{sample.get("img_path", sample.get("img_id"))} has '
            f'predictions {pred.shape} and gt {gt.shape}; {metric} needs '
            'one prediction per gt instance (top-down)')
    n = gt.shape[0]
    if 'keypoints_visible' in gt_inst:
        mask = to_numpy(gt_inst['keypoints_visible'],
                        np.float64).reshape(n, -1) > 0
    else:
        mask = np.ones(gt.shape[:2], dtype=bool)
    return pred, gt, mask
