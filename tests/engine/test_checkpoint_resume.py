"""``--resume`` / ``load_from`` under torch >= 2.6 (weights_only=True).

mmengine 0.10 checkpoints hold the message hub (HistoryBuffer, numpy
scalars); kp_ext allow-lists those types instead of disabling the
weights-only loader. These tests train a toy model with mmengine's Runner,
then resume from / load the checkpoint it wrote.
"""
import copy
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import Runner

import kp_ext  # noqa: F401
from conftest import toy_regression_parts


_ToyData, _ = toy_regression_parts()


def _runner(work_dir, max_iters, **kw):
    return Runner(
        model=dict(type='ToyRegressorForTests'),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_ToyData(16),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=4,
            num_workers=0,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[2, 4],
                             by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=3,
                            by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        default_scope='kp_ext',
        experiment_name=f'toy{max_iters}{len(kw)}',
        randomness=dict(seed=0),
        **kw)


def test_plain_torch_load_is_weights_only():
    """The default torch.load stays restricted: arbitrary globals fail."""
    import io
    buf = io.BytesIO()
    pickle.dump(copy.deepcopy, buf)  # a function: not an allowed global
    buf.seek(0)
    torch.save({'f': copy.deepcopy}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(buf)


def test_message_hub_roundtrip_weights_only(tmp_path):
    hub = MessageHub.get_instance('kp_ext_ckpt_test')
    for v in (1.5, 2.5, 3.5):
        hub.update_scalar('train/loss', np.float64(v))
    hub.update_info('note', np.int64(7))
    path = tmp_path / 'ck.pth'
    # an empty array (e.g. metainfo 'sigmas' of a dataset without OKS
    # sigmas) pickles its empty buffer as ``bytes()`` under protocol 2
    torch.save(dict(message_hub=hub.state_dict(),
                    meta=dict(seed=np.int64(1), arr=np.arange(3),
                              sigmas=np.array([], np.float32))), path)
    ck = torch.load(path, weights_only=True)
    assert ck['meta']['sigmas'].shape == (0, )
    buf = ck['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == pytest.approx(2.5)
    assert buf.current() == pytest.approx(3.5)
    np.testing.assert_array_equal(ck['meta']['arr'], np.arange(3))


def test_runner_resume_and_load_from(tmp_path):
    runner = _runner(tmp_path, max_iters=3)
    runner.train()
    ckpt = tmp_path / 'iter_3.pth'
    assert ckpt.exists()
    trained = {k: v.clone() for k, v in runner.model.state_dict().items()}

    # resume: continues at iter 3 with the optimizer/scheduler state
    resumed = _runner(tmp_path, max_iters=6, resume=True,
                      load_from=str(ckpt))
    resumed.train()
    assert resumed.iter == 6
    assert (tmp_path / 'iter_6.pth').exists()
    hub = resumed.message_hub.get_scalar('train/loss')
    assert len(hub.data[0]) >= 6  # history from before the resume kept

    # load_from (weights only, no resume) reproduces the trained weights
    loaded = _runner(tmp_path / 'load', max_iters=3, load_from=str(ckpt))
    loaded.load_or_resume()
    for k, v in loaded.model.state_dict().items():
        torch.testing.assert_close(v, trained[k])
