"""The reference MATLAB evaluation's decoding (ZheC/Realtime_Multi-Person_
Pose_Estimation: testing/evalCOCO.m and testing/src/connect56LineVec.m at
its latest commit, "Update connect56LineVec.m"; line numbers of those
files), each behaviour against a hand-computed case."""
import numpy as np
import pytest

from kp_ext.codecs import PartAffinityField
from kp_ext.codecs import paf_grouping as G
from kp_ext.codecs.paf_body_model import PAFBodyModel
from kp_ext.codecs.part_affinity_field import TEST_PROCEDURES

CODEC_ONLY = ('keypoint_offset', 'missing_keypoints')


def _settings(**over):
    """The 'matlab_eval' grouping settings (codec-only keys left out)."""
    dec = {k: v for k, v in TEST_PROCEDURES['matlab_eval']['decode'].items()
           if k not in CODEC_ONLY}
    dec.update(over)
    return G.GroupingSettings(**dec)


def _peaks(m, **kw):
    """find_peaks on one (H, W) map with the reference's rule."""
    kw = dict(dict(threshold=0.1, rule='cross4', refine=None), **kw)
    xy, val, _, _ = G.find_peaks(m[..., None].astype(np.float32), **kw)
    return [tuple(p) for p in xy.astype(int).tolist()], val.tolist()


# ---------------------------------------------------------------- peaks
def test_cross4_is_a_strict_maximum_over_the_4_neighbourhood():
    """findPeaks (connect56LineVec.m:358-374): strictly greater than the
    4 neighbours; diagonals do not count; a plateau has no peak; values
    below thre1 are zeroed first, a value equal to it stays; 0 outside."""
    m = np.zeros((9, 12))
    m[2, 2] = 0.5
    m[1, 1] = 0.9            # diagonal neighbour of (2, 2): both peaks
    m[5, 5] = m[5, 6] = 0.7  # plateau: no peak
    m[7, 9] = 0.1            # == thre1: a peak (map < thre -> 0)
    m[7, 10] = 0.09          # below thre1: zeroed, not a neighbour > 0.1
    m[0, 11] = 0.3           # corner: compared with 0 outside
    xy, val = _peaks(m)
    # column-major order (MATLAB find): by x, then y
    assert xy == [(1, 1), (2, 2), (9, 7), (11, 0)]
    assert val == pytest.approx([0.9, 0.5, 0.1, 0.3])
    # kp_ext's 3x3 window rule instead: (2, 2) is not a maximum of its
    # window, the plateau keeps its first pixel, 0.1 is not > 0.1
    xy_w, _ = _peaks(m, rule='window')
    assert sorted(xy_w) == [(1, 1), (5, 5), (11, 0)]


def test_peaks_within_6px_of_an_earlier_kept_one_are_dropped():
    """connect56LineVec.m:384-398: in scan order, every peak within 6 px
    (inclusive) of an earlier *kept* peak is dropped, whatever its score;
    a dropped peak suppresses nothing. A (x=0), B (x=6, stronger, 6 px
    from A): dropped; C (x=10): 4 px from B (dropped), 10 from A: kept;
    D (x=14, y=4): sqrt(16 + 16) = 5.66 from C: dropped; E (x=17, y=4):
    sqrt(49 + 16) = 8.06 from C: kept."""
    m = np.zeros((10, 20))
    for (x, y), v in {(0, 0): 0.3, (6, 0): 0.9, (10, 0): 0.5, (14, 4): 0.8,
                      (17, 4): 0.2}.items():
        m[y, x] = v
    xy, val = _peaks(m)
    assert len(xy) == 5
    xy, val = _peaks(m, suppress_radius=6.0)
    assert xy == [(0, 0), (10, 0), (17, 4)]
    assert val == pytest.approx([0.3, 0.5, 0.2])
    # 6 px exactly is suppressed, 6.08 (sqrt(37)) is not
    m2 = np.zeros((10, 20))
    m2[0, 0] = m2[0, 6] = m2[1, 13] = 0.5
    assert _peaks(m2, suppress_radius=6.0)[0] == [(0, 0), (13, 1)]
    m2[0, 6] = 0
    m2[1, 6] = 0.5
    assert _peaks(m2, suppress_radius=6.0)[0] == [(0, 0), (6, 1), (13, 1)]


# --------------------------------------------------------------- limbs
def _chain(paf_value=1.0, gap=None, size=(40, 40)):
    """3 parts on the row y = 20 at x = 5, 15, 25 (peaks 0.9, 0.8, 0.7),
    limbs (0, 1), (1, 2) with a PAF of ``paf_value`` pointing +x on that
    row (one sample pixel ``gap`` of limb 0 set to 0)."""
    w, h = size
    hm = np.zeros((3, h, w), np.float32)
    for k, (x, v) in enumerate([(5, 0.9), (15, 0.8), (25, 0.7)]):
        hm[k, 20, x] = v
    pafs = np.zeros((4, h, w), np.float32)
    pafs[0, 20, 5:16] = paf_value
    pafs[2, 20, 15:26] = paf_value
    if gap is not None:
        pafs[0, 20, gap] = 0.0
    return hm, pafs


def test_limb_score_is_the_mean_of_the_samples_above_thre2():
    """connect56LineVec.m:127-151: 10 samples rounded to pixels; with one
    of them at 0 (linspace(5, 15, 10) = 5, 6.11, 7.22, 8.33, 9.44, ...,
    rounded 5, 6, 7, 8, 9, 11, 12, 13, 14, 15: the pixel x = 9 is the 5th),
    9 of 10 are above 0.05 (> 80 %: kept) and the score
    is their mean, 1.0 (the Python demo's mean of all samples: 0.9). The
    distance prior min(0.5 * 40 / 10 - 1, 0) is 0."""
    hm, pafs = _chain(gap=9)
    xy = np.array([[5., 20.], [15., 20.], [25., 20.]])
    starts = np.array([0, 1, 2, 3])
    for mean, want in (('above', 1.0), ('all', 0.9)):
        limb, ia, ib, sc = G.score_limb_candidates(
            xy, starts, pafs, [(0, 1), (1, 2)], sampling='nearest',
            mean_over=mean)
        assert limb.tolist() == [0, 1]
        assert sc == pytest.approx([want, 1.0])
    # a second 0 sample: 8 of 10, not more than 80 %: no candidate
    pafs[0, 20, 12] = 0.0          # round(11.67) = 12 is the 7th sample
    limb, *_ = G.score_limb_candidates(xy, starts, pafs, [(0, 1), (1, 2)],
                                       sampling='nearest', mean_over='above')
    assert limb.tolist() == [1]


def test_distance_prior_is_half_the_map_height():
    """min(height / length - 1, 0), height = H / 2 (connect56LineVec.m:23,
    148): on a 16-high map a 10 px limb scores 1 + (8 / 10 - 1) = 0.8."""
    pafs = np.zeros((4, 16, 40), np.float32)
    pafs[0, 8, 5:16] = 1.0
    xy = np.array([[5., 8.], [15., 8.], [25., 8.]])
    _, _, _, sc = G.score_limb_candidates(
        xy, np.array([0, 1, 2, 3]), pafs, [(0, 1), (1, 2)],
        sampling='nearest', mean_over='above')
    assert sc == pytest.approx([0.8])


def test_nearest_sampling_rounds_halves_up():
    pafs = np.zeros((2, 1, 5), np.float32)
    pafs[0, 0] = [0, 1, 2, 3, 4]
    fx, _ = G._nearest_pair(pafs, np.array([0]), np.array([1.49, 1.5, 3.6]),
                            np.zeros(3))
    assert fx.tolist() == [1, 2, 4]


# ------------------------------------------------------ people and scores
def test_person_score_is_total_times_parts_and_filters():
    """Subset score (connect56LineVec.m:194-245) = peaks + connections =
    0.9 + 0.8 + 0.7 + 1 + 1 = 4.4; evalCOCO.m:67 writes it times the
    number of the person's keypoints: 13.2 (8.8 when part 1 is not an
    evaluation keypoint, as the neck is not)."""
    hm, pafs = _chain()
    kw = dict(limbs=[(0, 1), (1, 2)])
    k, s, inst = G.group_people(hm, pafs, settings=_settings(), **kw)
    assert inst == pytest.approx([13.2])
    np.testing.assert_allclose(k[0], [[5, 20], [15, 20], [25, 20]])
    assert s[0] == pytest.approx([0.9, 0.8, 0.7])
    _, _, inst = G.group_people(hm, pafs, settings=_settings(),
                                score_parts=[0, 2], **kw)
    assert inst == pytest.approx([8.8])


def test_min_parts_3_and_min_score_per_part_02():
    """connect56LineVec.m:253 drops people with count < 3 or score /
    count < 0.2. Peaks 0.1 (= thre1) and PAF 0.06: (0.3 + 2 * 0.06) / 3 =
    0.14 < 0.2, dropped; PAF 0.2: (0.3 + 0.4) / 3 = 0.233, kept; with the
    last part gone the person has 2 parts: dropped (kept with min_parts 2
    and PAF 0.3: (0.2 + 0.3) x 2 parts = 1.0)."""
    hm, _ = _chain()
    hm[hm > 0] = 0.1
    kw = dict(limbs=[(0, 1), (1, 2)], settings=_settings())
    _, _, inst = G.group_people(hm, _chain(0.06)[1], **kw)
    assert len(inst) == 0
    _, _, inst = G.group_people(hm, _chain(0.2)[1], **kw)
    assert inst == pytest.approx([0.7 * 3])
    hm2 = hm.copy()
    hm2[2] = 0
    _, _, inst = G.group_people(hm2, _chain(0.2)[1], **kw)
    assert len(inst) == 0
    kw['settings'] = _settings(min_parts=2)
    _, _, inst = G.group_people(hm2, _chain(0.3)[1], **kw)
    assert inst == pytest.approx([(0.2 + 0.3) * 2])


def test_redundant_limb_fills_a_part_without_counting_it():
    """connect56LineVec.m:202-218: a redundant limb's connection only puts
    its missing end into a person, with no count and no score. Tree (0, 1),
    (1, 2) without the PAF of (1, 2), redundant (0, 2) present: the person
    is {0, 1} of count 2 (dropped with min_parts 3) and gets part 2; with
    min_parts 2 it is scored (0.9 + 0.8 + 1) x 3 parts = 8.1."""
    hm, pafs = _chain()
    pafs = np.zeros((6, 40, 40), np.float32)
    pafs[0, 20, 5:16] = 1.0                   # limb (0, 1)
    pafs[4, 20, 5:26] = 1.0                   # redundant (0, 2)
    kw = dict(limbs=[(0, 1), (1, 2)], redundant_limbs=[(0, 2)])
    _, _, inst = G.group_people(hm, pafs, settings=_settings(), **kw)
    assert len(inst) == 0
    k, s, inst = G.group_people(hm, pafs, settings=_settings(min_parts=2),
                                **kw)
    assert inst == pytest.approx([(0.9 + 0.8 + 1.0) * 3])
    assert s[0] == pytest.approx([0.9, 0.8, 0.7])


def test_part_without_peaks_makes_one_part_people_of_the_other_end():
    """connect56LineVec.m:50-86: limb (0, 1) with no peak of part 0: each
    peak of part 1 that no person holds starts a person of count 1, scored
    with its peak, which limb (1, 2) then extends: count 2, 0.8 + 0.7 + 1
    = 2.5 (x 2 parts = 5.0)."""
    hm, pafs = _chain()
    hm[0] = 0
    _, s, inst = G.group_people(hm, pafs, limbs=[(0, 1), (1, 2)],
                                settings=_settings(min_parts=2))
    assert inst == pytest.approx([2.5 * 2])
    rows, count, total, _, _ = G.assemble_connect56(
        np.array([0, 0, 1, 2]), np.array([0.8, 0.7]), [(0, 1), (1, 2)],
        np.array([1]), np.array([0]), np.array([1]), np.array([1.0]),
        [0, 1], [False, False])
    assert rows.tolist() == [[-1, 0, 1]]
    assert count.tolist() == [2] and total == pytest.approx([2.5])


def test_connection_whose_start_no_person_holds_starts_a_person():
    """connect56LineVec.m:226-245: a tree connection extends the people
    holding its start; when none does it starts a person of count 2 (no
    merging of people)."""
    # parts 0, 1, 2; peaks: part 0 -> {0}, part 1 -> {1, 2}, part 2 -> {3}
    starts = np.array([0, 1, 3, 4])
    val = np.array([0.9, 0.8, 0.6, 0.7])
    # limb 0 = (0, 1): 0-1; limb 1 = (1, 2): 2-3 (from the other part-1 peak)
    rows, count, total, _, _ = G.assemble_connect56(
        starts, val, [(0, 1), (1, 2)], np.array([0, 1]), np.array([0, 2]),
        np.array([1, 3]), np.array([0.5, 0.4]), [0, 1], [False, False])
    assert rows.tolist() == [[0, 1, -1], [-1, 2, 3]]
    assert count.tolist() == [2, 2]
    assert total == pytest.approx([0.9 + 0.8 + 0.5, 0.6 + 0.7 + 0.4])


# ------------------------------------------------------------- the codec
def test_codec_shifts_found_keypoints_by_half_a_pixel_missing_at_origin():
    """evalCOCO.m:57, 61-62: a found keypoint is written as its 1-based
    MATLAB pixel - 0.5, i.e. its 0-based pixel + 0.5; a part not found
    stays (0, 0). Maps at the image's resolution (stride 1)."""
    hm, pafs = _chain()
    hm = np.concatenate([hm, np.zeros((1, 40, 40), np.float32)])
    dec = dict(TEST_PROCEDURES['matlab_eval']['decode'])
    codec = PartAffinityField((40, 40), (40, 40), limbs=[(0, 1), (1, 2)],
                              num_keypoints=4, **dec)
    k, s, inst = codec.decode_instances((hm, pafs))
    np.testing.assert_allclose(k[0], [[5.5, 20.5], [15.5, 20.5],
                                      [25.5, 20.5], [0, 0]])
    assert inst == pytest.approx([4.4 * 3])
    plain = PartAffinityField((40, 40), (40, 40), limbs=[(0, 1), (1, 2)],
                              num_keypoints=4,
                              **dict(dec, keypoint_offset=0.0,
                                     missing_keypoints='centre'))
    k, _, _ = plain.decode_instances((hm, pafs))
    np.testing.assert_allclose(k[0], [[5, 20], [15, 20], [25, 20],
                                      [15, 20]])


def test_paper_body_model_assembles_in_limbseq_order_and_skips_the_neck():
    """coco_openpose18.py's paf_limb_sequence is limbSeq
    (connect56LineVec.m:28) in kp_ext's limb indices; the neck is the one
    part that is no COCO keypoint (evalCOCO.m:29-31)."""
    body = PAFBodyModel('coco_openpose18.py')
    names = body.part_names
    all_limbs = list(body.limbs) + list(body.redundant_limbs)
    seq = [(names[all_limbs[i][0]], names[all_limbs[i][1]])
           for i in body.limb_sequence]
    # limbSeq, 1-based, parts named by evalCOCO.m's orderCOCO
    ref = [2, 3, 2, 6, 3, 4, 4, 5, 6, 7, 7, 8, 2, 9, 9, 10, 10, 11, 2, 12,
           12, 13, 13, 14, 2, 1, 1, 15, 15, 17, 1, 16, 16, 18, 3, 17, 6, 18]
    assert seq == [(names[a - 1], names[b - 1])
                   for a, b in zip(ref[0::2], ref[1::2])]
    assert names[1] == 'neck' and 1 not in body.dataset_parts
    assert len(body.dataset_parts) == 17
    codec = PartAffinityField((368, 368), (46, 46),
                              body_model='coco_openpose18.py')
    assert codec.limb_order == body.limb_sequence
    assert codec.score_parts == body.dataset_parts


def test_matlab_procedure_decodes_ground_truth_at_image_resolution():
    """End to end on encoded ground truth upsampled to the image: two
    people, every labelled part found within 1.5 px (+0.5 shift)."""
    import cv2
    codec = PartAffinityField((96, 96), (12, 12),
                              body_model='coco_openpose18.py',
                              with_background=True, sigma=1.24)
    base = np.array([
        [0, -22], [-2, -24], [2, -24], [-4, -22], [4, -22],
        [-8, -14], [8, -14], [-10, -4], [10, -4], [-11, 6], [11, 6],
        [-5, 4], [5, 4], [-5, 14], [5, 14], [-5, 24], [5, 24]], float)
    kpts = np.stack([base * 1.3 + [28, 50], base * 1.4 + [68, 48]])
    enc = codec.encode(kpts, np.ones((2, 17)))

    def up(m):
        return cv2.resize(np.ascontiguousarray(m.transpose(1, 2, 0)),
                          (96, 96), interpolation=cv2.INTER_CUBIC
                          ).transpose(2, 0, 1)

    dec = TEST_PROCEDURES['matlab_eval']['decode']
    full = PartAffinityField((96, 96), (96, 96),
                             body_model='coco_openpose18.py',
                             with_background=True, sigma=1.24, **dec)
    k, s, inst = full.decode_instances((up(enc['heatmaps']),
                                        up(enc['pafs'])))
    assert len(k) == 2 and np.all(np.diff(inst) <= 0)
    for person in kpts:
        err = np.abs(k - person[None]).max(axis=(1, 2))
        assert err.min() < 1.5


def test_default_settings_unchanged():
    """kp_ext's defaults keep their behaviour (the new settings are off)."""
    g = G.GroupingSettings()
    assert (g.peak_rule, g.peak_suppress_radius, g.paf_sampling,
            g.limb_score_mean, g.assembly, g.instance_score) == (
                'window', None, 'bilinear', 'all', 'union_find', 'kp_ext')
    c = PartAffinityField((368, 368), (46, 46))
    assert c.keypoint_offset == 0.0 and c.missing_keypoints == 'centre'
    with pytest.raises(ValueError, match='peak_rule'):
        G.GroupingSettings(peak_rule='cross8')
    with pytest.raises(ValueError, match='missing_keypoints'):
        PartAffinityField((368, 368), (46, 46), missing_keypoints='nan')
