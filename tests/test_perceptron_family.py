"""The perceptron family against theory (Novikoff, XOR is not linearly separable, LMS tends
to least squares) and plain NumPy recomputations of what the tables claim."""

import numpy as np
import pytest
from naive import perceptron_mistakes

import optbench
from optbench import Problem
from optbench.errors import IncompatibleError

# small instances, reused: one compilation per solver
SEPARABLE = {"samples": 120, "dim": 2, "margin": 0.15, "seed": 7}
NOISY = {"samples": 80, "dim": 2, "noise": 0.15, "seed": 3}


def family():
    return [name for name in optbench.solver_names()
            if optbench.get_solver(name).family == "perceptron"]


def _augmented(X):
    return np.column_stack([X, np.ones(len(X))])


def _margin(X, y, w):
    return np.min(y * (_augmented(X) @ w)) / np.linalg.norm(w[:-1])


def _network_output(X, x, hidden, rule):
    """A plain NumPy forward pass of the MADALINE (units (w1, w2, b), +1 at net 0)."""
    W = x.reshape(hidden, 3)
    o = np.where(_augmented(X) @ W.T >= 0.0, 1, -1)
    positive = np.sum(o > 0, axis=1)
    return np.where(positive > 0 if rule == "or" else 2 * positive > hidden, 1.0, -1.0)


def _xor_for_one_unit():
    """The XOR points as a linear-classifier problem (the perceptron criterion's oracle)."""
    q = optbench.make_problem("madaline")
    X, y = q.oracle.args[:2]
    o = optbench.make_problem("perceptron").oracle
    return Problem(name="xor-linear", family="perceptron",
                   oracle=o._replace(args=(X.copy(), y.copy())), x0=np.zeros(3),
                   formula="perceptron criterion on the XOR points", labelled=True,
                   smooth=False, convex=True)


def test_family_is_registered_with_mistakes_and_margin():
    names = family()
    assert {"perceptron", "batch-perceptron", "pocket", "adaline", "madaline"} <= set(names)
    for name in names:
        solver = optbench.get_solver(name)
        assert "labelled" in solver.needs
        assert {"mistakes", "errors", "margin"} <= set(solver.columns)


def test_perceptron_tables_say_what_the_weights_do():
    p = optbench.make_problem("perceptron", **SEPARABLE)
    res = optbench.run(p, "perceptron", max_iter=500)
    X, y = p.oracle.args
    assert res.status == "converged"
    last = res.table.iloc[-1]
    assert last["mistakes"] == last["errors"] == perceptron_mistakes(X, y, res.x) == 0
    assert last["margin"] == pytest.approx(_margin(X, y, res.x), rel=1e-12)
    assert 0 < last["margin"]


def test_pocket_runs_the_perceptron_and_obeys_novikoff():
    """On separable data the pocket's w follows Rosenblatt's rule exactly (same seed), so it
    makes the same mistakes, at most (R/gamma)^2 in all, and ends in the pocket."""
    p = optbench.make_problem("perceptron", **SEPARABLE)
    rule = optbench.run(p, "perceptron", seed=2, max_iter=500)
    pocket = optbench.run(p, "pocket", seed=2, max_iter=500)
    assert rule.status == pocket.status == "converged"
    np.testing.assert_array_equal(pocket.table["mistakes"], rule.table["mistakes"])
    # two solvers adding the same y_i x_i in the same order: equal up to their rounding
    # (each coordinate a sum of at most `mistakes` terms of size <= R)
    R = np.abs(p.oracle.args[0]).max() + 1.0
    mistakes = rule.table["mistakes"].sum()
    np.testing.assert_allclose(pocket.x, rule.x, rtol=0,
                               atol=2 * mistakes * np.finfo(float).eps * mistakes * R)
    X, y = p.oracle.args
    gamma = np.min(y * (X @ p.extra["w_true"]))  # (w*, 0): a unit vector on the points (x, 1)
    assert gamma >= p.extra["margin"] * (1 - 1e-12)
    assert 0 < pocket.table["mistakes"].sum() <= (p.extra["radius"] / gamma) ** 2
    assert pocket.table["errors"].iloc[-1] == 0


def test_pocket_keeps_the_best_weights_on_noisy_data():
    p = optbench.make_problem("perceptron", **NOISY)
    X, y = p.oracle.args
    res = optbench.run(p, "pocket", max_iter=60, seed=1)
    t = res.table.iloc[1:]
    assert res.status == "max_iter"
    assert np.all(np.diff(t["errors"]) <= 0)  # the ratchet: never worse
    assert t["errors"].iloc[-1] <= t["current_errors"].min()  # no worse than the best epoch
    assert t["errors"].iloc[-1] == perceptron_mistakes(X, y, res.x)  # the returned weights
    assert res.table["f"].iloc[-1] == pytest.approx(p.f(res.x), rel=1e-12)
    assert t["margin"].iloc[-1] == pytest.approx(_margin(X, y, res.x), rel=1e-12)
    # the flipped labels are all wrong for w_true: the pocket is at most that far off
    assert t["errors"].iloc[-1] <= len(p.extra["flipped"])


def test_batch_perceptron_is_gradient_descent_on_the_criterion():
    """w += eta sum_{mistakes} y_i (x_i, 1), checked against a plain NumPy loop."""
    p = optbench.make_problem("perceptron", **SEPARABLE)
    X, y = p.oracle.args
    Xa = _augmented(X)
    res = optbench.run(p, "batch-perceptron", eta=0.1, max_iter=2000)
    assert res.status == "converged" and perceptron_mistakes(X, y, res.x) == 0
    w = p.x0.copy()
    mistakes = []
    for _ in range(res.iterations):
        wrong = y * (Xa @ w) <= 0
        mistakes.append(wrong.sum())
        step = 0.1 * (y[wrong] @ Xa[wrong])
        np.testing.assert_allclose(step, -0.1 * len(y) * p.grad(w), atol=1e-12)  # GD, eta*m
        w = w + step
    np.testing.assert_allclose(res.x, w, rtol=1e-10, atol=1e-12)
    assert list(res.table["mistakes"].iloc[1:]) == mistakes
    assert mistakes[-1] == 0


def test_adaline_tends_to_the_least_squares_fit_of_the_labels():
    p = optbench.make_problem("perceptron", **NOISY)
    X, y = p.oracle.args
    Xa = _augmented(X)
    w_ls = np.linalg.lstsq(Xa, y, rcond=None)[0]
    mse_ls = np.mean((Xa @ w_ls - y) ** 2)
    res = optbench.run(p, "adaline", eta=0.2, decay="inverse", max_iter=400)
    assert np.linalg.norm(res.x - w_ls) < 1e-3 * np.linalg.norm(w_ls)
    t = res.table
    assert t["mse"].iloc[-1] == pytest.approx(mse_ls, rel=1e-6)
    assert t["mse"].iloc[-1] == pytest.approx(np.mean((Xa @ res.x - y) ** 2), rel=1e-12)
    assert t["errors"].iloc[-1] == perceptron_mistakes(X, y, res.x)
    # a constant rate hovers around the fit, closer for a smaller rate (misadjustment ~ eta)
    far = optbench.run(p, "adaline", eta=0.1, max_iter=100)
    near = optbench.run(p, "adaline", eta=0.01, max_iter=100)
    assert np.linalg.norm(near.x - w_ls) < np.linalg.norm(far.x - w_ls)


def test_no_line_separates_xor():
    """XOR is not linearly separable: the rule never has a clean epoch and the best line
    (pocket) misclassifies at least one of the four points."""
    xor = _xor_for_one_unit()
    rule = optbench.run(xor, "perceptron", max_iter=100)
    assert rule.status == "max_iter" and (rule.table["mistakes"].iloc[1:] > 0).all()
    best = optbench.run(xor, "pocket", max_iter=100)
    assert best.table["errors"].iloc[-1] >= 1


def test_madaline_learns_xor_from_some_seeds():
    solved = 0
    for seed in range(8):
        p = optbench.make_problem("madaline", seed=seed)
        X, y = p.oracle.args[:2]
        res = optbench.run(p, "madaline", seed=seed, max_iter=200)
        t = res.table
        wrong = np.sum(_network_output(X, res.x, 2, "or") != y)
        assert t["errors"].iloc[-1] == wrong == round(p.f(res.x) * len(y))
        if res.status == "converged":
            solved += 1
            assert wrong == 0 and t["mistakes"].iloc[-1] == 0 and t["margin"].iloc[-1] > 0
    assert solved >= 4


def test_madaline_on_noisy_xor_with_a_majority_output():
    p = optbench.make_problem("madaline", samples=40, noise=0.2, hidden=3, output="majority",
                              seed=1)
    X, y = p.oracle.args[:2]
    assert p.f(p.extra["solution"]) == 0.0 == p.f_star
    res = optbench.run(p, "madaline", max_iter=300)
    assert res.status == "converged"
    assert np.all(_network_output(X, res.x, 3, "majority") == y)


@pytest.mark.parametrize("params", [{}, {"hidden": 4, "output": "majority"},
                                    {"samples": 30, "noise": 0.3, "hidden": 3}])
def test_madaline_problem_counts_errors_like_numpy(params, rng):
    p = optbench.make_problem("madaline", **params)
    X, y = p.oracle.args[:2]
    H, rule = p.extra["network"]["hidden"], p.extra["network"]["output"]
    for _ in range(5):
        x = rng.standard_normal(p.dim)
        assert p.f(x) == np.mean(_network_output(X, x, H, rule) != y)
        assert not p.grad(x).any()
    assert p.f(p.extra["solution"]) == 0.0 or p.f_star is None


def test_solvers_refuse_the_wrong_kind_of_weights():
    with pytest.raises(IncompatibleError, match="dimension"):
        optbench.run("madaline", "pocket")
    with pytest.raises(IncompatibleError, match="threshold units"):
        optbench.run("perceptron", "madaline")
