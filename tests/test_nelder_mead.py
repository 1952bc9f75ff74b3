"""Nelder-Mead against scipy.optimize.minimize(method='Nelder-Mead'), a NumPy transcription of
Lagarias et al. (tests/naive_nelder_mead.py), and the method's invariants at every step."""

import importlib

import naive_nelder_mead as naive
import numpy as np
import pytest
from scipy.optimize import minimize

import optbench
from optbench.errors import IncompatibleError, InvalidValueError
from optbench.oracle import N_COUNTS, NFEV, NGEV, NHEV
from optbench.registry import fits

nm = importlib.import_module("optbench.solvers.nelder_mead")


# f = floor(4 ||x - c||^2) / 4: a bowl of flat terraces, so vertices often tie
@optbench.jit
def _terraces_f(x, args):
    (c,) = args
    s = 0.0
    for i in range(x.shape[0]):
        s += (x[i] - c[i]) ** 2
    return np.floor(4.0 * s) / 4.0


@optbench.jit
def _terraces_grad(x, args, out):
    out[:] = 0.0


def terraces():
    c = np.array([3.0, -2.0])
    return optbench.Problem(
        name="terraces", family="terraces", oracle=optbench.Oracle(
            _terraces_f, _terraces_grad, None, None, (c,)),
        x0=np.array([-1.0, 1.5]), formula="floor(4 ||x - c||^2) / 4", f_star=0.0,
        smooth=False, gradient=False)


def _problem(name, **kw):
    return terraces() if name == "terraces" else optbench.make_problem(name, **kw)
EPS = np.finfo(float).eps
TWO_D = ["rosenbrock", "beale", "booth", "himmelblau"]


def _scipy(problem, adaptive=False, xatol=1e-4, fatol=1e-4):
    return minimize(problem.f, problem.x0, method="Nelder-Mead",
                    options=dict(xatol=xatol, fatol=fatol, adaptive=adaptive, maxiter=100_000,
                                 maxfev=100_000, return_all=True))


def _path_tolerance(k, n, scale, rho_chi=2.0):
    """How far two correct floating-point runs may be apart after k iterations: a new vertex
    combines the others with coefficients of absolute sum at most 1 + 2 rho chi (expansion),
    so an earlier difference grows at most that much per iteration, and each iteration adds
    the rounding of a centroid and one combination, (n + 4) eps scale."""
    growth = 1.0 + 2.0 * rho_chi
    return (n + 4) * EPS * scale * (growth ** (k + 1) - 1.0) / (growth - 1.0)


@pytest.mark.parametrize("name", TWO_D)
def test_same_path_and_minimizer_as_scipy(name):
    """Same start simplex, same conventions: the best vertex after every iteration is scipy's
    (to rounding, over the first iterations), both stop by the simplex test at the same
    minimizer, with the same number of f evaluations, and no gradient or Hessian."""
    p = optbench.make_problem(name)
    res = optbench.run(p, "nelder-mead", max_iter=5000, record_x=True)
    sp = _scipy(p)
    assert res.status == "converged" and sp.success
    assert "simplex test" in res.message
    ours = res.iterates[1:]        # row k >= 1: the best vertex after iteration k
    theirs = np.array(sp.allvecs[1:])  # scipy's best vertex after each iteration
    scale = max(1.0, float(np.abs(theirs).max()))
    for k in range(min(12, len(theirs))):
        np.testing.assert_allclose(ours[k], theirs[k], rtol=0,
                                   atol=_path_tolerance(k + 1, p.dim, scale))
    np.testing.assert_allclose(res.x, sp.x, rtol=0, atol=1e-4)  # xatol
    assert abs(res.summary["f"] - sp.fun) <= 1e-4                # fatol
    assert res.summary["nfev"] == sp.nfev
    assert res.summary["ngev"] == 0 and res.summary["nhev"] == 0
    assert res.summary["dist"] < 1e-3  # at a known minimizer (the nearest of himmelblau's four)


def test_adaptive_coefficients_match_scipy_in_higher_dimension():
    """Gao & Han's coefficients differ from the standard ones only for n != 2."""
    p = optbench.make_problem("rosenbrock", dim=4)
    sp = _scipy(p, adaptive=True)
    res = optbench.run(p, "nelder-mead", adaptive=True, max_iter=5000, record_x=True)
    standard = optbench.run(p, "nelder-mead", max_iter=5000)
    assert res.status == "converged" and sp.success
    theirs = np.array(sp.allvecs[1:])
    for k in range(12):
        np.testing.assert_allclose(res.iterates[k + 1], theirs[k], rtol=0,
                                   atol=_path_tolerance(k + 1, 4, 2.0, rho_chi=1.5))
    np.testing.assert_allclose(res.x, sp.x, rtol=0, atol=1e-4)
    assert res.summary["nfev"] == sp.nfev
    assert standard.summary["nfev"] != res.summary["nfev"]  # another method


@pytest.mark.parametrize(("name", "dim", "adaptive"), [
    ("rosenbrock", 2, False), ("beale", None, False), ("himmelblau", None, False),
    ("rosenbrock", 3, True), ("madaline", None, False), ("terraces", None, False),
])
def test_simplex_sequence_matches_the_numpy_transcription(name, dim, adaptive):
    """Twelve iterations: the best vertex and its f, the operation, the evaluations so far and
    the two sides of the simplex test, against a transcription of Lagarias et al. written
    with other (algebraically equal) formulas (madaline: f piecewise constant, so ties and
    shrinks, where the ordering rules decide which vertex is best)."""
    p = _problem(name, dim=dim)
    n = p.dim
    K = 12
    res = optbench.run(p, "nelder-mead", adaptive=adaptive, max_iter=K, record_x=True,
                       fatol=0.0, xatol=0.0)
    states = naive.nelder_mead(p.f, p.x0, K, adaptive=adaptive)
    t = res.table
    assert res.iterations == K and len(t) == K + 1
    assert t["nfev"].iloc[0] == n + 1 == states[0]["nfev"]
    np.testing.assert_array_equal(res.iterates[0], p.x0)  # row 0: x0, f(x0)
    assert t["f"].iloc[0] == p.f(p.x0)
    rho_chi = naive.coefficients(n, adaptive)[0] * naive.coefficients(n, adaptive)[1]
    for k in range(1, K + 1):
        s = states[k]
        scale = max(1.0, float(np.abs(s["sim"]).max()))
        tol = _path_tolerance(k, n, scale, rho_chi)
        np.testing.assert_allclose(res.iterates[k], s["sim"][0], rtol=0, atol=tol)
        assert t["operation"].iloc[k] == s["op"]
        assert t["nfev"].iloc[k] == s["nfev"]
        assert t["f"].iloc[k] == pytest.approx(s["f"][0], rel=1e-6, abs=1e-12)
        spread = np.abs(s["sim"][1:] - s["sim"][0]).max()
        assert t["size"].iloc[k] == pytest.approx(spread, abs=2 * tol)
        f_spread = np.abs(s["f"][1:] - s["f"][0]).max()
        assert t["f_spread"].iloc[k] == pytest.approx(f_spread, rel=1e-6, abs=1e-12)


# -- invariants at every step, on the compiled kernels themselves --------------------------------
def _kernels_run(problem, steps, adaptive=False):
    """Drive the compiled init and step from Python; yield (before, after, extras, counts,
    x, reason) per step, where before/after are copies of (S, F, order)."""
    n = problem.dim
    rho, chi, psi, sigma = naive.coefficients(n, adaptive)
    params = nm.Simplex(rho, chi, psi, sigma, 0.0, 0.0, 0.05, 0.00025)
    counts = np.zeros(N_COUNTS)
    oracle = problem.oracle._replace(counts=counts)
    x, g = problem.x0.copy(), np.empty(n)
    work, fx = nm._nelder_mead_init(oracle, x, g, params)
    extras = np.full(4, np.nan)
    S, F, order = work[0], work[1], work[2]
    assert counts[NFEV] == n + 1
    for k in range(steps):
        before = (S.copy(), F.copy(), order.copy(), counts.copy())
        fx, _step, reason = nm._nelder_mead_step(oracle, x, g, fx, work, params, k, extras)
        yield before, (S, F, order, counts), extras, x, fx, params


@pytest.mark.parametrize(("name", "kw"), [("himmelblau", {}), ("rosenbrock", {"dim": 3}),
                                          ("madaline", {"hidden": 2}), ("terraces", {})])
def test_simplex_invariants_at_every_step(name, kw):
    """Sorted vertices whose f are f at them; a non-shrink step replaces only the worst vertex,
    by xbar + t (xbar - x_w) with t of its operation and the acceptance rule of that
    operation; a shrink keeps the best vertex and moves every other halfway to it (sigma);
    the evaluations are the operation's; no gradient or Hessian is counted (madaline: f is
    piecewise constant, so inside contractions fail and the simplex shrinks)."""
    p = _problem(name, **kw)
    n = p.dim
    ops_seen = set()
    ties = 0
    for (S0, F0, o0, c0), (S, F, order, c), extras, x, fx, params in _kernels_run(p, 150):
        op = int(extras[2])
        ops_seen.add(op)
        fs = F[order]
        assert np.all(np.diff(fs) >= 0)                                    # sorted
        for j in range(n + 1):
            assert F[j] == pytest.approx(p.f(S[j]), rel=4 * EPS, abs=1e-300)
        np.testing.assert_array_equal(x, S[order[0]])                      # x: the best
        assert fx == fs[0] <= F0[o0[0]]                                    # never worse
        assert c[NGEV] == 0 and c[NHEV] == 0
        scale = max(1.0, float(np.abs(S0).max()))
        best, worst = o0[0], o0[n]
        used = c[NFEV] - c0[NFEV]
        if op == nm.SHRINK:
            assert used == n + 2  # the reflection, a contraction, then n vertices
            # ties: a stable sort of the previous order (the best stays first among equals)
            np.testing.assert_array_equal(order, o0[np.argsort(F[o0], kind="stable")])
            np.testing.assert_array_equal(S[best], S0[best])
            for j in o0[1:]:
                np.testing.assert_allclose(S[j], S0[best] + params.sigma * (S0[j] - S0[best]),
                                           rtol=0, atol=4 * EPS * scale)
            continue
        others = [j for j in range(n + 1) if j != worst]
        np.testing.assert_array_equal(S[others], S0[others])               # only x_w moved
        # ties: the new vertex goes after every vertex with f <= its f; the others keep
        # their order
        pos = int(np.flatnonzero(order == worst)[0])
        ties += int(np.sum(F[order[:pos]] == F[worst]))
        assert np.all(F[order[:pos]] <= F[worst]) and np.all(F[order[pos + 1:]] > F[worst])
        np.testing.assert_array_equal(order[order != worst], o0[o0 != worst])
        xbar = S0[o0[:n]].mean(axis=0)
        t = {nm.REFLECT: params.rho, nm.EXPAND: params.rho * params.chi,
             nm.CONTRACT_OUTSIDE: params.psi * params.rho, nm.CONTRACT_INSIDE: -params.psi}[op]
        np.testing.assert_allclose(S[worst], xbar + t * (xbar - S0[worst]), rtol=0,
                                   atol=8 * EPS * scale)
        f_new, f_best, f_second, f_worst = F[worst], F0[best], F0[o0[n - 1]], F0[worst]
        if op == nm.REFLECT:
            assert f_new < f_second
            assert used == (2 if f_new < f_best else 1)  # an expansion was tried, and failed
        elif op == nm.EXPAND:
            assert f_new < f_best and used == 2
        else:  # contractions: accepted below the worst f
            assert f_new < f_worst and used == 2
        spread = np.abs(S[order[1:]] - S[order[0]]).max()
        assert extras[0] == pytest.approx(spread, rel=4 * EPS, abs=0)
        f_spread = np.abs(F[order[1:]] - F[order[0]]).max()
        assert extras[1] == pytest.approx(f_spread, rel=4 * EPS, abs=0)
    if name == "madaline":
        assert nm.SHRINK in ops_seen
    elif name == "terraces":
        assert ties > 0  # the ordering rule was exercised
    else:
        assert {nm.REFLECT, nm.EXPAND, nm.CONTRACT_INSIDE} <= ops_seen


# -- the table, the counts, the stops --------------------------------------------------------------
def test_grad_norm_is_the_uncounted_gradient_at_the_best_vertex_on_kept_rows():
    p = optbench.make_problem("beale")
    for every in (1, 7):  # tol=1e3: a gradient test would stop it at once (it is off)
        res = optbench.run(p, "nelder-mead", record_x=True, record_every=every, max_iter=40,
                           xatol=0.0, fatol=0.0, tol=1e3)
        t = res.table
        assert len(t) == 40 // every + 1 + (40 % every > 0)
        for k in range(len(t)):
            expected = np.linalg.norm(p.grad(res.iterates[k]))
            assert t["grad_norm"].iloc[k] == pytest.approx(expected, rel=1e-12)
        assert (t["ngev"] == 0).all() and (t["nhev"] == 0).all()
        assert res.status == "max_iter" and t["grad_norm"].iloc[0] < 1e3


def test_gap_tol_and_time_of_the_start_simplex():
    """gap_tol stops it like any solver (the row's gradient is still evaluated); the first
    row already counts the n + 1 evaluations of the start simplex."""
    p = optbench.make_problem("booth")
    res = optbench.run(p, "nelder-mead", gap_tol=1e-3, record_every=1000, record_x=True)
    assert res.status == "converged" and "gap_tol" in res.message
    assert res.summary["f"] - p.f_star <= 1e-3
    assert res.table["nfev"].iloc[0] == 3
    last = res.table["grad_norm"].iloc[-1]
    assert last == pytest.approx(np.linalg.norm(p.grad(res.x)), rel=1e-12)


def test_unbounded_below_ends_diverged_not_with_an_exception():
    """x^2 - y^2: the simplex expands along y until f (or the table's gradient) overflows."""
    res = optbench.run("saddle", "nelder-mead", max_iter=5000)
    assert res.status == "diverged" and res.iterations < 5000
    assert res.table["f"].iloc[-1] < -1e300 or not np.isfinite(res.table["f"].iloc[-1])


def test_fits_problems_without_a_gradient():
    """needs f only: it runs on madaline, whose gradient is unusable (piecewise constant)."""
    p = optbench.make_problem("madaline")
    assert "grad" not in p.capabilities
    assert fits(p, "nelder-mead") is None
    assert fits(p, "gd") is not None
    res = optbench.run(p, "nelder-mead", max_iter=200)
    assert res.summary["f"] <= p.f(p.x0)


def test_bad_parameters_are_refused_naming_the_option():
    with pytest.raises(InvalidValueError, match="xatol"):
        optbench.run("booth", "nelder-mead", xatol=-1.0)
    with pytest.raises(InvalidValueError, match="perturb"):
        optbench.run("booth", "nelder-mead", perturb=0.0)
    with pytest.raises(IncompatibleError, match="adaptive"):
        optbench.run("double-well", "nelder-mead", adaptive=True)
    one_d = optbench.run("double-well", "nelder-mead", x0=[0.5])
    assert one_d.status == "converged" and abs(abs(one_d.x[0]) - np.sqrt(3)) < 1e-3


def test_start_simplex_is_scipys():
    """x0 = (0, 2): the zero coordinate becomes 0.00025, the other is scaled by 1.05 (and
    perturb / zero_perturb change those)."""
    p = optbench.make_problem("booth")
    for perturb, zero_perturb in ((0.05, 0.00025), (0.5, 0.1)):
        params = nm.Simplex(1.0, 2.0, 0.5, 0.5, 0.0, 0.0, perturb, zero_perturb)
        x, g = np.array([0.0, 2.0]), np.empty(2)
        (S, F, order, *_), f0 = nm._nelder_mead_init(p.oracle, x, g, params)
        expected = np.array([[0.0, 2.0], [zero_perturb, 2.0], [0.0, (1 + perturb) * 2.0]])
        np.testing.assert_allclose(S, expected, rtol=EPS, atol=0)
        np.testing.assert_array_equal(order, np.argsort([p.f(v) for v in S], kind="stable"))
        assert f0 == F[0] == pytest.approx(p.f(x), rel=4 * EPS)
