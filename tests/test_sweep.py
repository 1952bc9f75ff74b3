"""Sweeps: the config grid, the results store (resume, kill -9, lock), and equal results
in this process, on local worker processes and on a dask LocalCluster."""

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import optbench
from optbench.cli import main
from optbench.errors import (
    IncompatibleError,
    InvalidTypeError,
    InvalidValueError,
    UnknownNameError,
)
from optbench.grid import config_from_options, parse_seeds, plan_sweep
from optbench.status import EXIT_ERRORS

# 4 instances x 3 solver settings x 2 seeds (newton does not fit flaky); gd with step 1.5
# converges on the quadratics (L = 1) and diverges on Rosenbrock; the flaky problem raises
# when built with seed 1. The start-file problem (same oracle, so no new compilation) reads
# its start point from FOLDER/x0-SEED.csv and raises while that file is missing or corrupt.
FLAKY = textwrap.dedent('''
    import os

    import numpy as np
    import optbench
    from optbench import Oracle, Param, Problem, jit

    @jit
    def f(x, args):
        return 0.5 * np.sum(x * x)

    @jit
    def grad(x, args, out):
        for i in range(x.shape[0]):
            out[i] = x[i]

    @optbench.register_problem("flaky", params=(Param("seed", 0, int, "seed", low=0),),
                               summary="1/2 ||x||^2; refuses to build with seed 1")
    def flaky(seed):
        if seed == 1:
            raise ValueError("flaky refuses seed 1")
        return Problem(name="flaky", family="flaky", oracle=Oracle(f, grad, None, None, ()),
                       x0=np.ones(2), formula="1/2 ||x||^2", f_star=0.0, L=1.0, mu=1.0,
                       convex=True)

    @optbench.register_problem(
        "start-file", params=(Param("seed", 0, int, "seed", low=0),
                              Param("folder", "", str, "directory of the x0-SEED.csv files")),
        summary="1/2 ||x||^2 from the start point in FOLDER/x0-SEED.csv")
    def start_file(seed, folder):
        x0 = np.loadtxt(os.path.join(folder, f"x0-{seed}.csv"), delimiter=",", ndmin=1)
        return Problem(name="start-file", family="start-file",
                       oracle=Oracle(f, grad, None, None, ()), x0=x0, formula="1/2 ||x||^2",
                       f_star=0.0, L=1.0, mu=1.0, convex=True)
''')

TIMING = ["solve_seconds", "seconds_to_tol"]


def make_config(problems_dir):
    return {
        "problems": [{"name": "quadratic", "dim": 2, "params": {"cond": [10.0, 100.0]}},
                     "rosenbrock", "flaky"],
        "solvers": [{"name": "gd", "params": {"step": [0.1, 1.5]}}, "newton"],
        "seeds": [0, 1], "run": {"max_iter": 300, "tol": 1e-9},
        "problems_dirs": [str(problems_dir)],
    }


@pytest.fixture(scope="module")
def problems_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("flaky_problems")
    (d / "flaky.py").write_text(FLAKY)
    return d


@pytest.fixture(scope="module")
def serial(problems_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "results"
    runs = optbench.sweep(make_config(problems_dir), out, workers=1, progress=False)
    return out, runs


def comparable(runs):
    return runs.drop(columns=TIMING).set_index("cell").sort_index()


def part_files(out):
    """{name: (mtime, bytes)} of the part files of a results directory."""
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (out / "parts").iterdir()}


def part_keys(path):
    """The cell keys a part file holds, read with pyarrow directly."""
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=["cell"]).column("cell").to_pylist()


def stored_keys(out):
    return sorted(k for p in (out / "parts").glob("part-*.parquet") for k in part_keys(p))


def comparable_history(out):
    return optbench.load_history(out).drop(columns=["time"]) \
        .sort_values(["cell", "iteration"]).reset_index(drop=True)


# -- the grid ----------------------------------------------------------------------------------
def test_plan_expands_the_grid_and_skips_what_does_not_fit(problems_dir):
    config = make_config(problems_dir)
    config["solvers"].append("cg")  # linear CG fits the quadratics only
    plan = plan_sweep(config)
    # newton needs a Hessian: flaky has none; cg needs a quadratic
    assert len(plan.cells) == (4 * 4 - 3) * 2
    assert sorted(plan.skipped) == ["cg on flaky: needs a Hessian and a quadratic objective "
                                    "(constant Hessian)",
                                    "cg on rosenbrock: needs a quadratic objective (constant "
                                    "Hessian)",
                                    "newton on flaky: needs a Hessian"]
    assert len({c.key for c in plan.cells}) == len(plan.cells)
    # the key is the run, whatever spelling gave it: strings from the command line or numbers
    again = plan_sweep({**config, "seeds": "0-1", "problems": [
        {"name": "quadratic", "params": {"dim": "2", "cond": ["1e1", "1e2"]}}, "rosenbrock",
        "flaky"]})
    assert [c.key for c in again.cells] == [c.key for c in plan.cells]
    assert again.hash == plan.hash


@pytest.mark.parametrize("change, error, words", [
    ({"seed": [0]}, UnknownNameError, "Did you mean 'seeds'"),
    ({"run": {"max_iters": 10}}, UnknownNameError, "Did you mean 'max_iter'"),
    ({"run": {"tol": -1}}, InvalidValueError, "option tol"),
    ({"seeds": "0-x"}, InvalidValueError, "option seeds"),
    ({"seeds": [0, 0]}, InvalidValueError, "repeat"),
    ({"solved": 2}, InvalidValueError, "option solved"),
    ({"solvers": [{"name": "gd", "params": {"stp": [0.1]}}]}, UnknownNameError, "'step'"),
    ({"solvers": [{"name": "gd", "params": {"step": [0.1, -1]}}]}, InvalidValueError,
     "parameter 'step' of solver 'gd'"),
    ({"solvers": ["gdd"]}, UnknownNameError, "unknown solver 'gdd'"),
    ({"problems": [{"name": "quadratic", "params": {"cnd": 10}}]}, UnknownNameError,
     "Did you mean 'cond'"),
    ({"problems": [{"name": "quadratic", "params": {"seed": 3}}]}, InvalidValueError,
     "option seeds"),
    ({"problems": [{"name": "quadratic", "dims": 3}]}, UnknownNameError, "'dim'"),
    ({"problems": []}, InvalidValueError, "names no problems"),
    ({"problems": ["rosenbrock"], "solvers": ["cg"]}, IncompatibleError, "no solver"),
])
def test_config_mistakes_are_refused_before_anything_runs(problems_dir, tmp_path, change,
                                                          error, words):
    out = tmp_path / "results"
    with pytest.raises(error, match=words):
        optbench.sweep({**make_config(problems_dir), **change}, out, workers=1)
    assert not out.exists()


def test_seeds_and_shorthand():
    assert parse_seeds("0-3,7") == [0, 1, 2, 3, 7]
    assert parse_seeds(5) == [5]
    config = config_from_options(problems="quadratic,rosenbrock", solvers="gd,heavy-ball",
                                 solver_params=["gd.step=0.1,1", "beta=0.5"],
                                 problem_params=["quadratic.cond=10,1e3"], dims="2,3")
    gd, hb = config["solvers"]
    assert gd["params"] == {"step": ["0.1", "1"]}
    assert hb["params"] == {"beta": ["0.5"]}   # unqualified: every solver that has it
    assert config["problems"][0]["params"] == {"cond": ["10", "1e3"], "dim": ["2", "3"]}
    assert config["problems"][1]["params"] == {"dim": ["2", "3"]}
    with pytest.raises(InvalidValueError, match="'newton' is not among"):
        config_from_options(problems="quadratic", solvers="gd", solver_params=["newton.a=1"])
    with pytest.raises(InvalidValueError, match="none of"):
        config_from_options(problems="quadratic", solvers="gd", solver_params=["beta=1"])


# -- the store ---------------------------------------------------------------------------------
def test_store_layout_manifest_and_outcomes(serial):
    out, runs = serial
    assert sorted(p.name for p in out.iterdir()) == [".lock", "manifest.json", "parts"]
    # pandas reads the part files directly: one row per cell
    direct = pd.read_parquet(out / "parts")
    assert len(runs) == len(direct) == len(stored_keys(out)) == (4 * 3 - 1) * 2
    assert sorted(direct["cell"]) == sorted(runs["cell"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config_hash"] == plan_sweep(manifest["config"]).hash
    assert {"numba", "numpy", "optbench", "python"} <= set(manifest["versions"])
    assert manifest["machine"]["cpus"] == os.cpu_count()
    # the flaky problem raised for seed 1: recorded with its message, the sweep went on
    errors = runs[runs["status"] == "error"]
    assert len(errors) == 2 and (errors["seed"] == 1).all()
    assert "ValueError: flaky refuses seed 1" in errors["message"].iloc[0]
    counts = runs.groupby(["instance", "setting"])["status"].agg(lambda s: set(s))
    assert counts[("rosenbrock", "gd(step=1.5)")] == {"diverged"}
    assert counts[("quadratic(dim=2, cond=10)", "gd(step=1.5)")] == {"converged"}


def test_solved_and_iterations_to_tol_against_a_separate_run(serial):
    out, runs = serial
    tau = 1e-6
    for cond, solved in ((10.0, True), (100.0, False)):
        row = runs[(runs["instance"] == f"quadratic(dim=2, cond={cond:g})")
                   & (runs["setting"] == "gd(step=1.5)") & (runs["seed"] == 1)].iloc[0]
        res = optbench.run("quadratic", "gd", dim=2, seed=1, problem_params={"cond": cond},
                           step=1.5, max_iter=300, tol=1e-9)
        f = res.table["f"].to_numpy()
        hits = np.flatnonzero(f <= res.f_star + tau * (f[0] - res.f_star))
        assert row["solved"] == solved == (len(hits) > 0)
        assert row["iterations"] == res.iterations and row["f"] == res.summary["f"]
        if solved:
            assert row["iterations_to_tol"] == hits[0]
            assert 0 < row["seconds_to_tol"] <= row["solve_seconds"]
        else:
            assert np.isnan(row["iterations_to_tol"]) and np.isnan(row["seconds_to_tol"])
    # diverged runs are never solved; the summary counts them
    summary = optbench.summarize(runs)
    rosen = summary[(summary["instance"] == "rosenbrock")
                    & (summary["setting"] == "gd(step=1.5)")].iloc[0]
    assert rosen["diverged"] == 2 and rosen["solved"] == 0


def test_resume_runs_only_the_missing_cells(serial, tmp_path):
    import pyarrow.parquet as pq

    out, runs = serial
    copy = tmp_path / "results"
    shutil.copytree(out, copy)
    # three cells lost (their batch was running when the sweep was killed): every part
    # rewritten without them
    removed = set(stored_keys(copy)[:3])
    for path in (copy / "parts").glob("part-*.parquet"):
        table = pq.read_table(path)
        keep = [i for i, k in enumerate(table.column("cell").to_pylist()) if k not in removed]
        pq.write_table(table.take(np.array(keep, np.int64)), path)
    before = part_files(copy)
    again = optbench.sweep(json.loads((copy / "manifest.json").read_text())["config"], copy,
                           workers=1, progress=False)
    after = part_files(copy)
    assert all(after[name] == v for name, v in before.items())  # finished cells untouched
    new = set(after) - set(before)
    assert sorted(k for name in new for k in part_keys(copy / "parts" / name)) == \
        sorted(removed)
    pd.testing.assert_frame_equal(comparable(again), comparable(runs))
    assert len(json.loads((copy / "manifest.json").read_text())["sessions"]) == 2


def test_another_config_or_a_running_sweep_is_refused(serial, problems_dir, tmp_path):
    out, _ = serial
    copy = tmp_path / "results"
    shutil.copytree(out, copy)
    with pytest.raises(InvalidValueError, match="another sweep config"):
        optbench.sweep({**make_config(problems_dir), "seeds": [0, 1, 2]}, copy, workers=1)
    with open(copy / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(InvalidValueError, match="being written by another sweep"):
            optbench.sweep(make_config(problems_dir), copy, workers=1)


def start_file_config(problems_dir, folder):
    """2 gd steps x 3 seeds on start-file: step 2.5 > 2/L ends at max_iter, 0.5 converges."""
    return {"problems": [{"name": "start-file", "params": {"folder": str(folder)}}],
            "solvers": [{"name": "gd", "params": {"step": [0.5, 2.5]}}],
            "seeds": [0, 1, 2], "run": {"max_iter": 300, "tol": 1e-9},
            "problems_dirs": [str(problems_dir)]}


def test_retry_errors_runs_again_exactly_the_cells_in_error(problems_dir, tmp_path):
    folder = tmp_path / "starts"
    folder.mkdir()
    (folder / "x0-0.csv").write_text("3,4\n")
    (folder / "x0-1.csv").write_text("3,four\n")  # corrupt; x0-2.csv is missing
    config, out = start_file_config(problems_dir, folder), tmp_path / "r"
    first = optbench.sweep(config, out, workers=1, progress=False)
    errors = first[first["status"] == "error"]
    assert sorted(errors["seed"]) == [1, 1, 2, 2] and first.attrs["retried"] == []
    assert set(first.loc[first["seed"] == 0, "status"]) == {"converged", "max_iter"}
    assert errors["message"].str.contains("ValueError: could not convert string 'four'").sum() \
        == 2
    assert errors["message"].str.contains("x0-2.csv not found").sum() == 2
    in_error = set(errors["cell"])

    (folder / "x0-1.csv").write_text("3,4\n")   # the cause fixed
    (folder / "x0-2.csv").write_text("-1,2\n")
    before = part_files(out)
    again = optbench.sweep(config, out, workers=1, progress=False)
    assert part_files(out) == before and again.attrs["retried"] == []  # without the flag
    pd.testing.assert_frame_equal(again, first)

    with pytest.raises(InvalidTypeError, match="retry_errors"):
        optbench.sweep(config, out, workers=1, progress=False, retry_errors="yes")
    retried = optbench.sweep(config, out, workers=1, progress=False, retry_errors=True)
    after = part_files(out)
    assert all(after[name] == v for name, v in before.items())  # old parts kept as they were
    new = set(after) - set(before)                # newer parts supersede the cells in error
    assert sorted(k for name in new for k in part_keys(out / "parts" / name)) == \
        sorted(in_error)
    assert all(name.startswith("part-") for name in after)  # no temporary file left
    assert sorted(retried.attrs["retried"]) == sorted(errors["cell"])
    assert set(retried.loc[retried["seed"] > 0, "status"]) == {"converged", "max_iter"}
    for _, row in retried[retried["cell"].isin(errors["cell"])].iterrows():
        res = optbench.run("start-file", "gd", seed=row["seed"],
                           problem_params={"folder": str(folder)},
                           solver_params={"step": row["p_step"]}, max_iter=300, tol=1e-9)
        assert (row["status"], row["message"], row["iterations"], row["f"], row["gap"]) == \
            (res.status, res.message, res.iterations, res.summary["f"], res.summary["gap"])
    # and the whole directory is the one a sweep on valid files from the start gives
    fresh = optbench.sweep(config, tmp_path / "fresh", workers=1, progress=False)
    pd.testing.assert_frame_equal(comparable(retried), comparable(fresh))
    pd.testing.assert_frame_equal(comparable_history(out), comparable_history(tmp_path / "fresh"))

    # nothing left in error: the flag runs nothing
    assert optbench.sweep(config, out, workers=1, progress=False,
                          retry_errors=True).attrs["retried"] == []
    assert part_files(out) == after


# -- where the cells run: same values everywhere -------------------------------------------
@pytest.mark.slow
def test_local_workers_give_the_serial_results(serial, problems_dir, tmp_path):
    out, runs = serial
    pooled = optbench.sweep(make_config(problems_dir), tmp_path / "r", workers=2,
                            progress=False)
    pd.testing.assert_frame_equal(comparable(pooled), comparable(runs))
    pd.testing.assert_frame_equal(comparable_history(tmp_path / "r"), comparable_history(out))


@pytest.mark.slow
def test_dask_local_cluster_gives_the_serial_results(serial, problems_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    out, runs = serial
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_dask = optbench.sweep(make_config(problems_dir), tmp_path / "r",
                                 scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(comparable(on_dask), comparable(runs))
    pd.testing.assert_frame_equal(comparable_history(tmp_path / "r"), comparable_history(out))


# -- kill -9 and resume ---------------------------------------------------------------------
KILL_CONFIG = """
seeds = "0-11"
[run]
max_iter = 4000
tol = 0
record_every = 40
[[problems]]
name = "quadratic"
dim = 60
[[solvers]]
name = "gd"
params = { step = [0.2, 0.5, 1.0, 1.5] }
"""


@pytest.mark.slow
def test_sigkill_then_resume_ends_with_exactly_the_uninterrupted_cells(tmp_path, kill_sweep):
    config = tmp_path / "sweep.toml"
    config.write_text(KILL_CONFIG)
    reference = optbench.sweep(config, tmp_path / "reference", workers=1, progress=False)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "optbench.cli", "sweep", str(config), "--out", str(out),
           "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "parts").is_dir() and len(list((out / "parts").glob("part-*"))) >= 3:
            break
        time.sleep(0.005)
    kill_sweep(proc, out)  # the sweep and its workers, mid-write or not
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    finished = len(optbench.load_runs(out))
    assert 3 <= finished < len(reference), "the kill did not land part-way"

    resumed = optbench.sweep(config, out, workers=1, progress=False)
    assert stored_keys(out) == sorted(reference["cell"])  # each cell once, none lost
    assert all(p.name.startswith("part-") for p in (out / "parts").iterdir())  # no stray file
    assert sorted(p.name for p in out.iterdir()) == [".lock", "manifest.json", "parts"]
    pd.testing.assert_frame_equal(comparable(resumed), comparable(reference))
    pd.testing.assert_frame_equal(comparable_history(out),
                                  comparable_history(tmp_path / "reference"))


# -- the command line --------------------------------------------------------------------------
def test_cli_sweep_and_results(tmp_path, capsys):
    out = tmp_path / "r"
    argv = ["sweep", "--problems", "quadratic", "--solvers", "gd", "-p", "step=0.5,1",
            "--dim", "2", "--seeds", "0-1", "--max-iter", "200", "--out", str(out),
            "--workers", "1", "--no-progress"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "gd(step=0.5)" in text and "gd(step=1)" in text and "4 cells in" in text
    assert main(["results", str(out), "--out", str(tmp_path / "runs.csv")]) == 0
    table = pd.read_csv(tmp_path / "runs.csv")
    assert len(table) == 4 and set(table["p_step"]) == {0.5, 1.0}
    assert main(["results", str(out), "--history", "--out", str(tmp_path / "h.parquet")]) == 0
    history = pd.read_parquet(tmp_path / "h.parquet")
    assert set(history["cell"]) == set(table["cell"])
    assert main(argv) == 0  # resumes: nothing left to run
    assert "4 cells in" in capsys.readouterr().out


def test_cli_retry_errors(problems_dir, tmp_path, capsys):
    folder, out = tmp_path / "starts", tmp_path / "r"
    folder.mkdir()
    (folder / "x0-0.csv").write_text("3,4\n")    # x0-1.csv is missing: seed 1 raises
    argv = ["--problems-dir", str(problems_dir), "sweep", "--problems", "start-file", "-P",
            f"folder={folder}", "--solvers", "gd", "-p", "step=0.5", "--seeds", "0-1",
            "--max-iter", "300", "--tol", "1e-9", "--out", str(out), "--workers", "1"]
    raised = ("; 1 raised an error or crashed (status error / crashed; --retry-errors runs "
              "those in error again)")
    assert main([*argv, "--no-progress"]) == EXIT_ERRORS
    assert capsys.readouterr().out.rstrip().endswith(f"2 cells in {out}{raised}")
    assert list(optbench.load_runs(out)["status"]) == ["converged", "error"]
    (folder / "x0-1.csv").write_text("1,1\n")
    before = part_files(out)
    assert main([*argv, "--no-progress"]) == EXIT_ERRORS  # resumes: the error cell is skipped
    assert capsys.readouterr().out.rstrip().endswith(f"2 cells in {out}{raised}")
    assert part_files(out) == before
    assert main([*argv, "--retry-errors"]) == 0
    captured = capsys.readouterr()
    assert "retrying 1 of 2 cells, those that ended in an error" in captured.err
    assert captured.out.rstrip().endswith(f"2 cells in {out}; 1 of them ran again after an "
                                          "error")
    assert list(optbench.load_runs(out)["status"]) == ["converged", "converged"]
    after = part_files(out)
    new = set(after) - set(before)
    assert all(after[name] == v for name, v in before.items())
    assert [len(part_keys(out / "parts" / name)) for name in new] == [1]


@pytest.mark.parametrize("argv, words", [
    (["sweep", "--problems", "quadratic", "--solvers", "gd", "-p", "gd.stp=1"], "'step'"),
    (["sweep", "--problems", "quadratic"], "needs problems and solvers"),
    (["sweep", "--problems", "quadratic", "--solvers", "gd", "--workers", "0"],
     "option --workers"),
    (["results"], "not a results directory"),
])
def test_cli_sweep_errors_are_one_line(tmp_path, capsys, argv, words):
    argv = [*argv, "--out", str(tmp_path / "r")] if argv[0] == "sweep" else \
        [*argv, str(tmp_path)]
    assert main([*argv, "--no-progress"] if argv[0] == "sweep" else argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("optbench: error:") and words in err and "\n" not in err
    assert not (tmp_path / "r" / "parts").exists() or \
        not list((tmp_path / "r" / "parts").iterdir())


def test_results_of_an_empty_path_or_a_file_is_refused(tmp_path):
    with pytest.raises(InvalidValueError, match="not a results directory"):
        optbench.load_runs(Path(tmp_path))
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidValueError, match="not a results directory"):
        optbench.load_runs(tmp_path / "file")


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_error_and_writes_nothing(tmp_path):
    pytest.importorskip("distributed")
    config = {"problems": ["rosenbrock"], "solvers": ["gd"]}
    with pytest.raises(InvalidValueError, match="cannot connect to a dask scheduler"):
        optbench.sweep(config, tmp_path / "r", scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "r").exists()


def test_parameters_that_mix_numbers_and_words_export_to_parquet(tmp_path):
    config = {"problems": [{"name": "quadratic", "dim": 2}],
              "solvers": [{"name": "gd", "params": {"step": [0.5, "armijo"]}}, "nesterov"],
              "run": {"max_iter": 50}}
    optbench.sweep(config, tmp_path / "r", workers=1, progress=False)
    for argv, name in ((["results", str(tmp_path / "r")], "runs.parquet"),
                       (["results", str(tmp_path / "r"), "--history"], "h.parquet")):
        assert main([*argv, "--out", str(tmp_path / name)]) == 0
        table = pd.read_parquet(tmp_path / name)
        assert {"0.5", "armijo"} <= set(table["p_step"].dropna())
