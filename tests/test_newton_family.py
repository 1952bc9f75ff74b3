"""Newton's method, its safeguarded forms and the root-finding iteration, against theory."""

import importlib

import numpy as np
import pytest

import optbench
from optbench import Oracle, Problem, jit


# f(x) = sum exp(x_i) - b_i x_i: strictly convex, not quadratic, x* = log b
@jit
def _expsum_fg(x, args, out):
    (b,) = args
    s = 0.0
    for i in range(x.shape[0]):
        e = np.exp(x[i])
        s += e - b[i] * x[i]
        out[i] = e - b[i]
    return s


@jit
def _expsum_f(x, args):
    (b,) = args
    s = 0.0
    for i in range(x.shape[0]):
        s += np.exp(x[i]) - b[i] * x[i]
    return s


@jit
def _expsum_grad(x, args, out):
    _expsum_fg(x, args, out)


@jit
def _expsum_hess(x, args, out):
    out[:, :] = 0.0
    for i in range(x.shape[0]):
        out[i, i] = np.exp(x[i])


def expsum(b):
    b = np.asarray(b, dtype=float)
    x_star = np.log(b)
    return Problem(name="expsum", family="expsum",
                   oracle=Oracle(_expsum_f, _expsum_grad, _expsum_fg, _expsum_hess, (b,)),
                   x0=x_star + 0.8, formula="sum exp(x_i) - b_i x_i",
                   f_star=float(np.sum(b - b * x_star)), minimizers=(x_star,), convex=True)


@pytest.mark.parametrize("solver", ["newton", "newton-ls", "newton-safe"])
def test_quadratic_convergence_digits_double(solver):
    p = expsum([0.5, 1.0, 2.0])
    res = optbench.run(p, solver, tol=1e-14, max_iter=50)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, p.x_star, rtol=1e-12, atol=1e-13)
    g = res.table["grad_norm"].to_numpy()
    digits = -np.log10(g[(g < 0.3) & (g > 1e-13)])
    assert len(digits) >= 2
    ratios = digits[1:] / digits[:-1]
    assert np.all(ratios > 1.7), ratios  # correct digits roughly double per step


def test_damped_newton_takes_full_steps_near_the_solution():
    res = optbench.run(expsum([0.5, 1.0, 2.0]), "newton-ls")
    assert np.all(res.table["step"].iloc[-3:] == 1.0)


def test_newton_line_search_on_rosenbrock():
    res = optbench.run("rosenbrock", "newton-ls", dim=2, max_iter=200)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, np.ones(2), atol=1e-6)
    assert np.all(np.diff(res.table["f"]) <= 0)
    # in 4-D the Hessian at some iterate is indefinite: plain damped Newton stops there,
    # the safeguarded form shifts it and reaches the minimizer
    plain = optbench.run("rosenbrock", "newton-ls", dim=4, max_iter=200)
    assert plain.status == "failed" and "descent" in plain.message
    safe = optbench.run("rosenbrock", "newton-safe", dim=4, max_iter=200)
    assert safe.status == "converged"
    np.testing.assert_allclose(safe.x, np.ones(4), atol=1e-6)


@pytest.mark.parametrize("name", ["quadratic-2d", "saddle"])
def test_safeguarded_newton_decreases_f_instead_of_stepping_to_the_saddle(name):
    plain = optbench.run(name, "newton", max_iter=5)
    np.testing.assert_allclose(plain.x, [0.0, 0.0], atol=1e-12)  # pure Newton: the saddle
    safe = optbench.run(name, "newton-safe", max_iter=15)
    f = safe.table["f"].to_numpy()
    assert np.all(np.diff(f) < 0)
    assert f[-1] < optbench.make_problem(name).f([0.0, 0.0]) - 0.1  # below the saddle value
    assert np.linalg.norm(safe.x) > 0.1
    assert safe.table["lambda"].iloc[1:].min() > 0  # the shift was needed


def test_safeguarded_newton_uses_no_shift_on_convex_problems():
    res = optbench.run("quadratic", "newton-safe", dim=5)
    assert res.iterations == 1 and res.table["lambda"].iloc[1] == 0.0


def test_newton_root_finds_simple_and_double_roots():
    simple = optbench.run("rational", "newton-root", x0=[0.3], tol=1e-12)
    assert simple.status == "converged" and abs(simple.x[0]) < 1e-12
    double = optbench.run("double-well", "newton-root", tol=1e-12, max_iter=100)
    assert double.status == "converged"
    assert double.x[0] == pytest.approx(np.sqrt(3.0), abs=1e-6)
    # at a double root the error only halves per step (linear convergence)
    err = np.abs(double.table["step"].to_numpy()[3:12])
    np.testing.assert_allclose(err[1:] / err[:-1], 0.5, atol=0.05)


def test_newton_root_outcomes_without_a_root():
    far = optbench.run("rational", "newton-root", x0=[-2.0], max_iter=40)
    assert far.status == "max_iter" and abs(far.x[0]) > 1e6  # runs away: f -> 0 at infinity
    flat = optbench.run("double-well", "newton-root", x0=[0.0])
    assert flat.status == "failed" and "f'(x) = 0" in flat.message
    none = optbench.run("parabola", "newton-root", max_iter=30)
    assert none.status == "max_iter"


def test_newton_ls_reports_a_non_descent_direction():
    res = optbench.run("double-well", "newton-ls", x0=[0.5])  # f'' < 0 at 0.5: ascent
    assert res.status == "failed" and "descent" in res.message


# -- the linear algebra under the Newton directions, both sides of the LAPACK threshold ----------
# (the module: optbench.solvers.newton as an attribute is the solver function)
newton_mod = importlib.import_module("optbench.solvers.newton")
_ORDERS = (3, newton_mod._LAPACK_FROM_N + 6)


def _spd(rng, n, shift):
    A = rng.standard_normal((n, n))
    return A @ A.T + shift * np.eye(n)


@pytest.mark.parametrize("n", _ORDERS)
def test_shifted_cholesky_against_numpy(n):
    rng = np.random.default_rng(n)
    H = _spd(rng, n, 0.5)
    C = np.full((n, n), np.nan)  # the factorization must not read C's old contents
    assert newton_mod.shifted_cholesky(H, 0.25, C)
    np.testing.assert_allclose(C, np.linalg.cholesky(H + 0.25 * np.eye(n)), atol=1e-12)
    g = rng.standard_normal(n)
    d = np.empty(n)
    newton_mod.cholesky_solve(C, g, d)
    np.testing.assert_allclose(d, np.linalg.solve(H + 0.25 * np.eye(n), g), rtol=1e-9)


@pytest.mark.parametrize("n", _ORDERS)
def test_shifted_cholesky_refuses_indefinite_and_non_finite(n):
    rng = np.random.default_rng(n)
    H = _spd(rng, n, 0.5)
    lam_min = np.linalg.eigvalsh(H)[0]
    C = np.empty((n, n))
    assert not newton_mod.shifted_cholesky(H, -1.01 * lam_min, C)  # smallest eigenvalue < 0
    assert newton_mod.shifted_cholesky(H, -0.99 * lam_min, C)
    for bad in (np.nan, np.inf):
        Hb = H.copy()
        Hb[n - 1, 0] = Hb[0, n - 1] = bad
        assert not newton_mod.shifted_cholesky(Hb, 0.0, C)


@pytest.mark.parametrize("n", _ORDERS)
def test_newton_direction_solves_definite_indefinite_and_refuses_singular(n):
    rng = np.random.default_rng(n)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    g = rng.standard_normal(n)
    d, C = np.empty(n), np.empty((n, n))
    for eigenvalues in (np.linspace(1.0, 10.0, n), np.linspace(-3.0, 7.0, n) + 0.05):
        H = (Q * eigenvalues) @ Q.T
        assert newton_mod.newton_direction(H, g, d, C)
        np.testing.assert_allclose(H @ d, g, atol=1e-9)
    singular = np.zeros((n, n))
    assert not newton_mod.newton_direction(singular, g, d, C)


# -- newton-safe's shift: adaptive, warm-started from the last one ------------------------------
def _symmetric(rng, eigenvalues):
    Q, _ = np.linalg.qr(rng.standard_normal((len(eigenvalues), len(eigenvalues))))
    return (Q * np.asarray(eigenvalues, dtype=float)) @ Q.T


@pytest.mark.parametrize("n", _ORDERS)
def test_adaptive_shift_is_within_one_growth_factor_of_the_smallest_working_shift(n):
    """From below (no memory), the search stops at the first grid point above -lambda_min(H):
    lambda in (-lambda_min, growth * -lambda_min] (the point before it failed, or was skipped
    as below -min H_ii, itself below -lambda_min), up to the rounding of H and of the
    factorization, a few n eps ||H||."""
    rng = np.random.default_rng(n)
    growth = 10.0
    for lam_min in (-3.0, -1e-4, -2e5):
        H = _symmetric(rng, np.concatenate([[lam_min], np.geomspace(1.0, 1e8, n - 1)]))
        needed = -np.linalg.eigvalsh(H)[0]
        rounding = 4 * n * np.finfo(float).eps * np.linalg.norm(H, 2)  # < 1e-5 here
        C, memory = np.empty((n, n)), np.zeros(1)
        lam = newton_mod.adaptive_shift(H, C, memory, 1e-15, growth)
        assert needed - rounding < lam <= growth * (needed + rounding), (lam, needed)
        assert memory[0] == lam
        np.testing.assert_allclose(C @ C.T, H + lam * np.eye(n),
                                   atol=1e-12 * np.linalg.norm(H))


def test_adaptive_shift_starts_one_factor_below_the_last_and_fades_without_one():
    rng = np.random.default_rng(3)
    H = _symmetric(rng, [-2.0, 1.0, 5.0])
    C = np.empty((3, 3))
    memory = np.array([1e4])
    # the last shift was 1e4: the search starts at 1e3, which works (> 2), and is kept
    assert newton_mod.adaptive_shift(H, C, memory, 1e-15, 10.0) == 1e3
    assert memory[0] == 1e3
    # a positive definite H: no shift, and the memory fades by one factor
    P = _symmetric(rng, [0.5, 1.0, 5.0])
    assert newton_mod.adaptive_shift(P, C, memory, 1e-15, 10.0) == 0.0
    np.testing.assert_allclose(C @ C.T, P, atol=1e-13)
    assert memory[0] == 1e2
    # a non-finite Hessian: no shift factorizes (NaN: the step reports a singular Hessian)
    bad = H.copy()
    bad[0, 1] = bad[1, 0] = np.nan
    assert np.isnan(newton_mod.adaptive_shift(bad, C, memory, 1e-15, 10.0))


@pytest.mark.slow  # compiles newton-safe for the MGH collection (~30 s cold)
def test_safeguarded_newton_reaches_f_star_on_badly_scaled_meyer():
    """Meyer's Hessian near the start has eigenvalues from about -5 to 2e12: a shift set
    relative to its largest entries (~2e9) stalled (f = 1.17e6 after 20,000 iterations);
    the shift that follows the smallest working one lets Newton reach f*."""
    p = optbench.make_problem("mgh-meyer")
    res = optbench.run(p, "newton-safe", max_iter=1000)
    f = res.table["f"].to_numpy()
    assert f[-1] - p.f_star <= 1e-6 * p.f_star
    assert np.all(np.diff(f) <= 0)
    # the shift falls as the iterates approach the minimizer, where H is positive definite
    lam = res.table["lambda"].to_numpy()[1:]
    assert lam[0] > 0 and lam[-1] == 0.0
    assert res.status in ("converged", "precision_limit")
