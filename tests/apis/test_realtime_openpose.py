"""Issue 22 end to end on tiny inputs: the real-time quickstart config
(DilatedSeparableNet + LightPAFHead) trains a few iterations, exports to
ONNX with parity, exports an int8 model that runs; tools/infer.py gives
the same predictions with ``--backend onnxruntime`` as with PyTorch and
with batched frames as with single ones, times its stages, and fails in
one line on a camera it cannot open; benchmarks/inference.py prints the
same-run table against the peer network."""
import functools
import glob
import json
import os.path as osp
import shutil
import tempfile
import time

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from conftest import REPO
from tiny_models import _common, _small_inputs, load_script, people_image

pytestmark = pytest.mark.slow
onnx = pytest.importorskip('onnx', reason='needs onnx')
pytest.importorskip('onnxruntime', reason='needs onnxruntime')

CONFIG = 'configs/quickstart/openpose_realtime_synthetic.py'


def _tiny_cfg(work_dir):
    cfg = Config.fromfile(str(REPO / CONFIG))
    cfg = _common(cfg, work_dir)
    cfg.model.backbone.update(stem_channels=8, arch=((8, 1), (8, 2),
                                                     (8, 1)),
                              dilations=(1, 2), out_channels=8)
    cfg.model.head.update(in_channels=8, stage_channels=8, mid_channels=8,
                          dilations=(1, 2))
    cfg.optim_wrapper.type = 'OptimWrapper'  # bf16 needs no test here
    cfg = _small_inputs(cfg, 4, ('BottomupRandomAffine', 'BottomupResize'))
    # a barely trained net: let its parts group (people to compare)
    cfg.model.head.decoder.update(peak_threshold=-1.0, paf_threshold=-1.0,
                                  min_mean_score=-1.0, min_parts=3)
    return cfg


@functools.lru_cache(maxsize=None)
def _trained():
    """(config, checkpoint) of 2 iterations of the tiny config."""
    work_dir = tempfile.mkdtemp(prefix='kp_ext_tiny_realtime_')
    import atexit
    atexit.register(shutil.rmtree, work_dir, True)
    cfg = _tiny_cfg(work_dir)
    Runner.from_cfg(cfg).train()
    ckpt = sorted(glob.glob(osp.join(work_dir, 'iter_*.pth')))[-1]
    path = osp.join(work_dir, 'tiny_realtime.py')
    cfg.dump(path)
    return path, ckpt


def _clip(path, frames=4, size=(96, 80)):
    """A tiny synthetic clip (benchmarks/video_clip.py)."""
    return load_script('benchmarks/video_clip.py').synthetic_clip(
        str(path), num_frames=frames, size=size, num_people=2, step=2)


def test_trains_and_exports_with_parity(tmp_path, capsys):
    config, ckpt = _trained()
    assert osp.isfile(ckpt)
    image = str(tmp_path / 'people.png')
    cv2.imwrite(image, people_image(96, 80))
    res = load_script('tools/export_onnx.py').main(
        [config, ckpt, '--out', str(tmp_path / 'net.onnx'), '--image',
         image])
    assert res['ok'] and max(res['map_diff'].values()) < 1e-4
    n_torch, n_ort = res['num_instances']
    assert n_torch == n_ort >= 1 and res['kpt_diff'] < 1e-2
    assert 'OK' in capsys.readouterr().out


def test_int8_export_runs_and_is_finite(tmp_path, capsys):
    config, ckpt = _trained()
    out = tmp_path / 'net.onnx'
    res = load_script('tools/export_onnx.py').main(
        [config, ckpt, '--out', str(out), '--int8', '--calib-images', '2'])
    q = res['int8']
    assert q['path'] == str(tmp_path / 'net.int8.onnx')
    assert osp.isfile(q['path']) and q['finite'] and res['ok']
    assert q['calib_images'] == 2
    ops = {n.op_type for n in onnx.load(q['path']).graph.node}
    assert {'QuantizeLinear', 'DequantizeLinear'} <= ops
    text = capsys.readouterr().out
    assert 'int8 model (2 calibration image(s)' in text and 'finite' in text


def _frames(out_dir, stem='clip'):
    lines = (out_dir / 'predictions' / f'{stem}.jsonl').read_text()
    return [json.loads(line) for line in lines.splitlines()]


def _kpts(frame):
    return np.array([i['keypoints'] for i in frame['instances']],
                    np.float64).reshape(len(frame['instances']), -1)


def test_infer_backends_and_batching_agree(tmp_path, capsys):
    config, ckpt = _trained()
    clip = _clip(tmp_path / 'clip.mp4')
    tool = load_script('tools/infer.py')
    runs = dict(torch1=['--batch-size', '1'],
                ort1=['--backend', 'onnxruntime'],
                torch3=['--batch-size', '3'],
                ort3=['--backend', 'onnxruntime', '--batch-size', '3'])
    preds = {}
    for name, extra in runs.items():
        out = tmp_path / name
        assert tool.main([config, ckpt, clip, '--out-dir', str(out),
                          '--threads', '1'] + extra) == 0
        text = capsys.readouterr().out
        assert 'frames/s' in text and 'network' in text and \
            'grouping' in text and 'drawing' in text and 'decode' in text
        preds[name] = _frames(out)
        assert (out / 'vis' / 'clip.mp4').is_file()
    assert (tmp_path / 'ort3' / 'model.onnx').is_file()
    assert [f['frame_index'] for f in preds['ort3']] == [0, 1, 2, 3]
    assert sum(len(f['instances']) for f in preds['torch1']) >= 1
    # x, y (px) and scores, against PyTorch one frame at a time: within
    # tools/export_onnx.py's keypoint tolerance (1e-2 px) but for the
    # rare keypoint on a near-flat map. The maps differ by ~1e-9 (another
    # backend, or the kernels of another batch size); the 2-iteration
    # net's peaks score ~0.01, where the sub-pixel refinement is
    # ill-conditioned: one coordinate of ~2,000 moved by 0.037 px here
    for name in ('ort1', 'torch3', 'ort3'):
        diffs = []
        for a, b in zip(preds['torch1'], preds[name]):
            ka, kb = _kpts(a), _kpts(b)
            assert ka.shape == kb.shape, name
            diffs.append(np.abs(ka - kb).reshape(-1))
        diffs = np.concatenate(diffs)
        assert diffs.max() < 0.1, name
        assert (diffs <= 1e-2).mean() > 0.99, name
    # --max-frames stops early; an exported graph is reused with --onnx
    out = tmp_path / 'reuse'
    assert tool.main([config, ckpt, clip, '--out-dir', str(out), '--threads',
                      '1', '--backend', 'onnxruntime', '--onnx',
                      str(tmp_path / 'ort3' / 'model.onnx'),
                      '--max-frames', '2']) == 0
    assert len(_frames(out)) == 2 and not (out / 'model.onnx').exists()
    # video frames are drawn with OpenCV by default; mmengine's matplotlib
    # drawing on request: the same skeletons on the same pixels
    # (every keypoint drawn: the 2-iteration net's peaks score ~0.01)
    first = {}
    for name, extra in (('cv2', []), ('mpl', ['--draw-backend',
                                              'matplotlib'])):
        assert tool.main([config, ckpt, clip, '--out-dir',
                          str(tmp_path / name), '--threads', '1',
                          '--show-kpt-thr', '0', '--max-frames', '1'] +
                         extra) == 0
    for name, path in (('clip', clip),
                       ('cv2', tmp_path / 'cv2' / 'vis' / 'clip.mp4'),
                       ('mpl', tmp_path / 'mpl' / 'vis' / 'clip.mp4')):
        cap = cv2.VideoCapture(str(path))
        ok, frame = cap.read()
        cap.release()
        assert ok, name
        first[name] = frame.astype(int)

    def changed(a, b):  # pixels whose colour differs beyond mp4 noise
        return np.abs(first[a] - first[b]).max(-1) > 60
    drawn = changed('cv2', 'clip')
    assert drawn.sum() > 50  # the first frame's skeletons
    assert changed('mpl', 'clip').sum() > 50
    assert changed('cv2', 'mpl').sum() < 0.2 * drawn.sum()


def test_webcam_that_cannot_open_fails_in_one_line(tmp_path, capsys):
    from kp_ext.apis import resolve_inputs
    assert resolve_inputs('0')[0].kind == 'camera'
    assert resolve_inputs('/dev/video3')[0].value == '/dev/video3'
    tool = load_script('tools/infer.py')
    for camera in ('99', '/dev/video99'):
        code = tool.main([str(REPO / CONFIG), '--input', camera,
                          '--out-dir', str(tmp_path / 'cam')])
        err = [line for line in capsys.readouterr().err.splitlines()
               if line.startswith('error:')]
        assert code == 2
        assert len(err) == 1 and 'cannot open camera' in err[0] and \
            camera in err[0]


def test_stage_timer_nests_exclusively_and_restores():
    from kp_ext.apis import StageTimer
    timer = StageTimer()
    t0 = time.perf_counter()
    with timer.stage('preprocess'):
        with timer.stage('network'):
            time.sleep(0.02)
    wall = time.perf_counter() - t0
    assert timer.seconds['network'] >= 0.02
    assert timer.seconds['preprocess'] < wall - 0.02 + 1e-3
    assert sum(timer.seconds.values()) == pytest.approx(wall, abs=2e-3)
    timer.frames = 2
    assert 'frames/s' in timer.summary(wall)

    from kp_ext.apis import init_model
    config, ckpt = _trained()
    model = init_model(config, ckpt)
    restore = timer.instrument(model)
    assert 'predict_from_maps' in vars(model.head)
    restore()
    assert 'extract_feat' not in vars(model) and \
        'predict_from_maps' not in vars(model.head)


def test_inference_benchmark_with_peer_and_int8(tmp_path):
    peer = load_script('benchmarks/lightweight_openpose_peer.py')
    net = peer.build_peer('lwop')
    assert sum(p.numel() for p in net.parameters()) == 4_091_698  # ~4.1 M
    config, ckpt = _trained()
    bench = load_script('benchmarks/inference.py')
    out = tmp_path / 'card.md'
    rows = bench.main(['--configs', config, '--peer', 'lwop', '--int8',
                       '--calib-images', '1', '--batch-sizes', '1',
                       '--repeats', '1', '--out', str(out)])
    kinds = [r['kind'] for r in rows]
    assert kinds == ['bottomup', 'peer']
    assert all(r[k] > 0 for r in rows for k in ('eager', 'cl', 'ort',
                                                 'int8'))
    assert rows[1]['input'] == rows[0]['input'] == '64x64'
    text = out.read_text()
    assert 'PEER BASELINE' in text and 'int8 time / peer' in text
    assert 'DilatedSeparableNet' in text
    # int8 vs float AP on the held-out crowds, one run
    res = bench.main(['--int8-eval', config, '--checkpoint', ckpt,
                      '--max-samples', '2', '--calib-images', '1',
                      '--repeats', '1'])
    assert set(res) == {'pytorch', 'onnxruntime', 'onnxruntime int8'}
    assert all('coco/AP' in r['metrics'] and r['ms'] > 0
               for r in res.values())
