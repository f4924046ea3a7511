"""COCO segmentation masks in numpy (polygons, RLE, binary arrays), and
how a binary mask follows the image (flip, affine warp).

``xtcocotools.mask.decode``/``area`` crash under numpy 2 (they use the
removed ``np.NPY_OWNDATA``), so RLE runs are expanded here; polygons are
still rasterised by the COCO API (``frPyObjects``) for exact COCO
semantics.
"""
from typing import Optional, Tuple

import numpy as np

__all__ = [
    'rle_string_to_counts', 'decode_rle', 'segs_to_mask', 'flip_mask',
    'warp_mask'
]


def rle_string_to_counts(counts) -> np.ndarray:
    """Run lengths of a COCO compressed RLE string (``bytes`` or ``str``).

    The COCO encoding (``rleToString`` of the COCO API): each count is
    written as 5-bit groups, least significant first, each group + 48 as a
    character, bit 0x20 = "more groups follow", bit 0x10 of the last group
    = sign; from the third count on, the difference to the count two
    places before is stored.
    """
    if isinstance(counts, str):
        counts = counts.encode('ascii')
    out = []
    p, n = 0, len(counts)
    while p < n:
        x, k, more = 0, 0, True
        while more:
            if p >= n:
                raise ValueError('truncated RLE string')
            c = counts[p] - 48
            x |= (c & 0x1f) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(out) > 2:
            x += out[-2]
        out.append(x)
    return np.asarray(out, np.int64)


def decode_rle(counts, h: int, w: int) -> np.ndarray:
    """COCO RLE (run lengths of the column-major mask, zeros first; a list
    or a compressed string) -> uint8 (h, w) mask. Pure numpy (the installed
    ``xtcocotools.mask.decode`` does not work with NumPy 2)."""
    if isinstance(counts, (bytes, str)):
        counts = rle_string_to_counts(counts)
    counts = np.asarray(counts, np.int64).reshape(-1)
    if (counts < 0).any() or counts.sum() != h * w:
        raise ValueError(f'RLE run lengths sum to {int(counts.sum())}, '
                         f'expected h * w = {h * w}')
    values = np.arange(len(counts)) % 2
    flat = np.repeat(values.astype(np.uint8), counts)
    return flat.reshape(w, h).T.copy()


def segs_to_mask(segs, img_hw: Tuple[int, int],
                 where: str = 'sample') -> np.ndarray:
    """Rasterise COCO segmentations into a uint8 (H, W) mask (1 = inside).

    Polygons are rasterised by the COCO API (``frPyObjects``, exact COCO
    semantics) and every RLE is decoded with :func:`decode_rle`.

    Args:
        segs: a list of segmentations, each one a polygon list (``[[x1, y1,
            x2, y2, ...], ...]`` or one flat ``[x1, y1, ...]``), an
            uncompressed RLE (``dict(size=[h, w], counts=[...])``), a
            compressed RLE (``counts`` str/bytes) or a binary (H, W) array.
            ``None`` or an empty list gives an empty mask. A single dict is
            accepted as a one-element list.
        img_hw: (H, W) of the image the segmentations live in.
        where: text naming the sample in error messages.
    """
    import xtcocotools.mask as mask_util
    h, w = int(img_hw[0]), int(img_hw[1])
    out = np.zeros((h, w), np.uint8)
    if segs is None:
        return out
    if isinstance(segs, (dict, np.ndarray)):
        segs = [segs]
    for i, seg in enumerate(segs):
        if seg is None:
            continue
        if isinstance(seg, np.ndarray):
            if seg.shape != (h, w):
                raise ValueError(
                    f'invalid_segs[{i}] of {where}: binary mask of shape '
                    f'{seg.shape} does not match the image (h, w) {(h, w)}')
            out |= (seg > 0).astype(np.uint8)
            continue
        if isinstance(seg, dict):
            if 'counts' not in seg or 'size' not in seg:
                raise ValueError(f'invalid_segs[{i}] of {where}: RLE needs '
                                 '"size" and "counts"')
            size = tuple(int(v) for v in seg['size'])
            if size != (h, w):
                raise ValueError(
                    f'invalid_segs[{i}] of {where}: RLE size {size} does '
                    f'not match the image (h, w) {(h, w)}')
            try:
                m = decode_rle(seg['counts'], h, w)
            except ValueError as err:
                raise ValueError(f'invalid_segs[{i}] of {where}: {err}') \
                    from err
        elif isinstance(seg, (list, tuple)):
            if len(seg) == 0:
                continue
            polys = [seg] if np.isscalar(seg[0]) else list(seg)
            try:
                polys = [[float(v) for v in p] for p in polys]
            except (TypeError, ValueError) as err:
                raise ValueError(f'invalid_segs[{i}] of {where}: bad polygon '
                                 f'({err})') from err
            polys = [p for p in polys
                     if len(p) >= 6 and len(p) % 2 == 0 and
                     np.isfinite(p).all()]
            if not polys:
                continue
            m = np.zeros((h, w), np.uint8)
            for rle in mask_util.frPyObjects(polys, h, w):
                m |= decode_rle(rle['counts'], h, w)
        else:
            raise TypeError(f'invalid_segs[{i}] of {where}: unsupported '
                            f'segmentation type {type(seg).__name__}')
        out |= m
    return out


def flip_mask(mask: np.ndarray, direction: Optional[str]) -> np.ndarray:
    """Flip an (H, W) mask as ``RandomFlip`` flips the image:
    ``'horizontal'``, ``'vertical'``, ``'diagonal'`` (both); None: as is."""
    if direction == 'horizontal':
        return np.ascontiguousarray(mask[:, ::-1])
    if direction == 'vertical':
        return np.ascontiguousarray(mask[::-1])
    if direction == 'diagonal':
        return np.ascontiguousarray(mask[::-1, ::-1])
    if direction is None:
        return mask
    raise ValueError(f'unknown flip direction {direction!r}')


def warp_mask(mask: np.ndarray, warp_mat: np.ndarray,
              out_size: Tuple[int, int]) -> np.ndarray:
    """Warp a binary (H, W) mask with the 2x3 affine ``warp_mat`` (source ->
    output pixels) onto ``out_size`` (w, h): nearest neighbour (the mask
    stays binary), outside the source = 0."""
    import cv2
    return cv2.warpAffine(
        np.ascontiguousarray(mask, dtype=np.uint8),
        np.asarray(warp_mat, np.float64).reshape(2, 3),
        (int(out_size[0]), int(out_size[1])), flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT, borderValue=0)
