"""The few places where optbench uses numba's internals: its cache files, and calling a
compiled function's code without numba typing the arguments on every call.

Numba keeps, per compiled function, an index file (a pickle: numba's version, then the
freshness stamp and a dict from key to data file name) and one data file per compiled
version. A key is ``(signature, target magic tuple, (sha256 of the bytecode, sha256 of the
pickled closure values))``. These helpers read and rewrite that index for pruning
(:mod:`optbench.cache`); numba is pinned to a minor range for them (and for ``_jit``).

Calling a dispatcher types every argument (for a problem's oracle, a tuple of compiled
functions and arrays: ~0.1 ms). :func:`compiled_code` returns, once a dispatcher has compiled
code for some argument types, that code's entry point, found by a cheap key of the types
(:func:`type_key`): a run of a few microseconds is not dominated by typing.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from numba.core.serialize import dumps

__all__ = ["read_index", "write_index", "live_entries", "is_compiled", "cache_hits",
           "prepare", "type_key", "compiled_code", "remember_code", "launch_threads"]


@functools.cache
def launch_threads() -> None:
    """Load numba's threading layer (no thread starts yet). Code compiled with ``parallel``
    and loaded from the disk cache inside a caller that is not itself parallel finds no
    layer loaded and crashes the process; loading it first is numba's own first step of a
    parallel call (``numba.np.ufunc.parallel._launch_threads``, private: numba 0.68)."""
    from numba.np.ufunc import parallel

    parallel._launch_threads()


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


# -- calling compiled code without typing its arguments -------------------------------------
def is_compiled(fn) -> bool:
    """True for a numba dispatcher (not a Python function, nor anything under
    ``NUMBA_DISABLE_JIT=1``)."""
    return hasattr(fn, "overloads")


def cache_hits(fn) -> int:
    """How many times ``fn`` loaded compiled code from the disk cache in this process."""
    return sum(fn.stats.cache_hits.values())


def prepare(fn) -> None:
    """Numba's one-off set-up of the compiling target in this process (not compilation)."""
    fn.targetctx.refresh()


_INT64 = (-(2**63), 2**63)


def _array_key(a: np.ndarray) -> tuple:
    flags = a.flags
    return ("a", a.dtype.str, a.ndim, flags.c_contiguous, flags.f_contiguous,
            flags.writeable, flags.aligned)


def _key(value):
    """The type key of ``value`` (None: a kind not handled here)."""
    kind = type(value)
    if kind is float or kind is bool or value is None:
        return kind
    if kind is int:
        return int if _INT64[0] <= value < _INT64[1] else None  # numba: int64 or not
    if kind is np.ndarray:
        return _array_key(value)
    if isinstance(value, tuple):
        keys = [_key(v) for v in value]
        return None if None in keys else (kind, tuple(keys))
    if kind is str or isinstance(value, np.generic):
        return kind
    if hasattr(value, "py_func"):  # a compiled function: its type is its identity
        return ("f", value)  # holds it, so that its id is never reused while keyed
    return None


def type_key(args: tuple):
    """A hashable stand-in for the numba types of ``args``, cheaper than numba's typing:
    equal keys mean equal numba types (an unhandled kind gives None: no shortcut)."""
    return _key(tuple(args))


def arrays_in(value) -> list:
    """The arrays in ``value`` (nested tuples), in order: of everything in a type key, their
    writeable flags are the one thing that can change on the same objects (see
    :func:`writeable_flags`)."""
    if type(value) is np.ndarray:
        return [value]
    if isinstance(value, tuple):
        return [a for v in value for a in arrays_in(v)]
    return []


def writeable_flags(arrays: list) -> tuple:
    """The writeable flags of ``arrays`` (from :func:`arrays_in`)."""
    return tuple([a.flags.writeable for a in arrays])


_code: dict = {}  # (dispatcher, type key) -> entry point of its compiled code for those types


def compiled_code(fn, key):
    """The entry point of ``fn``'s compiled code for arguments of type key ``key``, or None
    when :func:`remember_code` has not seen it."""
    return None if key is None else _code.get((fn, key))


def remember_code(fn, args: tuple, key):
    """After ``fn(*args)`` compiled (or loaded) code for these arguments: remember its
    entry point under ``key`` and return it (``fn`` itself when numba has no such overload,
    e.g. when it was compiled for other types, or the key is None)."""
    if key is None:
        return fn
    overload = fn.overloads.get(tuple(fn.typeof_pyval(a) for a in args))
    if overload is None:
        return fn
    _code[fn, key] = overload.entry_point
    return overload.entry_point
