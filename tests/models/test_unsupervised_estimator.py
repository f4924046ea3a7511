"""UnsupervisedLandmarkEstimator: siamese FSE training and prediction."""
import logging

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from kp_ext.engine.hooks.landmark_collapse_hook import (LandmarkCollapseHook,
                                                        landmark_spread_stats)
from kp_ext.models.estimators.unsupervised import \
    UnsupervisedLandmarkEstimator
from kp_ext.registry import MODELS
from kp_ext.structures import PoseDataSample

K = 6


def _model(size=32, warp=None, **head):
    torch.manual_seed(0)
    return UnsupervisedLandmarkEstimator(
        backbone=dict(type='FSEConvNet', out_channels=K, arch='fast',
                      channels=(8, 8, 8, 8, 8, 8)),
        head=dict(type='LandmarkHead', num_keypoints=K,
                  input_size=(size, size), **head),
        warp=warp or dict(type='TPSWarp'),
        train_cfg=dict(seed=123))


def _sample(keypoints=None, **meta):
    ds = PoseDataSample(metainfo=meta)
    gt = InstanceData()
    gt.keypoints = (keypoints if keypoints is not None else
                    np.zeros((1, 3, 2), np.float32))
    gt.keypoints_visible = np.ones(gt.keypoints.shape[:2], np.float32)
    gt.bboxes = np.array([[0, 0, 10, 10]], np.float32)
    ds.gt_instances = gt
    return ds


def test_registered_and_builds():
    m = MODELS.build(dict(
        type='UnsupervisedLandmarkEstimator',
        backbone=dict(type='FSEConvNet', out_channels=K),
        head=dict(type='LandmarkHead', num_keypoints=K),
        warp=dict(type='TPSWarp', num_ctrl=4)))
    assert isinstance(m, UnsupervisedLandmarkEstimator)
    assert m.num_keypoints == K
    assert m.warp.num_ctrl == 4


def test_loss_one_batched_backbone_pass_with_shared_weights():
    model = _model()
    calls = []
    model.backbone.register_forward_hook(
        lambda mod, inp, out: calls.append(inp[0].shape[0]))
    x = torch.randn(3, 3, 32, 32)
    losses = model(x, None, mode='loss')
    assert set(losses) >= {'loss_equiv', 'loss_div'}
    assert calls == [6]  # one forward on cat([x1, x2])
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    total.backward()
    grads = [p.grad for p in model.backbone.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert model.last_train_landmarks.shape == (3, K, 2)
    assert model.last_train_input_size == (32, 32)


def test_loss_matches_manual_pair_and_head_loss():
    """Estimator loss == head.loss on the halves of the same pair
    (same generator seed), i.e. x1 / x2 are split correctly."""
    model = _model()
    model.eval()  # BN with running stats: halves independent of batching
    x = torch.randn(2, 3, 32, 32)
    losses = model.loss(x)
    gen = torch.Generator().manual_seed(123)  # train_cfg seed + step 0
    x1, x2, t2 = model.warp.make_pair(x, gen)
    f1 = model.extract_feat(x1)
    f2 = model.extract_feat(x2)
    ref = model.head.loss(f1, f2, warp=t2, input_size=(32, 32))
    for k in ref:
        assert torch.allclose(losses[k], ref[k], atol=1e-5), k
    # swapping x1/x2 (wrong split) gives a different equivariance loss
    wrong = model.head.loss(f2, f1, warp=t2, input_size=(32, 32))
    assert not torch.allclose(wrong['loss_equiv'], ref['loss_equiv'])


def test_loss_ignores_ground_truth_keypoints():
    x = torch.randn(2, 3, 32, 32)
    out = []
    for scale in (1.0, 1000.0):
        model = _model()
        samples = [_sample(np.full((1, 3, 2), scale, np.float32))
                   for _ in range(2)]
        out.append(model.loss(x, samples))
    for k in out[0]:
        assert torch.equal(out[0][k], out[1][k])


def test_training_reduces_fse_loss_on_fixed_image():
    model = _model(size=32)
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    yy, xx = torch.meshgrid(torch.arange(32.), torch.arange(32.),
                            indexing='ij')
    img = torch.stack([torch.sin(xx / 3), torch.cos(yy / 4),
                       ((xx - 16)**2 + (yy - 10)**2 < 30).float()])
    x = img[None].repeat(4, 1, 1, 1)

    def fixed_loss():  # same warps every time
        model.train_cfg, model._step = dict(seed=7), 0
        with torch.no_grad():
            losses = model.loss(x)
        model.train_cfg = {}
        return sum(v for k, v in losses.items() if k.startswith('loss'))

    before = fixed_loss().item()
    for _ in range(40):
        losses = model.loss(x)
        loss = sum(v for k, v in losses.items() if k.startswith('loss'))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert fixed_loss().item() < 0.7 * before


def test_folding_warp_is_rejected_and_training_runs():
    # huge control-point noise: raw TPS samples fold; the warp shrinks
    # them (or falls back to affine) and the loss stays finite
    model = _model(warp=dict(type='TPSWarp', ctrl_sigma=0.8, num_ctrl=4))
    x = torch.randn(4, 3, 32, 32)
    losses = model.loss(x)
    loss = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(loss)
    loss.backward()
    gen = torch.Generator().manual_seed(0)
    tps = model.warp.sample(8, (32, 32), gen)
    pts = torch.stack(torch.meshgrid(torch.linspace(0, 31, 9),
                                     torch.linspace(0, 31, 9),
                                     indexing='xy'), -1).reshape(-1, 2)
    assert (tps.jacobian_det(pts) > 0).all()


def test_predict_maps_crop_to_image_coordinates():
    model = _model(size=32)
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        lm_crop, _ = model.extract_landmarks(x)
    center = np.array([100.0, 50.0], np.float32)
    scale = np.array([64.0, 64.0], np.float32)
    samples = [_sample(input_size=(32, 32), input_center=center,
                       input_scale=scale, img_shape=(200, 300))
               for _ in range(2)]
    with torch.no_grad():
        out = model(x, samples, mode='predict')
    for i, s in enumerate(out):
        kp = s.pred_instances.keypoints
        assert kp.shape == (1, K, 2)
        assert s.pred_instances.keypoint_scores.shape == (1, K)
        # hand-computed: image = crop * 64/32 + (100, 50) - 32
        expect = lm_crop[i].numpy() * 2.0 + center - 32.0
        np.testing.assert_allclose(kp[0], expect, atol=1e-3)
        np.testing.assert_array_equal(s.pred_instances.bboxes,
                                      [[0, 0, 10, 10]])


def test_predict_without_crop_keeps_input_coordinates():
    model = _model(size=32)
    model.eval()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        lm, _ = model.extract_landmarks(x)
        out = model(x, [_sample(img_shape=(32, 32))], mode='predict')
    np.testing.assert_allclose(out[0].pred_instances.keypoints[0],
                               lm[0].numpy(), atol=1e-4)
    with pytest.raises(KeyError, match='lacks'):
        model(x, [_sample(input_size=(32, 32))], mode='predict')


class _Collapsed(torch.nn.Module):
    """Fake model whose K landmarks all sit within 0.5 px."""

    def __init__(self, collapsed=True):
        super().__init__()
        base = torch.tensor([[20.0, 20.0]]).repeat(K, 1)
        if collapsed:
            base = base + torch.linspace(0, 0.5, K)[:, None]
        else:
            base = base + torch.arange(K)[:, None] * torch.tensor([5.0, 3.0])
        self.last_train_landmarks = base[None].repeat(2, 1, 1)


class _Runner:
    def __init__(self, model):
        from mmengine.logging import MessageHub, MMLogger
        self.model = model
        self.iter = 9
        self.logger = MMLogger.get_instance('collapse_test')
        self.message_hub = MessageHub.get_instance('collapse_test')


class _ListHandler(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_collapse_hook_warns_on_collapsed_model():
    hook = LandmarkCollapseHook(interval=10, radius=2.0)
    runner = _Runner(_Collapsed(True))
    handler = _ListHandler()
    runner.logger.addHandler(handler)
    try:
        hook.after_train_iter(runner, 9)
    finally:
        runner.logger.removeHandler(handler)
    assert hook.num_warnings == 1
    assert len(handler.messages) == 1
    assert handler.messages[0].startswith(
        f'landmarks collapsed: {K} of {K} maps within 2 px')
    assert runner.message_hub.get_scalar(
        'train/landmark_distinct').current() == 1.0


def test_collapse_hook_quiet_on_spread_landmarks_and_off_interval():
    hook = LandmarkCollapseHook(interval=10, radius=2.0)
    runner = _Runner(_Collapsed(False))
    handler = _ListHandler()
    runner.logger.addHandler(handler)
    try:
        hook.after_train_iter(runner, 9)
    finally:
        runner.logger.removeHandler(handler)
    assert handler.messages == []
    assert hook.num_warnings == 0 and not hook.last_stats['collapsed']
    hook2 = LandmarkCollapseHook(interval=10)
    runner2 = _Runner(_Collapsed(True))
    runner2.iter = 4  # not a multiple of the interval: no check
    hook2.after_train_iter(runner2, 4)
    assert hook2.last_stats is None


def test_spread_stats_hand_computed():
    # 3 points: (0,0), (1,0), (10,0): pairwise 1, 10, 9 -> mean 20/3;
    # radius 2 merges the first two -> 2 distinct, 2 with a neighbour
    st = landmark_spread_stats(np.array([[0, 0], [1, 0], [10, 0.]]), 2.0)
    assert st['spread'] == pytest.approx(20 / 3)
    assert st['distinct'] == 2 and st['close'] == 2
    # chain 0-1.5-3: single linkage merges all (1 component)
    st = landmark_spread_stats(np.array([[0, 0], [1.5, 0], [3, 0.]]), 2.0)
    assert st['distinct'] == 1


def test_train_step_runs_the_head_once_and_the_hook_sees_its_landmarks():
    from mmengine.optim import OptimWrapper
    model = _model()
    head_calls, forward_calls = [], []
    model.head.final_layer.register_forward_hook(
        lambda mod, inp, out: head_calls.append(inp[0].shape[0]))
    real_forward = model.head.forward
    model.head.forward = lambda *a, **k: (forward_calls.append(1),
                                          real_forward(*a, **k))[1]
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    x = torch.randn(3, 3, 32, 32)
    log_vars = model.train_step(dict(inputs=x, data_samples=None), optim)
    assert 'loss' in log_vars
    # one head run: one score map per image of the pair (x1, x2), no extra
    # forward of x1 for the monitoring landmarks
    assert head_calls == [3, 3] and forward_calls == []
    lm = model.last_train_landmarks
    assert lm.shape == (3, K, 2) and not lm.requires_grad
    hook = LandmarkCollapseHook(interval=10, radius=2.0)
    hook.after_train_iter(_Runner(model), 9)
    assert hook.last_stats == {
        **landmark_spread_stats(lm, 2.0),
        'collapsed': hook.last_stats['collapsed']}


def test_monitoring_landmarks_are_those_of_x1():
    model = _model()
    model.eval()  # BN with running stats: x1 alone gives the same maps
    x = torch.randn(2, 3, 32, 32)
    model.loss(x)
    gen = torch.Generator().manual_seed(123)  # train_cfg seed + step 0
    x1, _, _ = model.warp.make_pair(x, gen)
    with torch.no_grad():
        ref, _ = model.extract_landmarks(x1)
    torch.testing.assert_close(model.last_train_landmarks, ref,
                               rtol=1e-5, atol=1e-4)
