"""Solvers through the shared loop, against theory and independent references."""

import numba
import numpy as np
import pytest
from naive import gd_reference, perceptron_mistakes

import optbench
from optbench.errors import IncompatibleError, InvalidValueError


def test_gd_with_step_one_over_L_reaches_x_star():
    p = optbench.make_problem("quadratic", dim=5, cond=10.0, seed=1)
    res = optbench.run(p, "gd", step=1.0 / p.L, tol=1e-10, max_iter=5000)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, p.x_star, atol=1e-9)
    np.testing.assert_allclose(res.x, np.linalg.solve(*p.oracle.args[:2]), atol=1e-9)


def test_gd_iterates_equal_plain_numpy_gd():
    p = optbench.make_problem("rosenbrock", dim=4)
    res = optbench.run(p, "gd", step=1e-3, max_iter=50, tol=0.0)
    ref = gd_reference(p.grad, p.x0, 1e-3, 50)
    np.testing.assert_allclose(res.x, ref, rtol=1e-12)
    assert res.iterations == 50 and res.status == "max_iter"
    assert res.table["f"].iloc[-1] == pytest.approx(p.f(ref), rel=1e-12)


def test_gd_above_two_over_L_diverges_and_keeps_history():
    p = optbench.make_problem("quadratic", dim=4, cond=10.0)
    res = optbench.run(p, "gd", step=2.5 / p.L, max_iter=100_000)
    assert res.status == "diverged"
    t = res.table
    assert len(t) == res.iterations + 1  # every iteration up to the overflow is kept
    assert not np.isfinite(t["f"].iloc[-1]) or not np.isfinite(t["grad_norm"].iloc[-1])
    assert np.all(np.diff(t["grad_norm"].iloc[5:-1]) > 0)  # it really grew


def test_newton_solves_a_quadratic_in_one_step():
    p = optbench.make_problem("quadratic", dim=6, cond=1e3, seed=2)
    res = optbench.run(p, "newton", tol=1e-8)
    assert res.status == "converged" and res.iterations == 1
    np.testing.assert_allclose(res.x, p.x_star, rtol=1e-9, atol=1e-12)


def test_newton_on_a_singular_hessian_fails_with_history():
    p = optbench.make_problem("double-well")  # f''(1) = 0
    res = optbench.run(p, "newton", x0=[1.0])
    assert res.status == "failed" and "singular" in res.message
    assert res.iterations == 0 and len(res.table) == 1
    assert res.table["f"].iloc[0] == pytest.approx(4.0)


def test_newton_stops_at_a_saddle_when_started_near_it():
    """Pure Newton heads for the stationary point of an indefinite quadratic: the saddle."""
    res = optbench.run("saddle", "newton")
    np.testing.assert_allclose(res.x, [0.0, 0.0], atol=1e-12)


def test_perceptron_reaches_zero_mistakes_on_separable_data():
    p = optbench.make_problem("perceptron", samples=150, dim=3, margin=0.1, seed=3)
    res = optbench.run(p, "perceptron", max_iter=1000)
    assert res.status == "converged"
    X, y = p.oracle.args
    assert perceptron_mistakes(X, y, res.x) == 0
    assert res.table["mistakes"].iloc[-1] == 0


def test_perceptron_mistake_bound():
    """Novikoff: at most (R/gamma)^2 updates in all, R = max |(x_i, 1)| and gamma the margin
    of a unit (w*, b*) on the augmented points. The data's w* is a unit vector through the
    origin, so (w*, 0) is a unit vector with the same margin (checked here, not trusted)."""
    p = optbench.make_problem("perceptron", samples=300, dim=2, margin=0.2, seed=5)
    X, y = p.oracle.args
    w = np.asarray(p.extra["w_true"])
    assert np.linalg.norm(w) == pytest.approx(1.0)
    gamma = np.min(y * (X @ w))
    assert gamma >= p.extra["margin"] * (1 - 1e-12)
    R = np.sqrt(1.0 + np.max(np.sum(X * X, axis=1)))
    res = optbench.run(p, "perceptron", max_iter=1000)
    assert res.status == "converged"
    total = res.table["mistakes"].sum()
    assert 0 < total <= (R / gamma) ** 2


@pytest.mark.parametrize("d", [3, 6])
def test_perceptron_mistakes_near_the_novikoff_bound(d):
    """Points +e_i (label +1) and -e_i (label -1): the best margin is 1/sqrt(d) (w* = ones /
    sqrt(d), b* = 0, by symmetry) and R = sqrt(2), so the bound is 2d mistakes; each of the
    d coordinates of w must be learned from a mistake, so at least d are made."""
    from optbench import Problem

    X = np.vstack([np.eye(d), -np.eye(d)])
    y = np.concatenate([np.ones(d), -np.ones(d)])
    o = optbench.make_problem("perceptron").oracle
    p = Problem(name="axes", family="perceptron", oracle=o._replace(args=(X, y)),
                x0=np.zeros(d + 1), formula="perceptron criterion on +-e_i", labelled=True,
                smooth=False, convex=True)
    for seed in range(4):
        res = optbench.run(p, "perceptron", seed=seed, max_iter=100)
        assert res.status == "converged" and perceptron_mistakes(X, y, res.x) == 0
        total = res.table["mistakes"].sum()
        assert d <= total <= (np.sqrt(2.0) * np.sqrt(d)) ** 2 * (1 + 1e-12)


def test_same_seed_same_table():
    a = optbench.run("perceptron", "perceptron", seed=3, max_iter=50)
    b = optbench.run("perceptron", "perceptron", seed=3, max_iter=50)
    c = optbench.run("perceptron", "perceptron", seed=3, max_iter=50, problem_params={})
    cols = ["iteration", "f", "grad_norm", "mistakes"]
    assert a.table[cols].equals(b.table[cols]) and a.table[cols].equals(c.table[cols])


def test_record_every_keeps_first_and_last_rows():
    res = optbench.run("quadratic", "gd", dim=3, max_iter=1000, tol=0.0, record_every=300)
    assert list(res.table["iteration"]) == [0, 300, 600, 900, 1000]
    full = optbench.run("quadratic", "gd", dim=3, max_iter=1000, tol=0.0)
    sub = full.table.set_index("iteration").loc[[0, 300, 600, 900, 1000], "f"]
    # the same compiled code and arithmetic, recorded less often: bit for bit
    np.testing.assert_array_equal(res.table["f"].to_numpy(), sub.to_numpy())


def test_gap_tolerance_stops_when_f_star_is_known():
    res = optbench.run("quadratic", "gd", dim=3, step=1.0, gap_tol=1e-6, tol=0.0)
    assert res.status == "converged" and "f - f*" in res.message
    assert res.table["gap"].iloc[-1] <= 1e-6 < res.table["gap"].iloc[-2]


def test_time_limit_is_an_outcome():
    res = optbench.run("quadratic", "gd", dim=2, tol=0.0, max_iter=10**9, record_every=10**6,
                       time_limit=0.05)
    assert res.status == "time_limit"
    assert 0.05 <= res.table["time"].iloc[-1] < 2.0


def test_solver_that_does_not_fit_is_refused():
    with pytest.raises(IncompatibleError, match="Hessian"):
        optbench.run("xor-mlp", "newton")
    with pytest.raises(IncompatibleError, match="labelled"):
        optbench.run("quadratic", "perceptron")


def test_compiled_solver_is_callable_from_user_njit_code():
    p = optbench.make_problem("quadratic", dim=3, cond=5.0)
    gd = optbench.solvers.gd

    @numba.njit
    def best_step(oracle, x0, steps, control):
        best, best_f = -1.0, np.inf
        for s in steps:
            x, hist, reason, k = gd(oracle, x0, s, control)
            if hist[-1, 1] < best_f:
                best, best_f = s, hist[-1, 1]
        return best, best_f

    control = optbench.make_control(max_iter=20, tol=0.0)
    steps = np.array([0.1, 0.5, 1.0, 1.5])
    best, best_f = best_step(p.oracle, p.x0, steps, control)
    expected = min(steps, key=lambda s: optbench.run(p, "gd", step=s, max_iter=20, tol=0.0).table
                   ["f"].iloc[-1])
    assert best == expected and np.isfinite(best_f)


def test_second_run_does_not_compile_again():
    p = optbench.make_problem("quadratic", dim=3)
    optbench.run(p, "gd")
    entry = optbench.get_solver("gd").entry
    before = len(entry.signatures)
    q = optbench.make_problem("quadratic", dim=7, cond=3.0, seed=9)
    optbench.run(q, "gd", step=0.3, max_iter=10)
    assert len(entry.signatures) == before


def test_run_refuses_bad_values():
    with pytest.raises(InvalidValueError, match="step"):
        optbench.run("quadratic", "gd", step=float("nan"))
    with pytest.raises(InvalidValueError, match="x0"):
        optbench.run("quadratic", "gd", dim=3, x0=[1.0, np.inf, 0.0])
    with pytest.raises(InvalidValueError, match="record_every"):
        optbench.run("quadratic", "gd", max_iter=10**12)


def test_long_history_grows_and_keeps_every_row():
    p = optbench.make_problem("rosenbrock", dim=3)
    res = optbench.run(p, "gd", step=1e-4, max_iter=5000, tol=0.0)
    assert list(res.table["iteration"]) == list(range(5001))
    ref = gd_reference(p.grad, p.x0, 1e-4, 5000)
    assert res.table["f"].iloc[-1] == pytest.approx(p.f(ref), rel=1e-10)
    assert np.all(np.diff(res.table["time"]) >= 0)


def test_make_control_refuses_bad_settings():
    with pytest.raises(InvalidValueError, match="record_every"):
        optbench.make_control(record_every=0)
    with pytest.raises(InvalidValueError, match="max_iter"):
        optbench.make_control(max_iter=-5)
    with pytest.raises(InvalidValueError, match="time_limit"):
        optbench.make_control(time_limit=float("nan"))
    c = optbench.make_control(tol=None, gap_tol=1e-3)  # no f_star: the gap test stays off
    assert c.tol < 0 and c.gap_tol == -np.inf
