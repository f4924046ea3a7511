"""PCK / PCKh / tPCK accuracy (MMPose ``PCKAccuracy`` semantics) and the
MPII per-joint PCKh table."""
import warnings
from typing import Dict, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from kp_ext.registry import METRICS
from kp_ext.utils import to_numpy
from ..functional import keypoint_epe, keypoint_pck_accuracy
from .sample_keypoints import paired_keypoints

__all__ = ['PCKAccuracy', 'MpiiPCKAccuracy', 'mpii_pckh_table',
           'mpii_pckh_auc', 'EPE']

# Result key per normalisation item (MMPose names).
_KEY = {'bbox': 'PCK', 'head': 'PCKh', 'torso': 'tPCK'}
# Default threshold per item when ``thr`` is None: 0.05 of the bbox / torso
# size (MMPose default) and the MPII protocol's 0.5 x head size.
_DEFAULT_THR = {'bbox': 0.05, 'head': 0.5, 'torso': 0.05}

# The MPII PCKh tables: (column, keypoint names averaged), names of the
# MPII metainfo (MMPose's). Official order of the 14 evaluated joints
# (eval/annolist2matrix.m of the MPII evaluation package, as plotted by
# evalMPII.m lines 112-118): 1 r ankle, 2 r knee, 3 r hip, 4 l hip, 5 l
# knee, 6 l ankle, 7 r wrist, 8 r elbow, 9 r shoulder, 10 l shoulder,
# 11 l elbow, 12 l wrist, 13 upper neck, 14 head top.
_LIMB_COLUMNS = (
    ('Shoulder', ('left_shoulder', 'right_shoulder')),
    ('Elbow', ('left_elbow', 'right_elbow')),
    ('Wrist', ('left_wrist', 'right_wrist')),
    ('Hip', ('left_hip', 'right_hip')),
    ('Knee', ('left_knee', 'right_knee')),
    ('Ankle', ('left_ankle', 'right_ankle')),
)
# 'official': eval/genTablePCK.m of the MPII evaluation package, Head =
# (pck(13) + pck(14)) / 2 = mean of upper neck and head top
MPII_TABLE_OFFICIAL = (('Head', ('upper_neck', 'head_top')), ) + \
    _LIMB_COLUMNS
# 'mmpose': MMPose 1.x MpiiPCKAccuracy / HRNet / MMPose 0.x, Head = head
# top only (upper neck enters only the mean)
MPII_TABLE_MMPOSE = (('Head', ('head_top', )), ) + _LIMB_COLUMNS
MPII_TABLES = dict(official=MPII_TABLE_OFFICIAL, mmpose=MPII_TABLE_MMPOSE)
# kept for code that imported it: the MMPose table
MPII_TABLE = MPII_TABLE_MMPOSE
# UBody of eval/computePCK.m: all entries of official joints 7-12 pooled
MPII_UBODY = ('right_wrist', 'right_elbow', 'right_shoulder',
              'left_shoulder', 'left_elbow', 'left_wrist')
# Joints left out of the MPII 'Mean' (= official 'Total') column.
MPII_EXCLUDED = ('pelvis', 'thorax')
# evalMPII.m line 25 (and eval/evaluatePCKh.m): range = 0:0.01:0.5, the
# thresholds of the PCKh curve whose area is the printed AUC; here k / 100
# (correctly rounded; MATLAB's colon may differ by an ulp at some k, which
# matters only for distances exactly on a threshold)
MPII_AUC_THRESHOLDS = np.arange(51) / 100.0
# MPII keypoint order (MMPose's mpii metainfo), used only when a metric
# has no dataset_meta but sees 16 keypoints.
MPII_NAMES = ('right_ankle', 'right_knee', 'right_hip', 'left_hip',
              'left_knee', 'left_ankle', 'pelvis', 'thorax', 'upper_neck',
              'head_top', 'right_wrist', 'right_elbow', 'right_shoulder',
              'left_shoulder', 'left_elbow', 'left_wrist')


def _check_table(table: str) -> None:
    if table not in MPII_TABLES:
        raise ValueError(f'MPII PCKh table must be one of '
                         f'{sorted(MPII_TABLES)}, got {table!r}')


def _mpii_distances(pred, gt, mask, head_size, names, table='official'):
    """(normalised distance (N, K), counted (N, K), name -> index)."""
    _check_table(table)
    name2id = {n: i for i, n in enumerate(names)}
    needed = {n for _, group in MPII_TABLES[table] for n in group}
    missing = sorted(needed - set(name2id))
    if missing:
        raise KeyError(f'keypoint names lack MPII joints {missing}')
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    head_size = np.asarray(head_size, dtype=np.float64).reshape(-1)
    has_head = np.isfinite(head_size) & (head_size > 0)
    counted = np.asarray(mask, dtype=bool) & has_head[:, None]
    # a NaN prediction gives a NaN distance: counted and wrong, as the
    # official pred(isnan(pred)) = inf (evalMPII.m line 86)
    err = np.linalg.norm(pred - gt, axis=-1)
    dist = np.full(err.shape, np.inf)
    dist[has_head] = err[has_head] / head_size[has_head, None]
    return dist, counted, name2id


def _pooled_pck(dist, counted, cols, thr) -> float:
    """100 x correct / counted over the entries of joints ``cols``
    (computePCK.m's ``mean(d(~isnan(d)) <= range(k))`` over the pooled
    entries); 0 if nothing is counted."""
    c = counted[:, cols]
    n = int(c.sum())
    if not n:
        return 0.0
    with np.errstate(invalid='ignore'):
        ok = c & (dist[:, cols] <= thr)
    return 100.0 * float(ok.sum()) / n


def mpii_pckh_table(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray,
                    head_size: np.ndarray, names: Sequence[str],
                    thr: float = 0.5,
                    table: str = 'official') -> Dict[str, float]:
    """The per-joint PCKh table of MPII papers, in percent.

    ``table='official'`` (default) is the table of the official MPII
    evaluation package (``evalMPII.zip``, mirrored in anibali/eval-mpii-pose:
    ``evalMPII.m``, ``eval/evaluatePCKh.m``, ``eval/computePCK.m``,
    ``eval/genTablePCK.m``); ``table='mmpose'`` is MMPose's (MMPose 1.x
    ``MpiiPCKAccuracy``, HRNet's / MMPose 0.x ``evaluate``), whose only
    difference is 'Head' = head top alone and no 'UBody'.

    - normalised error ``d = ||pred - gt|| / head_size``, ``head_size`` =
      ``SC_BIAS`` (0.6) x the head-box diagonal (``getDistPCKh`` /
      ``util_get_head_size``; ``MpiiDataset`` computes it from
      ``mpii_gt_val.mat``);
    - an entry counts where the joint is annotated (``mask``; the official
      gt is NaN for a missing joint and computePCK.m ignores NaN
      distances, ``d(~isnan(d))``) and the person has a head size: a NaN
      or zero head size leaves the person out, never counted as wrong (the
      official head boxes always give a positive size); a NaN prediction
      is counted and wrong (evalMPII.m: ``pred(isnan(pred)) = inf``);
    - an entry is correct when ``d <= thr`` (computePCK.m's ``<=``; MMPose
      1.x uses ``<``, which differs only on exact ties);
    - per joint PCKh = correct / counted; a column averages the per-joint
      PCKh of its joints (genTablePCK.m: e.g. Head ``(pck(13) +
      pck(14)) / 2``, Shoulder ``(pck(9) + pck(10)) / 2``).

    Args:
        pred, gt: (N, K, 2); mask: (N, K) bool; head_size: (N,).
        names: the K keypoint names (MPII metainfo names; any order).
        thr: threshold as a fraction of the head size (0.5 for PCKh@0.5).
        table: ``'official'`` or ``'mmpose'``.

    Returns:
        dict: 'Head' (official: upper neck and head top; mmpose: head top),
        'Shoulder', 'Elbow', 'Wrist', 'Hip', 'Knee', 'Ankle', with
        ``'official'`` also 'UBody' (computePCK.m: all entries of wrists,
        elbows and shoulders pooled, official joints 7-12), and 'Mean':
        all correct / all counted entries over the 14 joints (pelvis and
        thorax left out), computePCK.m's total column (genTablePCK.m
        'Total'; MMPose's jnt_ratio-weighted 'PCKh'). A joint without any
        counted entry is left out of its column's average (officially it
        would be NaN); a column or pooled number without any counted entry
        is 0.
    """
    dist, counted, name2id = _mpii_distances(pred, gt, mask, head_size,
                                             names, table)

    def pck(joints):
        return _pooled_pck(dist, counted, [name2id[n] for n in joints], thr)

    out = {}
    for column, group in MPII_TABLES[table]:
        per_joint = [pck([n]) for n in group if counted[:, name2id[n]].any()]
        out[column] = float(np.mean(per_joint)) if per_joint else 0.0
    if table == 'official':
        out['UBody'] = pck(MPII_UBODY)
    out['Mean'] = pck([n for n in names if n not in MPII_EXCLUDED])
    return out


def mpii_pckh_auc(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray,
                  head_size: np.ndarray, names: Sequence[str]) -> float:
    """AUC of the total PCKh curve, in percent, as evalMPII.m prints it
    (line 101: ``area_under_curve(scale01(range), pck(:, end))``):

    - the curve: 'Mean' (computePCK.m's total, 14 joints pooled) at the
      51 thresholds ``range = 0:0.01:0.5`` (evalMPII.m line 25);
    - ``scale01`` maps the thresholds to ``[0, 1]`` (``x / 0.5``);
    - ``area_under_curve``: ``(x(1) y(1) + sum_i (x(i) - x(i-1)) (y(i) +
      y(i-1))) / 2``, the trapezoid rule (x(1) = 0).

    Entries counted as in :func:`mpii_pckh_table`; 0 if none is counted.
    (area_under_curve.m and scale01.m are not in the stored copy of
    anibali/eval-mpii-pose; they were read in other stored copies of the
    package's ``eval/`` folder.)
    """
    dist, counted, name2id = _mpii_distances(pred, gt, mask, head_size,
                                             names)
    cols = [name2id[n] for n in names if n not in MPII_EXCLUDED]
    if not counted[:, cols].any():
        return 0.0
    y = np.array([_pooled_pck(dist, counted, cols, t)
                  for t in MPII_AUC_THRESHOLDS])
    x = MPII_AUC_THRESHOLDS - MPII_AUC_THRESHOLDS.min()
    x = x / x.max()
    area = x[0] * y[0] + float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1])))
    return area / 2.0


@METRICS.register_module()
class PCKAccuracy(BaseMetric):
    """Percentage of Correct Keypoints.

    A keypoint is correct when its distance to the ground truth, divided by
    the instance's normalisation size, is below ``thr``. Returned numbers
    are MMPose's: the mean over joints of the per-joint accuracy, as a
    fraction in [0, 1].

    Normalisation items (``norm_item``, a string or a list):

    - ``'bbox'``: max(w, h) of the gt box (``gt_instances.bboxes`` xyxy)
      -> key ``'PCK'``.
    - ``'head'``: the head size (``gt_instances.head_size`` or metainfo
      ``head_size``; MPII: 0.6 x the head box diagonal) -> key ``'PCKh'``.
      The MPII table is also computed and logged, in percent
      (:func:`mpii_pckh_table`, ``table``): with ``table='official'``
      (default; the MPII evaluation package, evalMPII.m) ``'PCKh/Head'``
      (mean of upper neck and head top), ``'PCKh/Shoulder'``,
      ``'PCKh/Elbow'``, ``'PCKh/Wrist'``, ``'PCKh/Hip'``, ``'PCKh/Knee'``,
      ``'PCKh/Ankle'``, ``'PCKh/UBody'`` (wrists, elbows, shoulders
      pooled), ``'PCKh/Mean'`` (the official 'Total': 14 joints pooled,
      pelvis and thorax left out), ``'PCKh/Mean@0.1'`` (the same at 0.1)
      and ``'PCKh/AUC'`` (:func:`mpii_pckh_auc`, the AUC evalMPII.m
      prints); with ``table='mmpose'`` MMPose's table: ``'PCKh/Head'`` =
      head top only, no UBody, no AUC. Every key can be a ``save_best``.
      **``'PCKh/Mean'`` is the MPII protocol's score** (the "Mean"/"Total"
      column of MPII papers); ``'PCKh'`` is MMPose's PCKAccuracy mean over
      all 16 joints, not the number papers report. The joints are found by the
      keypoint names in ``dataset_meta['keypoint_id2name']`` (MPII names:
      head_top, upper_neck, right_shoulder, ...); without those names the
      table is skipped with a logged note. People whose head size is NaN
      or 0 (no head box and a head joint missing) are left out of every
      PCKh number, with a logged count.
      Unlike MMPose's MpiiPCKAccuracy no +1 is added to predictions: kp_ext
      keeps gt and predictions in the same 0-based pixel frame.
    - ``'torso'``: distance between gt keypoints ``torso_indices`` (JHMDB's
      (4, 5) by default, as MMPose) -> key ``'tPCK'``; when that is below
      1 pixel the predicted torso is used (with a warning).

    Args:
        thr (float, optional): threshold on the normalised distance. None
            (default) uses 0.05 for 'bbox'/'torso' and 0.5 for 'head'
            (MPII PCKh@0.5).
        extra_thrs (sequence of float): further thresholds reported beside
            the main one, under ``'<key>@<thr>'`` (e.g. ``'PCK@0.1'``): one
            threshold alone hides most of the error (PCK@0.2 of a good
            model is 1.0 whatever its precision). Default: none.
        norm_item (str | list[str]): see above. Default 'bbox'.
        torso_indices (tuple[int, int]): keypoints spanning the torso.
        table (str): the MPII table logged with ``'head'``:
            ``'official'`` (default) or ``'mmpose'`` (see above).
        collect_device, prefix: see mmengine ``BaseMetric``. No default
            prefix, so keys are plain ('PCK', 'PCKh', ...).
    """
    default_prefix: Optional[str] = None

    def __init__(self,
                 thr: Optional[float] = None,
                 norm_item: Union[str, Sequence[str]] = 'bbox',
                 torso_indices: Sequence[int] = (4, 5),
                 extra_thrs: Sequence[float] = (),
                 table: str = 'official',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        _check_table(table)
        self.table = table
        self.extra_thrs = tuple(float(t) for t in extra_thrs)
        if any(not (t > 0) for t in self.extra_thrs):
            raise ValueError(f'extra_thrs must be positive, got {extra_thrs}')
        items = [norm_item] if isinstance(norm_item, str) else list(norm_item)
        for item in items:
            if item not in _KEY:
                raise KeyError(f'norm_item {item!r} is not supported by '
                               f'{self.__class__.__name__}; use one of '
                               f"{sorted(_KEY)}")
        if not items:
            raise ValueError('norm_item must name at least one item')
        self.norm_item = items
        self.thr = thr
        self.torso_indices = tuple(torso_indices)

    def _thr(self, item: str) -> float:
        return _DEFAULT_THR[item] if self.thr is None else float(self.thr)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred, gt, mask = paired_keypoints(sample,
                                              self.__class__.__name__)
            gt_inst = sample['gt_instances']
            n = gt.shape[0]
            result = dict(pred=pred, gt=gt, mask=mask)
            if 'bbox' in self.norm_item:
                if 'bboxes' not in gt_inst:
                    raise KeyError('PCK normalised by bbox needs '
                                   'gt_instances.bboxes')
                boxes = to_numpy(gt_inst['bboxes'], np.float64).reshape(n, 4)
                result['bbox_size'] = np.max(boxes[:, 2:] - boxes[:, :2],
                                             axis=1)
            if 'head' in self.norm_item:
                if 'head_size' in gt_inst:
                    head = gt_inst['head_size']
                elif 'head_size' in sample:
                    head = sample['head_size']
                else:
                    raise KeyError('PCKh needs head_size in gt_instances or '
                                   'the sample metainfo')
                result['head_size'] = to_numpy(head, np.float64).reshape(n)
            if 'torso' in self.norm_item:
                i, j = self.torso_indices
                torso = np.linalg.norm(gt[:, i] - gt[:, j], axis=-1)
                small = torso < 1
                if np.any(small):
                    warnings.warn('ground-truth torso size < 1 pixel: using '
                                  'the predicted torso size instead')
                    torso = np.where(
                        small, np.linalg.norm(pred[:, i] - pred[:, j],
                                              axis=-1), torso)
                result['torso_size'] = torso
            self.results.append(result)

    def _keypoint_names(self, num_keypoints: int):
        meta = self.dataset_meta or {}
        id2name = meta.get('keypoint_id2name')
        if id2name:
            return [id2name[i] for i in range(num_keypoints)]
        if num_keypoints == len(MPII_NAMES):
            MMLogger.get_current_instance().warning(
                'PCKh table: no dataset_meta keypoint names, assuming the '
                'MPII keypoint order')
            return list(MPII_NAMES)
        return None

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        pred = np.concatenate([r['pred'] for r in results])
        gt = np.concatenate([r['gt'] for r in results])
        mask = np.concatenate([r['mask'] for r in results])
        metrics = {}
        sizes = {'bbox': 'bbox_size', 'head': 'head_size',
                 'torso': 'torso_size'}
        for item in self.norm_item:
            size = np.concatenate([r[sizes[item]] for r in results])
            norm = np.stack([size, size], axis=1)
            thr = self._thr(item)
            _, avg, _ = keypoint_pck_accuracy(pred, gt, mask, thr, norm)
            metrics[_KEY[item]] = avg
            logger.info(f'{_KEY[item]}@{thr} (normalised by {sizes[item]}): '
                        f'{avg:.4f}')
            for t in self.extra_thrs:
                _, avg_t, _ = keypoint_pck_accuracy(pred, gt, mask, t, norm)
                metrics[f'{_KEY[item]}@{t:g}'] = avg_t
                logger.info(f'{_KEY[item]}@{t:g} (normalised by '
                            f'{sizes[item]}): {avg_t:.4f}')
            if item == 'head':
                no_head = ~(np.isfinite(size) & (size > 0))
                if no_head.any():
                    logger.warning(
                        f'PCKh: {int(no_head.sum())} of {len(size)} people '
                        'have no head size (NaN or 0) and are not scored')
                metrics.update(self._mpii_table(pred, gt, mask, size, thr))
        return metrics

    def _mpii_table(self, pred, gt, mask, head_size, thr) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        names = self._keypoint_names(pred.shape[1])
        needed = {n for _, group in MPII_TABLES[self.table] for n in group}
        if names is None or not needed <= set(names):
            logger.info('PCKh: keypoint names are not MPII joints, the '
                        'per-joint MPII table is skipped')
            return {}
        table = mpii_pckh_table(pred, gt, mask, head_size, names, thr,
                                table=self.table)
        table['Mean@0.1'] = mpii_pckh_table(pred, gt, mask, head_size, names,
                                            0.1, table=self.table)['Mean']
        if self.table == 'official':
            table['AUC'] = mpii_pckh_auc(pred, gt, mask, head_size, names)
        header = ' | '.join(f'{k:>8}' for k in table)
        values = ' | '.join(f'{v:8.2f}' for v in table.values())
        logger.info(f'MPII PCKh@{thr} (%), {self.table} table (Mean = the '
                    f'official Total):\n{header}\n{values}')
        return {f'PCKh/{k}': v for k, v in table.items()}


@METRICS.register_module()
class MpiiPCKAccuracy(PCKAccuracy):
    """PCKh@0.5 with the MPII table (MMPose config name); same keys as
    ``PCKAccuracy(norm_item='head')``. By default the official table of
    the MPII evaluation package (``table='official'``: Head = mean of upper
    neck and head top, UBody, Mean = official Total, Mean@0.1, AUC);
    ``table='mmpose'`` gives MMPose's (Head = head top only) for
    comparisons with MMPose's tables. The protocol's score is
    ``'PCKh/Mean'`` (see :func:`mpii_pckh_table`, :func:`mpii_pckh_auc`).
    """

    def __init__(self,
                 thr: float = 0.5,
                 norm_item: Union[str, Sequence[str]] = 'head',
                 table: str = 'official',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(thr=thr, norm_item=norm_item, table=table,
                         collect_device=collect_device, prefix=prefix)


@METRICS.register_module()
class EPE(BaseMetric):
    """End-point error (MMPose's ``EPE``): the mean distance in image pixels
    between predicted and ground-truth keypoints over the annotated ones,
    key ``'EPE'``. Beside PCK it gives the error in the data's own unit."""

    default_prefix: Optional[str] = None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred, gt, mask = paired_keypoints(sample,
                                              self.__class__.__name__)
            self.results.append(dict(pred=pred, gt=gt, mask=mask))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        pred = np.concatenate([r['pred'] for r in results])
        gt = np.concatenate([r['gt'] for r in results])
        mask = np.concatenate([r['mask'] for r in results])
        epe = keypoint_epe(pred, gt, mask)
        MMLogger.get_current_instance().info(
            f'EPE: {epe:.3f} px over {int(np.asarray(mask).sum())} keypoints')
        return {'EPE': epe}
