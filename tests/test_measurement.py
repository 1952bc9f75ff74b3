"""Measurement the field can cite: evaluation counts, relative tolerances, stated accuracy of
known optima, plateau honesty, scipy-style results, profiles on evaluation budgets."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.optimize
from naive import armijo_gd_counting

import optbench
from optbench import Oracle, Problem, jit
from optbench.plots.profiles import cost_matrix, data_profile, performance_profile


@pytest.fixture(scope="module")
def quad():
    return optbench.make_problem("quadratic", dim=6, cond=50.0, seed=4)


def _last(res, column):
    return float(res.table[column].iloc[-1])


# -- evaluation counts -----------------------------------------------------------------------------
def test_gradient_descent_makes_one_gradient_evaluation_per_iteration(quad):
    """A constant step needs no f: the table's f is evaluated aside, uncounted."""
    res = optbench.run(quad, "gd", step="1/L", max_iter=40, tol=0.0)
    assert _last(res, "ngev") == res.iterations + 1
    assert _last(res, "nhev") == 0 and (res.table["nfev"] == 0).all()
    np.testing.assert_array_equal(res.table["ngev"], res.table["iteration"] + 1)


def test_armijo_counts_equal_an_independent_counting_reference(quad):
    """A NumPy transcription of gradient descent with Armijo backtracking that counts every
    call of f and of the gradient it makes: the same counts as optbench's, row by row."""
    res = optbench.run(quad, "gd-armijo", max_iter=30, tol=0.0, t0=4.0)
    ref = armijo_gd_counting(quad.f, quad.grad, quad.x0, t0=4.0, c=1e-4, shrink=0.5,
                             iterations=30)
    np.testing.assert_array_equal(res.table["nfev"], ref["nfev"])
    np.testing.assert_array_equal(res.table["ngev"], ref["ngev"])
    assert res.table["trials"].iloc[1:].sum() + 1 == _last(res, "nfev")  # 1 + trials


def test_newton_counts_one_hessian_per_iteration(quad):
    for solver in ("newton", "newton-ls", "newton-safe"):
        res = optbench.run("rosenbrock", solver, dim=4, max_iter=8, tol=0.0)
        assert _last(res, "nhev") == res.iterations, solver
        if solver == "newton":  # the pure step needs no f
            assert _last(res, "nfev") == 0 and _last(res, "ngev") == res.iterations + 1
        else:  # the search's trials evaluate f; the gradient only at accepted points
            assert _last(res, "nfev") == 1 + res.table["trials"].iloc[1:].sum()
            assert _last(res, "ngev") == res.iterations + 1


@pytest.mark.parametrize("solver", ["bfgs", "lbfgs", "ncg"])
def test_wolfe_methods_count_the_search_s_evaluations(solver):
    res = optbench.run("rosenbrock", solver, dim=4, max_iter=25, tol=0.0)
    evaluations = 1 + res.table["trials"].iloc[1:].sum()  # each trial is f and grad at once
    assert _last(res, "nfev") == _last(res, "ngev") >= evaluations
    assert _last(res, "nfev") <= evaluations + res.iterations  # + a fallback's re-evaluation


def test_what_only_the_table_needs_is_not_charged(quad):
    nesterov = optbench.run(quad, "nesterov", max_iter=20, tol=0.0)
    # grad f(y_k) only, y_0 = x0 included (the first step's)
    assert _last(nesterov, "ngev") == 21 and _last(nesterov, "nfev") == 0
    cg = optbench.run(quad, "cg", max_iter=4, tol=0.0)  # r_0 = -grad f(x0), then one A p each
    assert (_last(cg, "nfev"), _last(cg, "ngev"), _last(cg, "nhev")) == (0, 5, 1)


def test_batches_count_as_shares_of_a_full_evaluation():
    ls = optbench.make_problem("least-squares", dim=3, samples=30, seed=2)
    res = optbench.run(ls, "sgd", batch_size=7, lr=0.05, max_iter=4, tol=0.0)
    np.testing.assert_array_equal(res.table["nfev"], [0, 1, 2, 3, 4])  # an epoch: m/m
    np.testing.assert_array_equal(res.table["ngev"], res.table["nfev"])


def test_counting_costs_nothing_in_results(quad):
    """The counted and the plain oracle take the same steps (the counts are a side record)."""
    x = quad.x0.copy()
    for _ in range(10):
        x = x - quad.grad(x) / quad.L
    res = optbench.run(quad, "gd", step="1/L", max_iter=10, tol=0.0)
    np.testing.assert_allclose(res.x, x, rtol=1e-13, atol=1e-13)


# -- relative tolerances -------------------------------------------------------------------------
def _scaled(p, factor):
    A, b, c = p.oracle.args
    return Problem(name="scaled", family="quadratic",
                   oracle=Oracle(p.oracle.f, p.oracle.grad, p.oracle.fg, p.oracle.hess,
                                 (factor * A, factor * b, factor * c)),
                   x0=p.x0, formula="scaled", f_star=factor * p.f_star,
                   minimizers=p.minimizers, L=factor * p.L, mu=factor * p.mu)


def test_rtol_and_ftol_stop_where_they_did_on_a_problem_scaled_by_1e5(quad):
    big = _scaled(quad, 1e5)
    for options in ({"rtol": 1e-6, "tol": 0.0}, {"ftol": 1e-12, "tol": 0.0}):
        a = optbench.run(quad, "gd-lipschitz", max_iter=5000, **options)
        b = optbench.run(big, "gd-lipschitz", max_iter=5000, **options)
        assert a.status == b.status == "converged" and a.iterations == b.iterations
        np.testing.assert_allclose(b.x, a.x, rtol=1e-10)
    # the absolute test needs the tolerance scaled to stop at the same place
    a = optbench.run(quad, "gd-lipschitz", tol=1e-6, max_iter=5000)
    b = optbench.run(big, "gd-lipschitz", tol=1e-1, max_iter=5000)
    assert a.iterations == b.iterations


def test_rtol_and_ftol_messages_say_which_test_stopped(quad):
    res = optbench.run(quad, "gd", rtol=1e-3, tol=0.0)
    assert res.status == "converged" and "rtol=0.001" in res.message
    assert res.summary["grad_norm"] <= 1e-3 * float(res.table["grad_norm"].iloc[0])
    res = optbench.run(quad, "gd", step=0.01, ftol=1e-4, tol=0.0, max_iter=10_000)
    assert res.status == "converged" and "ftol=0.0001" in res.message
    f = res.table["f"].to_numpy()
    k = len(f) - 1  # the last window decreased f by at most ftol max(|f|, 1)
    assert f[k - 5] - f[k] <= 1e-4 * max(abs(f[k]), abs(f[k - 5]), 1.0)
    assert f[k - 6] - f[k - 1] > 1e-4 * max(abs(f[k - 1]), abs(f[k - 6]), 1.0)


# -- known optima and their accuracy ---------------------------------------------------------------
@pytest.mark.parametrize("cond", [1e12, 1e16])
@pytest.mark.parametrize("solver", ["cg", "newton", "bfgs", "gd"])
def test_ill_conditioned_optimum_is_honest(cond, solver):
    """No gap below -f_star_tol in any row, and no "converged" from the gap test that f* is
    not known well enough to support."""
    p = optbench.make_problem("quadratic", dim=10, cond=cond)
    res = optbench.run(p, solver, gap_tol=1e-12, max_iter=300, tol=1e-8)
    assert (res.table["gap"] >= -p.f_star_tol).all(), res.table["gap"].min()
    if res.status == "converged":
        assert "f - f*" not in res.message or res.summary["gap"] <= 1e-12


def test_quadratic_optimum_is_exact_to_its_stated_accuracy():
    for cond in (10.0, 1e4, 1e8):
        p = optbench.make_problem("quadratic", dim=8, cond=cond, seed=2)
        A, b, _ = p.oracle.args
        # an independent solve: the exact minimum of the stored problem is -1/2 b'A^-1 b
        x = np.linalg.solve(A, b)
        f_ref = float(x @ A @ x / 2 - b @ x)
        assert abs(p.f_star - f_ref) <= p.f_star_tol + 1e-12 * abs(f_ref) * cond
        assert p.f_star_tol <= 1e-12 * max(1.0, abs(p.f_star)) * cond


@jit
def _plateau_f(x, args):
    return 1.0 - math.exp(-(x[0] * x[0] + x[1] * x[1]))


@jit
def _plateau_grad(x, args, out):
    e = math.exp(-(x[0] * x[0] + x[1] * x[1]))
    out[0] = 2.0 * x[0] * e
    out[1] = 2.0 * x[1] * e


def test_a_gradient_stop_on_a_plateau_says_so():
    p = Problem(name="plateau", family="plateau",
                oracle=Oracle(_plateau_f, _plateau_grad, None, None, ()), x0=[9.0, 9.0],
                formula="1 - exp(-||x||^2)", f_star=0.0, minimizers=([0.0, 0.0],))
    res = optbench.run(p, "gd", step=1.0)
    assert res.status == "converged" and res.iterations == 0  # the gradient underflowed
    assert "far above the known optimum" in res.message and "not solved" in res.message
    assert res.summary["solved"] is False
    near = optbench.run(p, "gd", step=0.5, x0=[0.5, 0.5], tol=1e-9)
    assert near.summary["solved"] is True and "far above" not in near.message


def test_dist_is_the_distance_to_the_nearest_minimizer(quad):
    res = optbench.run(quad, "gd", max_iter=12, record_x=True, tol=0.0)
    np.testing.assert_allclose(res.table["dist"],
                               np.linalg.norm(res.iterates - quad.x_star, axis=1), rtol=1e-12)
    wells = optbench.run("double-well", "gd", step=0.01, max_iter=5, record_x=True, tol=0.0)
    minima = np.array([-math.sqrt(3), math.sqrt(3)])
    expected = np.abs(wells.iterates[:, 0][:, None] - minima[None, :]).min(axis=1)
    np.testing.assert_allclose(wells.table["dist"], expected, rtol=1e-12)
    rosenbrock = optbench.run("rosenbrock", "gd", step=1e-3, max_iter=3, dim=3)
    assert rosenbrock.table["dist"].notna().all()


# -- scipy-style results ---------------------------------------------------------------------------
def _report(res) -> tuple:
    """Code written for scipy.optimize results."""
    return (float(res.fun), int(res.nit), float(res.nfev), float(res.njev), bool(res.success),
            np.asarray(res.jac, dtype=float), np.asarray(res.x, dtype=float))


def test_result_has_scipy_s_names_and_they_agree_with_the_table(quad):
    res = optbench.run("rosenbrock", "bfgs", dim=2, tol=1e-8)
    fun, nit, nfev, njev, success, jac, x = _report(res)
    assert fun == res.table["f"].iloc[-1]
    assert nit == res.iterations == res.table["iteration"].iloc[-1]
    assert nfev == res.table["nfev"].iloc[-1] and njev == res.table["ngev"].iloc[-1]
    assert success and res.code == 0 and res.nhev == 0
    p = optbench.make_problem("rosenbrock", dim=2)
    np.testing.assert_array_equal(jac, p.grad(res.x))
    assert np.linalg.norm(jac) == pytest.approx(res.summary["grad_norm"], rel=1e-12)
    # the same code on scipy's own result of the same method
    ref = scipy.optimize.minimize(p.f, p.x0, jac=p.grad, method="BFGS", options={"gtol": 1e-8})
    s_fun, s_nit, s_nfev, s_njev, s_success, s_jac, s_x = _report(ref)
    assert s_success and success
    np.testing.assert_allclose(x, s_x, atol=1e-6)
    assert res != optbench.run("rosenbrock", "bfgs", dim=2, tol=1e-8)  # identity, no error
    assert res == res
    html = res._repr_html_()
    assert "<table" in html and "rosenbrock" in html and "nfev" in html
    stopped = optbench.run(quad, "gd", max_iter=3, tol=0.0)
    assert not stopped.success and stopped.code == 1


# -- profiles on evaluation budgets ----------------------------------------------------------------
def test_profiles_count_a_seedless_instance_once_and_use_evaluations():
    """Hand-computed: rosenbrock (no seed) run with seeds 0 and 1 is one problem; quadratic
    (seeded) with seeds 0 and 1 is two. Costs in f evaluations to the solved test."""
    rows = []

    def row(instance, seeded, seed, setting, nfev, dim=2, solved=True):
        rows.append({"instance": instance, "seeded": seeded, "seed": seed, "setting": setting,
                     "solved": solved, "dim": dim, "nfev_to_tol": nfev,
                     "iterations_to_tol": nfev, "ngev_to_tol": nfev})

    for seed in (0, 1):
        row("rosenbrock", False, seed, "A", 30)
        row("rosenbrock", False, seed, "B", 60)
    row("quadratic", True, 0, "A", 10)
    row("quadratic", True, 0, "B", 5)
    row("quadratic", True, 1, "A", 20)
    row("quadratic", True, 1, "B", 0, solved=False)
    runs = pd.DataFrame(rows)
    matrix = cost_matrix(runs, "nfev")
    assert len(matrix) == 3  # rosenbrock once, quadratic twice
    assert matrix.loc["rosenbrock", "A"] == 30 and matrix.loc["quadratic seed=1", "B"] == np.inf
    perf = performance_profile(runs, "nfev").set_index(["setting", "tau"])["fraction"]
    assert perf[("A", 1.0)] == pytest.approx(2 / 3) and perf[("B", 1.0)] == pytest.approx(1 / 3)
    assert perf[("B", 2.0)] == pytest.approx(2 / 3)  # never the third
    data = data_profile(runs, "simplex", budgets=[4.0, 10.0, 20.0])
    got = data.set_index(["setting", "budget"])["fraction"]  # budget in (n + 1) = 3 evals
    assert got[("A", 4.0)] == pytest.approx(1 / 3)   # quadratic 0: 10/3
    assert got[("A", 10.0)] == pytest.approx(1.0)   # rosenbrock 30/3 = 10, quadratic 1: 20/3
    assert got[("B", 20.0)] == pytest.approx(2 / 3)  # rosenbrock 60/3 = 20, quadratic 0: 5/3
