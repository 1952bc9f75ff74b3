"""Names in one place: the columns of a run's history and tables, and the status words.

Every other module imports these (:mod:`optbench.control`, :mod:`optbench.results`,
:mod:`optbench.status` and :mod:`optbench.store` re-export the ones they always offered).
Plain Python, no NumPy: the command line's help and the readers of results import it.

Positions of the history's columns (``COL_F`` ...) are plain int globals: compiled code
(:mod:`optbench.solvers._loop`) reads them as compile-time constants.
"""

from __future__ import annotations

__all__ = ["HISTORY_COLUMNS", "COL_ITERATION", "COL_F", "COL_GRAD_NORM", "COL_STEP",
           "COL_TIME", "COL_NFEV", "COL_NGEV", "COL_NHEV", "COL_DIST", "MEASURE_COLUMNS",
           "ID_COLUMNS", "X_PREFIX", "PARAM_PREFIX", "RUN_COLUMNS", "HISTORY_PREFIX",
           "CONVERGED", "DIVERGED", "STATUSES", "METHOD_FAILURES", "ERROR", "CRASHED",
           "NO_OUTCOME", "FAILED_STATUSES", "CELL_STATUSES"]

# -- a run's history: the compiled loop's rows, in this order, then the solver's extras, then
# x_1 ... x_n when the run records its iterates
HISTORY_COLUMNS = ("iteration", "f", "grad_norm", "step", "time", "nfev", "ngev", "nhev",
                   "dist")
(COL_ITERATION, COL_F, COL_GRAD_NORM, COL_STEP, COL_TIME, COL_NFEV, COL_NGEV, COL_NHEV,
 COL_DIST) = range(len(HISTORY_COLUMNS))

# -- a run's table (optbench.results): the history's columns with gap = f - f* after f, the
# solver's own, the iterate's x_1 ... x_n, then the run's identity and p_<name> per parameter
MEASURE_COLUMNS = (*HISTORY_COLUMNS[:COL_GRAD_NORM], "gap", *HISTORY_COLUMNS[COL_GRAD_NORM:])
ID_COLUMNS = ("problem", "solver", "dim", "seed")
X_PREFIX = "x_"      # iterate coordinates: x_1 ... x_n (1-based, as in the formulas)
PARAM_PREFIX = "p_"  # a solver parameter's column: p_step

# -- a sweep's runs table (optbench.store.load_runs), before problem_<name> and p_<name>
RUN_COLUMNS = ("cell", "problem", "solver", "dim", "seed", "instance", "setting", "status",
               "message", "iterations", "f0", "f", "f_star", "f_star_tol", "gap", "grad_norm",
               "nfev", "ngev", "nhev", "solve_seconds", "f_target", "solved",
               "iterations_to_tol", "seconds_to_tol", "nfev_to_tol", "ngev_to_tol",
               "diverged")
HISTORY_PREFIX = "h_"  # a history column in a results directory's part files: h_f, h_time

# -- status words: how a run ended (optbench.status maps the compiled reason codes to them)
CONVERGED = "converged"
DIVERGED = "diverged"
STATUSES = (CONVERGED, "max_iter", "time_limit", "precision_limit", DIVERGED, "failed",
            "line_search_failed", "interrupted")
METHOD_FAILURES = ("failed", "line_search_failed")  # the outcomes that are a method's failure
# sweep-only words, for cells that could not run to an outcome
ERROR = "error"      # the run raised
CRASHED = "crashed"  # it killed its worker process, twice
NO_OUTCOME = (ERROR, CRASHED)
FAILED_STATUSES = (*METHOD_FAILURES, *NO_OUTCOME)
CELL_STATUSES = (*STATUSES, *NO_OUTCOME)  # what a sweep's cell may hold
