"""SyntheticDeformableDataset and RegressionSplitDataset."""
import numpy as np
import pytest
from mmengine.registry import DefaultScope

from kp_ext.datasets.dataset_wrappers import RegressionSplitDataset
from kp_ext.datasets.synthetic_deformable import (SmoothDeformation,
                                                  SyntheticDeformableDataset)
from kp_ext.registry import DATASETS



@pytest.fixture(autouse=True)
def _kp_ext_scope():
    # mmengine's BaseDataset builds the pipeline from the default scope
    with DefaultScope.overwrite_default_scope('kp_ext'):
        yield


PIPELINE = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=(64, 64)),
    dict(type='PackPoseInputs'),
]


def test_reproducible_and_seed_dependent():
    a = SyntheticDeformableDataset(num_samples=3, img_size=(64, 64), seed=5)
    b = SyntheticDeformableDataset(num_samples=3, img_size=(64, 64), seed=5)
    c = SyntheticDeformableDataset(num_samples=3, img_size=(64, 64), seed=6)
    for i in range(3):
        da, db = a[i], b[i]
        np.testing.assert_array_equal(da['img'], db['img'])
        np.testing.assert_array_equal(da['keypoints'], db['keypoints'])
    assert not np.array_equal(a[0]['img'], c[0]['img'])
    # sample i does not depend on the dataset length
    d = SyntheticDeformableDataset(num_samples=10, img_size=(64, 64), seed=5)
    np.testing.assert_array_equal(d[2]['img'], a[2]['img'])


def test_sample_layout_and_metainfo():
    ds = DATASETS.build(dict(type='SyntheticDeformableDataset',
                             num_samples=4, img_size=(80, 60), seed=0))
    d = ds[1]
    assert d['img'].shape == (60, 80, 3) and d['img'].dtype == np.uint8
    assert d['keypoints'].shape == (1, 10, 2)
    assert d['keypoints_visible'].shape == (1, 10)
    np.testing.assert_array_equal(d['bbox'], [[0, 0, 80, 60]])
    kp = d['keypoints'][0]
    assert (kp[:, 0] > 0).all() and (kp[:, 0] < 79).all()
    assert (kp[:, 1] > 0).all() and (kp[:, 1] < 59).all()
    meta = ds.metainfo
    assert meta['num_keypoints'] == 10
    assert meta['flip_indices'] == [1, 0, 2, 4, 3, 5, 6, 7, 9, 8]
    assert meta['norm_indices'] == [0, 1]
    np.testing.assert_allclose(d['interocular_dist'][0],
                               np.linalg.norm(kp[0] - kp[1]), rtol=1e-5)


def test_keypoints_lie_on_the_drawn_features():
    """Pupils are drawn dark (15,15,15) at the eye keypoints and the iris
    around them; the pixel at each eye keypoint is much darker than the
    skin-coloured face around it."""
    ds = SyntheticDeformableDataset(num_samples=20, img_size=(96, 96),
                                    seed=3, deform_amplitude=0.0)
    for i in range(20):
        d = ds[i]
        img = d['img'].astype(np.float64)
        for e in d['keypoints'][0][:2]:
            x, y = np.round(e).astype(int)
            assert img[y, x].max() < 40, (i, img[y, x])


def test_deformation_is_fold_free_and_exact():
    rng = np.random.default_rng(0)
    f = SmoothDeformation(rng, (48, 48), 30.0, 10.0, amplitude=0.5)
    check = np.stack(np.meshgrid(np.linspace(-1.3, 1.3, 15),
                                 np.linspace(-1.3, 1.3, 15)),
                     -1).reshape(-1, 2)
    assert f._min_det(check) > 0.3  # shrunk until fold-free
    g = SmoothDeformation(np.random.default_rng(1), (10, 20), 2.0, 90.0,
                          amplitude=0.0)
    # no displacement: similarity, rotation +90 deg: (1, 0) -> (0, 1)
    np.testing.assert_allclose(g([[1.0, 0.0]]), [[10.0, 22.0]], atol=1e-9)


def test_pipeline_is_identity_crop():
    ds = SyntheticDeformableDataset(num_samples=2, img_size=(64, 64),
                                    seed=0, pipeline=PIPELINE)
    raw = SyntheticDeformableDataset(num_samples=2, img_size=(64, 64),
                                     seed=0)
    out = ds[0]
    img = out['inputs'].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(img, raw[0]['img'])
    meta = out['data_samples'].metainfo
    np.testing.assert_allclose(meta['input_center'], [32, 32])
    np.testing.assert_allclose(meta['input_scale'], [64, 64])


def test_regression_split_dataset_tags_and_subsets():
    fit = dict(type='SyntheticDeformableDataset', num_samples=10,
               img_size=(32, 32), seed=1, pipeline=PIPELINE[:2] + [
                   dict(type='TopdownAffine', input_size=(32, 32)),
                   dict(type='PackPoseInputs')])
    test = dict(fit, seed=2, num_samples=3)
    ds = DATASETS.build(dict(type='RegressionSplitDataset', fit=fit,
                             test=test, max_fit_samples=4))
    assert len(ds) == 7
    np.testing.assert_array_equal(ds.fit_indices, [0, 3, 6, 9])
    tags = [ds[i]['data_samples'].regression_split for i in range(7)]
    assert tags == ['fit'] * 4 + ['test'] * 3
    # fit item 1 is fit sample 3; test item 0 is test sample 0
    ref_fit = SyntheticDeformableDataset(num_samples=10, img_size=(32, 32),
                                         seed=1)
    np.testing.assert_allclose(
        ds[1]['data_samples'].gt_instances.keypoints,
        ref_fit[3]['keypoints'])
    ref_test = SyntheticDeformableDataset(num_samples=3, img_size=(32, 32),
                                          seed=2)
    np.testing.assert_allclose(
        ds[4]['data_samples'].gt_instances.keypoints,
        ref_test[0]['keypoints'])
    assert ds.metainfo['dataset_name'] == 'synthetic_face10'
    # an optional holdout set comes last, tagged 'holdout'
    held = DATASETS.build(dict(type='RegressionSplitDataset', fit=fit,
                               test=test, holdout=dict(test, seed=3,
                                                       num_samples=2),
                               max_fit_samples=4))
    assert len(held) == 9
    assert [held[i]['data_samples'].regression_split for i in range(9)] \
        == ['fit'] * 4 + ['test'] * 3 + ['holdout'] * 2
    ref_hold = SyntheticDeformableDataset(num_samples=2, img_size=(32, 32),
                                          seed=3)
    np.testing.assert_allclose(
        held[8]['data_samples'].gt_instances.keypoints,
        ref_hold[1]['keypoints'])
    with pytest.raises(IndexError):
        held[9]
    with pytest.raises(IndexError):
        ds[7]
    no_pack = RegressionSplitDataset(
        SyntheticDeformableDataset(num_samples=1, img_size=(32, 32)),
        SyntheticDeformableDataset(num_samples=1, img_size=(32, 32)))
    with pytest.raises(KeyError, match='PackPoseInputs'):
        no_pack[0]


def test_bad_arguments():
    with pytest.raises(ValueError):
        SyntheticDeformableDataset(num_samples=-1)
    with pytest.raises(ValueError):
        SyntheticDeformableDataset(img_size=(8, 8))


def test_generated_datasets_share_one_base():
    """Synthetic faces and people: one check of length and size (errors
    name the class), one per-index generator, one copy of the metainfo
    into each sample."""
    from kp_ext.datasets import (GeneratedPoseDataset,
                                 SyntheticDeformableDataset,
                                 SyntheticPeopleDataset)
    assert issubclass(SyntheticDeformableDataset, GeneratedPoseDataset)
    assert issubclass(SyntheticPeopleDataset, GeneratedPoseDataset)
    with pytest.raises(ValueError,
                       match='SyntheticDeformableDataset: num_samples'):
        SyntheticDeformableDataset(num_samples=-1)
    with pytest.raises(ValueError, match='SyntheticPeopleDataset: img_size'):
        SyntheticPeopleDataset(num_samples=1, img_size=(8, 8))
    faces = SyntheticDeformableDataset(num_samples=2, seed=3)
    np.testing.assert_array_equal(faces.rng_for(1).random(3),
                                  np.random.default_rng([3, 1]).random(3))
    info = faces.get_data_info(1)
    assert info['flip_indices'] == faces.metainfo['flip_indices']
    assert info['dataset_name'] == 'synthetic_face10'
    assert 'skeleton_links' not in info
    people = SyntheticPeopleDataset(num_samples=1, img_size=(64, 64))
    assert people.get_data_info(0)['skeleton_links'] == \
        people.metainfo['skeleton_links']
