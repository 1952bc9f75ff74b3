"""Finite sums and SGD: per-batch oracles against finite differences and the full objective;
SGD against a plain NumPy loop, lstsq, Rosenblatt's rule and its own per-step recording."""

import numpy as np
import pytest
from naive import fd_gradient, iteration_rounding_bound, mean_rounding_bound, per_sample_terms

import optbench
from optbench.cli import main
from optbench.control import HISTORY_COLUMNS
from optbench.errors import IncompatibleError, InvalidValueError

# one small least-squares instance for every SGD run: one compilation per entry point
LS = {"dim": 5, "samples": 40, "cond": 2.0, "noise": 0.1, "seed": 1}


@pytest.fixture(scope="module")
def ls():
    return optbench.make_problem("least-squares", **LS)


def finite_sum_instances():
    """Every registered problem with per-batch gradients, at its defaults (from the registry)."""
    for name in optbench.problem_names():
        p = optbench.make_problem(name)
        if "finite_sum" in p.capabilities:
            yield pytest.param(name, id=name)


# listed once, when the tests are collected: problems that other tests register while they
# run (a user's problem whose data file is gone by then) are not built-in finite sums
FINITE_SUMS = list(finite_sum_instances())


def _batch(p, x, idx):
    out = np.empty(p.dim)
    value = p.oracle.batch(np.ascontiguousarray(x, dtype=float), p.oracle.args,
                           np.asarray(idx, dtype=np.int64), out)
    return value, out


def test_some_problems_are_finite_sums():
    names = [param.values[0] for param in FINITE_SUMS]
    assert {"least-squares", "linear-regression", "perceptron", "xor-mlp"} <= set(names)


@pytest.mark.parametrize("name", FINITE_SUMS)
def test_batch_gradient_matches_finite_differences(name, rng):
    p = optbench.make_problem(name)
    m = p.samples
    for size in (1, min(3, m), m):
        idx = rng.choice(m, size=size, replace=False)
        x = p.x0 + (1.0 + np.abs(p.x0)) * rng.standard_normal(p.dim)
        value, g = _batch(p, x, idx)
        ref = fd_gradient(lambda z, idx=idx: _batch(p, z, idx)[0], x)
        np.testing.assert_allclose(g, ref, rtol=1e-5, atol=1e-6 * (1 + np.abs(ref).max()))
        # the batch mean is the mean of the single-sample terms
        singles = [_batch(p, x, [i]) for i in idx]
        assert value == pytest.approx(np.mean([v for v, _ in singles]), rel=1e-12, abs=1e-14)
        np.testing.assert_allclose(g, np.mean([gi for _, gi in singles], axis=0), rtol=1e-10,
                                   atol=1e-13)


@pytest.mark.parametrize("name", FINITE_SUMS)
def test_mean_over_all_samples_is_f_exactly(name, rng):
    p = optbench.make_problem(name)
    m = p.samples
    for _ in range(3):
        x = p.x0 + (1.0 + np.abs(p.x0)) * rng.standard_normal(p.dim)
        f, grad = p.value_and_grad(x)
        # the per-sample terms bound how far two summations of them may differ
        values, grads = per_sample_terms(p, x)
        f_tol, g_tol = mean_rounding_bound(values), mean_rounding_bound(grads)
        for order in (np.arange(m), rng.permutation(m)):  # in order, and in any order
            value, g = _batch(p, x, order)
            assert abs(value - f) <= f_tol
            np.testing.assert_array_less(np.abs(g - grad), g_tol)


def _heavy_ball_reference(grad, x0, lr, beta, epochs):
    """v <- beta v + grad f(x); x <- x - lr v; the full f after each epoch (plain NumPy)."""
    x, v = np.array(x0, dtype=float), np.zeros(len(x0))
    for _ in range(epochs):
        v = beta * v + grad(x)
        x = x - lr * v
    return x


@pytest.mark.parametrize("momentum", [0.0, 0.6])
def test_full_batch_sgd_is_gradient_descent_step_for_step(ls, momentum):
    """With one batch of all samples, SGD is gradient descent (heavy ball with momentum),
    up to the rounding of two different code paths: compiled batch sums in shuffled order
    against the problem's gradient in NumPy. lr = 0.7 < 2/L keeps the iteration from
    amplifying errors (a factor 1 / (1 - momentum) accumulates in the velocity)."""
    lr = 0.7
    assert lr < 2.0 / ls.L
    res = optbench.run(ls, "sgd", batch_size=ls.samples, lr=lr, momentum=momentum,
                       max_iter=25, tol=0.0)
    assert res.status == "max_iter" and res.iterations == 25
    A, y = ls.oracle.args

    def term_scale(x):  # |x| and the step's largest per-sample gradient terms |a_i (a_i.x - y_i)|
        terms = np.abs(A) * np.abs(A @ x - y)[:, None]
        return np.abs(x).max() + lr * terms.max() / (1.0 - momentum)

    for k in (1, 7, 25):
        ref = _heavy_ball_reference(ls.grad, ls.x0, lr, momentum, k)
        scale = max(term_scale(ls.x0), term_scale(ref))
        x_tol = iteration_rounding_bound(k, ls.samples + ls.dim, scale, 1.0 / (1.0 - momentum))
        # |f(x) - f(ref)| <= |grad f| |x - ref| + L |x - ref|^2 / 2, plus f's own rounding
        d = x_tol * np.sqrt(ls.dim)
        f_tol = np.linalg.norm(ls.grad(ref)) * d + ls.L * d * d / 2 + \
            ls.samples * 2.2e-16 * abs(ls.f(ref))
        assert abs(res.table["f"].iloc[k] - ls.f(ref)) <= f_tol
    np.testing.assert_array_less(np.abs(res.x - ref), x_tol)
    assert list(res.table["steps"].iloc[1:]) == list(range(1, 26))  # one step per epoch


def test_decaying_steps_approach_lstsq_and_constant_steps_stall(ls):
    A, y = ls.oracle.args
    x_star = np.linalg.lstsq(A, y, rcond=None)[0]

    def dist(lr, **kw):
        res = optbench.run(ls, "sgd", lr=lr, tol=0.0, **kw)
        return np.linalg.norm(res.x - x_star), res

    early, _ = dist(0.2, decay="inverse", max_iter=30)
    late, res = dist(0.2, decay="inverse", max_iter=300)
    assert late < 2e-3 and late < early / 3
    assert res.table["step"].iloc[-1] == pytest.approx(0.2 / 300)  # eta0 / (t + 1), t = 299
    # a constant step leaves SGD in a noise ball around x* (the f_i have different minimizers)
    stalled, _ = dist(0.05, max_iter=300)
    assert stalled > 5 * late
    assert res.table["gap"].iloc[-1] < 1e-6


def test_per_step_recording_follows_the_same_iterates(ls):
    """Per-step rows at epoch ends equal the per-epoch rows (same orders, same rates)."""
    kw = {"batch_size": 8, "lr": 0.1, "decay": "sqrt", "momentum": 0.3, "seed": 4,
          "tol": 0.0}
    per_epoch = optbench.run(ls, "sgd", max_iter=6, **kw)
    per_step = optbench.run(ls, "sgd", max_iter=6 * 5, per_step=True, **kw)  # 40 / 8 = 5
    np.testing.assert_array_equal(per_step.x, per_epoch.x)
    at_ends = per_step.table.set_index("iteration").loc[range(0, 31, 5)]
    np.testing.assert_array_equal(at_ends["f"].to_numpy(), per_epoch.table["f"].to_numpy())
    np.testing.assert_allclose(per_step.table["epochs"].iloc[1:], np.arange(1, 31) / 5,
                               rtol=1e-15)  # row 0 (the start) has no solver columns
    assert per_step.table["steps"].iloc[-1] == per_epoch.table["steps"].iloc[-1] == 30
    # the per-epoch batch_f is the size-weighted mean of that epoch's per-step batch_f
    np.testing.assert_allclose(per_epoch.table["batch_f"].iloc[1],
                               per_step.table["batch_f"].iloc[1:6].mean(), rtol=1e-12)


def test_short_last_batch_and_shortcut(ls):
    """minibatch-sgd is sgd with batch_size 16: 40 samples = 16 + 16 + 8, three steps."""
    short = optbench.run(ls, "minibatch-sgd", max_iter=4, tol=0.0)
    assert (short.table["p_batch_size"] == 16).all()
    assert list(short.table["steps"].iloc[1:]) == [3, 6, 9, 12]
    same = optbench.run(ls, "sgd", batch_size=16, max_iter=4, tol=0.0)
    np.testing.assert_array_equal(short.x, same.x)


def test_same_seed_same_table_other_seed_other_order(ls):
    cols = ["iteration", "f", "grad_norm", "step", "batch_f"]
    a = optbench.run(ls, "sgd", seed=5, max_iter=5, tol=0.0)
    b = optbench.run(ls, "sgd", seed=5, max_iter=5, tol=0.0)
    c = optbench.run(ls, "sgd", seed=6, max_iter=5, tol=0.0)
    assert a.table[cols].equals(b.table[cols])
    assert not np.array_equal(a.x, c.x)
    assert a.table["f"].iloc[0] == c.table["f"].iloc[0]  # the same start


def test_sgd_with_one_sample_on_the_perceptron_criterion_is_rosenblatt():
    """grad f_i = -y_i (x_i, 1) on a mistake: SGD with batch 1 and lr eta is the perceptron
    rule, order for order (both seed NumPy's generator and shuffle once per epoch)."""
    p = optbench.make_problem("perceptron", samples=60, noise=0.1, seed=2)  # never separable
    rule = optbench.run(p, "perceptron", eta=0.5, seed=9, max_iter=12)
    sgd = optbench.run(p, "sgd", lr=0.5, seed=9, max_iter=12, tol=0.0)
    assert rule.status == sgd.status == "max_iter"
    np.testing.assert_array_equal(sgd.x, rule.x)
    np.testing.assert_array_equal(sgd.table["f"], rule.table["f"])


def test_bad_settings_are_refused_naming_the_parameter(ls):
    with pytest.raises(InvalidValueError, match="batch_size") as info:
        optbench.run(ls, "sgd", batch_size=41)
    assert "m=40" in str(info.value)
    optbench.run(ls, "sgd", batch_size=40, max_iter=1)  # batch_size = m is full-batch GD
    with pytest.raises(InvalidValueError, match="momentum"):
        optbench.run(ls, "sgd", momentum=1.0)
    with pytest.raises(InvalidValueError, match="decay"):
        optbench.run(ls, "sgd", decay="cubic")
    with pytest.raises(InvalidValueError, match="lr"):
        optbench.run(ls, "minibatch-sgd", lr=0.0)
    with pytest.raises(IncompatibleError, match="finite-sum"):
        optbench.run("quadratic", "sgd")


def test_cli_refuses_a_batch_larger_than_the_data(capsys):
    argv = ["run", "least-squares", "minibatch-sgd", "-P", "samples=10"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "batch_size" in err[0]


def test_public_entries_take_the_documented_arguments(ls):
    from optbench.solvers.stochastic import DECAY, sgd

    control = optbench.make_control(max_iter=3, tol=None)
    x, hist, reason, k = sgd(ls.oracle, ls.x0, ls.samples, 4, 0.1, DECAY["sqrt"], 0.0, 2,
                             control)
    res = optbench.run(ls, "sgd", batch_size=4, lr=0.1, decay="sqrt", seed=2, max_iter=3,
                       tol=0.0)
    np.testing.assert_array_equal(x, res.x)
    assert k == 3 and hist.shape == (4, len(HISTORY_COLUMNS) + 3)  # + epochs, steps, batch_f


def test_a_solver_seed_of_its_own_leaves_the_problem_seed_alone(ls, tmp_path, capsys):
    """solver_params={"seed": s} seeds the shuffling only; seed= seeds the problem (and the
    solver when it has no seed of its own). Same from the command line's -p seed=S."""
    kw = {"batch_size": 8, "lr": 0.1, "max_iter": 4, "tol": 0.0}
    own = optbench.run("least-squares", "sgd", problem_params={k: v for k, v in LS.items()},
                       solver_params={"seed": 7}, **kw)
    ref = optbench.run(ls, "sgd", seed=7, **kw)  # an instance: seed= reaches the solver only
    np.testing.assert_array_equal(own.x, ref.x)
    assert own.table["seed"].iloc[0] == LS["seed"] and (own.table["p_seed"] == 7).all()
    other = optbench.run(ls, "sgd", seed=8, **kw)
    assert not np.array_equal(own.x, other.x)  # the shuffling seed matters
    path = tmp_path / "cli.csv"
    argv = ["run", "least-squares", "sgd", "--out", str(path), "--max-iter", "4", "--tol", "0"]
    argv += [a for k, v in LS.items() for a in ("-P", f"{k}={v}")]
    argv += ["-p", "seed=7", "-p", "batch_size=8", "-p", "lr=0.1"]
    assert main(argv) == 3  # max_iter
    np.testing.assert_array_equal(optbench.load_table(path)["f"], own.table["f"])
    with pytest.raises(InvalidValueError, match="given twice"):
        optbench.run(ls, "sgd", solver_params={"lr": 0.1}, lr=0.2)


def test_a_sweep_over_the_solver_seed_runs_each_setting(tmp_path):
    """A grid over sgd's own seed (the problem's seed fixed by the sweep's seeds)."""
    config = {"seeds": [LS["seed"]], "run": {"max_iter": 4, "tol": 0.0},
              "problems": [{"name": "least-squares", "dim": LS["dim"],
                            "params": {k: v for k, v in LS.items() if k not in ("dim", "seed")}}],
              "solvers": [{"name": "sgd", "params": {"seed": [7, 8], "batch_size": 8,
                                                     "lr": 0.1}}]}
    runs = optbench.sweep(config, tmp_path / "res", workers=1, progress=False)
    assert sorted(runs["p_seed"]) == [7, 8] and (runs["status"] == "max_iter").all()
    for _, row in runs.iterrows():
        ref = optbench.make_problem("least-squares", **LS)
        alone = optbench.run(ref, "sgd", seed=int(row["p_seed"]), batch_size=8, lr=0.1,
                             max_iter=4, tol=0.0)
        assert row["f"] == alone.summary["f"]
