"""kp_ext's BaseKeypointCodec has MMPose 1.3's contract (issue 15, item 6).

``MMPOSE_132_CODEC_CONTRACT`` is pinned from MMPose 1.3.2's
``mmpose/codecs/base.py`` (class attributes and their empty values,
abstract methods, method parameters, the ``support_batch_decoding``
property, base ``batch_decode`` raising ``NotImplementedError``), so a
codec written against either base drops into the other.
tests/upstream/test_upstream_codec_contract_live.py checks the pin against the
installed MMPose where it is importable.
"""
import inspect
from abc import ABCMeta

import numpy as np
import pytest

from kp_ext.codecs import GaussianHeatmap, SoftArgmax
from kp_ext.codecs.base import BaseKeypointCodec

# name -> (parameters as (name, kind, default), or 'property')
MMPOSE_132_CODEC_CONTRACT = dict(
    metaclass='ABCMeta',
    class_attributes=dict(auxiliary_encode_keys=set(),
                          field_mapping_table=dict(),
                          instance_mapping_table=dict(),
                          label_mapping_table=dict()),
    abstract_methods={'encode', 'decode'},
    methods=dict(
        encode=(('self', 'POSITIONAL_OR_KEYWORD', None),
                ('keypoints', 'POSITIONAL_OR_KEYWORD', None),
                ('keypoints_visible', 'POSITIONAL_OR_KEYWORD', 'None')),
        decode=(('self', 'POSITIONAL_OR_KEYWORD', None),
                ('encoded', 'POSITIONAL_OR_KEYWORD', None)),
        batch_decode=(('self', 'POSITIONAL_OR_KEYWORD', None),
                      ('batch_encoded', 'POSITIONAL_OR_KEYWORD', None)),
        support_batch_decoding='property'),
    base_batch_decode_raises='NotImplementedError',
)


def codec_contract(cls) -> dict:
    """The contract of a codec base class, in the pinned data's form."""
    methods = {}
    for name in MMPOSE_132_CODEC_CONTRACT['methods']:
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, property):
            methods[name] = 'property'
            continue
        methods[name] = tuple(
            (p.name, p.kind.name,
             None if p.default is inspect.Parameter.empty else repr(p.default))
            for p in inspect.signature(attr).parameters.values())

    class _Probe(cls):
        def encode(self, keypoints, keypoints_visible=None):
            return {}

        def decode(self, encoded):
            return encoded, encoded

    try:
        _Probe().batch_decode(None)
        raises = None
    except Exception as e:  # noqa: BLE001 - recording which one
        raises = type(e).__name__
    return dict(
        metaclass=type(cls).__name__,
        class_attributes={n: getattr(cls, n) for n in
                          MMPOSE_132_CODEC_CONTRACT['class_attributes']},
        abstract_methods=set(cls.__abstractmethods__),
        methods=methods,
        base_batch_decode_raises=raises)


def test_kp_ext_base_has_mmpose_132_contract():
    assert type(BaseKeypointCodec) is ABCMeta
    assert codec_contract(BaseKeypointCodec) == MMPOSE_132_CODEC_CONTRACT


@pytest.mark.parametrize('cls', [GaussianHeatmap, SoftArgmax])
def test_batch_decoding_codecs_override_with_mmpose_signature(cls):
    codec = cls((32, 32), (8, 8))
    assert codec.support_batch_decoding
    params = list(inspect.signature(cls.batch_decode).parameters)
    assert params == ['self', 'batch_encoded']
    keypoints, scores = codec.batch_decode(np.zeros((2, 3, 8, 8), np.float32))
    assert len(keypoints) == len(scores) == 2
    assert keypoints[0].shape == (1, 3, 2) and scores[0].shape == (1, 3)


def test_support_batch_decoding_false_without_override():
    class OnlyDecode(BaseKeypointCodec):
        def encode(self, keypoints, keypoints_visible=None):
            return {}

        def decode(self, encoded):
            return encoded, encoded

    assert not OnlyDecode().support_batch_decoding
    with pytest.raises(NotImplementedError, match='OnlyDecode'):
        OnlyDecode().batch_decode(None)
