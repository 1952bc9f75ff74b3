"""Every registered problem against independent references: finite differences for gradients
and Hessians, closed forms and NumPy solves for optima. Generated from the registry."""

from pathlib import Path

import numpy as np
import pytest
from naive import fd_gradient, fd_hessian

import optbench
from optbench.errors import InvalidValueError, UnknownNameError

# Extra parameter settings per family, besides the defaults (small instances keep tests fast).
VARIANTS = {
    "quadratic": [{"dim": 1, "cond": 1.0}, {"dim": 6, "cond": 1e3, "seed": 3}],
    "least-squares": [{"dim": 4, "samples": 3, "seed": 1},
                      {"dim": 5, "samples": 40, "cond": 100.0, "noise": 0.0},
                      {"data": "diabetes", "standardize": True}],
    "rosenbrock": [{"dim": 5}],
    "perceptron": [{"dim": 4, "samples": 30, "noise": 0.2, "seed": 2},
                   {"data": "iris", "positive": "setosa"}],
    "xor-mlp": [{"hidden": 3, "seed": 5}],
    "linear-regression": [{"samples": 7, "noise": 0.0, "seed": 4}],
    "madaline": [{"samples": 30, "noise": 0.3, "hidden": 3, "output": "majority", "seed": 1}],
    "logistic-regression": [{"samples": 40, "dim": 3, "labels": "01", "seed": 1},
                            {"data": "iris", "positive": "versicolor", "standardize": True},
                            {"samples": 6, "dim": 8, "lam": 1e-3, "separation": 6.0,
                             "seed": 2}],
    "mlp": [{"samples": 20, "hidden": "4,3", "activation": "sigmoid", "loss": "squared",
             "lam": 0.1, "seed": 1},
            {"data": "iris", "hidden": "5", "activation": "relu", "standardize": True,
             "seed": 2},
            {"data": "regression", "samples": 15, "dim": 3, "hidden": "4", "loss": "squared",
             "lam": 0.01}],
    "softmax-regression": [{"samples": 30, "dim": 3, "classes": 4, "seed": 1},
                           {"data": "iris", "standardize": True, "lam": 0.1},
                           {"samples": 12, "dim": 2, "classes": 3, "lam": 0.1,
                            "separation": 0.0, "seed": 2}],
}


TESTS = Path(__file__).resolve().parent


def own_test_module(name: str) -> Path | None:
    """tests/test_<module>.py when the family's module (problems/<module>.py) has a test file
    of its own, which checks its derivatives with tolerances fitted to its scaling (the
    More-Garbow-Hillstrom set: f up to 1e12)."""
    source = Path(optbench.registry.get_family(name).source.rsplit(":", 1)[0])
    module = TESTS / f"test_{source.stem}.py"
    return module if source.parent.name == "problems" and module.exists() else None


def instances():
    for name in optbench.problem_names():
        if own_test_module(name):
            continue
        yield pytest.param(name, {}, id=f"{name}-default")
        for i, params in enumerate(VARIANTS.get(name, [])):
            yield pytest.param(name, params, id=f"{name}-{i}")


def test_every_family_has_variants_or_is_fixed():
    """New families should get a test variant if they take parameters (or a test module of
    their own)."""
    for name in optbench.problem_names():
        family = optbench.registry.get_family(name)
        if family.params and not own_test_module(name):
            assert name in VARIANTS, f"add parameter variants for {name!r} in VARIANTS"


def _points(problem, rng, count=3):
    scale = 1.0 + np.abs(problem.x0)
    return [problem.x0 + 0.5 * scale * rng.standard_normal(problem.dim) for _ in range(count)]


@pytest.mark.parametrize("name, params", list(instances()))
def test_gradient_matches_finite_differences(name, params, rng):
    problem = optbench.make_problem(name, **params)
    if not problem.gradient:
        pytest.skip(f"{name} has no gradient (piecewise constant)")
    for x in _points(problem, rng):
        g = problem.grad(x)
        ref = fd_gradient(problem.f, x)
        np.testing.assert_allclose(g, ref, rtol=1e-5, atol=1e-6 * (1 + np.abs(ref).max()))
        fx, g2 = problem.value_and_grad(x)
        assert fx == pytest.approx(problem.f(x), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(g2, g, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, params", list(instances()))
def test_hessian_matches_finite_differences(name, params, rng):
    problem = optbench.make_problem(name, **params)
    if not problem.has_hessian:
        pytest.skip(f"{name} has no Hessian")
    for x in _points(problem, rng):
        H = problem.hess(x)
        ref = fd_hessian(problem.grad, x)
        np.testing.assert_allclose(H, ref, rtol=1e-5, atol=1e-5 * (1 + np.abs(ref).max()))
        np.testing.assert_allclose(H, H.T, atol=1e-12)


@pytest.mark.parametrize("name, params", list(instances()))
def test_known_optimum(name, params):
    problem = optbench.make_problem(name, **params)
    if problem.f_star is None:
        assert not problem.minimizers
        return
    for x_star in problem.minimizers:
        assert problem.f(x_star) == pytest.approx(problem.f_star, rel=1e-9, abs=1e-9)
        if problem.gradient:
            assert np.linalg.norm(problem.grad(x_star)) <= 1e-7 * (1 + abs(problem.f_star))


@pytest.mark.parametrize("name, params", list(instances()))
def test_metadata_is_consistent(name, params):
    problem = optbench.make_problem(name, **params)
    assert problem.x0.shape == (problem.dim,)
    assert problem.formula and problem.reference
    assert np.isfinite(problem.f(problem.x0))
    if problem.L is not None and problem.mu is not None:
        assert 0 <= problem.mu <= problem.L
    if problem.has_hessian and problem.convex and problem.L is not None:
        eig = np.linalg.eigvalsh(problem.hess(problem.x0))
        if problem.quadratic:  # a constant Hessian: L and mu are its extreme eigenvalues
            assert eig.max() == pytest.approx(problem.L, rel=1e-8)
            assert eig.min() == pytest.approx(problem.mu, rel=1e-6, abs=1e-10)
        else:  # L and mu bound the Hessian everywhere (here: at x0)
            assert eig.max() <= problem.L * (1 + 1e-8)
            assert eig.min() >= problem.mu * (1 - 1e-6) - 1e-10


def test_quadratic_optimum_and_spectrum():
    p = optbench.make_problem("quadratic", dim=8, cond=1e4, seed=7)
    A, b, c = p.oracle.args
    np.testing.assert_allclose(p.x_star, np.linalg.solve(A, b), rtol=1e-10)
    eig = np.linalg.eigvalsh(A)
    assert eig.max() / eig.min() == pytest.approx(1e4, rel=1e-6)
    assert p.f_star == pytest.approx(-0.5 * b @ np.linalg.solve(A, b), rel=1e-12)


def test_least_squares_optimum_solves_normal_equations():
    p = optbench.make_problem("least-squares", dim=6, samples=30, cond=50.0, seed=2)
    A, y = p.oracle.args
    x = np.linalg.solve(A.T @ A, A.T @ y)
    np.testing.assert_allclose(p.x_star, x, rtol=1e-8)
    s = np.linalg.svd(A, compute_uv=False)
    assert s.max() / s.min() == pytest.approx(50.0, rel=1e-6)


def test_linear_regression_matches_polyfit():
    p = optbench.make_problem("linear-regression", samples=40, seed=1)
    w, b = np.polyfit(p.extra["t"], p.extra["y"], 1)
    np.testing.assert_allclose(p.x_star, [w, b], rtol=1e-9)


def test_indefinite_examples_say_so():
    for name in ("quadratic-2d", "saddle"):
        p = optbench.make_problem(name)
        eig = np.linalg.eigvalsh(p.hess(p.x0))
        assert eig.min() < 0 < eig.max()
        assert "indefinite" in p.notes and not p.convex and p.f_star is None
    eig = np.linalg.eigvalsh(optbench.make_problem("quadratic-2d").hess(np.zeros(2)))
    np.testing.assert_allclose(sorted(eig), [3 - np.sqrt(10), 3 + np.sqrt(10)])


def test_course_functions_closed_forms():
    dw = optbench.make_problem("double-well")
    assert dw.f([np.sqrt(3)]) == pytest.approx(0.0, abs=1e-15)
    assert dw.hess([1.0])[0, 0] == 0.0  # singular Hessian at x = 1
    rat = optbench.make_problem("rational")
    xs = np.linspace(-5, 5, 10001)
    assert xs[np.argmin([rat.f([x]) for x in xs])] == pytest.approx(-1.0, abs=1e-3)
    par = optbench.make_problem("parabola")
    assert par.f([2.0]) == 8.0


@pytest.mark.parametrize("margin, seed", [(0.05, 0), (0.2, 1), (0.3, 4)])
def test_perceptron_data_has_the_requested_margin(margin, seed):
    p = optbench.make_problem("perceptron", samples=200, dim=3, margin=margin, seed=seed)
    X, y = p.oracle.args
    w = p.extra["w_true"]
    assert np.linalg.norm(w) == pytest.approx(1.0)
    assert np.min(y * (X @ w)) >= margin
    assert np.max(np.linalg.norm(X, axis=1)) <= 1.0
    assert set(np.unique(y)) == {-1.0, 1.0}


def test_perceptron_label_noise_flips_labels():
    p = optbench.make_problem("perceptron", samples=100, noise=0.1, seed=0)
    X, y = p.oracle.args
    wrong = np.sum(y * (X @ p.extra["w_true"]) < 0)
    assert wrong == 10 and p.f_star is None


def test_xor_network_solution_exists():
    """Hand-made weights that compute XOR give a small loss: the layout is as documented."""
    p = optbench.make_problem("xor-mlp")
    k = 20.0  # hidden 1 = OR, hidden 2 = AND, output = OR and not AND
    x = np.array([k, k, k, k, -k / 2, -1.5 * k, k, -k, -k / 2])
    assert p.f(x) < 1e-6


def test_unknown_problem_lists_valid_names_and_closest():
    with pytest.raises(UnknownNameError) as info:
        optbench.make_problem("rosenbrok")
    msg = str(info.value)
    assert "'rosenbrock'" in msg and "quadratic" in msg and "Did you mean" in msg


def test_bad_problem_parameters():
    with pytest.raises(InvalidValueError, match="dim"):
        optbench.make_problem("quadratic", dim=0)
    with pytest.raises(InvalidValueError, match="fixed dimension"):
        optbench.make_problem("parabola", dim=3)
    with pytest.raises(UnknownNameError, match="cnd"):
        optbench.make_problem("quadratic", cnd=3)
