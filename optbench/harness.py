"""The Python side of a run: validate, compile (once, timed apart), run, build the table."""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _numba
from .board import new_board, signal_name, watch
from .columns import HISTORY_COLUMNS
from .control import RUN_OPTIONS, Control, control_for, run_options
from .errors import InvalidTypeError, InvalidValueError, OptbenchError
from .params import coerce_all
from .problem import Problem
from .registry import (
    Solver,
    fitted_plan,
    get_solver,
    make_problem,
    named_values,
    problem_options,
)
from .results import Result
from .status import GRAD_TOL, REL_GRAD_TOL, describe
from .usercode import UserCodeError, check_problem, gist, is_user_function, location

__all__ = ["run", "RUN_OPTIONS", "Interrupted"]

_HISTORY_MEMORY_SHARE = 0.25  # refuse a history larger than this share of the machine's memory
COMPILE_NOTICE_AFTER = 0.5  # seconds of warm-up before saying "compiling"


def _resolve_problem(problem, options: dict) -> Problem:
    """The problem named ``problem`` built with ``options`` (see
    :func:`~optbench.registry.problem_options`), or the given instance checked against them."""
    dim = options.get("dim")
    if isinstance(problem, Problem):
        if dim is not None and int(dim) != problem.dim:
            raise InvalidValueError(f"dim={dim} given with a problem instance of dimension "
                                    f"{problem.dim}; drop dim or build the problem again")
        return problem
    if not isinstance(problem, str):
        raise InvalidTypeError(f"problem must be a name or an optbench.Problem; "
                               f"got {type(problem).__name__}")
    return make_problem(problem, **options)


def _resolve_solver(solver) -> Solver:
    if isinstance(solver, Solver):
        return solver
    if not isinstance(solver, str):
        raise InvalidTypeError(f"solver must be a name or an optbench Solver; "
                               f"got {type(solver).__name__}")
    return get_solver(solver)


def _start_point(x0, problem: Problem) -> np.ndarray:
    if x0 is None:
        return problem.x0.copy()
    try:
        x = np.array(x0, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"x0 must be a vector of numbers; got {x0!r}") from None
    x = np.atleast_1d(x)
    if x.shape != (problem.dim,):
        raise InvalidValueError(f"x0 must have shape ({problem.dim},) for problem "
                                f"{problem.name!r}; got shape {x.shape} (option x0)")
    if not np.all(np.isfinite(x)):
        raise InvalidValueError(f"x0 has non-finite entries: {x.tolist()} (option x0)")
    return np.ascontiguousarray(x)


def _check_history_size(max_iter: int, record_every: int, n_columns: int) -> None:
    rows = max_iter // record_every + 2
    need = rows * n_columns * 8
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return
    if need > _HISTORY_MEMORY_SHARE * total:
        raise InvalidValueError(
            f"max_iter={max_iter} with record_every={record_every} would keep {rows:,} table "
            f"rows ({need / 2**30:.1f} GiB, more than a quarter of this machine's memory); "
            "raise record_every or lower max_iter")


@contextlib.contextmanager
def _about_user_code(problem: Problem, solver: Solver, entry=None):
    """An error raised while compiling or running ``solver`` (its compiled ``entry``) on a
    user's problem names the problem's own functions (their files and lines), and a user's
    solver its entry; other errors pass unchanged."""
    try:
        yield
    except OptbenchError:
        raise
    except Exception as exc:
        user = [fn for fn in problem.oracle[:4] + (problem.oracle.batch,)
                if fn is not None and is_user_function(fn)]
        entry = solver.entry if entry is None else entry
        if hasattr(entry, "py_func") and is_user_function(entry) and not user:
            raise UserCodeError(
                f"solver {solver.name!r} ({location(entry)}) stopped on an error on problem "
                f"{problem.name!r}: {gist(exc)}\n"
                "  (optbench --debug, or OPTBENCH_DEBUG=1, shows the full error)") from exc
        if not user:
            raise
        raise UserCodeError(
            f"problem {problem.name!r}: solver {solver.name!r} stopped on an error from the "
            f"problem's code ({gist(exc)})\n  its functions: "
            + "; ".join(location(fn) for fn in user)
            + "\n  (optbench --debug, or OPTBENCH_DEBUG=1, shows the full error)") from exc


def _warm_up(entry, args: tuple, on_compile: Callable[[str], None] | None,
             label: str) -> tuple[float, bool, Callable]:
    """Compile (or load from the disk cache) a compiled entry for these argument types.

    Returns the seconds that took, whether it came from the disk cache, and the compiled
    code for these types: calling it directly skips numba's typing of the arguments (about
    0.1 ms per call for an oracle tuple; see :mod:`optbench._numba`). Nothing to do when
    this process has already compiled the entry for arguments of these types."""
    if not _numba.is_compiled(entry):  # a Python solver (optbench.external): no compiling
        return 0.0, False, entry
    key = _numba.type_key(args)
    code = _numba.compiled_code(entry, key)
    if code is not None:
        return 0.0, False, code
    _numba.prepare(entry)
    hits_before = _numba.cache_hits(entry)
    timer = None
    if on_compile is not None and not _numba.cache_holds(entry, args):  # compiling, not loading
        timer = threading.Timer(COMPILE_NOTICE_AFTER, on_compile, args=(label,))
        timer.daemon = True
        timer.start()
    t = time.perf_counter()
    try:
        entry(*args)
    finally:
        if timer is not None:
            timer.cancel()
    seconds = time.perf_counter() - t
    code = _numba.remember_code(entry, args, key)
    return seconds, _numba.cache_hits(entry) > hits_before, code


def run(problem, solver, *, dim: int | None = None, seed: int | None = None,
        max_iter: int | None = None, tol: float | None = None, gap_tol: float | None = None,
        time_limit: float | None = None, record_every: int | None = None,
        record_x: bool | None = None, rtol: float | None = None, ftol: float | None = None,
        ftol_window: int | None = None, x0=None,
        problem_params: dict[str, Any] | None = None,
        solver_params: dict[str, Any] | None = None,
        on_compile: Callable[[str], None] | None = None, progress: bool = False,
        **more_solver_params) -> Result:
    """Run ``solver`` on ``problem`` and return a :class:`~optbench.results.Result`.

    Parameters
    ----------
    problem, solver : str or object
        Registry names (``"quadratic"``, ``"gd"``) or a ``Problem`` / ``Solver``.
    dim, seed : int, optional
        Problem dimension and seed (the seed also seeds solvers that shuffle, unless
        ``solver_params`` gives them a seed of their own).
    max_iter, tol, gap_tol, time_limit, record_every, record_x
        Stopping and recording options (see ``RUN_OPTIONS``); ``gap_tol`` applies only when
        the problem knows f*; ``record_x=True`` keeps the iterate in every table row
        (columns ``x_1 ... x_n``, and ``Result.iterates``).
    x0 : array, optional
        Start point; the problem's own by default.
    progress : bool
        Show a progress line on stderr, when it is a terminal, once the run has lasted a
        second (``optbench run`` does, unless ``--quiet``).
    on_compile : callable, optional
        Called with a label (``"gd for quadratic"``) when numba has been compiling the
        solver for this problem for ``COMPILE_NOTICE_AFTER`` (0.5) seconds; never when the
        disk cache holds the code (loading it, however slow, is not compiling).
    problem_params : dict, optional
        Further problem parameters (``{"cond": 1e4}``).
    solver_params, **more_solver_params
        The solver's parameters, as a dict or as keywords (``step=0.1``); a solver parameter
        named like an argument of ``run`` (the shuffling solvers' ``seed``) goes in the dict.

    Notes
    -----
    Called again with the same ``Problem`` instance and the same arguments, ``run`` reuses
    what it validated and planned the first time (while the problem's fields, its oracle
    and its minimizers are unchanged), so that a short run costs tens of microseconds of
    Python; a problem given by name is built on every call.

    Raises
    ------
    Interrupted
        (a ``KeyboardInterrupt``) when Ctrl-C or SIGTERM arrives during the run, called from
        the main thread: the compiled loop stops at its next checkpoint (within about 10 ms
        of running) and ``exc.result`` is the Result so far, status ``interrupted``.

    Examples
    --------
    >>> import optbench
    >>> res = optbench.run("quadratic", "gd", dim=2, step=1.0, tol=1e-10)
    >>> res.status
    'converged'
    """
    given = (max_iter, tol, rtol, ftol, ftol_window, gap_tol, time_limit, record_every,
             record_x)  # in the order of RUN_OPTIONS (_GIVEN_ORDER, checked at import)
    key = _prepared_key(problem, solver, dim, seed, given, problem_params, solver_params,
                        more_solver_params)
    prep = _prepared.get(key) if key is not None else None
    if prep is None or not prep.still_for(problem, solver):
        prep = _prepare(problem, solver, dim, seed, given, problem_params, solver_params,
                        more_solver_params)
        start = _start_point(x0, prep.problem)
        check_problem(prep.problem)  # a user's problem: its functions checked once
        if key is not None and prep.reusable:
            _keep(key, prep)
    else:
        start = _start_point(x0, prep.problem)
    prob, slv, plan = prep.problem, prep.solver, prep.plan
    control = Control._make((*prep.control[:-1], new_board()))  # a board of its own (the
    # last field; _replace costs twice as much)

    with _about_user_code(prob, slv, plan.entry):
        flags = _numba.writeable_flags(prep.arrays)  # may have changed since the last run
        if prep.code is not None and flags == prep.flags:
            compile_seconds, cache_hit, code = 0.0, False, prep.code
        else:
            compile_seconds, cache_hit, code = _warm_up(
                plan.entry, (prob.oracle, start, *plan.args, control._replace(max_iter=0)),
                on_compile, f"{slv.name} for {prob.name}")
            if prep.reusable:  # start, plan.args and control: the same types every run
                prep.code, prep.flags = code, flags
        with watch(control.board, progress, prep.label) as seen:
            t = time.perf_counter()
            x, history, reason, iterations, *said = code(prob.oracle, start, *plan.args,
                                                         control)
            call_seconds = time.perf_counter() - t
    result = _result(prep, x, history, reason, iterations, said[0] if said else "",
                     seen.signal, call_seconds, compile_seconds, cache_hit)
    if seen.signal:  # stopped at a checkpoint, or the signal came as the run ended
        raise Interrupted(seen.signal, result)
    return result


_RUN_OPTION_NAMES = tuple(p.name for p in RUN_OPTIONS)
_GIVEN_ORDER = ("max_iter", "tol", "rtol", "ftol", "ftol_window", "gap_tol", "time_limit",
                "record_every", "record_x")  # the tuple ``given`` that run builds
if _GIVEN_ORDER != _RUN_OPTION_NAMES or Control._fields[-1] != "board":  # pragma: no cover
    raise ImportError(f"optbench.run lists the run options as {_GIVEN_ORDER} (RUN_OPTIONS: "
                      f"{_RUN_OPTION_NAMES}) and gives each run a board as Control's last "
                      f"field ({Control._fields[-1]}): update run")
_ROW = {name: i for i, name in enumerate(HISTORY_COLUMNS)}  # history column positions


class _Prepared:
    """What a run needs besides its start point and board: the problem and solver resolved,
    options and parameters validated, the plan, a Control template and, once known, the
    compiled code. Runs with the same arguments on the same Problem instance reuse it."""

    __slots__ = ("_problem", "solver", "opts", "values", "plan", "control", "label",
                 "identity", "state", "reusable", "code", "flags", "arrays", "__weakref__")

    def __init__(self, problem: Problem, solver: Solver, opts: dict, values: dict,
                 plan, control, seed):
        self._problem = problem  # a weak reference once kept for reuse (see _keep)
        self.solver, self.opts, self.values = solver, opts, values
        self.plan, self.control = plan, control
        self.label = f"{solver.name} on {problem.name}"
        self.identity = {"problem": problem.name, "solver": solver.name, "dim": problem.dim,
                         "seed": problem.params.get("seed", seed),
                         "seeded": "seed" in problem.params}
        self.state = _problem_state(problem)
        # reused only for a compiled solver whose extra arguments are plain numbers (no
        # arrays or state a run could change)
        self.reusable = _numba.is_compiled(plan.entry) and all(
            type(a) in (int, float, bool, str) or a is None for a in plan.args)
        self.code = self.flags = None
        self.arrays = _numba.arrays_in(problem.oracle)  # the same while the oracle is

    @property
    def problem(self) -> Problem:
        p = self._problem
        return p() if isinstance(p, weakref.ref) else p

    def still_for(self, problem, solver) -> bool:
        """Whether ``problem`` (the instance given to run) is unchanged since preparing, and
        ``solver`` (a name: as registered now) is the same solver."""
        return problem is self.problem and _resolve_solver(solver) is self.solver and \
            _problem_state(problem) == self.state


def _problem_state(problem: Problem) -> tuple:
    """What the validation, the plan and the Control template read from a Problem, cheaply
    compared: its fields, the identities of its oracle, x0 (copied at every run) and extra,
    and the minimizers' values (the Control holds a copy of them)."""
    return (problem.name, id(problem.oracle), id(problem.x0), problem.f_star,
            problem.f_star_tol, problem.L, problem.mu, problem.convex, problem.smooth,
            problem.labelled, problem.gradient, problem.quadratic, problem.samples,
            id(problem.extra), id(problem.params),
            tuple(m.tobytes() for m in problem.minimizers))


_prepared: dict = {}  # _prepared_key(...) -> _Prepared, while its problem lives
_PREPARED_MAX = 256


def _keep(key, prep: _Prepared) -> None:
    """Keep ``prep`` for reuse while its problem lives (the caller holds the problem: a
    kept preparation holds it weakly, so that no problem's data outlives its user)."""
    if len(_prepared) >= _PREPARED_MAX:
        _prepared.clear()
    _prepared[key] = prep
    weakref.finalize(prep.problem, _prepared.pop, key, None)  # its id may be reused
    prep._problem = weakref.ref(prep.problem)


def _prepared_key(problem, solver, dim, seed, given, problem_params, solver_params, more):
    """The key under which a run's preparation is reused, or None: only for a Problem
    instance (a name builds a new problem on every run) and hashable plain arguments."""
    if not isinstance(problem, Problem):
        return None
    try:
        key = (id(problem), solver if isinstance(solver, str) else id(solver),
               _typed((dim, seed, *given)), _frozen(problem_params), _frozen(solver_params),
               _frozen(more))
        hash(key)
    except TypeError:
        return None
    return key


def _typed(values) -> tuple:
    """``values`` with their types: True and 1, 1 and 1.0 are validated apart."""
    return tuple([(type(v), v) for v in values])


def _frozen(params):
    if params is None or not params:
        return None
    if not isinstance(params, dict):
        raise TypeError  # refused with its message by _prepare
    return tuple(sorted((k, type(v), v) for k, v in params.items()))


def _prepare(problem, solver, dim, seed, given, problem_params, solver_params,
             more_solver_params) -> _Prepared:
    """Resolve and validate everything a run takes but its start point (refusing bad input
    before any work; a user's problem is checked by the caller, after the start point)."""
    problem_opts = problem_options(dim, seed, problem_params)  # dim and seed given either way
    prob = _resolve_problem(problem, problem_opts)
    slv = _resolve_solver(solver)
    opts = run_options(dict(zip(_RUN_OPTION_NAMES, given, strict=True)))
    gap_given = given[_RUN_OPTION_NAMES.index("gap_tol")] is not None
    # the gap test counts from the lowest f* can be, so that it never stops above the optimum
    f_low = None if prob.f_star is None else prob.f_star - prob.f_star_tol
    control = control_for(opts, gap=gap_given, f_star=f_low, minimizers=prob.minimizers,
                          dim=prob.dim)
    values = named_values(solver_params, "solver_params")
    for name, value in more_solver_params.items():
        if name in values:
            raise InvalidValueError(f"solver parameter {name!r} is given twice, in "
                                    f"solver_params and as a keyword; give it once")
        values[name] = value
    seed = problem_opts.get("seed")
    if seed is not None and any(p.name == "seed" for p in slv.params):
        values.setdefault("seed", seed)
    values = coerce_all(slv.params, values, f"solver {slv.name!r}")
    plan = fitted_plan(prob, slv, values)
    values = plan.values if plan.values is not None else values
    _check_history_size(opts["max_iter"], opts["record_every"],
                        len(HISTORY_COLUMNS) + len(plan.columns)
                        + (prob.dim if opts["record_x"] else 0))
    return _Prepared(prob, slv, opts, values, plan, control, seed)


def _result(prep: _Prepared, x, history, reason, iterations, said: str, signal: int,
            call_seconds: float, compile_seconds: float, cache_hit: bool) -> Result:
    """The Result of a run: its status and message, and the summary from the last row."""
    prob, opts = prep.problem, prep.opts
    last = history[-1].tolist()  # Python floats, one conversion
    f, grad_norm = last[_ROW["f"]], last[_ROW["grad_norm"]]
    status, message = describe(reason, said, iteration=iterations, grad_norm=grad_norm,
                               signal=signal_name(signal) if signal else "", **opts)
    f0 = float(history[0, _ROW["f"]])
    if reason in (GRAD_TOL, REL_GRAD_TOL) and _far_above(f, f0, prob, opts,
                                                         float(history[0, _ROW["grad_norm"]])):
        message += (f"; but f - f* = {f - prob.f_star:.3g}, far above the known "
                    "optimum (a plateau, or another stationary point): not solved")
    solve_seconds = last[_ROW["time"]]  # read inside the compiled loop: no dispatch cost
    iterations = int(iterations)
    summary = {
        "iterations": iterations, "f": f,
        "gap": f - prob.f_star if prob.f_star is not None else math.nan,
        "grad_norm": grad_norm, "dist": last[_ROW["dist"]], "solved": _solved(f, f0, prob),
        "f_star_tol": prob.f_star_tol,
        "nfev": last[_ROW["nfev"]], "ngev": last[_ROW["ngev"]], "nhev": last[_ROW["nhev"]],
        "solve_seconds": solve_seconds,
        "seconds_per_iter": solve_seconds / max(iterations, 1),
        "call_seconds": call_seconds,
        "compile_seconds": compile_seconds, "cache_hit": cache_hit,
        "python": not _numba.is_compiled(prep.plan.entry),
        "status": status, "message": message,
    }
    return Result(prob.name, prep.solver.name, x, status, message, history,
                  prep.plan.columns, prob.f_star, dict(prep.identity), prep.values, summary,
                  gradient_at=prob.grad if prob.gradient else None)


SOLVED = 1e-6  # tau of the More-Wild test, as sweeps use by default (grid.DEFAULT_SOLVED)


def _solved(f: float, f0: float, problem: Problem) -> bool | None:
    """More & Wild's test against the lowest f* can be: f <= f* - f_star_tol + tau (f0 - f*),
    with a floor of tau max(1, |f*|) when the run started at the optimum; None without f*."""
    if problem.f_star is None:
        return None
    f_star = problem.f_star
    room = SOLVED * (f0 - f_star) if f0 > f_star else SOLVED * max(1.0, abs(f_star))
    return bool(f <= f_star - problem.f_star_tol + room)


def _far_above(f: float, f0: float, problem: Problem, opts: dict, g0: float) -> bool:
    """Whether a stop by the gradient test left f above what that test allows: with mu known,
    f - f* <= g_tol^2 / (2 mu) (strong convexity); otherwise a thousandth of the way from
    f(x0) to f*; beyond f_star_tol in both cases."""
    if problem.f_star is None:
        return False
    gap = f - problem.f_star - problem.f_star_tol
    g_tol = max(opts["tol"], opts["rtol"] * g0)
    if problem.mu:
        allowed = g_tol * g_tol / (2 * problem.mu)
    else:
        allowed = 1e-3 * max(abs(f0 - problem.f_star), 1.0)
    return gap > max(allowed, opts["gap_tol"])


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM stopped a run: ``signal`` is which, ``result`` the Result
    so far (status ``interrupted``, its table up to the last iteration)."""

    def __init__(self, signal: int, result: Result | None = None):
        super().__init__(f"interrupted by {signal_name(signal)}")
        self.signal = signal
        self.result = result
