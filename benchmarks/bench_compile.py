"""asv: compile seconds of a solver for a problem, nothing cached (a new process and an empty
numba cache for each sample; see benchmarks/compile_time.py for every solver at once)."""

import shutil
import tempfile
from pathlib import Path

from .compile_time import compile_seconds


def track_compile_seconds(solver):
    """The run's compile_seconds for the quadratic problem, on an empty cache."""
    cache = Path(tempfile.mkdtemp(prefix="optbench-asv-compile-"))
    try:
        return compile_seconds("quadratic", [solver], cache)[solver][0]
    finally:
        shutil.rmtree(cache, ignore_errors=True)


track_compile_seconds.params = ["gd", "gd-armijo", "nesterov", "bfgs", "newton", "cg"]
track_compile_seconds.param_names = ["solver"]
track_compile_seconds.unit = "seconds"
track_compile_seconds.timeout = 300
