"""The multilayer perceptron against independent references: central finite differences for the
backpropagation gradient, a vectorized NumPy forward pass (written here from the documented
layout and losses) for f, the full objective for the batch oracle, training on moons, and the
values of the 2-2-1 XOR network before it became a preset of ``mlp``."""

import numpy as np
import pytest
from naive import fd_gradient, mean_rounding_bound, per_sample_terms
from scipy.special import expit, log_expit, logsumexp

import optbench
from optbench.datasets import load
from optbench.errors import IncompatibleError, InvalidValueError

# small instances: every one shares the compiled functions (sizes are run-time data)
CASES = {
    "tanh-ce": {"samples": 40, "hidden": "5", "activation": "tanh", "lam": 0.1, "seed": 1},
    "sigmoid-squared-2layers": {"samples": 30, "hidden": "4,3", "activation": "sigmoid",
                                "loss": "squared", "lam": 0.01, "seed": 2},
    "relu-softmax-iris": {"data": "iris", "hidden": "6", "activation": "relu",
                          "standardize": True, "seed": 3},
    "tanh-squared-iris-3layers": {"data": "iris", "hidden": "4,4,3", "activation": "tanh",
                                  "loss": "squared", "lam": 0.05},
    "sigmoid-regression": {"data": "regression", "samples": 25, "dim": 3, "hidden": "6",
                           "activation": "sigmoid", "loss": "squared", "lam": 0.02},
    "relu-diabetes": {"data": "diabetes", "hidden": "3", "activation": "relu",
                      "loss": "squared", "init": "glorot"},
    "no-hidden-logistic": {"data": "circles", "samples": 20, "hidden": "none"},
}
DATA_KEYS = ("data", "samples", "dim", "noise", "standardize")


def _unpack(x, sizes):
    """[(W_l, b_l)] from the documented layout: per layer W_l (n_l x n_{l-1}) row-major, b_l."""
    layers, at = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        W = x[at:at + n_out * n_in].reshape(n_out, n_in)
        at += n_out * n_in
        layers.append((W, x[at:at + n_out]))
        at += n_out
    assert at == x.size
    return layers


def reference(params, x):
    """(f, per-sample losses, logits) of ``mlp`` with ``params``, in vectorized NumPy."""
    spec = {"data": "moons", "hidden": "8", "activation": "tanh", "loss": "cross-entropy",
            "lam": 0.0, "seed": 0, **params}
    opts = {k: spec[k] for k in DATA_KEYS if k in spec and k != "data"}
    ds = load(spec["data"], seed=spec["seed"], labels="01", **opts)
    hidden = [] if spec["hidden"] == "none" else [int(h) for h in spec["hidden"].split(",")]
    outputs = len(ds.classes) if ds.task == "multiclass" else 1
    sizes = [ds.X.shape[1], *hidden, outputs]
    act = {"sigmoid": expit, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}[
        spec["activation"]]
    layers = _unpack(np.asarray(x, dtype=float), sizes)
    a = ds.X
    for W, b in layers[:-1]:
        a = act(a @ W.T + b)
    W, b = layers[-1]
    Z = a @ W.T + b
    if ds.task == "multiclass":
        T = np.eye(outputs)[ds.y.astype(int)]
    else:
        T = ds.y[:, None]
    if spec["loss"] == "squared":
        out = Z if ds.task == "regression" else expit(Z)
        losses = 0.5 * np.sum((out - T) ** 2, axis=1)
    elif ds.task == "multiclass":
        losses = logsumexp(Z, axis=1) - np.sum(T * Z, axis=1)
    else:
        losses = -(T * log_expit(Z) + (1 - T) * log_expit(-Z))[:, 0]
    penalty = 0.5 * spec["lam"] * sum(np.sum(W * W) for W, _ in layers)
    return losses.mean() + penalty, losses, Z, ds


def _points(p, rng, count=3):
    return [p.x0 + 0.5 * rng.standard_normal(p.dim) for _ in range(count)]


@pytest.mark.parametrize("case", list(CASES))
def test_gradient_matches_finite_differences(case, rng):
    p = optbench.make_problem("mlp", **CASES[case])
    for x in _points(p, rng, 2):
        g = p.grad(x)
        ref = fd_gradient(p.f, x)
        np.testing.assert_allclose(g, ref, rtol=1e-5, atol=1e-6 * (1 + np.abs(ref).max()))
        fx, g2 = p.value_and_grad(x)
        # f, grad and fg: three compiled functions over the same per-sample terms
        values, grads = per_sample_terms(p, x)
        assert abs(fx - p.f(x)) <= mean_rounding_bound(values)
        np.testing.assert_array_less(np.abs(g2 - g), mean_rounding_bound(grads))


@pytest.mark.parametrize("case", list(CASES))
def test_f_equals_a_numpy_forward_pass(case, rng):
    params = CASES[case]
    p = optbench.make_problem("mlp", **params)
    for x in [p.x0, *_points(p, rng, 2), 5.0 * rng.standard_normal(p.dim)]:
        f_ref, _, _, ds = reference(params, x)
        assert p.f(x) == pytest.approx(f_ref, rel=1e-12, abs=1e-14)
    assert p.samples == ds.samples and p.dim == x.size


def test_layout_sizes_and_metadata():
    p = optbench.make_problem("mlp", data="iris", hidden="5,4", loss="squared")
    assert p.extra["sizes"] == (4, 5, 4, 3)
    assert p.dim == 5 * 4 + 5 + 4 * 5 + 4 + 3 * 4 + 3
    assert "W1 (5 x 4) [0:20], b1 (5) [20:25], W2 (4 x 5) [25:45]" in p.notes
    assert p.f_star is None and not p.minimizers and not p.convex
    assert p.samples == 150 and "finite_sum" in p.capabilities
    assert not p.has_hessian and "Rumelhart" in p.reference
    assert "sigmoid output, squared error" in p.notes  # K sigmoid outputs, one-hot targets
    assert p.extra["targets"].shape == (150, 3)
    np.testing.assert_array_equal(p.extra["targets"].sum(axis=1), 1.0)
    assert not optbench.make_problem("mlp", activation="relu").smooth
    with pytest.raises(IncompatibleError, match="Hessian"):
        optbench.run(p, "newton")


def test_initialization_scales():
    """Glorot: std sqrt(2/(fan_in + fan_out)); He: sqrt(2/fan_in); biases 0."""
    for rule, activation, std in (("glorot", "tanh", np.sqrt(2 / (64 + 200))),
                                  ("he", "tanh", np.sqrt(2 / 64)),
                                  ("auto", "relu", np.sqrt(2 / 64))):
        p = optbench.make_problem("mlp", data="digits", hidden="200", activation=activation,
                                  init=rule)
        (W1, b1), _ = _unpack(p.x0, p.extra["sizes"])
        assert W1.std() == pytest.approx(std, rel=0.02) and not b1.any()
    a = optbench.make_problem("mlp", seed=4)
    b = optbench.make_problem("mlp", seed=4)
    np.testing.assert_array_equal(a.x0, b.x0)
    assert not np.array_equal(a.x0, optbench.make_problem("mlp", seed=5).x0)


def test_batch_over_all_samples_is_f_and_single_samples_match_numpy(rng):
    params = CASES["relu-softmax-iris"] | {"lam": 0.03}
    p = optbench.make_problem("mlp", **params)
    m = p.samples
    x = p.x0 + 0.3 * rng.standard_normal(p.dim)
    out = np.empty(p.dim)
    value = p.oracle.batch(x, p.oracle.args, np.arange(m), out)
    f, g = p.value_and_grad(x)
    values, grads = per_sample_terms(p, x)  # two code paths over these terms
    assert abs(value - f) <= mean_rounding_bound(values)
    np.testing.assert_array_less(np.abs(out - g), mean_rounding_bound(grads))
    # f_i = loss_i + lam/2 sum ||W_l||^2: the batch mean of a subset, against NumPy
    _, losses, _, _ = reference(params, x)
    penalty = 0.5 * 0.03 * sum(np.sum(W * W) for W, _ in _unpack(x, p.extra["sizes"]))
    idx = rng.choice(m, size=7, replace=False)
    value = p.oracle.batch(x, p.oracle.args, idx, out)
    assert value == pytest.approx(losses[idx].mean() + penalty, rel=1e-12)
    ref = fd_gradient(lambda z: p.oracle.batch(z, p.oracle.args, idx, np.empty(p.dim)), x)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6 * (1 + np.abs(ref).max()))


def test_one_compilation_serves_every_architecture():
    """Layer sizes are run-time data: new shapes add no signature."""
    p = optbench.make_problem("mlp", samples=10)
    p.value_and_grad(p.x0)
    fg = p.oracle.fg
    before = len(fg.signatures)
    for params in ({"samples": 10, "hidden": "3,7,2"}, {"data": "iris", "hidden": "none"}):
        q = optbench.make_problem("mlp", **params)
        q.value_and_grad(q.x0)
    assert len(fg.signatures) == before


def test_bfgs_trains_a_network_on_moons():
    params = {"samples": 100, "hidden": "8", "activation": "tanh", "noise": 0.1}
    p = optbench.make_problem("mlp", **params)
    res = optbench.run(p, "bfgs", max_iter=200, tol=1e-6)
    f0 = res.table["f"].iloc[0]
    assert f0 == pytest.approx(p.f(p.x0)) and f0 > 0.5
    assert p.f(res.x) < 0.05 * f0
    _, _, Z, ds = reference(params, res.x)
    assert np.mean((Z[:, 0] > 0) == (ds.y == 1)) >= 0.97
    # the linear model (no hidden layer) cannot separate the moons that well
    lin = optbench.make_problem("mlp", samples=100, hidden="none")
    fit = optbench.run(lin, "bfgs", max_iter=200, tol=1e-6)
    assert lin.f(fit.x) > 5 * p.f(res.x)


def test_minibatch_sgd_lowers_the_loss():
    p = optbench.make_problem("mlp", samples=64, hidden="8", seed=2)
    res = optbench.run(p, "minibatch-sgd", lr=0.5, max_iter=60, tol=0.0, seed=1)
    f = res.table["f"].to_numpy()
    assert np.isfinite(f).all() and f[-1] < 0.6 * f[0]


def test_bad_parameters_name_the_option():
    with pytest.raises(InvalidValueError, match="'hidden'"):
        optbench.make_problem("mlp", hidden="8,x")
    with pytest.raises(InvalidValueError, match="'hidden'"):
        optbench.make_problem("mlp", hidden="0")
    with pytest.raises(InvalidValueError, match="loss=squared"):
        optbench.make_problem("mlp", data="diabetes", loss="cross-entropy")
    with pytest.raises(InvalidValueError, match="activation"):
        optbench.make_problem("mlp", activation="softsign")


# -- xor-mlp: the 2-H-1 preset keeps the values of its former own implementation ----------------
K = 20.0
HAND_MADE = np.array([K, K, K, K, -K / 2, -1.5 * K, K, -K, -K / 2])
# f and grad from the former problems/mlp.py (2-H-1 code of its own), at the hand-made
# weights and at default_rng(2024).standard_normal(9)
FORMER = [
    (HAND_MADE, 4.1331770809440854e-09,
     [-1.8779072180054008e-12, -1.8779072180054008e-12, 3.4067929406197746e-15,
      3.4067929406197746e-15, -1.8813140109423887e-12, 1.8813140109438997e-12,
      -2.0718415469686385e-09, 2.0643369047809317e-09, -7.504642187714272e-12]),
    (np.random.default_rng(2024).standard_normal(9), 0.8573140145168432,
     [0.00666802438488294, 0.0064193608345240035, 0.006124160461704355,
      0.005940797412286529, 0.016168418064426687, 0.015467038044632533,
      0.05116423536655517, 0.06432589718007525, 0.11986506645692077]),
]
FORMER_X0 = [0.1257302210933933, -0.1321048632913019, 0.6404226504432821,
             0.10490011715303971, -0.535669373161111, 0.36159505490948474, 1.3040000451301372,
             0.9470809631292422, -0.7037352358069926]


@pytest.mark.parametrize("k", range(len(FORMER)))
def test_xor_mlp_values_are_unchanged(k):
    p = optbench.make_problem("xor-mlp")
    x, f, g = FORMER[k]
    assert p.f(x) == pytest.approx(f, rel=1e-13)
    np.testing.assert_allclose(p.grad(x), g, rtol=1e-12, atol=1e-20)
    np.testing.assert_allclose(p.x0, FORMER_X0, rtol=0)
    assert p.f_star == 0.0 and p.samples == 4 and p.dim == 9
    # the former batch: mean of f_i = 4/2 (o_i - t_i)^2 over idx
    out = np.empty(9)
    assert p.oracle.batch(x, p.oracle.args, np.array([0]), out) == pytest.approx(
        4 * 0.5 * (expit(_xor_outputs(x)[0]) - 0.0) ** 2, rel=1e-13)


def _xor_outputs(x, hidden=2):
    P = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    (W1, b1), (w2, b2) = _unpack(x, [2, hidden, 1])
    return (expit(P @ W1.T + b1) @ w2.T + b2)[:, 0]


def test_xor_mlp_is_the_general_network_summed(tmp_path, rng):
    """xor-mlp = mlp 2-H-1 (sigmoid, squared) on the XOR points in {0,1}, times m = 4."""
    P = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    path = tmp_path / "xor01.npz"
    np.savez(path, X=P, y=np.array([0, 1, 1, 0]))
    for hidden, seed in ((2, 0), (3, 5)):
        xor = optbench.make_problem("xor-mlp", hidden=hidden, seed=seed)
        net = optbench.make_problem("mlp", data=str(path), hidden=str(hidden),
                                    activation="sigmoid", loss="squared")
        assert net.extra["sizes"] == xor.extra["sizes"] == (2, hidden, 1)
        for x in (xor.x0, 3.0 * rng.standard_normal(xor.dim)):
            assert xor.f(x) == pytest.approx(4.0 * net.f(x), rel=1e-14)
            ref = 4.0 * net.grad(x)  # two implementations: rounding differs at ~1e-16 |g|
            np.testing.assert_allclose(xor.grad(x), ref, rtol=1e-12,
                                       atol=1e-14 * np.abs(ref).max())
            f_ref = 0.5 * np.sum((expit(_xor_outputs(x, hidden)) - [0, 1, 1, 0]) ** 2)
            assert xor.f(x) == pytest.approx(f_ref, rel=1e-12)
