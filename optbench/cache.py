"""Listing, clearing and pruning optbench's caches (``optbench cache``): bounded, prunable.
Where they are, and why only private directories are used: :mod:`optbench.cachedir`.

- **Bounded.** ``optbench cache prune`` removes what no loaded code can use any more: index
  files of functions that no longer exist, entries of edited functions or of problem
  functions whose identity is gone, data files no index names. The command line prunes on
  its own when the compiled-code cache grows past ``$OPTBENCH_CACHE_LIMIT_MB`` (default
  2048 MiB). Every optbench process holds a shared lock on the cache while it runs; pruning
  takes the exclusive lock and is skipped while another process uses the cache. Listing and
  pruning load the whole catalogue (every compiled function must exist to tell live entries
  from dead ones); nothing else here does.
- A corrupt cache file (garbage, truncated) is never used: it is reported, removed and the
  function compiled again (see ``_jit._FingerprintCache``). Stale code is never loaded: the
  identity and freshness stamp of a function are hashes of its content (see
  :mod:`optbench._jit`).
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from .cachedir import (  # where the caches are (re-exported)
    caching_enabled,
    check_numba_cache,
    not_private,
    numba_cache_dir,
    private_dir,
    take_lock,
    user_cache_root,
)

__all__ = ["check_numba_cache", "caching_enabled", "numba_cache_dir", "private_dir",
           "user_cache_root", "not_private", "describe", "functions", "clear", "prune",
           "prune_if_large", "size_limit", "ENV_LIMIT", "FunctionEntry"]

ENV_LIMIT = "OPTBENCH_CACHE_LIMIT_MB"
DEFAULT_LIMIT_MB = 2048
_CACHE_SUFFIXES = (".nbi", ".nbc")


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


def _load_catalogue() -> None:
    """Import every problem and solver, so that every compiled function exists."""
    from .registry import problem_names, solver_names

    problem_names(), solver_names()


def _live_owners() -> dict[Path, list]:
    """Index path -> the loaded compiled functions it belongs to (closures share one), with
    the whole catalogue loaded."""
    from . import _numba
    from ._jit import all_compiled_functions

    _load_catalogue()
    owners: dict[Path, list] = {}
    for fn in all_compiled_functions():
        cache = _numba.function_cache(fn)
        if cache is not None and fn.cacheable:
            owners.setdefault(cache.index_path, []).append(fn)
    return owners


def _live_entries(fns) -> dict:
    """The entries of the index shared by ``fns`` (closures of one definition share one)
    that loaded code can still use: the current bytecode, the closure values of one of
    ``fns``, and no compiled function in the signature that is gone (an inert stand-in
    after unpickling, see ``_jit.CompiledFunction.from_identity_state``)."""
    from . import _numba
    from ._jit import is_stale

    code = _numba.code_hash(fns[0].py_func)
    closures = {_numba.closure_hash(fn.py_func) for fn in fns}
    kept = {}
    for key, name in _numba.function_cache(fns[0]).read_index().items():
        sig, code_hash, closure_hash = _numba.index_key_parts(key)
        if code_hash == code and closure_hash in closures and \
                not any(is_stale(d) for d in _numba.dispatchers_in(sig)):
            kept[key] = name
    return kept


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
        entries = len(_numba.function_cache(fns[0]).read_index()) if fns else -1
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
    if not take_lock(root, fcntl.LOCK_EX | fcntl.LOCK_NB):
        return None
    try:
        owners = _live_owners()
        doomed: list[Path] = []
        for index in sorted(root.rglob("*.nbi")):
            fns = owners.get(index)
            if not fns:  # no loaded function has this index: its code can never be used
                doomed += [index, *_data_files(index)]
                continue
            kept = _live_entries(fns)
            if kept:
                _numba.function_cache(fns[0]).write_index(kept)
            else:
                doomed.append(index)
            doomed += [p for p in _data_files(index) if p.name not in set(kept.values())]
        doomed += [p for p in root.rglob("*.tmp.*") if p.is_file()]  # interrupted writes
        return _remove(doomed)
    finally:
        take_lock(root, fcntl.LOCK_SH)


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
