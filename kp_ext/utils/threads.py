"""How many torch threads a CPU job should use by default.

On a shared machine more threads than free cores make every thread wait:
the quickstart hourglass ran 9-10 s/iteration with 1 thread but 13-25
s/iteration with 2 threads while other jobs used the cores (README). So
the default is the number of *free* cores (cores minus the 1-minute load
average, at least 1), capped at ``max_threads``; on an idle 2-core machine
that is 2, on a busy one 1.
"""
import os

__all__ = ['default_num_threads', 'set_num_threads']


def default_num_threads(max_threads: int = 2) -> int:
    """``min(max_threads, free cores)``, at least 1 (see module doc)."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on this platform
        load = 0.0
    free = int(cores - load + 0.5)
    return max(1, min(int(max_threads), free))


def set_num_threads(threads: int) -> int:
    """Use ``threads`` torch (intra-op) and OpenCV threads; returns it."""
    import cv2
    import torch
    threads = int(threads)
    if threads < 1:
        raise ValueError(f'--threads must be >= 1, got {threads}')
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    return threads
