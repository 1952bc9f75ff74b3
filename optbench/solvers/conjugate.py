"""Conjugate gradients: linear CG for quadratics, nonlinear CG (Fletcher-Reeves, Polak-Ribiere+)
with a strong-Wolfe line search."""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from ..kernels import sumsq
from ..oracle import charge, gradient, hessian, value_and_grad
from ..params import Param
from ..registry import AT_ROWS, Solver, register_solver
from ..status import GRAD_TOL, NEGATIVE_CURVATURE, RUNNING
from ._loop import drive, drive_without_fg
from .line_search import accept
from .wolfe import wolfe_params, wolfe_prepare, wolfe_search

__all__ = ["cg", "ncg"]


# -- linear CG ----------------------------------------------------------------------------------
@jit(inline=True)
def _cg_init(oracle, x, g, params):
    """A = Hessian (read once); r = -g = b - A x (one gradient; no f); p = r; state = [r.r]."""
    n = x.shape[0]
    A = np.empty((n, n))
    hessian(oracle, x, A)
    gradient(oracle, x, g)
    r = np.empty(n)
    p = np.empty(n)
    for i in range(n):
        r[i] = -g[i]
        p[i] = -g[i]
    state = np.empty(1)
    state[0] = sumsq(r)
    return (A, r, p, np.empty(n), state), math.nan


@jit(inline=True)
def _cg_step(oracle, x, g, fx, work, params, k, extras):
    """alpha = r'r / p'Ap; x += alpha p; r -= alpha Ap; p <- r + (r'r)_new / r'r p"""
    A, r, p, Ap, state = work
    n = x.shape[0]
    rr = state[0]
    pAp = 0.0
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += A[i, j] * p[j]
        Ap[i] = s
        pAp += p[i] * s
    if not pAp > 0.0:
        if rr == 0.0:  # solved exactly (reachable only with the gradient test off)
            return fx, 0.0, GRAD_TOL
        return math.nan, math.nan, NEGATIVE_CURVATURE
    alpha = rr / pAp
    for i in range(n):
        x[i] += alpha * p[i]
        r[i] -= alpha * Ap[i]
    rr_new = sumsq(r)
    beta = rr_new / rr
    for i in range(n):
        p[i] = r[i] + beta * p[i]
    state[0] = rr_new
    # the method's cost: the product A p, as much as one gradient of the quadratic; the
    # table's f and true gradient (for the stopping test) are the loop's, at its rows
    charge(oracle, 0.0, 1.0, 0.0)
    return math.nan, alpha, RUNNING


@jit
def cg(oracle, x0, control):
    """Linear conjugate gradients for ``f(x) = 1/2 x'Ax - b'x + c``, A symmetric positive definite.

    Solves ``A x = b``. With ``r_0 = b - A x_0 = -grad f(x_0)`` and ``p_0 = r_0``::

        alpha_k = r_k'r_k / p_k'A p_k,   x_{k+1} = x_k + alpha_k p_k,
        r_{k+1} = r_k - alpha_k A p_k,   p_{k+1} = r_{k+1} + (r_{k+1}'r_{k+1} / r_k'r_k) p_k

    One iteration is one CG step. In exact arithmetic it terminates in at most n steps (as
    many as A has distinct eigenvalues), and ``||x_k - x*||_A <= 2 ((sqrt(kappa) - 1) /
    (sqrt(kappa) + 1))^k ||x_0 - x*||_A``; in floating point the finite termination is lost
    for badly conditioned A with spread eigenvalues, the rate bound is kept. A is read once
    (``oracle.hess``); the residual is updated by the recurrence: one product with A per
    iteration, counted as one gradient. The table's f and gradient (and so every stopping
    test) are the problem's own, evaluated at the recorded rows only, uncounted and untimed;
    the gradient test thus sees the true residual b - A x, not the recurrence's.
    ``p'Ap <= 0`` (A not positive definite) ends the run
    ``failed``.

    Compiled; callable from your own ``@njit`` code::

        control = optbench.make_control(max_iter=100, tol=1e-10)
        x, history, reason, iterations = optbench.solvers.conjugate.cg(p.oracle, x0, control)

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), Algorithm 5.2 and (5.36);
    Hestenes & Stiefel (1952).
    """
    return drive_without_fg(oracle, x0, (), _cg_init, _cg_step, 0, control)


# -- nonlinear CG -------------------------------------------------------------------------------
FLETCHER_REEVES = 0
POLAK_RIBIERE_PLUS = 1
BETA_RULES = ("fr", "pr+")  # names of FLETCHER_REEVES, POLAK_RIBIERE_PLUS, in order


@jit(inline=True)
def _ncg_init(oracle, x, g, params):
    """d = -g; state = [alpha_{k-1}, g_{k-1}'d_{k-1} (NaN: none yet), steps since restart]."""
    n = x.shape[0]
    fx = value_and_grad(oracle, x, g)
    d = np.empty(n)
    for i in range(n):
        d[i] = -g[i]
    state = np.empty(3)
    state[0] = math.nan
    state[1] = math.nan
    state[2] = 0.0
    return (d, np.empty(n), np.empty(n), state), fx


@jit(inline=True)
def _ncg_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x + alpha d (strong Wolfe); d <- -g_new + beta d (FR or PR+, restarts)"""
    rule, c1, c2 = params
    d, x_new, g_new, state = work
    n = x.shape[0]
    gg = sumsq(g)
    if gg == 0.0:  # stationary (reachable only with the gradient test off)
        return fx, 0.0, GRAD_TOL
    gd = 0.0
    for i in range(n):
        gd += g[i] * d[i]
    if not gd < 0.0:  # not a descent direction: restart along -g
        for i in range(n):
            d[i] = -g[i]
        gd = -gg
        state[2] = 0.0
    if math.isfinite(state[0]):  # N&W (3.60): alpha_{k-1} g_{k-1}'d_{k-1} / g_k'd_k
        alpha0 = state[0] * state[1] / gd
    else:  # first step: length 1
        alpha0 = 1.0 / math.sqrt(gg)
    alpha, f_new, reason = wolfe_search(oracle, x, fx, g, d, x_new, g_new, alpha0, c1, c2,
                                        extras, 0)
    if reason == RUNNING:  # state <- [alpha, g'd, steps + 1]; d <- -g_new + beta d
        state[0] = alpha
        state[1] = gd
        state[2] += 1.0
        if state[2] >= n:  # restart every n iterations
            beta = 0.0
            state[2] = 0.0
        elif rule == FLETCHER_REEVES:
            beta = sumsq(g_new) / gg
        else:
            num = 0.0
            for i in range(n):
                num += g_new[i] * (g_new[i] - g[i])
            beta = max(0.0, num / gg)
        for i in range(n):
            d[i] = -g_new[i] + beta * d[i]
    return accept(x, g, x_new, g_new, fx, f_new, alpha, reason)


@jit
def ncg(oracle, x0, beta, c1, c2, control):
    """Nonlinear conjugate gradients with a strong-Wolfe line search.

    ``x_{k+1} = x_k + alpha_k d_k`` with ``alpha_k`` satisfying the strong Wolfe conditions
    (constants ``c1``, ``c2``; see :func:`optbench.solvers.wolfe.strong_wolfe`), ``d_0 = -g_0``
    and ``d_{k+1} = -g_{k+1} + beta_{k+1} d_k`` where (``beta`` = ``"fr"`` or ``"pr+"``)::

        Fletcher-Reeves      beta = g_{k+1}'g_{k+1} / g_k'g_k
        Polak-Ribiere+       beta = max(0, g_{k+1}'(g_{k+1} - g_k) / g_k'g_k)

    Restarts (``beta = 0``) every n iterations, and along ``-g`` whenever ``d`` is not a
    descent direction. With ``c2 < 1/2`` every Fletcher-Reeves direction is a descent
    direction. The line search's first trial is ``alpha_{k-1} g_{k-1}'d_{k-1} / g_k'd_k``
    (a unit-length step first). The ``trials`` column counts its evaluations of f and grad f;
    a search that finds no step ends the run ``precision_limit`` (f cannot be decreased in
    floating point) or ``line_search_failed`` (see :mod:`optbench.solvers.line_search`).

    Compiled; callable from your own ``@njit`` code::

        x, history, reason, iterations = optbench.solvers.conjugate.ncg(
            p.oracle, x0, "pr+", 1e-4, 0.1, control)

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), section 5.2 (Algorithm 5.4,
    (5.41), (5.44), (5.45)); Fletcher & Reeves (1964); Polak & Ribiere (1969).
    """
    if beta == "fr":
        rule = FLETCHER_REEVES
    elif beta == "pr+":
        rule = POLAK_RIBIERE_PLUS
    else:
        raise ValueError("ncg: beta must be 'fr' or 'pr+'")
    return drive(oracle, x0, (rule, c1, c2), _ncg_init, _ncg_step, 1, control)


_CG = register_solver(Solver(
    name="cg", entry=cg, family="conjugate", params=(),
    summary="linear conjugate gradients for SPD quadratics (solves A x = b)",
    formula="x_{k+1} = x_k + alpha_k p_k, alpha_k = r'r / p'Ap, p_{k+1} = r_{k+1} + beta p_k",
    reference="Nocedal & Wright, Numerical Optimization (2006), Algorithm 5.2",
    needs=frozenset({"grad", "hess", "quadratic"}), table_point=AT_ROWS,
))

_NCG_PARAMS = (Param("beta", "pr+", str, "conjugacy rule: fr (Fletcher-Reeves) or pr+ "
                     "(Polak-Ribiere, clipped at 0)", choices=BETA_RULES),
               *wolfe_params(c2=0.1))
_NCG_COLUMNS = ("trials",)
_NCG = register_solver(Solver(
    name="ncg", entry=ncg, family="conjugate", params=_NCG_PARAMS,
    summary="nonlinear conjugate gradients (FR or PR+) with a strong-Wolfe line search",
    formula="x_{k+1} = x_k + alpha_k d_k, d_{k+1} = -g_{k+1} + beta_{k+1} d_k",
    reference="Nocedal & Wright, Numerical Optimization (2006), 5.2",
    columns=_NCG_COLUMNS, prepare=wolfe_prepare(ncg, _NCG_PARAMS, _NCG_COLUMNS),
))
register_solver(_NCG.with_defaults(
    "ncg-fr", "nonlinear CG, Fletcher-Reeves, strong-Wolfe search", beta="fr"))
register_solver(_NCG.with_defaults(
    "ncg-pr", "nonlinear CG, Polak-Ribiere+, strong-Wolfe search", beta="pr+"))
