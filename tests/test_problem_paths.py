"""Every code path of the size-dispatched problem oracles against a NumPy transcription
(tests/naive_problems.py), to a tolerance of twice a worst-case rounding bound derived from the
size and the data of each instance.

The compiled functions choose their path by size at run time (loops for tiny data, BLAS or one
pass over the data, row blocks on numba's threads for large data): each case below states the
path it exercises, and the size is checked against the threshold the code uses, so a case
keeps testing its path if a threshold moves.
"""

import os
import subprocess
import sys

import naive_problems as naive
import numba
import numpy as np
import pytest

import optbench
from optbench import kernels


def module_of(problem: str):
    return sys.modules[optbench.registry.get_family(problem).build.__module__]


def points(p, rng):
    """x0, a random point, and (when known) a point next to the minimizer (cancellation)"""
    n = p.x0.size
    xs = [p.x0, rng.standard_normal(n) / np.sqrt(n)]
    if p.minimizers:
        xs.append(np.asarray(p.minimizers[0]) + 1e-6 * rng.standard_normal(n))
    return xs


def check(p, reference, bounds, rng):
    for x in points(p, rng):
        f_ref, g_ref, H_ref = reference(*p.oracle.args, x)
        f_err, g_err, H_err = bounds(*p.oracle.args, x)
        fx, g = p.value_and_grad(x)
        assert abs(fx - f_ref) <= 2 * f_err
        assert abs(p.f(x) - f_ref) <= 2 * f_err
        np.testing.assert_array_less(np.abs(g - g_ref), 2 * g_err + 1e-300)
        np.testing.assert_array_less(np.abs(p.grad(x) - g_ref), 2 * g_err + 1e-300)
        if H_ref is not None:
            np.testing.assert_array_less(np.abs(p.hess(x) - H_ref), 2 * H_err + 1e-300)


# -- least squares and linear regression: one pass over A, on one thread or on numba's threads ---
THREADED = (2048, 256)  # m n = 2^19: the threaded path
assert THREADED[0] * THREADED[1] >= kernels.THREADED_MIN
LSQ_CASES = {
    "tiny 2x2": (2, 2, True),
    "7x3 (a 4-row block and 3 rows left)": (7, 3, True),
    "40x20 (Hessian by loops)": (40, 20, True),
    "203x17 (Hessian by BLAS dsyrk)": (203, 17, True),
    "2048x256 threaded": (*THREADED, True),
    "2048x256 parallel=false (one thread)": (*THREADED, False),
}


def with_slow(cases):
    """the case names, the large (2048 x 256) ones marked slow (about 20 s on a busy machine)"""
    return [pytest.param(c, marks=pytest.mark.slow) if "2048" in c else c for c in cases]


@pytest.mark.parametrize("case", with_slow(LSQ_CASES))
def test_least_squares_paths_equal_numpy(case, rng):
    m, n, parallel = LSQ_CASES[case]
    p = optbench.make_problem("least-squares", samples=m, dim=n, seed=3, parallel=parallel)
    assert p.oracle.args[0].shape == (m, n)
    check(p, naive.lsq_oracles, naive.lsq_bounds, rng)


def test_linear_regression_equals_numpy(rng):
    p = optbench.make_problem("linear-regression")
    check(p, naive.lsq_oracles, naive.lsq_bounds, rng)


@pytest.mark.parametrize("shape", [(9, 3), THREADED])
@pytest.mark.parametrize("problem", ["least-squares", "logistic-regression"])
def test_threaded_path_gives_the_same_result_on_any_thread_count(problem, shape, rng):
    """The documented determinism: row blocks are fixed and added in a fixed order."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread here")
    p = optbench.make_problem(problem, samples=shape[0], dim=shape[1], seed=1)
    x = rng.standard_normal(p.x0.size) / np.sqrt(p.x0.size)
    results = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        try:
            results.append((p.value_and_grad(x), p.f(x)))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    ((f1, g1), v1), ((f2, g2), v2) = results
    assert f1 == f2 and v1 == v2
    np.testing.assert_array_equal(g1, g2)


@pytest.mark.slow
def test_threaded_oracles_run_when_loaded_from_the_cache_in_a_new_process(tmp_path):
    """Compiled oracles that reach numba's threads, loaded from the disk cache in a fresh
    process, run and give the first process's values."""
    script = ("import numpy as np, optbench\n"
              "for name in ('least-squares', 'logistic-regression'):\n"
              "    p = optbench.make_problem(name, samples=9, dim=3)\n"
              "    x, g = np.ones(p.x0.size), np.empty(p.x0.size)\n"
              "    print(p.oracle.fg(x, p.oracle.args, g), p.oracle.f(x, p.oracle.args))\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"),
               OPTBENCH_CACHE_DIR=str(tmp_path / "optima"))
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env=env) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
    assert runs[1].stdout == runs[0].stdout  # the same code on the same machine: same values


# -- logistic regression: the same one-pass kernel with the logistic loss and a bias -------------
LOGISTIC_CASES = {"tiny 9x2": (9, 2, True), "203x17": (203, 17, True),
                  "2048x256 threaded": (*THREADED, True),
                  "2048x256 parallel=false (one thread)": (*THREADED, False)}


@pytest.mark.parametrize("case", with_slow(LOGISTIC_CASES))
def test_logistic_paths_equal_numpy(case, rng):
    m, d, parallel = LOGISTIC_CASES[case]
    p = optbench.make_problem("logistic-regression", samples=m, dim=d, lam=0.05, seed=2,
                              parallel=parallel)
    check(p, naive.logistic_oracles, naive.logistic_bounds, rng)


def test_logistic_far_from_zero_does_not_overflow(rng):
    """Scores of +-1e3: exp would overflow without the stable forms; NumPy's logaddexp and
    expit stay finite too."""
    p = optbench.make_problem("logistic-regression", samples=30, dim=3, seed=2)
    x = np.concatenate([1e3 * rng.standard_normal(3), [0.0]])
    f_ref, g_ref, _ = naive.logistic_oracles(*p.oracle.args, x)
    f_err, g_err, _ = naive.logistic_bounds(*p.oracle.args, x)
    fx, g = p.value_and_grad(x)
    assert np.isfinite(fx) and abs(fx - f_ref) <= 2 * f_err
    np.testing.assert_array_less(np.abs(g - g_ref), 2 * g_err)


# -- softmax regression: loops for tiny data, BLAS products above (f, gradient, Hessian) ---------
SOFTMAX_CASES = {"loops 7x3, 2 classes": (7, 3, 2), "BLAS 300x16, 4 classes": (300, 16, 4),
                 "BLAS 64x16, 4 classes": (64, 16, 4)}


@pytest.mark.parametrize("case", SOFTMAX_CASES)
def test_softmax_paths_equal_numpy(case, rng):
    m, d, K = SOFTMAX_CASES[case]
    blas = module_of("softmax-regression")._SM_BLAS_MIN
    assert (m * d * K >= blas) == case.startswith("BLAS")
    p = optbench.make_problem("softmax-regression", samples=m, dim=d, classes=K, seed=4)
    check(p, naive.softmax_oracles, naive.softmax_bounds, rng)


# -- quadratic: loops below 128 dimensions, BLAS A x above ----------------------------------------
QUADRATIC_DIMS = {"loops n=2": 2, "loops n=10": 10, "loops n=127": 127, "BLAS n=128": 128,
                  "BLAS n=200": 200}


@pytest.mark.parametrize("case", QUADRATIC_DIMS)
def test_quadratic_paths_equal_numpy(case, rng):
    n = QUADRATIC_DIMS[case]
    blas = module_of("quadratic")._BLAS_MIN
    assert (n * n >= blas) == case.startswith("BLAS")
    p = optbench.make_problem("quadratic", dim=n, cond=1e4, seed=5)
    check(p, naive.quadratic_oracles, naive.quadratic_bounds, rng)


@pytest.mark.parametrize("problem", ["parabola", "quadratic-2d", "saddle"])
def test_small_quadratics_equal_numpy(problem, rng):
    check(optbench.make_problem(problem), naive.quadratic_oracles, naive.quadratic_bounds, rng)


# -- mini-batches: rows in any order, repeated, fewer or more than a 4-row block -----------------
BATCHES = [np.array([5]), np.array([3, 0, 3, 7, 1]), np.arange(11)[::-1].copy()]


@pytest.mark.parametrize("problem, params, reference, bounds", [
    ("least-squares", {"samples": 12, "dim": 5}, naive.lsq_batch, naive.lsq_batch_bounds),
    ("logistic-regression", {"samples": 12, "dim": 5}, naive.logistic_batch,
     naive.logistic_bounds),
    ("softmax-regression", {"samples": 12, "dim": 5, "classes": 3}, naive.softmax_batch,
     naive.softmax_bounds),
], ids=["least-squares", "logistic-regression", "softmax-regression"])
def test_batch_gradients_equal_numpy(problem, params, reference, bounds, rng):
    p = optbench.make_problem(problem, seed=6, **params)
    x = rng.standard_normal(p.x0.size)
    for idx in BATCHES:
        idx = idx.astype(np.int64)
        out = np.empty(p.x0.size)
        fx = p.oracle.batch(x, p.oracle.args, idx, out)
        f_ref, g_ref = reference(*p.oracle.args, x, idx)
        f_err, g_err = bounds(*p.oracle.args, x, idx)[:2]
        assert abs(fx - f_ref) <= 2 * f_err
        np.testing.assert_array_less(np.abs(out - g_ref), 2 * g_err + 1e-300)
