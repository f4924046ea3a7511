"""The COCO PAF configs take limbs and channel counts from one source, the
body model's metainfo file (``kp_ext/datasets/metainfo/``): no config
writes a limb or part count, and what the model is built with matches the
metainfo."""
import ast
from pathlib import Path

import pytest
from mmengine.config import Config

from kp_ext.structures.metainfo import parse_pose_metainfo

REPO = Path(__file__).resolve().parents[2]
PAF_CONFIGS = ['configs/openpose_coco.py'] + sorted(
    str(p.relative_to(REPO)) for p in REPO.glob('configs/openpose/*.py'))
COUNT_KEYS = {'num_limbs', 'num_keypoints', 'num_parts', 'num_outputs'}
CHANNEL_KEYS = {'in_channels', 'out_channels'}


def _constant_only(node) -> bool:
    return all(isinstance(n, (ast.Constant, ast.BinOp, ast.UnaryOp,
                              ast.operator, ast.unaryop))
               for n in ast.walk(node))


def _is_written_count(key: str, value) -> bool:
    """A count given as a number (``num_limbs=29``), or channels computed
    from numbers (``out_channels=2 * 29 + 17``); a plain channel width
    (``in_channels=128``) is the backbone's, not the body model's."""
    if key in COUNT_KEYS:
        return _constant_only(value)
    return key in CHANNEL_KEYS and isinstance(value, ast.BinOp) and \
        _constant_only(value)


def _literal_counts(path: Path):
    """(line, text) of every count of the body model written as a number
    (as a dict key or a top-level variable)."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg and \
                _is_written_count(node.arg, node.value):
            found.append((node.value.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and _is_written_count(t.id, node.value)
                for t in node.targets):
            found.append((node.lineno, ast.unparse(node)))
    return found


@pytest.mark.parametrize('config', PAF_CONFIGS)
def test_paf_config_writes_no_counts(config):
    assert _literal_counts(REPO / config) == []


def test_literal_count_check_can_fail(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('num_outputs = 2 * 29 + 17\n'
                   'head = dict(num_limbs=29, in_channels=128)\n'
                   'backbone = dict(out_channels=2 * 29 + 17)\n'
                   'min_area = 32 * 32\n')
    assert [line for line, _ in _literal_counts(bad)] == [1, 2, 3]


@pytest.mark.parametrize('config', PAF_CONFIGS)
def test_paf_config_channels_follow_the_metainfo(config):
    from kp_ext.registry import KEYPOINT_CODECS
    cfg = Config.fromfile(str(REPO / config))
    decoder = cfg.model.head.decoder
    meta = parse_pose_metainfo(dict(from_file=decoder.body_model))
    num_limbs = len(meta['paf_limbs']) + len(
        meta.get('paf_redundant_limbs', []))
    codec = KEYPOINT_CODECS.build(decoder.to_dict())
    assert codec.num_limbs == num_limbs
    assert codec.num_keypoints == meta['num_keypoints']
    assert [tuple(p) for p in codec.all_limbs] == \
        meta['paf_limbs'] + meta.get('paf_redundant_limbs', [])
    if cfg.model.backbone.type == 'StackedHourglass':
        # the backbone predicts the maps the head splits: 2L + K
        assert cfg.model.backbone.out_channels == \
            cfg.model.head.in_channels == \
            2 * num_limbs + meta['num_keypoints']
