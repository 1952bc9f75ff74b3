"""Where optbench caches compiled code and known optima; checking, describing, clearing.

Compiled code lives in numba's disk cache: ``$NUMBA_CACHE_DIR`` when set, else numba's
default (``__pycache__`` next to the sources, or the user cache directory when that is not
writable). Known optima live in ``$OPTBENCH_CACHE_DIR`` (see :mod:`optbench.optima`).

- A cache location that cannot be written is not an error: the compiled code goes to a
  per-user temporary directory instead, with one warning (logger ``optbench``); if no
  location is writable, code is compiled in every process, again with a warning.
- A corrupt cache file (garbage, truncated) is never used: it is reported, removed and the
  function compiled again (see ``_jit._FingerprintCache``). Stale code is never loaded: the
  cache freshness stamp is a hash of the sources (see :mod:`optbench._jit`).
- :func:`clear` removes optbench's compiled code and cached optima (``optbench cache
  clear``).
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from pathlib import Path

__all__ = ["check_numba_cache", "caching_enabled", "compiled_cache_dirs", "clear", "describe"]

log = logging.getLogger("optbench")
_CACHE_SUFFIXES = (".nbi", ".nbc")


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
        return True
    except OSError:
        return False


def _fallback_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"optbench-numba-cache-{os.getuid()}"


@functools.cache
def check_numba_cache() -> bool:
    """Make sure numba's disk cache can be written; fall back (with a warning) if not.

    Returns False when no location is writable (compiled code is then not cached)."""
    from numba.core import config

    package = Path(__file__).resolve().parent
    configured = config.CACHE_DIR
    if configured:
        if _writable(Path(configured)):
            return True
        where = f"NUMBA_CACHE_DIR={configured!r} is not writable"
    else:
        if _writable(package / "__pycache__") or _writable(_numba_user_dir()):
            return True  # numba's own locators will find a place
        where = f"neither {str(package / '__pycache__')!r} nor the user cache is writable"
    fallback = _fallback_dir()
    if _writable(fallback):
        config.CACHE_DIR = str(fallback)
        log.warning("optbench: warning: %s; caching compiled code in %r instead", where,
                    str(fallback))
        return True
    log.warning("optbench: warning: %s and neither is %r; compiled code is not cached "
                "(every process compiles again)", where, str(fallback))
    return False


def caching_enabled() -> bool:
    return check_numba_cache()


def _numba_user_dir() -> Path:
    from numba.misc.appdirs import AppDirs

    return Path(AppDirs(appname="numba", appauthor=False).user_cache_dir)


def compiled_cache_dirs() -> list[Path]:
    """The directories holding the compiled code of every optbench function loaded so far
    (the package, its problems, user problems)."""
    from ._jit import all_compiled_functions
    from .registry import problem_names, solver_names

    problem_names(), solver_names()  # load the catalogue: every compiled function exists
    dirs = set()
    for fn in all_compiled_functions():
        cache = getattr(fn, "_cache", None)
        path = getattr(cache, "_cache_path", None)
        if path:
            dirs.add(Path(path))
    return sorted(dirs)


def _cache_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return [p for p in directory.iterdir() if p.suffix in _CACHE_SUFFIXES]


def describe() -> list[tuple[str, Path, int, int]]:
    """(what, directory, files, bytes) for the compiled-code and optima caches."""
    from .optima import cache_dir

    out = []
    for d in compiled_cache_dirs():
        files = _cache_files(d)
        out.append(("compiled code", d, len(files), sum(f.stat().st_size for f in files)))
    optima = cache_dir()
    files = [p for p in optima.glob("*") if p.is_file()] if optima.is_dir() else []
    out.append(("known optima", optima, len(files), sum(f.stat().st_size for f in files)))
    return out


def clear(*, optima: bool = True) -> tuple[int, int]:
    """Remove optbench's compiled code (numba cache files of its functions' source
    directories) and, with ``optima``, the cached known optima. Returns (files, bytes)."""
    from .optima import cache_dir

    files = [f for d in compiled_cache_dirs() for f in _cache_files(d)]
    if optima and cache_dir().is_dir():
        files += [p for p in cache_dir().glob("*") if p.is_file()]
    removed = size = 0
    for f in files:
        try:
            n = f.stat().st_size
            f.unlink()
        except FileNotFoundError:
            continue
        removed, size = removed + 1, size + n
    return removed, size
