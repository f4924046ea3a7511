import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Real data lives beside the repo (../shared/data), never inside it.
SHARED_DATA = Path(os.environ.get('KP_EXT_SHARED_DATA',
                                  REPO.parent / 'shared' / 'data'))


def shared_data(*parts):
    """Path under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f'needs shared data {path} (absent on this machine)')
    return path


@pytest.fixture(autouse=True)
def _single_thread_torch():
    import torch
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    yield
