"""LandmarkRegressionMetric: the unsupervised-landmark regression protocol."""
import numpy as np
import pytest
import torch

from kp_ext.evaluation.metrics.landmark_regression import (
    FACE68_MAFL_GROUPS, LandmarkRegressionMetric, fit_linear_regressor)
from kp_ext.registry import METRICS


def _sample(pred, gt, split, center=(50., 40.), scale=(80., 80.)):
    return dict(
        regression_split=split, img_path=f'{split}.png',
        input_center=np.array(center, np.float32),
        input_scale=np.array(scale, np.float32),
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
