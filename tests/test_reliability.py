"""The guard rail: bad input everywhere, numerical failure as outcomes, crash-safe results,
cache safety, determinism."""

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_sweep import KILL_CONFIG, comparable, comparable_history

import optbench
from optbench.cli import main
from optbench.errors import (
    IncompatibleError,
    InvalidTypeError,
    InvalidValueError,
    OptbenchError,
    UnknownNameError,
)
from optbench.status import EXIT_STOPPED

DATA = {
    "empty.csv": "",
    "nan.csv": "a,b,y\n1,2,1\n3,nan,-1\n",
    "ragged.csv": "a,b,y\n1,2\n3,4,5,6\n",
    "corrupt.parquet": "PAR1 this is not parquet at all",
    "good.csv": "a,b,y\n1,2,1\n3,4,-1\n",
}
SWEEP_TYPO = 'seed = "0-2"\nproblems = ["quadratic"]\nsolvers = ["gd"]\n'


@pytest.fixture
def files(tmp_path):
    for name, text in DATA.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "typo.toml").write_text(SWEEP_TYPO)
    return tmp_path


# (id, CLI arguments, Python call, error class, words the message must contain)
BAD_INPUT = [
    ("unknown-problem", ["run", "quadratc", "gd"], lambda d: optbench.run("quadratc", "gd"),
     UnknownNameError, "Did you mean 'quadratic'"),
    ("unknown-solver", ["run", "quadratic", "newtn"],
     lambda d: optbench.run("quadratic", "newtn"), UnknownNameError, "Did you mean 'newton'"),
    ("does-not-fit", ["run", "rosenbrock", "cg"], lambda d: optbench.run("rosenbrock", "cg"),
     IncompatibleError, "needs a quadratic objective"),
    ("unknown-param", ["run", "quadratic", "gd", "-p", "stp=1"],
     lambda d: optbench.run("quadratic", "gd", stp=1), UnknownNameError, "'step'"),
    ("negative-step", ["run", "quadratic", "gd", "-p", "step=-1"],
     lambda d: optbench.run("quadratic", "gd", step=-1), InvalidValueError,
     "parameter 'step' of solver 'gd'"),
    ("nan-step", ["run", "quadratic", "gd", "-p", "step=nan"],
     lambda d: optbench.run("quadratic", "gd", step=float("nan")), InvalidValueError,
     "parameter 'step' of solver 'gd'"),
    ("negative-max-iter", ["run", "quadratic", "gd", "--max-iter", "-1"],
     lambda d: optbench.run("quadratic", "gd", max_iter=-1), InvalidValueError,
     "option max_iter"),
    ("negative-tol", ["run", "quadratic", "gd", "--tol", "-1"],
     lambda d: optbench.run("quadratic", "gd", tol=-1), InvalidValueError, "option tol"),
    ("zero-record-every", ["run", "quadratic", "gd", "--record-every", "0"],
     lambda d: optbench.run("quadratic", "gd", record_every=0), InvalidValueError,
     "option record_every"),
    ("zero-dim", ["run", "quadratic", "gd", "--dim", "0"],
     lambda d: optbench.run("quadratic", "gd", dim=0), InvalidValueError, "'dim'"),
    ("dim-given-twice", ["run", "quadratic", "gd", "--dim", "2", "-P", "dim=3"],
     lambda d: optbench.run("quadratic", "gd", dim=2, problem_params={"dim": 3}),
     InvalidValueError, "dim is given twice"),
    ("dim-beyond-memory", ["run", "quadratic", "gd", "--dim", "10000000"],
     lambda d: optbench.run("quadratic", "gd", dim=10_000_000), InvalidValueError,
     "needs more memory than this machine has"),
    ("batch-larger-than-data", ["run", "least-squares", "minibatch-sgd", "-p",
                                "batch_size=100000"],
     lambda d: optbench.run("least-squares", "minibatch-sgd", batch_size=100_000),
     InvalidValueError, "batch_size"),
    ("x0-shape", ["run", "rosenbrock", "gd", "--x0", "1,2,3"],
     lambda d: optbench.run("rosenbrock", "gd", x0=[1, 2, 3]), InvalidValueError,
     "option x0"),
    ("x0-nan", ["run", "rosenbrock", "gd", "--x0", "1,nan"],
     lambda d: optbench.run("rosenbrock", "gd", x0=[1, np.nan]), InvalidValueError,
     "non-finite"),
    ("x0-not-numbers", ["run", "rosenbrock", "gd", "--x0", "a,b"],
     lambda d: optbench.run("rosenbrock", "gd", x0=["a", "b"]), InvalidTypeError, "x0"),
    ("data-missing", ["run", "perceptron", "perceptron", "--data", "{d}/nope.csv"],
     lambda d: optbench.run("perceptron", "perceptron",
                            problem_params={"data": f"{d}/nope.csv"}),
     InvalidValueError, "does not exist"),
    ("data-empty", ["run", "perceptron", "perceptron", "--data", "{d}/empty.csv",
                    "--target", "y"],
     lambda d: optbench.run("perceptron", "perceptron",
                            problem_params={"data": f"{d}/empty.csv", "target": "y"}),
     InvalidValueError, "is empty"),
    ("data-nan", ["run", "perceptron", "perceptron", "--data", "{d}/nan.csv", "--target", "y"],
     lambda d: optbench.run("perceptron", "perceptron",
                            problem_params={"data": f"{d}/nan.csv", "target": "y"}),
     InvalidValueError, "missing value"),
    ("data-ragged", ["run", "perceptron", "perceptron", "--data", "{d}/ragged.csv",
                     "--target", "y"],
     lambda d: optbench.run("perceptron", "perceptron",
                            problem_params={"data": f"{d}/ragged.csv", "target": "y"}),
     InvalidValueError, "could not read"),
    ("data-corrupt", ["run", "perceptron", "perceptron", "--data", "{d}/corrupt.parquet",
                      "--target", "y"],
     lambda d: optbench.run("perceptron", "perceptron",
                            problem_params={"data": f"{d}/corrupt.parquet", "target": "y"}),
     InvalidValueError, "could not read"),
    ("data-unknown-target", ["run", "perceptron", "perceptron", "--data", "{d}/good.csv",
                             "--target", "z"],
     lambda d: optbench.run("perceptron", "perceptron",
                            problem_params={"data": f"{d}/good.csv", "target": "z"}),
     OptbenchError, "'z'"),
    ("sweep-config-typo", ["sweep", "{d}/typo.toml"],
     lambda d: optbench.sweep(f"{d}/typo.toml", f"{d}/results"), UnknownNameError,
     "Did you mean 'seeds'"),
]


def _argv(argv, directory):
    return [a.replace("{d}", str(directory)) for a in argv]


@pytest.mark.parametrize("argv, words", [pytest.param(a, w, id=i)
                                         for i, a, _, _, w in BAD_INPUT])
def test_bad_input_on_the_command_line(files, capsys, argv, words):
    out = files / "out" / "table.csv" if argv[0] == "run" else files / "results"
    (files / "out").mkdir()
    extra = ["--out", str(out)] + (["--no-progress"] if argv[0] == "sweep" else [])
    assert main(_argv(argv, files) + extra) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("optbench: error:") and "\n" not in err, err
    assert words in err
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()  # nothing written half-way


@pytest.mark.parametrize("call, error, words", [pytest.param(c, e, w, id=i)
                                                for i, _, c, e, w in BAD_INPUT])
def test_bad_input_from_python(files, call, error, words):
    with pytest.raises(error) as info:
        call(files)
    exc = info.value
    assert isinstance(exc, OptbenchError)
    assert isinstance(exc, ValueError | KeyError | TypeError)
    assert words in str(exc) and "\n" not in str(exc)
    assert not (files / "results").exists()


PYTHON_TYPE_MISTAKES = [
    ("solver-params-not-a-dict",
     lambda d: optbench.run("quadratic", "gd", solver_params=[("step", 1.0)]), "solver_params"),
    ("problem-params-not-a-dict",
     lambda d: optbench.run("quadratic", "gd", problem_params=["cond"]), "problem_params"),
    ("sweep-config-not-a-dict-or-path", lambda d: optbench.sweep([1, 2], d / "results"),
     "option CONFIG"),
    ("sweep-executor-not-an-executor",
     lambda d: optbench.sweep({"problems": [{"name": "quadratic"}], "solvers": [{"name": "gd"}]},
                              d / "results", executor=4), "option executor"),
]


@pytest.mark.parametrize("call, words", [pytest.param(c, w, id=i)
                                         for i, c, w in PYTHON_TYPE_MISTAKES])
def test_python_type_mistakes_are_optbench_type_errors(files, call, words):
    with pytest.raises(InvalidTypeError) as info:
        call(files)
    assert isinstance(info.value, TypeError) and words in str(info.value)
    assert not (files / "results").exists()


# -- numerical failure is an outcome --------------------------------------------------------
FAILURES = [
    ("rosenbrock", "gd", {"step": 0.1}, {}, "diverged", "non-finite"),
    ("double-well", "newton", {}, {"x0": [1.0]}, "failed", "singular Hessian"),
    ("quadratic-2d", "cg", {}, {}, "failed", "not positive definite"),
    ("rational", "newton-root", {}, {}, "failed", "f'(x) = 0"),
    ("rosenbrock", "gd-armijo", {"max_trials": 1, "t0": 100.0}, {}, "line_search_failed",
     "no acceptable step"),
]


@pytest.mark.parametrize("problem, solver, params, options, status, words", FAILURES)
def test_numerical_failure_is_a_status_with_history_and_no_warnings(problem, solver, params,
                                                                    options, status, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy (or other) warning may escape
        res = optbench.run(problem, solver, **params, **options)
        table, line = res.table, res.summary_line()
    assert res.status == status and words in res.message
    assert len(table) >= 1 and table["iteration"].iloc[-1] == res.iterations
    assert status in line
    if status == "diverged":  # the history up to the blow-up is kept, finite before it
        assert np.isfinite(table["f"].iloc[:-1]).all() and len(table) > 2


def test_a_sweep_records_failures_and_goes_on(tmp_path):
    config = {"problems": ["rosenbrock", "double-well", "quadratic-2d"],
              "solvers": [{"name": "gd", "params": {"step": [0.1]}}, "newton", "cg"],
              "seeds": [0]}
    runs = optbench.sweep(config, tmp_path / "r", workers=1, progress=False)
    got = dict(zip(runs["instance"] + " " + runs["setting"], runs["status"], strict=True))
    assert got["rosenbrock gd(step=0.1)"] == "diverged"
    assert got["quadratic-2d cg"] == "failed"
    assert set(got.values()) >= {"diverged", "failed", "converged"}
    summary = optbench.summarize(runs)
    assert summary["diverged"].sum() == (runs["status"] == "diverged").sum()


# -- crash-safe results ----------------------------------------------------------------------
def _sweep_cmd(config, out):
    return [sys.executable, "-m", "optbench.cli", "sweep", str(config), "--out", str(out),
            "--workers", "2", "--no-progress"]


def _cells_written(out: Path) -> int:
    """Cells in the part files written so far (each part is renamed into place whole)."""
    import pyarrow.parquet as pq

    parts = sorted((out / "parts").glob("part-*.parquet")) if (out / "parts").is_dir() else []
    return sum(pq.read_metadata(p).num_rows for p in parts)


def _kill_when_cells_reach(proc, out: Path, target: int, kill_sweep,
                           timeout: float = 600.0) -> int:
    """SIGKILL the sweep's process group once ``target`` cell files exist (an event, not a
    delay); returns how many there were. Fails loudly if the sweep ends first or the files
    never come."""
    deadline = time.monotonic() + timeout
    while (count := _cells_written(out)) < target:
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended (exit {proc.returncode}) with {count} cells, "
                        f"before cell {target} appeared: no kill landed part-way")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"cell {target} never appeared within {timeout:.0f} s ({count} cells)")
        time.sleep(0.002)  # polling interval only: the kill waits for the files, not a delay
    kill_sweep(proc, out)
    return count


@pytest.mark.slow
def test_sigkill_at_random_moments_always_resumes_to_the_complete_set(tmp_path, kill_sweep):
    """Four kills of a 2-worker sweep, each once a random number (1-8) of further cell files
    has appeared since the last kill (the first once the first file exists), then a resume:
    the same cells and values as an uninterrupted sweep."""
    config = tmp_path / "sweep.toml"
    config.write_text(KILL_CONFIG)
    reference = optbench.sweep(config, tmp_path / "reference", workers=1, progress=False)
    out = tmp_path / "killed"
    rng = random.Random(20261122)
    seen = 0
    for round_ in range(4):
        target = 1 if round_ == 0 else seen + rng.randint(1, 8)
        assert target < len(reference) - 8  # the sweep still has cells to run when killed
        proc = subprocess.Popen(_sweep_cmd(config, out), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seen = _kill_when_cells_reach(proc, out, target, kill_sweep)
        assert proc.returncode == -signal.SIGKILL
    assert seen < len(reference)
    resumed = optbench.sweep(config, out, workers=1, progress=False)
    import pyarrow.parquet as pq

    assert sorted(p.name for p in out.iterdir()) == [".lock", "manifest.json", "parts"]
    parts = list((out / "parts").iterdir())
    assert all(p.name.startswith("part-") for p in parts)  # no stray temporary file
    keys = [k for p in parts for k in pq.read_table(p, columns=["cell"])["cell"].to_pylist()]
    assert sorted(keys) == sorted(reference["cell"])  # each cell once
    pd.testing.assert_frame_equal(comparable(resumed), comparable(reference))
    pd.testing.assert_frame_equal(comparable_history(out),
                                  comparable_history(tmp_path / "reference"))


@pytest.mark.slow
def test_two_sweeps_on_one_directory_at_once_do_not_corrupt_it(tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text(KILL_CONFIG)
    out = tmp_path / "shared"
    procs = [subprocess.Popen(_sweep_cmd(config, out), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    for code, err in results:
        assert code == 0 or (code == 2 and "being written by another sweep" in err), err
    reference = optbench.sweep(config, tmp_path / "reference", workers=1, progress=False)
    final = optbench.sweep(config, out, workers=1, progress=False)  # completes if refused
    pd.testing.assert_frame_equal(comparable(final), comparable(reference))


# -- cache safety (fresh processes with their own numba cache) -----------------------------------
def _cli(args, cache, cwd):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-m", "optbench.cli", *args], capture_output=True,
                          text=True, env=env, cwd=cwd)


def _table(path):
    return pd.read_csv(path).drop(columns=["time"])


@pytest.mark.slow
def test_corrupt_cache_files_are_never_used(tmp_path):
    cache = tmp_path / "numba"
    run = ["run", "quadratic", "gd", "--dim", "3", "-p", "step=0.5", "--max-iter", "50"]
    first = _cli([*run, "--out", "a.csv"], cache, tmp_path)
    assert first.returncode == EXIT_STOPPED, first.stderr  # max_iter
    files = sorted(cache.rglob("*.nb*"))
    assert files
    rng = np.random.default_rng(0)
    for i, f in enumerate(files):  # garbage into half of them, truncate the others
        if i % 2:
            f.write_bytes(rng.bytes(64))
        else:
            f.write_bytes(f.read_bytes()[: max(len(f.read_bytes()) // 3, 1)])
    second = _cli([*run, "--out", "b.csv"], cache, tmp_path)
    assert second.returncode == EXIT_STOPPED, second.stderr
    assert "corrupt compiled-code cache" in second.stderr and "Traceback" not in second.stderr
    pd.testing.assert_frame_equal(_table(tmp_path / "b.csv"), _table(tmp_path / "a.csv"))
    third = _cli([*run, "--out", "c.csv"], cache, tmp_path)  # rebuilt: loads cleanly again
    assert third.returncode == EXIT_STOPPED and "corrupt" not in third.stderr
    assert "loaded from cache" in third.stdout
    pd.testing.assert_frame_equal(_table(tmp_path / "c.csv"), _table(tmp_path / "a.csv"))


@pytest.mark.slow
def test_unwritable_cache_location_falls_back_with_a_warning(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    proc = _cli(["run", "quadratic", "gd", "--dim", "3", "--max-iter", "20"],
                blocker / "numba", tmp_path)
    assert proc.returncode == EXIT_STOPPED, proc.stderr  # max_iter
    assert "NUMBA_CACHE_DIR" in proc.stderr and "is not used for the numba cache" in proc.stderr
    assert "cannot be created" in proc.stderr and f"optbench-{os.getuid()}" in proc.stderr
    assert "max_iter: reached max_iter=20" in proc.stdout


@pytest.mark.slow
def test_cache_clear_removes_compiled_code(tmp_path):
    cache = tmp_path / "numba"
    env_optima = dict(os.environ, OPTBENCH_CACHE_DIR=str(tmp_path / "optima"))
    assert _cli(["run", "quadratic", "gd", "--dim", "3"], cache, tmp_path).returncode == 0
    assert list(cache.rglob("*.nbi"))
    proc = subprocess.run([sys.executable, "-m", "optbench.cli", "cache", "clear"],
                          capture_output=True, text=True, cwd=tmp_path,
                          env=dict(env_optima, NUMBA_CACHE_DIR=str(cache)))
    assert proc.returncode == 0 and "removed" in proc.stdout, proc.stderr
    assert not list(cache.rglob("*.nbi")) and not list(cache.rglob("*.nbc"))
    info = _cli(["cache"], cache, tmp_path)
    assert info.returncode == 0 and "compiled code" in info.stdout


# -- determinism --------------------------------------------------------------------------------
@pytest.mark.parametrize("problem, solver, params", [
    ("least-squares", "sgd", {"dim": 4, "seed": 3}),
    ("least-squares", "minibatch-sgd", {"dim": 4, "seed": 3, "batch_size": 10}),
    ("perceptron", "perceptron", {"seed": 2}),
    ("perceptron", "pocket", {"seed": 2}),
    ("quadratic", "gd-armijo", {"dim": 5, "seed": 1}),
])
def test_same_inputs_and_seed_give_identical_tables(problem, solver, params):
    params = dict(params)
    dim, seed = params.pop("dim", None), params.pop("seed")
    a = optbench.run(problem, solver, dim=dim, seed=seed, max_iter=30, **params)
    b = optbench.run(problem, solver, dim=dim, seed=seed, max_iter=30, **params)
    pd.testing.assert_frame_equal(a.table.drop(columns=["time"]),
                                  b.table.drop(columns=["time"]))
    assert np.array_equal(a.x, b.x)


@pytest.mark.slow
def test_same_seed_gives_the_same_table_in_another_process(tmp_path):
    args = ["run", "least-squares", "sgd", "--dim", "4", "--seed", "3", "--max-iter", "20",
            "--out", "t.csv"]
    proc = subprocess.run([sys.executable, "-m", "optbench.cli", *args], capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == EXIT_STOPPED, proc.stderr  # max_iter
    here = optbench.run("least-squares", "sgd", dim=4, seed=3, max_iter=20)
    there = pd.read_csv(tmp_path / "t.csv")
    np.testing.assert_array_equal(there["f"].to_numpy(), here.table["f"].to_numpy())
    np.testing.assert_array_equal(there["grad_norm"].to_numpy(),
                                  here.table["grad_norm"].to_numpy())


def test_corrupt_results_manifest_is_one_clear_error(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(InvalidValueError, match="corrupt"):
        optbench.load_runs(tmp_path)
    shutil.rmtree(tmp_path)
    with pytest.raises(InvalidValueError, match="not a results directory"):
        optbench.load_runs(Path(tmp_path))


# -- bad input, by category (the issue on bad input everywhere) ---------------------------------
# (category, id, argv with {d} for the scratch directory, words the one line must contain)
CATEGORIES = [
    # output paths, checked before any work
    ("output", "run-out-is-a-directory", ["run", "parabola", "gd", "--out", "{d}/adir"],
     "it is a directory"),
    ("output", "run-out-missing-parent", ["run", "parabola", "gd", "--out", "{d}/no/t.csv"],
     "does not exist"),
    ("output", "run-out-empty", ["run", "parabola", "gd", "--out", ""], "empty path"),
    ("output", "run-out-proc", ["run", "parabola", "gd", "--out", "/proc/t.csv"], "--out"),
    ("output", "run-plot-is-a-directory", ["run", "parabola", "gd", "--plot", "{d}/adir.png"],
     "it is a directory"),
    ("output", "run-plot-empty", ["run", "parabola", "gd", "--plot", ""], "empty path"),
    ("output", "sweep-out-empty", ["sweep", "--problems", "parabola", "--solvers", "gd",
                                   "--out", ""], "empty path"),
    ("output", "sweep-out-is-a-file", ["sweep", "--problems", "parabola", "--solvers", "gd",
                                       "--out", "{d}/afile"], "it is a file"),
    ("output", "results-out-missing-parent", ["results", "{d}/results", "--out",
                                              "{d}/no/r.csv"], "does not exist"),
    ("output", "report-out-is-a-directory", ["report", "{d}/results", "-o", "{d}/adir.html"],
     "it is a directory"),
    ("output", "plot-out-proc", ["plot", "convergence", "{d}/results", "-o", "/proc/p.png"],
     "-o"),
    # numbers the checks must hold to what compiled code can count
    ("numbers", "max-iter-beyond-int64", ["run", "parabola", "gd", "--max-iter",
                                          "20000000000000000000"], "option max_iter"),
    ("numbers", "record-every-at-int64", ["run", "parabola", "gd", "--max-iter", "50",
                                          "--record-every", "9223372036854775807"],
     "option record_every"),
    ("numbers", "seed-beyond-int64", ["run", "quadratic", "gd", "--seed",
                                      "99999999999999999999"], "'seed'"),
    ("numbers", "quadratic-dim-1-cond", ["run", "quadratic", "gd", "--dim", "1", "-P",
                                         "cond=1e12"], "cond"),
    # sweep configs of the wrong shape
    ("config", "problems-dirs-a-number", ["sweep", "{d}/dirs-number.toml"], "problems_dirs"),
    ("config", "problems-dirs-a-boolean", ["sweep", "{d}/dirs-bool.toml"], "problems_dirs[0]"),
    ("config", "problems-dirs-a-table", ["sweep", "{d}/dirs-table.toml"], "problems_dirs"),
    ("config", "empty-grid-axis", ["sweep", "{d}/empty-axis.toml"], "params.step"),
    ("config", "binary-file", ["sweep", "{d}/binary.toml"], "not UTF-8"),
    ("config", "seeds-not-ascii", ["sweep", "--problems", "parabola", "--solvers", "gd",
                                   "--seeds", "\u00b2"], "seeds"),
    ("config", "seeds-too-many", ["sweep", "--problems", "parabola", "--solvers", "gd",
                                  "--seeds", "0-2000000000"], "2,000,000,001 cells"),
    ("config", "seeds-many", ["sweep", "--problems", "parabola", "--solvers", "gd",
                              "--seeds", "0-200000"], "--yes"),
    ("config", "grid-too-large", ["sweep", "{d}/huge.toml"], "--yes"),
    # results directories of the wrong shape
    ("results", "manifest-a-list", ["results", "{d}/list-manifest"], "manifest"),
    ("results", "not-a-results-directory", ["results", "{d}/adir"], "no manifest.json"),
    # silently accepted before
    ("accepted", "x0-empty-coordinate", ["run", "rosenbrock", "gd", "--x0", "1,,2"], "--x0"),
    ("accepted", "problems-dir-empty", ["--problems-dir", "", "list"], "problems-dir"),
    ("accepted", "history-without-out", ["results", "{d}/results", "--history"],
     "--history"),
    ("accepted", "solver-parameter-twice", ["run", "parabola", "gd", "-p", "step=0.1",
                                            "-p", "step=1"], "'step' twice"),
    # messages that would repeat huge values
    ("huge", "huge-step-value", ["run", "parabola", "gd", "-p", "step=" + "9" * 100_000],
     "characters"),
    ("huge", "huge-unknown-name", ["run", "parabola", "x" * 100_000], "unknown solver"),
]
CONFIGS = {
    "dirs-number.toml": 'problems_dirs = 5\nproblems = ["parabola"]\nsolvers = ["gd"]\n',
    "dirs-bool.toml": 'problems_dirs = [true]\nproblems = ["parabola"]\nsolvers = ["gd"]\n',
    "dirs-table.toml": 'problems_dirs = {a = 1}\nproblems = ["parabola"]\nsolvers = ["gd"]\n',
    "empty-axis.toml": 'problems = ["parabola"]\n[[solvers]]\nname = "gd"\n'
                       'params = { step = [] }\n',
    "huge.toml": 'seeds = "0-999"\n[[problems]]\nname = "quadratic"\n'
                 'dim = [' + ", ".join(str(d) for d in range(2, 202)) + ']\n'
                 '[[solvers]]\nname = "gd"\n',
}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad-input")
    (d / "adir").mkdir()
    (d / "adir.png").mkdir()
    (d / "adir.html").mkdir()
    (d / "afile").write_text("a file")
    for name, text in CONFIGS.items():
        (d / name).write_text(text)
    (d / "binary.toml").write_bytes(bytes(range(256)))
    optbench.sweep({"problems": ["parabola"], "solvers": ["gd"]}, d / "results", workers=1,
                   progress=False)
    (d / "list-manifest").mkdir()
    (d / "list-manifest" / "manifest.json").write_text("[]")
    (d / "list-manifest" / "cells").mkdir()
    return d


def _listing(d: Path) -> set:
    return {str(p.relative_to(d)) for p in d.rglob("*")}


@pytest.mark.parametrize("argv, words", [pytest.param(a, w, id=f"{c}:{i}")
                                         for c, i, a, w in CATEGORIES])
def test_bad_input_by_category(scratch, capsys, argv, words):
    """Every case: exit 2, one line naming the option or key, no traceback, nothing created."""
    before = _listing(scratch)
    argv = [a.replace("{d}", str(scratch)) for a in argv]
    if argv[0] == "sweep" and "--out" not in argv:
        argv += ["--out", str(scratch / "never-written"), "--workers", "1"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("optbench: error:") and "\n" not in err, err[:500]
    assert words in err and len(err) < 1000
    assert "Traceback" not in captured.err + captured.out
    assert _listing(scratch) == before  # nothing written, not even half-way


def test_the_category_matrix_counts_its_cases():
    assert len(CATEGORIES) >= 30
    assert {c for c, *_ in CATEGORIES} == {"output", "numbers", "config", "results",
                                          "accepted", "huge"}


def test_a_config_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'problems = ["parabola"]\nsolvers = ["gd"]\n')
    runs = optbench.sweep(path, tmp_path / "r", workers=1, progress=False)
    assert list(runs["status"]) == ["converged"]


def test_a_builder_that_raises_while_planning_becomes_error_cells(tmp_path):
    """(In a subprocess: the problem must not stay registered in this test process.)"""
    folder = tmp_path / "problems"
    folder.mkdir()
    (folder / "broken.py").write_text(textwrap.dedent('''
        import optbench

        @optbench.register_problem("unreadable", summary="reads a file that is not there")
        def build():
            open("/nonexistent/optbench-data.csv")
    '''))
    proc = subprocess.run([sys.executable, "-m", "optbench", "--problems-dir", str(folder),
                           "sweep", "--problems", "unreadable,parabola", "--solvers", "gd",
                           "--out", str(tmp_path / "r"), "--workers", "1", "--no-progress"],
                          capture_output=True, text=True)
    assert proc.returncode == 4 and "Traceback" not in proc.stderr, proc.stderr  # one error
    runs = optbench.load_runs(tmp_path / "r")
    got = dict(zip(runs["instance"], runs["status"], strict=True))
    assert got == {"unreadable": "error", "parabola": "converged"}
    assert "FileNotFoundError" in runs.set_index("instance").loc["unreadable", "message"]


def test_an_existing_output_file_is_replaced(tmp_path, capsys):
    out = tmp_path / "t.csv"
    out.write_text("old")
    assert main(["run", "parabola", "gd", "--out", str(out)]) == 0
    assert optbench.load_table(out)["iteration"].iloc[0] == 0


def test_a_report_never_runs_code_a_manifest_names(tmp_path):
    """A shared results directory whose manifest lists a directory of problem files: the
    report is written from the stored data alone; no file of that directory is imported."""
    import json

    out = tmp_path / "r"
    optbench.sweep({"problems": [{"name": "quadratic", "dim": 2}],
                    "solvers": [{"name": "gd", "params": {"step": [0.5]}}]}, out, workers=1,
                   progress=False)
    planted = tmp_path / "planted"
    planted.mkdir()
    marker = tmp_path / "code-ran"
    (planted / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["config"]["problems_dirs"] = [str(planted)]
    (out / "manifest.json").write_text(json.dumps(manifest))
    proc = subprocess.run([sys.executable, "-m", "optbench", "report", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "report.html").exists() and not marker.exists()


def test_a_cell_naming_a_path_outside_is_refused_by_name(tmp_path, caplog):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "r"
    optbench.sweep({"problems": ["parabola"], "solvers": ["gd"]}, out, workers=1,
                   progress=False)
    path = next((out / "parts").glob("*.parquet"))
    table = pq.read_table(path)
    table = table.set_column(table.schema.get_field_index("cell"), "cell",
                             pa.array(["../../outside"] * table.num_rows))
    pq.write_table(table, path)  # the schema's metadata kept: only the key is wrong
    with caplog.at_level("WARNING", logger="optbench"):
        assert optbench.load_runs(out).empty
    assert "../../outside" in caplog.text and path.name in caplog.text
