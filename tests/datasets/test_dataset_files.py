"""The missing-dataset check of tools/train.py and tools/test.py."""
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from kp_ext.datasets import (DatasetNotFoundError, MpiiDataset,
                             check_dataset_files, dataset_docs,
                             missing_dataset_files)
from kp_ext.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]


def _env():
    return dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')


def test_train_without_mpii_stops_short_before_the_config_dump(tmp_path):
    # run from an empty folder with the data folder in it ($KP_EXT_DATA):
    # data/mpii/ cannot exist there
    proc = subprocess.run(
        [sys.executable, str(REPO / 'tools/train.py'),
         str(REPO / 'configs/hourglass_mpii.py'),
         '--work-dir', str(tmp_path / 'work')],
        cwd=tmp_path, env=dict(_env(), KP_EXT_DATA=str(tmp_path / 'data')), capture_output=True, text=True,
        timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert len(out.strip().splitlines()) < 10, out
    assert 'data/mpii/annotations/mpii_train.json' in out
    assert 'docs/DATASETS.md#mpii' in out
    assert 'Traceback' not in out and 'model = dict' not in out
    assert not (tmp_path / 'work').exists()  # no runner was built


def test_test_tool_checks_the_test_split_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, 'argv', [
        'test.py', str(REPO / 'configs/hourglass_coco.py'), 'none.pth',
        '--work-dir', str(tmp_path / 'work')])
    with pytest.raises(SystemExit) as err:
        runpy.run_path(str(REPO / 'tools/test.py'), run_name='__main__')
    out = str(err.value.code)
    assert 'person_keypoints_val2017.json' in out
    assert 'train2017' not in out  # the training split is not needed
    assert 'docs/DATASETS.md#coco-keypoints' in out


def _face_cfg(root):
    split = dict(type='FaceLandmarkCSVDataset', data_root=str(root))
    return Config(dict(
        train_dataloader=dict(dataset=dict(split, split='train')),
        val_dataloader=dict(dataset=dict(
            type='RegressionSplitDataset', fit=dict(split, split='train'),
            test=dict(split, split='val'))),
        val_evaluator=dict(type='LandmarkRegressionMetric')))


def test_class_defaults_and_wrapped_datasets_are_checked(tmp_path):
    root = tmp_path / 'faces'
    cfg = _face_cfg(root)
    # the root is missing: the reader's default CSVs (not in the config)
    # are what is reported, the root itself only as their folder
    with pytest.raises(DatasetNotFoundError) as err:
        check_dataset_files(cfg)
    msg = str(err.value)
    assert f'{root}/data/training_frames_keypoints.csv' in msg
    assert 'docs/DATASETS.md#youtube-faces-68-point-landmarks' in msg
    assert len(msg.splitlines()) < 10
    (root / 'data' / 'training').mkdir(parents=True)
    (root / 'data' / 'test').mkdir()
    (root / 'data' / 'training_frames_keypoints.csv').write_text(',0\n')
    missing = [m[0] for m in missing_dataset_files(cfg)]
    assert missing == [f'{root}/data/test_frames_keypoints.csv']
    (root / 'data' / 'test_frames_keypoints.csv').write_text(',0\n')
    check_dataset_files(cfg)  # complete: no error


def test_evaluator_files_and_skipped_phases(tmp_path):
    cfg = Config(dict(
        val_dataloader=None,
        test_dataloader=dict(dataset=dict(
            type='SyntheticPeopleDataset', num_samples=2)),
        test_evaluator=[dict(type='CocoKeypointMetric',
                             ann_file=str(tmp_path / 'gt.json'))]))
    assert missing_dataset_files(cfg, ('train', 'val')) == []
    (path, what, _), = missing_dataset_files(cfg, ('test', ))
    assert path == str(tmp_path / 'gt.json')
    assert 'CocoKeypointMetric ann_file' in what


def test_reader_error_names_file_and_docs(tmp_path):
    missing = tmp_path / 'mpii_train.json'
    with pytest.raises(FileNotFoundError,
                       match=r'mpii_train\.json.*docs/DATASETS\.md#mpii'):
        MpiiDataset(ann_file=str(missing))


def _github_anchor(heading):
    slug = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return slug.replace(' ', '-')


def test_every_reader_docs_anchor_is_a_section_of_datasets_md():
    text = (REPO / 'docs/DATASETS.md').read_text()
    anchors = {_github_anchor(h) for h in
               re.findall(r'^#+ (.+)$', text, flags=re.M)}
    import kp_ext.datasets  # noqa: F401  (registers the readers)
    documented = {name: cls.DATASET_DOCS
                  for name, cls in DATASETS.module_dict.items()
                  if getattr(cls, 'DATASET_DOCS', None)}
    assert {'MpiiDataset', 'CocoDataset', 'FaceLandmarkCSVDataset',
            'CatDataset', 'DeepLabCutDataset'} <= set(documented)
    for name, anchor in documented.items():
        assert anchor in anchors, (name, anchor)
        assert dataset_docs(name) == f'docs/DATASETS.md#{anchor}'


def _configs():
    return sorted(p for p in (REPO / 'configs').rglob('*.py')
                  if '_base_' not in p.parts)


@pytest.mark.parametrize('config', _configs(),
                         ids=lambda p: str(p.relative_to(REPO / 'configs')))
def test_datasets_md_describes_every_file_a_config_reads(config):
    """Each file/folder name a config's datasets read (data_root,
    ann_file, image folders, bbox/headbox files) is in docs/DATASETS.md,
    so the layout documented there is the one the configs expect."""
    from kp_ext.datasets import dataset_paths
    text = (REPO / 'docs/DATASETS.md').read_text()
    cfg = Config.fromfile(str(config))
    for path, what, docs in dataset_paths(cfg, ('train', 'val', 'test')):
        name = Path(path).name
        assert name in text, f'{config.name}: {what} {path}'
        assert docs.startswith('docs/DATASETS.md#'), (what, docs)
