"""Built-in synthetic people: seeded, reproducible, no files needed.

The renderer draws human-like figures on the COCO-17 skeleton with OpenCV
(filled anti-aliased polygons, circles and ellipses) on random backgrounds,
with random poses, scales, in-plane rotation, clothing, occluders and
truncation. The keypoints are *exactly* the rendered joint positions
(pixels, x right, y down, pixel centres at integers).

Conventions (documented choices)
--------------------------------
* ``keypoints_visible`` is 1 for every keypoint whose position lies on the
  pixel-centre grid of the image (``0 <= x <= w - 1`` and
  ``0 <= y <= h - 1``), **also when it is hidden** by an occluder, by another
  figure or by its own body: such points are labelled, like COCO ``v=1``,
  and both COCO ``v=1`` and ``v=2`` count for training. Keypoints outside the
  image (truncation) get ``keypoints_visible=0``; their (exact, out of
  image) coordinates are kept in ``keypoints`` all the same.
  Which labelled points are hidden is reported separately in
  ``keypoints_occluded`` (1 = covered by an occluder or by a figure drawn
  later), and :func:`export_coco` writes ``v=2`` (visible), ``v=1``
  (occluded) and ``v=0`` (outside, written as ``0, 0, 0``).
* Left and right. Every figure faces the camera (its face, eyes and nose are
  drawn), so the person's *left* side is on the image right of the body
  axis (before in-plane rotation, which keeps chirality). This cue is
  consistent with horizontal flipping (a mirrored front-facing figure is a
  front-facing figure whose labels swap), so flip augmentation and flip
  test are sound. ``lr_shade`` can additionally make the left limbs
  lighter and the right limbs darker; it defaults to 0 because such a cue
  is *not* flip-consistent (train with it only without flip augmentation).
* ``bbox`` is the box of the figure (keypoints plus head, hands and feet)
  enlarged by about half a limb width, clipped to ``[0, w-1] x [0, h-1]``;
  ``area`` is the pixel count of the figure's silhouette inside the image
  before occluders and later figures are drawn.
* Sample ``i`` of a dataset is rendered from ``np.random.default_rng([seed,
  i])`` only, so workers, reruns and subsets agree.
"""
from .backgrounds import random_background
from .coco_export import export_coco
from .datasets import SyntheticCrowdDataset, SyntheticPeopleDataset
from .figure import (COCO_KEYPOINT_NAMES, COCO_SKELETON, draw_figure,
                     figure_bbox, place_figure, sample_figure)
from .render import FigureCanvas
from .scenes import render_crowd_scene, render_people_scene

__all__ = [
    'COCO_KEYPOINT_NAMES', 'COCO_SKELETON', 'SyntheticPeopleDataset',
    'SyntheticCrowdDataset', 'FigureCanvas', 'sample_figure',
    'place_figure', 'draw_figure', 'figure_bbox', 'random_background',
    'render_people_scene', 'render_crowd_scene', 'export_coco'
]
