"""Trust-region Newton (optbench.solvers.trust_region): the subproblem solvers against closed
forms and NumPy/scipy references (tests/naive_trust.py), the radius rule of Nocedal & Wright
Algorithm 4.1 row by row, and whole runs against scipy.optimize's trust-region methods."""

import math

import numpy as np
import pytest
import scipy.optimize as so
from naive_trust import cauchy_by_search, dogleg_by_search, exact_subproblem, model

import optbench
from optbench.errors import InvalidValueError
from optbench.solvers.trust_region import cauchy_point, dogleg, more_sorensen, steihaug

EPS = np.finfo(float).eps


def _random_model(rng, n, shift):
    """g and a symmetric H with eigenvalues uniform in [shift, shift + 4] (random basis)."""
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    H = Q @ np.diag(shift + 4 * rng.random(n)) @ Q.T
    return rng.standard_normal(n), 0.5 * (H + H.T)


# -- the subproblem solvers -----------------------------------------------------------------------
@pytest.mark.parametrize("shift", [0.5, -2.0])  # positive definite / indefinite
@pytest.mark.parametrize("delta", [0.05, 0.5, 50.0])
def test_cauchy_point_closed_form_and_search(rng, shift, delta):
    g, H = _random_model(rng, 4, shift)
    p = np.empty(4)
    boundary = cauchy_point(g, H, delta, p, np.empty(4))
    gn = np.linalg.norm(g)
    gHg = g @ H @ g
    tau = 1.0 if gHg <= 0 else min(gn**3 / (delta * gHg), 1.0)  # N&W (4.12)
    np.testing.assert_allclose(p, -tau * delta / gn * g, rtol=1e-13, atol=0)
    assert boundary == (tau == 1.0)
    # independently: the model's minimizer along -g inside the ball (1-D search, no formula)
    ref = cauchy_by_search(g, H, delta)
    assert model(g, H, p) <= model(g, H, ref) + 1e-10 * abs(model(g, H, ref))
    np.testing.assert_allclose(p, ref, atol=1e-6 * delta)


@pytest.mark.parametrize("delta", [0.02, 0.3, 1.0, 100.0])
def test_dogleg_on_a_positive_definite_model(rng, delta):
    g, H = _random_model(rng, 5, 0.3)
    p = np.empty(5)
    boundary, fallback = dogleg(g, H, delta, p, np.empty((5, 5)), np.empty(5), np.empty(5))
    assert not fallback
    pB = -np.linalg.solve(H, g)
    pU = -(g @ g) / (g @ H @ g) * g
    if np.linalg.norm(pB) <= delta:  # (4.16): the Newton step when it is inside
        assert not boundary
        np.testing.assert_allclose(p, pB, rtol=1e-10)
    elif np.linalg.norm(pU) >= delta:
        assert boundary
        np.testing.assert_allclose(p, delta * pU / np.linalg.norm(pU), rtol=1e-12)
    else:  # on the second leg, on the boundary: p = pU + s (pB - pU), 0 <= s <= 1
        assert boundary
        d = pB - pU
        s = (p - pU) @ d / (d @ d)
        assert 0.0 <= s <= 1.0
        np.testing.assert_allclose(p, pU + s * d, atol=1e-12 * np.linalg.norm(pB))
    if boundary:
        assert abs(np.linalg.norm(p) - delta) <= 8 * EPS * delta
    # independently: the model's minimizer on the dogleg path inside the ball
    np.testing.assert_allclose(p, dogleg_by_search(g, H, delta), atol=1e-6 * delta)


def test_dogleg_falls_back_to_the_cauchy_point_when_h_is_not_positive_definite(rng):
    g, H = _random_model(rng, 4, -1.0)
    p, q = np.empty(4), np.empty(4)
    boundary, fallback = dogleg(g, H, 0.7, p, np.empty((4, 4)), np.empty(4), np.empty(4))
    assert fallback
    assert boundary == cauchy_point(g, H, 0.7, q, np.empty(4))
    np.testing.assert_array_equal(p, q)  # the same kernel computes both


@pytest.mark.parametrize("delta", [0.1, 1e3])
def test_steihaug_cg_interior_is_the_newton_step_and_stays_in_the_ball(rng, delta):
    g, H = _random_model(rng, 6, 0.2)
    p, r, d, Hd = (np.empty(6) for _ in range(4))
    boundary, iters = steihaug(g, H, delta, 1e-12 * np.linalg.norm(g), 50, p, r, d, Hd)
    assert 1 <= iters <= 50
    assert np.linalg.norm(p) <= delta * (1 + 8 * EPS)
    if boundary:
        assert abs(np.linalg.norm(p) - delta) <= 8 * EPS * delta
        # CG's iterates lower the model monotonically: at least the Cauchy decrease
        c = np.empty(6)
        cauchy_point(g, H, delta, c, np.empty(6))
        assert model(g, H, p) <= model(g, H, c) * (1 - 1e-12)
    else:  # the ball holds the Newton step: CG solved H p = -g
        np.testing.assert_allclose(p, -np.linalg.solve(H, g), rtol=1e-9)


def test_steihaug_goes_to_the_boundary_at_negative_curvature():
    H = np.diag([-1.0, 2.0])
    g = np.array([0.5, 1.0])  # g'Hg = 1.75 > 0, the second direction meets the -1 eigenvalue
    p, r, d, Hd = (np.empty(2) for _ in range(4))
    boundary, iters = steihaug(g, H, 3.0, 1e-12, 10, p, r, d, Hd)
    assert boundary and iters == 2
    assert abs(np.linalg.norm(p) - 3.0) <= 8 * EPS * 3.0
    ref, _ = exact_subproblem(g, H, 3.0)
    assert model(g, H, p) < 0.0 and model(g, H, p) >= model(g, H, ref) - 1e-12


def _more_sorensen(g, H, delta, sigma, max_iter=200):
    n = g.shape[0]
    p = np.empty(n)
    boundary, iters, lam, fallback = more_sorensen(
        g, H, delta, sigma, max_iter, p, np.empty((n, n)), np.empty(n), np.empty(n),
        np.empty(n))
    return p, boundary, iters, lam, fallback


@pytest.mark.parametrize("shift", [1.0, 0.05, -3.0])
@pytest.mark.parametrize("delta", [0.1, 1.0, 10.0])
def test_more_sorensen_matches_the_eigendecomposition_solution(rng, shift, delta):
    g, H = _random_model(rng, 5, shift)
    sigma = 1e-10
    p, boundary, iters, lam, fallback = _more_sorensen(g, H, delta, sigma)
    ref, lam_ref = exact_subproblem(g, H, delta)
    assert not fallback and iters < 200
    if lam_ref == 0.0:
        assert not boundary and lam == 0.0
    else:
        assert boundary
        assert abs(np.linalg.norm(p) - delta) <= sigma * delta * (1 + 1e-6)
        np.testing.assert_allclose(lam, lam_ref, rtol=1e-6)
    np.testing.assert_allclose(p, ref, atol=1e-7 * delta)
    # Moré & Sorensen's guarantee with sigma: m(p) close to the optimal value
    assert model(g, H, p) <= model(g, H, ref) * (1 - 1e-8)


def test_more_sorensen_with_the_default_tolerance_is_nearly_optimal(rng):
    g, H = _random_model(rng, 6, -1.0)
    p, boundary, iters, lam, fallback = _more_sorensen(g, H, 1.0, 0.1, 50)
    ref, _ = exact_subproblem(g, H, 1.0)
    assert boundary and not fallback and iters <= 10
    assert np.linalg.norm(p) <= 1.1
    # |m(p) - m*| within (2 sigma) |m*| (M&S 1983, section 3: (1 - sigma)^2 at worst)
    assert model(g, H, p) <= (1 - 0.1) ** 2 * model(g, H, ref)


@pytest.mark.parametrize("n", [2, 3])
def test_more_sorensen_hard_case(rng, n):
    """g orthogonal to the eigenvector of the most negative eigenvalue, and the step
    -(H + lambda I)^{-1} g stays inside the ball for every admissible lambda: the minimizer
    is lambda = -lambda_1, p = -(H - lambda_1 I)^+ g + tau q_1 (N&W 4.3, hard case)."""
    eig = np.array([-2.0, 1.0, 3.0][:n])
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    H = Q @ np.diag(eig) @ Q.T
    H = 0.5 * (H + H.T)
    a = np.array([0.0, 1.0, 1.0][:n])  # g in the eigenbasis: nothing along q_1
    g = Q @ a
    delta = 1.0
    p0 = -Q[:, 1:] @ (a[1:] / (eig[1:] + 2.0))  # the part in the other eigenvectors
    assert np.linalg.norm(p0) < delta
    tau = math.sqrt(delta**2 - p0 @ p0)
    m_star = model(g, H, p0 + tau * Q[:, 0])
    p, boundary, iters, lam, fallback = _more_sorensen(g, H, delta, 1e-10)
    assert boundary and not fallback
    np.testing.assert_allclose(lam, 2.0, rtol=1e-6)
    assert abs(np.linalg.norm(p) - delta) <= 1e-9
    # one of the two minimizers p0 +- tau q_1
    err = min(np.linalg.norm(p - (p0 + tau * Q[:, 0])), np.linalg.norm(p - (p0 - tau * Q[:, 0])))
    assert err <= 1e-4
    assert model(g, H, p) <= m_star * (1 - 1e-8)


# -- whole runs ----------------------------------------------------------------------------------
def _scipy(problem, method, gtol):
    o = problem.oracle

    def jac(x):
        g = np.empty_like(x)
        o.grad(x, o.args, g)
        return g

    def hess(x):
        H = np.empty((x.size, x.size))
        o.hess(x, o.args, H)
        return H

    return so.minimize(lambda x: o.f(x, o.args), problem.x0, jac=jac,
                       hess=None if method == "BFGS" else hess, method=method,
                       options={"gtol": gtol, "maxiter": 2000})


# scipy's dogleg refuses an indefinite Hessian: compared where it runs
CASES = [
    ("trust-exact", "trust-exact", ["mgh-rosenbrock", "mgh-beale", "mgh-helical-valley",
                                    "mgh-box-3d", "mgh-wood"]),
    ("trust-ncg", "trust-ncg", ["mgh-rosenbrock", "mgh-beale", "mgh-helical-valley", "mgh-wood",
                                "mgh-powell-singular"]),
    ("trust-dogleg", "dogleg", ["mgh-rosenbrock", "mgh-bard", "mgh-powell-singular"]),
]


@pytest.mark.parametrize("solver,method,problems", CASES, ids=[c[0] for c in CASES])
def test_same_minimizer_as_scipy(solver, method, problems):
    for name in problems:
        problem = optbench.make_problem(name)
        res = optbench.run(problem, solver, tol=1e-8, max_iter=2000)
        ref = _scipy(problem, method, 1e-8)
        assert res.status == "converged" and ref.success, (name, res.message, ref.message)
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-6, atol=1e-6, err_msg=name)
        # the same algorithm: iteration counts of the same order
        assert res.nit <= 3 * ref.nit + 5 and ref.nit <= 3 * res.nit + 5, (name, res.nit,
                                                                           ref.nit)


def test_exact_on_meyer_matches_scipy():
    """Meyer's badly scaled problem (x* ~ (0.0056, 6181, 345), f* ~ 87.95): hundreds of
    iterations. scipy ends it without meeting gtol (its radius test), at the same point."""
    problem = optbench.make_problem("mgh-meyer")
    res = optbench.run(problem, "trust-exact", tol=1e-2, max_iter=2000)
    ref = _scipy(problem, "trust-exact", 1e-2)
    assert res.status == "converged", res.message
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-6)
    np.testing.assert_allclose(res.fun, problem.f_star, rtol=1e-10)
    assert res.nit <= 3 * ref.nit and ref.nit <= 3 * res.nit


def _check_radius_rule(table, eta, max_radius, n):
    """Algorithm 4.1 at every recorded row (record_every=1): row k holds the step from
    x_{k-1} with radius Delta_{k-1}; row k + 1 holds Delta_k."""
    t = table.reset_index(drop=True)
    xs = t[[f"x_{i + 1}" for i in range(n)]].to_numpy()
    rows = t.iloc[1:]
    assert np.all(rows["radius"] <= max_radius)
    assert np.all((rows["rho"] > eta) == (rows["accepted"] == 1))
    for k in range(1, len(t)):
        row = t.iloc[k]
        if row["accepted"] == 1:
            assert row["step"] > 0 and row["f"] < t["f"].iloc[k - 1]
        else:  # a rejected step: x, f and the gradient stay
            assert row["step"] == 0
            np.testing.assert_array_equal(xs[k], xs[k - 1])
            assert row["f"] == t["f"].iloc[k - 1]
            assert row["grad_norm"] == t["grad_norm"].iloc[k - 1]
        if k + 1 < len(t):
            r, nxt = row["radius"], t["radius"].iloc[k + 1]
            if not row["rho"] >= 0.25:
                assert nxt == 0.25 * r
            elif row["rho"] > 0.75 and row["boundary"] == 1:
                assert nxt == min(2 * r, max_radius)
            else:
                assert nxt == r
            if nxt > r:
                assert row["boundary"] == 1  # expands only after a step on the boundary
            if row["accepted"] == 0:
                assert nxt < r
                # the next iteration reuses the Hessian
                assert t["nhev"].iloc[k + 1] == t["nhev"].iloc[k]


@pytest.mark.parametrize("sub", ["cauchy", "dogleg", "steihaug", "exact"])
def test_radius_rule_at_every_row(sub):
    eta, max_radius = 0.2, 0.6  # a small cap, so that it binds
    res = optbench.run("mgh-rosenbrock", "trust-region", subproblem=sub, eta=eta,
                       max_radius=max_radius, radius=0.5, max_iter=300, record_x=True)
    t = res.table
    assert (t["accepted"] == 0).any()
    assert sub == "cauchy" or (t["radius"] == max_radius).any()
    _check_radius_rule(t, eta, max_radius, 2)
    if sub != "cauchy":
        assert res.status == "converged"
        np.testing.assert_allclose(res.x, np.ones(2), atol=1e-6)


def test_dogleg_records_its_fallback_where_h_is_indefinite():
    # Rosenbrock at (0, 1): H = [[-398, 0], [0, 200]] is indefinite
    res = optbench.run("mgh-rosenbrock", "trust-dogleg", x0=np.array([0.0, 1.0]), max_iter=200)
    assert res.table["fallback"].iloc[1] == 1
    assert res.status == "converged"
    assert (res.table["fallback"].iloc[1:] == 0).any()  # Newton-like near the solution


def test_exact_records_lambda():
    res = optbench.run("mgh-rosenbrock", "trust-exact", max_iter=200)
    t = res.table.iloc[1:]
    lam = t["lambda"].to_numpy()
    assert np.all(lam >= 0)
    # lambda > 0 only for steps on the boundary; the last steps are interior Newton steps
    assert np.all(t["boundary"][lam > 0] == 1)
    assert lam[-1] == 0.0


def test_a_collapsing_radius_is_a_precision_limit_not_convergence():
    """Jennrich-Sampson (f* ~ 124.36) with tol=1e-8: near x* f's rounding error exceeds what
    the model predicts, every step is rejected and the radius shrinks to rounding level."""
    problem = optbench.make_problem("mgh-jennrich-sampson")
    res = optbench.run(problem, "trust-exact", tol=1e-8, max_iter=500, record_x=True)
    assert res.status == "precision_limit" and "trust radius" in res.message
    t = res.table
    assert t["grad_norm"].iloc[-1] > 1e-8  # not converged: the test was not met
    last_step = t.index[t["accepted"] == 1][-1]
    tail = t.loc[last_step:]  # the point of the last step taken, then rejections only
    assert len(tail) >= 4 and (tail["accepted"].iloc[1:] == 0).all()
    np.testing.assert_array_equal(tail[["x_1", "x_2"]].to_numpy(),
                                  np.tile(res.x, (len(tail), 1)))
    last = t["radius"].iloc[-1]  # the radius of the last (rejected) step; then last / 4
    assert last / 4 < EPS * max(1.0, np.linalg.norm(res.x)) <= last
    assert abs(res.fun - problem.f_star) <= 1e-12 * problem.f_star + problem.f_star_tol


@pytest.mark.parametrize("params,word", [
    (dict(radius=5.0, max_radius=1.0), "max_radius"),
    (dict(eta=0.25), "eta"),
    (dict(eta=-0.1), "eta"),
    (dict(subproblem="newton"), "subproblem"),
    (dict(sub_tol=0.0), "sub_tol"),
    (dict(sub_iter=-1), "sub_iter"),
])
def test_bad_parameters_are_refused_by_name(params, word):
    with pytest.raises(InvalidValueError, match=word):
        optbench.run("mgh-beale", "trust-region", **params)


# -- the SR1 model -------------------------------------------------------------------------------
def test_sr1_same_minimizer_as_scipy_bfgs():
    for name in ["mgh-rosenbrock", "mgh-beale", "mgh-helical-valley", "mgh-wood", "mgh-bard"]:
        problem = optbench.make_problem(name)
        res = optbench.run(problem, "trust-sr1", tol=1e-8, max_iter=2000)
        ref = _scipy(problem, "BFGS", 1e-8)
        assert res.status == "converged" and ref.success, (name, res.message, ref.message)
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-6, atol=1e-6, err_msg=name)
        assert res.nit <= 5 * ref.nit and ref.nit <= 5 * res.nit, (name, res.nit, ref.nit)


@pytest.mark.parametrize("n", [3, 5])
def test_sr1_ends_on_a_quadratic_after_n_plus_1_steps(n):
    """On f = x'Ax/2 - b'x, y = A s exactly, so SR1 keeps B s_j = y_j for every earlier step
    (N&W Theorem 6.1): after n independent steps B = A and the next step, by CG solved to
    high accuracy inside a large radius, is Newton's (the minimizer)."""
    problem = optbench.make_problem("quadratic", dim=n, cond=100)
    res = optbench.run(problem, "trust-sr1", tol=1e-9, radius=1e3, max_radius=1e4,
                       sub_tol=1e-12, max_iter=50)
    assert res.status == "converged"
    assert res.nit <= n + 1
    np.testing.assert_allclose(res.x, problem.x_star, atol=1e-8 * np.linalg.norm(problem.x_star))


def test_sr1_radius_rule_and_one_evaluation_per_iteration():
    eta, max_radius = 0.1, 0.2
    res = optbench.run("mgh-rosenbrock", "trust-sr1", eta=eta, max_radius=max_radius, radius=0.1,
                       max_iter=300, record_x=True)
    assert res.status == "converged"
    t = res.table
    assert (t["accepted"] == 0).any() and (t["radius"] == max_radius).any()
    _check_radius_rule(t, eta, max_radius, 2)
    # f and the gradient once per iteration, at the trial point; no Hessian
    np.testing.assert_array_equal(t["nfev"].to_numpy(), t["iteration"].to_numpy() + 1)
    np.testing.assert_array_equal(t["ngev"].to_numpy(), t["iteration"].to_numpy() + 1)
    assert (t["nhev"] == 0).all()
