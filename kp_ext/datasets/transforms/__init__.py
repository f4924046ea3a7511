"""The package's modules, imported explicitly so that readers and tools
see the import graph (tests/test_package_exports.py checks that none is
left out)."""
from .bottomup_transforms import (GenerateInvalidMask, BottomupRandomAffine,
                                  BottomupResize)
from .color_transforms import RandomChannelScale
from .common_transforms import (GetBBoxCenterScale, RandomFlip,
                                RandomHalfBody, RandomBBoxTransform,
                                GenerateTarget)
from .formatting import PackPoseInputs, image_to_tensor
from .loading import (LoadImage, ImageLoadError, ImageNotFoundError,
                      CorruptImageError, decode_image)
from .person_centred_affine import PersonCentredRandomAffine
from .topdown_transforms import TopdownAffine, get_udp_warp_matrix

__all__ = [
    'GenerateInvalidMask', 'BottomupRandomAffine', 'BottomupResize',
    'RandomChannelScale', 'GetBBoxCenterScale', 'RandomFlip', 'RandomHalfBody',
    'RandomBBoxTransform', 'GenerateTarget', 'PackPoseInputs',
    'image_to_tensor', 'LoadImage', 'ImageLoadError', 'ImageNotFoundError',
    'CorruptImageError', 'decode_image', 'PersonCentredRandomAffine',
    'TopdownAffine', 'get_udp_warp_matrix'
]
