"""Every use of numba beyond its public API, in one place (tested by
``tests/test_numba_adapter.py``, so that a numba upgrade fails there first).

Public numba (``numba.njit``, ``prange``, ``numba.types``, ``numba.extending``,
``set_num_threads``) is imported where it is used; everything else goes through here:

* **numba's disk cache.** Where it is (:func:`cache_dir_setting`, :func:`set_cache_dir`);
  one function's cache with a freshness stamp of our own (:class:`StampedCache`). Numba keeps,
  per compiled function, an index file (a pickle: numba's version, then the pair (stamp, dict
  from key to data file name)) and one data file per compiled version. A key is
  ``(signature, target magic tuple, (sha256 of the bytecode, sha256 of the pickled closure
  values))`` (:func:`index_key_parts`, :func:`code_hash`, :func:`closure_hash`).
* **Dispatcher identity.** :class:`IdentifiedDispatcher`: a CPU dispatcher named by an
  identity of ours instead of numba's random uuid, pickled as that identity only.
* **Calling compiled code without numba typing the arguments on every call** (for a
  problem's oracle, a tuple of compiled functions and arrays: ~0.1 ms): once a dispatcher
  has compiled code for some argument types, :func:`compiled_code` returns that code's entry
  point, found by a cheap key of the types (:func:`type_key`).
* Smaller pieces: the threading layer (:func:`launch_threads`), the private attributes read
  from dispatchers and intrinsics, numba's error class, ``cgutils`` for intrinsics' lowering.

numba is pinned to a minor range in ``pyproject.toml`` for these. This module imports no other
optbench module.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
from numba import types
from numba.core import cgutils, config
from numba.core.caching import FunctionCache
from numba.core.errors import NumbaError
from numba.core.registry import CPUDispatcher
from numba.core.serialize import dumps

__all__ = ["cache_dir_setting", "set_cache_dir", "StampedCache", "function_cache", "cache_holds",
           "index_key_parts", "code_hash", "closure_hash", "dispatchers_in",
           "IdentifiedDispatcher", "is_cpu_dispatcher", "target_options", "intrinsic_definition",
           "is_compiled", "cache_hits", "prepare", "type_key", "compiled_code", "remember_code",
           "arrays_in", "writeable_flags", "launch_threads", "NumbaError", "cgutils"]

# ``cgutils`` (numba.core.cgutils, private): the intrinsics' lowering (optbench._clock,
# board, kernels) calls get_or_insert_function, get_item_pointer and alloca_once.
# ``NumbaError`` (numba.core.errors, private; numba has no public alias): the base of numba's
# compile errors.


# -- where numba's disk cache is -------------------------------------------------------------
def cache_dir_setting() -> str:
    """numba's cache directory setting (``numba.config.CACHE_DIR``; "" when not set)."""
    return config.CACHE_DIR


def set_cache_dir(path) -> None:
    """Cache compiled code under ``path`` from now on. Numba reads ``config.CACHE_DIR`` when a
    function's cache is made (``numba.core.caching.UserProvidedCacheLocator``, private), so
    functions made before keep their place."""
    config.CACHE_DIR = str(path)


# -- one function's disk cache ---------------------------------------------------------------
class StampedCache(FunctionCache):
    """numba's disk cache of one function (``numba.core.caching.FunctionCache``, private),
    judged fresh by the owner's :meth:`stamp` instead of the source file's modification time
    and size, and used only for signatures :meth:`usable` accepts (asked after the stamp). A
    failure to read or write other than ``OSError`` (a corrupt file) calls :meth:`unreadable`
    and counts as a miss; an ``OSError`` (the file system's fault) is raised.

    Relies on numba calling ``load_overload(sig, target_context)`` and
    ``save_overload(sig, data)`` for every cache access, and on its ``IndexDataCacheFile``
    (``_source_stamp``, ``_index_path``, ``_load_index``, ``_save_index``)."""

    def stamp(self) -> str:
        """The freshness stamp stored in (and compared with) the index."""
        raise NotImplementedError

    def usable(self, sig) -> bool:
        """False: nothing is loaded or saved for the signature ``sig``."""
        return True

    def unreadable(self, exc: Exception) -> None:
        """Called when reading or writing failed with ``exc`` (not an OSError)."""

    def _stamped(self):
        self._cache_file._source_stamp = self.stamp()
        return self._cache_file

    def load_overload(self, sig, target_context):
        self._stamped()
        if not self.usable(sig):
            return None
        try:
            return super().load_overload(sig, target_context)
        except OSError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure to read means: not usable
            self.unreadable(exc)
            return None

    def save_overload(self, sig, data):
        self._stamped()
        if not self.usable(sig):
            return
        try:
            super().save_overload(sig, data)
        except OSError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. a corrupt index read before writing
            self.unreadable(exc)
            try:
                super().save_overload(sig, data)
            except OSError:
                raise
            except Exception:  # noqa: BLE001 - not cached this time; the result is right
                pass

    @property
    def index_path(self) -> Path:
        """The index file (``<module>.<qualname>-<line>.pyXY.nbi`` in the cache directory)."""
        return Path(self._cache_file._index_path)

    def read_index(self) -> dict:
        """The index's entries, key -> data file name ({} when missing, written by another
        numba, of another stamp, or unreadable)."""
        try:
            return dict(self._stamped()._load_index())
        except Exception:  # noqa: BLE001 - an unreadable index holds nothing usable
            return {}

    def write_index(self, entries: dict) -> None:
        """Replace the index with ``entries`` (written atomically by numba)."""
        self._stamped()._save_index(entries)


def cache_holds(fn, args: tuple) -> bool:
    """Whether ``fn``'s disk cache holds code for arguments ``args`` that numba would load:
    an index entry, under a fresh stamp, for their types (``fn.typeof_pyval``), this
    CPU's target (the codegen's magic tuple) and ``fn``'s bytecode and closure. (A file
    that then fails to load still makes numba compile.)"""
    cache = function_cache(fn)
    if cache is None:
        return False
    index = cache.read_index()  # (stamps the cache first, as load_overload does)
    sig = tuple(fn.typeof_pyval(a) for a in args)
    if not index or not cache.usable(sig):
        return False
    wanted = (sig, fn.targetctx.codegen().magic_tuple(),
              (code_hash(fn.py_func), closure_hash(fn.py_func)))
    return wanted in index


def function_cache(fn) -> StampedCache | None:
    """``fn``'s disk cache when it is a :class:`StampedCache` (the dispatcher's private
    ``_cache``), else None."""
    cache = getattr(fn, "_cache", None)
    return cache if isinstance(cache, StampedCache) else None


def index_key_parts(key) -> tuple:
    """``(signature, code hash, closure hash)`` of an index key (see the module doc)."""
    sig, _magic, (code, closure) = key
    return sig, code, closure


def code_hash(py_func) -> str:
    """The bytecode part of numba's index key for ``py_func`` (as numba computes it)."""
    return hashlib.sha256(py_func.__code__.co_code).hexdigest()


def closure_hash(py_func) -> str:
    """The closure part of numba's index key for ``py_func``: sha256 of the closure values
    pickled by ``numba.core.serialize.dumps`` (private), of b"" without a closure."""
    cells = py_func.__closure__
    data = dumps(tuple(c.cell_contents for c in cells)) if cells is not None else b""
    return hashlib.sha256(data).hexdigest()


def dispatchers_in(sig):
    """The compiled functions appearing in a signature's argument types (tuples included):
    ``types.Dispatcher(...).dispatcher``."""
    stack = list(sig)
    while stack:
        t = stack.pop()
        if isinstance(t, types.Dispatcher):
            yield t.dispatcher
        elif isinstance(t, types.BaseTuple):
            stack.extend(t.types)


# -- dispatchers ----------------------------------------------------------------------------
class IdentifiedDispatcher(CPUDispatcher):
    """numba's CPU dispatcher (``numba.core.registry.CPUDispatcher``, private) named by a
    subclass's ``identity`` (a string) instead of numba's random per-process uuid. Numba
    pickles a dispatcher found in a signature (cache index keys hold signatures) by the
    ``ReduceMixin`` protocol: here it carries only :meth:`identity_state` and comes back as
    :meth:`from_identity_state`. Relies on ``_MemoMixin._set_uuid``, ``_uuid`` and ``_memo``
    (the live dispatchers by uuid), ``_reduce_states`` / ``_rebuild`` and ``_cache``."""

    def __init__(self, py_func, targetoptions: dict):
        super().__init__(py_func, locals={}, targetoptions=targetoptions)

    @property
    def identity(self) -> str:  # pragma: no cover - subclasses define it
        raise NotImplementedError

    @property
    def _uuid(self) -> str:  # numba's name for the identity
        return self.identity

    def set_identity(self, identity: str) -> None:
        """Register ``identity`` with numba (once per dispatcher): pickled index keys name
        this dispatcher by it, and :meth:`live` finds it."""
        self._set_uuid(identity)

    @classmethod
    def live(cls, identity: str):
        """The live dispatcher with ``identity`` (None when there is none)."""
        return cls._memo.get(identity)

    def use_cache(self, cache: StampedCache) -> None:
        """Load and save compiled code through ``cache`` (instead of numba's own)."""
        self._cache = cache

    def identity_state(self) -> dict:  # pragma: no cover - subclasses define it
        """What a pickled reference to this dispatcher holds (keyword arguments of
        :meth:`from_identity_state`)."""
        raise NotImplementedError

    @classmethod
    def from_identity_state(cls, **state):  # pragma: no cover - subclasses define it
        raise NotImplementedError

    def _reduce_states(self):
        return self.identity_state()

    @classmethod
    def _rebuild(cls, **state):
        return cls.from_identity_state(**state)


def is_cpu_dispatcher(obj) -> bool:
    """True for a numba CPU dispatcher (what ``numba.njit`` makes, and optbench's own)."""
    return isinstance(obj, CPUDispatcher)


def target_options(fn) -> dict:
    """The compile options a dispatcher was made with (its ``targetoptions``: nopython,
    fastmath, boundscheck, inline ...), as a new dict."""
    return dict(fn.targetoptions)


def intrinsic_definition(obj):
    """The Python function an ``@intrinsic`` was defined by (its private ``_defn``), or None
    for anything else."""
    return getattr(obj, "_defn", None)


@functools.cache
def launch_threads() -> None:
    """Load numba's threading layer (no thread starts yet). Code compiled with ``parallel``
    and loaded from the disk cache inside a caller that is not itself parallel finds no
    layer loaded and crashes the process; loading it first is numba's own first step of a
    parallel call (``numba.np.ufunc.parallel._launch_threads``, private)."""
    from numba.np.ufunc import parallel

    parallel._launch_threads()


# -- calling compiled code without typing its arguments -------------------------------------
def is_compiled(fn) -> bool:
    """True for a numba dispatcher (not a Python function, nor anything under
    ``NUMBA_DISABLE_JIT=1``)."""
    return hasattr(fn, "overloads")


def cache_hits(fn) -> int:
    """How many times ``fn`` loaded compiled code from the disk cache in this process
    (``fn.stats.cache_hits``)."""
    return sum(fn.stats.cache_hits.values())


def prepare(fn) -> None:
    """Numba's one-off set-up of the compiling target in this process, not compilation
    (``fn.targetctx.refresh()``)."""
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
    entry point (``fn.overloads[types].entry_point``, types by ``fn.typeof_pyval``) under
    ``key`` and return it (``fn`` itself when numba has no such overload, e.g. when it was
    compiled for other types, or the key is None)."""
    if key is None:
        return fn
    overload = fn.overloads.get(tuple(fn.typeof_pyval(a) for a in args))
    if overload is None:
        return fn
    _code[fn, key] = overload.entry_point
    return overload.entry_point
