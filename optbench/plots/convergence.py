"""Convergence: the gap f(x_k) - f* (or ||grad f|| when f* is unknown) against iteration and
time, log scale, one line per setting, the median over seeds with a band from the first to
the third quartile."""

from __future__ import annotations

import warnings

import numpy as np

from ..columns import CONVERGED
from ..errors import InvalidValueError
from ._data import (
    MEASURE_LABELS,
    colours,
    figure_title,
    floor_positive,
    history_table,
    linestyle,
    log_scale,
    matplotlib_module,
    measure_of,
    new_figure,
    ordered,
)

__all__ = ["plot_convergence", "seed_quantiles"]

AXES = {"iteration": "iteration k", "time": "time (seconds, inside the compiled loop)"}
MAX_GRID = 400  # points per line on the shared axis
MAX_INSTANCES = 8


def _grid(values: np.ndarray, log: bool) -> np.ndarray:
    values = np.unique(values[np.isfinite(values)])
    if values.size <= MAX_GRID:
        return values
    if log and values[values > 0].size:
        positive = values[values > 0]
        g = np.geomspace(positive[0], positive[-1], MAX_GRID)
        return np.unique(np.concatenate([values[values <= 0], g]))
    return np.linspace(values[0], values[-1], MAX_GRID)


def _carry(x_run: np.ndarray, y_run: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """y of the last recorded row at or before each grid point (the run's answer then); the
    last value after the run ended; NaN before its first row."""
    order = np.argsort(x_run, kind="stable")
    x_run, y_run = x_run[order], y_run[order]
    idx = np.searchsorted(x_run, grid, side="right") - 1
    out = np.where(idx >= 0, y_run[np.clip(idx, 0, None)], np.nan)
    return out


def seed_quantiles(history, x: str = "iteration", y: str = "gap", log: bool = False):
    """For one setting's history (several seeds): the shared grid of ``x`` and the 25th, 50th
    and 75th percentiles over seeds of ``y`` at each grid point (each run carried forward
    from its last recorded row; a diverged run counts as +inf)."""
    runs = list(history.groupby("seed", sort=False, dropna=False))
    grid = _grid(history[x].to_numpy(dtype=float), log)
    stacked = []
    for _seed, run in runs:
        yv = run[y].to_numpy(dtype=float).copy()
        yv[np.isnan(yv)] = np.inf  # NaN or inf f: the run diverged there
        stacked.append(_carry(run[x].to_numpy(dtype=float), yv, grid))
    stacked = np.vstack(stacked)
    big = np.finfo(float).max
    stacked[np.isposinf(stacked)] = big  # percentiles interpolate; inf - inf would be NaN
    q = np.empty((3, stacked.shape[1]))
    gaps = np.isnan(stacked).any(axis=0)  # grid points before some run's first row
    q[:, ~gaps] = np.percentile(stacked[:, ~gaps], [25, 50, 75], axis=0)  # one vector call
    if gaps.any():  # nanpercentile goes column by column: only where it is needed
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            q[:, gaps] = np.nanpercentile(stacked[:, gaps], [25, 50, 75], axis=0)
    q[q >= big / 2] = np.inf
    return grid, q[0], q[1], q[2]


def plot_convergence(data, *, x=("iteration", "time"), measure: str = "auto",
                     instances=None, band: bool = True, title: str | None = None):
    """Convergence curves: one panel row per problem instance, one column per x axis.

    Parameters
    ----------
    data : results directory, history DataFrame (:func:`optbench.load_history`), Result or
        list of Results
    x : "iteration", "time" or both (default)
    measure : "gap", "grad_norm" or "auto" (the gap when f* is known)
    instances : list of instance labels to draw (default: all, at most 8)
    band : draw the interquartile band over seeds

    Returns a matplotlib Figure.

    Examples
    --------
    >>> res = [optbench.run("quadratic", "gd", dim=20, step=s) for s in (0.1, 1.0)]
    >>> fig = optbench.plot_convergence(res)                          # doctest: +SKIP
    """
    xs = [x] if isinstance(x, str) else list(x)
    bad = [v for v in xs if v not in AXES]
    if bad or not xs:
        raise InvalidValueError(f"x must be iteration, time or both; got {bad or xs} "
                                "(option --x)")
    hist = history_table(data)
    matplotlib_module()
    if measure not in ("auto", "gap", "grad_norm"):
        raise InvalidValueError(f"measure must be auto, gap or grad_norm; got {measure!r} "
                                "(option --measure)")
    names = ordered(hist["instance"]) if instances is None else list(instances)
    unknown = [n for n in names if n not in set(hist["instance"])]
    if unknown:
        raise InvalidValueError(f"no instance {unknown[0]!r} in these results; instances: "
                                f"{', '.join(map(str, ordered(hist['instance'])))} "
                                "(option --instance)")
    if len(names) > MAX_INSTANCES:
        names = names[:MAX_INSTANCES]
    fig, axes = new_figure(len(names), len(xs), width=6.0, height=4.2, layout="fixed")
    settings_all = ordered(hist["setting"])
    palette = dict(zip(settings_all, colours(len(settings_all)), strict=True))
    for row, name in enumerate(names):
        part = hist[hist["instance"] == name]
        y = measure_of(part) if measure == "auto" else measure
        for col, xv in enumerate(xs):
            ax = axes[row][col]
            top = 0.0
            for setting in ordered(part["setting"]):
                h = part[part["setting"] == setting]
                n_seeds = h["seed"].nunique(dropna=False) if "seed" in h else 1
                grid, q1, med, q3 = seed_quantiles(h, xv, y, log=(xv == "time"))
                statuses = sorted(set(h["status"])) if "status" in h else []
                note = "" if statuses == [CONVERGED] or not statuses else (
                    f" [{', '.join(statuses)}]")
                label = setting + (f" (median of {n_seeds})" if n_seeds > 1 else "") + note
                start = med[np.isfinite(med)][:1]
                top = max(top, float(start[0]) if len(start) else 0.0)
                ax.plot(grid, floor_positive(med), color=palette[setting], lw=1.8,
                        ls=linestyle(settings_all.index(setting)),
                        label=label, drawstyle="steps-post" if len(grid) < 40 else "default")
                if band and n_seeds > 1:
                    ax.fill_between(grid, floor_positive(q1), floor_positive(q3),
                                    color=palette[setting], alpha=0.2, lw=0)
            log_scale(ax, "y")
            if top > 0:  # diverging runs leave through the top instead of squashing the rest
                ax.set_ylim(top=top * 1e3)
            if xv == "time":
                log_scale(ax, "x")
            ax.set_xlabel(AXES[xv] + (", log scale" if xv == "time" else ""))
            ax.set_ylabel(f"{MEASURE_LABELS[y]} (log scale)")
            ax.set_title(f"{name}: {MEASURE_LABELS[y]} against {xv}", fontsize="medium")
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(fontsize="small")
    if title:
        figure_title(fig, title)
    return fig
