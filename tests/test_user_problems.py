"""Users add problems: a directory (--problems-dir, OPTBENCH_PROBLEMS_PATH), an entry point,
or optbench.register_problem in a script. Each path is exercised in a fresh process."""

import os
import subprocess
import sys
import textwrap

import pytest

PROBLEM_FILE = textwrap.dedent('''
    import numpy as np
    import optbench
    from optbench import Oracle, Problem, jit


    @jit
    def f(x, args):
        return (x[0] - {center}) ** 2


    @jit
    def grad(x, args, out):
        out[0] = 2.0 * (x[0] - {center})


    @optbench.register_problem("{name}", summary="a shifted parabola")
    def build():
        return Problem(name="{name}", family="{name}", oracle=Oracle(f, grad, None, None, ()),
                       x0=[0.0], formula="(x - c)^2", f_star=0.0, minimizers=([{center}],),
                       convex=True)
''')


def write_problem(directory, name="shifted", center=1.0, filename=None):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (filename or f"{name.replace('-', '_')}.py")
    path.write_text(PROBLEM_FILE.format(name=name, center=center))
    return path


def optbench_cli(*args, env=None, cwd=None):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "optbench.cli", *args], capture_output=True,
                          text=True, env=full_env, cwd=cwd)


def test_problems_dir_option(tmp_path):
    write_problem(tmp_path / "mine")
    proc = optbench_cli("--problems-dir", str(tmp_path / "mine"), "list", "problems",
                        cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "shifted" in proc.stdout and "quadratic" in proc.stdout


def test_problems_path_environment_variable(tmp_path):
    write_problem(tmp_path / "a", name="from-a")
    write_problem(tmp_path / "b", name="from-b")
    paths = os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")])
    proc = optbench_cli("list", "problems", env={"OPTBENCH_PROBLEMS_PATH": paths})
    assert proc.returncode == 0, proc.stderr
    assert "from-a" in proc.stdout and "from-b" in proc.stdout


def test_entry_point_group(tmp_path):
    site = tmp_path / "site"
    write_problem(site, name="from-plugin", filename="plugin_problems.py")
    dist = site / "plugin_problems-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: plugin-problems\n"
                                   "Version: 0.1\n")
    (dist / "entry_points.txt").write_text("[optbench.problems]\nplugin = plugin_problems\n")
    proc = optbench_cli("list", "problems", env={"PYTHONPATH": str(site)})
    assert proc.returncode == 0, proc.stderr
    assert "from-plugin" in proc.stdout


def test_register_problem_in_a_script(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(PROBLEM_FILE.format(name="in-script", center=3.0) + textwrap.dedent('''
        res = optbench.run("in-script", "gd", step=0.25, tol=1e-12)
        print(res.status, round(float(res.x[0]), 9))
    '''))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["converged", "3.0"]


def test_broken_problem_file_is_one_clear_line(tmp_path):
    (tmp_path / "broken.py").write_text("import optbench\nraise RuntimeError('boom')\n")
    proc = optbench_cli("--problems-dir", str(tmp_path), "list")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "broken.py" in proc.stderr and "boom" in proc.stderr


@pytest.mark.slow
def test_second_process_hits_the_cache_and_an_edit_recompiles(tmp_path):
    """The disk cache is reused by a fresh process, and never returns a stale result."""
    cache = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    problems = tmp_path / "problems"
    path = write_problem(problems, center=1.0)
    args = ("--problems-dir", str(problems), "run", "shifted", "gd", "-p", "step=0.25",
            "--tol", "1e-12", "--out")

    first = optbench_cli(*args, str(tmp_path / "1.csv"), env=cache)
    assert first.returncode == 0, first.stderr
    assert "compiled in" in first.stdout and "compiling" in first.stderr

    second = optbench_cli(*args, str(tmp_path / "2.csv"), env=cache)
    assert second.returncode == 0, second.stderr
    assert "loaded from cache" in second.stdout and "compiling" not in second.stderr

    path.write_text(PROBLEM_FILE.format(name="shifted", center=2.0))  # same size, new code
    third = optbench_cli(*args, str(tmp_path / "3.csv"), env=cache)
    assert third.returncode == 0, third.stderr
    assert "compiled in" in third.stdout

    import optbench

    f0 = [optbench.load_table(tmp_path / f"{i}.csv")["f"].iloc[0] for i in (1, 2, 3)]
    assert f0 == [1.0, 1.0, 4.0]  # f(0) = c^2: the edited problem really ran

    # gd's cache index now names functions of a module this process does not load: harmless
    other = optbench_cli("run", "parabola", "gd", env=cache, cwd=tmp_path)
    assert other.returncode == 0, other.stderr
    assert other.stdout.splitlines()[-1].startswith("converged")


@pytest.mark.slow
def test_builtin_problem_second_process_loads_from_cache(tmp_path):
    cache = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    first = optbench_cli("run", "parabola", "gd", env=cache, cwd=tmp_path)
    second = optbench_cli("run", "parabola", "gd", env=cache, cwd=tmp_path)
    assert first.returncode == second.returncode == 0
    assert "compiled in" in first.stdout
    assert "loaded from cache" in second.stdout
    # same table but for the time column (the last one)
    rows = [[line.split()[:-1] for line in run.stdout.splitlines()[:-1]] for run in (first, second)]
    assert rows[0] == rows[1]
