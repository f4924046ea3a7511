"""Unsupervised landmark estimator: Factorized Spatial Embeddings (FSE).

Thewlis, Bilen & Vedaldi, "Unsupervised learning of object landmarks by
factorized spatial embeddings", ICCV 2017.

Training (``mode='loss'``) uses **images only**. For a batch ``x`` (B, C, H,
W) (already normalised by the data preprocessor) the warp module
(``TPSWarp``) draws two random thin-plate splines and returns

    x1 = x o T1,   x2 = x1 o T2,   T2: pixels of x2 -> pixels of x1

(``kp_ext.models.utils.tps_warp``). Both images go through the *same*
backbone in one batched forward pass (``cat([x1, x2])``, siamese with shared weights)
and the head's FSE losses compare ``T2(Phi(x2))`` with ``Phi(x1)`` (the
equivariance / alignment loss) plus the diversity loss on the maps.
``data_samples`` are **not read** by :meth:`loss`: ground-truth keypoints
may be present in them (datasets and pipelines are shared with
evaluation) but they are only ever used by the evaluation metric
(``LandmarkRegressionMetric``); ``tests/models/test_unsupervised_estimator``
checks that the losses do not change when the gt keypoints do.

Prediction (``mode='predict'``): the head returns landmarks in network
input (crop) pixels; they are mapped to the original image with the crop's
``input_center``, ``input_scale`` and ``input_size`` exactly as
``TopdownPoseEstimator`` does (``image = crop / input_size * input_scale +
input_center - input_scale / 2``). Samples without any of these three keys
are taken to be uncropped (the network input *is* the image) and keep the
input coordinates; a sample with only some of them is an error
(``BasePoseEstimator.input_to_image``).

For collapse monitoring (``LandmarkCollapseHook``) :meth:`loss` keeps the
detached landmarks of ``x1`` of the last training batch in
``last_train_landmarks`` (B, K, 2) (input pixels) and the input size in
``last_train_input_size``, as ``LandmarkHead.loss_and_landmarks``
returns them with the losses (no second head run).
"""
import copy
from typing import Optional, Tuple

import numpy as np
import torch
from mmengine.dist import get_dist_info
from torch import Tensor

from kp_ext.models.estimators.base import BasePoseEstimator
from kp_ext.registry import MODELS
from kp_ext.utils import to_numpy

__all__ = ['UnsupervisedLandmarkEstimator']

_CROP_KEYS = ('input_size', 'input_center', 'input_scale')


def _split_feats(feats, batch_size: int):
    """Split backbone outputs of ``cat([x1, x2])`` into the two halves."""
    if isinstance(feats, Tensor):
        return feats[:batch_size], feats[batch_size:]
    first = tuple(f[:batch_size] for f in feats)
    second = tuple(f[batch_size:] for f in feats)
    return first, second


@MODELS.register_module()
class UnsupervisedLandmarkEstimator(BasePoseEstimator):
    """Siamese FSE landmark learner (see module doc).

    Args:
        backbone (dict): backbone config (e.g. ``FSEConvNet`` or
            ``StackedHourglass(out_channels=K)``).
        head (dict): ``LandmarkHead`` config.
        warp (dict): ``TPSWarp`` config (random pair generator).
        neck (dict, optional): neck config.
        train_cfg (dict, optional): passed to ``head.loss``; key
            ``seed`` (int) seeds the warps (default: the runner's
            ``randomness.seed``); the warps of a step depend only on the
            seed, the iteration and the process rank, so ``--resume``
            reproduces them.
        test_cfg (dict, optional): passed to ``head.predict``.
        data_preprocessor, init_cfg, metainfo: see
            :class:`BasePoseEstimator`.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 warp: dict = dict(type='kp_ext.TPSWarp'),
                 neck: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor=None,
                 init_cfg=None,
                 metainfo: Optional[dict] = None):
        if head is None:
            raise ValueError('UnsupervisedLandmarkEstimator needs a head '
                             '(e.g. LandmarkHead)')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            metainfo=metainfo)
        if warp is None:
            raise ValueError('UnsupervisedLandmarkEstimator needs a warp '
                             '(e.g. dict(type="TPSWarp"))')
        self.warp = (MODELS.build(copy.deepcopy(warp))
                     if isinstance(warp, dict) else warp)
        self.last_train_landmarks: Optional[Tensor] = None
        self.last_train_input_size: Optional[Tuple[int, int]] = None
        self._step = 0

    @property
    def num_keypoints(self) -> int:
        return self.head.num_keypoints

    # -- training ------------------------------------------------------------
    def make_pair(self, inputs: Tensor, generator=None):
        """(x1, x2, T2) for a batch (see module doc)."""
        return self.warp.make_pair(inputs, generator)

    def train_step(self, data, optim_wrapper):
        """mmengine's train step; first takes the step number from the
        optimizer wrapper, whose count mmengine's loops set to the runner's
        iteration (also on ``--resume``)."""
        self._step = int(getattr(optim_wrapper, 'inner_count', self._step))
        return super().train_step(data, optim_wrapper)

    def _warp_generator(self, inputs: Tensor) -> torch.Generator:
        """The generator of this training step's warps, seeded with
        ``seed + step + (rank << 40)``: ``seed`` is ``train_cfg['seed']`` or
        else torch's initial seed (the runner's ``randomness.seed``),
        ``step`` the training step (the runner's iteration, see
        :meth:`train_step`; a count of the calls outside a runner), so
        ``--resume`` draws the warps of the uninterrupted run, as the data
        augmentation does (:mod:`kp_ext.datasets.sample_rng`), and the
        processes of a distributed run draw different ones."""
        seed = self.train_cfg.get('seed')
        seed = torch.initial_seed() if seed is None else int(seed)
        rank, _ = get_dist_info()
        generator = torch.Generator(device=inputs.device)
        generator.manual_seed(
            (seed + self._step + (rank << 40)) % 2**64)
        self._step += 1
        return generator

    def loss(self, inputs: Tensor, data_samples: Optional[list] = None
             ) -> dict:
        """FSE losses of a batch of images; ``data_samples`` are ignored
        (no keypoint labels are used)."""
        if inputs.dim() != 4:
            raise ValueError(f'expected images (B, C, H, W), got '
                             f'{tuple(inputs.shape)}')
        b, _, h, w = inputs.shape
        x1, x2, t2 = self.make_pair(inputs, self._warp_generator(inputs))
        feats = self.extract_feat(torch.cat([x1, x2], dim=0))
        feats1, feats2 = _split_feats(feats, b)
        losses, lm1 = self.head.loss_and_landmarks(
            feats1, feats2, warp=t2, train_cfg=self.train_cfg,
            input_size=(w, h))
        self.last_train_landmarks = lm1
        self.last_train_input_size = (w, h)
        return losses

    # -- inference -----------------------------------------------------------
    def extract_landmarks(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """Landmarks (B, K, 2) in input pixels and probability maps
        (B, K, h, w) of a batch of (normalised) network inputs."""
        _, _, h, w = inputs.shape
        maps = self.head.forward(self.extract_feat(inputs))
        return self.head.landmarks(maps, (w, h))

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        if data_samples is None:
            raise ValueError('predict needs data samples (crop metainfo)')
        with self._non_finite_guard(inputs, data_samples):
            feats = self.extract_feat(inputs)
            preds = self.head.predict(feats, data_samples,
                                      test_cfg=self.test_cfg)
        return self._attach_predictions(preds, data_samples)

    def _finish_instances(self, pred, data_sample):
        # uncropped samples (no crop metainfo at all) keep input coordinates
        meta = data_sample.metainfo
        if not any(meta.get(k) is not None for k in _CROP_KEYS):
            pred.keypoints = to_numpy(pred.keypoints).astype(np.float32)
            if 'keypoints_visible' not in pred:
                pred.keypoints_visible = pred.keypoint_scores
            return pred
        return super()._finish_instances(pred, data_sample)
