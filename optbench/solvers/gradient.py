"""First-order methods: gradient descent.

Each method is an ``init``/``step`` kernel pair run by the shared loop (:mod:`._loop`) and a
public compiled entry point that users may call from their own ``@njit`` code.
"""

from __future__ import annotations

from .._jit import jit
from ..params import Param
from ..problem import value_and_grad
from ..registry import Solver, register_solver
from ..status import RUNNING
from ._loop import drive

__all__ = ["gd"]


@jit(inline=True)
def _gd_init(oracle, x, g, params):
    return (), value_and_grad(oracle, x, g)


@jit(inline=True)
def _gd_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - step * g;  g <- grad f(x)"""
    (step,) = params
    for i in range(x.shape[0]):
        x[i] -= step * g[i]
    return value_and_grad(oracle, x, g), step, RUNNING


@jit
def gd(oracle, x0, step, control):
    """Gradient descent with a constant step size: ``x_{k+1} = x_k - step * grad f(x_k)``.

    Converges on L-smooth convex problems for ``0 < step < 2/L`` (``1/L`` is the textbook
    choice) and diverges on quadratics for ``step > 2/L``.

    Compiled; callable from your own ``@njit`` code::

        control = optbench.make_control(max_iter=500, tol=1e-8)
        x, history, reason, iterations = optbench.solvers.gd(problem.oracle, x0, 0.1, control)

    Reference: Nesterov, *Lectures on Convex Optimization* (2018), section 2.1.5.
    """
    return drive(oracle, x0, (step,), _gd_init, _gd_step, 0, control)


register_solver(Solver(
    name="gd", entry=gd, family="gradient",
    params=(Param("step", 0.1, float, "step size eta", low=0.0, strict=True),),
    summary="gradient descent with a constant step size",
    formula="x_{k+1} = x_k - eta * grad f(x_k)",
    reference="Nesterov, Lectures on Convex Optimization (2018), 2.1.5",
))
