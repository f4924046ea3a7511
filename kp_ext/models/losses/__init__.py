"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .fse_loss import EquivarianceLoss, DiversityLoss
from .heatmap_loss import (AdaptiveWingLoss, KeypointMSELoss,
                           KeypointOHKMMSELoss)
from .paf_loss import PAFLoss

__all__ = [
    'EquivarianceLoss', 'DiversityLoss', 'KeypointMSELoss',
    'KeypointOHKMMSELoss', 'AdaptiveWingLoss', 'PAFLoss'
]
