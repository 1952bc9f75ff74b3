"""Conjugate gradients, the strong-Wolfe search, BFGS and L-BFGS: theory and scipy.

Compilation dominates the cost of these tests, so they share a few compiled types: every
quadratic is one type, every Rosenbrock (any dimension) another.
"""

import numba
import numpy as np
import pytest
import scipy.optimize

import optbench
from optbench.errors import InvalidValueError
from optbench.solvers.conjugate import cg, ncg
from optbench.solvers.line_search import F_ROUNDING
from optbench.solvers.quasi_newton import bfgs, lbfgs
from optbench.solvers.wolfe import strong_wolfe
from optbench.status import LINE_SEARCH, NOT_DESCENT, PRECISION_LIMIT, RUNNING

LINE_SEARCH_SOLVERS = ("ncg", "ncg-fr", "ncg-pr", "bfgs", "lbfgs")


def _quadratic_system(p):
    A, b, _ = p.oracle.args
    return A, b


# -- linear CG ----------------------------------------------------------------------------------
@pytest.mark.parametrize("cond", [2.0, 10.0, 20.0])
def test_cg_solves_an_spd_system_within_n_plus_one_iterations(cond):
    """Residual ||Ax - b|| <= 1e-10 within n + 1 = 51 steps. In floating point this holds for
    well-conditioned A only: with 50 log-spaced eigenvalues, cond >= 40 needs more than 51
    steps (loss of orthogonality; see the rate test below for badly conditioned A)."""
    n = 50
    p = optbench.make_problem("quadratic", dim=n, cond=cond, seed=1)
    res = optbench.run(p, "cg", tol=1e-10, max_iter=n + 1, record_every=1)
    assert res.status == "converged"
    t = res.table
    assert list(t["iteration"]) == list(range(res.iterations + 1))
    first = int(t.loc[t["grad_norm"] <= 1e-10, "iteration"].iloc[0])
    assert first <= n + 1
    A, b = _quadratic_system(p)
    assert np.linalg.norm(A @ res.x - b) <= 1e-10  # the column is the true residual
    np.testing.assert_allclose(res.x, np.linalg.solve(A, b), atol=1e-9)
    # alpha = r'r / p'Ap > 0 and the A-norm error (the gap) never increases
    assert np.all(t["step"].iloc[1:] > 0)
    gap = t["gap"].to_numpy()
    assert np.all(np.diff(gap) <= 1e-12 * abs(p.f_star))


def test_cg_meets_the_condition_number_rate_bound():
    """||x_k - x*||_A <= 2 rho^k ||x_0 - x*||_A, rho = (sqrt k - 1)/(sqrt k + 1), so
    gap_k <= 4 rho^(2k) gap_0 (gap = f - f* = 1/2 ||x - x*||_A^2), up to f's rounding."""
    cond = 1e4
    p = optbench.make_problem("quadratic", dim=50, cond=cond, seed=2)
    res = optbench.run(p, "cg", tol=1e-10, max_iter=400)
    assert res.status == "converged"
    rho = (np.sqrt(cond) - 1) / (np.sqrt(cond) + 1)
    t = res.table
    k = t["iteration"].to_numpy()
    bound = 4 * rho ** (2 * k) * t["gap"].iloc[0] + 1e-13 * abs(p.f_star)
    assert np.all(t["gap"].to_numpy() <= bound)
    np.testing.assert_allclose(res.x, p.x_star, rtol=1e-6, atol=1e-6)


def test_cg_stops_on_negative_curvature():
    p = optbench.make_problem("saddle")  # A = diag(2, -2)
    res = optbench.run(p, "cg", max_iter=10)
    assert res.status == "failed" and "curvature" in res.message
    assert res.iterations == 1  # the first step has p'Ap > 0; the second direction does not
    assert len(res.table) == 2


# -- the strong-Wolfe line search -----------------------------------------------------------
def _directions(p, x):
    """Descent directions at x: -g, a Newton direction (when descent), random ones."""
    g = p.grad(x)
    out = [-g]
    newton = -np.linalg.solve(p.hess(x), g)
    if newton @ g < 0:
        out.append(newton)
    rng = np.random.default_rng(7)
    for _ in range(3):
        d = rng.standard_normal(x.size)
        out.append(d if d @ g < 0 else -d)
    return out


def _wolfe_cases():
    rb2 = optbench.make_problem("rosenbrock", dim=2)
    rb10 = optbench.make_problem("rosenbrock", dim=10)
    q = optbench.make_problem("quadratic", dim=8, cond=1e3, seed=3)
    return [(rb2, rb2.x0), (rb2, np.array([0.5, 0.9])), (rb10, rb10.x0),
            (q, q.x0), (q, q.x_star + 1.0)]


@pytest.mark.parametrize("c2", [0.9, 0.1, 0.01])
def test_strong_wolfe_accepts_only_steps_meeting_both_conditions(c2):
    c1 = 1e-4
    checked = 0
    for p, x in _wolfe_cases():
        fx, g = p.value_and_grad(x)
        for d in _directions(p, x):
            for alpha0 in (1e-6, 1.0, 1e3):  # too short (bracketing), plausible, too long (zoom)
                x_new, g_new = np.empty_like(x), np.empty_like(x)
                alpha, f_new, evals, reason = strong_wolfe(p.oracle, x, fx, g, d, x_new,
                                                           g_new, alpha0, c1, c2, 50)
                assert reason == RUNNING, (p.name, x, d, alpha0)
                assert alpha > 0 and 1 <= evals <= 50
                # independent evaluations at x + alpha d
                xa = x + alpha * d
                fa, ga = p.f(xa), p.grad(xa)
                gd = g @ d
                assert fa <= fx + c1 * alpha * gd + 1e-12 * abs(fx)
                assert abs(ga @ d) <= c2 * abs(gd) * (1 + 1e-9)
                # the accepted point is what the search wrote
                np.testing.assert_allclose(x_new, xa, rtol=1e-15, atol=0)
                np.testing.assert_allclose(g_new, ga, rtol=1e-12, atol=1e-12 * np.abs(ga).max())
                assert f_new == pytest.approx(fa, rel=1e-14, abs=1e-14)
                checked += 1
    assert checked >= 60


def test_strong_wolfe_refuses_an_ascent_or_flat_direction():
    p = optbench.make_problem("rosenbrock", dim=2)
    x = p.x0.copy()
    fx, g = p.value_and_grad(x)
    for d in (g.copy(), np.array([g[1], -g[0]]), np.zeros(2)):  # ascent, orthogonal, zero
        d_before, g_before, x_before = d.copy(), g.copy(), x.copy()
        x_new, g_new = np.full(2, 7.0), np.full(2, 7.0)
        alpha, f_new, evals, reason = strong_wolfe(p.oracle, x, fx, g, d, x_new, g_new, 1.0,
                                                   1e-4, 0.9, 30)
        assert reason == NOT_DESCENT and evals == 0
        np.testing.assert_array_equal(x_new, 7.0)  # nothing evaluated
        np.testing.assert_array_equal(x, x_before)
        np.testing.assert_array_equal(g, g_before)
        np.testing.assert_array_equal(d, d_before)


def test_strong_wolfe_without_a_decrease_in_its_budget_reports_a_failed_search():
    """Rosenbrock from (-1.2, 1) along -g: steps 1e3 and 1e2 both raise f (two evaluations,
    no point of sufficient decrease): a failure of the search, not of precision, since
    f changes by far more than its rounding there."""
    p = optbench.make_problem("rosenbrock", dim=2)
    fx, g = p.value_and_grad(p.x0)
    assert p.f(p.x0 - 1e3 * g) > fx and p.f(p.x0 - 1e2 * g) > fx
    x_new, g_new = np.empty(2), np.empty(2)
    alpha, _, evals, reason = strong_wolfe(p.oracle, p.x0, fx, g, -g, x_new, g_new, 1e3, 1e-4,
                                           0.1, 2)
    assert reason == LINE_SEARCH and evals == 2
    assert alpha * (g @ g) > F_ROUNDING * abs(fx)  # the shortest trial asked for a real decrease


def test_strong_wolfe_takes_the_lowest_point_when_the_curvature_test_cannot_be_met():
    """c2 = 1e-9 asks for |phi'(alpha)| <= 1e-9 |phi'(0)|, which floating point cannot resolve
    within 6 evaluations; the search then returns its lowest point with sufficient decrease."""
    p = optbench.make_problem("rosenbrock", dim=2)
    x = np.array([0.5, 0.9])
    fx, g = p.value_and_grad(x)
    d = -g
    x_new, g_new = np.empty(2), np.empty(2)
    alpha, f_new, evals, reason = strong_wolfe(p.oracle, x, fx, g, d, x_new, g_new, 1.0, 1e-4,
                                               1e-9, 6)
    assert reason == RUNNING and evals <= 7  # one more when the point must be evaluated again
    assert p.f(x + alpha * d) == pytest.approx(f_new, rel=1e-14)
    assert f_new - fx <= 1e-4 * alpha * (g @ d) < 0  # sufficient and real decrease
    assert abs(p.grad(x + alpha * d) @ d) > 1e-9 * abs(g @ d)  # curvature not met
    np.testing.assert_allclose(x_new, x + alpha * d, rtol=1e-15)


def test_a_search_at_rounding_level_says_precision_limit():
    """At the minimizer of a quadratic (f* = -421.6) every step raises f or leaves it within
    its rounding: the search ends PRECISION_LIMIT, its shortest trial asking for less than
    F_ROUNDING |f|."""
    p = optbench.make_problem("quadratic", dim=50, cond=100.0, seed=0)
    x = p.x_star.copy()
    fx, g = p.value_and_grad(x)
    d = -g
    x_new, g_new = np.empty(50), np.empty(50)
    alpha, _, evals, reason = strong_wolfe(p.oracle, x, fx, g, d, x_new, g_new, 1.0, 1e-4,
                                           0.1, 30)
    assert reason == PRECISION_LIMIT and evals >= 1
    assert alpha * abs(g @ d) <= F_ROUNDING * abs(fx)


# -- BFGS and L-BFGS against scipy ------------------------------------------------------------
SCIPY = {"bfgs": ("BFGS", {"gtol": 1e-9}),
         "lbfgs": ("L-BFGS-B", {"gtol": 1e-9, "ftol": 1e-15, "maxcor": 10})}


@pytest.mark.parametrize("solver", ["bfgs", "lbfgs"])
@pytest.mark.parametrize("dim, start", [(2, "standard"), (10, "zeros"), (10, "standard")])
def test_quasi_newton_matches_scipy_on_rosenbrock(solver, dim, start):
    p = optbench.make_problem("rosenbrock", dim=dim)
    x0 = p.x0 if start == "standard" else np.zeros(dim)
    res = optbench.run(p, solver, x0=x0, tol=1e-8, max_iter=1000)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, p.x_star, atol=1e-6)
    method, options = SCIPY[solver]
    ref = scipy.optimize.minimize(p.f, x0, jac=p.grad, method=method, options=options)
    if solver == "bfgs" and dim == 10 and start == "standard":
        # scipy's BFGS keeps H_0 = I (no s'y/y'y scaling): from this start it takes another
        # path, into the local minimum near x_1 = -1 (f about 3.99)
        assert ref.x[0] < -0.9 and ref.fun > 3.9
        return
    np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
    assert res.iterations <= max(2 * ref.nit, ref.nit + 20)
    trials = res.table["trials"].iloc[1:]
    assert np.all(trials >= 1) and np.all(trials == np.round(trials))
    # evaluations: comparable to scipy's too
    assert trials.sum() <= max(2 * ref.nfev, ref.nfev + 40)


def test_quasi_newton_reaches_the_precision_limit_on_a_quadratic():
    """On 1/2 x'Ax - b'x the function-value test of the line search meets f's rounding near
    ||g|| ~ 1e-7 (|f*| ~ 400): tol 1e-6 is reachable, and scipy stops at the same wall."""
    p = optbench.make_problem("quadratic", dim=50, cond=100.0, seed=0)
    for solver in ("bfgs", "lbfgs"):
        res = optbench.run(p, solver, tol=1e-6, max_iter=500)
        assert res.status == "converged", solver
        np.testing.assert_allclose(res.x, p.x_star, atol=1e-4)


def test_lbfgs_with_memory_one_and_bfgs_agree_on_the_first_two_steps():
    """Both take the same first step; with one pair stored the second direction of L-BFGS
    equals BFGS's (H_1 is built from that single pair on gamma I in both)."""
    p = optbench.make_problem("rosenbrock", dim=10)
    a = optbench.run(p, "bfgs", max_iter=2, tol=0.0)
    b = optbench.run(p, "lbfgs", memory=1, max_iter=2, tol=0.0)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-12)
    np.testing.assert_array_equal(a.table["trials"], b.table["trials"])


# -- nonlinear CG -----------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["ncg-fr", "ncg-pr"])
def test_nonlinear_cg_converges_on_rosenbrock(solver):
    p = optbench.make_problem("rosenbrock", dim=2)
    res = optbench.run(p, solver, tol=1e-8, max_iter=1000)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, p.x_star, atol=1e-6)
    ref = scipy.optimize.minimize(p.f, p.x0, jac=p.grad, method="CG", options={"gtol": 1e-9})
    assert res.iterations <= max(2 * ref.nit, ref.nit + 20)


def test_nonlinear_cg_on_a_quadratic_pr_plus_not_much_slower_than_fr():
    """tol = 1e-5: on this instance (|f*| = 421.6) f stops resolving the decrease of a step
    once ||g|| is about 1e-6 (the precision limit, tested below), so the claim is tested
    an order of magnitude above it, where it holds on any CPU."""
    p = optbench.make_problem("quadratic", dim=50, cond=100.0, seed=0)
    its = {}
    for beta in ("fr", "pr+"):
        res = optbench.run(p, "ncg", beta=beta, tol=1e-5, max_iter=2000)
        assert res.status == "converged", beta
        np.testing.assert_allclose(res.x, p.x_star, atol=1e-5 / p.mu)  # ||x - x*|| <= |g|/mu
        its[beta] = res.iterations
    assert its["pr+"] <= 1.5 * its["fr"] + 5
    # with c2 = 0.1 the search is nearly exact: both stay within a small factor of linear CG
    lin = optbench.run(p, "cg", tol=1e-5).iterations
    assert max(its.values()) <= 3 * lin


@pytest.mark.parametrize("solver", [*LINE_SEARCH_SOLVERS, "gd-armijo", "newton-ls",
                                    "newton-safe"])
def test_line_search_solvers_stop_at_the_precision_limit_not_with_a_failure(solver):
    """With the gradient test off, every line-search method runs until f can no longer show
    a decrease: status precision_limit (never converged, never line_search_failed), at a
    point where even a gradient step 1/L would decrease f by less than F_ROUNDING |f|."""
    p = optbench.make_problem("quadratic", dim=50, cond=100.0, seed=0)
    res = optbench.run(p, solver, tol=0.0, max_iter=20_000)
    assert res.status == "precision_limit", res.message
    g = res.summary["grad_norm"]
    assert f"|grad| = {g:.3g}" in res.message and "tol=0 not met" in res.message
    assert g * g / (2 * p.L) <= F_ROUNDING * abs(res.summary["f"])


def test_named_shortcuts_are_ncg_with_other_defaults():
    assert optbench.get_solver("ncg-fr").plan(
        None, {"beta": "fr", "c1": 1e-4, "c2": 0.1}).args == ("fr", 1e-4, 0.1)
    defaults = {name: {p.name: p.default for p in optbench.get_solver(name).params}
                for name in ("ncg", "ncg-fr", "ncg-pr")}
    assert defaults["ncg-fr"]["beta"] == "fr" and defaults["ncg-pr"]["beta"] == "pr+"
    assert defaults["ncg"]["c2"] == 0.1
    for name in ("bfgs", "lbfgs"):
        params = {p.name: p.default for p in optbench.get_solver(name).params}
        assert params["c1"] == 1e-4 and params["c2"] == 0.9
    assert {p.name: p.default for p in optbench.get_solver("lbfgs").params}["memory"] == 10


@pytest.mark.parametrize("solver", LINE_SEARCH_SOLVERS)
def test_bad_wolfe_constants_are_refused_naming_them(solver):
    with pytest.raises(InvalidValueError, match="c1"):
        optbench.run("rosenbrock", solver, c1=0.5, c2=0.4)
    with pytest.raises(InvalidValueError, match="c2"):
        optbench.run("rosenbrock", solver, c2=1.0)
    with pytest.raises(InvalidValueError, match="c1"):
        optbench.run("rosenbrock", solver, c1=0.0)


def test_bad_choices_are_refused_naming_them():
    with pytest.raises(InvalidValueError, match="beta"):
        optbench.run("rosenbrock", "ncg", beta="hs")
    with pytest.raises(InvalidValueError, match="memory"):
        optbench.run("rosenbrock", "lbfgs", memory=0)
    with pytest.raises(optbench.IncompatibleError, match="quadratic"):
        optbench.run("rosenbrock", "cg")


# -- compiled entries, determinism ------------------------------------------------------------
def test_entries_are_callable_from_user_njit_code():
    p = optbench.make_problem("quadratic", dim=4, cond=10.0, seed=4)

    # beta and memory arrive as arguments: a literal "fr" or 3 written in the call would be
    # typed Literal[str] / Literal[int] by numba and compile one more specialization each
    @numba.njit
    def final_points(oracle, x0, fr, pr, memory, control):
        out = np.empty((5, x0.shape[0]))
        out[0] = cg(oracle, x0, control)[0]
        out[1] = ncg(oracle, x0, fr, 1e-4, 0.1, control)[0]
        out[2] = ncg(oracle, x0, pr, 1e-4, 0.1, control)[0]
        out[3] = bfgs(oracle, x0, 1e-4, 0.9, control)[0]
        out[4] = lbfgs(oracle, x0, memory, 1e-4, 0.9, control)[0]
        return out

    control = optbench.make_control(max_iter=100, tol=1e-8)
    out = final_points(p.oracle, p.x0, "fr", "pr+", 3, control)
    for row in out:
        np.testing.assert_allclose(row, p.x_star, atol=1e-6)
    ref = optbench.run(p, "lbfgs", memory=3, max_iter=100, tol=1e-8)
    # compiled inside another function, the same method may round differently: both ends
    # have ||g|| <= 1e-8, so each lies within 1e-8 / mu of x* (strong convexity)
    np.testing.assert_allclose(out[4], ref.x, rtol=0, atol=2e-8 / p.mu)


@pytest.mark.parametrize("solver, problem", [("cg", "quadratic"), ("ncg-fr", "rosenbrock"),
                                             ("ncg-pr", "rosenbrock"), ("bfgs", "rosenbrock"),
                                             ("lbfgs", "rosenbrock")])
def test_same_inputs_same_table(solver, problem):
    a = optbench.run(problem, solver, dim=10, max_iter=300)
    b = optbench.run(problem, solver, dim=10, max_iter=300)
    cols = [c for c in a.table.columns if c != "time"]
    # the same compiled code on the same inputs: bit for bit (determinism)
    assert a.table[cols].equals(b.table[cols])
    np.testing.assert_array_equal(a.x, b.x)
