"""``--resume`` after a kill reproduces the uninterrupted run exactly, for an
epoch-based and an iteration-based loop, with dataloader workers.

The shrunk hourglass quickstart (random flip + random box transform) is
trained uninterrupted, then again with a "kill" right after the checkpoint
of epoch 1 of 2 (iteration 2 of 4), then resumed from that checkpoint in a new
runner: the final weights must be identical. With the transforms drawing
from the global ``np.random`` (reseeded on resume, never saved) the
epoch-based run ended 6 % (relative L2) away.
"""
import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from conftest import tiny_hourglass_synthetic_cfg
from kp_ext.datasets.sample_rng import (DefaultSampler, InfiniteSampler,
                                        SampleIndex, sample_rng)


class _Killed(BaseException):
    pass


class _KillAfter(Hook):
    """Raise (as a SIGKILL would end the job) after the checkpoint of the
    given epoch / iteration has been written."""

    def __init__(self, epoch=None, iteration=None):
        self.epoch, self.iteration = epoch, iteration

    def after_train_epoch(self, runner):
        if self.epoch is not None and runner.epoch + 1 == self.epoch:
            raise _Killed

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if self.iteration is not None and runner.iter + 1 == self.iteration:
            raise _Killed


def _train(cfg, name, kill=None, resume=False):
    cfg = cfg.copy()
    cfg.experiment_name = name
    cfg.resume = resume
    runner = Runner.from_cfg(cfg)
    if kill is not None:
        runner.register_hook(kill, priority='LOWEST')
    runner.train()
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


def _assert_same_weights(a, b):
    assert a.keys() == b.keys()
    diff = {k: float((a[k].double() - b[k].double()).norm() /
                     (a[k].double().norm() + 1e-12))
            for k in a if a[k].is_floating_point()}
    worst = max(diff, key=diff.get)
    assert diff[worst] == 0.0, f'{worst}: relative L2 {diff[worst]:.3g}'
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.slow
def test_epoch_based_resume_is_exact(tmp_path):
    kw = dict(epochs=2, num_workers=2)
    full = _train(tiny_hourglass_synthetic_cfg(tmp_path / 'full', **kw),
                  'exact_ep_full')
    cfg = tiny_hourglass_synthetic_cfg(tmp_path / 'killed', **kw)
    with pytest.raises(_Killed):
        _train(cfg, 'exact_ep_killed', kill=_KillAfter(epoch=1))
    assert (tmp_path / 'killed' / 'last_checkpoint').read_text().strip(
    ).endswith('epoch_1.pth')
    resumed = _train(cfg, 'exact_ep_resumed', resume=True)
    _assert_same_weights(full, resumed)


@pytest.mark.slow
def test_iteration_based_resume_is_exact(tmp_path):
    kw = dict(iters=4, num_workers=1, checkpoint_interval=2)
    full = _train(tiny_hourglass_synthetic_cfg(tmp_path / 'full', **kw),
                  'exact_it_full')
    cfg = tiny_hourglass_synthetic_cfg(tmp_path / 'killed', **kw)
    with pytest.raises(_Killed):
        _train(cfg, 'exact_it_killed', kill=_KillAfter(iteration=2))
    resumed = _train(cfg, 'exact_it_resumed', resume=True)
    _assert_same_weights(full, resumed)


class _Range(torch.utils.data.Dataset):

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


def test_samplers_keep_mmengine_order_and_tag_seed_and_epoch():
    from mmengine.dataset import DefaultSampler as MMDefault
    from mmengine.dataset import InfiniteSampler as MMInfinite
    ds = _Range(7)
    ours, theirs = DefaultSampler(ds, seed=3), MMDefault(ds, seed=3)
    for epoch in (0, 1):
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        got = list(ours)
        assert got == list(theirs)
        assert all(isinstance(i, SampleIndex) and i.seed == 3
                   and i.epoch == epoch for i in got)
    inf_ours = iter(InfiniteSampler(ds, seed=5))
    inf_theirs = iter(MMInfinite(ds, seed=5))
    got = [next(inf_ours) for _ in range(16)]
    assert got == [next(inf_theirs) for _ in range(16)]
    assert [i.epoch for i in got] == [0] * 7 + [1] * 7 + [2] * 2


def test_sample_rng_depends_on_seed_epoch_index_only():
    import pickle

    def draws(idx):
        return sample_rng(dict(sample_idx=idx)).random(3)

    a = draws(SampleIndex(4, 0, 1))
    # the same after a trip to a dataloader worker (pickle)
    np.testing.assert_array_equal(
        a, draws(pickle.loads(pickle.dumps(SampleIndex(4, 0, 1)))))
    for other in (SampleIndex(4, 0, 2), SampleIndex(5, 0, 1),
                  SampleIndex(4, 1, 1)):
        assert not np.array_equal(a, draws(other))
    # one generator per sample, shared by the transforms of the pipeline
    results = dict(sample_idx=SampleIndex(4, 0, 1))
    assert sample_rng(results) is sample_rng(results)
    # untagged: seeded from the global np.random
    np.random.seed(0)
    u = draws(4)
    np.random.seed(0)
    np.testing.assert_array_equal(u, draws(4))


@pytest.mark.slow
def test_fse_iteration_based_resume_is_exact(tmp_path):
    """The FSE warps of a step come from (seed, iteration, rank): a resumed
    run draws the uninterrupted run's warps (with torch's global generator
    it ended 0.49 % relative L2 away)."""
    from conftest import tiny_fse_synthetic_cfg

    def cfg_at(work_dir):
        cfg = tiny_fse_synthetic_cfg(work_dir, iters=4)
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                            interval=2, by_epoch=False)
        cfg.val_cfg = cfg.val_evaluator = cfg.val_dataloader = None
        return cfg

    full = _train(cfg_at(tmp_path / 'full'), 'fse_full')
    cfg = cfg_at(tmp_path / 'killed')
    with pytest.raises(_Killed):
        _train(cfg, 'fse_killed', kill=_KillAfter(iteration=2))
    resumed = _train(cfg, 'fse_resumed', resume=True)
    _assert_same_weights(full, resumed)


def test_fse_warp_generator_depends_on_seed_and_step():
    from mmengine.config import Config

    from kp_ext.registry import MODELS
    from conftest import REPO
    cfg = Config.fromfile(str(REPO / 'configs/quickstart/fse_synthetic.py'))
    model = MODELS.build(cfg.model)
    x = torch.zeros(1, 3, 8, 8)

    def draw(step):
        model._step = step
        return torch.rand(4, generator=model._warp_generator(x))

    torch.manual_seed(7)
    a = draw(3)
    assert model._step == 4
    assert torch.equal(a, draw(3))          # same seed and step
    assert not torch.equal(a, draw(4))      # another step
    torch.manual_seed(8)
    assert not torch.equal(a, draw(3))      # another run seed
