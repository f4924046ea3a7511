"""Command-line checks shared by the tools (``tools/train.py``,
``tools/test.py``, ...): errors that name the argument or config key at
fault instead of a traceback from deep inside mmengine.
"""
from argparse import ArgumentParser, Namespace

from mmengine.config import Config, DictAction

__all__ = ['CfgOptionsAction', 'check_config']


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` (``--cfg-options key=value ...``) that
    rejects an item without ``=`` through ``parser.error`` (mmengine raises
    ``ValueError: not enough values to unpack``)."""

    def __call__(self, parser: ArgumentParser, namespace: Namespace,
                 values, option_string=None):
        for item in values or []:
            key = item.split('=', 1)[0]
            if '=' not in item or not key:
                parser.error(f'{option_string or self.dest}: {item!r} is not '
                             'KEY=VALUE (e.g. train_dataloader.batch_size=8)')
        super().__call__(parser, namespace, values, option_string)


def check_config(cfg: Config, filename: str) -> Config:
    """The checks every tool needs once the command line is merged into the
    config (read from ``filename``): ``model`` is a dict with a ``type``.

    (A config is Python: ``Config.fromfile`` runs its code and its
    ``custom_imports``, so load only configs you trust.)
    """
    model = cfg.get('model')
    if not model or not hasattr(model, 'get') or not model.get('type'):
        raise ValueError(f'{filename}: `model` must be a dict with a '
                         f'registered `type` (e.g. TopdownPoseEstimator), '
                         f'got {model!r}')
    return cfg
