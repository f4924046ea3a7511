"""Linear-regression protocols for unsupervised landmarks.

Unsupervised landmarks have no semantic labels, so (Thewlis et al. 2017,
and most later work) their quality is measured by how well a *linear*
regressor maps the K discovered landmarks to the M annotated ones: fit
``Y ~ [X, 1] W`` (least squares, optional ridge ``alpha`` on the non-bias
weights) on a training ("fit") split, apply it to a held-out test split and
report the normalised mean error there.

Ridge strength: ``alpha`` is either one value or a list of candidates;
with a list, the value is chosen by ``cv_folds``-fold cross-validation **on
the fit split only** (folds grouped by ``group_key``, e.g. the face
identity, so a fold's identities are unseen by the regressor fitted on the
other folds, as the test identities are), scored by the same NME; the
chosen value is then refitted on the whole fit split. Its cross-validated
error is returned as ``NME_fit_cv``: a score computed from the fit split
alone, e.g. for ``CheckpointHook(save_best='NME_fit_cv', rule='less')``.
The network itself was trained on the fit identities, though, so this
score can keep falling while the error on unseen identities rises; samples
tagged ``holdout`` (identities kept out of training, see
``FaceLandmarkCSVDataset(holdout_fraction=...)``) are scored with the
fitted regressor as ``NME_holdout``, the score to select checkpoints by.
Neither the holdout nor the test samples enter the fit.

Protocols (``protocol``)
------------------------
``'kp_ext'`` (default; everything below this section): least squares with
a bias and optional ridge (alpha chosen by grouped CV), all annotated
points, normalised by ``norm_indices`` (outer eye corners 36 / 45 for 68
points), plus ``NME_5pt`` with that same normaliser.

``'mafl'``: the protocol of the MAFL / AFLW tables of the unsupervised-
landmark literature (Thewlis et al. ICCV 2017 Sec. 4; the public
evaluation code of Jakab et al. 2018, ``tomasjakab/imm`` ``scripts/
test.py``, and of Zhang et al. 2018, ``YutingZhang/lmdis-rep``
``evaluation/{linear_regressor,mean_error_IOD}.m``): the 5 points (left
and right eye centre, nose tip, left and right mouth corner; a 5-point
annotation is used as it is, 68 points are reduced with
``FACE68_MAFL_GROUPS``), a plain least-squares regressor (no ridge, no
cross-validation) **without a bias term** by default (``bias=False``: the
default of Jakab et al.'s ``sklearn Ridge(alpha=0, fit_intercept=bias)``,
and Zhang et al.'s ``W = X \\ Y``), fitted on the fit split (MAFL
training set) in the crop frame ``[0, 1]`` with its origin at the crop's
top-left corner (Jakab et al. regress pixels of the network input, the
same up to a scale, which least squares ignores), and the error
normalised by the distance between the two annotated **eye centres**
(points 0 and 1 of the five), averaged over test faces and their five
points. Returned as ``NME_mafl``,
``NME_mafl_baseline`` (mean training shape) and ``NME_mafl_holdout``, so
both protocols can evaluate the same predictions side by side (two
metrics in one evaluator). On the 68-point faces of
``../shared/data/youtube_faces_68lm_udacity`` the outer-eye-corner
distance is 1.374 x the eye-centre distance (mean over 1,205 faces,
per-face range 1.27-1.48), so for the same errors kp_ext's ``NME_5pt``
reads 1.374 x lower than ``NME_mafl``.

Frame of the MAFL error (``frame``, ``protocol='mafl'`` only). The
published numbers score points in the pixels of the network's input crop,
after its resize: Jakab et al. resize the whole 178 x 218 aligned CelebA
image to a 160 x 160 square, points scaled per axis by (160 / 178,
160 / 218), and keep the central 128 x 128 (``imm/datasets/
celeba_dataset.py`` ``_proc_im_pair``, ``impair_dataset.py``
``_resize_points``), then measure distances and the eye distance in that
128 x 128 frame (``scripts/test.py`` ``evaluate``); DVE scores
``keypts_normalized`` of its input crop (``data_loader/data_loaders.py``
``kp_normalize``, ``model/metric.py`` ``inter_ocular_error``), a uniform
resize for MAFL (a 178 x 178 crop to 100 x 100). ``frame='resized'``
(default) measures errors in that frame: ``(p - box origin) / input_scale
* input_size`` per axis, i.e. input-crop pixels (it needs each sample's
``input_size``); ``frame='original'`` measures them in image pixels, as
kp_ext did before. The regression itself is the same in both frames
(least squares without a penalty gives the same fitted points under a
per-axis scaling of the inputs and targets common to all samples); only
distances change, and
only when the box -> input resize is not uniform (box aspect ratio !=
input aspect ratio). ``TopdownAffine`` always fixes the box to the
input's aspect ratio, so every kp_ext pipeline gives the same
``NME_mafl`` in both frames.

Where the fit split comes from (design)
---------------------------------------
A metric has no model access, so both splits go through the ordinary
evaluation loop: the val/test dataloader's dataset is a
``RegressionSplitDataset(fit=..., test=...)`` that concatenates the fit
samples (e.g. the training identities) and the test samples and tags each
data sample's metainfo with ``regression_split='fit'|'test'``. This works
with mmengine's standard ``runner.val()`` / ``runner.test()``.
:meth:`compute_metrics` fits the regressor on the samples tagged ``fit``
only and evaluates it on the samples tagged ``test`` only: no test sample
(nor its annotation) enters the fit; ``self.last_fit`` keeps the fitted
weights for inspection.

Coordinates
-----------
Both the discovered landmarks (``pred_instances.keypoints``, image pixels)
and the annotations (``gt_instances.keypoints``, image pixels) are
expressed in the frame of the sample's crop box before regressing:
``u = (p - (input_center - input_scale / 2)) / input_scale``, i.e. [0, 1]
over the box that was warped to the network input (the box is the same
for prediction and annotation). Regressed points are mapped back to image
pixels with the same box, and errors are measured in image pixels
(``protocol='kp_ext'``, and ``'mafl'`` with ``frame='original'``) or in
network-input pixels (``'mafl'`` with the default ``frame='resized'``).

Errors
------
``NME``: mean over test samples and annotated points of ``|pred - gt| /
d``, ``d`` the inter-ocular distance, i.e. the gt distance between
``norm_indices`` (argument, else the metainfo's ``norm_indices``, else
(36, 45) for 68 points: the outer eye corners), in percent (x 100).
``NME_5pt`` (when ``point_groups`` are given or, by default, for 68-point
faces): the MAFL-style five points, each the mean of a group of annotated
points (eye centres = mean of each eye's six points 36-41 and 42-47, nose
tip 30, mouth corners 48 and 54), taken from the regressed 68 points (the
regression is linear, so this equals regressing the five points directly),
same normaliser. ``*_baseline``: the same errors when every test sample is
predicted as the mean training shape (in the box frame). Per-point errors
are kept in ``self.per_keypoint_nme`` (and returned as
``NME_kpt/<name>`` when ``per_keypoint=True``). Only samples whose
annotated points are all visible are used.
"""
import logging
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from kp_ext.registry import METRICS
from kp_ext.utils import to_numpy

__all__ = ['LandmarkRegressionMetric', 'fit_linear_regressor',
           'FACE68_MAFL_GROUPS']

#: the five MAFL points as groups of 68-point (iBUG) indices
FACE68_MAFL_GROUPS = ([36, 37, 38, 39, 40, 41], [42, 43, 44, 45, 46, 47],
                      [30], [48], [54])


def fit_linear_regressor(x: np.ndarray, y: np.ndarray,
                         alpha: float = 0.0, bias: bool = True
                         ) -> np.ndarray:
    """Least squares ``y ~ [x, 1] @ W`` -> W (D + 1, P).

    ``alpha > 0`` adds the ridge penalty ``alpha |W[:D]|^2`` (the bias row
    is not penalised: solved on centred data). ``alpha = 0`` uses
    ``numpy.linalg.lstsq`` (minimum-norm solution when rank deficient).
    ``bias=False`` fits ``y ~ x @ W[:D]`` (no intercept; ``alpha`` must be
    0) and returns a zero last row, so ``[x, 1] @ W`` still applies it.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y):
        raise ValueError(f'x (N, D) and y (N, P) expected, got {x.shape} and '
                         f'{y.shape}')
    if len(x) == 0:
        raise ValueError('cannot fit a regressor on 0 samples')
    if not bias:
        if alpha > 0:
            raise ValueError('fit_linear_regressor: a ridge penalty without '
                             'a bias term is not supported')
        w, *_ = np.linalg.lstsq(x, y, rcond=None)
        return np.vstack([w, np.zeros((1, y.shape[1]))])
    if alpha > 0:
        xm, ym = x.mean(0), y.mean(0)
        xc, yc = x - xm, y - ym
        a = xc.T @ xc + alpha * np.eye(x.shape[1])
        w = np.linalg.solve(a, xc.T @ yc)
        b = ym - xm @ w
        return np.vstack([w, b[None]])
    xa = np.hstack([x, np.ones((len(x), 1))])
    w, *_ = np.linalg.lstsq(xa, y, rcond=None)
    return w


def _apply(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.hstack([x, np.ones((len(x), 1))]) @ w


def _point_nme(pred: np.ndarray, gt: np.ndarray,
               norm: np.ndarray) -> np.ndarray:
    """Per-point errors (N, M) of (N, M, 2) points in % of each sample's
    normaliser ``norm`` (N,)."""
    return np.linalg.norm(pred - gt, axis=-1) / norm[:, None] * 100


def _pair_dist(gt: np.ndarray, i: int, j: int) -> np.ndarray:
    """Distance between points ``i`` and ``j`` of (N, M, 2) points."""
    return np.linalg.norm(gt[:, i] - gt[:, j], axis=-1)


@METRICS.register_module()
class LandmarkRegressionMetric(BaseMetric):
    """Regress annotated from discovered landmarks (module doc).

    Args:
        protocol (str): ``'kp_ext'`` (default) or ``'mafl'``, the
            literature's protocol (module doc): 5 points, least squares,
            eye-centre normaliser, results ``NME_mafl*``.
        bias (bool, optional): fit an intercept; default True for
            ``'kp_ext'``, False for ``'mafl'`` (as the papers' code).
        alpha (float | list of float): ridge penalty (0: plain least
            squares). The inputs are box-normalised coordinates in [0, 1],
            so ``alpha`` is in those units. A list: candidates, one chosen
            by grouped cross-validation on the fit split (module doc).
        cv_folds (int): folds of that cross-validation.
        group_key (str): metainfo key grouping fit samples into folds
            (e.g. ``'identity'``: pack it with ``PackPoseInputs(meta_keys=
            ...)``); samples without it are their own group.
        norm_indices (pair, optional): annotated points whose distance
            normalises the error; default metainfo ``norm_indices``, else
            (36, 45) for 68 points.
        point_groups (list of lists, optional): derived points (each the
            mean of a group of annotated points) reported as ``NME_5pt``;
            default ``FACE68_MAFL_GROUPS`` for 68 annotated points, none
            otherwise. With ``protocol='mafl'``: the five groups giving
            the MAFL points (default: 5 annotated points as they are, 68
            points through ``FACE68_MAFL_GROUPS``).
        split_key (str): metainfo key of the split tag.
        fit_split / test_split (str): tag values of the two splits.
        holdout_split (str): tag of the optional holdout samples.
        per_keypoint (bool): also return ``NME_kpt/<name>`` values.
        frame (str, optional): ``protocol='mafl'`` only: ``'resized'``
            (default: errors in the pixels of the network input, as the
            published code) or ``'original'`` (image pixels); module doc.
            ``protocol='kp_ext'`` measures in image pixels (``'original'``,
            its only value).
        collect_device, prefix: mmengine ``BaseMetric``.
    """

    default_prefix: Optional[str] = None

    PROTOCOLS = ('kp_ext', 'mafl')
    FRAMES = ('resized', 'original')

    def __init__(self,
                 protocol: str = 'kp_ext',
                 bias: Optional[bool] = None,
                 alpha: Union[float, Sequence[float]] = 0.0,
                 cv_folds: int = 5,
                 group_key: str = 'identity',
                 norm_indices: Optional[Sequence[int]] = None,
                 point_groups: Optional[Sequence[Sequence[int]]] = None,
                 split_key: str = 'regression_split',
                 fit_split: str = 'fit',
                 test_split: str = 'test',
                 holdout_split: str = 'holdout',
                 per_keypoint: bool = False,
                 frame: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if protocol not in self.PROTOCOLS:
            raise ValueError(f'LandmarkRegressionMetric: protocol must be '
                             f'one of {self.PROTOCOLS}, got {protocol!r}')
        alphas = ([alpha] if np.isscalar(alpha) else list(alpha))
        if protocol == 'mafl':
            if alphas != [0] and alphas != [0.0]:
                raise ValueError(
                    "LandmarkRegressionMetric: protocol='mafl' is plain "
                    f'least squares (no ridge, no CV); got alpha={alpha}')
            if norm_indices is not None:
                raise ValueError(
                    "LandmarkRegressionMetric: protocol='mafl' normalises "
                    'by the two eye centres (points 0 and 1 of the five); '
                    f'norm_indices={norm_indices} does not apply')
            if point_groups is not None and len(point_groups) != 5:
                raise ValueError(
                    "LandmarkRegressionMetric: protocol='mafl' needs five "
                    f'point_groups, got {len(point_groups)}')
        if frame is None:
            frame = 'resized' if protocol == 'mafl' else 'original'
        if frame not in self.FRAMES:
            raise ValueError(f'LandmarkRegressionMetric: frame must be one '
                             f'of {self.FRAMES}, got {frame!r}')
        if protocol == 'kp_ext' and frame != 'original':
            raise ValueError(
                "LandmarkRegressionMetric: protocol='kp_ext' measures errors "
                "in image pixels (frame='original'); frame='resized' is an "
                "option of protocol='mafl'")
        self.protocol = protocol
        #: where errors are measured: 'resized' (network-input pixels) or
        #: 'original' (image pixels)
        self.frame = frame
        self.bias = (protocol == 'kp_ext') if bias is None else bool(bias)
        if not self.bias and any(float(a) > 0 for a in alphas):
            raise ValueError('LandmarkRegressionMetric: a ridge penalty '
                             '(alpha > 0) needs bias=True')
        if not alphas or any(float(a) < 0 for a in alphas):
            raise ValueError(f'alpha must be >= 0 (or a non-empty list of '
                             f'such values), got {alpha}')
        if len(alphas) > 1 and int(cv_folds) < 2:
            raise ValueError(f'cv_folds must be >= 2, got {cv_folds}')
        if norm_indices is not None and len(norm_indices) != 2:
            raise ValueError(f'norm_indices must be a pair, got '
                             f'{norm_indices}')
        self.alphas = [float(a) for a in alphas]
        #: the ridge penalty in use (the chosen one after a CV selection)
        self.alpha = self.alphas[0]
        self.cv_folds = int(cv_folds)
        self.group_key = group_key
        self.norm_indices = (None if norm_indices is None else
                             [int(i) for i in norm_indices])
        self.point_groups = (None if point_groups is None else
                             [list(map(int, g)) for g in point_groups])
        self.split_key = split_key
        self.fit_split = fit_split
        self.test_split = test_split
        self.holdout_split = holdout_split
        self.per_keypoint = bool(per_keypoint)
        self.last_fit: Optional[dict] = None
        self.per_keypoint_nme: Optional[np.ndarray] = None

    # -- collection ----------------------------------------------------------
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            split = sample.get(self.split_key)
            if split not in (self.fit_split, self.test_split,
                             self.holdout_split):
                raise KeyError(
                    f'LandmarkRegressionMetric: sample '
                    f'{sample.get("img_path")} has {self.split_key}='
                    f'{split!r}; evaluate on a RegressionSplitDataset (fit '
                    f'split tagged {self.fit_split!r}, test split tagged '
                    f'{self.test_split!r})')
            missing = [k for k in ('input_center', 'input_scale')
                       if sample.get(k) is None]
            if missing:
                raise KeyError(f'LandmarkRegressionMetric: sample '
                               f'{sample.get("img_path")} lacks {missing} '
                               '(the crop box)')
            pred = to_numpy(sample['pred_instances']['keypoints'],
                            np.float64)
            gt_inst = sample['gt_instances']
            gt = to_numpy(gt_inst['keypoints'], np.float64)
            if pred.ndim != 3 or gt.ndim != 3 or len(pred) != 1 \
                    or len(gt) != 1:
                raise ValueError(
                    'LandmarkRegressionMetric expects one instance per '
                    f'sample: pred {pred.shape}, gt {gt.shape} in '
                    f'{sample.get("img_path")}')
            vis = (to_numpy(gt_inst['keypoints_visible'], np.float64)
                   .reshape(-1) > 0 if 'keypoints_visible' in gt_inst else
                   np.ones(gt.shape[1], dtype=bool))
            center = to_numpy(sample['input_center'], np.float64).reshape(2)
            scale = to_numpy(sample['input_scale'], np.float64).reshape(2)
            size = sample.get('input_size')
            if size is not None:
                size = np.asarray(size, np.float64).reshape(2)
            elif self.frame == 'resized':
                raise KeyError(
                    f'LandmarkRegressionMetric: sample '
                    f'{sample.get("img_path")} lacks input_size (w, h of '
                    "the network input), which frame='resized' needs to "
                    'measure errors in input pixels; pack it '
                    "(PackPoseInputs meta_keys) or use frame='original'")
            self.results.append(
                dict(split=split, pred=pred[0, :, :2], gt=gt[0, :, :2],
                     vis=vis, origin=center - scale / 2, scale=scale,
                     input_size=size, img_path=sample.get('img_path'),
                     group=sample.get(self.group_key)))

    # -- evaluation ----------------------------------------------------------
    def _norm_pair(self, m: int) -> List[int]:
        idx = self.norm_indices
        if idx is None:
            idx = (self.dataset_meta or {}).get('norm_indices')
        if idx is None and m == 68:
            idx = [36, 45]
        if idx is None:
            raise KeyError('LandmarkRegressionMetric: no norm_indices given '
                           'and none in the dataset metainfo')
        idx = [int(i) for i in idx]
        if not all(0 <= i < m for i in idx):
            raise IndexError(f'norm_indices {idx} out of range for {m} '
                             'annotated points')
        return idx

    def _groups(self, m: int) -> Optional[List[List[int]]]:
        if self.point_groups is not None:
            groups = self.point_groups
        elif m == 68:
            groups = [list(g) for g in FACE68_MAFL_GROUPS]
        else:
            return None
        for g in groups:
            if not g or not all(0 <= i < m for i in g):
                raise IndexError(f'point group {g} out of range for {m} '
                                 'annotated points')
        return groups

    @staticmethod
    def _stack(results, key):
        return np.stack([r[key] for r in results])

    @classmethod
    def _box(cls, results):
        """Crop-box origins and sizes of results, (N, 1, 2) each."""
        return (cls._stack(results, 'origin')[:, None],
                cls._stack(results, 'scale')[:, None])

    @classmethod
    def _in_box(cls, results, key):
        """``key`` points (N, P, 2) in the box frame (module doc)."""
        o, s = cls._box(results)
        return (cls._stack(results, key) - o) / s

    @classmethod
    def _regress(cls, w: np.ndarray, results) -> np.ndarray:
        """Annotated points regressed from the results' landmarks,
        (N, M, 2) image pixels."""
        o, s = cls._box(results)
        x = cls._in_box(results, 'pred').reshape(len(results), -1)
        return _apply(w, x).reshape(len(results), -1, 2) * s + o

    def _fold_ids(self, fit: list) -> np.ndarray:
        """Fold of each fit sample: groups (sorted by name; a sample
        without a group is its own group, in order) dealt round-robin."""
        keys = [('g', str(r['group'])) if r.get('group') is not None else
                ('s', f'{i:09d}') for i, r in enumerate(fit)]
        rank = {key: n for n, key in enumerate(sorted(set(keys)))}
        folds = min(self.cv_folds, len(rank))
        if folds < 2:
            raise ValueError('LandmarkRegressionMetric: choosing alpha by '
                             'cross-validation needs >= 2 fit groups')
        return np.array([rank[key] % folds for key in keys])

    def _select_alpha(self, fit: list, x: np.ndarray, y: np.ndarray,
                      norm_pair) -> Dict[float, float]:
        """Cross-validated NME (%) of each candidate alpha on the fit
        split (module doc)."""
        fold = self._fold_ids(fit)
        m = y.shape[1] // 2
        o, s = self._box(fit)
        gt = self._stack(fit, 'gt')
        norm = _pair_dist(gt, *norm_pair)
        scores = {}
        for a in self.alphas:
            err, cnt = 0.0, 0
            for f in np.unique(fold):
                held = (fold == f) & (norm > 0)
                w = fit_linear_regressor(x[fold != f], y[fold != f], a,
                                         self.bias)
                p = _apply(w, x[held]).reshape(-1, m, 2) * s[held] + o[held]
                e = _point_nme(p, gt[held], norm[held])
                err, cnt = err + e.sum(), cnt + e.size
            scores[a] = float(err / max(cnt, 1))
        return scores

    def _mafl_groups(self, m: int) -> Optional[List[List[int]]]:
        """Groups giving the five MAFL points from ``m`` annotated points
        (``None``: the annotation already is the five points)."""
        if self.point_groups is not None:
            groups = self.point_groups
        elif m == 5:
            return None
        elif m == 68:
            groups = [list(g) for g in FACE68_MAFL_GROUPS]
        else:
            raise ValueError(
                "LandmarkRegressionMetric: protocol='mafl' needs the 5 MAFL "
                'points (left eye, right eye, nose, left and right mouth '
                f'corner) or 68 iBUG points, got {m} annotated points; give '
                'point_groups to derive the five')
        for g in groups:
            if not g or not all(0 <= i < m for i in g):
                raise IndexError(f'point group {g} out of range for {m} '
                                 'annotated points')
        return groups

    def _compute_mafl(self, fit: list, test: list,
                      holdout: list) -> Dict[str, float]:
        """The literature's protocol (module doc): five points, least
        squares (bias per ``self.bias``), eye-centre normaliser."""
        k = fit[0]['pred'].shape[0]
        groups = self._mafl_groups(fit[0]['gt'].shape[0])

        def five(results):
            """(N, 5, 2) target points in image pixels."""
            gt = self._stack(results, 'gt')
            if groups is None:
                return gt
            return np.stack([gt[:, g].mean(1) for g in groups], 1)

        o, s = self._box(fit)
        x_fit = self._in_box(fit, 'pred').reshape(len(fit), 2 * k)
        y_fit = ((five(fit) - o) / s).reshape(len(fit), 10)
        w = fit_linear_regressor(x_fit, y_fit, 0.0, self.bias)
        mean_shape = y_fit.mean(0).reshape(1, 5, 2)

        def score(results, tag):
            ob, sb = self._box(results)
            gt = five(results)
            pred = self._regress(w, results)
            base = mean_shape * sb + ob
            if self.frame == 'resized':
                # network-input pixels: box frame x input size, per axis
                size = self._stack(results, 'input_size')[:, None]
                gt, pred, base = ((p - ob) / sb * size
                                  for p in (gt, pred, base))
            norm = _pair_dist(gt, 0, 1)
            ok = norm > 0
            if not ok.all():
                print_log(f'LandmarkRegressionMetric: {int((~ok).sum())} '
                          f'{tag} samples with coincident eye centres are '
                          'not scored', logger='current',
                          level=logging.WARNING)
            return (_point_nme(pred[ok], gt[ok], norm[ok]),
                    _point_nme(base[ok], gt[ok], norm[ok]), int(ok.sum()))

        err, err_base, num_test = score(test, 'test')
        self.per_keypoint_nme = err.mean(0)
        out = dict(NME_mafl=float(err.mean()),
                   NME_mafl_baseline=float(err_base.mean()))
        if holdout:
            out['NME_mafl_holdout'] = float(score(holdout, 'holdout')[0]
                                            .mean())
        self.last_fit = dict(weights=w, mean_shape=mean_shape.reshape(-1),
                             num_fit=len(fit), num_test=num_test,
                             num_landmarks=k, num_annotated=5,
                             norm_indices=(0, 1), alpha=0.0, bias=self.bias,
                             cv_nme=None, num_holdout=len(holdout),
                             protocol='mafl', frame=self.frame)
        where = ('network-input' if self.frame == 'resized' else 'image')
        print_log(
            f"LandmarkRegressionMetric (protocol 'mafl': 5 points, least "
            f'squares {"with" if self.bias else "without"} bias, error in % '
            f'of the eye-centre distance, in {where} pixels): fitted on '
            f'{len(fit)} samples '
            f'(K={k}), tested on {num_test}: ' + ', '.join(
                f'{key}={val:.2f}%' for key, val in out.items()) +
            '; per-point NME: ' +
            ' '.join(f'{e:.1f}' for e in self.per_keypoint_nme),
            logger='current')
        return out

    def compute_metrics(self, results: list) -> Dict[str, float]:
        fit = [r for r in results
               if r['split'] == self.fit_split and r['vis'].all()]
        test = [r for r in results
                if r['split'] == self.test_split and r['vis'].all()]
        if not fit or not test:
            raise ValueError(
                f'LandmarkRegressionMetric needs fully annotated samples in '
                f'both splits; got {len(fit)} fit and {len(test)} test')
        holdout = [r for r in results
                   if r['split'] == self.holdout_split and r['vis'].all()]
        if self.protocol == 'mafl':
            return self._compute_mafl(fit, test, holdout)
        k = fit[0]['pred'].shape[0]
        m = fit[0]['gt'].shape[0]

        x_fit = self._in_box(fit, 'pred').reshape(len(fit), 2 * k)
        y_fit = self._in_box(fit, 'gt').reshape(len(fit), 2 * m)
        i, j = self._norm_pair(m)
        cv_nme = None
        if len(self.alphas) > 1:
            cv_nme = self._select_alpha(fit, x_fit, y_fit, (i, j))
            self.alpha = min(cv_nme, key=cv_nme.get)
        w = fit_linear_regressor(x_fit, y_fit, self.alpha, self.bias)
        mean_shape = y_fit.mean(0)

        o, s = self._box(test)
        gt = self._stack(test, 'gt')
        pred = self._regress(w, test)
        base = mean_shape.reshape(1, m, 2) * s + o
        nme_holdout = None
        if holdout:
            gh = self._stack(holdout, 'gt')
            dh = _pair_dist(gh, i, j)
            okh = dh > 0
            nme_holdout = float(_point_nme(
                self._regress(w, holdout)[okh], gh[okh], dh[okh]).mean())
        norm = _pair_dist(gt, i, j)
        ok = norm > 0
        if not ok.all():
            print_log(f'LandmarkRegressionMetric: {int((~ok).sum())} test '
                      'samples with a zero normaliser are not scored',
                      logger='current', level=logging.WARNING)
        gt, pred, base, norm = gt[ok], pred[ok], base[ok], norm[ok]

        def nme(p, g):
            return _point_nme(p, g, norm)

        err = nme(pred, gt)  # (N, M) percent
        err_base = nme(base, gt)
        self.per_keypoint_nme = err.mean(0)
        out = dict(NME=float(err.mean()), NME_baseline=float(err_base.mean()))
        if cv_nme is not None:
            out['NME_fit_cv'] = cv_nme[self.alpha]
        if nme_holdout is not None:
            out['NME_holdout'] = nme_holdout
        groups = self._groups(m)
        if groups is not None:
            def derive(p):
                return np.stack([p[:, g].mean(1) for g in groups], 1)
            out['NME_5pt'] = float(nme(derive(pred), derive(gt)).mean())
            out['NME_5pt_baseline'] = float(
                nme(derive(base), derive(gt)).mean())
        if self.per_keypoint:
            names = (self.dataset_meta or {}).get('keypoint_id2name', {})
            for idx, e in enumerate(self.per_keypoint_nme):
                out[f'NME_kpt/{names.get(idx, idx)}'] = float(e)
        self.last_fit = dict(weights=w, mean_shape=mean_shape,
                             num_fit=len(fit), num_test=int(ok.sum()),
                             num_landmarks=k, num_annotated=m,
                             norm_indices=(i, j), alpha=self.alpha,
                             cv_nme=cv_nme, num_holdout=len(holdout),
                             bias=self.bias, protocol='kp_ext',
                             frame=self.frame)
        print_log(
            "LandmarkRegressionMetric (protocol 'kp_ext'): fitted on "
            f'{len(fit)} samples '
            f'(K={k} -> M={m}, alpha={self.alpha:g}' + (
                '' if cv_nme is None else ' chosen by fit-split CV: ' +
                ', '.join(f'{a:g}->{e:.2f}%' for a, e in cv_nme.items())) +
            '), tested on '
            f'{int(ok.sum())}: ' + ', '.join(
                f'{key}={val:.2f}%' for key, val in out.items()
                if not key.startswith('NME_kpt/')) +
            f' (normalised by points {i} and {j}); per-point NME: ' +
            ' '.join(f'{e:.1f}' for e in self.per_keypoint_nme),
            logger='current')
        return out
