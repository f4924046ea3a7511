"""Dataset helpers: metainfo parsing and deterministic splits.

``load_json`` reads an annotation file with errors that name it.
``parse_pose_metainfo`` turns a metainfo file (``dataset_info = dict(...)``,
MMPose layout) into the ``dataset_meta`` dict every kp_ext component reads;
see ``docs/INTERFACES.md`` for its keys.
"""
import hashlib
import json
import os
import os.path as osp
import re
from collections import deque
from typing import Dict, Iterable, List, Optional, Sequence, Union

import numpy as np

__all__ = [
    'load_json', 'parse_pose_metainfo', 'resolve_metainfo_file',
    'METAINFO_DIR',
    'deterministic_split', 'natural_sort_key'
]

METAINFO_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'metainfo')
_PACKAGE_PARENT = osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__))))

_REQUIRED_KEYS = ('dataset_name', 'keypoint_info', 'skeleton_info',
                  'joint_weights', 'sigmas')
_DEFAULT_KPT_COLOR = (255, 128, 0)
_DEFAULT_LINK_COLOR = (96, 96, 255)


def load_json(path: str, what: str = 'annotation file',
              expect: Optional[type] = None):
    """Read a json file; a missing, empty or malformed file raises an error
    naming ``what`` and the path (``json.load`` names neither).

    Args:
        path (str): the file.
        what (str): how to call it in messages.
        expect (type, optional): e.g. ``dict`` or ``list``: the top-level
            value must be of this type.
    """
    if not path or not osp.isfile(path):
        raise FileNotFoundError(f'{what} {path!r} not found')
    with open(path, 'rb') as f:
        raw = f.read()
    if not raw.strip():
        raise ValueError(f'{what} {path} is empty ({len(raw)} bytes)')
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f'{what} {path} is not valid JSON: {e}') from None
    if expect is not None and not isinstance(data, expect):
        raise ValueError(f'{what} {path}: expected a JSON '
                         f'{expect.__name__} at the top level, got '
                         f'{type(data).__name__}')
    return data


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


def _load_metainfo_file(path: str) -> dict:
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    if 'dataset_info' not in cfg:
        raise KeyError(
            f'metainfo file {path} does not define `dataset_info = dict(...)`')
    return cfg.to_dict()['dataset_info']


def _as_name_pair(pair, what: str, name2id: Dict[str, int],
                  id2name: Dict[int, str]):
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


def parse_pose_metainfo(metainfo: dict) -> dict:
    """Parse pose metainfo (MMPose layout) into ``dataset_meta``.

    Args:
        metainfo (dict): either ``dict(from_file=path_or_name, **overrides)``
            (see :func:`resolve_metainfo_file`; top-level keys given beside
            ``from_file`` override the file's) or the ``dataset_info`` dict
            itself with ``dataset_name``, ``keypoint_info``,
            ``skeleton_info``, ``joint_weights`` and ``sigmas`` (``sigmas``
            may be empty when the layout has no OKS constants).

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
        FileNotFoundError / KeyError / ValueError on a missing file, a
        missing key or inconsistent content (unknown swap or link names,
        asymmetric swaps, list lengths that differ from the keypoint count).
    """
    if not isinstance(metainfo, dict):
        metainfo = dict(metainfo)
    metainfo = dict(metainfo)
    if 'from_file' in metainfo:
        path = resolve_metainfo_file(metainfo.pop('from_file'))
        loaded = _load_metainfo_file(path)
        loaded.update(metainfo)
        metainfo = loaded
    missing = [k for k in _REQUIRED_KEYS if k not in metainfo]
    if missing:
        raise KeyError(f'pose metainfo lacks keys {missing}')

    name = metainfo['dataset_name']
    kpt_info = metainfo['keypoint_info']
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

    links, link_colors = [], []
    skel = metainfo['skeleton_info']
    for key in sorted(skel, key=int):
        sk = skel[key]
        a, b = _as_name_pair(sk['link'], f'{name} skeleton link {key}',
                             name2id, id2name)
        links.append((name2id[a], name2id[b]))
        link_colors.append(sk.get('color', _DEFAULT_LINK_COLOR))

    weights = np.asarray(metainfo['joint_weights'], dtype=np.float32)
    if weights.shape != (num_kpts, ):
        raise ValueError(f'{name}: joint_weights has {weights.size} values '
                         f'for {num_kpts} keypoints')
    sigmas = np.asarray(metainfo['sigmas'], dtype=np.float32).reshape(-1)
    if sigmas.size not in (0, num_kpts):
        raise ValueError(f'{name}: sigmas has {sigmas.size} values for '
                         f'{num_kpts} keypoints')

    parsed = {
        k: v
        for k, v in metainfo.items() if k not in (
            'keypoint_info', 'skeleton_info', 'joint_weights', 'sigmas',
            'paf_limbs', 'paf_redundant_limbs', 'norm_indices',
            'head_indices')
    }
    parsed.update(
        dataset_name=name,
        num_keypoints=num_kpts,
        keypoint_id2name=id2name,
        keypoint_name2id=name2id,
        upper_body_ids=upper,
        lower_body_ids=lower,
        flip_indices=flip_indices,
        flip_pairs=flip_pairs,
        keypoint_colors=np.array(colors, dtype=np.uint8).reshape(-1, 3),
        num_skeleton_links=len(links),
        skeleton_links=links,
        skeleton_link_colors=np.array(link_colors,
                                      dtype=np.uint8).reshape(-1, 3),
        dataset_keypoint_weights=weights,
        sigmas=sigmas,
    )

    for key in ('paf_limbs', 'paf_redundant_limbs'):
        if metainfo.get(key) is None:
            continue
        pairs = [
            _as_name_pair(p, f'{name} {key}', name2id, id2name)
            for p in metainfo[key]
        ]
        parsed[key] = [(name2id[a], name2id[b]) for a, b in pairs]
        parsed[key.replace('limbs', 'limb_names')] = pairs
    if 'paf_limbs' in parsed:
        _check_spanning_tree(parsed['paf_limbs'], num_kpts, name)
        tree = {frozenset(p) for p in parsed['paf_limbs']}
        for p in parsed.get('paf_redundant_limbs', []):
            if frozenset(p) in tree:
                raise ValueError(f'{name}: redundant limb {p} is already in '
                                 'paf_limbs')

    for key in ('norm_indices', 'head_indices'):
        if metainfo.get(key) is None:
            continue
        parsed[key] = list(
            _as_name_pair(metainfo[key], f'{name} {key}', name2id,
                          id2name))
        parsed[key] = [name2id[n] for n in parsed[key]]
    return parsed


def natural_sort_key(text: str):
    """Sort key treating digit runs as numbers (``img2`` < ``img10``)."""
    return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', text)]


def deterministic_split(keys: Iterable[str],
                        val_fraction: float = 0.2,
                        seed: Union[int, str] = 0,
                        val_keys: Optional[Sequence[str]] = None):
    """Split unique string keys (identities, image groups) into train/val.

    Without ``val_keys``, keys are ordered by the MD5 of ``f'{seed}:{key}'``
    and the first ``round(val_fraction * n)`` (at least 1 and at most
    ``n - 1`` when ``0 < val_fraction < 1`` and ``n >= 2``) go to val: the
    result depends only on the key set and the seed, never on file order or
    on a global random state. With ``val_keys`` exactly those go to val
    (unknown keys raise ``ValueError``).

    Returns:
        (train_keys, val_keys): two sorted lists.
    """
    keys = sorted(set(keys))
    if val_keys is not None:
        val = set(val_keys)
        unknown = sorted(val - set(keys))
        if unknown:
            raise ValueError(f'val keys not in the data: {unknown[:10]}')
    else:
        if not 0.0 <= val_fraction <= 1.0:
            raise ValueError(f'val_fraction must be in [0, 1], got '
                             f'{val_fraction}')
        n = len(keys)
        n_val = int(round(val_fraction * n))
        if 0.0 < val_fraction < 1.0 and n >= 2:
            n_val = min(max(n_val, 1), n - 1)
        order = sorted(
            keys,
            key=lambda k: hashlib.md5(f'{seed}:{k}'.encode()).hexdigest())
        val = set(order[:n_val])
    return [k for k in keys if k not in val], sorted(val)
