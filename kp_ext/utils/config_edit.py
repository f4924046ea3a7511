"""Edits of an mmengine config that several tools and tests make."""

__all__ = ['to_iteration_loop']


def to_iteration_loop(cfg, max_iters: int, val_interval: int = 10**6):
    """Turn an epoch-based config into an iteration-based one, in place:
    ``IterBasedTrainLoop(max_iters, val_interval)``, an
    ``InfiniteSampler`` (kp_ext's, same shuffle), iteration log lines,
    checkpoints and schedulers counted in iterations. The schedulers'
    ``begin``/``end``/``T_max`` keep their numbers, which now count
    iterations. Returns ``cfg``."""
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=int(max_iters),
                         val_interval=int(val_interval))
    shuffle = cfg.train_dataloader.get('sampler', {}).get('shuffle', True)
    cfg.train_dataloader.sampler = dict(type='InfiniteSampler',
                                        shuffle=shuffle)
    cfg.log_processor = dict(cfg.get('log_processor') or {}, by_epoch=False)
    checkpoint = cfg.get('default_hooks', {}).get('checkpoint')
    if checkpoint is not None:
        checkpoint.by_epoch = False
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    for sched in schedulers:
        sched.by_epoch = False
    return cfg
