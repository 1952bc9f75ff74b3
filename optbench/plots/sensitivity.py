"""Step-size sensitivity: the final gap (or the iterations to tolerance) against a numeric
solver parameter, log-log, median over seeds, diverged runs marked."""

from __future__ import annotations

import numpy as np

from ..columns import CONVERGED, PARAM_PREFIX
from ..errors import InvalidValueError
from ._data import (
    MEASURE_LABELS,
    colours,
    figure_title,
    floor_positive,
    is_number,
    log_scale,
    measure_of,
    natural_key,
    new_figure,
    ordered,
    plain_log_ticks,
    runs_table,
)

__all__ = ["plot_sensitivity", "sensitivity_table"]

MEASURES = ("final", "iterations")
NOTE_HEIGHT = 0.3  # inches kept at the bottom for the note of what is left out


def _numeric_params(runs) -> list[str]:
    out = []
    for col in runs.columns:
        if not str(col).startswith(PARAM_PREFIX):
            continue
        vals = runs[col].dropna()
        numeric = vals.map(is_number)
        if numeric.sum() and vals[numeric].astype(float).nunique() > 1:
            out.append(col[len(PARAM_PREFIX):])
    return out


def sensitivity_table(data, param: str = "step", measure: str = "final"):
    """One row per (instance, solver and its other parameters, value of ``param``): the
    median over seeds of the final gap (``measure="final"``; the gradient norm when f* is
    unknown) or of the iterations to tolerance (``"iterations"``), how many seeds ran and
    how many diverged (or, for iterations, did not reach the tolerance)."""
    import pandas as pd

    if measure not in MEASURES:
        raise InvalidValueError(f"measure must be final or iterations; got {measure!r} "
                                "(option --measure)")
    runs = runs_table(data)
    column = PARAM_PREFIX + param
    candidates = _numeric_params(runs)
    if column not in runs.columns or param not in candidates:
        raise InvalidValueError(
            f"no solver parameter {param!r} takes several numeric values in these runs; "
            f"parameters that do: {', '.join(candidates) or '(none)'} (option --param)")
    numeric = runs[column].map(is_number)
    left_out = ordered(runs.loc[~numeric, "setting"]) if "setting" in runs else []
    runs = runs[numeric].copy()
    runs["_value"] = runs[column].astype(float)
    others = [PARAM_PREFIX + p for p in candidates if p != param]
    named = len(PARAM_PREFIX)
    runs["_line"] = runs["solver"].astype(str) + runs[others].astype(str).agg(
        lambda r: "".join(f", {c[named:]}={v}" for c, v in r.items()), axis=1) if others else \
        runs["solver"].astype(str)
    runs["_diverged"] = runs["diverged"].astype(bool)  # the one rule (status.diverged)
    rows = []
    for (instance, line, value), g in runs.groupby(["instance", "_line", "_value"], sort=False):
        y_name = measure_of(g) if measure == "final" else "iterations"
        if measure == "final":
            ok = g[~g["_diverged"] & np.isfinite(g[y_name].astype(float))]
            y = ok[y_name].astype(float)
            failed = len(g) - len(ok)
        else:
            solved = (g["solved"].astype(bool) if "solved" in g
                      else g["status"].eq(CONVERGED))
            its = g["iterations_to_tol"] if "iterations_to_tol" in g else g["iterations"]
            y = its[solved].astype(float)
            failed = int((~solved).sum())
        rows.append({"instance": instance, "line": line, "value": value,
                     "measure": y_name if measure == "final" else "iterations_to_tol",
                     "median": float(np.median(y)) if len(y) else np.nan,
                     "low": float(np.min(y)) if len(y) else np.nan,
                     "high": float(np.max(y)) if len(y) else np.nan,
                     "runs": len(g), "failed": failed,
                     "diverged": int(g["_diverged"].sum())})
    table = pd.DataFrame(rows).sort_values(["instance", "line", "value"], kind="stable")
    table.attrs["left_out"] = left_out  # settings whose value of param is not a number
    return table


def plot_sensitivity(data, *, param: str = "step", measure: str = "final",
                     title: str | None = None):
    """Final gap (``measure="final"``) or iterations to tolerance (``"iterations"``)
    against the solver parameter ``param``, log-log; one panel per instance, one line per
    solver (and its other parameters), the median over seeds with the range as error bars;
    diverged runs (a non-finite f, or a final f above f(x_0)) drawn as red crosses on the top
    edge.

    ``data``: a results directory, a runs table or a list of Results.

    Examples
    --------
    >>> res = [optbench.run("quadratic", "gd", dim=2, step=s) for s in (0.1, 1, 1.9, 2.1)]
    >>> fig = optbench.plot_sensitivity(res)                         # doctest: +SKIP
    """
    table = sensitivity_table(data, param, measure)
    instances = sorted(ordered(table["instance"]), key=natural_key)  # dim=10, 50, 200
    lines = ordered(table["line"])
    palette = dict(zip(lines, colours(len(lines)), strict=True))
    fig, axes = new_figure(len(instances), 1, width=7.0, height=4.6, layout="fixed")
    for ax, name in zip(axes[:, 0], instances, strict=True):
        part = table[table["instance"] == name]
        marked = drawn = False
        for line in ordered(part["line"]):
            t = part[part["line"] == line]
            ok = t[np.isfinite(t["median"])]
            y = floor_positive(ok["median"].to_numpy())
            err = np.vstack([y - floor_positive(ok["low"].to_numpy()),
                             floor_positive(ok["high"].to_numpy()) - y])
            ax.errorbar(ok["value"], y, yerr=err, fmt="-o", color=palette[line], ms=5,
                        lw=1.6, capsize=2, label=line)
            drawn = drawn or len(ok) > 0
            bad = t[t["failed"] > 0]
            if len(bad):
                ax.plot(bad["value"], np.ones(len(bad)), "x" if measure == "final" else "^",
                        color="red", ms=10, mew=2.2, clip_on=False,
                        transform=ax.get_xaxis_transform(),
                        label=None if marked else ("diverged" if measure == "final"
                                                   else "not solved"))
                marked = True
        y_name = part["measure"].iloc[0]
        ax.set_xscale("log")
        plain_log_ticks(ax.xaxis)
        log_scale(ax, "y")
        if not drawn:  # every run diverged (or none was solved): only the red marks
            ax.set_ylim(0.1, 10.0)
            ax.text(0.5, 0.5, "no run " + ("without divergence" if measure == "final"
                                           else "reached the tolerance"),
                    transform=ax.transAxes, ha="center", va="center", color="red")
        ax.set_xlabel(f"{param} (log scale)")
        ylabel = ("iterations to tolerance" if measure == "iterations"
                  else f"final {MEASURE_LABELS[y_name]}")
        ax.set_ylabel(ylabel + " (log scale)")
        ax.set_title(f"{name}: {ylabel} against {param}")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small")
    left_out = table.attrs.get("left_out", [])
    if left_out:  # say what is not drawn: a rule such as step=1/L has no place on the axis
        fig.text(0.01, 0.005, f"left out ({param} is not a number): " + ", ".join(left_out),
                 fontsize="small", ha="left", va="bottom", wrap=True)
        fig.subplots_adjust(bottom=fig.subplotpars.bottom + NOTE_HEIGHT / fig.get_figheight())
    if title:
        figure_title(fig, title)
    return fig
