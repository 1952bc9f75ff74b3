"""Adam (AMSGrad, AdamW), AdaGrad and RMSProp: step for step against NumPy transcriptions of
the published updates (tests/naive_adaptive.py) walking through the same shuffled orders;
AMSGrad's running maximum, decoupled weight decay against its closed form, evaluations counted
as sgd's, reproducible tables, refused settings."""

import numpy as np
import pytest
from naive_adaptive import (
    adagrad,
    adam,
    epoch_orders,
    logistic_batch_grad,
    lsq_batch_grad,
    rmsprop,
    run,
)

import optbench
from optbench.control import HISTORY_COLUMNS
from optbench.errors import InvalidValueError, UnknownNameError

# 20 samples in batches of 6: 6 + 6 + 6 + 2, a short last batch in every epoch
LS = {"dim": 4, "samples": 20, "cond": 3.0, "noise": 0.3, "seed": 1}
BATCH, EPOCHS, SEED = 6, 4, 11
STEPS_PER_EPOCH = 4
RTOL = 1e-12  # the two ways of computing differ by rounding only (measured: ~1e-15)


@pytest.fixture(scope="module")
def ls():
    return optbench.make_problem("least-squares", **LS)


def test_numpy_shuffles_in_numba_order():
    """The reference's orders are numba's: np.random.seed then np.random.shuffle per epoch."""
    from numba import njit

    @njit(cache=False)
    def orders(seed, m, epochs):
        np.random.seed(seed)
        order = np.arange(m)
        out = np.empty((epochs, m), dtype=np.int64)
        for e in range(epochs):
            np.random.shuffle(order)
            out[e] = order
        return out

    for seed, m in ((0, 7), (SEED, 20), (2**32 - 1, 1000)):
        gen = epoch_orders(seed, m)
        np.testing.assert_array_equal(orders(seed, m, 3), [next(gen) for _ in range(3)])


CASES = {  # solver, its parameters, the NumPy update with the same constants
    "adam": ("adam", {"lr": 0.05, "decay": "sqrt"}, adam()),
    "amsgrad": ("adam", {"lr": 0.05, "beta2": 0.9, "amsgrad": True},
                adam(beta2=0.9, amsgrad=True)),
    "adamw": ("adamw", {"lr": 0.05, "beta1": 0.8, "weight_decay": 0.1, "decay": "inverse"},
              adam(beta1=0.8, weight_decay=0.1)),
    "adagrad": ("adagrad", {"lr": 0.5, "decay": "sqrt"}, adagrad()),
    "rmsprop": ("rmsprop", {"lr": 0.02, "beta2": 0.8, "eps": 1e-6}, rmsprop(beta2=0.8, eps=1e-6)),
}


def _iterates(res):
    return res.table[[c for c in res.table.columns if c.startswith("x_")]].to_numpy()


def _power(params):
    return {"none": 0.0, "sqrt": 0.5, "inverse": 1.0}[params.get("decay", "none")]


@pytest.mark.parametrize("case", list(CASES))
def test_iterates_equal_the_published_update_step_for_step(ls, case):
    solver, params, update = CASES[case]
    A, y = ls.oracle.args
    ref = run(update, lsq_batch_grad(A, y), ls.x0, ls.samples, BATCH, params["lr"],
              _power(params), SEED, EPOCHS)
    scale = np.abs(ref).max()
    kw = {"batch_size": BATCH, "seed": SEED, "tol": 0.0, "record_x": True, **params}
    steps = optbench.run(ls, solver, per_step=True, max_iter=EPOCHS * STEPS_PER_EPOCH, **kw)
    assert steps.status == "max_iter" and len(steps.table) == len(ref)
    np.testing.assert_allclose(_iterates(steps), ref, rtol=RTOL, atol=RTOL * scale)
    # the rows' f is the full objective at those iterates
    np.testing.assert_allclose(steps.table["f"], [ls.f(x) for x in ref], rtol=1e-10)
    # one epoch per iteration: the same iterates at the epochs' ends
    epochs = optbench.run(ls, solver, max_iter=EPOCHS, **kw)
    np.testing.assert_allclose(_iterates(epochs), ref[::STEPS_PER_EPOCH], rtol=RTOL,
                               atol=RTOL * scale)
    assert list(epochs.table["steps"].iloc[1:]) == [4, 8, 12, 16]
    rates = params["lr"] / (np.arange(EPOCHS) + 1.0) ** _power(params)
    np.testing.assert_allclose(epochs.table["step"].iloc[1:], rates, rtol=1e-15)


def test_adam_on_logistic_regression_equals_the_reference():
    p = optbench.make_problem("logistic-regression", samples=30, dim=3, lam=0.05, seed=2)
    X, y, lam = p.oracle.args
    x0 = np.linspace(-0.5, 0.5, p.dim)
    ref = run(adam(amsgrad=True), logistic_batch_grad(X, y, lam), x0, p.samples, 7, 0.1, 0.5,
              3, 5)  # 30 = 4 x 7 + 2: five steps per epoch
    res = optbench.run(p, "adam", x0=x0, batch_size=7, lr=0.1, decay="sqrt", amsgrad=True,
                       seed=3, per_step=True, max_iter=25, tol=0.0, record_x=True)
    np.testing.assert_allclose(_iterates(res), ref, rtol=RTOL, atol=RTOL * np.abs(ref).max())


def test_amsgrad_keeps_the_running_maximum_of_v():
    """The rule's state: v follows the squared gradients down, v_max never decreases and is
    the running maximum of v; without amsgrad the slot stays unused (zero)."""
    from optbench.solvers.adaptive import _adam_rule

    rng = np.random.default_rng(0)
    n = 5
    grads = rng.standard_normal((30, n)) * np.geomspace(10.0, 0.01, 30)[:, None]  # shrinking
    for amsgrad in (True, False):
        x, memory = np.zeros(n), np.zeros((3, n))
        vs, maxima = [], []
        for t, g in enumerate(grads, start=1):
            _adam_rule(x, g, memory, (0.9, 0.9, 1e-8, 0.0, amsgrad), 0.01, 1.0, t)
            vs.append(memory[1].copy())
            maxima.append(memory[2].copy())
        vs, maxima = np.array(vs), np.array(maxima)
        assert (np.diff(vs, axis=0) < 0).any()  # v does decrease: the maximum matters
        if amsgrad:
            assert (np.diff(maxima, axis=0) >= 0).all()
            np.testing.assert_array_equal(maxima, np.maximum.accumulate(vs, axis=0))
        else:
            assert (maxima == 0).all()


def test_amsgrad_takes_shorter_steps_once_v_falls(ls):
    """Same orders, same first steps; once v falls below its maximum, AMSGrad's denominator is
    larger, so its iterates leave plain Adam's."""
    kw = {"batch_size": BATCH, "seed": SEED, "tol": 0.0, "lr": 0.05, "beta2": 0.9,
          "per_step": True, "max_iter": 12, "record_x": True}
    plain = _iterates(optbench.run(ls, "adam", **kw))
    ams = _iterates(optbench.run(ls, "adam", amsgrad=True, **kw))
    np.testing.assert_allclose(ams[:2], plain[:2], rtol=1e-15)  # t = 1: v_max = v
    assert not np.allclose(ams[-1], plain[-1], rtol=1e-6)


def test_weight_decay_is_decoupled_from_the_moments():
    """One full-batch step from x0 (t = 1: m^ = g, v^ = g^2). Decoupled decay (adamw):
    x1 = (1 - wd) x0 - lr g/(|g| + eps), wd x0 away from Adam's step. L2 in the gradient
    (adam on the problem whose lam is wd larger): x1 = x0 - lr h/(|h| + eps) with
    h = g + wd x0, so every coordinate moves by lr: the decay is normalized away."""
    wd, lr, eps, lam = 0.3, 0.01, 1e-8, 1e-3
    plain = optbench.make_problem("logistic-regression", samples=24, dim=4, lam=lam, seed=5)
    l2 = optbench.make_problem("logistic-regression", samples=24, dim=4, lam=lam + wd, seed=5)
    x0 = np.array([1.5, -2.0, 0.7, -0.4, 3.0])
    kw = {"x0": x0, "batch_size": 24, "lr": lr, "eps": eps, "max_iter": 1, "tol": 0.0}
    g = plain.grad(x0)
    h = l2.grad(x0)
    np.testing.assert_allclose(h, g + wd * x0, rtol=1e-13)  # lam: L2 in the gradient
    decoupled = optbench.run(plain, "adamw", weight_decay=wd, **kw).x
    adam_plain = optbench.run(plain, "adam", **kw).x
    coupled = optbench.run(l2, "adam", **kw).x
    tol = 1e-14 * np.abs(x0).max()
    np.testing.assert_allclose(decoupled, (1 - wd) * x0 - lr * g / (np.abs(g) + eps), rtol=0,
                               atol=tol)
    np.testing.assert_allclose(decoupled - adam_plain, -wd * x0, rtol=0, atol=tol)
    np.testing.assert_allclose(coupled, x0 - lr * h / (np.abs(h) + eps), rtol=0, atol=tol)
    np.testing.assert_allclose(np.abs(coupled - x0), lr, rtol=1e-6)


def test_weight_decay_follows_the_schedule_multiplier(ls):
    """x <- x - eta m^/(sqrt(v^)+eps) - (eta/lr) wd x: with decay inverse the decay term of
    epoch e is wd/(e+1), whatever lr (Loshchilov & Hutter's eta_t)."""
    A, y = ls.oracle.args
    x0 = np.array([1.0, -1.0, 2.0, 0.5])
    for lr in (0.01, 0.2):
        ref = run(adam(weight_decay=0.2), lsq_batch_grad(A, y), x0, ls.samples, 20, lr, 1.0,
                  0, 3)
        res = optbench.run(ls, "adamw", x0=x0, batch_size=20, lr=lr, weight_decay=0.2,
                           decay="inverse", max_iter=3, tol=0.0, record_x=True)
        np.testing.assert_allclose(_iterates(res), ref, rtol=RTOL,
                                   atol=RTOL * np.abs(ref).max())


def test_evaluations_are_counted_as_sgd_counts_them(ls):
    """A mini-batch of b samples is b/m of an evaluation; the table's own f is not counted."""
    kw = {"batch_size": BATCH, "tol": 0.0}
    per_epoch = optbench.run(ls, "rmsprop", max_iter=3, **kw)
    np.testing.assert_array_equal(per_epoch.table["nfev"], [0, 1, 2, 3])
    np.testing.assert_array_equal(per_epoch.table["ngev"], [0, 1, 2, 3])
    per_step = optbench.run(ls, "rmsprop", per_step=True, max_iter=6, **kw)
    seen = np.array([0, 6, 12, 18, 20, 26, 32])  # the short batch of 2 ends epoch 1
    np.testing.assert_allclose(per_step.table["ngev"], seen / ls.samples, rtol=1e-15)
    np.testing.assert_allclose(per_step.table["epochs"].iloc[1:], seen[1:] / ls.samples,
                               rtol=1e-15)
    assert {*HISTORY_COLUMNS, "epochs", "steps", "batch_f"} <= set(per_step.table.columns)


def test_same_seed_same_table_other_seed_other_iterates(ls):
    cols = ["iteration", "f", "grad_norm", "step", "nfev", "epochs", "steps", "batch_f"]
    kw = {"batch_size": BATCH, "lr": 0.05, "max_iter": 4, "tol": 0.0}
    a = optbench.run(ls, "adamw", seed=5, **kw)
    b = optbench.run(ls, "adamw", seed=5, **kw)
    c = optbench.run(ls, "adamw", seed=6, **kw)
    assert a.table[cols].equals(b.table[cols])
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.allclose(a.x, c.x, rtol=1e-6)


def test_full_batch_adam_with_decay_reaches_lstsq(ls):
    """Deterministic Adam (one batch of all samples) with a decaying rate settles at the
    least-squares solution; a constant rate and sign-like steps keep it oscillating nearer
    than lr but not much nearer."""
    A, y = ls.oracle.args
    x_star = np.linalg.lstsq(A, y, rcond=None)[0]
    res = optbench.run(ls, "adam", batch_size=ls.samples, lr=0.1, decay="sqrt",
                       max_iter=3000, tol=1e-7)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, x_star, rtol=0, atol=1e-6)


def test_bad_settings_are_refused_naming_the_parameter(ls):
    for solver, bad in (("adam", {"beta1": 1.0}), ("adam", {"beta2": 1.0}),
                        ("adam", {"beta2": -0.1}), ("adam", {"eps": 0.0}),
                        ("adam", {"lr": 0.0}), ("adamw", {"weight_decay": -0.1}),
                        ("adamw", {"weight_decay": 1.5}), ("rmsprop", {"beta2": 1.0}),
                        ("adagrad", {"eps": -1.0}), ("adagrad", {"decay": "cubic"}),
                        ("rmsprop", {"batch_size": 21})):
        (name,) = bad
        with pytest.raises(InvalidValueError, match=name):
            optbench.run(ls, solver, max_iter=1, **bad)
    with pytest.raises(UnknownNameError, match="weight_decay"):  # adam's decay is adamw's
        optbench.run(ls, "adam", weight_decay=0.1, max_iter=1)


def test_public_entry_takes_the_documented_arguments(ls):
    from optbench.solvers.adaptive import adam as adam_entry

    control = optbench.make_control(max_iter=3, tol=None)
    x, hist, reason, k = adam_entry(ls.oracle, ls.x0, ls.samples, 16, 1e-3, 0.0, 0.9, 0.999,
                                    1e-8, 0.0, False, 0, control)
    res = optbench.run(ls, "adam", batch_size=16, seed=0, max_iter=3, tol=0.0)
    np.testing.assert_array_equal(x, res.x)
    assert k == 3 and hist.shape == (4, len(HISTORY_COLUMNS) + 3)
