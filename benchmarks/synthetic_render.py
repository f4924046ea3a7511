"""Rendering time of the built-in synthetic data (CPU, one thread).

Times ``render_people_scene`` (one person, 256x256: the top-down
quickstart) and ``render_crowd_scene`` (20 people, 368x368: the bottom-up
quickstart) on fixed seeds and prints milliseconds per image; the best of
``--rounds`` rounds is reported with the median, so background load on a
shared machine shows up as a spread.

    OMP_NUM_THREADS=1 python benchmarks/synthetic_render.py
    python benchmarks/synthetic_render.py --people 200 --crowds 40 --rounds 5
"""
import argparse
import statistics
import time

import numpy as np

from kp_ext.datasets.synthetic import render_crowd_scene, render_people_scene


def _ms_per_image(render, n: int) -> float:
    t = time.perf_counter()
    for i in range(n):
        render(np.random.default_rng([0, i]))
    return (time.perf_counter() - t) / n * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--people', type=int, default=100,
                        help='single-person scenes per round')
    parser.add_argument('--crowds', type=int, default=20,
                        help='20-person crowd scenes per round')
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args(argv)
    cases = [
        ('people 256x256', render_people_scene, args.people),
        ('crowd 368x368 x20 people',
         lambda rng: render_crowd_scene(rng, num_people=20), args.crowds),
    ]
    for name, render, n in cases:
        times = [_ms_per_image(render, n) for _ in range(args.rounds)]
        print(f'synthetic render, {name}: best {min(times):.2f} ms/img, '
              f'median {statistics.median(times):.2f} ms/img '
              f'({n} images x {args.rounds} rounds)')


if __name__ == '__main__':
    main()
