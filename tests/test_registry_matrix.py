"""The registry-wide matrix: built-in solvers on small instances of built-in problems they claim
to fit, through ``optbench.check_solver``: a valid status, a well-formed, deterministic
history, a gradient-test stop that is real, and no warnings. Generated from the registry, so a
new solver or a new kind of problem is covered without editing this file.

Compilation dominates: every (solver, kind of problem) pair is compiled once, 2-20 s each, so
the whole matrix (every solver x every kind) takes about an hour on a cold cache and is opt-in
(``pytest -m matrix``); the suite runs every solver on the first problem it fits."""

import warnings
from collections import defaultdict

import pytest

import optbench
from optbench.registry import get_family

# cheap problems first: each solver is checked on the first of these it fits
FIRST_CHOICES = ("quadratic", "least-squares", "logistic-regression", "perceptron", "parabola",
                 "rosenbrock", "madaline", "xor-mlp")


def _kinds() -> list[str]:
    """One problem (the first by name) per kind: module and capabilities (the MGH functions,
    or the 2-D test functions, share their structure)."""
    kinds = defaultdict(list)
    for name in optbench.problem_names():
        caps = optbench.make_problem(name).capabilities
        kinds[(get_family(name).build.__module__, caps)].append(name)
    return sorted(min(names) for names in kinds.values())


def _check(solver: str, problems) -> optbench.checks.SolverReport:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = optbench.check_solver(solver, problems=problems, max_iter=5)
    assert report.passed, "\n".join(report.lines())
    assert not caught, [str(w.message) for w in caught]
    return report


@pytest.mark.slow
@pytest.mark.parametrize("solver", optbench.solver_names())
def test_every_solver_on_the_first_problem_it_fits(solver):
    for name in FIRST_CHOICES:
        if optbench.registry.fits(optbench.make_problem(name), solver) is None:
            _check(solver, [name])
            return
    pytest.fail(f"{solver} fits none of {FIRST_CHOICES}: add a problem it fits")


@pytest.fixture(scope="module")
def kinds() -> list[str]:
    return _kinds()


@pytest.mark.matrix
def test_every_kind_is_represented(kinds):
    assert {"quadratic", "least-squares", "perceptron", "rosenbrock", "mlp"} <= set(kinds)


@pytest.mark.matrix
@pytest.mark.parametrize("solver", optbench.solver_names())
def test_solver_on_every_kind_of_problem_it_fits(solver, kinds):
    _check(solver, kinds)
