"""Trajectories: the iterates of several runs drawn on the contours of a 2-D objective (or on
the graph of a 1-D one), with the minimizers marked: the picture of a step size too small,
right and too large."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..columns import ERROR
from ..errors import InvalidTypeError, InvalidValueError
from ..status import diverged
from ._data import check_results_dir, colours, is_result, new_figure, ordered, setting_labels

if TYPE_CHECKING:
    from ..results import Result

__all__ = ["plot_trajectories", "draw_trajectories", "draw_paths", "run_specs",
           "default_step_sizes", "contour_levels", "SweepPaths", "sweep_paths",
           "plot_sweep_paths"]

GRID = 160  # points per side of the contour grid
MAX_SETTINGS = 8  # lines in one figure of a sweep's settings
PLOT_WIDTH = 6.0  # inches of that figure's contour panel; the legend goes to its right


def default_step_sizes(problem) -> list[tuple[str, dict]]:
    """gd with a step too small (0.1/L), right (1/L) and too large (2.1/L > 2/L: divergent on
    quadratics), for a problem that knows L."""
    if problem.L is None:
        raise InvalidValueError(f"problem {problem.name!r} does not know L: name the solvers "
                                "and step sizes to draw (e.g. gd:step=0.01)")
    L = float(problem.L)
    return [("gd", {"step": 0.1 / L}), ("gd", {"step": 1.0 / L}), ("gd", {"step": 2.1 / L})]


def run_specs(problem, specs, **run_options) -> list[Result]:
    """Run each spec (a solver name, ``(name, params)`` or a Result, kept as is) on
    ``problem`` with its iterates recorded."""
    from ..harness import run

    out = []
    for spec in specs:
        if is_result(spec):
            out.append(spec)
            continue
        if isinstance(spec, str):
            name, params = spec, {}
        elif isinstance(spec, tuple | list) and len(spec) == 2 and isinstance(spec[0], str):
            name, params = spec[0], dict(spec[1] or {})
        else:
            raise InvalidTypeError("each run must be a solver name, a (solver, params) pair "
                                   f"or an optbench.Result; got {spec!r}")
        out.append(run(problem, name, record_x=True, solver_params=params, **run_options))
    return out


def _problem(problem, dim, seed, problem_params):
    from ..harness import _resolve_problem
    from ..registry import problem_options

    return _resolve_problem(problem, problem_options(dim, seed, problem_params))


def contour_levels(values: np.ndarray, floor: float | None, n: int = 24) -> np.ndarray:
    """Contour levels spaced geometrically above the lowest value (``floor``, e.g. f*), so
    that valleys and the region near the minimizers both show."""
    v = values[np.isfinite(values)]
    low = float(v.min()) if floor is None else min(float(floor), float(v.min()))
    above = v - low
    top = float(np.quantile(above, 0.95))
    bottom = float(np.quantile(above[above > 0], 0.002)) if (above > 0).any() else 1e-3
    if not top > bottom > 0:
        return np.linspace(float(v.min()), float(v.max()), n)
    return low + np.geomspace(bottom, top, n)


def _box(problem, paths, pad: float = 0.15):
    """The drawing box: the problem's own domain when it has one, else one around the start,
    the minimizers and the finite parts of the paths that stayed bounded."""
    if "domain" in problem.extra:
        (a, b), (c, d) = problem.extra["domain"]
        return np.array([a, c]), np.array([b, d])
    anchors = np.vstack([problem.x0[None, :], *(m[None, :] for m in problem.minimizers)])
    reach = max(1.0, float(np.max(np.linalg.norm(anchors - problem.x0, axis=1))))
    pts = [anchors]
    for p in paths:
        p = p[np.all(np.isfinite(p), axis=1)]
        pts.append(p[np.linalg.norm(p - problem.x0, axis=1) <= 1.2 * reach])  # not escapes
    pts = np.vstack(pts)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1e-3 * max(1.0, float(np.max(np.abs(hi)))))
    return lo - pad * span, hi + pad * span


def _f_on_grid(problem, xs, ys):
    Z = np.empty((len(ys), len(xs)))
    point = np.empty(2)
    f, args = problem.oracle.f, problem.oracle.args
    for i, yv in enumerate(ys):
        point[1] = yv
        for j, xv in enumerate(xs):
            point[0] = xv
            Z[i, j] = f(point, args)
    return Z


def _legend_label(label: str, r: Result) -> str:
    return _outcome_label(label, r.status, r.iterations, r.summary.get("gap", math.nan),
                          r.summary["f"], float(r.columns["f"][0]))


def _outcome_label(label: str, status: str, iterations: int, gap, f, f0) -> str:
    """``label: status after k it, gap g``; a run that diverged by the one rule
    (status.diverged: f not finite, or ended above f(x0)) is labelled diverged."""
    if diverged(status, f, f0):
        return f"{label}: diverged after {iterations} it"
    gap = math.nan if gap is None else float(gap)
    tail = f", gap {gap:.1e}" if math.isfinite(gap) else ""
    return f"{label}: {status} after {iterations} it{tail}"


def plot_trajectories(problem, runs=None, *, dim=None, seed=None, problem_params=None,
                      x0=None, max_iter: int = 200, tol: float = 1e-8, title: str | None = None,
                      **run_options):
    """Iterates of several runs on the contour plot of a 2-D problem (or on the graph of a
    1-D one), minimizers marked.

    Parameters
    ----------
    problem : str or Problem
        A problem of dimension 1 or 2 (``dim=2`` for the families that take one).
    runs : list, optional
        Solver names, ``(solver, params)`` pairs or Results (run with ``record_x=True``);
        default: gd with a step too small (0.1/L), right (1/L) and too large (2.1/L).
    x0, max_iter, tol, **run_options
        Passed to :func:`optbench.run` for every run.

    Returns a matplotlib Figure.

    Examples
    --------
    >>> fig = optbench.plot_trajectories(
    ...     "himmelblau", [("gd", {"step": 0.001}), ("gd", {"step": 0.01}), "newton-ls"])
    ... # doctest: +SKIP
    """
    prob = _problem(problem, dim, seed, problem_params)
    if prob.dim not in (1, 2):
        raise InvalidValueError(f"trajectories need a problem of dimension 1 or 2; "
                                f"{prob.name!r} has dimension {prob.dim} (option --dim 2)")
    specs = default_step_sizes(prob) if runs is None else list(runs)
    if not specs:
        raise InvalidValueError("give at least one solver to draw")
    results = run_specs(prob, specs, x0=x0, max_iter=max_iter, tol=tol, **run_options)
    paths = []
    for r in results:
        if r.iterates is None or r.iterates.shape[1] != prob.dim:
            raise InvalidValueError(f"the run of {r.solver} did not record its iterates: "
                                    "run it with record_x=True")
        paths.append(r.iterates)
    fig, axes = new_figure(1, 1, width=7.2, height=6.0 if prob.dim == 2 else 4.8)
    draw_trajectories(axes[0][0], prob, results, title=title)
    return fig


def draw_trajectories(ax, prob, results, title: str | None = None) -> None:
    """Draw the recorded iterates of ``results`` (runs on ``prob``, dimension 1 or 2) on
    ``ax``: contours of f (2-D) or its graph (1-D), the start and the minimizers marked."""
    labels = [_legend_label(label, r) for label, r in
              zip(setting_labels(results), results, strict=True)]
    draw_paths(ax, prob, [r.iterates for r in results], labels, title=title)


def draw_paths(ax, prob, paths, labels, title: str | None = None,
               legend_outside: bool = False) -> None:
    """Draw the iterate sequences ``paths`` (arrays of shape (k, dim), dim 1 or 2, one per
    run, legend entries ``labels``) on ``ax`` over the contours of ``prob``'s f (2-D) or its
    graph (1-D), the start and the minimizers marked."""
    palette = colours(len(paths))
    lo, hi = _box(prob, paths)
    if prob.dim == 2:
        xs, ys = np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID)
        Z = _f_on_grid(prob, xs, ys)
        levels = contour_levels(Z, prob.f_star)
        ax.contourf(xs, ys, Z, levels=levels, cmap="viridis", alpha=0.28, extend="both")
        ax.contour(xs, ys, Z, levels=levels, colors="0.45", linewidths=0.6)
        for path, label, colour in zip(paths, labels, palette, strict=True):
            path = _until_outside(path, lo, hi)
            ax.plot(path[:, 0], path[:, 1], "-o", color=colour, lw=1.6, ms=3.2, label=label)
            last = path[np.all(np.isfinite(path), axis=1)][-1]
            ax.plot(*last, marker="D", color=colour, ms=7, mec="black")
        starts = {tuple(p[0]) for p in paths}
        for k, s in enumerate(starts):
            ax.plot(*s, "s", color="white", mec="black", ms=9,
                    label="start x_0" if k == 0 else None)
        for k, m in enumerate(prob.minimizers):
            ax.plot(m[0], m[1], "*", color="gold", mec="black", ms=17, zorder=5,
                    label="minimizer" + ("s" if len(prob.minimizers) > 1 else "")
                    if k == 0 else None)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_xlabel("x_1")
        ax.set_ylabel("x_2")
        ax.set_aspect("equal", adjustable="box")  # steps look orthogonal to the contours
        what = "contours of f"
    else:
        xs = np.linspace(lo[0], hi[0], 400)
        fx = np.array([prob.f(np.array([v])) for v in xs])
        ax.plot(xs, fx, color="0.3", lw=1.5, label="f(x)")
        for path, label, colour in zip(paths, labels, palette, strict=True):
            fk = np.array([prob.f(p) if np.all(np.isfinite(p)) else np.nan for p in path])
            ax.plot(path[:, 0], fk, "-o", color=colour, lw=1.0, ms=4, label=label)
        for k, m in enumerate(prob.minimizers):
            ax.plot(m[0], prob.f(m), "*", color="gold", mec="black", ms=17,
                    label="minimizer" + ("s" if len(prob.minimizers) > 1 else "")
                    if k == 0 else None)
        finite = fx[np.isfinite(fx)]
        span = float(finite.max() - finite.min()) or 1.0
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(float(finite.min()) - 0.08 * span, float(finite.max()) + 0.08 * span)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        what = "the graph of f"
    if legend_outside:  # right of the panel, with room kept for it by the layout
        ax.figure.legend(*ax.get_legend_handles_labels(), fontsize="small",
                         loc="outside right upper")
    else:
        ax.legend(fontsize="small", loc="best", framealpha=0.9)
    ax.set_title(title or f"{prob.name}: iterates on {what}")


# -- from a sweep's results directory -----------------------------------------------------------
@dataclass
class SweepPaths:
    """The iterates of a sweep's solver settings on one 2-D problem instance, one seed."""

    instance: str
    seed: int
    problem: object                  # the optbench.Problem the runs solved
    settings: list[str]              # drawn, in the sweep's order
    paths: list[np.ndarray]          # (recorded rows, 2) per drawn setting
    legends: list[str]               # "gd(step=1): converged after 12 it, gap 3e-10"
    rerun: list[str]                 # settings whose iterates were not stored: run again here
    left_out: list[str] = field(default_factory=list)  # over max_settings, not drawn
    errors: list[str] = field(default_factory=list)    # their run raised: nothing to draw
    record_every: int = 1


def sweep_paths(directory, instance: str, *, runs=None,
                max_settings: int = MAX_SETTINGS) -> SweepPaths:
    """The iterates of a sweep's solver settings on the 2-D problem instance ``instance``,
    for the instance's first seed: at most ``max_settings`` settings, taken in turn from each
    solver in the sweep's order (the others are listed in ``left_out``).

    Iterates come from the cell files when the sweep recorded them (run option
    ``record_x``); otherwise each of those cells is run again here, with the sweep's run
    options and ``record_x=True`` (the cells are seeded, so the run is the same one). Cells
    whose run raised (status ``error``) are listed in ``errors``, not drawn.

    ``runs`` is the directory's runs table when the caller has it already.
    """
    import optbench
    from optbench.registry import make_problem, problem_names
    from optbench.store import CELLS, load_manifest, read_cell

    root = check_results_dir(directory)
    if runs is None:
        runs = optbench.load_runs(root)
    rows = runs[runs["instance"] == instance]
    if not len(rows):
        raise InvalidValueError(f"the sweep in {str(root)!r} has no problem instance "
                                f"{instance!r}; it has: {', '.join(ordered(runs['instance']))}")
    dims = set(rows["dim"].dropna().astype(int))
    if dims != {2}:
        raise InvalidValueError(f"trajectories of a sweep need a 2-D problem instance; "
                                f"{instance!r} has dimension {', '.join(map(str, dims)) or '?'}")
    if isinstance(max_settings, bool) or not isinstance(max_settings, int) or max_settings < 1:
        raise InvalidValueError(f"max_settings must be a positive integer; got {max_settings!r}")
    # a results directory is data: the problem directories its manifest names are never
    # imported; the problems re-run here are built-in ones or those the user loaded
    config = load_manifest(root).get("config", {})
    options = dict(config.get("run", {}))
    seed = rows["seed"].iloc[0]  # the first in the sweep's order
    rows = rows[rows["seed"] == seed].drop_duplicates("setting")
    errors = rows[rows["status"] == ERROR]["setting"].tolist()
    rows = rows[rows["status"] != ERROR]
    keep = _first_of_each_solver(rows["solver"].tolist(), max_settings)
    drawn = rows.iloc[keep]
    left_out = [s for i, s in enumerate(rows["setting"]) if i not in keep]
    problem, paths, legends, rerun = None, [], [], []
    for key, setting in zip(drawn["cell"], drawn["setting"], strict=True):
        record, table = read_cell(root / CELLS / f"{key}.parquet")
        if problem is None and record["problem"] not in problem_names():
            raise InvalidValueError(
                f"problem {record['problem']!r} of this sweep is not loaded here, and a "
                "results directory never names code to run: pass the directory that defines "
                "it with --problems-dir (or load_problem_dir) to draw its trajectories")
        if problem is None:
            problem = make_problem(record["problem"], **{**record["problem_params"],
                                                         "seed": record["seed"]})
        if {"x_1", "x_2"} <= set(table.column_names):
            paths.append(np.column_stack([table.column("x_1").to_numpy(),
                                          table.column("x_2").to_numpy()]))
            legends.append(_outcome_label(setting, record["status"], record["iterations"],
                                          record["gap"], record["f"],
                                          float(table.column("f")[0].as_py())))
            continue
        result = optbench.run(problem, record["solver"], seed=record["seed"],
                              solver_params=record["solver_values"],
                              **{**options, "record_x": True})
        paths.append(result.iterates)
        legends.append(_legend_label(setting, result))
        rerun.append(setting)
    return SweepPaths(instance, int(seed), problem, drawn["setting"].tolist(), paths, legends,
                      rerun, left_out, errors, int(options.get("record_every", 1)))


def _first_of_each_solver(solvers: list[str], n: int) -> list[int]:
    """Positions of at most ``n`` settings, taken in turn from each solver (in the sweep's
    order), so that a cap leaves no solver out while it can; returned in the sweep's order."""
    queues = {name: [i for i, s in enumerate(solvers) if s == name] for name in ordered(solvers)}
    keep: list[int] = []
    while len(keep) < min(n, len(solvers)):
        for queue in queues.values():
            if queue and len(keep) < n:
                keep.append(queue.pop(0))
    return sorted(keep)


def plot_sweep_paths(sp: SweepPaths, title: str | None = None):
    """The figure of :func:`sweep_paths`: its iterates on the contours of the instance's f."""
    if not sp.paths:
        raise InvalidValueError(f"no run of {sp.instance!r} (seed {sp.seed}) has iterates to "
                                "draw: every one raised an error")
    fig, axes = new_figure(1, 1, width=PLOT_WIDTH + 4.0, height=5.4)
    ax = axes[0][0]
    draw_paths(ax, sp.problem, sp.paths, sp.legends, legend_outside=True,
               title=title or f"{sp.instance}, seed {sp.seed}: iterates on the contours of f")
    if ax.get_aspect() == 1.0:  # equal scales: a figure as tall as the box, no blank band
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        fig.set_figheight(min(max(PLOT_WIDTH * (y1 - y0) / (x1 - x0) + 1.5, 4.2), 7.5))
    return fig


def _until_outside(path, lo, hi):
    """The path up to its first point outside the box [lo, hi] (drawn leaving the picture)."""
    span = hi - lo
    inside = np.all((path >= lo - span) & (path <= hi + span), axis=1)
    out = np.flatnonzero(~inside)
    return path[: out[0] + 1] if len(out) else path


def _similar_spans(lo, hi) -> bool:
    a, b = float(hi[0] - lo[0]), float(hi[1] - lo[1])
    return a > 0 and b > 0 and max(a, b) / min(a, b) <= 3.0 and math.isfinite(a + b)
