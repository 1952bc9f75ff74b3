"""Momentum methods: Polyak's heavy ball and Nesterov's accelerated gradient.

Both need one gradient per iteration and no f: their steps leave only the gradient
(:func:`._loop.drive_without_f`), the table's f is evaluated at its rows, uncounted."""

from __future__ import annotations

import math

from .._jit import jit
from ..errors import IncompatibleError
from ..oracle import gradient
from ..params import Param
from ..registry import GRAD_AT_ITERATE, Plan, Solver, register_solver
from ..status import RUNNING
from ._loop import drive_without_f

__all__ = ["heavy_ball", "nesterov"]


@jit(inline=True)
def _heavy_ball_init(oracle, x, g, params):
    """work: x_prev = x0; g <- grad f(x0), the first step's gradient"""
    gradient(oracle, x, g)
    return (x.copy(),), math.nan


@jit(inline=True)
def _heavy_ball_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - t g + beta (x - x_prev); g <- grad f(x): the iteration's one gradient"""
    x_prev = work[0]
    t, beta = params
    for i in range(x.shape[0]):
        xi = x[i]
        x[i] = xi - t * g[i] + beta * (xi - x_prev[i])
        x_prev[i] = xi
    gradient(oracle, x, g)
    return math.nan, t, RUNNING


@jit
def heavy_ball(oracle, x0, step, beta, control):
    """Polyak's heavy ball: ``x_{k+1} = x_k - step grad f(x_k) + beta (x_k - x_{k-1})``.

    On a strongly convex quadratic, step = 4/(sqrt(L) + sqrt(mu))^2 and
    beta = ((sqrt(L) - sqrt(mu))/(sqrt(L) + sqrt(mu)))^2 give the rate
    (sqrt(kappa) - 1)/(sqrt(kappa) + 1). One gradient per iteration, no f. Called like
    :func:`optbench.solvers.gd`::

        x, history, reason, k = heavy_ball(problem.oracle, x0, 0.5, 0.9, control)

    Reference: Polyak, USSR Comput. Math. Math. Phys. 4 (1964).
    """
    return drive_without_f(oracle, x0, (step, beta), _heavy_ball_init, _heavy_ball_step, 0,
                           control)


@jit(inline=True)
def _nesterov_init(oracle, x, g, params):
    """y_0 = x_0; g <- grad f(y_0), the first step's gradient; work: x_k (here x_0)"""
    gradient(oracle, x, g)
    return (x.copy(),), math.nan


@jit(inline=True)
def _nesterov_step(oracle, y, g, fy, work, params, k, extras):
    """x_{k+1} = y_k - t g(y_k);  y <- y_{k+1} = x_{k+1} + b_{k+1} (x_{k+1} - x_k);
    g <- grad f(y_{k+1}): the iteration's one gradient (the loop's iterate is y)"""
    x_k = work[0]
    t, beta, schedule = params
    b = (k + 1.0) / (k + 4.0) if schedule == 1 else beta  # (j-1)/(j+2) with j = k+2
    for i in range(y.shape[0]):
        xi = y[i] - t * g[i]
        y[i] = xi + b * (xi - x_k[i])
        x_k[i] = xi
    gradient(oracle, y, g)
    return math.nan, t, RUNNING


@jit
def nesterov(oracle, x0, step, beta, schedule, control):
    """Nesterov's accelerated gradient.

    ``y_k = x_k + b_k (x_k - x_{k-1})``, ``x_{k+1} = y_k - step grad f(y_k)``, y_0 = x_0,
    with ``b_k = beta`` (schedule 0; for mu-strongly convex problems
    beta = (sqrt(L) - sqrt(mu))/(sqrt(L) + sqrt(mu)), step = 1/L) or
    ``b_k = (k - 1)/(k + 2)`` counting from k = 1 (schedule 1; convex problems). Reaches
    f - f* <= eps in O(sqrt(kappa) log(1/eps)) resp. O(1/sqrt(eps)) iterations.

    One gradient evaluation per iteration, at y_k, and no f. The loop's iterate is y_k: the
    history's rows (f, grad_norm, dist, x), the gradient-norm test and the returned x all
    refer to y_k, the point whose gradient the method evaluated. Callable from compiled
    code::

        x, history, reason, k = nesterov(problem.oracle, x0, 1.0 / L, 0.9, 0, control)

    Reference: Nesterov, *Lectures on Convex Optimization* (2018), 2.2.
    """
    return drive_without_f(oracle, x0, (step, beta, schedule), _nesterov_init,
                           _nesterov_step, 0, control)


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
    prepare=_plan_heavy_ball, table_point=GRAD_AT_ITERATE,
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
    table_point="y_k = x_k + b_k (x_k - x_{k-1}), where the gradient is evaluated (the "
                "returned x is y); grad_norm: the method's gradient; f: the loop's, "
                "uncounted and untimed",
))
