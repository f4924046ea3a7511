"""Data preprocessor of pose models (mmengine's ``ImgDataPreprocessor``).

Moves the batch to the model's device, converts BGR->RGB if asked,
normalises with ``mean``/``std`` and pads to ``pad_size_divisor``; the data
samples pass through unchanged. Registered in the ``kp_ext`` scope so that
configs can write ``data_preprocessor=dict(type='PoseDataPreprocessor')``.
"""
from mmengine.model import ImgDataPreprocessor

from kp_ext.registry import MODELS

__all__ = ['PoseDataPreprocessor']


@MODELS.register_module()
class PoseDataPreprocessor(ImgDataPreprocessor):
    """Image normalisation/batching for pose estimators.

    Args: as :class:`mmengine.model.ImgDataPreprocessor` (``mean``, ``std``,
    ``pad_size_divisor``, ``pad_value``, ``bgr_to_rgb``, ``rgb_to_bgr``,
    ``non_blocking``).
    """
