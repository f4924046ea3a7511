"""Parts that a body model makes from two keypoints of the annotated
dataset (their midpoint, defined only when both are labelled): the one
place that defines them. Not a body model itself (no ``dataset_info``):
the body models that have such parts inherit this file
(``_base_ = ['_derived_parts.py']``) and name the pair in their
``keypoint_sources`` as ``{{_base_.derived_parts.<part>}}``;
:meth:`kp_ext.codecs.PAFBodyModel.to_parts` takes the midpoints.

- ``neck``: the shoulders' midpoint (the OpenPose COCO-18 model,
  ``coco_openpose18.py``, and BODY_25, ``body25.py``; caffe_train
  ``cpm_data_transformer.cpp`` ``TransformMetaJoints``);
- ``mid_hip``: the hips' midpoint (BODY_25's part 8 ``MidHip``).
"""
derived_parts = dict(
    neck=('left_shoulder', 'right_shoulder'),
    mid_hip=('left_hip', 'right_hip'),
)
