"""LandmarkRegressionMetric: the unsupervised-landmark regression protocol."""
import numpy as np
import pytest
import torch

from kp_ext.evaluation.metrics.landmark_regression import (
    FACE68_MAFL_GROUPS, LandmarkRegressionMetric, fit_linear_regressor)
from kp_ext.registry import METRICS


def _sample(pred, gt, split, center=(50., 40.), scale=(80., 80.),
            input_size=(64, 64)):
    """A packed sample; ``input_size=None`` leaves the key out."""
    size = {} if input_size is None else dict(input_size=input_size)
    return dict(
        regression_split=split, img_path=f'{split}.png',
        input_center=np.array(center, np.float32),
        input_scale=np.array(scale, np.float32), **size,
        pred_instances=dict(keypoints=np.asarray(pred, np.float32)[None]),
        gt_instances=dict(
            keypoints=torch.as_tensor(np.asarray(gt, np.float32)[None]),
            keypoints_visible=np.ones((1, len(gt)), np.float32)))


def _data(rng, n, k, m, w, b, noise=0.0, split='fit'):
    """Samples whose gt (box frame) is an exact linear map of pred."""
    out = []
    for _ in range(n):
        center = rng.uniform(30, 70, 2)
        s = rng.uniform(60, 120)
        u = rng.uniform(0, 1, (k, 2))  # pred in the box frame
        v = (u.reshape(-1) @ w + b).reshape(m, 2)
        v = v + rng.normal(0, noise, v.shape)
        origin = center - s / 2
        out.append(_sample(u * s + origin, v * s + origin, split, center,
                           (s, s)))
    return out


def _linear_map(rng, k, m, sd=0.3):
    """A random linear map (w, b) from K landmarks to M points (box
    frame)."""
    return rng.normal(0, sd, (2 * k, 2 * m)), rng.uniform(0.3, 0.7, 2 * m)


def _with_gt(sample, keypoints):
    """A copy of ``sample`` whose gt keypoints are ``keypoints``."""
    gt = sample['gt_instances']
    return dict(sample, gt_instances=dict(
        keypoints=keypoints, keypoints_visible=gt['keypoints_visible']))


def _run(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_registered():
    m = METRICS.build(dict(type='LandmarkRegressionMetric', alpha=0.1))
    assert isinstance(m, LandmarkRegressionMetric) and m.alpha == 0.1


def test_fit_linear_regressor_matches_closed_forms():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5))
    y = rng.normal(size=(40, 3))
    xa = np.hstack([x, np.ones((40, 1))])
    # least squares: normal equations
    w_ls = np.linalg.solve(xa.T @ xa, xa.T @ y)
    np.testing.assert_allclose(fit_linear_regressor(x, y), w_ls, atol=1e-10)
    # ridge with unpenalised bias: minimise |xa W - y|^2 + a |W[:5]|^2
    a = 3.0
    reg = np.diag([a] * 5 + [0.0])
    w_r = np.linalg.solve(xa.T @ xa + reg, xa.T @ y)
    np.testing.assert_allclose(fit_linear_regressor(x, y, a), w_r,
                               atol=1e-10)


def test_exact_linear_relation_gives_zero_error_and_baseline_positive():
    rng = np.random.default_rng(1)
    k, m = 4, 3
    w, b = _linear_map(rng, k, m)
    samples = (_data(rng, 30, k, m, w, b, split='fit') +
               _data(rng, 10, k, m, w, b, split='test'))
    metric = LandmarkRegressionMetric(norm_indices=(0, 1))
    out = _run(metric, samples)
    assert out['NME'] == pytest.approx(0.0, abs=1e-3)
    assert out['NME_baseline'] > 5.0
    assert 'NME_5pt' not in out  # not a 68-point layout
    assert 'NME_fit_cv' not in out  # one alpha: no cross-validation
    np.testing.assert_allclose(metric.last_fit['weights'][:-1], w,
                               atol=1e-4)
    assert metric.last_fit['num_fit'] == 30
    assert metric.last_fit['num_test'] == 10


def test_error_value_hand_computed():
    """K=1 landmark regressed onto M=2 points with 2 fit samples."""
    # fit: box origin (0,0), size 10. pred u=(0.1,0.1)/(0.5,0.5) map to
    # gt points; with 3 params per output and 2 samples lstsq is exact on
    # the fit set (minimum-norm solution).
    fit = [_sample([[1, 1]], [[0, 0], [10, 0]], 'fit', (5, 5), (10, 10)),
           _sample([[5, 5]], [[0, 0], [10, 0]], 'fit', (5, 5), (10, 10))]
    # both fit gts are equal -> the regressor predicts that constant shape
    # (min-norm lstsq: constant output <=> zero slope on the centred data)
    test = [_sample([[3, 3]], [[0, 0], [8, 0]], 'test', (5, 5), (10, 10))]
    metric = LandmarkRegressionMetric(norm_indices=(0, 1))
    out = _run(metric, fit + test)
    # prediction (0,0),(10,0); gt (0,0),(8,0); iod 8 -> errors 0 and 2/8
    assert out['NME'] == pytest.approx((0 + 25.0) / 2, abs=1e-6)
    assert out['NME_baseline'] == pytest.approx(12.5, abs=1e-6)


def test_no_test_sample_influences_the_fit():
    rng = np.random.default_rng(2)
    k, m = 3, 2
    w, b = _linear_map(rng, k, m)
    fit = _data(rng, 20, k, m, w, b, noise=0.01, split='fit')
    test = _data(rng, 8, k, m, w, b, noise=0.01, split='test')
    m1 = LandmarkRegressionMetric(norm_indices=(0, 1))
    out1 = _run(m1, fit + test)
    # perturb the test gt (and predictions) wildly
    test2 = [_with_gt(s, s['gt_instances']['keypoints'] + 37.0)
             for s in test]
    m2 = LandmarkRegressionMetric(norm_indices=(0, 1))
    out2 = _run(m2, test2 + fit)  # order does not matter either
    np.testing.assert_array_equal(m1.last_fit['weights'],
                                  m2.last_fit['weights'])
    np.testing.assert_array_equal(m1.last_fit['mean_shape'],
                                  m2.last_fit['mean_shape'])
    assert out2['NME'] > out1['NME'] + 10
    # while perturbing the FIT gt does change the weights
    fit3 = [_with_gt(s, s['gt_instances']['keypoints'] * 1.1) for s in fit]
    m3 = LandmarkRegressionMetric(norm_indices=(0, 1))
    _run(m3, fit3 + test)
    assert not np.allclose(m3.last_fit['weights'], m1.last_fit['weights'])


def test_68_point_five_point_subset_hand_computed():
    rng = np.random.default_rng(3)
    m = 68
    mean = rng.uniform(0.2, 0.8, (m, 2))
    # K=2 landmarks carrying no information -> the fit is the mean shape
    fit = []
    for i in range(6):
        gt = mean + rng.normal(0, 0.01, (m, 2))
        fit.append(_sample(rng.uniform(0, 1, (2, 2)), gt, 'fit', (0.5, 0.5),
                           (1.0, 1.0)))
    gt_fit = np.stack([f['gt_instances']['keypoints'][0].numpy()
                       for f in fit])
    test_gt = mean + 0.05
    test = [_sample([[0.5, 0.5], [0.5, 0.5]], test_gt, 'test', (0.5, 0.5),
                    (1.0, 1.0))]
    metric = LandmarkRegressionMetric()
    out = _run(metric, fit + test)
    # baseline: mean training shape, independent of the regressor
    base = gt_fit.mean(0)
    iod = np.linalg.norm(test_gt[36] - test_gt[45])
    expect = np.linalg.norm(base - test_gt, axis=-1).mean() / iod * 100
    assert out['NME_baseline'] == pytest.approx(expect, rel=1e-4)

    def five(p):
        return np.stack([p[g].mean(0) for g in FACE68_MAFL_GROUPS])
    expect5 = (np.linalg.norm(five(base) - five(test_gt), axis=-1).mean() /
               iod * 100)
    assert out['NME_5pt_baseline'] == pytest.approx(expect5, rel=1e-4)
    assert set(out) >= {'NME', 'NME_5pt', 'NME_baseline', 'NME_5pt_baseline'}
    assert metric.per_keypoint_nme.shape == (68, )


def test_per_keypoint_output_and_errors():
    rng = np.random.default_rng(4)
    w, b = _linear_map(rng, 2, 2)
    samples = (_data(rng, 10, 2, 2, w, b, split='fit') +
               _data(rng, 3, 2, 2, w, b, split='test'))
    metric = LandmarkRegressionMetric(norm_indices=(0, 1), per_keypoint=True)
    metric.dataset_meta = dict(keypoint_id2name={0: 'a', 1: 'b'})
    out = _run(metric, samples)
    assert 'NME_kpt/a' in out and 'NME_kpt/b' in out
    # untagged samples are rejected with a clear message
    bad = dict(samples[0])
    bad.pop('regression_split')
    with pytest.raises(KeyError, match='RegressionSplitDataset'):
        LandmarkRegressionMetric().process({}, [bad])
    # only one split present
    only_fit = LandmarkRegressionMetric(norm_indices=(0, 1))
    only_fit.process({}, samples[:10])
    with pytest.raises(ValueError, match='both splits'):
        only_fit.compute_metrics(only_fit.results)
    with pytest.raises(ValueError):
        LandmarkRegressionMetric(alpha=-1)


def _grouped(samples, groups):
    for s, g in zip(samples, groups):
        s['identity'] = g
    return samples


def box(s, key):
    """A sample's 'pred' or 'gt' points in its box frame, box origin,
    box size."""
    o = s['input_center'] - s['input_scale'] / 2
    inst = s['pred_instances' if key == 'pred' else 'gt_instances']
    p = np.asarray(inst['keypoints'][0], np.float64)
    return (p - o) / s['input_scale'], o, s['input_scale']


def _manual_cv(samples, folds, alpha, norm=(0, 1)):
    """Independent grouped CV: ridge by the normal equations with an
    unpenalised bias, errors in image pixels over the held-out folds."""
    errs = []
    for f in sorted(set(folds)):
        tr = [s for s, g in zip(samples, folds) if g != f]
        te = [s for s, g in zip(samples, folds) if g == f]
        xa = np.stack([np.append(box(s, 'pred')[0].ravel(), 1) for s in tr])
        y = np.stack([box(s, 'gt')[0].ravel() for s in tr])
        reg = np.diag([alpha] * (xa.shape[1] - 1) + [0.0])
        w = np.linalg.solve(xa.T @ xa + reg, xa.T @ y)
        for s in te:
            u, o, sc = box(s, 'pred')
            p = (np.append(u.ravel(), 1) @ w).reshape(-1, 2) * sc + o
            gt = np.asarray(s['gt_instances']['keypoints'][0], np.float64)
            d = np.linalg.norm(gt[norm[0]] - gt[norm[1]])
            errs.extend(np.linalg.norm(p - gt, axis=-1) / d)
    return np.mean(errs) * 100


def test_alpha_chosen_by_grouped_cv_on_the_fit_split_only():
    rng = np.random.default_rng(5)
    k, m = 12, 2
    w, b = _linear_map(rng, k, m, sd=0.1)
    # few noisy samples and many features: some ridge pays off
    fit = _grouped(_data(rng, 40, k, m, w, b, noise=0.05, split='fit'),
                   [f'id{i % 8}' for i in range(40)])
    test = _data(rng, 10, k, m, w, b, noise=0.05, split='test')
    cands = [0.0, 0.01, 0.1, 1.0, 10.0, 1000.0]
    metric = LandmarkRegressionMetric(alpha=cands, cv_folds=4,
                                      norm_indices=(0, 1))
    out = _run(metric, fit + test)
    cv = metric.last_fit['cv_nme']
    # groups id0..id7 sorted, dealt round-robin over 4 folds
    folds = [int(s['identity'][2:]) % 4 for s in fit]
    for a in cands:
        assert cv[a] == pytest.approx(_manual_cv(fit, folds, a), rel=1e-6)
    best = min(cands, key=lambda a: cv[a])
    assert metric.alpha == metric.last_fit['alpha'] == best
    assert best not in (0.0, 1000.0)   # an interior optimum for this data
    assert out['NME_fit_cv'] == cv[best]
    # refitted on the whole fit split with the chosen value
    x, y = (np.stack([box(s, key)[0].ravel() for s in fit])
            for key in ('pred', 'gt'))
    np.testing.assert_allclose(metric.last_fit['weights'],
                               fit_linear_regressor(x, y, best), atol=1e-8)
    # the test split plays no part in the choice
    test2 = [_with_gt(s, s['gt_instances']['keypoints'] * 3.0)
             for s in test]
    metric2 = LandmarkRegressionMetric(alpha=cands, cv_folds=4,
                                       norm_indices=(0, 1))
    _run(metric2, test2 + fit)
    assert metric2.last_fit['cv_nme'] == cv and metric2.alpha == best


def test_cv_folds_keep_groups_together_and_validate():
    metric = LandmarkRegressionMetric(alpha=[0, 1], cv_folds=3)
    fit = [dict(group=g) for g in ['b', 'a', 'c', 'a', None, 'd', 'b',
                                   None]]
    folds = metric._fold_ids(fit)
    for g in 'abcd':
        assert len({f for f, s in zip(folds, fit) if s['group'] == g}) == 1
    # groups sorted, then the group-less samples, dealt round-robin
    assert list(folds) == [1, 0, 2, 0, 1, 0, 1, 2]
    one_group = [dict(group='a')] * 5
    with pytest.raises(ValueError, match='>= 2 fit groups'):
        metric._fold_ids(one_group)
    with pytest.raises(ValueError, match='cv_folds'):
        LandmarkRegressionMetric(alpha=[0, 1], cv_folds=1)
    with pytest.raises(ValueError, match='alpha'):
        LandmarkRegressionMetric(alpha=[])
    with pytest.raises(ValueError, match='alpha'):
        LandmarkRegressionMetric(alpha=[0.1, -1])
    # one value: no CV
    assert LandmarkRegressionMetric(alpha=0.5).alphas == [0.5]


def test_holdout_samples_are_scored_not_fitted():
    rng = np.random.default_rng(6)
    k, m = 3, 2
    w, b = _linear_map(rng, k, m)
    fit = _data(rng, 20, k, m, w, b, noise=0.01, split='fit')
    test = _data(rng, 6, k, m, w, b, noise=0.01, split='test')
    hold = _data(rng, 5, k, m, w, b, split='holdout')  # exact relation
    plain = LandmarkRegressionMetric(norm_indices=(0, 1))
    out0 = _run(plain, fit + test)
    assert 'NME_holdout' not in out0
    # shift the holdout gt by 3 px: error = 3 / iod per point
    hold = [_with_gt(s, s['gt_instances']['keypoints'] +
                     torch.tensor([3., 0.])) for s in hold]
    metric = LandmarkRegressionMetric(norm_indices=(0, 1))
    out = _run(metric, hold[:2] + fit + test + hold[2:])
    np.testing.assert_array_equal(metric.last_fit['weights'],
                                  plain.last_fit['weights'])
    assert out['NME'] == out0['NME']
    assert metric.last_fit['num_holdout'] == 5
    # expected: the regression is exact up to the fit noise (0.01 of the
    # box), the 3 px shift dominates
    expect = []
    for s in hold:
        u, o, sc = box(s, 'pred')
        gt = np.asarray(s['gt_instances']['keypoints'][0], np.float64)
        p = (u.ravel() @ metric.last_fit['weights'][:-1] +
             metric.last_fit['weights'][-1]).reshape(m, 2) * sc + o
        expect.extend(np.linalg.norm(p - gt, axis=-1) /
                      np.linalg.norm(gt[0] - gt[1]))
    assert out['NME_holdout'] == pytest.approx(np.mean(expect) * 100,
                                               rel=1e-9)
    assert out['NME_holdout'] > 1.0


# -- protocol='mafl': the literature's 5-point protocol ---------------------
MAFL_FIT_GT = [[[2, 2], [6, 2], [4, 4], [3, 6], [5, 6]],
               [[1, 0], [2, 0], [1, 1], [1, 2], [2, 2]]]


def _mafl_fit_samples():
    """Two fit samples, box origin (0, 0) and size 10: landmarks u = (0.2,
    0) and (0, 0.4), so X is invertible and the bias-free fit is exact."""
    return [_sample([[2, 0]], MAFL_FIT_GT[0], 'fit', (5, 5), (10, 10)),
            _sample([[0, 4]], MAFL_FIT_GT[1], 'fit', (5, 5), (10, 10))]


def test_mafl_protocol_hand_computed_no_bias():
    # test landmark u = (0.2, 0.4) = u1 + u2: without a bias the regressed
    # shape is gt1 + gt2 = (3,2) (8,2) (5,5) (4,8) (7,8)
    test_gt = [[3, 2], [7, 2], [5, 5], [4, 8], [7, 9]]
    test = [_sample([[2, 4]], test_gt, 'test', (5, 5), (10, 10))]
    metric = LandmarkRegressionMetric(protocol='mafl')
    out = _run(metric, _mafl_fit_samples() + test)
    # errors 0, 1, 0, 0, 1 px; eye centres (3,2)-(7,2): normaliser 4 px
    assert out['NME_mafl'] == pytest.approx((0 + 25 + 0 + 0 + 25) / 5)
    assert set(out) == {'NME_mafl', 'NME_mafl_baseline'}
    assert metric.last_fit['bias'] is False
    np.testing.assert_array_equal(metric.last_fit['weights'][-1], 0)
    # baseline: the mean fit shape (1.5,1) (4,1) (2.5,2.5) (2,4) (3.5,4)
    base = np.mean(MAFL_FIT_GT, 0)
    expect = np.linalg.norm(base - np.array(test_gt), axis=-1).mean() / 4
    assert out['NME_mafl_baseline'] == pytest.approx(expect * 100)
    # with a bias (3 unknowns, 2 samples) the min-norm fit differs
    with_bias = _run(LandmarkRegressionMetric(protocol='mafl', bias=True),
                     _mafl_fit_samples() + test)
    assert abs(with_bias['NME_mafl'] - out['NME_mafl']) > 1.0


def _eye(center, corner_dx):
    """Six eye points (36-41 order) around ``center``: outer/inner corners
    at +-corner_dx, lids at +-1; their mean is ``center``."""
    cx, cy = center
    return [[cx - corner_dx, cy], [cx - 1, cy - 1], [cx + 1, cy - 1],
            [cx + corner_dx, cy], [cx + 1, cy + 1], [cx - 1, cy + 1]]


def _face68(rng, eye_l, eye_r, nose, mouth_l, mouth_r, corner_dx=3.0):
    pts = rng.uniform(0, 100, (68, 2))
    pts[36:42] = _eye(eye_l, corner_dx)
    pts[42:48] = _eye(eye_r, corner_dx)
    pts[30], pts[48], pts[54] = nose, mouth_l, mouth_r
    return pts


def test_mafl_protocol_on_68_points_uses_eye_centres():
    """Uninformative landmarks: both protocols predict the mean training
    shape; the MAFL error is normalised by the eye-centre distance (20 px),
    kp_ext's NME_5pt by the outer corners (36 = centre - 3, 45 = centre +
    3: 26 px), so on the same predictions the ratio is exactly 26 / 20."""
    rng = np.random.default_rng(7)
    fit = []
    for dy in (-1.0, 1.0):   # mean five = the unshifted face
        f = _face68(rng, (20, 30 + dy), (40, 30 + dy), (30, 45 + dy),
                    (22, 60 + dy), (38, 60 + dy))
        fit.append(_sample([[50, 50]], f, 'fit', (50, 50), (100, 100)))
    test_face = _face68(rng, (20, 30), (40, 30), (33, 49), (22, 60),
                        (38, 60))
    test = [_sample([[50, 50]], test_face, 'test', (50, 50), (100, 100))]
    mafl = _run(LandmarkRegressionMetric(protocol='mafl'), fit + test)
    # regressed five = (20,30) (40,30) (30,45) (22,60) (38,60); only the
    # nose is off, by (3, 4) = 5 px; normaliser 20 px
    assert mafl['NME_mafl'] == pytest.approx(5 / 20 / 5 * 100)
    old = _run(LandmarkRegressionMetric(), fit + test)
    assert old['NME_5pt'] == pytest.approx(5 / 26 / 5 * 100)
    assert mafl['NME_mafl'] / old['NME_5pt'] == pytest.approx(26 / 20)


def test_kp_ext_protocol_unchanged():
    """The default protocol keeps its keys and values: hand-computed NME,
    NME_5pt (outer-eye-corner normaliser, bias, alpha) on 68 points."""
    rng = np.random.default_rng(8)
    fit = [_sample([[50, 50]], _face68(rng, (20, 30 + d), (40, 30 + d),
                                       (30, 45), (22, 60), (38, 60)),
                   'fit', (50, 50), (100, 100)) for d in (-2.0, 2.0)]
    test_face = _face68(rng, (20, 30), (40, 30), (30, 45), (22, 60),
                        (38, 60))
    test_face[0] += 13.0
    test = [_sample([[50, 50]], test_face, 'test', (50, 50), (100, 100))]
    metric = LandmarkRegressionMetric()
    out = _run(metric, fit + test)
    assert set(out) == {'NME', 'NME_baseline', 'NME_5pt', 'NME_5pt_baseline'}
    mean = np.mean([f['gt_instances']['keypoints'][0].numpy() for f in fit],
                   0)
    iod = np.linalg.norm(test_face[36] - test_face[45])
    assert iod == pytest.approx(26.0)
    expect = np.linalg.norm(mean - test_face, axis=-1).mean() / iod * 100
    assert out['NME'] == pytest.approx(expect, rel=1e-5)
    assert out['NME_5pt'] == pytest.approx(0.0, abs=1e-4)
    assert metric.last_fit['bias'] is True and metric.alpha == 0.0


def test_mafl_protocol_options_and_errors():
    fit = _mafl_fit_samples()
    test = [_sample([[2, 4]], MAFL_FIT_GT[0], 'test', (5, 5), (10, 10))]
    hold = [dict(s, regression_split='holdout') for s in test]
    out = _run(LandmarkRegressionMetric(protocol='mafl'), fit + test + hold)
    assert out['NME_mafl_holdout'] == out['NME_mafl']
    with pytest.raises(ValueError, match='least squares'):
        LandmarkRegressionMetric(protocol='mafl', alpha=[0, 1])
    with pytest.raises(ValueError, match='least squares'):
        LandmarkRegressionMetric(protocol='mafl', alpha=0.1)
    with pytest.raises(ValueError, match='eye centres'):
        LandmarkRegressionMetric(protocol='mafl', norm_indices=(0, 1))
    with pytest.raises(ValueError, match='protocol'):
        LandmarkRegressionMetric(protocol='aflw')
    with pytest.raises(ValueError, match='bias'):
        LandmarkRegressionMetric(alpha=0.1, bias=False)
    # neither 5 nor 68 points, no groups: refused, naming the count
    three = [_sample([[1, 1]], [[0, 0], [1, 0], [2, 2]], split)
             for split in ('fit', 'fit', 'test')]
    metric = LandmarkRegressionMetric(protocol='mafl')
    with pytest.raises(ValueError, match='got 3 annotated points'):
        _run(metric, three)
    # registered, building by type
    m = METRICS.build(dict(type='LandmarkRegressionMetric', protocol='mafl'))
    assert m.protocol == 'mafl' and m.bias is False


# -- protocol='mafl': the frame of the error (frame='resized'|'original') ---
# A 100 x 200 (w x h) box resized to a 100 x 100 input: x kept, y halved,
# as IMM's 178 x 218 -> 160 x 160 resize is anisotropic
# (tomasjakab/imm imm/datasets/celeba_dataset.py _proc_im_pair).
FRAME_BOX = dict(center=(50., 100.), scale=(100., 200.))
FRAME_TEST_GT = np.array([[30, 80], [70, 80], [50, 120], [35, 160],
                          [65, 160]], np.float64)


def _frame_samples(input_size=(100, 100), hold=False):
    """Fit samples whose landmarks are their five points (K = 5, so the
    bias-free least squares is exactly the identity), and one test face
    whose landmarks are its points with the nose moved 20 px down and the
    left mouth corner 10 px right (image pixels)."""
    rng = np.random.default_rng(11)
    fit = []
    for _ in range(12):
        gt = rng.uniform((0, 0), (100, 200), (5, 2))
        fit.append(_sample(gt, gt, 'fit', input_size=input_size,
                           **FRAME_BOX))
    pred = FRAME_TEST_GT.copy()
    pred[2] += (0, 20)
    pred[3] += (10, 0)
    splits = ('test', 'holdout') if hold else ('test', )
    test = [_sample(pred, FRAME_TEST_GT, split, input_size=input_size,
                    **FRAME_BOX) for split in splits]
    return fit, test


def test_mafl_frame_resized_vs_original_hand_computed():
    fit, test = _frame_samples(hold=True)
    # image pixels: eye distance |(30,80)-(70,80)| = 40; errors 0, 0, 20,
    # 10, 0 -> mean 6 px -> 15 %
    orig = LandmarkRegressionMetric(protocol='mafl', frame='original')
    out_o = _run(orig, fit + test)
    assert out_o['NME_mafl'] == pytest.approx(15.0)
    # input pixels (y halved): eyes (30,40)-(70,40) = 40; nose off by 10,
    # mouth corner by 10 -> mean 4 px -> 10 %; the default frame
    res = LandmarkRegressionMetric(protocol='mafl')
    assert res.frame == 'resized'
    out_r = _run(res, fit + test)
    assert out_r['NME_mafl'] == pytest.approx(10.0)
    assert out_r['NME_mafl_holdout'] == pytest.approx(10.0)
    assert res.last_fit['frame'] == 'resized'
    np.testing.assert_allclose(res.last_fit['weights'][:-1], np.eye(10),
                               atol=1e-9)
    # baseline (mean fit shape) by hand in both frames
    mean = np.mean([f['gt_instances']['keypoints'][0].numpy()
                    for f in fit], 0)

    def nme(p, g, iod):
        return np.linalg.norm(p - g, axis=-1).mean() / iod * 100

    half = np.array([1.0, 0.5])
    assert out_o['NME_mafl_baseline'] == pytest.approx(
        nme(mean, FRAME_TEST_GT, 40.0), rel=1e-5)
    assert out_r['NME_mafl_baseline'] == pytest.approx(
        nme(mean * half, FRAME_TEST_GT * half, 40.0), rel=1e-5)
    assert out_r['NME_mafl_baseline'] != pytest.approx(
        out_o['NME_mafl_baseline'], rel=1e-3)


def test_mafl_frames_agree_for_a_uniform_resize():
    """Box 100 x 200 -> input 50 x 100 (both axes halved): the same
    15 % in both frames, as for every TopdownAffine crop (aspect ratio
    fixed to the input's)."""
    fit, test = _frame_samples(input_size=(50, 100))
    for frame in ('resized', 'original'):
        out = _run(LandmarkRegressionMetric(protocol='mafl', frame=frame),
                   fit + test)
        assert out['NME_mafl'] == pytest.approx(15.0)


def test_mafl_frame_options_and_errors():
    with pytest.raises(ValueError, match='frame must be one of'):
        LandmarkRegressionMetric(protocol='mafl', frame='input')
    with pytest.raises(ValueError, match="frame='resized' is an option"):
        LandmarkRegressionMetric(frame='resized')
    assert LandmarkRegressionMetric().frame == 'original'
    # the resized frame needs input_size, and says so
    fit, test = _frame_samples()
    bare = [dict((k, v) for k, v in s.items() if k != 'input_size')
            for s in fit + test]
    with pytest.raises(KeyError, match='input_size'):
        _run(LandmarkRegressionMetric(protocol='mafl'), bare)
    out = _run(LandmarkRegressionMetric(protocol='mafl', frame='original'),
               bare)
    assert out['NME_mafl'] == pytest.approx(15.0)
    m = METRICS.build(dict(type='LandmarkRegressionMetric', protocol='mafl',
                           frame='original'))
    assert m.frame == 'original'


def test_fit_linear_regressor_without_bias():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(30, 4))
    y = rng.normal(size=(30, 2))
    w = fit_linear_regressor(x, y, bias=False)
    np.testing.assert_allclose(w[:-1], np.linalg.solve(x.T @ x, x.T @ y),
                               atol=1e-10)
    np.testing.assert_array_equal(w[-1], 0)
    with pytest.raises(ValueError, match='bias'):
        fit_linear_regressor(x, y, alpha=1.0, bias=False)
