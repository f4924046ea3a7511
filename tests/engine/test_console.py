"""What tools/train.py / tools/test.py print (issue 23): a short header
instead of mmengine's 400+ line environment / config / hook dump (which
stays in the log file), then mmengine's progress lines with ETA."""
import logging
import runpy
import sys

import pytest

from conftest import REPO, tiny_hourglass_synthetic_cfg
from kp_ext.engine.console import (StartupDumpFilter, SummaryConsoleRunner,
                                   run_header)

DUMPS = ('System environment:', 'Runtime environment:', 'Config:',
         'Hooks will be executed in the following order')


def _record(msg):
    return logging.LogRecord('mmengine', logging.INFO, __file__, 1, msg,
                             None, None)


def test_filter_drops_the_three_startup_dumps_only():
    f = StartupDumpFilter()
    assert not f.filter(_record('\n' + '-' * 60 + '\nSystem environment:'
                                '\n    sys.platform: linux'))
    assert not f.filter(_record("Config:\nmodel = dict(type='X')"))
    assert not f.filter(_record('Hooks will be executed in the following '
                                'order:\nbefore_run:'))
    for kept in ('Epoch(train) [1][1/2]  lr: 1e-4  eta: 0:00:25',
                 'Saving checkpoint at 1 epochs', 'Config file missing',
                 'resumed epoch: 1, iter: 2'):
        assert f.filter(_record(kept)), kept


def test_console_has_no_dump_the_log_file_has_it(tmp_path, capsys):
    cfg = tiny_hourglass_synthetic_cfg(tmp_path / 'work', epochs=2)
    cfg.experiment_name = 'console_header'
    runner = SummaryConsoleRunner.from_cfg(cfg)
    lines = run_header(runner, 'tiny.py')
    console = capsys.readouterr().out
    for dump in DUMPS:
        assert dump not in console, dump
    log_file = tmp_path / 'work' / runner.timestamp / \
        f'{runner.timestamp}.log'
    logged = log_file.read_text()
    for dump in DUMPS:
        assert dump in logged, dump
    params = sum(p.numel() for p in runner.model.parameters())
    assert lines[0] == 'kp_ext train: tiny.py'
    assert lines[1] == f'  work dir : {tmp_path / "work"}'
    assert lines[2] == f'  log file : {log_file} (full config and ' \
        'environment)'
    assert lines[3] == ('  data     : train 8 samples '
                        '(SyntheticPeopleDataset, 2 batches of 4)')
    assert lines[4] == f'  model    : TopdownPoseEstimator, {params:,} ' \
        'parameters'
    assert lines[5].startswith('  device   : cpu, ')
    assert lines[5].endswith(' torch thread(s) per process, 1 process')
    assert lines[6] == ('  schedule : 2 epochs x 2 iterations; a progress '
                        'line with ETA every 1 iteration(s)')
    assert len(lines) == 7


def test_train_py_prints_header_and_eta_lines(tmp_path, capsys,
                                              monkeypatch):
    cfg = tiny_hourglass_synthetic_cfg(tmp_path / 'work', epochs=1)
    cfg.experiment_name = 'console_train_py'
    cfg_file = tmp_path / 'tiny.py'
    cfg.dump(str(cfg_file))
    monkeypatch.setattr(sys, 'argv', ['train.py', str(cfg_file)])
    runpy.run_path(str(REPO / 'tools/train.py'), run_name='__main__')
    out = capsys.readouterr().out
    for dump in DUMPS:
        assert dump not in out, dump
    assert 'kp_ext train: ' in out and 'train 8 samples' in out
    progress = [ln for ln in out.splitlines() if 'Epoch(train)' in ln]
    assert len(progress) == 2 and all('eta: ' in ln for ln in progress)
    # header, progress, checkpoint: a few dozen lines, not 400+
    assert len(out.splitlines()) < 30, out
