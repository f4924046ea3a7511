"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .aflw5 import AFLW5PointDataset
from .base_dataset import PoseMetainfoMixin, BaseKeypointDataset
from .cat import CatDataset, read_cat_file
from .celeba_mafl import (CelebAMAFLDataset, read_celeba_landmarks,
                          read_image_list)
from .coco import CocoDataset
from .coco_foot import FOOT_LAYOUTS, CocoFootDataset, foot_annotation
from .dataset_files import (DATASETS_DOC, DatasetNotFoundError,
                            check_dataset_files, dataset_docs, dataset_paths,
                            missing_dataset_files)
from .dataset_wrappers import RegressionSplitDataset
from .deeplabcut import DeepLabCutDataset, read_dlc_csv
from .face_landmarks import FaceLandmarkCSVDataset, face_identity
from .generated_dataset import GeneratedPoseDataset
from . import metainfo  # noqa: F401  (no public names)
from .mpii import MpiiDataset
from .sample_rng import (SampleIndex, DefaultSampler, InfiniteSampler,
                         sample_rng)
from .synthetic import (COCO_KEYPOINT_NAMES, COCO_SKELETON,
                        SyntheticPeopleDataset, SyntheticCrowdDataset,
                        FigureCanvas, sample_figure, place_figure,
                        draw_figure, figure_bbox, random_background,
                        render_people_scene, render_crowd_scene, export_coco)
from .synthetic_deformable import (SyntheticDeformableDataset,
                                   render_deformable_face,
                                   SYNTHETIC_FACE_METAINFO, SmoothDeformation)
from .transforms import (GenerateInvalidMask, BottomupRandomAffine,
                         BottomupResize, RandomChannelScale,
                         GetBBoxCenterScale, RandomFlip, RandomHalfBody,
                         RandomBBoxTransform, GenerateTarget, PackPoseInputs,
                         image_to_tensor, LoadImage, ImageLoadError,
                         ImageNotFoundError, CorruptImageError, decode_image,
                         PersonCentredRandomAffine, TopdownAffine,
                         get_udp_warp_matrix)
from .training_data import describe_training_data, leaf_dataset_cfgs
from .utils import deterministic_split, natural_sort_key

__all__ = [
    'AFLW5PointDataset', 'PoseMetainfoMixin', 'BaseKeypointDataset',
    'CatDataset', 'read_cat_file', 'CelebAMAFLDataset',
    'read_celeba_landmarks', 'read_image_list', 'CocoDataset',
    'FOOT_LAYOUTS', 'CocoFootDataset', 'foot_annotation',
    'DATASETS_DOC', 'DatasetNotFoundError', 'check_dataset_files',
    'dataset_docs', 'dataset_paths', 'missing_dataset_files',
    'RegressionSplitDataset', 'DeepLabCutDataset', 'read_dlc_csv',
    'FaceLandmarkCSVDataset', 'face_identity', 'GeneratedPoseDataset',
    'MpiiDataset', 'SampleIndex', 'DefaultSampler', 'InfiniteSampler',
    'sample_rng', 'COCO_KEYPOINT_NAMES', 'COCO_SKELETON',
    'SyntheticPeopleDataset', 'SyntheticCrowdDataset', 'FigureCanvas',
    'sample_figure', 'place_figure', 'draw_figure', 'figure_bbox',
    'random_background', 'render_people_scene', 'render_crowd_scene',
    'export_coco', 'SyntheticDeformableDataset', 'render_deformable_face',
    'SYNTHETIC_FACE_METAINFO', 'SmoothDeformation', 'GenerateInvalidMask',
    'BottomupRandomAffine', 'BottomupResize', 'RandomChannelScale',
    'GetBBoxCenterScale', 'RandomFlip', 'RandomHalfBody',
    'RandomBBoxTransform', 'GenerateTarget', 'PackPoseInputs',
    'image_to_tensor', 'LoadImage', 'ImageLoadError', 'ImageNotFoundError',
    'CorruptImageError', 'decode_image', 'PersonCentredRandomAffine',
    'TopdownAffine', 'get_udp_warp_matrix', 'describe_training_data',
    'leaf_dataset_cfgs', 'deterministic_split', 'natural_sort_key'
]
