"""The dataset layer against independent references: the margin and the flipped labels of
blobs checked point by point (and the law of the points by Kolmogorov-Smirnov tests against
the Beta law of w*.x), XOR's infeasibility by a linear program, the condition number by an
SVD; real datasets against their documented shapes; every bad input against its error."""

import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.optimize import linprog
from scipy.special import betainc

import optbench
from optbench import datasets
from optbench.datasets import GENERATORS, REAL, Dataset, from_arrays, load, require_classes
from optbench.errors import InvalidTypeError, InvalidValueError, UnknownNameError


def linearly_separable(X, y):
    """Is there (w, b) with y_i (w.x_i + b) >= 1 for all i? (an LP feasibility problem)"""
    m, n = X.shape
    A = -y[:, None] * np.column_stack([X, np.ones(m)])
    res = linprog(np.zeros(n + 1), A_ub=A, b_ub=-np.ones(m), bounds=[(None, None)] * (n + 1),
                  method="highs")
    assert res.status in (0, 2), res.message  # 0: feasible, 2: infeasible
    return res.status == 0


def slab_tail(dim, margin):
    """P(|w.x| >= margin), x uniform in the unit ball of R^dim: 1 - (w.x)^2 ~ Beta((d+1)/2, 1/2)."""
    return betainc((dim + 1) / 2, 0.5, 1 - margin**2)


# ------------------------------------------------------------------ every generator


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_every_generator_gives_a_valid_dataset(name):
    gen = GENERATORS[name]
    d = load(name)
    assert isinstance(d, Dataset) and d.name == name
    assert d.X.dtype == np.float64 and d.X.flags.c_contiguous and d.X.ndim == 2
    assert d.y.dtype == np.float64 and d.y.shape == (d.X.shape[0],)
    assert np.all(np.isfinite(d.X)) and np.all(np.isfinite(d.y))
    assert d.task == gen.task and len(d.feature_names) == d.X.shape[1]
    assert d.source == f"generated: {name} (seed 0)"
    defaults = {p.name: p.default for p in gen.params}
    assert d.samples == defaults["samples"] and d.extra["params"] == {**defaults, "seed": 0}
    if d.task == "binary":
        assert d.classes == (-1, 1) and set(np.unique(d.y)) <= {-1.0, 1.0}
    assert gen(seed=3).X.tolist() == load(name, seed=3).X.tolist()  # calling = load(name)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_data_other_seed_other_data(name):
    a, b, c = (load(name, noise=0.1, seed=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


def test_generators_leave_the_global_random_state_alone():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    for name in GENERATORS:
        load(name, noise=0.1, seed=5)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# ------------------------------------------------------------------ blobs

# (margin, dim, seed): by rejection where much of the ball is kept, by the exact conditional
# law where little is (margin 0.6 in 40 dimensions keeps about 1e-7 of the ball).
MARGINS = [(0.0, 1, 0), (0.05, 2, 0), (0.2, 3, 1), (0.3, 5, 4), (0.5, 1, 2), (0.6, 40, 2),
           (0.9, 10, 3), (0.97, 2, 5)]


def test_margin_cases_cover_both_samplers():
    tails = [slab_tail(dim, margin) for margin, dim, _ in MARGINS]
    assert min(tails) < 1e-3 and max(tails) > 0.5


@pytest.mark.parametrize("margin, dim, seed", MARGINS)
def test_blobs_have_the_requested_margin(margin, dim, seed):
    d = load("blobs", samples=300, dim=dim, margin=margin, seed=seed)
    w = d.extra["w_true"]
    assert np.linalg.norm(w) == pytest.approx(1.0)
    assert np.min(d.y * (d.X @ w)) >= margin
    assert np.max(np.linalg.norm(d.X, axis=1)) <= 1.0 + 1e-12
    assert set(np.unique(d.y)) == {-1.0, 1.0}
    assert d.extra["margin"] == margin and d.extra["separable"]
    assert d.extra["flipped"].size == 0 and linearly_separable(d.X, d.y)


@pytest.mark.parametrize("margin, dim, seed", [(0.2, 3, 0), (0.6, 40, 1), (0.9, 10, 2)])
def test_blobs_are_uniform_in_the_ball_outside_the_slab(margin, dim, seed):
    """|w.x| follows the truncated law P(|t| >= s) = I_{1-s^2}((d+1)/2, 1/2) / (that at the
    margin), and given t the part orthogonal to w is uniform in a (d-1)-ball of radius
    sqrt(1 - t^2): its relative radius to the power d-1 is uniform on [0, 1]."""
    d = load("blobs", samples=2000, dim=dim, margin=margin, seed=seed)
    w = d.extra["w_true"]
    t = np.abs(d.X @ w)
    tail = slab_tail(dim, margin)
    assert stats.kstest(t, lambda s: 1 - slab_tail(dim, np.clip(s, margin, 1)) / tail)\
        .pvalue > 1e-3
    rel = np.linalg.norm(d.X - np.outer(d.X @ w, w), axis=1) / np.sqrt(1 - t**2)
    assert stats.kstest(rel ** (dim - 1), "uniform").pvalue > 1e-3


@pytest.mark.parametrize("noise, seed", [(0.1, 0), (0.25, 3), (0.5, 1)])
def test_blobs_flip_exactly_the_requested_fraction_of_labels(noise, seed):
    d = load("blobs", samples=201, dim=4, margin=0.1, noise=noise, seed=seed)
    disagree = np.flatnonzero(d.y != np.sign(d.X @ d.extra["w_true"]))
    assert disagree.size == round(noise * 201)
    np.testing.assert_array_equal(disagree, d.extra["flipped"])
    assert not d.extra["separable"]


def test_blobs_match_the_perceptron_problem_for_the_same_seed():
    p = optbench.make_problem("perceptron", samples=60, dim=3, margin=0.2, noise=0.1, seed=3)
    d = load("blobs", samples=60, dim=3, margin=0.2, noise=0.1, seed=3)
    X, y = p.oracle.args
    np.testing.assert_array_equal(d.X, X)
    np.testing.assert_array_equal(d.y, y)


# ------------------------------------------------------------------ xor, moons, circles, spirals


def test_xor_is_the_four_points_and_not_linearly_separable():
    d = load("xor")
    np.testing.assert_array_equal(d.X, [[-1, -1], [-1, 1], [1, -1], [1, 1]])
    np.testing.assert_array_equal(d.y, [-1, 1, 1, -1])
    assert not linearly_separable(d.X, d.y)
    assert linearly_separable(d.X[:3], d.y[:3])  # any three corners are


def test_noisy_xor_is_sampled_around_the_corners():
    d = load("xor", samples=200, noise=0.2, seed=1)
    corners = np.sign(d.X)
    np.testing.assert_array_equal(d.y, -corners[:, 0] * corners[:, 1])  # jitter < 1 here
    assert np.sum(d.y == 1) == 100
    assert np.std(d.X - np.sign(d.X)) == pytest.approx(0.2, rel=0.1)
    assert not linearly_separable(d.X, d.y)


def _balanced(d):
    counts = np.unique(d.y, return_counts=True)[1]
    return len(counts) == 2 and abs(counts[0] - counts[1]) <= 1


@pytest.mark.parametrize("samples", [2, 101])
def test_moons_lie_on_two_half_circles(samples):
    d = load("moons", samples=samples, noise=0.0)
    assert d.X.shape == (samples, 2) and _balanced(d) and sum(d.y == -1) == (samples + 1) // 2
    outer, inner = d.X[d.y == -1], d.X[d.y == 1]
    np.testing.assert_allclose(np.linalg.norm(outer, axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(inner - [1.0, 0.5], axis=1), 1.0)
    assert outer[:, 1].min() >= -1e-12 and inner[:, 1].max() <= 0.5 + 1e-12


def test_noisy_moons_are_not_linearly_separable():
    d = load("moons", samples=200, noise=0.1, seed=0)
    assert _balanced(d) and not linearly_separable(d.X, d.y)


@pytest.mark.parametrize("factor", [0.3, 0.5, 0.9])
def test_circles_are_concentric(factor):
    d = load("circles", samples=81, noise=0.0, factor=factor)
    assert d.X.shape == (81, 2) and _balanced(d)
    np.testing.assert_allclose(np.linalg.norm(d.X[d.y == -1], axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(d.X[d.y == 1], axis=1), factor)
    assert not linearly_separable(d.X, d.y)


def test_spirals_are_each_other_turned_by_pi():
    d = load("spirals", samples=200, noise=0.0, turns=2.0)
    assert d.X.shape == (200, 2) and _balanced(d)
    a, b = d.X[d.y == -1], -d.X[d.y == 1]
    np.testing.assert_allclose(a[np.lexsort(a.T)], b[np.lexsort(b.T)], atol=1e-12)
    r = np.linalg.norm(a, axis=1)
    assert r.min() == pytest.approx(0.1) and r.max() == pytest.approx(1.0)
    angle = np.arctan2(a[:, 1], a[:, 0])  # turning: the angle follows the radius
    expected = 2 * np.pi * 2.0 * (r - 0.1) / 0.9
    np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-9)
    assert not linearly_separable(d.X, d.y)


# ------------------------------------------------------------------ regression


@pytest.mark.parametrize("samples, dim, cond", [(60, 8, 1e3), (5, 12, 50.0), (30, 30, 1.0)])
def test_regression_has_the_requested_condition_number(samples, dim, cond):
    d = load("regression", samples=samples, dim=dim, cond=cond, noise=0.0, seed=2)
    s = np.linalg.svd(d.X, compute_uv=False)[: min(samples, dim)]
    assert s.max() / s.min() == pytest.approx(cond, rel=1e-8)
    assert s.max() == pytest.approx(1.0)
    np.testing.assert_allclose(d.y, d.X @ d.extra["w_true"], atol=1e-12)
    assert d.task == "regression" and d.classes == ()


def test_regression_noise_has_the_requested_size():
    d = load("regression", samples=4000, dim=3, cond=2.0, noise=0.5, seed=1)
    residual = d.y - d.X @ d.extra["w_true"]
    assert np.std(residual) == pytest.approx(0.5, rel=0.05)
    assert abs(np.mean(residual)) < 0.05


def test_regression_matches_the_least_squares_problem_for_the_same_seed():
    p = optbench.make_problem("least-squares", samples=20, dim=4, cond=30.0, noise=0.2, seed=5)
    d = load("regression", samples=20, dim=4, cond=30.0, noise=0.2, seed=5)
    A, y = p.oracle.args
    np.testing.assert_allclose(d.X, A, rtol=0, atol=0)
    np.testing.assert_array_equal(d.y, y)


# ------------------------------------------------------------------ real datasets

SHAPES = {"iris": ((150, 4), "multiclass", 3), "breast-cancer": ((569, 30), "binary", 2),
          "digits": ((1797, 64), "multiclass", 10), "diabetes": ((442, 10), "regression", 0)}


def needs_sklearn():
    return pytest.importorskip("sklearn", reason="scikit-learn is not installed (the "
                               "optbench[datasets] extra): the real datasets come with it")


def test_every_real_dataset_has_a_documented_shape():
    assert set(SHAPES) == set(REAL)


@pytest.mark.parametrize("name", REAL)
def test_real_datasets_load_with_their_documented_shapes(name):
    needs_sklearn()
    shape, task, k = SHAPES[name]
    d = load(name)
    assert d.X.shape == shape and d.task == task and len(d.classes) == k
    assert d.X.dtype == np.float64 and d.X.flags.c_contiguous
    assert d.source == f"scikit-learn: {name}" and len(d.feature_names) == shape[1]
    if task == "multiclass":
        np.testing.assert_array_equal(np.unique(d.y), np.arange(k))
    if task == "binary":
        assert set(np.unique(d.y)) == {-1.0, 1.0}


def test_iris_setosa_against_the_rest_is_binary_and_separable():
    needs_sklearn()
    d = load("iris", positive="setosa")
    assert d.task == "binary" and d.classes == ("not setosa", "setosa")
    assert np.sum(d.y == 1) == 50 and np.sum(d.y == -1) == 100
    assert linearly_separable(d.X, d.y)
    np.testing.assert_array_equal(load("iris", positive=0).y, d.y)  # its code
    np.testing.assert_array_equal(load("iris", positive="Setosa", labels="01").y,
                                  (d.y + 1) / 2)
    assert not linearly_separable(*(lambda e: (e.X, e.y))(load("iris", positive="virginica")))


def test_breast_cancer_keeps_scikit_learns_class_order():
    needs_sklearn()
    from sklearn.datasets import load_breast_cancer
    d = load("breast-cancer")
    assert d.classes == ("malignant", "benign")  # -1, +1 as scikit-learn's 0, 1
    np.testing.assert_array_equal(d.y, 2.0 * load_breast_cancer().target - 1)
    flipped = load("breast-cancer", positive="malignant")
    assert flipped.classes == ("benign", "malignant")
    np.testing.assert_array_equal(flipped.y, -d.y)


def test_a_missing_scikit_learn_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(datasets.MissingDependencyError,
                       match=r'pip install "optbench\[datasets\]"') as info:
        load("iris")
    assert isinstance(info.value, ImportError) and isinstance(info.value, optbench.OptbenchError)
    assert "option --data" in str(info.value) and "\n" not in str(info.value)
    load("moons")  # generated data does not need it


# ------------------------------------------------------------------ files

FRAME = pd.DataFrame({"height": [1.5, 2.0, 0.5, 3.0, 2.5, 1.0],
                      "weight": [10, 20, 30, 40, 50, 60],
                      "kind": ["cat", "dog", "cat", "dog", "dog", "cat"],
                      "flag": [True, False, True, True, False, False]})


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_tables_round_trip(tmp_path, suffix):
    path = tmp_path / f"pets.{suffix}"
    frame = FRAME.drop(columns="flag")
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)
    d = load(str(path))  # target: the last column
    assert d.name == "pets" and d.source == f"file: {path}" and d.target_name == "kind"
    assert d.feature_names == ("height", "weight") and d.task == "binary"
    np.testing.assert_array_equal(d.X, frame[["height", "weight"]].to_numpy(float))
    assert d.classes == ("cat", "dog")
    np.testing.assert_array_equal(d.y, np.where(frame["kind"] == "dog", 1.0, -1.0))
    np.testing.assert_array_equal(load(path).X, d.X)  # a Path works too


def test_table_with_a_chosen_target_and_boolean_columns(tmp_path):
    path = tmp_path / "pets.csv"
    FRAME.to_csv(path, index=False)
    with pytest.raises(InvalidTypeError, match="column 'kind'"):  # a text feature
        load(path, target="height")
    d = load(path, target="kind", positive="dog", labels="01")
    assert d.feature_names == ("height", "weight", "flag")
    np.testing.assert_array_equal(d.X[:, 2], FRAME["flag"].astype(float))
    np.testing.assert_array_equal(d.y, (FRAME["kind"] == "dog").astype(float))
    FRAME.drop(columns="kind").to_csv(path, index=False)
    r = load(path, target="flag")
    assert r.task == "binary" and r.classes == (False, True)
    np.testing.assert_array_equal(r.y, np.where(FRAME["flag"], 1.0, -1.0))
    assert load(path, target="height").task == "regression"


def test_numeric_targets_are_classes_or_regression_as_documented(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"x": np.arange(8.0), "label": [3, 1, 2, 3, 1, 2, 1, 3],
                  "value": np.linspace(0, 1, 8)}).to_csv(path, index=False)
    m = load(path, target="label")
    assert m.task == "multiclass" and m.classes == (1, 2, 3)
    np.testing.assert_array_equal(m.y, [2, 0, 1, 2, 0, 1, 0, 2])
    assert load(path, target="label", task="regression").y.tolist() == [3, 1, 2, 3, 1, 2, 1, 3]
    b = load(path, target="label", positive="3")
    assert b.classes == ("not 3", 3) and b.y.tolist() == [1, -1, -1, 1, -1, -1, -1, 1]
    assert load(path, target="value").task == "regression"


def test_npz_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 3, 20)
    np.savez(tmp_path / "a.npz", X=X, y=y)
    d = load(str(tmp_path / "a.npz"))
    np.testing.assert_array_equal(d.X, X)
    np.testing.assert_array_equal(d.y, y)  # three classes 0, 1, 2: coded as themselves
    assert d.task == "multiclass" and d.feature_names == ("x1", "x2", "x3")
    np.savez(tmp_path / "b.npz", X=X, label=(y > 0), feature_names=np.array(["a", "b", "c"]))
    e = load(tmp_path / "b.npz", target="label")
    assert e.feature_names == ("a", "b", "c") and e.target_name == "label"
    np.testing.assert_array_equal(e.y, np.where(y > 0, 1.0, -1.0))
    np.savez(tmp_path / "c.npz", X=X[:, 0], y=X @ [1.0, 2.0, 3.0])  # 1-D X: one feature
    f = load(tmp_path / "c.npz")
    assert f.X.shape == (20, 1) and f.task == "regression"


def test_standardize_gives_zero_mean_unit_variance_and_leaves_constants_at_zero(tmp_path):
    path = tmp_path / "s.csv"
    pd.DataFrame({"a": [1.0, 2.0, 4.0, 8.0], "const": [0.1] * 4, "b": [5, 5, 6, 6],
                  "y": [0, 1, 0, 1]}).to_csv(path, index=False)
    d = load(path, standardize=True)
    np.testing.assert_allclose(d.X.mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(d.X.std(axis=0), [1.0, 0.0, 1.0])
    assert np.all(d.X[:, 1] == 0.0) and np.all(np.isfinite(d.X))
    raw = load(path).X
    np.testing.assert_allclose(d.X * d.extra["scale"] + d.extra["mean"], raw)
    g = load("blobs", samples=50, dim=3, standardize=True)
    np.testing.assert_allclose(g.X.std(axis=0), 1.0)
    assert "w_true" not in g.extra and "w_true" in g.extra["raw"]  # truths of the raw data


def test_from_arrays_and_labels():
    d = from_arrays([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], ["b", "a", "b"], labels="01")
    assert d.classes == ("a", "b") and d.y.tolist() == [1.0, 0.0, 1.0]
    assert d.source == "arrays" and d.X.flags.c_contiguous


def test_require_classes():
    d = load("blobs", samples=10)
    assert require_classes(d, 2) is d
    with pytest.raises(InvalidValueError, match="needs 3"):
        require_classes(d, 3)
    with pytest.raises(InvalidValueError, match="regression target"):
        require_classes(load("regression"), 2)


# ------------------------------------------------------------------ bad input


def _file(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, pd.DataFrame):
        content.to_parquet(path) if name.endswith(".parquet") else content.to_csv(path,
                                                                                  index=False)
    elif isinstance(content, dict):
        np.savez(path, **content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    return str(path)


THREE = pd.DataFrame({"a": [1.0, 2.0, 3.0], "species": ["x", "y", "z"]})
BAD = [  # id, file (name, content) or a dataset name, options, error, words in the message
    ("unknown name", "moon", {}, UnknownNameError, ["'moons'", "option --data"]),
    ("not a name", 3, {}, InvalidTypeError, ["option --data"]),
    ("missing file", ("none.csv", None), {}, InvalidValueError, ["does not exist",
                                                                   "option --data"]),
    ("directory", ("d.csv", "dir"), {}, InvalidValueError, ["directory", "option --data"]),
    ("unknown format", ("d.txt", "a,y\n1,2\n"), {}, InvalidValueError, ["format",
                                                                         "option --data"]),
    ("empty file", ("e.csv", ""), {}, InvalidValueError, ["is empty", "option --data"]),
    ("blank lines", ("e.csv", "\n\n"), {}, InvalidValueError, ["is empty", "option --data"]),
    ("ragged csv", ("r.csv", "a,b,y\n1,2,0\n3,4,5,6\n"), {}, InvalidValueError,
     ["could not read", "CSV", "option --data"]),
    ("extra fields", ("r.csv", "a,y\n1,2,3\n4,5\n"), {}, InvalidValueError,
     ["more fields than the header", "option --data"]),
    ("binary csv", ("b.csv", bytes(range(128, 256))), {}, InvalidValueError,
     ["could not read", "CSV", "option --data"]),
    ("header only", ("h.csv", "a,b,y\n"), {}, InvalidValueError, ["no rows", "option --data"]),
    ("no header", ("n.csv", "1.5,2.5,0\n3.5,1.0,1\n"), {}, InvalidValueError,
     ["header", "option --data"]),
    ("corrupt parquet", ("c.parquet", b"PAR1 not really"), {}, InvalidValueError,
     ["could not read", "Parquet", "option --data"]),
    ("corrupt npz", ("c.npz", b"\x00\x01 junk"), {}, InvalidValueError,
     ["could not read", "NPZ", "option --data"]),
    ("npy as npz", ("one.npz", np.lib.format.MAGIC_PREFIX + b"\x01\x00rest"), {},
     InvalidValueError, ["one array", "option --data"]),
    ("npz without X", ("x.npz", {"A": np.zeros((3, 2)), "y": np.zeros(3)}), {},
     InvalidValueError, ["no array 'X'", "option --data"]),
    ("npz without y", ("y.npz", {"X": np.zeros((3, 2)), "label": np.zeros(3)}), {},
     UnknownNameError, ["'y'", "label", "option --target"]),
    ("npz target X", ("t.npz", {"X": np.zeros((3, 2)), "y": np.zeros(3)}), {"target": "X"},
     InvalidTypeError, ["other than X", "option --target"]),
    ("npz lengths", ("l.npz", {"X": np.zeros((3, 2)), "y": np.zeros(4)}), {},
     InvalidValueError, ["4 values for 3 samples", "option --data"]),
    ("npz text features", ("t.npz", {"X": np.array([["a"], ["b"]]), "y": np.zeros(2)}), {},
     InvalidTypeError, ["expected numbers", "option --data"]),
    ("non-numeric column", ("n.csv", pd.DataFrame({"a": [1.0, 2.0], "color": ["red", "b"],
                                                   "y": [0, 1]})), {},
     InvalidTypeError, ["'color'", "'red'", "option --data"]),
    ("missing values", ("m.csv", pd.DataFrame({"a": [1.0, None, 3.0, None], "y": [0, 1, 0, 1]})),
     {}, InvalidValueError, ["'a'", "2 missing values", "option --data"]),
    ("missing parquet", ("m.parquet", pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, None],
                                                    "y": [0, 1]})),
     {}, InvalidValueError, ["'b'", "1 missing value", "option --data"]),
    ("missing target", ("m.csv", pd.DataFrame({"a": [1.0, 2.0], "y": ["u", None]})), {},
     InvalidValueError, ["'y'", "missing", "option --data"]),
    ("infinite values", ("i.csv", pd.DataFrame({"a": [1.0, np.inf], "y": [0, 1]})), {},
     InvalidValueError, ["'a'", "infinite", "option --data"]),
    ("target not found", ("t.csv", THREE), {"target": "specie"}, UnknownNameError,
     ["'species'", "a, species", "option --target"]),
    ("target only", ("o.csv", pd.DataFrame({"y": [0, 1]})), {}, InvalidValueError,
     ["only the target", "option --data"]),
    ("three classes, binary", ("t.csv", THREE), {"task": "binary"}, InvalidValueError,
     ["has 3 classes", "needs 2", "--target or positive="]),
    ("single class", ("s.csv", pd.DataFrame({"a": [1.0, 2.0], "y": [1, 1]})), {},
     InvalidValueError, ["single class", "option --target"]),
    ("single class, positive", ("s.csv", pd.DataFrame({"a": [1.0, 2.0], "y": ["u", "u"]})),
     {"positive": "u"}, InvalidValueError, ["single class", "option --target"]),
    ("unknown class", ("t.csv", THREE), {"positive": "w"}, UnknownNameError,
     ["'w'", "x, y, z", "option positive="]),
    ("text target, regression", ("t.csv", THREE), {"task": "regression"}, InvalidTypeError,
     ["not numeric", "option --target"]),
    ("regression target, binary", ("r.csv", pd.DataFrame({"a": np.arange(30.0),
                                                          "y": np.linspace(0, 1, 30)})),
     {"task": "binary"}, InvalidValueError, ["regression target", "--target"]),
    ("too few xor samples", "xor", {"samples": 3}, InvalidValueError,
     ["parameter 'samples' of dataset 'xor'", ">= 4"]),
    ("too few samples", "moons", {"samples": 1}, InvalidValueError,
     ["parameter 'samples' of dataset 'moons'"]),
    ("parameter of another generator", "moons", {"margin": 0.1}, UnknownNameError,
     ["parameter 'margin' of dataset 'moons'"]),
    ("planar generator", "spirals", {"dim": 3}, InvalidValueError,
     ["parameter 'dim' of dataset 'spirals'"]),
    ("margin too wide", "blobs", {"margin": 1.0}, InvalidValueError,
     ["parameter 'margin' of dataset 'blobs'"]),
    ("flip too many", "blobs", {"noise": 0.7}, InvalidValueError,
     ["parameter 'noise' of dataset 'blobs'"]),
    ("cond below 1", "regression", {"cond": 0.5}, InvalidValueError,
     ["parameter 'cond' of dataset 'regression'"]),
    ("samples as text", "blobs", {"samples": "ten"}, InvalidTypeError,
     ["parameter 'samples' of dataset 'blobs'"]),
    ("negative seed", "blobs", {"seed": -1}, InvalidValueError, ["option --seed"]),
    ("target of generated data", "blobs", {"target": "y"}, InvalidValueError,
     ["option --target"]),
    ("generator option on a file", ("t.csv", THREE), {"samples": 10}, InvalidValueError,
     ["samples=", "option --data"]),
    ("labels", "blobs", {"labels": "bogus"}, InvalidValueError, ["pm1, 01", "option labels="]),
    ("task", "blobs", {"task": "bin"}, InvalidValueError, ["binary, multiclass, regression",
                                                          "option task="]),
    ("standardize", "blobs", {"standardize": "maybe"}, InvalidTypeError,
     ["option --standardize"]),
    ("regression generator, binary", "regression", {"task": "binary"}, InvalidValueError,
     ["regression target", "option --data"]),
    ("classes, regression", "xor", {"task": "regression"}, InvalidValueError,
     ["class labels", "option --data"]),
    ("positive and multiclass", "xor", {"positive": 1, "task": "multiclass"},
     InvalidValueError, ["option positive="]),
]


@pytest.mark.parametrize("data, options, error, words", [pytest.param(*case[1:], id=case[0])
                                                          for case in BAD])
def test_bad_input_gives_one_clear_error(tmp_path, data, options, error, words):
    name = _file(tmp_path, *data) if isinstance(data, tuple) else data
    with pytest.raises(error) as info:
        load(name, **options)
    message = str(info.value)
    assert "\n" not in message and isinstance(info.value, optbench.OptbenchError)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


REAL_BAD = [
    ("iris", {"task": "binary"}, InvalidValueError, ["has 3 classes", "needs 2",
                                                     "choose positive=", "positive=setosa"]),
    ("iris", {"positive": "setosas"}, UnknownNameError, ["'setosa'", "option positive="]),
    ("iris", {"task": "regression"}, InvalidValueError, ["class labels", "option --data"]),
    ("iris", {"samples": 10}, InvalidValueError, ["samples=", "bundled", "option --data"]),
    ("iris", {"target": "x"}, InvalidValueError, ["option --target"]),
    ("diabetes", {"positive": 1}, InvalidValueError, ["regression target", "option --data"]),
]


@pytest.mark.parametrize("name, options, error, words", REAL_BAD,
                         ids=[f"{c[0]}-{next(iter(c[1]))}" for c in REAL_BAD])
def test_bad_options_for_real_datasets(name, options, error, words):
    needs_sklearn()
    with pytest.raises(error) as info:
        load(name, **options)
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"
