"""The bottom-up codec oracle (kp_ext.evaluation.codec_oracle) and the
shape oracles of the face benchmarks (landmark_consistency.shape_oracles),
on hand-made cases."""
import contextlib
import io

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from kp_ext.codecs.part_affinity_field import PartAffinityField
from kp_ext.evaluation import (bottomup_codec_oracle, raw_people,
                               shape_oracles)
from kp_ext.registry import DATASETS, METRICS


def _crowds(n=20, seed=5, img=(192, 192), size=(128, 128)):
    init_default_scope('kp_ext')
    return DATASETS.build(dict(
        type='SyntheticCrowdDataset', num_samples=n, seed=seed,
        img_size=img, num_people=(1, 3), scale_range=(0.5, 0.8),
        test_mode=True, pipeline=[
            dict(type='LoadImage'),
            dict(type='BottomupResize', input_size=size, size_factor=8),
            dict(type='PackPoseInputs')]))


def _oracle(dataset, heatmap_size, size=(128, 128)):
    codec = PartAffinityField(input_size=size, heatmap_size=heatmap_size,
                              sigma=1.5, limb_width=1.5)
    metric = METRICS.build(dict(type='CocoKeypointMetric', ann_file=None,
                                score_mode='bbox', nms_mode='oks_nms',
                                nms_thr=0.9))
    with contextlib.redirect_stdout(io.StringIO()):
        return bottomup_codec_oracle(dataset, codec, metric)


def test_codec_oracle_scores_perfect_maps_and_feels_the_resolution():
    ds = _crowds(n=20)
    fine = _oracle(ds, (32, 32))['coco/AP']
    coarse = _oracle(ds, (8, 8))['coco/AP']
    # perfect maps at stride 4 give back most people (occluded parts and
    # people at the border aside; measured 0.853 on these 20 crowds)
    assert fine > 0.8
    # at stride 16 the peaks of a ~100 px figure's face points merge
    # (measured 0.522)
    assert coarse < fine - 0.2


def test_codec_oracle_follows_the_test_input_size():
    """A test pipeline at 160 px with a codec trained at 128 (stride 4):
    the oracle scores the 40x40 maps the net returns at 160, the same as a
    codec built for 160 -> 40x40; encoding at the codec's 128 instead
    clipped every person beyond 128 px (measured 0.54 on the quickstart)."""
    ds = _crowds(n=20, size=(160, 160))
    trained_at_128 = _oracle(ds, (32, 32), size=(128, 128))['coco/AP']
    native_160 = _oracle(ds, (40, 40), size=(160, 160))['coco/AP']
    assert trained_at_128 == pytest.approx(native_160, abs=1e-12)
    assert native_160 > 0.8
    codec = PartAffinityField(input_size=(128, 128), heatmap_size=(32, 32))
    at = codec.at_input_size((160, 96))
    assert at.heatmap_size == (40, 24) and at.input_size == (160, 96)
    assert codec.heatmap_size == (32, 32)  # the original is untouched
    assert codec.at_input_size((128, 128)) is codec
    with pytest.raises(ValueError, match=r'\(130, 128\) is not a positive '
                       'multiple of the stride'):
        codec.at_input_size((130, 128))


def test_raw_people_counts_and_errors():
    k = np.arange(51, dtype=float)
    k[2::3] = [2, 0] * 8 + [1]
    kpts, vis = raw_people([dict(keypoints=list(k)),
                            dict(keypoints=list(k), iscrowd=1)], 17)
    assert kpts.shape == (1, 17, 2) and vis.sum() == 9
    assert kpts[0, 1].tolist() == [3, 4]
    with pytest.raises(ValueError, match='annotation 7: 6 keypoint values'):
        raw_people(dict(id=7, keypoints=[0] * 6), 17, 'x: ')
    assert raw_people([], 17)[0].shape == (0, 17, 2)


def test_shape_oracles_hand_cases():
    shape = np.array([[0, 0], [10, 0], [5, 8], [2, 12], [8, 12.]])
    fit = np.stack([shape, shape])
    # test faces: the shape shifted by +4 px in x, and scaled x2 about its
    # centroid and rotated by 90 degrees
    c = shape.mean(0)
    rot = np.array([[0, -1], [1, 0.]])
    test = np.stack([shape + [4, 0], (shape - c) @ (2 * rot).T + c])
    norm = np.array([10.0, 20.0])  # distance of points 0 and 1
    out = shape_oracles(fit, test, (0, 1))
    # mean shape in place: face 0 off by 4 px everywhere (4 / 10); face 1
    # error = |p - c - 2 R (p - c)| = sqrt(5) |p - c| (R a 90-degree turn)
    r = np.linalg.norm(shape - c, axis=1)
    face1 = np.sqrt(5) * r.mean() / norm[1]
    assert out['mean_shape'] == pytest.approx(100 * (0.4 + face1) / 2)
    # centroid: face 0 exact; face 1 as before (same centroid)
    assert out['centroid'] == pytest.approx(100 * face1 / 2)
    # similarity alignment: both exact
    assert out['similarity'] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match='zero normaliser'):
        shape_oracles(fit, test, (3, 3))
