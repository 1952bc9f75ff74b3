"""What every plot shares: matplotlib on demand, figures, and turning inputs into tables.

Plot functions accept a results directory (written by :func:`optbench.sweep`), the tables of
:func:`optbench.load_runs` / :func:`optbench.load_history`, one :class:`~optbench.Result` or a
list of them. This module turns any of these into the two tidy tables the plots read:

* a *history* table, one row per recorded iteration, with ``instance, setting, seed,
  status, iteration, time, f, gap, grad_norm`` (and ``x_1 ...`` when recorded);
* a *runs* table, one row per run, with ``instance, setting, solver, seed, status, iterations,
  f, gap, grad_norm, diverged`` and the ``p_<name>`` solver parameters.

matplotlib is imported only when a figure is made; figures are plain
``matplotlib.figure.Figure`` objects (no pyplot state, the Agg renderer when saved).
"""

from __future__ import annotations

import io
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import PARAM_PREFIX
from ..errors import InvalidTypeError, InvalidValueError, MissingDependencyError
from ..paths import output_file
from ..status import diverged

if TYPE_CHECKING:
    from ..results import Result

INSTALL_HINT = 'pip install "optbench[plot]"'
IMAGE_FORMATS = (".png", ".svg", ".pdf")
GAP_FLOOR = 1e-16  # gaps at or below this are drawn at it (a log axis cannot show 0)


# -- matplotlib ----------------------------------------------------------------------------------
def matplotlib_module():
    """matplotlib, with the Agg backend, or a MissingDependencyError naming the extra."""
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError(f"plots need matplotlib: {INSTALL_HINT}") from None
    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")
    return matplotlib


# fixed margins (inches) of layout="fixed": tick labels and an axis label on the left and
# at the bottom, a one-line title on top; between panels, the next panel's left margin
MARGINS = {"left": 0.85, "right": 0.25, "bottom": 0.6, "top": 0.4}
GAPS = {"w": 1.0, "h": 1.05}
SUPTITLE_HEIGHT = 0.35  # inches added on top for a figure title


def new_figure(nrows: int = 1, ncols: int = 1, *, width: float = 6.4, height: float = 4.6,
               layout: str = "constrained", **subplot_kw):
    """A Figure of nrows x ncols panels of the given size each, and its axes as a 2-D array.

    ``layout="constrained"`` lets matplotlib fit the margins to their contents (it measures
    every label, which costs about as much as drawing); ``layout="fixed"`` uses the fixed
    ``MARGINS``, for figures of plain panels: a title, tick and axis labels, a legend
    inside the axes."""
    matplotlib_module()
    from matplotlib.figure import Figure

    fixed = layout == "fixed"
    fig = Figure(figsize=(width * ncols, height * nrows), layout=None if fixed else layout)
    axes = fig.subplots(nrows, ncols, squeeze=False, subplot_kw=subplot_kw or None)
    if fixed:
        w, h = width * ncols, height * nrows
        panel_w = (w - MARGINS["left"] - MARGINS["right"] - (ncols - 1) * GAPS["w"]) / ncols
        panel_h = (h - MARGINS["bottom"] - MARGINS["top"] - (nrows - 1) * GAPS["h"]) / nrows
        fig.subplots_adjust(left=MARGINS["left"] / w, right=1 - MARGINS["right"] / w,
                            bottom=MARGINS["bottom"] / h, top=1 - MARGINS["top"] / h,
                            wspace=GAPS["w"] / panel_w, hspace=GAPS["h"] / panel_h)
    return fig, axes


def figure_title(fig, text: str) -> None:
    """``fig.suptitle(text)``; with fixed margins, the panels move down to make room."""
    fig.suptitle(text)
    if fig.get_layout_engine() is None:
        fig.subplots_adjust(top=fig.subplotpars.top - SUPTITLE_HEIGHT / fig.get_figheight())


def log_scale(ax, which: str = "y") -> None:
    """A log scale on ``ax``'s x or y axis, cheap to draw: plain labels (1e-06, 0.01, 1,
    100) instead of typeset powers of ten, and no minor ticks."""
    matplotlib_module()
    from matplotlib.ticker import LogFormatter, NullLocator

    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_formatter(LogFormatter(labelOnlyBase=True))
    axis.set_minor_locator(NullLocator())


def colours(n: int) -> list:
    """n distinguishable colours (tab10, then tab20 for more)."""
    matplotlib_module()
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


LINESTYLES = ("-", "--", "-.", ":")


def linestyle(i: int) -> str:
    """The i-th line style: with the colours, keeps overlapping lines distinguishable."""
    return LINESTYLES[i % len(LINESTYLES)]


def plain_log_ticks(axis) -> None:
    """Plain numbers (1, 2, 5, 10, 100) on a log axis, no minor ticks."""
    matplotlib_module()
    from matplotlib.ticker import LogLocator, NullLocator, StrMethodFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(StrMethodFormatter("{x:g}"))
    axis.set_minor_locator(NullLocator())


def save_figure(fig, path) -> Path:
    """Write ``fig`` to ``path`` (.png, .svg or .pdf; the directory must exist)."""
    path = Path(path)
    check_image_path(path)
    fig.savefig(path, dpi=120)
    return path


def check_image_path(path, option: str = "--out") -> Path:
    """An image file that can be written (see :mod:`optbench.paths`)."""
    return output_file(path, option, tuple(IMAGE_FORMATS))


def png_bytes(fig, dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# -- labels --------------------------------------------------------------------------------------
def _fmt(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)


def setting_labels(results: Sequence[Result]) -> list[str]:
    """``solver(name=value, ...)`` for each result, naming only the parameters that differ
    between results of the same solver (``gd(step=0.1)``, ``gd(step=1)``, ``nesterov``)."""
    labels = []
    for r in results:
        same = [o for o in results if o.solver == r.solver]
        varying = [k for k in r.params
                   if len({_fmt(o.params.get(k)) for o in same}) > 1]
        inner = ", ".join(f"{k}={_fmt(r.params[k])}" for k in varying)
        labels.append(f"{r.solver}({inner})" if inner else r.solver)
    return labels


def instance_label(result: Result) -> str:
    dim = result.identity.get("dim")
    return f"{result.problem}(dim={dim})" if dim is not None else result.problem


# -- inputs --------------------------------------------------------------------------------------
def _sweep_api():
    import optbench

    missing = [n for n in ("load_runs", "load_history") if not hasattr(optbench, n)]
    if missing:
        raise MissingDependencyError("reading a results directory needs optbench's sweeps "
                                     f"(optbench.{missing[0]} is not available)")
    return optbench


def is_result(value) -> bool:
    """Whether ``value`` is an optbench Result, without importing optbench.results (which
    loads the compiled solvers): no Result exists before that module is loaded."""
    results = sys.modules.get("optbench.results")
    return results is not None and isinstance(value, results.Result)


def _as_results(data) -> list[Result] | None:
    if is_result(data):
        return [data]
    if isinstance(data, list | tuple) and data and all(is_result(r) for r in data):
        return list(data)
    return None


def _is_frame(data) -> bool:
    return type(data).__name__ == "DataFrame" and hasattr(data, "columns")


def check_results_dir(path) -> Path:
    path = Path(path)
    if not path.is_dir():
        raise InvalidValueError(f"results directory {str(path)!r} does not exist (give the "
                                "directory an optbench sweep wrote)")
    if not (path / "manifest.json").is_file():
        raise InvalidValueError(f"{str(path)!r} is not an optbench results directory (no "
                                "manifest.json): give the directory an optbench sweep wrote")
    return path


def history_table(data):
    """The history table of ``data`` (a results directory, a history DataFrame, a Result or
    a list of Results)."""
    import pandas as pd

    results = _as_results(data)
    if results is not None:
        frames = []
        for r, label in zip(results, setting_labels(results), strict=True):
            t = r.table.copy()
            t["instance"] = instance_label(r)
            t["setting"] = label
            t["status"] = r.status
            t["seed"] = t["seed"].fillna(-1) if "seed" in t else -1
            frames.append(t)
        return pd.concat(frames, ignore_index=True)
    if isinstance(data, str | Path):
        return _sweep_api().load_history(check_results_dir(data))
    if _is_frame(data):
        if "iteration" not in data.columns:
            raise InvalidValueError("this table has no 'iteration' column: convergence and "
                                    "trajectory plots need the history (optbench.load_history)"
                                    ", not the runs table")
        return data
    raise InvalidTypeError("expected a results directory, a history DataFrame, an "
                           f"optbench.Result or a list of Results; got {type(data).__name__}")


def runs_table(data):
    """The runs table of ``data`` (a results directory, a runs DataFrame, a Result or a list
    of Results)."""
    import pandas as pd

    results = _as_results(data)
    if results is not None:
        rows = []
        for r, label in zip(results, setting_labels(results), strict=True):
            s = r.summary
            row: dict[str, Any] = {
                "problem": r.problem, "solver": r.solver, "instance": instance_label(r),
                "setting": label, "seed": r.identity.get("seed"), "dim": r.identity.get("dim"),
                "seeded": r.identity.get("seeded", True),
                "status": r.status, "iterations": s["iterations"],
                "f0": float(r.columns["f"][0]), "f": s["f"],
                "gap": s["gap"], "grad_norm": s["grad_norm"],
                "solve_seconds": s["solve_seconds"],
                "diverged": diverged(r.status, s["f"], float(r.columns["f"][0]))}
            row.update({PARAM_PREFIX + k: v for k, v in r.params.items()})
            rows.append(row)
        return pd.DataFrame(rows)
    if isinstance(data, str | Path):
        return _sweep_api().load_runs(check_results_dir(data))
    if _is_frame(data):
        return data
    raise InvalidTypeError("expected a results directory, a runs DataFrame, an "
                           f"optbench.Result or a list of Results; got {type(data).__name__}")


def measure_of(table) -> str:
    """'gap' when the table knows f* (some finite gap), else 'grad_norm'."""
    if "gap" in table.columns and np.isfinite(table["gap"].to_numpy(dtype=float)).any():
        return "gap"
    return "grad_norm"


MEASURE_LABELS = {"gap": "f(x_k) - f*", "grad_norm": "||grad f(x_k)||"}


def floor_positive(values: np.ndarray, floor: float = GAP_FLOOR) -> np.ndarray:
    """Values for a log axis: at least ``floor``; inf and NaN kept (drawn as gaps)."""
    out = np.array(values, dtype=float)
    finite = np.isfinite(out)
    out[finite] = np.maximum(out[finite], floor)
    return out


def integer_ticks(axis) -> None:
    """Ticks at whole numbers only, for axes that count (epochs, mistakes, points)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def natural_key(label) -> list:
    """Sort key reading the numbers in a label as numbers: dim=10 < dim=50 < dim=200."""
    parts = re.split(r"([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)", str(label))
    return [(0, float(p), "") if i % 2 else (1, 0.0, p) for i, p in enumerate(parts) if p]


def ordered(values) -> list:
    """Unique values in order of first appearance."""
    seen: dict = {}
    for v in values:
        seen.setdefault(v, None)
    return list(seen)


def is_number(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool) and math.isfinite(float(value))
