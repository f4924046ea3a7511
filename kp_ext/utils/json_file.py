"""Read a json file (annotations, ground truth) with errors that name it.

Used by the dataset readers and the COCO metric alike, so it lives below
both."""
import json
import os.path as osp
from typing import Optional

__all__ = ['load_json']


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
