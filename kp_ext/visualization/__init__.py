"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .landmark_drawing import (draw_landmarks, draw_landmark_grid,
                               draw_warp_pair, tensor_to_images,
                               fse_pair_figure)
from .local_visualizer import PoseLocalVisualizer
from .paf_drawing import (direction_color, paf_to_rgb, draw_confidence_maps,
                          draw_paf_arrows, draw_paf, draw_skeletons, paf_panel)
from .utils import (color_list, distinct_colors, heatmap_overlay,
                    sample_to_input_space, warp_heatmaps_to_image,
                    tensor_to_image)

__all__ = [
    'draw_landmarks', 'draw_landmark_grid', 'draw_warp_pair',
    'tensor_to_images', 'fse_pair_figure', 'PoseLocalVisualizer',
    'direction_color', 'paf_to_rgb', 'draw_confidence_maps', 'draw_paf_arrows',
    'draw_paf', 'draw_skeletons', 'paf_panel', 'color_list', 'distinct_colors',
    'heatmap_overlay', 'sample_to_input_space', 'warp_heatmaps_to_image',
    'tensor_to_image'
]
