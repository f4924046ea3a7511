import os

import pytest

from kp_ext.utils import threads as threads_mod
from kp_ext.utils.threads import (available_cores, default_num_threads,
                                  set_num_threads, thread_rule)


def _machine(monkeypatch, cores, load):
    monkeypatch.setattr(os, 'sched_getaffinity',
                        lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, 'cpu_count', lambda: cores)
    monkeypatch.setattr(os, 'getloadavg', lambda: (load, load, load))


@pytest.mark.parametrize('cores,expect', [(1, 1), (2, 2), (16, 2)])
@pytest.mark.parametrize('load', [0.0, 1.3, 7.0])
def test_default_threads_do_not_depend_on_the_load(monkeypatch, cores,
                                                   load, expect):
    # issue 23: a transient load (an install just before the quickstart)
    # used to pick 1 thread on a free 2-core machine
    _machine(monkeypatch, cores, load)
    assert default_num_threads() == expect
    assert default_num_threads(max_threads=4) == min(4, cores)


def test_available_cores_follows_the_affinity_mask(monkeypatch):
    monkeypatch.setattr(os, 'cpu_count', lambda: 64)
    monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: {0, 3},
                        raising=False)
    assert available_cores() == 2
    monkeypatch.delattr(os, 'sched_getaffinity', raising=False)
    assert available_cores() == 64


def test_thread_rule_names_the_rule_and_a_loaded_machine(monkeypatch):
    _machine(monkeypatch, 2, 0.1)
    line = thread_rule(2)
    assert line == ('2 torch thread(s) (default min(2, 2 available '
                    'core(s)); --threads N to choose)')
    assert thread_rule(1, requested=1) == '1 torch thread(s) (--threads 1)'
    _machine(monkeypatch, 2, 1.9)
    assert thread_rule(2).endswith('1-minute load 1.9 on 2 core(s): other '
                                   'jobs share the cores, times will be '
                                   'longer')
    assert threads_mod.MAX_DEFAULT_THREADS == 2


def test_set_num_threads_rejects_zero():
    with pytest.raises(ValueError, match='--threads'):
        set_num_threads(0)
