"""Wall time per stage of an inference loop, and frames per second.

Stages (``tools/infer.py`` prints them for videos and cameras):

- ``decode``: reading the frame (video decoding, camera capture) or the
  image file;
- ``preprocess``: the config's test pipeline (resize, pad), the data
  preprocessor (normalise, batch) and the mapping of the predictions back
  to the image: what the estimator does around the network and the
  grouping;
- ``network``: the backbone and head forward (PyTorch or onnxruntime),
  flip test included;
- ``grouping``: the head's decoding of the maps (PAF grouping for
  bottom-up models: :meth:`BasePAFHead.predict_from_maps`);
- ``drawing``: the skeletons drawn on the frame;
- ``writing``: the caller's output (video file, JSON lines).

Stages nest: time spent in an inner stage (``network`` inside
``preprocess``) counts for the inner one only, so the stages add up to
the timed wall time. :meth:`StageTimer.instrument` times ``network`` and
``grouping`` by wrapping the model's public ``extract_feat`` and the
head's ``predict_maps`` / ``predict_from_maps`` on the instance (undone
by the function it returns).
"""
import contextlib
import functools
import time
from collections import OrderedDict
from typing import Callable

__all__ = ['StageTimer', 'STAGES']

STAGES = ('decode', 'preprocess', 'network', 'grouping', 'drawing',
          'writing')


class StageTimer:
    """Exclusive wall time per stage (module doc) and a frame count."""

    def __init__(self):
        self.seconds = OrderedDict((s, 0.0) for s in STAGES)
        self.frames = 0
        self._stack = []  # [stage, start, time of inner stages]

    @contextlib.contextmanager
    def stage(self, name: str):
        """Time the block as ``name`` (minus nested stages)."""
        if name not in self.seconds:
            self.seconds[name] = 0.0
        self._stack.append([name, time.perf_counter(), 0.0])
        try:
            yield
        finally:
            _, start, inner = self._stack.pop()
            total = time.perf_counter() - start
            self.seconds[name] += total - inner
            if self._stack:
                self._stack[-1][2] += total

    def wrap(self, fn: Callable, name: str) -> Callable:
        """``fn`` timed as stage ``name``."""
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            with self.stage(name):
                return fn(*args, **kwargs)
        timed._kp_ext_timed = fn
        return timed

    def instrument(self, model) -> Callable[[], None]:
        """Time ``model``'s network and grouping (module doc); returns the
        function that removes the wrappers."""
        undo = []

        def patch(obj, attr, name):
            had = attr in vars(obj)
            original = vars(obj).get(attr)
            setattr(obj, attr, self.wrap(getattr(obj, attr), name))
            undo.append((obj, attr, had, original))

        patch(model, 'extract_feat', 'network')
        head = getattr(model, 'head', None)
        if head is not None and hasattr(head, 'predict_from_maps'):
            patch(head, 'predict_maps', 'network')
            patch(head, 'predict_from_maps', 'grouping')

        def restore():
            for obj, attr, had, original in reversed(undo):
                if had:
                    setattr(obj, attr, original)
                else:
                    delattr(obj, attr)
        return restore

    def summary(self, wall_seconds: float) -> str:
        """One line: ms per frame of every stage that took time, and the
        end-to-end frames/s over ``wall_seconds``."""
        n = max(1, self.frames)
        parts = [f'{name} {sec / n * 1e3:.1f}'
                 for name, sec in self.seconds.items() if sec > 0]
        fps = self.frames / wall_seconds if wall_seconds > 0 else 0.0
        other = wall_seconds - sum(self.seconds.values())
        if other > 0:
            parts.append(f'other {other / n * 1e3:.1f}')
        return (f'{self.frames} frame(s): ' + ', '.join(parts) +
                f' ms/frame; end to end {fps:.1f} frames/s '
                f'({wall_seconds / n * 1e3:.1f} ms/frame)')
