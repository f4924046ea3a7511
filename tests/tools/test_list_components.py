"""tools/misc/list_components.py: every registered name, one line each."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools/misc/list_components.py'



def _run(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, str(TOOL), *args], cwd=REPO,
                          env=env, capture_output=True, text=True,
                          timeout=120)


def test_fresh_process_lists_every_model_with_its_docstring():
    # a fresh interpreter: MODELS.module_dict is empty until imported
    proc = _run('--registry', 'models')
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith('models (')
    body = {ln.split()[0]: ln.split(None, 1)[1] for ln in lines[1:]}
    for name in ('StackedHourglass', 'OpenPoseVGG', 'FSEConvNet',
                 'TopdownPoseEstimator', 'BottomupPoseEstimator',
                 'UnsupervisedLandmarkEstimator', 'PartAffinityFieldHead'):
        assert name in body
    assert body['StackedHourglass'] == (
        'Stacked Hourglass backbone of Newell et al. (ECCV 2016).')
    assert 'transforms (' not in proc.stdout  # only the asked registry


def test_all_registries_match_the_registry_contents(load_tool, capsys):
    tool = load_tool('tools/misc/list_components.py')
    assert tool.import_all() == {}
    regs = tool.kp_ext_registries()
    from kp_ext.registry import KEYPOINT_CODECS, MODELS, TRANSFORMS
    assert regs['models'] is MODELS and regs['transforms'] is TRANSFORMS
    assert regs['keypoint_codecs'] is KEYPOINT_CODECS
    assert tool.main([]) == 0
    out = capsys.readouterr().out
    for reg in (MODELS, TRANSFORMS, KEYPOINT_CODECS):
        assert reg.module_dict
        for name in reg.module_dict:
            assert f'\n  {name} ' in out, name


def test_docstring_line_and_registry_names(load_tool):
    tool = load_tool('tools/misc/list_components.py')

    class A:
        """First sentence of Newell et al. 2016, e.g. this. Second one.

        Details."""

    class B:
        pass

    assert tool.first_doc_line(A) == (
        'First sentence of Newell et al. 2016, e.g. this.')
    assert tool.first_doc_line(B) == '(no docstring)'
    regs = tool.kp_ext_registries()
    assert tool._resolve('codecs', regs) == 'keypoint_codecs'
    assert tool._resolve('model', regs) == 'models'
    with pytest.raises(SystemExit, match='unknown registry'):
        tool.main(['--registry', 'nonsense'])
