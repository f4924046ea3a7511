"""kp_ext registries: children of mmengine's roots, scope ``kp_ext``.

As in MMPose, every registry names the package ``locations`` that hold its
modules, so ``Registry.build`` imports them lazily; ``KEYPOINT_CODECS`` is a
root of its own (codecs are pure numpy and know nothing of models) --
except where MMPose 1.x is installed: then it is linked as the ``kp_ext``
child of MMPose's root ``KEYPOINT_CODECS`` (:func:`link_codec_registry`),
so MMPose builds ``dict(type='kp_ext.GaussianHeatmap')`` and kp_ext builds
``dict(type='mmpose.MSRAHeatmap')`` (or an unprefixed MMPose name, found in
the parent). MMPose stays optional: nothing else imports it.
"""
import importlib.util
import warnings

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

from kp_ext.utils.package import check_not_namespace_package

# a folder named kp_ext (the checkout) shadowing the package: say so here,
# not as a weights-only unpickling error much later
check_not_namespace_package()

RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS)
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMENGINE_RUNNER_CONSTRUCTORS)
LOOPS = Registry('loop', parent=MMENGINE_LOOPS)
HOOKS = Registry(
    'hook', parent=MMENGINE_HOOKS, locations=['kp_ext.engine.hooks'])

DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, locations=['kp_ext.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS,
    locations=['kp_ext.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS,
    locations=['kp_ext.datasets.transforms'])

MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['kp_ext.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMENGINE_MODEL_WRAPPERS,
    locations=['kp_ext.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS,
    locations=['kp_ext.models'])

OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS)
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS)

METRICS = Registry(
    'metric', parent=MMENGINE_METRICS,
    locations=['kp_ext.evaluation.metrics'])
EVALUATOR = Registry(
    'evaluator', parent=MMENGINE_EVALUATOR, locations=['kp_ext.evaluation'])

TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS)

VISUALIZERS = Registry(
    'visualizer', parent=MMENGINE_VISUALIZERS,
    locations=['kp_ext.visualization'])
VISBACKENDS = Registry(
    'vis_backend', parent=MMENGINE_VISBACKENDS,
    locations=['kp_ext.visualization'])

LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS)
INFERENCERS = Registry(
    'inferencer', parent=MMENGINE_INFERENCERS, locations=['kp_ext.apis'])
FUNCTIONS = Registry(
    'function', parent=MMENGINE_FUNCTIONS, locations=['kp_ext.datasets'])

# Root registry of keypoint codecs (encode/decode, numpy only).
KEYPOINT_CODECS = Registry('KEYPOINT_CODECS', locations=['kp_ext.codecs'])


def link_codec_registry(parent: Registry) -> None:
    """Make kp_ext's ``KEYPOINT_CODECS`` the ``kp_ext`` child of another
    toolbox's root codec registry (MMPose's): each then builds the other's
    codecs by scope prefix. Idempotent; refuses a second, different parent.
    """
    if KEYPOINT_CODECS.parent is parent:
        return
    if KEYPOINT_CODECS.parent is not None:
        raise RuntimeError(
            'kp_ext KEYPOINT_CODECS is already linked to the '
            f'{KEYPOINT_CODECS.parent.scope!r} codec registry')
    if KEYPOINT_CODECS.scope in parent.children:
        raise RuntimeError(f'the {parent.scope!r} codec registry already has '
                           f'a {KEYPOINT_CODECS.scope!r} child')
    KEYPOINT_CODECS.parent = parent
    parent._add_child(KEYPOINT_CODECS)


def _link_mmpose_codecs() -> None:
    """Link to MMPose's codec registry when MMPose is installed."""
    if importlib.util.find_spec('mmpose') is None:
        return
    try:
        from mmpose.registry import KEYPOINT_CODECS as MMPOSE_CODECS
    except Exception as e:  # e.g. MMPose refusing the installed mmcv
        warnings.warn(f'kp_ext: MMPose is installed but mmpose.registry '
                      f'does not import ({type(e).__name__}: {e}); kp_ext '
                      'and MMPose codecs are not linked')
        return
    link_codec_registry(MMPOSE_CODECS)


_link_mmpose_codecs()
