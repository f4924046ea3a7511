"""benchmarks/accuracy.py (``tools/benchmark.py accuracy``): its argument
handling and the face shape oracles it prints beside the trained NME."""
import sys
from pathlib import Path

import pytest

from conftest import shared_data

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from benchmarks import accuracy  # noqa: E402


def test_models_and_default_budgets():
    assert set(accuracy.MODELS) == {'openpose', 'mouse', 'faces', 'fse'}
    for spec in accuracy.MODELS.values():
        assert (REPO / spec['config']).is_file()
    args = accuracy.parse_args(['--model', 'fse'])
    assert args.minutes is None and args.threads == 2
    with pytest.raises(SystemExit):
        accuracy.parse_args(['--model', 'cats'])


@pytest.mark.slow
def test_face_shape_oracles_on_the_shared_faces():
    shared_data('youtube_faces_68lm_udacity')
    res = accuracy.face_shape_oracles('configs/fse_faces.py',
                                      'val_dataloader.dataset.fit',
                                      'val_dataloader.dataset.test')
    # the identity split of the FSE config: 254 held-back faces
    assert res['n_test'] == 254 and res['n_fit'] > 500
    # knowing more of the test face can only help: in place > at the
    # centroid > similarity-aligned, each by a clear margin
    assert res['mean_shape'] > res['centroid'] + 3 > res['similarity'] + 6
    assert 3 < res['similarity'] < 15
