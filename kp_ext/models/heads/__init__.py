"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .base_head import BaseHead
from .heatmap_head import MultiStageHeatmapHead
from .landmark_head import (LandmarkHead, spatial_softmax, soft_argmax,
                            heatmap_coords)
from .paf_heads import (BasePAFHead, ConvPAFHead, LightPAFHead,
                        OpenPose2017Head,
                        OpenPose2019Head, get_limb_flip_map, flip_pafs,
                        PAFSplitHead, PartAffinityFieldHead)

__all__ = [
    'BaseHead', 'MultiStageHeatmapHead', 'LandmarkHead', 'spatial_softmax',
    'soft_argmax', 'heatmap_coords', 'BasePAFHead', 'ConvPAFHead',
    'LightPAFHead',
    'OpenPose2017Head', 'OpenPose2019Head', 'get_limb_flip_map', 'flip_pafs',
    'PAFSplitHead', 'PartAffinityFieldHead'
]
