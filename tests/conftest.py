"""Test set-up: one numba cache directory for the whole session (and its subprocesses), and
a project-local cache of reference optima (never the user's ~/.cache).

Numba reads NUMBA_CACHE_DIR when it is first imported, so this runs before optbench is
imported. CI sets a fresh directory; locally the default keeps compiled code between runs.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba-cache"))
os.environ.setdefault("OPTBENCH_CACHE_DIR", str(ROOT / ".optbench-cache"))  # known optima

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import optbench  # noqa: E402


def pytest_report_header(config):
    return f"NUMBA_CACHE_DIR={os.environ['NUMBA_CACHE_DIR']}"


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def problem_names():
    return optbench.problem_names()
