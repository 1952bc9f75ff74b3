"""The ``optbench`` command: list, info, run, check, sweep, results, plot, report, cache.

Bad input of any kind prints one line (``optbench: error: ...``) and exits with status 2.
``optbench run`` exits 0 when the run converged, 3 when it stopped before its tolerance
(max_iter, time_limit, precision_limit), 4 when it failed (diverged, failed,
line_search_failed); ``optbench sweep`` exits 0 when every cell ran, 4 when some cell raised;
``optbench check`` exits 0 when every check passed, 1 when one failed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback

import numpy as np

from .cli_args import pairs, parse_x0, problem_params
from .errors import InvalidValueError, OptbenchError
from .faults import SweepError
from .plots.commands import add_commands as add_plot_commands
from .plots.commands import add_run_plot_option, finish_run_plot, prepare_run_plot
from .status import EXIT_BAD_INPUT, EXIT_ERRORS, EXIT_FAULT, EXIT_SIGNAL, NO_OUTCOME, exit_code

EXIT_USAGE = EXIT_BAD_INPUT
_HEAD_ROWS = 5
_EXIT_HELP = ("exit status: 0 converged; 3 stopped before the tolerance (max_iter, time_limit, "
              "precision_limit); 4 failed (diverged, failed, line_search_failed); 2 bad input; "
              "130 interrupted")
# options whose value may start with "-" (a negative first coordinate: --x0 -1.2,1)
_VALUES_MAY_START_WITH_MINUS = ("--x0",)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2.

    ``late(parser)`` adds the options whose definitions live in the compiled-solver modules
    (the run options, check's defaults); it runs when this command is parsed or its help is
    shown, so that ``optbench report`` and the like never import numba or the solvers."""

    def __init__(self, *args, late=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._late = late

    def _add_late_options(self) -> None:
        if self._late is not None:
            late, self._late = self._late, None
            late(self)

    def parse_known_args(self, args=None, namespace=None):
        self._add_late_options()
        return super().parse_known_args(args, namespace)

    def format_help(self):
        self._add_late_options()
        return super().format_help()

    def error(self, message):  # noqa: D401 - argparse API
        raise OptbenchError(f"{message} (see `{self.prog} --help`)")


def _load_dirs(args) -> None:
    """The directories of problem and solver files named before the command or after it
    (merged into ``args.problems_dir`` / ``args.solvers_dir``), loaded."""
    for kind in ("problems", "solvers"):
        dirs = [*(getattr(args, f"{kind}_dir", None) or ()),
                *(getattr(args, f"sub_{kind}_dir", None) or ())]
        setattr(args, f"{kind}_dir", dirs)
        for directory in dirs:
            from .registry import load_code_dir  # only then: the registry loads the solvers

            load_code_dir(directory, kind)


def _code_dir_options(p) -> None:
    """--problems-dir / --solvers-dir after a command too (``optbench run P S --solvers-dir
    DIR``); before the command they are the main parser's."""
    for kind, word in (("problems", "problem"), ("solvers", "solver")):
        p.add_argument(f"--{kind}-dir", dest=f"sub_{kind}_dir", action="append",
                       metavar="DIR", help=f"load extra {word} files from DIR (repeatable; "
                                           f"also OPTBENCH_{kind.upper()}_PATH)")


# -- commands -------------------------------------------------------------------------------------
def _defaults(params) -> str:
    return "  ".join(f"{p.name}={_fmt(p.default)}" for p in params)


def _list_set(name: str) -> int:
    """The problems of one set: name, parameters, n, m, f* and what f* is."""
    from .errors import unknown_name
    from .registry import get_problem_set, make_problem, problem_set_names

    problem_set = get_problem_set(name)
    if problem_set is None:
        raise unknown_name("problem set", name, problem_set_names(), where="option --set")
    print(f"{problem_set.name}: {problem_set.summary} ({len(problem_set.entries)} problems)")
    labels = [family + (f"({', '.join(f'{k}={_fmt(v)}' for k, v in params.items())})"
                        if params else "") for family, params in problem_set.entries]
    width = max(map(len, labels))
    for label, (family, params) in zip(labels, problem_set.entries, strict=True):
        problem = make_problem(family, **params)
        m = problem.extra.get("m")
        kind = problem.extra.get("f_star_kind")
        print(f"  {label:<{width}}  n={problem.dim:<3} " + (f"m={m:<3} " if m is not None else "")
              + f"f*={_fmt(problem.f_star)}" + (f" ({kind})" if kind else ""))
    return 0


def _cmd_list(args) -> int:
    from .registry import (
        get_family,
        get_problem_set,
        get_solver,
        problem_names,
        problem_set_names,
        solver_names,
    )

    what = args.what
    if args.set:
        return _list_set(args.set)
    if what in ("sets", "all"):
        print("problem sets (optbench sweep --problems SET; list one with --set SET):")
        for name in problem_set_names():
            problem_set = get_problem_set(name)
            print(f"  {name:<18} {problem_set.summary} ({len(problem_set.entries)} problems)")
        if what == "all":
            print()
    if what in ("problems", "all"):
        print("problems:")
        for name in problem_names():
            fam = get_family(name)
            print(f"  {name:<18} {fam.summary}")
            if fam.params:
                print(f"  {'':<18}   {_defaults(fam.params)}")
    if what in ("solvers", "all"):
        if what == "all":
            print()
        solvers = [get_solver(n) for n in solver_names()]
        for family in sorted({s.family for s in solvers}):
            print(f"solvers: {family}")
            for s in (s for s in solvers if s.family == family):
                needs = ", ".join(sorted(s.needs)) or "f only"
                print(f"  {s.name:<18} {s.summary}   [needs {needs}]")
                if s.shortcut_of:
                    base = get_solver(s.shortcut_of)
                    changed = [p for p, q in zip(s.params, base.params, strict=True)
                               if p.default != q.default]
                    print(f"  {'':<18}   = {base.name} " + (" ".join(
                        f"-p {p.name}={_fmt(p.default)}" for p in changed) or "(a second name)"))
                elif s.params:
                    print(f"  {'':<18}   {_defaults(s.params)}")
                if not s.shortcut_of:
                    print(f"  {'':<18}   table at {s.table_point}")
    return 0


def _fmt(value) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)



def _cmd_info(args) -> int:
    from .registry import (
        fits,
        get_family,
        make_problem,
        problem_options,
        solver_names,
    )
    from .usercode import check_problem

    problem = make_problem(args.problem,
                           **problem_options(args.dim, args.seed, problem_params(args)))
    check_problem(problem)  # a user's problem: its functions checked (usercode.py)
    facts = problem.describe()
    family = get_family(args.problem)
    print(f"{problem.name}: {family.summary}")
    print(f"  formula     {facts['formula']}")
    print(f"  dimension   {facts['dimension']}")
    shown = {k: v for k, v in facts["parameters"].items() if v is not None}
    if shown:
        print("  parameters  " + ", ".join(f"{k}={v}" for k, v in shown.items()))
    if "dataset" in problem.extra:
        print(f"  data        {problem.extra['dataset']}")
    print(f"  f*          {_fmt(facts['f_star'])}"
          + (f"  (accurate to {facts['f_star_tol']:.3g})" if facts["f_star_tol"] else ""))
    source = problem.extra.get("f_star_source")
    if source:
        kind = problem.extra.get("f_star_kind")
        print(f"  f* source   {source}" + (f" ({kind})" if kind else ""))
    if problem.x_star is not None and problem.dim <= 10:
        print("  x*          [" + ", ".join(f"{v:.6g}" for v in problem.x_star) + "]")
    elif len(problem.minimizers) > 1:
        print(f"  minimizers  {len(problem.minimizers)}: " + "; ".join(
            "[" + ", ".join(f"{v:.6g}" for v in m) + "]" for m in problem.minimizers))
    print(f"  L, mu       {_fmt(facts['L'])}, {_fmt(facts['mu'])}"
          + (f"  (condition {facts['condition']:.4g})" if facts["condition"] else ""))
    print(f"  convex      {facts['convex']}    smooth {facts['smooth']}    "
          f"Hessian {facts['hessian']}    labelled {facts['labelled']}")
    if facts["notes"]:
        print(f"  notes       {facts['notes']}")
    if facts["reference"]:
        print(f"  reference   {facts['reference']}")
    fitting, not_fitting = [], []
    for name in solver_names():
        reason = fits(problem, name)
        (not_fitting.append(f"{name} ({reason})") if reason else fitting.append(name))
    print(f"  solvers     {', '.join(fitting)}")
    for line in not_fitting:
        print(f"  not fitting {line}")
    return 0


def _format_table(columns: dict, rows: int) -> str:
    """Head and tail rows of the measured columns, aligned, without pandas."""
    columns = {k: v for k, v in columns.items()  # what the problem does not know: left out
               if not (k in ("gap", "dist") and np.all(np.isnan(v)))}
    n = len(columns["iteration"])
    picked = list(range(n)) if n <= 2 * rows else [*range(rows), -1, *range(n - rows, n)]
    cells = {name: [("..." if i < 0 else (f"{v[i]}" if v.dtype.kind == "i"
                                          else f"{v[i]:.6g}")) for i in picked]
             for name, v in columns.items()}
    widths = {k: max(len(k), *(len(c) for c in col)) for k, col in cells.items()}
    lines = ["  ".join(k.rjust(widths[k]) for k in cells)]
    for r in range(len(picked)):
        lines.append("  ".join(cells[k][r].rjust(widths[k]) for k in cells))
    return "\n".join(lines)


def _cmd_run(args) -> int:
    from .control import RUN_OPTIONS
    from .harness import Interrupted, run
    from .results import check_output_path

    def notify(label):
        print(f"optbench: compiling {label} (first run only; later runs load it from the "
              "cache)...", file=sys.stderr, flush=True)

    if args.rows < 0:
        raise InvalidValueError(f"rows must be an integer >= 0; got {args.rows} (option --rows)")
    if args.out is not None:
        check_output_path(args.out)
    given = problem_params(args)
    plot = prepare_run_plot(args, given)
    options = {o.name: getattr(args, o.name) for o in RUN_OPTIONS}
    stopped_by = 0
    try:
        result = run(args.problem, args.solver, dim=args.dim, seed=args.seed,
                     x0=parse_x0(args.x0), problem_params=given,
                     solver_params=pairs(args.p, "-p"), on_compile=notify,
                     progress=not args.quiet, **options)
    except Interrupted as exc:  # the run so far is shown and saved, then the exit says so
        if exc.result is None:
            raise
        result, stopped_by = exc.result, exc.signal
    if args.out is not None:
        result.save(args.out)
    print(_format_table(result.columns, args.rows))
    print(result.summary_line())
    if args.out is not None:
        print(f"table written to {args.out}")
    if stopped_by:
        return EXIT_SIGNAL + stopped_by
    finish_run_plot(plot, result)
    return exit_code(result.status)


def _cmd_sweep(args) -> int:
    from .control import RUN_OPTIONS
    from .grid import config_from_options, load_config
    from .store import format_summary, summarize
    from .sweep import sweep

    shorthand = (args.problems, args.solvers, args.p, args.P, args.dim)
    if args.config is not None:
        if any(shorthand):
            raise OptbenchError("give problems and solvers either in CONFIG or with "
                                "--problems/--solvers/-p/-P/--dim, not both")
        config = dict(load_config(args.config))
    else:
        config = config_from_options(problems=args.problems, solvers=args.solvers,
                                     solver_params=args.p, problem_params=args.P,
                                     dims=args.dim)
    if args.seeds is not None:
        config["seeds"] = args.seeds
    if args.solved is not None:
        config["solved"] = args.solved
    given = {o.name: getattr(args, o.name) for o in RUN_OPTIONS
             if getattr(args, o.name, None) is not None}
    if given:
        config["run"] = {**config.get("run", {}), **given}
    if args.problems_dir:
        config["problems_dirs"] = [*config.get("problems_dirs", []), *args.problems_dir]
    if args.solvers_dir:
        config["solvers_dirs"] = [*config.get("solvers_dirs", []), *args.solvers_dir]
    cores = os.cpu_count() or 1
    if args.workers is not None and args.workers > cores:
        print(f"optbench: warning: --workers {args.workers} is more than this machine's {cores} "
              "cores: the workers share them (and each holds its own copy of the compiled "
              "code)", file=sys.stderr)
    runs = sweep(config, args.out, workers=args.workers, scheduler=args.scheduler,
                 progress=not args.no_progress, retry_errors=args.retry_errors,
                 worker_timeout=args.worker_timeout, yes=args.yes)
    for line in runs.attrs.get("skipped", ()):
        print(f"skipped (does not fit): {line}")
    print(format_summary(summarize(runs)))
    retried = len(runs.attrs.get("retried", ()))
    errors = int(runs["status"].isin(NO_OUTCOME).sum()) if len(runs) else 0
    print(f"{len(runs)} cells in {args.out}"
          + (f"; {retried} of them ran again after an error" if retried else "")
          + (f"; {errors} raised an error or crashed (status error / crashed; "
             "--retry-errors runs those in error again)" if errors else ""))
    return EXIT_ERRORS if errors else 0


def _cmd_check(args) -> int:
    from .checks import check_solver

    report = check_solver(args.solver, problems=args.problems, max_iter=args.max_iter,
                          on_check=lambda check: print(check.line(), flush=True))
    print(report.summary())
    return 0 if report.passed else 1


def _cmd_results(args) -> int:
    from .store import format_summary, load_history, load_runs, summarize

    if args.history and args.out is None:
        raise OptbenchError("--history says what --out writes (every recorded iteration); "
                            "give --out FILE.csv|FILE.parquet with it")
    if args.out is not None:  # only then: optbench.results imports the compiled solvers
        from .results import check_output_path, save_table

        check_output_path(args.out)
    runs = load_runs(args.dir)
    print(format_summary(summarize(runs)))
    if args.out is not None:
        save_table(load_history(args.dir) if args.history else runs, args.out)
        print(f"{'history' if args.history else 'runs'} table written to {args.out}")
    return 0


def _cmd_cache(args) -> int:
    from . import cache

    if args.action == "clear":
        files, size = cache.clear(optima=not args.keep_optima)
        print(f"removed {files} cache files ({size / 2**20:.1f} MiB)")
        return 0
    if args.action == "prune":
        result = cache.prune()
        if result is None:
            raise OptbenchError("another optbench process is using the compiled-code cache; "
                                "nothing was pruned (run `optbench cache prune` again once "
                                "it has finished)")
        print(f"removed {result[0]} cache files ({result[1] / 2**20:.1f} MiB) that no loaded "
              "code can use")
        return 0
    for what, directory, files, size in cache.describe():
        print(f"{what:14} {files:5} files {size / 2**20:8.1f} MiB  {directory}")
    entries = cache.functions()
    if entries:
        print(f"compiled functions ({len(entries)}, largest first; limit "
              f"{cache.size_limit() / 2**20:.0f} MiB, {cache.ENV_LIMIT}):")
        for e in entries[:args.rows]:
            state = (f"{e.entries:3d} entr{'y' if e.entries == 1 else 'ies'}" if e.live
                     else "  not loaded (prune removes it)")
            print(f"  {e.bytes / 2**20:8.2f} MiB  {state}  {e.name}")
        if len(entries) > args.rows:
            print(f"  ... {len(entries) - args.rows} more (--rows N)")
    return 0


# -- parser ----------------------------------------------------------------------------------------
def add_run_options(parser) -> None:
    """The run options (``RUN_OPTIONS``) as ``--max-iter N`` ...; booleans as plain flags.
    Unset options stay None, so that a sweep's config keeps its own values."""
    from .control import RUN_OPTIONS

    for opt in RUN_OPTIONS:
        flag = "--" + opt.name.replace("_", "-")
        if opt.kind is bool:
            parser.add_argument(flag, dest=opt.name, action="store_const", const=True,
                                help=opt.doc)
        else:
            parser.add_argument(flag, dest=opt.name,
                                help=f"{opt.doc} (default {_fmt(opt.default)})")


def _join_minus_values(argv: list[str]) -> list[str]:
    """``--x0 -1.2,1`` -> ``--x0=-1.2,1``: argparse would read -1.2,1 as an option."""
    out = []
    i = 0
    while i < len(argv):
        if argv[i] in _VALUES_MAY_START_WITH_MINUS and i + 1 < len(argv):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="optbench", epilog=_EXIT_HELP, description=(
        "Run and compare optimization algorithms; every solver is compiled by numba."))
    parser.add_argument("--version", action="version", version=f"optbench {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback with an error (also OPTBENCH_DEBUG=1)")
    parser.add_argument("--problems-dir", action="append", metavar="DIR",
                        help="load extra problem files from DIR (repeatable; also "
                             "OPTBENCH_PROBLEMS_PATH)")
    parser.add_argument("--solvers-dir", action="append", metavar="DIR",
                        help="load extra solver files from DIR (repeatable; also "
                             "OPTBENCH_SOLVERS_PATH)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p_list = sub.add_parser("list", help="list problems, problem sets and solvers")
    p_list.add_argument("what", nargs="?", default="all",
                        choices=("problems", "sets", "solvers", "all"))
    p_list.add_argument("--set", metavar="SET",
                        help="list the problems of one problem set (mgh, more-wild...)")
    _code_dir_options(p_list)
    p_list.set_defaults(func=_cmd_list)

    def problem_options(p):
        p.add_argument("--data", metavar="NAME|FILE",
                       help="dataset of problems that take data: a generator, a bundled "
                            "dataset (iris ...) or a .csv/.npz/.parquet file")
        p.add_argument("--target", metavar="COLUMN", help="the target column of --data FILE")
        p.add_argument("--standardize", action="store_true",
                       help="features of --data to zero mean and unit variance")
        p.add_argument("--dim", type=int, help="problem dimension (families that take one)")
        p.add_argument("--seed", type=int, help="seed of the problem's data (and of solvers "
                                                "that shuffle, unless -p seed=S is given)")
        p.add_argument("-P", action="append", metavar="NAME=VALUE",
                       help="problem parameter, e.g. -P cond=1e4 (repeatable)")

    p_info = sub.add_parser("info", help="formula, dimension, constants and fitting solvers")
    p_info.add_argument("problem")
    problem_options(p_info)
    _code_dir_options(p_info)
    p_info.set_defaults(func=_cmd_info)

    p_run = sub.add_parser("run", help="run a solver on a problem, print the convergence table",
                           epilog=_EXIT_HELP, late=add_run_options)
    p_run.add_argument("problem")
    p_run.add_argument("solver")
    p_run.add_argument("-p", action="append", metavar="NAME=VALUE",
                       help="solver parameter, e.g. -p step=0.1 (repeatable)")
    problem_options(p_run)
    p_run.add_argument("--x0", help="start point, numbers separated by commas (--x0 -1.2,1)")
    p_run.add_argument("-o", "--out", metavar="FILE", help="write the table to FILE.csv or "
                                                            "FILE.parquet")
    p_run.add_argument("--rows", type=int, default=_HEAD_ROWS,
                       help=f"rows shown at the head and the tail (default {_HEAD_ROWS})")
    p_run.add_argument("--quiet", action="store_true",
                       help="no progress line (shown on a terminal once a run lasts a second)")
    add_run_plot_option(p_run)
    _code_dir_options(p_run)
    p_run.set_defaults(func=_cmd_run)
    add_plot_commands(sub)

    p_sweep = sub.add_parser(
        "sweep", help="run problems x solvers x parameters x seeds into a results directory",
        description="Run every cell of a grid (problems x solver settings x seeds) into a "
                    "resumable results directory, in parallel. Give the grid in CONFIG "
                    "(TOML) or with --problems/--solvers/-p/-P/--dim. Re-running the same "
                    "command resumes: finished cells are skipped, including those that ended "
                    "in an error unless --retry-errors is given.",
        epilog="exit status: 0 when every cell ran, whatever its outcome; 4 when some cell "
               "raised an error or crashed its worker; 5 when the sweep stopped on a fault of "
               "the machine or of its workers (finished cells kept); 2 bad input; 130 / 143 "
               "interrupted (Ctrl-C / SIGTERM)",
        late=add_run_options)
    p_sweep.add_argument("config", nargs="?", metavar="CONFIG", help="a sweep config (.toml)")
    p_sweep.add_argument("--out", required=True, metavar="DIR", help="the results directory")
    p_sweep.add_argument("--problems", metavar="A,B",
                         help="problem names or problem sets (mgh, more-wild: "
                              "`optbench list sets`)")
    p_sweep.add_argument("--solvers", metavar="X,Y", help="solver names")
    p_sweep.add_argument("-p", action="append", metavar="[SOLVER.]NAME=V1,V2",
                         help="a solver parameter's grid, e.g. -p gd.step=0.01,0.1,1 "
                              "(repeatable; unqualified: every solver that has it)")
    p_sweep.add_argument("-P", action="append", metavar="[PROBLEM.]NAME=V1,V2",
                         help="a problem parameter's grid, e.g. -P quadratic.cond=10,1e4")
    p_sweep.add_argument("--dim", metavar="N1,N2", help="dimensions (problems that take one)")
    p_sweep.add_argument("--seeds", metavar="A-B|A,B", help="seeds, e.g. 0-4 (default 0)")
    p_sweep.add_argument("--solved", type=float, metavar="TAU",
                         help="a run is solved once f <= f_L + TAU (f(x0) - f_L), f_L = f* "
                              "or the best f found on that instance (default 1e-6)")
    p_sweep.add_argument("--workers", type=int, metavar="N",
                         help="worker processes (default: one per core; 1: in this process)")
    p_sweep.add_argument("--scheduler", metavar="ADDRESS",
                         help="run on this dask.distributed scheduler (tcp://host:8786)")
    p_sweep.add_argument("--worker-timeout", type=float, default=60.0, metavar="SECONDS",
                         help="with --scheduler: how long to wait for a dask worker, at the "
                              "start and whenever the cluster has none, before stopping "
                              "(default 60)")
    p_sweep.add_argument("--yes", action="store_true",
                         help="run a grid of more than 100,000 cells (refused without it)")
    p_sweep.add_argument("--no-progress", action="store_true",
                         help="no progress bar (off a terminal: a plain line per tenth of "
                              "the cells)")
    p_sweep.add_argument("--retry-errors", action="store_true",
                         help="run again the finished cells whose run raised (status error), "
                              "e.g. after fixing a data file; each new result replaces the "
                              "old one. Other finished cells are still skipped")
    _code_dir_options(p_sweep)
    p_sweep.set_defaults(func=_cmd_sweep)

    def check_iterations(p):
        from .checks import MAX_ITER

        p.add_argument("--max-iter", type=int, default=MAX_ITER, metavar="N",
                       help=f"iterations of each run (default {MAX_ITER})")

    p_check = sub.add_parser(
        "check", help="check a solver (yours or a built-in) on every problem it fits",
        description="Run SOLVER twice on a small instance (dimension 3, else 2, 4 or 5) of "
                    "every problem it fits and check what every run promises: a known "
                    "status; a well-formed history (the standard columns plus the solver's "
                    "declared extra columns, iterations counting from 0, evaluation counts "
                    "and time never decreasing, the last row the reported iteration, f "
                    "finite unless diverged); determinism (the same x and table, time "
                    "aside); a stop by the gradient test that meets tol. Prints one line "
                    "per problem, PASS or FAIL with the reason, then a summary.",
        epilog="exit status: 0 when every check passed; 1 when one failed; 2 bad input (an "
               "unknown solver or problem); 130 interrupted", late=check_iterations)
    p_check.add_argument("solver")
    p_check.add_argument("--problems", metavar="A,B",
                         help="check on these problems only (default: every registered "
                              "problem)")
    _code_dir_options(p_check)
    p_check.set_defaults(func=_cmd_check)

    p_results = sub.add_parser("results", help="summarize a results directory",
                               description="Load a sweep's results directory and print, per "
                                           "problem and solver setting: runs, share solved, "
                                           "iterations and milliseconds to tolerance (median "
                                           "[quartiles]), final gap, diverged and failed runs.")
    p_results.add_argument("dir", metavar="DIR")
    p_results.add_argument("-o", "--out", metavar="FILE", help="write the runs table (one row "
                                                                "per cell) to FILE.csv or "
                                                                "FILE.parquet")
    p_results.add_argument("--history", action="store_true",
                           help="with --out: write every recorded iteration instead")
    p_results.set_defaults(func=_cmd_results)

    p_cache = sub.add_parser("cache", help="show or clear optbench's caches (compiled code, "
                                           "known optima)")
    p_cache.add_argument("action", nargs="?", default="info",
                         choices=("info", "clear", "prune"),
                         help="info: where the caches are, their size, and size and entries "
                              "per compiled function; prune: remove what no loaded code can "
                              "use (also done by run/sweep/info when the cache passes "
                              "OPTBENCH_CACHE_LIMIT_MB, default 2048); clear: remove them "
                              "all (compiled code is rebuilt on the next run)")
    p_cache.add_argument("--keep-optima", action="store_true",
                         help="with clear: keep the cached known optima")
    p_cache.add_argument("--rows", type=int, default=30,
                         help="with info: functions listed (default 30)")
    p_cache.set_defaults(func=_cmd_cache)
    return parser


def _debug(argv) -> bool:
    """--debug on the command line or OPTBENCH_DEBUG=1: full tracebacks with errors."""
    args = sys.argv[1:] if argv is None else argv
    return "--debug" in args or os.environ.get("OPTBENCH_DEBUG", "") not in ("", "0")


def _prune_if_large() -> None:
    from .cache import prune_if_large

    line = prune_if_large()
    if line:
        print(f"optbench: {line}", file=sys.stderr)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C: the same clean stop, exit status 143."""

    signal = signal.SIGTERM


def _on_sigterm(signum, frame):
    raise Terminated()


def main(argv=None) -> int:
    parser = build_parser()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        args = parser.parse_args(_join_minus_values(sys.argv[1:] if argv is None else argv))
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        _load_dirs(args)
        if args.func in (_cmd_run, _cmd_sweep, _cmd_info, _cmd_check):
            _prune_if_large()
        return args.func(args)
    except OptbenchError as exc:  # bad input; anything else is a bug and keeps its traceback
        if _debug(argv):
            traceback.print_exc()
        print(f"optbench: error: {exc}", file=sys.stderr)
        return EXIT_FAULT if isinstance(exc, SweepError) else EXIT_USAGE
    except KeyboardInterrupt as exc:
        number = getattr(exc, "signal", signal.SIGINT)
        if not getattr(exc, "reported", False):
            from .board import signal_name

            print(f"optbench: interrupted ({signal_name(number)})", file=sys.stderr)
        return EXIT_SIGNAL + number
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
