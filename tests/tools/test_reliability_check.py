"""tools/misc/reliability_check.py, the smallest run: exact resume (epoch
and iteration loops), one random and one in-save SIGKILL each followed by
a successful --resume, and dist_test.sh with 1 vs 2 processes."""
import json
import os

import pytest


def test_kill_stages_cover_every_step_of_a_save(load_tool):
    tool = load_tool('tools/misc/reliability_check.py')
    assert tool.SAVE_STAGES == ('mid-write', 'before-rename',
                                'before-last_checkpoint', 'before-delete')
    import torch
    a = dict(w=torch.tensor([1.0, 2.0]), n=torch.tensor([3]))
    b = dict(w=torch.tensor([1.0, 2.5]), n=torch.tensor([3]))
    assert tool.max_weight_diff(a, a) == 0.0
    assert tool.max_weight_diff(a, b) == 0.5
    assert tool.max_weight_diff(a, dict(b, n=torch.tensor([4]))) == \
        float('inf')
    with pytest.raises(ValueError, match='keys'):
        tool.max_weight_diff(a, dict(w=a['w']))


def test_phase_reached_reads_where_the_kill_landed(load_tool):
    tool = load_tool('tools/misc/reliability_check.py')
    head = 'mmengine - INFO - Checkpoints will be saved to /x.\n'
    it = ('12/08 00:48:26 - mmengine - INFO - Iter(train) [{k}/6]  lr: '
          '1.0e-04  loss: 0.04\n')
    save = '12/08 00:48:26 - mmengine - INFO - Saving checkpoint at {k} ' \
        'iterations\n'
    assert tool.phase_reached('') == 'start-up'
    assert tool.phase_reached(head) == 'start-up'
    assert tool.phase_reached(head + it.format(k=1)) == \
        'training, after iteration 1'
    text = head + it.format(k=1) + it.format(k=2) + save.format(k=2)
    assert tool.phase_reached(text) == 'in or after the save at iteration 2'
    assert tool.phase_reached(text + it.format(k=3)) == \
        'training, after iteration 3'


@pytest.mark.slow
def test_minimal_reliability_check(tmp_path, load_tool):
    tool = load_tool('tools/misc/reliability_check.py')
    report = tool.main(['--work-dir', str(tmp_path), '--kills', '1',
                        '--train-kills', '1', '--save-kills', '1',
                        '--seed', '3'])
    for loop in ('epoch', 'iter'):
        r = report['resume'][loop]
        assert r['killed_exit'] == -9 and r['resume_exit'] == 0, r
        assert r['resumed'] and r['max_abs_weight_diff'] == 0.0, r
    assert [k['kind'] for k in report['kills']] == ['random', 'train',
                                                    'save']
    for k in report['kills']:
        assert k['resume_exit'] == 0 and k['resumed'], k
        assert k['max_abs_weight_diff'] == 0.0, k
    timing = report['kill_timing']
    assert timing['startup_s'] > 0 and timing['training_s'] > 0, timing
    train, save = report['kills'][1:]
    # a kill in the training phase lands after an iteration or in a save
    assert train['phase_at_kill'] != 'start-up', train
    assert save['killed_exit'] == -9, save
    assert report['dist']['max_abs_metric_diff'] == 0.0, report['dist']
    assert report['dist']['metrics_1'].keys() == \
        report['dist']['metrics_2'].keys()
    saved = json.loads((tmp_path / 'reliability.json').read_text())
    assert saved['kills'] == report['kills']
    assert os.path.isdir(save['work_dir'])
