"""The shared compiled loop: recording, stopping tests, divergence, status. Written once.

A solver is a pair of small compiled kernels plus a public entry point::

    init(oracle, x, g, params) -> (work, f)          f(x0); fill g with grad f(x0)
    step(oracle, x, g, fx, work, params, k, extras) -> (f, step, reason)
                                        x <- x_{k+1} in place, g <- grad f(x_{k+1}); fx = f(x_k)

**What the step leaves** (one entry point per case; the step's own evaluations are the
method's cost, nothing else is):

* :func:`drive`: f(x_{k+1}) and grad f(x_{k+1}), as above (methods that need both);
* :func:`drive_without_f`: only g = grad f(x_{k+1}); the step returns NaN for f, and its
  ``fx`` is the last f the loop evaluated (methods that need no f: constant-step gradient
  descent, heavy ball, Nesterov, pure Newton);
* :func:`drive_without_g`: only f(x_{k+1}); the step leaves ``g`` alone (derivative-free
  methods: Nelder-Mead);
* :func:`drive_without_fg`: neither; the step leaves ``g`` alone and returns NaN (methods
  whose own work is not the full gradient: linear CG's recurrence, mini-batch and perceptron
  rules; ``init`` may skip them too).

What the step does not leave, the loop evaluates itself, "aside": through an uncounted oracle
(:func:`optbench.oracle.observed`) and with the clock stopped, so it is counted neither in
nfev/ngev nor in the ``time`` column (nor in ``time_limit``). It does so after every
iteration when a stopping test needs it (a positive gap_tol or the ``ftol`` test needs f; a
positive tol or rtol the gradient), so every such test fires where it would with
:func:`drive`; otherwise only at the rows the table keeps (the first, every
``record_every``-th, the last), where a non-finite f, the gap test at its default
gap_tol = 0 (f reached f*) or, with ``tol=0``, an exactly zero gradient then shows (every
iteration at the default ``record_every=1``). The gradient-norm
test always uses the gradient at the point returned as the iterate, so ``converged`` is a
statement about the returned x.

The loop owns the iterate ``x`` and the gradient ``g``; ``work`` is a tuple of any further
arrays the method needs, allocated once by ``init`` (empty for gradient descent), so nothing
is allocated per iteration. ``extras`` is a float array the step fills with the method's own
columns (mistakes, lambda...). A step returns ``RUNNING`` or a reason code from
:mod:`optbench.status`; codes from ``FIRST_REFUSAL`` on mean the step could not be taken and x,
g are as before. Kernels are inlined into the loop at numba's IR level (``jit(inline=True)``),
so a solver compiles to one loop with no call or reference counting per iteration.

History columns are ``iteration, f, grad_norm, step, time, nfev, ngev, nhev`` (the
evaluations of f, gradient and Hessian so far, counted by :mod:`optbench.oracle`: the loop
hands the kernels a counted oracle) followed by the extras and, when
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

import numpy as np

from .._clock import now
from .._jit import jit
from ..board import publish, stop_requested
from ..columns import (
    COL_DIST,
    COL_F,
    COL_GRAD_NORM,
    COL_ITERATION,
    COL_NFEV,
    COL_NGEV,
    COL_NHEV,
    COL_STEP,
    COL_TIME,
    HISTORY_COLUMNS,
)
from ..control import RUN_OPTIONS, Control, make_control
from ..kernels import norm2, sumsq
from ..oracle import N_COUNTS, counted, evaluations, gradient, observed, value, value_and_grad
from ..status import (
    F_TOL,
    FIRST_REFUSAL,
    GAP_TOL,
    GRAD_TOL,
    INTERRUPTED,
    MAX_ITER,
    NOT_FINITE,
    REL_GRAD_TOL,
    RUNNING,
    TIME_LIMIT,
)

__all__ = ["Control", "RUN_OPTIONS", "make_control", "without_grad_test", "drive",
           "drive_without_f", "drive_without_g", "drive_without_fg", "norm2", "sumsq",
           "HISTORY_COLUMNS"]

_N_BASE = len(HISTORY_COLUMNS)

CHECK_SECONDS = 0.01    # running time between checkpoints, when no row is due sooner
_MAX_GROWTH = 16        # the checkpoint spacing grows at most this much at a time
_MAX_SPACING = 1 << 40


@jit
def without_grad_test(control):
    """``control`` with the gradient-norm test off (for methods with their own stopping rule)."""
    return Control(control.max_iter, -1.0, -1.0, control.ftol, control.ftol_window,
                   control.gap_tol, control.f_star, control.time_limit, control.record_every,
                   control.record_x, control.minimizers, control.board)


@jit(inline=True)
def _stop_reason(fx, gsq, gtol2, relative, control, test_f, test_g):
    """The tests on f (when ``test_f``) and on gsq = ||g||^2 (when ``test_g``); gtol2 the
    squared gradient threshold, relative when rtol set it; max_iter and time are batch tests."""
    if (test_f and not np.isfinite(fx)) or (test_g and not np.isfinite(gsq)):
        return NOT_FINITE
    if test_g and gsq <= gtol2:
        return REL_GRAD_TOL if relative else GRAD_TOL
    if test_f and fx - control.f_star <= control.gap_tol:
        return GAP_TOL
    return RUNNING


@jit(inline=True)
def _stalled(recent, i, fx, control):
    """The ftol test at the i-th f seen (recent holds the last ftol_window ones); records fx."""
    window = recent.shape[0]
    slot = i % window
    stalled = i >= window and recent[slot] - fx <= control.ftol * max(
        abs(fx), abs(recent[slot]), 1.0)
    recent[slot] = fx
    return stalled


@jit(inline=True)
def _observe_nothing(oracle, x, g, fx):
    return fx


@jit(inline=True)
def _observe_f(oracle, x, g, fx):
    """f(x) for the table, uncounted"""
    return value(observed(oracle), x)


@jit(inline=True)
def _observe_g(oracle, x, g, fx):
    """g <- grad f(x) for the table, uncounted; f is the step's"""
    gradient(observed(oracle), x, g)
    return fx


@jit(inline=True)
def _observe_fg(oracle, x, g, fx):
    """f(x) and g <- grad f(x) for the table, uncounted"""
    return value_and_grad(observed(oracle), x, g)


@jit(inline=True)
def _gradient_threshold(gsq0, control):
    """(squared threshold, whether rtol sets it): the larger of tol and rtol ||g0||; -1 off"""
    absolute = control.tol
    relative = control.rtol * math.sqrt(gsq0) if control.rtol >= 0.0 else -1.0
    gtol = max(absolute, relative)
    return (gtol * gtol if gtol >= 0.0 else -1.0), relative > absolute


@jit
def _distance(x, minimizers):
    """min over the known minimizers of ||x - m|| (NaN when none is known)."""
    best = np.inf
    for j in range(minimizers.shape[0]):
        s = 0.0
        for i in range(x.shape[0]):
            d = x[i] - minimizers[j, i]
            s += d * d
        best = min(best, s)
    return math.sqrt(best) if minimizers.shape[0] > 0 else np.nan


@jit
def _record(hist, row, k, fx, gsq, step, t, counts, minimizers, extras, x, n_x):
    """One history row: the base columns (the evaluations so far and the distance to the
    nearest known minimizer among them), the extras, then x when ``n_x`` (= len(x)) > 0."""
    hist[row, COL_ITERATION] = k
    hist[row, COL_F] = fx
    hist[row, COL_GRAD_NORM] = math.sqrt(gsq)
    hist[row, COL_STEP] = step
    hist[row, COL_TIME] = t
    hist[row, COL_NFEV], hist[row, COL_NGEV], hist[row, COL_NHEV] = evaluations(counts)
    hist[row, COL_DIST] = _distance(x, minimizers)
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
    """Run ``init`` then ``step`` until a stopping test fires; the step leaves f and g.

    Returns ``(x, history, reason, iterations)``: the last iterate, a float array with one row
    per recorded iteration (columns ``HISTORY_COLUMNS``, then ``n_extra`` extras, then x when
    ``control.record_x``) and the reason code of :mod:`optbench.status`.
    """
    return _loop(oracle, x0, params, init, step, n_extra, control, _observe_nothing, False,
                 False)


@jit(inline=True)
def drive_without_f(oracle, x0, params, init, step, n_extra, control):
    """:func:`drive` for a step that leaves only grad f(x_{k+1}) (and returns NaN for f):
    f is evaluated at the recorded rows only, uncounted and untimed."""
    return _loop(oracle, x0, params, init, step, n_extra, control, _observe_f, True, False)


@jit(inline=True)
def drive_without_g(oracle, x0, params, init, step, n_extra, control):
    """:func:`drive` for a step that leaves only f(x_{k+1}) (and leaves ``g`` alone): the
    gradient is evaluated aside, uncounted and untimed."""
    return _loop(oracle, x0, params, init, step, n_extra, control, _observe_g, False, True)


@jit(inline=True)
def drive_without_fg(oracle, x0, params, init, step, n_extra, control):
    """:func:`drive` for a step that leaves neither f nor g: both are evaluated at the
    recorded rows only, uncounted and untimed, and every stopping test runs there."""
    return _loop(oracle, x0, params, init, step, n_extra, control, _observe_fg, True, True)


@jit(inline=True)
def _loop(oracle, x0, params, init, step, n_extra, control, observe, f_at_rows, g_at_rows):
    """The loop of :func:`drive`; ``observe(oracle, x, g, fx) -> f`` evaluates at the rows
    what the step does not leave (f when ``f_at_rows``, also g when ``g_at_rows``)."""
    t0 = now()
    counts = np.zeros(N_COUNTS)  # evaluations, counted where the problem is called (oracle.py)
    oracle = counted(oracle, counts)
    x = x0.copy()
    g = np.empty_like(x)
    extras = np.full(n_extra, np.nan)
    work, fx = init(oracle, x, g, params)
    aside = 0.0  # seconds spent evaluating for the table only: left out of every time
    if f_at_rows or g_at_rows:
        started = now()
        fx = observe(oracle, x, g, fx)
        aside += now() - started
    gsq = sumsq(g)
    every = control.record_every
    n_x = x.shape[0] if control.record_x else 0
    # rows are written whole by _record; only the first `rows` ever leave this function
    hist = np.empty((min(control.max_iter // every + 2, _FIRST_ROWS), _N_BASE + n_extra + n_x))
    _record(hist, 0, 0, fx, gsq, np.nan, now() - t0 - aside, counts, control.minimizers,
            extras, x, n_x)
    rows = 1
    k = 0
    taken = np.nan
    next_record = every
    spacing = 1          # iterations to the next checkpoint when no row is due sooner
    last_k = 0
    last_t = 0.0
    gtol2, relative = _gradient_threshold(gsq, control)
    # evaluate aside after every iteration, not only at rows, when a test needs it
    # (the gap test at gap_tol 0, "f reached f*", and tol 0 wait for the rows: run them every
    # iteration with a positive gap_tol / tol, or record_every=1, the default)
    each = ((f_at_rows and (control.ftol >= 0.0 or (control.gap_tol > 0.0
                                                      and not np.isnan(control.f_star))))
            or (g_at_rows and gtol2 > 0.0))
    recent = np.empty(control.ftol_window)  # the last f seen, for ftol
    _stalled(recent, 0, fx, control)
    n_seen = 1  # f values seen by the ftol test
    reason = _stop_reason(fx, gsq, gtol2, relative, control, True, True)
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
            taken = new_taken
            if not f_at_rows:
                fx = new_f
            if not g_at_rows:
                gsq = sumsq(g)
            if each:  # a test needs what the step did not leave: evaluated aside
                started = now()
                fx = observe(oracle, x, g, fx)
                aside += now() - started
                gsq = sumsq(g)
            if reason == RUNNING:
                reason = _stop_reason(fx, gsq, gtol2, relative, control,
                                      each or not f_at_rows, each or not g_at_rows)
            if control.ftol >= 0.0 and reason == RUNNING and (each or not f_at_rows):
                if _stalled(recent, n_seen, fx, control):
                    reason = F_TOL
                n_seen += 1
            if reason != RUNNING:
                break
        t = now() - t0 - aside
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
            if (f_at_rows or g_at_rows) and not each:  # the table's values, and their tests
                started = now()
                fx = observe(oracle, x, g, fx)
                aside += now() - started
                gsq = sumsq(g)
                if reason == RUNNING:
                    reason = _stop_reason(fx, gsq, gtol2, relative, control, f_at_rows,
                                          g_at_rows)
                if control.ftol >= 0.0 and reason == RUNNING:
                    if _stalled(recent, n_seen, fx, control):
                        reason = F_TOL
                    n_seen += 1
            if rows == hist.shape[0]:
                hist = _grown(hist, rows + 1)
            _record(hist, rows, k, fx, gsq, taken, t, counts, control.minimizers, extras, x, n_x)
            rows += 1
    if hist[rows - 1, 0] != k:  # the last iterate, when max_iter ended the run off a row
        t = now() - t0 - aside
        if (f_at_rows or g_at_rows) and not each:
            fx = observe(oracle, x, g, fx)
            gsq = sumsq(g)
        if rows == hist.shape[0]:
            hist = _grown(hist, rows + 1)
        _record(hist, rows, k, fx, gsq, taken, t, counts, control.minimizers, extras, x, n_x)
        rows += 1
    return x, hist[:rows], reason, k
