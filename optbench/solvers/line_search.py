"""Backtracking (Armijo) line search, shared by first-order and Newton-type methods.

The strong-Wolfe search used by conjugate gradients and quasi-Newton methods is in
:mod:`optbench.solvers.wolfe`.
"""

from __future__ import annotations

from .._jit import jit
from ..kernels import dot

__all__ = ["backtracking"]


@jit(inline=True)
def backtracking(oracle, x, fx, g, d, x_new, g_new, t0, c, shrink, max_trials):
    """Armijo backtracking along d: the first t in t0, t0*shrink, ... with
    ``f(x + t d) <= f(x) + c t g.d``.

    Writes the accepted point into ``x_new`` and its gradient into ``g_new``. Returns
    ``(t, f_new, trials, ok)``; ``ok`` is False when d is not a descent direction (no trial
    made) or when ``max_trials`` trials failed, which happens near the minimizer once the
    required decrease is below f's rounding error. Each trial costs one evaluation of f; the
    gradient is evaluated once, at the accepted point.

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), Algorithm 3.1.
    """
    slope = dot(g, d)
    if not slope < 0.0:
        return 0.0, fx, 0, False
    t = t0
    for trial in range(1, max_trials + 1):
        for i in range(x.shape[0]):
            x_new[i] = x[i] + t * d[i]
        f_new = oracle.f(x_new, oracle.args)
        if f_new - fx <= c * t * slope:  # (not f_new <= fx + ...: a decrease must be real)
            oracle.grad(x_new, oracle.args, g_new)
            return t, f_new, trial, True
        t *= shrink
    return t, fx, max_trials, False
