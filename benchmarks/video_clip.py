"""A short 640x480 test clip of synthetic people (kp_ext's renderer), for
measuring ``tools/infer.py``'s frames/s without a camera or data files.

    python benchmarks/video_clip.py OUT.mp4 [--frames 60] [--fps 25]
        [--size 640 480] [--people 6] [--seed 0]

One crowd scene (``render_crowd_scene``) rendered wider than the frame
and panned across it, 4 px per frame (mp4v codec): every frame has the
same people, moving as under a panning camera. Synthetic people only.
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np

__all__ = ['synthetic_clip']


def synthetic_clip(path: str, num_frames: int = 60, size=(640, 480),
                   fps: float = 25.0, num_people: int = 6, seed: int = 0,
                   step: int = 4) -> str:
    """Write the clip (module doc) to ``path``; returns ``path``."""
    from kp_ext.datasets.synthetic.scenes import render_crowd_scene
    if num_frames < 1:
        raise ValueError(f'num_frames must be >= 1, got {num_frames}')
    w, h = int(size[0]), int(size[1])
    wide = w + step * (num_frames - 1)
    img, _ = render_crowd_scene(np.random.default_rng(seed),
                                img_size=(wide, h), num_people=num_people,
                                scale_range=(0.35, 0.7))
    img = np.ascontiguousarray(img)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'),
                             float(fps), (w, h))
    if not writer.isOpened():
        raise OSError(f'cannot write the clip {path!r} (OpenCV has no mp4v '
                      'writer here)')
    try:
        for i in range(num_frames):
            writer.write(img[:, i * step:i * step + w])
    finally:
        writer.release()
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out')
    parser.add_argument('--frames', type=int, default=60)
    parser.add_argument('--fps', type=float, default=25.0)
    parser.add_argument('--size', type=int, nargs=2, default=[640, 480],
                        metavar=('W', 'H'))
    parser.add_argument('--people', type=int, default=6)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    synthetic_clip(args.out, args.frames, args.size, args.fps, args.people,
                   args.seed)
    print(f'{args.frames} frames {args.size[0]}x{args.size[1]} at '
          f'{args.fps:g} fps -> {args.out}')
    return args.out


if __name__ == '__main__':
    main()
