"""Image loading (MMPose ``LoadImage`` interface).

``LoadImage`` reads ``results['img_path']`` (any mmengine file backend),
decodes by content (a PNG named ``.jpg`` still loads), and normalises the
array to what the rest of the pipeline expects: ``color_type='color'`` gives
a 3-channel BGR ``uint8`` image whatever the file held (grayscale, RGBA,
16-bit); ``'grayscale'`` gives (H, W); ``'unchanged'`` keeps the file's
channels and depth. In-memory samples that already carry ``img`` are kept
(normalised the same way) and not read from disk.

Missing, unreadable or truncated files raise an ``OSError`` naming the file
and the annotation id; with ``ignore_empty=True`` the transform logs a
warning and returns ``None`` so mmengine's ``BaseDataset`` fetches another
index instead. So do two silent failures of the decoder:

- a warning of the decoder (libjpeg prints "Corrupt JPEG data: premature
  end of data segment" to the process's stderr and returns an image whose
  lower part is junk): the file descriptor 2 output of the decode is
  collected and any text there is an error (``decoder_warnings='error'``);
- a decoded size that differs from the ``img_shape`` (h, w) the dataset
  declared (e.g. COCO's ``width``/``height``), on which boxes and
  bottom-up targets were computed.
"""
import logging
import os
import sys
import threading
from contextlib import contextmanager
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log

from kp_ext.registry import TRANSFORMS

__all__ = [
    'LoadImage', 'ImageLoadError', 'ImageNotFoundError', 'CorruptImageError',
    'decode_image'
]

_COLOR_TYPES = ('color', 'grayscale', 'unchanged')


class ImageLoadError(OSError):
    """An image file is missing, unreadable or truncated."""


class ImageNotFoundError(ImageLoadError, FileNotFoundError):
    """An image file does not exist."""


class CorruptImageError(ImageLoadError):
    """The decoder warned (corrupt data) or the size is not the declared
    one."""


_FD2_LOCK = threading.Lock()


@contextmanager
def _collect_fd2():
    """Collect what C code writes to file descriptor 2 inside the block
    (libjpeg / libpng report corrupt data there and decode anyway). Yields
    a list that holds the text afterwards. One block at a time per process
    (fd 2 is process-wide). The pipe's write end does not block: text
    beyond the pipe's capacity (64 KiB) is dropped, never waited on."""
    out = []
    with _FD2_LOCK:
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(write_fd, 2)
        try:
            yield out
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(write_fd)
            with os.fdopen(read_fd, 'rb') as pipe:
                out.append(pipe.read().decode('utf-8', 'replace').strip())


def decode_image(buf: bytes, flag: int, what: str,
                 decoder_warnings: str = 'error') -> np.ndarray:
    """``cv2.imdecode`` that raises ``CorruptImageError`` (naming
    ``what``) when the decoder prints a warning and
    ``decoder_warnings='error'``, and ``ImageLoadError`` when it returns
    nothing."""
    with _collect_fd2() as printed:
        img = cv2.imdecode(np.frombuffer(buf, dtype=np.uint8), flag)
    if img is None or img.size == 0:
        raise ImageLoadError(
            f'cannot decode image file {what} ({len(buf)} bytes; not a '
            'supported image format or corrupted)')
    if printed[0] and decoder_warnings == 'error':
        raise CorruptImageError(
            f'corrupt image file {what}: the decoder warned '
            f'{printed[0]!r} (pass decoder_warnings="ignore" to LoadImage '
            'to accept such files)')
    return img


def _describe(results: dict) -> str:
    """``'path' (annotation id 7)`` for error messages."""
    text = repr(results.get('img_path'))
    if results.get('id') is not None:
        text += f' (annotation id {results["id"]})'
    elif results.get('img_id') is not None:
        text += f' (image id {results["img_id"]})'
    return text


def _jpeg_truncated(buf: bytes) -> bool:
    """True for a JPEG stream without an end-of-image marker after its last
    start-of-scan (cv2 decodes such files silently, padding with grey)."""
    if not buf.startswith(b'\xff\xd8'):
        return False
    return buf.rfind(b'\xff\xd9') < buf.rfind(b'\xff\xda')


def _png_truncated(buf: bytes) -> bool:
    """True for a PNG stream that lacks its ``IEND`` chunk."""
    if not buf.startswith(b'\x89PNG\r\n\x1a\n'):
        return False
    return b'IEND' not in buf[-64:]


def _to_uint8(img: np.ndarray) -> np.ndarray:
    """Rescale a 16-bit (or 32-bit int) image to 8 bits; keep floats."""
    if img.dtype == np.uint8 or img.dtype.kind == 'f':
        return img
    if img.dtype == np.uint16:
        return (img.astype(np.float32) / 257.0).round().astype(np.uint8)
    if img.dtype.kind in 'iu':
        info = np.iinfo(img.dtype)
        scaled = (img.astype(np.float64) - info.min) / (info.max - info.min)
        return (scaled * 255.0).round().astype(np.uint8)
    if img.dtype == np.bool_:
        return img.astype(np.uint8) * 255
    raise TypeError(f'unsupported image dtype {img.dtype}')


def normalize_image(img: np.ndarray, color_type: str) -> np.ndarray:
    """Bring a decoded array to ``color_type``.

    ``'color'``: (H, W, 3) BGR; grayscale is replicated, an alpha channel is
    dropped (colour kept as stored, i.e. not composited), 16-bit data is
    rescaled to ``uint8``. ``'grayscale'``: (H, W). ``'unchanged'``: as is.
    """
    if color_type == 'unchanged':
        return img
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim not in (2, 3) or (img.ndim == 3
                                  and img.shape[2] not in (3, 4)):
        raise ValueError(f'cannot interpret an array of shape {img.shape} '
                         'as an image')
    img = _to_uint8(img)
    if color_type == 'color':
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        elif img.shape[2] == 4:
            img = img[..., :3]
        return np.ascontiguousarray(img)
    # grayscale
    if img.ndim == 3:
        if img.shape[2] == 4:
            img = img[..., :3]
        img = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2GRAY)
    return img


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """Load an image from ``results['img_path']`` (or keep ``results['img']``).

    Required keys: ``img_path`` (unless ``img`` is given).
    Added keys: ``img``, ``img_shape`` (h, w), ``ori_shape`` (h, w).

    Args:
        to_float32 (bool): Convert the image to ``float32``. Defaults to
            False (``uint8``).
        color_type (str): ``'color'`` (3-channel BGR), ``'grayscale'`` or
            ``'unchanged'``. Defaults to ``'color'``.
        imdecode_backend (str): Only ``'cv2'`` is supported (decoding is by
            content, not by file extension).
        ignore_empty (bool): Return ``None`` (and log a warning) instead of
            raising when the file is missing, cannot be decoded, makes the
            decoder warn or has another size than the declared
            ``img_shape`` (mmengine then fetches another sample).
        decoder_warnings (str): ``'error'`` (default): a warning printed
            by the decoder makes the file unreadable; ``'ignore'``: keep
            the decoded image.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self,
                 to_float32: bool = False,
                 color_type: str = 'color',
                 imdecode_backend: str = 'cv2',
                 ignore_empty: bool = False,
                 decoder_warnings: str = 'error',
                 *,
                 backend_args: Optional[dict] = None) -> None:
        if color_type not in _COLOR_TYPES:
            raise ValueError(f'color_type must be one of {_COLOR_TYPES}, '
                             f'got {color_type!r}')
        if imdecode_backend != 'cv2':
            raise ValueError('LoadImage only supports imdecode_backend='
                             f"'cv2', got {imdecode_backend!r}")
        if decoder_warnings not in ('error', 'ignore'):
            raise ValueError("decoder_warnings must be 'error' or 'ignore', "
                             f'got {decoder_warnings!r}')
        self.decoder_warnings = decoder_warnings
        self.to_float32 = to_float32
        self.color_type = color_type
        self.imdecode_backend = imdecode_backend
        self.ignore_empty = ignore_empty
        self.backend_args = backend_args.copy() if backend_args else None

    def _read(self, results: dict) -> np.ndarray:
        path = results.get('img_path')
        if path is None:
            raise KeyError('LoadImage needs "img_path" or "img" in results; '
                           f'got keys {sorted(results)}')
        try:
            buf = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError as e:
            raise ImageNotFoundError(
                f'image file not found: {_describe(results)}') from e
        except OSError as e:
            raise ImageLoadError(f'cannot read image file {_describe(results)}'
                                 f': {e}') from e
        if len(buf) == 0:
            raise ImageLoadError(f'empty image file {_describe(results)}')
        if _jpeg_truncated(buf) or _png_truncated(buf):
            raise ImageLoadError(
                f'truncated image file {_describe(results)}')
        flag = {
            'color': cv2.IMREAD_COLOR,
            'grayscale': cv2.IMREAD_GRAYSCALE,
            'unchanged': cv2.IMREAD_UNCHANGED
        }[self.color_type]
        img = decode_image(buf, flag, _describe(results),
                           self.decoder_warnings)
        declared = results.get('img_shape')
        if declared is not None and \
                tuple(int(v) for v in declared[:2]) != img.shape[:2]:
            raise CorruptImageError(
                f'image file {_describe(results)} decodes to '
                f'{img.shape[1]}x{img.shape[0]} (w x h) but the annotations '
                f'declare {int(declared[1])}x{int(declared[0])}')
        return img

    def transform(self, results: dict) -> Optional[dict]:
        if results.get('img') is not None:
            img = results['img']
            if not isinstance(img, np.ndarray):
                raise TypeError('results["img"] must be a numpy array, got '
                                f'{type(img).__name__} for '
                                f'{_describe(results)}')
            results.setdefault('img_path', None)
        else:
            try:
                img = self._read(results)
            except ImageLoadError as e:
                if not self.ignore_empty:
                    raise
                print_log(f'LoadImage: skipping sample: {e}',
                          logger='current', level=logging.WARNING)
                return None
        img = normalize_image(img, self.color_type)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_float32={self.to_float32}, '
                f"color_type='{self.color_type}', "
                f"imdecode_backend='{self.imdecode_backend}', "
                f'ignore_empty={self.ignore_empty}, '
                f"decoder_warnings='{self.decoder_warnings}', "
                f'backend_args={self.backend_args})')
