"""Benchmark of the PartAffinityField codec (OpenPose grouping).

Measures, in one run on this machine:

1. grouping latency (peak extraction + limb scoring + matching + assembly,
   i.e. ``codec.decode`` on ground-truth maps) per image vs number of people
   (1, 5, 10, 20) at the paper's operating point (368x368 input, 46x46
   maps, stride 8), for Hungarian and greedy matching, for each confidence
   map upsampling factor given, and for a straightforward Python-loop
   implementation of the same math (``loop_group_people`` below, greedy
   matching, reference-style assembly) as the baseline;
2. encode throughput (images/s) vs number of people;
3. the worst case: one decode of uniform-noise maps at 24, 48, 96 and 184
   px (CPU time and tracemalloc peak memory), with OpenPose's cap of 127
   peaks per part and, at 24/48 px, without it;
4. oracle AP: encode ground truth -> decode -> COCO keypoint AP with
   xtcocotools' COCOeval (COCO OKS sigmas) on
   ``../shared/data/coco_mini`` (all images, operating point: image resized
   so that its shorter side (``--side short``) or longer side
   (``--side long``) is 368 px, padded to a multiple of 8) and on synthetic
   368x368 scenes with 20 random people each;
5. the oracle AP of the two reference test procedures side by side
   (``TEST_PROCEDURES`` of ``kp_ext.codecs.part_affinity_field``; paper
   body model and targets, ``configs/openpose_coco.py``'s codec), one
   scale (the oracle has no network to run at the others):
   ``'matlab_eval'`` (ZheC ``testing/evalCOCO.m`` + ``applyModel.m`` +
   the latest ``connect56LineVec.m``: image height -> 368, maps x8,
   unpadded and resized to the original image as the estimator's
   ``multiscale_resolution='image'`` does, grouped there, keypoints +0.5,
   score = person score x keypoints) and ``'python_demo'`` (what the paper
   config did before: maps at the 368-high input, smoothed, >= 4 parts).
6. ``--body25``: the codec oracle of the BODY_25 body model
   (``configs/openpose/openpose2019_body25_coco.py``'s codec and val
   pipeline, ``kp_ext.evaluation.bottomup_codec_oracle``): COCO AP on the
   17 body keypoints and foot AP (COCO-WholeBody foot sigmas,
   ``CocoBodyFootMetric``) on ``mmpose_testdata/coco/test_coco_wholebody
   .json``, body AP on ``coco_mini`` (no foot annotations there).

Usage::

    python benchmarks/paf_grouping.py                 # everything
    python benchmarks/paf_grouping.py --skip-latency  # AP only
    python benchmarks/paf_grouping.py --procedures-only   # section 5 only
    python benchmarks/paf_grouping.py --body25        # section 6 only

``make_people`` is the synthetic scene generator; replace it (same
signature) to score another generator.
"""
import argparse
import dataclasses
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from kp_ext.codecs.part_affinity_field import (PartAffinityField,
                                               TEST_PROCEDURES)
from kp_ext.codecs.paf_grouping import prepare_heatmaps
from kp_ext.datasets.synthetic.coco_export import scenes_to_coco

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get('KP_EXT_SHARED_DATA', REPO.parent / 'shared' /
                             'data'))
COCO_SIGMAS = np.array([.026, .025, .025, .035, .035, .079, .079, .072, .072,
                        .062, .062, .107, .107, .087, .087, .089, .089])

# --------------------------------------------------------------------------
# synthetic people


def make_people(rng, num_people, img_size=(368, 368), height_range=(70, 150),
                min_sep=0.3, p_missing=0.1, max_tries=2000):
    """Random articulated COCO-17 skeletons in an image.

    Each person is a stick figure of random height (pixels, head top to
    ankles) with random joint angles, random facing (mirror) and a random
    subset (``p_missing``) of invisible parts. Centres are drawn uniformly
    with hip centres at least ``min_sep * max(h_i, h_j)`` apart, so people
    touch and overlap but never coincide.

    Returns keypoints (N, 17, 2) float64, visible (N, 17) float32, areas (N,)
    (keypoint bounding-box area, for OKS).
    """
    w, h = img_size
    people, centres, heights = [], [], []
    tries = 0
    while len(people) < num_people and tries < max_tries:
        tries += 1
        H = rng.uniform(*height_range)
        c = np.array([rng.uniform(0.1 * w, 0.9 * w),
                      rng.uniform(0.15 * h, 0.85 * h)])
        if any(np.hypot(*(c - c2)) < min_sep * max(H, h2)
               for c2, h2 in zip(centres, heights)):
            continue
        centres.append(c)
        heights.append(H)
        people.append(_one_person(rng, c, H))
    kpts = np.stack(people) if people else np.zeros((0, 17, 2))
    vis = (rng.random(kpts.shape[:2]) > p_missing).astype(np.float32)
    inside = ((kpts[..., 0] >= 0) & (kpts[..., 0] <= w - 1) &
              (kpts[..., 1] >= 0) & (kpts[..., 1] <= h - 1))
    vis *= inside
    areas = np.array([_kpt_area(k, v) for k, v in zip(kpts, vis)])
    return kpts, vis, areas


def kp_ext_crowd_people(rng, num_people, img_size=(368, 368)):
    """Adapter for ``kp_ext.datasets.synthetic.render_crowd_scene`` (the
    toolbox's rendered synthetic crowds; the image itself is discarded)."""
    from kp_ext.datasets.synthetic import render_crowd_scene
    _, ann = render_crowd_scene(rng, img_size=img_size,
                                num_people=num_people)
    return (np.asarray(ann['keypoints'], np.float64),
            np.asarray(ann['keypoints_visible'], np.float32),
            np.maximum(np.asarray(ann['area'], np.float64), 1.0))


def _kpt_area(k, v):
    k = k[v > 0]
    if len(k) == 0:
        return 1.0
    wh = k.max(0) - k.min(0)
    return float(max(wh[0], 1.0) * max(wh[1], 1.0))


def _one_person(rng, hip_c, H):
    def seg(p, ang, length):
        return p + length * np.array([math.sin(ang), math.cos(ang)])

    lean = rng.normal(0, 0.15)
    up = lean + math.pi                      # pointing up the body
    kp = np.zeros((17, 2))
    torso = 0.30 * H
    neck = seg(hip_c, up, torso)
    perp = np.array([math.cos(lean), -math.sin(lean)])
    sw, hw = 0.12 * H * rng.uniform(0.7, 1.1), 0.08 * H * rng.uniform(0.7, 1.1)
    kp[5], kp[6] = neck + sw * perp, neck - sw * perp     # l/r shoulder
    kp[11], kp[12] = hip_c + hw * perp, hip_c - hw * perp  # l/r hip
    head = seg(neck, up + rng.normal(0, 0.2), 0.12 * H)
    kp[0] = head
    yaw = rng.uniform(-1, 1)
    kp[1] = head + 0.03 * H * np.array([1 + yaw, -0.7])
    kp[2] = head + 0.03 * H * np.array([-1 + yaw, -0.7])
    kp[3] = head + 0.06 * H * np.array([1.1 + 0.5 * yaw, -0.3])
    kp[4] = head + 0.06 * H * np.array([-1.1 + 0.5 * yaw, -0.3])
    for s, (sh, el, wr) in ((1, (5, 7, 9)), (-1, (6, 8, 10))):
        a1 = rng.uniform(-0.3, 1.8) * s + lean
        kp[el] = seg(kp[sh], a1, 0.17 * H)
        kp[wr] = seg(kp[el], a1 + s * rng.uniform(-0.3, 2.0), 0.15 * H)
    for s, (hp, kn, an) in ((1, (11, 13, 15)), (-1, (12, 14, 16))):
        a1 = rng.uniform(-0.2, 0.6) * s + lean
        kp[kn] = seg(kp[hp], a1, 0.24 * H)
        kp[an] = seg(kp[kn], a1 - s * rng.uniform(0.0, 0.8), 0.24 * H)
    if rng.random() < 0.5:                   # mirror: facing the other way
        kp[:, 0] = 2 * hip_c[0] - kp[:, 0]
    return kp


# --------------------------------------------------------------------------
# the settings compared side by side

BODY_MODELS = [
    ('kp_ext: 17 parts, 16 + 13 limbs', dict(body_model='coco.py')),
    ('paper: 18 parts (neck), 17 + 2 limbs, background',
     dict(body_model='coco_openpose18.py', with_background=True)),
]
GROUPINGS = [
    ('kp_ext: Hungarian, >= 1 part', dict()),
    ('reference: greedy, >= 4 parts, score/part >= 0.4',
     dict(matching='greedy', min_parts=4, min_score_per_part=0.4,
          min_mean_score=0.0)),
]
PEAKS = [
    ('46-px maps, sub-pixel peaks', dict()),
    ('maps x8 to the input, smoothed (3 px), pixel peaks',
     dict(input_res=True, smooth_sigma=3.0, refine=None)),
]


# --------------------------------------------------------------------------
# COCO evaluation helpers


def coco_ap(gt_dict, results, sigmas=COCO_SIGMAS):
    """Keypoint AP of ``results`` against ``gt_dict`` with xtcocotools."""
    from xtcocotools.coco import COCO
    from xtcocotools.cocoeval import COCOeval
    import contextlib
    import io
    if not results:
        return 0.0
    with tempfile.TemporaryDirectory() as d:
        gpath, rpath = os.path.join(d, 'gt.json'), os.path.join(d, 'dt.json')
        with open(gpath, 'w') as f:
            json.dump(gt_dict, f)
        with open(rpath, 'w') as f:
            json.dump(results, f)
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(gpath)
            dt = gt.loadRes(rpath)
            ev = COCOeval(gt, dt, 'keypoints', np.asarray(sigmas),
                          use_area=True)
            ev.params.useSegm = None
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
    return float(ev.stats[0])


def _results_for(img_id, kpts, kscores, inst):
    out = []
    for k, s, sc in zip(kpts, kscores, inst):
        flat = np.concatenate([k, s[:, None]], axis=1).reshape(-1)
        out.append(dict(image_id=int(img_id), category_id=1,
                        keypoints=[float(v) for v in flat],
                        score=float(sc)))
    return out


def to_input_resolution(enc, input_size):
    """The reference test procedure's maps: confidence maps and PAFs
    resized (bicubic, OpenCV) from the map grid to the input size (w, h)."""
    import cv2

    def up(m):
        out = cv2.resize(np.ascontiguousarray(m.transpose(1, 2, 0)),
                         tuple(input_size), interpolation=cv2.INTER_CUBIC)
        return out.reshape(out.shape[0], out.shape[1], -1).transpose(2, 0, 1)

    return up(enc['heatmaps']), up(enc['pafs'])


#: the paper config's targets (configs/openpose_coco.py)
PAPER_TARGETS = dict(body_model='coco_openpose18.py', with_background=True,
                     sigma=1.24, limb_width=1.0)


def _resize_maps(maps, size, antialias=False):
    """(C, h, w) numpy maps -> (C, H, W), bicubic with half-pixel centres
    (torch, as ``BottomupPoseEstimator``'s ``multiscale_resolution=
    'image'``)."""
    import torch
    import torch.nn.functional as F
    t = torch.from_numpy(np.ascontiguousarray(maps, np.float32))[None]
    return F.interpolate(t, size=tuple(size), mode='bicubic',
                         align_corners=False,
                         antialias=antialias)[0].numpy()


def matlab_eval_oracle_maps(codec_cfg, kp, vis, img_wh, base=368, box=368):
    """One scale (1) of ``multiscale_resolution='image'`` on ground truth:
    the keypoints (original image px) go to the scaled, padded input
    (``padHeight``), are encoded there, and the maps come back x stride,
    unpadded and resized to the original image (applyModel.m:111-117).
    Returns (heatmaps, pafs) at the image's resolution."""
    W, H = img_wh
    m = base / H
    h, w = max(1, math.ceil(H * m - 1e-6)), max(1, math.ceil(W * m - 1e-6))
    ph = math.ceil(box / 8) * 8 if h < box else math.ceil(h / 8) * 8
    pw = math.ceil(max(w, box) / 8) * 8
    top = (math.ceil(box / 8) * 8 - h) // 2 if h < box else 0
    left = (pw - w) // 2
    codec = PartAffinityField(input_size=(pw, ph),
                              heatmap_size=(pw // 8, ph // 8), **codec_cfg)
    kin = (np.asarray(kp, np.float64) + 0.5) * m - 0.5 + [left, top]
    enc = codec.encode(kin, vis)
    out = []
    for key in ('heatmaps', 'pafs'):
        big = _resize_maps(enc[key], (ph, pw))[:, top:top + h, left:left + w]
        out.append(big if (h, w) == (H, W) else
                   _resize_maps(big, (H, W), antialias=True))
    return out[0], out[1]


def procedure_oracle_ap(name, ann_file=None, scenes=None, img_size=(368, 368),
                        **overrides):
    """Oracle AP of a named reference test procedure (module doc, 5) on
    coco_mini (``ann_file``) or synthetic ``scenes``, one scale. Returns
    (AP, mean decode CPU ms per image)."""
    proc = TEST_PROCEDURES[name]
    dec = dict(proc['decode'], **overrides)
    if ann_file is not None:
        gt = json.load(open(ann_file))
        anns_by_img = {}
        for a in gt['annotations']:
            anns_by_img.setdefault(a['image_id'], []).append(a)
        items = []
        for img in gt['images']:
            anns = [a for a in anns_by_img.get(img['id'], [])
                    if not a.get('iscrowd', 0) and
                    a.get('num_keypoints', 0) > 0]
            if anns:
                k = np.array([a['keypoints'] for a in anns],
                             np.float64).reshape(-1, 17, 3)
                kp, vis = k[..., :2], (k[..., 2] > 0).astype(np.float32)
            else:
                kp, vis = np.zeros((0, 17, 2)), np.zeros((0, 17))
            items.append((img['id'], img['width'], img['height'], kp, vis))
    else:
        gt = scenes_to_coco(scenes, img_size)
        items = [(i, img_size[0], img_size[1], kp, vis)
                 for i, (kp, vis, _) in enumerate(scenes)]
    results, times = [], []
    for img_id, W, H, kp, vis in items:
        if name == 'matlab_eval':
            maps = matlab_eval_oracle_maps(PAPER_TARGETS, kp, vis, (W, H))
            codec = PartAffinityField(input_size=(W, H), heatmap_size=(W, H),
                                      **PAPER_TARGETS, **dec)
            t0 = time.process_time()
            dk, ds, di = codec.decode_instances(maps)
            times.append(time.process_time() - t0)
        else:                               # python_demo: height -> 368
            s = 368 / H
            in_w, in_h = int(math.ceil(round(W * s) / 8) * 8), 368
            codec = PartAffinityField(input_size=(in_w, in_h),
                                      heatmap_size=(in_w // 8, in_h // 8),
                                      **PAPER_TARGETS, **dec)
            enc = codec.encode((kp + 0.5) * s - 0.5, vis)
            maps = to_input_resolution(enc, (in_w, in_h))
            t0 = time.process_time()
            dk, ds, di = codec.decode_instances(maps)
            times.append(time.process_time() - t0)
            dk = (dk.astype(np.float64) + 0.5) / s - 0.5
        results += _results_for(img_id, dk, ds, di)
    return coco_ap(gt, results), 1000 * float(np.mean(times))


def coco_oracle_ap(ann_file, side='short', target=368, input_res=False,
                   **codec_cfg):
    """Encode every image's keypointed people at the operating point,
    decode (from the 46-px-grid maps, or with ``input_res`` from the maps
    upsampled to the input as the reference test does), map back, score
    with COCOeval. Returns (AP, n_images, n_people, mean decode ms)."""
    gt = json.load(open(ann_file))
    anns_by_img = {}
    for a in gt['annotations']:
        anns_by_img.setdefault(a['image_id'], []).append(a)
    results, times, n_people = [], [], 0
    for img in gt['images']:
        anns = [a for a in anns_by_img.get(img['id'], [])
                if not a.get('iscrowd', 0) and a.get('num_keypoints', 0) > 0]
        w, h = img['width'], img['height']
        ref = min(w, h) if side == 'short' else max(w, h)
        s = target / ref
        in_w = int(math.ceil(round(w * s) / 8) * 8)
        in_h = int(math.ceil(round(h * s) / 8) * 8)
        codec = PartAffinityField(input_size=(in_w, in_h),
                                  heatmap_size=(in_w // 8, in_h // 8),
                                  **codec_cfg)
        if anns:
            k = np.array([a['keypoints'] for a in anns],
                         np.float64).reshape(-1, 17, 3)
            kp, vis = (k[..., :2] + 0.5) * s - 0.5, (k[..., 2] > 0)
        else:
            kp, vis = np.zeros((0, 17, 2)), np.zeros((0, 17))
        n_people += len(kp)
        enc = codec.encode(kp, vis)
        maps = to_input_resolution(enc, (in_w, in_h)) if input_res else \
            (enc['heatmaps'], enc['pafs'])
        t0 = time.process_time()
        dk, ds, di = codec.decode_instances(maps)
        times.append(time.process_time() - t0)
        dk = (dk.astype(np.float64) + 0.5) / s - 0.5
        results += _results_for(img['id'], dk, ds, di)
    return coco_ap(gt, results), len(gt['images']), n_people, \
        1000 * float(np.mean(times))


def synthetic_scenes(num_images, num_people, seed=0, img_size=(368, 368),
                     people_fn=None):
    """List of (keypoints, visible, areas) synthetic scenes."""
    people_fn = people_fn or make_people
    rng = np.random.default_rng(seed)
    return [people_fn(rng, num_people, img_size) for _ in range(num_images)]


def synthetic_oracle_ap(scenes, img_size=(368, 368), input_res=False,
                        **codec_cfg):
    codec = PartAffinityField(input_size=img_size,
                              heatmap_size=(img_size[0] // 8,
                                            img_size[1] // 8), **codec_cfg)
    results = []
    for i, (kp, vis, _) in enumerate(scenes):
        enc = codec.encode(kp, vis)
        maps = to_input_resolution(enc, img_size) if input_res else \
            (enc['heatmaps'], enc['pafs'])
        dk, ds, di = codec.decode_instances(maps)
        results += _results_for(i, dk, ds, di)
    return coco_ap(scenes_to_coco(scenes, img_size), results)


# --------------------------------------------------------------------------
# straightforward Python-loop baseline (same math, no vectorisation)


def loop_group_people(heatmaps, pafs, limbs, redundant_limbs, upsample=1.0,
                      smooth_sigma=0.0, peak_threshold=0.1, nms_kernel=3,
                      refine='gaussian', num_samples=10, paf_threshold=0.05,
                      min_above_fraction=0.8, distance_prior=0.5,
                      min_parts=1, min_mean_score=0.2, **unused):
    """Per-part / per-pair / per-sample loops, greedy matching and the
    reference's subset assembly. Returns keypoints (N, K, 2) in map px,
    scores (N, K), instance scores (N,)."""
    k_num, H, W = heatmaps.shape
    maps = prepare_heatmaps(heatmaps, upsample, smooth_sigma).transpose(
        2, 0, 1)
    r = nms_kernel // 2
    mh, mw = maps.shape[1:]
    peaks = []                                 # per part: [(x, y, score)]
    for k in range(k_num):
        m = maps[k]
        lst = []
        for y in range(mh):
            for x in range(mw):
                v = m[y, x]
                if v <= peak_threshold:
                    continue
                ok = True
                for dy in range(-r, r + 1):
                    for dx in range(-r, r + 1):
                        yy, xx = y + dy, x + dx
                        if 0 <= yy < mh and 0 <= xx < mw:
                            n = m[yy, xx]
                            if n > v or (n == v and (dy < 0 or
                                                     (dy == 0 and dx < 0))):
                                ok = False
                if not ok:
                    continue
                px, py = float(x), float(y)
                if refine == 'gaussian':
                    if mw >= 3:
                        q = min(max(x, 1), mw - 2)
                        px += _loop_offset(m[y, q - 1], m[y, q],
                                           m[y, q + 1], q - x)
                    if mh >= 3:
                        q = min(max(y, 1), mh - 2)
                        py += _loop_offset(m[q - 1, x], m[q, x],
                                           m[q + 1, x], q - y)
                if upsample != 1:
                    px = (px + 0.5) * W / mw - 0.5
                    py = (py + 0.5) * H / mh - 0.5
                lst.append((px, py, float(v)))
        peaks.append(lst)
    all_limbs = list(limbs) + list(redundant_limbs)
    connections = []                           # per limb: [(i, j, score)]
    for l, (a, b) in enumerate(all_limbs):
        cands = []
        for i, (ax, ay, _) in enumerate(peaks[a]):
            for j, (bx, by, _) in enumerate(peaks[b]):
                dx, dy = bx - ax, by - ay
                norm = math.hypot(dx, dy)
                if norm <= 1e-6:
                    continue
                ux, uy = dx / norm, dy / norm
                total, above = 0.0, 0
                for s in range(num_samples):
                    t = s / (num_samples - 1)
                    fx = _loop_bilinear(pafs[2 * l], ax + t * dx, ay + t * dy)
                    fy = _loop_bilinear(pafs[2 * l + 1], ax + t * dx,
                                        ay + t * dy)
                    p = fx * ux + fy * uy
                    total += p
                    above += p > paf_threshold
                sc = total / num_samples
                if distance_prior is not None:
                    sc += min(distance_prior * H / norm - 1, 0)
                if above > min_above_fraction * num_samples and sc > 0:
                    cands.append((sc, i, j))
        cands.sort(key=lambda c: -c[0])
        used_i, used_j, conns = set(), set(), []
        for sc, i, j in cands:
            if i not in used_i and j not in used_j:
                used_i.add(i)
                used_j.add(j)
                conns.append((i, j, sc))
        connections.append(conns)
    # reference-style assembly: subsets of part indices (-1 = none)
    subsets = []                               # [parts list, conn sum, n]
    n_tree = len(limbs)
    order = sorted(((sc, l >= n_tree, l, i, j)
                    for l, conns in enumerate(connections)
                    for i, j, sc in conns),
                   key=lambda c: (c[1], -c[0]))
    for sc, red, l, i, j in order:
        a, b = all_limbs[l]
        sa = sb = None
        for s in subsets:
            if s[0][a] == i:
                sa = s
            if s[0][b] == j:
                sb = s
        if sa is not None and sa is sb:
            continue
        if sa is None and sb is None:
            parts = [-1] * k_num
            parts[a], parts[b] = i, j
            subsets.append([parts, sc, 1])
            continue
        if sa is None or sb is None:
            s, k, idx = (sa, b, j) if sb is None else (sb, a, i)
            if s[0][k] == -1:
                s[0][k] = idx
                s[1] += sc
                s[2] += 1
            continue
        if all(pa == -1 or pb == -1 for pa, pb in zip(sa[0], sb[0])):
            sa[0] = [pa if pa != -1 else pb for pa, pb in zip(sa[0], sb[0])]
            sa[1] += sb[1] + sc
            sa[2] += sb[2] + 1
            subsets.remove(sb)
    used = [set() for _ in range(k_num)]
    for s in subsets:
        for k, idx in enumerate(s[0]):
            if idx >= 0:
                used[k].add(idx)
    for k in range(k_num):                      # lone peaks
        for idx in range(len(peaks[k])):
            if idx not in used[k]:
                parts = [-1] * k_num
                parts[k] = idx
                subsets.append([parts, 0.0, 0])
    kpts, kscores, inst = [], [], []
    for parts, csum, n in subsets:
        found = [k for k in range(k_num) if parts[k] >= 0]
        scores = [peaks[k][parts[k]][2] for k in found]
        if len(found) < min_parts or sum(scores) / len(found) < \
                min_mean_score:
            continue
        cx = sum(peaks[k][parts[k]][0] for k in found) / len(found)
        cy = sum(peaks[k][parts[k]][1] for k in found) / len(found)
        kp = np.array([[cx, cy]] * k_num)
        ks = np.zeros(k_num)
        for k in found:
            kp[k] = peaks[k][parts[k]][:2]
            ks[k] = peaks[k][parts[k]][2]
        cm = min(max(csum / n, 0.0), 1.0) if n else 1.0
        kpts.append(kp)
        kscores.append(ks)
        inst.append(ks.sum() / k_num * cm)
    order = np.argsort(-np.array(inst), kind='stable')
    return (np.array(kpts).reshape(-1, k_num, 2)[order],
            np.array(kscores).reshape(-1, k_num)[order],
            np.array(inst)[order])


def _loop_offset(a, b, c, shift):
    """Log-parabola vertex through (-1, a), (0, b), (1, c), plus ``shift``
    (window centre - peak), clamped to [-0.5, 0.5]; 0 if not concave."""
    la, lb, lc = (math.log(max(v, 1e-10)) for v in (a, b, c))
    den = 2 * (2 * lb - la - lc)
    if den <= 0:
        return 0.0
    return min(max(shift + (lc - la) / den, -0.5), 0.5)


def _loop_bilinear(m, x, y):
    h, w = m.shape
    x = min(max(x, 0.0), w - 1)
    y = min(max(y, 0.0), h - 1)
    x0 = min(int(math.floor(x)), w - 2)
    y0 = min(int(math.floor(y)), h - 2)
    fx, fy = x - x0, y - y0
    return ((m[y0, x0] * (1 - fx) + m[y0, x0 + 1] * fx) * (1 - fy) +
            (m[y0 + 1, x0] * (1 - fx) + m[y0 + 1, x0 + 1] * fx) * fy)


# --------------------------------------------------------------------------
# worst case: noise maps (every pixel a candidate peak)


def noise_decode_cost(size, max_peaks=127, num_parts=17, num_limbs=29,
                      seed=0, **codec_cfg):
    """Decode uniform-noise maps (confidence maps in [0, 1], PAFs in
    [-1, 1]) of ``size`` x ``size``: the worst case for the grouping, since
    about one pixel in nine is a peak. Returns (CPU s, tracemalloc peak MiB,
    peaks per part before the cap (max), people found)."""
    import tracemalloc
    from kp_ext.codecs import paf_grouping as G
    rng = np.random.default_rng(seed)
    hm = rng.random((num_parts, size, size)).astype(np.float32)
    pafs = rng.uniform(-1, 1, (2 * num_limbs, size, size)).astype(np.float32)
    limbs = [(k, k + 1) for k in range(num_parts - 1)]
    limbs += [(k, k + 2) for k in range(num_limbs - len(limbs))]
    codec = PartAffinityField((8 * size, 8 * size), (size, size),
                              limbs=limbs[:num_parts - 1],
                              redundant_limbs=limbs[num_parts - 1:],
                              max_peaks=max_peaks, **codec_cfg)
    raw = np.diff(G.find_peaks(G.prepare_heatmaps(hm))[3]).max()
    tracemalloc.start()
    t0 = time.process_time()
    kp, _ = codec.decode((hm, pafs))
    cpu = time.process_time() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return cpu, peak, int(raw), len(kp)


# --------------------------------------------------------------------------


def print_procedures(args):
    """Section 5: the two reference test procedures side by side."""
    ann = SHARED / 'coco_mini' / 'annotations' / \
        'person_keypoints_train2017.json'
    scenes = []
    try:
        import kp_ext.datasets.synthetic  # noqa: F401
        scenes = synthetic_scenes(args.synthetic_images, 20, seed=1,
                                  people_fn=kp_ext_crowd_people)
    except ImportError:
        pass
    print('## Oracle AP of the reference test procedures (paper body model '
          'and targets, one scale)')
    if not ann.exists():
        print(f'(coco_mini absent: {ann})')
    print('| procedure | coco_mini, height 368 | render_crowd_scene 20 '
          'people | decode CPU ms/image (coco_mini) |')
    print('|---|---|---|---|')
    rows = [
        ("matlab_eval (evalCOCO.m + connect56LineVec.m, "
         "configs/openpose_coco.py)", 'matlab_eval', {}),
        ('matlab_eval without the +0.5 px of evalCOCO.m', 'matlab_eval',
         dict(keypoint_offset=0.0)),
        ('matlab_eval with its first version\'s filter (>= 4 parts, '
         '>= 0.4)', 'matlab_eval',
         dict(min_parts=4, min_score_per_part=0.4)),
        ("matlab_eval with the demo's peaks (smoothing 3 px, 3x3 window, "
         'no 6 px suppression)', 'matlab_eval',
         dict(smooth_sigma=3.0, peak_rule='window', nms_kernel=3,
              peak_suppress_radius=None)),
        ("matlab_eval with kp_ext's union-find assembly", 'matlab_eval',
         dict(assembly='union_find')),
        ("matlab_eval with kp_ext's person score (peak mean x connection "
         'mean)', 'matlab_eval', dict(instance_score='kp_ext')),
        ("python_demo (the paper config's procedure before)", 'python_demo',
         {}),
    ]
    for label, name, over in rows:
        cells, ms = [], float('nan')
        if ann.exists():
            ap_, ms = procedure_oracle_ap(name, ann_file=ann, **over)
            cells.append(f'{ap_:.4f}')
        else:
            cells.append('-')
        if scenes:
            ap_, _ = procedure_oracle_ap(name, scenes=scenes, **over)
            cells.append(f'{ap_:.4f}')
        else:
            cells.append('-')
        print(f'| {label} | {" | ".join(cells)} | {ms:.1f} |')
    print()


BODY25_CONFIG = 'configs/openpose/openpose2019_body25_coco.py'


def body25_oracle_ap(ann_file, img_dir, config=BODY25_CONFIG,
                     foot_layout='wholebody', max_samples=None) -> dict:
    """Section 6: ``config``'s codec on its own encoding of the ground
    truth of ``ann_file`` (read by ``CocoFootDataset``, bottom-up, through
    the config's val pipeline), scored by ``CocoBodyFootMetric``: its keys
    (``AP``, ..., ``foot/AP``, ...), foot AP -1 when the file has no feet."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from kp_ext.evaluation import CocoBodyFootMetric, bottomup_codec_oracle
    from kp_ext.registry import DATASETS, KEYPOINT_CODECS
    init_default_scope('kp_ext')
    cfg = Config.fromfile(str(REPO / config))
    codec = KEYPOINT_CODECS.build(cfg.model.head.decoder.to_dict())
    dataset = DATASETS.build(dict(
        type='CocoFootDataset', ann_file=str(ann_file),
        data_prefix=dict(img=str(img_dir) + '/'), data_mode='bottomup',
        foot_layout=foot_layout, test_mode=True,
        pipeline=cfg.val_dataloader.dataset.pipeline))
    ev = cfg.val_evaluator
    metric = CocoBodyFootMetric(ann_file=None, score_mode=ev.score_mode,
                                nms_mode=ev.nms_mode, nms_thr=ev.nms_thr)
    res = bottomup_codec_oracle(dataset, codec, metric, max_samples)
    return {k.split('/', 1)[1]: v for k, v in res.items()}


def print_body25(args):
    """Section 6: BODY_25 oracle AP, body and feet."""
    wb = SHARED / 'mmpose_testdata' / 'coco'
    mini = SHARED / 'coco_mini'
    print('## Oracle AP of the BODY_25 codec (configs/openpose/'
          'openpose2019_body25_coco.py: 368x368, maps x8, openpose C++ '
          'thresholds)')
    print('| data | body AP (17 COCO keypoints) | body AP .5 | foot AP '
          '(WholeBody foot sigmas) | foot AP .5 |')
    print('|---|---|---|---|---|')
    for label, ann, img in (
            ('test_coco_wholebody.json (COCO-WholeBody sample)',
             wb / 'test_coco_wholebody.json', wb),
            ('coco_mini (COCO train2017, no foot annotations)',
             mini / 'annotations' / 'person_keypoints_train2017.json',
             mini / 'train2017')):
        if not ann.exists():
            print(f'| {label} (absent: {ann}) | - | - | - | - |')
            continue
        res = body25_oracle_ap(ann, img)
        foot = [res['foot/AP'], res['foot/AP .5']]
        cells = ['-' if v < 0 else f'{v:.4f}' for v in foot]
        print(f"| {label} | {res['AP']:.4f} | {res['AP .5']:.4f} | "
              f'{cells[0]} | {cells[1]} |')
    print()


def _timeit(fn, repeat):
    """Median process CPU time (ms) of ``fn``: on a machine shared with
    other jobs this is what the call costs (wall time adds waiting for a
    core); everything here runs on one thread (OpenCV set to 1 thread)."""
    fn()                                        # warm-up
    ts = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        ts.append(time.process_time() - t0)
    return 1000 * float(np.median(ts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--people', type=int, nargs='+', default=[1, 5, 10, 20])
    ap.add_argument('--upsample', type=float, nargs='+', default=[1, 4])
    ap.add_argument('--repeat', type=int, default=20)
    ap.add_argument('--synthetic-images', type=int, default=20)
    ap.add_argument('--skip-latency', action='store_true')
    ap.add_argument('--skip-ap', action='store_true')
    ap.add_argument('--skip-noise', action='store_true')
    ap.add_argument('--noise-sizes', type=int, nargs='+',
                    default=[24, 48, 96, 184])
    ap.add_argument('--threads', type=int, default=1,
                    help='BLAS/OpenCV/torch threads (default 1)')
    ap.add_argument('--procedures-only', action='store_true',
                    help='only the two reference test procedures (section '
                    '5 of the module doc)')
    ap.add_argument('--body25', action='store_true',
                    help='only the BODY_25 oracle, body and feet (section '
                    '6 of the module doc)')
    args = ap.parse_args()
    import cv2
    import torch
    cv2.setNumThreads(args.threads)
    torch.set_num_threads(args.threads)
    if args.procedures_only:
        print_procedures(args)
        return
    if args.body25:
        print_body25(args)
        return

    if not args.skip_noise:
        print('## Worst case: noise maps (CPU s and tracemalloc peak of one '
              'decode; 17 parts, 29 limbs)')
        print('| maps | max_peaks | peaks/part before the cap | CPU s | '
              'peak MiB | people |')
        print('|---|---|---|---|---|---|')
        noise_decode_cost(24)                   # warm-up (imports)
        for size in args.noise_sizes:
            for cap in (127, None):
                if cap is None and size > 48:
                    continue                    # unbounded: minutes
                cpu, peak, raw, n = noise_decode_cost(size, cap)
                print(f'| {size}x{size} | {cap} | {raw} | {cpu:.2f} | '
                      f'{peak:.1f} | {n} |')
        print()

    if not args.skip_latency:
        print('## Grouping latency (CPU ms/image, median of '
              f'{args.repeat}; 368x368 input, 46x46 maps)')
        print('| people | upsample | hungarian | greedy | python loop '
              '(greedy) | loop/ours | loop==ours |')
        print('|---|---|---|---|---|---|---|')
        for n in args.people:
            scene = make_people(np.random.default_rng(100 + n), n)
            for up in args.upsample:
                cfg = dict(upsample=up, nms_kernel=3 if up == 1 else
                           int(2 * round(up / 2) + 1))
                hung = PartAffinityField((368, 368), (46, 46),
                                         matching='hungarian', **cfg)
                greedy = PartAffinityField((368, 368), (46, 46),
                                           matching='greedy', **cfg)
                enc = hung.encode(scene[0], scene[1])
                maps = (enc['heatmaps'], enc['pafs'])
                t_h = _timeit(lambda: hung.decode(maps),
                              args.repeat)
                t_g = _timeit(lambda: greedy.decode(maps),
                              args.repeat)
                loop = lambda: loop_group_people(  # noqa: E731
                    enc['heatmaps'], enc['pafs'], greedy.limbs,
                    greedy.redundant_limbs,
                    **dataclasses.asdict(greedy.grouping))
                t_l = _timeit(loop, max(1, min(3, args.repeat)))
                lk, _, _ = loop()
                gk, _ = greedy.decode(maps)
                gk = (gk + 0.5) / 8 - 0.5
                same = lk.shape == gk.shape and np.allclose(
                    lk, gk, atol=1e-3)
                print(f'| {n} | {up:g} | {t_h:.2f} | {t_g:.2f} | {t_l:.1f} '
                      f'| {t_l / t_g:.0f}x | {same} |')
        print()
        print('## Encode (CPU ms/image; 368x368 input, 46x46 maps, 17 '
              'parts, 29 limbs)')
        print('| people | ms/image | images/s |')
        print('|---|---|---|')
        codec = PartAffinityField((368, 368), (46, 46))
        for n in args.people:
            scene = make_people(np.random.default_rng(200 + n), n)
            t = _timeit(lambda: codec.encode(scene[0], scene[1]),
                        args.repeat)
            print(f'| {n} | {t:.2f} | {1000 / t:.0f} |')
        print()

    if not args.skip_ap:
        ann = SHARED / 'coco_mini' / 'annotations' / \
            'person_keypoints_train2017.json'
        scenes = []
        try:
            import kp_ext.datasets.synthetic  # noqa: F401
            scenes = synthetic_scenes(args.synthetic_images, 20, seed=1,
                                      people_fn=kp_ext_crowd_people)
        except ImportError:
            pass
        print('## Oracle AP (encode GT -> decode -> xtcocotools COCOeval), '
              'body models x grouping x peak search')
        if not ann.exists():
            print(f'(coco_mini absent: {ann})')
        print('| body model | grouping | peaks | coco_mini, short side 368 '
              '| coco_mini, long side 368 | render_crowd_scene 20 people | '
              'decode CPU ms/image (coco_mini short) |')
        print('|---|---|---|---|---|---|---|')
        for bname, bcfg in BODY_MODELS:
            for gname, gcfg in GROUPINGS:
                for pname, pcfg in PEAKS:
                    cfg = dict(bcfg, **gcfg, **pcfg)
                    cells = []
                    ms = float('nan')
                    for side in ('short', 'long'):
                        if not ann.exists():
                            cells.append('-')
                            continue
                        ap_, ni, npp, t = coco_oracle_ap(ann, side=side,
                                                         **cfg)
                        cells.append(f'{ap_:.4f}')
                        if side == 'short':
                            ms = t
                    cells.append(f'{synthetic_oracle_ap(scenes, **cfg):.4f}'
                                 if scenes else '-')
                    print(f'| {bname} | {gname} | {pname} | '
                          f'{" | ".join(cells)} | {ms:.2f} |')
        print()
        print('## Oracle AP, other settings (kp_ext body model)')
        print('| data | setting | AP |')
        print('|---|---|---|')
        if ann.exists():
            ap_, *_ = coco_oracle_ap(ann, side='short', min_parts=3)
            print(f'| coco_mini train2017 | short side 368, min_parts=3 | '
                  f'{ap_:.4f} |')
        scenes_mp = synthetic_scenes(args.synthetic_images, 20, seed=1)
        for match in ('hungarian', 'greedy'):
            ap_ = synthetic_oracle_ap(scenes_mp, matching=match)
            print(f'| synthetic make_people, {args.synthetic_images} img x '
                  f'20 people | 368x368, {match} | {ap_:.4f} |')
        print()
        print_procedures(args)

if __name__ == '__main__':
    sys.exit(main())
