"""Property tests (hypothesis): random SPD quadratics and random points, against theory.

Random quadratics: n from 1 to 20, condition number kappa up to 1e6, eigenvalues drawn
log-uniformly in [1/kappa, 1] (both ends included), random eigenvectors and b. Each property
is a theorem in exact arithmetic; the slack allowed for rounding is stated where it is used.
Examples are derandomized so CI sees the same cases every run.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optbench

EPS = np.finfo(float).eps
PROPERTY = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def spd_quadratics(draw, max_kappa=1e6):
    n = draw(st.integers(1, 20))
    kappa = 10.0 ** draw(st.floats(0.0, np.log10(max_kappa)))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    eig = np.exp(rng.uniform(-np.log(kappa), 0.0, n))
    eig[0], eig[-1] = 1.0, 1.0 / kappa if n > 1 else 1.0
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * eig) @ Q.T
    A = np.ascontiguousarray(0.5 * (A + A.T))
    b = rng.standard_normal(n)
    x_star = np.linalg.solve(A, b)
    base = optbench.make_problem("quadratic", dim=1, cond=1.0)  # the family's compiled functions
    return dataclasses.replace(
        base, oracle=base.oracle._replace(args=(A, b, 0.0)), x0=np.zeros(n),
        f_star=float(-0.5 * b @ x_star), minimizers=(x_star,), L=float(eig.max()),
        mu=float(eig.min()), params={"dim": n})


def _a_norm_error(problem, x):
    A = problem.oracle.args[0]
    e = x - problem.minimizers[0]
    return float(np.sqrt(max(e @ A @ e, 0.0)))


@PROPERTY
@given(spd_quadratics())
def test_gd_with_step_one_over_L_never_increases_f(problem):
    res = optbench.run(problem, "gd", step=1.0 / problem.L, max_iter=200, tol=0.0)
    f = res.table["f"].to_numpy()
    b = problem.oracle.args[1]
    # rounding in evaluating f = x'(Ax/2 - b): a few eps times the size of its terms
    slack = 64 * EPS * (abs(problem.f_star) + np.linalg.norm(b)
                        * np.linalg.norm(problem.minimizers[0]) + 1.0)
    assert np.all(np.diff(f) <= slack), np.diff(f).max()
    assert f[-1] - problem.f_star <= (f[0] - problem.f_star) + slack


@PROPERTY
@given(spd_quadratics())
def test_newton_solves_a_quadratic_in_one_step(problem):
    b = problem.oracle.args[1]
    tol = 1e3 * EPS * (problem.L / problem.mu) * max(np.linalg.norm(b), 1e-300)
    res = optbench.run(problem, "newton", max_iter=5, tol=tol)
    assert res.status == "converged" and res.iterations == 1
    x_star = problem.minimizers[0]
    err = np.linalg.norm(res.x - x_star) / max(np.linalg.norm(x_star), 1e-300)
    assert err <= 100 * EPS * problem.L / problem.mu


@PROPERTY
@given(spd_quadratics(max_kappa=10.0))
def test_linear_cg_converges_within_n_plus_1_iterations(problem):
    """The finite-termination theorem, where float64 keeps it (kappa <= 10 here; see the
    next test for ill-conditioned matrices)."""
    b = problem.oracle.args[1]
    res = optbench.run(problem, "cg", max_iter=problem.dim + 1, tol=1e-10 * np.linalg.norm(b))
    assert res.status == "converged" and res.iterations <= problem.dim + 1


@PROPERTY
@given(spd_quadratics())
def test_linear_cg_meets_its_rate_bound_at_every_step_up_to_n_plus_1(problem):
    """||e_k||_A <= 2 ((sqrt(kappa) - 1)/(sqrt(kappa) + 1))^k ||e_0||_A for k <= n + 1.

    Finite termination itself does not survive rounding for ill-conditioned matrices (with
    kappa = 1e4 and n = 20 the residual after n + 1 steps can still be of the order of the
    start's, in NumPy's own CG too); the Chebyshev rate bound does, which is what we check."""
    n = problem.dim
    res = optbench.run(problem, "cg", max_iter=n + 1, tol=0.0, record_x=True)
    xs = res.iterates
    kappa = problem.L / problem.mu
    rate = (np.sqrt(kappa) - 1.0) / (np.sqrt(kappa) + 1.0)
    e0 = _a_norm_error(problem, xs[0])
    for k, x in enumerate(xs):
        bound = 2.0 * rate**k * e0
        # rounding: the A-norm error cannot go below ~ sqrt(kappa) eps ||x*||_A
        floor = 1e3 * EPS * np.sqrt(kappa) * (_a_norm_error(problem, np.zeros(n)) + e0)
        assert _a_norm_error(problem, x) <= bound * (1 + 1e-8) + floor, (k, bound)


# -- every problem's gradient at random points -----------------------------------------------
_SMOOTH = [n for n in optbench.problem_names()
           if optbench.make_problem(n).gradient and optbench.make_problem(n).smooth]
_built: dict = {}


def _problem(name):
    if name not in _built:
        _built[name] = optbench.make_problem(name)
    return _built[name]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.sampled_from(_SMOOTH), st.integers(0, 2**31 - 1), st.floats(0.01, 2.0))
def test_every_gradient_matches_finite_differences_at_random_points(name, seed, scale):
    """Directional derivatives g.u against central differences of f along u, for three
    random directions at a random point around x0 (any dimension, cheaply)."""
    problem = _problem(name)
    rng = np.random.default_rng(seed)
    x = problem.x0 + scale * (1.0 + np.abs(problem.x0)) * rng.standard_normal(problem.dim)
    g = problem.grad(x)
    for _ in range(3):
        u = rng.standard_normal(problem.dim)
        u /= np.linalg.norm(u)
        h = 1e-6 * max(1.0, np.linalg.norm(x))
        fd = (problem.f(x + h * u) - problem.f(x - h * u)) / (2 * h)
        # central differences: error ~ h^2 f''' + eps |f| / h
        tol = 1e-5 * (abs(fd) + np.linalg.norm(g)) + 1e-7 * (1 + abs(problem.f(x)))
        assert g @ u == pytest.approx(fd, abs=tol), (name, x)
