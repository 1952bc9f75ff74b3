"""What does each optbench solver cost per iteration, next to a hand-fused njit version of it?

The goal under test: every solver's cost per iteration is within 1.5x of a hand-fused
``@numba.njit`` implementation of the same method on the same problem. Measured side by side
in one process on two problems:

  quadratic       ``make_problem("quadratic", dim=2, cond=10)``: f = 1/2 x'Ax - b'x, so one
                  evaluation is a handful of flops and any per-iteration bookkeeping shows;
  least-squares   ``make_problem("least-squares", dim=500, samples=1000, cond=10)``:
                  f = 1/2 ||Ax - y||^2, one evaluation is one pass over A (1000 x 500).
  linear-regression  ``make_problem("linear-regression", samples=50)``: the same f with A
                  50 x 2, for the methods that need residuals (gauss-newton, lm), which
                  the quadratic lacks; there they evaluate r = Ax - y and J = A (a copy).

For each method, two versions run from the same x0 with the same parameters:

  optbench   the registry's compiled entry and arguments:
             ``plan = get_solver(name).plan(problem, coerce_all(params, overrides, name))``,
             called as ``plan.entry(problem.oracle, x0, *plan.args, control)`` with
             ``control = make_control(max_iter=K, tol=0.0, record_every=K)`` (a history row at
             each end only: recording and the clock are off the hot path);
  hand       one plain ``@numba.njit`` function per method (``hand_*`` below) doing the same
             arithmetic: the problem's f, gradient (and Hessian) written with loops over A
             (inlined at numba's IR level, one variant per problem picked at compile time),
             the same step rule, line search (the Armijo backtracking of line_search.py, the
             strong-Wolfe bracketing and zoom of wolfe.py, written out again inside each
             method that uses it: passed to even an inlined helper, arrays cost reference-count
             operations per iteration that numba does not prune), the same
             updates (BFGS, L-BFGS two-loop, CG recurrences, PR+ restarts), the same
             evaluations per step as the method's (f and the gradient where the method
             needs both; the gradient only for gd, gd-bb, gd-exact, heavy-ball, nesterov,
             newton; neither for cg, sgd, adam, whose table values optbench evaluates aside,
             untimed by its own clock but inside this wall-clock timing, at its two rows)
             and the same stopping test (||g||^2 finite, ||g||^2 <= tol^2, and f finite
             where f is evaluated) -- but no oracle tuple, kernels, work tuple,
             extras, history or clock. Where the arithmetic is provably the same it uses
             the obvious fusions (reuse ||g||^2 of the stopping test, swap x/x_new buffers
             instead of copying, g.d = -||g||^2 along d = -g), so results stay bit-identical.

Fairness check: both versions must run exactly K iterations (tol = 0; reason max_iter, or
converged when the K-th step lands on g = 0 exactly: Newton's single step on a quadratic) and
end at the same x (relative difference printed; expected 0, and at most 1e-10 -- 1e-6 for
Barzilai-Borwein, which is chaotic in rounding). K is chosen per method and problem below the
point where the method stops on its own (a gradient exactly 0, or a line search that fails
once f is at rounding level); the script checks the reason codes and flags any early stop.

Timing: a single call from Python costs ~0.1-0.2 ms of dispatch, more than a whole short run
on the 2-D problem, so the time is taken inside compiled code: an ``@numba.njit`` driver calls
the entry (or the hand version) R times from the same start, and ``time.perf_counter`` around
the driver call is divided by the R * K iterations; R is calibrated so that one measurement
lasts at least ``--min-time`` (0.2 s). Every function is compiled and run before timing. The
two versions are run interleaved (the order rotates) for ``--rounds`` rounds; the table shows
the minimum and the median ns per iteration, and the ratio optbench / hand of the minima and
the median of the per-round ratios. Per run, optbench also allocates its history (at most
1024 rows; 3 here), extras and work arrays and reads the clock a few times: the second table
measures that fixed cost per run (both versions called with max_iter = 0, i.e. the set-up and
the first evaluation only) and the cost per iteration without it ((t_K - t_0) / K), which
matters for the short runs (a few iterations) that the 2-D problem allows some methods.

Run from the repository root::

    python benchmarks/solver_overhead.py                          # everything, 5 rounds
    python benchmarks/solver_overhead.py --only gd,bfgs --problem quadratic --rounds 3

BLAS (numba's ``A.T @ A`` and ``np.linalg.solve``, used by the Newton methods and by the
Hessian set-up of cg and gd-exact on least squares) is limited to ``--blas-threads`` (1)
threads with threadpoolctl; every loop here is single-threaded otherwise. The thread
settings are printed. No timing is asserted: read the table.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field

import numba
import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (load numba's BLAS/LAPACK before limiting threads)
import scipy.linalg.cython_lapack  # noqa: F401
from numba.core import types
from numba.core.errors import NumbaIRAssumptionWarning
from numba.extending import overload

import optbench
from optbench.kernels import gram_lower
from optbench.params import coerce_all
from optbench.status import (
    GRAD_TOL,
    LINE_SEARCH,
    MAX_ITER,
    MODEL_NOT_FINITE,
    NEGATIVE_CURVATURE,
    NOT_DESCENT,
    NOT_FINITE,
    RADIUS_COLLAPSED,
    RANK_DEFICIENT,
    RUNNING,
    SIMPLEX_TOL,
    SINGULAR,
    status_of,
)

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # the "bench" extra is not installed: run with the default thread pools
    threadpool_info = threadpool_limits = None

# Inlining the problem overloads (loops inside) into the loops of the Wolfe search makes
# numba's internal "variable not in scope" pedantic check warn; the code is right (the final x
# of every hand version is compared with optbench's, bit for bit in practice).
warnings.filterwarnings("ignore", category=NumbaIRAssumptionWarning)

TOL = 0.0            # stop only on an exactly zero gradient: we want K iterations
WOLFE_MAX_EVALS = 30  # optbench.solvers.wolfe.DEFAULT_MAX_EVALS
SKIP_RATIO = 1e-10    # optbench.solvers.quasi_newton.SKIP_RATIO
LM_MU_FLOOR = sys.float_info.min  # optbench.solvers.least_squares._TINY

PROBLEMS = {
    "quadratic": dict(dim=2, cond=10),
    "least-squares": dict(dim=500, samples=1000, cond=10),
    "linear-regression": dict(samples=50),  # 2-D least squares: gauss-newton and lm only
}

# Iterations per run (K), below the point where the method stops on its own on that problem
# (measured: on the 2-D quadratic gd-bb reaches g = 0 exactly at iteration 5, newton and
# newton-ls at 1, cg at 23 (we keep CG to n = 2 steps), nesterov at 105, gd-exact at 108,
# heavy-ball at 788; the line searches fail at rounding level: gd-armijo at 164, ncg at 10,
# bfgs at 9, lbfgs at 12; on least squares newton-ls at 2 (Newton solves it in one step),
# ncg at 82, lbfgs at 96, bfgs at 118, gd-armijo at 1337; trust-ncg reaches g = 0 exactly
# at 4 and trust-exact at 2 on the quadratic, and on least squares their steps are at
# rounding level from 13 and 6 on, rejected until the radius collapses).
K = {
    "quadratic": {
        "gd": 100_000, "gd-armijo": 150, "gd-bb": 4, "gd-exact": 100, "gd-polyak": 100_000,
        "heavy-ball": 700, "nesterov": 100, "newton": 1, "newton-ls": 1, "cg": 2, "ncg": 8,
        "bfgs": 8, "lbfgs": 10, "trust-ncg": 4, "trust-exact": 2, "nelder-mead": 90,
    },
    "least-squares": {
        "gd": 400, "gd-armijo": 200, "gd-bb": 400, "gd-exact": 250, "gd-polyak": 400,
        "heavy-ball": 400, "nesterov": 200, "newton": 12, "newton-ls": 1, "cg": 250,
        "ncg": 60, "bfgs": 100, "lbfgs": 80, "sgd": 40, "adam": 40,
        "gauss-newton": 1, "lm": 4, "trust-ncg": 12, "trust-exact": 5, "nelder-mead": 200,
    },
    # gauss-newton solves it in one step (its line search then fails at rounding level), lm
    # takes rounding-level steps from iteration 5 (7 on least-squares) and stops at 6 (8)
    "linear-regression": {"gauss-newton": 1, "lm": 4},
}
METHODS = ("gd", "gd-armijo", "gd-bb", "gd-exact", "gd-polyak", "heavy-ball", "nesterov",
           "newton", "newton-ls", "cg", "ncg", "bfgs", "lbfgs", "sgd", "adam", "gauss-newton",
           "lm", "trust-ncg", "trust-exact", "nelder-mead")
# Solver parameters that differ from the registry's defaults.
OVERRIDES = {
    "gd": dict(step=0.1),  # a constant step (the default, auto, is 1/L: K was set for 0.1)
    "sgd": dict(batch_size=16, lr=0.05),  # mini-batches of 16 (62 of 16 and one of 8 per epoch)
    "adam": dict(batch_size=16, lr=0.01, amsgrad=True),  # as sgd's batches; AMSGrad's max too
    # no simplex test: K iterations (on the 2-D quadratic the first shrink, at rounding-level
    # ties of f, comes at iteration 96; the simplex collapses at 136)
    "nelder-mead": dict(xatol=0.0, fatol=0.0),
}
# Relative agreement required of the final x (the arithmetic is the same: expect 0).
X_RTOL = {"gd-bb": 1e-6}
X_RTOL_DEFAULT = 1e-10


# == the problems, hand-written =================================================================
# Data: quadratic (A, b, c); least squares (A, y, None). The overloads below pick the loops at
# compile time (c None or not) and are inlined at numba's IR level (inline="always"): the same
# machine code as writing the loops inside each method. Same formulas, in the same order, as
# problems/quadratic.py and problems/least_squares.py (so f and g are bit-identical).

def p_fg(A, b, c, x, g):
    """f(x); g <- grad f(x)."""
    raise NotImplementedError("compiled only")


def p_f(A, b, c, x):
    """f(x)."""
    raise NotImplementedError("compiled only")


def p_grad(A, b, c, x, g):
    """g <- grad f(x)."""
    raise NotImplementedError("compiled only")


def p_hess(A, b, c, x, H):
    """The Hessian: written into H (quadratic) or returned new (least squares, A'A by BLAS)."""
    raise NotImplementedError("compiled only")


@overload(p_fg, inline="always")
def _p_fg(A, b, c, x, g):
    if isinstance(c, types.NoneType):
        def impl(A, b, c, x, g):
            m, n = A.shape
            for j in range(n):
                g[j] = 0.0
            s = 0.0
            for i in range(m):
                r = -b[i]
                for j in range(n):
                    r += A[i, j] * x[j]
                s += r * r
                for j in range(n):
                    g[j] += r * A[i, j]
            return 0.5 * s
    else:
        def impl(A, b, c, x, g):
            n = x.shape[0]
            s = c
            for i in range(n):
                ax = 0.0
                for j in range(n):
                    ax += A[i, j] * x[j]
                g[i] = ax - b[i]
                s += x[i] * (0.5 * ax - b[i])
            return s
    return impl


@overload(p_f, inline="always")
def _p_f(A, b, c, x):
    if isinstance(c, types.NoneType):
        def impl(A, b, c, x):
            m, n = A.shape
            s = 0.0
            for i in range(m):
                r = -b[i]
                for j in range(n):
                    r += A[i, j] * x[j]
                s += r * r
            return 0.5 * s
    else:
        def impl(A, b, c, x):
            n = x.shape[0]
            s = c
            for i in range(n):
                ax = 0.0
                for j in range(n):
                    ax += A[i, j] * x[j]
                s += x[i] * (0.5 * ax - b[i])
            return s
    return impl


@overload(p_grad, inline="always")
def _p_grad(A, b, c, x, g):
    if isinstance(c, types.NoneType):
        def impl(A, b, c, x, g):
            m, n = A.shape
            for j in range(n):
                g[j] = 0.0
            for i in range(m):
                r = -b[i]
                for j in range(n):
                    r += A[i, j] * x[j]
                for j in range(n):
                    g[j] += r * A[i, j]
    else:
        def impl(A, b, c, x, g):
            n = x.shape[0]
            for i in range(n):
                ax = 0.0
                for j in range(n):
                    ax += A[i, j] * x[j]
                g[i] = ax - b[i]
    return impl


@overload(p_hess, inline="always")
def _p_hess(A, b, c, x, H):
    if isinstance(c, types.NoneType):
        def impl(A, b, c, x, H):
            return A.T @ A
    else:
        def impl(A, b, c, x, H):
            n = A.shape[0]
            for i in range(n):
                for j in range(n):
                    H[i, j] = A[i, j]
            return H
    return impl


@numba.njit(inline="always")
def _sumsq(v):
    s = 0.0
    for i in range(v.shape[0]):
        s += v[i] * v[i]
    return s


@numba.njit(inline="always")
def _dot(u, v):
    s = 0.0
    for i in range(u.shape[0]):
        s += u[i] * v[i]
    return s


@numba.njit(inline="always")
def _test(fx, gsq, tol2):
    """The stopping test after every iteration: diverged, or ||g||^2 <= tol^2."""
    if not (np.isfinite(fx) and np.isfinite(gsq)):
        return NOT_FINITE
    if gsq <= tol2:
        return GRAD_TOL
    return RUNNING


# == hand-fused methods =========================================================================
# Each: (A, b, c, x0, *method parameters, tol, max_iter) -> (x, reason, iterations), with the
# reason codes of optbench.status.

@numba.njit
def hand_gd(A, b, c, x0, t, tol, max_iter):
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        for i in range(n):
            x[i] -= t * g[i]
        p_grad(A, b, c, x, g)  # no f: the method needs none (optbench: f aside, at rows)
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_gd_armijo(A, b, c, x0, t0, c1, shrink, max_trials, tol, max_iter):
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    x_new = np.empty(n)
    g_new = np.empty(n)
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        slope = -gsq  # g.d along d = -g: the same sum, negated (exact)
        if not slope < 0.0:
            reason = LINE_SEARCH
            break
        t = t0
        ok = False
        f_new = fx
        for _ in range(max_trials):
            for i in range(n):
                x_new[i] = x[i] - t * g[i]
            f_new = p_f(A, b, c, x_new)
            if f_new - fx <= c1 * t * slope:
                ok = True
                break
            t *= shrink
        if not ok:
            reason = LINE_SEARCH
            break
        p_grad(A, b, c, x_new, g_new)
        x, x_new = x_new, x
        g, g_new = g_new, g
        fx = f_new
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_gd_bb(A, b, c, x0, variant, t0, t_min, t_max, tol, max_iter):
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    x_prev = np.empty(n)
    g_prev = np.empty(n)
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    t_prev = 0.0
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        if k == 0:
            t = t0
        else:
            ss = 0.0
            sy = 0.0
            yy = 0.0
            for i in range(n):
                si = x[i] - x_prev[i]
                yi = g[i] - g_prev[i]
                ss += si * si
                sy += si * yi
                yy += yi * yi
            if not sy > 0.0:
                t = t_prev
            elif variant == 1:
                t = ss / sy
            else:
                t = sy / yy
            t = min(max(t, t_min), t_max)
        t_prev = t
        for i in range(n):
            x_prev[i] = x[i]
            x[i] -= t * g[i]
        g, g_prev = g_prev, g
        p_grad(A, b, c, x, g)  # no f: the method needs none (optbench: f aside, at rows)
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_gd_exact(A, b, c, x0, tol, max_iter):
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    H = p_hess(A, b, c, x, np.empty((n, n)))
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        gHg = 0.0
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += H[i, j] * g[j]
            gHg += g[i] * s
        if not gHg > 0.0:
            reason = NOT_DESCENT
            break
        t = gsq / gHg
        for i in range(n):
            x[i] -= t * g[i]
        p_grad(A, b, c, x, g)  # no f: the method needs none (optbench: f aside, at rows)
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_gd_polyak(A, b, c, x0, f_star, tol, max_iter):
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        t = (fx - f_star) / gsq if gsq > 0.0 else 0.0
        for i in range(n):
            x[i] -= t * g[i]
        fx = p_fg(A, b, c, x, g)
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_heavy_ball(A, b, c, x0, t, beta, tol, max_iter):
    n = x0.shape[0]
    x = x0.copy()
    x_prev = x0.copy()
    g = np.empty(n)
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        for i in range(n):
            xi = x[i]
            x[i] = xi - t * g[i] + beta * (xi - x_prev[i])
            x_prev[i] = xi
        p_grad(A, b, c, x, g)  # no f: the method needs none (optbench: f aside, at rows)
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_nesterov(A, b, c, x0, t, beta, tol, max_iter):
    """Constant momentum beta (the strongly convex variant), on y_k: one gradient per
    iteration, at y; returns y (as optbench does)."""
    n = x0.shape[0]
    y = x0.copy()
    x_k = x0.copy()
    g = np.empty(n)
    fx = p_fg(A, b, c, y, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        for i in range(n):
            xi = y[i] - t * g[i]
            y[i] = xi + beta * (xi - x_k[i])
            x_k[i] = xi
        p_grad(A, b, c, y, g)
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return y, reason, k


@numba.njit(inline="always")
def _newton_dir(H, g, d, sign):
    """d <- sign * H^{-1} g; False if H is singular (LinAlgError or a non-finite solution)."""
    try:
        sol = np.linalg.solve(H, g)
    except Exception:
        return False
    for i in range(d.shape[0]):
        if not np.isfinite(sol[i]):
            return False
        d[i] = sign * sol[i]
    return True


@numba.njit
def hand_newton(A, b, c, x0, alpha, tol, max_iter):
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    d = np.empty(n)
    Hbuf = np.empty((n, n))
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        H = p_hess(A, b, c, x, Hbuf)
        if not _newton_dir(H, g, d, 1.0):
            reason = SINGULAR
            break
        for i in range(n):
            x[i] -= alpha * d[i]
        p_grad(A, b, c, x, g)  # no f: the method needs none (optbench: f aside, at rows)
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_newton_ls(A, b, c, x0, c1, shrink, max_trials, tol, max_iter):
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    d = np.empty(n)
    x_new = np.empty(n)
    g_new = np.empty(n)
    Hbuf = np.empty((n, n))
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        H = p_hess(A, b, c, x, Hbuf)
        if not _newton_dir(H, g, d, -1.0):
            reason = SINGULAR
            break
        slope = _dot(g, d)
        if not slope < 0.0:
            reason = NOT_DESCENT
            break
        t = 1.0
        ok = False
        f_new = fx
        for _ in range(max_trials):
            for i in range(n):
                x_new[i] = x[i] + t * d[i]
            f_new = p_f(A, b, c, x_new)
            if f_new - fx <= c1 * t * slope:
                ok = True
                break
            t *= shrink
        if not ok:
            reason = LINE_SEARCH
            break
        p_grad(A, b, c, x_new, g_new)
        x, x_new = x_new, x
        g, g_new = g_new, g
        fx = f_new
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_cg(A, b, c, x0, tol, max_iter):
    """Linear CG on the Hessian Q (read once): one product Q p per step, no f or gradient."""
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    Q = p_hess(A, b, c, x, np.empty((n, n)))
    fx = p_fg(A, b, c, x, g)
    r = np.empty(n)
    p = np.empty(n)
    Qp = np.empty(n)
    for i in range(n):
        r[i] = -g[i]
        p[i] = -g[i]
    rr = _sumsq(r)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        pQp = 0.0
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += Q[i, j] * p[j]
            Qp[i] = s
            pQp += p[i] * s
        if not pQp > 0.0:
            if rr == 0.0:
                k += 1
                reason = GRAD_TOL
            else:
                reason = NEGATIVE_CURVATURE
            break
        alpha = rr / pQp
        rr_new = 0.0
        for i in range(n):
            x[i] += alpha * p[i]
            r[i] -= alpha * Qp[i]
            rr_new += r[i] * r[i]
        beta = rr_new / rr
        for i in range(n):
            p[i] = r[i] + beta * p[i]
        rr = rr_new
        k += 1  # no f or gradient: optbench's are aside, at rows (tol = 0 tests there)
    return x, reason, k


# -- the strong-Wolfe search (Nocedal & Wright 3.5/3.6, as in optbench/solvers/wolfe.py): its
# interpolation formulas here; the search itself is written out in hand_ncg, hand_bfgs and
# hand_lbfgs (passed to even an IR-inlined helper, the six arrays cost six reference-count
# increments and decrements per iteration that numba does not prune)
@numba.njit(inline="always")
def _cubic_min(a, fa, da, b, fb, db):
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    rad = d1 * d1 - da * db
    if not rad >= 0.0:
        return math.nan
    d2 = math.copysign(math.sqrt(rad), b - a)
    den = db - da + 2.0 * d2
    if den == 0.0:
        return math.nan
    return b - (b - a) * (db + d2 - d1) / den


@numba.njit(inline="always")
def _quadratic_min(a, fa, da, b, fb):
    h = b - a
    curv = fb - fa - da * h
    if not curv > 0.0:
        return math.nan
    return a - da * h * h / (2.0 * curv)


@numba.njit(inline="always")
def _zoom_trial(lo, f_lo, d_lo, hi, f_hi, d_hi):
    left = min(lo, hi)
    width = abs(hi - lo)
    a = _cubic_min(lo, f_lo, d_lo, hi, f_hi, d_hi)
    if a >= left + 0.2 * width and a <= left + 0.8 * width:
        return a
    a = _quadratic_min(lo, f_lo, d_lo, hi, f_hi)
    if a >= left + 0.1 * width and a <= left + 0.9 * width:
        return a
    return 0.5 * (lo + hi)


@numba.njit
def hand_ncg(A, b, c, x0, c1, c2, tol, max_iter):
    """Nonlinear CG, Polak-Ribiere+, restart every n steps and along -g if not descent."""
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    x_new = np.empty(n)
    g_new = np.empty(n)
    d = np.empty(n)
    fx = p_fg(A, b, c, x, g)
    for i in range(n):
        d[i] = -g[i]
    step_prev = math.nan  # alpha_{k-1}
    gd_prev = math.nan
    since = 0.0
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        gg = gsq
        if gg == 0.0:
            k += 1
            reason = GRAD_TOL
            break
        gd = _dot(g, d)
        if not gd < 0.0:
            for i in range(n):
                d[i] = -g[i]
            gd = -gg
            since = 0.0
        if math.isfinite(step_prev):
            alpha0 = step_prev * gd_prev / gd
        else:
            alpha0 = 1.0 / math.sqrt(gg)
        # -- the strong-Wolfe search along d, as optbench/solvers/wolfe.py, written out
        dphi0 = gd
        a = alpha0
        alpha = 0.0
        f_out = fx
        ok = False
        if dphi0 < 0.0:
            decrease = c1 * dphi0
            flat = -c2 * dphi0
            if not (a > 0.0 and math.isfinite(a)):
                a = 1.0
            n = x.shape[0]
            evals = 0
            a_prev, f_prev, d_prev = 0.0, fx, dphi0
            lo = f_lo = d_lo = hi = f_hi = d_hi = 0.0
            bracketed = False
            while evals < WOLFE_MAX_EVALS:
                for i in range(n):
                    x_new[i] = x[i] + a * d[i]
                f = p_fg(A, b, c, x_new, g_new)
                dphi = _dot(g_new, d)
                evals += 1
                if not (f - fx <= a * decrease and math.isfinite(dphi)) or (evals > 1
                                                                           and f >= f_prev):
                    lo, f_lo, d_lo, hi, f_hi, d_hi = a_prev, f_prev, d_prev, a, f, dphi
                    bracketed = True
                    break
                if abs(dphi) <= flat:
                    alpha, f_out, ok = a, f, True
                    break
                if dphi >= 0.0:
                    lo, f_lo, d_lo, hi, f_hi, d_hi = a, f, dphi, a_prev, f_prev, d_prev
                    bracketed = True
                    break
                nxt = _cubic_min(a_prev, f_prev, d_prev, a, f, dphi)
                if not (nxt >= 2.0 * a):
                    nxt = 2.0 * a
                elif nxt > 10.0 * a:
                    nxt = 10.0 * a
                a_prev, f_prev, d_prev = a, f, dphi
                a = nxt
            if bracketed:  # zoom
                while evals < WOLFE_MAX_EVALS:
                    if abs(hi - lo) <= 1e-16 * max(abs(lo), abs(hi)):
                        break
                    if math.isfinite(f_hi) and math.isfinite(d_hi):
                        a = _zoom_trial(lo, f_lo, d_lo, hi, f_hi, d_hi)
                    else:
                        a = 0.5 * (lo + hi)
                    for i in range(n):
                        x_new[i] = x[i] + a * d[i]
                    f = p_fg(A, b, c, x_new, g_new)
                    dphi = _dot(g_new, d)
                    evals += 1
                    if not (f - fx <= a * decrease and math.isfinite(dphi)) or f >= f_lo:
                        hi, f_hi, d_hi = a, f, dphi
                    else:
                        if abs(dphi) <= flat:
                            alpha, f_out, ok = a, f, True
                            break
                        if dphi * (hi - lo) >= 0.0:
                            hi, f_hi, d_hi = lo, f_lo, d_lo
                        lo, f_lo, d_lo = a, f, dphi
        if not ok:
            reason = LINE_SEARCH
            break
        f_new = f_out
        step_prev = alpha
        gd_prev = gd
        since += 1.0
        if since >= n:
            beta = 0.0
            since = 0.0
        else:
            num = 0.0
            for i in range(n):
                num += g_new[i] * (g_new[i] - g[i])
            beta = max(0.0, num / gg)
        for i in range(n):
            d[i] = -g_new[i] + beta * d[i]
        x, x_new = x_new, x
        g, g_new = g_new, g
        fx = f_new
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_bfgs(A, b, c, x0, c1, c2, tol, max_iter):
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    x_new = np.empty(n)
    g_new = np.empty(n)
    d = np.empty(n)
    y = np.empty(n)
    Hy = np.empty(n)
    H = np.zeros((n, n))
    for i in range(n):
        H[i, i] = 1.0
    updated = False
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        gg = gsq
        if gg == 0.0:
            k += 1
            reason = GRAD_TOL
            break
        gd = 0.0
        for i in range(n):
            s = 0.0
            for j in range(n):
                s -= H[i, j] * g[j]
            d[i] = s
            gd += g[i] * s
        if not gd < 0.0:  # H lost positive definiteness to rounding: H = I
            for i in range(n):
                for j in range(n):
                    H[i, j] = 0.0
                H[i, i] = 1.0
                d[i] = -g[i]
            gd = -gg
            updated = False
        alpha0 = 1.0 if updated else min(1.0, 1.0 / math.sqrt(gg))
        # -- the strong-Wolfe search along d, as optbench/solvers/wolfe.py, written out
        dphi0 = gd
        a = alpha0
        f_out = fx
        ok = False
        if dphi0 < 0.0:
            decrease = c1 * dphi0
            flat = -c2 * dphi0
            if not (a > 0.0 and math.isfinite(a)):
                a = 1.0
            n = x.shape[0]
            evals = 0
            a_prev, f_prev, d_prev = 0.0, fx, dphi0
            lo = f_lo = d_lo = hi = f_hi = d_hi = 0.0
            bracketed = False
            while evals < WOLFE_MAX_EVALS:
                for i in range(n):
                    x_new[i] = x[i] + a * d[i]
                f = p_fg(A, b, c, x_new, g_new)
                dphi = _dot(g_new, d)
                evals += 1
                if not (f - fx <= a * decrease and math.isfinite(dphi)) or (evals > 1
                                                                           and f >= f_prev):
                    lo, f_lo, d_lo, hi, f_hi, d_hi = a_prev, f_prev, d_prev, a, f, dphi
                    bracketed = True
                    break
                if abs(dphi) <= flat:
                    f_out, ok = f, True
                    break
                if dphi >= 0.0:
                    lo, f_lo, d_lo, hi, f_hi, d_hi = a, f, dphi, a_prev, f_prev, d_prev
                    bracketed = True
                    break
                nxt = _cubic_min(a_prev, f_prev, d_prev, a, f, dphi)
                if not (nxt >= 2.0 * a):
                    nxt = 2.0 * a
                elif nxt > 10.0 * a:
                    nxt = 10.0 * a
                a_prev, f_prev, d_prev = a, f, dphi
                a = nxt
            if bracketed:  # zoom
                while evals < WOLFE_MAX_EVALS:
                    if abs(hi - lo) <= 1e-16 * max(abs(lo), abs(hi)):
                        break
                    if math.isfinite(f_hi) and math.isfinite(d_hi):
                        a = _zoom_trial(lo, f_lo, d_lo, hi, f_hi, d_hi)
                    else:
                        a = 0.5 * (lo + hi)
                    for i in range(n):
                        x_new[i] = x[i] + a * d[i]
                    f = p_fg(A, b, c, x_new, g_new)
                    dphi = _dot(g_new, d)
                    evals += 1
                    if not (f - fx <= a * decrease and math.isfinite(dphi)) or f >= f_lo:
                        hi, f_hi, d_hi = a, f, dphi
                    else:
                        if abs(dphi) <= flat:
                            f_out, ok = f, True
                            break
                        if dphi * (hi - lo) >= 0.0:
                            hi, f_hi, d_hi = lo, f_lo, d_lo
                        lo, f_lo, d_lo = a, f, dphi
        if not ok:
            reason = LINE_SEARCH
            break
        f_new = f_out
        sy = 0.0
        ss = 0.0
        yy = 0.0
        for i in range(n):
            d[i] = x_new[i] - x[i]  # d becomes s
            y[i] = g_new[i] - g[i]
            sy += d[i] * y[i]
            ss += d[i] * d[i]
            yy += y[i] * y[i]
        if sy > SKIP_RATIO * math.sqrt(ss * yy):
            if not updated:
                gamma = sy / yy
                for i in range(n):
                    H[i, i] *= gamma
                updated = True
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
                for j in range(n):
                    H[i, j] += a * d[i] * d[j] - rho * (Hy[i] * d[j] + d[i] * Hy[j])
        x, x_new = x_new, x
        g, g_new = g_new, g
        fx = f_new
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_lbfgs(A, b, c, x0, m, c1, c2, tol, max_iter):
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    x_new = np.empty(n)
    g_new = np.empty(n)
    d = np.empty(n)
    S = np.empty((m, n))
    Y = np.empty((m, n))
    rho = np.empty(m)
    coef = np.empty(m)
    count = 0
    newest = m - 1
    gamma = 1.0
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        gg = gsq
        if gg == 0.0:
            k += 1
            reason = GRAD_TOL
            break
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
        scale = gamma if count > 0 else 1.0
        for i in range(n):
            d[i] *= scale
        j = (newest - count + 1) % m
        for _ in range(count):  # oldest to newest
            bj = 0.0
            for i in range(n):
                bj += Y[j, i] * d[i]
            bj = coef[j] - rho[j] * bj
            for i in range(n):
                d[i] += bj * S[j, i]
            j = j + 1 if j < m - 1 else 0
        gd = 0.0
        for i in range(n):
            d[i] = -d[i]
            gd += g[i] * d[i]
        if not gd < 0.0:
            for i in range(n):
                d[i] = -g[i]
            gd = -gg
            count = 0
        alpha0 = 1.0 if count > 0 else min(1.0, 1.0 / math.sqrt(gg))
        # -- the strong-Wolfe search along d, as optbench/solvers/wolfe.py, written out
        dphi0 = gd
        a = alpha0
        f_out = fx
        ok = False
        if dphi0 < 0.0:
            decrease = c1 * dphi0
            flat = -c2 * dphi0
            if not (a > 0.0 and math.isfinite(a)):
                a = 1.0
            n = x.shape[0]
            evals = 0
            a_prev, f_prev, d_prev = 0.0, fx, dphi0
            lo = f_lo = d_lo = hi = f_hi = d_hi = 0.0
            bracketed = False
            while evals < WOLFE_MAX_EVALS:
                for i in range(n):
                    x_new[i] = x[i] + a * d[i]
                f = p_fg(A, b, c, x_new, g_new)
                dphi = _dot(g_new, d)
                evals += 1
                if not (f - fx <= a * decrease and math.isfinite(dphi)) or (evals > 1
                                                                           and f >= f_prev):
                    lo, f_lo, d_lo, hi, f_hi, d_hi = a_prev, f_prev, d_prev, a, f, dphi
                    bracketed = True
                    break
                if abs(dphi) <= flat:
                    f_out, ok = f, True
                    break
                if dphi >= 0.0:
                    lo, f_lo, d_lo, hi, f_hi, d_hi = a, f, dphi, a_prev, f_prev, d_prev
                    bracketed = True
                    break
                nxt = _cubic_min(a_prev, f_prev, d_prev, a, f, dphi)
                if not (nxt >= 2.0 * a):
                    nxt = 2.0 * a
                elif nxt > 10.0 * a:
                    nxt = 10.0 * a
                a_prev, f_prev, d_prev = a, f, dphi
                a = nxt
            if bracketed:  # zoom
                while evals < WOLFE_MAX_EVALS:
                    if abs(hi - lo) <= 1e-16 * max(abs(lo), abs(hi)):
                        break
                    if math.isfinite(f_hi) and math.isfinite(d_hi):
                        a = _zoom_trial(lo, f_lo, d_lo, hi, f_hi, d_hi)
                    else:
                        a = 0.5 * (lo + hi)
                    for i in range(n):
                        x_new[i] = x[i] + a * d[i]
                    f = p_fg(A, b, c, x_new, g_new)
                    dphi = _dot(g_new, d)
                    evals += 1
                    if not (f - fx <= a * decrease and math.isfinite(dphi)) or f >= f_lo:
                        hi, f_hi, d_hi = a, f, dphi
                    else:
                        if abs(dphi) <= flat:
                            f_out, ok = f, True
                            break
                        if dphi * (hi - lo) >= 0.0:
                            hi, f_hi, d_hi = lo, f_lo, d_lo
                        lo, f_lo, d_lo = a, f, dphi
        if not ok:
            reason = LINE_SEARCH
            break
        f_new = f_out
        sy = 0.0
        ss = 0.0
        yy = 0.0
        for i in range(n):
            si = x_new[i] - x[i]
            yi = g_new[i] - g[i]
            sy += si * yi
            ss += si * si
            yy += yi * yi
        if sy > SKIP_RATIO * math.sqrt(ss * yy):  # keep the pair, overwriting the oldest
            slot = newest + 1 if newest < m - 1 else 0
            for i in range(n):
                S[slot, i] = x_new[i] - x[i]
                Y[slot, i] = g_new[i] - g[i]
            rho[slot] = 1.0 / sy
            gamma = sy / yy
            count = min(count + 1, m)
            newest = slot
        x, x_new = x_new, x
        g, g_new = g_new, g
        fx = f_new
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_sgd(A, b, c, x0, samples, batch_size, lr, power, beta, seed, tol, max_iter):
    """Mini-batch SGD with momentum on least squares (f_i = m/2 (a_i.x - y_i)^2), one epoch
    per iteration; no full f or gradient (optbench evaluates those aside, at its rows)."""
    np.random.seed(seed)
    m, n = A.shape
    x = x0.copy()
    g = np.empty(n)
    gb = np.empty(n)
    v = np.zeros(n)
    order = np.arange(samples)
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        eta = lr / math.pow(k + 1.0, power)
        np.random.shuffle(order)
        pos = 0
        while pos < samples:
            nb = min(batch_size, samples - pos)
            for j in range(n):
                gb[j] = 0.0
            for q in range(pos, pos + nb):
                i = order[q]
                r = -b[i]
                for j in range(n):
                    r += A[i, j] * x[j]
                for j in range(n):
                    gb[j] += r * A[i, j]
            scale = m / nb
            for j in range(n):
                gb[j] *= scale
            for j in range(n):
                v[j] = beta * v[j] + gb[j]
                x[j] -= eta * v[j]
            pos += nb
        k += 1  # no f or gradient: optbench's are aside, at rows (tol = 0 tests there)
    return x, reason, k


@numba.njit
def hand_adam(A, b, c, x0, samples, batch_size, lr, power, beta1, beta2, eps, weight_decay,
              amsgrad, seed, tol, max_iter):
    """Adam (AMSGrad, decoupled weight decay) on least squares, mini-batches as hand_sgd; the
    full f and gradient only at the start (optbench's: aside, at its rows)."""
    np.random.seed(seed)
    m, n = A.shape
    x = x0.copy()
    g = np.empty(n)
    gb = np.empty(n)
    m1 = np.zeros(n)
    v = np.zeros(n)
    v_max = np.zeros(n)
    order = np.arange(samples)
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    t = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        eta = lr / math.pow(k + 1.0, power)
        shrink = weight_decay / math.pow(k + 1.0, power)
        np.random.shuffle(order)
        pos = 0
        while pos < samples:
            nb = min(batch_size, samples - pos)
            for j in range(n):
                gb[j] = 0.0
            for q in range(pos, pos + nb):
                i = order[q]
                r = -b[i]
                for j in range(n):
                    r += A[i, j] * x[j]
                for j in range(n):
                    gb[j] += r * A[i, j]
            scale = m / nb
            for j in range(n):
                gb[j] *= scale
            t += 1
            bias1 = 1.0 - math.pow(beta1, t)
            bias2 = 1.0 - math.pow(beta2, t)
            for j in range(n):
                m1[j] = beta1 * m1[j] + (1.0 - beta1) * gb[j]
                v[j] = beta2 * v[j] + (1.0 - beta2) * (gb[j] * gb[j])
                second = v[j]
                if amsgrad:
                    second = max(v_max[j], second)
                    v_max[j] = second
                x[j] -= eta * (m1[j] / bias1) / (math.sqrt(second / bias2) + eps) + \
                    shrink * x[j]
            pos += nb
        k += 1  # no f or gradient: optbench's are aside, at rows (tol = 0 tests there)
    return x, reason, k


# -- Gauss-Newton and Levenberg-Marquardt on least squares: r = Ax - b, J = A (copied at each
# Jacobian evaluation, as problems/least_squares.py's ls_jacobian), f = 1/2 ||r||^2 -----------
@numba.njit(inline="always")
def _residuals(A, b, x, r):
    """r <- Ax - b (ls_residuals)."""
    m, n = A.shape
    for i in range(m):
        s = -b[i]
        for j in range(n):
            s += A[i, j] * x[j]
        r[i] = s


@numba.njit(inline="always")
def _jacobian_gradient(A, r, J, g):
    """J <- A (the Jacobian evaluation); g <- J'r (2c J'r with c = 1/2)."""
    m, n = A.shape
    for i in range(m):
        for j in range(n):
            J[i, j] = A[i, j]
    for j in range(n):
        g[j] = 0.0
    for i in range(m):
        ri = r[i]
        for j in range(n):
            g[j] += J[i, j] * ri


@numba.njit(inline="always")
def _gram(J, H):
    """Lower triangle of H = J'J: BLAS dsyrk from 24 columns on, loops below."""
    m, n = J.shape
    if n >= 24:
        gram_lower(J, 1.0, 0.0, H)
        return
    for a in range(n):
        for j in range(a + 1):
            H[a, j] = 0.0
    for i in range(m):
        for a in range(n):
            ja = J[i, a]
            for j in range(a + 1):
                H[a, j] += ja * J[i, j]


@numba.njit(inline="always")
def _cholesky(H, lam, C):
    """C C' = H + lam I from H's lower triangle (LAPACK from order 24, loops below); False
    when not positive definite."""
    n = H.shape[0]
    if n >= 24:
        for i in range(n):
            for j in range(i + 1):
                C[i, j] = H[i, j]
            C[i, i] += lam
        try:
            L = np.linalg.cholesky(C)
        except Exception:
            return False
        for i in range(n):
            if not (L[i, i] > 0.0 and L[i, i] < math.inf):
                return False
            for j in range(n):
                C[i, j] = L[i, j]
        return True
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


@numba.njit(inline="always")
def _cholesky_solve_neg(C, g, d):
    """d <- -(C C')^{-1} g."""
    n = C.shape[0]
    for i in range(n):
        s = g[i]
        for k in range(i):
            s -= C[i, k] * d[k]
        d[i] = s / C[i, i]
    for i in range(n - 1, -1, -1):
        d[i] /= C[i, i]
        for k in range(i):
            d[k] -= C[i, k] * d[i]
    for i in range(n):
        d[i] = -d[i]


@numba.njit
def hand_gauss_newton(A, b, c, x0, c1, shrink, max_trials, tol, max_iter):
    m, n = A.shape
    x = x0.copy()
    x_new = np.empty(n)
    g = np.empty(n)
    d = np.empty(n)
    r = np.empty(m)
    r_new = np.empty(m)
    J = np.empty((m, n))
    H = np.empty((n, n))
    C = np.empty((n, n))
    _residuals(A, b, x, r)
    fx = 0.5 * _sumsq(r)
    _jacobian_gradient(A, r, J, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        _gram(J, H)
        if not _cholesky(H, 0.0, C):
            reason = RANK_DEFICIENT
            break
        _cholesky_solve_neg(C, g, d)
        slope = _dot(g, d)
        if not slope < 0.0:
            reason = NOT_DESCENT
            break
        t = 1.0
        ok = False
        f_new = fx
        for _ in range(max_trials):
            for i in range(n):
                x_new[i] = x[i] + t * d[i]
            _residuals(A, b, x_new, r_new)
            f_new = 0.5 * _sumsq(r_new)
            if f_new - fx <= c1 * t * slope:
                ok = True
                break
            t *= shrink
        if not ok:
            reason = LINE_SEARCH
            break
        x, x_new = x_new, x
        r, r_new = r_new, r
        _jacobian_gradient(A, r, J, g)
        fx = f_new
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit
def hand_lm(A, b, c, x0, mu0, eta, max_trials, tol, max_iter):
    m, n = A.shape
    x = x0.copy()
    x_new = np.empty(n)
    g = np.empty(n)
    q = np.empty(n)
    gs = np.empty(n)
    D = np.zeros(n)
    r = np.empty(m)
    r_new = np.empty(m)
    J = np.empty((m, n))
    S = np.empty((n, n))
    C = np.empty((n, n))
    _residuals(A, b, x, r)
    fx = 0.5 * _sumsq(r)
    _jacobian_gradient(A, r, J, g)
    mu, nu = mu0, 2.0
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        _gram(J, S)
        for j in range(n):
            D[j] = max(D[j], math.sqrt(S[j, j]))
            if D[j] == 0.0:
                D[j] = 1.0
        for a in range(n):
            for j in range(a + 1):
                S[a, j] /= D[a] * D[j]
            gs[a] = g[a] / D[a]
        ok = False
        f_new = fx
        for _ in range(max_trials):
            if _cholesky(S, mu, C):
                _cholesky_solve_neg(C, gs, q)
                predicted = 0.5 * (mu * _sumsq(q) - _dot(q, gs))
                for j in range(n):
                    x_new[j] = x[j] + q[j] / D[j]
                _residuals(A, b, x_new, r_new)
                f_new = 0.5 * _sumsq(r_new)
                rho = (fx - f_new) / predicted if predicted > 0.0 else -math.inf
                if rho > eta:
                    t = 2.0 * rho - 1.0
                    mu = max(mu * max(1.0 / 3.0, 1.0 - t * t * t), LM_MU_FLOOR)
                    nu = 2.0
                    ok = True
                    break
            mu *= nu
            nu *= 2.0
            if not mu < math.inf:
                break
        if not ok:
            reason = LINE_SEARCH
            break
        x, x_new = x_new, x
        r, r_new = r_new, r
        _jacobian_gradient(A, r, J, g)
        fx = f_new
        gsq = _sumsq(g)
        k += 1
        reason = _test(fx, gsq, tol2)
    return x, reason, k


# -- trust-region Newton (optbench/solvers/trust_region.py), Steihaug CG and Moré-Sorensen -------
_EPS = sys.float_info.epsilon


@numba.njit(inline="always")
def _tr_roots(z, d, delta):
    """(tau_lo, tau_hi) with ||z + tau d|| = delta."""
    dd = 0.0
    zd = 0.0
    zz = 0.0
    for i in range(z.shape[0]):
        dd += d[i] * d[i]
        zd += z[i] * d[i]
        zz += z[i] * z[i]
    c = zz - delta * delta
    disc = math.sqrt(max(zd * zd - dd * c, 0.0))
    q = -(zd + math.copysign(disc, zd))
    if q == 0.0:
        return 0.0, 0.0
    a = q / dd
    b = c / q
    return min(a, b), max(a, b)


@numba.njit
def hand_trust_ncg(A, b, c, x0, radius, max_radius, eta, sub_tol, sub_iter, tol, max_iter):
    """Trust-region Newton with Steihaug CG (N&W Algorithms 4.1, 7.2), written out."""
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    x_new = np.empty(n)
    p = np.empty(n)
    r = np.empty(n)
    d = np.empty(n)
    Hd = np.empty(n)
    Hbuf = np.empty((n, n))
    H = Hbuf
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    delta = radius
    fresh = True
    limit = sub_iter if sub_iter > 0 else 2 * n
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        if delta < _EPS * max(1.0, math.sqrt(_sumsq(x))):
            reason = RADIUS_COLLAPSED
            break
        if fresh:
            H = p_hess(A, b, c, x, Hbuf)
            fresh = False
        gn = math.sqrt(gsq)
        cg_tol = min(sub_tol, math.sqrt(gn)) * gn
        for i in range(n):
            p[i] = 0.0
            r[i] = g[i]
            d[i] = -g[i]
        rr = _sumsq(r)
        boundary = False
        if not math.sqrt(rr) <= cg_tol:
            for _ in range(limit):
                dHd = 0.0
                for i in range(n):
                    s = 0.0
                    for j in range(n):
                        s += H[i, j] * d[j]
                    Hd[i] = s
                    dHd += d[i] * s
                if not dHd > 0.0:
                    lo, hi = _tr_roots(p, d, delta)
                    rd = _dot(r, d)
                    tau = lo if lo * rd + 0.5 * lo * lo * dHd < hi * rd + 0.5 * hi * hi * dHd \
                        else hi
                    for i in range(n):
                        p[i] += tau * d[i]
                    boundary = True
                    break
                alpha = rr / dHd
                out = 0.0
                for i in range(n):
                    t = p[i] + alpha * d[i]
                    out += t * t
                if out >= delta * delta:
                    tau = _tr_roots(p, d, delta)[1]
                    for i in range(n):
                        p[i] += tau * d[i]
                    boundary = True
                    break
                for i in range(n):
                    p[i] += alpha * d[i]
                    r[i] += alpha * Hd[i]
                rr_new = _sumsq(r)
                if math.sqrt(rr_new) <= cg_tol:
                    break
                beta = rr_new / rr
                rr = rr_new
                for i in range(n):
                    d[i] = -r[i] + beta * d[i]
        pred = 0.0
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += H[i, j] * p[j]
            pred -= p[i] * (g[i] + 0.5 * s)
        if not np.isfinite(pred):
            reason = MODEL_NOT_FINITE
            break
        f_new = fx
        rho = math.nan
        if pred > 0.0:
            for i in range(n):
                x_new[i] = x[i] + p[i]
            f_new = p_f(A, b, c, x_new)
            rho = (fx - f_new) / pred
        elif gsq == 0.0:
            k += 1
            reason = GRAD_TOL
            break
        if not rho >= 0.25:
            delta = 0.25 * delta
        elif rho > 0.75 and boundary:
            delta = min(2.0 * delta, max_radius)
        k += 1
        if rho > eta:
            x, x_new = x_new, x
            p_grad(A, b, c, x, g)
            fx = f_new
            gsq = _sumsq(g)
            fresh = True
            reason = _test(fx, gsq, tol2)
    return x, reason, k


@numba.njit(inline="always")
def _tr_cholesky(H, lam, C):
    """C C' = H + lam I (lower triangle of H): the scalar loop below n = 24, LAPACK from it
    (as optbench.solvers.newton.shifted_cholesky); False if not positive definite."""
    n = H.shape[0]
    if n >= 24:
        for i in range(n):
            for j in range(i + 1):
                C[i, j] = H[i, j]
            C[i, i] += lam
        try:
            L = np.linalg.cholesky(C)
        except Exception:
            return False
        for i in range(n):
            if not (L[i, i] > 0.0 and L[i, i] < math.inf):
                return False
            for j in range(n):
                C[i, j] = L[i, j]
        return True
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


@numba.njit(inline="always")
def _tr_chol_solve(C, g, d):
    """C C' d = g."""
    n = C.shape[0]
    for i in range(n):
        s = g[i]
        for k in range(i):
            s -= C[i, k] * d[k]
        d[i] = s / C[i, i]
    for i in range(n - 1, -1, -1):
        d[i] /= C[i, i]
        for k in range(i):
            d[k] -= C[i, k] * d[i]


@numba.njit
def hand_trust_exact(A, b, c, x0, radius, max_radius, eta, sub_tol, sub_iter, tol, max_iter):
    """Trust-region Newton with the Moré-Sorensen subproblem (N&W Algorithms 4.1, 4.3),
    written out (the hard-case branch included, as in trust_region.more_sorensen)."""
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    x_new = np.empty(n)
    p = np.empty(n)
    w = np.empty(n)
    z = np.empty(n)
    best = np.empty(n)
    C = np.empty((n, n))
    Hbuf = np.empty((n, n))
    H = Hbuf
    fx = p_fg(A, b, c, x, g)
    gsq = _sumsq(g)
    tol2 = tol * tol
    k = 0
    delta = radius
    fresh = True
    limit = sub_iter if sub_iter > 0 else 50
    sigma = sub_tol
    reason = _test(fx, gsq, tol2)
    while reason == RUNNING:
        if k >= max_iter:
            reason = MAX_ITER
            break
        if delta < _EPS * max(1.0, math.sqrt(_sumsq(x))):
            reason = RADIUS_COLLAPSED
            break
        if fresh:
            H = p_hess(A, b, c, x, Hbuf)
            fresh = False
        # Moré-Sorensen
        gn = math.sqrt(gsq)
        h_norm = 0.0
        min_diag = math.inf
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += abs(H[i, j])
            h_norm = max(h_norm, s)
            min_diag = min(min_diag, H[i, i])
        lo = max(0.0, -min_diag, gn / delta - h_norm)
        hi = max(0.0, gn / delta + h_norm)
        lam = 0.0 if lo == 0.0 else max(1e-3 * hi, math.sqrt(lo * hi))
        warm = False
        have_best = False
        done = False
        boundary = False
        for _ in range(limit):
            if not _tr_cholesky(H, lam, C):
                lo = max(lo, lam)
                if not hi > lo:
                    break
                lam = max(1e-3 * hi, math.sqrt(lo * hi), lo + _EPS * max(lo, 1.0))
                continue
            _tr_chol_solve(C, g, p)
            pn2 = 0.0
            for i in range(n):
                p[i] = -p[i]
                pn2 += p[i] * p[i]
            pn = math.sqrt(pn2)
            if lam == 0.0 and pn <= delta:
                done = True
                break
            if abs(pn - delta) <= sigma * delta:
                done = True
                boundary = True
                break
            if pn < delta:
                hi = min(hi, lam)
                for i in range(n):
                    best[i] = p[i]
                have_best = True
                if not warm:
                    for i in range(n):
                        t = (i + 1) * 0.6180339887498949
                        z[i] = 0.5 + (t - math.floor(t))
                warm = True
                for _ in range(3):
                    _tr_chol_solve(C, z, w)
                    wn = math.sqrt(_sumsq(w))
                    if not (wn > 0.0 and wn < math.inf):
                        break
                    for i in range(n):
                        z[i] = w[i] / wn
                zAz = 0.0
                for i in range(n):
                    s = 0.0
                    for j in range(n):
                        s += H[i, j] * z[j]
                    zAz += z[i] * s
                zAz += lam
                lo = max(lo, lam - zAz)
                pz = _dot(p, z)
                disc = math.sqrt(max(pz * pz + delta * delta - pn * pn, 0.0))
                q = -(pz + math.copysign(disc, pz))
                tau = (pn * pn - delta * delta) / q if q != 0.0 else 0.0
                pAp = -_dot(g, p)
                if tau * tau * zAz <= sigma * (2.0 - sigma) * (pAp + lam * delta * delta):
                    for i in range(n):
                        p[i] += tau * z[i]
                    done = True
                    boundary = True
                    break
            else:
                lo = max(lo, lam)
            for i in range(n):  # w = C^{-1} p
                s = p[i]
                for kk in range(i):
                    s -= C[i, kk] * w[kk]
                w[i] = s / C[i, i]
            wn2 = _sumsq(w)
            lam_new = lam + (pn * pn / wn2) * ((pn - delta) / delta) if wn2 > 0.0 else math.nan
            if lam_new > lo and lam_new < hi:
                lam = lam_new
            elif hi > lo:
                lam = max(1e-3 * hi, math.sqrt(lo * hi), lo + _EPS * max(lo, 1.0))
            else:
                break
        if not done:
            if not have_best:
                raise ValueError("the hand version has no Cauchy fallback")
            for i in range(n):
                p[i] = best[i]
        pred = 0.0
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += H[i, j] * p[j]
            pred -= p[i] * (g[i] + 0.5 * s)
        if not np.isfinite(pred):
            reason = MODEL_NOT_FINITE
            break
        f_new = fx
        rho = math.nan
        if pred > 0.0:
            for i in range(n):
                x_new[i] = x[i] + p[i]
            f_new = p_f(A, b, c, x_new)
            rho = (fx - f_new) / pred
        elif gsq == 0.0:
            k += 1
            reason = GRAD_TOL
            break
        if not rho >= 0.25:
            delta = 0.25 * delta
        elif rho > 0.75 and boundary:
            delta = min(2.0 * delta, max_radius)
        k += 1
        if rho > eta:
            x, x_new = x_new, x
            p_grad(A, b, c, x, g)
            fx = f_new
            gsq = _sumsq(g)
            fresh = True
            reason = _test(fx, gsq, tol2)
    return x, reason, k


# -- Nelder-Mead: f only; the simplex sorted through an index array, the new vertex inserted
# after its ties (nelder_mead.py's arithmetic, so the best vertex is bit-identical) --------------
@numba.njit
def hand_nelder_mead(A, b, c, x0, adaptive, xatol, fatol, perturb, zero_perturb, tol,
                     max_iter):
    """Nelder-Mead from scipy's start simplex; stops on f not finite or the simplex test
    (tol is unused: there is no gradient)."""
    n = x0.shape[0]
    if adaptive:
        rho, chi, psi, sigma = 1.0, 1.0 + 2.0 / n, 0.75 - 1.0 / (2.0 * n), 1.0 - 1.0 / n
    else:
        rho, chi, psi, sigma = 1.0, 2.0, 0.5, 0.5
    S = np.empty((n + 1, n))
    F = np.empty(n + 1)
    xbar = np.empty(n)
    xr = np.empty(n)
    xt = np.empty(n)
    for j in range(n + 1):
        for i in range(n):
            S[j, i] = x0[i]
        if j > 0:
            S[j, j - 1] = (1.0 + perturb) * x0[j - 1] if x0[j - 1] != 0.0 else zero_perturb
        F[j] = p_f(A, b, c, S[j])
    order = np.arange(n + 1)
    for i in range(1, n + 1):
        j = order[i]
        p = i - 1
        while p >= 0 and F[order[p]] > F[j]:
            order[p + 1] = order[p]
            p -= 1
        order[p + 1] = j
    k = 0
    reason = RUNNING
    while True:
        if k >= max_iter:
            reason = MAX_ITER
            break
        w = order[n]
        for i in range(n):
            xbar[i] = 0.0
        for r in range(n):
            j = order[r]
            for i in range(n):
                xbar[i] += S[j, i]
        for i in range(n):
            xbar[i] /= n
            xr[i] = (1.0 + rho) * xbar[i] - rho * S[w, i]
        fr = p_f(A, b, c, xr)
        shrink = False
        if fr < F[order[0]]:
            for i in range(n):
                xt[i] = (1.0 + rho * chi) * xbar[i] - rho * chi * S[w, i]
            fe = p_f(A, b, c, xt)
            if fe < fr:
                S[w, :] = xt
                F[w] = fe
            else:
                S[w, :] = xr
                F[w] = fr
        elif fr < F[order[n - 1]]:
            S[w, :] = xr
            F[w] = fr
        elif fr < F[w]:
            for i in range(n):
                xt[i] = (1.0 + psi * rho) * xbar[i] - psi * rho * S[w, i]
            fc = p_f(A, b, c, xt)
            if fc <= fr:
                S[w, :] = xt
                F[w] = fc
            else:
                shrink = True
        else:
            for i in range(n):
                xt[i] = (1.0 - psi) * xbar[i] + psi * S[w, i]
            fc = p_f(A, b, c, xt)
            if fc < F[w]:
                S[w, :] = xt
                F[w] = fc
            else:
                shrink = True
        if shrink:
            bst = order[0]
            for r in range(1, n + 1):
                j = order[r]
                for i in range(n):
                    S[j, i] = S[bst, i] + sigma * (S[j, i] - S[bst, i])
                F[j] = p_f(A, b, c, S[j])
            for i in range(1, n + 1):
                j = order[i]
                p = i - 1
                while p >= 0 and F[order[p]] > F[j]:
                    order[p + 1] = order[p]
                    p -= 1
                order[p + 1] = j
        else:
            p = n - 1
            while p >= 0 and F[order[p]] > F[w]:
                order[p + 1] = order[p]
                p -= 1
            order[p + 1] = w
        k += 1
        bst = order[0]
        if not np.isfinite(F[bst]):
            reason = NOT_FINITE
            break
        x_spread = 0.0
        f_spread = 0.0
        for r in range(1, n + 1):
            j = order[r]
            for i in range(n):
                x_spread = max(x_spread, abs(S[j, i] - S[bst, i]))
            f_spread = max(f_spread, abs(F[j] - F[bst]))
        if x_spread <= xatol and f_spread <= fatol:
            reason = SIMPLEX_TOL
            break
    return S[order[0]].copy(), reason, k


# == drivers: R runs from the same start inside compiled code ===================================
@numba.njit
def run_optbench(entry, oracle, x0, args, control, reps):
    total = 0
    x = x0
    reason = 0
    for _ in range(reps):
        x, _history, reason, k = entry(oracle, x0, *args, control)
        total += k
    return x, reason, total


@numba.njit
def run_hand(fn, A, b, c, x0, params, tol, max_iter, reps):
    total = 0
    x = x0
    reason = 0
    for _ in range(reps):
        x, reason, k = fn(A, b, c, x0, *params, tol, max_iter)
        total += k
    return x, reason, total


def _same(args):
    return tuple(args)


def _nesterov_args(args):
    step, beta, schedule = args
    if schedule != 0:
        raise ValueError("the hand version is the constant-momentum (strongly convex) variant")
    return step, beta


def _ncg_args(args):
    rule, c1, c2 = args
    if rule != "pr+":
        raise ValueError("the hand version is Polak-Ribiere+")
    return c1, c2


def _without_residuals(args):
    return tuple(args[1:])  # plan.args[0] is the problem's Residuals (r, J, data, m, c)


# method -> (hand-fused function, optbench plan.args -> its parameters)
HAND = {
    "gd": (hand_gd, _same), "gd-armijo": (hand_gd_armijo, _same), "gd-bb": (hand_gd_bb, _same),
    "gd-exact": (hand_gd_exact, _same), "gd-polyak": (hand_gd_polyak, _same),
    "heavy-ball": (hand_heavy_ball, _same), "nesterov": (hand_nesterov, _nesterov_args),
    "newton": (hand_newton, _same), "newton-ls": (hand_newton_ls, _same),
    "cg": (hand_cg, _same), "ncg": (hand_ncg, _ncg_args), "bfgs": (hand_bfgs, _same),
    "lbfgs": (hand_lbfgs, _same), "sgd": (hand_sgd, _same), "adam": (hand_adam, _same),
    "gauss-newton": (hand_gauss_newton, _without_residuals), "lm": (hand_lm, _without_residuals),
    "trust-ncg": (hand_trust_ncg, _same), "trust-exact": (hand_trust_exact, _same),
    "nelder-mead": (hand_nelder_mead, _same),
}


# == measuring ===================================================================================
@dataclass
class Case:
    method: str
    problem_name: str
    K: int
    run_opt: object        # (reps, max_iter) -> (x, reason, total iterations)
    run_hand: object
    args: tuple
    x_rtol: float
    results: dict = field(default_factory=dict)


def make_case(method, problem_name, problem):
    solver = optbench.get_solver(method)
    values = coerce_all(solver.params, OVERRIDES.get(method, {}), f"solver {method!r}")
    plan = solver.plan(problem, values)
    hand_fn, adapt = HAND[method]
    params = adapt(plan.args)
    data = problem.oracle.args
    if problem.family == "quadratic":
        A, b, c = data
        c = float(c)
    else:
        (A, b), c = data, None
    x0 = problem.x0
    k_run = K[problem_name][method]

    def run_opt(reps, max_iter):
        control = optbench.make_control(max_iter=max_iter, tol=TOL, record_every=k_run)
        return run_optbench(plan.entry, problem.oracle, x0, plan.args, control, reps)

    def run_h(reps, max_iter):
        return run_hand(hand_fn, A, b, c, x0, params, TOL, max_iter, reps)

    return Case(method, problem_name, k_run, run_opt, run_h, plan.args,
                X_RTOL.get(method, X_RTOL_DEFAULT))


def measure_once(fn, *args):
    """(seconds, result) of one call (the caller keeps the garbage collector out of the way)."""
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def reps_for(fn, max_iter, min_time):
    """Runs per measurement so that one measurement (one call of the driver from Python,
    whose ~0.1 ms dispatch is then negligible) lasts at least min_time."""
    reps = 1
    while True:
        seconds = measure_once(fn, reps, max_iter)[0]
        if seconds >= min_time:
            return reps
        if seconds < min_time / 20:  # possibly dispatch-dominated: no estimate yet
            reps *= 10
        else:  # long enough to extrapolate: aim 25% past min_time (then confirm)
            reps = max(reps + 1, math.ceil(1.25 * reps * min_time / seconds))


def bench_case(case: Case, rounds: int, min_time: float) -> None:
    r = case.results
    t = time.perf_counter()
    # warm up: compile (or load) everything this case calls, with both max_iter values
    for fn in (case.run_opt, case.run_hand):
        fn(1, case.K)
        fn(1, 0)
    r["warmup"] = time.perf_counter() - t

    gc.collect()
    gc.disable()  # for the whole case: the drivers allocate nothing the collector tracks
    try:
        _measure_case(case, rounds, min_time)
    finally:
        gc.enable()


def _measure_case(case: Case, rounds: int, min_time: float) -> None:
    r = case.results
    # runs per measurement, each variant its own (times are reported per run)
    variants = {"opt": (case.run_opt, case.K, min_time), "hand": (case.run_hand, case.K, min_time),
                "opt0": (case.run_opt, 0, min_time / 4), "hand0": (case.run_hand, 0, min_time / 4)}
    variants = {name: (fn, reps_for(fn, max_iter, seconds), max_iter)
                for name, (fn, max_iter, seconds) in variants.items()}
    names = list(variants)
    times = {name: [] for name in names}
    for k in range(rounds):
        order = names[k % len(names):] + names[:k % len(names)]
        for name in order:
            fn, n_reps, max_iter = variants[name]
            seconds, out = measure_once(fn, n_reps, max_iter)
            times[name].append(seconds / n_reps)  # seconds per run
            if name in ("opt", "hand"):
                x, reason, total = out
                r[name + "_out"] = (x.copy(), int(reason), total // n_reps)
    r["times"] = times
    r["reps"] = {name: v[1] for name, v in variants.items()}


# == reporting ===================================================================================
def fmt_time(seconds: float) -> str:
    ns = seconds * 1e9
    if ns < 10_000:
        return f"{ns:.1f} ns"
    if ns < 10_000_000:
        return f"{ns / 1e3:.1f} us"
    return f"{ns / 1e6:.2f} ms"


def reason_word(code: int) -> str:
    return status_of(code) if code else "running"


def print_tables(cases: list[Case], rounds: int) -> None:
    print()
    print("Per iteration (time of R runs of K iterations / (R K); min and median over "
          f"{rounds} rounds; ratio = optbench / hand: of the minima, and median of the "
          "per-round ratios)")
    head = (f"{'method':<11} {'problem':<13} {'K':>7} {'iters o/h':>13} "
            f"{'optbench min':>12} {'(median)':>11} {'hand min':>10} {'(median)':>11} "
            f"{'ratio':>6} {'(med)':>6}  {'rel |dx|':>8}  check")
    print(head)
    print("-" * len(head))
    flagged = []
    for case in cases:
        res = case.results
        if "error" in res:
            print(f"{case.method:<11} {case.problem_name:<13} {case.K:>7}  ERROR: {res['error']}")
            continue
        t = res["times"]
        x_o, reason_o, it_o = res["opt_out"]
        x_h, reason_h, it_h = res["hand_out"]
        per_o = [s / case.K for s in t["opt"]]
        per_h = [s / case.K for s in t["hand"]]
        ratio = min(per_o) / min(per_h)
        med_ratio = statistics.median(a / b for a, b in zip(per_o, per_h, strict=True))
        scale = max(float(np.abs(x_h).max()), 1e-300)
        rel = float(np.abs(x_o - x_h).max()) / scale
        problems = []
        if it_o != case.K or it_h != case.K:
            problems.append(f"stopped before K ({reason_word(reason_o)}/{reason_word(reason_h)})")
        elif reason_o != reason_h:
            problems.append(f"reasons differ ({reason_word(reason_o)}/{reason_word(reason_h)})")
        if not rel <= case.x_rtol:
            problems.append(f"x differs (> {case.x_rtol:g})")
        if problems:
            check = "; ".join(problems)
        elif reason_o != MAX_ITER:  # K steps, then the test saw g = 0 exactly (Newton: 1 step)
            check = f"ok ({reason_word(reason_o)} at K)"
        else:
            check = "ok"
        if ratio > 1.5:
            flagged.append(case)
        print(f"{case.method:<11} {case.problem_name:<13} {case.K:>7,} "
              f"{f'{it_o:,}/{it_h:,}':>13} {fmt_time(min(per_o)):>12} "
              f"{'(' + fmt_time(statistics.median(per_o)) + ')':>11} {fmt_time(min(per_h)):>10} "
              f"{'(' + fmt_time(statistics.median(per_h)) + ')':>11} {ratio:>6.2f} "
              f"{med_ratio:>6.2f}  {rel:>8.1e}  {check}")

    print()
    print("Fixed cost per run (max_iter = 0: set-up, first f and gradient, allocations; "
          "optbench also its history, extras and clock) and the cost per iteration without "
          "it, (t_K - t_0) / K, minima")
    head = (f"{'method':<11} {'problem':<13} {'K':>7} {'opt fixed':>10} {'hand fixed':>10} "
            f"{'difference':>10} {'share of opt run':>16} {'opt excl.':>10} "
            f"{'hand excl.':>10} {'ratio':>6}")
    print(head)
    print("-" * len(head))
    for case in cases:
        res = case.results
        if "error" in res:
            continue
        t = res["times"]
        f_o, f_h = min(t["opt0"]), min(t["hand0"])
        run_o, run_h = min(t["opt"]), min(t["hand"])
        ex_o = (run_o - f_o) / case.K
        ex_h = (run_h - f_h) / case.K
        ratio = ex_o / ex_h if ex_h > 0 else math.nan
        print(f"{case.method:<11} {case.problem_name:<13} {case.K:>7,} {fmt_time(f_o):>10} "
              f"{fmt_time(f_h):>10} {fmt_time(f_o - f_h):>10} "
              f"{100 * (f_o - f_h) / run_o:>15.1f}% {fmt_time(ex_o):>10} "
              f"{fmt_time(ex_h):>10} {ratio:>6.2f}")
    if flagged:
        print()
        print("ratio above 1.5 (per iteration, minima): "
              + ", ".join(f"{c.method} on {c.problem_name}" for c in flagged))
    else:
        print()
        print("every ratio is at most 1.5")


# == machine and threads =========================================================================
def describe_machine(blas_threads) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh
                          if line.startswith("model name")), None)
        cpu = f"{model} ({platform.machine()})" if model else cpu
    except OSError:
        pass
    print(f"machine: {cpu}, os.cpu_count()={os.cpu_count()}, {platform.system()} "
          f"{platform.release()}")
    print(f"python {platform.python_version()}, numba {numba.__version__}, "
          f"numpy {np.__version__}, optbench {optbench.__version__}")
    print(f"threads: NUMBA_NUM_THREADS env={os.environ.get('NUMBA_NUM_THREADS', '(unset)')}, "
          f"numba.get_num_threads()={numba.get_num_threads()} (no prange here: every loop is "
          "single-threaded)")
    if threadpool_info is None:
        print("threads: threadpoolctl not installed (pip install optbench[bench]): BLAS thread "
              "pools left at their defaults")
        return
    pools = ", ".join(f"{p['internal_api']} {os.path.basename(p['filepath'])}: "
                      f"{p['num_threads']}" for p in threadpool_info())
    print(f"threads: BLAS limited to {blas_threads} with threadpoolctl -> {pools}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved rounds; minimum and median reported (default 5)")
    parser.add_argument("--only", default="",
                        help="comma-separated methods (default: all): " + ",".join(METHODS))
    parser.add_argument("--problem", choices=(*PROBLEMS, "both"), default="both",
                        help="one problem, or 'both': every problem (default)")
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="seconds per measurement at least (default 0.2)")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads, set with threadpoolctl (default 1)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.min_time <= 0 or args.blas_threads < 1:
        parser.error("--rounds, --min-time and --blas-threads must be positive")
    methods = [m.strip() for m in args.only.split(",") if m.strip()] or list(METHODS)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        parser.error(f"unknown methods {unknown}; choose from {', '.join(METHODS)}")
    problem_names = list(PROBLEMS) if args.problem == "both" else [args.problem]

    limiter = (threadpool_limits(limits=args.blas_threads) if threadpool_limits is not None
               else None)
    try:
        describe_machine(args.blas_threads)
        cases = []
        for pname in problem_names:
            problem = optbench.make_problem(pname, **PROBLEMS[pname])
            settings = ", ".join(f"{k}={v}" for k, v in PROBLEMS[pname].items())
            print(f"problem: {pname} ({settings}): n={problem.dim}, L={problem.L:.3g}, "
                  f"mu={problem.mu:.3g}, x0=0")
            for method in methods:
                if method not in K[pname]:
                    continue
                cases.append(make_case(method, pname, problem))
        print(f"tol={TOL} (only max_iter stops a run), record_every=K, rounds={args.rounds}, "
              f"at least {args.min_time} s per measurement; solver overrides: {OVERRIDES}")
        print()
        t_start = time.perf_counter()
        for case in cases:
            try:
                bench_case(case, args.rounds, args.min_time)
            except Exception as exc:  # noqa: BLE001 - report and go on with the others
                case.results["error"] = f"{type(exc).__name__}: {exc}"
            res = case.results
            if "error" in res:
                status = res["error"]
            else:
                reps = res["reps"]
                status = (f"warm-up {res['warmup']:.1f} s, R={reps['opt']}/{reps['hand']} "
                          f"(max_iter=0: {reps['opt0']}/{reps['hand0']}), "
                          f"plan.args={case.args}")
            print(f"  {case.method:<11} {case.problem_name:<13} {status}", flush=True)
        print(f"measured in {time.perf_counter() - t_start:.0f} s")
        print_tables(cases, args.rounds)
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
