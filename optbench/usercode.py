"""Checks of a user's problem functions, and errors that are about the user's code.

Built-in problems are tested by optbench's own suite. A user's problem is checked the first
time it is used (by :func:`optbench.run`, a sweep, ``optbench run`` or ``optbench info``):
each of its compiled functions (``f``, ``grad``, ``fg``, ``hess``, ``batch``) is compiled
once more with bounds checking (numba ``boundscheck=True``) and called at ``x0``; the
gradient is compared with central differences of f along three random directions, the
Hessian with central differences of the gradient. A function that does not compile, returns
the wrong kind of value, writes outside its output array or disagrees with f becomes one
:class:`UserCodeError` naming the problem, the file, the function and what was expected,
instead of a traceback through optbench's solvers, a crash of the process or a wrong
benchmark.

The cost is one extra compilation of the user's functions (about a second each) the first
time a problem is used; a problem whose functions passed is remembered by the identities of
its functions (a marker file in the compiled-code cache), so later processes skip the check.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
import weakref

import numpy as np

from .errors import InvalidValueError

__all__ = ["UserCodeError", "is_user_function", "check_problem", "location", "gist"]

_BUILTIN_MODULES = ("optbench.", "optbench_problems.")
_EXPECTED = {
    "f": "f(x, args) -> float, the value at x",
    "grad": "grad(x, args, out) writing the gradient (a vector of length {n}) into out",
    "fg": "fg(x, args, out) -> float: the value, with the gradient written into out",
    "hess": "hess(x, args, out) writing the Hessian (an {n} x {n} matrix) into out",
    "batch": "batch(x, args, idx, out) -> float: the mean over the samples idx, their mean "
             "gradient written into out",
}
_DIRECTIONS = 3
_ROUNDING = 64 * sys.float_info.epsilon  # rounding of one evaluation, relative
_checked: set[str] = set()


class UserCodeError(InvalidValueError):
    """A problem's own code does not do what optbench expects (named: file, function)."""


def is_user_function(fn) -> bool:
    """True for a compiled function defined outside optbench and its built-in catalogue."""
    module = getattr(getattr(fn, "py_func", None), "__module__", "") or ""
    return not module.startswith(_BUILTIN_MODULES)


def location(fn) -> str:
    """``file.py:12, name`` of a compiled (or plain) function."""
    py = getattr(fn, "py_func", fn)
    code = py.__code__
    name = getattr(fn, "_qualname", py.__qualname__)
    return f"{code.co_filename}:{code.co_firstlineno}, {name}"


def gist(exc: BaseException) -> str:
    """The gist of a (numba) error: the line that says what is wrong (not numba's pipeline
    stage), and the line of the user's file it points at, if any."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    telling = [ln for ln in lines if not ln.startswith(_NUMBA_NOISE)] or lines
    text = " ".join((telling[0] if telling else type(exc).__name__).split())
    if len(text) > 200:
        text = text[:197] + "..."
    where = next((m.group(1) for ln in lines
                  if (m := re.search(r'File "[^"]+", (line \d+)', ln))), None)
    kind = "" if re.match(r"^[A-Za-z]+(Error|Exception): ", text) else f"{type(exc).__name__}: "
    return kind + text + (f" ({where})" if where else "")


_NUMBA_NOISE = ("Failed in nopython mode pipeline", "During:", "File ", "Resolution failure",
                "- Resolution failure", "No implementation of function", "^", ">>>")


def _error(problem, role: str, fn, what: str) -> UserCodeError:
    n = problem.dim
    return UserCodeError(
        f"problem {problem.name!r}: {role} ({location(fn)}) {what}\n"
        f"  expected {_EXPECTED[role].format(n=n)}\n"
        "  (optbench --debug, or OPTBENCH_DEBUG=1, shows the full error)")


def _twin(fn):
    """``fn`` compiled again with bounds checking, not cached (same identity + a suffix)."""
    from ._jit import CompiledFunction
    from ._numba import target_options

    twin = _twins.get(fn)
    if twin is None:
        options = dict(target_options(fn), boundscheck=True)
        options.pop("inline", None)
        twin = CompiledFunction(fn.py_func, targetoptions=options,
                                uuid=fn.identity + "-boundscheck")
        twin._qualname = fn._qualname
        _twins[fn] = twin
    return twin


_twins: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _call(problem, role: str, fn, *args):
    """Call the bounds-checked twin of ``fn``; any failure becomes a named UserCodeError."""
    try:
        return _twin(fn)(*args)
    except IndexError as exc:
        raise _error(problem, role, fn, f"reads or writes outside an array at x0 "
                                        f"({gist(exc)})") from exc
    except Exception as exc:  # noqa: BLE001 - typing errors, user raises: all named
        from ._numba import NumbaError

        verb = "does not compile" if isinstance(exc, NumbaError) else "raised"
        raise _error(problem, role, fn, f"{verb}: {gist(exc)}") from exc


def _real(problem, role, fn, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise _error(problem, role, fn, f"returned {type(value).__name__}, not a number")
    return float(value)


def _marker(problem) -> str:
    """A name for this problem's functions and start point (what the check depends on)."""
    h = hashlib.sha256()
    for fn in _functions(problem).values():
        h.update(fn.identity.encode())
    h.update(np.ascontiguousarray(problem.x0).tobytes())
    return h.hexdigest()[:32]


def _functions(problem) -> dict:
    o = problem.oracle
    return {role: fn for role, fn in (("f", o.f), ("grad", o.grad), ("fg", o.fg),
                                       ("hess", o.hess), ("batch", o.batch))
            if fn is not None and hasattr(fn, "py_func")}


def check_problem(problem) -> None:
    """Check the user functions of ``problem`` once (see the module doc); raise
    :class:`UserCodeError` naming the first one that fails. Built-in problems pass at once."""
    fns = _functions(problem)
    if not any(is_user_function(fn) for fn in fns.values()):
        return
    marker = _marker(problem)
    done = _marker_dir()
    if marker in _checked or (done is not None and (done / marker).exists()):
        return
    _check(problem, fns)
    _checked.add(marker)
    if done is not None:
        try:
            done.mkdir(exist_ok=True)
            (done / marker).touch()
        except OSError:
            pass


def _marker_dir():
    from .cachedir import numba_cache_dir

    try:
        return numba_cache_dir() / "optbench-checked"
    except Exception:  # noqa: BLE001 - no cache: check in every process
        return None


def _check(problem, fns: dict) -> None:
    x = np.ascontiguousarray(problem.x0, dtype=np.float64)
    n = x.shape[0]
    args = problem.oracle.args
    fx = _real(problem, "f", fns["f"], _call(problem, "f", fns["f"], x, args))
    if not math.isfinite(fx):
        raise _error(problem, "f", fns["f"], f"is not finite at x0 (f(x0) = {fx})")

    def f_at(z):
        return _real(problem, "f", fns["f"], _call(problem, "f", fns["f"], z, args))

    g = None
    if "grad" in fns and problem.gradient:
        g = np.full(n, np.nan)
        _call(problem, "grad", fns["grad"], x, args, g)
        if not np.all(np.isfinite(g)):
            raise _error(problem, "grad", fns["grad"],
                         "left entries of out unset or not finite at x0")
        if problem.smooth:
            _compare_directional(problem, "grad", fns["grad"], f_at, x, g)
    if "fg" in fns:
        out = np.full(n, np.nan)
        value = _real(problem, "fg", fns["fg"], _call(problem, "fg", fns["fg"], x, args, out))
        if not math.isclose(value, fx, rel_tol=1e-9, abs_tol=1e-12 * (1 + abs(fx))):
            raise _error(problem, "fg", fns["fg"], f"returned {value!r} where f(x0) = {fx!r}")
        if g is not None and not np.allclose(out, g, rtol=1e-9, atol=1e-12 * (1 + np.abs(g).max())):
            raise _error(problem, "fg", fns["fg"], "wrote another gradient than grad at x0")
    if "hess" in fns and g is not None:
        H = np.full((n, n), np.nan)
        _call(problem, "hess", fns["hess"], x, args, H)
        if not np.all(np.isfinite(H)):
            raise _error(problem, "hess", fns["hess"],
                         "left entries of out unset or not finite at x0")
        if problem.smooth:
            def grad_at(z):
                out = np.empty(n)
                _call(problem, "grad", fns["grad"], z, args, out)
                return out
            _compare_hessian(problem, fns["hess"], grad_at, x, H)
    if "batch" in fns and problem.samples:
        idx = np.arange(min(problem.samples, 3), dtype=np.int64)
        out = np.full(n, np.nan)
        value = _real(problem, "batch", fns["batch"],
                      _call(problem, "batch", fns["batch"], x, args, idx, out))
        if not (math.isfinite(value) and np.all(np.isfinite(out))):
            raise _error(problem, "batch", fns["batch"], "gave a value or gradient that is not "
                                                         "finite at x0")


def _step(x) -> float:
    return 1e-6 * (1.0 + float(np.abs(x).max()))


def _compare_directional(problem, role, fn, f_at, x, g) -> None:
    rng = np.random.default_rng(0)
    h = _step(x)
    for _ in range(_DIRECTIONS):
        v = rng.standard_normal(x.shape[0])
        v /= np.linalg.norm(v)
        plus, minus = f_at(x + h * v), f_at(x - h * v)
        fd = (plus - minus) / (2 * h)
        exact = float(g @ v)
        # truncation (relative 1e-4 leaves room for the h^2 term) and f's rounding over 2h
        allowed = 1e-4 * (abs(fd) + abs(exact)) + _ROUNDING * (abs(plus) + abs(minus)) / h
        if not abs(fd - exact) <= allowed + 1e-10:
            raise _error(problem, role, fn,
                         f"disagrees with central differences of f at x0: along a random unit "
                         f"direction v, grad.v = {exact:.6g} but (f(x0+hv) - f(x0-hv))/2h = "
                         f"{fd:.6g} (h = {h:.1e})")


def _compare_hessian(problem, fn, grad_at, x, H) -> None:
    rng = np.random.default_rng(1)
    h = _step(x)
    for _ in range(_DIRECTIONS):
        v = rng.standard_normal(x.shape[0])
        v /= np.linalg.norm(v)
        plus, minus = grad_at(x + h * v), grad_at(x - h * v)
        fd = (plus - minus) / (2 * h)
        exact = H @ v
        allowed = 1e-4 * (np.abs(fd).max() + np.abs(exact).max()) + \
            _ROUNDING * (np.abs(plus).max() + np.abs(minus).max()) / h
        if not np.abs(fd - exact).max() <= allowed + 1e-10:
            raise _error(problem, "hess", fn,
                         "disagrees with central differences of grad at x0: |H v - (grad(x0+hv)"
                         f" - grad(x0-hv))/2h| = {np.abs(fd - exact).max():.3g} along a random "
                         f"unit direction v (h = {h:.1e})")
