"""iBUG ``.pts`` landmark files -> the face CSV ``FaceLandmarkCSVDataset``
reads: ``python tools/dataset_converters/pts2face_csv.py IMG_DIR OUT.csv``.

300-W, Menpo, LFPW, HELEN, AFW and iBUG ship one ``<image>.pts`` beside
each image (``version: 1`` / ``n_points: 68`` / ``{`` / ``x y`` per line /
``}``). PTS coordinates are 1-based (a 480-px image spans 1..480; Menpo's
``pts_importer`` subtracts 1 for the same reason), so 1 is subtracted
unless ``--zero-based``. Output: the Udacity layout of
``docs/DATASETS.md#youtube-faces-68-point-landmarks`` (header row ``,0,1,...``,
then ``file_name, x0, y0, ...``), file names relative to ``IMG_DIR``; use it
as ``FaceLandmarkCSVDataset(ann_file=OUT.csv, data_prefix=dict(img=IMG_DIR))``.
The reader splits by identity and reads it from ``<identity>_<NN>.<ext>``
file names; a name without the trailing ``_NN`` is reported by the reader
as a bad annotation, so name the images that way (or ``--check-names``
here lists the ones that are not).
"""
import argparse
import csv
import os
import os.path as osp
import sys

from kp_ext.datasets.face_landmarks import face_identity
from kp_ext.utils.progress import track

IMG_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')


def read_pts(path):
    """Points of one ``.pts`` file as a list of (x, y) floats.

    Raises ``ValueError`` naming the file when the header, the braces or
    the point count are wrong.
    """
    with open(path) as f:
        lines = [ln.strip() for ln in f if ln.strip()]
    header = {}
    i = 0
    while i < len(lines) and lines[i] != '{':
        key, sep, value = lines[i].partition(':')
        if not sep:
            raise ValueError(f'{path}: line {lines[i]!r} before "{{" is not '
                             '"key: value"')
        header[key.strip()] = value.strip()
        i += 1
    if i == len(lines) or lines[-1] != '}':
        raise ValueError(f'{path}: points must be enclosed in "{{" ... "}}"')
    try:
        count = int(header['n_points'])
    except (KeyError, ValueError):
        raise ValueError(f'{path}: no integer "n_points:" header')
    body = lines[i + 1:-1]
    if len(body) != count:
        raise ValueError(f'{path}: n_points is {count} but {len(body)} '
                         'point lines follow')
    points = []
    for ln in body:
        values = ln.split()
        try:
            x, y = (float(v) for v in values)
        except ValueError:
            raise ValueError(f'{path}: point line {ln!r} is not "x y"')
        points.append((x, y))
    return points


def find_image(pts_path):
    """The image beside ``pts_path`` (same stem), or ``None``."""
    stem = osp.splitext(pts_path)[0]
    for ext in IMG_EXTS + tuple(e.upper() for e in IMG_EXTS):
        if osp.isfile(stem + ext):
            return stem + ext
    return None


def convert(img_dir, out_csv, num_points=68, one_based=True,
            check_names=False):
    """Write the CSV; returns the number of rows written."""
    pts_files = sorted(
        osp.join(root, name) for root, _, names in os.walk(img_dir)
        for name in names if name.lower().endswith('.pts'))
    if not pts_files:
        raise FileNotFoundError(f'no .pts files under {img_dir}')
    offset = 1.0 if one_based else 0.0
    rows = []
    for path in track(pts_files):
        points = read_pts(path)
        if len(points) != num_points:
            raise ValueError(f'{path}: {len(points)} points, expected '
                             f'{num_points} (--num-points)')
        image = find_image(path)
        if image is None:
            raise FileNotFoundError(f'{path}: no image with the same name '
                                    f'({"/".join(IMG_EXTS)})')
        rel = osp.relpath(image, img_dir).replace(os.sep, '/')
        if check_names and face_identity(rel) is None:
            raise ValueError(f'{image}: file name is not '
                             '<identity>_<NN>.<ext>')
        rows.append([rel] + [f'{v - offset:g}' for p in points for v in p])
    with open(out_csv, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow([''] + [str(i) for i in range(2 * num_points)])
        writer.writerows(rows)
    return len(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('img_dir', help='folder with images and their .pts '
                        '(searched recursively)')
    parser.add_argument('out_csv', help='CSV to write')
    parser.add_argument('--num-points', type=int, default=68)
    parser.add_argument('--zero-based', action='store_true',
                        help='the .pts are already 0-based (no -1 shift)')
    parser.add_argument('--check-names', action='store_true',
                        help='fail if a file name is not <identity>_<NN>.ext '
                        '(what the reader splits by)')
    args = parser.parse_args(argv)
    try:
        n = convert(args.img_dir, args.out_csv, args.num_points,
                    one_based=not args.zero_based,
                    check_names=args.check_names)
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f'pts2face_csv: {e}')
    print(f'wrote {n} faces to {args.out_csv}')


if __name__ == '__main__':
    main()
