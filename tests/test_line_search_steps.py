"""The end of a line-search iteration, written once: backtracking_step (gd-armijo, newton-ls,
newton-safe), wolfe_search then accept (ncg, bfgs, lbfgs), and the Armijo parameters.

References: a NumPy transcription of Armijo backtracking; the strong Wolfe conditions
evaluated independently at the accepted point.
"""

import math

import numpy as np
import pytest

import optbench
from optbench.solvers.line_search import accept, armijo_params, backtracking_step
from optbench.solvers.wolfe import DEFAULT_MAX_EVALS, wolfe_search
from optbench.status import NOT_DESCENT, RUNNING


def _start(p):
    x = p.x0.copy()
    fx, g = p.value_and_grad(x)
    return x, fx, g


def _armijo_reference(f, x, fx, g, d, t0, c, shrink, max_trials):
    """(t, trials) of the first t in t0, t0 shrink, ... with f(x + t d) - f(x) <= c t g.d."""
    t = t0
    for trial in range(1, max_trials + 1):
        if f(x + t * d) - fx <= c * t * (g @ d):
            return t, trial
        t *= shrink
    return None, max_trials


@pytest.mark.parametrize("column", [0, 1])
def test_backtracking_step_moves_to_the_armijo_point_and_records_its_trials(column):
    p = optbench.make_problem("rosenbrock", dim=2)
    x, fx, g = _start(p)
    x0, g0 = x.copy(), g.copy()
    d = -g
    t0, c, shrink, max_trials = 1.0, 1e-4, 0.5, 60
    t_ref, trials_ref = _armijo_reference(p.f, x0, fx, g0, d, t0, c, shrink, max_trials)
    assert trials_ref > 1  # the search backtracked: the test sees the trials counted
    extras = np.full(2, np.nan)
    f_new, t, reason = backtracking_step(p.oracle, x, fx, g, d, np.empty(2), np.empty(2),
                                         t0, c, shrink, max_trials, extras, column)
    assert reason == RUNNING
    assert t == t_ref  # powers of 1/2 times 1: exact in both
    assert extras[column] == trials_ref and np.isnan(extras[1 - column])
    # x, g are now the accepted point and its gradient (one rounding per coordinate in x)
    np.testing.assert_allclose(x, x0 + t_ref * d, rtol=4 * np.finfo(float).eps, atol=0)
    ga = p.grad(x)
    np.testing.assert_allclose(g, ga, rtol=1e-12, atol=1e-12 * np.abs(ga).max())
    assert f_new == pytest.approx(p.f(x), rel=1e-14)
    assert f_new < fx


def test_a_search_that_finds_no_step_leaves_the_iterate_and_reports_why():
    p = optbench.make_problem("rosenbrock", dim=2)
    x, fx, g = _start(p)
    x0, g0 = x.copy(), g.copy()
    d = g.copy()  # an ascent direction: both searches refuse it before evaluating anything
    extras = np.full(1, np.nan)
    f_out, t, reason = backtracking_step(p.oracle, x, fx, g, d, np.empty(2), np.empty(2),
                                         1.0, 1e-4, 0.5, 60, extras, 0)
    assert (f_out, reason, extras[0]) == (fx, NOT_DESCENT, 0) and math.isnan(t)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)

    extras[0] = np.nan
    x_new, g_new = np.empty(2), np.empty(2)
    alpha, f_new, reason = wolfe_search(p.oracle, x, fx, g, d, x_new, g_new, 1.0, 1e-4, 0.9,
                                        extras, 0)
    assert reason == NOT_DESCENT and extras[0] == 0
    f_out, t, reason = accept(x, g, x_new, g_new, fx, f_new, alpha, reason)
    assert (f_out, reason) == (fx, NOT_DESCENT) and math.isnan(t)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)


@pytest.mark.parametrize("c2", [0.9, 0.1])
def test_wolfe_search_then_accept_moves_to_a_strong_wolfe_point(c2):
    p = optbench.make_problem("rosenbrock", dim=2)
    x, fx, g = _start(p)
    x0, g0 = x.copy(), g.copy()
    d = -g / np.linalg.norm(g)
    c1 = 1e-4
    extras = np.full(2, np.nan)
    x_new, g_new = np.empty(2), np.empty(2)
    alpha, f_new, reason = wolfe_search(p.oracle, x, fx, g, d, x_new, g_new, 1.0, c1, c2,
                                        extras, 1)
    assert reason == RUNNING and alpha > 0
    assert 1 <= extras[1] <= DEFAULT_MAX_EVALS and np.isnan(extras[0])
    f_out, t, reason = accept(x, g, x_new, g_new, fx, f_new, alpha, reason)
    assert reason == RUNNING and t == alpha and f_out == f_new
    # the strong Wolfe conditions, evaluated independently at x0 + alpha d
    xa = x0 + alpha * d
    fa, ga = p.f(xa), p.grad(xa)
    assert fa <= fx + c1 * alpha * (g0 @ d) + 1e-12 * abs(fx)
    assert abs(ga @ d) <= c2 * abs(g0 @ d) * (1 + 1e-9)
    np.testing.assert_allclose(x, xa, rtol=4 * np.finfo(float).eps, atol=0)
    np.testing.assert_allclose(g, ga, rtol=1e-12, atol=1e-12 * np.abs(ga).max())


def _backtracking_solvers():
    solvers = [optbench.get_solver(name) for name in optbench.solver_names()]
    return [s for s in solvers if "shrink" in {q.name for q in s.params}]


def test_every_backtracking_solver_declares_the_armijo_parameters_alike():
    solvers = _backtracking_solvers()
    names = {s.name for s in solvers}
    assert {"gd-armijo", "newton-ls", "newton-safe"} <= names
    declared = {p.name: p for p in armijo_params()}
    for s in solvers:
        params = {q.name: q for q in s.params}
        for name, param in declared.items():
            assert params[name] == param, (s.name, name)


@pytest.mark.parametrize("value", ["c=0.6", "shrink=1.0", "max_trials=0"])
def test_bad_armijo_parameters_are_refused_naming_them(value):
    name, text = value.split("=")
    for solver in ("gd-armijo", "newton-ls"):
        with pytest.raises(ValueError, match=name):
            optbench.run("quadratic", solver, **{name: float(text) if "." in text
                                                 else int(text)})
