"""Pose metainfo: the keypoint layout every kp_ext component reads.

A metainfo file (``dataset_info = dict(...)``, MMPose layout) names a
layout's keypoints, their flip partners, skeleton links, weights, OKS
sigmas and, for bottom-up models, the PAF limbs. The files are data and
live in ``kp_ext/datasets/metainfo/``; this module, below datasets, models
and codecs alike, loads, validates and derives the ``dataset_meta`` tables
from them (see ``docs/INTERFACES.md`` for its keys).

:func:`parse_pose_metainfo` is idempotent: a parsed ``dataset_meta`` is
recognised by :func:`is_parsed_metainfo` (the one test for it) and returned
as a copy, so a dataset, an estimator, a codec and the inferencer can each
call it on whatever they are given.
"""
import copy
import os
import os.path as osp
from collections import deque
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

__all__ = [
    'METAINFO_DIR', 'resolve_metainfo_file', 'load_metainfo_file',
    'is_parsed_metainfo', 'parse_pose_metainfo'
]

#: kp_ext's own metainfo files (data, kept beside the dataset readers)
METAINFO_DIR = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'datasets', 'metainfo')
_PACKAGE_PARENT = osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__))))

_REQUIRED_KEYS = ('dataset_name', 'keypoint_info', 'skeleton_info',
                  'joint_weights', 'sigmas')
# raw keys consumed by the parser (replaced by derived tables)
_RAW_KEYS = ('keypoint_info', 'skeleton_info', 'joint_weights', 'sigmas',
             'paf_limbs', 'paf_redundant_limbs', 'norm_indices',
             'head_indices')
_DEFAULT_KPT_COLOR = (255, 128, 0)
_DEFAULT_LINK_COLOR = (96, 96, 255)


def resolve_metainfo_file(name: str) -> str:
    """Find a metainfo file.

    Tried in order: ``name`` as given (absolute or relative to the working
    directory); relative to the directory holding the ``kp_ext`` package
    (so ``'kp_ext/datasets/metainfo/coco.py'`` works from anywhere); the
    file of that base name in ``kp_ext/datasets/metainfo/`` (so ``'coco'``,
    ``'coco.py'`` and MMPose's ``'configs/_base_/datasets/coco.py'`` all
    resolve to kp_ext's own ``coco.py``).
    """
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f'metainfo from_file must be a path, got {name!r}')
    name = os.fspath(name)
    base = osp.basename(name)
    if not base.endswith('.py'):
        base = base + '.py'
    candidates = [name, osp.join(_PACKAGE_PARENT, name),
                  osp.join(METAINFO_DIR, base)]
    for cand in candidates:
        if osp.isfile(cand):
            return cand
    raise FileNotFoundError(
        f'metainfo file {name!r} not found; tried {candidates}')


def load_metainfo_file(name: str) -> dict:
    """The raw ``dataset_info`` dict of a metainfo file (resolved by
    :func:`resolve_metainfo_file`), not yet parsed."""
    from mmengine.config import Config
    path = resolve_metainfo_file(name)
    cfg = Config.fromfile(path)
    if 'dataset_info' not in cfg:
        raise KeyError(
            f'metainfo file {path} does not define `dataset_info = dict(...)`')
    return cfg.to_dict()['dataset_info']


def is_parsed_metainfo(metainfo: Mapping) -> bool:
    """Whether ``metainfo`` is a parsed ``dataset_meta``: it has the derived
    ``num_keypoints`` and none of the raw inputs (``from_file``,
    ``keypoint_info``) a parse consumes. (A model may be given just the
    derived keys it reads, e.g. ``dict(num_keypoints=K, flip_indices=...)``.)
    """
    return ('num_keypoints' in metainfo and 'from_file' not in metainfo
            and 'keypoint_info' not in metainfo)


def _as_name_pair(pair, what: str, name2id: Dict[str, int],
                  id2name: Dict[int, str]) -> Tuple[str, str]:
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise ValueError(f'{what}: expected a pair of keypoints, got {pair!r}')
    out = []
    for p in pair:
        if isinstance(p, str):
            if p not in name2id:
                raise ValueError(f'{what}: unknown keypoint name {p!r}')
            out.append(p)
        elif isinstance(p, (int, np.integer)) and int(p) in id2name:
            out.append(id2name[int(p)])
        else:
            raise ValueError(f'{what}: unknown keypoint {p!r}')
    if out[0] == out[1]:
        raise ValueError(f'{what}: a link joins {out[0]!r} to itself')
    return tuple(out)


def _merge_file(metainfo: dict) -> dict:
    """``dict(from_file=..., **overrides)`` -> the file's ``dataset_info``
    with the overrides applied; anything else is returned as it is."""
    metainfo = dict(metainfo)
    if 'from_file' in metainfo:
        loaded = load_metainfo_file(metainfo.pop('from_file'))
        loaded.update(metainfo)
        metainfo = loaded
    missing = [k for k in _REQUIRED_KEYS if k not in metainfo]
    if missing:
        raise KeyError(f'pose metainfo lacks keys {missing}')
    return metainfo


def _parse_keypoints(name: str, kpt_info: Mapping) -> dict:
    """``keypoint_info`` -> names, body halves, colours and swap names."""
    num_kpts = len(kpt_info)
    if num_kpts == 0:
        raise ValueError(f'{name}: keypoint_info is empty')
    if sorted(int(k) for k in kpt_info) != list(range(num_kpts)):
        raise ValueError(
            f'{name}: keypoint_info keys must be 0..{num_kpts - 1}')
    id2name, name2id = {}, {}
    upper, lower, colors, swaps = [], [], [], []
    for kid in range(num_kpts):
        kpt = kpt_info[kid] if kid in kpt_info else kpt_info[str(kid)]
        kname = kpt['name']
        if kname in name2id:
            raise ValueError(f'{name}: duplicate keypoint name {kname!r}')
        if 'id' in kpt and int(kpt['id']) != kid:
            raise ValueError(f'{name}: keypoint {kname!r} is listed under '
                             f'{kid} but has id {kpt["id"]}')
        id2name[kid] = kname
        name2id[kname] = kid
        colors.append(kpt.get('color', _DEFAULT_KPT_COLOR))
        ktype = kpt.get('type', '')
        if ktype == 'upper':
            upper.append(kid)
        elif ktype == 'lower':
            lower.append(kid)
        swaps.append(kpt.get('swap', '') or kname)
    return dict(
        num_keypoints=num_kpts,
        keypoint_id2name=id2name,
        keypoint_name2id=name2id,
        upper_body_ids=upper,
        lower_body_ids=lower,
        keypoint_colors=np.array(colors, dtype=np.uint8).reshape(-1, 3),
        swaps=swaps)


def _flip_tables(name: str, swaps: List[str], id2name: Dict[int, str],
                 name2id: Dict[str, int]) -> dict:
    """Swap names -> ``flip_indices`` (checked to be an involution) and the
    sorted ``flip_pairs``."""
    flip_indices = []
    for kid, swap in enumerate(swaps):
        if swap not in name2id:
            raise ValueError(f'{name}: keypoint {id2name[kid]!r} swaps with '
                             f'unknown keypoint {swap!r}')
        flip_indices.append(name2id[swap])
    for kid, fid in enumerate(flip_indices):
        if flip_indices[fid] != kid:
            raise ValueError(
                f'{name}: swap is not symmetric: {id2name[kid]!r} -> '
                f'{id2name[fid]!r} but {id2name[fid]!r} -> '
                f'{id2name[flip_indices[fid]]!r}')
    flip_pairs = sorted({(min(k, f), max(k, f))
                         for k, f in enumerate(flip_indices) if k != f})
    return dict(flip_indices=flip_indices, flip_pairs=flip_pairs)


def _skeleton_tables(name: str, skel: Mapping, id2name: Dict[int, str],
                     name2id: Dict[str, int]) -> dict:
    """``skeleton_info`` -> index pairs and their colours."""
    links, link_colors = [], []
    for key in sorted(skel, key=int):
        sk = skel[key]
        a, b = _as_name_pair(sk['link'], f'{name} skeleton link {key}',
                             name2id, id2name)
        links.append((name2id[a], name2id[b]))
        link_colors.append(sk.get('color', _DEFAULT_LINK_COLOR))
    return dict(
        num_skeleton_links=len(links),
        skeleton_links=links,
        skeleton_link_colors=np.array(link_colors,
                                      dtype=np.uint8).reshape(-1, 3))


def _weight_tables(name: str, metainfo: Mapping, num_kpts: int) -> dict:
    """``joint_weights`` (K,) and ``sigmas`` (K,) or (0,), float32."""
    weights = np.asarray(metainfo['joint_weights'], dtype=np.float32)
    if weights.shape != (num_kpts, ):
        raise ValueError(f'{name}: joint_weights has {weights.size} values '
                         f'for {num_kpts} keypoints')
    sigmas = np.asarray(metainfo['sigmas'], dtype=np.float32).reshape(-1)
    if sigmas.size not in (0, num_kpts):
        raise ValueError(f'{name}: sigmas has {sigmas.size} values for '
                         f'{num_kpts} keypoints')
    return dict(dataset_keypoint_weights=weights, sigmas=sigmas)


def _check_spanning_tree(limbs: List[tuple], num_keypoints: int,
                         dataset_name: str):
    """Raise unless the index pairs form a spanning tree ordered so that
    every limb after the first touches a keypoint reached before it."""
    if len(limbs) != num_keypoints - 1:
        raise ValueError(
            f'{dataset_name}: paf_limbs must be a spanning tree with '
            f'{num_keypoints - 1} limbs, got {len(limbs)}')
    adj = {i: [] for i in range(num_keypoints)}
    for a, b in limbs:
        adj[a].append(b)
        adj[b].append(a)
    seen = {limbs[0][0]}
    queue = deque([limbs[0][0]])
    while queue:
        u = queue.popleft()
        for v in adj[u]:
            if v not in seen:
                seen.add(v)
                queue.append(v)
    if len(seen) != num_keypoints:
        raise ValueError(
            f'{dataset_name}: paf_limbs do not connect all keypoints '
            f'(missing ids {sorted(set(range(num_keypoints)) - seen)})')
    reached = {limbs[0][0]}
    for a, b in limbs:
        if a not in reached and b not in reached:
            raise ValueError(
                f'{dataset_name}: paf_limbs limb ({a}, {b}) comes before '
                'either of its keypoints is reached; order the tree '
                'breadth-first from its root')
        reached.update((a, b))


def _paf_limb_tables(name: str, metainfo: Mapping, num_kpts: int,
                     id2name: Dict[int, str],
                     name2id: Dict[str, int]) -> dict:
    """``paf_limbs`` (a spanning tree) and ``paf_redundant_limbs`` as index
    pairs, with their name pairs in ``paf_*limb_names``."""
    out = {}
    for key in ('paf_limbs', 'paf_redundant_limbs'):
        if metainfo.get(key) is None:
            continue
        pairs = [
            _as_name_pair(p, f'{name} {key}', name2id, id2name)
            for p in metainfo[key]
        ]
        out[key] = [(name2id[a], name2id[b]) for a, b in pairs]
        out[key.replace('limbs', 'limb_names')] = pairs
    if 'paf_limbs' in out:
        _check_spanning_tree(out['paf_limbs'], num_kpts, name)
        tree = {frozenset(p) for p in out['paf_limbs']}
        for p in out.get('paf_redundant_limbs', []):
            if frozenset(p) in tree:
                raise ValueError(f'{name}: redundant limb {p} is already in '
                                 'paf_limbs')
    return out


def _index_pair_tables(name: str, metainfo: Mapping,
                       id2name: Dict[int, str],
                       name2id: Dict[str, int]) -> dict:
    """``norm_indices`` / ``head_indices`` (a keypoint pair each) as ids."""
    out = {}
    for key in ('norm_indices', 'head_indices'):
        if metainfo.get(key) is None:
            continue
        pair = _as_name_pair(metainfo[key], f'{name} {key}', name2id,
                             id2name)
        out[key] = [name2id[n] for n in pair]
    return out


def parse_pose_metainfo(metainfo: Optional[Mapping]) -> dict:
    """Parse pose metainfo (MMPose layout) into ``dataset_meta``.

    Args:
        metainfo (dict): either ``dict(from_file=path_or_name, **overrides)``
            (see :func:`resolve_metainfo_file`; top-level keys given beside
            ``from_file`` override the file's), the ``dataset_info`` dict
            itself with ``dataset_name``, ``keypoint_info``,
            ``skeleton_info``, ``joint_weights`` and ``sigmas`` (``sigmas``
            may be empty when the layout has no OKS constants), or an
            already parsed ``dataset_meta`` (:func:`is_parsed_metainfo`),
            which is returned as a deep copy.

    Returns:
        dict with ``dataset_name``, ``num_keypoints``, ``keypoint_id2name``,
        ``keypoint_name2id``, ``upper_body_ids``, ``lower_body_ids``,
        ``flip_indices`` (list, ``flip_indices[i]`` is the keypoint that
        ``i`` becomes under a horizontal flip), ``flip_pairs`` (sorted
        unique ``(i, j)`` with ``i < j``), ``keypoint_colors`` (K, 3) uint8,
        ``num_skeleton_links``, ``skeleton_links`` (index pairs),
        ``skeleton_link_colors`` (L, 3) uint8, ``dataset_keypoint_weights``
        (K,) float32, ``sigmas`` (K,) or (0,) float32. Optional keys when
        the file defines them: ``paf_limbs`` / ``paf_redundant_limbs``
        (index pairs; ``paf_limb_names`` / ``paf_redundant_limb_names`` keep
        the name pairs), ``norm_indices`` and ``head_indices`` (keypoint
        ids). Any other key (e.g. ``paper_info``) is passed through.

    Raises:
        TypeError when ``metainfo`` is not a mapping; FileNotFoundError /
        KeyError / ValueError on a missing file, a missing key or
        inconsistent content (unknown swap or link names, asymmetric swaps,
        list lengths that differ from the keypoint count).
    """
    if not isinstance(metainfo, Mapping):
        raise TypeError(f'pose metainfo must be a dict, got '
                        f'{type(metainfo).__name__}')
    if is_parsed_metainfo(metainfo):
        return copy.deepcopy(dict(metainfo))
    metainfo = _merge_file(metainfo)
    name = metainfo['dataset_name']
    kpts = _parse_keypoints(name, metainfo['keypoint_info'])
    swaps = kpts.pop('swaps')
    id2name, name2id = kpts['keypoint_id2name'], kpts['keypoint_name2id']

    parsed = {k: v for k, v in metainfo.items() if k not in _RAW_KEYS}
    parsed.update(dataset_name=name, **kpts)
    parsed.update(_flip_tables(name, swaps, id2name, name2id))
    parsed.update(
        _skeleton_tables(name, metainfo['skeleton_info'], id2name, name2id))
    parsed.update(_weight_tables(name, metainfo, kpts['num_keypoints']))
    parsed.update(
        _paf_limb_tables(name, metainfo, kpts['num_keypoints'], id2name,
                         name2id))
    parsed.update(_index_pair_tables(name, metainfo, id2name, name2id))
    return parsed
