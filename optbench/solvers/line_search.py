"""Backtracking (Armijo) line search, shared by first-order and Newton-type methods, its
parameters, the accept step that ends every line-search method's iteration, and the one rule
that tells a line search's failure from the limit of floating point.

The strong-Wolfe search used by conjugate gradients and quasi-Newton methods is in
:mod:`optbench.solvers.wolfe`.

**When a search finds no step.** Along a descent direction d (slope ``g.d < 0``) of a smooth
f, every short enough step decreases f in exact arithmetic. In floating point, f is known
only to its rounding error, so close to a minimizer no step can show the decrease a search
asks for. A search that ends without a step reports ``PRECISION_LIMIT`` (status
``precision_limit``) when even its shortest trial ``t`` asked, to first order, for a decrease
``t |g.d|`` no larger than f's rounding error, taken as ``F_ROUNDING * |f(x)|``; shorter
steps cannot help, and the point is stationary to working precision along d. Otherwise the
search gave up while f could still have shown a decrease (too few trials, a non-smooth f)
and reports ``LINE_SEARCH`` (``line_search_failed``). Neither is ``converged``: the gradient
tolerance was not met, and the message says what gradient norm was reached.
"""

from __future__ import annotations

import math
import sys

from .._jit import jit
from ..kernels import copy_into, dot
from ..oracle import gradient, value
from ..params import Param
from ..status import LINE_SEARCH, NOT_DESCENT, PRECISION_LIMIT, RUNNING

__all__ = ["backtracking", "backtracking_step", "no_step_reason", "accept", "armijo_params",
           "F_ROUNDING"]

# f's rounding error relative to |f|: 64 units in the last place. f is usually a sum of many
# terms, whose rounding errors add up to more than the one unit of a single operation.
F_ROUNDING = 64.0 * sys.float_info.epsilon
_TINY = sys.float_info.min


@jit
def no_step_reason(fx, slope, t_shortest):
    """Why a line search from f(x) = ``fx`` along a direction of slope ``g.d < 0`` found no
    step, its shortest trial being ``t_shortest``: ``PRECISION_LIMIT`` when
    ``t_shortest |slope| <= F_ROUNDING max(|fx|, tiny)``, else ``LINE_SEARCH``."""
    if t_shortest * abs(slope) <= F_ROUNDING * max(abs(fx), _TINY):
        return PRECISION_LIMIT
    return LINE_SEARCH


@jit(inline=True)
def backtracking(oracle, x, fx, g, d, x_new, g_new, t0, c, shrink, max_trials):
    """Armijo backtracking along d: the first t in t0, t0*shrink, ... with
    ``f(x + t d) <= f(x) + c t g.d``.

    Writes the accepted point into ``x_new`` and its gradient into ``g_new``. Returns
    ``(t, f_new, trials, reason)``: ``reason`` is ``RUNNING`` when a step was accepted,
    ``NOT_DESCENT`` when d is not a descent direction (no trial made), and after
    ``max_trials`` failed trials ``PRECISION_LIMIT`` or ``LINE_SEARCH`` by
    :func:`no_step_reason` (``t`` is then the shortest trial). Each trial costs one
    evaluation of f; the gradient is evaluated once, at the accepted point.

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), Algorithm 3.1.
    """
    slope = dot(g, d)
    if not slope < 0.0:
        return 0.0, fx, 0, NOT_DESCENT
    t = t0
    for trial in range(1, max_trials + 1):
        for i in range(x.shape[0]):
            x_new[i] = x[i] + t * d[i]
        f_new = value(oracle, x_new)
        if f_new - fx <= c * t * slope:  # (not f_new <= fx + ...: a decrease must be real)
            gradient(oracle, x_new, g_new)
            return t, f_new, trial, RUNNING
        if trial < max_trials:
            t *= shrink
    return t, fx, max_trials, no_step_reason(fx, slope, t)


@jit(inline=True)
def accept(x, g, x_new, g_new, fx, f_new, t, reason):
    """A step kernel's return after a line search (backtracking or strong Wolfe) that
    returned ``reason``: when a step was accepted, ``x, g <- x_new, g_new`` and
    ``(f_new, t, RUNNING)``; else x, g untouched and ``(fx, nan, reason)``."""
    if reason != RUNNING:
        return fx, math.nan, reason
    copy_into(x, x_new)
    copy_into(g, g_new)
    return f_new, t, RUNNING


@jit(inline=True)
def backtracking_step(oracle, x, fx, g, d, x_new, g_new, t0, c, shrink, max_trials, extras,
                      column):
    """The end of a step kernel moving along d: :func:`backtracking` from ``t0``, its trials
    into ``extras[column]``, then :func:`accept`; returns the kernel's ``(f, t, reason)``."""
    t, f_new, trials, reason = backtracking(oracle, x, fx, g, d, x_new, g_new, t0, c, shrink,
                                            max_trials)
    extras[column] = trials
    return accept(x, g, x_new, g_new, fx, f_new, t, reason)


# -- the Python side: the constants as solver parameters --------------------------------------
def armijo_params() -> tuple[Param, Param, Param]:
    """The parameters ``c``, ``shrink`` and ``max_trials`` of a solver using
    :func:`backtracking`."""
    return (Param("c", 1e-4, float, "Armijo sufficient-decrease constant", low=0.0,
                  strict=True, high=0.5),
            Param("shrink", 0.5, float, "backtracking factor", low=0.0, strict=True,
                  high=0.99),
            Param("max_trials", 60, int, "backtracking trials per iteration before giving "
                  "up", low=1))
