"""Non-finite maps and inputs are errors, never empty or made-up results
(issue 24, "Silent wrong"): every decoder (GaussianHeatmap, PartAffinityField,
SoftArgmax and LandmarkHead's torch path) raises ``NonFiniteMapError``
naming the channels; the estimators and ``PoseInferencer`` name the image
and the checkpoint; a non-finite input image is refused before the network.
See docs/RELIABILITY.md ("Non-finite maps and inputs").
"""
import os
import pickle
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from conftest import REPO
from kp_ext.codecs import (GaussianHeatmap, NonFiniteMapError,
                           PartAffinityField, SoftArgmax, check_finite_maps)
from kp_ext.registry import MODELS
from kp_ext.utils.non_finite import NonFiniteInputError

sys.path.insert(0, str(REPO / 'tests' / 'apis'))
from tiny_models import TINY_CFGS, people_image  # noqa: E402

REFINE = GaussianHeatmap.REFINE_MODES


# ------------------------------------------------------------------ codecs
@pytest.mark.parametrize('refine', REFINE)
@pytest.mark.parametrize('case', ['all-nan', 'all-inf', 'one-inf-pixel',
                                  'one-nan-pixel', 'minus-inf'])
def test_gaussian_heatmap_non_finite_maps_raise(case, refine):
    codec = GaussianHeatmap((64, 64), (16, 16), refine=refine)
    hm = codec.encode(np.array([[[21.5, 29.5]] * 17]))['heatmaps'].copy()
    if case == 'all-nan':
        hm[:] = np.nan
        channels, what = list(range(17)), '256 NaN of 256 values'
    elif case == 'all-inf':
        hm[:] = np.inf
        channels, what = list(range(17)), '256 +inf of 256 values'
    elif case == 'one-inf-pixel':
        hm[5, 3, 3] = np.inf
        channels, what = [5], '1 +inf of 256 values'
    elif case == 'one-nan-pixel':
        hm[16, 7, 5] = np.nan
        channels, what = [16], '1 NaN of 256 values'
    else:
        hm[2, 0, 0] = -np.inf
        channels, what = [2], '1 -inf of 256 values'
    with pytest.raises(NonFiniteMapError) as err:
        codec.decode(hm)
    e = err.value
    msg = str(e)
    assert msg.startswith('GaussianHeatmap.decode: ')
    assert f'{len(channels)} of 17 heatmap channel(s) hold NaN/inf' in msg
    assert f'sample 0: channel(s) {channels}' in msg
    assert what in msg and 'the network output is not finite' in msg
    assert isinstance(e, ValueError) and e.kind == 'heatmap'
    assert e.locations == [(0, c) for c in channels]


def test_gaussian_heatmap_batch_names_the_samples():
    codec = GaussianHeatmap((64, 64), (16, 16))
    hms = np.zeros((4, 17, 16, 16), np.float32)
    hms[2, 4, 8, 8] = np.inf
    hms[3, [0, 9]] = np.nan
    with pytest.raises(NonFiniteMapError,
                       match=r'3 of 68 heatmap channel\(s\) .*sample 2: '
                       r'channel\(s\) \[4\]; sample 3: channel\(s\) '
                       r'\[0, 9\]') as err:
        codec.batch_decode(torch.from_numpy(hms))
    assert err.value.samples == [2, 3]
    # finite maps: decoded as before
    kpts, scores = codec.batch_decode(np.zeros((2, 17, 16, 16), np.float32))
    assert kpts.shape == (2, 1, 17, 2) and np.isfinite(scores).all()


def _paf_codec():
    return PartAffinityField((64, 64), (16, 16), num_keypoints=3,
                             limbs=[(0, 1), (1, 2)])


def _paf_maps():
    codec = _paf_codec()
    enc = codec.encode(np.array([[[10., 10.], [30., 30.], [50., 40.]]]),
                       np.ones((1, 3)))
    return codec, enc['heatmaps'].copy(), enc['pafs'].copy()


@pytest.mark.parametrize('case', ['nan-all', 'nan-heatmap', 'inf-heatmap',
                                  'nan-paf', 'inf-paf-pixel'])
def test_paf_decode_non_finite_maps_raise(case):
    codec, hm, paf = _paf_maps()
    assert len(codec.decode(hm, paf)[0]) == 1  # the finite maps: 1 person
    if case == 'nan-all':
        hm[:], paf[:] = np.nan, np.nan
        parts = ['3 of 3 heatmap channel(s)', '4 of 4 PAF channel(s)']
    elif case == 'nan-heatmap':
        hm[1] = np.nan
        parts = ['1 of 3 heatmap channel(s)', 'channel(s) [1]']
    elif case == 'inf-heatmap':
        hm[:] = np.inf
        parts = ['3 of 3 heatmap channel(s)', '+inf']
    elif case == 'nan-paf':
        paf[2:4] = np.nan
        parts = ['2 of 4 PAF channel(s)', 'channel(s) [2, 3]']
    else:
        paf[0, 5, 5] = np.inf
        parts = ['1 of 4 PAF channel(s)', '[0, 0]: 1 +inf of 256 values']
    with pytest.raises(NonFiniteMapError) as err:
        codec.decode(hm, paf)
    msg = str(err.value)
    assert msg.startswith('PartAffinityField.decode: ')
    for part in parts:
        assert part in msg, (part, msg)
    assert set(err.value.by_kind) <= {'heatmap', 'PAF'}
    if case == 'nan-all':
        assert err.value.kind == 'heatmap and PAF'


def test_paf_batch_decode_names_the_sample():
    codec, hm, paf = _paf_maps()
    hms, pafs = np.stack([hm, hm, hm]), np.stack([paf, paf, paf])
    pafs[1, 3] = np.nan
    with pytest.raises(NonFiniteMapError,
                       match=r'PartAffinityField.batch_decode: 1 of 12 PAF '
                       r'channel\(s\) .*sample 1: channel\(s\) \[3\]') as err:
        codec.batch_decode(hms, pafs)
    assert err.value.locations == [(1, 3)] and err.value.kind == 'PAF'


@pytest.mark.parametrize('bad', [np.nan, np.inf])
def test_soft_argmax_and_landmark_head_raise_the_same_error(bad):
    codec = SoftArgmax(input_size=(64, 64), heatmap_size=(16, 16))
    maps = np.zeros((2, 5, 16, 16), np.float32)
    maps[1, 2] = bad
    with pytest.raises(NonFiniteMapError,
                       match=r'SoftArgmax.decode: 1 of 10 score map '
                       r'channel\(s\) .*sample 1: channel\(s\) \[2\]'):
        codec.batch_decode(maps)
    # LandmarkHead's own (torch) soft-argmax, used without a codec
    from kp_ext.models.heads import LandmarkHead
    head = LandmarkHead(num_keypoints=5, in_channels=4, input_size=(64, 64))
    head.eval()
    feats = torch.zeros(2, 4, 16, 16)
    feats[1, :, 3, 3] = float(bad)
    with pytest.raises(NonFiniteMapError,
                       match=r'LandmarkHead.predict: .*score map '
                       r'channel\(s\)'):
        head.predict(feats)


def test_error_is_picklable_and_located():
    maps = np.zeros((1, 3, 4, 4), np.float32)
    maps[0, 1, 0, 0] = np.nan
    with pytest.raises(NonFiniteMapError) as err:
        check_finite_maps(maps, 'X.decode')
    e = pickle.loads(pickle.dumps(err.value))
    assert e.locations == [(0, 1)] and str(e) == str(err.value)
    loc = e.located("image 'a.jpg'", 'w.pth')
    assert str(loc).startswith("non-finite network output on image 'a.jpg' "
                               "(checkpoint 'w.pth'): X.decode: 1 of 3")
    assert loc.where == "image 'a.jpg'" and loc.checkpoint == 'w.pth'
    assert 'not loaded from a checkpoint' in str(e.located('image x'))
    check_finite_maps(np.zeros((1, 3, 4, 4), np.int64), 'X')  # ints: no-op


# --------------------------------------------- estimators and inferencer
@pytest.fixture(scope='module')
def nan_models(tmp_path_factory):
    """kind -> (config path, checkpoint whose last conv bias is NaN):
    the tiny test configs, random weights, no training."""
    d = tmp_path_factory.mktemp('nan_models')
    out = {}
    for kind in ('topdown', 'bottomup', 'landmarks'):
        cfg = TINY_CFGS[kind](d / kind)
        path = str(d / f'{kind}.py')
        cfg.dump(path)
        model = MODELS.build(cfg.model)
        sd = model.state_dict()
        last = [k for k in sd if k.endswith('bias') and 'bn' not in k][-1]
        sd[last] = torch.full_like(sd[last], float('nan'))
        ckpt = str(d / f'{kind}_nan.pth')
        torch.save({'state_dict': sd, 'meta': {}}, ckpt)
        out[kind] = (path, ckpt)
    return out


@pytest.mark.parametrize('kind', ['topdown', 'bottomup', 'landmarks'])
def test_estimator_names_image_and_checkpoint(kind, nan_models, tmp_path):
    from kp_ext.apis import (inference_bottomup, inference_landmarks,
                             inference_topdown, init_model)
    infer = dict(topdown=inference_topdown, bottomup=inference_bottomup,
                 landmarks=inference_landmarks)[kind]
    config, ckpt = nan_models[kind]
    model = init_model(config, ckpt)
    assert model.checkpoint_file == ckpt
    img = str(tmp_path / 'person.png')
    cv2.imwrite(img, people_image(96, 80))
    with pytest.raises(NonFiniteMapError) as err:
        infer(model, img)
    msg = str(err.value)
    assert msg.startswith(f'non-finite network output on image {img!r} '
                          f'(checkpoint {ckpt!r}): ')
    kind_word = 'score map' if kind == 'landmarks' else 'heatmap'
    assert f'{kind_word} channel(s) hold NaN/inf' in msg


def test_inferencer_names_the_input_and_never_skips_it(nan_models,
                                                      tmp_path):
    from kp_ext.apis import PoseInferencer
    config, ckpt = nan_models['topdown']
    inferencer = PoseInferencer(config, ckpt, warn_training_data=False)
    img = people_image(96, 80)
    with pytest.raises(NonFiniteMapError,
                       match=r"^non-finite network output on input 'array' "
                       rf"\(checkpoint '{ckpt}'\): GaussianHeatmap.decode: "
                       r'17 of 17 heatmap channel\(s\)'):
        inferencer(img)
    # in a folder too: the model's fault, not the image's (never skipped)
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for name in ('a.png', 'b.png'):
        cv2.imwrite(str(folder / name), img)
    with pytest.raises(NonFiniteMapError,
                       match=f"on input '{folder / 'a.png'}'"):
        inferencer(str(folder))


def test_non_finite_input_image_is_refused_before_the_network(nan_models,
                                                              monkeypatch):
    from kp_ext.apis import InputError, PoseInferencer, init_model
    config, _ = nan_models['topdown']
    inferencer = PoseInferencer(config, None, warn_training_data=False)

    def never(*args, **kwargs):
        raise AssertionError('the network ran on a NaN image')
    monkeypatch.setattr(inferencer.model, 'extract_feat', never)
    nan_img = np.full((64, 64, 3), np.nan, np.float32)
    with pytest.raises(InputError,
                       match=r'the input array holds NaN/inf pixel values '
                       r'\(12288 of 12288\): refused before the network'):
        inferencer(nan_img)
    # in a list: skipped and listed under its name, the others processed
    good = people_image(64, 64).astype(np.float32)
    inf_img = good.copy()
    inf_img[3, 4, 1] = np.inf
    monkeypatch.undo()
    out = inferencer([good, inf_img])
    assert len(out['predictions']) == 1
    assert out['failures'][0][0] == 'array 1'
    assert '1 of 12288' in out['failures'][0][1]
    # the estimator refuses a non-finite batch itself (e.g. tools/test.py)
    model = init_model(config, None)
    from kp_ext.structures import PoseDataSample
    ds = PoseDataSample(metainfo=dict(img_path='x/a.jpg'))
    inputs = torch.zeros(2, 3, 64, 64)
    inputs[1, 0, 0, 0] = float('nan')
    with pytest.raises(NonFiniteInputError,
                       match=r"TopdownPoseEstimator.predict: the network "
                       r"input of image 'x/b.jpg' holds NaN/inf values "
                       r'\(batch index 1: 1 of 12288 values\); refused '
                       r'before the network'):
        model.predict(inputs, [ds, PoseDataSample(
            metainfo=dict(img_path='x/b.jpg'))])


def test_test_py_names_the_checkpoint(tmp_path, monkeypatch):
    """tools/test.py on a diverged checkpoint: the error names the image
    and the checkpoint (was: a metric computed on made-up keypoints)."""
    import importlib.util
    quick = str(REPO / 'configs/quickstart/hourglass_synthetic.py')
    cfg = Config.fromfile(quick)
    model = MODELS.build(cfg.model)
    sd = model.state_dict()
    last = [k for k in sd if k.endswith('bias')][-1]
    sd[last] = torch.full_like(sd[last], float('inf'))
    path = str(tmp_path / 'diverged.pth')
    torch.save({'state_dict': sd, 'meta': {}}, path)
    spec = importlib.util.spec_from_file_location('_tool_test',
                                                  REPO / 'tools/test.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, 'argv', [
        'test.py', quick, path, '--work-dir', str(tmp_path / 'wd'),
        '--cfg-options', 'test_dataloader.dataset.num_samples=2',
        'test_dataloader.batch_size=2', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'])
    with pytest.raises(NonFiniteMapError) as err:
        module.main()
    msg = str(err.value)
    assert f'(checkpoint {path!r}): GaussianHeatmap.decode: ' in msg
    assert 'non-finite network output on image' in msg
    assert os.path.isfile(path)
