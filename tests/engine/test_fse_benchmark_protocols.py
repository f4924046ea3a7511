"""tools/fse_benchmark.py: both regression protocols on the same
predictions, and the ratio of their normalisers."""
from types import SimpleNamespace

import numpy as np
import pytest

from tools.fse_benchmark import (BIAS_KEY, normaliser_ratio,
                                 with_protocol_split)


def test_with_protocol_split_adds_the_literature_protocol_once():
    own = dict(type='LandmarkRegressionMetric', alpha=[0.1, 1.0])
    out = with_protocol_split(own)
    assert out[0] == own
    assert out[1] == dict(type='LandmarkRegressionMetric', protocol='mafl')
    assert out[2]['bias'] is True and out[2]['prefix'] == \
        BIAS_KEY.split('/')[0]
    # a config that already reports NME_mafl does not get it twice
    out = with_protocol_split([own, dict(out[1])])
    assert [m.get('protocol') for m in out] == [None, 'mafl', 'mafl']
    other = dict(type='PCKAccuracy')
    assert with_protocol_split(other) is other


class _Faces:
    """The part of a dataset that ``normaliser_ratio`` reads."""

    def __init__(self, faces):
        self.faces = faces
        self.num_keypoints = len(faces[0])

    def __len__(self):
        return len(self.faces)

    def get_data_info(self, i):
        return dict(keypoints=self.faces[i][None])


def _runner(faces):
    return SimpleNamespace(test_dataloader=SimpleNamespace(
        dataset=SimpleNamespace(test=_Faces(faces))))


def test_normaliser_ratio_hand_computed():
    faces = []
    for corner_dx, d in ((3.0, 20.0), (5.0, 30.0)):
        f = np.zeros((68, 2))
        for first, cx in ((36, 10.0), (42, 10.0 + d)):
            # corners at cx -+ corner_dx, lids at cx -+ 1: mean = cx
            f[first:first + 6] = [[cx - corner_dx, 0], [cx - 1, -1],
                                  [cx + 1, -1], [cx + corner_dx, 0],
                                  [cx + 1, 1], [cx - 1, 1]]
        faces.append(f)
    # 36 = left centre - dx, 45 = right centre + dx
    expect = np.mean([(20 + 6) / 20, (30 + 10) / 30])
    assert normaliser_ratio(_runner(faces)) == pytest.approx(expect)
    assert normaliser_ratio(_runner([np.zeros((5, 2))])) is None
