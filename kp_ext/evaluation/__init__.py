"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .codec_oracle import bottomup_codec_oracle, raw_people
from .functional import (keypoint_pck_accuracy, keypoint_nme, keypoint_epe,
                         oks_iou, oks_nms, soft_oks_nms, COCO_PERSON_SIGMAS)
from .landmark_consistency import (similarity_align, apply_similarity,
                                   procrustes_mean_shape,
                                   landmark_consistency, convex_hull,
                                   face_region_mask, mass_on_face,
                                   map_spread, equivariance_error,
                                   shape_oracles)
from .metrics import (CocoKeypointMetric, CocoBodyFootMetric,
                      LandmarkRegressionMetric,
                      fit_linear_regressor, FACE68_MAFL_GROUPS, NME,
                      PCKAccuracy, MpiiPCKAccuracy, mpii_pckh_table,
                      paired_keypoints, EPE)

__all__ = [
    'keypoint_pck_accuracy', 'keypoint_nme', 'keypoint_epe', 'oks_iou',
    'oks_nms', 'soft_oks_nms', 'COCO_PERSON_SIGMAS', 'CocoKeypointMetric',
    'CocoBodyFootMetric',
    'LandmarkRegressionMetric', 'fit_linear_regressor', 'FACE68_MAFL_GROUPS',
    'NME', 'PCKAccuracy', 'MpiiPCKAccuracy', 'mpii_pckh_table',
    'paired_keypoints', 'similarity_align', 'apply_similarity',
    'procrustes_mean_shape', 'landmark_consistency', 'convex_hull',
    'face_region_mask', 'mass_on_face', 'map_spread', 'equivariance_error',
    'bottomup_codec_oracle', 'raw_people', 'EPE', 'shape_oracles'
]
