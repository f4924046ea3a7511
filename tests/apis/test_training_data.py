"""What a model was trained on (issue 23): checkpoints carry
meta['training_data'] from the config's training dataset; init_model reads
it (else the config saved in the checkpoint, else the config given);
PoseInferencer and tools/infer.py say in one line when it is synthetic
only, and what to train for real images."""
import cv2
import pytest
import torch
from mmengine.config import Config

from conftest import REPO
from kp_ext.apis import (PoseInferencer, init_model, model_kind,
                         training_data_summary, training_data_warning)
from kp_ext.datasets import describe_training_data
from tiny_models import load_script, people_image, trained


def _cfg(name):
    return Config.fromfile(str(REPO / 'configs' / name))


@pytest.mark.parametrize('name,synthetic,types', [
    ('quickstart/hourglass_synthetic.py', True, ['SyntheticPeopleDataset']),
    ('quickstart/openpose_synthetic.py', True, ['SyntheticCrowdDataset']),
    ('quickstart/fse_synthetic.py', True, ['SyntheticDeformableDataset']),
    ('hourglass_mpii.py', False, ['MpiiDataset']),
    ('openpose_coco.py', False, ['CocoDataset']),
])
def test_description_from_the_config(name, synthetic, types):
    d = describe_training_data(_cfg(name))
    assert d['synthetic'] is synthetic and d['dataset_types'] == types
    assert types[0] in d['description']


@pytest.mark.parametrize('name,what,instead', [
    ('quickstart/hourglass_synthetic.py', 'synthetic people',
     'configs/hourglass_coco.py (COCO) or configs/hourglass_mpii.py'),
    ('quickstart/openpose_synthetic.py', 'synthetic crowds',
     'configs/openpose_coco.py (COCO)'),
    ('quickstart/fse_synthetic.py', 'synthetic',
     'configs/fse_faces.py (real faces)'),
])
def test_quickstart_closing_line_says_what_the_checkpoint_saw(
        name, what, instead):
    """The line each quickstart prints under its checkpoint (issue 23)."""
    cfg = _cfg(name)
    line = training_data_summary(describe_training_data(cfg),
                                 model_kind(cfg.model.type))
    assert line.startswith(f'trained on {what}'), line
    assert 'only: expect poor results on real photos' in line
    assert f'train {instead}' in line
    for tool in ('quickstart.py', 'quickstart_openpose.py',
                 'quickstart_fse.py'):
        src = (REPO / 'tools' / tool).read_text()
        assert 'training_data_summary(describe_training_data(cfg)' in src


def test_summary_of_real_data_names_it_without_a_warning():
    cfg = _cfg('hourglass_mpii.py')
    line = training_data_summary(describe_training_data(cfg), 'topdown')
    assert line.startswith('trained on MpiiDataset (')
    assert 'mpii_train.json' in line and 'poor results' not in line
    assert training_data_summary(None) is None


def test_wrapped_and_mixed_datasets():
    people = dict(type='SyntheticPeopleDataset', num_samples=2)
    coco = dict(type='CocoDataset', data_root='data/coco/',
                ann_file='annotations/train.json')
    d = describe_training_data(dict(train_dataloader=dict(dataset=dict(
        type='RepeatDataset', times=2, dataset=people))))
    assert d['synthetic'] and 'synthetic people' in d['description']
    d = describe_training_data(dict(train_dataloader=dict(dataset=dict(
        type='ConcatDataset', datasets=[people, coco]))))
    assert not d['synthetic']
    assert d['dataset_types'] == ['CocoDataset', 'SyntheticPeopleDataset']
    assert 'data/coco/annotations/train.json' in d['description']
    assert describe_training_data(dict(test_dataloader={})) is None


def test_checkpoint_meta_and_the_warning():
    config, ckpt = trained('topdown')
    meta = torch.load(ckpt, map_location='cpu', weights_only=False)['meta']
    assert meta['training_data']['synthetic'] is True
    assert meta['training_data']['dataset_types'] == ['SyntheticPeopleDataset']
    model = init_model(config, ckpt)
    assert model.training_data['source'] == 'checkpoint meta'
    line = training_data_warning(model)
    assert line.startswith('trained on synthetic people')
    assert 'expect poor results on real photos' in line
    assert 'configs/hourglass_coco.py' in line and '\n' not in line
    assert PoseInferencer(config, ckpt).training_data_warning == line
    # random weights: no claim about training data
    assert training_data_warning(init_model(config)) is None


@pytest.mark.parametrize('kind,instead', [('bottomup', 'openpose_coco.py'),
                                          ('landmarks', 'fse_faces.py')])
def test_warning_names_what_to_train_per_kind(kind, instead):
    line = PoseInferencer(*trained(kind)).training_data_warning
    assert 'synthetic' in line and instead in line


def test_old_checkpoints_derive_it(tmp_path):
    config, ckpt = trained('topdown')
    full = torch.load(ckpt, map_location='cpu', weights_only=False)
    # meta without training_data: the training config saved in the meta
    saved = dict(full, meta={k: v for k, v in full['meta'].items()
                             if k != 'training_data'})
    torch.save(saved, tmp_path / 'old.pth')
    model = init_model(config, str(tmp_path / 'old.pth'))
    assert model.training_data['source'] == 'checkpoint config'
    assert model.training_data['synthetic']
    # a bare state dict: the config's training dataset
    torch.save(dict(state_dict=full['state_dict']), tmp_path / 'bare.pth')
    model = init_model(config, str(tmp_path / 'bare.pth'))
    assert model.training_data['source'] == 'config'
    assert training_data_warning(model).startswith('trained on synthetic')
    # trained on real data (as the meta says): nothing to warn about
    real = dict(full, meta=dict(full['meta'], training_data=dict(
        dataset_types=['CocoDataset'], synthetic=False,
        description='CocoDataset (data/coco/train.json)')))
    torch.save(real, tmp_path / 'real.pth')
    assert training_data_warning(
        init_model(config, str(tmp_path / 'real.pth'))) is None


def test_infer_cli_prints_one_warning_line(tmp_path, capsys):
    config, ckpt = trained('topdown')
    image = tmp_path / 'p.png'
    cv2.imwrite(str(image), people_image())
    tool = load_script('tools/infer.py')
    assert tool.main([config, ckpt, str(image), '--out-dir',
                      str(tmp_path / 'out'), '--threads', '1']) == 0
    cap = capsys.readouterr()
    lines = [x for x in (cap.out + cap.err).splitlines()
             if 'trained on synthetic' in x]
    assert len(lines) == 1, cap
    assert lines[0].startswith(f'WARNING: {ckpt}: trained on synthetic '
                               'people')
    assert 'expect poor results on real photos' in lines[0]
