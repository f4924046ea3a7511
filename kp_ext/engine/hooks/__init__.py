"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .checkpoint_hook import CheckpointHook, AtomicLocalBackend, write_atomic
from .landmark_collapse_hook import LandmarkCollapseHook, landmark_spread_stats
from . import persistent_ema_hook  # noqa: F401  (no public names)
from .time_budget_hook import TimeBudgetHook
from .visualization_hook import PoseVisualizationHook

__all__ = [
    'CheckpointHook', 'AtomicLocalBackend', 'write_atomic',
    'LandmarkCollapseHook', 'landmark_spread_stats', 'TimeBudgetHook',
    'PoseVisualizationHook'
]
