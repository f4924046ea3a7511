"""The real-time bottom-up configs (issue 22) build from the registry;
the COCO one keeps the kp_ext variant's codec (so its ground-truth codec
oracle is that config's), the quickstart its sibling's data and codec at
stride 4."""
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO = Path(__file__).resolve().parents[2]
COCO = REPO / 'configs/openpose/openpose_realtime_coco.py'
QUICK = REPO / 'configs/quickstart/openpose_realtime_synthetic.py'


def _build(cfg):
    import kp_ext.models  # noqa: F401
    from kp_ext.registry import MODELS
    init_default_scope('kp_ext')
    return MODELS.build(cfg.model).eval()


def test_coco_config_network_and_codec():
    from kp_ext.models.backbones import DilatedSeparableNet
    from kp_ext.models.heads import LightPAFHead
    cfg = Config.fromfile(str(COCO))
    variant = Config.fromfile(str(REPO /
                                  'configs/openpose/openpose_kpext_coco.py'))
    # same codec, body model, data and evaluation as the kp_ext variant
    assert cfg.model.head.decoder == variant.model.head.decoder
    assert cfg.codec == variant.codec
    assert cfg.val_pipeline == variant.val_pipeline
    assert cfg.train_pipeline == variant.train_pipeline
    assert cfg.model.test_cfg.flip_test is False  # one pass: real time
    model = _build(cfg)
    assert isinstance(model.backbone, DilatedSeparableNet)
    assert isinstance(model.head, LightPAFHead)
    assert model.backbone.stride == 8
    n = sum(p.numel() for p in model.parameters())
    assert n == 318_016 + 220_438  # the unit tests' hand counts
    with torch.no_grad():
        pafs, cms = model.head(model.backbone(torch.randn(1, 3, 368, 368)))
    assert pafs[-1].shape == (1, 58, 46, 46) and cms[-1].shape == \
        (1, 17, 46, 46)


def test_quickstart_config_stride_4_maps_match_its_codec():
    cfg = Config.fromfile(str(QUICK))
    sibling = Config.fromfile(str(REPO /
                                  'configs/quickstart/openpose_synthetic.py'))
    assert cfg.codec == sibling.codec
    assert cfg.model.head.decoder == sibling.codec
    # the same crowds and augmentation; its own batch size and schedule
    assert cfg.train_dataloader.dataset == sibling.train_dataloader.dataset
    assert cfg.val_dataloader == sibling.val_dataloader
    assert cfg.val_evaluator == sibling.val_evaluator
    model = _build(cfg)
    assert model.backbone.stride == 4
    w, h = cfg.codec.heatmap_size
    with torch.no_grad():
        pafs, cms = model.head(model.backbone(torch.randn(2, 3, 128, 128)))
    assert pafs[-1].shape == (2, 2 * model.head.num_limbs, h, w)
    assert cms[-1].shape == (2, 17, h, w)
