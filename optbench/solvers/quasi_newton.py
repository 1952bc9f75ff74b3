"""Quasi-Newton methods: BFGS (dense inverse-Hessian update) and L-BFGS (two-loop recursion),
both with a strong-Wolfe line search."""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from ..kernels import sumsq
from ..oracle import value_and_grad
from ..params import Param
from ..registry import Solver, register_solver
from ..status import GRAD_TOL, RUNNING
from ._loop import drive
from .line_search import accept
from .wolfe import wolfe_params, wolfe_prepare, wolfe_search

__all__ = ["bfgs", "lbfgs"]

SKIP_RATIO = 1e-10  # skip the update when s'y <= SKIP_RATIO ||s|| ||y||


@jit(inline=True)
def curvature_pair(x, x_new, g, g_new):
    """``(s'y, y'y, keep)`` for ``s = x_new - x``, ``y = g_new - g``: the pair is kept (the
    update made) only when ``s'y > SKIP_RATIO ||s|| ||y||``, i.e. the curvature is positive."""
    sy = 0.0
    ss = 0.0
    yy = 0.0
    for i in range(x.shape[0]):
        si = x_new[i] - x[i]
        yi = g_new[i] - g[i]
        sy += si * yi
        ss += si * si
        yy += yi * yi
    return sy, yy, sy > SKIP_RATIO * math.sqrt(ss * yy)


@jit
def first_alpha(gg):
    """The first trial step along ``-g`` with no curvature known yet: min(1, 1/||g||)."""
    return min(1.0, 1.0 / math.sqrt(gg))


# -- BFGS ---------------------------------------------------------------------------------------
@jit(inline=True)
def _bfgs_init(oracle, x, g, params):
    """H = I; work: H, d (then s), y, H y, x_new, g_new; state = [H updated yet (0/1)]."""
    n = x.shape[0]
    H = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            H[i, j] = 0.0
        H[i, i] = 1.0
    state = np.zeros(1)
    return (H, np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), state), \
        value_and_grad(oracle, x, g)


@jit(inline=True)
def _bfgs_step(oracle, x, g, fx, work, params, k, extras):
    """d = -H g; x <- x + alpha d (strong Wolfe); H <- (I - rho s y')H(I - rho y s') + rho s s'"""
    c1, c2 = params
    H, d, y, Hy, x_new, g_new, state = work
    n = x.shape[0]
    gg = sumsq(g)
    if gg == 0.0:  # stationary (reachable only with the gradient test off)
        return fx, 0.0, GRAD_TOL
    gd = 0.0
    for i in range(n):
        s = 0.0
        for j in range(n):
            s -= H[i, j] * g[j]
        d[i] = s
        gd += g[i] * s
    if not gd < 0.0:  # H lost positive definiteness to rounding: start again from H = I
        for i in range(n):
            for j in range(n):
                H[i, j] = 0.0
            H[i, i] = 1.0
            d[i] = -g[i]
        state[0] = 0.0
    alpha0 = 1.0 if state[0] > 0.0 else first_alpha(gg)
    alpha, f_new, reason = wolfe_search(oracle, x, fx, g, d, x_new, g_new, alpha0, c1, c2,
                                        extras, 0)
    if reason == RUNNING:
        sy, yy, keep = curvature_pair(x, x_new, g, g_new)
        if keep:
            for i in range(n):
                d[i] = x_new[i] - x[i]  # d becomes s
                y[i] = g_new[i] - g[i]
            if state[0] == 0.0:  # N&W (6.20): H_0 = (s'y / y'y) I before the first update
                gamma = sy / yy
                for i in range(n):
                    H[i, i] *= gamma
                state[0] = 1.0
            rho = 1.0 / sy
            yHy = 0.0
            for i in range(n):
                t = 0.0
                for j in range(n):
                    t += H[i, j] * y[j]
                Hy[i] = t
                yHy += y[i] * t
            a = rho * (1.0 + rho * yHy)
            for i in range(n):
                for j in range(n):  # symmetric by construction: both cross terms in one sum
                    H[i, j] += a * d[i] * d[j] - rho * (Hy[i] * d[j] + d[i] * Hy[j])
    return accept(x, g, x_new, g_new, fx, f_new, alpha, reason)


@jit
def bfgs(oracle, x0, c1, c2, control):
    """BFGS with a strong-Wolfe line search, updating the inverse Hessian approximation H.

    ``d_k = -H_k g_k``, ``x_{k+1} = x_k + alpha_k d_k`` (strong Wolfe, constants ``c1``, ``c2``),
    then with ``s = x_{k+1} - x_k``, ``y = g_{k+1} - g_k`` and ``rho = 1 / s'y``::

        H_{k+1} = (I - rho s y') H_k (I - rho y s') + rho s s'

    ``H_0 = I`` (first trial step min(1, 1/||g_0||)), rescaled to ``(s'y / y'y) I`` just
    before the first update; later trials start at ``alpha = 1``. The update is skipped when
    ``s'y <= 1e-10 ||s|| ||y||``; if rounding ever makes ``d`` an ascent direction, H is
    reset to I. Superlinear convergence near a minimizer with a positive definite Hessian.
    O(n^2) work and memory per iteration; the ``trials`` column counts the line search's
    evaluations of f and grad f.

    Compiled; callable from your own ``@njit`` code::

        x, history, reason, iterations = optbench.solvers.quasi_newton.bfgs(
            p.oracle, x0, 1e-4, 0.9, control)

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), Algorithm 6.1, (6.17), (6.20).
    """
    return drive(oracle, x0, (c1, c2), _bfgs_init, _bfgs_step, 1, control)


# -- L-BFGS -------------------------------------------------------------------------------------
@jit(inline=True)
def _lbfgs_init(oracle, x, g, params):
    """Circular buffers S, Y (memory x n), rho, coefficients; d, x_new, g_new;
    count = pairs stored, newest = index of the newest pair; gamma = s'y / y'y of it."""
    m = params[0]
    n = x.shape[0]
    counters = np.zeros(2, dtype=np.int64)
    counters[1] = m - 1  # the first pair goes to slot 0
    gamma = np.ones(1)
    return (np.empty((m, n)), np.empty((m, n)), np.empty(m), np.empty(m), np.empty(n),
            np.empty(n), np.empty(n), counters, gamma), value_and_grad(oracle, x, g)


@jit(inline=True)
def _lbfgs_step(oracle, x, g, fx, work, params, k, extras):
    """d = -H_k g by the two-loop recursion (H_k^0 = gamma I); x <- x + alpha d; store (s, y)"""
    m, c1, c2 = params
    S, Y, rho, coef, d, x_new, g_new, counters, gamma = work
    n = x.shape[0]
    count = counters[0]
    newest = counters[1]
    gg = sumsq(g)
    if gg == 0.0:  # stationary (reachable only with the gradient test off)
        return fx, 0.0, GRAD_TOL
    for i in range(n):
        d[i] = g[i]
    j = newest
    for _ in range(count):  # newest to oldest
        a = 0.0
        for i in range(n):
            a += S[j, i] * d[i]
        a *= rho[j]
        coef[j] = a
        for i in range(n):
            d[i] -= a * Y[j, i]
        j = j - 1 if j > 0 else m - 1
    scale = gamma[0] if count > 0 else 1.0
    for i in range(n):
        d[i] *= scale
    j = (newest - count + 1) % m
    for _ in range(count):  # oldest to newest
        b = 0.0
        for i in range(n):
            b += Y[j, i] * d[i]
        b = coef[j] - rho[j] * b
        for i in range(n):
            d[i] += b * S[j, i]
        j = j + 1 if j < m - 1 else 0
    gd = 0.0
    for i in range(n):
        d[i] = -d[i]
        gd += g[i] * d[i]
    if not gd < 0.0:  # rounding made d an ascent direction: forget the pairs, use -g
        for i in range(n):
            d[i] = -g[i]
        count = 0
        counters[0] = 0
    alpha0 = 1.0 if count > 0 else first_alpha(gg)
    alpha, f_new, reason = wolfe_search(oracle, x, fx, g, d, x_new, g_new, alpha0, c1, c2,
                                        extras, 0)
    if reason == RUNNING:
        sy, yy, keep = curvature_pair(x, x_new, g, g_new)
        if keep:  # overwrite the oldest pair
            slot = newest + 1 if newest < m - 1 else 0
            for i in range(n):
                S[slot, i] = x_new[i] - x[i]
                Y[slot, i] = g_new[i] - g[i]
            rho[slot] = 1.0 / sy
            gamma[0] = sy / yy
            counters[0] = min(count + 1, m)
            counters[1] = slot
    return accept(x, g, x_new, g_new, fx, f_new, alpha, reason)


@jit
def lbfgs(oracle, x0, memory, c1, c2, control):
    """Limited-memory BFGS with a strong-Wolfe line search.

    ``d_k = -H_k g_k`` where ``H_k`` is the BFGS inverse-Hessian approximation built from the
    last ``memory`` pairs ``s_i = x_{i+1} - x_i``, ``y_i = g_{i+1} - g_i`` applied to
    ``H_k^0 = gamma_k I``, ``gamma_k = s'y / y'y`` of the newest pair, by the two-loop
    recursion::

        q = g;  for i newest..oldest: a_i = rho_i s_i'q,  q -= a_i y_i
        r = gamma_k q;  for i oldest..newest: b = rho_i y_i'r,  r += (a_i - b) s_i
        d = -r

    then ``x_{k+1} = x_k + alpha_k d_k`` (strong Wolfe, constants ``c1``, ``c2``; trial 1, or
    min(1, 1/||g||) with no pair stored). Pairs with ``s'y <= 1e-10 ||s|| ||y||`` are not
    stored. O(memory n) work and memory per iteration; the ``trials`` column counts the line
    search's evaluations of f and grad f.

    Compiled; callable from your own ``@njit`` code::

        x, history, reason, iterations = optbench.solvers.quasi_newton.lbfgs(
            p.oracle, x0, 10, 1e-4, 0.9, control)

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), Algorithms 7.4 and 7.5;
    Liu & Nocedal, Mathematical Programming 45 (1989).
    """
    return drive(oracle, x0, (memory, c1, c2), _lbfgs_init, _lbfgs_step, 1, control)


_COLUMNS = ("trials",)
_BFGS_PARAMS = wolfe_params(c2=0.9)
register_solver(Solver(
    name="bfgs", entry=bfgs, family="quasi-newton", params=_BFGS_PARAMS,
    summary="BFGS (inverse-Hessian update) with a strong-Wolfe line search",
    formula="x_{k+1} = x_k - alpha_k H_k g_k, "
            "H_{k+1} = (I - rho s y')H_k(I - rho y s') + rho s s'",
    reference="Nocedal & Wright, Numerical Optimization (2006), Algorithm 6.1",
    columns=_COLUMNS, prepare=wolfe_prepare(bfgs, _BFGS_PARAMS, _COLUMNS),
))

_LBFGS_PARAMS = (Param("memory", 10, int, "number of (s, y) pairs kept", low=1),
                 *wolfe_params(c2=0.9))
register_solver(Solver(
    name="lbfgs", entry=lbfgs, family="quasi-newton", params=_LBFGS_PARAMS,
    summary="limited-memory BFGS (two-loop recursion) with a strong-Wolfe line search",
    formula="x_{k+1} = x_k - alpha_k H_k g_k, H_k from the last m pairs (s, y)",
    reference="Nocedal & Wright, Numerical Optimization (2006), Algorithm 7.5",
    columns=_COLUMNS, prepare=wolfe_prepare(lbfgs, _LBFGS_PARAMS, _COLUMNS),
))
