"""Every registered solver's public compiled entry is callable from a user's @njit code and
gives the same result as optbench.run. Generated from the registry."""

import numba
import numpy as np
import pytest

import optbench
from optbench.params import coerce_all
from optbench.registry import fits, get_solver

# problems tried in this order: the first one a solver fits is used
PREFERRED = ["quadratic", "perceptron", "least-squares", "parabola", "rosenbrock", "xor-mlp"]


@numba.njit
def user_loop(entry, oracle, x0, args, control, repeats):
    """A user's compiled code: run a solver several times from shifted starts."""
    best = np.inf
    x_best = x0.copy()
    for r in range(repeats):
        start = x0 + 0.0 * r
        x, history, reason, k = entry(oracle, start, *args, control)
        if history[-1, 1] < best:
            best = history[-1, 1]
            x_best = x
    return x_best, best


def _plan_on_first_fitting_problem(solver):
    names = PREFERRED + [n for n in optbench.problem_names() if n not in PREFERRED]
    for pname in names:
        problem = optbench.make_problem(pname)
        if fits(problem, solver) is None:
            return pname, solver.plan(problem, coerce_all(solver.params, {}, solver.name))
    raise AssertionError(f"no registered problem fits solver {solver.name!r}")


def _distinct_entries():
    seen = {}
    for name in optbench.solver_names():
        pname, plan = _plan_on_first_fitting_problem(get_solver(name))
        if hasattr(plan.entry, "py_func"):  # compiled (not a Python solver such as scipy's)
            seen.setdefault(plan.entry, (name, pname))
    return sorted(seen.values())


@pytest.mark.slow
@pytest.mark.parametrize("solver, problem", _distinct_entries())
def test_entry_callable_from_user_njit_code(solver, problem):
    p = optbench.make_problem(problem)
    slv = get_solver(solver)
    plan = slv.plan(p, coerce_all(slv.params, {}, solver))
    control = optbench.make_control(max_iter=30, tol=1e-10)
    x, best = user_loop(plan.entry, p.oracle, p.x0, plan.args, control, 2)
    ref = optbench.run(p, solver, max_iter=30, tol=1e-10)
    np.testing.assert_allclose(x, ref.x, rtol=1e-12, atol=1e-14)
    assert best == ref.table["f"].iloc[-1]
