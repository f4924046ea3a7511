"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .backbones import FSEConvNet, StackedHourglass, OpenPoseVGG
from .data_preprocessors import PoseDataPreprocessor
from .estimators import (BasePoseEstimator, BottomupPoseEstimator,
                         TopdownPoseEstimator, UnsupervisedLandmarkEstimator)
from .heads import (BaseHead, MultiStageHeatmapHead, LandmarkHead,
                    spatial_softmax, soft_argmax, heatmap_coords, BasePAFHead,
                    ConvPAFHead, OpenPose2017Head, OpenPose2019Head,
                    get_limb_flip_map, flip_pafs, PAFSplitHead,
                    PartAffinityFieldHead)
from .losses import (EquivarianceLoss, DiversityLoss, KeypointMSELoss,
                     KeypointOHKMMSELoss, AdaptiveWingLoss, PAFLoss)
from .utils import (get_heatmap_maximum, pose_pck_accuracy, TPS, TPSWarp,
                    tps_kernel, fit_tps, tps_warp_images, pixel_grid,
                    pixel_to_grid_sample, make_fse_pair, flip_heatmaps)

__all__ = [
    'FSEConvNet', 'StackedHourglass', 'OpenPoseVGG', 'PoseDataPreprocessor',
    'BasePoseEstimator', 'BottomupPoseEstimator', 'TopdownPoseEstimator',
    'UnsupervisedLandmarkEstimator', 'BaseHead', 'MultiStageHeatmapHead',
    'LandmarkHead', 'spatial_softmax', 'soft_argmax', 'heatmap_coords',
    'BasePAFHead', 'ConvPAFHead', 'OpenPose2017Head', 'OpenPose2019Head',
    'get_limb_flip_map', 'flip_pafs', 'PAFSplitHead', 'PartAffinityFieldHead',
    'EquivarianceLoss', 'DiversityLoss', 'KeypointMSELoss',
    'KeypointOHKMMSELoss', 'AdaptiveWingLoss', 'PAFLoss',
    'get_heatmap_maximum',
    'pose_pck_accuracy', 'TPS', 'TPSWarp', 'tps_kernel', 'fit_tps',
    'tps_warp_images', 'pixel_grid', 'pixel_to_grid_sample', 'make_fse_pair',
    'flip_heatmaps'
]
