"""How many torch threads a CPU job uses by default, and the rule, printed.

The default is a fixed rule of the machine, never of its momentary load:
``min(max_threads, cores this process may run on)`` (``max_threads`` 2:
the quickstarts' models gain little beyond 2 threads). An earlier rule
(free cores = cores minus the 1-minute load average) picked 1 thread on a
free 2-core machine because an install had just raised the load, and the
quickstart's README numbers were not reproduced (issue 23). The load is
now only reported (:func:`thread_rule`): on a busy machine more threads
than free cores make every thread wait (1.5-2.5x slower per iteration
measured on the quickstart hourglass), and ``--threads 1`` is the choice
to make by hand.
"""
import os
from typing import Optional

__all__ = ['available_cores', 'default_num_threads', 'set_num_threads',
           'thread_rule']

#: the default cap of :func:`default_num_threads`
MAX_DEFAULT_THREADS = 2


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the
    platform has one, else ``os.cpu_count()``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on this platform
        return max(1, os.cpu_count() or 1)


def default_num_threads(max_threads: int = MAX_DEFAULT_THREADS) -> int:
    """``min(max_threads, available_cores())``: the same on every run of
    a machine, whatever else is running (module doc)."""
    return max(1, min(int(max_threads), available_cores()))


def thread_rule(threads: int, requested: Optional[int] = None,
                max_threads: int = MAX_DEFAULT_THREADS) -> str:
    """One line saying how ``threads`` was chosen: by ``--threads``
    (``requested``) or by the default rule, with the cores and, when
    other jobs load the machine, the 1-minute load average."""
    cores = available_cores()
    if requested:
        how = f'--threads {requested}'
    else:
        how = (f'default min({max_threads}, {cores} available core(s)); '
               '--threads N to choose')
    line = f'{threads} torch thread(s) ({how})'
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return line
    if load > 0.5 and load + threads > cores + 0.5:
        line += (f'; 1-minute load {load:.1f} on {cores} core(s): other '
                 'jobs share the cores, times will be longer')
    return line


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
