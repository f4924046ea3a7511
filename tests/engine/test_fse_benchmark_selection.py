"""tools/fse_benchmark.py --select-by: the periodic checkpoint with the
lowest score (here the fit-split CV error) is reloaded and re-tested (a
real runner on tiny synthetic data)."""
import pytest
import torch
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from conftest import tiny_fse_synthetic_cfg
from tools.fse_benchmark import select_checkpoint


def _runner(tmp_path):
    cfg = tiny_fse_synthetic_cfg(tmp_path, 4, val_interval=2, num_fit=24)
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=100, by_epoch=False,
        save_best='NME_fit_cv', rule='less')
    cfg.val_evaluator = cfg.test_evaluator = dict(
        type='LandmarkRegressionMetric', alpha=[1e-3, 1e-1], cv_folds=3)
    return Runner.from_cfg(cfg)


def test_select_checkpoint_reloads_the_best_one(tmp_path):
    runner = _runner(tmp_path)
    runner.train()
    best = runner.message_hub.get_info('best_score')
    path = runner.message_hub.get_info('best_ckpt')
    assert best is not None and path.endswith('.pth')
    final = dict(iter=4, **{k: float(v) for k, v in runner.test().items()})
    # final weights at least as good by the fit-split CV: kept as they are
    kept = select_checkpoint(runner, dict(final, NME_fit_cv=best),
                             'NME_fit_cv')
    assert kept['iter'] == 4 and kept['NME'] == final['NME']
    # otherwise the best checkpoint is loaded and tested again: its
    # fit-split CV error reproduces the score it was chosen for
    chosen = select_checkpoint(runner, dict(final, NME_fit_cv=best + 100),
                               'NME_fit_cv')
    assert f'iter_{chosen["iter"]}' in path and chosen['iter'] in (2, 4)
    assert chosen['NME_fit_cv'] == pytest.approx(best, abs=1e-6)
    saved = torch.load(path, map_location='cpu')['state_dict']
    live = runner.model.state_dict()
    assert saved.keys() == live.keys()
    for key, value in saved.items():
        assert torch.equal(value, live[key]), key
    # a metric without CV cannot select
    with pytest.raises(SystemExit, match='NME_fit_cv'):
        select_checkpoint(runner, dict(iter=4, NME=1.0), 'NME_fit_cv')
