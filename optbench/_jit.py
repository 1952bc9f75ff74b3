"""The one ``jit`` decorator of optbench: compiled functions with a stable identity.

Every compiled function of optbench, of the problem catalogue and of user problems is made
by :func:`jit`. It is ``numba.njit(cache=True, nogil=True)`` with two changes that make the
on-disk cache both *hit* in a fresh process and *never go stale*:

* **Deterministic identity.** A solver compiled for a problem has the problem's functions in
  its signature. Numba gives each compiled function a random uuid per process, so a cached
  solver would miss in every new process. Here the uuid is derived from the module, the
  qualified name and a fingerprint of the source, so the same code has the same identity
  in every process, and edited code has a new one.
* **Fingerprinted freshness.** Numba judges a cache fresh by the defining file alone; a
  solver whose helper (in another file) changed would load stale machine code. Here the
  freshness stamp is a hash of the defining file plus every optbench source that compiled
  code may depend on (all but the pure-Python modules listed in ``_PYTHON_ONLY``).

Stale index entries (functions that were edited or whose module is not loaded) unpickle to
inert placeholders instead of importing or recompiling anything.

This touches numba's private ``Dispatcher._set_uuid`` and cache internals, which is why numba
is pinned to a minor range in ``pyproject.toml``; ``tests/test_cache.py`` guards it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
import weakref
from pathlib import Path

from numba.core.caching import FunctionCache
from numba.core.registry import CPUDispatcher

__all__ = ["jit", "is_optbench_jitted", "all_compiled_functions"]

log = logging.getLogger("optbench")
_all: weakref.WeakSet = weakref.WeakSet()  # every CompiledFunction made by jit

_PACKAGE_DIR = Path(__file__).resolve().parent


# Modules and packages that compiled code never calls into: editing them keeps the
# compiled cache.
_PYTHON_ONLY = frozenset({"cli.py", "cli_args.py", "harness.py", "results.py", "registry.py",
                          "params.py", "errors.py", "datasets.py", "optima.py", "__init__.py",
                          "grid.py", "store.py", "sweep.py", "cache.py", "plots"})


@functools.cache
def _package_fingerprint() -> str:
    """sha256 over the optbench sources compiled code may depend on (all but _PYTHON_ONLY)."""
    h = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        if path.relative_to(_PACKAGE_DIR).parts[0] in _PYTHON_ONLY:
            continue
        h.update(str(path.relative_to(_PACKAGE_DIR)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _file_fingerprint(path: str | None) -> str:
    if not path:
        return "<no file>"
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "<unreadable>"


def _source_stamp(py_func) -> str:
    filename = getattr(py_func.__code__, "co_filename", None)
    return hashlib.sha256(
        (_package_fingerprint() + _file_fingerprint(filename)).encode()
    ).hexdigest()


class _FingerprintCache(FunctionCache):
    """numba's FunctionCache, with the freshness stamp replaced by the source fingerprint."""

    def __init__(self, py_func, stamp: str):
        super().__init__(py_func)
        self._cache_file._source_stamp = stamp

    # A corrupt cache file (garbage, truncated: unpickling fails) is never used: report it,
    # remove the function's index so that it is rebuilt, and compile again.
    def load_overload(self, sig, target_context):
        try:
            return super().load_overload(sig, target_context)
        except Exception as exc:  # noqa: BLE001 - any failure to read means: not usable
            self._discard(exc)
            return None

    def save_overload(self, sig, data):
        try:
            super().save_overload(sig, data)
        except Exception as exc:  # noqa: BLE001 - e.g. a corrupt index read before writing
            self._discard(exc)
            try:
                super().save_overload(sig, data)
            except Exception:  # noqa: BLE001 - not cached this time; the result is right
                pass

    def _discard(self, exc: Exception) -> None:
        index = Path(self._cache_file._index_path)
        log.warning("optbench: warning: corrupt compiled-code cache %r (%s: %s); "
                    "compiling again", str(index), type(exc).__name__, exc)
        index.unlink(missing_ok=True)


def _stale(*args):  # pragma: no cover - never called: stands in for vanished code
    raise RuntimeError("optbench: a stale compiled function was called")


class CompiledFunction(CPUDispatcher):
    """A numba CPU dispatcher with a deterministic uuid and a fingerprinted disk cache."""

    def __init__(self, py_func, locals=None, targetoptions=None, uuid=None, stamp=None):
        super().__init__(py_func, locals=locals or {}, targetoptions=targetoptions or {})
        self._stamp = stamp if stamp is not None else _source_stamp(py_func)
        if uuid is None:
            key = f"{py_func.__module__}:{py_func.__qualname__}:{self._stamp}"
            uuid = hashlib.sha256(key.encode()).hexdigest()[:32]
        self._set_uuid(uuid)

    def enable_caching(self):
        from .cache import caching_enabled

        if caching_enabled():
            self._cache = _FingerprintCache(self.py_func, self._stamp)

    # -- pickling: only the identity travels, never the code ------------------------------
    def _reduce_states(self):
        return dict(
            uuid=str(self._uuid),
            module=self.py_func.__module__,
            qualname=self.py_func.__qualname__,
        )

    @classmethod
    def _rebuild(cls, uuid, module, qualname):
        live = cls._memo.get(uuid)
        if live is not None:
            return live
        try:  # the function's module may simply not be imported yet in this process
            obj = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
            if getattr(obj, "_uuid", None) == uuid:
                return obj
        except Exception:  # noqa: BLE001 - any failure means: this entry is stale
            pass
        # An edited or vanished function: an inert stand-in that matches no live code.
        return cls(_stale, targetoptions={"nopython": True}, uuid=uuid, stamp="stale")


def jit(func=None, *, fastmath: bool = False, cache: bool = True, inline: bool = False):
    """Compile ``func`` in nopython mode, releasing the GIL, cached on disk.

    ``inline=True`` inlines the function into its compiled callers at numba's IR level
    (``inline="always"``): solver kernels and the shared loop use it so that the loop, the
    step and the problem functions become one piece of machine code.

    Use it for problem functions (``f``, ``grad``, ``fg``, ``hess``) and solver kernels::

        @optbench.jit
        def f(x, args):
            (c,) = args
            return (x[0] - c) ** 2
    """

    def wrap(fn):
        if isinstance(fn, CPUDispatcher):  # a plain numba function: give it our identity
            fn = fn.py_func
        options = {"nopython": True, "nogil": True, "fastmath": fastmath}
        if inline:
            options["inline"] = "always"
        disp = CompiledFunction(fn, targetoptions=options)
        if cache:
            disp.enable_caching()
        functools.update_wrapper(disp, fn)
        _all.add(disp)
        return disp

    return wrap if func is None else wrap(func)


def all_compiled_functions() -> list[CompiledFunction]:
    """Every function compiled by :func:`jit` in this process (loaded modules only)."""
    return list(_all)


def is_optbench_jitted(obj) -> bool:
    """True if ``obj`` was compiled by :func:`jit` (so it has a stable identity)."""
    return isinstance(obj, CompiledFunction)
