import os

import pytest

from kp_ext.utils.threads import default_num_threads, set_num_threads


@pytest.mark.parametrize('cores,load,expect', [
    (2, 0.0, 2),    # idle 2-core machine: both
    (2, 1.3, 1),    # one core busy: one thread
    (2, 7.0, 1),    # overloaded: still one
    (16, 3.0, 2),   # many free cores: capped at 2
    (1, 0.0, 1),
])
def test_default_threads_follow_the_free_cores(monkeypatch, cores, load,
                                               expect):
    monkeypatch.setattr(os, 'cpu_count', lambda: cores)
    monkeypatch.setattr(os, 'getloadavg', lambda: (load, load, load))
    assert default_num_threads() == expect


def test_set_num_threads_rejects_zero():
    with pytest.raises(ValueError, match='--threads'):
        set_num_threads(0)
