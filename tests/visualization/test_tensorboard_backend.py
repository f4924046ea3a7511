"""TensorBoard logging switched on in a config (``visualizer.vis_backends``
with mmengine's ``TensorboardVisBackend``): training scalars, validation
metrics and the validation pictures reach the event file.

tensorboard is optional (not installed by scripts/install.sh); the test
skips with the reason when it is absent."""
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from conftest import REPO

tb = pytest.importorskip(
    'tensorboard',
    reason='tensorboard is not installed (optional: pip install tensorboard)')


@pytest.mark.slow
def test_tensorboard_backend_gets_scalars_metrics_and_images(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    cfg = Config.fromfile(str(REPO / 'configs/quickstart/'
                                     'hourglass_synthetic.py'))
    cfg.work_dir = str(tmp_path)
    # what docs/README tell users to write in their config
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend'),
                                   dict(type='TensorboardVisBackend')]
    cfg.model.backbone.num_channels = 16
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.visualization = dict(type='PoseVisualizationHook',
                                           enable=True, interval=1)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.train_dataloader.update(batch_size=4, num_workers=0,
                                persistent_workers=False)
    cfg.train_dataloader.dataset.num_samples = 8
    cfg.val_dataloader.update(batch_size=4, num_workers=0,
                              persistent_workers=False)
    cfg.val_dataloader.dataset.num_samples = 4
    runner = Runner.from_cfg(cfg)
    runner.train()
    events = list((tmp_path).glob('*/vis_data/events.out.tfevents.*'))
    assert len(events) == 1, list(tmp_path.rglob('*'))
    acc = EventAccumulator(str(events[0].parent),
                           size_guidance={'images': 0, 'scalars': 0})
    acc.Reload()
    scalars = acc.Tags()['scalars']
    assert {'loss', 'lr', 'PCK', 'coco/AP'} <= set(scalars), scalars
    assert len(acc.Scalars('loss')) == 2  # 2 iterations, logged each
    assert 'val_img' in acc.Tags()['images']
