"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .base_paf_head import BasePAFHead, ConvPAFHead
from .light_paf_head import LightPAFHead
from .openpose2017_head import OpenPose2017Head
from .openpose2019_head import OpenPose2019Head
from .paf_flip import get_limb_flip_map, flip_pafs
from .paf_split_head import PAFSplitHead
from .part_affinity_field_head import PartAffinityFieldHead

__all__ = [
    'BasePAFHead', 'ConvPAFHead', 'LightPAFHead', 'OpenPose2017Head', 'OpenPose2019Head',
    'get_limb_flip_map', 'flip_pafs', 'PAFSplitHead', 'PartAffinityFieldHead'
]
