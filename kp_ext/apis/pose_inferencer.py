"""``PoseInferencer``: one entry point for every kp_ext model kind.

The kind comes from the config's estimator: top-down (hourglass), bottom-up
(OpenPose / PAF) or unsupervised landmarks (FSE). Inputs are anything
:func:`kp_ext.apis.inputs.resolve_inputs` accepts (image path, folder,
list, numpy image, video file). Top-down models take person boxes from
``bboxes``, else from a bottom-up ``det_model`` (a PAF model finds the
people, the top-down model refines each of them: MMPose's detector +
pose-model pattern without a detector), else use the whole image.

Results: ``PoseDataSample`` s (keypoints in image pixels) or, by default,
JSON-ready dicts (:func:`prediction_to_dict`, COCO-style
``[x, y, score, ...]`` keypoints with a person score); drawings on request
with kp_ext's ``PoseLocalVisualizer``.
"""
import contextlib
import itertools
import logging
import os
from typing import Iterator, List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.infer import BaseInferencer
from mmengine.logging import print_log
from mmengine.structures import InstanceData

from kp_ext.codecs import NonFiniteMapError
from kp_ext.registry import INFERENCERS
from kp_ext.structures import PoseDataSample
from .inference import (_pipeline, inference_bottomup, inference_landmarks,
                        inference_topdown, init_model, merge_data_samples,
                        model_kind)
from .inputs import InputError, Source, VideoFrames, resolve_inputs
from .model_aliases import resolve_config
from .training_data import training_data_warning

__all__ = ['PoseInferencer', 'prediction_to_dict']

_counter = itertools.count()


def _as_list(x, decimals: int = 3) -> list:
    return np.asarray(x, dtype=np.float64).round(decimals).tolist()


def prediction_to_dict(sample) -> dict:
    """JSON-ready predictions of one image (or frame).

    Each instance: ``keypoints`` flattened ``[x1, y1, s1, x2, ...]`` (image
    pixels, COCO results layout), ``keypoint_scores``, ``score`` (the
    person score: the grouping's instance score for bottom-up models, else
    the box score times the mean keypoint score) and ``bbox`` as x1, y1,
    x2, y2 (MMPose's inferencer convention, not COCO's x, y, w, h): the
    dict says so in ``bbox_format: 'xyxy'``. ``keypoint_names`` (when the
    sample's metainfo has them: :class:`PoseInferencer` sets the model's)
    names the keypoints in their order, e.g. the feet of a BODY_25 model.
    """
    meta = sample.metainfo
    inst = sample.get('pred_instances', InstanceData())
    out = dict(img_path=meta.get('img_path'),
               bbox_format='xyxy',
               height=int(meta['ori_shape'][0]) if 'ori_shape' in meta
               else None,
               width=int(meta['ori_shape'][1]) if 'ori_shape' in meta
               else None,
               instances=[])
    if meta.get('keypoint_names'):
        out['keypoint_names'] = list(meta['keypoint_names'])
    if 'keypoints' not in inst:
        return out
    kpts = np.asarray(inst.keypoints, dtype=np.float64)
    if len(kpts) == 0:
        return out
    kpts = kpts.reshape(len(kpts), -1, kpts.shape[-1])[..., :2]
    scores = np.asarray(inst.keypoint_scores,
                        dtype=np.float64).reshape(kpts.shape[:2])
    for i in range(len(kpts)):
        if 'scores' in inst:
            score = float(np.asarray(inst.scores).reshape(-1)[i])
        else:
            box_score = (float(np.asarray(inst.bbox_scores).reshape(-1)[i])
                         if 'bbox_scores' in inst else 1.0)
            score = box_score * float(scores[i].mean())
        triplets = np.concatenate([kpts[i].round(3),
                                   scores[i][:, None].round(5)], axis=1)
        one = dict(keypoints=triplets.reshape(-1).tolist(),
                   keypoint_scores=_as_list(scores[i], 5),
                   score=round(score, 6))
        if 'bboxes' in inst:
            one['bbox'] = _as_list(np.asarray(inst.bboxes).reshape(-1, 4)[i])
        out['instances'].append(one)
    return out


@INFERENCERS.register_module()
class PoseInferencer(BaseInferencer):
    """Keypoints (or landmarks) of images and videos with a kp_ext model.

    Args:
        model (str | Config): config of the pose (or landmark) model.
        weights (str, optional): its checkpoint (strictly checked by
            :func:`init_model`); None keeps random weights (with a warning).
        device (str): torch device. Default 'cpu'.
        det_model, det_weights (optional): config and checkpoint of a
            bottom-up (PAF) model whose people give the boxes of a top-down
            ``model``.
        det_score_thr (float): people of ``det_model`` with a lower
            instance score are dropped. Default 0.
        det_min_size (float): people of ``det_model`` whose keypoint box
            is narrower or lower than this (image px; e.g. a person of one
            part) are dropped: such a box cannot be cropped. Default 4.
        show_progress (bool): mmengine's progress display in ``__call__``.
        warn_training_data (bool): log one warning when the checkpoint was
            trained on synthetic data only (``self.training_data_warning``
            holds the line either way). Default True.
        draw_backend (str): what draws the pictures:
            ``'matplotlib'`` (mmengine's drawing) or ``'opencv'`` (cv2 on
            the array, 14x faster on 640x480 video frames). Default
            'matplotlib'.

    ``model`` may also be a model alias of ``configs/*/metafile.yml``
    (``'hourglass_mpii'``, ``'openpose_coco'``, ``'hourglass_synthetic'``,
    ...; :func:`kp_ext.apis.model_aliases`): it names the config only
    (kp_ext has no downloadable weights). Anything else that is not a
    config file raises :class:`UnknownModelError` listing the aliases.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = {'bboxes'}
    visualize_kwargs: set = {'return_vis', 'kpt_thr', 'draw_bbox'}
    postprocess_kwargs: set = set()

    def __init__(self,
                 model,
                 weights: Optional[str] = None,
                 device: str = 'cpu',
                 det_model=None,
                 det_weights: Optional[str] = None,
                 det_score_thr: float = 0.0,
                 det_min_size: float = 4.0,
                 show_progress: bool = False,
                 warn_training_data: bool = True,
                 draw_backend: str = 'matplotlib') -> None:
        if draw_backend not in ('matplotlib', 'opencv'):
            raise ValueError("PoseInferencer draw_backend must be "
                             f"'matplotlib' or 'opencv', got {draw_backend!r}")
        self.draw_backend = draw_backend
        super().__init__(model=model, weights=weights, device=device,
                         scope='kp_ext', show_progress=show_progress)
        self.kind = model_kind(self.model)
        self.training_data_warning = training_data_warning(self.model)
        self.det_model = None
        self.det_score_thr = float(det_score_thr)
        self.det_min_size = float(det_min_size)
        if det_model is not None:
            if self.kind != 'topdown':
                raise ValueError(f'det_model gives person boxes to a '
                                 f'top-down model; this model is {self.kind}')
            self.det_model = init_model(det_model, det_weights, device)
            if model_kind(self.det_model) != 'bottomup':
                raise ValueError(
                    f'det_model {det_model!r} must be a bottom-up (PAF) '
                    f'model, got a {type(self.det_model).__name__}')
            det_warning = training_data_warning(self.det_model)
            if det_warning and not self.training_data_warning:
                self.training_data_warning = f'det_model {det_warning}'
        if warn_training_data and self.training_data_warning:
            print_log(f'PoseInferencer: {self.training_data_warning}',
                      logger='current', level=logging.WARNING)

    # ------------------------------------------------ BaseInferencer hooks
    def _load_model_from_metafile(self, model: str):
        """(config, no weights) of a metafile alias (module doc); mmengine's
        own lookup needs a MIM package and fails with an AssertionError."""
        return Config.fromfile(resolve_config(model)), None

    def _init_model(self, cfg, weights, device):
        if not cfg:
            raise ValueError('PoseInferencer needs a config (model=...)')
        if weights is None:
            print_log(f'PoseInferencer: no checkpoint given for '
                      f'{cfg.filename or "the config"}: the weights are '
                      'RANDOM, the predictions meaningless',
                      logger='current', level=logging.WARNING)
        return init_model(cfg if isinstance(cfg, Config) else Config(cfg),
                          weights, device)

    def _init_pipeline(self, cfg):
        return _pipeline(self.model)

    def _init_visualizer(self, cfg):
        from kp_ext.visualization import PoseLocalVisualizer, distinct_colors
        vis = PoseLocalVisualizer(name=f'kp_ext_infer_{next(_counter)}',
                                  radius=3, line_width=2,
                                  backend=self.draw_backend)
        if model_kind(self.model) == 'landmarks':
            k = self.model.head.num_keypoints
            vis.kpt_color = [tuple(int(v) for v in c)
                             for c in distinct_colors(k)]
        else:
            vis.set_dataset_meta(self.model.dataset_meta)
        return vis

    # ------------------------------------------------------------ running
    def _people_boxes(self, img) -> np.ndarray:
        """(N, 5) boxes + scores of the people ``det_model`` finds."""
        det = inference_bottomup(self.det_model, img)[0].pred_instances
        boxes = np.asarray(det.bboxes, np.float32).reshape(-1, 4)
        scores = np.asarray(det.scores, np.float32).reshape(-1)
        size = boxes[:, 2:] - boxes[:, :2]
        keep = (scores >= self.det_score_thr) & \
            (size.min(axis=1) >= self.det_min_size)
        return np.concatenate([boxes[keep], scores[keep, None]], axis=1)

    def predict_one(self, img, bboxes=None):
        """One merged :class:`PoseDataSample` for one image (path or array).
        """
        if self.kind == 'bottomup':
            return inference_bottomup(self.model, img)[0]
        if self.kind == 'topdown':
            if bboxes is None and self.det_model is not None:
                bboxes = self._people_boxes(img)
            samples = inference_topdown(self.model, img, bboxes)
        else:
            samples = inference_landmarks(self.model, img, bboxes)
        if samples:
            return merge_data_samples(samples)
        return self._empty_sample(img)

    def _empty_sample(self, img):
        """A sample without people (no boxes)."""
        loaded = _pipeline(self.model).transforms[0](
            dict(img_path=img) if isinstance(img, str) else
            dict(img=img, img_path=None))
        k = int((self.model.dataset_meta or {}).get('num_keypoints', 0))
        sample = PoseDataSample(metainfo=dict(
            img_path=loaded.get('img_path'), ori_shape=loaded['ori_shape']))
        sample.pred_instances = InstanceData(
            keypoints=np.zeros((0, k, 2), np.float32),
            keypoint_scores=np.zeros((0, k), np.float32),
            bboxes=np.zeros((0, 4), np.float32),
            bbox_scores=np.zeros((0, ), np.float32))
        return sample

    def draw(self, image_bgr: np.ndarray, sample, kpt_thr: float = 0.3,
             draw_bbox: Optional[bool] = None) -> np.ndarray:
        """The prediction drawn on the image; returns BGR uint8. Every
        unsupervised landmark is drawn (its score is a peak probability of
        the order of 1 / map area, not a confidence to threshold)."""
        if self.kind == 'landmarks':
            kpt_thr = -np.inf
        if draw_bbox is None:
            draw_bbox = self.kind == 'topdown'
        rgb = np.ascontiguousarray(image_bgr[..., ::-1])
        drawn = self.visualizer.add_datasample(
            'prediction', rgb, sample, draw_gt=False, draw_pred=True,
            draw_bbox=draw_bbox, kpt_thr=kpt_thr)
        return np.ascontiguousarray(drawn[..., ::-1])

    def _keypoint_names(self) -> list:
        """The model's keypoint names in order ([] without metainfo
        names, e.g. unsupervised landmarks)."""
        meta = self.model.dataset_meta or {}
        id2name = meta.get('keypoint_id2name') or {}
        k = int(meta.get('num_keypoints', 0))
        return [id2name[i] for i in range(k)] if id2name and all(
            i in id2name for i in range(k)) else []

    def predict_many(self, imgs: list, bboxes=None) -> list:
        """:meth:`predict_one` of every image (arrays or paths), in order; a
        bottom-up model runs them as one batch (one network call: video
        frames of one size), other kinds one by one."""
        if self.kind == 'bottomup' and len(imgs) > 1:
            return inference_bottomup(self.model, list(imgs))
        return [self.predict_one(img, bboxes) for img in imgs]

    def _predict_source(self, img, bboxes, where: str):
        """:meth:`predict_one` (:meth:`predict_many` for a list of images);
        non-finite network output re-raised naming the input (``where``)
        and the checkpoint."""
        try:
            many = isinstance(img, list)
            samples = (self.predict_many(img, bboxes) if many else
                       [self.predict_one(img, bboxes)])
            names = self._keypoint_names()
            for sample in samples if names else ():
                sample.set_metainfo(dict(keypoint_names=names))
            return samples if many else samples[0]
        except NonFiniteMapError as e:
            raise e.located(where, e.checkpoint if e.where else getattr(
                self.model, 'checkpoint_file', None)) from e

    def iter_results(self, sources: List[Source], bboxes=None,
                     return_vis: bool = False, kpt_thr: float = 0.3,
                     draw_bbox: Optional[bool] = None,
                     skip_failures: bool = False, batch_size: int = 1,
                     timer=None) -> Iterator[dict]:
        """One record per image or video frame: ``source`` (the
        :class:`Source`), ``frame`` (index, None for images), ``sample``,
        ``drawing`` (BGR, when ``return_vis``), ``error`` (message of a
        failed image when ``skip_failures``; its other fields are None) and
        for frames ``video`` (the :class:`VideoFrames`).

        ``batch_size`` frames of a video or camera are read, then predicted
        together (:meth:`predict_many`: one network call for a bottom-up
        model). ``timer`` (a :class:`~kp_ext.apis.StageTimer`) gets the
        ``decode``, ``preprocess`` and ``drawing`` times and the frame
        count (its ``instrument`` adds the network and grouping).
        """
        from kp_ext.datasets.transforms import LoadImage
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        loader = LoadImage()

        def stage(name):
            return timer.stage(name) if timer is not None else \
                contextlib.nullcontext()

        for source in sources:
            if source.kind in ('video', 'camera'):
                video = VideoFrames(source.value)
                frames, index = iter(video), 0
                while True:
                    with stage('decode'):
                        batch = list(itertools.islice(frames, batch_size))
                    if not batch:
                        break
                    with stage('preprocess'):
                        samples = self._predict_source(
                            batch, bboxes, f'{source.kind} {source.name!r} '
                            f'frames {index}-{index + len(batch) - 1}')
                    for frame, sample in zip(batch, samples):
                        sample.set_metainfo(dict(img_path=source.value,
                                                 frame_index=index))
                        with stage('drawing'):
                            drawing = (self.draw(frame, sample, kpt_thr,
                                                 draw_bbox)
                                       if return_vis else None)
                        if timer is not None:
                            timer.frames += 1
                        yield dict(source=source, frame=index, sample=sample,
                                   video=video, error=None, drawing=drawing)
                        index += 1
                continue
            try:
                with stage('decode'):
                    image = loader(dict(img_path=source.value)
                                   if source.kind == 'image' else
                                   dict(img=source.value))['img']
                with stage('preprocess'):
                    sample = self._predict_source(
                        source.value if source.kind == 'image' else image,
                        bboxes, f'input {source.name!r}')
                with stage('drawing'):
                    drawing = (self.draw(image, sample, kpt_thr, draw_bbox)
                               if return_vis else None)
                if timer is not None:
                    timer.frames += 1
            except NonFiniteMapError:  # the model's fault: never skipped
                raise
            except (OSError, ValueError, TypeError) as e:
                if not skip_failures:
                    raise
                yield dict(source=source, frame=None, sample=None,
                           drawing=None, video=None, error=str(e))
                continue
            yield dict(source=source, frame=None, sample=sample,
                       drawing=drawing, video=None, error=None)

    def __call__(self, inputs, return_datasamples: bool = False,
                 batch_size: int = 1, **kwargs) -> dict:
        """Predictions of ``inputs`` (see module doc).

        Keyword args: ``bboxes`` (top-down / landmarks: boxes for every
        image), ``return_vis`` (drawings), ``kpt_thr``, ``draw_bbox``.
        With a folder or a list, an image that cannot be read or used is
        skipped and listed in ``failures``; a single input raises.

        Returns:
            dict(predictions=[one per image / frame], visualization=[BGR
            images] or [], failures=[(name, message)]).
        """
        pre, fwd, vis, post = self._dispatch_kwargs(**kwargs)
        sources = resolve_inputs(inputs)
        many = len(sources) > 1 or isinstance(inputs, (list, tuple)) or (
            isinstance(inputs, (str, os.PathLike)) and os.path.isdir(inputs))
        records = list(self.iter_results(
            sources, bboxes=fwd.get('bboxes'),
            return_vis=vis.get('return_vis', False),
            kpt_thr=vis.get('kpt_thr', 0.3),
            draw_bbox=vis.get('draw_bbox'), skip_failures=many))
        failures = [(r['source'].name, r['error']) for r in records
                    if r['error'] is not None]
        done = [r for r in records if r['error'] is None]
        if many and not done:
            raise InputError('no input could be processed:\n' + '\n'.join(
                f'  {n}: {m}' for n, m in failures))
        for name, message in failures:
            print_log(f'PoseInferencer: skipped {name}: {message}',
                      logger='current', level=logging.WARNING)
        result = self.postprocess([r['sample'] for r in done],
                                  [r['drawing'] for r in done],
                                  return_datasamples)
        result['failures'] = failures
        return result

    def visualize(self, inputs: list, preds: list, **kwargs) -> list:
        """Drawings (BGR) of predictions on their images (numpy BGR)."""
        return [self.draw(img, pred, **kwargs)
                for img, pred in zip(inputs, preds)]

    def postprocess(self, preds, visualization, return_datasample=False,
                    **kwargs) -> dict:
        predictions = (list(preds) if return_datasample else
                       [prediction_to_dict(p) for p in preds])
        return dict(predictions=predictions,
                    visualization=[v for v in visualization
                                   if v is not None])
