"""Every method at its textbook cost (issue 23): the calls a solver makes per iteration, counted
by the problem's own compiled functions (a counter array in the problem's data, independent of
optbench's oracle counts), equal the textbook form's, and the oracle's nfev/ngev/nhev agree
with those calls once the table's own evaluations (uncounted, at recorded rows) are set aside.

Compilation dominates: one small quadratic (n = 4), each solver compiled once for it."""

import numpy as np
import pandas as pd
import pytest

import optbench
from optbench import Oracle, Problem, jit, make_control
from optbench.control import HISTORY_COLUMNS
from optbench.params import coerce_all
from optbench.registry import get_solver, solver_names
from optbench.status import MAX_ITER

F, G, H = 0, 1, 2  # slots of the call counter


@jit
def _f(x, args):
    A, b, calls = args
    calls[0] += 1.0
    return 0.5 * (x @ (A @ x)) - b @ x


@jit
def _grad(x, args, out):
    A, b, calls = args
    calls[1] += 1.0
    out[:] = A @ x - b


@jit
def _hess(x, args, out):
    A, b, calls = args
    calls[2] += 1.0
    out[:, :] = A


def _counting_quadratic():
    """f = 1/2 x'Ax - b'x with eigenvalues 1..10, no combined fg (f and grad calls apart)."""
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    eig = np.array([1.0, 2.5, 6.0, 10.0])
    A = (Q * eig) @ Q.T
    A = 0.5 * (A + A.T)
    b = rng.standard_normal(4)
    x_star = np.linalg.solve(A, b)
    calls = np.zeros(3)
    problem = Problem(name="counting-quadratic", family="counting-quadratic",
                      oracle=Oracle(_f, _grad, None, _hess, (A, b, calls)),
                      x0=np.full(4, 3.0), formula="1/2 x'Ax - b'x (counted calls)",
                      f_star=float(-0.5 * b @ x_star), minimizers=(x_star,), L=10.0, mu=1.0,
                      convex=True, quadratic=True)
    return problem, calls


@pytest.fixture(scope="module")
def counting():
    return _counting_quadratic()


# Textbook calls per iteration (f, grad, Hessian), and what the loop evaluates for the table
# at recorded rows ("f", "fg" or ""): the method's own work is the rest.
TEXTBOOK = {
    # one gradient step: Nesterov (2018) 2.1.5; Polyak (1964); Nesterov (2018) 2.2 at y_k
    "gd-lipschitz": ((0, 1, 0), "f", {}),
    "gd-sqrt": ((0, 1, 0), "f", {}),
    "gd-bb": ((0, 1, 0), "f", {}),
    "gd-exact": ((0, 1, 0), "f", {}),  # the Hessian once, at the start (constant)
    "heavy-ball": ((0, 1, 0), "f", {"step": "optimal", "beta": "optimal"}),
    "nesterov": ((0, 1, 0), "f", {}),
    # Polyak's step needs f(x_k) and the gradient (Polyak 1987, 5.3)
    "gd-polyak": ((1, 1, 0), "", {}),
    # pure Newton: one gradient and one Hessian (Nocedal & Wright 3.3)
    "newton": ((0, 1, 1), "f", {"alpha": 0.5}),
    # linear CG: one product A p inside the kernel, no call of the problem (N&W Alg. 5.2)
    "cg": ((0, 0, 0), "fg", {}),
}


def _run(problem, calls, name, iterations, every, **params):
    """The registry's compiled entry called directly (no harness around it: only the solver's
    calls are counted), after a warm-up call that compiles it. Returns (history, calls)."""
    solver = get_solver(name)
    plan = solver.plan(problem, coerce_all(solver.params, params, name))
    control = make_control(max_iter=iterations, tol=0.0, record_every=every)
    plan.entry(problem.oracle, problem.x0, *plan.args, control)  # compiles on first use
    calls[:] = 0.0
    _, hist, reason, k = plan.entry(problem.oracle, problem.x0, *plan.args, control)
    assert k == iterations and reason == MAX_ITER, (name, k, reason)
    return pd.DataFrame(hist[:, :len(HISTORY_COLUMNS)], columns=HISTORY_COLUMNS), calls.copy()


def _oracle_counts(table):
    last = table.iloc[-1]
    return np.array([last["nfev"], last["ngev"], last["nhev"]])


@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_calls_per_iteration_are_the_textbook_count(counting, name):
    """Two runs of K1 < K2 iterations recording only the first and last rows: the difference
    of the problem's call counts over K2 - K1 is the per-iteration count (the start and the
    table's two rows cancel), and so is the difference of nfev/ngev/nhev (the method's
    counts; for cg the product A p is charged as one gradient without calling the problem)."""
    problem, calls = counting
    per_iteration, table, params = TEXTBOOK[name]
    k1, k2 = (2, 4) if name == "cg" else (3, 9)  # cg: exact in n = 4 steps
    r1, c1 = _run(problem, calls, name, k1, k2, **params)
    r2, c2 = _run(problem, calls, name, k2, k2, **params)
    assert len(r2) == 2
    np.testing.assert_array_equal((c2 - c1) / (k2 - k1), per_iteration)
    method = np.array(per_iteration, dtype=float)
    if name == "cg":
        method[G] = 1.0
    np.testing.assert_array_equal((_oracle_counts(r2) - _oracle_counts(r1)) / (k2 - k1), method)


@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_the_oracle_counts_are_the_calls_minus_the_table_s(counting, name):
    """Recording every row: the problem's calls equal nfev/ngev/nhev plus one evaluation per
    recorded row of what the table evaluates itself (f, or f and the gradient)."""
    problem, calls = counting
    _, table, params = TEXTBOOK[name]
    iterations = 4
    hist, c = _run(problem, calls, name, iterations, 1, **params)
    rows = len(hist)
    table_calls = np.array([rows if "f" in table else 0, rows if "g" in table else 0, 0])
    charged = _oracle_counts(hist)
    if name == "cg":  # the products A p: charged as gradients, never a call of the problem
        charged[G] -= iterations
    np.testing.assert_array_equal(c - table_calls, charged)


def test_nesterov_makes_exactly_one_gradient_call_per_iteration(counting):
    """Regression (issue 23): Nesterov evaluated the gradient at y_k and again at x_{k+1}.
    Now: one gradient call per iteration (plus the first, at y_0 = x0), no f charged; the f
    calls are the table's, one per recorded row."""
    problem, calls = counting
    for variant in ("convex", "strongly-convex"):
        hist, c = _run(problem, calls, "nesterov", 12, 1, variant=variant)
        assert c[G] == 12 + 1 == hist["ngev"].iloc[-1]
        np.testing.assert_array_equal(hist["ngev"], hist["iteration"] + 1)
        assert c[F] == len(hist) == 13 and (hist["nfev"] == 0).all()
        assert c[H] == 0


def test_nesterov_reports_and_returns_the_point_whose_gradient_it_tested(counting):
    """The loop's iterate is y_k: a NumPy transcription of x_{k+1} = y_k - t grad f(y_k),
    y_{k+1} = x_{k+1} + (k+1)/(k+4) (x_{k+1} - x_k) gives the rows' f and grad_norm and the
    returned x; a converged run's x has ||grad f(x)|| <= tol."""
    problem, _ = counting
    A, b, _ = problem.oracle.args
    t = 1.0 / problem.L
    x = y = problem.x0.copy()
    f_ref, g_ref = [], []
    for k in range(15):
        g = A @ y - b
        f_ref.append(0.5 * y @ A @ y - b @ y)
        g_ref.append(np.linalg.norm(g))
        x_new = y - t * g
        y, x = x_new + (k + 1) / (k + 4) * (x_new - x), x_new
    f_ref.append(0.5 * y @ A @ y - b @ y)
    g_ref.append(np.linalg.norm(A @ y - b))
    res = optbench.run(problem, "nesterov", variant="convex", max_iter=15, tol=0.0)
    scale = np.linalg.norm(A, 2) * np.linalg.norm(problem.x0) + np.linalg.norm(b)
    np.testing.assert_allclose(res.x, y, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(res.table["grad_norm"], g_ref, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(res.table["f"], f_ref, rtol=0,
                               atol=1e-12 * scale * np.linalg.norm(problem.x0))
    done = optbench.run(problem, "nesterov", tol=1e-8, max_iter=500)
    assert done.status == "converged"
    assert np.linalg.norm(A @ done.x - b) <= 1e-8 * (1 + 1e-10)


def test_every_solver_says_which_point_its_table_refers_to():
    for name in solver_names():
        assert get_solver(name).table_point.strip(), name
    assert get_solver("nesterov").table_point.startswith("y_k")
