"""Newton's method (damped by a constant factor alpha)."""

from __future__ import annotations

import numpy as np

from .._jit import jit
from ..params import Param
from ..problem import value_and_grad
from ..registry import Solver, register_solver
from ..status import RUNNING, SINGULAR
from ._loop import drive

__all__ = ["newton"]


@jit
def newton_direction(H, g, d):
    """Solve H d = g into ``d``; False when H is singular (no Newton step exists)."""
    try:
        sol = np.linalg.solve(H, g)
    except Exception:  # numba raises LinAlgError for an exactly singular H
        return False
    for i in range(d.shape[0]):
        if not np.isfinite(sol[i]):
            return False
        d[i] = sol[i]
    return True


@jit(inline=True)
def _newton_init(oracle, x, g, params):
    n = x.shape[0]
    return (np.empty((n, n)), np.empty(n)), value_and_grad(oracle, x, g)


@jit(inline=True)
def _newton_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - alpha * H(x)^{-1} g"""
    H, d = work
    (alpha,) = params
    oracle.hess(x, oracle.args, H)
    if not newton_direction(H, g, d):
        return np.nan, np.nan, SINGULAR
    for i in range(x.shape[0]):
        x[i] -= alpha * d[i]
    return value_and_grad(oracle, x, g), alpha, RUNNING


@jit
def newton(oracle, x0, alpha, control):
    """Newton's method with damping: ``x_{k+1} = x_k - alpha * H(x_k)^{-1} grad f(x_k)``.

    ``alpha = 1`` is the pure Newton step: one step solves a quadratic, and convergence is
    quadratic near a minimizer with a positive definite Hessian. A singular Hessian ends the
    run with status ``failed`` (history kept). On indefinite problems the pure step heads for
    the nearest stationary point, saddle or maximum included.

    Compiled; callable from your own ``@njit`` code like :func:`optbench.solvers.gd`.

    Reference: Nocedal & Wright, *Numerical Optimization* (2006), section 3.3.
    """
    return drive(oracle, x0, (alpha,), _newton_init, _newton_step, 0, control)


register_solver(Solver(
    name="newton", entry=newton, family="newton",
    params=(Param("alpha", 1.0, float, "damping factor (1 = pure Newton step)", low=0.0,
                  strict=True),),
    summary="Newton's method with a constant damping factor",
    formula="x_{k+1} = x_k - alpha * H(x_k)^{-1} grad f(x_k)",
    reference="Nocedal & Wright, Numerical Optimization (2006), 3.3",
    needs=frozenset({"grad", "hess"}),
))
