"""The one ``jit`` decorator of optbench: compiled functions with an identity by content.

Every compiled function of optbench, of the problem catalogue and of user problems is made
by :func:`jit`. It is ``numba.njit(cache=True, nogil=True)`` with two changes that make the
on-disk cache both *hit* in a fresh process and *never serve another function's code*:

* **Identity by content.** A solver compiled for a problem has the problem's functions in
  its signature, and numba keys the solver's cache entry by their identities. Numba gives
  each compiled function a random identity per process (a cached solver would miss in every
  new process); a name would be shared by the closures a factory makes (a cached solver
  would run another problem's function). Here the identity is a hash of what decides the
  function's compiled code (:mod:`optbench.fingerprint`): its bytecode, the globals it reads,
  the values it closes over, and the optbench sources compiled code may depend on (all but
  the pure-Python modules in ``_PYTHON_ONLY``). The same function rebuilt in another process
  has the same identity; an edit, or another captured value, gives a new one; editing
  another function of the same file changes nothing.
* **Fingerprinted freshness.** Numba judges its cache index fresh by the defining file's
  time stamp; here the stamp is the function's own fingerprint without its closure (numba's
  index keys already hold the closure's values), so an edit elsewhere keeps the cache.

The identity is computed on first use (the module is loaded by then, so globals defined
further down are seen). A function whose globals or closure hold a value that cannot be
fingerprinted is compiled without the disk cache (one warning), and so is any solver
compiled for it. Stale index entries (functions edited away or not loaded) unpickle to inert
placeholders instead of importing or recompiling anything.

Numba's private dispatcher identity and cache classes are reached through
:mod:`optbench._numba` (tested by ``tests/test_numba_adapter.py``); ``tests/test_reliability.py``
and ``tests/test_user_problems.py`` guard the behaviour built on them.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
import weakref
from pathlib import Path
from uuid import uuid4

from . import _numba
from .cachedir import caching_enabled
from .fingerprint import Identified, Unfingerprintable, closure_fingerprint, code_fingerprint

__all__ = ["jit", "is_optbench_jitted", "all_compiled_functions", "is_stale"]

log = logging.getLogger("optbench")
_all: weakref.WeakSet = weakref.WeakSet()  # every CompiledFunction made by jit

_PACKAGE_DIR = Path(__file__).resolve().parent


# Modules and packages that compiled code never calls into: editing them keeps the
# compiled cache.
_PYTHON_ONLY = frozenset({"cli.py", "cli_args.py", "harness.py", "results.py", "registry.py",
                          "params.py", "errors.py", "datasets.py", "optima.py", "__init__.py",
                          "grid.py", "store.py", "sweep.py", "cache.py", "cachedir.py", "plots",
                          "fingerprint.py", "__main__.py", "checks.py"})


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


class _FingerprintCache(_numba.StampedCache):
    """numba's disk cache of one function, judged fresh by the function's fingerprint
    (computed on first use), and nothing saved or loaded for a signature that holds a
    compiled function without a stable identity.

    A corrupt cache file (garbage, truncated: unpickling fails) is never used: it is
    reported, the function's index removed so that it is rebuilt, and the function compiled
    again. An error of the file system (the directory gone, the disk full) is not corruption:
    it is raised, a fault of the environment (see optbench.faults)."""

    def __init__(self, dispatcher: CompiledFunction):
        super().__init__(dispatcher.py_func)
        self._dispatcher = dispatcher

    def stamp(self) -> str:
        return self._dispatcher.stamp

    def usable(self, sig) -> bool:
        return self._dispatcher.cacheable and all(getattr(d, "cacheable", True)
                                                  for d in _numba.dispatchers_in(sig))

    def unreadable(self, exc: Exception) -> None:
        index = self.index_path
        log.warning("optbench: warning: corrupt compiled-code cache %r (%s: %s); "
                    "compiling again", str(index), type(exc).__name__, exc)
        index.unlink(missing_ok=True)


def _stale(*args):  # pragma: no cover - never called: stands in for vanished code
    raise RuntimeError("optbench: a stale compiled function was called")


def is_stale(dispatcher) -> bool:
    """True for the inert stand-in of a function that no loaded code has any more."""
    return getattr(dispatcher, "py_func", None) is _stale


class CompiledFunction(_numba.IdentifiedDispatcher, Identified):
    """A numba CPU dispatcher whose identity is a hash of its content (see the module doc)."""

    def __init__(self, py_func, targetoptions=None, uuid=None, stamp=None):
        super().__init__(py_func, targetoptions or {})
        self._identity = None
        self._stamp = stamp
        self._qualname = py_func.__qualname__  # as defined (closures get a tag, see compile)
        self.cacheable = True
        if uuid is not None:  # a placeholder rebuilt from a cache index
            self._fix_identity(uuid)

    def compile(self, sig):
        # Numba names machine code after the function's module and qualified name plus a
        # per-process counter, and linked-in copies of a function with the same name are
        # taken to be the same code. Closures made by one factory share their qualified
        # name, so code cached by two processes could bind one closure's calls to the
        # other's code: a closure's name carries its identity.
        if "<locals>" in self._qualname and self.py_func.__qualname__ == self._qualname:
            self.py_func.__qualname__ = f"{self._qualname}[{self.identity[:16]}]"
        return super().compile(sig)

    def _fix_identity(self, identity: str) -> None:
        self._identity = identity
        self.set_identity(identity)  # the name pickled into the cache keys that hold us

    @property
    def identity(self) -> str:
        """The content hash that names this function in numba's caches (computed once)."""
        if self._identity is None:
            self._compute_identity()
        return self._identity

    @property
    def stamp(self) -> str:
        """The cache freshness stamp: the identity without the closure's values."""
        if self._stamp is None:
            self._compute_identity()
        return self._stamp

    def token(self) -> str:
        """What stands for this function in another function's fingerprint: its identity,
        or, inside a cycle of calls (a function calling itself), its module and name."""
        if self in _computing:
            return f"cycle:{self.py_func.__module__}:{self.py_func.__qualname__}"
        return self.identity

    def _compute_identity(self) -> None:
        if self.py_func.__qualname__ != self._qualname:  # fingerprint the name as defined
            raise RuntimeError("identity computed after the closure was tagged")
        _computing.add(self)
        try:
            code = code_fingerprint(self.py_func)
            closure = closure_fingerprint(self.py_func)
        except Unfingerprintable as exc:
            self._refuse_cache(exc)
            return
        finally:
            _computing.discard(self)
        self._stamp = hashlib.sha256((_package_fingerprint() + code).encode()).hexdigest()
        identity = hashlib.sha256((self._stamp + closure).encode()).hexdigest()[:32]
        self._fix_identity(identity)

    def _refuse_cache(self, exc: Exception) -> None:
        self.cacheable = False
        self._stamp = "uncached"
        self._fix_identity(uuid4().hex)  # unique: nothing cached under it can ever match
        log.warning("optbench: warning: %s (%s) is compiled in every process, not cached: "
                    "%s cannot be fingerprinted", self.py_func.__qualname__,
                    self.py_func.__code__.co_filename, exc)

    def enable_caching(self):
        if caching_enabled():
            self.use_cache(_FingerprintCache(self))

    # -- pickling: only the identity travels, never the code ------------------------------
    def identity_state(self) -> dict:
        return dict(uuid=self.identity, module=self.py_func.__module__, qualname=self._qualname)

    @classmethod
    def from_identity_state(cls, uuid, module, qualname):
        live = cls.live(uuid)
        if live is not None:
            return live
        for fn in list(_all):  # live functions whose identity was not needed yet
            if fn._identity is None and fn._qualname == qualname and \
                    fn.py_func.__module__ == module and fn.identity == uuid:
                return fn
        try:  # the function's module may simply not be imported yet in this process
            obj = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
            if getattr(obj, "identity", None) == uuid:
                return obj
        except Exception:  # noqa: BLE001 - any failure means: this entry is stale
            pass
        # An edited or vanished function: an inert stand-in that matches no live code.
        return cls(_stale, targetoptions={"nopython": True}, uuid=uuid, stamp="stale")


_computing: set = set()


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
        if _numba.is_cpu_dispatcher(fn):  # a plain numba function: give it our identity
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
