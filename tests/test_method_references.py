"""Each method's arithmetic, step for step, against a NumPy transcription of its textbook form
(tests/naive_methods.py) or against the defining property of its rule: what a refactor of the
compiled core must keep. Iterates are read from the table (record_x), so the checks hold
whichever point a method's f and grad_norm columns describe."""

import math

import numpy as np
import pytest
from naive import iteration_rounding_bound
from naive_adaptive import epoch_orders, lsq_batch_grad
from naive_methods import (
    barzilai_borwein,
    damped_newton,
    full_batch_sgd,
    heavy_ball,
    minibatch_sgd,
    ncg_direction,
    nesterov,
    newton_backtracking,
    polyak,
    shifted_newton_step,
)

import optbench

EPS = np.finfo(float).eps


@pytest.fixture(scope="module")
def quad():
    return optbench.make_problem("quadratic", dim=6, cond=30.0, seed=5)


def iterates(result):
    assert result.iterates is not None, "run with record_x=True"
    return result.iterates


def assert_iterates(result, reference, growth=1.0):
    """The run's iterates equal the reference's, row for row, within the rounding two
    correct evaluations of the same iteration may differ by."""
    xs = iterates(result)
    assert xs.shape == reference.shape
    n = reference.shape[1]
    for k in range(1, len(reference)):
        scale = max(np.abs(reference[: k + 1]).max(), 1.0)
        np.testing.assert_allclose(xs[k], reference[k], rtol=0,
                                   atol=iteration_rounding_bound(k, n, scale, growth),
                                   err_msg=f"iterate {k}")


# -- momentum -----------------------------------------------------------------------------------
@pytest.mark.parametrize("step_factor, beta", [(0.5, 0.7), (1.0, 0.3)])
def test_heavy_ball_with_user_step_and_beta(quad, step_factor, beta):
    step = step_factor / quad.L
    res = optbench.run(quad, "heavy-ball", step=step, beta=beta, max_iter=25, tol=0.0,
                       record_x=True)
    assert_iterates(res, heavy_ball(quad.grad, quad.x0, step, beta, 25), 1 / (1 - beta))


def test_heavy_ball_optimal_constants(quad):
    rl, rm = math.sqrt(quad.L), math.sqrt(quad.mu)
    step, beta = 4 / (rl + rm) ** 2, ((rl - rm) / (rl + rm)) ** 2
    res = optbench.run(quad, "heavy-ball", step="optimal", beta="optimal", max_iter=25,
                       tol=0.0, record_x=True)
    assert_iterates(res, heavy_ball(quad.grad, quad.x0, step, beta, 25), 1 / (1 - beta))


@pytest.mark.parametrize("variant, step_factor", [("strongly-convex", 1.0),
                                                  ("strongly-convex", 0.5), ("convex", 0.8)])
def test_nesterov_every_variant(quad, variant, step_factor):
    rl, rm = math.sqrt(quad.L), math.sqrt(quad.mu)
    constant = (rl - rm) / (rl + rm)
    momentum = (lambda k: constant) if variant == "strongly-convex" else (lambda k: k / (k + 3))
    step = step_factor / quad.L
    res = optbench.run(quad, "nesterov", step=step, variant=variant, max_iter=25, tol=0.0,
                       record_x=True)
    # the rows are the points y_k where the method evaluates its gradient
    assert_iterates(res, nesterov(quad.grad, quad.x0, step, momentum, 25), 4.0)


# -- step-size rules ----------------------------------------------------------------------------
@pytest.mark.parametrize("t0, c, shrink", [(1.0, 1e-4, 0.5), (3.0, 0.3, 0.7), (0.5, 0.45, 0.2)])
def test_armijo_takes_the_largest_step_of_its_sequence(t0, c, shrink):
    """Every accepted t is t0 shrink^j, meets f(x - t g) <= f(x) - c t |g|^2, and t / shrink
    (the trial before it) does not, unless t = t0; the trials column counts j + 1."""
    p = optbench.make_problem("rosenbrock")
    res = optbench.run(p, "gd-armijo", t0=t0, c=c, shrink=shrink, max_iter=40, tol=0.0,
                       record_x=True)
    xs, t = iterates(res), res.table
    assert res.iterations == 40
    for k in range(40):
        x, step, trials = xs[k], t["step"].iloc[k + 1], t["trials"].iloc[k + 1]
        j = round(math.log(step / t0) / math.log(shrink))
        assert step == pytest.approx(t0 * shrink ** j, rel=1e-12) and trials == j + 1
        fx, g = p.f(x), p.grad(x)
        slack = 64 * EPS * max(abs(fx), 1.0)  # f evaluated by two code paths
        assert p.f(x - step * g) <= fx - c * step * (g @ g) + slack
        if j > 0:
            longer = step / shrink
            assert p.f(x - longer * g) > fx - c * longer * (g @ g) - slack
        np.testing.assert_allclose(xs[k + 1], x - step * g, rtol=0,
                                   atol=4 * EPS * (np.abs(x).max() + step * np.abs(g).max()))


def test_armijo_out_of_trials_is_a_failed_search_not_a_step():
    """With max_trials=2 and a first trial far too long, no step is accepted: the run ends
    with a line-search status and x unchanged."""
    p = optbench.make_problem("rosenbrock")
    res = optbench.run(p, "gd-armijo", t0=1e3, shrink=0.5, max_trials=2, max_iter=5)
    assert res.status in {"line_search_failed", "precision_limit"}
    assert res.iterations == 0
    np.testing.assert_array_equal(res.x, p.x0)


@pytest.mark.parametrize("variant", [1, 2])
def test_barzilai_borwein_clipping(quad, variant):
    """bb_min or bb_max binds (checked on the reference's unclipped steps) and the run
    follows the clipped sequence. 14 iterations: later, s and y shrink toward rounding level
    and s's/s'y loses digits in any implementation."""
    lo, hi = 2.5 / quad.L, 0.5 / quad.mu
    name = "gd-bb" if variant == 1 else "gd-bb2"
    res = optbench.run(quad, name, t0=1 / quad.L, bb_min=lo, bb_max=hi, max_iter=14,
                       tol=0.0, record_x=True)
    ref, steps, raw = barzilai_borwein(quad.grad, quad.x0, 1 / quad.L, variant, lo, hi, 14)
    assert (raw < lo).any() or (raw > hi).any()
    np.testing.assert_allclose(res.table["step"].iloc[1:], steps, rtol=1e-8)
    # not monotone: rounding differences grow by up to the step ratios, far below 1e-9 here
    np.testing.assert_allclose(iterates(res), ref, rtol=0, atol=1e-9 * np.abs(ref).max())


def test_barzilai_borwein_clipping_binds_at_both_ends():
    q = optbench.make_problem("quadratic", dim=6, cond=30.0, seed=5)
    lo, hi = 2.5 / q.L, 0.5 / q.mu
    raws = np.concatenate([barzilai_borwein(q.grad, q.x0, 1 / q.L, v, 0, np.inf, 14)[2]
                           for v in (1, 2)])
    assert (raws < lo).any() and (raws > hi).any()


def test_polyak_iterates(quad):
    res = optbench.run(quad, "gd-polyak", max_iter=20, tol=0.0, record_x=True)
    ref = polyak(quad.f, quad.grad, quad.x0, quad.f_star, 20)
    # the step divides by f - f*, which loses digits as f approaches f*: compare in relative
    # terms of the distance to x* (the iteration is a contraction toward it)
    xs = iterates(res)
    for k in range(1, 21):
        err = np.abs(xs[k] - ref[k]).max()
        assert err <= 1e-8 * np.abs(ref[0] - quad.x_star).max(), f"iterate {k}"


# -- nonlinear conjugate gradients --------------------------------------------------------------
def _ncg_directions(p, res):
    """(g_k, d_k) for each iteration: d_k = (x_{k+1} - x_k) / alpha_k from the table."""
    xs, alpha = iterates(res), res.table["step"].to_numpy()[1:]
    gs = [p.grad(x) for x in xs]
    ds = [(xs[k + 1] - xs[k]) / alpha[k] for k in range(len(alpha))]
    return gs, ds


def _direction_error(rule, gs, ds, k, n):
    """How far d_k is from the rule's direction built from g_k, g_{k-1} and d_{k-1}
    (restarted along -g_k every n iterations), relative to |d_k|."""
    expected = -gs[k] if k % n == 0 else ncg_direction(rule, gs[k], gs[k - 1], ds[k - 1])
    if expected @ gs[k] >= 0:  # not a descent direction: the method restarts along -g
        expected = -gs[k]
    return np.linalg.norm(ds[k] - expected) / np.linalg.norm(ds[k])


@pytest.mark.parametrize("rule", ["fr", "pr+"])
def test_nonlinear_cg_directions_follow_their_rule_and_restarts(rule):
    """Each direction is the rule's, restarts every n iterations included; the other rule's
    formula does not fit the same run (FR and PR+ are told apart)."""
    p = optbench.make_problem("rosenbrock", dim=6)
    res = optbench.run(p, "ncg", beta=rule, max_iter=14, tol=0.0, record_x=True)
    assert res.iterations == 14
    gs, ds = _ncg_directions(p, res)
    assert np.linalg.norm(ds[0] + gs[0]) <= 1e-7 * np.linalg.norm(gs[0])
    other = "pr+" if rule == "fr" else "fr"
    mismatch = 0.0
    for k in range(1, 14):
        assert _direction_error(rule, gs, ds, k, 6) <= 1e-6, f"iteration {k}"
        mismatch = max(mismatch, _direction_error(other, gs, ds, k, 6))
    assert mismatch > 1e-3


# -- Newton -------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.5, 0.8])
def test_newton_damping(alpha):
    p = optbench.make_problem("logistic-regression", samples=40, dim=3)
    res = optbench.run(p, "newton", alpha=alpha, max_iter=8, tol=0.0, record_x=True)
    ref = damped_newton(p.grad, p.hess, p.x0, alpha, 8)
    np.testing.assert_allclose(iterates(res), ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("c, shrink, other_c", [(0.45, 0.3, 1e-4), (1e-4, 0.8, 0.49)])
def test_newton_line_search_constants(c, shrink, other_c):
    p = optbench.make_problem("logistic-regression", samples=40, dim=3)
    x0 = 3.0 * np.ones(p.dim)  # far enough out that the full Newton step is cut back
    res = optbench.run(p, "newton-ls", x0=x0, c=c, shrink=shrink, max_iter=6, tol=0.0,
                       record_x=True)
    ref = newton_backtracking(p.f, p.grad, p.hess, x0, c, shrink, 6)
    assert (np.abs(np.diff(ref, axis=0)) > 0).any()
    # c decides a trial here: with other_c the search stops elsewhere
    other = newton_backtracking(p.f, p.grad, p.hess, x0, other_c, shrink, 6)
    assert np.abs(other - ref).max() > 1e-3 * np.abs(ref).max()
    np.testing.assert_allclose(iterates(res), ref, rtol=1e-9, atol=1e-12)
    assert (res.table["step"].iloc[1:] < 1.0).any(), "the search must have backtracked"


# -- stochastic: full batch, every decay, with momentum -----------------------------------------
@pytest.mark.parametrize("decay, power", [("none", 0.0), ("sqrt", 0.5), ("inverse", 1.0)])
def test_full_batch_sgd_every_decay_with_momentum(decay, power):
    ls = optbench.make_problem("least-squares", samples=30, dim=4, seed=2)
    lr, beta = 0.5 / ls.L, 0.5
    res = optbench.run(ls, "sgd", batch_size=ls.samples, lr=lr, decay=decay, momentum=beta,
                       max_iter=15, tol=0.0, record_x=True)
    ref = full_batch_sgd(ls.grad, ls.x0, lr, power, beta, 15)
    assert_iterates(res, ref, growth=ls.samples / (1 - beta))
    np.testing.assert_allclose(res.table["step"].iloc[1:],
                               lr / np.arange(1.0, 16.0) ** power, rtol=1e-14)


# -- newton-safe: the shift schedule ------------------------------------------------------------
# Rosenbrock in 4-D (newton-safe is compiled for it in test_newton_family.py too), from starts
# where H is indefinite at most of the first 12 iterates and positive definite at some in
# between. Chosen so that each part of the schedule decides some lambda: changing alone the
# start lam0 ||H||_F (to the 2-norm), the growth factor, the warm start from the last shift or
# its fading at positive definite iterates changes a lambda of both runs (checked when choosing).
SAFE_CASES = {
    "defaults": ((0.4, -0.9, -0.1, 1.7), {"lam0": 1e-15, "growth": 10.0, "c": 1e-4,
                                            "shrink": 0.5}),
    "own-constants": ((0.6, -0.2, 0.5, 1.9), {"lam0": 1e-2, "growth": 4.0, "c": 0.3,
                                               "shrink": 0.4}),
}


def _shifted_step_rounding(M, x, x_new, t):
    """How far two correct computations of x + t d, d = -M^{-1} g, may differ: each solve is
    backward stable with |dM| <= (3n + 1) n eps ||M|| (Cholesky, Higham 2002, thm 10.4 with
    || |C||C'| || <= n ||M||), M and g themselves a few eps apart (lambda: below 100 eps), so
    d differs by cond(M) times that, relative; then the update's own rounding."""
    n = len(x)
    d = (x_new - x) / t
    rel = np.linalg.cond(M) * (2 * (3 * n + 1) * n + 104) * EPS
    return t * rel * np.linalg.norm(d) + 2 * EPS * (np.abs(x).max() + t * np.abs(d).max())


@pytest.mark.parametrize("case", list(SAFE_CASES))
def test_newton_safe_shift_schedule(case):
    """Each step taken from the run's own iterate equals the reference's step from it (the
    reference keeping its own shift memory): lambda, the line search's t and x_{k+1}, within
    rounding; and the schedule was exercised: a search from lam0 ||H||_F and from the last
    shift, factorizations that failed (growth), a positive definite H between shifts, and
    backtracking."""
    x0, params = SAFE_CASES[case]
    p = optbench.make_problem("rosenbrock", dim=4)
    res = optbench.run(p, "newton-safe", x0=np.array(x0), max_iter=12, tol=0.0, record_x=True,
                       **params)
    assert res.iterations == 12
    xs = iterates(res)
    lams, steps = res.table["lambda"].to_numpy()[1:], res.table["step"].to_numpy()[1:]
    lam0, growth = params["lam0"], params["growth"]
    last, starts = 0.0, []
    for k in range(12):
        H = p.hess(xs[k])
        starts.append((last / growth, lam0 * np.linalg.norm(H, "fro")))
        x_new, lam, t, last = shifted_newton_step(p.f, p.grad, p.hess, xs[k], last, **params)
        # lambda: a product of the same factors both ways, ||H||_F's n^2 terms and one
        # rounding per factor apart (under 100 eps)
        np.testing.assert_allclose(lams[k], lam, rtol=100 * EPS, err_msg=f"lambda, iteration {k}")
        assert steps[k] == pytest.approx(t, rel=4 * EPS), f"t, iteration {k}"
        M = H + lam * np.eye(p.dim)
        np.testing.assert_allclose(xs[k + 1], x_new, rtol=0,
                                   atol=_shifted_step_rounding(M, xs[k], x_new, t),
                                   err_msg=f"iterate {k + 1}")
    shifted = lams > 0
    warm = np.array([w > s for w, s in starts])
    mu = np.array([max(s) for s in starts])
    assert (shifted & ~warm).any() and (shifted & warm).any()
    assert (lams[shifted] > 1.5 * mu[shifted]).any()  # a factorization failed: lambda grew
    assert (~shifted[:-1] & shifted[1:]).any()  # a shift after a positive definite H (fading)
    assert (steps < 1).any()  # backtracking with this c and shrink


# -- stochastic: shuffled mini-batches, momentum, every decay -----------------------------------
# 30 samples: batches of 1, of 16 (minibatch-sgd's default: 16 + 14) and of 7 (4 x 7 + 2)
SGD_CASES = {  # solver, its parameters, the decay's power (sgd's docstring), epochs
    "one-sample-no-decay": ("sgd", {"batch_size": 1, "decay": "none", "momentum": 0.0,
                                    "seed": 3}, 0.0, 3),
    "minibatch-sgd-momentum-sqrt": ("minibatch-sgd", {"decay": "sqrt", "momentum": 0.5,
                                                      "seed": 7}, 0.5, 5),
    "batches-of-7-momentum-inverse": ("sgd", {"batch_size": 7, "decay": "inverse",
                                              "momentum": 0.8, "seed": 11}, 1.0, 5),
}


def _sgd_rounding_bounds(A, y, xs, steps, beta):
    """For each row k of the reference, how far two correct floating-point runs of its steps
    may be apart at x_k. Least squares makes a step linear in (x, v):
    v' = beta v + G x - m/|B| A_B'y_B, x' = x - eta v' with G = m/|B| A_B'A_B; step j's rounding
    delta_j reaches row k through the exact maps T_k ... T_{j+1}, so the bound is
    2 sum_j ||T_k ... T_{j+1}|| |delta_j| (two runs), with |delta_j| componentwise from the
    batch gradient's sums (n-term residuals, |B| terms) and the two updates."""
    m, n = A.shape
    eye = np.eye(n)
    products, deltas, bounds = [], [], [0.0]
    v = np.zeros(n)
    for j, (B, eta) in enumerate(steps):
        AB, x = A[B], xs[j]
        G = m / len(B) * AB.T @ AB
        v_new = (xs[j] - xs[j + 1]) / eta
        g = v_new - beta * v
        terms = m / len(B) * np.abs(AB).T @ (np.abs(AB) @ np.abs(x) + np.abs(y[B]))
        dv = (n + len(B) + 6) * EPS * terms + 2 * EPS * (beta * np.abs(v) + np.abs(g))
        dx = 2 * EPS * (np.abs(x) + eta * np.abs(v_new))
        deltas.append(2 * np.linalg.norm(np.concatenate([dx + eta * dv, dv])))
        step_map = np.block([[eye - eta * G, -eta * beta * eye], [G, beta * eye]])
        products = [step_map @ P for P in products] + [np.eye(2 * n)]
        bounds.append(np.dot([np.linalg.norm(P, 2) for P in products], deltas))
        v = v_new
    return np.array(bounds)


@pytest.mark.parametrize("case", list(SGD_CASES))
def test_shuffled_minibatch_sgd_step_for_step(case):
    """SGD walks through NumPy's legacy MT19937 orders (seeded once, shuffled per epoch:
    test_adaptive.py checks numba draws the same) in mini-batches, with heavy-ball momentum
    and the epoch's decayed rate: every step's iterate (per_step) and every epoch's end
    equal the reference's within the rounding bound above."""
    solver, params, power, epochs = SGD_CASES[case]
    ls = optbench.make_problem("least-squares", samples=30, dim=4, seed=2)
    A, y = ls.oracle.args
    m = ls.samples
    lr = 0.5 / (m * (A * A).sum(axis=1).max())  # every batch's G has norm <= 0.5 / lr
    kw = {"lr": lr, "tol": 0.0, "record_x": True, **params}
    per_epoch = optbench.run(ls, solver, max_iter=epochs, **kw)
    batch = int(per_epoch.table["p_batch_size"].iloc[0])
    per_epoch_steps = -(-m // batch)
    ref, steps = minibatch_sgd(lsq_batch_grad(A, y), ls.x0, epoch_orders(params["seed"], m),
                               batch, lr, power, params["momentum"], epochs)
    bounds = _sgd_rounding_bounds(A, y, ref, steps, params["momentum"])
    per_step = optbench.run(ls, solver, per_step=True, max_iter=len(steps), **kw)
    for xs, rows in ((iterates(per_step), np.arange(len(ref))),
                     (iterates(per_epoch), np.arange(0, len(ref), per_epoch_steps))):
        assert len(xs) == len(rows)
        err = np.linalg.norm(xs - ref[rows], axis=1)
        assert (err <= bounds[rows]).all(), (err / np.maximum(bounds[rows], 1e-300)).max()
    np.testing.assert_allclose(per_epoch.table["step"].iloc[1:],
                               [eta for _, eta in steps[::per_epoch_steps]], rtol=4 * EPS)
