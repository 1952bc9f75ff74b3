"""Gradient descent: one gradient step combined with a step-size rule.

``x_{k+1} = x_k - t_k grad f(x_k)`` where t_k comes from a rule: a constant, 1/L, a
diminishing schedule, Armijo backtracking, the exact minimizer on quadratics,
Barzilai-Borwein or Polyak. Each rule is an ``init``/``step`` kernel pair run by the shared
loop (:mod:`._loop`) with a public compiled entry point; the registered solver ``gd`` picks
the entry from its ``step`` parameter (``-p step=armijo``), and ``gd-armijo``, ``gd-bb`` ...
are shortcuts with that default.

Cost per iteration: one gradient (constant, 1/L, diminishing, exact, Barzilai-Borwein: no f,
the table's f is evaluated at its rows only, uncounted); Polyak: f and the gradient (its step
needs f); Armijo: the search's f evaluations and one gradient at the accepted point.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._jit import jit
from ..errors import IncompatibleError
from ..kernels import copy_into, sumsq
from ..oracle import gradient, hessian, value_and_grad
from ..params import Param
from ..registry import Plan, Solver, register_solver
from ..status import NOT_DESCENT, RUNNING
from ._loop import drive, drive_without_f
from .line_search import armijo_params, backtracking_step
from .step_sizes import barzilai_borwein, diminishing, exact_quadratic, polyak

__all__ = ["gd", "gd_diminishing", "gd_armijo", "gd_exact", "gd_bb", "gd_polyak", "descend",
           "value_and_grad_init"]


@jit(inline=True)
def descend(oracle, x, g, t):
    """x <- x - t g, then g <- grad f(x) (no f: returns NaN, for :func:`._loop.drive_without_f`).

    Inlined at numba's IR level, like every helper that calls the problem's functions: as a
    separate compiled function it was not inlined by LLVM and cost 3x on a 2-D quadratic."""
    for i in range(x.shape[0]):
        x[i] -= t * g[i]
    gradient(oracle, x, g)
    return math.nan


@jit(inline=True)
def _gd_init(oracle, x, g, params):
    """g <- grad f(x0), the first step's gradient (the rules here need no f)"""
    gradient(oracle, x, g)
    return (), math.nan


@jit(inline=True)
def value_and_grad_init(oracle, x, g, params):
    """g <- grad f(x0); f(x0) and no work: the init kernel of Polyak's rule and Newton's root
    finder."""
    return (), value_and_grad(oracle, x, g)


# -- constant step ------------------------------------------------------------------------------
@jit(inline=True)
def _constant_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - t g"""
    (t,) = params
    return descend(oracle, x, g, t), t, RUNNING


@jit
def gd(oracle, x0, step, control):
    """Gradient descent with a constant step: ``x_{k+1} = x_k - step * grad f(x_k)``.

    Converges on L-smooth convex problems for ``0 < step < 2/L`` (``1/L`` is the textbook
    choice) and diverges on quadratics for ``step > 2/L``.

    Compiled; callable from your own ``@njit`` code::

        control = optbench.make_control(max_iter=500, tol=1e-8)
        x, history, reason, iterations = optbench.solvers.gd(problem.oracle, x0, 0.1, control)

    Reference: Nesterov, *Lectures on Convex Optimization* (2018), section 2.1.5.
    """
    return drive_without_f(oracle, x0, (step,), _gd_init, _constant_step, 0, control)


# -- diminishing steps --------------------------------------------------------------------------
@jit(inline=True)
def _diminishing_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - t0 / (k+1)^power * g"""
    t0, power = params
    t = diminishing(t0, power, k)
    return descend(oracle, x, g, t), t, RUNNING


@jit
def gd_diminishing(oracle, x0, t0, power, control):
    """Gradient descent with ``t_k = t0 / (k + 1)^power`` (power 0.5 or 1).

    Steps that shrink like 1/sqrt(k) or 1/k converge without knowing L (slowly); the classic
    choice for non-smooth and stochastic problems. Called like :func:`gd`.

    Reference: Bertsekas, *Nonlinear Programming* (1999), 1.2.
    """
    return drive_without_f(oracle, x0, (t0, power), _gd_init, _diminishing_step, 0, control)


# -- Armijo backtracking ------------------------------------------------------------------------
@jit(inline=True)
def _armijo_init(oracle, x, g, params):
    n = x.shape[0]
    return (np.empty(n), np.empty(n), np.empty(n)), value_and_grad(oracle, x, g)


@jit(inline=True)
def _armijo_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - t g, t the first of t0, t0*shrink, ... with f(x - t g) <= f - c t ||g||^2"""
    d, x_new, g_new = work
    t0, c, shrink, max_trials = params
    for i in range(x.shape[0]):
        d[i] = -g[i]
    return backtracking_step(oracle, x, fx, g, d, x_new, g_new, t0, c, shrink, max_trials,
                             extras, 0)


@jit
def gd_armijo(oracle, x0, t0, c, shrink, max_trials, control):
    """Gradient descent with Armijo backtracking from ``t0`` each iteration.

    Takes the first t in t0, t0*shrink, t0*shrink^2, ... with
    ``f(x - t g) <= f(x) - c t ||g||^2``, so f never increases. The ``trials`` column counts
    function evaluations. Called like :func:`gd`.

    Reference: Armijo, Pacific J. Math. 16 (1966); Nocedal & Wright (2006), Algorithm 3.1.
    """
    return drive(oracle, x0, (t0, c, shrink, max_trials), _armijo_init, _armijo_step, 1,
                 control)


# -- exact line search on quadratics ------------------------------------------------------------
@jit(inline=True)
def _exact_init(oracle, x, g, params):
    n = x.shape[0]
    H = np.empty((n, n))
    hessian(oracle, x, H)
    gradient(oracle, x, g)
    return (H, np.empty(n)), math.nan


@jit(inline=True)
def _exact_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - t g with t = g'g / g'Hg, the minimizer along -g of a quadratic"""
    H, Hg = work
    t = exact_quadratic(H, g, Hg)
    if np.isnan(t):
        return fx, np.nan, NOT_DESCENT
    return descend(oracle, x, g, t), t, RUNNING


@jit
def gd_exact(oracle, x0, control):
    """Steepest descent with exact line search on a quadratic: ``t_k = g'g / g'Ag``.

    Converges at rate ((kappa - 1)/(kappa + 1))^2 per step in f - f*, zig-zagging on
    ill-conditioned problems. Needs a constant Hessian. Called like :func:`gd`.

    Reference: Nocedal & Wright (2006), section 3.3 (steepest descent).
    """
    return drive_without_f(oracle, x0, (), _exact_init, _exact_step, 0, control)


# -- Barzilai-Borwein ---------------------------------------------------------------------------
@jit(inline=True)
def _bb_init(oracle, x, g, params):
    n = x.shape[0]
    state = np.zeros(1)  # the previous step
    gradient(oracle, x, g)
    return (np.empty(n), np.empty(n), np.empty(n), np.empty(n), state), math.nan


@jit(inline=True)
def _bb_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - t g, t = s's/s'y (variant 1) or s'y/y'y (variant 2), t0 at the first step"""
    x_prev, g_prev, s, y, state = work
    variant, t0, t_min, t_max = params
    if k == 0:
        t = t0
    else:
        for i in range(x.shape[0]):
            s[i] = x[i] - x_prev[i]
            y[i] = g[i] - g_prev[i]
        t = barzilai_borwein(s, y, variant, state[0], t_min, t_max)
    state[0] = t
    copy_into(x_prev, x)
    copy_into(g_prev, g)
    return descend(oracle, x, g, t), t, RUNNING


@jit
def gd_bb(oracle, x0, variant, t0, t_min, t_max, control):
    """Gradient descent with Barzilai-Borwein steps (variant 1 or 2), safeguarded.

    ``t_k = s's / s'y`` (1) or ``s'y / y'y`` (2) with s, y the last changes of x and of the
    gradient; ``t0`` for the first step; the step is kept when s'y <= 0 and clipped to
    [t_min, t_max]. Not monotone in f. Called like :func:`gd`.

    Reference: Barzilai & Borwein, IMA J. Numer. Anal. 8 (1988).
    """
    return drive_without_f(oracle, x0, (variant, t0, t_min, t_max), _bb_init, _bb_step, 0,
                           control)


# -- Polyak -------------------------------------------------------------------------------------
@jit(inline=True)
def _polyak_step(oracle, x, g, fx, work, params, k, extras):
    """x <- x - (f - f*) / ||g||^2 * g"""
    (f_star,) = params
    t = polyak(fx, f_star, sumsq(g))
    for i in range(x.shape[0]):
        x[i] -= t * g[i]
    return value_and_grad(oracle, x, g), t, RUNNING


@jit
def gd_polyak(oracle, x0, f_star, control):
    """Gradient descent with Polyak's step ``t_k = (f(x_k) - f*) / ||grad f(x_k)||^2``.

    Needs the optimal value f*. Called like :func:`gd`.

    Reference: Polyak, *Introduction to Optimization* (1987), 5.3.
    """
    return drive(oracle, x0, (f_star,), value_and_grad_init, _polyak_step, 0, control)


# -- the registered solver ----------------------------------------------------------------------
STEP_RULES = ("auto", "1/L", "sqrt", "inverse", "armijo", "exact", "bb1", "bb2", "polyak")


def _requires(problem, what: str, rule: str) -> None:
    raise IncompatibleError(f"step={rule} needs {what}, which problem {problem.name!r} does "
                            "not provide; choose another step rule (option -p step=...)")


def _plan_gd(problem, v) -> Plan:
    if v["step"] == "auto":  # the values as run name the rule taken
        v = {**v, "step": "1/L" if problem.L is not None else "armijo"}
        return dataclasses.replace(_plan_gd(problem, v), values=v)
    step = v["step"]
    if not isinstance(step, str):
        return Plan(gd, (step,))
    if step == "1/L":
        if problem.L is None:
            _requires(problem, "a known Lipschitz constant L", step)
        return Plan(gd, (1.0 / problem.L,))
    if step in ("sqrt", "inverse"):
        return Plan(gd_diminishing, (v["t0"], 0.5 if step == "sqrt" else 1.0))
    if step == "armijo":
        return Plan(gd_armijo, (v["t0"], v["c"], v["shrink"], v["max_trials"]), ("trials",))
    if step == "exact":
        if not problem.quadratic or not problem.has_hessian:
            _requires(problem, "a quadratic objective (constant Hessian)", step)
        return Plan(gd_exact, ())
    if step in ("bb1", "bb2"):
        return Plan(gd_bb, (1 if step == "bb1" else 2, v["t0"], v["bb_min"], v["bb_max"]))
    if problem.f_star is None:  # polyak
        _requires(problem, "a known optimal value f*", step)
    return Plan(gd_polyak, (problem.f_star,))


GD = register_solver(Solver(
    name="gd", entry=gd, family="gradient",
    params=(
        Param("step", "auto", float, "step size, or a rule: auto (1/L when the problem knows "
              "L, else armijo), 1/L, sqrt (t0/sqrt(k+1)), inverse (t0/(k+1)), armijo, exact "
              "(quadratics), bb1, bb2 (Barzilai-Borwein), polyak (needs f*)", low=0.0,
              strict=True, names=STEP_RULES),
        Param("t0", 1.0, float, "first step of armijo, bb1/bb2 and the diminishing rules",
              low=0.0, strict=True),
        *armijo_params(),
        Param("bb_min", 1e-10, float, "smallest Barzilai-Borwein step", low=0.0, strict=True),
        Param("bb_max", 1e10, float, "largest Barzilai-Borwein step", low=0.0, strict=True),
    ),
    summary="gradient descent with a step-size rule (-p step=auto|0.1|1/L|armijo|exact|...)",
    formula="x_{k+1} = x_k - t_k grad f(x_k)",
    reference="Nesterov, Lectures on Convex Optimization (2018), 2.1.5",
    prepare=_plan_gd,
    table_point="x_k; grad_norm: the method's gradient; f: the method's with step=armijo or "
                "polyak, else the loop's, uncounted and untimed",
))

for _name, _rule, _needs, _summary in (
    ("gd-lipschitz", "1/L", {"grad", "L"}, "gradient descent with step 1/L"),
    ("gd-armijo", "armijo", None, "gradient descent with Armijo backtracking"),
    ("gd-exact", "exact", {"grad", "hess", "quadratic"},
     "steepest descent with exact line search (quadratics)"),
    ("gd-bb", "bb1", None, "gradient descent with Barzilai-Borwein steps s's/s'y"),
    ("gd-bb2", "bb2", None, "gradient descent with Barzilai-Borwein steps s'y/y'y"),
    ("gd-polyak", "polyak", {"grad", "f_star"}, "gradient descent with Polyak steps"),
    ("gd-sqrt", "sqrt", None, "gradient descent with steps t0/sqrt(k+1)"),
    ("gd-inverse", "inverse", None, "gradient descent with steps t0/(k+1)"),
):
    register_solver(GD.with_defaults(_name, _summary, needs=_needs, step=_rule))
