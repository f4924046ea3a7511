"""tools/fse_benchmark.py --select-by: the periodic checkpoint with the
lowest score (here the fit-split CV error) is reloaded and re-tested (a
real runner on tiny synthetic data)."""
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from conftest import REPO
from tools.fse_benchmark import select_checkpoint


def _runner(tmp_path):
    cfg = Config.fromfile(str(REPO / 'configs/quickstart/fse_synthetic.py'))
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=4,
                         val_interval=2)
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=100, by_epoch=False,
        save_best='NME_fit_cv', rule='less')
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.custom_hooks = []
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.model.backbone.update(channels=(8, 8, 8, 8, 8, 8))
    cfg.val_evaluator = cfg.test_evaluator = dict(
        type='LandmarkRegressionMetric', alpha=[1e-3, 1e-1], cv_folds=3)
    cfg.train_dataloader.update(batch_size=4, num_workers=0,
                                persistent_workers=False)
    cfg.train_dataloader.dataset.num_samples = 16
    for name in ('val_dataloader', 'test_dataloader'):
        cfg[name].update(batch_size=8, num_workers=0,
                         persistent_workers=False)
        cfg[name].dataset.fit.num_samples = 24
        cfg[name].dataset.test.num_samples = 8
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
