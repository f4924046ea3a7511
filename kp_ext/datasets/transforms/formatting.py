"""Pack a pipeline's results into ``dict(inputs, data_samples)``."""
from typing import Sequence, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement, InstanceData, PixelData

from kp_ext.registry import TRANSFORMS
from kp_ext.structures import PoseDataSample
from .loading import _describe

__all__ = ['PackPoseInputs', 'image_to_tensor']


def image_to_tensor(img: Union[np.ndarray, Sequence[np.ndarray]]
                    ) -> torch.Tensor:
    """(H, W[, C]) array -> contiguous (C, H, W) tensor of the same dtype;
    a sequence of images is stacked into (T, C, H, W)."""
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            img = img[..., None]
        if img.ndim != 3:
            raise ValueError(f'image must be (H, W) or (H, W, C), got shape '
                             f'{img.shape}')
        return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
    return torch.stack([image_to_tensor(i) for i in img])


def _to_tensor(value):
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (list, tuple)):
        return [_to_tensor(v) for v in value]
    return torch.from_numpy(np.ascontiguousarray(value))


@TRANSFORMS.register_module()
class PackPoseInputs(BaseTransform):
    """Pack the results into ``dict(inputs=Tensor, data_samples=...)``.

    ``inputs`` is the image as a contiguous (C, H, W) tensor of the image's
    dtype (``uint8`` after ``LoadImage``). ``data_samples`` is a
    :class:`PoseDataSample` with:

    - ``gt_instances`` (numpy values): results keys of
      ``instance_mapping_table`` (``bbox`` -> ``bboxes``, ``bbox_score`` ->
      ``bbox_scores``, ``bbox_center`` -> ``bbox_centers``, ...), plus
      ``transformed_keypoints`` when ``pack_transformed``;
    - ``gt_instance_labels`` (tensors): ``label_mapping_table`` keys
      (``keypoint_weights``, ``keypoint_labels``, ...); a list (several
      levels) is stacked on a new first axis;
    - ``gt_fields`` (tensors): ``field_mapping_table`` keys (``heatmaps``,
      ...). A :class:`PixelData` when all fields are (C, H, W) or (H, W)
      arrays of one size, else a ``BaseDataElement`` (per-level lists or
      maps of several sizes);
    - metainfo: the ``meta_keys`` present in the results.

    The tables a codec declares (stored into the results by
    ``GenerateTarget``) extend the default tables.

    Args:
        meta_keys (Sequence[str]): Results keys copied to the metainfo.
        pack_transformed (bool): Also pack ``transformed_keypoints`` into
            ``gt_instances``. Defaults to False.
    """

    instance_mapping_table = dict(
        bbox='bboxes',
        bbox_score='bbox_scores',
        bbox_center='bbox_centers',
        bbox_scale='bbox_scales',
        keypoints='keypoints',
        keypoints_visible='keypoints_visible',
        head_size='head_size',
        area='areas')

    label_mapping_table = dict(
        keypoint_labels='keypoint_labels',
        keypoint_x_labels='keypoint_x_labels',
        keypoint_y_labels='keypoint_y_labels',
        keypoint_weights='keypoint_weights',
        keypoints_visible_weights='keypoints_visible_weights')

    field_mapping_table = dict(
        heatmaps='heatmaps',
        instance_heatmaps='instance_heatmaps',
        heatmap_mask='heatmap_mask',
        heatmap_weights='heatmap_weights',
        displacements='displacements',
        displacement_weights='displacement_weights')

    def __init__(self,
                 meta_keys: Sequence[str] = (
                     'id', 'img_id', 'img_path', 'category_id',
                     'crowd_index', 'ori_shape', 'img_shape', 'input_size',
                     'input_center', 'input_scale', 'flip', 'flip_direction',
                     'flip_indices', 'raw_ann_info', 'dataset_name',
                     'head_size'),
                 pack_transformed: bool = False) -> None:
        super().__init__()
        self.meta_keys = tuple(meta_keys)
        self.pack_transformed = pack_transformed

    def _table(self, results: dict, name: str) -> dict:
        table = dict(getattr(self, name))
        table.update(results.get(name) or {})
        return table

    @staticmethod
    def _num_instances(results: dict):
        for key in ('keypoints', 'bbox'):
            if results.get(key) is not None:
                return len(np.asarray(results[key]))
        return None

    @staticmethod
    def _instance_value(key: str, value, num: int, results: dict):
        """Give a per-sample scalar the instance axis of a single-instance
        sample; reject values whose length is not the instance count."""
        if isinstance(value, (int, float, np.number)) or (
                isinstance(value, np.ndarray) and value.ndim == 0):
            value = np.asarray(value).reshape(1)
        if num is not None and len(value) != num:
            raise ValueError(f'"{key}" has {len(value)} entries but the '
                             f'sample {_describe(results)} has {num} '
                             'instance(s)')
        return value

    def _pack_fields(self, items: dict):
        """PixelData for same-size maps, BaseDataElement otherwise."""
        same_size = all(
            isinstance(v, (np.ndarray, torch.Tensor)) and v.ndim in (2, 3)
            for v in items.values()) and len(
                {tuple(v.shape[-2:]) for v in items.values()}) == 1
        fields = PixelData() if same_size else BaseDataElement()
        for key, value in items.items():
            fields.set_field(_to_tensor(value), key)
        return fields

    def transform(self, results: dict) -> dict:
        if results.get('img') is None:
            raise KeyError(f'PackPoseInputs needs "img" for '
                           f'{_describe(results)}')
        inputs = image_to_tensor(results['img'])
        data_sample = PoseDataSample()

        num = self._num_instances(results)
        gt_instances = InstanceData()
        table = self._table(results, 'instance_mapping_table')
        if self.pack_transformed:
            table.setdefault('transformed_keypoints', 'transformed_keypoints')
        for key, packed_key in table.items():
            if results.get(key) is not None:
                gt_instances.set_field(
                    self._instance_value(key, results[key], num, results),
                    packed_key)
        data_sample.gt_instances = gt_instances

        gt_labels = InstanceData()
        for key, packed_key in self._table(results,
                                           'label_mapping_table').items():
            if results.get(key) is not None:
                value = results[key]
                if isinstance(value, list):
                    value = np.stack(value)
                gt_labels.set_field(_to_tensor(np.asarray(value)), packed_key)
        data_sample.gt_instance_labels = gt_labels

        fields = {
            packed_key: results[key]
            for key, packed_key in self._table(
                results, 'field_mapping_table').items()
            if results.get(key) is not None
        }
        if fields:
            data_sample.gt_fields = self._pack_fields(fields)

        data_sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(meta_keys={self.meta_keys}, '
                f'pack_transformed={self.pack_transformed})')
