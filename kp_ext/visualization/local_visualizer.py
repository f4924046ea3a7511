"""``PoseLocalVisualizer``: skeletons, boxes, heatmaps and vector fields on
images (MMPose ``PoseLocalVisualizer`` interface, mmengine drawing)."""
from typing import Optional, Sequence, Union

import cv2
import numpy as np
from mmengine.structures import InstanceData, PixelData
from mmengine.visualization import Visualizer

from kp_ext.registry import VISUALIZERS
from kp_ext.utils import to_numpy
from .paf_drawing import draw_paf_arrows
from .utils import color_list, heatmap_overlay

__all__ = ['PoseLocalVisualizer']


@VISUALIZERS.register_module()
class PoseLocalVisualizer(Visualizer):
    """Draws keypoint instances of :class:`PoseDataSample` s.

    Images are RGB (h, w, 3) uint8. Keypoints follow kp_ext's convention
    (pixel centres at integers); matplotlib's image extent puts pixel ``i``
    on [i, i + 1], so drawing adds 0.5.

    ``set_dataset_meta`` takes colours and skeleton from the metainfo
    (``keypoint_colors``, ``skeleton_links``, ``skeleton_link_colors``,
    colours RGB); they override the constructor's.

    Extension points for other methods: :meth:`draw_instances_kpts` draws any
    point set (a landmark grid without skeleton draws points only),
    :meth:`draw_vector_field` draws 2-D fields as arrows (part affinity
    fields), and :meth:`_draw_fields` / :meth:`_draw_one` are what
    :meth:`add_datasample` calls per side (gt / pred), for subclasses to
    extend.

    Args:
        name, image, vis_backends, save_dir: mmengine ``Visualizer``.
        bbox_color: colour of boxes. kpt_color: keypoint colour(s) when the
            metainfo has none. link_color: link colour(s) (default: that of
            the link's first keypoint, else 'lime').
        skeleton: (L, 2) keypoint index pairs when the metainfo has none.
        text_color: colour of keypoint indices.
        line_width: link width in points. radius: keypoint radius (px).
        alpha: opacity of keypoints / links.
        heatmap_alpha: weight of the heatmap in heatmap overlays.
        backend: what draws keypoints, links, indices and boxes:
            ``'matplotlib'`` (mmengine's drawing, the default) or
            ``'opencv'`` (``cv2`` anti-aliased lines and discs straight on
            the array, MMPose's ``backend='opencv'``: 12 instead of 170
            ms per 640x480 video frame; the same positions and colours,
            thinner text).
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[Sequence[dict]] = None,
                 save_dir: Optional[str] = None,
                 bbox_color: Union[str, tuple] = 'green',
                 kpt_color: Union[str, tuple, Sequence] = 'red',
                 link_color: Optional[Union[str, tuple, Sequence]] = None,
                 text_color: Union[str, tuple] = (255, 255, 255),
                 skeleton: Optional[Sequence[Sequence[int]]] = None,
                 line_width: float = 2,
                 radius: float = 3,
                 alpha: float = 1.0,
                 heatmap_alpha: float = 0.5,
                 backend: str = 'matplotlib'):
        if backend not in ('matplotlib', 'opencv'):
            raise ValueError("PoseLocalVisualizer backend must be "
                             f"'matplotlib' or 'opencv', got {backend!r}")
        self.backend = backend
        super().__init__(name=name, image=image, vis_backends=vis_backends,
                         save_dir=save_dir)
        self.bbox_color = bbox_color
        self.kpt_color = kpt_color
        self.link_color = link_color
        self.text_color = text_color
        self.skeleton = skeleton
        self.line_width = line_width
        self.radius = radius
        self.alpha = alpha
        self.heatmap_alpha = heatmap_alpha
        self._dataset_meta = None

    def set_dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        """Take skeleton and colours from ``dataset_meta`` (see class doc)."""
        if dataset_meta is None:
            return
        self.dataset_meta = dict(dataset_meta)
        if dataset_meta.get('bbox_color') is not None:
            self.bbox_color = dataset_meta['bbox_color']
        if dataset_meta.get('keypoint_colors') is not None:
            self.kpt_color = dataset_meta['keypoint_colors']
        if dataset_meta.get('skeleton_link_colors') is not None:
            self.link_color = dataset_meta['skeleton_link_colors']
        if dataset_meta.get('skeleton_links') is not None:
            self.skeleton = dataset_meta['skeleton_links']

    # ------------------------------------------------------------------
    def set_image(self, image: np.ndarray) -> None:
        """mmengine's ``set_image`` with the axes' limits fixed to the
        image: a keypoint disc or link that reaches past the border would
        otherwise widen them (matplotlib's autoscaling), shrinking the
        picture inside white margins."""
        super().set_image(image)
        self.ax_save.set_autoscale_on(False)

    @staticmethod
    def _mpl(color):
        """A colour for mmengine's drawing functions: a name, or an RGB
        tuple of 0-255 ints (mmengine rescales it for matplotlib)."""
        if isinstance(color, str):
            return color
        return tuple(int(c) for c in color)

    def draw_instances_bbox(self, image: np.ndarray,
                            instances: InstanceData) -> np.ndarray:
        """Draw ``instances.bboxes`` (N, 4) xyxy; returns the RGB image."""
        if self.backend == 'opencv':
            out = np.ascontiguousarray(image).copy()
            if 'bboxes' in instances and len(instances) > 0:
                col = self._rgb(color_list(self.bbox_color, 1)[0])
                boxes = to_numpy(instances.bboxes).astype(
                    np.float64).reshape(-1, 4)
                for box in boxes[np.isfinite(boxes).all(1)]:
                    # pixel centres at integers: the box edges at -0.5
                    x1, y1, x2, y2 = (self._fixed(box - [.5, .5, .5, .5]))
                    cv2.rectangle(out, (x1, y1), (x2, y2), col,
                                  max(1, int(round(self.line_width))),
                                  cv2.LINE_AA, self._SHIFT)
            return self._blend(image, out)
        self.set_image(image)
        if 'bboxes' in instances and len(instances) > 0:
            boxes = to_numpy(instances.bboxes).astype(np.float32).reshape(
                -1, 4)
            self.draw_bboxes(boxes, edge_colors=self._mpl(
                color_list(self.bbox_color, 1)[0]), alpha=self.alpha,
                line_widths=self.line_width)
        return self.get_image()

    def draw_instances_kpts(self,
                            image: np.ndarray,
                            instances: InstanceData,
                            kpt_thr: float = 0.3,
                            show_kpt_idx: bool = False,
                            keypoints: Optional[np.ndarray] = None,
                            scores: Optional[np.ndarray] = None
                            ) -> np.ndarray:
        """Draw keypoints (circles) and skeleton links (lines) of
        ``instances``; returns the RGB image.

        A keypoint is drawn when its score (``keypoint_scores``, else
        ``keypoints_visible``, else 1) exceeds ``kpt_thr``; a link when both
        its ends are drawn. ``keypoints`` / ``scores`` override the
        instance fields (e.g. landmark sets that are not instances).
        """
        self.set_image(image)
        if keypoints is None:
            if 'keypoints' not in instances:
                return self.get_image()
            keypoints = instances.keypoints
        kpts = to_numpy(keypoints).astype(np.float64)
        if kpts.ndim == 2:
            kpts = kpts[None]
        n, k = kpts.shape[:2]
        if scores is None:
            for key in ('keypoint_scores', 'keypoints_visible'):
                if key in instances:
                    scores = instances.get(key)
                    break
        scores = (np.ones((n, k)) if scores is None else
                  to_numpy(scores).astype(np.float64).reshape(n, k))
        if n == 0:
            return self.get_image()
        kpt_colors = color_list(self.kpt_color, k, 'keypoint color')
        skeleton = [] if self.skeleton is None else [
            (int(a), int(b)) for a, b in self.skeleton]
        if self.link_color is not None:
            link_colors = color_list(self.link_color, len(skeleton),
                                     'link color')
        else:
            link_colors = [kpt_colors[a] if kpt_colors[a] is not None
                           else 'lime' for a, _ in skeleton]
        h, w = image.shape[:2]
        for a, b in skeleton:
            if a >= k or b >= k:
                raise IndexError(f'skeleton link ({a}, {b}) for {k} '
                                 'keypoints')
        if self.backend == 'opencv':
            return self._draw_kpts_cv2(image, kpts, scores, kpt_thr,
                                       show_kpt_idx, skeleton, kpt_colors,
                                       link_colors)
        for kp, sc in zip(kpts, scores):
            shown = self._shown(kp, sc, kpt_thr, w, h)
            xs, ys, cols = [], [], []
            for (a, b), col in zip(skeleton, link_colors):
                if shown[a] and shown[b]:
                    xs.append(kp[[a, b], 0] + 0.5)
                    ys.append(kp[[a, b], 1] + 0.5)
                    cols.append(self._mpl(col))
            if xs:
                self.draw_lines(np.array(xs), np.array(ys), colors=cols,
                                line_widths=self.line_width)
                # matplotlib puts line collections above patches: rasterise
                # the links so the keypoints are drawn on top of them
                self.set_image(self.get_image())
            idx = np.flatnonzero(shown)
            if len(idx):
                cols = [self._mpl(kpt_colors[i] or 'red') for i in idx]
                self.draw_circles(kp[idx] + 0.5,
                                  np.full(len(idx), float(self.radius)),
                                  edge_colors=cols, face_colors=cols,
                                  line_widths=0, alpha=self.alpha)
                if show_kpt_idx:
                    self.draw_texts([str(i) for i in idx],
                                    kp[idx] + 0.5 + self.radius,
                                    colors=self._mpl(self.text_color),
                                    font_sizes=max(6, int(self.radius * 3)))
        return self.get_image()

    @staticmethod
    def _shown(kp: np.ndarray, sc: np.ndarray, kpt_thr: float, w: int,
               h: int) -> np.ndarray:
        """Which keypoints of one person are drawn: scoring above
        ``kpt_thr``, finite and inside the (w, h) image."""
        inside = ((kp[:, 0] >= 0) & (kp[:, 0] < w) & (kp[:, 1] >= 0)
                  & (kp[:, 1] < h) & np.all(np.isfinite(kp), axis=1))
        return (sc > kpt_thr) & inside

    # ------------------------------------------------------ opencv backend
    _SHIFT = 4  # cv2 sub-pixel bits: coordinates in 1/16 px

    @staticmethod
    def _rgb(color) -> tuple:
        """An RGB tuple of ints for cv2 from a name or a tuple."""
        if isinstance(color, str):
            from mmengine.visualization.utils import color_str2rgb
            return tuple(int(c) for c in color_str2rgb(color))
        return tuple(int(c) for c in color)

    @classmethod
    def _fixed(cls, xy) -> list:
        """Pixel coordinates (pixel centres at integers, as cv2's) in
        cv2's fixed point."""
        return [int(round(v * (1 << cls._SHIFT))) for v in
                np.asarray(xy, np.float64).reshape(-1)]

    def _blend(self, image: np.ndarray, drawn: np.ndarray) -> np.ndarray:
        """``drawn`` over ``image`` with opacity ``alpha``."""
        if self.alpha >= 1.0:
            return drawn
        return cv2.addWeighted(drawn, float(self.alpha), np.ascontiguousarray(
            image), 1.0 - float(self.alpha), 0.0)

    def _draw_kpts_cv2(self, image, kpts, scores, kpt_thr, show_kpt_idx,
                       skeleton, kpt_colors, link_colors) -> np.ndarray:
        """:meth:`draw_instances_kpts` with ``backend='opencv'``: the same
        keypoints and links (links first, keypoints on top), drawn by cv2
        on a copy of the RGB ``image``."""
        out = np.ascontiguousarray(image).copy()
        h, w = out.shape[:2]
        thickness = max(1, int(round(self.line_width)))
        radius = int(round(float(self.radius) * (1 << self._SHIFT)))
        text_col = self._rgb(self.text_color)
        for kp, sc in zip(kpts, scores):
            shown = self._shown(kp, sc, kpt_thr, w, h)
            for (a, b), col in zip(skeleton, link_colors):
                if shown[a] and shown[b]:
                    xa, ya, xb, yb = self._fixed(kp[[a, b], :2])
                    cv2.line(out, (xa, ya), (xb, yb), self._rgb(col),
                             thickness, cv2.LINE_AA, self._SHIFT)
            for i in np.flatnonzero(shown):
                x, y = self._fixed(kp[i, :2])
                cv2.circle(out, (x, y), radius,
                           self._rgb(kpt_colors[i] or 'red'), -1,
                           cv2.LINE_AA, self._SHIFT)
                if show_kpt_idx:
                    cv2.putText(out, str(i), (int(kp[i, 0] + self.radius),
                                              int(kp[i, 1] + self.radius)),
                                cv2.FONT_HERSHEY_SIMPLEX,
                                max(0.3, self.radius * 0.12), text_col, 1,
                                cv2.LINE_AA)
        return self._blend(image, out)

    def draw_heatmap(self, heatmaps, image: np.ndarray,
                     alpha: Optional[float] = None) -> np.ndarray:
        """Max over channels of ``heatmaps`` (K, H, W), colour-mapped,
        resized to ``image`` and blended onto it (RGB uint8 out)."""
        return heatmap_overlay(
            heatmaps, image,
            self.heatmap_alpha if alpha is None else alpha)

    def draw_vector_field(self, image: np.ndarray, field,
                          step: int = 4, min_norm: float = 0.1,
                          color: Union[str, tuple] = (255, 255, 0),
                          length: Optional[float] = None) -> np.ndarray:
        """Arrows of 2-D vector fields (part affinity fields), each field
        drawn by :func:`~kp_ext.visualization.paf_drawing.draw_paf_arrows`
        (map pixel centres on image pixel centres).

        Args:
            field: (2 * L, H, W) (x, y channel pairs) or (L, 2, H, W),
                covering the whole image.
            step: grid spacing of the arrows in field pixels.
            min_norm: vectors shorter than this are not drawn.
            color: one RGB colour for every arrow (a colour name draws
                yellow).
            length: length in image pixels of a unit vector (default 0.9 x
                the grid spacing in image pixels); arrows scale with the
                vector length.
        """
        f = to_numpy(field).astype(np.float32)
        if f.ndim == 4 and f.shape[1] == 2:
            f = f.reshape(-1, *f.shape[2:])
        if f.ndim != 3 or f.shape[0] % 2:
            raise ValueError(f'field must be (2L, H, W) or (L, 2, H, W), '
                             f'got {to_numpy(field).shape}')
        col = tuple(int(c) for c in color_list(color, 1)[0]) if not \
            isinstance(color, str) else (255, 255, 0)
        out = image
        for limb in range(f.shape[0] // 2):
            out = draw_paf_arrows(out, f, limb, step=step, min_norm=min_norm,
                                  color=col, arrow_length=length,
                                  tip_length=0.3)
        return out

    # ------------------------------------------------------------------
    def _draw_fields(self, image: np.ndarray,
                     fields: Optional[PixelData]) -> Optional[np.ndarray]:
        """The image drawn below a side when ``draw_heatmap``: heatmap
        overlay of ``fields.heatmaps`` (None when there are none)."""
        if fields is None or 'heatmaps' not in fields:
            return None
        return self.draw_heatmap(fields.heatmaps, image)

    def _draw_one(self, image: np.ndarray, instances: Optional[InstanceData],
                  fields: Optional[PixelData], draw_bbox: bool,
                  draw_heatmap: bool, kpt_thr: float,
                  show_kpt_idx: bool) -> np.ndarray:
        drawn = image.copy()
        if instances is not None:
            if draw_bbox:
                drawn = self.draw_instances_bbox(drawn, instances)
            drawn = self.draw_instances_kpts(drawn, instances, kpt_thr,
                                             show_kpt_idx)
        if draw_heatmap:
            below = self._draw_fields(image, fields)
            if below is not None:
                drawn = np.concatenate([drawn, below], axis=0)
        return drawn

    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       draw_heatmap: bool = False,
                       draw_bbox: bool = False,
                       show_kpt_idx: bool = False,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       kpt_thr: float = 0.3,
                       step: int = 0) -> np.ndarray:
        """Draw gt (left) and prediction (right) of ``data_sample`` on the
        RGB ``image``; with ``draw_heatmap`` each side gets its heatmap
        overlay (``gt_fields`` / ``pred_fields.heatmaps``) below.

        gt keypoints are shown where ``keypoints_visible`` > 0, predicted
        ones where ``keypoint_scores`` > ``kpt_thr``. The result is shown
        (``show``), written with ``mmcv.imwrite`` to ``out_file``, or else
        added to the visualizer's backends as ``name`` at ``step``.

        Returns:
            np.ndarray: the drawn RGB image.
        """
        image = np.ascontiguousarray(image)
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        image = image.astype(np.uint8)
        panels = []
        if draw_gt and data_sample is not None:
            gt = data_sample.get('gt_instances')
            panels.append(self._draw_one(
                image, gt, data_sample.get('gt_fields'), draw_bbox,
                draw_heatmap, 0.0 if gt is None or 'keypoint_scores' not in
                gt else kpt_thr, show_kpt_idx))
        if draw_pred and data_sample is not None:
            panels.append(self._draw_one(
                image, data_sample.get('pred_instances'),
                data_sample.get('pred_fields'), draw_bbox, draw_heatmap,
                kpt_thr, show_kpt_idx))
        if not panels:
            panels = [image.copy()]
        height = max(p.shape[0] for p in panels)
        panels = [np.pad(p, ((0, height - p.shape[0]), (0, 0), (0, 0)))
                  for p in panels]
        drawn = np.concatenate(panels, axis=1)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            import mmcv
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)
        return drawn
