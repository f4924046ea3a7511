"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .coco_results import coco_image_id, to_coco_results
from .demo import infer_command, first_test_image
from .inference import (init_model, inference_topdown, inference_bottomup,
                        inference_landmarks, model_kind,
                        dataset_meta_from_config, merge_data_samples,
                        CheckpointMismatchError, network_input_size,
                        network_stride)
from .inputs import (IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, InputError, Source,
                     camera_source, resolve_inputs, VideoFrames)
from .model_aliases import (CONFIGS_DIR, model_aliases, resolve_config,
                            UnknownModelError)
from .onnx_export import (export_onnx, onnx_estimator, output_names,
                          ExportableNetwork)
from .onnx_quantize import calibration_inputs, quantize_int8
from .pose_inferencer import PoseInferencer, prediction_to_dict
from .stage_timer import STAGES, StageTimer
from .training_data import (checkpoint_training_data, training_data_summary,
                            training_data_warning, REAL_DATA_CONFIGS)

__all__ = [
    'coco_image_id', 'to_coco_results', 'infer_command', 'first_test_image',
    'init_model', 'inference_topdown',
    'inference_bottomup', 'inference_landmarks', 'model_kind',
    'dataset_meta_from_config', 'merge_data_samples',
    'CheckpointMismatchError', 'network_input_size', 'network_stride',
    'IMAGE_EXTENSIONS', 'VIDEO_EXTENSIONS', 'InputError', 'Source',
    'camera_source', 'resolve_inputs', 'VideoFrames', 'CONFIGS_DIR',
    'model_aliases', 'resolve_config', 'UnknownModelError', 'export_onnx', 'onnx_estimator',
    'output_names', 'ExportableNetwork', 'calibration_inputs',
    'quantize_int8', 'PoseInferencer',
    'prediction_to_dict', 'STAGES', 'StageTimer',
    'checkpoint_training_data', 'training_data_warning',
    'training_data_summary', 'REAL_DATA_CONFIGS'
]
