"""asv suites from the registry: time, evaluations and quality of every solver on every
problem family.

Cases come from the registry, never from hand-kept lists, and only cases that exist are
generated (one parameter, ``case`` = ``family/solver/size``; no grid of n/a):

* family: one problem per module of the catalogue (``problems/*.py``), the one with the most
  size parameters (``dim``, ``samples``), ties by name;
* solver: every registered solver (shortcuts included) that fits that problem;
* size: ``small`` = the problem's registered defaults; ``large`` = 10x its default ``samples``
  and (where the family itself sets ``dim``) 10x its ``dim``, for families that have a size.

Compilation, or loading from numba's disk cache, happens in ``setup`` (a call with
``max_iter=0`` and the argument types of the measured call), never in a measured function.

``SolverTime.track_seconds_per_iteration`` is the solve time read by the clock inside the
compiled loop (so neither the call from Python nor the set-up counts), per iteration of a run
of 200 iterations, the least of 5 runs: a 2x slower solver shows as 2x, however small the
problem. ``SolverQuality.track_*`` report positive, lower-is-better numbers of one run to
``||grad f|| <= 1e-6`` (at most 10,000 iterations): iterations, evaluations of f and of the
gradient (``nfev``, ``ngev``, as counted by optbench), the final gap f - f* (problems with a
known f*) and a diverged flag (0 or 1).
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np

import optbench
from optbench.columns import COL_F, COL_NFEV, COL_NGEV, COL_TIME
from optbench.params import coerce_all
from optbench.registry import fits, fitted_plan, get_family
from optbench.status import GAP_TOL, GRAD_TOL, NO_MISTAKES, REL_GRAD_TOL, diverged, status_of

TIME_ITERATIONS = 200     # iterations of one timed run
TIME_REPEATS = 5          # timed runs per measurement (the least counts)
TRACK_TOL = 1e-6          # gradient-norm tolerance of the track_* runs
TRACK_MAX_ITER = 10_000   # their budget; also the iterations reported when a run does not converge
SIZES = ("small", "large")
SIZE_PARAMS = ("dim", "samples")
_CONVERGED = (GRAD_TOL, REL_GRAD_TOL, GAP_TOL, NO_MISTAKES)


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
def _small(problem_name: str):
    return optbench.make_problem(problem_name)


def _has_size(problem_name: str) -> bool:
    try:
        size_params(problem_name, "large")
    except NotImplementedError:
        return False
    return True


@cache
def cases() -> list[str]:
    """Every ``family/solver/size`` that exists: the solver fits the family's problem, and
    ``large`` only for a family with a size parameter."""
    out = []
    for problem_name in family_representatives():
        for solver_name in optbench.solver_names():
            if fits(_small(problem_name), solver_name) is not None:
                continue
            for size in SIZES:
                if size == "small" or _has_size(problem_name):
                    out.append(f"{problem_name}/{solver_name}/{size}")
    return out


@cache
def _case(case: str):
    """(entry, arguments before control, problem) of one ``family/solver/size`` case."""
    problem_name, solver_name, size = case.split("/")
    solver = optbench.get_solver(solver_name)
    problem = optbench.make_problem(problem_name, **size_params(problem_name, size))
    plan = fitted_plan(problem, solver, coerce_all(solver.params, {}, f"solver {solver_name!r}"))
    # every argument passed explicitly and typed as in a real run: one specialisation
    return plan.entry, (problem.oracle, problem.x0, *plan.args), problem


class _Case:
    params = [cases()]
    param_names = ["case"]

    def setup(self, case):
        self.entry, self.args, self.problem = _case(case)
        self.entry(*self.args, optbench.make_control(max_iter=0))  # compile / load from cache


class SolverTime(_Case):
    """Seconds per iteration of 200 iterations (tol = 0: every iteration runs unless g is
    exactly 0), read by the compiled loop's own clock, the least of 5 runs."""

    def setup(self, case):
        super().setup(case)
        self.control = optbench.make_control(max_iter=TIME_ITERATIONS, tol=0.0,
                                             record_every=TIME_ITERATIONS)

    def track_seconds_per_iteration(self, case):
        best = math.inf
        for _ in range(TIME_REPEATS):
            _x, history, _reason, iterations = self.entry(*self.args, self.control)
            best = min(best, float(history[-1, COL_TIME]) / max(int(iterations), 1))
        return best

    track_seconds_per_iteration.unit = "seconds"


class SolverQuality(_Case):
    """One run to ||grad f|| <= 1e-6: iterations, evaluations, final gap, diverged."""

    def setup(self, case):
        super().setup(case)
        control = optbench.make_control(max_iter=TRACK_MAX_ITER, tol=TRACK_TOL,
                                        record_every=TRACK_MAX_ITER)
        _x, self.history, self.reason, self.iterations = self.entry(*self.args, control)

    def track_iterations_to_tol(self, case):
        """Iterations to convergence; the budget (10,000) when the run did not converge."""
        return int(self.iterations) if self.reason in _CONVERGED else TRACK_MAX_ITER

    track_iterations_to_tol.unit = "iterations"

    def track_nfev(self, case):
        """Evaluations of f of the whole run (optbench's count)."""
        return float(self.history[-1, COL_NFEV])

    track_nfev.unit = "f evaluations"

    def track_ngev(self, case):
        """Evaluations of the gradient of the whole run (optbench's count)."""
        return float(self.history[-1, COL_NGEV])

    track_ngev.unit = "gradient evaluations"

    def track_final_gap(self, case):
        """f - f* at the last finite recorded f (0 when below f* by rounding)."""
        f_star = self.problem.f_star
        if f_star is None:
            raise NotImplementedError(f"{case}: the problem has no known f*")
        f = self.history[:, COL_F]
        finite = f[np.isfinite(f)]
        return max(float(finite[-1]) - f_star, 0.0) if finite.size else math.inf

    track_final_gap.unit = "f - f*"

    def track_diverged(self, case):
        """1 if the run diverged by optbench's one rule (status.diverged: f or the gradient
        became inf or NaN, or the run ended above f(x0) without converging), else 0."""
        f = self.history[:, COL_F]
        return int(diverged(status_of(self.reason), f[-1], f[0]))

    track_diverged.unit = "diverged"
