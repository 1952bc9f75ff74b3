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


def _kill_sweep(proc, out: Path, timeout: float = 120.0) -> None:
    """SIGKILL a sweep started with ``start_new_session=True`` (it and its workers), wait for
    it, then for the results directory's lock to be free: a process of the group that was
    forking at the kill can hold the lock's file a moment longer than the sweep lives (an
    event, with a deadline that fails loudly)."""
    import fcntl
    import signal
    import time

    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    lock = Path(out) / ".lock"
    if not lock.exists():
        return
    deadline = time.monotonic() + timeout
    with open(lock, "a+") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{lock} still held {timeout:.0f} s after the sweep was killed")
                time.sleep(0.005)  # polling interval only: waits for the release, not a delay
                continue
            fcntl.flock(fh, fcntl.LOCK_UN)
            return


@pytest.fixture
def kill_sweep():
    """``kill_sweep(proc, out)``: see :func:`_kill_sweep`."""
    return _kill_sweep
