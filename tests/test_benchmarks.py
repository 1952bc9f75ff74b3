"""The fast paths behind benchmarks/compare.py against independent references, the baselines
against optbench's own iterates, and the asv suites' case handling. No timing is asserted."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import optbench
from optbench.kernels import (
    gram_lower,
    load_threading_layer,
    lsq_value_grad_parallel,
    parallel_sum,
    serial_sum,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import baselines as bl  # noqa: E402
import bench_solvers  # noqa: E402
import naive_problems as naive  # noqa: E402
import oracle_speed  # noqa: E402
from loop_overhead import fused_gd, scalar_gd  # noqa: E402

# the threaded kernels are called here from Python: code loaded from a warm disk cache needs
# numba's threading layer loaded first (a problem's builder does it; nothing here builds one
# before them: a segfault was seen when this file ran after the sweep tests)
load_threading_layer()


# -- kernels --------------------------------------------------------------------------------------
@pytest.mark.parametrize("m", [1, 3, 4, 7, 130, 1001])
def test_fused_least_squares_pass_equals_numpy(m, rng):
    A = rng.standard_normal((m, 13))
    y, x = rng.standard_normal(m), rng.standard_normal(13)
    out = np.empty(13)
    f = lsq_value_grad_parallel(A, y, x, out)
    r = A @ x - y
    assert f == pytest.approx(0.5 * r @ r, rel=1e-12)
    np.testing.assert_allclose(out, A.T @ r, rtol=1e-11, atol=1e-11 * np.abs(A).sum())


def test_sums_over_a_matrix(rng):
    A = rng.standard_normal((301, 17))
    assert parallel_sum(A) == pytest.approx(A.sum(), abs=1e-10)
    assert serial_sum(A) == pytest.approx(A.sum(), abs=1e-10)


def test_gram_lower_is_the_lower_triangle_of_b_transpose_b(rng):
    B = rng.standard_normal((57, 6))
    C = np.full((7, 7), 5.0)
    gram_lower(B, 0.25, 0.0, C)
    ref = 0.25 * B.T @ B
    np.testing.assert_allclose(np.tril(C[:6, :6]), np.tril(ref), rtol=1e-13, atol=1e-13)
    upper = C[:6, :6][np.triu_indices(6, 1)]
    assert np.all(upper == 5.0) and np.all(C[6] == 5.0)  # nothing else written
    gram_lower(B[:20], 1.0, 2.0, C)  # accumulates: alpha B'B + beta C
    np.testing.assert_allclose(np.tril(C[:6, :6]), np.tril(2.0 * ref + B[:20].T @ B[:20]),
                               rtol=1e-13, atol=1e-13)


# -- problems ------------------------------------------------------------------------------------
def test_parallel_least_squares_is_the_same_problem(rng):
    serial = optbench.make_problem("least-squares", samples=203, dim=17, seed=3)
    fused = optbench.make_problem("least-squares", samples=203, dim=17, seed=3, parallel=True)
    A, y = fused.oracle.args
    for x in (fused.x0, rng.standard_normal(17)):
        r = A @ x - y
        fx, g = fused.value_and_grad(x)
        assert fx == pytest.approx(0.5 * r @ r, rel=1e-12) == fused.f(x)
        np.testing.assert_allclose(g, A.T @ r, rtol=1e-10, atol=1e-12)
        # grad is fg's pass with the value dropped: the same code, bit for bit (determinism)
        np.testing.assert_allclose(fused.grad(x), g, rtol=0, atol=0)
    a = optbench.run(serial, "gd-lipschitz", max_iter=300, tol=1e-10)
    b = optbench.run(fused, "gd-lipschitz", max_iter=300, tol=1e-10)
    np.testing.assert_allclose(b.x, a.x, rtol=1e-8, atol=1e-10)


def test_logistic_hessian_equals_numpy(rng):
    p = optbench.make_problem("logistic-regression", samples=301, dim=7, lam=0.05)
    X, y, lam = p.oracle.args
    X1 = np.column_stack([X, np.ones(len(X))])
    for x in (p.x0, rng.standard_normal(8)):
        z = X1 @ x
        s = 1.0 / (1.0 + np.exp(-z)) / (1.0 + np.exp(z))
        ref = X1.T @ (X1 * s[:, None]) / len(X) + lam * np.eye(8)
        H = p.hess(x)
        np.testing.assert_allclose(H, ref, rtol=1e-12, atol=1e-14)
        assert np.array_equal(H, H.T)


def test_mlp_matrix_path_equals_the_per_sample_path(rng):
    """f and its gradient over m samples (the BLAS path) = the mean of the two halves, each
    below the threshold (computed sample by sample)."""
    mlp = sys.modules[optbench.registry.get_family("mlp").build.__module__]
    options = {"hidden": "6,5", "activation": "tanh", "lam": 0.1}
    n = optbench.make_problem("mlp", samples=4, **options).dim
    half = (mlp.BLAS_MIN_WORK - 1) // n
    p = optbench.make_problem("mlp", samples=2 * half, **options)
    m = p.samples
    assert half >= 1 and mlp.takes_matrix_path(m, n) and not mlp.takes_matrix_path(half, n)
    x = p.x0 + 0.3 * rng.standard_normal(p.dim)
    f, g = p.value_and_grad(x)
    halves = np.arange(m // 2), np.arange(m // 2, m)
    parts = [(p.oracle.batch(x, p.oracle.args, idx, out := np.empty(p.dim)), out)
             for idx in halves]
    assert f == pytest.approx(0.5 * (parts[0][0] + parts[1][0]), rel=1e-12)
    np.testing.assert_allclose(g, 0.5 * (parts[0][1] + parts[1][1]), rtol=1e-10, atol=1e-13)


# -- the baselines of compare.py follow optbench's iterates ---------------------------------------
def _gd(problem_or_oracle, x0, step, iters):
    oracle = getattr(problem_or_oracle, "oracle", problem_or_oracle)
    control = optbench.make_control(max_iter=iters, tol=0.0, record_every=iters)
    return optbench.get_solver("gd").entry(oracle, x0, step, control)[0]


def test_xor_baselines_take_optbench_steps():
    p = optbench.make_problem("xor-mlp")
    P, T = p.extra["inputs"], p.extra["targets"]
    x = _gd(p, p.x0, 0.5, 200)
    np.testing.assert_allclose(bl.njit_xor_gd(p.x0, P, T, 0.5, 200), x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bl.numpy_xor_gd(p.x0, P, T, 0.5, 200), x, rtol=1e-12,
                               atol=1e-12)


def test_mlp_epoch_baseline_takes_optbench_steps():
    p = optbench.make_problem("mlp", data="iris", standardize=True, hidden="5",
                              activation="tanh", loss="cross-entropy")
    X, T = p.oracle.args[:2]
    assert T.shape[1] == 3  # softmax output, as in the baseline
    x = p.x0.copy()
    for _ in range(3):
        bl.numpy_mlp_epoch(x, X, T, p.extra["sizes"], 0.3)
    np.testing.assert_allclose(_gd(p, p.x0, 0.3, 3), x, rtol=1e-10, atol=1e-12)


def test_newton_baseline_takes_optbench_steps():
    p = optbench.make_problem("logistic-regression", samples=400, dim=9)
    X, y, lam = p.oracle.args
    X1 = np.column_stack([X, np.ones(len(X))])
    control = optbench.make_control(max_iter=3, tol=0.0, record_every=3)
    x = optbench.get_solver("newton").entry(p.oracle, p.x0, 1.0, control)[0]
    np.testing.assert_allclose(bl.numpy_newton_logistic(X1, y, lam, p.x0, 3), x, rtol=1e-10,
                               atol=1e-12)


def test_quadratic_baselines_take_gd_steps():
    p = optbench.make_problem("quadratic", dim=2, cond=10)
    A, b, _ = p.oracle.args
    x = _gd(p, p.x0, 0.5, 50)
    np.testing.assert_allclose(bl.python_quadratic_gd(A, b, p.x0, 0.5, 50), x, rtol=1e-12)
    np.testing.assert_allclose(bl.numpy_quadratic_gd(A, b, p.x0, 0.5, 50), x, rtol=1e-12)
    x_arrays, iterations = fused_gd(A, b, p.x0, 0.5, 0.0, 50)
    assert iterations == 50
    np.testing.assert_allclose(x_arrays, x, rtol=1e-12)
    (a11, a12), (a21, a22) = A
    x1, x2, iterations = scalar_gd(a11, a12, a21, a22, b[0], b[1], p.x0[0], p.x0[1], 0.5, 0.0,
                                   50)
    assert iterations == 50
    np.testing.assert_allclose([x1, x2], x, rtol=1e-12)
    np.testing.assert_allclose(bl.scipy_bfgs(A, b, p.x0).x, p.x_star, atol=1e-8)


# -- oracle_speed.py: its instances are make_problem's, its NumPy side is the naive math ---------
@pytest.mark.parametrize("name", ["least-squares", "logistic-regression", "softmax-regression"])
def test_oracle_speed_data_are_those_make_problem_builds(name):
    m, d = 23, 3
    built = optbench.make_problem(name, **oracle_speed.size_params(name, m, d)).oracle
    mine = oracle_speed.instance(name, m, d)
    assert mine[:4] + mine[5:6] == built[:4] + built[5:6]  # the same compiled functions
    assert len(mine.args) == len(built.args)
    for a, b in zip(mine.args, built.args, strict=True):
        assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_allclose(a, b, rtol=4 * naive.EPS, atol=0)


def test_oracle_speed_picks_the_threaded_least_squares_functions():
    from optbench.kernels import THREADED_MIN

    m, d = THREADED_MIN // 64, 64
    built = optbench.make_problem("least-squares", samples=m, dim=d).oracle
    assert oracle_speed.instance("least-squares", m, d).fg is built.fg
    assert built.fg is not optbench.make_problem("least-squares", samples=40, dim=4).oracle.fg


def _within(a, b, bound):
    """|a - b| <= 2 bound entrywise: each side is within the rounding bound of the exact value"""
    return np.all(np.abs(np.asarray(a) - b) <= 2 * bound)


@pytest.mark.parametrize("name", ["least-squares", "logistic-regression", "softmax-regression",
                                  "quadratic"])
def test_oracle_speed_numpy_side_is_the_naive_math(name, rng):
    math = oracle_speed.MATH[name]
    if name == "quadratic":
        A = rng.standard_normal((5, 5))
        args, reference = (A + A.T, rng.standard_normal(5), 0.7), naive.quadratic_oracles
    elif name == "least-squares":
        args, reference = (rng.standard_normal((9, 4)), rng.standard_normal(9)), naive.lsq_oracles
    else:
        labels = (np.sign(rng.standard_normal(9)) if name == "logistic-regression"
                  else np.arange(9) % 3)
        args = (rng.standard_normal((9, 4)), labels, 0.3)
        reference = (naive.logistic_oracles if name == "logistic-regression"
                     else naive.softmax_oracles)
    n = oracle_speed.unknowns(name, 9, 4 if name != "quadratic" else 5)
    n = {"softmax-regression": 15}.get(name, n)  # 3 classes here
    x = rng.standard_normal(n)
    f, g, H = reference(*args, x)
    f_err, g_err, h_err = math.bounds(args, x, None, True)
    assert abs(math.f(*args, x) - f) <= 2 * f_err
    assert _within(math.grad(*args, x), g, g_err)
    fg = math.fg(*args, x)
    assert abs(fg[0] - f) <= 2 * f_err
    assert _within(fg[1], g, g_err)
    assert _within(math.hess(*args, x), H, h_err)
    if math.batch is not None:
        idx = np.array([4, 0, 4, 7])
        batch = naive.lsq_batch if name == "least-squares" else getattr(
            naive, name.split("-")[0] + "_batch")
        fb, gb = batch(*args, x, idx)
        fb_err, gb_err, _ = math.bounds(args, x, idx, False)
        mine = math.batch(*args, x, idx)
        assert abs(mine[0] - fb) <= 2 * fb_err
        assert _within(mine[1], gb, gb_err)


def test_oracle_speed_runs_and_checks_its_pairs(monkeypatch, capsys):
    monkeypatch.setattr(oracle_speed, "ROUND_SECONDS", 1e-4)
    assert oracle_speed.main(["--sizes", "12x3", "--dims", "3", "--threads", "1",
                              "--rounds", "1", "--problems", "logistic-regression,quadratic"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 12x3")]
    assert [r.split("|")[3].strip() for r in rows] == ["f", "grad", "fg", "hess", "batch32",
                                                       "batch1"]


def test_oracle_speed_refuses_bad_options():
    for argv in (["--sizes", "12"], ["--dims", "1"], ["--problems", "mlp"], ["--rounds", "0"]):
        with pytest.raises(SystemExit, match=argv[0]):
            oracle_speed.main(argv)


# -- the asv suites ------------------------------------------------------------------------------
def test_one_case_per_catalogue_module():
    names = bench_solvers.family_representatives()
    modules = {Path(optbench.registry.get_family(n).source).stem for n in optbench.problem_names()}
    assert len(names) == len(modules)
    assert {"quadratic", "least-squares", "logistic-regression", "mlp"} <= set(names)


def test_only_cases_that_exist_are_generated():
    cases = bench_solvers.cases()
    assert "quadratic/gd/small" in cases and "quadratic/gd-lipschitz/large" in cases
    assert not any(c.startswith("quadratic/perceptron/") for c in cases)  # does not fit
    assert "beale/gd/small" in cases and "beale/gd/large" not in cases  # no size
    quality = bench_solvers.SolverQuality()
    quality.setup("quadratic/gd-lipschitz/large")
    assert quality.problem.dim == 100
    case = "quadratic/gd-lipschitz/large"
    iterations = quality.track_iterations_to_tol(case)
    assert 0 < iterations < 10_000
    assert quality.track_ngev(case) == iterations + 1  # one gradient each, and no f
    assert quality.track_nfev(case) == 0
    assert 0 <= quality.track_final_gap(case) < 1e-6
    assert quality.track_diverged(case) == 0


def test_the_timed_case_reads_the_compiled_clock():
    """The figure is the loop's own clock: never more than the whole call from Python."""
    import time

    timed = bench_solvers.SolverTime()
    timed.setup("quadratic/gd/small")
    t = time.perf_counter()
    per_iteration = timed.track_seconds_per_iteration("quadratic/gd/small")
    wall = (time.perf_counter() - t) / bench_solvers.TIME_REPEATS
    assert 0 < per_iteration * bench_solvers.TIME_ITERATIONS <= wall


# -- compiled code that calls BLAS by name or runs in parallel is cached across processes ----------
@pytest.mark.slow
def test_fast_paths_load_from_the_cache_in_a_new_process(tmp_path):
    script = textwrap.dedent("""
        import optbench
        a = optbench.run("least-squares", "gd-lipschitz", max_iter=5, dim=5,
                         problem_params={"samples": 50, "parallel": True})
        b = optbench.run("logistic-regression", "newton", max_iter=3, dim=4,
                         problem_params={"samples": 60})
        print(a.summary["cache_hit"], b.summary["cache_hit"], a.status, b.status)
    """)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"),
               OPTBENCH_CACHE_DIR=str(tmp_path / "optima"))
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env=env, check=True).stdout.split() for _ in range(2)]
    assert runs[0][:2] == ["False", "False"]
    assert runs[1][:2] == ["True", "True"]
    assert runs[0][2:] == runs[1][2:]


# -- compile time --------------------------------------------------------------------------------
@pytest.mark.slow
def test_compile_time_measures_a_compile_then_a_load_and_an_edit_compiles_again(tmp_path):
    """benchmarks/compile_time.py: a new cache compiles, the next process loads; a problem
    whose f was edited is compiled again (its figure is not a load)."""
    import compile_time

    cold = compile_time.compile_seconds("quadratic", ["gd", "cg"], tmp_path / "c")
    warm = compile_time.compile_seconds("quadratic", ["gd", "cg"], tmp_path / "c")
    assert set(cold) == set(warm) == {"gd", "cg"}  # both fit a quadratic
    assert not cold["gd"][1] and cold["gd"][0] > 0 and warm["gd"][1]
    folder = tmp_path / "p"
    folder.mkdir()
    runs = []
    for scale in (1.0, 1.0, 3.0):
        compile_time._write_problem(folder, scale)
        runs.append(compile_time.compile_seconds("edited", ["gd", "cg"], tmp_path / "e",
                                                 problems_dir=str(folder)))
    assert [list(r) for r in runs] == [["gd"]] * 3  # cg needs a Hessian: left out
    assert [r["gd"][1] for r in runs] == [False, True, False]
