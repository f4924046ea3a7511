"""``PartAffinityFieldHead``: the one-name interface that picks an OpenPose
head by ``arch`` (the configs and code written before the heads were one
class per network)."""
from typing import Optional

from kp_ext.registry import MODELS
from .base_paf_head import BasePAFHead
from .openpose2017_head import OpenPose2017Head
from .openpose2019_head import OpenPose2019Head
from .paf_split_head import PAFSplitHead

__all__ = ['PartAffinityFieldHead']

_HEADS = {'2017': OpenPose2017Head, '2019': OpenPose2019Head,
          None: PAFSplitHead}
# the network arguments each head takes; the single class took them all and
# ignored those of the other networks
_NETWORK_ARGS = {
    '2017': {'in_channels', 'num_stages', 'stage_channels', 'mid_channels',
             'norm_cfg', 'act_cfg', 'out_init_std'},
    '2019': {'in_channels', 'num_paf_stages', 'num_cm_stages',
             'stage_channels', 'mid_channels', 'num_dense_blocks',
             'norm_cfg', 'act_cfg', 'out_init_std'},
    None: {'in_channels', 'num_stages'},
}
_ALL_NETWORK_ARGS = set().union(*_NETWORK_ARGS.values())


def PartAffinityFieldHead(arch: Optional[str] = '2017',  # noqa: N802
                          **kwargs) -> BasePAFHead:
    """OpenPose head chosen by ``arch``: ``'2017'``
    (:class:`OpenPose2017Head`, CVPR 2017), ``'2019'``
    (:class:`OpenPose2019Head`, TPAMI 2019) or None
    (:class:`PAFSplitHead`, the backbone predicts the maps).

    The other arguments are the chosen head's; network arguments of the
    other two (e.g. ``num_paf_stages`` with ``arch='2017'``) are ignored, as
    the single class of the same name did.
    """
    if arch is not None:
        arch = str(arch)
    if arch not in _HEADS:
        raise ValueError(f"arch must be '2017', '2019' or None, got "
                         f'{arch!r}')
    unused = (_ALL_NETWORK_ARGS - _NETWORK_ARGS[arch]) & set(kwargs)
    kwargs = {k: v for k, v in kwargs.items() if k not in unused}
    if arch is not None and kwargs.get('in_channels') is None:
        raise ValueError(f'arch={arch!r} needs in_channels (backbone '
                         'feature channels)')
    return _HEADS[arch](**kwargs)


MODELS.register_module(name='PartAffinityFieldHead',
                       module=PartAffinityFieldHead)
