"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .backbone_input import check_backbone_input
from .heatmap_accuracy import get_heatmap_maximum, pose_pck_accuracy
from .separable_conv import SeparableConv, SeparableResidual
from .tps_warp import (TPS, TPSWarp, tps_kernel, fit_tps, tps_warp_images,
                       pixel_grid, pixel_to_grid_sample, make_fse_pair)
from .tta import flip_heatmaps

__all__ = [
    'get_heatmap_maximum', 'pose_pck_accuracy', 'TPS', 'TPSWarp', 'tps_kernel',
    'fit_tps', 'tps_warp_images', 'pixel_grid', 'pixel_to_grid_sample',
    'make_fse_pair', 'flip_heatmaps', 'SeparableConv', 'SeparableResidual',
    'check_backbone_input'
]
