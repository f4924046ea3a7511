"""Part Affinity Field codec (OpenPose: Cao et al., "Realtime Multi-Person
2D Pose Estimation using Part Affinity Fields", CVPR 2017; TPAMI 2019).

Numpy only (OpenCV for resizing, xtcocotools for segmentation masks, SciPy
for the Hungarian matching). The grouping lives in
:mod:`kp_ext.codecs.paf_grouping`.

Coordinate mapping
------------------
Same convention as :class:`GaussianHeatmap`: pixel centres at integers, the
strides are ``sx = w_in / W``, ``sy = h_in / H`` (8 for 368 -> 46) and::

    x_map = (x_in + 0.5) / sx - 0.5        x_in = (x_map + 0.5) * sx - 0.5

(the reference's ``start = stride / 2 - 0.5``). All lengths below
(``sigma``, ``limb_width``, ``limb_end_margin``) are in **heatmap pixels**.

Encoding
--------
A keypoint takes part when its visibility is > 0, it is finite and it lies
inside the input image extent ``[-0.5, w_in - 0.5] x [-0.5, h_in - 0.5]``
(as in the reference, parts cropped out of the image are not rendered and a
limb is drawn only when both ends take part). ``keypoint_weights`` (N, K)
is 1 for those keypoints, 0 otherwise.

- Confidence maps (paper eq. 1-2, the paper's convention, no factor 2)::

      S*_k(p) = max_n exp(-||p - x_nk||^2 / sigma^2)

  and, with ``with_background=True``, an extra last channel
  ``max(0, 1 - max_k S*_k)``.
- PAFs (paper eq. 8-9): for limb ``l = (a, b)`` of person ``n``, with
  ``v = (x_b - x_a) / ||x_b - x_a||`` and length ``len``, a map pixel ``p``
  is on the limb when ``-m <= v . (p - x_a) <= len + m`` and
  ``|v_perp . (p - x_a)| <= limb_width`` (``m = limb_end_margin``; the paper
  has ``m = 0``, the reference implementation's bounding-box test extends
  the band past the ends by up to ``limb_width``). The field is ``v``
  averaged over the people whose limb covers ``p`` (divided by ``n_c(p)``),
  0 elsewhere; channel ``2l`` holds x, ``2l+1`` holds y. Zero-length limbs
  draw nothing.
- ``heatmap_mask`` (H, W), the loss mask W(p) of the paper for both the
  confidence maps and the PAFs: 0 where at least half of the input pixels
  of a map pixel lie in an ``invalid_segs`` region (crowds and people
  without keypoint annotations: COCO polygons, uncompressed or compressed
  RLE or binary arrays; polygons are rasterised with
  ``xtcocotools.mask.frPyObjects``), times an optional ready mask
  ``heatmap_mask`` (input or map resolution, 1 = valid); 1 elsewhere.
  ``invalid_segs_frame`` names the frame of the segmentations:

  - ``'input'`` (default, kp_ext's pipeline, whose ``BottomupRandomAffine``
    / ``BottomupResize`` hand over ``[mask at input resolution]``):
    network-input pixels, size (h_in, w_in);
  - ``'image'`` (MMPose's pipeline, where COCO's segmentations reach
    ``GenerateTarget`` untouched): original-image pixels, size
    ``ori_shape`` (h, w); the mask is rasterised there, moved to the input
    with ``warp_mat`` (2x3, image -> input; nearest neighbour, 0 outside
    the image) and then flipped as ``flip`` / ``flip_direction`` record
    (MMPose's ``RandomFlip`` follows ``BottomupRandomAffine``; the order of
    MMPose's ``BottomupGetHeatmapMask``).

Decoding
--------
``decode_instances((heatmaps, pafs))``, ``decode_instances(dict(
heatmaps=..., pafs=...))`` or ``decode_instances(heatmaps, pafs)`` (one
sample; MMPose's per-sample ``(1, C, H, W)`` slices too) returns
``(keypoints (N, K, 2), keypoint_scores (N, K), instance_scores (N,))`` in
input coordinates (the stride is the input size, the codec's
``input_size`` or the ``input_size`` given, over the maps' size);
``decode`` returns the first two (MMPose's per-sample contract) and
``batch_decode`` the three per-sample lists, as MMPose's bottom-up
``AssociativeEmbedding.batch_decode`` (with its ``input_sizes``): heads
get the instance scores through it.
People are sorted by instance score. A part not found for a person has
score 0 and sits at the mean of the person's found parts. See
:mod:`kp_ext.codecs.paf_grouping` for the algorithm and the meaning of
every decode argument; ``upsample`` / ``smooth_sigma`` act on the
confidence maps only (the PAFs are read bilinearly at their own
resolution). Empty or all-zero maps decode to ``(0, K, 2)`` arrays;
confidence maps or PAFs holding NaN/inf (a diverged checkpoint, an fp16
overflow: they used to decode to "no people") raise
:class:`~kp_ext.codecs.base.NonFiniteMapError` naming the heatmap and PAF
channels (and, in ``batch_decode``, the samples).

Two output conventions of the reference evaluation (ZheC
``testing/evalCOCO.m``) are codec options: ``keypoint_offset`` (added to
the found keypoints, in input pixels) and ``missing_keypoints``
(``'centre'``: the mean of the person's found parts, kp_ext's;
``'origin'``: (0, 0), what ``evalCOCO.m:57`` leaves for a part not found).
``evalCOCO.m:61-62`` writes the 1-based MATLAB pixel of a peak minus 0.5,
i.e. the 0-based pixel index **plus** 0.5 in kp_ext's frame (pixel centres
at integers, COCO coordinates read as they are): ``keypoint_offset=0.5``
(the maps are at the original image's resolution there, so input pixels
are image pixels).

:data:`TEST_PROCEDURES` names the two reference test procedures (the
codec's decoding settings, the estimator's ``test_cfg`` and the val
pipeline's resize): ``'matlab_eval'`` (``evalCOCO.m`` + the latest
``connect56LineVec.m`` + ``applyModel.m``, the code behind the paper's
COCO numbers; ``configs/openpose_coco.py``) and ``'python_demo'`` (what
the paper config did before: the Python demo's procedure as kp_ext had
it).
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np

from kp_ext.registry import KEYPOINT_CODECS
from kp_ext.structures.mask import flip_mask, segs_to_mask, warp_mask
from .base import BaseKeypointCodec, check_finite_map_groups
from .paf_body_model import resolve_body_model
from .paf_grouping import GroupingSettings, group_people

__all__ = ['PartAffinityField', 'TEST_PROCEDURES']

#: The reference test procedures by name: ``decode`` (codec arguments),
#: ``test_cfg`` (:class:`~kp_ext.models.estimators.BottomupPoseEstimator`)
#: and ``val_resize`` (``BottomupResize`` arguments besides ``input_size``).
#: ZheC = ZheC/Realtime_Multi-Person_Pose_Estimation, ``testing/``; line
#: numbers of ``src/connect56LineVec.m`` are those of its latest version
#: ("Update connect56LineVec.m"), of ``config.m`` its latest version.
TEST_PROCEDURES = {
    'matlab_eval': dict(
        decode=dict(
            # peaks: no smoothing, thre1 = 0.1 (config.m:49), 4-neighbour
            # strict maximum, then 6 px suppression in scan order
            # (connect56LineVec.m:17, 354-399); no upsampling: the maps
            # already are at the image's resolution (applyModel.m:113-117)
            upsample=1.0, smooth_sigma=0.0, peak_threshold=0.1,
            peak_rule='cross4', peak_suppress_radius=6.0, refine=None,
            # limbs: mid_num = 10 samples rounded to pixels, thre2 = 0.05
            # (config.m:50), mean of the samples above it, > 80 % above,
            # min(H / 2 / length - 1, 0) (connect56LineVec.m:23, 120-151)
            num_samples=10, paf_threshold=0.05, min_above_fraction=0.8,
            distance_prior=0.5, paf_sampling='nearest',
            limb_score_mean='above',
            # greedy per limb, limbSeq order, subsets (l. 160-245)
            matching='greedy', assembly='connect56',
            # people: count >= 3 and score / count >= 0.2 (l. 253)
            min_parts=3, min_score_per_part=0.2, min_mean_score=0.0,
            # evalCOCO.m:45, 57, 61-62, 67
            instance_score='total_x_parts', keypoint_offset=0.5,
            missing_keypoints='origin'),
        # scale0 = 368 / image height (evalCOCO.m:18), multiplier =
        # scale_search * scale0 (applyModel.m:52-53, config.m:48), each
        # scale resized from the original image (applyModel.m:69), padded
        # to 368 high / a multiple of 8 wide with 128 (padHeight,
        # config.m:56-57), maps x8, unpadded and resized to the image
        # (applyModel.m:111-117), averaged (applyModel.m:153-155); no flip
        test_cfg=dict(flip_test=False, multiscale_test=[0.5, 1.0, 1.5, 2.0],
                      multiscale_resolution='image',
                      multiscale_base_height=368,
                      multiscale_pad_height=368, multiscale_pad_value=128),
        val_resize=dict(resize_mode='none')),
    'python_demo': dict(
        decode=dict(
            upsample=1.0, smooth_sigma=3.0, peak_threshold=0.1,
            nms_kernel=3, refine=None, num_samples=10, paf_threshold=0.05,
            min_above_fraction=0.8, distance_prior=0.5, matching='greedy',
            min_parts=4, min_score_per_part=0.4, min_mean_score=0.0),
        test_cfg=dict(flip_test=False, multiscale_test=[0.5, 1.0, 1.5, 2.0],
                      multiscale_resolution='input'),
        val_resize=dict(resize_mode='height', size_factor=8)),
}


def _as_array(x) -> np.ndarray:
    """Array of a numpy array or a (CPU/GPU, maybe grad-requiring) tensor
    (duck-typed: the codec does not import torch)."""
    if hasattr(x, 'detach'):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x)


def _as_pairs(limbs, name) -> Tuple[Tuple[int, int], ...]:
    out = []
    for lb in limbs:
        if len(lb) != 2:
            raise ValueError(f'{name}: every limb must be a pair of keypoint '
                             f'indices, got {lb!r}')
        a, b = int(lb[0]), int(lb[1])
        if a < 0 or b < 0 or a == b:
            raise ValueError(f'{name}: invalid limb {lb!r}')
        out.append((a, b))
    return tuple(out)


@KEYPOINT_CODECS.register_module()
class PartAffinityField(BaseKeypointCodec):
    """OpenPose confidence maps + part affinity fields.

    Args:
        input_size (tuple): input image size (w, h).
        heatmap_size (tuple): map size (w, h); stride = input / map.
        sigma (float): confidence-map spread in heatmap pixels,
            ``exp(-d^2 / sigma^2)``. Default 1.0 (8 input px at stride 8;
            the reference's ``exp(-d^2 / (2 * 7^2))`` at stride 8 is
            sigma = 1.24).
        body_model (str | dict, optional): metainfo file (name or
            ``dict(from_file=...)``) defining the parts and limbs
            (``paf_limbs``, ``paf_redundant_limbs``) and, optionally, how
            the parts are made from the dataset's keypoints
            (:class:`~kp_ext.codecs.paf_body_model.PAFBodyModel`):
            ``'coco.py'`` (the default when ``limbs`` is not given: COCO's
            17 keypoints, 16 + 13 limbs) or ``'coco_openpose18.py'`` (the
            paper's 18 parts with the neck, 17 + 2 limbs; ``encode`` takes
            and ``decode`` returns COCO's 17 keypoints).
        limbs (sequence): instead of a body model: the spanning tree as
            (a, b) keypoint index pairs; the PAF of a limb points from a to
            b.
        redundant_limbs (sequence): with ``limbs``: extra pairs (cycles);
            they get PAF channels after the tree's and may only merge
            partial skeletons at decoding.
        num_keypoints (int, optional): with ``limbs``: K; inferred as
            ``max index + 1``.
        limb_width (float): half width sigma_l of the PAF band (heatmap px).
        limb_end_margin (float): extension of the band past each end of the
            limb (heatmap px); 0 is the paper's definition. Default 1.0, which
            makes short limbs (a face at low resolution) cover at least the
            pixels around their ends, as the reference's bounding-box test
            does.
        with_background (bool): append a background channel to heatmaps.
        upsample, smooth_sigma, peak_threshold, nms_kernel, refine,
        num_samples, paf_threshold, min_above_fraction, distance_prior,
        matching, min_parts, min_mean_score, min_score_per_part, max_peaks,
        chunk_pairs: the decoding's grouping settings, one field each of
            :class:`~kp_ext.codecs.paf_grouping.GroupingSettings` (which
            says what each does and why its default; the codec keeps them
            as ``grouping``).
        peak_rule, peak_suppress_radius, paf_sampling, limb_score_mean,
        assembly, instance_score: more grouping settings (the reference
            MATLAB evaluation's, :class:`GroupingSettings`); with
            ``assembly='connect56'`` the limbs are assembled in the body
            model's ``paf_limb_sequence`` order (tree, then redundant limbs
            without one), and ``instance_score='total_x_parts'`` counts the
            parts that are dataset keypoints (the body model's).
        keypoint_offset (float): added to every found keypoint (input px)
            after decoding (``evalCOCO.m``: 0.5, module doc). Default 0.
        missing_keypoints (str): where a part not found goes:
            ``'centre'`` (default: mean of the person's found parts) or
            ``'origin'`` ((0, 0) in input pixels, ``evalCOCO.m``).
        invalid_segs_frame (str): ``'input'`` (default) or ``'image'``: the
            frame of ``invalid_segs`` (module doc, Encoding). With
            ``'image'``, ``encode`` also reads ``ori_shape``, ``warp_mat``,
            ``flip`` and ``flip_direction`` from the pipeline.
    """

    auxiliary_encode_keys = {'invalid_segs'}
    #: what ``encode`` reads besides ``invalid_segs`` with
    #: ``invalid_segs_frame='image'``
    image_frame_keys = ('ori_shape', 'warp_mat', 'flip', 'flip_direction')
    field_mapping_table = dict(
        heatmaps='heatmaps', pafs='pafs', heatmap_mask='heatmap_mask')
    instance_mapping_table = dict()
    label_mapping_table = dict(keypoint_weights='keypoint_weights')

    def __init__(self,
                 input_size: Tuple[int, int],
                 heatmap_size: Tuple[int, int],
                 sigma: float = 1.0,
                 body_model=None,
                 limbs: Optional[Sequence[Sequence[int]]] = None,
                 redundant_limbs: Optional[Sequence[Sequence[int]]] = None,
                 num_keypoints: Optional[int] = None,
                 limb_width: float = 1.0,
                 limb_end_margin: float = 1.0,
                 with_background: bool = False,
                 upsample: float = 1.0,
                 smooth_sigma: float = 0.0,
                 peak_threshold: float = 0.1,
                 nms_kernel: int = 3,
                 refine: Optional[str] = 'gaussian',
                 num_samples: int = 10,
                 paf_threshold: float = 0.05,
                 min_above_fraction: float = 0.8,
                 distance_prior: Optional[float] = 0.5,
                 matching: str = 'hungarian',
                 min_parts: int = 1,
                 min_mean_score: float = 0.2,
                 min_score_per_part: Optional[float] = None,
                 max_peaks: Optional[int] = 127,
                 chunk_pairs: int = 16384,
                 peak_rule: str = 'window',
                 peak_suppress_radius: Optional[float] = None,
                 paf_sampling: str = 'bilinear',
                 limb_score_mean: str = 'all',
                 assembly: str = 'union_find',
                 instance_score: str = 'kp_ext',
                 keypoint_offset: float = 0.0,
                 missing_keypoints: str = 'centre',
                 invalid_segs_frame: str = 'input'):
        if invalid_segs_frame not in ('input', 'image'):
            raise ValueError("invalid_segs_frame must be 'input' or 'image', "
                             f'got {invalid_segs_frame!r}')
        self.invalid_segs_frame = invalid_segs_frame
        if invalid_segs_frame == 'image':
            self.auxiliary_encode_keys = set(
                type(self).auxiliary_encode_keys) | set(
                    self.image_frame_keys)
        self.input_size = tuple(int(v) for v in input_size)
        self.heatmap_size = tuple(int(v) for v in heatmap_size)
        if len(self.input_size) != 2 or len(self.heatmap_size) != 2 or \
                min(self.input_size + self.heatmap_size) <= 0:
            raise ValueError('input_size and heatmap_size must be positive '
                             f'(w, h), got {input_size}, {heatmap_size}')
        self.stride = np.array(self.input_size, np.float64) / np.array(
            self.heatmap_size, np.float64)
        if sigma <= 0 or limb_width <= 0 or limb_end_margin < 0:
            raise ValueError('sigma and limb_width must be > 0, '
                             'limb_end_margin >= 0')
        self.sigma = float(sigma)
        if limbs is not None and body_model is not None:
            raise ValueError('give either body_model or limbs, not both')
        if limbs is None:
            self.body_model = resolve_body_model(body_model or 'coco.py')
            limbs = self.body_model.limbs
            redundant_limbs = self.body_model.redundant_limbs
            if num_keypoints is not None and \
                    num_keypoints != self.body_model.num_parts:
                raise ValueError(
                    f'num_keypoints={num_keypoints} but body model '
                    f'{self.body_model.where} has '
                    f'{self.body_model.num_parts} parts')
            num_keypoints = self.body_model.num_parts
        else:
            self.body_model = None
        self.limbs = _as_pairs(limbs, 'limbs')
        self.redundant_limbs = _as_pairs(redundant_limbs or (),
                                         'redundant_limbs')
        if not self.limbs:
            raise ValueError('limbs must not be empty')
        max_idx = max(max(p) for p in self.limbs + self.redundant_limbs)
        if num_keypoints is None:
            num_keypoints = max_idx + 1
        if max_idx >= num_keypoints:
            raise ValueError(f'limb index {max_idx} >= num_keypoints '
                             f'{num_keypoints}')
        self.num_keypoints = int(num_keypoints)
        #: keypoints encode() takes and decode() returns (the dataset's)
        self.num_dataset_keypoints = (
            self.body_model.num_dataset_keypoints
            if self.body_model is not None else self.num_keypoints)
        #: left/right swap of the parts (None without a body model: the
        #: dataset's metainfo then gives it)
        self.flip_indices = (list(self.body_model.flip_indices)
                             if self.body_model is not None else None)
        self.all_limbs = self.limbs + self.redundant_limbs
        self.num_limbs = len(self.all_limbs)
        self.limb_width = float(limb_width)
        self.limb_end_margin = float(limb_end_margin)
        self.with_background = bool(with_background)
        #: the decoding's settings (:class:`GroupingSettings`)
        self.grouping = GroupingSettings(
            upsample=upsample, smooth_sigma=smooth_sigma,
            peak_threshold=peak_threshold, nms_kernel=nms_kernel,
            refine=refine, num_samples=num_samples,
            paf_threshold=paf_threshold,
            min_above_fraction=min_above_fraction,
            distance_prior=distance_prior, matching=matching,
            min_parts=min_parts, min_mean_score=min_mean_score,
            min_score_per_part=min_score_per_part, max_peaks=max_peaks,
            chunk_pairs=chunk_pairs, peak_rule=peak_rule,
            peak_suppress_radius=peak_suppress_radius,
            paf_sampling=paf_sampling, limb_score_mean=limb_score_mean,
            assembly=assembly, instance_score=instance_score)
        if missing_keypoints not in ('centre', 'origin'):
            raise ValueError("missing_keypoints must be 'centre' or "
                             f"'origin', got {missing_keypoints!r}")
        self.keypoint_offset = float(keypoint_offset)
        self.missing_keypoints = missing_keypoints
        body = self.body_model
        #: assembly order of the limbs (``assembly='connect56'``)
        self.limb_order = (
            tuple(body.limb_sequence) if body is not None and
            body.limb_sequence is not None else
            tuple(range(self.num_limbs)))
        #: parts counted by ``instance_score='total_x_parts'``
        self.score_parts = (tuple(body.dataset_parts) if body is not None
                            else tuple(range(self.num_keypoints)))

    def at_input_size(self, input_size) -> 'PartAffinityField':
        """This codec for another network input (w, h) at the same stride:
        a copy whose ``heatmap_size`` is ``input_size / stride`` (the maps a
        fully convolutional net returns for that input), e.g. for a test
        pipeline that resizes to another size than training. Raises
        ``ValueError`` when ``input_size`` is not a multiple of the stride."""
        import copy
        size = tuple(int(v) for v in np.asarray(input_size).reshape(2))
        maps = np.asarray(size, np.float64) / self.stride
        if min(size) <= 0 or not np.allclose(maps, np.round(maps)):
            raise ValueError(
                f'input_size {size} is not a positive multiple of the '
                f'stride {tuple(self.stride)} of this codec '
                f'(input {self.input_size} -> maps {self.heatmap_size})')
        if size == self.input_size:
            return self
        other = copy.copy(self)
        other.input_size = size
        other.heatmap_size = tuple(int(v) for v in np.round(maps))
        other.stride = self.stride.copy()
        return other

    # ------------------------------------------------------------ encode
    def _to_map(self, keypoints: np.ndarray) -> np.ndarray:
        return (keypoints + 0.5) / self.stride - 0.5

    def _to_input(self, xy: np.ndarray) -> np.ndarray:
        return (xy + 0.5) * self.stride - 0.5

    def _valid_keypoints(self, keypoints, keypoints_visible):
        n, k = keypoints.shape[:2]
        if keypoints_visible is None:
            vis = np.ones((n, k), bool)
        else:
            keypoints_visible = np.asarray(keypoints_visible)
            if keypoints_visible.shape != (n, k):
                raise ValueError(f'keypoints_visible shape '
                                 f'{keypoints_visible.shape} != {(n, k)}')
            vis = np.nan_to_num(keypoints_visible, nan=0.0) > 0
        w, h = self.input_size
        with np.errstate(invalid='ignore'):
            inside = (np.isfinite(keypoints).all(-1) &
                      (keypoints[..., 0] >= -0.5) &
                      (keypoints[..., 0] <= w - 0.5) &
                      (keypoints[..., 1] >= -0.5) &
                      (keypoints[..., 1] <= h - 0.5))
        return vis & inside

    def _invalid_mask(self, invalid_segs, ori_shape=None, warp_mat=None,
                      flip=False, flip_direction=None) -> np.ndarray:
        """Rasterise segmentations (polygons, RLE or binary arrays) in the
        frame ``invalid_segs_frame`` names and bring them to the input ->
        bool (h_in, w_in); see :func:`kp_ext.structures.mask.segs_to_mask`.
        """
        w, h = self.input_size
        where = 'PartAffinityField.encode'
        if self.invalid_segs_frame == 'input':
            return segs_to_mask(
                invalid_segs, (h, w),
                f"{where} (invalid_segs_frame='input': segmentations in "
                "network-input pixels; original-image ones, as MMPose's "
                "pipeline passes them, need invalid_segs_frame='image')"
            ).astype(bool)
        if ori_shape is None:
            raise KeyError(f"{where}: invalid_segs_frame='image' needs "
                           '`ori_shape` (h, w) of the original image (set '
                           'by LoadImage)')
        segs = [invalid_segs] if isinstance(invalid_segs, dict) else \
            invalid_segs
        if any(isinstance(seg, np.ndarray) for seg in segs):
            raise TypeError(
                f"{where}: invalid_segs_frame='image' takes COCO polygons / "
                'RLE of the original image, got a binary array (kp_ext\'s '
                'BottomupRandomAffine / BottomupResize hand over input-'
                "frame masks: use invalid_segs_frame='input')")
        img_hw = tuple(int(v) for v in ori_shape[:2])
        mask = segs_to_mask(
            segs, img_hw, f"{where} (invalid_segs_frame='image': "
            'segmentations in original-image pixels, ori_shape '
            f'{img_hw})')
        if warp_mat is not None:
            mask = warp_mask(mask, warp_mat, (w, h))
        elif img_hw != (h, w):
            raise KeyError(f"{where}: invalid_segs_frame='image' needs "
                           '`warp_mat` (image -> input) to bring the '
                           f'{img_hw} image\'s segmentations to the {(h, w)} '
                           'input')
        if flip:
            mask = flip_mask(mask, flip_direction)
        return mask.astype(bool)

    def _loss_mask(self, invalid_segs, heatmap_mask, **frame) -> np.ndarray:
        import cv2
        w, h = self.heatmap_size
        mask = np.ones((h, w), np.float32)
        if invalid_segs is not None and len(invalid_segs) > 0:
            inv = self._invalid_mask(invalid_segs, **frame).astype(
                np.float32)
            frac = cv2.resize(inv, (w, h), interpolation=cv2.INTER_AREA)
            mask[frac >= 0.5] = 0
        if heatmap_mask is not None:
            hm = np.asarray(heatmap_mask, np.float32)
            if hm.shape == (self.input_size[1], self.input_size[0]) and \
                    hm.shape != (h, w):
                hm = cv2.resize(hm, (w, h), interpolation=cv2.INTER_AREA)
            if hm.shape != (h, w):
                raise ValueError(f'heatmap_mask shape {hm.shape} matches '
                                 'neither the input nor the heatmap size')
            mask *= (hm >= 0.5)
        return mask

    def encode(self, keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None,
               invalid_segs=None, heatmap_mask=None, ori_shape=None,
               warp_mat=None, flip=False, flip_direction=None,
               **kwargs) -> dict:
        """Encode the dataset's keypoints (N, Kd, 2) in input pixels (with
        a body model whose parts are made from them, e.g. the neck, the
        parts are made first).

        Returns dict(heatmaps (K[+1], H, W), pafs (2L, H, W),
        heatmap_mask (H, W), keypoint_weights (N, Kd)), all float32.
        """
        keypoints = np.asarray(keypoints, np.float64)
        kd = self.num_dataset_keypoints
        if keypoints.ndim == 2 and keypoints.shape[0] == 0:
            keypoints = keypoints.reshape(0, kd, 2)
        if keypoints.ndim != 3 or keypoints.shape[2] != 2 or \
                keypoints.shape[1] != kd:
            raise ValueError(f'keypoints must be (N, {kd}, 2), got '
                             f'{keypoints.shape}')
        body = self.body_model
        if body is not None and not body.is_identity:
            if keypoints_visible is None:
                keypoints_visible = np.ones(keypoints.shape[:2])
            keypoints_visible = np.asarray(keypoints_visible)
            if keypoints_visible.shape != keypoints.shape[:2]:
                raise ValueError(f'keypoints_visible shape '
                                 f'{keypoints_visible.shape} != '
                                 f'{keypoints.shape[:2]}')
            keypoints, keypoints_visible = body.to_parts(
                keypoints, keypoints_visible)
        valid = self._valid_keypoints(keypoints, keypoints_visible)
        w, h = self.heatmap_size
        k_num = self.num_keypoints
        pts = self._to_map(np.where(valid[..., None], keypoints, 0.0))
        xs = np.arange(w, dtype=np.float64)
        ys = np.arange(h, dtype=np.float64)

        # confidence maps: separable Gaussians, max over people
        heat = np.zeros((k_num, h, w), np.float32)
        inv_s2 = 1.0 / self.sigma**2
        if valid.any():
            # (N, K, W) and (N, K, H) 1-D Gaussians, zero for invalid parts
            gx = np.exp(-(xs - pts[..., 0, None])**2 * inv_s2)
            gy = np.exp(-(ys - pts[..., 1, None])**2 * inv_s2) * \
                valid[..., None]
            gx = gx.astype(np.float32)
            gy = gy.astype(np.float32)
            # max over people, 16 at a time to bound memory
            for s in range(0, len(pts), 16):
                g = gy[s:s + 16, :, :, None] * gx[s:s + 16, :, None, :]
                np.maximum(heat, g.max(0), out=heat)
        if self.with_background:
            bg = np.maximum(1.0 - heat.max(0, initial=0.0), 0.0)
            heat = np.concatenate([heat, bg[None]], axis=0)

        # part affinity fields
        pafs = np.zeros((2 * self.num_limbs, h, w), np.float32)
        X = xs[None, None, :]
        Y = ys[None, :, None]
        m = self.limb_end_margin
        for l, (a, b) in enumerate(self.all_limbs):
            sel = valid[:, a] & valid[:, b]
            if not sel.any():
                continue
            pa, pb = pts[sel, a], pts[sel, b]
            d = pb - pa
            length = np.hypot(d[:, 0], d[:, 1])
            ok = length > 1e-9
            if not ok.any():
                continue
            pa, d, length = pa[ok], d[ok], length[ok]
            vx = (d[:, 0] / length)[:, None, None]
            vy = (d[:, 1] / length)[:, None, None]
            dx = X - pa[:, 0, None, None]
            dy = Y - pa[:, 1, None, None]
            along = dx * vx + dy * vy
            perp = np.abs(dy * vx - dx * vy)
            on = ((along >= -m) & (along <= length[:, None, None] + m) &
                  (perp <= self.limb_width))
            count = on.sum(0)
            cover = count > 0
            fx = (on * vx).sum(0)
            fy = (on * vy).sum(0)
            pafs[2 * l][cover] = fx[cover] / count[cover]
            pafs[2 * l + 1][cover] = fy[cover] / count[cover]

        return dict(
            heatmaps=heat,
            pafs=pafs,
            heatmap_mask=self._loss_mask(
                invalid_segs, heatmap_mask, ori_shape=ori_shape,
                warp_mat=warp_mat, flip=flip, flip_direction=flip_direction),
            keypoint_weights=(valid.astype(np.float32) if body is None
                              else body.weights_to_dataset(
                                  valid.astype(np.float32))))

    # ------------------------------------------------------------ decode
    def _sample_maps(self, heatmaps, pafs, check_finite: bool = True):
        """One sample's ``(heatmaps (K[+1], H, W), pafs (2L, H, W))`` as
        arrays, the background channel dropped; MMPose's per-sample slices
        ``(1, C, H, W)`` are accepted too. NaN/inf in either raises
        ``NonFiniteMapError`` (channels as the network's, background
        included)."""
        heatmaps, pafs = _as_array(heatmaps), _as_array(pafs)
        if heatmaps.ndim == 4 and heatmaps.shape[0] == 1:
            heatmaps = heatmaps[0]
        if pafs.ndim == 4 and pafs.shape[0] == 1:
            pafs = pafs[0]
        k_num = self.num_keypoints
        if heatmaps.ndim != 3 or heatmaps.shape[0] not in (k_num, k_num + 1):
            raise ValueError(f'heatmaps must be ({k_num}[+1], H, W) or (1, '
                             f'{k_num}[+1], H, W), got {heatmaps.shape}')
        if pafs.ndim != 3 or pafs.shape[0] != 2 * self.num_limbs or \
                pafs.shape[1:] != heatmaps.shape[1:]:
            raise ValueError(f'pafs must be ({2 * self.num_limbs}, '
                             f'{heatmaps.shape[1]}, {heatmaps.shape[2]}), '
                             f'got {pafs.shape}')
        if check_finite:
            check_finite_map_groups(
                f'{type(self).__name__}.decode',
                [(heatmaps[None], 'heatmap'), (pafs[None], 'PAF')])
        return heatmaps[:k_num], pafs

    def decode_instances(self, encoded, pafs=None, input_size=None
                         ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Group the people of one sample, with their instance scores.

        Accepts ``(heatmaps, pafs)``, ``dict(heatmaps=..., pafs=...)``
        (e.g. :meth:`encode`'s output) or ``heatmaps, pafs`` as two
        arguments, with ``heatmaps`` (K[+1], H, W), ``pafs`` (2L, H, W), or
        MMPose's per-sample ``(1, C, H, W)`` slices of both.

        Args:
            input_size (tuple, optional): (w, h) of the network input the
                maps were computed from; the stride is ``input_size / (W,
                H)``. Default: the codec's ``input_size`` (MMPose's
                ``input_sizes`` of ``AssociativeEmbedding.batch_decode``).

        Returns:
            keypoints (N, Kd, 2) float32 in input pixels (the dataset's
            keypoints: with a body model like ``coco_openpose18.py`` the
            parts are mapped back, the neck dropped), keypoint_scores
            (N, Kd) and instance_scores (N,), people sorted by instance
            score.
        """
        if pafs is None:
            if isinstance(encoded, dict):
                heatmaps, pafs = encoded['heatmaps'], encoded['pafs']
            elif isinstance(encoded, (tuple, list)) and len(encoded) == 2:
                heatmaps, pafs = encoded
            else:
                raise TypeError('decode expects (heatmaps, pafs) or '
                                "dict(heatmaps=..., pafs=...)")
        else:
            heatmaps = encoded
        return self._decode_sample(heatmaps, pafs, input_size)

    def _decode_sample(self, heatmaps, pafs, input_size=None,
                       check_finite: bool = True):
        heatmaps, pafs = self._sample_maps(heatmaps, pafs, check_finite)
        kpts, kscores, inst = group_people(
            heatmaps, pafs, self.limbs, self.redundant_limbs, self.grouping,
            limb_order=self.limb_order, score_parts=self.score_parts)
        h, w = heatmaps.shape[1:]
        size = self.input_size if input_size is None else input_size
        size = np.asarray(size, np.float64).reshape(-1)
        if size.shape != (2, ) or not (size > 0).all():
            raise ValueError(f'input_size must be a positive (w, h), got '
                             f'{input_size}')
        kpts = ((kpts + 0.5) * (size / np.array([w, h])) - 0.5).astype(
            np.float32)
        if self.keypoint_offset or self.missing_keypoints == 'origin':
            found = (kscores > 0)[..., None]
            kpts = np.where(found, kpts + np.float32(self.keypoint_offset),
                            kpts if self.missing_keypoints == 'centre' else
                            np.float32(0)).astype(np.float32)
        if self.body_model is not None:
            kpts, kscores = self.body_model.to_dataset(kpts, kscores)
        return kpts, kscores, inst

    def decode(self, encoded, pafs=None, input_size=None
               ) -> Tuple[np.ndarray, np.ndarray]:
        """One sample's ``(keypoints, keypoint_scores)`` (MMPose's
        per-sample contract, which heads unpack into two); the arguments
        and the instance scores: :meth:`decode_instances`."""
        return self.decode_instances(encoded, pafs, input_size)[:2]

    def batch_decode(self, batch_heatmaps, batch_pafs, input_sizes=None
                     ) -> Tuple[List[np.ndarray], List[np.ndarray],
                                List[np.ndarray]]:
        """Decode (B, K[+1], H, W) confidence maps and (B, 2L, H, W) PAFs.

        ``input_sizes``: per-sample (w, h) of the network input (see
        :meth:`decode`); None: the codec's ``input_size`` for every sample.

        Returns the per-sample lists ``(keypoints, keypoint_scores,
        instance_scores)`` (each sample's arrays as
        :meth:`decode_instances`'), as MMPose's bottom-up
        ``AssociativeEmbedding.batch_decode``.
        """
        batch_heatmaps = _as_array(batch_heatmaps)
        batch_pafs = _as_array(batch_pafs)
        if batch_heatmaps.ndim != 4 or batch_pafs.ndim != 4 or \
                len(batch_heatmaps) != len(batch_pafs):
            raise ValueError(f'batch_decode expects (B, C, H, W) heatmaps '
                             f'and PAFs of the same batch, got '
                             f'{batch_heatmaps.shape}, {batch_pafs.shape}')
        if input_sizes is None:
            input_sizes = [None] * len(batch_heatmaps)
        elif len(input_sizes) != len(batch_heatmaps):
            raise ValueError(f'{len(input_sizes)} input_sizes for a batch '
                             f'of {len(batch_heatmaps)}')
        # one finiteness pass per batch, naming the samples
        check_finite_map_groups(f'{type(self).__name__}.batch_decode',
                                [(batch_heatmaps, 'heatmap'),
                                 (batch_pafs, 'PAF')])
        out = [self._decode_sample(h, p, s, check_finite=False)
               for h, p, s in zip(batch_heatmaps, batch_pafs, input_sizes)]
        return tuple(list(v) for v in zip(*out)) if out else ([], [], [])
