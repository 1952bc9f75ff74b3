"""Newton's method and its safeguarded forms, and Newton's root-finding iteration.

- ``newton``: x <- x - alpha H^-1 g (constant damping alpha); H^-1 g by Cholesky when H is
  positive definite, by LU otherwise.
- ``newton-ls``: the Newton direction with Armijo backtracking from the full step.
- ``newton-safe``: H + lambda I with the smallest lambda of a geometric search that makes it
  positive definite (a Cholesky factorization succeeds), started one factor below the last
  iteration's shift, then backtracking; lambda is recorded. Makes progress on indefinite
  problems instead of stepping to a saddle point or a maximum.
- ``newton-root``: x <- x - f(x)/f'(x), the root finder of the course notes (1-D).
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from ..kernels import copy_into
from ..oracle import gradient, hessian, value_and_grad
from ..params import Param
from ..registry import GRAD_AT_ITERATE, Solver, register_solver
from ..status import ROOT_FOUND, RUNNING, SINGULAR, ZERO_DERIVATIVE
from ._loop import drive, drive_without_f, without_grad_test
from .gradient import value_and_grad_init
from .line_search import armijo_params, backtracking_step

__all__ = ["newton", "newton_ls", "newton_safe", "newton_root", "newton_direction",
           "shifted_cholesky", "cholesky_solve", "adaptive_shift"]


_LAPACK_FROM_N = 24  # Cholesky by LAPACK from this order on (the scalar loop wins below it)


@jit
def newton_direction(H, g, d, C):
    """Solve H d = g into ``d`` (C: n x n scratch); False when H is singular (no Newton step).

    Cholesky (half the flops of LU) when H is positive definite, the usual case near a
    minimizer; LU otherwise, so indefinite Hessians still give the Newton step."""
    if shifted_cholesky(H, 0.0, C):
        cholesky_solve(C, g, d)
        return _all_finite(d)
    try:
        sol = np.linalg.solve(H, g)
    except Exception:  # numba raises LinAlgError for an exactly singular H
        return False
    copy_into(d, sol)
    return _all_finite(d)


@jit
def _all_finite(v):
    for i in range(v.shape[0]):
        if not np.isfinite(v[i]):
            return False
    return True


@jit
def shifted_cholesky(H, lam, C):
    """Lower-triangular C with C C' = H + lam I (H's lower triangle is read); False if that
    matrix is not positive definite or not finite. LAPACK's blocked factorization from
    order ``_LAPACK_FROM_N`` on, a scalar loop below."""
    n = H.shape[0]
    if n < _LAPACK_FROM_N:
        return _cholesky_loop(H, lam, C)
    for i in range(n):
        for j in range(i + 1):
            C[i, j] = H[i, j]
        C[i, i] += lam
    try:
        L = np.linalg.cholesky(C)  # reads the lower triangle
    except Exception:  # numba raises LinAlgError when the matrix is not positive definite
        return False
    for i in range(n):
        if not (L[i, i] > 0.0 and L[i, i] < math.inf):  # a NaN or inf anywhere reaches L_ii
            return False
        for j in range(n):
            C[i, j] = L[i, j]
    return True


@jit
def _cholesky_loop(H, lam, C):
    """C C' = H + lam I by the scalar column algorithm; False if not positive definite"""
    n = H.shape[0]
    for j in range(n):
        s = H[j, j] + lam
        for k in range(j):
            s -= C[j, k] * C[j, k]
        if not s > 0.0:
            return False
        C[j, j] = math.sqrt(s)
        for i in range(j + 1, n):
            s = H[i, j]
            for k in range(j):
                s -= C[i, k] * C[j, k]
            C[i, j] = s / C[j, j]
        for i in range(j):
            C[i, j] = 0.0
    return True


@jit
def cholesky_solve(C, g, d):
    """Solve C C' d = g into ``d`` (C lower triangular; both passes read C by rows)."""
    n = C.shape[0]
    for i in range(n):  # C y = g
        s = g[i]
        for k in range(i):
            s -= C[i, k] * d[k]
        d[i] = s / C[i, i]
    for i in range(n - 1, -1, -1):  # C' d = y, column by column of C'
        d[i] /= C[i, i]
        for k in range(i):
            d[k] -= C[i, k] * d[i]


# -- Newton with constant damping ---------------------------------------------------------------
@jit(inline=True)
def _newton_init(oracle, x, g, params):
    """g <- grad f(x0) (pure Newton needs no f)"""
    n = x.shape[0]
    gradient(oracle, x, g)
    return (np.empty((n, n)), np.empty((n, n)), np.empty(n)), math.nan


@jit(inline=True)
def _newton_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - alpha * H(x)^{-1} g"""
    H, C, d = work
    (alpha,) = params
    hessian(oracle, x, H)
    if not newton_direction(H, g, d, C):
        return fx, np.nan, SINGULAR
    for i in range(x.shape[0]):
        x[i] -= alpha * d[i]
    gradient(oracle, x, g)
    return math.nan, alpha, RUNNING


@jit
def newton(oracle, x0, alpha, control):
    """Newton's method with damping: ``x_{k+1} = x_k - alpha * H(x_k)^{-1} grad f(x_k)``.

    ``alpha = 1`` is the pure Newton step: one step solves a quadratic, and convergence is
    quadratic near a minimizer with a positive definite Hessian. A singular Hessian ends the
    run with status ``failed`` (history kept). On indefinite problems the pure step heads for
    the nearest stationary point, saddle or maximum included. One gradient and one Hessian
    per iteration, no f (the table's f is evaluated at its rows only, uncounted).

    Compiled; callable from your own ``@njit`` code like :func:`optbench.solvers.gd`::

        x, history, reason, k = newton(problem.oracle, x0, 1.0, control)

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), section 3.3.
    """
    return drive_without_f(oracle, x0, (alpha,), _newton_init, _newton_step, 0, control)


# -- Newton direction + backtracking ------------------------------------------------------------
@jit(inline=True)
def _newton_ls_init(oracle, x, g, params):
    n = x.shape[0]
    return ((np.empty((n, n)), np.empty((n, n)), np.empty(n), np.empty(n), np.empty(n)),
            value_and_grad(oracle, x, g))


@jit(inline=True)
def _newton_ls_step(oracle, x, g, fx, work, params, k, extras):
    """d = -H^{-1} g; x <- x + t d, t from backtracking from 1"""
    H, C, d, x_new, g_new = work
    c, shrink, max_trials = params
    hessian(oracle, x, H)
    if not newton_direction(H, g, d, C):
        return fx, np.nan, SINGULAR
    for i in range(d.shape[0]):
        d[i] = -d[i]
    return backtracking_step(oracle, x, fx, g, d, x_new, g_new, 1.0, c, shrink, max_trials,
                             extras, 0)


@jit
def newton_ls(oracle, x0, c, shrink, max_trials, control):
    """Damped Newton: the Newton direction ``d = -H^{-1} g`` with Armijo backtracking from
    the full step t = 1 (``f(x + t d) <= f + c t g.d``).

    Globally convergent on strictly convex problems, with the full step and quadratic
    convergence near the solution. Ends ``failed`` when d is not a descent direction (an
    indefinite Hessian; use ``newton_safe``). Called like :func:`newton`.

    Reference: Boyd & Vandenberghe, *Convex Optimization* (2004), Algorithm 9.5.
    """
    return drive(oracle, x0, (c, shrink, max_trials), _newton_ls_init, _newton_ls_step, 1,
                 control)


# -- safeguarded Newton (H + lambda I) ---------------------------------------------------------
@jit(inline=True)
def _newton_safe_init(oracle, x, g, params):
    n = x.shape[0]
    memory = np.zeros(1)  # the last positive shift, fading by growth per iteration
    return ((np.empty((n, n)), np.empty((n, n)), np.empty(n), np.empty(n), np.empty(n),
             memory), value_and_grad(oracle, x, g))


@jit
def adaptive_shift(H, C, memory, lam0, growth):
    """The shift lambda >= 0 of H + lambda I, factorized into C: 0 when H is positive
    definite, else the first of mu, mu*growth, ... above -min_i H_ii that factorizes,
    mu = max(memory / growth, lam0 ||H||_F); ``memory`` (one entry) keeps the last positive
    shift (and loses a factor growth per call without one). NaN when none is finite."""
    if shifted_cholesky(H, 0.0, C):
        memory[0] /= growth
        return 0.0
    n = H.shape[0]
    fro = 0.0
    lower = 0.0  # H + lambda I is positive definite only if lambda > -H_ii for every i
    for i in range(n):
        lower = max(lower, -H[i, i])
        for j in range(n):
            fro += H[i, j] * H[i, j]
    fro = math.sqrt(fro)
    lam = max(memory[0] / growth, lam0 * (fro if fro > 0.0 else 1.0))
    while lam <= lower and lam < math.inf:
        lam *= growth
    while not shifted_cholesky(H, lam, C):
        lam *= growth
        if not lam < math.inf:
            return math.nan
    memory[0] = lam
    return lam


@jit(inline=True)
def _newton_safe_step(oracle, x, g, fx, work, params, k, extras):
    """lambda: 0 if H is positive definite, else the first working shift of a geometric
    search started one factor below the last; d = -(H + lambda I)^{-1} g; x <- x + t d with
    backtracking"""
    H, C, d, x_new, g_new, memory = work
    lam0, growth, c, shrink, max_trials = params
    hessian(oracle, x, H)
    lam = adaptive_shift(H, C, memory, lam0, growth)
    if not lam >= 0.0:
        return fx, np.nan, SINGULAR
    cholesky_solve(C, g, d)
    for i in range(d.shape[0]):
        d[i] = -d[i]
    extras[0] = lam
    return backtracking_step(oracle, x, fx, g, d, x_new, g_new, 1.0, c, shrink, max_trials,
                             extras, 1)


@jit
def newton_safe(oracle, x0, lam0, growth, c, shrink, max_trials, control):
    """Safeguarded Newton: ``d = -(H + lambda I)^{-1} g`` followed by Armijo backtracking
    from t = 1, with lambda = 0 when H is positive definite (a Cholesky factorization
    succeeds) and otherwise the first of mu, mu growth, mu growth^2, ... above
    -min_i H_ii for which it succeeds, from mu = max(lambda_prev / growth, lam0 ||H||_F):
    ``lambda_prev`` is the last positive shift, divided by ``growth`` at every iteration
    without one. So the search starts one factor below the last shift, and the shift
    follows the smallest one that works (within a factor ``growth``) as it falls, instead
    of staying at the first one found. On badly scaled problems a shift relative to the
    largest entries damps every step to a crawl: near the start of ``mgh-meyer`` the
    Hessian's eigenvalues run from about -5 to 2e12, and 1e-3 max|H_ii| is 2e9.

    Where H is positive definite this is Newton's method with a line search; where it is
    indefinite (a saddle, a maximum) the shift makes d a descent direction, so f decreases
    instead of the iterate heading for the stationary point. ``lambda`` and the line-search
    ``trials`` are recorded; ``failed`` (singular) when no finite shift factorizes (a
    non-finite Hessian). Called like :func:`newton`.

    Reference: Nocedal & Wright (2006), 3.4 (Algorithm 3.3, Cholesky with added multiple
    of the identity; here warm-started from the previous iteration's shift).
    """
    return drive(oracle, x0, (lam0, growth, c, shrink, max_trials), _newton_safe_init,
                 _newton_safe_step, 2, control)


# -- Newton's root-finding iteration ------------------------------------------------------------
@jit
def _root_correction(fx, dfx):
    """The Newton correction f/f' (0 at an exact root, inf where f' = 0 and f != 0)."""
    if dfx != 0.0:
        return fx / dfx
    return 0.0 if fx == 0.0 else math.inf


@jit(inline=True)
def _root_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - f(x) / f'(x)"""
    (tol,) = params
    t = _root_correction(fx, g[0])
    if not np.isfinite(t):
        return fx, np.nan, ZERO_DERIVATIVE
    x[0] -= t
    f_new = value_and_grad(oracle, x, g)
    extras[0] = abs(f_new)
    # converged when the next correction is below tol relative to x (not |f| small alone:
    # f may tend to 0 at infinity, as x/(x^2+1) does)
    done = abs(_root_correction(f_new, g[0])) <= tol * (1.0 + abs(x[0]))
    return f_new, t, ROOT_FOUND if done else RUNNING


@jit
def newton_root(oracle, x0, control):
    """Newton's root-finding iteration on a 1-D function: ``x_{k+1} = x_k - f(x_k)/f'(x_k)``.

    Finds a zero of f (not of f'): quadratic convergence at a simple root, linear at a
    multiple root (the double roots of ``double-well``), none when f has no real root
    (``parabola``). Converges when the next correction |f(x)/f'(x)| <= control.tol (1 + |x|);
    the gradient test is off. The ``step`` column holds f/f', the ``abs_f`` column |f(x)|.
    Called like :func:`newton`.

    Reference: course notes, Newton's method; Nocedal & Wright (2006), 11.1.
    """
    return drive(oracle, x0, (control.tol,), value_and_grad_init, _root_step, 1,
                 without_grad_test(control))


# -- registration -------------------------------------------------------------------------------
_LINE_SEARCH_PARAMS = armijo_params()
_NEWTON = dict(family="newton", needs=frozenset({"grad", "hess"}))

register_solver(Solver(
    name="newton", entry=newton,
    params=(Param("alpha", 1.0, float, "damping factor (1 = pure Newton step)", low=0.0,
                  strict=True),),
    summary="Newton's method with a constant damping factor",
    formula="x_{k+1} = x_k - alpha * H(x_k)^{-1} grad f(x_k)",
    reference="Nocedal & Wright, Numerical Optimization (2006), 3.3", **_NEWTON,
    table_point=GRAD_AT_ITERATE,
))
register_solver(Solver(
    name="newton-ls", entry=newton_ls, params=_LINE_SEARCH_PARAMS,
    summary="damped Newton: Newton direction with backtracking line search",
    formula="x_{k+1} = x_k - t_k H(x_k)^{-1} grad f(x_k), t_k by Armijo backtracking",
    reference="Boyd & Vandenberghe, Convex Optimization (2004), 9.5",
    columns=("trials",), **_NEWTON,
))
register_solver(Solver(
    name="newton-safe", entry=newton_safe,
    params=(Param("lam0", 1e-15, float, "smallest shift tried, relative to ||H||_F",
                  low=0.0, strict=True, high=1.0),
            Param("growth", 10.0, float, "factor between the shifts tried, and by which the "
                  "last shift fades per iteration", low=1.0, strict=True),
            *_LINE_SEARCH_PARAMS),
    summary="safeguarded Newton: H + lambda I made positive definite, then backtracking",
    formula="x_{k+1} = x_k - t_k (H(x_k) + lambda_k I)^{-1} grad f(x_k)",
    reference="Nocedal & Wright, Numerical Optimization (2006), 3.4",
    columns=("lambda", "trials"), **_NEWTON,
))
register_solver(Solver(
    name="newton-root", entry=newton_root, params=(),
    summary="Newton's root finding x - f(x)/f'(x) on 1-D problems (tol on |f/f'|)",
    formula="x_{k+1} = x_k - f(x_k) / f'(x_k)",
    reference="course notes (Newton's method); Nocedal & Wright (2006), 11.1",
    family="newton", needs=frozenset({"grad", "1d"}), columns=("abs_f",),
))
