"""``PoseVisualizationHook``: draw predictions during validation / test
(MMPose ``PoseVisualizationHook`` behaviour)."""
import os
import os.path as osp
import re
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.visualization import Visualizer

from kp_ext.registry import HOOKS
from kp_ext.visualization.local_visualizer import PoseLocalVisualizer
from kp_ext.visualization.utils import (sample_to_input_space,
                                        tensor_to_image,
                                        warp_heatmaps_to_image)

__all__ = ['PoseVisualizationHook']


@HOOKS.register_module()
class PoseVisualizationHook(Hook):
    """Draw the model's predictions on validation / test images.

    - ``after_val_iter``: when ``enable``, the first sample of every
      ``interval``-th batch (counted as ``runner.iter + batch_idx``, as
      MMPose).
    - ``after_test_iter``: when ``enable``, every sample.

    Image source: the sample's ``img_path`` read with mmcv (RGB) when it is
    a readable file; otherwise (in-memory / synthetic data, e.g. img_path
    ``'synthetic://...'``) the packed network input
    ``data_batch['inputs'][i]`` (C, H, W, channels ``input_channel_order``),
    with gt / predicted keypoints and boxes mapped from the image into the
    input (crop) frame through ``input_center``/``input_scale``/
    ``input_size`` (see ``kp_ext.visualization.utils``). On an original
    image, top-down heatmaps are warped back onto it before overlaying.

    Output: with ``out_dir``, files
    ``{work_dir}/{timestamp}/{out_dir}/vis_{val|test}_{stem}_{n}.png``; without
    it, the drawing goes to the visualizer's backends (``add_image``, e.g.
    LocalVisBackend under the runner's log_dir) as 'val_img' / 'test_img'.

    The visualizer is ``runner.visualizer`` if it is a
    :class:`PoseLocalVisualizer`, else mmengine's current instance if it is
    one, else a new one (saving under ``runner.log_dir``).

    Args:
        enable (bool): draw at all. Default False.
        interval (int): validation drawing interval (iterations).
        kpt_thr (float): minimum keypoint score drawn.
        show (bool): show windows (and draw gt too, as MMPose's test).
        wait_time (float): seconds a shown window waits.
        out_dir (str, optional): sub-directory of ``work_dir/timestamp``.
        draw_heatmap (bool): overlay ``pred_fields.heatmaps`` when present.
        draw_gt (bool): also draw the ground truth (side by side).
        draw_bbox (bool): draw boxes.
        input_channel_order (str): channel order of packed inputs ('bgr').
        backend_args (dict, optional): mmengine fileio backend arguments.
    """
    priority = 'NORMAL'

    def __init__(self,
                 enable: bool = False,
                 interval: int = 50,
                 kpt_thr: float = 0.3,
                 show: bool = False,
                 wait_time: float = 0.,
                 out_dir: Optional[str] = None,
                 draw_heatmap: bool = False,
                 draw_gt: bool = False,
                 draw_bbox: bool = True,
                 input_channel_order: str = 'bgr',
                 backend_args: Optional[dict] = None):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        if input_channel_order not in ('bgr', 'rgb'):
            raise ValueError("input_channel_order must be 'bgr' or 'rgb'")
        self.enable = enable
        self.interval = interval
        self.kpt_thr = kpt_thr
        self.show = show
        self.wait_time = wait_time
        self.out_dir = out_dir
        self.draw_heatmap = draw_heatmap
        self.draw_gt = draw_gt
        self.draw_bbox = draw_bbox
        self.input_channel_order = input_channel_order
        self.backend_args = backend_args
        self._test_index = 0
        self._vis = None

    # ------------------------------------------------------------ helpers
    def _visualizer(self, runner) -> PoseLocalVisualizer:
        if self._vis is not None:
            return self._vis
        vis = getattr(runner, 'visualizer', None)
        if not isinstance(vis, PoseLocalVisualizer):
            try:
                current = Visualizer.get_current_instance()
            except RuntimeError:  # no visualizer created yet
                current = None
            vis = current if isinstance(current, PoseLocalVisualizer) \
                else None
        if vis is None:
            MMLogger.get_current_instance().warning(
                'PoseVisualizationHook: the runner has no PoseLocalVisualizer'
                '; creating one')
            log_dir = getattr(runner, 'log_dir', None)
            vis = PoseLocalVisualizer.get_instance(
                f'pose_vis_hook_{id(self)}',
                vis_backends=[dict(type='mmengine.LocalVisBackend')]
                if log_dir else None,
                save_dir=log_dir)
        self._vis = vis
        return vis

    @staticmethod
    def _dataset_meta(runner, mode: str):
        evaluator = getattr(runner, f'{mode}_evaluator', None)
        meta = getattr(evaluator, 'dataset_meta', None)
        if meta is None:
            loader = getattr(runner, f'{mode}_dataloader', None)
            dataset = getattr(loader, 'dataset', None)
            meta = getattr(dataset, 'metainfo', None)
        return meta

    def _read_image(self, img_path) -> Optional[np.ndarray]:
        """RGB image at ``img_path``, or None when it is no readable file
        (in-memory / synthetic samples)."""
        if not isinstance(img_path, str) or not img_path:
            return None
        import mmcv
        from mmengine import fileio
        if '://' not in img_path:
            if not osp.isfile(img_path):
                return None
            return mmcv.imread(img_path, channel_order='rgb')
        try:
            img_bytes = fileio.get(img_path, backend_args=self.backend_args)
        except Exception as err:  # unknown scheme (synthetic://) or missing
            MMLogger.get_current_instance().debug(
                f'PoseVisualizationHook: {img_path} not readable ({err}); '
                'drawing on the network input')
            return None
        return mmcv.imfrombytes(img_bytes, channel_order='rgb')

    def _prepare(self, data_batch: dict, outputs: Sequence, i: int):
        """(RGB image, data sample in that image's frame) of sample i."""
        sample = outputs[i]
        image = self._read_image(sample.get('img_path'))
        if image is not None:
            if (self.draw_heatmap and 'pred_fields' in sample
                    and 'heatmaps' in sample.pred_fields):
                sample = sample.clone()
                sample.pred_fields.set_field(
                    warp_heatmaps_to_image(sample.pred_fields.heatmaps,
                                           sample.metainfo,
                                           image.shape[:2]), 'heatmaps')
            return image, sample
        inputs = data_batch.get('inputs') if isinstance(data_batch,
                                                        dict) else None
        if inputs is None:
            raise ValueError(
                f'PoseVisualizationHook: sample {sample.get("img_path")} has '
                'no readable image and the batch has no inputs')
        image = tensor_to_image(inputs[i], self.input_channel_order)
        return image, sample_to_input_space(sample, image.shape[:2])

    def _out_file(self, runner, mode: str, sample, index: int):
        if self.out_dir is None:
            return None
        out_dir = osp.join(runner.work_dir, runner.timestamp, self.out_dir)
        os.makedirs(out_dir, exist_ok=True)
        img_path = sample.get('img_path')
        if isinstance(img_path, str) and img_path:
            stem = osp.splitext(osp.basename(img_path.rstrip('/')))[0]
        else:
            stem = f'img{sample.get("img_id", "")}'
        stem = re.sub(r'[^A-Za-z0-9_.-]', '_', stem) or 'img'
        return osp.join(out_dir, f'vis_{mode}_{stem}_{index}.png')

    def _draw(self, runner, mode: str, data_batch, outputs, i: int,
              step: int) -> None:
        vis = self._visualizer(runner)
        vis.set_dataset_meta(self._dataset_meta(runner, mode))
        image, sample = self._prepare(data_batch, outputs, i)
        out_file = self._out_file(runner, mode, sample, step)
        vis.add_datasample(
            f'{mode}_img',
            image,
            data_sample=sample,
            draw_gt=self.draw_gt or (mode == 'test' and self.show),
            draw_pred=True,
            draw_heatmap=self.draw_heatmap,
            draw_bbox=self.draw_bbox,
            show=self.show,
            wait_time=self.wait_time,
            out_file=out_file,
            kpt_thr=self.kpt_thr,
            step=step)

    # -------------------------------------------------------------- hooks
    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        if not self.enable or not outputs:
            return
        total_iter = runner.iter + batch_idx
        if total_iter % self.interval == 0:
            self._draw(runner, 'val', data_batch, outputs, 0, total_iter)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        if not self.enable or not outputs:
            return
        for i in range(len(outputs)):
            self._test_index += 1
            self._draw(runner, 'test', data_batch, outputs, i,
                       self._test_index)
