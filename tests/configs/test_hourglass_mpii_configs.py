"""configs/hourglass_mpii.py (the paper / official-code recipe) and its
kp_ext variant build, and the paper pipeline makes pose-hg-train targets."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

import kp_ext  # noqa: F401
from conftest import REPO, official_hourglass_target
from kp_ext.registry import MODELS, TRANSFORMS

PAPER = 'configs/hourglass_mpii.py'
KPEXT = 'configs/hourglass/hourglass_mpii_kpext.py'


def _cfg(name):
    return Config.fromfile(str(REPO / name))


def _pipeline(steps):
    transforms = [TRANSFORMS.build(t) for t in steps]

    def run(results):
        for t in transforms:
            results = t(results)
        return results
    return run


@pytest.mark.parametrize('name', [PAPER, KPEXT])
def test_config_builds_model_and_pipelines(name):
    cfg = _cfg(name)
    model = MODELS.build(cfg.model)
    n = sum(p.numel() for p in model.parameters())
    assert abs(n - 25.1e6) / 25.1e6 < 0.03  # 8 stacks x 256 channels
    for loader in ('train_dataloader', 'val_dataloader'):
        _pipeline(cfg[loader].dataset.pipeline)


def test_paper_and_variant_settings():
    paper, kpext = _cfg(PAPER), _cfg(KPEXT)
    assert paper.model.head.decoder == dict(
        type='GaussianHeatmap', input_size=(256, 256),
        heatmap_size=(64, 64), sigma=1.75, window=7, integer_center=True,
        refine='pose_hg_train')
    assert kpext.model.head.decoder == dict(
        type='GaussianHeatmap', input_size=(256, 256),
        heatmap_size=(64, 64), sigma=1.0)
    # the encoder of the targets is the decoder's codec
    for cfg in (paper, kpext):
        gen = [t for t in cfg.train_dataloader.dataset.pipeline
               if t['type'] == 'GenerateTarget']
        assert gen[0]['encoder'] == cfg.model.head.decoder
    # one drop (x0.2), no warm-up vs warm-up and two drops
    assert [s['type'] for s in paper.param_scheduler] == ['MultiStepLR']
    assert paper.param_scheduler[0]['milestones'] == [170]
    assert paper.param_scheduler[0]['gamma'] == 0.2
    assert [s['type'] for s in kpext.param_scheduler] == [
        'LinearLR', 'MultiStepLR']
    assert paper.optim_wrapper.optimizer == dict(type='RMSprop', lr=2.5e-4)
    assert paper.model.test_cfg == dict(flip_test=True, shift_heatmap=False)
    # everything else (data, evaluation, checkpoints) is shared
    for key in ('val_dataloader', 'val_evaluator', 'default_hooks',
                'train_cfg', 'optim_wrapper'):
        assert paper[key] == kpext[key], key


def test_paper_loss_supervises_missing_joints_with_zero_targets():
    """A missing joint (weight 0) still counts: its target is all zero."""
    out = torch.zeros(1, 2, 4, 4)
    out[0, 1] = 1.0  # predicts something for joint 1
    target = torch.zeros(1, 2, 4, 4)
    weights = torch.tensor([[1.0, 0.0]])  # joint 1 missing
    paper = MODELS.build(_cfg(PAPER).model.head.loss)
    kpext = MODELS.build(_cfg(KPEXT).model.head.loss)
    # mean over 2 x 4 x 4 values, 16 of which are (1 - 0)^2
    assert paper(out, target, weights).item() == pytest.approx(0.5)
    assert kpext(out, target, weights).item() == 0.0


def _synthetic_sample(rng):
    # a person box in a 300 x 400 image, 16 MPII joints, joint 9 missing
    kpts = np.stack([rng.uniform(120, 280, 16), rng.uniform(60, 240, 16)],
                    axis=-1)[None].astype(np.float32)
    vis = np.ones((1, 16), np.float32)
    vis[0, 9] = 0
    return dict(
        img=rng.integers(0, 256, (300, 400, 3), dtype=np.uint8),
        img_path='synthetic.jpg', img_shape=(300, 400), ori_shape=(300, 400),
        bbox=np.array([[100., 40., 300., 260.]], np.float32),
        bbox_score=np.ones(1, np.float32),
        keypoints=kpts, keypoints_visible=vis,
        flip_indices=[5, 4, 3, 2, 1, 0, 6, 7, 8, 9, 15, 14, 13, 12, 11, 10])


def test_paper_pipeline_makes_official_targets():
    cfg = _cfg(PAPER)
    steps = [t for t in cfg.train_dataloader.dataset.pipeline
             if t['type'] not in ('LoadImage', 'PackPoseInputs')]
    pipeline = _pipeline(steps)
    rng = np.random.default_rng(0)
    np.random.seed(0)
    rotated = 0
    for _ in range(6):
        sample = _synthetic_sample(rng)
        res = pipeline(sample)
        hm = res['heatmaps']
        assert hm.shape == (16, 64, 64)
        rotated += res['bbox_rotation'][0] != 0
        assert abs(res['bbox_rotation'][0]) <= 60
        # colour: one U(0.6, 1.4) factor per channel
        f = res['channel_scale']
        assert f.shape == (3, ) and (f >= 0.6).all() and (f <= 1.4).all()
        # targets: the official drawGaussian on the pixel holding each joint
        # (corner-based heatmap coordinate u = (x + 0.5) / 4, 0-based pixel
        # trunc(u + 1e-4)); the missing joint has an all-zero map
        xy = res['transformed_keypoints'][0]
        vis = res['keypoints_visible'][0]
        assert vis[9] == 0 or res['flip']
        for k in range(16):
            if vis[k] == 0:
                assert not hm[k].any()
                continue
            u = (xy[k].astype(np.float64) + 0.5) / 4
            pixel = np.trunc(u + 1e-4).astype(int)
            np.testing.assert_allclose(
                hm[k], official_hourglass_target(tuple(pixel)), rtol=1e-6,
                atol=1e-7)
    assert 0 < rotated < 6
