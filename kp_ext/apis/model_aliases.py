"""Model aliases: the ``Name`` (and optional ``Alias``) of every entry of
``configs/*/metafile.yml`` (MMPose's metafile shape) names its config.

``PoseInferencer('openpose_coco')``, ``init_model('hourglass_mpii')`` and
``tools/infer.py hourglass_synthetic CKPT IMG`` resolve through
:func:`resolve_config`; a path to an existing config file is used as it
is. kp_ext publishes no weights, so an alias gives a config only: pass the
checkpoint you trained (``weights=`` / ``CHECKPOINT``).
"""
import glob
import os.path as osp
from typing import Dict, Optional

__all__ = ['CONFIGS_DIR', 'model_aliases', 'resolve_config',
           'UnknownModelError']

#: ``configs/`` of the repository kp_ext is installed from (editable).
CONFIGS_DIR = osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'configs')


class UnknownModelError(FileNotFoundError):
    """Neither an existing config file nor a known model alias."""


def model_aliases(configs_dir: Optional[str] = None) -> Dict[str, str]:
    """``{alias: absolute config path}`` of every metafile entry under
    ``configs_dir`` (default :data:`CONFIGS_DIR`), by ``Name`` and
    ``Alias``; lower-case keys."""
    import yaml
    configs_dir = configs_dir or CONFIGS_DIR
    repo = osp.dirname(configs_dir)
    aliases = {}
    for path in sorted(glob.glob(osp.join(configs_dir, '**',
                                          'metafile.yml'), recursive=True)):
        with open(path) as f:
            meta = yaml.safe_load(f) or {}
        for entry in meta.get('Models') or []:
            config = entry.get('Config')
            if not config:
                continue
            names = [entry.get('Name')]
            extra = entry.get('Alias') or []
            names += [extra] if isinstance(extra, str) else list(extra)
            for name in names:
                if name:
                    aliases[str(name).lower()] = osp.join(repo, config)
    return aliases


def resolve_config(model: str, configs_dir: Optional[str] = None) -> str:
    """The config file of ``model``: ``model`` itself when it is an
    existing file, else the config of the metafile alias ``model``.

    Raises:
        UnknownModelError: naming ``model``, saying that no such file
            exists, and listing the known aliases.
    """
    if osp.isfile(model):
        return model
    aliases = model_aliases(configs_dir)
    path = aliases.get(str(model).lower())
    if path is not None:
        if not osp.isfile(path):
            raise UnknownModelError(
                f'model alias {model!r} names the config {path!r}, which '
                'does not exist (check the Config entry of its '
                'configs/*/metafile.yml)')
        return path
    known = ', '.join(sorted(aliases)) or (
        f'none (no configs/*/metafile.yml under {configs_dir or CONFIGS_DIR}'
        ')')
    raise UnknownModelError(
        f'config file {model!r} does not exist and {model!r} is not a known '
        f'model alias. Known aliases (configs/*/metafile.yml): {known}. '
        'kp_ext has no downloadable weights: an alias names a config; pass '
        'the checkpoint you trained')
