"""record_x: the shared loop writes the iterate into every recorded row (columns x_1 ... x_n).

References are independent of the loop: plain NumPy gradient descent on the same quadratic
(x_{k+1} = x_k - t (A x_k - b)), and the Result's own final x."""

import numpy as np
import pytest

import optbench
from optbench.control import HISTORY_COLUMNS
from optbench.errors import InvalidTypeError
from optbench.results import iterate_columns, measure_columns, x_columns


@pytest.fixture(scope="module")
def quad():
    return optbench.make_problem("quadratic", dim=3, cond=10, seed=1)


def test_iterates_match_plain_numpy_gradient_descent(quad):
    A, b = quad.oracle.args[0], quad.oracle.args[1]
    res = optbench.run(quad, "gd", step=0.5, max_iter=30, tol=1e-12, record_x=True)
    assert iterate_columns(res.table.columns) == ["x_1", "x_2", "x_3"]
    x = quad.x0.copy()
    expected = [x.copy()]
    for _ in range(30):
        x = x - 0.5 * (A @ x - b)
        expected.append(x.copy())
    np.testing.assert_allclose(res.iterates, np.array(expected), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res.table[["x_1", "x_2", "x_3"]].to_numpy(), res.iterates)
    np.testing.assert_array_equal(res.iterates[-1], res.x)
    # f in each row is f at that row's iterate
    np.testing.assert_allclose(res.table["f"], [quad.f(v) for v in res.iterates], rtol=1e-12)


def test_record_every_and_extras_keep_their_place(quad):
    res = optbench.run(quad, "gd-armijo", max_iter=40, tol=1e-12, record_every=7,
                       record_x=True)
    cols = list(res.table.columns)
    assert cols.index("trials") < cols.index("x_1")  # solver extras first, then x
    assert res.table["iteration"].tolist()[:3] == [0, 7, 14]
    np.testing.assert_array_equal(res.iterates[-1], res.x)
    assert res.iterates.shape == (len(res.table), 3)


def test_off_by_default_and_same_numbers(quad):
    on = optbench.run(quad, "gd", step=0.5, max_iter=25, tol=1e-12, record_x=True)
    off = optbench.run(quad, "gd", step=0.5, max_iter=25, tol=1e-12)
    assert off.iterates is None and not iterate_columns(off.table.columns)
    assert off.history.shape[1] == len(HISTORY_COLUMNS)
    # one compiled solver (record_x is a run-time flag), the same arithmetic: bit for bit
    np.testing.assert_array_equal(off.table["f"], on.table["f"])
    np.testing.assert_array_equal(off.x, on.x)


def test_diverged_run_keeps_its_iterates(quad):
    res = optbench.run(quad, "gd", step=50.0, max_iter=2000, record_x=True)
    assert res.status == "diverged"
    assert res.iterates.shape == (len(res.table), 3)
    assert np.isfinite(res.iterates[0]).all()


def test_measure_columns_and_names():
    width = len(HISTORY_COLUMNS) + 3  # the base columns, 1 extra, 2 coordinates of x
    hist = np.arange(2 * width, dtype=float).reshape(2, width)
    cols = measure_columns(hist, ("trials",), None)
    assert list(cols)[-3:] == ["trials", "x_1", "x_2"]
    np.testing.assert_array_equal(cols["x_2"], [width - 1, 2 * width - 1])
    assert x_columns(3) == ("x_1", "x_2", "x_3")
    assert iterate_columns(["f", "x_10", "x_2", "x_1", "x_b"]) == ["x_1", "x_2", "x_10"]
    with pytest.raises(ValueError):
        measure_columns(hist[:, :4], (), None)


def test_record_x_is_validated():
    with pytest.raises(InvalidTypeError, match="record_x"):
        optbench.make_control(record_x="maybe")
    assert optbench.make_control(record_x="true").record_x is True
    assert optbench.make_control().record_x is False
