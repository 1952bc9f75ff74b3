"""Momentum methods: Polyak's heavy ball and Nesterov's accelerated gradient."""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from ..errors import IncompatibleError
from ..oracle import gradient, observed, value_and_grad
from ..params import Param
from ..registry import Plan, Solver, register_solver
from ..status import RUNNING
from ._loop import drive

__all__ = ["heavy_ball", "nesterov"]


@jit(inline=True)
def _momentum_init(oracle, x, g, params):
    n = x.shape[0]
    x_prev = x.copy()
    return (x_prev, np.empty(n), np.empty(n)), value_and_grad(oracle, x, g)


@jit(inline=True)
def _nesterov_init(oracle, x, g, params):
    """as heavy ball's, but f and grad f at x0 are only for the table: Nesterov's first step
    evaluates the gradient at y = x0 itself"""
    return _momentum_init(observed(oracle), x, g, params)


@jit(inline=True)
def _heavy_ball_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - t g + beta (x - x_prev)"""
    x_prev = work[0]
    t, beta = params
    for i in range(x.shape[0]):
        xi = x[i]
        x[i] = xi - t * g[i] + beta * (xi - x_prev[i])
        x_prev[i] = xi
    return value_and_grad(oracle, x, g), t, RUNNING


@jit
def heavy_ball(oracle, x0, step, beta, control):
    """Polyak's heavy ball: ``x_{k+1} = x_k - step grad f(x_k) + beta (x_k - x_{k-1})``.

    On a strongly convex quadratic, step = 4/(sqrt(L) + sqrt(mu))^2 and
    beta = ((sqrt(L) - sqrt(mu))/(sqrt(L) + sqrt(mu)))^2 give the rate
    (sqrt(kappa) - 1)/(sqrt(kappa) + 1). Called like :func:`optbench.solvers.gd`::

        x, history, reason, k = heavy_ball(problem.oracle, x0, 0.5, 0.9, control)

    Reference: Polyak, USSR Comput. Math. Math. Phys. 4 (1964).
    """
    return drive(oracle, x0, (step, beta), _momentum_init, _heavy_ball_step, 0, control)


@jit(inline=True)
def _nesterov_step(oracle, x, g, fx, work, params, k, extras):
    """y = x + b_k (x - x_prev);  x <- y - t grad f(y)"""
    x_prev, y, gy = work
    t, beta, schedule = params
    b = k / (k + 3.0) if schedule == 1 else beta  # (j-1)/(j+2) with j = k+1
    for i in range(x.shape[0]):
        y[i] = x[i] + b * (x[i] - x_prev[i])
        x_prev[i] = x[i]
    gradient(oracle, y, gy)
    for i in range(x.shape[0]):
        x[i] = y[i] - t * gy[i]
    # f and grad f at x only for the table and the stopping test: not the method's cost
    return value_and_grad(observed(oracle), x, g), t, RUNNING


@jit
def nesterov(oracle, x0, step, beta, schedule, control):
    """Nesterov's accelerated gradient.

    ``y_k = x_k + b_k (x_k - x_{k-1})``, ``x_{k+1} = y_k - step grad f(y_k)``, with
    ``b_k = beta`` (schedule 0; for mu-strongly convex problems
    beta = (sqrt(L) - sqrt(mu))/(sqrt(L) + sqrt(mu)), step = 1/L) or
    ``b_k = (k - 1)/(k + 2)`` counting from k = 1 (schedule 1; convex problems). Reaches
    f - f* <= eps in O(sqrt(kappa) log(1/eps)) resp. O(1/sqrt(eps)) iterations. Two
    gradient evaluations per iteration: at y_k for the step and at x_{k+1} for the table and
    the stopping test. Callable from compiled code::

        x, history, reason, k = nesterov(problem.oracle, x0, 1.0 / L, 0.9, 0, control)

    Reference: Nesterov, *Lectures on Convex Optimization* (2018), 2.2.
    """
    return drive(oracle, x0, (step, beta, schedule), _nesterov_init, _nesterov_step, 0,
                 control)


def _needs(problem, what, option):
    raise IncompatibleError(f"{option} needs {what}, which problem {problem.name!r} does not "
                            "provide; give a number instead")


def _lipschitz_step(problem, step, option="step=1/L"):
    if step != "1/L":
        return step
    if problem.L is None:
        _needs(problem, "a known Lipschitz constant L", option)
    return 1.0 / problem.L


def _plan_heavy_ball(problem, v) -> Plan:
    step, beta = v["step"], v["beta"]
    if "optimal" in (step, beta):
        if not problem.L or not problem.mu:
            _needs(problem, "known constants L and mu > 0", "step/beta=optimal")
        rl, rm = math.sqrt(problem.L), math.sqrt(problem.mu)
        step = 4.0 / (rl + rm) ** 2 if step == "optimal" else step
        beta = ((rl - rm) / (rl + rm)) ** 2 if beta == "optimal" else beta
    return Plan(heavy_ball, (_lipschitz_step(problem, step), float(beta)))


def _plan_nesterov(problem, v) -> Plan:
    step = _lipschitz_step(problem, v["step"])
    variant = v["variant"]
    if variant == "auto":
        variant = "strongly-convex" if (problem.L and problem.mu) else "convex"
    if variant == "convex":
        return Plan(nesterov, (step, 0.0, 1))
    if not problem.L or not problem.mu:
        _needs(problem, "known constants L and mu > 0", "variant=strongly-convex")
    rl, rm = math.sqrt(problem.L), math.sqrt(problem.mu)
    return Plan(nesterov, (step, (rl - rm) / (rl + rm), 0))


register_solver(Solver(
    name="heavy-ball", entry=heavy_ball, family="momentum",
    params=(
        Param("step", "1/L", float, "step size, 1/L or optimal (needs L, mu)", low=0.0,
              strict=True, names=("1/L", "optimal")),
        Param("beta", 0.9, float, "momentum, or optimal (needs L, mu)", low=0.0, high=1.0,
              names=("optimal",)),
    ),
    summary="Polyak's heavy-ball momentum",
    formula="x_{k+1} = x_k - t grad f(x_k) + beta (x_k - x_{k-1})",
    reference="Polyak (1964)",
    prepare=_plan_heavy_ball,
))

register_solver(Solver(
    name="nesterov", entry=nesterov, family="momentum",
    params=(
        Param("step", "1/L", float, "step size, or 1/L", low=0.0, strict=True,
              names=("1/L",)),
        Param("variant", "auto", str, "momentum: constant from L and mu (strongly-convex), "
              "(k-1)/(k+2) (convex), or auto", choices=("auto", "strongly-convex", "convex")),
    ),
    summary="Nesterov's accelerated gradient (constant or (k-1)/(k+2) momentum)",
    formula="y = x_k + b_k (x_k - x_{k-1}); x_{k+1} = y - t grad f(y)",
    reference="Nesterov, Lectures on Convex Optimization (2018), 2.2",
    prepare=_plan_nesterov,
))
