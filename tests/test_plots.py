"""Plots: profile values against a hand-computed example, theory overlays against closed
forms, and every plot kind drawn from a real (small) sweep into a non-blank image.

Compilation dominates: the sweep reuses gd / nesterov on one 2-D quadratic (module scope)."""

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

import optbench  # noqa: E402
from optbench.cli import main  # noqa: E402
from optbench.errors import InvalidValueError, MissingDependencyError  # noqa: E402
from optbench.plots import (  # noqa: E402
    data_profile,
    performance_profile,
    plot_classification,
    plot_convergence,
    plot_gd_bound,
    plot_mistake_bound,
    plot_profiles,
    plot_sensitivity,
    plot_trajectories,
)
from optbench.plots._data import png_bytes  # noqa: E402
from optbench.plots.classification import model_of, network_logits  # noqa: E402

CONFIG = {
    "problems": [{"name": "quadratic", "dim": 2, "params": {"cond": [10]}}],
    "solvers": [{"name": "gd", "params": {"step": [0.5, 1.0, 2.5]}}, {"name": "nesterov"}],
    "seeds": [0, 1],
    "run": {"max_iter": 150, "tol": 1e-9, "record_x": True},
    "solved": 1e-6,
}


def distinct_colours(png: bytes) -> int:
    from matplotlib.image import imread

    img = imread(io.BytesIO(png))
    return len(np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0))


def assert_drawn(fig, min_colours=20):
    png = png_bytes(fig, dpi=60)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert distinct_colours(png) >= min_colours


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    optbench.sweep(CONFIG, out=out, workers=1, progress=False)
    return out


# -- profiles against a hand-computed example ------------------------------------------------
def hand_runs():
    """Costs (iterations to the solved level), by hand:
            p1   p2   p3
        A   10   20   unsolved
        B   20   10   40
    ratios to the best: A 1, 2, inf ... no: A (1, 2, inf), B (2, 1, 1)."""
    rows = [("p1", "A", 10, True), ("p2", "A", 20, True), ("p3", "A", np.nan, False),
            ("p1", "B", 20, True), ("p2", "B", 10, True), ("p3", "B", 40, True)]
    return pd.DataFrame([{"instance": p, "seed": 0, "setting": s, "iterations_to_tol": c,
                          "seconds_to_tol": c / 1000.0, "solved": ok}
                         for p, s, c, ok in rows])


def test_performance_profile_matches_hand_computation():
    prof = performance_profile(hand_runs(), taus=[1.0, 1.5, 2.0, 100.0])
    got = {(s, t): f for s, t, f in prof[["setting", "tau", "fraction"]].itertuples(False)}
    # A: ratios (1, 2, inf): rho(1) = 1/3, rho(1.5) = 1/3, rho(2) = 2/3, never 1
    # B: ratios (2, 1, 1):   rho(1) = 2/3, rho(1.5) = 2/3, rho(2) = 1
    expected = {("A", 1.0): 1 / 3, ("A", 1.5): 1 / 3, ("A", 2.0): 2 / 3, ("A", 100.0): 2 / 3,
                ("B", 1.0): 2 / 3, ("B", 1.5): 2 / 3, ("B", 2.0): 1.0, ("B", 100.0): 1.0}
    assert got == pytest.approx(expected)
    # default taus are the breakpoints: 1 and 2
    assert sorted(set(performance_profile(hand_runs())["tau"])) == [1.0, 2.0]


def test_data_profile_matches_hand_computation():
    prof = data_profile(hand_runs(), budgets=[5, 10, 20, 39, 40])
    got = {(s, b): f for s, b, f in prof[["setting", "budget", "fraction"]].itertuples(False)}
    expected = {("A", 5): 0, ("A", 10): 1 / 3, ("A", 20): 2 / 3, ("A", 39): 2 / 3,
                ("A", 40): 2 / 3, ("B", 5): 0, ("B", 10): 1 / 3, ("B", 20): 2 / 3,
                ("B", 39): 2 / 3, ("B", 40): 1.0}
    assert got == pytest.approx(expected)
    timed = data_profile(hand_runs(), cost="time", budgets=[0.015])
    assert timed.set_index("setting")["fraction"].to_dict() == pytest.approx(
        {"A": 1 / 3, "B": 1 / 3})


def test_profile_of_unsolved_problem_counts_in_denominator():
    runs = hand_runs()
    runs.loc[runs["instance"] == "p3", "solved"] = False
    prof = performance_profile(runs, taus=[1e9])
    assert prof.set_index("setting")["fraction"].to_dict() == pytest.approx(
        {"A": 2 / 3, "B": 2 / 3})


# -- every kind from a real sweep ---------------------------------------------------------------
def test_convergence_from_sweep(results_dir):
    fig = plot_convergence(results_dir)
    axes = fig.get_axes()
    assert len(axes) == 2  # one instance x (iteration, time)
    labels = [line.get_label() for line in axes[0].get_lines()]
    assert len(labels) == 4 and any(lab.startswith("nesterov (median of 2)") for lab in labels)
    assert axes[0].get_yscale() == "log" and axes[1].get_xscale() == "log"
    assert len(axes[0].collections) == 4  # a quartile band per setting
    # the median line is the median over seeds of the recorded gap
    hist = optbench.load_history(results_dir)
    nest = hist[hist["setting"] == "nesterov"]
    k0 = nest.groupby("seed")["gap"].first().median()
    line = next(li for li in axes[0].get_lines() if li.get_label().startswith("nesterov"))
    assert line.get_ydata()[0] == pytest.approx(k0)
    assert_drawn(fig)


def test_sensitivity_from_sweep(results_dir):
    fig = plot_sensitivity(results_dir, param="step")
    ax = fig.get_axes()[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    marks = [li for li in ax.get_lines() if li.get_label() == "diverged"]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [2.5]  # step 2.5 > 2/L = 2
    assert_drawn(fig)
    with pytest.raises(InvalidValueError, match="parameters that do: step"):
        plot_sensitivity(results_dir, param="momentum")


def test_sensitivity_when_every_run_diverges():
    runs = [optbench.run("quadratic", "gd", dim=2, step=s, max_iter=100) for s in (3.0, 5.0)]
    assert all(r.summary["f"] > r.table["f"].iloc[0] for r in runs)  # both blew up
    fig = plot_sensitivity(runs)
    ax = fig.get_axes()[0]
    marks = [li for li in ax.get_lines() if li.get_label() == "diverged"]
    assert list(marks[0].get_xdata()) == [3.0, 5.0]
    assert any("no run without divergence" in t.get_text() for t in ax.texts)
    assert_drawn(fig, min_colours=5)


def test_profiles_from_sweep(results_dir):
    for cost in ("iterations", "time"):
        fig = plot_profiles(results_dir, cost=cost)
        axes = fig.get_axes()
        assert len(axes) == 2
        assert len(axes[0].get_lines()) == 4
        assert_drawn(fig)
    runs = optbench.load_runs(results_dir)
    prof = performance_profile(runs)
    # step 2.5 diverges on every problem: its profile stays 0
    assert prof[prof["setting"] == "gd(step=2.5)"]["fraction"].max() == 0.0


def test_trajectories_default_steps():
    fig = plot_trajectories("quadratic", dim=2, problem_params={"cond": 10}, max_iter=40)
    ax = fig.get_axes()[0]
    assert ax.collections  # the contours
    paths = [li for li in ax.get_lines() if li.get_label().startswith("gd(")]
    assert [p.get_label().split(":")[0] for p in paths] == [
        "gd(step=0.1)", "gd(step=1)", "gd(step=2.1)"]  # L = 1: 0.1/L, 1/L, 2.1/L
    p = optbench.make_problem("quadratic", dim=2, cond=10)
    star = next(li for li in ax.get_lines() if li.get_label() == "minimizer")
    np.testing.assert_allclose([star.get_xdata()[0], star.get_ydata()[0]], p.x_star)
    # the drawn path is gradient descent's: x1 = x0 - t grad f(x0)
    x1 = p.x0 - 1.0 * p.grad(p.x0)
    np.testing.assert_allclose([paths[1].get_xdata()[1], paths[1].get_ydata()[1]], x1)
    assert_drawn(fig)


def test_trajectories_refuse_high_dimension():
    with pytest.raises(InvalidValueError, match="dimension 1 or 2"):
        plot_trajectories("quadratic", [("gd", {"step": 0.1})], dim=5)


def test_gd_bound_against_closed_form():
    fig = plot_gd_bound("quadratic", dim=6, problem_params={"cond": 20}, max_iter=80)
    ax = fig.get_axes()[0]
    p = optbench.make_problem("quadratic", dim=6, cond=20)
    eig = np.linalg.eigvalsh(p.oracle.args[0])  # A of 1/2 x'Ax - b'x
    mu, L = eig[0], eig[-1]
    rho = (L / mu - 1) / (L / mu + 1)
    lines = {li.get_label(): li for li in ax.get_lines()}
    textbook = next(li for k, li in lines.items() if k.startswith("((kappa-1)/(kappa+1))^k"))
    np.testing.assert_allclose(textbook.get_ydata()[:30], rho ** np.arange(30), rtol=1e-10)
    # the run with t = 2/(L + mu) has q(t) = rho
    bound_label = next(k for k in lines if k.endswith(f"bound q(t)^(2k), q = {rho:.4f}"))
    assert bound_label.startswith(f"gd(step={2 / (L + mu):.4g})")
    bound = lines[bound_label]
    measured = lines[bound_label.split(": ")[0] + ": measured"].get_ydata()
    k = np.arange(len(measured))
    np.testing.assert_allclose(bound.get_ydata()[:len(k)], np.maximum(rho ** (2 * k), 1e-16))
    ok = measured > 1e-14
    assert np.all(measured[ok] <= rho ** (2 * k[ok]) * (1 + 1e-9))
    assert_drawn(fig)


def test_mistake_bound_against_the_data():
    p = optbench.make_problem("perceptron", seed=3)
    X, y = p.oracle.args
    w = p.extra["w_true"] / np.linalg.norm(p.extra["w_true"])
    R2 = 1.0 + np.max(np.sum(X * X, axis=1))
    gamma = p.extra["margin"]
    assert np.min(y * (X @ w)) >= gamma - 1e-12  # the declared margin holds
    fig = plot_mistake_bound(p, ["perceptron", "batch-perceptron"])
    left = fig.get_axes()[0]
    bound = next(li for li in left.get_lines() if li.get_label().startswith("bound"))
    assert bound.get_ydata()[0] == pytest.approx(R2 / gamma**2)
    for line in left.get_lines()[:2]:
        assert line.get_ydata()[-1] <= R2 / gamma**2
    assert_drawn(fig)


def test_classification_xor_network_forward_pass_matches_f():
    p = optbench.make_problem("xor-mlp", seed=3)
    X, classes, _ = model_of(p)
    x = p.x0 + 0.3
    z = network_logits(x, p.oracle.args[2], 0, X)[:, 0]
    expected = 0.5 * np.sum((1 / (1 + np.exp(-z)) - p.oracle.args[1][:, 0]) ** 2)
    assert p.f(x) == pytest.approx(expected, rel=1e-12)
    fig = plot_classification(p, ["bfgs"], max_iter=300)
    left, right = fig.get_axes()[:2]
    assert "0 misclassified" in left.get_legend().get_texts()[0].get_text()
    assert right.get_lines()[0].get_ydata()[-1] == 0
    assert_drawn(fig)


def test_classification_perceptron_boundary_separates():
    fig = plot_classification("perceptron", ["perceptron"])
    left = fig.get_axes()[0]
    assert "0 misclassified" in left.get_legend().get_texts()[0].get_text()
    assert_drawn(fig)


# -- command line -------------------------------------------------------------------------------
def test_cli_run_plot_and_plot_kinds(tmp_path, results_dir, capsys):
    png = tmp_path / "run.png"
    assert main(["run", "quadratic", "gd", "--dim", "2", "-p", "step=1", "--max-iter", "50",
                 "--tol", "0", "--plot", str(png)]) == 3  # max_iter: still written
    assert "figure written" in capsys.readouterr().out
    assert distinct_colours(png.read_bytes()) > 20
    for kind in ("convergence", "profiles", "sensitivity"):
        out = tmp_path / f"{kind}.png"
        assert main(["plot", kind, str(results_dir), "-o", str(out)]) == 0
        assert distinct_colours(out.read_bytes()) > 20
    out = tmp_path / "traj.svg"
    assert main(["plot", "trajectories", "himmelblau", "gd:step=0.01", "gd:step=0.001",
                 "--max-iter", "60", "-o", str(out)]) == 0
    assert out.read_text().lstrip().startswith("<?xml")


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["run", "quadratic", "gd", "--plot", str(tmp_path / "x.txt")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--plot" in err and ".png" in err
    assert main(["plot", "convergence", str(tmp_path)]) == 2
    assert "manifest.json" in capsys.readouterr().err


def test_missing_matplotlib_names_the_extra(monkeypatch):
    from optbench.plots import _data

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "optbench\[plot\]"'):
        _data.matplotlib_module()


def test_import_optbench_does_not_import_matplotlib():
    code = ("import sys, optbench; optbench.performance_profile; "
            "assert 'matplotlib' not in sys.modules, 'imported'; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


# -- what the figures say (the measurement issue) ---------------------------------------------
def test_trajectory_panels_are_equal_aspect():
    fig = plot_trajectories("rosenbrock", [("gd", {"step": 1e-3})], max_iter=20)
    ax = fig.axes[0]
    assert ax.get_aspect() == 1.0  # one unit of x_1 is one unit of x_2


def test_counts_get_integer_ticks():
    fig = plot_mistake_bound("perceptron", [("perceptron", {})])
    for ax in fig.axes[:2]:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)


def test_sensitivity_panels_in_numeric_order_and_a_note_for_what_is_left_out(tmp_path):
    runs = [optbench.run("quadratic", "gd", dim=d, step=s, max_iter=30)
            for d in (10, 200, 50) for s in (0.5, 1.0)]
    runs.append(optbench.run("quadratic", "gd", dim=10, step="1/L", max_iter=30))
    fig = plot_sensitivity(runs, param="step")
    titles = [ax.get_title() for ax in fig.axes]
    dims = [int(t.split("dim=")[1].split(")")[0].split(",")[0]) for t in titles]
    assert dims == sorted(dims) == [10, 50, 200]
    notes = [t.get_text() for t in fig.texts]
    assert any("left out" in n and "step=1/L" in n for n in notes), notes


def test_a_run_that_blew_past_its_start_is_labelled_diverged():
    from optbench.plots.trajectories import _legend_label

    exploding = optbench.run("quadratic", "gd", dim=2, step=2.3, max_iter=40)  # > 2/L
    assert exploding.status == "max_iter" and exploding.summary["f"] > exploding.table["f"][0]
    assert _legend_label("gd", exploding).startswith("gd: diverged")
    runs = optbench.plots._data.runs_table([exploding])
    assert bool(runs["diverged"].iloc[0])


# -- cheaper drawing (issue 23): the same numbers, labels inside the figure ---------------------
def percentile_by_hand(values, q):
    """The q-th percentile of ``values`` (NaN dropped) by the linear rule between order
    statistics (NumPy's default), +inf kept as +inf; NaN when nothing is left."""
    v = sorted(x for x in values if not np.isnan(x))
    if not v:
        return np.nan
    pos = q / 100 * (len(v) - 1)
    lo, hi = int(np.floor(pos)), int(np.ceil(pos))
    if lo == hi or v[lo] == v[hi]:
        return v[lo]
    if np.isinf(v[hi]):
        return np.inf
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def test_seed_quantiles_against_a_hand_transcription():
    """Runs of different lengths and clocks (NaN before a run's first row), one that diverges
    (NaN f counts as +inf): each grid point's quartiles over the runs' last rows at or before
    it."""
    from optbench.plots.convergence import seed_quantiles

    rng = np.random.default_rng(3)
    frames = []
    for seed, n in enumerate((7, 12, 4, 9, 9)):
        t = np.cumsum(rng.uniform(0.1, 1.0, n)) + rng.uniform(0, 2)
        gap = np.exp(-np.arange(n) * rng.uniform(0.2, 1.0)) * rng.uniform(1, 3)
        if seed == 2:
            gap[-1] = np.nan  # diverged
        frames.append(pd.DataFrame({"seed": seed, "time": t, "gap": gap}))
    hist = pd.concat(frames, ignore_index=True)
    grid, q1, med, q3 = seed_quantiles(hist, "time", "gap")
    np.testing.assert_array_equal(grid, np.unique(hist["time"]))
    for j, x in enumerate(grid):
        at = []
        for _, run in hist.groupby("seed"):
            before = run[run["time"] <= x]
            g = before["gap"].iloc[-1] if len(before) else np.nan
            at.append(np.inf if len(before) and np.isnan(g) else g)
        for q, got in ((25, q1[j]), (50, med[j]), (75, q3[j])):
            want = percentile_by_hand(at, q)
            if np.isinf(want) or np.isnan(want):
                assert got == want or (np.isnan(got) and np.isnan(want)), (x, q, got, want)
            else:  # a few roundings of numbers below 3
                assert got == pytest.approx(want, rel=1e-14, abs=1e-15), (x, q)


def test_sweep_figures_keep_their_labels_inside_and_plain(results_dir):
    """The sweep figures use fixed margins (no layout pass): after drawing, every tick label,
    axis label and legend lies inside the figure, and the log-axis labels are plain text
    (no mathtext to typeset)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for fig in (plot_convergence(results_dir), plot_profiles(results_dir),
                plot_sensitivity(results_dir, param="step")):
        assert fig.get_layout_engine() is None
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        box = fig.bbox
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):  # the drawn tick labels and the axis label
                ext = axis.get_tightbbox(renderer)
                assert (ext.x0 >= box.x0 and ext.x1 <= box.x1 and ext.y0 >= box.y0
                        and ext.y1 <= box.y1), (axis.label.get_text(), ext, box)
                labels = [t.get_text() for t in axis.get_ticklabels()]
                assert any(labels) and not any("$" in t for t in labels), labels
            legend = ax.get_legend()
            if legend is not None:
                ext = legend.get_window_extent(renderer)
                assert ext.x0 >= box.x0 and ext.x1 <= box.x1 and ext.y0 >= box.y0
