"""Known optima of problems without a closed form, computed once per instance and cached.

A problem such as regularized logistic regression has a unique minimizer but no formula for
it. :func:`reference_optimum` computes it once with a high-accuracy solve that the problem
family passes in (for example :func:`newton_minimize`, Newton's method with a line search to a
gradient norm of 1e-12) and keeps ``(x*, f*)`` on disk, keyed by a hash of everything that
defines the instance: its parameters, its data arrays (their bytes, dtype and shape) and a
version string that the family bumps when its objective or its solve changes.

The cache lives in ``$OPTBENCH_CACHE_DIR`` when that is set, else in the user cache directory
(``~/.cache/optbench/optima`` on Linux, ``$XDG_CACHE_HOME`` honoured), provided it is the
user's own and nobody else can write it; else in a private fallback, with one warning (see
:func:`optbench.cache.private_dir`). Files are written atomically (a temporary file, then
:func:`os.replace`), so concurrent processes never read a half-written entry; an unreadable
or corrupt entry is ignored and rewritten; entries are read with ``allow_pickle=False``.

This module is pure Python: compiled code never calls into it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from scipy.linalg import cho_factor, cho_solve

__all__ = ["ENV_CACHE_DIR", "cache_dir", "usable_cache_dir", "instance_key", "reference_optimum",
           "newton_minimize", "power_iteration_norm"]

ENV_CACHE_DIR = "OPTBENCH_CACHE_DIR"
_FORMAT = "optbench-optima-1"  # layout of the key and of the cache files


# -- where ---------------------------------------------------------------------------------------
def cache_dir() -> Path:
    """``$OPTBENCH_CACHE_DIR`` if set (and not empty), else ``<user cache>/optbench/optima``
    (the configured place; :func:`usable_cache_dir` is where entries are read and written)."""
    from .cachedir import user_cache_root

    chosen = os.environ.get(ENV_CACHE_DIR, "").strip()
    if chosen:
        return Path(chosen).expanduser()
    return user_cache_root() / "optbench" / "optima"


@functools.lru_cache(maxsize=16)
def _checked(configured: Path) -> Path:
    from .cachedir import private_dir

    setting = ENV_CACHE_DIR if os.environ.get(ENV_CACHE_DIR, "").strip() else \
        "the default location"
    return private_dir(configured, "optima", setting)


def usable_cache_dir() -> Path:
    """:func:`cache_dir` when it is a private writable directory, else a private fallback
    (one warning; see :func:`optbench.cache.private_dir`)."""
    return _checked(cache_dir())


# -- what ----------------------------------------------------------------------------------------
def _feed(h, part) -> None:
    """Feed one key part to the hash, tagged by kind so that 1, 1.0, "1" and [1] differ."""
    if isinstance(part, np.ndarray):
        a = np.ascontiguousarray(part)
        if a.dtype == object:
            raise TypeError("instance_key: object arrays cannot be hashed by value")
        h.update(f"nd:{a.dtype.str}:{a.shape}:".encode())
        h.update(a.tobytes())
    elif isinstance(part, Mapping):
        h.update(f"map:{len(part)}:".encode())
        for k in sorted(part, key=str):
            _feed(h, str(k))
            _feed(h, part[k])
    elif isinstance(part, list | tuple):
        h.update(f"seq:{len(part)}:".encode())
        for item in part:
            _feed(h, item)
    elif isinstance(part, bool | int | float | str | bytes | np.generic) or part is None:
        if isinstance(part, np.generic):
            part = part.item()
        h.update(f"{type(part).__name__}:{part!r};".encode())
    else:
        raise TypeError(f"instance_key: cannot hash a {type(part).__name__}; pass numbers, "
                        "strings, arrays, or tuples/dicts of them")


def instance_key(key_parts, version: str = "") -> str:
    """A hex digest of ``key_parts`` (parameters, data arrays: nested tuples/dicts of numbers,
    strings and arrays, arrays hashed by dtype, shape and bytes) and ``version``."""
    h = hashlib.sha256()
    _feed(h, (_FORMAT, str(version), key_parts))
    return h.hexdigest()


# -- cache files ---------------------------------------------------------------------------------
def _read(path: Path, key: str, dim: int | None):
    """``(x*, f*)`` from a cache file, or None when it is missing, unreadable or corrupt."""
    try:
        with np.load(path, allow_pickle=False) as data:
            stored_key = str(data["key"])
            x = np.array(data["x_star"], dtype=np.float64)
            f = float(data["f_star"])
    except Exception:  # noqa: BLE001 - any unreadable or corrupt entry is a miss
        return None
    if stored_key != key or x.ndim != 1 or not (dim is None or x.shape[0] == dim):
        return None
    if not (np.all(np.isfinite(x)) and math.isfinite(f)):
        return None
    return x, f


def _write(directory: Path, key: str, x: np.ndarray, f: float) -> None:
    """Write atomically: a temporary file in the same directory, then os.replace."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{key[:16]}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, key=np.array(key), x_star=x, f_star=np.array(f))
        os.replace(tmp, directory / f"{key}.npz")
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def reference_optimum(key_parts, solve: Callable[[], tuple], *, version: str = "",
                      dim: int | None = None) -> tuple[np.ndarray, float]:
    """``(x*, f*)`` of one problem instance: from the cache, or from ``solve()`` then cached.

    Parameters
    ----------
    key_parts : nested tuples / dicts of numbers, strings and arrays
        Everything that defines the instance: family name, parameters and the data arrays
        themselves (hashed by value), so that different data never share an entry.
    solve : callable
        ``solve() -> (x_star, f_star)``, a high-accuracy solve (e.g. :func:`newton_minimize`);
        called only on a cache miss.
    version : str
        Part of the key: change it when the objective or the solve changes, so that old
        entries are no longer used.
    dim : int, optional
        The expected length of x*; a cached entry of another length is ignored.

    Returns
    -------
    x_star : ndarray, f_star : float

    Examples
    --------
    >>> x, f = reference_optimum(("shifted", 3, np.arange(3.0)), lambda: (np.ones(3), 0.0),
    ...                          version="shifted-1")

    Where: ``$OPTBENCH_CACHE_DIR``, else ``~/.cache/optbench/optima``. A directory that cannot
    be written gives a ``UserWarning`` and the optimum is computed without caching.
    """
    key = instance_key(key_parts, version)
    directory = usable_cache_dir()
    path = directory / f"{key}.npz"
    cached = _read(path, key, dim)
    if cached is not None:
        return cached
    x, f = solve()
    x = np.array(x, dtype=np.float64)
    f = float(f)
    if x.ndim != 1 or not (dim is None or x.shape[0] == dim):
        expected = "a vector" if dim is None else f"shape ({dim},)"
        raise ValueError(f"reference_optimum: solve() returned x* of shape {x.shape}; "
                         f"expected {expected}")
    if not (np.all(np.isfinite(x)) and math.isfinite(f)):
        raise ValueError(f"reference_optimum: solve() returned a non-finite optimum "
                         f"(f* = {f}); nothing was cached")
    try:
        _write(directory, key, x, f)
    except OSError as exc:
        warnings.warn(f"optbench: cannot write the optimum cache in {str(directory)!r} "
                      f"({type(exc).__name__}: {exc}); known optima are recomputed in every "
                      f"process. Set {ENV_CACHE_DIR} to a writable directory.", stacklevel=2)
    return x, f


# -- solves and estimates ------------------------------------------------------------------------
def _one_blas_thread():
    """Limit BLAS to one thread when threadpoolctl is installed: a factorization of a few
    hundred unknowns is several times slower with two threads on a busy 2-core machine."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def newton_minimize(fg: Callable, hess: Callable, x0, *, gtol: float = 1e-12,
                    max_iter: int = 100, c: float = 1e-4) -> tuple[np.ndarray, float]:
    """Minimize a smooth strictly convex function by Newton's method with backtracking.

    ``fg(x) -> (f, grad)``, ``hess(x) -> H`` (positive definite). Each step solves
    ``H d = -g`` (Cholesky) and backtracks from t = 1 until ``f(x + t d) <= f + c t g.d``;
    near the solution, where f changes by less than its rounding error, a step that lowers
    the gradient norm is accepted instead. Stops when ``||grad f|| <= gtol``.

    Returns ``(x*, f*)``; raises ``RuntimeError`` when ``gtol`` is not reached.

    Reference: Boyd & Vandenberghe, *Convex Optimization* (2004), Algorithm 9.5.
    """
    x = np.array(x0, dtype=np.float64)
    f, g = fg(x)
    gnorm = float(np.linalg.norm(g))
    for _ in range(max_iter):
        if gnorm <= gtol:
            return x, float(f)
        H = np.asarray(hess(x), dtype=np.float64)
        try:
            with _one_blas_thread():
                d = -cho_solve(cho_factor(H, check_finite=False), g, check_finite=False)
        except np.linalg.LinAlgError:
            raise RuntimeError("newton_minimize: the Hessian is not positive definite; "
                               "the function is not strictly convex here") from None
        slope = float(g @ d)
        roundoff = 64 * np.finfo(float).eps * max(1.0, abs(f))
        t = 1.0
        while True:
            x_new = x + t * d
            f_new, g_new = fg(x_new)
            g_new_norm = float(np.linalg.norm(g_new))
            if f_new <= f + c * t * slope:
                break
            if f_new <= f + roundoff and g_new_norm < gnorm:
                break
            t *= 0.5
            if t < 1e-10:
                raise RuntimeError(f"newton_minimize: no progress at ||grad|| = {gnorm:.3g} "
                                   f"(gtol = {gtol:g})")
        x, f, g, gnorm = x_new, f_new, g_new, g_new_norm
    if gnorm <= gtol:
        return x, float(f)
    raise RuntimeError(f"newton_minimize: ||grad|| = {gnorm:.3g} > gtol = {gtol:g} after "
                       f"{max_iter} iterations")


def power_iteration_norm(X, iters: int = 100, seed: int = 0, *, rtol: float = 1e-10) -> float:
    """An estimate of ``||X||_2^2``, the largest eigenvalue of X'X, by power iteration.

    ``v <- X'X v / ||X'X v||`` from a random start (seeded), ``iters`` times at most, stopping
    early when the estimate ``||X v||^2`` changes by less than ``rtol`` relative. Each
    iteration costs two products with X and no m x n or n x n temporaries, so it suits data
    too large for an SVD. The estimate increases towards the true value from below; the
    error after k steps shrinks like (lambda_2 / lambda_1)^k.

    >>> X = np.diag([3.0, 1.0])
    >>> round(power_iteration_norm(X, 200, 0), 6)
    9.0
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"power_iteration_norm: X must be a matrix; got shape {X.shape}")
    if iters < 1:
        raise ValueError(f"power_iteration_norm: iters must be >= 1; got {iters}")
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(X.shape[1])
    v /= np.linalg.norm(v)
    estimate = 0.0
    for _ in range(iters):
        Xv = X @ v
        new = float(Xv @ Xv)
        w = X.T @ Xv
        norm = np.linalg.norm(w)
        if norm == 0.0:  # X'X v = 0: X = 0, or an unlucky start in the null space
            return new
        v = w / norm
        if abs(new - estimate) <= rtol * new:
            break
        estimate = new
    Xv = X @ v
    return float(Xv @ Xv)
