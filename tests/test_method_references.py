"""Each method's arithmetic, step for step, against a NumPy transcription of its textbook form
(tests/naive_methods.py) or against the defining property of its rule: what a refactor of the
compiled core must keep. Iterates are read from the table (record_x), so the checks hold
whichever point a method's f and grad_norm columns describe."""

import math

import numpy as np
import pytest
from naive import iteration_rounding_bound
from naive_methods import (
    barzilai_borwein,
    damped_newton,
    full_batch_sgd,
    heavy_ball,
    ncg_direction,
    nesterov,
    newton_backtracking,
    polyak,
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


@pytest.mark.parametrize("c, shrink", [(0.3, 0.3), (1e-4, 0.8)])
def test_newton_line_search_constants(c, shrink):
    p = optbench.make_problem("logistic-regression", samples=40, dim=3)
    x0 = 3.0 * np.ones(p.dim)  # far enough out that the full Newton step is cut back
    res = optbench.run(p, "newton-ls", x0=x0, c=c, shrink=shrink, max_iter=6, tol=0.0,
                       record_x=True)
    ref = newton_backtracking(p.f, p.grad, p.hess, x0, c, shrink, 6)
    assert (np.abs(np.diff(ref, axis=0)) > 0).any()
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
