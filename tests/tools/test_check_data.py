"""tools/misc/check_data.py on COCO layouts built here: present, missing
and broken files, and images the annotations name but the folder lacks."""
import json

import pytest
from PIL import Image

K = 17


def _layout(root, images=('000000000001.jpg', '000000000002.jpg'),
            make_images=True):
    """data/coco/ of docs/DATASETS.md with one person per image."""
    (root / 'annotations').mkdir(parents=True)
    (root / 'train2017').mkdir()
    kpts = []
    for j in range(K):
        kpts += [12 + j, 15 + j, 2]
    data = dict(
        images=[dict(id=i + 1, file_name=n, width=64, height=48)
                for i, n in enumerate(images)],
        annotations=[dict(id=i + 1, image_id=i + 1, category_id=1,
                          iscrowd=0, keypoints=kpts, num_keypoints=K,
                          bbox=[10, 10, 30, 30], area=900.0)
                     for i in range(len(images))],
        categories=[dict(id=1, name='person', keypoints=['k'] * K,
                         skeleton=[])])
    ann = root / 'annotations' / 'person_keypoints_train2017.json'
    ann.write_text(json.dumps(data))
    if make_images:
        for n in images:
            Image.new('RGB', (64, 48)).save(root / 'train2017' / n)
    return ann


def _config(tmp_path, root):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        "default_scope = 'kp_ext'\n"
        "model = dict(type='TopdownPoseEstimator')\n"
        "train_dataloader = dict(batch_size=1, dataset=dict(\n"
        f"    type='CocoDataset', data_root='{root}/',\n"
        "    ann_file='annotations/person_keypoints_train2017.json',\n"
        "    data_prefix=dict(img='train2017/'), pipeline=[]))\n")
    return str(cfg)


@pytest.fixture
def check(load_tool, capsys):
    tool = load_tool('tools/misc/check_data.py')

    def run(*argv):
        code = tool.main(list(argv))
        return code, capsys.readouterr().out
    return run


def test_present_layout(tmp_path, check):
    root = tmp_path / 'coco'
    ann = _layout(root)
    code, out = check(_config(tmp_path, root))
    assert code == 0, out
    assert f'  present   {ann}  <- train_dataloader (CocoDataset ann_file)' \
        in out
    assert f'  present   {root}/train2017  <- train_dataloader' in out
    assert 'train: CocoDataset 2 samples; images: 2 of 2 present' in out
    assert 'all 3 path(s) present and readable' in out


def test_missing_layout_names_files_and_docs(tmp_path, check):
    root = tmp_path / 'coco'
    root.mkdir()
    code, out = check(_config(tmp_path, root))
    assert code == 1
    ann = root / 'annotations' / 'person_keypoints_train2017.json'
    assert f'  MISSING   {ann}  <- train_dataloader (CocoDataset ann_file)' \
        in out
    assert f'  MISSING   {root}/train2017  <- ' in out
    assert f'  present   {root}  <- ' in out  # the root itself is there
    assert 'train: not built (files missing or malformed above)' in out
    assert '2 missing, 0 malformed, 0 split(s)' in out
    assert 'docs/DATASETS.md#coco-keypoints' in out


def test_broken_files_are_malformed(tmp_path, check):
    root = tmp_path / 'coco'
    ann = _layout(root)
    ann.write_text('{"images": [')          # cut short
    code, out = check(_config(tmp_path, root))
    assert code == 1
    assert f'  MALFORMED {ann}: not valid JSON: ' in out
    assert '0 missing, 1 malformed' in out
    ann.write_text('')
    code, out = check(_config(tmp_path, root))
    assert f'  MALFORMED {ann}: empty file (0 bytes)' in out
    for f in (root / 'train2017').iterdir():
        f.unlink()
    code, out = check(_config(tmp_path, root))
    assert f'  MALFORMED {root}/train2017: empty folder' in out


def test_images_named_by_the_annotations_but_absent(tmp_path, check):
    root = tmp_path / 'coco'
    _layout(root)
    (root / 'train2017' / '000000000002.jpg').unlink()
    code, out = check(_config(tmp_path, root))
    assert code == 1
    # CocoDataset checks its images itself: its error, naming the file
    assert 'train: MALFORMED - the reader (CocoDataset) failed: ' in out
    assert f'{root}/train2017/000000000002.jpg' in out
    assert '0 missing, 0 malformed, 1 split(s) whose annotations or ' \
        'images fail' in out
    # a reader that does not: check_data counts the images
    code, out = check(_config(tmp_path, root), '--cfg-options',
                      'train_dataloader.dataset.check_image_exists=False')
    assert code == 1
    assert ('train: CocoDataset 2 samples; images: 1 of 2 present - '
            f'MISSING 1 (first: {root}/train2017/000000000002.jpg)') in out


def test_reader_error_is_malformed(tmp_path, check):
    root = tmp_path / 'coco'
    ann = _layout(root)
    ann.write_text(json.dumps(dict(images=[], annotations=[],
                                   categories=[])))
    code, out = check(_config(tmp_path, root))
    assert code == 1
    assert 'train: MALFORMED - the reader (CocoDataset) failed: ' in out


def test_bad_command_line(tmp_path, check):
    with pytest.raises(SystemExit) as err:
        check(str(tmp_path / 'none.py'))
    assert err.value.code == 2
    with pytest.raises(SystemExit):
        check(_config(tmp_path, tmp_path), '--phases', 'training')
