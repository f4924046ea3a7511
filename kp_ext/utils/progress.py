"""The project's one progress bar: mmengine's ``ProgressBar`` on stderr.

Long loops outside a Runner (inference over a folder or a video, dataset
conversion, benchmarks over a dataset) wrap their iterable in
:func:`track`; a Runner's loops print mmengine's progress lines with ETA
instead (``LoggerHook``). No tqdm: mmengine's bar is already installed and
is what MMPose's tools use. Stdout stays for results; the bar writes to
stderr and at most every ``min_interval`` seconds (a 25,000-entry loop
does not write 25,000 lines into a captured log).
"""
import sys
import time
from typing import Iterable, Iterator, Optional, TypeVar

from mmengine.utils import ProgressBar

__all__ = ['track']

T = TypeVar('T')


def track(items: Iterable[T], total: Optional[int] = None, *,
          file=None, min_interval: float = 0.2,
          min_total: int = 2) -> Iterator[T]:
    """Yield ``items`` while a ``ProgressBar`` counts them (done / total,
    tasks/s, elapsed, ETA). ``total`` defaults to ``len(items)`` (a bar
    without a total counts only); fewer than ``min_total`` items draw no
    bar. The bar ends with a newline, also when the loop stops early."""
    if total is None:
        try:
            total = len(items)
        except TypeError:
            total = 0
    if 0 < total < min_total:
        yield from items
        return
    stream = file if file is not None else sys.stderr
    bar = ProgressBar(total, file=stream)
    pending, last = 0, time.monotonic()
    try:
        for item in items:
            yield item
            pending += 1
            now = time.monotonic()
            if now - last >= min_interval:
                bar.update(pending)
                pending, last = 0, now
    finally:
        if pending:
            bar.update(pending)
        stream.write('\n')
        stream.flush()
