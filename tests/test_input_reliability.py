"""Bad input: a clear error naming the file / annotation / key, or a counted
warning, never a silent wrong result (issue "Reliability: no silent wrong
result"). One case per row of docs/RELIABILITY.md; the case id is the
parameter id there.
"""
import csv
import json
import sys

import cv2
import numpy as np
import pytest
import torch

import kp_ext.datasets.base_dataset as base_mod
from conftest import REPO
from kp_ext.codecs import GaussianHeatmap, NonFiniteMapError, SoftArgmax
from kp_ext.datasets import CocoDataset, DeepLabCutDataset, MpiiDataset
from kp_ext.datasets.transforms import CorruptImageError, LoadImage
from kp_ext.utils.checkpoint import (CheckpointFileError,
                                     check_state_dict_matches,
                                     load_from_local)

K = 17  # COCO keypoints


@pytest.fixture
def notes(monkeypatch):
    """Warnings the datasets log (one per reason after loading)."""
    records = []
    monkeypatch.setattr(base_mod, 'print_log',
                        lambda msg, logger=None, level=None:
                        records.append(msg))
    return records


def _textured(h=240, w=320, seed=0):
    rng = np.random.RandomState(seed)
    return cv2.GaussianBlur(rng.randint(0, 255, (h, w, 3), np.uint8),
                            (9, 9), 3)


def _coco_dir(tmp_path, anns, width=80, height=60, img_size=(60, 80)):
    cv2.imwrite(str(tmp_path / 'a.jpg'), _textured(*img_size))
    data = dict(
        images=[dict(id=1, file_name='a.jpg', width=width, height=height)],
        categories=[dict(id=1, name='person', skeleton=[],
                         keypoints=[str(i) for i in range(K)])],
        annotations=anns)
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(data))
    return path


def _person(ann_id=1, image_id=1, xy=(20., 15.), **kw):
    kpts = []
    for i in range(K):
        kpts += [xy[0] + i, xy[1] + i % 5, 2]
    return dict(dict(id=ann_id, image_id=image_id, category_id=1,
                     keypoints=kpts, bbox=[5, 5, 50, 40], num_keypoints=K,
                     iscrowd=0, area=2000.), **kw)


def _coco(path, **kw):
    return CocoDataset(ann_file=str(path), data_prefix=dict(img=str(
        path.parent)), **kw)


# ------------------------------------------------------- COCO annotations
def _drop(ann, key):
    ann = dict(ann)
    del ann[key]
    return ann


UNUSED = {
    'coco-no-keypoints': (_drop(_person(2), 'keypoints'), 'no keypoints'),
    'coco-no-bbox': (_drop(_person(2), 'bbox'), 'no bbox'),
    'coco-image-id-not-in-images': (_person(2, image_id=99),
                                    'image_id not in "images"'),
}


@pytest.mark.parametrize('case', list(UNUSED), ids=list(UNUSED))
def test_coco_unused_annotations_counted_or_strict(case, tmp_path, notes):
    ann, reason = UNUSED[case]
    path = _coco_dir(tmp_path, [_person(1), ann, dict(ann, id=3)])
    ds = _coco(path)
    assert len(ds) == 1
    msgs = [m for m in notes if reason in m]
    assert len(msgs) == 1 and '2 annotation(s)' in msgs[0] \
        and 'annotation id 2' in msgs[0] and str(path) in msgs[0]
    with pytest.raises(ValueError, match=f'{path}: annotation id 2'):
        _coco(path, on_unused_annotation='raise')


def test_coco_image_size_differs_from_json(tmp_path):
    # json says 80x60, the file is 100x50: boxes/targets would be wrong
    path = _coco_dir(tmp_path, [_person(1)], img_size=(50, 100))
    ds = _coco(path, data_mode='bottomup',
               pipeline=[LoadImage()])
    assert ds.get_data_info(0)['img_shape'] == (60, 80)
    with pytest.raises(CorruptImageError,
                       match=r"a\.jpg.*decodes to 100x50 .*declare 80x60"):
        ds[0]
    # the matching image loads
    ok = _coco(_coco_dir(tmp_path, [_person(1)]),
               pipeline=[LoadImage()])
    assert ok[0]['img'].shape == (60, 80, 3)


def test_coco_keypoints_far_outside_counted(tmp_path, notes):
    path = _coco_dir(tmp_path, [_person(1), _person(2, xy=(300., 15.))])
    assert len(_coco(path)) == 2
    msgs = [m for m in notes if 'outside the image' in m]
    assert len(msgs) == 1 and '1 annotation(s)' in msgs[0] \
        and 'annotation id 2' in msgs[0]


# ------------------------------------------------------------ image files
def _corrupt_jpeg(tmp_path, mode):
    img = _textured()
    buf = bytearray(cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY,
                                               90])[1].tobytes())
    sos = buf.rfind(b'\xff\xda')
    mid = sos + (len(buf) - sos) // 3
    if mode == 'garbage':  # 2000 junk bytes in the entropy-coded data
        junk = np.random.RandomState(1).randint(0, 255, 2000, np.uint8)
        junk = junk.tobytes().replace(b'\xff', b'\x00')
        data = bytes(buf[:mid]) + junk + bytes(buf[mid + 2000:])
    else:  # 3000 bytes cut out of the middle (the end marker stays)
        data = bytes(buf[:mid]) + bytes(buf[mid + 3000:])
    path = tmp_path / f'{mode}.jpg'
    path.write_bytes(data)
    return path, img


@pytest.mark.parametrize('mode', ['garbage', 'cut'])
def test_jpeg_corrupted_mid_stream(mode, tmp_path):
    path, img = _corrupt_jpeg(tmp_path, mode)
    # cv2 alone decodes it with a wrong lower part (the silent result)
    junk = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
    assert junk.shape == img.shape
    assert np.mean(np.abs(junk.astype(int) - img) > 30) > 0.02
    with pytest.raises(CorruptImageError,
                       match=rf"{mode}\.jpg' \(annotation id 7\).*"
                       'Corrupt JPEG data'):
        LoadImage()(dict(img_path=str(path), id=7))
    assert LoadImage(ignore_empty=True)(dict(img_path=str(path))) is None
    kept = LoadImage(decoder_warnings='ignore')(dict(img_path=str(path)))
    assert kept['img'].shape == img.shape
    # an intact file decodes without a warning
    good = tmp_path / 'good.jpg'
    cv2.imwrite(str(good), img)
    assert LoadImage()(dict(img_path=str(good)))['img'].shape == img.shape


# ----------------------------------------------------------------- codecs
@pytest.mark.parametrize('shape', [(17, 32, 24), (17, 128, 96), (17, 64, 64)])
def test_gaussian_heatmap_decode_other_size(shape):
    codec = GaussianHeatmap(input_size=(192, 256), heatmap_size=(48, 64))
    with pytest.raises(ValueError,
                       match=rf'{shape[2]}x{shape[1]} .*heatmap_size=\(48, '
                       r'64\)'):
        codec.decode(np.zeros(shape, np.float32))
    keypoints, _ = codec.decode(np.zeros((17, 64, 48), np.float32))
    assert keypoints.shape == (1, 17, 2)


@pytest.mark.parametrize('bad', [np.nan, np.inf, -np.inf])
def test_soft_argmax_non_finite_maps(bad):
    codec = SoftArgmax(input_size=(64, 64), heatmap_size=(16, 16))
    maps = np.zeros((5, 16, 16), np.float32)
    maps[3, 2, 2] = bad
    with pytest.raises(NonFiniteMapError,
                       match=r'SoftArgmax.decode: 1 of 5 score map '
                       r'channel\(s\) hold NaN/inf.*sample 0: channel\(s\) '
                       r'\[3\]'):
        codec.decode(maps)
    with pytest.raises(ValueError, match='SoftArgmax.decode: maps are 8x16'):
        codec.decode(np.zeros((5, 16, 8), np.float32))


# ------------------------------------------------------------- DeepLabCut
PARTS = ['snout', 'leftear', 'rightear', 'tailbase']


def _dlc(tmp_path, rows, n_frames=3):
    vid = tmp_path / 'proj' / 'labeled-data' / 'v1'
    vid.mkdir(parents=True)
    path = vid / 'CollectedData_me.csv'
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['scorer'] + ['me'] * 8)
        w.writerow(['bodyparts'] + [p for p in PARTS for _ in 'xy'])
        w.writerow(['coords'] + ['x', 'y'] * 4)
        w.writerows(rows)
    for i in range(n_frames):
        cv2.imwrite(str(vid / f'img{i}.png'), np.zeros((100, 200, 3),
                                                       np.uint8))
    return path


def _dlc_row(i, vals):
    return [f'labeled-data/v1/img{i}.png'] + vals


DLC_CELLS = {
    'dlc-inf-cell': (['inf', '40'], 'infinite coordinate cells'),
    'dlc-x-without-y': (['45', ''], 'only one of x / y filled'),
}


@pytest.mark.parametrize('case', list(DLC_CELLS), ids=list(DLC_CELLS))
def test_dlc_suspicious_cells_counted(case, tmp_path, notes):
    cells, reason = DLC_CELLS[case]
    good = [50, 40, 45, 35, 55, 35, 80, 50]
    rows = [_dlc_row(0, good), _dlc_row(1, cells + good[2:]),
            _dlc_row(2, cells + good[2:])]
    ds = DeepLabCutDataset(ann_file=str(_dlc(tmp_path, rows)))
    assert len(ds) == 3
    assert ds.get_data_info(1)['keypoints_visible'][0].tolist() == \
        [0, 1, 1, 1]
    msgs = [m for m in notes if reason in m]
    assert len(msgs) == 1 and '2 annotation(s)' in msgs[0] \
        and 'line 5' in msgs[0] and "['snout']" in msgs[0]


def test_dlc_keypoints_far_outside_counted(tmp_path, notes):
    rows = [_dlc_row(0, [50, 40, 45, 35, 55, 35, 900, 50])]
    assert len(DeepLabCutDataset(ann_file=str(_dlc(tmp_path, rows)))) == 1
    assert sum('outside the image' in m for m in notes) == 1


# ------------------------------------------------------ annotation files
@pytest.mark.parametrize('text,match', [('{"images": [', 'is not valid JSON'),
                                        ('', r'is empty \(0 bytes\)'),
                                        ('  \n', r'is empty \(3 bytes\)'),
                                        ('[]', 'expected a JSON dict')],
                         ids=['not-json', 'empty', 'blank', 'wrong-type'])
def test_coco_annotation_file_unreadable(text, match, tmp_path):
    path = tmp_path / 'ann.json'
    path.write_text(text)
    with pytest.raises(ValueError, match=f'{path} {match}'
                       if 'expected' not in match else f'{path}: {match}'):
        _coco(path)


def test_mpii_annotation_file_not_json(tmp_path):
    path = tmp_path / 'mpii.json'
    path.write_text('[{"image": ')
    with pytest.raises(ValueError, match=f'{path} is not valid JSON'):
        MpiiDataset(ann_file=str(path))


def _empty_reader(reader, tmp_path):
    """An annotation file with no annotation, and the dataset reading it."""
    if reader == 'mpii':
        path = tmp_path / 'mpii.json'
        path.write_text('[]')
        return path, lambda: MpiiDataset(ann_file=str(path))
    if reader == 'dlc':  # the three header rows only
        path = _dlc(tmp_path, [])
        return path, lambda: DeepLabCutDataset(ann_file=str(path))
    path = _coco_dir(tmp_path, [])
    mode = 'bottomup' if reader == 'coco-bottomup' else 'topdown'
    return path, lambda: _coco(path, data_mode=mode)


@pytest.mark.parametrize('reader', ['coco', 'coco-bottomup', 'mpii', 'dlc'])
def test_empty_annotation_list(reader, tmp_path):
    path, make = _empty_reader(reader, tmp_path)
    with pytest.raises(ValueError, match=f'no sample in .*{path.name}'):
        make()


def test_all_annotations_skipped_names_the_first(tmp_path):
    bad = _person(1)
    bad['keypoints'] = bad['keypoints'][:-3]
    path = _coco_dir(tmp_path, [bad])
    with pytest.raises(ValueError,
                       match='no sample in .*1 bad annotations were skipped'
                       '.*annotation id 1'):
        _coco(path, on_bad_annotation='skip')


# ------------------------------------------------------------ checkpoints
def _good_checkpoint(path):
    torch.save({'state_dict': torch.nn.Linear(3, 4).state_dict(),
                'meta': {}}, path)
    return path.read_bytes()


@pytest.mark.parametrize('case,match', [
    ('empty', r'is empty \(0 bytes\)'),
    ('truncated', 'is truncated or corrupted'),
    ('garbage', 'is not a PyTorch checkpoint'),
    ('foreign-object', 'holds the Python object .*_Unknown.*not allow'),
])
def test_bad_checkpoint_file(case, match, tmp_path):
    import mmengine.runner.checkpoint as mm_ckpt
    path = tmp_path / f'{case}.pth'
    good = _good_checkpoint(path)
    if case == 'empty':
        path.write_bytes(b'')
    elif case == 'truncated':
        path.write_bytes(good[:len(good) // 2])
    elif case == 'garbage':
        path.write_bytes(np.random.RandomState(0).bytes(5000))
    else:  # a pickled object outside the allow-list
        torch.save({'state_dict': {}, 'x': _Unknown()}, path)
    # through mmengine (load_from, --resume): kp_ext's loader for paths
    with pytest.raises(CheckpointFileError, match=match) as err:
        mm_ckpt._load_checkpoint(str(path), map_location='cpu')
    assert str(path) in str(err.value)
    assert 'weights_only' not in str(err.value)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_from_local(str(tmp_path / 'missing.pth'))


class _Unknown:
    """Not allow-listed for the weights-only loader."""


def test_checkpoint_of_another_model(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3),
                                torch.nn.BatchNorm2d(8))
    other = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3),
                                torch.nn.Conv2d(16, 2, 1))
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': other.state_dict()}, path)
    with pytest.raises(CheckpointFileError) as err:
        check_state_dict_matches(model, str(path), hint=' (HINT)')
    msg = str(err.value)
    assert str(path) in msg and msg.endswith('(HINT)')
    # BatchNorm's statistics are missing, conv 1 has other shapes
    assert ("3 key(s) missing in the checkpoint: ['1.running_mean', "
            "'1.running_var', '1.num_batches_tracked']") in msg
    assert 'unexpected' not in msg
    assert ("4 key(s) with another shape: ['0.weight: checkpoint "
            "(16, 3, 3, 3), model (8, 3, 3, 3)'") in msg
    assert "'1.weight: checkpoint (2, 16, 1, 1), model (8,)'" in msg
    torch.save({'state_dict': dict(model.state_dict(), extra=torch.ones(1))},
               path)
    with pytest.raises(CheckpointFileError,
                       match=r"1 key\(s\) unexpected .*\['extra'\]"):
        check_state_dict_matches(model, str(path))
    # the model's own checkpoint, saved through a DDP-like wrapper, passes
    torch.save({'state_dict': {f'module.{k}': v for k, v in
                               model.state_dict().items()}}, path)
    check_state_dict_matches(model, str(path))


# ---------------------------------------------------- command-line tools
def _tool_main(tool, argv, monkeypatch):
    """Run ``tools/<tool>.py`` main() in this process with ``argv``."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        f'_tool_{tool}', REPO / 'tools' / f'{tool}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, 'argv', [f'{tool}.py', *argv])
    return module.main()


QUICK_CFG = str(REPO / 'configs/quickstart/hourglass_synthetic.py')


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_cfg_options_without_equals(tool, monkeypatch, capsys):
    args = [QUICK_CFG] + (['x.pth'] if tool == 'test' else [])
    with pytest.raises(SystemExit) as err:
        _tool_main(tool, args + ['--cfg-options', 'train_cfg.max_epochs=1',
                                 'model.backbone'], monkeypatch)
    assert err.value.code == 2
    assert "--cfg-options: 'model.backbone' is not KEY=VALUE" in \
        capsys.readouterr().err


def test_dump_not_pickle(monkeypatch, capsys):
    with pytest.raises(SystemExit) as err:
        _tool_main('test', [QUICK_CFG, 'x.pth', '--dump', 'out.json'],
                   monkeypatch)
    stderr = capsys.readouterr().err
    assert err.value.code == 2
    assert '--dump out.json' in stderr and '.pkl' in stderr


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_empty_model_in_config(tool, tmp_path, monkeypatch):
    cfg = tmp_path / 'empty_model.py'
    cfg.write_text(f"_base_ = ['{QUICK_CFG}']\n"
                   'model = dict(_delete_=True)\n')
    args = [str(cfg)] + (['x.pth'] if tool == 'test' else [])
    with pytest.raises(ValueError,
                       match=f'{cfg}: `model` must be a dict with a '
                       'registered `type`'):
        _tool_main(tool, args + ['--work-dir', str(tmp_path / 'wd')],
                   monkeypatch)


def test_test_py_refuses_checkpoint_of_another_model(tmp_path, monkeypatch):
    from mmengine.config import Config

    from kp_ext.registry import MODELS
    cfg = Config.fromfile(QUICK_CFG)
    # the same model for another keypoint count
    cfg.model.backbone.out_channels = 5
    cfg.model.head.update(in_channels=5, out_channels=5)
    path = tmp_path / 'k5.pth'
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict(),
                'meta': {}}, path)
    with pytest.raises(CheckpointFileError) as err:
        _tool_main('test', [QUICK_CFG, str(path), '--work-dir',
                            str(tmp_path / 'wd'), '--cfg-options',
                            'test_dataloader.dataset.num_samples=2'],
                   monkeypatch)
    msg = str(err.value)
    assert f'checkpoint file {path} does not fit the model ' \
        'TopdownPoseEstimator' in msg
    assert 'with another shape' in msg and '(17,' in msg
    assert msg.endswith('(pass --non-strict to evaluate anyway)')
    # --non-strict evaluates anyway (mmengine's warnings, near-zero scores)
    metrics = _tool_main('test', [QUICK_CFG, str(path), '--non-strict',
                                  '--work-dir', str(tmp_path / 'wd'),
                                  '--cfg-options',
                                  'test_dataloader.dataset.num_samples=2'],
                         monkeypatch)
    assert metrics and all(np.isfinite(v) for v in metrics.values())


def test_coco_metric_ann_file_not_json(tmp_path):
    from kp_ext.evaluation.metrics import CocoKeypointMetric
    path = tmp_path / 'gt.json'
    path.write_text('{"annotations": [')
    with pytest.raises(ValueError,
                       match=f'CocoMetric: ann_file {path} is not valid JSON'):
        CocoKeypointMetric(ann_file=str(path))


# ------------------------------------------ round three: unhelpful cases
@pytest.mark.parametrize('kind', ['annotation', 'image'])
def test_coco_duplicate_ids_warned_or_strict(kind, tmp_path, monkeypatch):
    """A repeated annotation id or image entry: warned with the count and
    the ids and used once (was: silently loaded, the last annotation of a
    repeated id trained on once per copy), an error under
    on_unused_annotation='raise'."""
    import kp_ext.datasets.coco as coco_mod
    logged = []
    monkeypatch.setattr(coco_mod, 'print_log',
                        lambda msg, logger=None, level=None:
                        logged.append(msg))
    if kind == 'annotation':
        anns = [_person(1), _person(5, xy=(22., 16.)), _person(5),
                _person(7), _person(7), _person(7)]
        path = _coco_dir(tmp_path, anns)
        want = (f'{path}: 3 annotation entries repeat an id used before '
                '(2 annotation id(s): 5, 7)')
    else:
        path = _coco_dir(tmp_path, [_person(1)])
        data = json.loads(path.read_text())
        data['images'].append(dict(data['images'][0], file_name='b.jpg'))
        path.write_text(json.dumps(data))
        want = (f'{path}: 1 image entry repeats an id used before (1 image '
                'id(s): 1)')
    ds = _coco(path)
    msgs = [m for m in logged if 'repeat' in m]
    assert len(msgs) == 1 and want in msgs[0], logged
    assert 'only the first entry of each id is used' in msgs[0]
    if kind == 'annotation':
        ids = [ds.get_data_info(i)['id'] for i in range(len(ds))]
        assert ids == [1, 5, 7]  # each once, the first copy
        assert ds.get_data_info(1)['keypoints'].reshape(-1, 2)[0, 0] == \
            pytest.approx(22.)
    else:
        assert len(ds) == 1 and ds.get_data_info(0)['img_path'].endswith(
            'a.jpg')
    with pytest.raises(ValueError, match=r'ids must be unique') as err:
        _coco(path, on_unused_annotation='raise')
    assert want in str(err.value)


def _no_cuda():
    if torch.cuda.is_available():
        pytest.skip('needs a torch without CUDA (this one has a GPU)')


@pytest.mark.parametrize('tool', ['infer', 'test', 'train'])
def test_device_cuda_on_cpu_torch_is_a_one_line_error(tool, monkeypatch,
                                                      capsys):
    """--device cuda on a CPU-only torch: the tool's own argument error
    (was: torch's traceback at the first tensor moved to the GPU)."""
    _no_cuda()
    args = {'infer': [QUICK_CFG, 'x.jpg', '--out-dir', 'unused'],
            'test': [QUICK_CFG, 'x.pth'], 'train': [QUICK_CFG]}[tool]
    for device, want in (('cuda', '--device cuda: this torch '),
                         ('cuda:1', '--device cuda:1: this torch '),
                         ('gpu', "--device 'gpu' is not a torch device")):
        with pytest.raises(SystemExit) as err:
            if tool == 'infer':
                _load_tool('infer').main(args + ['--device', device])
            else:
                _tool_main(tool, args + ['--device', device], monkeypatch)
        assert err.value.code == 2
        stderr = capsys.readouterr().err
        assert want in stderr and 'Traceback' not in stderr
    if tool != 'infer':  # cpu is where mmengine runs here: accepted
        module = _load_tool(tool)
        monkeypatch.setattr(sys, 'argv', [f'{tool}.py', *args, '--device',
                                          'cpu'])
        assert module.parse_args().device == 'cpu'


def _load_tool(tool):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        f'_tool_{tool}', REPO / 'tools' / f'{tool}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('case', ['missing-folder', 'a-folder',
                                  'read-only-folder'])
def test_export_onnx_checks_out_path_first(case, tmp_path, monkeypatch,
                                           capsys):
    """--out that cannot be written fails before the model is built and
    exported (was: after the whole export)."""
    import os
    module = _load_tool('export_onnx')
    monkeypatch.setattr(module, 'init_model', lambda *a, **k: pytest.fail(
        'the model was built before --out was checked'))
    if case == 'missing-folder':
        out, want = str(tmp_path / 'nowhere' / 'x.onnx'), 'does not exist'
    elif case == 'a-folder':
        out, want = str(tmp_path), 'is a folder'
    else:
        if os.geteuid() == 0:
            pytest.skip('root writes into read-only folders')
        ro = tmp_path / 'ro'
        ro.mkdir()
        ro.chmod(0o500)
        out, want = str(ro / 'x.onnx'), 'cannot be written'
    with pytest.raises(SystemExit) as err:
        module.main([QUICK_CFG, '--out', out])
    assert err.value.code == 2
    stderr = capsys.readouterr().err
    assert f'--out {out}: ' in stderr and want in stderr
    # a writable path passes and leaves nothing behind
    ok = tmp_path / 'ok.onnx'
    assert module.parse_args([QUICK_CFG, '--out', str(ok)]).out == str(ok)
    assert not ok.exists()


def test_resume_with_no_checkpoint_says_so(tmp_path, monkeypatch):
    """--resume in an empty work dir: 'no checkpoint found ... training
    starts from scratch' (was: 'Auto resumed from the latest checkpoint
    None.')."""
    from mmengine.config import Config

    from kp_ext.engine.launch import resolve_auto_resume
    module = _load_tool('train')
    runs = []

    class FakeRunner:  # records what train.py hands the Runner
        @classmethod
        def from_cfg(cls, cfg):
            runner = cls()
            runner.cfg, runner.logged = cfg, []
            runner.logger = type('L', (), {
                'warning': lambda _, m: runner.logged.append(m),
                'error': lambda _, m: runner.logged.append(m)})()
            runs.append(runner)
            return runner

        def train(self):
            pass
    monkeypatch.setattr(module, 'Runner', FakeRunner)
    # the quiet console runner train.py builds without --verbose
    monkeypatch.setattr(module, 'SummaryConsoleRunner', FakeRunner)
    monkeypatch.setattr(module, 'log_run_header', lambda *a, **k: None)
    monkeypatch.setattr(module, 'check_dataset_files', lambda *a: None)
    monkeypatch.setattr(module, 'setup_distributed', lambda *a: None)
    wd = tmp_path / 'wd'
    monkeypatch.setattr(sys, 'argv', ['train.py', QUICK_CFG, '--work-dir',
                                      str(wd), '--resume'])
    module.main()
    run = runs[-1]
    assert run.cfg.resume is False
    assert run.logged == [f'--resume: no checkpoint found in {wd} (no '
                          'last_checkpoint file there, nothing saved yet): '
                          'training starts from scratch']
    # with a checkpoint recorded, mmengine resumes from it as before
    wd.mkdir()
    (wd / 'last_checkpoint').write_text(str(wd / 'epoch_3.pth'))
    module.main()
    assert runs[-1].cfg.resume is True and runs[-1].logged == []
    # an explicit file or resume=False: untouched
    cfg = Config(dict(resume=True, load_from='x.pth', work_dir=str(tmp_path)))
    assert resolve_auto_resume(cfg) is None and cfg.resume is True
    cfg = Config(dict(resume=False, work_dir=str(tmp_path)))
    assert resolve_auto_resume(cfg) is None
