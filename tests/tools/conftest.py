"""Fixtures for the tests of tools/ (scripts, not a package)."""
import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def load_tool():
    """``load_tool('tools/x/y.py')`` imports a tool script as a module."""
    def load(relpath):
        path = REPO / relpath
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load
