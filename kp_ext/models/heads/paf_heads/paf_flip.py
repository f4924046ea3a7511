"""Horizontal flip of part affinity fields (OpenPose test-time flip).

A PAF tensor has two channels per limb, ``(2l, 2l + 1)`` = (x, y) of the
unit vector pointing from part ``a`` to part ``b`` of limb ``l = (a, b)``
(the layout of :class:`kp_ext.codecs.PartAffinityField`).

Let the image be mirrored horizontally. Keypoint ``k`` of the mirrored
person is the mirror image of keypoint ``flip[k]`` of the original one
(``flip = flip_indices``), so limb ``(a, b)`` of the mirrored person is the
mirror image of the original limb ``(flip[a], flip[b])``. Mirroring maps a
vector ``(vx, vy)`` to ``(-vx, vy)``. Hence, at mirrored pixel ``p'``::

    PAF'_(a,b)(p') = M(PAF_(fa,fb)(p)),   M(vx, vy) = (-vx, vy)

- if ``(fa, fb)`` is stored as limb ``m``: channels of ``m``, x negated;
- if it is stored reversed, as ``(fb, fa)`` = limb ``m``, its field points
  the other way, ``PAF_(fa,fb) = -PAF_m``, so the result is
  ``M(-PAF_m) = (vx_m, -vy_m)``: y negated.

The mapping ``l -> m`` is an involution (flipping twice is the identity),
so :func:`flip_pafs` also brings maps predicted on a flipped image back to
the original frame (test-time flip), just like
:func:`kp_ext.models.utils.tta.flip_heatmaps` for the confidence maps.
"""
from typing import List, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

__all__ = ['get_limb_flip_map', 'flip_pafs']


def get_limb_flip_map(limbs: Sequence[Sequence[int]],
                      flip_indices: Sequence[int]
                      ) -> Tuple[List[int], List[float], List[float]]:
    """Limb permutation and component signs of a horizontal flip.

    Args:
        limbs: all PAF limbs as (a, b) keypoint index pairs, in channel
            order (tree limbs then redundant limbs).
        flip_indices: ``flip_indices[k]`` is the left/right partner of
            keypoint ``k`` (or ``k``).

    Returns:
        ``(src, sign_x, sign_y)``: limb ``l`` of the flipped field takes the
        channels of limb ``src[l]`` multiplied by ``(sign_x[l], sign_y[l])``
        (``(-1, 1)`` when the mirrored limb is stored in the same direction,
        ``(1, -1)`` when stored reversed).

    Raises:
        ValueError: when a mirrored limb is not in ``limbs`` (the limb set
            must be closed under the left/right swap), or a limb is listed
            twice.
    """
    limbs = [(int(a), int(b)) for a, b in limbs]
    flip_indices = [int(i) for i in flip_indices]
    index = {}
    for i, lb in enumerate(limbs):
        if lb in index or lb[::-1] in index:
            raise ValueError(f'limb {lb} is listed twice (limbs must be '
                             'unique, in either direction)')
        index[lb] = i
    k = len(flip_indices)
    src, sign_x, sign_y = [], [], []
    for a, b in limbs:
        if a >= k or b >= k:
            raise ValueError(f'limb {(a, b)} indexes a keypoint >= '
                             f'{k} (len(flip_indices))')
        fa, fb = flip_indices[a], flip_indices[b]
        if (fa, fb) in index:
            src.append(index[(fa, fb)])
            sign_x.append(-1.0)
            sign_y.append(1.0)
        elif (fb, fa) in index:
            src.append(index[(fb, fa)])
            sign_x.append(1.0)
            sign_y.append(-1.0)
        else:
            raise ValueError(
                f'the mirror image of limb {(a, b)} is {(fa, fb)}, which is '
                'not among the limbs in either direction; the PAF limb set '
                'must be closed under the left/right swap to flip PAFs')
    return src, sign_x, sign_y


def flip_pafs(pafs: Union[Tensor, np.ndarray],
              limbs: Sequence[Sequence[int]],
              flip_indices: Sequence[int]) -> Union[Tensor, np.ndarray]:
    """Horizontally flip a PAF tensor (see the module docstring).

    Args:
        pafs: (..., 2L, H, W) tensor or array (e.g. (B, 2L, H, W) network
            outputs or a (2L, H, W) target), channels ``(2l, 2l+1)`` = (x, y)
            of limb ``l``.
        limbs: the L limbs (a, b) in channel order.
        flip_indices: keypoint flip indices.

    Returns:
        The PAFs of the mirrored image, same type and shape.
    """
    if pafs.ndim < 3:
        raise ValueError(f'pafs must be (..., 2L, H, W), got shape '
                         f'{tuple(pafs.shape)}')
    num_limbs = len(limbs)
    if pafs.shape[-3] != 2 * num_limbs:
        raise ValueError(f'pafs have {pafs.shape[-3]} channels, expected '
                         f'2 * {num_limbs} limbs = {2 * num_limbs}')
    src, sign_x, sign_y = get_limb_flip_map(limbs, flip_indices)
    channels = []
    signs = []
    for m, sx, sy in zip(src, sign_x, sign_y):
        channels += [2 * m, 2 * m + 1]
        signs += [sx, sy]
    if isinstance(pafs, Tensor):
        idx = torch.as_tensor(channels, device=pafs.device)
        sign = torch.as_tensor(signs, dtype=pafs.dtype, device=pafs.device)
        out = pafs.flip(-1).index_select(pafs.ndim - 3, idx)
        return out * sign.reshape(-1, 1, 1)
    pafs = np.asarray(pafs)
    out = np.flip(pafs, axis=-1)[..., channels, :, :]
    return (out * np.asarray(signs, dtype=pafs.dtype).reshape(-1, 1, 1)
            ).astype(pafs.dtype, copy=False)
