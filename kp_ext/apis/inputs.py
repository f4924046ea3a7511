"""What an inference input names: images, folders, lists, arrays, videos.

``resolve_inputs`` turns a path (image, video or folder), a numpy image or a
list of these into :class:`Source` s, rejecting unsupported file types,
missing paths and folders without images with an error naming the input.
``VideoFrames`` reads a video with OpenCV and refuses one that cannot be
opened or has no readable frame. A camera is named by its OpenCV index
(``'0'``, ``'1'``, ...: a string of digits that is not an existing file) or
a device path (``/dev/video0``); it becomes a ``'camera'`` source that
``VideoFrames`` opens like a video (frames until the camera stops or the
caller does), or refuses in one line where OpenCV cannot open it (no such
device, no permission, or an OpenCV built without camera support).
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Iterator, List, Optional, Union

import cv2
import numpy as np

__all__ = [
    'IMAGE_EXTENSIONS', 'VIDEO_EXTENSIONS', 'InputError', 'Source',
    'camera_source', 'resolve_inputs', 'VideoFrames'
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
    (H, W[, C]) numpy image), 'video' (``value`` a path) or 'camera'
    (``value`` an OpenCV index or a device path); ``name`` is what messages
    and output files call it."""
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


def camera_source(path: str) -> Optional[Source]:
    """The camera ``path`` names (module doc), else None."""
    if path.isdigit() and not osp.exists(path):
        return Source('camera', int(path), f'camera{path}')
    if path.startswith('/dev/video'):
        return Source('camera', path, path)
    return None


def resolve_inputs(inputs) -> List[Source]:
    """Sources of a path, a numpy image or a list/tuple of these.

    A folder gives its image files (sorted by name, not recursive; other
    files are ignored); a file is an image or a video by its extension.
    """
    if isinstance(inputs, np.ndarray):
        return [Source('array', inputs, 'array')]
    if isinstance(inputs, (str, os.PathLike)):
        path = os.fspath(inputs)
        camera = camera_source(path)
        if camera is not None:
            return [camera]
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


def _open_capture(source, camera: bool):
    """``cv2.VideoCapture(source)`` with OpenCV's own log quiet while a
    camera is tried (its backends' warnings would bury the one-line
    error)."""
    if not camera:
        return cv2.VideoCapture(source)
    logging = getattr(getattr(cv2, 'utils', None), 'logging', None)
    level = logging.getLogLevel() if logging is not None else None
    if logging is not None:
        logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        if isinstance(source, str) and hasattr(cv2, 'CAP_V4L2'):
            # a device path: V4L2 directly (FFmpeg would log its own error)
            return cv2.VideoCapture(source, cv2.CAP_V4L2)
        return cv2.VideoCapture(source)
    finally:
        if logging is not None:
            logging.setLogLevel(level)


class VideoFrames:
    """BGR frames of a video file or a camera (OpenCV), with its ``fps``,
    ``size`` (w, h) and announced ``num_frames`` (0 when unknown, e.g. a
    camera). ``path``: a file path, an OpenCV camera index (int) or a
    device path (``/dev/video0``)."""

    def __init__(self, path: Union[str, int]):
        self.path = path
        camera = isinstance(path, int) or str(path).startswith('/dev/video')
        self.is_camera = camera
        self._cap = _open_capture(path, camera)
        if camera and not self._cap.isOpened():
            raise InputError(
                f'cannot open camera {path!r}: OpenCV found no camera there '
                '(no such device, no permission, or an OpenCV built without '
                'camera support); give a video file or an image instead')
        if not self._cap.isOpened():
            raise InputError(f'cannot open video {path!r} (unreadable or '
                             'not a video OpenCV can decode)')
        ok, frame = self._cap.read()
        if not ok or frame is None:
            self._cap.release()
            if camera:
                raise InputError(f'camera {path!r} opened but gave no frame')
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
