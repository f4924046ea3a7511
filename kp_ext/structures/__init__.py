from .bbox import (apply_affine, bbox_affine, bbox_cs2xyxy, bbox_xywh2xyxy,
                   bbox_xyxy2cs, bbox_xyxy2xywh, bboxes_from_keypoints,
                   fix_aspect_ratio, get_warp_matrix, heatmap_to_image_matrix,
                   image_to_input_matrix)
from .keypoint import flip_keypoints
from .keypoint_accuracy import (distance_accuracy, keypoint_pck_accuracy,
                                normalized_distances)
from .mask import decode_rle, rle_string_to_counts, segs_to_mask
from .metainfo import (METAINFO_DIR, is_parsed_metainfo, load_metainfo_file,
                       parse_pose_metainfo, resolve_metainfo_file)
from .pose_data_sample import PoseDataSample

__all__ = [
    'PoseDataSample', 'bbox_xyxy2xywh', 'bbox_xywh2xyxy', 'bbox_xyxy2cs',
    'bbox_cs2xyxy', 'fix_aspect_ratio', 'get_warp_matrix', 'apply_affine',
    'bbox_affine', 'image_to_input_matrix', 'heatmap_to_image_matrix',
    'bboxes_from_keypoints', 'flip_keypoints', 'normalized_distances',
    'distance_accuracy', 'keypoint_pck_accuracy', 'decode_rle',
    'rle_string_to_counts', 'segs_to_mask', 'METAINFO_DIR',
    'resolve_metainfo_file', 'load_metainfo_file', 'is_parsed_metainfo',
    'parse_pose_metainfo'
]
