"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .hooks import (CheckpointHook, AtomicLocalBackend, write_atomic,
                    LandmarkCollapseHook, landmark_spread_stats,
                    TimeBudgetHook, PoseVisualizationHook)
from .console import (StartupDumpFilter, SummaryConsoleRunner,
                      quiet_console, run_header, log_run_header)
from .launch import (setup_distributed, teardown_distributed,
                     check_train_schedule)
from .optim_wrapper import BF16OptimWrapper

__all__ = [
    'CheckpointHook', 'AtomicLocalBackend', 'write_atomic',
    'LandmarkCollapseHook', 'landmark_spread_stats', 'TimeBudgetHook',
    'PoseVisualizationHook', 'setup_distributed', 'teardown_distributed',
    'check_train_schedule', 'BF16OptimWrapper', 'StartupDumpFilter',
    'SummaryConsoleRunner', 'quiet_console', 'run_header', 'log_run_header'
]
