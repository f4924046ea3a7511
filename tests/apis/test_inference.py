"""kp_ext.apis on tiny trained checkpoints of the three model kinds:
init_model, inference_*, PoseInferencer (two-stage included) and
tools/infer.py, plus every kind of bad input."""
import json
import os

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from conftest import REPO
from kp_ext.apis import (CheckpointMismatchError, InputError, PoseInferencer,
                         inference_bottomup, inference_landmarks,
                         inference_topdown, init_model, model_kind,
                         infer_command, prediction_to_dict)
from kp_ext.registry import INFERENCERS
from tiny_models import load_script, people_image, trained

pytestmark = pytest.mark.slow  # trains three tiny models once (~10 s)

KINDS = ['topdown', 'bottomup', 'landmarks']
INFER = dict(topdown=inference_topdown, bottomup=inference_bottomup,
             landmarks=inference_landmarks)


def _loose_det_cfg():
    """The tiny PAF model with thresholds low enough that its barely
    trained maps yield people of >= 3 parts."""
    cfg = Config.fromfile(trained('bottomup')[0])
    cfg.model.head.decoder.update(peak_threshold=-1.0, paf_threshold=-1.0,
                                  min_mean_score=-1.0, min_parts=3)
    return cfg


# ------------------------------------------------------------ init_model
@pytest.mark.parametrize('kind', KINDS)
def test_init_model_loads_weights_and_metainfo(kind):
    config, ckpt = trained(kind)
    model = init_model(config, ckpt)
    assert model_kind(model) == kind and not model.training
    state = torch.load(ckpt, map_location='cpu')['state_dict']
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, state[key])
    if kind == 'landmarks':  # discovered landmarks are not the annotations
        assert model.metainfo is None
    else:  # flip test works without a dataset
        assert model.metainfo['flip_indices'] == \
            model.dataset_meta['flip_indices']
        assert len(model.metainfo['flip_indices']) == 17


@pytest.mark.parametrize('config_kind,ckpt_kind', [
    ('topdown', 'bottomup'), ('bottomup', 'landmarks'),
    ('landmarks', 'topdown')])
def test_checkpoint_of_another_kind_is_refused(config_kind, ckpt_kind):
    config, _ = trained(config_kind)
    _, ckpt = trained(ckpt_kind)
    with pytest.raises(CheckpointMismatchError) as e:
        init_model(config, ckpt)
    msg = str(e.value)
    assert ckpt in msg and config in msg
    assert 'missing keys' in msg and 'unexpected keys' in msg
    assert 'the checkpoint was trained as a' in msg


def test_missing_checkpoint_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        init_model(trained('topdown')[0], str(tmp_path / 'nope.pth'))


# ------------------------------------------------------------- inference
def test_topdown_keypoints_follow_the_box_in_image_coordinates():
    """Shifting the image and the box by (dx, dy) shifts every keypoint by
    exactly (dx, dy): predictions are in image pixels."""
    model = init_model(*trained('topdown'))
    assert model.test_cfg.get('flip_test')
    img = people_image(96, 80)
    box = np.array([[10, 8, 70, 72]], np.float32)
    dx, dy = 12, 5
    shifted = np.zeros((80 + dy, 96 + dx, 3), np.uint8)
    shifted[dy:, dx:] = img
    a = inference_topdown(model, img, box)[0].pred_instances
    b = inference_topdown(model, shifted, box + [dx, dy, dx, dy])[0]
    b = b.pred_instances
    np.testing.assert_allclose(b.keypoints, a.keypoints + [dx, dy],
                               atol=1e-3)
    np.testing.assert_allclose(b.keypoint_scores, a.keypoint_scores,
                               atol=1e-5)
    np.testing.assert_allclose(a.bboxes, box)


def test_topdown_default_box_is_the_whole_image():
    model = init_model(*trained('topdown'))
    img = people_image(96, 80)
    whole = inference_topdown(model, img)
    explicit = inference_topdown(model, img, [[0, 0, 95, 79]])
    assert len(whole) == 1
    np.testing.assert_allclose(whole[0].pred_instances.keypoints,
                               explicit[0].pred_instances.keypoints)
    assert inference_topdown(model, img, np.zeros((0, 4))) == []


def test_landmarks_follow_the_box():
    model = init_model(*trained('landmarks'))
    img = people_image(64, 64)
    dx = 7
    shifted = np.zeros((64, 64 + dx, 3), np.uint8)
    shifted[:, dx:] = img
    a = inference_landmarks(model, img, [[0, 0, 63, 63]])[0]
    b = inference_landmarks(model, shifted, [[dx, 0, dx + 63, 63]])[0]
    assert a.pred_instances.keypoints.shape == (1, 16, 2)
    np.testing.assert_allclose(b.pred_instances.keypoints,
                               a.pred_instances.keypoints + [dx, 0],
                               atol=1e-3)


def test_landmarks_default_box_is_the_datasets_centre_square():
    """With bbox_mode='center_square' in the config's test dataset (as
    configs/fse_faces.py) the default box is the dataset's: the largest
    centred square; otherwise the whole image."""
    config, ckpt = trained('landmarks')
    img = people_image(96, 64)
    whole = inference_landmarks(init_model(config, ckpt), img)[0]
    np.testing.assert_allclose(whole.pred_instances.bboxes,
                               [[0, 0, 95, 63]])
    cfg = Config.fromfile(config)
    cfg.test_dataloader.dataset.test.bbox_mode = 'center_square'
    square = inference_landmarks(init_model(cfg, ckpt), img)[0]
    # centre (47.5, 31.5), side min(W, H) = 64
    np.testing.assert_allclose(square.pred_instances.bboxes,
                               [[15.5, -0.5, 79.5, 63.5]])


def test_bottomup_api_matches_the_evaluation_pipeline():
    """inference_bottomup on an image gives the maps (and people) of the
    dataset -> val pipeline -> test_step path that tools/test.py scores."""
    from mmengine.dataset import Compose, pseudo_collate
    config, ckpt = trained('bottomup')
    model = init_model(config, ckpt,
                       cfg_options={'model.test_cfg.output_heatmaps': True})
    img = people_image(96, 80)
    api = inference_bottomup(model, img)[0]
    info = dict(img=img, img_path=None, **model.dataset_meta)
    data = Compose(model.cfg.test_dataloader.dataset.pipeline)(info)
    with torch.no_grad():
        ref = model.test_step(pseudo_collate([data]))[0]
    torch.testing.assert_close(api.pred_fields.heatmaps,
                               ref.pred_fields.heatmaps)
    np.testing.assert_allclose(api.pred_instances.keypoints,
                               ref.pred_instances.keypoints)


def test_wrong_kind_of_call_is_refused():
    model = init_model(*trained('bottomup'))
    with pytest.raises(TypeError, match='top-down'):
        inference_topdown(model, people_image())


# ----------------------------------------------------------- inferencer
def test_inferencer_is_registered_and_picks_the_path():
    assert INFERENCERS.get('PoseInferencer') is PoseInferencer
    img = people_image(96, 80)
    for kind in KINDS:
        inf = PoseInferencer(*trained(kind))
        assert inf.kind == kind
        out = inf([img, img], return_vis=kind == 'landmarks')
        assert len(out['predictions']) == 2 and not out['failures']
        if kind == 'landmarks':
            drawn = out['visualization'][0]
            assert drawn.shape == img.shape and (drawn != img).any()
        ref = INFER[kind](inf.model, img)
        expect = np.concatenate(
            [r.pred_instances.keypoints for r in ref]) if ref else None
        got = out['predictions'][0]['instances']
        assert len(got) == len(expect)
        for inst, kpts in zip(got, expect):
            np.testing.assert_allclose(
                np.reshape(inst['keypoints'], (-1, 3))[:, :2], kpts,
                atol=1e-3)


def test_two_stage_boxes_come_from_the_bottomup_model():
    det_cfg = _loose_det_cfg()
    inf = PoseInferencer(*trained('topdown'), det_model=det_cfg,
                         det_weights=trained('bottomup')[1])
    img = people_image(96, 80)
    people = inference_bottomup(inf.det_model, img)[0].pred_instances
    size = people.bboxes[:, 2:] - people.bboxes[:, :2]
    keep = size.min(axis=1) >= inf.det_min_size
    assert keep.sum() >= 1, 'the loose PAF model should find people'
    out = inf(img, return_datasamples=True)['predictions'][0]
    pred = out.pred_instances
    np.testing.assert_allclose(pred.bboxes, people.bboxes[keep])
    np.testing.assert_allclose(pred.bbox_scores, people.scores[keep])
    assert pred.keypoints.shape == (keep.sum(), 17, 2)
    # each person refined by the top-down model in its own box
    alone = inference_topdown(inf.model, img, people.bboxes[keep][:1])[0]
    np.testing.assert_allclose(pred.keypoints[:1],
                               alone.pred_instances.keypoints, atol=1e-4)


def test_prediction_to_dict_is_coco_style():
    model = init_model(*trained('topdown'))
    sample = inference_topdown(model, people_image(), [[5, 5, 60, 70, 0.5]])
    d = prediction_to_dict(sample[0])
    inst = d['instances'][0]
    assert len(inst['keypoints']) == 17 * 3
    kpts = np.reshape(inst['keypoints'], (17, 3))
    np.testing.assert_allclose(kpts[:, 2], inst['keypoint_scores'])
    scores = sample[0].pred_instances.keypoint_scores
    np.testing.assert_allclose(inst['keypoint_scores'], scores[0], atol=1e-5)
    np.testing.assert_allclose(kpts[:, :2],
                               sample[0].pred_instances.keypoints[0],
                               atol=1e-3)
    assert inst['score'] == pytest.approx(0.5 * scores.mean(), abs=1e-6)
    json.dumps(d)


# ------------------------------------------------------------ bad input
def _write_video(path, frames):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 5,
                        (frames[0].shape[1], frames[0].shape[0]))
    for f in frames:
        w.write(f)
    w.release()


def _file(name, data):
    def make(d):
        path = d / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            assert cv2.imwrite(str(path), data)
        return path
    return make


def _folder_without_images(d):
    (d / 'sub').mkdir()
    (d / 'sub' / 'a.txt').write_text('x')
    (d / 'sub' / 'clip.mp4').write_bytes(b'')  # folders give images only
    return d / 'sub'


BAD_INPUTS = {
    'unsupported file type': (_file('notes.txt', b'hi'), InputError,
                              r"unsupported file type '\.txt'.*notes\.txt"),
    'missing path': (lambda d: d / 'ghost.png', InputError,
                     'input not found.*ghost.png'),
    'empty video': (_file('e.mp4', b''), InputError, r'e\.mp4'),
    'unreadable video': (_file('junk.avi', b'\x00' * 500), InputError,
                         r'junk\.avi'),
    'folder without images': (_folder_without_images, InputError,
                              'sub.*has no images'),
    'unreadable image': (_file('bad.jpg', b'not a jpeg'), OSError,
                         r'bad\.jpg'),
    'image smaller than the stride': (
        _file('tiny.png', np.zeros((3, 5, 3), np.uint8)), ValueError,
        r'tiny\.png.*5x3.*stride'),
}


@pytest.mark.parametrize('case', sorted(BAD_INPUTS))
@pytest.mark.parametrize('kind', ['topdown', 'bottomup'])
def test_bad_input_error_names_it(tmp_path, case, kind):
    make, error, pattern = BAD_INPUTS[case]
    path = make(tmp_path)
    inf = PoseInferencer(*trained(kind))
    with pytest.raises(error, match=pattern):
        inf(str(path))


@pytest.mark.parametrize('variant', ['gray', 'gray_hw1', 'rgba', 'uint16'])
def test_unusual_pixel_formats_are_converted(tmp_path, variant):
    """Grayscale, RGBA and 16-bit images (arrays and files) give what the
    equivalent 8-bit BGR image gives."""
    model = init_model(*trained('topdown'))
    bgr = people_image(96, 80)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    if variant == 'gray':
        odd, ref = gray, np.repeat(gray[..., None], 3, axis=2)
    elif variant == 'gray_hw1':
        odd, ref = gray[..., None], np.repeat(gray[..., None], 3, axis=2)
    elif variant == 'rgba':
        odd = np.concatenate([bgr, np.full((80, 96, 1), 77, np.uint8)], 2)
        ref = bgr
    else:
        odd, ref = bgr.astype(np.uint16) * 257, bgr
    want = inference_topdown(model, ref)[0].pred_instances.keypoints
    got = inference_topdown(model, odd)[0].pred_instances.keypoints
    np.testing.assert_allclose(got, want, atol=1e-4)
    if variant != 'gray_hw1':
        path = str(tmp_path / f'{variant}.png')
        cv2.imwrite(path, odd)
        from_file = inference_topdown(model, path)[0].pred_instances
        np.testing.assert_allclose(from_file.keypoints, want, atol=1e-4)


def test_folder_with_unreadable_files_processes_the_others(tmp_path):
    img = people_image(96, 80)
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    cv2.imwrite(str(tmp_path / 'c.jpg'), img)
    (tmp_path / 'b.jpg').write_bytes(b'garbage')
    (tmp_path / 'readme.txt').write_text('ignored: not an image type')
    out = PoseInferencer(*trained('bottomup'))(str(tmp_path))
    assert [p['img_path'] for p in out['predictions']] == [
        str(tmp_path / 'a.png'), str(tmp_path / 'c.jpg')]
    assert [name for name, _ in out['failures']] == [str(tmp_path / 'b.jpg')]
    (tmp_path / 'a.png').unlink()
    (tmp_path / 'c.jpg').unlink()
    with pytest.raises(InputError, match='no input could be processed'):
        PoseInferencer(*trained('bottomup'))(str(tmp_path))


# ------------------------------------------------------------------- CLI
@pytest.mark.parametrize('kind', KINDS)
def test_cli_writes_pictures_and_json(tmp_path, kind, capsys):
    config, ckpt = trained(kind)
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for i in range(2):
        cv2.imwrite(str(folder / f'p{i}.png'), people_image(96, 80, seed=i))
    (folder / 'broken.png').write_bytes(b'\x89PNG\r\n\x1a\nxx')
    out = tmp_path / 'out'
    rc = load_script('tools/infer.py').main(
        [config, ckpt, str(folder), '--out-dir', str(out), '--threads', '1'])
    assert rc == 0
    assert sorted(os.listdir(out / 'vis')) == ['p0.png', 'p1.png']
    assert sorted(os.listdir(out / 'predictions')) == ['p0.json', 'p1.json']
    pic = cv2.imread(str(out / 'vis' / 'p0.png'))
    assert pic.shape == (80, 96, 3)
    pred = json.loads((out / 'predictions' / 'p0.json').read_text())
    assert pred['img_path'] == str(folder / 'p0.png')
    assert (pred['width'], pred['height']) == (96, 80)
    ref = PoseInferencer(config, ckpt)(str(folder / 'p0.png'))
    assert pred == json.loads(json.dumps(ref['predictions'][0]))
    err = capsys.readouterr().err
    assert 'broken.png' in err and '1 input(s) failed' in err
    assert '3/3' in err  # progress bar reached the end


def test_cli_video_and_random_weights_warning(tmp_path, capsys):
    config, ckpt = trained('bottomup')
    frames = [people_image(96, 80, seed=i) for i in range(3)]
    _write_video(tmp_path / 'clip.mp4', frames)
    out = tmp_path / 'out'
    tool = load_script('tools/infer.py')
    assert tool.main([config, ckpt, str(tmp_path / 'clip.mp4'),
                      '--out-dir', str(out), '--frame-pictures']) == 0
    lines = (out / 'predictions' / 'clip.jsonl').read_text().splitlines()
    assert [json.loads(x)['frame_index'] for x in lines] == [0, 1, 2]
    cap = cv2.VideoCapture(str(out / 'vis' / 'clip.mp4'))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    cap.release()
    assert len(os.listdir(out / 'vis' / 'clip')) == 3
    # no checkpoint: runs, and says the weights are random
    assert tool.main([config, str(tmp_path / 'clip.mp4'), '--out-dir',
                      str(tmp_path / 'o2')]) == 0
    assert 'RANDOM weights' in capsys.readouterr().err
    # a checkpoint of another model kind: the keys, not a traceback
    assert tool.main([config, trained('landmarks')[1],
                      str(tmp_path / 'clip.mp4'), '--out-dir',
                      str(tmp_path / 'o4')]) == 2
    err = capsys.readouterr().err
    assert 'does not fit the model' in err and 'missing keys' in err
    # an empty video fails with its name, before any work
    (tmp_path / 'empty.mp4').write_bytes(b'')
    assert tool.main([config, ckpt, str(tmp_path / 'empty.mp4'),
                      '--out-dir', str(tmp_path / 'o3')]) == 2
    assert 'empty.mp4' in capsys.readouterr().err


@pytest.mark.parametrize('kind', KINDS)
def test_quickstart_infer_command_runs(tmp_path, kind):
    """The command the quickstarts print runs as it is, on the trained
    config (dumped) and a held-out image of its test set."""
    import shlex
    config, ckpt = trained(kind)
    cmd = infer_command(Config.fromfile(config), ckpt, str(tmp_path), 1)
    args = shlex.split(cmd)
    assert args[:2] == ['python', 'tools/infer.py'] and ckpt in args
    assert load_script('tools/infer.py').main(args[2:]) == 0
    assert os.listdir(tmp_path / 'infer' / 'vis') == ['infer_demo.png']
    pred = json.loads(
        (tmp_path / 'infer' / 'predictions' / 'infer_demo.json').read_text())
    assert pred['img_path'] == str(tmp_path / 'infer_demo.png')
