"""optbench report: one self-contained HTML file for a results directory, that a browser
(headless Chromium) renders into a non-blank page; the 2-D problems' trajectories in it are
gradient descent's, checked against plain NumPy steps.

Compilation dominates: every sweep here reuses gd / nesterov on quadratics, in-process."""

import base64
import io
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import optbench  # noqa: E402
from optbench.cli import main  # noqa: E402
from optbench.errors import InvalidValueError  # noqa: E402
from optbench.plots import report as report_module  # noqa: E402
from optbench.plots.trajectories import (  # noqa: E402
    MAX_SETTINGS,
    _first_of_each_solver,
    plot_sweep_paths,
    sweep_paths,
)

CONFIG = {
    "problems": [{"name": "quadratic", "dim": 2, "params": {"cond": [10]}}],
    "solvers": [{"name": "gd", "params": {"step": [0.5, 1.0, 2.5]}}, {"name": "nesterov"}],
    "seeds": [0, 1],
    "run": {"max_iter": 150, "tol": 1e-9},
    "solved": 1e-6,
}


INSTANCE = "quadratic(dim=2, cond=10)"
TRAJECTORIES = "<h2>Trajectories of the 2-D problems</h2>"
STEPS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.2, 1.5, 2.5]  # 10 gd settings + nesterov > 8


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    optbench.sweep(CONFIG, out=out, workers=1, progress=False)
    return out, optbench.write_report(out)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """More settings than a figure draws, one seed, iterates recorded (record_x)."""
    out = tmp_path_factory.mktemp("recorded")
    config = dict(CONFIG, seeds=[0], run={"max_iter": 30, "tol": 1e-9, "record_x": True},
                  solvers=[{"name": "gd", "params": {"step": STEPS}}, {"name": "nesterov"}])
    optbench.sweep(config, out=out, workers=1, progress=False)
    return out


def gd_reference(step, iterations, seed=0):
    """Plain NumPy gradient descent on the sweep's quadratic: x_{k+1} = x_k - t (A x_k - b)."""
    A, b, _ = optbench.make_problem("quadratic", dim=2, cond=10, seed=seed).oracle.args
    x = np.zeros(2)  # the family's start point
    out = [x]
    for _ in range(iterations):
        x = x - step * (A @ x - b)
        out.append(x)
    return np.array(out)


def section(text, heading):
    start = text.index(heading)
    end = text.find("<h2>", start + len(heading))
    return text[start:end if end >= 0 else len(text)]


def test_report_is_self_contained(report):
    directory, path = report
    assert path == directory / "report.html"
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    # figures embedded; nothing fetched from anywhere
    assert text.count('src="data:image/png;base64,') >= 4  # + trajectories
    assert not re.search(r'(src|href)="(?!data:)', text)
    assert "<script" not in text
    assert "could not be drawn" not in text  # every figure drawn, none replaced by a note
    # summary table, outcomes, config and environment
    for setting in ("gd(step=0.5)", "gd(step=1)", "gd(step=2.5)", "nesterov"):
        assert f"<td>{setting}</td>" in text
    manifest = optbench.store.load_manifest(directory)
    assert manifest["config_hash"] in text
    assert '"max_iter": 150' in text and manifest["versions"]["numba"] in text


def test_report_draws_the_trajectories_of_2d_problems(report):
    from matplotlib.image import imread

    _, path = report
    part = section(path.read_text(), TRAJECTORIES)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', part)
    assert len(images) == 1  # one 2-D instance, one figure
    png = base64.b64decode(images[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    pixels = (imread(io.BytesIO(png))[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 50  # contours and lines, not a blank image
    # the sweep did not record its iterates: the caption says they were run again
    assert f"{INSTANCE}, seed 0" in part and "repeated here" in part
    assert "Left out" not in part and "could not be drawn" not in part


def test_rerun_iterates_are_gradient_descent(report):
    directory, _ = report
    sp = sweep_paths(directory, INSTANCE)
    assert sp.seed == 0 and sp.settings == [
        "gd(step=0.5)", "gd(step=1)", "gd(step=2.5)", "nesterov"]
    assert sp.rerun == sp.settings and not sp.left_out and not sp.errors
    line = next(li for li in plot_sweep_paths(sp).get_axes()[0].get_lines()
                if li.get_label().startswith("gd(step=1): "))
    drawn = np.column_stack([line.get_xdata(), line.get_ydata()])
    np.testing.assert_allclose(drawn[:6], gd_reference(1.0, 5), rtol=1e-12, atol=1e-14)
    # the runs drawn are the sweep's: same number of iterations, same final f
    runs = optbench.load_runs(directory).set_index(["setting", "seed"])
    assert len(sp.paths[1]) == runs.loc[("gd(step=1)", 0), "iterations"] + 1
    A, b, _ = optbench.make_problem("quadratic", dim=2, cond=10, seed=0).oracle.args
    x = sp.paths[1][-1]
    assert 0.5 * x @ A @ x - b @ x == pytest.approx(runs.loc[("gd(step=1)", 0), "f"],
                                                    rel=1e-12)


def test_recorded_iterates_are_used_and_the_cap_keeps_every_solver(recorded):
    sp = sweep_paths(recorded, INSTANCE)
    assert sp.rerun == []  # read from the cell files, nothing run again
    assert len(sp.settings) == MAX_SETTINGS and "nesterov" in sp.settings
    assert sp.left_out == [f"gd(step={s:g})" for s in STEPS[MAX_SETTINGS - 1:]]
    i = sp.settings.index("gd(step=0.5)")
    np.testing.assert_allclose(sp.paths[i], gd_reference(0.5, 30), rtol=1e-10, atol=1e-12)
    part = section(optbench.write_report(recorded).read_text(), TRAJECTORIES)
    assert "as the sweep recorded them (run option record_x)" in part
    assert ("Left out (at most 8 settings per figure): gd(step=1.2), gd(step=1.5), "
            "gd(step=2.5).") in part


def test_first_of_each_solver():
    assert _first_of_each_solver(["gd"] * 5 + ["bfgs", "nesterov"], 4) == [0, 1, 5, 6]
    assert _first_of_each_solver(["gd", "gd"], 8) == [0, 1]


def test_no_trajectories_without_2d_problems(tmp_path):
    config = dict(CONFIG, seeds=[0], problems=[{"name": "quadratic", "dim": 3}],
                  solvers=[{"name": "gd", "params": {"step": [0.5]}}], run={"max_iter": 20})
    optbench.sweep(config, out=tmp_path, workers=1, progress=False)
    text = optbench.write_report(tmp_path).read_text()
    assert "<h2>Convergence</h2>" in text and "Trajectories" not in text
    with pytest.raises(InvalidValueError, match="2-D"):
        sweep_paths(tmp_path, "quadratic(dim=3)")


def test_a_figure_that_fails_leaves_the_rest_of_the_report(recorded, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no contours today")

    monkeypatch.setattr(report_module, "sweep_paths", broken)
    text = report_module.report_html(recorded)
    assert (f"The trajectory figure of {INSTANCE} could not be drawn: RuntimeError: no "
            "contours today") in text
    assert "<h2>Convergence</h2>" in text and "<h2>Sweep configuration</h2>" in text
    assert text.rstrip().endswith("</html>")


def test_report_cli(report, tmp_path, capsys):
    directory, _ = report
    out = tmp_path / "r.html"
    assert main(["report", str(directory), "-o", str(out)]) == 0
    assert "report written" in capsys.readouterr().out and out.stat().st_size > 10_000
    assert main(["report", str(directory), "-o", str(tmp_path / "r.txt")]) == 2
    assert ".html" in capsys.readouterr().err
    with pytest.raises(InvalidValueError, match="manifest.json"):
        optbench.write_report(tmp_path)


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed (Debian: "
                    "apt-get install chromium; .ci/run installs it)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    from matplotlib.image import imread

    _, path = report
    shot = tmp_path / "shot.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--window-size=1280,2000", f"--screenshot={shot}", path.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert shot.is_file(), done.stderr[-2000:]
    img = imread(io.BytesIO(shot.read_bytes()))[..., :3]
    pixels = (img * 255).astype(np.uint8).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 200  # text, tables and figures, not a blank page
    assert np.mean(np.all(pixels > 250, axis=1)) < 0.97  # not (nearly) all white


def test_report_and_plots_of_a_directory_import_no_solvers(tmp_path):
    """Reading a results directory needs pandas and matplotlib only: numba, scipy and the
    solver catalogue stay unloaded (a fresh interpreter, its sys.modules checked), unless a
    figure has to run a solver (the trajectories of a 2-D problem, tested above)."""
    out = tmp_path / "sweep"
    config = dict(CONFIG, problems=[{"name": "quadratic", "dim": 3, "params": {"cond": [10]}}],
                  run={"max_iter": 60, "tol": 1e-9})
    optbench.sweep(config, out=out, workers=1, progress=False)
    calls = [["report", str(out), "-o", str(tmp_path / "r.html")],
             ["plot", "convergence", str(out), "-o", str(tmp_path / "c.png")],
             ["plot", "profiles", str(out), "-o", str(tmp_path / "p.png")],
             ["plot", "sensitivity", str(out), "-o", str(tmp_path / "s.png")],
             ["results", str(out)]]
    heavy = ("numba", "scipy", "optbench.solvers", "optbench.registry", "optbench.harness")
    code = ("import contextlib, io, sys\nfrom optbench.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    codes = [main(argv) for argv in {calls!r}]\n"
            f"print(codes, [m for m in {heavy!r} if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{[0] * len(calls)} []", proc.stdout + proc.stderr
    text = (tmp_path / "r.html").read_text()
    for heading in ("Convergence", "Sensitivity to step", "Profiles"):
        assert f"<h2>{heading}</h2>" in text
    assert "could not be drawn" not in text
    for name in ("c.png", "p.png", "s.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_problem_gets_no_profiles_but_says_why(tmp_path):
    """Profiles compare settings over problems: with one (one instance, one seed) each line
    would only step from 0 to 1, so the report says so instead of drawing them."""
    config = dict(CONFIG, seeds=[0], run={"max_iter": 60, "tol": 1e-9},
                  problems=[{"name": "quadratic", "dim": 3, "params": {"cond": [10]}}])
    optbench.sweep(config, out=tmp_path / "one", workers=1, progress=False)
    optbench.sweep(dict(config, seeds=[0, 1]), out=tmp_path / "two", workers=1,
                   progress=False)
    one = section(optbench.write_report(tmp_path / "one").read_text(), "<h2>Profiles</h2>")
    assert "No profiles" in one and "<img" not in one
    two = section(optbench.write_report(tmp_path / "two").read_text(), "<h2>Profiles</h2>")
    assert "No profiles" not in two and two.count("<img") == 2  # on iterations and on time
