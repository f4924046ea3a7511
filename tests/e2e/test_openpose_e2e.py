"""OpenPose end to end: every config builds, trains a few iterations,
evaluates COCO AP and draws (tiny models, tiny inputs, CPU).

COCO configs run on ../shared/data/coco_mini (skipped when absent); the
quickstart runs on synthetic crowds through tools/quickstart_openpose.py.
"""
import copy
import importlib.util
import math
import os.path as osp
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO, shared_data

PAPER_CONFIG = 'configs/openpose_coco.py'
COCO_CONFIGS = [PAPER_CONFIG,
                'configs/openpose/openpose_kpext_coco.py',
                'configs/openpose/openpose2019_coco.py',
                'configs/openpose/hourglass_paf_coco.py']


def _load_tool():
    path = REPO / 'tools' / 'quickstart_openpose.py'
    spec = importlib.util.spec_from_file_location('quickstart_openpose', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _arch(head):
    """'2017', '2019' or None: the network the head config builds."""
    import kp_ext.models  # noqa: F401  (registers the heads)
    from kp_ext.registry import MODELS
    return MODELS.get(head.type).arch


def _walk(obj, fn):
    if isinstance(obj, dict):
        fn(obj)
        for v in obj.values():
            _walk(v, fn)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _walk(v, fn)


def _shrink(cfg, input_size, heatmap_size):
    """Set every codec / bottom-up transform to a small input size."""

    def fn(d):
        if d.get('type') == 'PartAffinityField':
            d['input_size'] = input_size
            d['heatmap_size'] = heatmap_size
        elif d.get('type') in ('BottomupRandomAffine', 'BottomupResize',
                               'PersonCentredRandomAffine'):
            d['input_size'] = input_size

    for key in ('model', 'train_dataloader', 'val_dataloader',
                'test_dataloader'):
        _walk(cfg[key], fn)
    # the MATLAB test procedure (paper config): scale0 = input height /
    # image height instead of 368 / image height
    test_cfg = cfg.model.get('test_cfg', {})
    for key in ('multiscale_base_height', 'multiscale_pad_height'):
        if key in test_cfg:
            test_cfg[key] = input_size[1]


def _tiny_model(cfg):
    head = cfg.model.head
    if _arch(head) is None:  # hourglass predicts 2L + K maps
        cfg.model.backbone.update(num_stacks=2, num_channels=16, depth=3)
        head.num_stages = 2
        return (128, 128), (32, 32)
    cfg.model.backbone = dict(type='OpenPoseVGG',
                              widths=(8, 8, 16, 16, 16, 16),
                              num_convs=(1, 1, 1, 1),
                              norm_cfg=dict(type='BN'))
    head.in_channels = 16
    head.stage_channels = 8
    head.mid_channels = 16
    if _arch(head) == '2017':
        head.num_stages = 2
    else:
        head.update(num_paf_stages=2, num_cm_stages=1, num_dense_blocks=1)
    return (128, 128), (16, 16)


def _coco_cfg(path, work_dir):
    root = shared_data('coco_mini')
    cfg = Config.fromfile(str(REPO / path))
    sizes = _tiny_model(cfg)
    _shrink(cfg, *sizes)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg[key]
        dl.update(batch_size=2, num_workers=0, persistent_workers=False,
                  sampler=dict(type='DefaultSampler', shuffle=False))
        dl.dataset.update(
            data_root=str(root) + '/',
            ann_file='annotations/person_keypoints_train2017.json',
            data_prefix=dict(img='train2017/'), indices=4)
    cfg.val_evaluator = dict(type='CocoKeypointMetric', ann_file=None,
                             score_mode='bbox')
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    cfg.param_scheduler = []
    cfg.log_processor = dict(type='LogProcessor', by_epoch=True)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.visualization = dict(
        type='PoseVisualizationHook', enable=True, out_dir='vis',
        kpt_thr=0.0)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=0)
    return cfg


@pytest.mark.parametrize('path', COCO_CONFIGS)
def test_coco_config_builds_and_has_its_settings(path):
    cfg = Config.fromfile(str(REPO / path))
    assert cfg.default_scope == 'kp_ext'
    init_default_scope('kp_ext')
    from kp_ext.registry import KEYPOINT_CODECS, MODELS
    codec = KEYPOINT_CODECS.build(copy.deepcopy(cfg.model.head.decoder))
    stride = codec.input_size[0] / codec.heatmap_size[0]
    if _arch(cfg.model.head) is None:
        assert stride == 4
        assert cfg.model.backbone.out_channels == \
            2 * codec.num_limbs + codec.num_keypoints
    else:
        assert tuple(codec.input_size) == (368, 368) and stride == 8
    assert cfg.train_dataloader.dataset.data_mode == 'bottomup'
    names = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    crop = 'PersonCentredRandomAffine' if path == PAPER_CONFIG \
        else 'BottomupRandomAffine'
    assert names.index('GenerateInvalidMask') < names.index('RandomFlip') < \
        names.index(crop) < names.index('GenerateTarget')
    flip = cfg.train_dataloader.dataset.pipeline[names.index('RandomFlip')]
    assert 'invalid_mask' in flip['mask_keys']
    resize = [t for t in cfg.val_dataloader.dataset.pipeline
              if t['type'] == 'BottomupResize'][0]
    f = resize['size_factor']
    assert all(s % f == 0 for s in resize['input_size'])
    assert tuple(resize['input_size']) == tuple(codec.input_size)
    if path == PAPER_CONFIG:
        assert (codec.num_keypoints, codec.num_limbs) == (18, 19)
        assert not cfg.model.test_cfg.flip_test
        assert resize['resize_mode'] == 'none'
        assert cfg.model.test_cfg.multiscale_resolution == 'image'
    else:
        assert (codec.num_keypoints, codec.num_limbs) == (17, 29)
        assert cfg.model.test_cfg.flip_test
    # the full-size model builds (no weights are fetched here)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.pop('init_cfg', None)
    if _arch(cfg.model.head) == '2019':
        assert model_cfg.head.num_paf_stages == 5
    model = MODELS.build(model_cfg)
    assert model.head.num_limbs == codec.num_limbs


@pytest.mark.parametrize('path', COCO_CONFIGS)
def test_coco_config_trains_evaluates_and_draws(path, tmp_path):
    from mmengine.runner import Runner
    cfg = _coco_cfg(path, tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hist = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(hist) >= 2 and all(math.isfinite(v) for v in hist)
    metrics = runner.test()
    assert 'coco/AP' in metrics
    assert -1.0 <= metrics['coco/AP'] <= 1.0
    pics = list(Path(tmp_path).rglob('vis_test_*.png'))
    assert len(pics) == 4
    panels = _load_tool().draw_panels(runner, cfg, str(tmp_path / 'paf'), 1)
    assert len(panels) == 1 and osp.getsize(panels[0]) > 0


def test_coco_crowds_are_masked_in_targets():
    """A coco_mini image with a crowd: the crowd region is 0 in the loss
    mask after flip + affine, and the PAF targets stay finite."""
    root = shared_data('coco_mini')
    init_default_scope('kp_ext')
    from kp_ext.registry import DATASETS
    codec = dict(type='PartAffinityField', input_size=(368, 368),
                 heatmap_size=(46, 46))
    pipeline = [
        dict(type='LoadImage'),
        dict(type='GenerateInvalidMask'),
        dict(type='RandomFlip', prob=1.0, mask_keys=['invalid_mask']),
        dict(type='BottomupRandomAffine', input_size=(368, 368),
             shift_factor=0., scale_factor=(1., 1.), rotate_factor=0.,
             scale_type='long'),
        dict(type='GenerateTarget', encoder=codec),
        dict(type='PackPoseInputs'),
    ]
    ds = DATASETS.build(dict(
        type='CocoDataset', data_root=str(root) + '/', data_mode='bottomup',
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/'), pipeline=pipeline))
    with_crowd = [i for i in range(len(ds))
                  if (ds.get_data_info(i)['invalid_iscrowd'] == 1).any()]
    assert with_crowd, 'coco_mini has crowd annotations'
    out = ds[with_crowd[0]]
    fields = out['data_samples'].gt_fields
    mask = fields.heatmap_mask.numpy()
    assert 0 < (mask == 0).sum() < mask.size
    assert np.isfinite(fields.pafs.numpy()).all()
    assert fields.heatmaps.max() > 0.5


def test_quickstart_tool_small_run(tmp_path, capsys):
    tool = _load_tool()
    opts = [
        'train_dataloader.dataset.num_samples=8',
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.dataset.num_samples=4', 'val_dataloader.batch_size=4',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.dataset.num_samples=4',
        'test_dataloader.batch_size=4', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False', 'param_scheduler=[]',
        'default_hooks.logger.interval=1'
    ]
    res = tool.main(['--work-dir', str(tmp_path / 'qs'), '--max-epochs', '1',
                     '--num-panels', '2', '--cfg-options', *opts])
    assert 'coco/AP' in res['metrics']
    assert len(res['pictures']) == 4
    assert len(res['panels']) == 2
    assert all(osp.getsize(p) > 0 for p in res['panels'])
    assert res['checkpoint'] and osp.exists(res['checkpoint'])
    # it ends with the tools/infer.py command for its checkpoint
    out = capsys.readouterr().out
    assert f"tools/infer.py {tmp_path / 'qs' / 'infer_config.py'} " \
        f"{res['checkpoint']}" in out
    # what the checkpoint was trained on, and the thread rule (issue 23)
    assert ('trained on synthetic crowds of people (SyntheticCrowdDataset) '
            'only: expect poor results on real photos; train '
            'configs/openpose_coco.py (COCO) for real images') in out
    assert 'threads    : ' in out and 'torch thread(s)' in out
    # the run header, not mmengine's config dump
    assert 'kp_ext train: ' in out and 'Config:' not in out
