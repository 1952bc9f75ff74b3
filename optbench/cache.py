"""Where optbench caches compiled code and known optima: private, bounded, prunable.

Compiled code lives in numba's disk cache, in ``$NUMBA_CACHE_DIR`` when that is set, else in
``<user cache>/optbench/numba`` (``~/.cache/optbench/numba`` on Linux); known optima in
``$OPTBENCH_CACHE_DIR``, else ``<user cache>/optbench/optima`` (see :mod:`optbench.optima`).

- **Private.** numba's cache index is a pickle: whoever can write it can run code as the
  user who loads it. A cache directory is used only when it is the user's own: owned by the
  user, not a symbolic link to someone else's, and writable by nobody else (no write bit for
  others; none for the group unless it is the user's own primary group). A directory
  optbench creates is made with mode 0700. When the chosen location fails these checks or
  cannot be written, the fallback is ``<tmp>/optbench-<uid>/<what>``, created 0700 and
  checked the same way on every start; when even that is taken, a fresh private temporary
  directory for this process only. Each fallback is one warning (logger ``optbench``).
- **Bounded.** ``optbench cache prune`` removes what no loaded code can use any more: index
  files of functions that no longer exist, entries of edited functions or of problem
  functions whose identity is gone, data files no index names. The command line prunes on
  its own when the compiled-code cache grows past ``$OPTBENCH_CACHE_LIMIT_MB`` (default
  2048 MiB). Every optbench process holds a shared lock on the cache while it runs; pruning
  takes the exclusive lock and is skipped while another process uses the cache.
- A corrupt cache file (garbage, truncated) is never used: it is reported, removed and the
  function compiled again (see ``_jit._FingerprintCache``). Stale code is never loaded: the
  identity and freshness stamp of a function are hashes of its content (see
  :mod:`optbench._jit`).
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["check_numba_cache", "caching_enabled", "numba_cache_dir", "private_dir",
           "user_cache_root", "not_private", "describe", "functions", "clear", "prune",
           "prune_if_large", "size_limit", "ENV_LIMIT", "FunctionEntry"]

log = logging.getLogger("optbench")
ENV_LIMIT = "OPTBENCH_CACHE_LIMIT_MB"
DEFAULT_LIMIT_MB = 2048
_CACHE_SUFFIXES = (".nbi", ".nbc")
_LOCK_NAME = ".optbench.lock"
_lock_fd: int | None = None


# -- private directories ---------------------------------------------------------------------------
def user_cache_root() -> Path:
    """The platform's per-user cache directory."""
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")


def not_private(directory: Path) -> str | None:
    """Why ``directory`` is not safe to load cached code from (None when it is the user's
    own: a directory owned by the user that nobody else can write)."""
    try:
        st = os.stat(directory)  # follows a symbolic link: the target is what counts
        link = os.lstat(directory)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror}"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a directory"
    if stat.S_ISLNK(link.st_mode) and link.st_uid != os.getuid():
        return f"it is a symbolic link owned by user id {link.st_uid}"
    if st.st_uid != os.getuid():
        return f"it is owned by user id {st.st_uid}, not by this user ({os.getuid()})"
    if st.st_mode & stat.S_IWOTH:
        return f"other users can write it (mode {stat.S_IMODE(st.st_mode):o})"
    if st.st_mode & stat.S_IWGRP and st.st_gid != os.getgid():
        return f"group {st.st_gid} can write it (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _make_private(directory: Path) -> str | None:
    """Create ``directory`` (mode 0700 for what is created) if needed, check that it is
    private and writable; the reason when it is not."""
    try:
        missing = [p for p in (directory, *directory.parents) if not p.exists()]
        for p in reversed(missing):
            p.mkdir(mode=0o700)
            os.chmod(p, 0o700)
    except OSError as exc:
        return f"it cannot be created ({type(exc).__name__}: {exc.strerror})"
    reason = not_private(directory)
    if reason is None and not os.access(directory, os.W_OK | os.X_OK):
        reason = "it cannot be written"
    return reason


def private_dir(preferred: Path, what: str, setting: str) -> Path:
    """``preferred`` when it is (or can be made) a private writable directory, else the
    per-user fallback ``<tmp>/optbench-<uid>/<what>``, else a fresh temporary directory for
    this process; one warning names ``setting`` and why ``preferred`` was not used."""
    reason = _make_private(preferred)
    if reason is None:
        return preferred
    fallback = Path(tempfile.gettempdir()) / f"optbench-{os.getuid()}" / what
    why_not = _make_private(fallback)
    if why_not is None:
        log.warning("optbench: warning: %s %r is not used for the %s cache: %s; using %r "
                    "instead", setting, str(preferred), what, reason, str(fallback))
        return fallback
    own = Path(tempfile.mkdtemp(prefix=f"optbench-{os.getuid()}-{what}-"))
    log.warning("optbench: warning: %s %r is not used for the %s cache (%s), nor is %r (%s); "
                "using %r for this process only", setting, str(preferred), what, reason,
                str(fallback), why_not, str(own))
    return own


# -- the compiled-code cache ----------------------------------------------------------------------
def numba_cache_dir() -> Path:
    """The directory numba caches optbench's compiled code in (checked, see the module doc)."""
    check_numba_cache()
    from numba.core import config

    return Path(config.CACHE_DIR)


@functools.cache
def check_numba_cache() -> bool:
    """Point numba's disk cache at a private directory (see the module doc) and take the
    shared lock on it. Returns False when caching is impossible (never in practice: the
    last fallback is a fresh temporary directory)."""
    from numba.core import config

    configured = config.CACHE_DIR
    if configured:
        chosen = private_dir(Path(configured).expanduser(), "numba", "NUMBA_CACHE_DIR")
    else:
        chosen = private_dir(user_cache_root() / "optbench" / "numba", "numba",
                             "the default location")
    config.CACHE_DIR = str(chosen)
    _take_lock(chosen, fcntl.LOCK_SH)
    return True


def caching_enabled() -> bool:
    return check_numba_cache()


def _take_lock(directory: Path, how: int) -> bool:
    global _lock_fd
    try:
        if _lock_fd is None:
            _lock_fd = os.open(directory / _LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(_lock_fd, how)
        return True
    except OSError:
        return False


def size_limit() -> int:
    """Bytes the compiled-code cache may hold before the command line prunes it."""
    text = os.environ.get(ENV_LIMIT, "").strip()
    try:
        mb = float(text) if text else DEFAULT_LIMIT_MB
    except ValueError:
        from .errors import InvalidValueError

        raise InvalidValueError(f"{ENV_LIMIT} must be a number of MiB; got {text!r}") from None
    return int(mb * 2**20)


def _cache_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return [p for p in root.rglob("*") if p.suffix in _CACHE_SUFFIXES and p.is_file()]


def _size(files) -> int:
    total = 0
    for f in files:
        try:
            total += f.stat().st_size
        except OSError:
            pass
    return total


@dataclass
class FunctionEntry:
    """One compiled function's part of the cache: its index file and data files."""

    name: str          # module.qualname-line, as numba names the files
    index: Path
    entries: int       # compiled versions the index holds (-1: not read, no live function)
    bytes: int
    live: bool         # a function loaded in this process owns the index


def _live_owners() -> dict[Path, list]:
    """Index path -> the loaded compiled functions it belongs to (closures share one)."""
    from ._jit import all_compiled_functions
    from .registry import problem_names, solver_names

    problem_names(), solver_names()  # load the catalogue: every compiled function exists
    owners: dict[Path, list] = {}
    for fn in all_compiled_functions():
        cache = getattr(fn, "_cache", None)
        cache_file = getattr(cache, "_cache_file", None)
        if cache_file is not None and fn.cacheable:
            owners.setdefault(Path(cache_file._index_path), []).append(fn)
    return owners


def _data_files(index: Path) -> list[Path]:
    base = index.name[: -len(".nbi")]
    return [p for p in index.parent.glob(f"{base}.*.nbc")]


def functions() -> list[FunctionEntry]:
    """Every function with compiled code in the cache, largest first."""
    from . import _numba

    root = numba_cache_dir()
    owners = _live_owners()
    out = []
    for index in sorted(root.rglob("*.nbi")):
        fns = owners.get(index)
        entries = len(_numba.read_index(fns[0])) if fns else -1
        out.append(FunctionEntry(index.name[: -len(".nbi")], index, entries,
                                 _size([index, *_data_files(index)]), bool(fns)))
    return sorted(out, key=lambda e: -e.bytes)


def describe() -> list[tuple[str, Path, int, int]]:
    """(what, directory, files, bytes) for the compiled-code and optima caches."""
    from .optima import cache_dir

    root = numba_cache_dir()
    files = _cache_files(root)
    out = [("compiled code", root, len(files), _size(files))]
    optima = cache_dir()
    files = [p for p in optima.glob("*") if p.is_file()] if optima.is_dir() else []
    out.append(("known optima", optima, len(files), _size(files)))
    return out


def clear(*, optima: bool = True) -> tuple[int, int]:
    """Remove the compiled code and, with ``optima``, the cached known optima.
    Returns (files, bytes)."""
    from .optima import cache_dir

    files = _cache_files(numba_cache_dir())
    if optima and cache_dir().is_dir():
        files += [p for p in cache_dir().glob("*") if p.is_file()]
    return _remove(files)


def _remove(files) -> tuple[int, int]:
    removed = size = 0
    for f in files:
        try:
            n = f.stat().st_size
            f.unlink()
        except FileNotFoundError:
            continue
        removed, size = removed + 1, size + n
    return removed, size


def prune() -> tuple[int, int] | None:
    """Remove what no loaded code can use (see the module doc). Returns (files, bytes)
    removed, or None when another process holds the cache (nothing is touched)."""
    from . import _numba

    root = numba_cache_dir()
    if not _take_lock(root, fcntl.LOCK_EX | fcntl.LOCK_NB):
        return None
    try:
        owners = _live_owners()
        doomed: list[Path] = []
        for index in sorted(root.rglob("*.nbi")):
            fns = owners.get(index)
            if not fns:  # no loaded function has this index: its code can never be used
                doomed += [index, *_data_files(index)]
                continue
            kept = _numba.live_entries(fns)
            if kept:
                _numba.write_index(fns[0], kept)
            else:
                doomed.append(index)
            doomed += [p for p in _data_files(index) if p.name not in set(kept.values())]
        doomed += [p for p in root.rglob("*.tmp.*") if p.is_file()]  # interrupted writes
        return _remove(doomed)
    finally:
        _take_lock(root, fcntl.LOCK_SH)


def prune_if_large() -> str | None:
    """Prune when the compiled-code cache holds more than :func:`size_limit`; a line saying
    what was done (None when nothing needed doing)."""
    root = numba_cache_dir()
    before = _size(_cache_files(root))
    if before <= size_limit():
        return None
    result = prune()
    if result is None:
        return (f"the compiled-code cache {str(root)!r} holds {before / 2**20:.0f} MiB "
                f"(limit {ENV_LIMIT}={size_limit() / 2**20:.0f}); another process is using "
                "it, so it was not pruned")
    files, size = result
    return (f"pruned the compiled-code cache {str(root)!r}: {before / 2**20:.0f} MiB -> "
            f"{(before - size) / 2**20:.0f} MiB ({files} files no loaded code can use)")
