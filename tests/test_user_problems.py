"""Users add problems: a directory (--problems-dir, OPTBENCH_PROBLEMS_PATH), an entry point,
or optbench.register_problem in a script. Each path is exercised in a fresh process."""

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
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
    # same table but for the time column
    tables = [[line.split() for line in run.stdout.splitlines()[:-1]] for run in (first, second)]
    at = tables[0][0].index("time")
    rows = [[row[:at] + row[at + 1:] for row in table] for table in tables]
    assert rows[0] == rows[1]


# -- identity by content ---------------------------------------------------------------------
FACTORY_FILE = textwrap.dedent('''
    import numpy as np
    import optbench
    from optbench import Oracle, Problem, jit


    def make(name, center, scale):
        c = np.array(center, dtype=float)

        @jit
        def f(x, args):
            s = 0.0
            for i in range(x.shape[0]):
                s += scale * (x[i] - c[i]) ** 2
            return s

        @jit
        def grad(x, args, out):
            for i in range(x.shape[0]):
                out[i] = 2.0 * scale * (x[i] - c[i])

        @optbench.register_problem(name, summary="a factory's problem")
        def build():
            return Problem(name=name, family=name, oracle=Oracle(f, grad, None, None, ()),
                           x0=np.zeros(2), formula="s ||x - c||^2", f_star=0.0,
                           minimizers=(c.copy(),), convex=True)


    make("fac-a", [1.0, 2.0], 1.0)
    make("fac-b", [5.0, -3.0], 1.0)   # another captured array
    make("fac-c", [1.0, 2.0], 3.0)    # another captured number
''')
FACTORY_CASES = {"fac-a": ([1.0, 2.0], 5.0), "fac-b": ([5.0, -3.0], 34.0),
                 "fac-c": ([1.0, 2.0], 15.0)}  # minimizer, f(0)


def _factory_dir(tmp_path):
    folder = tmp_path / "factory"
    folder.mkdir(exist_ok=True)
    (folder / "factory.py").write_text(FACTORY_FILE)
    return folder


FACTORY_SCRIPT = textwrap.dedent('''
    import json, sys
    import optbench
    optbench.load_problem_dir(sys.argv[1])
    out = {}
    for name in sys.argv[2:]:
        p = optbench.make_problem(name)
        res = optbench.run(name, "bfgs")
        out[name] = [p.oracle.f.identity, res.x.tolist(), float(res.table["f"].iloc[0]),
                     res.summary["cache_hit"]]
    print(json.dumps(out))
''')


def _run_factory(tmp_path, names, cache):
    proc = subprocess.run([sys.executable, "-c", FACTORY_SCRIPT, str(_factory_dir(tmp_path)),
                           *names], capture_output=True, text=True,
                          env=dict(os.environ, NUMBA_CACHE_DIR=str(cache)))
    assert proc.returncode == 0, proc.stderr
    import json

    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.slow
def test_factory_closures_have_their_own_identity_and_results(tmp_path):
    """Closures made by one factory with other captured arrays or numbers are other
    functions: each gets its own identity and its own compiled solver, in one process and
    across processes sharing a cache; the same factory call in a new process hits the
    cache."""
    cache = tmp_path / "cache"
    first = _run_factory(tmp_path, ["fac-a", "fac-b", "fac-c"], cache)
    assert len({v[0] for v in first.values()}) == 3
    for name, (x_star, f0) in FACTORY_CASES.items():
        np.testing.assert_allclose(first[name][1], x_star, atol=1e-6)
        assert first[name][2] == f0
    # a new process, the order reversed: the same identities, every solver from the cache,
    # each the right one
    second = _run_factory(tmp_path, ["fac-c", "fac-b", "fac-a"], cache)
    for name, (x_star, f0) in FACTORY_CASES.items():
        assert second[name][0] == first[name][0]
        assert second[name][3] is True, name
        np.testing.assert_allclose(second[name][1], x_star, atol=1e-6)
        assert second[name][2] == f0


TWO_FUNCTIONS = textwrap.dedent('''
    import numpy as np
    import optbench
    from optbench import Oracle, Problem, jit

    NOTES = "{notes}"


    @jit
    def f_one(x, args):
        return (x[0] - 1.0) ** 2


    @jit
    def g_one(x, args, out):
        out[0] = 2.0 * (x[0] - 1.0)


    @jit
    def f_two(x, args):
        return (x[0] - {center}) ** 2


    @jit
    def g_two(x, args, out):
        out[0] = 2.0 * (x[0] - {center})


    @optbench.register_problem("one", summary=NOTES)
    def one():
        return Problem(name="one", family="one", oracle=Oracle(f_one, g_one, None, None, ()),
                       x0=[0.0], formula="(x - 1)^2", f_star=0.0, notes=NOTES)


    @optbench.register_problem("two", summary=NOTES)
    def two():
        return Problem(name="two", family="two", oracle=Oracle(f_two, g_two, None, None, ()),
                       x0=[0.0], formula="(x - c)^2", f_star=0.0, notes=NOTES)
''')


@pytest.mark.slow
def test_editing_one_function_recompiles_only_what_depends_on_it(tmp_path):
    cache = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    folder = tmp_path / "two"
    folder.mkdir()
    path = folder / "two.py"

    def run(name):
        proc = optbench_cli("--problems-dir", str(folder), "run", name, "gd", "-p",
                            "step=0.25", env=cache, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines()[-1]

    path.write_text(TWO_FUNCTIONS.format(notes="first", center=2.0))
    assert "compiled in" in run("one") and "compiled in" in run("two")
    path.write_text(TWO_FUNCTIONS.format(notes="edited notes", center=2.0))  # text only
    assert "loaded from cache" in run("one") and "loaded from cache" in run("two")
    path.write_text(TWO_FUNCTIONS.format(notes="edited notes", center=3.0))  # f_two, g_two
    assert "loaded from cache" in run("one")
    edited = run("two")
    assert "compiled in" in edited and "f=" in edited
    table = optbench_cli("--problems-dir", str(folder), "run", "two", "gd", "-p", "step=0.25",
                         "--rows", "1", env=cache, cwd=tmp_path).stdout.splitlines()
    assert table[1].split()[:2] == ["0", "9"]  # f(0) = 3^2: the edited code ran


# -- a private, bounded cache ------------------------------------------------------------------
@pytest.mark.slow
def test_prune_keeps_what_is_in_use_and_removes_the_rest(tmp_path):
    cache = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    folder = tmp_path / "two"
    folder.mkdir()
    path = folder / "two.py"
    path.write_text(TWO_FUNCTIONS.format(notes="n", center=2.0))
    for name in ("one", "two"):
        assert optbench_cli("--problems-dir", str(folder), "run", name, "gd",
                            env=cache, cwd=tmp_path).returncode == 0
    path.write_text(TWO_FUNCTIONS.format(notes="n", center=3.0))  # two's old code: unusable
    assert optbench_cli("--problems-dir", str(folder), "run", "two", "gd",
                        env=cache, cwd=tmp_path).returncode == 0
    files_before = sorted((tmp_path / "cache").rglob("*.nb*"))
    pruned = optbench_cli("--problems-dir", str(folder), "cache", "prune", env=cache,
                          cwd=tmp_path)
    assert pruned.returncode == 0, pruned.stderr
    assert "removed" in pruned.stdout and not pruned.stdout.startswith("removed 0 ")
    files_after = sorted((tmp_path / "cache").rglob("*.nb*"))
    assert len(files_after) < len(files_before)
    for name in ("one", "two"):  # what is in use is still there
        proc = optbench_cli("--problems-dir", str(folder), "run", name, "gd",
                            env=cache, cwd=tmp_path)
        assert proc.returncode == 0 and "loaded from cache" in proc.stdout, proc.stdout
    info = optbench_cli("--problems-dir", str(folder), "cache", env=cache, cwd=tmp_path)
    assert "compiled functions" in info.stdout and "entries" in info.stdout


def _cache_dir_refused(tmp_path, directory):
    proc = optbench_cli("run", "parabola", "gd", env={"NUMBA_CACHE_DIR": str(directory)},
                        cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "NUMBA_CACHE_DIR" in proc.stderr and "is not used" in proc.stderr
    assert not list(directory.rglob("*.nbi"))  # nothing read or written there


def test_a_cache_directory_others_can_write_is_never_used(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    _cache_dir_refused(tmp_path, shared)


@pytest.mark.skipif(os.getuid() != 0, reason="giving a directory to another user needs root")
def test_a_cache_directory_of_another_user_is_never_used(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, 12345, 12345)
    _cache_dir_refused(tmp_path, theirs)


def test_private_dir_falls_back_to_a_directory_of_its_own(tmp_path, monkeypatch, caplog):
    from optbench.cache import not_private, private_dir

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)
    chosen = private_dir(open_dir, "numba", "NUMBA_CACHE_DIR")
    assert chosen == tmp_path / "tmp" / f"optbench-{os.getuid()}" / "numba"
    assert not_private(chosen) is None and (chosen.stat().st_mode & 0o777) == 0o700
    # the fallback itself taken over (others can write it): a fresh directory instead
    os.chmod(chosen, 0o777)
    again = private_dir(open_dir, "numba", "NUMBA_CACHE_DIR")
    assert again not in (open_dir, chosen) and not_private(again) is None
    assert "is not used" in caplog.text


# -- problem directories with helpers ----------------------------------------------------------
HELPER = textwrap.dedent('''
    from optbench import jit


    @jit
    def squared_distance(x, c):
        s = 0.0
        for i in range(x.shape[0]):
            s += (x[i] - c) ** 2
        return s
''')
USES_HELPER = textwrap.dedent('''
    import numpy as np
    import optbench
    from optbench import Oracle, Problem, jit
    from ._helpers import squared_distance


    @jit
    def f(x, args):
        return squared_distance(x, {c})


    @jit
    def grad(x, args, out):
        for i in range(x.shape[0]):
            out[i] = 2.0 * (x[i] - {c})


    @optbench.register_problem("{name}", summary="with a helper")
    def build():
        return Problem(name="{name}", family="{name}", oracle=Oracle(f, grad, None, None, ()),
                       x0=np.zeros(2), formula="||x - c||^2", f_star=0.0,
                       minimizers=(np.full(2, {c}),), convex=True)
''')


def test_problem_files_share_a_helper_module(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "_helpers.py").write_text(HELPER)
    (folder / "first.py").write_text(USES_HELPER.format(name="first", c=1.0))
    (folder / "second.py").write_text(USES_HELPER.format(name="second", c=-2.0))
    for name, c in (("first", 1.0), ("second", -2.0)):
        proc = optbench_cli("--problems-dir", str(folder), "run", name, "gd", "-p",
                            "step=0.25", "--rows", "1", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[1].split()[1] == f"{2 * c * c:g}"  # f(0) = 2 c^2
    listed = optbench_cli("--problems-dir", str(folder), "list", "problems", cwd=tmp_path)
    assert "first" in listed.stdout and "_helpers" not in listed.stdout


# -- errors about the user's code ---------------------------------------------------------------
BAD_FILE = textwrap.dedent('''
    import numpy as np
    import optbench
    from optbench import Oracle, Param, Problem, jit


    @jit
    def f_unknown_name(x, args):
        return undefined_helper(x)


    @jit
    def f_array(x, args):
        return x * 2.0


    @jit
    def f_ok(x, args):
        return x[0] ** 2 + x[1] ** 2


    @jit
    def grad_ok(x, args, out):
        out[0] = 2.0 * x[0]
        out[1] = 2.0 * x[1]


    @jit
    def grad_wrong(x, args, out):
        out[0] = 3.0 * x[0]
        out[1] = 2.0 * x[1]


    @jit
    def grad_past_out(x, args, out):
        for i in range(x.shape[0] + 3):
            out[i] = 2.0 * x[i % 2]


    def make(name, f, g, x0=(1.0, 2.0)):
        @optbench.register_problem(name, summary=name, params=(Param("k", 1.0, float, "k"),))
        def build(k):
            if k < 0:
                raise ValueError("k must be >= 0 here")
            return Problem(name=name, family=name, oracle=Oracle(f, g, None, None, ()),
                           x0=np.array(x0), formula="x", f_star=0.0)


    make("unknown-name", f_unknown_name, grad_ok)
    make("returns-array", f_array, grad_ok)
    make("wrong-gradient", f_ok, grad_wrong)
    make("writes-past-out", f_ok, grad_past_out)
    make("x0-too-long", f_ok, grad_ok, x0=(1.0, 2.0, 3.0))
    make("fine", f_ok, grad_ok)
''')
BAD_CASES = [
    (["run", "unknown-name", "gd"], ["f_unknown_name", "undefined_helper", "f(x, args)"]),
    (["run", "returns-array", "gd"], ["f_array", "returned ndarray", "f(x, args) -> float"]),
    (["run", "wrong-gradient", "bfgs"], ["grad_wrong", "central differences"]),
    (["run", "writes-past-out", "gd"], ["grad_past_out", "outside an array",
                                        "a vector of length 2"]),
    (["run", "x0-too-long", "gd"], ["grad_ok", "length 3"]),
    (["info", "wrong-gradient"], ["grad_wrong", "central differences"]),
    (["run", "fine", "gd", "-P", "k=-1"], ["k=-1.0", "bad.py", "k must be >= 0"]),
]


@pytest.mark.parametrize("argv, words", BAD_CASES, ids=[" ".join(c[0]) for c in BAD_CASES])
def test_errors_in_user_code_name_the_file_and_function(argv, words, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "bad.py").write_text(BAD_FILE)
    proc = optbench_cli("--problems-dir", str(folder), *argv, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("optbench: error: ") and len(lines) <= 5, proc.stderr
    assert "Traceback" not in proc.stderr and str(folder / "bad.py") in proc.stderr
    for word in words:
        assert word in proc.stderr


def test_a_name_taken_twice_is_refused_naming_both_places(tmp_path):
    folder = tmp_path / "clash"
    write_problem(folder, name="quadratic")
    proc = optbench_cli("--problems-dir", str(folder), "list", cwd=tmp_path)
    assert proc.returncode == 2
    assert "registered twice" in proc.stderr and "quadratic.py" in proc.stderr
    assert str(folder / "quadratic.py") in proc.stderr and "replace=True" in proc.stderr


def test_replace_true_replaces_a_problem_on_purpose():
    import optbench
    from optbench import Problem, registry

    original = registry.get_family("parabola")
    base = optbench.make_problem("parabola")
    with pytest.raises(optbench.OptbenchError, match="registered twice"):
        optbench.register_problem("parabola", summary="mine")(lambda: None)
    try:
        @optbench.register_problem("parabola", summary="mine", replace=True)
        def mine():
            return Problem(name="parabola", family="parabola", oracle=base.oracle, x0=[7.0],
                           formula="mine")

        assert optbench.make_problem("parabola").x0.tolist() == [7.0]
    finally:
        registry._families["parabola"] = original
    assert optbench.make_problem("parabola").x0.tolist() == [3.0]


@pytest.mark.parametrize("facts, words", [
    ({"x0": [0.0, np.nan]}, "x0 has entries that are not finite"),
    ({"minimizers": ([1.0, 2.0, 3.0],)}, "minimizers[0] has shape (3,)"),
    ({"f_star": np.inf}, "f_star must be finite"),
    ({"L": 1.0, "mu": 2.0}, "mu = 2.0 exceeds L = 1.0"),
    ({"L": -1.0}, "L must be > 0"),
])
def test_a_problem_checks_what_it_is_given(facts, words):
    import optbench
    from optbench import Problem
    from optbench.errors import InvalidValueError

    base = optbench.make_problem("rosenbrock", dim=2)
    given = {"x0": [0.0, 0.0], **facts}
    with pytest.raises(InvalidValueError, match=re.escape(words)):
        Problem(name="mine", family="mine", oracle=base.oracle, formula="x", **given)


def test_identity_covers_code_closure_values_and_globals():
    """Computed without compiling: what changes compiled code changes the identity, nothing
    else does."""
    import types

    import optbench

    def factory(c, k):
        @optbench.jit
        def f(x, args):
            return k * (x[0] - c[0]) ** 2
        return f

    a = factory(np.array([1.0]), 2.0)
    same = factory(np.array([1.0]), 2.0)
    other_array = factory(np.array([1.5]), 2.0)
    other_number = factory(np.array([1.0]), 3.0)
    assert a.identity == same.identity
    assert len({a.identity, other_array.identity, other_number.identity}) == 3
    assert a.stamp == other_array.stamp  # the stamp leaves the closure to numba's own key

    module = types.ModuleType("fingerprint_probe")
    source = "import optbench\nSCALE = {scale}\n@optbench.jit(cache=False)\ndef g(x, args):\n" \
             "    return SCALE * x[0]\n@optbench.jit(cache=False)\ndef unrelated(x, args):\n" \
             "    return {other}\n"
    identities = []
    for scale, other in ((2.0, 1.0), (2.0, 5.0), (3.0, 5.0)):
        namespace = {}
        exec(compile(source.format(scale=scale, other=other), "probe.py", "exec"), namespace)
        namespace["g"].py_func.__module__ = module.__name__
        identities.append(namespace["g"].identity)
    assert identities[0] == identities[1]  # another function of the file edited: no change
    assert identities[1] != identities[2]  # a global it reads changed
