"""Gauss-Newton and Levenberg-Marquardt (optbench/solvers/least_squares.py) against closed
forms (lstsq), scipy.optimize.least_squares(method='lm') and the NumPy transcriptions of one
iteration in tests/naive_lsq.py; the residual structure of problems against their gradients."""

import math

import naive_problems
import numpy as np
import pytest
import scipy.optimize as so
from naive_lsq import gn_iteration, lm_iteration

import optbench
from optbench import Oracle, Problem, jit
from optbench.errors import IncompatibleError, InvalidValueError
from optbench.registry import fits, get_problem_set
from optbench.solvers.least_squares import residual_structure

EPS = np.finfo(float).eps
SMALL_LSQ = dict(dim=6, samples=30, cond=100.0, seed=3)
# scipy's MINPACK with tight tolerances, so that it stops at the minimizer too
SCIPY_TOL = dict(xtol=1e-15, ftol=1e-15, gtol=1e-15)


def functions(problem):
    """r(x), J(x) and c of ``problem``, as NumPy functions (through residual_structure)."""
    lsq = residual_structure(problem)

    def call(fn, shape, x):
        out = np.empty(shape)
        x = np.ascontiguousarray(x, dtype=float)
        if lsq.args is None:
            fn(x, out)
        else:
            fn(x, out, lsq.args)
        return out

    return (lambda x: call(lsq.r, lsq.m, x),
            lambda x: call(lsq.jac, (lsq.m, problem.dim), x), lsq.scale)


def residual_problems():
    """The problems of the MGH set (the 35 residual problems, from the registry) and the two
    least-squares families, at their defaults."""
    entries = [*get_problem_set("mgh").entries, ("least-squares", SMALL_LSQ),
               ("linear-regression", {})]
    return [optbench.make_problem(name, **params) for name, params in entries]


# -- the residual structure -------------------------------------------------------------------
def test_least_squares_problems_expose_residuals():
    for name, params in (("least-squares", SMALL_LSQ), ("linear-regression", {})):
        p = optbench.make_problem(name, **params)
        assert "residuals" in p.capabilities
        A, y = p.oracle.args
        res, jac, c = functions(p)
        assert c == 0.5 and p.extra["m"] == A.shape[0]
        x = np.linspace(-1.0, 2.0, p.dim)
        # r = Ax - y, computed row by row: equal to NumPy's product to rounding
        bound = 4 * A.shape[1] * EPS * (np.abs(A) @ np.abs(x) + np.abs(y))
        assert np.all(np.abs(res(x) - (A @ x - y)) <= bound)
        # J by central differences: r is linear, so they are exact up to rounding
        h = 1e-3
        fd = np.column_stack([(res(x + h * e) - res(x - h * e)) / (2 * h)
                              for e in np.eye(p.dim)])
        scale = np.abs(A) @ (np.abs(x) + h) + np.abs(y)
        assert np.all(np.abs(jac(x) - fd) <= 8 * EPS * scale[:, None] / h)


def test_gradient_from_residuals_is_the_problem_gradient():
    """2c J'r equals the problem's own gradient (to rounding) for every residual problem,
    at x0 and at a point off it; the residual functions reproduce f."""
    for p in residual_problems():
        assert "residuals" in p.capabilities, p.name
        res, jac, c = functions(p)
        for x in (p.x0, p.x0 + 0.01 * (1.0 + np.abs(p.x0)) * np.cos(np.arange(p.dim))):
            r, J = res(x), jac(x)
            g = 2 * c * J.T @ r
            bound = 64 * EPS * p.extra["m"] * (2 * c * np.abs(J).T @ np.abs(r)) + 1e-300
            assert np.all(np.abs(g - p.grad(x)) <= bound), p.name
            assert math.isclose(c * r @ r, p.f(x), rel_tol=1e-12, abs_tol=1e-300), p.name


def test_grad_norm_column_is_the_gradient_norm_of_f():
    for name, solver in (("linear-regression", "gauss-newton"), ("mgh-rosenbrock", "lm")):
        p = optbench.make_problem(name)
        res = optbench.run(p, solver, max_iter=3, tol=0.0, record_x=True)
        xs = res.table[[f"x_{i + 1}" for i in range(p.dim)]].to_numpy()
        for x, gn, fx in zip(xs, res.table["grad_norm"], res.table["f"], strict=True):
            # J'r (the solver) and the problem's gradient sum in different orders: near the
            # minimizer they differ by rounding, bounded for least squares by naive_problems
            tol = 2 * np.linalg.norm(naive_problems.lsq_bounds(*p.oracle.args, x)[1]) \
                if p.family == "least-squares" else 0.0
            assert math.isclose(gn, np.linalg.norm(p.grad(x)), rel_tol=1e-10, abs_tol=tol)
            assert math.isclose(fx, p.f(x), rel_tol=1e-12)


def test_a_wrong_residual_scale_is_refused_before_the_run():
    p = optbench.make_problem("least-squares", **SMALL_LSQ)
    p.extra["residual_scale"] = 1.0  # f is 1/2 ||r||^2, not ||r||^2
    with pytest.raises(IncompatibleError, match="residual_scale"):
        optbench.run(p, "lm")
    assert "residual_scale" in fits(p, "gauss-newton")
    p.extra["residual_scale"] = -0.5
    with pytest.raises(IncompatibleError, match="must be a number > 0"):
        optbench.run(p, "gauss-newton")


def test_solvers_need_residuals_and_refuse_bad_parameters():
    with pytest.raises(IncompatibleError, match="least-squares structure"):
        optbench.run("quadratic", "lm")
    with pytest.raises(InvalidValueError, match="'mu0'"):
        optbench.run("mgh-rosenbrock", "lm", mu0=0.0)
    with pytest.raises(InvalidValueError, match="'eta'"):
        optbench.run("mgh-rosenbrock", "lm", eta=1.0)
    with pytest.raises(InvalidValueError, match="'c'"):
        optbench.run("mgh-rosenbrock", "gauss-newton", c=0.7)


def test_scipy_lm_reads_the_bound_residuals():
    """The residuals of a data problem (functools.partial with args) serve Python callers."""
    p = optbench.make_problem("linear-regression")
    A, y = p.oracle.args
    res = optbench.run(p, "scipy-lm")
    x_ls = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(res.x, x_ls, rtol=1e-8, atol=1e-10)


# a user's problem: an exponential fit y ~ a exp(b t) as a sum of squares (MGH's convention,
# no residual_scale), its residuals and Jacobian plain compiled r(x, out), J(x, out)
_T = np.linspace(0.0, 1.0, 12)
_Y = 2.0 * np.exp(-1.3 * _T) + 0.01 * np.sin(7.0 * _T)


@jit
def _exp_r(x, out):
    for i in range(_T.shape[0]):
        out[i] = x[0] * np.exp(x[1] * _T[i]) - _Y[i]


@jit
def _exp_j(x, out):
    for i in range(_T.shape[0]):
        e = np.exp(x[1] * _T[i])
        out[i, 0] = e
        out[i, 1] = x[0] * _T[i] * e


@jit
def _exp_f(x, args):
    r = np.empty(_T.shape[0])
    _exp_r(x, r)
    return np.sum(r * r)


@jit
def _exp_grad(x, args, out):
    r = np.empty(_T.shape[0])
    J = np.empty((_T.shape[0], 2))
    _exp_r(x, r)
    _exp_j(x, J)
    out[:] = 2.0 * J.T @ r


def test_a_user_problem_with_residuals_fits_both_solvers():
    p = Problem(name="exp-fit", family="exp-fit",
                oracle=Oracle(_exp_f, _exp_grad, None, None, ()),
                x0=np.array([1.0, 0.0]), formula="sum (a exp(b t_i) - y_i)^2",
                extra={"residuals": _exp_r, "jacobian": _exp_j, "m": _T.shape[0]})
    assert "residuals" in p.capabilities
    ref = so.least_squares(_residual_vector, p.x0, method="lm", **SCIPY_TOL)
    for solver in ("gauss-newton", "lm"):
        res = optbench.run(p, solver, tol=1e-9)
        assert res.status == "converged", res.message
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-7)


def _residual_vector(x):
    out = np.empty(_T.shape[0])
    _exp_r(np.ascontiguousarray(x, dtype=float), out)
    return out


# -- Gauss-Newton ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, params", [("least-squares", SMALL_LSQ),
                                          ("linear-regression", {})])
def test_gauss_newton_solves_linear_least_squares_in_one_step(name, params):
    p = optbench.make_problem(name, **params)
    A, y = p.oracle.args
    res = optbench.run(p, "gauss-newton", max_iter=1, tol=0.0)
    x_ls = np.linalg.lstsq(A, y, rcond=None)[0]
    # the normal equations lose kappa(A)^2 eps (relative) at most, up to a small factor
    kappa = np.linalg.cond(A)
    assert np.linalg.norm(res.x - x_ls) <= 50 * kappa**2 * EPS * np.linalg.norm(x_ls)
    last = res.table.iloc[-1]
    assert last["iteration"] == 1 and last["step"] == 1.0 and last["trials"] == 1
    # one residual vector and one Jacobian at x0, the same at x1
    assert (res.nfev, res.njev) == (2, 2)
    assert math.isclose(last["res_norm"], np.linalg.norm(A @ res.x - y), rel_tol=1e-9)


def test_gauss_newton_iterates_match_the_numpy_transcription():
    p = optbench.make_problem("mgh-bard")
    res_fn, jac_fn, c = functions(p)
    k = 4
    res = optbench.run(p, "gauss-newton", max_iter=k, tol=0.0, record_x=True)
    xs = res.table[["x_1", "x_2", "x_3"]].to_numpy()
    x = p.x0.copy()
    for i in range(1, k + 1):
        x, t = gn_iteration(res_fn, jac_fn, c, x)
        assert t == res.table["step"].iloc[i]
        np.testing.assert_allclose(xs[i], x, rtol=1e-9)


def test_gauss_newton_stops_on_a_rank_deficient_jacobian():
    """x1 and xn do not enter MGH 34: J has two zero columns, J'J no Cholesky factor."""
    res = optbench.run("mgh-linear-rank-1-zero", "gauss-newton")
    assert res.status == "failed" and "J'J is singular" in res.message
    assert res.nit == 0
    # LM damps the zero directions and reaches f* (a rank-1 problem: a plane of minimizers)
    lm = optbench.run("mgh-linear-rank-1-zero", "lm")
    assert lm.status in ("converged", "precision_limit")
    p = optbench.make_problem("mgh-linear-rank-1-zero")
    assert lm.fun - p.f_star <= 1e-10 * p.f_star


# -- Levenberg-Marquardt -------------------------------------------------------------------------
@pytest.mark.parametrize("name, steps", [("mgh-rosenbrock", 6), ("linear-regression", 3)])
def test_lm_iterates_match_the_numpy_transcription(name, steps):
    """Iterates, damping and trials of the compiled LM equal a NumPy transcription of the
    iteration, step by step, to rounding (rosenbrock: its first iteration rejects trials)."""
    p = optbench.make_problem(name)
    res_fn, jac_fn, c = functions(p)
    mu0 = optbench.get_solver("lm").params[0].default
    res = optbench.run(p, "lm", max_iter=steps, tol=0.0, record_x=True)
    table = res.table
    assert len(table) == steps + 1
    xs = table[[f"x_{i + 1}" for i in range(p.dim)]].to_numpy()
    x, D, mu, nu = p.x0.copy(), np.zeros(p.dim), mu0, 2.0
    for i in range(1, steps + 1):
        x, D, mu, nu, mu_used, trials = lm_iteration(res_fn, jac_fn, c, x, D, mu, nu)
        assert table["trials"].iloc[i] == trials
        assert math.isclose(table["mu"].iloc[i], mu_used, rel_tol=1e-9)
        np.testing.assert_allclose(xs[i], x, rtol=1e-9, atol=1e-12 * np.max(np.abs(x)))
    # a residual vector per trial, a Jacobian per accepted point (plus x0's each)
    assert res.nfev == 1 + table["trials"].iloc[1:].sum()
    assert res.njev == 1 + steps


@pytest.mark.parametrize("name", ["mgh-rosenbrock", "mgh-powell-badly-scaled", "mgh-box-3d",
                                  "mgh-bard", "mgh-meyer"])
def test_lm_reaches_the_minimizer_scipy_lm_reaches(name):
    p = optbench.make_problem(name)
    res_fn, jac_fn, c = functions(p)
    ref = so.least_squares(res_fn, p.x0, jac=jac_fn, method="lm", **SCIPY_TOL)
    res = optbench.run(p, "lm", max_iter=1000, tol=1e-10)
    print(f"{name}: optbench lm {res.status} njev={res.njev:g} nfev={res.nfev:g}; "
          f"scipy lm njev={ref.njev} nfev={ref.nfev}")
    # tol=1e-10 is below the gradient's rounding error on the non-zero-residual ones: a stop
    # at the precision limit is the expected end there
    assert res.status in ("converged", "precision_limit")
    f_ref = c * ref.fun @ ref.fun
    # f at the two points: equal to rounding, or to first order in their distance (|grad f|
    # times |x - x_ref|: zero-residual problems, where tol=1e-10 ends the run before f = 0)
    first_order = (np.linalg.norm(p.grad(res.x)) + np.linalg.norm(p.grad(ref.x))) * \
        np.linalg.norm(res.x - ref.x)
    assert abs(res.fun - f_ref) <= 1e-9 * f_ref + first_order
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-6, atol=1e-9 * np.max(np.abs(ref.x)))
    # Jacobian evaluations of the same order (Nielsen's damping against More's trust region)
    assert res.njev <= 5 * ref.njev + 5 and ref.njev <= 5 * res.njev + 5
