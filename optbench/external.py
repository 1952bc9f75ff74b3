"""Solvers written in Python (scipy.optimize's methods, a user's own) in the same harness.

A *Python solver* is a function::

    solve(f, grad, x0, options, callback) -> x, or an object with .x (and .success, .message)

It receives the problem's ``f(x) -> float`` and ``grad(x) -> array`` (every call counted:
the ``nfev`` / ``ngev`` columns), a copy of the start point, ``options`` (the solver's
parameters as a dict, plus the run's ``max_iter`` and ``tol``) and ``callback``, to call
once per iteration with the new iterate: ``callback(x)``. A solver that needs more of the
problem says so in its ``needs`` and receives it as a keyword: ``hess=`` (``"hess"``: the
Hessian, counted in ``nhev``), ``residuals=`` and ``jacobian=`` (``"residuals"``: r(x) and
J(x) of a least-squares problem f = c sum r_i^2; one residual vector counts as an evaluation of
f, one Jacobian as one of the gradient).

The callback does what the compiled loop does (:mod:`optbench.solvers._loop`): it writes the
same table row (f, grad_norm, step = ||x_k - x_{k-1}||, time, nfev, ngev, nhev, dist, and x
with ``record_x``) and applies the run's tests (tol, rtol, ftol, gap_tol, max_iter,
time_limit) and stop requests (Ctrl-C, SIGTERM). It stops the solve by raising
``StopIteration``, which scipy's methods obey (they return at once); in another solver it
propagates out of ``solve`` and is caught here. A stop request or the time limit also stops
the solve inside an evaluation, for methods that evaluate a long time between iterations.

Where the solve returns on its own, the run's tests are applied to the final point; if they
do not hold, the solver's own word decides: ``success`` true is ``converged`` by the method's
own test (the message quotes it), false is ``failed`` (or ``max_iter``, ``diverged``,
``line_search_failed`` when the message says so); a plain x is ``failed`` ("returned without
meeting the run's tests"), since nothing else was tested.

What the harness evaluates only for its table (f and the gradient at an iterate where the
solver did not evaluate them itself) is not counted, and its time is not charged: the
``time`` column is the solve's wall time less the harness's bookkeeping. The solve itself
runs at Python speed, calling the problem's compiled functions one at a time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from .board import ELAPSED, GRAD_NORM, ITERATION, STOP, F
from .oracle import N_COUNTS, NFEV, NGEV, NHEV, charge
from .status import (
    F_TOL,
    GAP_TOL,
    GRAD_TOL,
    INTERRUPTED,
    LINE_SEARCH,
    MAX_ITER,
    METHOD_FAILED,
    METHOD_TEST,
    NOT_FINITE,
    REL_GRAD_TOL,
    RUNNING,
    TIME_LIMIT,
)

__all__ = ["python_solver", "python_entry", "keywords", "Recorder", "scipy_outcome"]


class _Halt(Exception):
    """Raised inside an evaluation to end a solve at once (stop request, time limit); not a
    StopIteration, so that no method mistakes it for its callback's request."""


class Recorder:
    """The counted functions, the callback and the table of one Python solve."""

    def __init__(self, oracle, x0: np.ndarray, control, n_x: int):
        self.oracle, self.control = oracle, control
        self.counts = oracle.counts
        self.n_x = n_x
        self.rows: list[list[float]] = []
        self.k = 0
        self.reason = RUNNING
        self.kept = 0.0          # seconds of bookkeeping, not charged to the method
        self.t0 = time.perf_counter()
        self._seen: tuple | None = None  # (x, f, g) of the last counted f-and-gradient point
        self._fx: tuple | None = None    # (x, f) of the last counted f
        self._gx: tuple | None = None    # (x, g) of the last counted gradient
        self.has_grad = oracle.grad is not None
        t = time.perf_counter()
        f0, g0 = self._observe(x0)
        gn0 = float(np.linalg.norm(g0)) if g0 is not None else math.nan
        absolute = control.tol
        relative = control.rtol * gn0 if control.rtol >= 0.0 else -1.0
        self.gtol = max(absolute, relative) if g0 is not None else -1.0
        self.relative = relative > absolute
        self.recent = [f0]
        self.x = x0.copy()
        self.kept += time.perf_counter() - t
        self._row(x0, f0, g0, math.nan, 0.0)
        self.reason = self._test(f0, g0)

    # -- time --------------------------------------------------------------------------------
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0 - self.kept

    def _check(self) -> None:
        """Inside an evaluation: stop at once on a stop request or past the time limit."""
        board = self.control.board
        if board[STOP] != 0.0:
            self.reason = INTERRUPTED
            raise _Halt
        if self.elapsed() > self.control.time_limit:
            self.reason = TIME_LIMIT
            raise _Halt

    # -- the counted functions a solver receives ---------------------------------------------
    def f(self, x) -> float:
        self._check()
        x = np.ascontiguousarray(x, dtype=np.float64)
        charge(self.oracle, 1.0, 0.0, 0.0)
        fx = float(self.oracle.f(x, self.oracle.args))
        self._fx = (x.copy(), fx)
        return fx

    def grad(self, x) -> np.ndarray:
        self._check()
        x = np.ascontiguousarray(x, dtype=np.float64)
        charge(self.oracle, 0.0, 1.0, 0.0)
        g = np.empty_like(x)
        self.oracle.grad(x, self.oracle.args, g)
        self._gx = (x.copy(), g.copy())
        return g

    def hess(self, x) -> np.ndarray:
        self._check()
        x = np.ascontiguousarray(x, dtype=np.float64)
        charge(self.oracle, 0.0, 0.0, 1.0)
        h = np.empty((x.shape[0], x.shape[0]))
        self.oracle.hess(x, self.oracle.args, h)
        return h

    def least_squares(self, residual, jacobian, m: int) -> tuple[Callable, Callable]:
        """Counted r(x) (as an evaluation of f) and J(x) (as one of the gradient), from the
        problem's compiled ``residual(x, out)`` and ``jacobian(x, out)``."""
        def r(x):
            self._check()
            x = np.ascontiguousarray(x, dtype=np.float64)
            charge(self.oracle, 1.0, 0.0, 0.0)
            out = np.empty(m)
            residual(x, out)
            return out

        def jac(x):
            self._check()
            x = np.ascontiguousarray(x, dtype=np.float64)
            charge(self.oracle, 0.0, 1.0, 0.0)
            out = np.empty((m, x.shape[0]))
            jacobian(x, out)
            return out

        return r, jac

    # -- the table -------------------------------------------------------------------------------
    def _observe(self, x):
        """f and the gradient at x for the table: the solver's own values when it has just
        evaluated there, else evaluated uncounted."""
        fx = self._fx[1] if self._fx is not None and np.array_equal(self._fx[0], x) else None
        g = self._gx[1] if self._gx is not None and np.array_equal(self._gx[0], x) else None
        if fx is None:
            fx = float(self.oracle.f(x, self.oracle.args))
        if g is None and self.has_grad:
            g = np.empty_like(x)
            self.oracle.grad(x, self.oracle.args, g)
        return fx, g

    def _row(self, x, fx, g, step, t) -> None:
        c = self.counts
        minimizers = self.control.minimizers
        dist = (float(np.min(np.linalg.norm(minimizers - x, axis=1)))
                if minimizers.shape[0] else math.nan)
        gn = float(np.linalg.norm(g)) if g is not None else math.nan
        row = [self.k, fx, gn, step, t, c[NFEV], c[NGEV], c[NHEV], dist]
        if self.n_x:
            row.extend(x.tolist())
        self.rows.append(row)
        board = self.control.board  # for the progress line
        board[ITERATION], board[F], board[GRAD_NORM], board[ELAPSED] = self.k, fx, gn, t

    def _test(self, fx, g) -> int:
        """The compiled loop's tests after an iteration, in its order."""
        gn = float(np.linalg.norm(g)) if g is not None else math.nan
        if not math.isfinite(fx) or (g is not None and not math.isfinite(gn)):
            return NOT_FINITE
        if g is not None and gn <= self.gtol:
            return REL_GRAD_TOL if self.relative else GRAD_TOL
        if fx - self.control.f_star <= self.control.gap_tol:
            return GAP_TOL
        window = self.control.ftol_window
        if self.control.ftol >= 0.0 and len(self.recent) > window:
            old = self.recent[-window - 1]
            if old - fx <= self.control.ftol * max(abs(fx), abs(old), 1.0):
                return F_TOL
        if self.control.board[STOP] != 0.0:
            return INTERRUPTED
        if self.elapsed() > self.control.time_limit:
            return TIME_LIMIT
        if self.k >= self.control.max_iter:
            return MAX_ITER
        return RUNNING

    def iterate(self, x, final: bool = False) -> int:
        """A new iterate: count it, test it and record it when due (or ``final``); returns
        the reason code of the tests. All of it is bookkeeping, not charged to the method."""
        t_row = self.elapsed()
        t = time.perf_counter()
        x = np.array(x, dtype=np.float64).reshape(-1)
        self.k += 1
        fx, g = self._observe(x)
        step = float(np.linalg.norm(x - self.x))
        self.x = x
        self.recent.append(fx)
        del self.recent[:-self.control.ftol_window - 1]
        reason = self._test(fx, g)
        if final or reason != RUNNING or self.k % self.control.record_every == 0:
            self._row(x, fx, g, step, t_row)
        self.kept += time.perf_counter() - t
        return reason

    def callback(self, x, *_, **__) -> None:
        """Once per iteration, with the new iterate (or scipy's intermediate result); raises
        StopIteration when a test of the run fires."""
        reason = self.iterate(getattr(x, "x", x))
        if reason != RUNNING:
            self.reason = reason
            raise StopIteration

    def finish(self, x) -> None:
        """The last row: the final point, when the solve returned one it had not reported
        as an iterate (a new iteration), or the last iterate when no row holds it yet; its
        counts are all the evaluations the solve made (some come after the last report:
        MINPACK's Jacobian at the point it has just reported)."""
        self._finish(x)
        self.rows[-1][5:8] = [self.counts[NFEV], self.counts[NGEV], self.counts[NHEV]]

    def _finish(self, x) -> None:
        if not np.array_equal(x, self.x):
            reason = self.iterate(x, final=True)
            if self.reason == RUNNING:
                self.reason = reason
        elif self.rows[-1][0] != self.k:  # reported, but not recorded (record_every)
            t_row = self.elapsed()
            t = time.perf_counter()
            fx, g = self._observe(self.x)
            self._row(self.x, fx, g, math.nan, t_row)
            self.kept += time.perf_counter() - t

    def history(self) -> np.ndarray:
        return np.array(self.rows, dtype=np.float64)


def scipy_outcome(result) -> tuple[int, str]:
    """(reason code, the solver's words) for what a solve returned on its own: ``success``
    true is the method's own convergence test; otherwise its message is read for the
    standard outcomes (iteration or evaluation limit, non-finite values, a failed line
    search), anything else is ``failed``."""
    message = " ".join(str(getattr(result, "message", "")).split()).rstrip(".")
    if getattr(result, "success", False):
        return METHOD_TEST, message or "the solver reported success"
    text = message.lower()
    if "maximum number" in text or "max" in text and ("iter" in text or "fev" in text
                                                      or "evaluations" in text):
        return MAX_ITER, message
    if "nan" in text or "inf" in text.split():
        return NOT_FINITE, message
    if "precision loss" in text or "line search" in text or "abnormal" in text:
        return LINE_SEARCH, message
    return METHOD_FAILED, message or "the solver reported failure"


def python_entry(solve: Callable, names: tuple[str, ...]) -> Callable:
    """A harness entry ``entry(oracle, x0, *values, more, control)`` running the Python
    solver ``solve`` (its parameters ``names``, in order; ``more``: the keywords the solver
    needs beyond f and grad, built by :func:`keywords`). It returns what compiled entries
    return, ``(x, history, reason, iterations)``, and the solver's own words about its
    stop."""

    def entry(oracle, x0, *args):
        *values, more, control = args
        if oracle.counts is None:
            oracle = oracle._replace(counts=np.zeros(N_COUNTS))
        rec = Recorder(oracle, x0, control, x0.shape[0] if control.record_x else 0)
        if rec.reason != RUNNING:  # x0 passes a test already, or max_iter = 0
            return rec.x, rec.history(), rec.reason, 0, ""
        options = dict(zip(names, values, strict=True))
        options.update(max_iter=control.max_iter, tol=control.tol)
        functions = {key: make(rec) for key, make in more.items()}
        out = None
        try:
            out = solve(rec.f, rec.grad if rec.has_grad else None, x0.copy(), options,
                        rec.callback, **functions)
        except (StopIteration, _Halt):
            pass
        if rec.reason != RUNNING:  # a test of the run, a stop request, the time limit
            rec.finish(rec.x)
            return rec.x, rec.history(), rec.reason, rec.k, ""
        if out is None:
            rec.finish(rec.x)
            return rec.x, rec.history(), METHOD_FAILED, rec.k, "the solver returned nothing"
        x = np.array(getattr(out, "x", out), dtype=np.float64).reshape(-1)
        if x.shape != x0.shape:
            raise ValueError(f"the solver returned x of shape {x.shape}; expected {x0.shape}")
        rec.finish(x)
        if rec.reason != RUNNING:  # the run's tests hold at the returned point
            return x, rec.history(), rec.reason, rec.k, ""
        if hasattr(out, "success"):
            reason, detail = scipy_outcome(out)
        else:
            reason, detail = METHOD_FAILED, (f"the solver returned at iteration {rec.k} "
                                             "without meeting the run's tests")
        return x, rec.history(), reason, rec.k, detail

    entry.python_solver = solve
    return entry


def keywords(problem, needs) -> dict:
    """The problem's functions a Python solver needing ``needs`` receives beyond f and grad,
    as makers taking the run's :class:`Recorder` (which counts their calls)."""
    more = {}
    if "hess" in needs:
        more["hess"] = lambda rec: rec.hess
    if "residuals" in needs:
        residual, jacobian = problem.extra["residuals"], problem.extra["jacobian"]
        m = int(problem.extra["m"])
        more["residuals"] = lambda rec: rec.least_squares(residual, jacobian, m)[0]
        more["jacobian"] = lambda rec: rec.least_squares(residual, jacobian, m)[1]
    return more


def python_solver(name: str, solve: Callable, *, params=(), needs=("grad",), summary: str,
                  formula: str = "", reference: str = "", family: str = "python",
                  setup: Callable[[], object] | None = None, register: bool = True):
    """A solver (registered unless ``register=False``) running the Python function
    ``solve(f, grad, x0, options, callback)`` in the harness: see this module's docstring.

    ``params`` are its :class:`~optbench.Param` parameters (``-p NAME=V``), ``needs`` what it
    requires of a problem (``"grad"``; ``"hess"`` and ``"residuals"`` add keywords; an empty
    tuple for derivative-free methods). ``setup()``, when given, runs before the clock starts
    (importing the library the solver calls, say), so that its cost is not the method's."""
    from .registry import AT_CALLBACK, Plan, Solver, register_solver

    params = tuple(params)
    needs = frozenset(needs)
    entry = python_entry(solve, tuple(p.name for p in params))

    def prepare(problem, values):
        if setup is not None:
            setup()
        more = keywords(problem, needs)
        return Plan(entry, (*(values[p.name] for p in params), more))

    solver = Solver(name=name, entry=entry, params=params, family=family, summary=summary,
                    formula=formula, reference=reference, needs=needs, prepare=prepare,
                    table_point=AT_CALLBACK)
    return register_solver(solver) if register else solver
