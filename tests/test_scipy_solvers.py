"""scipy's methods and a user's Python solver in the harness, against scipy called directly.

The reference is scipy itself, called here with the same options and a callback of our own
that traces f and counts evaluations; problem sets are checked by what a sweep plans.
"""

import os
import signal

import numpy as np
import pytest
import scipy.optimize as so

import optbench
from optbench.errors import IncompatibleError, InvalidValueError
from optbench.external import python_solver
from optbench.grid import plan_sweep
from optbench.params import Param


class Trace:
    """The problem's f, gradient, Hessian, residuals and Jacobian, counted; and the f of every
    iterate a callback reports."""

    def __init__(self, problem):
        self.p = problem
        self.nf = self.ng = self.nh = 0
        self.f_iterates = []

    def f(self, x):
        self.nf += 1
        return self.p.f(x)

    def grad(self, x):
        self.ng += 1
        return self.p.grad(x)

    def hess(self, x):
        self.nh += 1
        return self.p.hess(x)

    def callback(self, x):
        self.f_iterates.append(self.p.f(x))

    def residuals(self, x):
        self.nf += 1
        out = np.empty(self.p.extra["m"])
        self.p.extra["residuals"](np.ascontiguousarray(x, dtype=float), out)
        return out

    def jacobian(self, x):
        self.ng += 1
        out = np.empty((self.p.extra["m"], self.p.dim))
        self.p.extra["jacobian"](np.ascontiguousarray(x, dtype=float), out)
        return out


# solver, scipy method, options given to scipy for the run's tol=TOL, max_iter=MAX_ITER
TOL, MAX_ITER = 1e-6, 500
MINIMIZE = [
    ("scipy-bfgs", "BFGS", {"gtol": TOL, "norm": 2}),
    ("scipy-lbfgsb", "L-BFGS-B", {"gtol": TOL}),
    ("scipy-cg", "CG", {"gtol": TOL, "norm": 2}),
    ("scipy-newton-cg", "Newton-CG", {}),
    ("scipy-trust-exact", "trust-exact", {"gtol": TOL}),
    ("scipy-trust-ncg", "trust-ncg", {"gtol": TOL}),
    ("scipy-nelder-mead", "Nelder-Mead", {}),
]
PROBLEM = ("mgh-bard", {})  # n = 3, m = 15, f* = 8.2e-3 (not zero)


@pytest.mark.parametrize("solver, method, options", MINIMIZE, ids=[m[0] for m in MINIMIZE])
def test_minimize_methods_end_where_scipy_does_and_record_its_iterates(solver, method, options):
    p = optbench.make_problem(*PROBLEM[:1], **PROBLEM[1])
    uses_hess = "hess" in optbench.get_solver(solver).needs
    uses_grad = "grad" in optbench.get_solver(solver).needs
    # methods without a gradient tolerance of scipy's: the run's gradient test off (tol=0),
    # so that scipy's own tests end both runs
    tol = TOL if options else 0.0
    res = optbench.run(p, solver, tol=tol, max_iter=MAX_ITER)
    ref = Trace(p)
    direct = so.minimize(ref.f, p.x0.copy(), method=method,
                         jac=ref.grad if uses_grad else None,
                         hess=ref.hess if uses_hess else None, callback=ref.callback,
                         options={"maxiter": MAX_ITER, **options})
    # the same scipy code on the same compiled functions: the same path, to the last bit
    np.testing.assert_array_equal(res.x, direct.x)
    # iterations are the iterates scipy reports (Nelder-Mead's nit counts one more)
    assert res.nit == len(ref.f_iterates) >= direct.nit - 1
    np.testing.assert_array_equal(res.table["f"].to_numpy()[1:], ref.f_iterates)
    # counts: ours (wrapping the problem's functions) = scipy's = our own counters
    assert (res.nfev, res.njev, res.nhev) == (ref.nf, ref.ng, ref.nh)
    assert res.nfev == direct.nfev
    if uses_grad:
        assert res.njev == direct.njev
    # every row's counts are the cumulative counts, non-decreasing; the first row is x0
    assert res.table["nfev"].iloc[0] == 0
    assert np.all(np.diff(res.table["nfev"]) >= 0)
    np.testing.assert_allclose(res.table["f"].iloc[0], p.f(p.x0), rtol=0)
    # status: the run's test when it holds, else scipy's own word
    g = np.linalg.norm(p.grad(res.x))
    if tol and g <= tol:
        assert res.status == "converged" and "gradient norm <= tol" in res.message
    elif direct.success:
        assert res.status == "converged" and "the solver's own test" in res.message
    else:
        assert res.status != "converged"


@pytest.mark.parametrize("method", ["lm", "trf"])
def test_least_squares_methods_end_where_scipy_does(method):
    p = optbench.make_problem("mgh-meyer")
    res = optbench.run(p, f"scipy-{method}", tol=0.0, max_iter=10_000)
    ref = Trace(p)
    direct = so.least_squares(ref.residuals, p.x0.copy(), jac=ref.jacobian, method=method,
                              ftol=1e-8, xtol=1e-8, gtol=1e-8)
    np.testing.assert_array_equal(res.x, direct.x)
    assert (res.nfev, res.njev) == (ref.nf, ref.ng)
    # scipy's lm reports MINPACK's count; it evaluates the Jacobian once more for its result
    assert (res.nfev, res.njev) == (direct.nfev, direct.njev + (method == "lm"))
    # f is MGH's sum of squares, twice scipy's cost 1/2 ||r||^2
    np.testing.assert_allclose(res.fun, 2 * direct.cost, rtol=1e-12)
    assert res.status == "converged" and "own test" in res.message
    assert res.summary["gap"] >= -p.f_star_tol  # Meyer's f* holds to its stated accuracy
    # one row per iteration: MINPACK's Jacobian evaluations after the first, trf's callbacks
    assert res.nit == len(res.table) - 1
    if method == "lm":
        # the accepted points after x0: MINPACK's Jacobians after the first, and the final
        # point where scipy evaluates one more when the last step was accepted
        assert res.nit in (direct.njev - 1, direct.njev)
    assert res.table["f"].iloc[-1] == p.f(direct.x)


def test_least_squares_solvers_need_residuals():
    with pytest.raises(IncompatibleError, match="least-squares structure"):
        optbench.run("quadratic", "scipy-lm")


def test_max_iter_and_the_run_tests_stop_scipy():
    res = optbench.run("rosenbrock", "scipy-bfgs", max_iter=3)
    assert res.status == "max_iter" and res.nit == 3 and len(res.table) == 4
    # gap_tol: the harness's test ends the solve where scipy would have continued
    res = optbench.run("mgh-bard", "scipy-bfgs", gap_tol=1e-3, tol=0.0)
    assert res.status == "converged" and "gap_tol" in res.message
    assert 0 <= res.summary["gap"] <= 1e-3
    assert float(res.table["f"].iloc[-2]) - res.summary["f"] + 1e-3 > 0


def test_python_solver_time_excludes_the_harness_bookkeeping():
    """record_x and every row recorded cost the method nothing: its time column is the same
    order as with rows every 50 iterations (a loose check on an event: the ordering of the
    columns, not on a duration)."""
    res = optbench.run("rosenbrock", "scipy-bfgs", record_x=True)
    t = res.table["time"].to_numpy()
    assert t[0] == 0 and np.all(np.diff(t) >= 0)
    assert res.summary["python"] is True and "not compiled" in res.summary_line()


# -- a user's Python solver ---------------------------------------------------------------------
def fixed_step(f, grad, x0, options, callback):
    x = x0
    for _ in range(options["max_iter"]):
        x = x - options["step"] * grad(x)
        callback(x)
    return x


USER = python_solver("test-py-gd", fixed_step,
                     params=(Param("step", 0.1, float, "the step", low=0.0, strict=True),),
                     summary="fixed-step gradient descent in Python (test)", register=False)


def test_a_user_python_solver_follows_the_numpy_recurrence_and_the_run_tests():
    p = optbench.make_problem("quadratic", dim=4, seed=1)
    res = optbench.run(p, USER, step=0.5 / p.L, tol=1e-8, max_iter=2000)
    assert res.status == "converged" and np.linalg.norm(p.grad(res.x)) <= 1e-8
    x = p.x0.copy()
    for _ in range(res.nit):
        x = x - 0.5 / p.L * p.grad(x)
    np.testing.assert_allclose(res.x, x, rtol=1e-12, atol=1e-14)
    assert res.njev == res.nit and res.nfev == 0  # it never asked for f
    compiled = optbench.run(p, "gd", step=0.5 / p.L, tol=1e-8, max_iter=2000)
    assert compiled.nit == res.nit
    np.testing.assert_allclose(res.table["f"], compiled.table["f"], rtol=1e-10, atol=1e-12)


def test_a_user_python_solver_that_returns_early_fails_honestly():
    p = optbench.make_problem("quadratic", dim=3, seed=0)

    def three_steps(f, grad, x0, options, callback):
        return fixed_step(f, grad, x0, {**options, "max_iter": 3}, callback)

    solver = python_solver("test-py-3", three_steps, params=(Param("step", 0.1, float),),
                           summary="three steps", register=False)
    res = optbench.run(p, solver, step=0.01)
    assert res.status == "failed" and "without meeting the run's tests" in res.message
    assert res.nit == 3 and len(res.table) == 4


def test_ctrl_c_in_a_python_solver_stops_it_with_the_table_so_far():
    p = optbench.make_problem("quadratic", dim=3, seed=0)

    def interrupted_after_five(f, grad, x0, options, callback):
        x = x0
        for k in range(options["max_iter"]):
            if k == 5:
                os.kill(os.getpid(), signal.SIGINT)  # the event: Ctrl-C, during the solve
            x = x - 0.01 * grad(x)
            callback(x)
        return x

    solver = python_solver("test-py-int", interrupted_after_five, summary="Ctrl-C",
                           register=False)
    with pytest.raises(optbench.Interrupted) as info:
        optbench.run(p, solver, tol=0.0, max_iter=100)
    result = info.value.result
    assert result.status == "interrupted"
    assert 5 <= result.nit < 100 and len(result.table) == result.nit + 1


# -- problem sets ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, count", [("mgh", 35), ("more-wild", 53)])
def test_problem_sets_expand_to_their_instances(name, count):
    plan = plan_sweep({"problems": [name], "solvers": ["bfgs"]})
    assert len(plan.cells) == count and not plan.skipped
    assert len({(c.problem, str(c.problem_params)) for c in plan.cells}) == count
    assert all(c.problem.startswith(("mgh-", "mw-")) for c in plan.cells)


def test_a_problem_set_keeps_its_parameters():
    with pytest.raises(InvalidValueError, match="fixes the parameters"):
        plan_sweep({"problems": [{"name": "mgh", "dim": 4}], "solvers": ["bfgs"]})
    with pytest.raises(InvalidValueError, match="is a problem set"):
        optbench.run("mgh", "bfgs")


def test_least_squares_solvers_fit_every_member_of_the_set():
    plan = plan_sweep({"problems": ["more-wild"], "solvers": ["scipy-lm", "scipy-bfgs"]})
    assert len(plan.cells) == 2 * 53 and not plan.skipped


def test_scipy_solvers_in_a_sweep_and_its_profiles(tmp_path):
    """A sweep of a compiled and a scipy BFGS on part of the MGH set: both in the runs table
    with their evaluation counts, and in the profiles on nfev (the cost at which each solved,
    read from the recorded histories)."""
    from optbench.plots.profiles import cost_matrix, performance_profile

    config = {"problems": ["mgh-rosenbrock", "mgh-beale", "mgh-bard"],
              "solvers": ["bfgs", "scipy-bfgs"]}
    runs = optbench.sweep(config, tmp_path / "res", workers=1, progress=False)
    assert sorted(set(runs["solver"])) == ["bfgs", "scipy-bfgs"] and len(runs) == 6
    assert runs["solved"].all()
    for _, row in runs[runs["solver"] == "scipy-bfgs"].iterrows():
        p = optbench.make_problem(row["problem"])
        ref = Trace(p)
        so.minimize(ref.f, p.x0.copy(), method="BFGS", jac=ref.grad,
                    options={"gtol": 1e-6, "norm": 2, "maxiter": 1000})
        assert (row["nfev"], row["ngev"]) == (ref.nf, ref.ng)
    matrix = cost_matrix(runs, "nfev")
    assert matrix.shape == (3, 2) and np.isfinite(matrix.to_numpy()).all()
    profile = performance_profile(runs, "nfev")
    assert set(profile["setting"]) == {"bfgs", "scipy-bfgs"}
    assert profile.groupby("setting")["fraction"].max().eq(1.0).all()
