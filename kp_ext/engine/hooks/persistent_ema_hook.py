"""mmengine's ``EMAHook`` whose weight average survives ``runner.test()``.

``EMAHook`` keeps an exponential moving average of the weights, swaps it in
for validation/testing and saves it as the checkpoint's ``state_dict``.
Its ``before_run`` builds the average afresh from the live weights, and
mmengine's ``Runner.test()`` / ``Runner.val()`` call ``before_run`` again:
testing a runner right after ``runner.train()`` (as ``tools/fse_benchmark.py``
and the quickstarts do) therefore evaluated the raw final weights, not the
average. :class:`PersistentEMAHook` keeps the average it already has for the
same model; everything else (momentum, ``update_buffers``, checkpoints,
resume) is ``EMAHook``'s.
"""
from mmengine.hooks import EMAHook
from mmengine.model import is_model_wrapper

from kp_ext.registry import HOOKS


@HOOKS.register_module()
class PersistentEMAHook(EMAHook):
    """``EMAHook`` that is not reset by ``runner.test()``/``runner.val()``
    after training. Same arguments as ``mmengine.hooks.EMAHook``."""

    def before_run(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        if getattr(self, 'ema_model', None) is not None and \
                getattr(self, 'src_model', None) is model:
            return
        super().before_run(runner)
