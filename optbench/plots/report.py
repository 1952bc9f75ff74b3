"""``optbench report DIR``: one self-contained static HTML file for a results directory.

Everything is inside the file: the figures as embedded PNG images (base64 ``data:`` URLs), the
summary tables, the sweep's configuration and the environment it ran in. No scripts, no
external style sheets or fonts: it opens the same offline, in a mail attachment or in CI.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import math
from pathlib import Path

from ..errors import InvalidValueError
from ..paths import output_file
from ..status import FAILED_STATUSES
from ._data import check_results_dir, png_bytes
from .convergence import plot_convergence
from .profiles import cost_matrix, plot_profiles
from .sensitivity import _numeric_params, plot_sensitivity
from .trajectories import MAX_SETTINGS, plot_sweep_paths, sweep_paths

__all__ = ["write_report", "report_html"]

REPORT_NAME = "report.html"
MAX_SENSITIVITY = 2  # parameters drawn

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 2em auto; max-width: 1250px; padding: 0 1.5em; color: #1d1d1f;
       background: #ffffff; line-height: 1.45; }
h1 { border-bottom: 3px solid #2f6fb3; padding-bottom: .3em; }
h2 { margin-top: 2em; color: #2f6fb3; border-bottom: 1px solid #d0d7de; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.8em; }
th, td { border: 1px solid #d0d7de; padding: 4px 9px; text-align: right; }
th { background: #eef3f9; }
td:first-child, td:nth-child(2), th:first-child, th:nth-child(2) { text-align: left; }
tr:nth-child(even) td { background: #f8fafc; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: 1em; overflow-x: auto; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #d0d7de; }
figcaption { color: #57606a; font-size: 0.9em; }
.meta { color: #57606a; }
.status-converged { color: #1a7f37; } .status-diverged { color: #cf222e; }
"""


def _img(fig, caption: str) -> str:
    data = base64.b64encode(png_bytes(fig, dpi=90)).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _fmt_cell(value) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.4g}"
    return str(value)


def _table(frame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for c in frame.columns:
            text = html.escape(_fmt_cell(row[c]))
            cls = f' class="status-{text}"' if c == "status" else ""
            cells.append(f"<td{cls}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _summary_frame(runs):
    import optbench

    summary = optbench.summarize(runs)
    keep = ["instance", "setting", "runs", "solved", "iterations_median", "iterations_q1",
            "iterations_q3", "seconds_median", "final_gap_median", "diverged", "failed",
            "errors"]
    names = {"iterations_median": "it. to tol (median)", "iterations_q1": "q1",
             "iterations_q3": "q3", "final_gap_median": "final gap (median)"}
    summary = summary[[c for c in keep if c in summary.columns]].copy()
    if "solved" in summary:
        summary["solved"] = [f"{v:.0%}" for v in summary["solved"]]
    if "seconds_median" in summary:
        summary["seconds_median"] = summary["seconds_median"] * 1e3
        summary = summary.rename(columns={"seconds_median": "ms to tol (median)"})
    return summary.rename(columns=names)


def _section(title: str, body: str) -> str:
    return f"<h2>{html.escape(title)}</h2>\n{body}\n"


def _trajectory_caption(sp) -> str:
    source = ("as the sweep recorded them (run option record_x)" if not sp.rerun else
              "from the sweep's runs repeated here with the sweep's run options and record_x "
              "(the sweep did not record its iterates)" if len(sp.rerun) == len(sp.settings)
              else f"as the sweep recorded them, except {', '.join(sp.rerun)}: repeated here "
                   "with record_x")
    every = (f", one point every {sp.record_every} iterations (record_every)"
             if sp.record_every > 1 else "")
    text = (f"{sp.instance}, seed {sp.seed} (the first of the sweep): the iterates of "
            f"{len(sp.settings)} solver setting{'s' if len(sp.settings) != 1 else ''} on the "
            f"contours of f{every}, {source}. White square: the start x_0; diamond: the last "
            "iterate drawn; gold star: the minimizer(s).")
    if sp.left_out:
        text += (f" Left out (at most {MAX_SETTINGS} settings per figure): "
                 f"{', '.join(sp.left_out)}.")
    if sp.errors:
        text += f" Not drawn, their run raised an error: {', '.join(sp.errors)}."
    return text


def _figure(what: str, make) -> str:
    """The ``<figure>`` of ``make()`` (a figure and its caption), or, when drawing it fails,
    one line saying which figure and why: the rest of the report is kept."""
    try:
        fig, caption = make()
        return _img(fig, caption)
    except Exception as exc:  # this figure only; the message is shown, not swallowed
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        return (f'<p class="meta figure-error">The {html.escape(what)} could not be drawn: '
                f"{html.escape(message)}</p>")


def _trajectory_figure(root, runs, instance: str):
    sp = sweep_paths(root, instance, runs=runs)
    return plot_sweep_paths(sp), _trajectory_caption(sp)


def _figures(root, runs, history) -> list[str]:
    parts = []
    instances = list(dict.fromkeys(history["instance"])) if len(history) else []
    if instances:
        shown = instances[:6]
        parts.append(_section("Convergence", _figure("convergence figure", lambda: (
            plot_convergence(history, instances=shown),
            "Gap f(x_k) - f* (gradient norm where f* is unknown) against iteration and "
            "time: median over seeds, band from the first to the third quartile"
            + (f" (first {len(shown)} of {len(instances)} instances)"
               if len(shown) < len(instances) else "")))))
    params = [p for p in _numeric_params(runs)][:MAX_SENSITIVITY]
    for param in params:
        parts.append(_section(f"Sensitivity to {param}", _figure(
            f"sensitivity figure of {param}", lambda param=param: (
                plot_sensitivity(runs, param=param),
                f"Final gap against {param} (log-log), median over seeds with its range; "
                "red crosses: diverged runs"))))
    if runs["setting"].nunique() > 1 and runs["solved"].any():
        body = []
        if len(cost_matrix(runs, "iterations")) < 2:  # a profile of one problem: 0 then 1
            body.append('<p class="meta">No profiles: they compare the settings over several '
                        "problems, and this sweep has one (its costs are in the summary table)."
                        "</p>")
        else:
            for cost in ("iterations", "time"):
                if cost_matrix(runs, cost).replace(math.inf, math.nan).notna().any().any():
                    body.append(_figure(f"profiles on {cost}", lambda cost=cost: (
                        plot_profiles(runs, cost=cost),
                        f"Dolan-More performance profile and More-Wild data profile on {cost} "
                        "to the solved level")))
        if body:
            parts.append(_section("Profiles", "\n".join(body)))
    dims = runs.dropna(subset=["dim"]).groupby("instance", sort=False)["dim"].first()
    flat = [instance for instance, dim in dims.items() if int(dim) == 2]
    if flat:
        parts.append(_section("Trajectories of the 2-D problems", "\n".join(
            _figure(f"trajectory figure of {instance}",
                    lambda instance=instance: _trajectory_figure(root, runs, instance))
            for instance in flat)))
    return parts


def report_html(directory) -> str:
    """The HTML text of the report for the results directory ``directory``."""
    import optbench
    from optbench.store import load_manifest

    root = check_results_dir(directory)
    manifest = load_manifest(root)
    runs = optbench.load_runs(root)
    if not len(runs):
        raise InvalidValueError(f"results directory {str(root)!r} holds no finished cells yet "
                                "(run the sweep first)")
    history = optbench.load_history(root)
    config = manifest.get("config", {})
    solved = config.get("solved", 1e-6)
    counts = runs.pivot_table(index="setting", columns="status", values="cell",
                              aggfunc="count", fill_value=0, sort=False).reset_index()
    counts.columns.name = None
    problems = runs[["instance", "seed"]].drop_duplicates()
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    intro = (f'<p class="meta">Results directory <code>{html.escape(str(root))}</code>: '
             f"{len(runs)} runs, {runs['instance'].nunique()} problem instances x "
             f"{runs['seed'].nunique()} seeds ({len(problems)} problems), "
             f"{runs['setting'].nunique()} solver settings. A run counts as solved when "
             f"f(x_k) <= f_L + {solved:g} (f(x_0) - f_L), f_L = f* where known, else the best f"
             f" reached on the problem. Config hash <code>"
             f"{html.escape(str(manifest.get('config_hash', '')))}</code>; report written "
             f"{now}.</p>")
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>optbench report: {html.escape(root.name)}</title>"
             f"<style>{_STYLE}</style></head><body>",
             f"<h1>optbench report: {html.escape(root.name)}</h1>", intro,
             _section("Summary per problem instance and solver setting",
                      _table(_summary_frame(runs))
                      + "<p class=\"meta\">iterations and ms to tolerance over the solved "
                        "runs (median, quartiles); final gap median over all runs.</p>"),
             _section("Run outcomes", _table(counts))]
    bad = runs[runs["status"].isin(FAILED_STATUSES)]
    if len(bad):
        parts.append(_section("Runs that failed", _table(
            bad[["instance", "setting", "seed", "status", "message"]])))
    parts.extend(_figures(root, runs, history))
    env = {"versions": manifest.get("versions", {}), "machine": manifest.get("machine", {})}
    for heading, value in (("Sweep configuration", config), ("Environment", env)):
        text = html.escape(json.dumps(value, indent=2, default=str), quote=False)
        parts.append(_section(heading, f"<pre>{text}</pre>"))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(directory, out=None) -> Path:
    """Write the report of the results directory ``directory`` to ``out`` (default
    ``DIR/report.html``) and return its path.

    Examples
    --------
    >>> optbench.write_report("results/")                            # doctest: +SKIP
    PosixPath('results/report.html')
    """
    root = check_results_dir(directory)
    path = output_file(out if out is not None else root / REPORT_NAME, "-o/--out",
                       (".html", ".htm"))
    text = report_html(root)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
