"""configs/fse/fse_paper_celeba.py: builds (model + metric) and takes one
training step on generated CelebA / MAFL-format data."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import kp_ext  # noqa: F401
from conftest import REPO
from kp_ext.registry import DATASETS, METRICS, MODELS
from tests.datasets.test_celeba_mafl_dataset import make_celeba

CONFIG = REPO / 'configs/fse/fse_paper_celeba.py'


def _build(cfg):
    with DefaultScope.overwrite_default_scope('kp_ext'):
        return MODELS.build(cfg.model), METRICS.build(cfg.test_evaluator)


def test_paper_config_builds():
    cfg = Config.fromfile(str(CONFIG))
    model, metric = _build(cfg)
    # the paper's net, losses and protocol
    assert model.backbone.arch == 'paper'
    assert model.head.num_keypoints == 30
    assert model.head.loss_equivariance.mode == 'probabilistic'
    assert model.head.loss_diversity.mode == 'linear'
    assert metric.protocol == 'mafl' and metric.bias is False
    assert cfg.train_dataloader.dataset.split == 'celeba_train'
    assert cfg.test_dataloader.dataset.fit.split == 'mafl_train'
    assert cfg.test_dataloader.dataset.test.split == 'mafl_test'
    assert 'save_best' not in cfg.default_hooks.checkpoint
    assert not any(h['type'] == 'PersistentEMAHook'
                   for h in cfg.custom_hooks)


@pytest.mark.slow
def test_paper_config_trains_one_step(tmp_path):
    """One optimiser step of the paper net (1.9 GMAC per image: ~16 s on a
    shared CPU, hence slow) on generated CelebA-format images."""
    cfg = Config.fromfile(str(CONFIG))
    model, _ = _build(cfg)
    root = str(make_celeba(tmp_path / 'celeba')) + '/'
    with DefaultScope.overwrite_default_scope('kp_ext'):
        ds = DATASETS.build(dict(cfg.train_dataloader.dataset,
                                 data_root=root))
        items = [ds[i] for i in range(2)]
    assert tuple(items[0]['inputs'].shape) == (3, 100, 100)
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = model.data_preprocessor(
        dict(inputs=[it['inputs'] for it in items],
             data_samples=[it['data_samples'] for it in items]), True)
    losses = model(**data, mode='loss')
    assert {'loss_equiv', 'loss_div'} <= set(losses)
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    before = [p.detach().clone() for p in model.parameters()]
    optim.zero_grad()
    total.backward()
    optim.step()
    assert any(not torch.equal(a, p) for a, p in
               zip(before, model.parameters()))
