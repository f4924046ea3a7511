"""``PoseDataSample``: the data interface between kp_ext components.

Same fields as MMPose's ``PoseDataSample`` so heads, metrics and
visualisers can move between the two toolboxes:

- ``gt_instances`` (InstanceData): ``bboxes``, ``keypoints``,
  ``keypoints_visible``, ... of the annotated instances.
- ``gt_instance_labels`` (InstanceData): training targets per instance,
  e.g. ``keypoint_weights`` (N, K) or ``keypoint_labels``.
- ``gt_fields`` (PixelData): dense targets, e.g. ``heatmaps`` (K, H, W).
- ``pred_instances`` (InstanceData): ``keypoints`` (N, K, 2) in input-image
  pixels, ``keypoint_scores`` (N, K), optional ``bbox_scores`` / ``scores``.
- ``pred_fields`` (PixelData): predicted dense maps (optional).
"""
from mmengine.structures import BaseDataElement, InstanceData, PixelData


class PoseDataSample(BaseDataElement):
    """Annotations and predictions of one image (or one top-down crop)."""

    @property
    def gt_instances(self) -> InstanceData:
        return self._gt_instances

    @gt_instances.setter
    def gt_instances(self, value: InstanceData):
        self.set_field(value, '_gt_instances', dtype=InstanceData)

    @gt_instances.deleter
    def gt_instances(self):
        del self._gt_instances

    @property
    def gt_instance_labels(self) -> InstanceData:
        return self._gt_instance_labels

    @gt_instance_labels.setter
    def gt_instance_labels(self, value: InstanceData):
        self.set_field(value, '_gt_instance_labels', dtype=InstanceData)

    @gt_instance_labels.deleter
    def gt_instance_labels(self):
        del self._gt_instance_labels

    @property
    def pred_instances(self) -> InstanceData:
        return self._pred_instances

    @pred_instances.setter
    def pred_instances(self, value: InstanceData):
        self.set_field(value, '_pred_instances', dtype=InstanceData)

    @pred_instances.deleter
    def pred_instances(self):
        del self._pred_instances

    @property
    def gt_fields(self) -> PixelData:
        return self._gt_fields

    @gt_fields.setter
    def gt_fields(self, value: PixelData):
        self.set_field(value, '_gt_fields', dtype=type(value))

    @gt_fields.deleter
    def gt_fields(self):
        del self._gt_fields

    @property
    def pred_fields(self) -> PixelData:
        return self._pred_fields

    @pred_fields.setter
    def pred_fields(self, value: PixelData):
        self.set_field(value, '_pred_fields', dtype=PixelData)

    @pred_fields.deleter
    def pred_fields(self):
        del self._pred_fields
