"""Model aliases of configs/*/metafile.yml (issue 23): PoseInferencer,
init_model and tools/infer.py take 'hourglass_mpii', 'openpose_coco', the
quickstart names...; anything else that is not a config file is answered
with 'does not exist' and the list of aliases (it used to be mmengine's
scope AssertionError); a bare config path keeps working."""
import os.path as osp

import pytest
import yaml

from conftest import REPO
from kp_ext.apis import (PoseInferencer, UnknownModelError, init_model,
                         model_aliases, resolve_config)
from tiny_models import load_script, people_image, trained


def test_every_metafile_name_is_an_alias_of_its_config():
    aliases = model_aliases()
    for name in ('hourglass_mpii', 'hourglass_coco', 'openpose_coco',
                 'hourglass_synthetic', 'openpose_synthetic',
                 'fse_synthetic', 'fse_faces'):
        assert osp.isfile(aliases[name]), name
    for path in REPO.glob('configs/*/metafile.yml'):
        for entry in yaml.safe_load(path.read_text())['Models']:
            assert aliases[entry['Name'].lower()] == str(
                REPO / entry['Config'])
    assert resolve_config('OpenPose_COCO') == str(
        REPO / 'configs/openpose_coco.py')


@pytest.mark.parametrize('name', ['human', 'configs/no_such_config.py'])
def test_unknown_name_lists_the_aliases(name):
    with pytest.raises(UnknownModelError) as info:
        PoseInferencer(name)
    text = str(info.value)
    assert repr(name) in text and 'does not exist' in text
    for alias in ('hourglass_mpii', 'openpose_coco', 'hourglass_synthetic'):
        assert alias in text
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(UnknownModelError, match='does not exist'):
        init_model(name)


def test_alias_builds_the_config_and_a_path_still_works():
    inferencer = PoseInferencer('hourglass_synthetic')
    assert inferencer.model.cfg.filename == str(
        REPO / 'configs/quickstart/hourglass_synthetic.py')
    assert inferencer.kind == 'topdown'
    config, ckpt = trained('topdown')  # a bare config path (not in configs/)
    result = PoseInferencer(config, ckpt)(people_image())
    assert len(result['predictions'][0]['instances']) == 1


def test_metafile_alias_field_and_missing_config(tmp_path):
    configs = tmp_path / 'configs'
    (configs / 'fam').mkdir(parents=True)
    (configs / 'fam' / 'metafile.yml').write_text(yaml.safe_dump(dict(
        Models=[dict(Name='a_model', Alias=['short', 'Other'],
                     Config='configs/fam/a.py'),
                dict(Name='gone', Config='configs/fam/gone.py')])))
    (configs / 'fam' / 'a.py').write_text('x = 1\n')
    aliases = model_aliases(str(configs))
    assert aliases['short'] == aliases['other'] == aliases['a_model'] == \
        str(configs / 'fam' / 'a.py')
    with pytest.raises(UnknownModelError, match=r"'gone'.*gone\.py.*does "
                       r'not exist.*metafile\.yml'):
        resolve_config('gone', str(configs))


def test_cli_takes_an_alias_and_names_an_unknown_one(tmp_path, capsys):
    tool = load_script('tools/infer.py')
    image = tmp_path / 'p.png'
    import cv2
    cv2.imwrite(str(image), people_image())
    assert tool.main(['hourglass_synthetic', str(image), '--out-dir',
                      str(tmp_path / 'out'), '--threads', '1']) == 0
    assert (tmp_path / 'out' / 'predictions' / 'p.json').is_file()
    capsys.readouterr()
    assert tool.main(['human', str(image), '--out-dir',
                      str(tmp_path / 'o2')]) == 2
    err = capsys.readouterr().err
    assert "'human' does not exist" in err and 'openpose_coco' in err
