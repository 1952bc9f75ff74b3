"""Logistic and softmax regression against independent NumPy objectives solved by SciPy; the
on-disk optimum cache; the 2-D test functions' minima; optbench solvers on these problems."""

import os
import sys

import numpy as np
import pytest
import scipy.optimize
from naive import mean_rounding_bound, per_sample_terms
from scipy.special import expit, logsumexp

import optbench
from optbench import optima
from optbench.errors import InvalidValueError
from optbench.registry import fits, get_family

# small instances: the optimum solves and the SciPy references take milliseconds
LOGISTIC = [{"samples": 60, "dim": 3, "seed": 1},
            {"samples": 40, "dim": 6, "lam": 1e-3, "separation": 4.0, "seed": 2}]
SOFTMAX = [{"samples": 60, "dim": 4, "classes": 3, "seed": 2},
           {"samples": 50, "dim": 2, "classes": 5, "lam": 0.1, "seed": 3}]  # classes > dim


@pytest.fixture(scope="module", autouse=True)
def optima_cache(tmp_path_factory):
    """Known optima go to a fresh directory, not the user's cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(optima.ENV_CACHE_DIR, str(tmp_path_factory.mktemp("optima")))
        yield


# -- independent objectives (plain NumPy, written from the formulas) -----------------------------
def logistic_01(theta, X, t, lam):
    """mean of log(1 + e^z) - t z with t in {0, 1}, plus lam/2 ||theta||^2; and its gradient."""
    z = X @ theta[:-1] + theta[-1]
    r = expit(z) - t
    f = np.mean(np.logaddexp(0.0, z) - t * z) + 0.5 * lam * theta @ theta
    g = np.append(X.T @ r, r.sum()) / len(t) + lam * theta
    return f, g


def logistic_pm1(theta, X, y, lam):
    """mean of log(1 + exp(-y z)) with y in {-1, +1}, plus lam/2 ||theta||^2."""
    z = X @ theta[:-1] + theta[-1]
    return np.mean(np.logaddexp(0.0, -y * z)) + 0.5 * lam * theta @ theta


def softmax_ce(theta, X, c, lam, K):
    """mean cross-entropy of softmax(W x + b), theta = (W row-major, b), plus lam/2 ||theta||^2."""
    m, d = X.shape
    W, b = theta[: K * d].reshape(K, d), theta[K * d:]
    Z = X @ W.T + b
    lse = logsumexp(Z, axis=1)
    P = np.exp(Z - lse[:, None])
    P[np.arange(m), c] -= 1.0
    f = np.mean(lse - Z[np.arange(m), c]) + 0.5 * lam * theta @ theta
    g = np.concatenate([(P.T @ X).ravel(), P.sum(axis=0)]) / m + lam * theta
    return f, g


def scipy_minimum(fun, n):
    res = scipy.optimize.minimize(fun, np.zeros(n), jac=True, method="L-BFGS-B",
                                  options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-11,
                                           "maxcor": 30})
    assert np.max(np.abs(res.jac)) < 1e-7, res.message
    return res.x, res.fun


# -- logistic regression ---------------------------------------------------------------------------
@pytest.mark.parametrize("params", LOGISTIC)
def test_logistic_optimum_matches_scipy(params):
    p = optbench.make_problem("logistic-regression", labels="01", **params)
    X, _, lam = p.oracle.args
    t = p.extra["labels"]
    assert set(np.unique(t)) == {0.0, 1.0}
    x, f = scipy_minimum(lambda th: logistic_01(th, X, t, lam), p.dim)
    assert f == pytest.approx(p.f_star, abs=1e-6)
    assert p.f_star <= f + 1e-12  # the reference solve is at least as good as SciPy's
    np.testing.assert_allclose(x, p.x_star, atol=1e-5)  # ||x - x*||^2 <= 2 (f - f*) / lam
    assert logistic_01(p.x_star, X, t, lam)[0] == pytest.approx(p.f_star, rel=1e-12)


def test_label_conventions_give_the_same_function(rng):
    pm = optbench.make_problem("logistic-regression", labels="pm1", **LOGISTIC[0])
    zo = optbench.make_problem("logistic-regression", labels="01", **LOGISTIC[0])
    y, t = pm.extra["labels"], zo.extra["labels"]
    assert set(np.unique(y)) == {-1.0, 1.0} and set(np.unique(t)) == {0.0, 1.0}
    np.testing.assert_array_equal(2 * t - 1, y)
    np.testing.assert_array_equal(zo.oracle.args[1], y)  # solvers always see y in {-1, +1}
    assert pm.f_star == zo.f_star
    np.testing.assert_array_equal(pm.x_star, zo.x_star)
    X, _, lam = pm.oracle.args
    for _ in range(3):
        x = rng.standard_normal(pm.dim)
        # the same compiled functions on the same data: bit for bit (determinism)
        assert pm.f(x) == zo.f(x)
        np.testing.assert_array_equal(pm.grad(x), zo.grad(x))
        f01, g01 = logistic_01(x, X, t, lam)
        assert pm.f(x) == pytest.approx(f01, rel=1e-12)
        assert pm.f(x) == pytest.approx(logistic_pm1(x, X, y, lam), rel=1e-12)
        np.testing.assert_allclose(pm.grad(x), g01, rtol=1e-10, atol=1e-14)
    assert "t_i in {0, 1}" in zo.formula and "y_i in {-1, +1}" in pm.formula


def test_signed_labels_validates():
    module = sys.modules[get_family("logistic-regression").build.__module__]
    np.testing.assert_array_equal(module.signed_labels([0, 1, 1], "01"), [-1.0, 1.0, 1.0])
    np.testing.assert_array_equal(module.signed_labels([-1, 1], "pm1"), [-1.0, 1.0])
    with pytest.raises(InvalidValueError, match="labels"):
        module.signed_labels([-1, 1], "01")
    with pytest.raises(InvalidValueError, match="labels"):
        optbench.make_problem("logistic-regression", labels="+-1")


def test_logistic_is_stable_at_large_margins():
    p = optbench.make_problem("logistic-regression", **LOGISTIC[0])
    x = 1e4 * np.ones(p.dim)  # |z_i| ~ 1e4: exp would overflow in a naive formula
    f, g = p.value_and_grad(x)
    assert np.isfinite(f) and np.all(np.isfinite(g)) and np.all(np.isfinite(p.hess(x)))
    X, y, lam = p.oracle.args
    assert f == pytest.approx(logistic_pm1(x, X, y, lam), rel=1e-12)


# -- softmax regression ---------------------------------------------------------------------------
@pytest.mark.parametrize("params", SOFTMAX)
def test_softmax_optimum_matches_scipy(params):
    p = optbench.make_problem("softmax-regression", **params)
    X, c, lam = p.oracle.args
    K = params["classes"]
    assert p.dim == K * (params["dim"] + 1)
    x, f = scipy_minimum(lambda th: softmax_ce(th, X, c, lam, K), p.dim)
    assert f == pytest.approx(p.f_star, abs=1e-6)
    assert p.f_star <= f + 1e-12
    np.testing.assert_allclose(x, p.x_star, atol=1e-5)
    assert softmax_ce(p.x_star, X, c, lam, K)[0] == pytest.approx(p.f_star, rel=1e-12)


def test_softmax_matches_the_numpy_formula_and_is_stable(rng):
    p = optbench.make_problem("softmax-regression", **SOFTMAX[0])
    X, c, lam = p.oracle.args
    for scale in (1.0, 1e3):  # 1e3: logits ~ 1e3, exp overflows without the max subtracted
        x = scale * rng.standard_normal(p.dim)
        f, g = softmax_ce(x, X, c, lam, 3)
        fx, gx = p.value_and_grad(x)
        assert np.isfinite(fx) and fx == pytest.approx(f, rel=1e-12)
        np.testing.assert_allclose(gx, g, rtol=1e-9, atol=1e-12 * scale)


def test_softmax_needs_a_sample_per_class():
    with pytest.raises(InvalidValueError, match="samples"):
        optbench.make_problem("softmax-regression", samples=3, classes=4)


@pytest.mark.parametrize("name, params", [("logistic-regression", LOGISTIC[0]),
                                          ("softmax-regression", SOFTMAX[0])])
def test_batch_over_all_samples_is_f(name, params, rng):
    p = optbench.make_problem(name, **params)
    m = p.samples
    for _ in range(3):
        x = rng.standard_normal(p.dim)
        out = np.empty(p.dim)
        value = p.oracle.batch(x, p.oracle.args, np.arange(m), out)
        f, g = p.value_and_grad(x)
        # two code paths summing the same per-sample terms: equal up to their rounding
        values, grads = per_sample_terms(p, x)
        assert abs(value - f) <= mean_rounding_bound(values)
        np.testing.assert_array_less(np.abs(out - g), mean_rounding_bound(grads))
        # every f_i carries the L2 term: a one-sample batch is loss_i + lam/2 ||x||^2
        one = p.oracle.batch(x, p.oracle.args, np.array([0]), out)
        assert one > 0.5 * p.oracle.args[2] * x @ x


@pytest.mark.parametrize("name, params", [("logistic-regression", LOGISTIC[0]),
                                          ("softmax-regression", SOFTMAX[0])])
def test_L_and_mu_bound_the_hessian(name, params, rng):
    p = optbench.make_problem(name, **params)
    assert p.mu == p.oracle.args[2] and p.convex and p.smooth
    for scale in (0.0, 0.3, 3.0):
        eig = np.linalg.eigvalsh(p.hess(scale * rng.standard_normal(p.dim)))
        assert eig.max() <= p.L * (1 + 1e-12)
        assert eig.min() >= p.mu * (1 - 1e-9)
    if name == "logistic-regression":  # sigma' <= 1/4 with equality at z = 0: H(0) attains L
        assert np.linalg.eigvalsh(p.hess(np.zeros(p.dim))).max() == pytest.approx(p.L,
                                                                                  rel=1e-12)


def test_which_solvers_fit():
    lr = optbench.make_problem("logistic-regression", **LOGISTIC[0])
    sm = optbench.make_problem("softmax-regression", **SOFTMAX[0])
    assert {"labelled", "finite_sum", "hess", "L"} <= lr.capabilities
    assert "finite_sum" in sm.capabilities and "labelled" not in sm.capabilities
    for solver in ("perceptron", "pocket", "sgd", "newton", "nesterov"):
        assert fits(lr, solver) is None
    assert fits(sm, "perceptron") is not None
    assert fits(lr, "cg") is not None  # not a quadratic


# -- the optimum cache ---------------------------------------------------------------------------
class CountingSolve:
    def __init__(self, x=(1.0, 2.0), f=0.5):
        self.calls = 0
        self.result = (np.array(x), f)

    def __call__(self):
        self.calls += 1
        return self.result


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(optima.ENV_CACHE_DIR, str(tmp_path / "optima"))
    return tmp_path / "optima"


def test_second_call_reads_the_cache(cache):
    solve = CountingSolve()
    key = ("family", {"dim": 2, "lam": 0.1}, np.arange(6.0).reshape(3, 2))
    x1, f1 = optima.reference_optimum(key, solve, version="v1")
    x2, f2 = optima.reference_optimum(key, solve, version="v1")
    assert solve.calls == 1
    np.testing.assert_array_equal(x1, x2)
    assert f1 == f2 == 0.5
    assert [p.suffix for p in cache.iterdir()] == [".npz"]  # no temporary file left behind
    optima.reference_optimum(key, solve, version="v2")  # another version: solved again
    assert solve.calls == 2


def test_key_covers_data_bytes_shape_dtype_and_parameters():
    A = np.arange(6.0).reshape(3, 2)
    base = optima.instance_key(("f", {"lam": 0.1}, A), "v1")
    assert optima.instance_key(("f", {"lam": 0.1}, A.copy()), "v1") == base
    assert optima.instance_key(("f", {"lam": 0.1}, np.asfortranarray(A)), "v1") == base
    B = A.copy()
    B[2, 1] += 1e-12
    changed = [("f", {"lam": 0.1}, B), ("f", {"lam": 0.1}, A.reshape(2, 3)),
               ("f", {"lam": 0.1}, A.astype(np.float32)), ("f", {"lam": 0.2}, A),
               ("f", {"lam": 0.1, "seed": 1}, A), ("g", {"lam": 0.1}, A)]
    keys = {optima.instance_key(k, "v1") for k in changed}
    assert len(keys) == len(changed) and base not in keys
    assert optima.instance_key(("f", {"lam": 0.1}, A), "v2") != base
    assert optima.instance_key((1,)) != optima.instance_key((1.0,))
    assert optima.instance_key(("1",)) != optima.instance_key((1,))


def test_changed_data_is_solved_again(cache):
    solve = CountingSolve()
    A = np.ones((4, 2))
    optima.reference_optimum(("f", A), solve)
    A[0, 0] = 2.0
    optima.reference_optimum(("f", A), solve)
    assert solve.calls == 2 and len(list(cache.glob("*.npz"))) == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong-key", "wrong-dim"])
def test_corrupt_cache_file_is_ignored_and_rewritten(cache, damage):
    solve = CountingSolve()
    key = ("f", np.arange(3.0))
    optima.reference_optimum(key, solve, dim=2)
    (path,) = cache.glob("*.npz")
    good = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not an npz file")
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "wrong-key":  # another instance's entry under this name
        other = cache / "other"
        other.mkdir()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(optima.ENV_CACHE_DIR, str(other))
            optima.reference_optimum(("g",), CountingSolve((9.0, 9.0), 9.0))
        path.write_bytes(next(other.glob("*.npz")).read_bytes())
    elif damage == "wrong-dim":  # the right key, but an x* of another length
        np.savez(path.with_suffix(".tmp.npz"), key=np.array(path.stem), x_star=np.ones(3),
                 f_star=np.array(0.5))
        os.replace(path.with_suffix(".tmp.npz"), path)
    x, f = optima.reference_optimum(key, solve, dim=2)
    assert solve.calls == 2
    np.testing.assert_array_equal(x, [1.0, 2.0])
    assert path.read_bytes() != b"not an npz file"
    optima.reference_optimum(key, solve, dim=2)  # rewritten: read back, not solved again
    assert solve.calls == 2


def test_unwritable_cache_dir_falls_back_with_a_warning(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a directory cannot be created below a file (even by root)
    monkeypatch.setenv(optima.ENV_CACHE_DIR, str(blocker / "optima"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # where the fallback goes
    solve = CountingSolve()
    with caplog.at_level("WARNING", logger="optbench"):
        x, f = optima.reference_optimum(("f",), solve)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    assert "OPTBENCH_CACHE_DIR" in caplog.text and "is not used for the optima" in caplog.text
    fallback = tmp_path / f"optbench-{os.getuid()}" / "optima"
    assert [p.suffix for p in fallback.iterdir()] == [".npz"]
    optima.reference_optimum(("f",), solve)  # read back from the private fallback
    assert solve.calls == 1


def test_optimum_cache_that_others_can_write_is_never_read(tmp_path, monkeypatch, caplog):
    planted = tmp_path / "shared"
    planted.mkdir()
    os.chmod(planted, 0o777)
    monkeypatch.setenv(optima.ENV_CACHE_DIR, str(planted))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    key = optima.instance_key(("f",), "")
    np.savez(planted / f"{key}.npz", key=np.array(key), x_star=np.array([9.0, 9.0]),
             f_star=np.array(-1e9))  # another user's lie
    with caplog.at_level("WARNING", logger="optbench"):
        x, f = optima.reference_optimum(("f",), CountingSolve())
    np.testing.assert_array_equal(x, [1.0, 2.0])  # solved, not read from there
    assert "other users can write it" in caplog.text


def test_non_finite_optimum_is_refused_and_not_cached(cache):
    with pytest.raises(ValueError, match="non-finite"):
        optima.reference_optimum(("f",), CountingSolve((np.nan, 1.0), 0.0))
    assert not cache.exists() or not list(cache.iterdir())


@pytest.mark.skipif(sys.platform != "linux", reason="XDG layout")
def test_default_cache_dir(tmp_path, monkeypatch):
    monkeypatch.delenv(optima.ENV_CACHE_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert optima.cache_dir() == tmp_path / "optbench" / "optima"
    monkeypatch.setenv(optima.ENV_CACHE_DIR, str(tmp_path / "mine"))
    assert optima.cache_dir() == tmp_path / "mine"


def test_power_iteration_estimates_the_squared_norm(rng):
    X = rng.standard_normal((200, 30)) + 0.5  # a mean offset: a well separated top eigenvalue
    exact = np.linalg.norm(X, 2) ** 2
    estimate = optima.power_iteration_norm(X, 200, 0)
    assert estimate == pytest.approx(exact, rel=1e-9)
    assert estimate <= exact * (1 + 1e-12)  # from below
    assert optima.power_iteration_norm(np.zeros((3, 2)), 10, 0) == 0.0


def test_newton_minimize():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    x, f = optima.newton_minimize(lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b),
                                  lambda x: A, np.zeros(2))
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-14)
    # log-sum-exp plus a small quadratic: needs the line search from far away
    c = np.array([1.0, -2.0, 0.5])

    def fg(x):
        e = np.exp(c * x[0] + x[1] - np.max(c * x[0] + x[1]))
        p = e / e.sum()
        return (np.log(e.sum()) + np.max(c * x[0] + x[1]) + 0.05 * x @ x,
                np.array([p @ c, 1.0]) + 0.1 * x)

    def hess(x):
        e = np.exp(c * x[0] + x[1] - np.max(c * x[0] + x[1]))
        p = e / e.sum()
        v = p @ (c * c) - (p @ c) ** 2
        return np.array([[v, 0.0], [0.0, 0.0]]) + 0.1 * np.eye(2)

    x, f = optima.newton_minimize(fg, hess, np.array([30.0, -40.0]))
    assert np.linalg.norm(fg(x)[1]) <= 1e-12
    with pytest.raises(RuntimeError, match="not positive definite"):
        optima.newton_minimize(lambda x: (-x @ x, -2 * x), lambda x: -2 * np.eye(2),
                               np.ones(2))


# -- 2-D test functions ----------------------------------------------------------------------------
FORMULAS = {  # written from Jamil & Yang (2013), independently of problems/functions_2d.py
    "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    "beale": lambda x, y: ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
                           + (2.625 - x + x * y**3) ** 2),
    "booth": lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
    "three-hump-camel": lambda x, y: 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2,
}
KNOWN_MINIMA = {"himmelblau": 4, "beale": 1, "booth": 1, "three-hump-camel": 1}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_test_function_matches_its_formula_and_minima(name, rng):
    p = optbench.make_problem(name)
    assert p.dim == 2 and p.f_star == 0.0 and len(p.minimizers) == KNOWN_MINIMA[name]
    for _ in range(5):
        x = rng.uniform(-3, 3, 2)
        assert p.f(x) == pytest.approx(FORMULAS[name](*x), rel=1e-13, abs=1e-13)
    for m in p.minimizers:
        assert FORMULAS[name](*m) <= 1e-24
        assert np.linalg.norm(p.grad(m)) <= 1e-12
        assert np.linalg.eigvalsh(p.hess(m)).min() > 0  # a strict minimum, not a saddle
        res = scipy.optimize.minimize(p.f, m + 0.05 * rng.standard_normal(2), jac=p.grad,
                                      method="BFGS", options={"gtol": 1e-10})
        np.testing.assert_allclose(res.x, m, atol=1e-6)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_minimizers_are_all_the_global_minima(name):
    """Multi-start over the search domain: every start that reaches f* lands on a listed
    minimizer (none missing from the list), and every listed one is reached."""
    p = optbench.make_problem(name)
    (xlo, xhi), (ylo, yhi) = p.extra["domain"]
    found = set()
    for x0 in np.linspace(xlo, xhi, 9)[1:-1]:
        for y0 in np.linspace(ylo, yhi, 9)[1:-1]:
            res = scipy.optimize.minimize(lambda z: FORMULAS[name](*z), [x0, y0], jac=p.grad,
                                          method="BFGS", options={"gtol": 1e-10})
            if res.fun <= 1e-12:
                dist = [np.linalg.norm(res.x - m) for m in p.minimizers]
                assert min(dist) <= 1e-5, f"unlisted global minimum near {res.x}"
                found.add(int(np.argmin(dist)))
    assert found == set(range(len(p.minimizers)))


def test_camel_local_minima_are_not_global():
    p = optbench.make_problem("three-hump-camel")
    for m in p.extra["local_minima"]:
        assert np.linalg.norm(p.grad(m)) <= 1e-12
        assert p.f(m) == pytest.approx(0.298638442236860, rel=1e-12)


def test_booth_is_the_quadratic_it_claims():
    p = optbench.make_problem("booth")
    np.testing.assert_allclose(np.linalg.eigvalsh(p.hess(p.x0)), [p.mu, p.L])
    assert "quadratic" in p.capabilities and p.convex


# -- optbench solvers on these problems -----------------------------------------------------------
def test_newton_converges_on_logistic_regression():
    res = optbench.run("logistic-regression", "newton", tol=1e-10)
    p = optbench.make_problem("logistic-regression")
    assert res.status == "converged" and res.summary["iterations"] <= 10
    np.testing.assert_allclose(res.x, p.x_star, atol=1e-9)
    assert res.summary["gap"] <= 1e-12


def test_bfgs_reaches_a_himmelblau_minimum():
    res = optbench.run("himmelblau", "bfgs", tol=1e-9)
    p = optbench.make_problem("himmelblau")
    assert res.status == "converged"
    assert min(np.linalg.norm(res.x - m) for m in p.minimizers) <= 1e-6
    assert res.summary["gap"] <= 1e-12
