"""Column names and status words are defined once (optbench.columns): the compiled loop
writes each history column where its name says, tables carry the names in order, every
status word comes from there, and compiled code still reads plain int constants."""

import numpy as np
import pytest

import optbench
from optbench import columns, control, results, status, store
from optbench.columns import (
    COL_DIST,
    COL_F,
    COL_GRAD_NORM,
    COL_ITERATION,
    COL_NFEV,
    COL_NGEV,
    COL_NHEV,
    COL_STEP,
    COL_TIME,
    HISTORY_COLUMNS,
    ID_COLUMNS,
    MEASURE_COLUMNS,
)


def test_the_modules_that_offer_names_offer_the_one_definition():
    assert control.HISTORY_COLUMNS is columns.HISTORY_COLUMNS
    assert results.MEASURE_COLUMNS is columns.MEASURE_COLUMNS
    assert results.ID_COLUMNS is columns.ID_COLUMNS and results.X_PREFIX is columns.X_PREFIX
    assert store.RUN_COLUMNS is columns.RUN_COLUMNS
    assert store.CELL_STATUSES is columns.CELL_STATUSES
    for name in ("STATUSES", "METHOD_FAILURES", "NO_OUTCOME", "FAILED_STATUSES"):
        assert getattr(status, name) is getattr(columns, name)


def test_positions_name_the_history_columns():
    named = {COL_ITERATION: "iteration", COL_F: "f", COL_GRAD_NORM: "grad_norm",
             COL_STEP: "step", COL_TIME: "time", COL_NFEV: "nfev", COL_NGEV: "ngev",
             COL_NHEV: "nhev", COL_DIST: "dist"}
    assert sorted(named) == list(range(len(HISTORY_COLUMNS)))
    assert all(HISTORY_COLUMNS[i] == name for i, name in named.items())
    assert MEASURE_COLUMNS == ("iteration", "f", "gap", *HISTORY_COLUMNS[2:])


def test_compiled_code_reads_plain_int_constants():
    """numba freezes int globals into compiled code: the codes and positions the loop uses
    must stay plain ints (not an enum, not a bool), the same objects as where defined."""
    loop = pytest.importorskip("optbench.solvers._loop")
    codes = [n for n, v in vars(status).items() if n.isupper() and isinstance(v, int)]
    positions = [n for n in vars(columns) if n.startswith("COL_")]
    used = [n for n in (*codes, *positions) if hasattr(loop, n)]
    assert {"NOT_FINITE", "GRAD_TOL", "MAX_ITER", "COL_F", "COL_DIST"} <= set(used)
    for name in used:
        value = getattr(loop, name)
        assert type(value) is int, name
        assert value == getattr(status if name in codes else columns, name)


def test_the_compiled_loop_writes_each_column_where_its_name_says():
    """gd on a 2-D quadratic with its iterates recorded: each column against what it names,
    computed here from the recorded x_k (f, ||grad f||, the distance to x*)."""
    p = optbench.make_problem("quadratic", dim=2)
    res = optbench.run(p, "gd", step=0.1, max_iter=4, tol=0.0, record_x=True)
    h, x = res.history, res.iterates
    assert h.shape == (5, len(HISTORY_COLUMNS) + 2)
    np.testing.assert_array_equal(h[:, COL_ITERATION], np.arange(5))
    f = np.array([p.f(xk) for xk in x])
    g = np.array([np.linalg.norm(p.grad(xk)) for xk in x])
    d = np.linalg.norm(x - p.x_star, axis=1)
    scale = np.abs(f).max() + 1.0
    np.testing.assert_allclose(h[:, COL_F], f, rtol=0, atol=1e-13 * scale)
    np.testing.assert_allclose(h[:, COL_GRAD_NORM], g, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h[:, COL_DIST], d, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(h[1:, COL_STEP], 0.1)
    assert np.all(np.diff(h[:, COL_TIME]) >= 0)
    # gd evaluates one gradient per iteration (and the start's), no f, no Hessian
    np.testing.assert_array_equal(h[:, COL_NGEV], np.arange(5) + 1)
    assert not h[:, COL_NFEV].any() and not h[:, COL_NHEV].any()
    table = res.table
    params = [f"p_{name}" for name in res.params]  # every gd parameter, as run
    assert "p_step" in params
    assert list(table.columns) == [*MEASURE_COLUMNS, "x_1", "x_2", *ID_COLUMNS, *params]
    np.testing.assert_allclose(table["gap"], f - p.f_star, rtol=0, atol=1e-13 * scale)


def test_every_word_a_run_or_a_sweep_cell_ends_with_is_defined_once():
    words = {status.status_of(code) for code in status._REASONS}
    assert words == set(columns.STATUSES)
    assert columns.CELL_STATUSES == (*columns.STATUSES, columns.ERROR, columns.CRASHED)
    assert not set(columns.NO_OUTCOME) & set(columns.STATUSES)
    assert set(columns.METHOD_FAILURES) <= set(columns.STATUSES)
    assert {columns.CONVERGED, columns.DIVERGED} <= set(columns.STATUSES)
    assert set(status.STATUS_CODES) == set(columns.STATUSES)
