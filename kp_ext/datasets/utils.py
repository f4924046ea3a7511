"""Dataset helpers: natural file-name order and deterministic splits.

(Annotation json files are read by :func:`kp_ext.utils.load_json`, metainfo
files parsed by :func:`kp_ext.structures.parse_pose_metainfo`.)
"""
import hashlib
import re
from typing import Iterable, Optional, Sequence, Union

__all__ = ['deterministic_split', 'natural_sort_key']


def natural_sort_key(text: str):
    """Sort key treating digit runs as numbers (``img2`` < ``img10``)."""
    return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', text)]


def deterministic_split(keys: Iterable[str],
                        val_fraction: float = 0.2,
                        seed: Union[int, str] = 0,
                        val_keys: Optional[Sequence[str]] = None):
    """Split unique string keys (identities, image groups) into train/val.

    Without ``val_keys``, keys are ordered by the MD5 of ``f'{seed}:{key}'``
    and the first ``round(val_fraction * n)`` (at least 1 and at most
    ``n - 1`` when ``0 < val_fraction < 1`` and ``n >= 2``) go to val: the
    result depends only on the key set and the seed, never on file order or
    on a global random state. With ``val_keys`` exactly those go to val
    (unknown keys raise ``ValueError``).

    Returns:
        (train_keys, val_keys): two sorted lists.
    """
    keys = sorted(set(keys))
    if val_keys is not None:
        val = set(val_keys)
        unknown = sorted(val - set(keys))
        if unknown:
            raise ValueError(f'val keys not in the data: {unknown[:10]}')
    else:
        if not 0.0 <= val_fraction <= 1.0:
            raise ValueError(f'val_fraction must be in [0, 1], got '
                             f'{val_fraction}')
        n = len(keys)
        n_val = int(round(val_fraction * n))
        if 0.0 < val_fraction < 1.0 and n >= 2:
            n_val = min(max(n_val, 1), n - 1)
        order = sorted(
            keys,
            key=lambda k: hashlib.md5(f'{seed}:{k}'.encode()).hexdigest())
        val = set(order[:n_val])
    return [k for k in keys if k not in val], sorted(val)
