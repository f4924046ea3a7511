from .bbox import (apply_affine, bbox_cs2xyxy, bbox_xywh2xyxy, bbox_xyxy2cs,
                   bbox_xyxy2xywh, bboxes_from_keypoints, fix_aspect_ratio,
                   get_warp_matrix)
from .keypoint import flip_keypoints
from .mask import decode_rle, rle_string_to_counts, segs_to_mask
from .pose_data_sample import PoseDataSample

__all__ = [
    'PoseDataSample', 'bbox_xyxy2xywh', 'bbox_xywh2xyxy', 'bbox_xyxy2cs',
    'bbox_cs2xyxy', 'fix_aspect_ratio', 'get_warp_matrix', 'apply_affine',
    'bboxes_from_keypoints', 'flip_keypoints', 'decode_rle',
    'rle_string_to_counts', 'segs_to_mask'
]
