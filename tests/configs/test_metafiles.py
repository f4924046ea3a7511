"""configs/<family>/metafile.yml (MMPose's shape) and docs/MODEL_ZOO.md:
every config they name exists and parses, every number comes from the
README's measured results."""
import re
from pathlib import Path

import pytest
import yaml
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
METAFILES = sorted(REPO.glob('configs/*/metafile.yml'))


def _models():
    for path in METAFILES:
        meta = yaml.safe_load(path.read_text())
        for model in meta['Models']:
            yield path, meta, model


def test_every_family_has_a_metafile():
    assert {p.parent.name for p in METAFILES} >= {'hourglass', 'openpose',
                                                  'fse'}


@pytest.mark.parametrize('path,meta,model', list(_models()),
                         ids=lambda v: v['Name'] if isinstance(v, dict)
                         and 'Name' in v else '')
def test_metafile_entry(path, meta, model):
    from kp_ext.registry import MODELS
    import kp_ext.models  # noqa: F401  (registers every model component)
    collections = {c['Name'] for c in meta['Collections']}
    assert model['In Collection'] in collections
    config = REPO / model['Config']
    assert config.is_file(), model['Config']
    cfg = Config.fromfile(str(config))  # parses, _base_ resolves
    assert 'model' in cfg
    for name in model['Metadata']['Architecture']:
        assert MODELS.get(name) is not None, name
    script = model['Metadata']['Training Command'].split()[1]
    assert (REPO / script).is_file(), script
    assert isinstance(model['Results'], list)
    for result in model['Results']:
        assert {'Dataset', 'Task', 'Metrics'} <= set(result)
        assert result['Metrics']


def test_names_unique_and_listed_in_the_model_zoo():
    zoo = (REPO / 'docs/MODEL_ZOO.md').read_text()
    rows = {line.split('|')[1].strip(): line
            for line in zoo.splitlines() if line.startswith('| ')}
    names = [m['Name'] for _, _, m in _models()]
    assert len(names) == len(set(names))
    for _, _, model in _models():
        row = rows[model['Name']]
        assert f"`{model['Config']}`" in row
        assert model['Metadata']['Training Command'] in row
        if not model['Results']:
            assert 'not trained here' in row
        for result in model['Results']:
            for value in result['Metrics'].values():
                assert _has_number(row, value), (model['Name'], value)


def _numbers(text):
    return {float(t.replace(',', '')) for t in
            re.findall(r'\d[\d,]*\.\d+|\d+', text)}


def _has_number(text, value):
    return float(value) in _numbers(text)


def test_every_result_is_a_number_of_the_readme():
    readme = _numbers((REPO / 'README.md').read_text())
    for _, _, model in _models():
        for result in model['Results']:
            for key, value in result['Metrics'].items():
                assert float(value) in readme, (model['Name'], key, value)


def test_every_config_is_in_a_metafile():
    """A new config gets its metafile entry (and so its MODEL_ZOO row)."""
    listed = {m['Config'] for _, _, m in _models()}
    configs = {str(p.relative_to(REPO)) for p in
               (REPO / 'configs').rglob('*.py') if '_base_' not in p.parts}
    assert configs - listed == set()
