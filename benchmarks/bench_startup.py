"""asv: wall time of ``optbench run quadratic gd`` started in a fresh Python process.

* cold: an empty numba cache (``NUMBA_CACHE_DIR`` a new directory): import, compile, run;
* warm: a cache filled by an earlier process (untimed): import, load from the cache, run.

asv runs each sample in a new interpreter (``timeraw_``): the returned ``setup`` source runs
there untimed (it points numba at the cache directory before numba is imported); the timed
statement imports optbench and runs the command's ``main``, its output discarded.
"""

COMMAND = ["run", "quadratic", "gd"]

_RUN = f"""
import contextlib, io
from optbench.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    status = main({COMMAND!r})
assert status == 0, status
"""

_COLD = """
import atexit, os, shutil, tempfile
cache = tempfile.mkdtemp(prefix="optbench-asv-cold-")
atexit.register(shutil.rmtree, cache, True)
os.environ["NUMBA_CACHE_DIR"] = cache
"""

_WARM = f"""
import os, subprocess, sys, tempfile
cache = os.path.join(tempfile.gettempdir(), "optbench-asv-warm-cache")
env = dict(os.environ, NUMBA_CACHE_DIR=cache)
subprocess.run([sys.executable, "-m", "optbench.cli", *{COMMAND!r}], env=env, check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.environ["NUMBA_CACHE_DIR"] = cache
"""


def timeraw_cli_cold():
    """optbench run quadratic gd, nothing cached (compiles everything)."""
    return _RUN, _COLD


def timeraw_cli_warm():
    """optbench run quadratic gd, everything loaded from numba's disk cache."""
    return _RUN, _WARM


timeraw_cli_cold.repeat = 3
timeraw_cli_cold.timeout = 240
timeraw_cli_warm.repeat = 5
timeraw_cli_warm.timeout = 120
