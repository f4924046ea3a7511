"""tools/browse_dataset.py on the quickstart configs (synthetic data)."""
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]



def _cfg(name, phase):
    cfg = Config.fromfile(str(REPO / f'configs/quickstart/{name}.py'))
    ds = cfg[f'{phase}_dataloader'].dataset
    for d in (ds, ds.get('fit'), ds.get('test')):
        if d is not None and 'num_samples' in d:
            d.num_samples = 6
    return cfg


# (config, phase, height, width): panels at 2x the input, 4-px separators
CASES = [('hourglass_synthetic', 'train', 256, 256 + 4 + 256),  # + heatmaps
         ('hourglass_synthetic', 'val', 256, 256),  # no targets at val
         # + paf_panel: maps | PAFs (2-px separator), at 2x
         ('openpose_synthetic', 'train', 256, 256 + 4 + 2 * (2 * 128 + 2)),
         ('fse_synthetic', 'train', 128, 128 + 4 + 2 * 128)]  # + x1 | x2


@pytest.mark.parametrize('name,phase,height,width', CASES)
def test_browse_writes_one_picture_per_sample(load_tool, tmp_path, name,
                                              phase, height, width):
    tool = load_tool('tools/browse_dataset.py')
    paths = tool.main([str(REPO / f'configs/quickstart/{name}.py'),
                       '--phase', phase, '--n', '3', '--out-dir',
                       str(tmp_path), '--cfg-options',
                       f'{phase}_dataloader.dataset.num_samples=6']
                      if name != 'fse_synthetic' else
                      [str(REPO / f'configs/quickstart/{name}.py'),
                       '--n', '3', '--out-dir', str(tmp_path)])
    assert len(paths) == 3 and len(list(tmp_path.glob('*.png'))) == 3
    img = cv2.imread(paths[0])
    assert img.shape[:2] == (height, width)


def test_keypoints_are_drawn_where_the_targets_are(load_tool):
    tool = load_tool('tools/browse_dataset.py')
    cfg = _cfg('hourglass_synthetic', 'train')
    from mmengine.registry import init_default_scope
    from kp_ext.registry import DATASETS
    init_default_scope('kp_ext')
    ds_cfg = cfg.train_dataloader.dataset
    tool._pack_transformed(ds_cfg.pipeline)
    dataset = DATASETS.build(ds_cfg)
    item = dataset[0]
    sample = item['data_samples']
    kpts = sample.gt_instances.transformed_keypoints[0]
    vis = np.asarray(sample.gt_instances.keypoints_visible[0]) > 0
    heatmaps = np.asarray(sample.gt_fields.heatmaps)
    # oracle: each visible keypoint's target peak is at keypoint / stride
    stride = 128 / heatmaps.shape[-1]
    for k in np.flatnonzero(vis):
        y, x = np.unravel_index(heatmaps[k].argmax(), heatmaps[k].shape)
        assert abs(x * stride - kpts[k, 0]) <= stride
        assert abs(y * stride - kpts[k, 1]) <= stride
    drawn = tool.render_sample(item, dataset.metainfo, scale=2.0)
    plain = cv2.resize(tool.tensor_to_image(item['inputs'], 'bgr'),
                       (256, 256), interpolation=cv2.INTER_NEAREST)
    left = drawn[:, :256].astype(int)
    for k in np.flatnonzero(vis):
        x, y = np.round(kpts[k] * 2 + 0.5).astype(int)
        if 2 <= x < 254 and 2 <= y < 254:
            assert np.abs(left[y, x] - plain[y, x]).sum() > 0, k


def test_missing_dataset_stops_with_the_docs_section(load_tool, tmp_path):
    tool = load_tool('tools/browse_dataset.py')
    with pytest.raises(SystemExit) as err:
        tool.main([str(REPO / 'configs/hourglass_mpii.py'),
                   '--cfg-options', f'train_dataloader.dataset.data_root='
                   f'{tmp_path}/'])
    assert 'docs/DATASETS.md#mpii' in str(err.value.code)
