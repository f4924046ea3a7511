"""The OpenPose paper's body model (18 parts, 19 limbs) and the PAF codec /
head reading limbs and channel counts from metainfo.

Oracles: the reference code's tables written out by hand below
(ZheC/Realtime_Multi-Person_Pose_Estimation ``connect56LineVec.m``
``limbSeq`` / ``mapIdx`` and ``evalCOCO.m`` ``orderCOCO``, 1-based),
hand-made people, xtcocotools COCOeval on coco_mini.
"""
import numpy as np
import pytest

from kp_ext.codecs import PartAffinityField
from kp_ext.codecs.paf_body_model import PAFBodyModel

from conftest import REPO, shared_data
from test_part_affinity_field import _bench  # benchmarks/paf_grouping.py

PAPER = 'coco_openpose18.py'
# reference (1-based parts): limbSeq and the PAF channels (mapIdx - 19,
# 0-based) of each limb
LIMB_SEQ = [(2, 3), (2, 6), (3, 4), (4, 5), (6, 7), (7, 8), (2, 9), (9, 10),
            (10, 11), (2, 12), (12, 13), (13, 14), (2, 1), (1, 15), (15, 17),
            (1, 16), (16, 18), (3, 17), (6, 18)]
MAP_IDX = [(31, 32), (39, 40), (33, 34), (35, 36), (41, 42), (43, 44),
           (19, 20), (21, 22), (23, 24), (25, 26), (27, 28), (29, 30),
           (47, 48), (49, 50), (53, 54), (51, 52), (55, 56), (37, 38),
           (45, 46)]
# evalCOCO.m: part -> 1-based COCO keypoint (0: the neck, not in COCO)
ORDER_COCO = [1, 0, 7, 9, 11, 6, 8, 10, 13, 15, 17, 12, 14, 16, 3, 2, 5, 4]


def test_paper_body_model_matches_the_reference_tables():
    body = PAFBodyModel(PAPER)
    assert body.num_parts == 18 and body.num_dataset_keypoints == 17
    assert len(body.limbs) == 17 and len(body.redundant_limbs) == 2
    assert body.num_limbs == 19
    # parts: the COCO keypoint each one copies (the neck: both shoulders)
    for k, src in enumerate(body.sources):
        if ORDER_COCO[k] == 0:
            assert body.part_names[k] == 'neck' and src == (5, 6)
        else:
            assert src == (ORDER_COCO[k] - 1, )
    # limbs: the reference's, same direction; channels in the reference's
    # order with the two ear-shoulder limbs moved to the end
    by_channel = sorted(range(19), key=lambda i: MAP_IDX[i][0])
    ref = [(LIMB_SEQ[i][0] - 1, LIMB_SEQ[i][1] - 1) for i in by_channel]
    redundant = [(2, 16), (5, 17)]                  # shoulder -> ear
    assert list(body.redundant_limbs) == redundant
    assert list(body.limbs) == [lb for lb in ref if lb not in redundant]
    # left/right swap
    assert body.flip_indices[:2] == [0, 1]
    assert body.flip_indices[2] == 5 and body.flip_indices[14] == 15


def _person():
    """COCO-17 keypoints of a standing person in a 368x368 input."""
    kp = np.array([[184, 60], [176, 52], [192, 52], [168, 58], [200, 58],
                   [150, 110], [218, 110], [140, 170], [228, 170],
                   [136, 220], [232, 220], [160, 220], [208, 220],
                   [158, 290], [210, 290], [156, 350], [212, 350]],
                  np.float64)
    return kp[None]


def test_neck_is_derived_only_when_both_shoulders_are_labelled():
    codec = PartAffinityField((368, 368), (46, 46), body_model=PAPER,
                              with_background=True)
    assert codec.num_keypoints == 18 and codec.num_dataset_keypoints == 17
    assert codec.num_limbs == 19
    kp = _person()
    enc = codec.encode(kp, np.ones((1, 17)))
    assert enc['heatmaps'].shape == (19, 46, 46)       # 18 parts + bg
    assert enc['pafs'].shape == (38, 46, 46)
    assert enc['keypoint_weights'].shape == (1, 17)
    neck = enc['heatmaps'][1]
    y, x = np.unravel_index(neck.argmax(), neck.shape)
    mid = (kp[0, 5] + kp[0, 6]) / 2                    # (184, 110)
    u = (mid + 0.5) / 8 - 0.5                          # map px
    d2 = (x - u[0])**2 + (y - u[1])**2
    assert d2 < 0.5 and neck.max() == pytest.approx(np.exp(-d2), abs=1e-5)
    # the neck-nose PAF (limb 12) points from the neck up to the nose
    l = list(codec.limbs).index((1, 0))
    assert enc['pafs'][2 * l + 1, 9, 23] < -0.9
    # right shoulder unlabelled: no neck, no neck limbs to it
    vis = np.ones((1, 17))
    vis[0, 6] = 0
    enc2 = codec.encode(kp, vis)
    assert enc2['heatmaps'][1].max() == 0
    for l, (a, b) in enumerate(codec.limbs):
        if 1 in (a, b):
            assert not enc2['pafs'][2 * l:2 * l + 2].any()
    assert enc2['keypoint_weights'][0, 6] == 0
    assert enc2['keypoint_weights'][0, 5] == 1
    # decode gives COCO's 17 keypoints back
    pk, ps = codec.decode((enc['heatmaps'], enc['pafs']))
    assert pk.shape == (1, 17, 2) and ps.shape == (1, 17)
    assert np.abs(pk[0] - kp[0]).max() < 0.5
    with pytest.raises(ValueError, match=r'\(N, 17, 2\)'):
        codec.encode(np.zeros((1, 18, 2)))


def test_head_derives_channels_from_the_body_model():
    from kp_ext.models.heads import PartAffinityFieldHead
    decoder = dict(type='PartAffinityField', input_size=(64, 64),
                   heatmap_size=(8, 8), body_model=PAPER,
                   with_background=True)
    head = PartAffinityFieldHead(in_channels=8, arch='2017', num_stages=2,
                                 stage_channels=4, mid_channels=4,
                                 decoder=decoder)
    assert (head.num_keypoints, head.num_limbs) == (18, 19)
    assert head.cm_channels == 19 and head.paf_channels == 38
    with pytest.raises(ValueError, match='does not match'):
        PartAffinityFieldHead(in_channels=8, num_keypoints=17, arch='2017',
                              num_stages=1, decoder=decoder)


def test_body_model_errors_name_the_file(tmp_path):
    path = tmp_path / 'bad_body.py'
    meta = REPO / 'kp_ext/datasets/metainfo'
    src = (meta / 'coco_openpose18.py').read_text()
    # the neck's source pair lives in the shared _derived_parts.py
    bad = src.replace('neck={{_base_.derived_parts.neck}}',
                      "neck=('left_shoulder', 'throat')")
    assert bad != src
    path.write_text(bad)
    (tmp_path / '_derived_parts.py').write_text(
        (meta / '_derived_parts.py').read_text())
    with pytest.raises(ValueError, match=r"bad_body.*'throat'"):
        PAFBodyModel(str(path))
    with pytest.raises(ValueError, match='either body_model or limbs'):
        PartAffinityField((64, 64), (8, 8), body_model=PAPER,
                          limbs=[(0, 1)])
    with pytest.raises(ValueError, match='paf_limbs'):
        PAFBodyModel('mpii.py')


@pytest.mark.parametrize('grouping,floor', [
    (dict(), 0.80),                                   # measured 0.823
    (dict(matching='greedy', min_parts=4, min_score_per_part=0.4), 0.72),
])                                                    # measured 0.752
def test_paper_body_model_oracle_ap_coco_mini(grouping, floor):
    """encode (18 parts, neck from the shoulders) -> decode -> back to
    COCO's 17 keypoints -> xtcocotools COCOeval."""
    ann = shared_data('coco_mini', 'annotations',
                      'person_keypoints_train2017.json')
    ap, n_img, n_people, _ = _bench().coco_oracle_ap(
        ann, side='short', body_model=PAPER, with_background=True,
        **grouping)
    assert n_img == 80 and n_people == 86
    assert floor <= ap < 0.97
