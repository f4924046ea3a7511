"""The missing-dataset message shows resolved paths (issue 23): the
absolute, normalised path, and the relative one as it was given."""
import pytest
from mmengine.config import Config

from kp_ext.datasets import DatasetNotFoundError, check_dataset_files


def _coco_cfg(root):
    return Config(dict(train_dataloader=dict(dataset=dict(
        type='CocoDataset', data_root=root,
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/')))))


def test_relative_path_resolved_and_shown_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetNotFoundError) as err:
        check_dataset_files(_coco_cfg('configs/../data/coco/'), ('train', ))
    msg = str(err.value)
    ann = tmp_path / 'data/coco/annotations/person_keypoints_train2017.json'
    assert (f'  {ann} (given as configs/../data/coco/annotations/'
            'person_keypoints_train2017.json)  <- train_dataloader '
            '(CocoDataset ann_file)') in msg
    assert f'  {tmp_path}/data/coco/train2017 (given as ' in msg


def test_absolute_path_normalised(tmp_path):
    root = f'{tmp_path}/configs/_base_/../../data/coco/'
    with pytest.raises(DatasetNotFoundError) as err:
        check_dataset_files(_coco_cfg(root), ('train', ))
    msg = str(err.value)
    ann = tmp_path / 'data/coco/annotations/person_keypoints_train2017.json'
    assert f'  {ann}  <- train_dataloader (CocoDataset ann_file)' in msg
    assert '/../' not in msg and 'given as' not in msg
