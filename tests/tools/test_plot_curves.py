"""tools/analysis/plot_curves.py on generated mmengine JSON logs."""
import json
from pathlib import Path

import cv2
import pytest

REPO = Path(__file__).resolve().parents[2]



def _write_run(work_dir, stamp, rows):
    vis = work_dir / stamp / 'vis_data'
    vis.mkdir(parents=True)
    text = '\n'.join(json.dumps(r) for r in rows) + '\n'
    (vis / f'{stamp}.json').write_text(text)
    (vis / 'scalars.json').write_text(text)  # LocalVisBackend writes both


def _by_epoch_rows(epochs, iters_per_epoch, start=1):
    """Train lines (loss = 1 / iter) every iteration, a validation line
    (PCK = epoch / 10, step = epoch) after every epoch, as mmengine's
    LoggerHook logs a by-epoch run."""
    rows, it = [], (start - 1) * iters_per_epoch
    for e in range(start, start + epochs):
        for _ in range(iters_per_epoch):
            it += 1
            rows.append(dict(lr=0.1, loss=1.0 / it, epoch=e, iter=it,
                             step=it))
        rows.append({'PCK': e / 10, 'coco/AP': e / 20, 'step': e})
    return rows


def test_by_epoch_validation_sits_at_the_end_of_its_epoch(load_tool,
                                                         tmp_path):
    tool = load_tool('tools/analysis/plot_curves.py')
    # two starts of one work dir (a resume after epoch 2)
    _write_run(tmp_path, '20240101_000000', _by_epoch_rows(2, 5))
    _write_run(tmp_path, '20240102_000000', _by_epoch_rows(1, 5, start=3))
    logs = tool.find_logs(str(tmp_path))
    assert [Path(p).name for p in logs] == ['20240101_000000.json',
                                           '20240102_000000.json']
    c = tool.curves(tool.read_rows(logs), ['loss', 'PCK', 'AP'])
    assert c['loss'] == ([float(i) for i in range(1, 16)],
                         [1.0 / i for i in range(1, 16)])
    assert c['PCK'] == ([5.0, 10.0, 15.0], [0.1, 0.2, 0.3])
    assert c['coco/AP'][1] == [0.05, 0.1, 0.15]
    out = tmp_path / 'curves.png'
    tool.main([str(tmp_path), '--keys', 'loss', 'PCK', '--out', str(out)])
    img = cv2.imread(str(out))
    assert img is not None and img.shape[0] > img.shape[1] * 0.6  # 2 panels


def test_iteration_based_log_and_two_logs_in_one_figure(load_tool, tmp_path,
                                                       capsys):
    tool = load_tool('tools/analysis/plot_curves.py')
    rows = [dict(loss=2.0, iter=10, step=10), dict(loss=1.0, iter=20,
                                                  step=20),
            dict(NME=0.3, step=20)]
    log = tmp_path / 'run.json'
    log.write_text('\n'.join(json.dumps(r) for r in rows))
    c = tool.curves(tool.read_rows([str(log)]), ['NME'])
    assert c == {'NME': ([20.0], [0.3])}
    other = tmp_path / 'b'
    _write_run(other, '20240101_000000', _by_epoch_rows(1, 2))
    out = tmp_path / 'two.png'
    tool.main([str(log), str(other), '--keys', 'loss', '--out', str(out)])
    assert out.exists()
    printed = capsys.readouterr().out
    assert 'loss: 2 points, last 1' in printed and str(out) in printed


def test_unknown_key_and_missing_log_are_named(load_tool, tmp_path):
    tool = load_tool('tools/analysis/plot_curves.py')
    _write_run(tmp_path, '20240101_000000', _by_epoch_rows(1, 2))
    with pytest.raises(SystemExit) as err:
        tool.main([str(tmp_path), '--keys', 'NME'])
    assert "'NME' is not in the log" in err.value.code
    assert 'PCK' in err.value.code  # lists what is there
    with pytest.raises(SystemExit) as err:
        tool.main([str(tmp_path / 'nothing')])
    assert 'no such log file or work dir' in err.value.code
    bad = tmp_path / 'bad.json'
    bad.write_text('{"loss": 1}\nnot json\n')
    with pytest.raises(SystemExit) as err:
        tool.main([str(bad)])
    assert 'bad.json: line 2 is not JSON' in err.value.code
