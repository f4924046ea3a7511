"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .coco_metric import CocoKeypointMetric
from .coco_foot_metric import CocoBodyFootMetric
from .landmark_regression import (LandmarkRegressionMetric,
                                  fit_linear_regressor, FACE68_MAFL_GROUPS)
from .nme import NME
from .pck import (PCKAccuracy, MpiiPCKAccuracy, mpii_pckh_table,
                  mpii_pckh_auc, EPE)
from .sample_keypoints import paired_keypoints

__all__ = [
    'CocoKeypointMetric', 'CocoBodyFootMetric', 'LandmarkRegressionMetric',
    'fit_linear_regressor',
    'FACE68_MAFL_GROUPS', 'NME', 'PCKAccuracy', 'MpiiPCKAccuracy',
    'mpii_pckh_table', 'mpii_pckh_auc', 'paired_keypoints', 'EPE'
]
