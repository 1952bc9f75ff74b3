"""The shared compiled loop: recording, stopping tests, divergence, status. Written once.

A solver is a pair of small compiled kernels plus a public entry point::

    init(oracle, x, g, params) -> (work, f)          f(x0); fill g with grad f(x0)
    step(oracle, x, g, fx, work, params, k, extras) -> (f, step, reason)
                                        x <- x_{k+1} in place, g <- grad f(x_{k+1}); fx = f(x_k)

The loop owns the iterate ``x`` and the gradient ``g``; ``work`` is a tuple of any further
arrays the method needs, allocated once by ``init`` (empty for gradient descent), so nothing
is allocated per iteration. ``extras`` is a float array the step fills with the method's own
columns (mistakes, lambda...). A step returns ``RUNNING`` or a reason code from
:mod:`optbench.status`; codes from ``FIRST_REFUSAL`` on mean the step could not be taken and x,
g are as before. Kernels are inlined into the loop at numba's IR level (``jit(inline=True)``),
so a solver compiles to one loop with no call or reference counting per iteration.

History columns are ``iteration, f, grad_norm, step, time`` followed by the extras and, when
``control.record_x`` is set, the iterate's coordinates (n more columns). Recording happens only
at checkpoints, outside the hot inner loop, so ``record_x`` costs nothing between rows.

**Checkpoints** come at every recorded row and, in between, about every ``CHECK_SECONDS``
of running: the loop measures how many iterations that is and adapts. At each one it reads
the clock (the row's time, the time limit); about every ``CHECK_SECONDS`` it also publishes
its state on the run's board (progress lines) and reads the board's stop request (Ctrl-C,
SIGTERM: see :mod:`optbench.board`), ending with ``INTERRUPTED`` and the history so far.
A clock reading and a few stores per 10 ms cost nothing measurable
(``benchmarks/loop_overhead.py``).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .._clock import now
from .._jit import jit
from ..board import new_board, publish, stop_requested
from ..kernels import norm2, sumsq
from ..params import Param
from ..status import (
    FIRST_REFUSAL,
    GAP_TOL,
    GRAD_TOL,
    INTERRUPTED,
    MAX_ITER,
    NOT_FINITE,
    RUNNING,
    TIME_LIMIT,
)

__all__ = ["Control", "RUN_OPTIONS", "make_control", "without_grad_test", "drive", "norm2",
           "sumsq", "HISTORY_COLUMNS"]

HISTORY_COLUMNS = ("iteration", "f", "grad_norm", "step", "time")
_N_BASE = len(HISTORY_COLUMNS)

Control = namedtuple(
    "Control", ["max_iter", "tol", "gap_tol", "f_star", "time_limit", "record_every",
                "record_x", "board"])
Control.__doc__ = """Stopping and recording settings of one run (build it with make_control).

max_iter: iterations (epochs for epoch-based solvers); tol: stop when ||grad f|| <= tol
(a negative tol turns this test off); gap_tol, f_star: stop when f - f_star <= gap_tol
(f_star NaN: never); time_limit: seconds; record_every: keep one history row every k
iterations (plus the first and the last); record_x: also write the iterate x into every
history row (after the extras); board: the run's shared board (optbench.board: the state
published at checkpoints, and the stop request read there)."""

# The options of every run, validated like solver parameters (messages name the option).
RUN_OPTIONS = (
    Param("max_iter", 1000, int, "iterations (epochs for epoch-based solvers)", low=0),
    Param("tol", 1e-6, float, "stop when ||grad f|| <= tol", low=0.0),
    Param("gap_tol", 0.0, float, "stop when f - f* <= gap_tol (problems with known f*)",
          low=0.0),
    Param("time_limit", math.inf, float, "stop after this many seconds", low=0.0,
          strict=True, finite=False),
    Param("record_every", 1, int, "keep one table row every k iterations", low=1),
    Param("record_x", False, bool, "also keep the iterate x in every table row (x_1 ... x_n)"),
)
CHECK_SECONDS = 0.01    # running time between checkpoints, when no row is due sooner
_MAX_GROWTH = 16        # the checkpoint spacing grows at most this much at a time
_MAX_SPACING = 1 << 40


def make_control(max_iter=1000, tol=1e-6, gap_tol=None, f_star=None, time_limit=math.inf,
                 record_every=1, record_x=False, board=None):
    """A validated :class:`Control` for calling compiled solvers from Python.

    ``gap_tol`` applies only with ``f_star`` (the problem's optimal value); ``tol=None`` turns
    the gradient-norm test off; ``record_x`` adds the iterate to every history row;
    ``board`` (default: a fresh one) is where the loop publishes its state and reads a stop
    request (see :mod:`optbench.board`). Invalid values raise ``InvalidValueError`` naming
    the option.
    """
    given = {"max_iter": max_iter, "tol": 0.0 if tol is None else tol,
             "gap_tol": 0.0 if gap_tol is None else gap_tol, "time_limit": time_limit,
             "record_every": record_every, "record_x": record_x}
    v = {p.name: p.coerce(given[p.name], "run", where=f"option {p.name}") for p in RUN_OPTIONS}
    use_gap = gap_tol is not None and f_star is not None
    return Control(v["max_iter"], -1.0 if tol is None else v["tol"],
                   v["gap_tol"] if use_gap else -math.inf,
                   float(f_star) if f_star is not None else math.nan,
                   v["time_limit"], v["record_every"], v["record_x"],
                   new_board() if board is None else board)


@jit
def without_grad_test(control):
    """``control`` with the gradient-norm test off (for methods with their own stopping rule)."""
    return Control(control.max_iter, -1.0, control.gap_tol, control.f_star, control.time_limit,
                   control.record_every, control.record_x, control.board)


@jit(inline=True)
def _stop_reason(fx, gsq, control):
    """The test after every iteration (gsq = ||g||^2; max_iter and time are batch tests)."""
    if not (np.isfinite(fx) and np.isfinite(gsq)):
        return NOT_FINITE
    if control.tol >= 0.0 and gsq <= control.tol * control.tol:
        return GRAD_TOL
    if fx - control.f_star <= control.gap_tol:
        return GAP_TOL
    return RUNNING


@jit
def _record(hist, row, k, fx, gsq, step, t, extras, x, n_x):
    """One history row: the base columns, the extras, then x when ``n_x`` (= len(x)) > 0."""
    hist[row, 0] = k
    hist[row, 1] = fx
    hist[row, 2] = math.sqrt(gsq)
    hist[row, 3] = step
    hist[row, 4] = t
    n_extra = extras.shape[0]
    for j in range(n_extra):
        hist[row, _N_BASE + j] = extras[j]
    for i in range(n_x):
        hist[row, _N_BASE + n_extra + i] = x[i]


@jit
def _grown(hist, rows_needed):
    """A copy of ``hist`` with room for at least ``rows_needed`` rows (doubling)."""
    out = np.empty((max(2 * hist.shape[0], rows_needed), hist.shape[1]))
    for i in range(hist.shape[0]):
        for j in range(hist.shape[1]):
            out[i, j] = hist[i, j]
    return out


_FIRST_ROWS = 1024  # the history starts this long and doubles when full


@jit(inline=True)
def _next_spacing(spacing, iterations, seconds):
    """Iterations that take about CHECK_SECONDS at the rate just seen (growing at most
    _MAX_GROWTH-fold at a time, so that a noisy first measurement cannot overshoot)."""
    if iterations <= 0:
        return spacing
    if seconds <= 0.0:
        target = spacing * _MAX_GROWTH
    else:
        target = int(iterations * (CHECK_SECONDS / seconds))
    return max(1, min(target, spacing * _MAX_GROWTH, _MAX_SPACING))


@jit(inline=True)
def drive(oracle, x0, params, init, step, n_extra, control):
    """Run ``init`` then ``step`` until a stopping test fires.

    Returns ``(x, history, reason, iterations)``: the last iterate, a float array with one row
    per recorded iteration (columns ``HISTORY_COLUMNS``, then ``n_extra`` extras, then x when
    ``control.record_x``) and the reason code of :mod:`optbench.status`.
    """
    t0 = now()
    x = x0.copy()
    g = np.empty_like(x)
    extras = np.full(n_extra, np.nan)
    work, fx = init(oracle, x, g, params)
    gsq = sumsq(g)
    every = control.record_every
    n_x = x.shape[0] if control.record_x else 0
    # rows are written whole by _record; only the first `rows` ever leave this function
    hist = np.empty((min(control.max_iter // every + 2, _FIRST_ROWS), _N_BASE + n_extra + n_x))
    _record(hist, 0, 0, fx, gsq, np.nan, now() - t0, extras, x, n_x)
    rows = 1
    k = 0
    taken = np.nan
    next_record = every
    spacing = 1          # iterations to the next checkpoint when no row is due sooner
    last_k = 0
    last_t = 0.0
    reason = _stop_reason(fx, gsq, control)
    while reason == RUNNING:
        if k >= control.max_iter:
            reason = MAX_ITER
            break
        # the hot loop runs to the next checkpoint: a record row, ~CHECK_SECONDS, or max_iter
        checkpoint = min(next_record, k + spacing, control.max_iter)
        while k < checkpoint:
            new_f, new_taken, reason = step(oracle, x, g, fx, work, params, k, extras)
            if reason >= FIRST_REFUSAL:  # the step could not be taken: x and g unchanged
                break
            k += 1
            fx, gsq, taken = new_f, sumsq(g), new_taken
            if reason == RUNNING:
                reason = _stop_reason(fx, gsq, control)
            if reason != RUNNING:
                break
        t = now() - t0
        if k - last_k >= spacing or t - last_t >= CHECK_SECONDS:  # not at every row
            spacing = _next_spacing(spacing, k - last_k, t - last_t)
            last_k, last_t = k, t
            publish(control.board, k, fx, gsq, t)
            if reason == RUNNING and stop_requested(control.board) != 0.0:
                reason = INTERRUPTED
        if reason == RUNNING and t > control.time_limit:
            reason = TIME_LIMIT
        if k == next_record or (reason != RUNNING and hist[rows - 1, 0] != k):
            if k == next_record:
                next_record += every
            if rows == hist.shape[0]:
                hist = _grown(hist, rows + 1)
            _record(hist, rows, k, fx, gsq, taken, t, extras, x, n_x)
            rows += 1
    if hist[rows - 1, 0] != k:  # the last iterate, when max_iter ended the run off a row
        if rows == hist.shape[0]:
            hist = _grown(hist, rows + 1)
        _record(hist, rows, k, fx, gsq, taken, now() - t0, extras, x, n_x)
        rows += 1
    return x, hist[:rows], reason, k
