"""configs/openpose_coco.py reproduces the OpenPose paper / its official
code (ZheC/Realtime_Multi-Person_Pose_Estimation): settings, optimiser
groups, and one tiny train step + prediction on synthetic crowds."""
import copy
from collections import Counter

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from conftest import REPO

CFG = REPO / 'configs' / 'openpose_coco.py'


def _cfg():
    init_default_scope('kp_ext')
    return Config.fromfile(str(CFG))


def test_paper_config_settings_and_lr_multipliers():
    from kp_ext.registry import MODELS
    cfg = _cfg()
    codec = cfg.model.head.decoder
    assert codec.body_model == 'coco_openpose18.py' and codec.with_background
    assert codec.matching == 'greedy' and codec.min_parts == 3
    assert codec.min_score_per_part == 0.2
    resize = cfg.val_dataloader.dataset.pipeline[1]
    assert resize.type == 'BottomupResize' and resize.resize_mode == 'none'
    assert resize.input_size[1] == 368
    crop = [t for t in cfg.train_dataloader.dataset.pipeline
            if t.type == 'PersonCentredRandomAffine'][0]
    assert (crop.target_dist, tuple(crop.scale_range), crop.rotate_factor,
            crop.center_shift) == (0.6, (0.5, 1.1), 40, 40)
    assert cfg.model.head.loss == dict(type='PAFLoss', reduction='caffe')
    assert cfg.train_cfg.max_iters == 600000
    assert cfg.param_scheduler[0].milestones[0] == 136106
    assert cfg.train_dataloader.batch_size == 10
    # the paper's 6-stage layout with tiny widths (same parameter names)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone = dict(type='OpenPoseVGG', widths=(4, 4, 8, 8, 8, 8),
                              num_convs=(2, 2, 4, 2))
    model_cfg.head.update(in_channels=8, stage_channels=4, mid_channels=8)
    model = MODELS.build(model_cfg)
    head = model.head
    assert (head.num_keypoints, head.num_limbs, head.cm_channels,
            head.paf_channels) == (18, 19, 19, 38)
    assert head.num_stages == 6
    # lr_mult_distro = [1, 1, 4], biases x2 without decay
    ow = build_optim_wrapper(model, cfg.optim_wrapper)
    assert isinstance(ow.optimizer, torch.optim.SGD)
    names = {id(p): n for n, p in model.named_parameters()}
    groups = Counter()
    for g in ow.optimizer.param_groups:
        for p in g['params']:
            n = names[id(p)]
            part = ('refine' if n.startswith('head.') and
                    '_stages.0.' not in n else 'vgg+stage1')
            kind = 'bias' if n.endswith('bias') else 'weight'
            groups[(part, kind, round(g['lr'] / 4e-5, 6),
                    round(g['weight_decay'] / 5e-4, 6))] += 1
    assert set(groups) == {('vgg+stage1', 'weight', 1, 1),
                           ('vgg+stage1', 'bias', 2, 0),
                           ('refine', 'weight', 4, 1),
                           ('refine', 'bias', 8, 0)}
    assert groups[('refine', 'weight', 4, 1)] == 5 * 2 * 7
    assert ow.optimizer.defaults['momentum'] == 0.9


def test_paper_config_tests_as_the_matlab_evaluation():
    """The paper config's test procedure is TEST_PROCEDURES['matlab_eval']
    (ZheC testing/evalCOCO.m + applyModel.m + the latest
    connect56LineVec.m), value by value; the Python demo's procedure keeps
    its name."""
    from kp_ext.codecs.part_affinity_field import TEST_PROCEDURES
    cfg = _cfg()
    proc = TEST_PROCEDURES['matlab_eval']
    codec = cfg.model.head.decoder
    for key, value in proc['decode'].items():
        assert codec[key] == value, key
    assert cfg.model.test_cfg == proc['test_cfg']
    resize = cfg.val_dataloader.dataset.pipeline[1]
    for key, value in proc['val_resize'].items():
        assert resize[key] == value, key
    # the values of the files (testing/config.m:48-50, evalCOCO.m:18,
    # connect56LineVec.m:253, evalCOCO.m:61-62)
    assert cfg.model.test_cfg.multiscale_test == [0.5, 1.0, 1.5, 2.0]
    assert cfg.model.test_cfg.multiscale_base_height == 368
    assert (codec.peak_threshold, codec.paf_threshold) == (0.1, 0.05)
    assert (codec.min_parts, codec.min_score_per_part) == (3, 0.2)
    assert (codec.peak_rule, codec.peak_suppress_radius,
            codec.smooth_sigma) == ('cross4', 6.0, 0.0)
    assert codec.keypoint_offset == 0.5
    demo = TEST_PROCEDURES['python_demo']
    assert (demo['decode']['min_parts'], demo['decode']['min_score_per_part'],
            demo['decode']['smooth_sigma']) == (4, 0.4, 3.0)
    assert demo['test_cfg']['multiscale_resolution'] == 'input'


def test_paper_config_one_train_step_and_predict_on_synthetic_crowds():
    from kp_ext.registry import DATASETS, MODELS
    cfg = _cfg()
    size, maps = (64, 64), (8, 8)

    def shrink(pipeline):
        for t in pipeline:
            if 'input_size' in t:
                t.input_size = size
            if t.get('type') == 'GenerateTarget':
                t.encoder.update(input_size=size, heatmap_size=maps)
            if t.get('type') == 'PersonCentredRandomAffine':
                t.min_area = 16
        return pipeline

    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone = dict(type='OpenPoseVGG', widths=(4, 4, 8, 8, 8, 8),
                              num_convs=(1, 1, 1, 1))
    model_cfg.head.update(in_channels=8, num_stages=2, stage_channels=4,
                          mid_channels=8)
    model_cfg.head.decoder.update(input_size=size, heatmap_size=maps)
    # the MATLAB test procedure at the tiny size: scale0 = 64 / height
    model_cfg.test_cfg.update(multiscale_base_height=64,
                              multiscale_pad_height=64)
    torch.manual_seed(0)
    np.random.seed(0)
    model = MODELS.build(model_cfg)
    crowd = dict(type='SyntheticCrowdDataset', num_samples=2,
                 img_size=(96, 96), num_people=(2, 3))
    train = DATASETS.build(dict(
        crowd, pipeline=shrink(copy.deepcopy(cfg.train_pipeline))))
    batch = pseudo_collate([train[0], train[1]])
    gt = batch['data_samples'][0].gt_fields
    assert gt.heatmaps.shape == (19, 8, 8) and gt.pafs.shape == (38, 8, 8)
    ow = build_optim_wrapper(model, cfg.optim_wrapper)
    losses = model.train_step(batch, ow)
    assert set(losses) >= {'loss_paf', 'loss_heatmap'}
    assert all(torch.isfinite(v) for v in losses.values())

    model.eval()
    val = DATASETS.build(dict(crowd, test_mode=True, seed=1,
                              pipeline=shrink(
                                  copy.deepcopy(cfg.val_pipeline))))
    out = model.test_step(pseudo_collate([val[0]]))[0]
    # the input is the 96x96 image itself; grouped at its resolution
    assert tuple(out.metainfo['img_shape']) == (96, 96)
    assert out.metainfo['batch_input_shape'] == (96, 96)
    inst = out.pred_instances
    assert inst.keypoints.ndim == 3 and inst.keypoints.shape[1:] == (17, 2)
    assert inst.keypoint_scores.shape[1:] == (17, )
