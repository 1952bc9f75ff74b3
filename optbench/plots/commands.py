"""The command-line side of the plots: ``optbench plot KIND ...``, ``optbench report DIR`` and
``optbench run ... --plot FILE.png``.

:func:`add_commands` adds the ``plot`` and ``report`` subcommands to optbench's parser;
:func:`add_run_plot_option`, :func:`prepare_run_plot` and :func:`finish_run_plot` give
``optbench run`` its ``--plot`` option. Errors are optbench errors (one line, exit 2).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cli_args import pairs, parse_x0, problem_params
from ..errors import OptbenchError
from ._data import check_image_path, matplotlib_module, save_figure

__all__ = ["add_commands", "add_run_plot_option", "prepare_run_plot", "finish_run_plot",
           "plot_run", "parse_spec"]

SWEEP_KINDS = ("convergence", "sensitivity", "profiles")
PROBLEM_KINDS = ("trajectories", "theory", "classification")


# -- helpers -------------------------------------------------------------------------------------
def parse_spec(text: str) -> tuple[str, dict[str, str]]:
    """``gd:step=0.1,t0=1`` -> ("gd", {"step": "0.1", "t0": "1"}); ``nesterov`` -> ("nesterov",
    {})."""
    name, _, rest = text.partition(":")
    if not name.strip():
        raise OptbenchError(f"a solver is NAME or NAME:PARAM=VALUE,...; got {text!r}")
    return name.strip(), pairs([p for p in rest.split(",") if p.strip()],
                                f"solver {name.strip()!r}")


# -- optbench plot / optbench report ----------------------------------------------------------
def _cmd_plot(args) -> int:
    out = check_image_path(f"{args.kind}.png" if args.out is None else args.out)
    matplotlib_module()
    if args.kind == "convergence":
        from .convergence import plot_convergence

        x = ("iteration", "time") if args.x == "both" else args.x
        fig = plot_convergence(args.source, x=x, measure=args.measure,
                               instances=args.instance or None)
    elif args.kind == "sensitivity":
        from .sensitivity import plot_sensitivity

        fig = plot_sensitivity(args.source, param=args.param, measure=args.measure)
    elif args.kind == "profiles":
        from .profiles import plot_profiles

        fig = plot_profiles(args.source, cost=args.cost, kind=args.which)
    else:
        from . import plot_classification, plot_theory, plot_trajectories

        specs = [parse_spec(s) for s in args.solvers] or None
        common = {"dim": args.dim, "seed": args.seed, "problem_params": problem_params(args)}
        if args.max_iter is not None:
            common["max_iter"] = args.max_iter
        if args.kind == "trajectories":
            fig = plot_trajectories(args.source, specs, x0=parse_x0(args.x0), **common)
        elif args.kind == "theory":
            fig = plot_theory(args.source, specs, **common)
        else:
            fig = plot_classification(args.source, specs, **common)
    save_figure(fig, out)
    print(f"figure written to {out}")
    return 0


def _cmd_report(args) -> int:
    from .report import write_report

    matplotlib_module()
    path = write_report(args.directory, args.out)
    print(f"report written to {path}")
    return 0


def add_commands(sub) -> None:
    """Add ``plot`` (one subcommand per kind) and ``report`` to the subparsers ``sub``."""
    p_plot = sub.add_parser("plot", help="draw a figure of a results directory or of runs")
    kinds = p_plot.add_subparsers(dest="kind", metavar="KIND", required=True)

    def output(p):
        p.add_argument("-o", "--out", metavar="FILE",
                       help="image file: .png, .svg or .pdf (default KIND.png)")
        p.set_defaults(func=_cmd_plot)

    p = kinds.add_parser("convergence", help="gap against iteration and time (results DIR)")
    p.add_argument("source", metavar="DIR", help="a results directory (optbench sweep)")
    p.add_argument("--x", choices=("iteration", "time", "both"), default="both")
    p.add_argument("--measure", choices=("auto", "gap", "grad_norm"), default="auto")
    p.add_argument("--instance", action="append", metavar="LABEL",
                   help="only this problem instance (repeatable)")
    output(p)
    p = kinds.add_parser("sensitivity", help="final gap or iterations against a step size")
    p.add_argument("source", metavar="DIR", help="a results directory (optbench sweep)")
    p.add_argument("--param", default="step", help="the solver parameter (default step)")
    p.add_argument("--measure", choices=("final", "iterations"), default="final")
    output(p)
    p = kinds.add_parser("profiles", help="performance and data profiles (results DIR)")
    p.add_argument("source", metavar="DIR", help="a results directory (optbench sweep)")
    p.add_argument("--cost", choices=("iterations", "time", "nfev", "ngev", "simplex"),
                   default="iterations",
                   help="what it costs to solve a problem: iterations, seconds, evaluations of "
                        "f (nfev) or of the gradient (ngev), or simplex gradients (nfev/(n+1), "
                        "More & Wild's data-profile unit)")
    p.add_argument("--kind", dest="which", choices=("both", "performance", "data"),
                   default="both")
    output(p)
    helps = {"trajectories": "iterates on the contours of a 2-D problem (default: gd with "
                             "steps 0.1/L, 1/L, 2.1/L)",
             "theory": "GD bound on a quadratic, mistake bound on separable data",
             "classification": "decision boundaries on 2-D labelled data, mistakes per epoch"}
    for kind in PROBLEM_KINDS:
        p = kinds.add_parser(kind, help=helps[kind])
        p.add_argument("source", metavar="PROBLEM")
        p.add_argument("solvers", nargs="*", metavar="SOLVER",
                       help="NAME or NAME:PARAM=VALUE,... e.g. gd:step=0.01 (repeatable)")
        p.add_argument("--dim", type=int, help="problem dimension (families that take one)")
        p.add_argument("--seed", type=int, help="problem seed")
        p.add_argument("-P", action="append", metavar="NAME=VALUE",
                       help="problem parameter (repeatable)")
        p.add_argument("--data", metavar="NAME|FILE", help="dataset of problems that take one")
        p.add_argument("--max-iter", dest="max_iter", type=int, help="iterations of every run")
        if kind == "trajectories":
            p.add_argument("--x0", help="start point, numbers separated by commas")
        output(p)

    p_rep = sub.add_parser("report", help="one self-contained HTML report of a results DIR")
    p_rep.add_argument("directory", metavar="DIR")
    p_rep.add_argument("-o", "--out", metavar="FILE.html",
                       help="where to write it (default DIR/report.html)")
    p_rep.set_defaults(func=_cmd_report)


# -- optbench run --plot -----------------------------------------------------------------------
@dataclass
class RunPlot:
    path: Path
    problem: Any


def add_run_plot_option(p_run) -> None:
    p_run.add_argument("--plot", metavar="FILE.png",
                       help="draw the run: convergence, and the trajectory for 1-D/2-D problems")


def prepare_run_plot(args, problem_params: dict) -> RunPlot | None:
    """Before the run: check --plot's file and matplotlib; for a 1-D or 2-D problem, turn
    ``record_x`` on (unless given) so that the trajectory can be drawn."""
    if getattr(args, "plot", None) is None:
        return None
    path = check_image_path(args.plot, "--plot")
    matplotlib_module()
    from ..registry import make_problem, problem_options

    problem = make_problem(args.problem, **problem_options(args.dim, args.seed, problem_params))
    if problem.dim <= 2 and getattr(args, "record_x", None) is None:
        args.record_x = True
    return RunPlot(path, problem)


def plot_run(result, problem=None):
    """The picture of one run: the gap (or gradient norm) against iteration and time, and,
    when the iterates of a 1-D or 2-D problem were recorded, the trajectory."""
    from matplotlib.ticker import NullFormatter

    from ._data import new_figure
    from .convergence import AXES
    from .trajectories import draw_trajectories

    traj = problem is not None and result.iterates is not None and problem.dim <= 2
    fig, axes = new_figure(1, 3 if traj else 2, width=5.4, height=4.6)
    cols = result.columns
    y_name = "gap" if result.f_star is not None else "grad_norm"
    y = cols[y_name].copy()
    y[y <= 0] = 1e-16
    for ax, xv in zip(axes[0], ("iteration", "time"), strict=False):
        ax.plot(cols[xv], y, "-", lw=1.8, color="tab:blue", marker="o" if len(y) < 40 else "",
                ms=3)
        ax.set_yscale("log")
        if xv == "time":
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(AXES[xv] + (", log scale" if xv == "time" else ""))
        ax.set_ylabel(("f(x_k) - f*" if y_name == "gap" else "||grad f(x_k)||")
                      + " (log scale)")
        ax.set_title(f"{y_name.replace('_', ' ')} against {xv}")
        ax.grid(True, alpha=0.3)
    if traj:
        draw_trajectories(axes[0][2], problem, [result], title="iterates")
    gap = result.summary.get("gap", math.nan)
    fig.suptitle(f"{result.problem} / {result.solver}: {result.status} after "
                 f"{result.iterations} iterations"
                 + (f", gap {gap:.2e}" if math.isfinite(gap) else ""))
    return fig


def finish_run_plot(plot: RunPlot | None, result) -> None:
    if plot is None:
        return
    save_figure(plot_run(result, plot.problem), plot.path)
    print(f"figure written to {plot.path}", file=sys.stdout)
