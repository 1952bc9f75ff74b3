"""asv suites (``bench_*.py``) and side-by-side scripts (``compare.py``, ``*_overhead.py``).

Imported first whenever asv imports a suite: numba's compiled-code cache goes to
``.asv/numba-cache`` (ignored by git) unless ``NUMBA_CACHE_DIR`` is set, so compiled solvers
are shared by asv's benchmark processes and runs; optbench's source fingerprints keep the
cache fresh across commits.
"""

import os
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR",
                      str(Path(__file__).resolve().parent.parent / ".asv" / "numba-cache"))
