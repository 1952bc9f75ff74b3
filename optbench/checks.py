"""Generated checks of a solver, ours or a user's: ``optbench check SOLVER``.

For every registered problem the solver claims to fit (:func:`~optbench.registry.fits`
with its default parameters), a small instance (dimension 3, else 2, 4 or 5; a problem of
fixed dimension as it is) is run twice for ``max_iter`` iterations (50), and the runs must
show what every optbench run promises:

* the run ends with one of the status words of :data:`optbench.status.STATUSES`;
* the history is well formed: its columns are ``HISTORY_COLUMNS`` plus the extra columns
  the solver declares (named apart from the table's own), the iteration column counts up
  from 0, the evaluation counts ``nfev``, ``ngev``, ``nhev`` and the ``time`` column never
  decrease, the last row is the iteration the solver reports, and f is finite unless the run
  ``diverged``;
* it is deterministic: the second run gives the same x and the same table (the time column
  aside);
* a stop claimed by the gradient test is real: the last row's gradient norm is <= tol.

The solver is compiled once per kind of problem (problems that share their compiled
functions share the compiled solver), so a check costs about the solver's compile time per
kind (see NUMBA.md) the first time, and a second or so once the compiled-code cache holds it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .columns import (
    CONVERGED,
    DIVERGED,
    HISTORY_COLUMNS,
    ID_COLUMNS,
    MEASURE_COLUMNS,
    PARAM_PREFIX,
    X_PREFIX,
)
from .control import RUN_OPTIONS
from .errors import InvalidTypeError, InvalidValueError, OptbenchError, UnknownNameError
from .harness import run
from .registry import Solver, fits, get_family, get_solver, make_problem, problem_names
from .status import GRAD_TOL, STATUSES, describe
from .usercode import gist

__all__ = ["ProblemCheck", "SolverReport", "check_solver", "check_run", "MAX_ITER", "DIMS"]

MAX_ITER = 50             # iterations of every checked run
DIMS = (3, 2, 4, 5)       # dimensions tried, in order, for problems that take one
_TOL = next(p.default for p in RUN_OPTIONS if p.name == "tol")
_COUNTS = ("nfev", "ngev", "nhev")


@dataclass(frozen=True)
class ProblemCheck:
    """The check of one solver on one problem: passed, and why not (or how the run ended)."""

    problem: str
    dim: int | None
    passed: bool
    reason: str

    def line(self) -> str:
        dim = "" if self.dim is None else f" (dim {self.dim})"
        return f"{'PASS' if self.passed else 'FAIL'}  {self.problem}{dim}: {self.reason}"


@dataclass
class SolverReport:
    """The checks of one solver: one :class:`ProblemCheck` per problem it fits, and the
    problems left out (``(name, reason)``: it does not fit them, no small instance could be
    built, or the solver's default parameters refuse the instance, e.g. a batch larger than
    its data)."""

    solver: str
    checks: list[ProblemCheck] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check passed (and there was at least one)."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[ProblemCheck]:
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        passed = len(self.checks) - len(self.failures)
        if not self.checks:
            text = f"{self.solver}: FAIL, it fits none of the problems checked"
        else:
            text = (f"{self.solver}: {'PASS' if self.passed else 'FAIL'}, {passed} of "
                    f"{len(self.checks)} problems pass")
        if self.left_out:
            text += (f"; {len(self.left_out)} left out (not fitting): "
                     + ", ".join(name for name, _ in self.left_out))
        return text

    def lines(self) -> list[str]:
        return [c.line() for c in self.checks] + [self.summary()]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _small_instance(name: str):
    """A small instance of problem ``name``: dimension 3, else the first of DIMS it accepts;
    a problem of fixed dimension as it is."""
    if get_family(name).param("dim") is None:
        return make_problem(name)
    refused = None
    for dim in DIMS:
        try:
            return make_problem(name, dim=dim)
        except InvalidValueError as exc:
            refused = exc
    raise refused


def check_run(first, second, solver: Solver, dim: int, tol: float = _TOL,
              max_iter: int = MAX_ITER) -> str | None:
    """Why two runs of ``solver`` on one instance break optbench's promises, or None (see
    the module doc). ``first`` and ``second`` are :class:`~optbench.Result` s."""
    return (_well_formed(first, solver, dim, max_iter) or _deterministic(first, second)
            or _honest(first, tol))


def _well_formed(result, solver: Solver, dim: int, max_iter: int) -> str | None:
    if result.status not in STATUSES:
        return f"status {result.status!r} is none of {', '.join(STATUSES)}"
    extra = tuple(result.extra_columns)
    table_own = (*MEASURE_COLUMNS, *ID_COLUMNS)
    for column in extra:
        if column in table_own or column.startswith((X_PREFIX, PARAM_PREFIX)) or \
                extra.count(column) > 1:
            return (f"extra column {column!r} clashes with the table's own columns (or is "
                    "declared twice): name it apart from "
                    f"{', '.join(table_own)}, x_*, p_*")
    history = np.asarray(result.history)
    expected = len(HISTORY_COLUMNS) + len(extra)
    if history.ndim != 2 or history.shape[1] != expected or history.shape[0] == 0:
        return (f"history has shape {history.shape}; expected rows of {expected} columns "
                f"({', '.join(HISTORY_COLUMNS)} and the declared extra columns "
                f"{list(extra)}): a solver declares every extra column it fills")
    col = dict(zip(HISTORY_COLUMNS, history.T, strict=False))
    k = col["iteration"]
    if k[0] != 0 or not np.all(k == np.round(k)) or not np.all(np.diff(k) > 0):
        return f"iteration column is not 0, 1, ... increasing: {_head(k)}"
    iterations = result.summary.get("iterations")
    if k[-1] != iterations:
        return (f"the last row is iteration {k[-1]:g} but the solver reports {iterations} "
                "iterations")
    if iterations > max_iter:
        return f"ran {iterations} iterations, more than max_iter={max_iter}"
    for name in (*_COUNTS, "time"):
        values = col[name]
        if not np.all(np.isfinite(values)) or np.any(values < 0) or \
                np.any(np.diff(values) < 0):
            row = _first_bad(values)
            return (f"{name} column is not finite, >= 0 and non-decreasing (from row {row}: "
                    f"{_head(values[max(row - 1, 0):])})")
    if result.status != DIVERGED:
        if not np.all(np.isfinite(col["f"])):
            return (f"f is not finite at row {int(np.argmin(np.isfinite(col['f'])))} but the "
                    f"status is {result.status!r}, not 'diverged'")
        x = np.asarray(result.x)
        if x.shape != (dim,) or not np.all(np.isfinite(x)):
            return f"x has shape {x.shape} or entries that are not finite; expected ({dim},)"
    return None


def _first_bad(values: np.ndarray) -> int:
    bad = ~np.isfinite(values) | (values < 0)
    bad[1:] |= np.diff(values) < 0
    return int(np.argmax(bad))


def _head(values: np.ndarray) -> str:
    shown = ", ".join(f"{v:g}" for v in values[:6])
    return f"[{shown}{', ...' if len(values) > 6 else ''}]"


def _deterministic(first, second) -> str | None:
    if first.status != second.status or first.iterations != second.iterations:
        return (f"not deterministic: two runs ended {first.status} after {first.iterations} "
                f"and {second.status} after {second.iterations} iterations")
    a, b = np.asarray(first.history), np.asarray(second.history)
    if a.shape != b.shape:
        return f"not deterministic: two runs gave histories of shapes {a.shape} and {b.shape}"
    names = HISTORY_COLUMNS + tuple(first.extra_columns)
    for j, name in enumerate(names):
        if name == "time":
            continue
        differs = ~((a[:, j] == b[:, j]) | (np.isnan(a[:, j]) & np.isnan(b[:, j])))
        if differs.any():
            row = int(np.argmax(differs))
            return (f"not deterministic: two runs differ in column {name} from row {row} "
                    f"({float(a[row, j])!r} and {float(b[row, j])!r})")
    if not np.array_equal(first.x, second.x, equal_nan=True):
        return "not deterministic: two runs returned different x"
    return None


def _honest(result, tol: float) -> str | None:
    """A stop by the gradient test must have the gradient norm it claims."""
    claim = describe(GRAD_TOL, tol=tol)[1]
    if result.status == CONVERGED and result.message.startswith(claim):
        last = float(result.history[-1, HISTORY_COLUMNS.index("grad_norm")])
        if not last <= tol:
            return (f"claims converged by the gradient test ({claim}) but its last row has "
                    f"grad_norm = {last:.6g} > {tol:g}")
    return None


def _names(problems) -> list[str]:
    if problems is None:
        return problem_names()
    if isinstance(problems, str):
        problems = [n.strip() for n in problems.split(",") if n.strip()]
    if not isinstance(problems, Sequence) or not problems:
        raise InvalidValueError(f"problems must be problem names (a list, or A,B); got "
                                f"{problems!r} (option --problems)")
    for name in problems:
        try:
            get_family(name)
        except UnknownNameError as exc:  # listing the valid ones, naming the option
            raise UnknownNameError(f"{exc} (option --problems)") from None
    return list(dict.fromkeys(problems))


def check_solver(solver, *, problems=None, max_iter: int = MAX_ITER,
                 on_check: Callable[[ProblemCheck], None] | None = None) -> SolverReport:
    """Check ``solver`` (a name or a :class:`~optbench.Solver`) on every problem it fits.

    Parameters
    ----------
    solver : str or Solver
        A registered name (built-in, or loaded from a solvers directory, the
        ``OPTBENCH_SOLVERS_PATH`` variable or the ``optbench.solvers`` entry points).
    problems : list of str or "A,B", optional
        The problems to check on (default: every registered problem).
    max_iter : int
        Iterations of each run (default 50).
    on_check : callable, optional
        Called with each :class:`ProblemCheck` as it is done (the CLI prints it).

    Returns
    -------
    SolverReport
        ``.passed``, ``.checks`` (one per problem: ``passed``, ``reason``), ``.left_out``,
        ``.lines()``.

    Examples
    --------
    >>> report = optbench.check_solver("gd", problems=["quadratic", "rosenbrock"])
    >>> report.passed
    True
    """
    if isinstance(solver, str):
        solver = get_solver(solver)
    elif not isinstance(solver, Solver):
        raise InvalidTypeError(f"solver must be a name or an optbench Solver; got "
                               f"{type(solver).__name__}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise InvalidValueError(f"max_iter must be an integer >= 1; got {max_iter!r} "
                                "(option --max-iter)")
    report = SolverReport(solver.name)
    for name in _names(problems):
        try:
            problem = _small_instance(name)
        except OptbenchError as exc:
            report.left_out.append((name, f"no small instance: {exc}"))
            continue
        reason = fits(problem, solver)
        if reason:
            report.left_out.append((name, reason))
            continue
        try:
            check = _check_problem(solver, problem, max_iter)
        except InvalidValueError as exc:  # the solver's defaults refuse this instance
            report.left_out.append((name, f"its default parameters do not fit: {exc}"))
            continue
        report.checks.append(check)
        if on_check is not None:
            on_check(check)
    return report


def _check_problem(solver: Solver, problem, max_iter: int) -> ProblemCheck:
    def outcome(passed: bool, reason: str) -> ProblemCheck:
        return ProblemCheck(problem.name, problem.dim, passed, reason)

    runs = []
    for _ in range(2):
        try:
            runs.append(run(problem, solver, max_iter=max_iter, tol=_TOL))
        except InvalidValueError:  # refused before any work: the caller leaves it out
            raise
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - any error of the run is the check's finding
            return outcome(False, f"the run raised {gist(exc)}")
    failure = check_run(*runs, solver, problem.dim, _TOL, max_iter)
    if failure:
        return outcome(False, failure)
    first = runs[0]
    f = first.summary["f"]
    shown = f"f={f:.6g}" if math.isfinite(f) else f"f={f}"
    return outcome(True, f"{first.status} after {first.iterations} iterations, {shown}")
