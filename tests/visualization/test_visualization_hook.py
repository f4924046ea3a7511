from types import SimpleNamespace

import mmcv
import numpy as np
import torch
from mmengine.structures import InstanceData

from kp_ext.registry import HOOKS
from kp_ext.structures import PoseDataSample
from kp_ext.visualization import PoseLocalVisualizer

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
META = dict(keypoint_colors=np.array([RED, BLUE]), skeleton_links=[(0, 1)],
            skeleton_link_colors=np.array([GREEN]))


def _runner(tmp_path, name):
    vis = PoseLocalVisualizer.get_instance(name, line_width=3, radius=3)
    ev = SimpleNamespace(dataset_meta=META)
    return SimpleNamespace(work_dir=str(tmp_path), timestamp='20240101_000000',
                           iter=0, log_dir=str(tmp_path / 'log'),
                           val_evaluator=ev, test_evaluator=ev,
                           visualizer=vis)


def _sample(img_path, kpts, **meta):
    ds = PoseDataSample(metainfo=dict(img_path=img_path, img_id=3, **meta))
    ds.pred_instances = InstanceData(
        keypoints=np.asarray(kpts, np.float32)[None],
        keypoint_scores=np.ones((1, len(kpts)), np.float32))
    return ds


def test_hook_draws_real_file_on_test(tmp_path):
    img_path = tmp_path / 'person.jpg'
    mmcv.imwrite(np.full((60, 90, 3), 40, np.uint8), str(img_path))
    runner = _runner(tmp_path, 'hook_vis_file')
    hook = HOOKS.build(dict(type='PoseVisualizationHook', enable=True,
                            out_dir='vis'))
    outputs = [_sample(str(img_path), [[10, 30], [70, 30]]),
               _sample(str(img_path), [[10, 10], [70, 10]])]
    hook.after_test_iter(runner, 0, dict(inputs=None), outputs)
    out_dir = tmp_path / '20240101_000000' / 'vis'
    files = sorted(out_dir.glob('vis_test_person_*.png'))
    assert len(files) == 2
    drawn = mmcv.imread(str(files[0]), channel_order='rgb')
    assert drawn.shape == (60, 90, 3)
    assert tuple(drawn[30, 40]) == GREEN
    assert tuple(drawn[10, 40]) != GREEN   # that is the second sample
    drawn = mmcv.imread(str(files[1]), channel_order='rgb')
    assert tuple(drawn[10, 40]) == GREEN


def test_hook_synthetic_draws_on_input_crop(tmp_path):
    runner = _runner(tmp_path, 'hook_vis_synth')
    hook = HOOKS.build(dict(type='PoseVisualizationHook', enable=True,
                            out_dir='vis', draw_heatmap=True))
    # crop of the image box centred (200, 100), 128 px wide -> 64 px input
    meta = dict(input_center=np.array([200., 100.]),
                input_scale=np.array([128., 128.]), input_size=(64, 64))
    ds = _sample('synthetic://set/000017', [[168, 100], [232, 100]], **meta)
    from mmengine.structures import PixelData
    ds.pred_fields = PixelData(heatmaps=torch.rand(2, 16, 16))
    inputs = [torch.zeros(3, 64, 64, dtype=torch.uint8)]
    inputs[0][0] = 200   # BGR: blue channel -> drawn image has blue 200
    hook.after_test_iter(runner, 0, dict(inputs=inputs), [ds])
    files = list((tmp_path / '20240101_000000' / 'vis').glob('*.png'))
    assert len(files) == 1 and files[0].name == 'vis_test_000017_1.png'
    drawn = mmcv.imread(str(files[0]), channel_order='rgb')
    assert drawn.shape == (128, 64, 3)          # crop + heatmap panel
    # keypoints map to crop (16, 32) and (48, 32): link midpoint (32, 32)
    assert tuple(drawn[32, 32]) == GREEN
    assert tuple(drawn[32, 16]) == RED
    assert tuple(drawn[5, 5]) == (0, 0, 200)
    # the data sample itself is not modified
    assert ds.pred_instances.keypoints[0, 0, 0] == 168


def test_hook_val_interval_and_enable(tmp_path):
    runner = _runner(tmp_path, 'hook_vis_val')
    ds = _sample('synthetic://x/1', [[1, 1], [5, 5]])
    batch = dict(inputs=[torch.zeros(3, 8, 8, dtype=torch.uint8)])
    off = HOOKS.build(dict(type='PoseVisualizationHook', out_dir='off'))
    off.after_val_iter(runner, 0, batch, [ds])
    off.after_test_iter(runner, 0, batch, [ds])
    assert not (tmp_path / '20240101_000000' / 'off').exists()

    hook = HOOKS.build(dict(type='PoseVisualizationHook', enable=True,
                            interval=2, out_dir='val'))
    for i in range(5):
        hook.after_val_iter(runner, i, batch, [ds])
    files = sorted(p.name for p in
                   (tmp_path / '20240101_000000' / 'val').glob('*.png'))
    assert files == ['vis_val_1_0.png', 'vis_val_1_2.png', 'vis_val_1_4.png']


def test_hook_without_out_dir_uses_vis_backend(tmp_path):
    vis = PoseLocalVisualizer.get_instance(
        'hook_vis_backend', vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path / 'log'))
    runner = _runner(tmp_path, 'hook_vis_backend_unused')
    runner.visualizer = vis
    hook = HOOKS.build(dict(type='PoseVisualizationHook', enable=True,
                            interval=1))
    ds = _sample('synthetic://x/1', [[1, 1], [5, 5]])
    hook.after_val_iter(runner, 3, dict(
        inputs=[torch.zeros(3, 8, 8, dtype=torch.uint8)]), [ds])
    files = list((tmp_path / 'log').rglob('*.png'))
    assert len(files) == 1 and files[0].name.startswith('val_img')
