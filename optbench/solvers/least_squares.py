"""Gauss-Newton and Levenberg-Marquardt for sums of squares f(x) = c ||r(x)||^2.

A problem with the ``residuals`` capability carries in its ``extra``:

* ``residuals``: a compiled ``r(x, out)`` writing the m residuals into ``out``, or, when r
  reads data, ``functools.partial(r, args=data)`` of a compiled ``r(x, out, args)`` (the data
  are then passed at run time instead of being frozen into compiled code);
* ``jacobian``: ``J(x, out)`` (out: m x n, J_ij = dr_i/dx_j), in the same form with the same
  data;
* ``m``: the number of residuals;
* ``residual_scale`` (optional): c in f = c ||r||^2; 1 (the default) is MGH's convention
  f = sum_i r_i^2, 0.5 is f = 1/2 ||r||^2.

So grad f = 2c J'r and the Gauss-Newton model of f at x is c ||r + J p||^2. Before a run,
``prepare`` checks that f(x0) = c ||r(x0)||^2 (a problem whose ``residual_scale`` is wrong
is refused, not solved with a wrong gradient).

**Counting.** One residual vector r(x) counts as one evaluation of f (``nfev``), one Jacobian
J(x) as one of the gradient (``ngev``: scipy's ``njev``); f = c ||r||^2 and the gradient
2c J'r are computed from them at no further charge (the problem's own f and grad are not
called). The loop's ``grad_norm`` is ||2c J'r||, the true gradient norm of f.

- ``gauss-newton``: p = -(J'J)^-1 J'r by Cholesky, then Armijo backtracking from t = 1 on f.
- ``lm``: (J'J + mu D^2) p = -J'r, D from the largest column norms of J seen so far
  (More 1978), mu raised after a rejected trial and lowered after an accepted one by the
  gain ratio rho = (actual decrease) / (decrease predicted by the model) (Nielsen 1999).
"""

from __future__ import annotations

import functools
import math
import sys
from collections import namedtuple

import numpy as np
from numba import types
from numba.extending import overload

from .._jit import jit
from ..errors import IncompatibleError
from ..kernels import copy_into, dot, gram_lower, register_blas, sumsq
from ..oracle import charge
from ..params import Param
from ..registry import Plan, Solver, register_solver
from ..status import LINE_SEARCH, NOT_DESCENT, RANK_DEFICIENT, RUNNING
from ._loop import drive
from .line_search import armijo_params, no_step_reason
from .newton import cholesky_solve, shifted_cholesky

__all__ = ["Residuals", "residual_structure", "gauss_newton", "levenberg_marquardt",
           "residuals", "jacobian", "gram"]

register_blas()  # gram() calls BLAS dsyrk by name: known to LLVM before any code is loaded

Residuals = namedtuple("Residuals", ["r", "jac", "args", "m", "scale"])
Residuals.__doc__ = """The least-squares structure compiled solvers receive: compiled ``r`` and
``jac``, their data ``args`` (None: called as r(x, out); else r(x, out, args)), the number
of residuals ``m`` and ``scale`` c in f = c ||r||^2. Build it with residual_structure."""

_BLAS_FROM_N = 24  # J'J by BLAS dsyrk from this many columns on (loops below)
_TINY = sys.float_info.min


# -- evaluations ---------------------------------------------------------------------------------
def _call(fn, args, x, out):
    """fn(x, out), or fn(x, out, args) when the function reads data."""
    if args is None:
        fn(x, out)
    else:
        fn(x, out, args)


@overload(_call, inline="always")
def _call_compiled(fn, args, x, out):
    if isinstance(args, types.NoneType):
        def impl(fn, args, x, out):
            fn(x, out)
    else:
        def impl(fn, args, x, out):
            fn(x, out, args)
    return impl


@jit(inline=True)
def residuals(oracle, lsq, x, out):
    """out <- r(x); returns f = c ||r||^2; counts one evaluation of f."""
    charge(oracle, 1.0, 0.0, 0.0)
    _call(lsq.r, lsq.args, x, out)
    return lsq.scale * sumsq(out)


@jit(inline=True)
def jacobian(oracle, lsq, x, out):
    """out <- J(x) (m x n); counts one evaluation of the gradient."""
    charge(oracle, 0.0, 1.0, 0.0)
    _call(lsq.jac, lsq.args, x, out)


@jit(inline=True)
def _gradient(J, r, two_c, g):
    """g = 2c J'r (J read row by row)"""
    m, n = J.shape
    for j in range(n):
        g[j] = 0.0
    for i in range(m):
        ri = two_c * r[i]
        for j in range(n):
            g[j] += J[i, j] * ri


@jit(inline=True)
def gram(J, A):
    """lower triangle of A = J'J (BLAS dsyrk for n >= _BLAS_FROM_N, loops below)"""
    m, n = J.shape
    if n >= _BLAS_FROM_N:
        gram_lower(J, 1.0, 0.0, A)
        return
    for a in range(n):
        for b in range(a + 1):
            A[a, b] = 0.0
    for i in range(m):
        for a in range(n):
            ja = J[i, a]
            for b in range(a + 1):
                A[a, b] += ja * J[i, b]


@jit(inline=True)
def _all_finite(v):
    for i in range(v.shape[0]):
        if not np.isfinite(v[i]):
            return False
    return True


# -- Gauss-Newton with backtracking ------------------------------------------------------------
@jit(inline=True)
def _gn_init(oracle, x, g, params):
    lsq = params[0]
    m, n = lsq.m, x.shape[0]
    r, J = np.empty(m), np.empty((m, n))
    fx = residuals(oracle, lsq, x, r)
    jacobian(oracle, lsq, x, J)
    _gradient(J, r, 2.0 * lsq.scale, g)
    return (r, J, np.empty(m), np.empty((n, n)), np.empty((n, n)), np.empty(n),
            np.empty(n)), fx


@jit(inline=True)
def _gn_step(oracle, x, g, fx, work, params, k, extras):
    """p = -(J'J)^{-1} J'r; x <- x + t p, t from Armijo backtracking from 1"""
    r, J, r_new, A, C, d, x_new = work
    lsq, c1, shrink, max_trials = params
    gram(J, A)
    if not shifted_cholesky(A, 0.0, C):
        return fx, np.nan, RANK_DEFICIENT
    cholesky_solve(C, g, d)  # (J'J) d = g = 2c J'r
    h = -0.5 / lsq.scale
    for j in range(d.shape[0]):
        d[j] *= h
    if not _all_finite(d):
        return fx, np.nan, RANK_DEFICIENT
    slope = dot(g, d)
    if not slope < 0.0:  # only by rounding: d'g = -2c |J d|^2
        return fx, np.nan, NOT_DESCENT
    t = 1.0
    for trial in range(1, max_trials + 1):
        for j in range(x.shape[0]):
            x_new[j] = x[j] + t * d[j]
        f_new = residuals(oracle, lsq, x_new, r_new)
        if f_new - fx <= c1 * t * slope:
            copy_into(x, x_new)
            copy_into(r, r_new)
            jacobian(oracle, lsq, x, J)
            _gradient(J, r, 2.0 * lsq.scale, g)
            extras[0] = math.sqrt(sumsq(r))
            extras[1] = trial
            return f_new, t, RUNNING
        if trial < max_trials:
            t *= shrink
    extras[1] = max_trials
    return fx, np.nan, no_step_reason(fx, slope, t)


@jit
def gauss_newton(oracle, x0, lsq, c, shrink, max_trials, control):
    """Gauss-Newton with a line search: ``p_k = -(J_k'J_k)^{-1} J_k'r_k``,
    ``x_{k+1} = x_k + t_k p_k`` with t_k the first of 1, shrink, shrink^2, ... such that
    ``f(x_k + t p_k) <= f(x_k) + c t grad f(x_k)'p_k``.

    ``lsq`` is the problem's :class:`Residuals` (``residual_structure(problem)``). The step
    minimizes the linearized model c ||r + J p||^2, so one full step solves a linear least
    squares problem; on a zero-residual problem convergence is quadratic near x*, on others
    linear at a rate set by the size of the residuals. J'J is factored by Cholesky: a
    rank-deficient Jacobian ends the run ``failed`` (use ``levenberg_marquardt``). The
    ``res_norm`` column holds ||r||, ``trials`` the line-search trials. Called like
    :func:`optbench.solvers.newton_ls`::

        x, history, reason, k = gauss_newton(problem.oracle, x0,
                                             residual_structure(problem), 1e-4, 0.5, 60,
                                             control)

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), 10.3.
    """
    return drive(oracle, x0, (lsq, c, shrink, max_trials), _gn_init, _gn_step, 2, control)


# -- Levenberg-Marquardt -----------------------------------------------------------------------
@jit(inline=True)
def _lm_init(oracle, x, g, params):
    lsq, mu0 = params[0], params[1]
    m, n = lsq.m, x.shape[0]
    r, J = np.empty(m), np.empty((m, n))
    fx = residuals(oracle, lsq, x, r)
    jacobian(oracle, lsq, x, J)
    _gradient(J, r, 2.0 * lsq.scale, g)
    state = np.empty(2)  # mu, nu (the factor of the next increase of mu)
    state[0], state[1] = mu0, 2.0
    return (r, J, np.empty(m), np.empty((n, n)), np.empty((n, n)), np.zeros(n), np.empty(n),
            np.empty(n), np.empty(n), state), fx


@jit(inline=True)
def _lm_step(oracle, x, g, fx, work, params, k, extras):
    """(J'J + mu D^2) p = -J'r, solved scaled: (S + mu I) q = -D^-1 J'r, S = D^-1 J'J D^-1,
    p = D^-1 q; accept x + p when rho = (f(x) - f(x + p)) / predicted > eta"""
    r, J, r_new, S, C, D, b, q, x_new, state = work
    lsq, mu0, eta, max_trials = params
    c = lsq.scale
    n = x.shape[0]
    gram(J, S)
    for j in range(n):  # D_j = max over iterations of ||J e_j|| (1 for a zero column)
        D[j] = max(D[j], math.sqrt(S[j, j]))
        if D[j] == 0.0:
            D[j] = 1.0
    for a in range(n):
        for j in range(a + 1):
            S[a, j] /= D[a] * D[j]
        b[a] = g[a] / (2.0 * c * D[a])  # D^-1 J'r
    mu, nu = state[0], state[1]
    predicted = -1.0  # (stays negative when no trial system could be factored)
    for trial in range(1, max_trials + 1):
        if shifted_cholesky(S, mu, C):
            cholesky_solve(C, b, q)
            for j in range(n):
                q[j] = -q[j]
            # c (|r|^2 - |r + J p|^2) = c (mu |q|^2 - q'b), from (S + mu I) q = -b
            predicted = c * (mu * sumsq(q) - dot(q, b))
            for j in range(n):
                x_new[j] = x[j] + q[j] / D[j]
            f_new = residuals(oracle, lsq, x_new, r_new)
            rho = (fx - f_new) / predicted if predicted > 0.0 else -math.inf
            if rho > eta:  # (false for a NaN f_new)
                extras[1] = mu
                extras[2] = trial
                t = 2.0 * rho - 1.0
                # (kept a normal number: a mu of 0 would stay 0 through the increases)
                state[0] = max(mu * max(1.0 / 3.0, 1.0 - t * t * t), _TINY)
                state[1] = 2.0
                step = 0.0
                for j in range(n):
                    step += (x_new[j] - x[j]) ** 2
                copy_into(x, x_new)
                copy_into(r, r_new)
                jacobian(oracle, lsq, x, J)
                _gradient(J, r, 2.0 * c, g)
                extras[0] = math.sqrt(sumsq(r))
                return f_new, math.sqrt(step), RUNNING
        mu *= nu
        nu *= 2.0
        if not mu < math.inf:
            break
    state[0], state[1] = mu, nu
    extras[2] = max_trials
    if predicted < 0.0:
        return fx, np.nan, LINE_SEARCH
    # no decrease: at rounding level when the model's own decrease is (a step of slope -pred)
    return fx, np.nan, no_step_reason(fx, -predicted, 1.0)


@jit
def levenberg_marquardt(oracle, x0, lsq, mu0, eta, max_trials, control):
    """Levenberg-Marquardt with More's scaling: ``(J_k'J_k + mu_k D_k^2) p_k = -J_k'r_k``,
    ``x_{k+1} = x_k + p_k`` when the gain ratio
    ``rho = (f(x_k) - f(x_k + p_k)) / (c |r_k|^2 - c |r_k + J_k p_k|^2) > eta``.

    ``D_k = diag(max_{i <= k} ||J_i e_j||)`` (a zero column: 1) makes the method invariant
    under a scaling of the variables, as in MINPACK's lmder; mu_0 = ``mu0`` is relative to the
    scaled J'J, whose diagonal is at most 1. After an accepted step
    ``mu <- mu max(1/3, 1 - (2 rho - 1)^3)``; after a rejected trial mu is multiplied by
    nu = 2, 4, 8, ... (Nielsen's rule), and a new trial is solved (one residual evaluation
    each). Small mu gives the Gauss-Newton step, large mu a short scaled gradient step, so
    a rank-deficient J is no obstacle. ``max_trials`` rejected trials in a row end the run
    (``precision_limit`` when even the model's decrease was at f's rounding level, else
    ``line_search_failed``). Columns: ``res_norm`` ||r||, ``mu`` the damping of the step
    taken, ``trials``. Called like :func:`gauss_newton`.

    References: J. J. More, The Levenberg-Marquardt algorithm: implementation and theory,
    Lecture Notes in Mathematics 630 (1978) 105-116; H. B. Nielsen, Damping parameter in
    Marquardt's method, IMM-REP-1999-05 (1999); K. Madsen, H. B. Nielsen, O. Tingleff,
    Methods for non-linear least squares problems (2004), 3.2.
    """
    return drive(oracle, x0, (lsq, mu0, eta, max_trials), _lm_init, _lm_step, 3, control)


# -- the problem's structure, checked once, in Python --------------------------------------------
def _unbind(fn, name: str, problem):
    """(compiled function, its data or None) from extra[name]."""
    if isinstance(fn, functools.partial):
        if fn.args or set(fn.keywords) != {"args"}:
            raise IncompatibleError(
                f"problem {problem.name!r}: extra[{name!r}] is a functools.partial that binds "
                f"{fn.args!r} {sorted(fn.keywords)}; only partial(f, args=data) of a compiled "
                "f(x, out, args) is understood")
        return fn.func, fn.keywords["args"]
    return fn, None


def residual_structure(problem) -> Residuals:
    """The :class:`Residuals` of ``problem`` (extra: residuals, jacobian, m, residual_scale),
    checked: m >= 1, c > 0, both functions compiled with the same data, and
    f(x0) = c ||r(x0)||^2 (to 1e-8 relative); else ``IncompatibleError`` saying what is
    wrong."""
    extra = problem.extra
    r, r_args = _unbind(extra["residuals"], "residuals", problem)
    jac, j_args = _unbind(extra["jacobian"], "jacobian", problem)
    who = f"problem {problem.name!r}"
    for name, fn in (("residuals", r), ("jacobian", jac)):
        if not hasattr(fn, "py_func"):
            raise IncompatibleError(f"{who}: extra[{name!r}] must be a compiled function "
                                    f"(optbench.jit); got {type(fn).__name__}")
    if r_args is not j_args:
        raise IncompatibleError(f"{who}: extra['residuals'] and extra['jacobian'] must bind "
                                "the same data (args)")
    m = extra["m"]
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
        raise IncompatibleError(f"{who}: extra['m'] must be a positive integer; got {m!r}")
    scale = extra.get("residual_scale", 1.0)
    if not (isinstance(scale, float | int) and 0.0 < scale < math.inf):
        raise IncompatibleError(f"{who}: extra['residual_scale'] (c in f = c ||r||^2) must be "
                                f"a number > 0; got {scale!r}")
    lsq = Residuals(r, jac, r_args, int(m), float(scale))
    out = np.empty(lsq.m)
    _call(r, r_args, problem.x0, out)
    f0, model = problem.f(problem.x0), lsq.scale * float(out @ out)
    if not abs(f0 - model) <= 1e-8 * max(abs(f0), abs(model)) + 1e-300:
        raise IncompatibleError(
            f"{who}: f(x0) = {f0:.17g} but residual_scale * ||r(x0)||^2 = {model:.17g} "
            f"(residual_scale = {lsq.scale:g}); extra['residual_scale'] must make "
            "f = residual_scale * sum_i r_i^2")
    return lsq


def _prepare(entry, params, columns):
    def prepare(problem, values):
        return Plan(entry, (residual_structure(problem), *(values[p.name] for p in params)),
                    columns)
    return prepare


_GN_PARAMS = armijo_params()
_LM_PARAMS = (
    Param("mu0", 1e-3, float, "first damping, relative to the scaled J'J (diagonal <= 1)",
          low=0.0, strict=True),
    Param("eta", 1e-4, float, "accept a step when actual / predicted decrease > eta",
          low=0.0, high=0.99),
    Param("max_trials", 30, int, "damping increases (trial steps) per iteration", low=1),
)
_LSQ = dict(family="least-squares", needs=frozenset({"grad", "residuals"}))
_GN_COLUMNS = ("res_norm", "trials")
_LM_COLUMNS = ("res_norm", "mu", "trials")

register_solver(Solver(
    name="gauss-newton", entry=gauss_newton, params=_GN_PARAMS,
    summary="Gauss-Newton on the residuals with Armijo backtracking (least-squares problems)",
    formula="x_{k+1} = x_k - t_k (J_k'J_k)^{-1} J_k'r_k, t_k by Armijo backtracking",
    reference="Nocedal & Wright, Numerical Optimization (2006), 10.3",
    columns=_GN_COLUMNS, prepare=_prepare(gauss_newton, _GN_PARAMS, _GN_COLUMNS), **_LSQ,
))
register_solver(Solver(
    name="lm", entry=levenberg_marquardt, params=_LM_PARAMS,
    summary="Levenberg-Marquardt, More's column scaling, damping from the gain ratio",
    formula="x_{k+1} = x_k - (J_k'J_k + mu_k D_k^2)^{-1} J_k'r_k, mu_k from the gain ratio",
    reference="More (1978), LNM 630, 105-116 (MINPACK lmder's scaling); Nielsen (1999), "
              "IMM-REP-1999-05 (damping update)",
    columns=_LM_COLUMNS, prepare=_prepare(levenberg_marquardt, _LM_PARAMS, _LM_COLUMNS), **_LSQ,
))
