"""The fast path of optbench.run (issue 22): a run's validated preparation reused for the same
Problem instance and arguments, compiled code called without numba typing the arguments,
and Result.table built block-wise.

References: numba's own dispatch on the same inputs (the same compiled code: equal numbers),
a NumPy transcription of gradient descent, ``numba.typeof`` for the type keys, and a
column-by-column pandas table (what build_table did before) for the table."""

import gc
import importlib.util
import math
import sys
import textwrap
import weakref
from collections import namedtuple

import numba
import numpy as np
import pandas as pd
import pytest

import optbench
from optbench import _numba
from optbench.control import HISTORY_COLUMNS, make_control
from optbench.errors import InvalidTypeError, InvalidValueError
from optbench.params import coerce_all
from optbench.registry import get_solver
from optbench.results import build_table, load_table, measure_columns, save_table

NOT_TIME = [i for i, name in enumerate(HISTORY_COLUMNS) if name != "time"]


@pytest.fixture
def quad():
    return optbench.make_problem("quadratic", dim=3, cond=10, seed=2)


def test_fast_path_equals_numba_dispatch_on_the_same_inputs(quad):
    first = optbench.run(quad, "gd", step=0.1, max_iter=40, tol=0.0)  # prepares
    again = optbench.run(quad, "gd", step=0.1, max_iter=40, tol=0.0)  # reuses
    slv = get_solver("gd")
    plan = slv.plan(quad, coerce_all(slv.params, {"step": 0.1}, "gd"))
    control = make_control(40, 0.0, minimizers=quad.minimizers, dim=quad.dim)
    x, history, *_ = plan.entry(quad.oracle, quad.x0.copy(), *plan.args, control)  # typed
    for res in (first, again):  # the same compiled code on the same inputs: equal numbers
        np.testing.assert_array_equal(res.x, x)
        np.testing.assert_array_equal(res.history[:, NOT_TIME], history[:, NOT_TIME])


def test_fast_path_is_gradient_descent(quad):
    for _ in range(2):  # the second run takes the reused preparation
        res = optbench.run(quad, "gd", step=0.1, max_iter=30, tol=0.0)
        x = quad.x0.copy()
        for _ in range(30):
            x = x - 0.1 * quad.grad(x)
        scale = max(1.0, float(np.abs(quad.x0).max()))
        np.testing.assert_allclose(res.x, x, rtol=0, atol=1e-12 * scale)
        assert res.iterations == 30 and res.status == "max_iter"


def test_bad_input_refused_after_a_prepared_run(quad):
    optbench.run(quad, "gd", max_iter=5)
    with pytest.raises(InvalidValueError, match="max_iter"):
        optbench.run(quad, "gd", max_iter=-1)
    with pytest.raises(InvalidValueError, match="step"):
        optbench.run(quad, "gd", max_iter=5, step=-1.0)
    with pytest.raises(InvalidValueError, match="x0"):
        optbench.run(quad, "gd", max_iter=5, x0=[0.0, math.nan, 0.0])
    optbench.run(quad, "gd", max_iter=1, record_x=False)
    with pytest.raises(InvalidTypeError, match="max_iter"):  # True == 1, but not an integer
        optbench.run(quad, "gd", max_iter=True, record_x=False)


def test_changed_problem_fields_are_seen(quad):
    before = optbench.run(quad, "gd", step=0.1, max_iter=5, tol=0.0)
    quad.f_star = quad.f_star - 1.0  # a field the summary and the stopping tests read
    after = optbench.run(quad, "gd", step=0.1, max_iter=5, tol=0.0)
    assert after.summary["gap"] == pytest.approx(before.summary["gap"] + 1.0, rel=1e-12)


def test_minimizers_edited_in_place_are_seen(quad):
    optbench.run(quad, "gd", step=0.1, max_iter=5, tol=0.0)
    quad.minimizers[0][:] = quad.minimizers[0] + 1.0  # same array, new values
    res = optbench.run(quad, "gd", step=0.1, max_iter=5, tol=0.0)
    assert res.history[0, HISTORY_COLUMNS.index("dist")] == pytest.approx(
        np.linalg.norm(quad.x0 - quad.minimizers[0]), rel=1e-12)


def test_given_start_point_is_used_after_reuse(quad):
    optbench.run(quad, "gd", step=0.1, max_iter=5)
    x0 = np.array([1.0, -2.0, 0.5])
    res = optbench.run(quad, "gd", step=0.1, max_iter=5, x0=x0)
    assert res.history[0, 1] == pytest.approx(quad.f(x0), rel=1e-12)


def test_oracle_made_read_only_is_not_run_with_the_writable_code(quad):
    optbench.run(quad, "gd", step=0.1, max_iter=5)
    key = _numba.type_key((quad.oracle,))
    quad.oracle.args[0].flags.writeable = False
    assert _numba.type_key((quad.oracle,)) != key  # so the prepared code is not reused
    res = optbench.run(quad, "gd", step=0.1, max_iter=5, tol=0.0)
    slv = get_solver("gd")
    entry = slv.plan(quad, coerce_all(slv.params, {"step": 0.1}, "gd")).entry
    readonly = [sig for sig in entry.signatures
                if any(not getattr(t, "mutable", True) for t in _flat(sig))]
    assert readonly and res.iterations == 5


def _flat(types):
    for t in types:
        if isinstance(t, numba.types.BaseTuple):
            yield from _flat(t.types)
        else:
            yield t


Pair = namedtuple("Pair", "a b")
Other = namedtuple("Other", "a b")


def _values():
    c = np.zeros((3, 4))
    ro = np.zeros(3)
    ro.flags.writeable = False
    return [np.zeros(3), np.zeros(4), ro, c, np.asfortranarray(c), c[:, ::2], c[0],
            np.zeros(3, dtype=np.int64), 1, -5, 2**62, 1.5, True, None, "a", np.float64(1.0),
            (1, 2.0), (1.0, 2), Pair(1, 2), Other(1, 2), Pair(1.0, 2),
            (np.zeros(2), 3), optbench.jit(lambda x: x)]


def test_type_keys_agree_with_numba_typeof():
    values = _values()
    for a in values:
        for b in values:
            ka, kb = _numba.type_key((a,)), _numba.type_key((b,))
            if ka is not None and ka == kb:
                assert numba.typeof(a) == numba.typeof(b), (a, b)
    assert _numba.type_key((2**63,)) is None  # not an int64 for numba: no shortcut


# -- the table ---------------------------------------------------------------------------
def _reference_table(history, extra, f_star, identity, params):
    """Column by column, as build_table did before issue 22."""
    table = pd.DataFrame(measure_columns(history, extra, f_star))
    for name in ("problem", "solver", "dim", "seed"):
        table[name] = identity.get(name)
    for name, value in params.items():
        table[f"p_{name}"] = value
    return table


@pytest.mark.parametrize("options", [
    {"step": 0.1}, {"step": "armijo", "record_x": True}, {"record_every": 7}])
def test_table_equals_the_column_by_column_table(quad, options, tmp_path):
    res = optbench.run(quad, "gd", max_iter=30, tol=0.0, **options)
    expected = _reference_table(res.history, res.extra_columns, res.f_star, res.identity,
                                res.params)
    pd.testing.assert_frame_equal(res.table, expected, check_exact=True)
    for suffix in (".csv", ".parquet"):
        save_table(res.table, tmp_path / f"new{suffix}")
        save_table(expected, tmp_path / f"old{suffix}")
        pd.testing.assert_frame_equal(load_table(tmp_path / f"new{suffix}"),
                                      load_table(tmp_path / f"old{suffix}"), check_exact=True)


def test_table_kinds_of_constant_values(quad):
    res = optbench.run(quad, "gd", max_iter=3)
    identity = dict(res.identity, seed=None)
    params = {"word": "w", "number": 0.5, "count": 3, "flag": True, "unset": None,
              "single": np.float32(0.25), "i8": np.int8(-3), "u4": np.uint32(7),
              "np_flag": np.bool_(False)}
    pd.testing.assert_frame_equal(
        build_table(res.history, res.extra_columns, None, identity, params),
        _reference_table(res.history, res.extra_columns, None, identity, params),
        check_exact=True)


def test_tables_share_no_memory(quad):
    res = optbench.run(quad, "gd", max_iter=3)
    one = build_table(res.history, res.extra_columns, res.f_star, res.identity, res.params)
    two = build_table(res.history, res.extra_columns, res.f_star, res.identity, res.params)
    one.loc[0, "problem"] = "changed"
    one.loc[0, "f"] = -1.0
    assert two.loc[0, "problem"] == res.problem and two.loc[0, "f"] == res.history[0, 1]
    assert res.history[0, 1] != -1.0


# -- a user's problem edited on disk ---------------------------------------------------
USER_FILE = textwrap.dedent('''
    from optbench import Oracle, Problem, jit

    @jit
    def f(x, args):
        return (x[0] - {center}) ** 2

    @jit
    def grad(x, args, out):
        out[0] = 2.0 * (x[0] - {center})

    def build():
        return Problem(name="fastpath-user", family="fastpath-user",
                       oracle=Oracle(f, grad, None, None, ()), x0=[0.0], formula="(x - c)^2",
                       f_star=0.0, minimizers=([{center}],), convex=True)
''')


def _load(path, name, monkeypatch):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_user_problem_edited_on_disk_is_not_served_stale(tmp_path, monkeypatch):
    path = tmp_path / "fastpath_user.py"
    results = []
    for i, center in enumerate((1.0, 2.0)):
        path.write_text(USER_FILE.format(center=center))
        problem = _load(path, f"fastpath_user_{i}", monkeypatch).build()
        for _ in range(2):  # the second run of each takes the reused preparation
            results.append(optbench.run(problem, "gd", step=0.25, max_iter=3, tol=0.0))
    f0 = [r.history[0, 1] for r in results]
    assert f0 == [1.0, 1.0, 4.0, 4.0]  # f(0) = c^2: the edited code ran
    # x_{k+1} - c = (x_k - c)(1 - 2 * 0.25): after 3 steps from 0, x = c (1 - 1/8)
    np.testing.assert_allclose([r.x[0] for r in results], [0.875, 0.875, 1.75, 1.75],
                               rtol=1e-15)


def test_a_reused_preparation_keeps_no_problem_alive():
    problem = optbench.make_problem("quadratic", dim=3, cond=10, seed=2)
    for _ in range(2):
        optbench.run(problem, "gd", step=0.1, max_iter=5)  # the Results are dropped
    ref = weakref.ref(problem)
    del problem
    gc.collect()
    assert ref() is None  # its data is freed with it


def test_launch_threads_loads_numba_threading_layer_in_a_fresh_process():
    """The adapter's private call still does what the threaded problems rely on: after it,
    numba's threading layer is loaded (a numba upgrade that moves it fails here first)."""
    import subprocess
    import sys

    code = ("from numba.np.ufunc import parallel\n"
            "before = parallel._is_initialized\n"
            "from optbench._numba import launch_threads\n"
            "launch_threads()\n"
            "import numba\n"
            "print(before, parallel._is_initialized, numba.threading_layer())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[:2] == ["False", "True"] and out[2] in {"omp", "tbb", "workqueue"}
