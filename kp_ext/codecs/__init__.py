"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .base import (BaseKeypointCodec, NonFiniteMapError, as_numpy,
                   check_finite_map_groups, check_finite_maps, check_maps)
from .coordinate_convention import (MMPOSE_CONVENTIONS, heatmap_convention,
                                    decode_shift)
from .gaussian_heatmap import GaussianHeatmap
from .paf_body_model import PAFBodyModel
from .paf_grouping import (GroupingSettings, prepare_heatmaps, find_peaks,
                           score_limb_candidates, match_limbs,
                           assemble_people, group_people)
from .part_affinity_field import PartAffinityField
from .soft_argmax import SoftArgmax

__all__ = [
    'BaseKeypointCodec', 'NonFiniteMapError', 'as_numpy', 'check_maps',
    'check_finite_maps', 'check_finite_map_groups', 'MMPOSE_CONVENTIONS',
    'heatmap_convention', 'decode_shift', 'GaussianHeatmap', 'PAFBodyModel',
    'GroupingSettings', 'prepare_heatmaps', 'find_peaks',
    'score_limb_candidates', 'match_limbs', 'assemble_people', 'group_people',
    'PartAffinityField', 'SoftArgmax'
]
