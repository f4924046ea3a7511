"""kp_ext: keypoint detection components on mmengine, in the style of MMPose."""
from .utils.checkpoint import (register_checkpoint_loader,
                               register_checkpoint_safe_globals)
from .version import __version__

# mmengine 0.10 checkpoints hold numpy scalars/arrays and mmengine objects;
# torch >= 2.6 loads with weights_only=True and refuses them unless the
# exact types are allow-listed (see kp_ext/utils/checkpoint.py).
register_checkpoint_safe_globals()
# empty / truncated / foreign checkpoint files: errors that name the file
register_checkpoint_loader()

__all__ = ['__version__', 'register_checkpoint_safe_globals']
