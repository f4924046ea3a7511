"""What an inference input names: images, folders, lists, arrays, videos.

``resolve_inputs`` turns a path (image, video or folder), a numpy image or a
list of these into :class:`Source` s, rejecting unsupported file types,
missing paths and folders without images with an error naming the input.
``VideoFrames`` reads a video with OpenCV and refuses one that cannot be
opened or has no readable frame.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Iterator, List, Union

import cv2
import numpy as np

__all__ = [
    'IMAGE_EXTENSIONS', 'VIDEO_EXTENSIONS', 'InputError', 'Source',
    'resolve_inputs', 'VideoFrames'
]

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff',
                    '.webp', '.ppm', '.pgm', '.pbm')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v',
                    '.mpg', '.mpeg', '.wmv')


class InputError(ValueError):
    """An inference input that cannot be used (the message names it)."""


@dataclass
class Source:
    """One input: ``kind`` 'image' (``value`` a path), 'array' (``value`` an
    (H, W[, C]) numpy image) or 'video' (``value`` a path); ``name`` is what
    messages and output files call it."""
    kind: str
    value: Union[str, np.ndarray]
    name: str


def _file_source(path: str) -> Source:
    ext = osp.splitext(path)[1].lower()
    if ext in IMAGE_EXTENSIONS:
        return Source('image', path, path)
    if ext in VIDEO_EXTENSIONS:
        return Source('video', path, path)
    raise InputError(
        f'unsupported file type {ext or "(no extension)"!r}: {path!r}; '
        f'images: {" ".join(IMAGE_EXTENSIONS)}; videos: '
        f'{" ".join(VIDEO_EXTENSIONS)}')


def _folder_sources(folder: str) -> List[Source]:
    names = sorted(os.listdir(folder))
    images = [osp.join(folder, n) for n in names
              if osp.splitext(n)[1].lower() in IMAGE_EXTENSIONS
              and osp.isfile(osp.join(folder, n))]
    if not images:
        raise InputError(
            f'folder {folder!r} has no images ({len(names)} entries; '
            f'image types: {" ".join(IMAGE_EXTENSIONS)})')
    return [Source('image', p, p) for p in images]


def resolve_inputs(inputs) -> List[Source]:
    """Sources of a path, a numpy image or a list/tuple of these.

    A folder gives its image files (sorted by name, not recursive; other
    files are ignored); a file is an image or a video by its extension.
    """
    if isinstance(inputs, np.ndarray):
        return [Source('array', inputs, 'array')]
    if isinstance(inputs, (str, os.PathLike)):
        path = os.fspath(inputs)
        if osp.isdir(path):
            return _folder_sources(path)
        if not osp.exists(path):
            raise InputError(f'input not found: {path!r}')
        return [_file_source(path)]
    if isinstance(inputs, (list, tuple)):
        if not inputs:
            raise InputError('empty list of inputs')
        sources = []
        for i, item in enumerate(inputs):
            if isinstance(item, np.ndarray):
                sources.append(Source('array', item, f'array {i}'))
            else:
                sources.extend(resolve_inputs(item))
        return sources
    raise InputError(f'inputs must be a path, a numpy image or a list of '
                     f'these, got {type(inputs).__name__}')


class VideoFrames:
    """BGR frames of a video file (OpenCV), with its ``fps``, ``size``
    (w, h) and announced ``num_frames`` (0 when unknown)."""

    def __init__(self, path: str):
        self.path = path
        self._cap = cv2.VideoCapture(path)
        if not self._cap.isOpened():
            raise InputError(f'cannot open video {path!r} (unreadable or '
                             'not a video OpenCV can decode)')
        ok, frame = self._cap.read()
        if not ok or frame is None:
            self._cap.release()
            raise InputError(f'video {path!r} has no readable frame (empty '
                             'or corrupt)')
        self._first = frame
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and np.isfinite(fps) and fps > 0 \
            else 25.0
        self.size = (frame.shape[1], frame.shape[0])
        self.num_frames = max(0, int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT)))

    def close(self) -> None:
        self._cap.release()

    def __iter__(self) -> Iterator[np.ndarray]:
        try:
            frame, self._first = self._first, None
            while frame is not None:
                yield frame
                ok, frame = self._cap.read()
                if not ok:
                    frame = None
        finally:
            self._cap.release()
