"""Users add compiled solvers: a directory (--solvers-dir, OPTBENCH_SOLVERS_PATH), an entry
point (optbench.solvers), or optbench.register_solver in a script; and `optbench check` (the
generated checks of optbench/checks.py) on theirs and on ours.

In-process tests share one directory of solver files loaded once per session (compiled once);
each test sees its solvers in the registry only while it runs."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from naive import iteration_rounding_bound

import optbench
from optbench import registry
from optbench.cli import main
from optbench.errors import InvalidTypeError, OptbenchError, UnknownNameError

# gradient descent with a fixed step on the shared loop, as the README shows it
MY_GD = textwrap.dedent('''
    import optbench
    from optbench import Param, Solver, drive, jit, value_and_grad
    from optbench.status import RUNNING


    @jit(inline=True)
    def init(oracle, x, g, params):
        return (), value_and_grad(oracle, x, g)


    @jit(inline=True)
    def step(oracle, x, g, fx, work, params, k, extras):
        (t,) = params
        for i in range(x.shape[0]):
            x[i] -= {scale} * t * g[i]
        return value_and_grad(oracle, x, g), t, RUNNING


    @jit
    def my_gd(oracle, x0, t, control):
        return drive(oracle, x0, (t,), init, step, 0, control)


    optbench.register_solver(Solver(
        name="{name}", entry=my_gd, family="mine", summary="gradient descent, fixed step",
        formula="x - t g", reference="Cauchy (1847)",
        params=(Param("step", 0.1, float, "the step t", low=0.0, strict=True),)))
''')

# solvers that break optbench's promises, each in its own way
BROKEN = textwrap.dedent('''
    import numpy as np
    import optbench
    from optbench import Param, Solver, drive, jit, value_and_grad
    from optbench.status import GRAD_TOL, RUNNING


    @jit(inline=True)
    def init(oracle, x, g, params):
        return (), value_and_grad(oracle, x, g)


    @jit(inline=True)
    def liar_step(oracle, x, g, fx, work, params, k, extras):
        """claims the gradient test at its third step, whatever the gradient"""
        (t,) = params
        for i in range(x.shape[0]):
            x[i] -= t * g[i]
        return value_and_grad(oracle, x, g), t, (GRAD_TOL if k >= 2 else RUNNING)


    @jit
    def liar(oracle, x0, t, control):
        return drive(oracle, x0, (t,), init, liar_step, 0, control)


    @jit(inline=True)
    def noisy_step(oracle, x, g, fx, work, params, k, extras):
        """a step with unseeded noise: two runs differ"""
        (t,) = params
        s = t * (1.0 + 0.1 * np.random.random())
        for i in range(x.shape[0]):
            x[i] -= s * g[i]
        return value_and_grad(oracle, x, g), s, RUNNING


    @jit
    def noisy(oracle, x0, t, control):
        return drive(oracle, x0, (t,), init, noisy_step, 0, control)


    @jit(inline=True)
    def counting_step(oracle, x, g, fx, work, params, k, extras):
        """fills an extra column the solver does not declare"""
        (t,) = params
        extras[0] = k
        for i in range(x.shape[0]):
            x[i] -= t * g[i]
        return value_and_grad(oracle, x, g), t, RUNNING


    @jit
    def undeclared(oracle, x0, t, control):
        return drive(oracle, x0, (t,), init, counting_step, 1, control)


    STEP = (Param("step", 0.1, float, "the step", low=0.0, strict=True),)
    for name, entry in (("liar", liar), ("noisy", noisy), ("undeclared", undeclared)):
        optbench.register_solver(Solver(name=name, entry=entry, family="broken", summary=name,
                                        formula="x - t g", reference="", params=STEP))
''')

# the same method with a plain numba.njit entry (optbench gives it an identity by content)
PLAIN_NJIT = textwrap.dedent('''
    import numba
    import optbench
    from optbench import Param, Solver, drive, jit, value_and_grad
    from optbench.status import RUNNING


    @jit(inline=True)
    def init(oracle, x, g, params):
        return (), value_and_grad(oracle, x, g)


    @jit(inline=True)
    def step(oracle, x, g, fx, work, params, k, extras):
        (t,) = params
        for i in range(x.shape[0]):
            x[i] -= t * g[i]
        return value_and_grad(oracle, x, g), t, RUNNING


    @numba.njit
    def plain_gd(oracle, x0, t, control):
        return drive(oracle, x0, (t,), init, step, 0, control)


    optbench.register_solver(Solver(
        name="plain-gd", entry=plain_gd, family="mine", summary="gd, numba.njit entry",
        formula="x - t g", reference="", params=(Param("step", 0.1, float, "t", low=0.0),)))
''')


def write_solver(directory, name="my-gd", scale="1.0", filename=None):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (filename or f"{name.replace('-', '_')}.py")
    path.write_text(MY_GD.format(name=name, scale=scale))
    return path


def optbench_cli(*args, env=None, cwd=None):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "optbench.cli", *args], capture_output=True,
                          text=True, env=full_env, cwd=cwd)


@pytest.fixture(scope="session")
def session_solvers(tmp_path_factory):
    """A directory of solver files loaded once (so compiled once); its solvers are taken
    out of the registry again, for the `user_solvers` fixture to put back per test."""
    folder = tmp_path_factory.mktemp("user-solvers")
    write_solver(folder)
    (folder / "broken.py").write_text(BROKEN)
    (folder / "plain.py").write_text(PLAIN_NJIT)
    before = set(registry._solvers)
    registry.load_solver_dir(folder)
    added = {n: s for n, s in registry._solvers.items() if n not in before}
    for name in added:
        del registry._solvers[name]
    return folder, added


@pytest.fixture
def user_solvers(session_solvers, monkeypatch):
    folder, added = session_solvers
    for name, solver in added.items():
        monkeypatch.setitem(registry._solvers, name, solver)
    return folder


# -- discovery -----------------------------------------------------------------------------------
def test_solvers_dir_loads_files_as_a_package(session_solvers):
    folder, added = session_solvers
    assert set(added) == {"my-gd", "liar", "noisy", "undeclared", "plain-gd"}
    solver = added["my-gd"]
    line = MY_GD.splitlines().index("optbench.register_solver(Solver(") + 1
    assert solver.source == f"{folder / 'my_gd.py'}:{line}"  # where it registered
    assert solver.entry.py_func.__module__.startswith("optbench_user_solvers_")
    assert "optbench/solvers/gradient.py:" in optbench.get_solver("gd").source


def test_solvers_dir_option_before_and_after_the_command(tmp_path):
    write_solver(tmp_path / "mine")
    for argv in (["--solvers-dir", str(tmp_path / "mine"), "list", "solvers"],
                 ["list", "solvers", "--solvers-dir", str(tmp_path / "mine")]):
        proc = optbench_cli(*argv, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "solvers: mine" in proc.stdout and "my-gd" in proc.stdout
        assert "gd-armijo" in proc.stdout  # the built-ins are still there


def test_solvers_path_environment_variable(tmp_path):
    write_solver(tmp_path / "a", name="from-a")
    write_solver(tmp_path / "b", name="from-b")
    paths = os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")])
    proc = optbench_cli("list", "solvers", env={"OPTBENCH_SOLVERS_PATH": paths})
    assert proc.returncode == 0, proc.stderr
    assert "from-a" in proc.stdout and "from-b" in proc.stdout


def _plugin(site, source, module="plugin_solvers"):
    """A distribution installed into ``site``: a module and its entry point."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(source)
    dist = site / f"{module}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[optbench.solvers]\nplugin = {module}\n")
    return site / f"{module}.py"


def test_entry_point_group(tmp_path):
    _plugin(tmp_path / "site", MY_GD.format(name="from-plugin", scale="1.0"))
    proc = optbench_cli("list", "solvers", env={"PYTHONPATH": str(tmp_path / "site")})
    assert proc.returncode == 0, proc.stderr
    assert "from-plugin" in proc.stdout


def test_an_entry_point_that_fails_names_its_file_and_line(tmp_path):
    path = _plugin(tmp_path / "site", "import optbench\n\nraise RuntimeError('boom')\n")
    proc = optbench_cli("list", env={"PYTHONPATH": str(tmp_path / "site")})
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"{path}:3" in proc.stderr and "boom" in proc.stderr
    assert "entry point 'plugin'" in proc.stderr


def test_a_broken_solver_file_names_its_file_and_line(tmp_path):
    (tmp_path / "broken.py").write_text("import optbench\n\nx = 1 / 0\n")
    proc = optbench_cli("--solvers-dir", str(tmp_path), "list", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"could not load solver file {tmp_path / 'broken.py'}:3" in proc.stderr
    assert "ZeroDivisionError" in proc.stderr


def test_helpers_starting_with_underscore_are_not_loaded_as_solver_files(tmp_path):
    (tmp_path / "_helpers.py").write_text("raise RuntimeError('never imported on its own')\n")
    write_solver(tmp_path)
    proc = optbench_cli("--solvers-dir", str(tmp_path), "list", "solvers", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "my-gd" in proc.stdout


def test_a_missing_solvers_dir_is_one_line_naming_the_option(capsys, tmp_path):
    assert main(["run", "quadratic", "gd", "--solvers-dir", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--solvers-dir" in err[0] and "OPTBENCH_SOLVERS_PATH" in err[0]


# -- names taken twice -----------------------------------------------------------------------------
def test_a_name_taken_twice_is_refused_naming_both_places(tmp_path):
    path = write_solver(tmp_path / "clash", name="gd")
    proc = optbench_cli("--solvers-dir", str(tmp_path / "clash"), "list", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "solver 'gd' is registered twice" in proc.stderr
    assert "optbench/solvers/gradient.py:" in proc.stderr and f"{path}:" in proc.stderr
    assert "replace=True" in proc.stderr


def test_register_solver_refuses_a_duplicate_unless_replace(monkeypatch):
    import dataclasses

    monkeypatch.setattr(registry, "_solvers", dict(registry._solvers))
    gd = optbench.get_solver("gd")
    mine = dataclasses.replace(gd, summary="mine")
    with pytest.raises(OptbenchError, match="solver 'gd' is registered twice"):
        optbench.register_solver(mine)
    assert optbench.get_solver("gd") is gd
    registered = optbench.register_solver(mine, replace=True)
    assert optbench.get_solver("gd") is registered and registered.summary == "mine"
    assert registered.source.startswith(__file__)
    # the same place registering again (a module imported twice) replaces silently
    for _ in range(2):
        again = optbench.register_solver(dataclasses.replace(gd, name="twice"))
    assert optbench.get_solver("twice") is again


@pytest.mark.parametrize("change, error, words", [
    ({"needs": frozenset({"gradient"})}, UnknownNameError, "unknown capability 'gradient'"),
    ({"params": ("step",)}, InvalidTypeError, "params must be optbench.Param"),
    ({"columns": ("trials", "trials")}, OptbenchError, "columns must be distinct"),
    ({"entry": 3}, InvalidTypeError, "entry must be a compiled function"),
])
def test_register_solver_checks_the_record(change, error, words, monkeypatch):
    import dataclasses

    monkeypatch.setattr(registry, "_solvers", dict(registry._solvers))
    bad = dataclasses.replace(optbench.get_solver("gd"), name="bad-record", **change)
    with pytest.raises(error, match=words) as info:
        optbench.register_solver(bad)
    assert "bad-record" in str(info.value) and __file__ in str(info.value)
    assert "bad-record" not in optbench.solver_names()


# -- running a user's solver ---------------------------------------------------------------------
def test_user_gd_iterates_equal_a_numpy_transcription(user_solvers):
    t, steps = 0.5, 40
    res = optbench.run("quadratic", "my-gd", dim=3, step=t, max_iter=steps, tol=0.0,
                       record_x=True)
    assert res.status == "max_iter" and res.iterations == steps
    p = optbench.make_problem("quadratic", dim=3)
    A, b, _ = p.oracle.args
    x = p.x0.copy()
    expected, scale = [x.copy()], 0.0
    for _ in range(steps):
        scale = max(scale, float(np.max(np.abs(x) + t * (np.abs(A) @ np.abs(x) + np.abs(b)))))
        x = x - t * (A @ x - b)
        expected.append(x.copy())
    bound = iteration_rounding_bound(steps, 3, scale)  # t <= 1/L: errors are not amplified
    np.testing.assert_allclose(res.iterates, np.array(expected), rtol=0, atol=bound)
    table = res.table
    assert table["nfev"].tolist() == list(range(1, steps + 2))  # one value_and_grad per step
    assert (table["step"].iloc[1:] == t).all() and table["p_step"].iloc[0] == t
    # the built-in gd with the same fixed step is the same method: equal to rounding
    gd = optbench.run("quadratic", "gd", dim=3, step=t, max_iter=steps, tol=0.0)
    np.testing.assert_allclose(res.x, gd.x, rtol=0, atol=bound)


def test_a_plain_numba_entry_gets_an_identity_by_content(user_solvers):
    from optbench._jit import is_optbench_jitted

    solver = optbench.get_solver("plain-gd")
    assert is_optbench_jitted(solver.entry)
    assert solver.entry.py_func.__name__ == "plain_gd"
    assert len(solver.entry.identity) == 32
    assert registry.with_identity(solver.entry) is solver.entry  # given once
    res = optbench.run("quadratic", "plain-gd", dim=3, step=0.5, max_iter=20, tol=0.0)
    mine = optbench.run("quadratic", "my-gd", dim=3, step=0.5, max_iter=20, tol=0.0)
    np.testing.assert_allclose(res.x, mine.x, rtol=1e-14, atol=1e-14)


def test_a_user_solver_that_does_not_compile_names_its_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(registry, "_solvers", dict(registry._solvers))
    path = write_solver(tmp_path, name="typo-gd", scale="undefined_scale")
    registry.load_solver_dir(tmp_path)
    assert main(["run", "parabola", "typo-gd", "--max-iter", "3"]) == 2
    err = "\n".join(line for line in capsys.readouterr().err.splitlines()
                    if not line.startswith("optbench: compiling "))  # a notice, on stderr
    assert err.startswith("optbench: error: solver 'typo-gd' (") and "Traceback" not in err
    assert f"{path}:" in err and "undefined_scale" in err


@pytest.mark.slow
def test_cli_run_of_a_user_solver_in_a_fresh_process(session_solvers, tmp_path):
    folder, _ = session_solvers
    proc = optbench_cli("run", "quadratic", "my-gd", "--solvers-dir", str(folder), "--dim", "3",
                        "-p", "step=0.5", "--tol", "1e-10", "--out", str(tmp_path / "t.csv"),
                        cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-2].startswith("converged: gradient norm <= tol=1e-10")
    table = optbench.load_table(tmp_path / "t.csv")
    assert table["grad_norm"].iloc[-1] <= 1e-10 < table["grad_norm"].iloc[-2]
    assert (table["solver"] == "my-gd").all() and (table["p_step"] == 0.5).all()


@pytest.mark.slow
def test_second_process_hits_the_cache_and_an_edit_recompiles(tmp_path):
    cache = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    folder = tmp_path / "mine"
    path = write_solver(folder)
    args = ("run", "parabola", "my-gd", "--solvers-dir", str(folder), "-p", "step=0.25",
            "--max-iter", "3", "--tol", "0", "--rows", "10")

    def run():
        proc = optbench_cli(*args, env=cache, cwd=tmp_path)
        assert proc.returncode in (0, 3), proc.stderr  # max_iter, or converged at x = 0
        return proc.stdout.splitlines()

    first = run()
    assert "compiled in" in first[-1]
    second = run()
    assert "loaded from cache" in second[-1]
    assert [r.split()[:2] for r in first[1:-1]] == [r.split()[:2] for r in second[1:-1]]
    path.write_text(MY_GD.format(name="my-gd", scale="2.0"))  # the step kernel edited
    third = run()
    assert "compiled in" in third[-1]
    # parabola x^2 + 4 from x0 = 3 (f = 13): x <- x - 2 t 2x = 0 at step 0.25 (was 1.5)
    assert third[2].split()[:2] == ["1", "4"] and first[2].split()[:2] == ["1", "6.25"]


# -- sweeps ----------------------------------------------------------------------------------------
def test_sweep_with_solvers_dirs_next_to_a_builtin(user_solvers, tmp_path):
    out = tmp_path / "results"
    config = {"problems": [{"name": "quadratic", "dim": 3}, {"name": "booth"}],
              "solvers": [{"name": "gd", "params": {"step": 0.1}},
                          {"name": "my-gd", "params": {"step": 0.1}}],
              "run": {"max_iter": 5000, "tol": 1e-9}, "solvers_dirs": [str(user_solvers)]}
    runs = optbench.sweep(config, out, workers=1, progress=False)
    assert sorted(runs["setting"].unique()) == ["gd(step=0.1)", "my-gd(step=0.1)"]
    assert set(runs["status"]) == {"converged"}
    # the same method: the same iterations and final values, to rounding
    by = runs.set_index(["instance", "solver"])
    for instance in ("quadratic(dim=3)", "booth"):
        assert by.loc[(instance, "gd"), "iterations"] == by.loc[(instance, "my-gd"),
                                                                "iterations"]
        assert by.loc[(instance, "gd"), "f"] == pytest.approx(by.loc[(instance, "my-gd"), "f"],
                                                              rel=1e-12, abs=1e-12)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["solvers_dirs"] == [str(user_solvers.resolve())]
    profile = optbench.performance_profile(runs)
    assert set(profile["setting"]) == {"gd(step=0.1)", "my-gd(step=0.1)"}
    assert (profile[profile["tau"] == 1.0]["fraction"] == 1.0).all()  # equally fast
    html = optbench.write_report(out).read_text()
    assert "my-gd(step=0.1)" in html and "gd(step=0.1)" in html


def test_a_sweep_config_without_solvers_dirs_keeps_its_hash():
    from optbench.grid import plan_sweep

    config = {"problems": ["parabola"], "solvers": ["gd"]}
    plain = plan_sweep(config)
    empty = plan_sweep(dict(config, solvers_dirs=[]))
    assert "solvers_dirs" not in plain.config and plain.hash == empty.hash
    assert plain.code_dirs == ()


@pytest.mark.parametrize("value, words", [([5], "solvers_dirs[0]"), ("", "solvers_dirs[0]"),
                                          (["/does/not/exist"], "does not exist")])
def test_a_bad_solvers_dirs_entry_is_one_error_naming_it(value, words):
    from optbench.grid import plan_sweep

    with pytest.raises(OptbenchError, match=words.replace("[", r"\[").replace("]", r"\]")):
        plan_sweep({"problems": ["parabola"], "solvers": ["gd"], "solvers_dirs": value})


@pytest.mark.slow
def test_sweep_workers_load_the_solvers_dir(session_solvers, tmp_path):
    folder, _ = session_solvers
    out = tmp_path / "res"
    proc = optbench_cli("sweep", "--problems", "quadratic", "--solvers", "gd,my-gd", "--dim",
                        "3", "-p", "step=0.25", "--seeds", "0-1", "--workers", "2",
                        "--no-progress", "--solvers-dir", str(folder), "--out", str(out),
                        cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    runs = optbench.load_runs(out)
    assert len(runs) == 4 and not runs["status"].isin(["error", "crashed"]).any()
    assert sorted(set(runs["solver"])) == ["gd", "my-gd"]
    f = runs.pivot_table(index="seed", columns="solver", values="f")
    np.testing.assert_allclose(f["my-gd"], f["gd"], rtol=1e-12, atol=1e-12)


# -- optbench check --------------------------------------------------------------------------------
def test_check_passes_on_a_good_user_solver(user_solvers):
    report = optbench.check_solver("my-gd", problems="quadratic,booth,rosenbrock")
    assert report.passed, str(report)
    assert [c.problem for c in report.checks] == ["quadratic", "booth", "rosenbrock"]
    assert [c.dim for c in report.checks] == [3, 2, 3]
    assert report.checks[2].reason.startswith("diverged")  # a fixed step of 0.1 on Rosenbrock
    assert str(report).splitlines()[-1] == "my-gd: PASS, 3 of 3 problems pass"


def test_check_names_what_it_leaves_out(user_solvers):
    report = optbench.check_solver("my-gd", problems=["madaline", "parabola"])
    assert report.passed and [c.problem for c in report.checks] == ["parabola"]
    assert report.left_out == [("madaline", "needs a gradient")]
    none = optbench.check_solver("my-gd", problems=["madaline"])
    assert not none.passed and "fits none" in none.summary()


@pytest.mark.parametrize("solver", ["gd", "bfgs"])
def test_check_passes_on_builtins(solver):
    report = optbench.check_solver(solver, problems=["quadratic", "rosenbrock"])
    assert report.passed, str(report)
    assert all(line.startswith("PASS  ") for line in report.lines()[:-1])


@pytest.mark.parametrize("solver, words", [
    ("liar", "claims converged by the gradient test (gradient norm <= tol=1e-06) but its "
             "last row has grad_norm = "),
    ("noisy", "not deterministic: two runs differ in column f from row 1"),
    ("undeclared", "history has shape (51, 10); expected rows of 9 columns"),
])
def test_check_fails_a_broken_solver_with_the_reason(solver, words, user_solvers):
    report = optbench.check_solver(solver, problems=["quadratic"])
    assert not report.passed
    (check,) = report.checks
    assert not check.passed and words in check.reason, check.reason
    assert check.line().startswith(f"FAIL  quadratic (dim 3): {words}")


def test_check_cli_exit_status_and_lines(user_solvers, capsys):
    assert main(["check", "my-gd", "--problems", "quadratic", "--max-iter", "10"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["PASS  quadratic (dim 3): max_iter after 10 iterations, f=" +
                   out[0].rpartition("f=")[2], "my-gd: PASS, 1 of 1 problems pass"]
    assert main(["check", "liar", "--problems", "quadratic"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FAIL  quadratic (dim 3): claims converged")
    assert out[-1] == "liar: FAIL, 0 of 1 problems pass"


@pytest.mark.parametrize("argv, words", [
    (["check", "nope"], "unknown solver 'nope'"),
    (["check", "gd", "--problems", "quadratc"], "Did you mean 'quadratic'"),
    (["check", "gd", "--max-iter", "0"], "option --max-iter"),
    (["check", "gd", "--max-iter", "x"], "invalid int value"),
    (["check"], "required"),
])
def test_check_bad_input_is_one_line_and_exit_2(argv, words, capsys):
    assert main(argv) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("optbench: error: ") and words in err[0]


@pytest.mark.slow
def test_check_cli_on_a_user_solver_in_a_fresh_process(session_solvers, tmp_path):
    folder, _ = session_solvers
    proc = optbench_cli("check", "my-gd", "--solvers-dir", str(folder), "--problems",
                        "quadratic,booth", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [ln.split()[:2] for ln in lines[:2]] == [["PASS", "quadratic"], ["PASS", "booth"]]
    assert lines[-1] == "my-gd: PASS, 2 of 2 problems pass"
    broken = optbench_cli("check", "noisy", "--solvers-dir", str(folder), "--problems",
                          "quadratic", cwd=tmp_path)
    assert broken.returncode == 1 and "FAIL  quadratic (dim 3): not deterministic" in \
        broken.stdout
