"""The few places where optbench reads numba's cache files through numba's private classes.

Numba keeps, per compiled function, an index file (a pickle: numba's version, then the
freshness stamp and a dict from key to data file name) and one data file per compiled
version. A key is ``(signature, target magic tuple, (sha256 of the bytecode, sha256 of the
pickled closure values))``. These helpers read and rewrite that index for pruning
(:mod:`optbench.cache`); numba is pinned to a minor range for them (and for ``_jit``).
"""

from __future__ import annotations

import hashlib

from numba.core.serialize import dumps

__all__ = ["read_index", "write_index", "live_entries"]


def _cache_file(fn):
    cache_file = fn._cache._cache_file
    cache_file._source_stamp = fn.stamp  # optbench's stamp (see _jit._FingerprintCache)
    return cache_file


def read_index(fn) -> dict:
    """The entries of ``fn``'s index ({} when missing, of another numba or a stale stamp)."""
    try:
        return dict(_cache_file(fn)._load_index())
    except Exception:  # noqa: BLE001 - an unreadable index holds nothing usable
        return {}


def write_index(fn, overloads: dict) -> None:
    """Replace ``fn``'s index with ``overloads`` (written atomically by numba)."""
    _cache_file(fn)._save_index(overloads)


def _closure_hash(fn) -> str:
    """The closure part of numba's index key for ``fn`` (as numba computes it)."""
    cells = fn.py_func.__closure__
    data = dumps(tuple(c.cell_contents for c in cells)) if cells is not None else b""
    return hashlib.sha256(data).hexdigest()


def live_entries(fns) -> dict:
    """The entries of the index shared by ``fns`` (closures of one definition share one)
    that loaded code can still use: the current bytecode, the closure values of one of
    ``fns``, and no compiled function in the signature that is gone (an inert stand-in
    after unpickling, see ``_jit.CompiledFunction._rebuild``)."""
    from ._jit import dispatchers_in, is_stale

    code = hashlib.sha256(fns[0].py_func.__code__.co_code).hexdigest()
    closures = {_closure_hash(fn) for fn in fns}
    kept = {}
    for key, name in read_index(fns[0]).items():
        sig, _magic, (code_hash, closure_hash) = key
        if code_hash == code and closure_hash in closures and \
                not any(is_stale(d) for d in dispatchers_in(sig)):
            kept[key] = name
    return kept
