"""asv suites from the registry: time and quality of every solver on every problem family.

Parameters come from the registry, never from hand-kept lists:

* family: one problem per module of the catalogue (``problems/*.py``), the one with the most
  size parameters (``dim``, ``samples``), ties by name;
* solver: every registered solver (shortcuts included);
* size: ``small`` = the problem's registered defaults; ``large`` = 10x its default ``samples``
  and (where the family itself sets ``dim``) 10x its ``dim``. A family without a size
  parameter has no ``large`` case.

A case that does not exist (a solver the problem does not fit, a family without a ``large``
size) raises ``NotImplementedError`` in ``setup``: asv reports it as skipped. Nothing else is
caught. Compilation, or loading from numba's disk cache, happens in ``setup`` (a call with
``max_iter=0`` and the argument types of the timed call), never inside a timed function.

``time_run`` times 200 iterations (one history row at each end). ``track_*`` report positive,
lower-is-better numbers of one run to ``||grad f|| <= 1e-6`` (at most 10,000 iterations):
iterations, the final gap f - f* (problems with a known f*) and a diverged flag (0 or 1).
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np

import optbench
from optbench.params import coerce_all
from optbench.registry import get_family, missing_capabilities
from optbench.status import GAP_TOL, GRAD_TOL, NO_MISTAKES, NOT_FINITE

TIME_ITERATIONS = 200     # iterations of time_run
TRACK_TOL = 1e-6          # gradient-norm tolerance of the track_* runs
TRACK_MAX_ITER = 10_000   # their budget; also the iterations reported when a run does not converge
SIZES = ("small", "large")
SIZE_PARAMS = ("dim", "samples")
_CONVERGED = (GRAD_TOL, GAP_TOL, NO_MISTAKES)


def family_representatives() -> list[str]:
    """One problem per catalogue module: the one with the most size parameters, then by name."""
    best: dict[str, tuple[int, str]] = {}
    for name in optbench.problem_names():
        family = get_family(name)
        module = Path(family.source).stem or name
        sized = sum(family.param(p) is not None for p in SIZE_PARAMS)
        key = (-sized, name)
        if module not in best or key < best[module]:
            best[module] = key
    return sorted(name for _, name in best.values())


def size_params(problem_name: str, size: str) -> dict:
    """The problem parameters of ``size`` (empty for small); NotImplementedError if the family
    has no size parameter."""
    if size == "small":
        return {}
    family = get_family(problem_name)
    default = optbench.make_problem(problem_name)
    params = {}
    if family.param("samples") is not None and default.samples:
        params["samples"] = 10 * default.samples
    dim = family.param("dim")
    if dim is not None and dim.default is not None:
        params["dim"] = 10 * dim.default
    if not params:
        raise NotImplementedError(f"{problem_name} has no size parameter")
    return params


@cache
def _case(problem_name: str, solver_name: str, size: str):
    """(entry, arguments before control, problem) of one case; NotImplementedError if it does
    not exist."""
    solver = optbench.get_solver(solver_name)
    problem = optbench.make_problem(problem_name, **size_params(problem_name, size))
    missing = missing_capabilities(solver, problem)
    if missing:
        raise NotImplementedError(f"{solver_name} needs {' and '.join(missing)}")
    plan = solver.plan(problem, coerce_all(solver.params, {}, f"solver {solver_name!r}"))
    # every argument passed explicitly and typed as in a real run: one specialisation
    return plan.entry, (problem.oracle, problem.x0, *plan.args), problem


class _Case:
    params = [family_representatives(), optbench.solver_names(), list(SIZES)]
    param_names = ["family", "solver", "size"]

    def setup(self, problem_name, solver_name, size):
        self.entry, self.args, self.problem = _case(problem_name, solver_name, size)
        self.entry(*self.args, optbench.make_control(max_iter=0))  # compile / load from cache


class SolverTime(_Case):
    """Seconds for 200 iterations (tol = 0: every iteration runs unless g is exactly 0)."""

    def setup(self, problem_name, solver_name, size):
        super().setup(problem_name, solver_name, size)
        self.control = optbench.make_control(max_iter=TIME_ITERATIONS, tol=0.0,
                                             record_every=TIME_ITERATIONS)

    def time_run(self, problem_name, solver_name, size):
        self.entry(*self.args, self.control)


class SolverQuality(_Case):
    """One run to ||grad f|| <= 1e-6: iterations, final gap, diverged."""

    def setup(self, problem_name, solver_name, size):
        super().setup(problem_name, solver_name, size)
        control = optbench.make_control(max_iter=TRACK_MAX_ITER, tol=TRACK_TOL,
                                        record_every=TRACK_MAX_ITER)
        _x, self.history, self.reason, self.iterations = self.entry(*self.args, control)

    def track_iterations_to_tol(self, problem_name, solver_name, size):
        """Iterations to convergence; the budget (10,000) when the run did not converge."""
        return int(self.iterations) if self.reason in _CONVERGED else TRACK_MAX_ITER

    track_iterations_to_tol.unit = "iterations"

    def track_final_gap(self, problem_name, solver_name, size):
        """f - f* at the last finite recorded f (0 when below f* by rounding)."""
        f_star = self.problem.f_star
        if f_star is None:
            raise NotImplementedError(f"{problem_name} has no known f*")
        f = self.history[:, 1]
        finite = f[np.isfinite(f)]
        return max(float(finite[-1]) - f_star, 0.0) if finite.size else math.inf

    track_final_gap.unit = "f - f*"

    def track_diverged(self, problem_name, solver_name, size):
        """1 if f or the gradient became inf or NaN, else 0."""
        return int(self.reason == NOT_FINITE)

    track_diverged.unit = "diverged"
