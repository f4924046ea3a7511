"""kp_ext.utils.config_edit.to_iteration_loop on the quickstart config."""
from mmengine.config import Config

from conftest import REPO
from kp_ext.utils.config_edit import to_iteration_loop


def test_to_iteration_loop_counts_everything_in_iterations():
    cfg = Config.fromfile(
        str(REPO / 'configs/quickstart/hourglass_synthetic.py'))
    assert cfg.train_cfg.by_epoch and cfg.param_scheduler
    ends = [s.get('end') for s in cfg.param_scheduler]
    out = to_iteration_loop(cfg, 7, val_interval=3)
    assert out is cfg
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=7,
                                 val_interval=3)
    assert cfg.train_dataloader.sampler == dict(type='InfiniteSampler',
                                                shuffle=True)
    assert cfg.log_processor.by_epoch is False
    assert cfg.default_hooks.checkpoint.by_epoch is False
    assert all(s.by_epoch is False for s in cfg.param_scheduler)
    # the numbers stay (they now count iterations)
    assert [s.get('end') for s in cfg.param_scheduler] == ends
    # the built config runs an iteration loop with kp_ext's sampler
    from mmengine.registry import init_default_scope
    from kp_ext.registry import DATA_SAMPLERS
    init_default_scope('kp_ext')
    sampler = DATA_SAMPLERS.get('InfiniteSampler')
    assert sampler.__module__.startswith('kp_ext')
