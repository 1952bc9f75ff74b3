"""Gradient descent with its step-size rules, and momentum methods, against theory and
plain NumPy implementations."""

import math

import numpy as np
import pytest
from naive import gd_reference

import optbench
from optbench.errors import IncompatibleError


@pytest.fixture(scope="module")
def quad():
    return optbench.make_problem("quadratic", dim=8, cond=50.0, seed=4)


def test_step_two_over_L_plus_mu_contracts_at_the_theoretical_rate(quad):
    kappa = quad.L / quad.mu
    q = (kappa - 1) / (kappa + 1)
    e0 = np.linalg.norm(quad.x0 - quad.x_star)
    for k in (1, 5, 20, 80):
        res = optbench.run(quad, "gd", step=2.0 / (quad.L + quad.mu), max_iter=k, tol=0.0)
        assert np.linalg.norm(res.x - quad.x_star) <= q ** k * e0 * (1 + 1e-9)


def test_armijo_never_increases_f():
    for name in ("rosenbrock", "quadratic", "xor-mlp"):
        res = optbench.run(name, "gd-armijo", max_iter=300)
        f = res.table["f"].to_numpy()
        assert np.all(np.diff(f) <= 0.0), name
        assert res.table["trials"].iloc[1:].min() >= 1


def test_armijo_steps_satisfy_sufficient_decrease():
    p = optbench.make_problem("rosenbrock", dim=2)
    res = optbench.run(p, "gd-armijo", max_iter=50, c=0.3, t0=1.0)
    t = res.table
    for k in range(1, len(t)):
        step, f_prev, g_prev = t["step"][k], t["f"][k - 1], t["grad_norm"][k - 1]
        assert t["f"][k] - f_prev <= -0.3 * step * g_prev ** 2 * (1 - 1e-9)


def test_exact_line_search_matches_numpy_steepest_descent(quad):
    A, b, _ = quad.oracle.args
    x = quad.x0.copy()
    for _ in range(25):
        g = A @ x - b
        x = x - (g @ g) / (g @ A @ g) * g
    res = optbench.run(quad, "gd-exact", max_iter=25, tol=0.0)
    np.testing.assert_allclose(res.x, x, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("variant", [1, 2])
def test_barzilai_borwein_matches_numpy(quad, variant):
    A, b, _ = quad.oracle.args
    x_prev = quad.x0.copy()
    g_prev = A @ x_prev - b
    x = x_prev - 1.0 * g_prev
    for _ in range(15):
        g = A @ x - b
        s, y = x - x_prev, g - g_prev
        t = (s @ s) / (s @ y) if variant == 1 else (s @ y) / (y @ y)
        x_prev, g_prev, x = x, g, x - t * g
    res = optbench.run(quad, f"gd-bb{'' if variant == 1 else '2'}", max_iter=16, tol=0.0, t0=1.0)
    # BB is not monotone: rounding differences grow a little along the way
    np.testing.assert_allclose(res.x, x, rtol=1e-6, atol=1e-9)


def test_polyak_and_diminishing_steps(quad):
    res = optbench.run(quad, "gd-polyak", max_iter=5000)
    assert res.status == "converged"
    t = res.table
    np.testing.assert_allclose(t["step"][1:4], (t["gap"][:3] / t["grad_norm"][:3] ** 2),
                               rtol=1e-12)
    for name, power in (("gd-sqrt", 0.5), ("gd-inverse", 1.0)):
        res = optbench.run(quad, name, t0=0.5, max_iter=10, tol=0.0)
        np.testing.assert_allclose(res.table["step"][1:], 0.5 / np.arange(1, 11) ** power)
        np.testing.assert_allclose(
            res.x, _gd_schedule(quad, [0.5 / (k + 1) ** power for k in range(10)]), rtol=1e-12)


def _gd_schedule(problem, steps):
    x = problem.x0.copy()
    for t in steps:
        x = x - t * problem.grad(x)
    return x


def test_one_over_L_is_gd_with_that_constant(quad):
    a = optbench.run(quad, "gd", step="1/L", max_iter=40, tol=0.0)
    np.testing.assert_allclose(a.x, gd_reference(quad.grad, quad.x0, 1 / quad.L, 40),
                               rtol=1e-12)
    assert a.table["p_step"].iloc[0] == "1/L"


def test_rules_refuse_problems_that_lack_what_they_need():
    with pytest.raises(IncompatibleError, match="f\\*"):
        optbench.run("saddle", "gd-polyak")
    with pytest.raises(IncompatibleError, match="Lipschitz"):
        optbench.run("rosenbrock", "gd", step="1/L")
    with pytest.raises(IncompatibleError, match="quadratic"):
        optbench.run("rosenbrock", "gd-exact")
    with pytest.raises(IncompatibleError, match="L and mu"):
        optbench.run("rosenbrock", "nesterov", step=1e-3, variant="strongly-convex")


def _iterations_to_gap(solver, cond, **params):
    """Iterations to f - f* <= 1e-6: above the stated accuracy of f* at these conditionings
    (f_star_tol is 8e-8 at cond = 1e4, dim = 30), below which the gap test cannot fire."""
    res = optbench.run("quadratic", solver, dim=30, problem_params={"cond": cond}, tol=0.0,
                       gap_tol=1e-6, max_iter=10**6, record_every=10**6, **params)
    assert res.status == "converged"
    return res.iterations


def test_nesterov_needs_about_sqrt_kappa_iterations():
    conds = (1e2, 1e3, 1e4)
    gd = [_iterations_to_gap("gd", c, step="1/L") for c in conds]
    nag = [_iterations_to_gap("nesterov", c) for c in conds]
    assert nag[-1] < gd[-1] / 20
    for i in (1, 2):  # per factor 10 in kappa: about 10x for GD, about sqrt(10) for Nesterov
        assert 7 < gd[i] / gd[i - 1] < 13
        assert 2 < nag[i] / nag[i - 1] < 5


def test_nesterov_convex_schedule_and_heavy_ball():
    convex = _iterations_to_gap("nesterov", 1e3, variant="convex")
    gd = _iterations_to_gap("gd", 1e3, step="1/L")
    assert convex < gd / 2  # O(1/k^2) without using mu, against GD's (1 - 1/kappa)^k
    hb = _iterations_to_gap("heavy-ball", 1e3, step="optimal", beta="optimal")
    assert hb < 4 * math.sqrt(1e3) * math.log(1e9)


def test_nesterov_matches_numpy(quad):
    A, b, _ = quad.oracle.args
    t = 1 / quad.L
    x_prev = x = quad.x0.copy()
    for k in range(31):
        beta = k / (k + 3)
        y = x + beta * (x - x_prev)
        x_prev, x = x, y - t * (A @ y - b)
    res = optbench.run(quad, "nesterov", variant="convex", max_iter=30, tol=0.0)
    np.testing.assert_allclose(res.x, y, rtol=1e-10, atol=1e-12)  # the run returns y_30
