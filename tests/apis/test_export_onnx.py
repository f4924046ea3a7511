"""tools/export_onnx.py: every network kind exports with a dynamic batch
axis, onnxruntime (CPU) matches PyTorch, and the numpy decode / grouping on
the onnxruntime maps gives the PyTorch path's keypoints."""

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from conftest import REPO
from tiny_models import load_script, people_image, trained

onnx = pytest.importorskip(
    'onnx', reason='needs onnx (scripts/install.sh installs it)')
pytest.importorskip(
    'onnxruntime', reason='needs onnxruntime (scripts/install.sh installs it)')

pytestmark = pytest.mark.slow


def _loose_paf(tmp_path):
    """The tiny trained 2019 PAF model with thresholds low enough that its
    barely trained maps yield people (so the grouping is compared)."""
    config, ckpt = trained('bottomup')
    cfg = Config.fromfile(config)
    cfg.model.head.decoder.update(peak_threshold=-1.0, paf_threshold=-1.0,
                                  min_mean_score=-1.0, min_parts=3)
    path = str(tmp_path / 'loose_paf.py')
    cfg.dump(path)
    return [path, ckpt]


def _tiny_openpose2017(tmp_path):
    """configs/openpose_coco.py (the 2017 paper net: VGG + 6 two-branch
    stages) shrunk, random weights."""
    cfg = Config.fromfile(str(REPO / 'configs/openpose_coco.py'))
    cfg.model.backbone = dict(type='OpenPoseVGG',
                              widths=(8, 8, 16, 16, 16, 16),
                              num_convs=(1, 1, 1, 1))
    cfg.model.head.update(in_channels=16, stage_channels=8, mid_channels=16,
                          num_stages=2)
    cfg.model.head.decoder.update(input_size=(64, 64), heatmap_size=(8, 8))
    for t in cfg.test_dataloader.dataset.pipeline:
        if t['type'] == 'BottomupResize':
            t['input_size'] = (64, 64)
    path = str(tmp_path / 'tiny_openpose2017.py')
    cfg.dump(path)
    return [path]


CASES = dict(
    hourglass=lambda tmp: list(trained('topdown')),
    openpose2019=_loose_paf,
    openpose2017=_tiny_openpose2017,
    fse=lambda tmp: list(trained('landmarks')),
)


@pytest.mark.parametrize('case', sorted(CASES))
def test_export_matches_pytorch_end_to_end(tmp_path, case, capsys):
    args = CASES[case](tmp_path)
    image = str(tmp_path / 'people.png')
    cv2.imwrite(image, people_image(96, 80))
    out = str(tmp_path / f'{case}.onnx')
    tool = load_script('tools/export_onnx.py')
    res = tool.main(args + ['--out', out, '--image', image])
    assert res['ok']
    assert max(res['map_diff'].values()) < 1e-4
    assert res['kpt_diff'] < 1e-2
    n_torch, n_ort = res['num_instances']
    assert n_torch == n_ort
    if case != 'openpose2017':  # random weights may find nobody
        assert n_torch >= 1
    # the batch axis is dynamic in the saved graph
    graph = onnx.load(out).graph
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == 'batch'
    text = capsys.readouterr().out
    assert 'max abs difference' in text and 'OK' in text


def test_mismatch_is_reported(tmp_path, monkeypatch):
    """A tolerance below the float error fails the check (the check can
    fail)."""
    config, ckpt = trained('landmarks')
    image = str(tmp_path / 'people.png')
    cv2.imwrite(image, people_image(64, 64))
    tool = load_script('tools/export_onnx.py')
    res = tool.main([config, ckpt, '--out', str(tmp_path / 'm.onnx'),
                        '--image', image, '--atol', '0', '--kpt-atol', '0'])
    exact = max(res['map_diff'].values()) == 0 and res['kpt_diff'] == 0
    assert res['ok'] == exact
    assert np.isfinite(res['kpt_diff'])
