"""The command line: output, exit codes and one-line errors for bad input."""

import importlib
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import optbench
from optbench.cli import main

BAD_INPUTS = [
    (["run", "quadratc", "gd"], "Did you mean 'quadratic'"),
    (["run", "quadratic", "gdd"], "unknown solver 'gdd'"),
    (["run", "quadratic", "gd", "-p", "stp=1"], "unknown parameter 'stp' of solver 'gd'"),
    (["run", "quadratic", "gd", "-p", "step=-1"], "parameter 'step' of solver 'gd' must be"),
    (["run", "quadratic", "gd", "-p", "step=nan"], "must be a finite number > 0"),
    (["run", "quadratic", "gd", "-p", "step"], "-p takes NAME=VALUE"),
    (["run", "quadratic", "newton", "-p", "alpha=abc"], "parameter 'alpha' of solver"),
    (["run", "quadratic", "perceptron"], "needs labelled data"),
    (["run", "xor-mlp", "newton"], "needs a Hessian"),
    (["run", "quadratic", "gd", "--max-iter", "-1"], "option max_iter (--max-iter)"),
    (["run", "quadratic", "gd", "--tol=-1e-3"], "option tol (--tol)"),
    (["run", "quadratic", "gd", "--record-every", "0"], "option record_every"),
    (["run", "quadratic", "gd", "--rows", "-3"], "option --rows"),
    (["run", "quadratic", "gd", "--dim", "0"], "parameter 'dim' of problem 'quadratic'"),
    (["run", "parabola", "gd", "--dim", "3"], "fixed dimension"),
    (["run", "quadratic", "gd", "--seed", "1", "-P", "seed=2"], "seed is given twice"),
    (["info", "quadratic", "--dim", "2", "-P", "dim=3"], "dim is given twice"),
    (["sweep", "--problems", "quadratic", "--solvers", "gd", "-p", "step=0.1", "-p", "step=1",
      "--out", "res"], "step of 'gd' is already given"),
    (["sweep", "--problems", "quadratic", "--solvers", "gd", "-P", "dim=3", "--dim", "2",
      "--out", "res"], "dim of 'quadratic' is already given"),
    (["run", "quadratic", "gd", "-P", "cond=0.5"], "parameter 'cond' of problem"),
    (["run", "quadratic", "gd", "--dim", "2", "--x0", "1,2,3"], "x0 must have shape (2,)"),
    (["run", "quadratic", "gd", "--dim", "2", "--x0", "1,nan"], "non-finite"),
    (["run", "quadratic", "gd", "--out", "table.txt"], "must end in .csv or .parquet"),
    (["run", "quadratic", "gd", "--max-iter", "1e15"], "raise record_every"),
    (["info", "nope"], "unknown problem 'nope'"),
    (["list", "widgets"], "invalid choice"),
    (["run", "quadratic"], "required"),
    (["--problems-dir", "/does/not/exist", "list"], "does not exist"),
]


@pytest.mark.parametrize("argv, expected", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_exit_2(argv, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("optbench: error: ")
    assert expected in lines[0]
    assert not list(tmp_path.iterdir())  # nothing written half-way


def test_run_prints_table_and_summary(capsys):
    assert main(["run", "quadratic", "gd", "--dim", "3", "--max-iter", "50", "--tol", "0"]) == 3
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["iteration", "f", "gap", "grad_norm", "step", "time", "nfev",
                              "ngev", "nhev", "dist"]
    assert out[1].split()[0] == "0" and out[-2].split()[0] == "50"
    assert any(line.strip().startswith("...") for line in out)
    assert out[-1].startswith("max_iter: reached max_iter=50. 50 iterations")


def test_run_shows_solver_columns(capsys):
    assert main(["run", "perceptron", "perceptron", "--seed", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "mistakes" in out[0].split() and out[-1].startswith("converged")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_out_writes_a_table_that_reads_back_equal(suffix, tmp_path, capsys):
    path = tmp_path / f"run{suffix}"
    assert main(["run", "quadratic", "gd", "--dim", "2", "--max-iter", "30", "-p", "step=0.5",
                 "--out", str(path)]) == 3  # max_iter
    back = optbench.load_table(path)
    ref = optbench.run("quadratic", "gd", dim=2, max_iter=30, step=0.5).table
    assert list(back.columns) == list(ref.columns)
    measured = ["iteration", "f", "gap", "grad_norm", "step"]
    np.testing.assert_allclose(back[measured].to_numpy(float), ref[measured].to_numpy(float),
                               rtol=1e-15, equal_nan=True)
    pd.testing.assert_frame_equal(back[["problem", "solver", "p_step"]],
                                  ref[["problem", "solver", "p_step"]])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_dim_and_seed_as_problem_parameters_equal_their_own_options(tmp_path, capsys):
    tables = {}
    for how, argv in {"options": ["--dim", "3", "--seed", "4"],
                      "-P": ["-P", "dim=3", "-P", "seed=4"]}.items():
        path = tmp_path / f"{how}.csv"
        assert main(["run", "quadratic", "gd", "--max-iter", "20", *argv, "--out",
                     str(path)]) == 3  # max_iter
        tables[how] = optbench.load_table(path)
    columns = ["iteration", "f", "gap", "grad_norm", "dim", "seed"]
    pd.testing.assert_frame_equal(tables["options"][columns], tables["-P"][columns])
    assert tables["-P"]["dim"].iloc[0] == 3 and tables["-P"]["seed"].iloc[0] == 4
    other = optbench.run("quadratic", "gd", dim=3, seed=5, max_iter=20).table
    assert not np.allclose(other["f"], tables["-P"]["f"])  # the seed did reach the problem


def test_list_and_info(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in optbench.problem_names() + optbench.solver_names():
        assert f"  {name} " in out
    assert main(["info", "quadratic-2d"]) == 0
    out = capsys.readouterr().out
    assert "indefinite" in out and "perceptron (needs labelled data" in out
    assert main(["info", "quadratic", "--dim", "4", "-P", "cond=1e3"]) == 0
    out = capsys.readouterr().out
    assert "condition 1000" in out and "dimension   4" in out


def test_cli_subprocess_has_no_traceback(tmp_path):
    """The installed command, from another directory: a bad input is one line, status 2."""
    env = dict(os.environ)
    cmd = [sys.executable, "-m", "optbench.cli", "run", "quadratic", "gd", "-p", "step=-1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_data_options_reach_the_problem(tmp_path, capsys):
    path = tmp_path / "points.csv"
    path.write_text("a,b,label\n1,2,1\n2,1,-1\n3,3,1\n0.5,0.2,-1\n")
    assert main(["run", "perceptron", "perceptron", "--data", str(path), "--target",
                 "label"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith("converged")
    assert main(["info", "least-squares", "--data", "diabetes", "--standardize"]) == 0
    out = capsys.readouterr().out
    assert "diabetes: 442 samples x 10 features" in out and "dimension   10" in out
    assert main(["run", "quadratic", "gd", "--data", str(path)]) == 2
    assert "does not take a dataset" in capsys.readouterr().err


# -- exit status, version, option spellings ---------------------------------------------------
@pytest.mark.parametrize("argv, status, code", [
    (["run", "parabola", "gd"], "converged", 0),
    (["run", "quadratic", "gd", "--dim", "3", "--max-iter", "5"], "max_iter", 3),
    (["run", "quadratic", "gd-armijo", "--dim", "20", "-P", "cond=100", "--tol", "0",
      "--max-iter", "100000"], "precision_limit", 3),
    (["run", "quadratic", "gd", "--dim", "3", "-p", "step=5"], "diverged", 4),
    (["run", "quadratic-2d", "cg"], "failed", 4),
    (["run", "rosenbrock", "gd-armijo", "-p", "max_trials=1", "-p", "t0=100"],
     "line_search_failed", 4),
])
def test_exit_status_says_how_the_run_ended(argv, status, code, capsys):
    assert main(argv) == code
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"{status}: ")


def test_version_and_python_dash_m(tmp_path):
    for cmd in ([sys.executable, "-m", "optbench", "--version"],
                [sys.executable, "-m", "optbench.cli", "--version"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 0 and proc.stdout.strip() == f"optbench {optbench.__version__}"
    proc = subprocess.run([sys.executable, "-m", "optbench", "run", "--help"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and "3 stopped before the tolerance" in proc.stdout


def test_a_negative_first_coordinate_needs_no_equals_sign(capsys):
    assert main(["run", "rosenbrock", "newton", "--x0", "-1.2,1", "--max-iter", "0"]) == 3
    table = capsys.readouterr().out.splitlines()
    assert table[1].split()[:2] == ["0", "24.2"]  # f(-1.2, 1) = 100 (1 - 1.44)^2 + 2.2^2


def test_record_x_is_a_plain_flag_and_o_spells_out(tmp_path, capsys):
    path = tmp_path / "t.csv"
    assert main(["run", "rosenbrock", "newton", "--x0", "-1.2,1", "--record-x",
                 "-o", str(path)]) == 0
    table = pd.read_csv(path)
    assert list(table[["x_1", "x_2"]].iloc[0]) == [-1.2, 1.0]
    res = optbench.run("rosenbrock", "newton", x0=[-1.2, 1.0], record_x=True)
    np.testing.assert_allclose(table[["x_1", "x_2"]].to_numpy(), res.iterates, rtol=1e-15)


# -- what each command imports (issue 23: the whole job fast) ----------------------------------
HEAVY = ("numba", "scipy", "optbench.solvers", "optbench.registry", "optbench.harness")


def modules_after(code: str, cwd) -> set[str]:
    """The HEAVY modules a fresh interpreter holds after running ``code``."""
    probe = (f"{code}\nimport sys\n"
             f"print('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("loaded:"), proc.stdout
    return set(filter(None, last.removeprefix("loaded:").split(",")))


def test_import_optbench_and_help_load_no_solvers(tmp_path):
    assert modules_after("import optbench", tmp_path) == set()
    code = ("import contextlib, io\nfrom optbench.cli import main\ntry:\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        main(['plot', 'convergence', '--help'])\n"
            "except SystemExit as e:\n    assert e.code == 0\n")
    assert modules_after(code, tmp_path) == set()
    # the control: running a solver does load them, so the probe can see them
    assert modules_after("import optbench\noptbench.run('parabola', 'gd')",
                         tmp_path) == set(HEAVY)


def test_public_names_resolve_to_their_definitions():
    from optbench import harness, results, store
    from optbench import sweep as sweep_function

    for name in optbench.__all__:
        assert getattr(optbench, name) is not None
    assert optbench.run is harness.run and optbench.Result is results.Result
    assert optbench.load_runs is store.load_runs
    # importing the submodule optbench.sweep keeps the name optbench.sweep the function
    importlib.import_module("optbench.sweep")
    assert callable(optbench.sweep) and optbench.sweep is sweep_function
    assert optbench.sweep.__module__ == "optbench.sweep"
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        optbench.nothing_here  # noqa: B018


def test_run_sweep_and_check_help_list_the_options_defined_with_the_solvers(capsys):
    from optbench.checks import MAX_ITER
    from optbench.control import RUN_OPTIONS

    for command in ("run", "sweep"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        for opt in RUN_OPTIONS:
            assert "--" + opt.name.replace("_", "-") in out, (command, opt.name)
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert f"(default {MAX_ITER})" in capsys.readouterr().out
    # and they are parsed: a bad value is refused with the option's name
    assert main(["run", "quadratic", "gd", "--max-iter", "-1"]) == 2
    assert "--max-iter" in capsys.readouterr().err
