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
    str(p.relative_to(REPO)) for p in REPO.glob('configs/openpose/*.py')) + [
    'configs/quickstart/openpose_synthetic.py',
    'configs/quickstart/openpose_body25_synthetic.py']
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


# the limbs configs/quickstart/openpose_synthetic.py wrote inline before its
# body model became kp_ext/datasets/metainfo/coco_paf26.py (COCO-17
# indices), in their PAF channel order
_QUICKSTART_INLINE_LIMBS = [
    (5, 6), (5, 11), (6, 12), (5, 7), (7, 9), (6, 8), (8, 10), (11, 13),
    (13, 15), (12, 14), (14, 16), (5, 0), (0, 1), (0, 2), (1, 3), (2, 4)]
_QUICKSTART_INLINE_REDUNDANT = [
    (11, 12), (6, 0), (5, 3), (6, 4), (5, 9), (6, 10), (11, 15), (12, 16),
    (7, 11), (8, 12)]


def test_quickstart_body_model_keeps_the_inline_channel_order():
    """coco_paf26.py gives the quickstart exactly the limbs, directions
    and PAF channel order of its former inline list, and the codec built
    from it encodes the same maps as one built from the inline list."""
    import numpy as np

    from kp_ext.registry import KEYPOINT_CODECS
    cfg = Config.fromfile(
        str(REPO / 'configs/quickstart/openpose_synthetic.py'))
    decoder = cfg.model.head.decoder.to_dict()
    assert decoder['body_model'] == 'coco_paf26.py'
    codec = KEYPOINT_CODECS.build(decoder)
    assert list(codec.limbs) == _QUICKSTART_INLINE_LIMBS
    assert list(codec.redundant_limbs) == _QUICKSTART_INLINE_REDUNDANT
    inline = dict(decoder, body_model=None, limbs=_QUICKSTART_INLINE_LIMBS,
                  redundant_limbs=_QUICKSTART_INLINE_REDUNDANT)
    old = KEYPOINT_CODECS.build(inline)
    rng = np.random.default_rng(0)
    kpts = rng.uniform(0, 127, (3, 17, 2))
    vis = (rng.random((3, 17)) > 0.2).astype(np.float32)
    a, b = codec.encode(kpts, vis), old.encode(kpts, vis)
    for key in ('heatmaps', 'pafs', 'keypoint_weights'):
        np.testing.assert_array_equal(a[key], b[key])
    assert codec.flip_indices == parse_pose_metainfo(
        dict(from_file='coco.py'))['flip_indices']
    model_head = cfg.model.head
    assert 'num_limbs' not in model_head and 'num_keypoints' not in \
        model_head  # the head takes them from the codec (26 and 17)
    assert (codec.num_limbs, codec.num_keypoints) == (26, 17)
