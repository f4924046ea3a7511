"""Heatmap <-> input coordinate conventions of heatmap codecs.

A heatmap codec maps heatmap pixels to input-crop pixels with stride
``s = input_size / heatmap_size`` (per axis) and an offset ``o``::

    x_in = (x_hm + o) * s - o

- kp_ext (:class:`GaussianHeatmap`, :class:`SoftArgmax`): ``o = 0.5``,
  pixel centres at integers in both images (heatmap pixel ``j`` is the
  centre of the input block ``[j s, (j + 1) s - 1]``). A horizontal flip
  of the crop is exactly a flip of the heatmap, so flip testing needs NO
  heatmap shift (MMPose's ``test_cfg.shift_heatmap=False``).
- MMPose's ``MSRAHeatmap`` / ``MegviiHeatmap``: ``o = 0`` (``x_in = x_hm
  s``); a flipped heatmap is misaligned by ``1 - 1/s`` heatmap pixels,
  which MMPose's configs approximate with ``shift_heatmap=True`` (1 px).
- MMPose's ``UDPHeatmap``: ``x_hm = x_in (W - 1) / (w - 1)`` (aligned
  corners): not of this form; flip needs no shift.

Encoding with one convention and decoding with another moves every point
by :func:`decode_shift` (``(o_dec - o_enc)(s - 1)`` input pixels: -1.5 px
at stride 4 for kp_ext targets read by ``MSRAHeatmap``).

kp_ext codecs state their convention in the public attributes
``heatmap_offset`` and ``flip_shift_heatmap``; MMPose's codecs, which have
no such attributes, are recognised by class name (:data:`MMPOSE_CONVENTIONS`).
"""
from typing import Optional, Tuple

import numpy as np

__all__ = ['MMPOSE_CONVENTIONS', 'heatmap_convention', 'decode_shift']

# MMPose 1.3 codec class -> (heatmap_offset or None, flip_shift_heatmap),
# read from mmpose/codecs/{msra,megvii,udp}_heatmap.py and the
# ``shift_heatmap`` of MMPose's td-hm configs that use them
MMPOSE_CONVENTIONS = {
    'MSRAHeatmap': (0.0, True),
    'MegviiHeatmap': (0.0, True),
    'UDPHeatmap': (None, False),
}


def heatmap_convention(codec) -> Tuple[Optional[float], Optional[bool]]:
    """``(heatmap_offset, flip_shift_heatmap)`` of a codec: its public
    attributes (kp_ext codecs), else MMPose's known conventions by class
    name, else ``(None, None)`` (unknown)."""
    if hasattr(codec, 'heatmap_offset') or \
            hasattr(codec, 'flip_shift_heatmap'):
        offset = getattr(codec, 'heatmap_offset', None)
        return (None if offset is None else float(offset),
                getattr(codec, 'flip_shift_heatmap', None))
    return MMPOSE_CONVENTIONS.get(type(codec).__name__, (None, None))


def _stride(codec) -> np.ndarray:
    return (np.asarray(codec.input_size, dtype=np.float64)
            / np.asarray(codec.heatmap_size, dtype=np.float64))


def decode_shift(encoder, decoder) -> np.ndarray:
    """Input-pixel shift (x, y) of the points when ``encoder``'s targets
    are decoded by ``decoder``: ``(o_dec - o_enc)(s - 1)``. Raises
    ``ValueError`` when the strides differ or a convention is unknown."""
    s_enc, s_dec = _stride(encoder), _stride(decoder)
    if not np.allclose(s_enc, s_dec):
        raise ValueError(f'{type(encoder).__name__} stride {s_enc} and '
                         f'{type(decoder).__name__} stride {s_dec} differ')
    o_enc, _ = heatmap_convention(encoder)
    o_dec, _ = heatmap_convention(decoder)
    for codec, o in ((encoder, o_enc), (decoder, o_dec)):
        if o is None:
            raise ValueError(f'{type(codec).__name__} has no '
                             'x_in = (x_hm + o) s - o convention '
                             '(heatmap_offset)')
    return (o_dec - o_enc) * (s_enc - 1.0)
