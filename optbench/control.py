"""The run contract: what every run takes and what its history holds, above the compiled code.

A run's options (``RUN_OPTIONS``, validated like solver parameters, by :func:`run_options`
alone: for runs, sweep plans and :func:`make_control`), the :class:`Control`
tuple the compiled loop (:mod:`optbench.solvers._loop`) reads them from, and (from
:mod:`optbench.columns`, where every column name is defined) the names of the history's
columns. Plain Python: reading results, sweep plans and the command line's help
import this without numba.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .columns import HISTORY_COLUMNS
from .errors import unknown_name
from .params import Param

__all__ = ["HISTORY_COLUMNS", "Control", "RUN_OPTIONS", "make_control", "run_options",
           "control_for"]

Control = namedtuple(
    "Control", ["max_iter", "tol", "rtol", "ftol", "ftol_window", "gap_tol", "f_star",
                "time_limit", "record_every", "record_x", "minimizers", "board"])
Control.__doc__ = """Stopping and recording settings of one run (build it with make_control).

max_iter: iterations (epochs for epoch-based solvers); tol: stop when ||grad f|| <= tol
(a negative tol turns this test off); rtol: stop when ||grad f|| <= rtol ||grad f(x0)||
(negative: off); ftol, ftol_window: stop when f decreased by at most
ftol max(|f|, |f_old|, 1) over the last ftol_window iterations (negative: off); gap_tol,
f_star: stop when f - f_star <= gap_tol (f_star NaN: never); time_limit: seconds;
record_every: keep one history row every k iterations (plus the first and the last);
record_x: also write the iterate x into every history row (after the extras); minimizers:
the known minimizers, one per row (the ``dist`` column: the distance to the nearest; none:
NaN); board: the run's shared board (optbench.board: the state published at checkpoints,
and the stop request read there)."""

# The options of every run, validated like solver parameters (messages name the option).
RUN_OPTIONS = (
    Param("max_iter", 1000, int, "iterations (epochs for epoch-based solvers)", low=0),
    Param("tol", 1e-6, float, "stop when ||grad f|| <= tol", low=0.0),
    Param("rtol", 0.0, float, "also stop when ||grad f|| <= rtol ||grad f(x0)|| (relative to "
          "the start; 0: off)", low=0.0),
    Param("ftol", 0.0, float, "stop when f decreased by at most ftol max(|f|, 1) over the "
          "last ftol_window iterations (0: off)", low=0.0),
    Param("ftol_window", 5, int, "iterations over which ftol measures the decrease", low=1),
    Param("gap_tol", 0.0, float, "stop when f - f* <= gap_tol (problems with known f*)",
          low=0.0),
    Param("time_limit", math.inf, float, "stop after this many seconds", low=0.0,
          strict=True, finite=False),
    Param("record_every", 1, int, "keep one table row every k iterations", low=1),
    Param("record_x", False, bool, "also keep the iterate x in every table row (x_1 ... x_n)"),
)


_RUN_OPTION_NAMES = tuple(p.name for p in RUN_OPTIONS)
_WHERE = {p.name: f"option {p.name} (--{p.name.replace('_', '-')})" for p in RUN_OPTIONS}


def run_options(given, *, defaults: bool = True) -> dict:
    """The run options ``given`` (name -> value), each coerced to its kind and checked
    against its bounds (``RUN_OPTIONS``): the one validation of run options, for
    :func:`optbench.run`, sweep plans and :func:`make_control`. A refusal names the option
    and its flag (``option max_iter (--max-iter)``). With ``defaults`` (a run), an option
    absent or None takes its default; without (a sweep's config, which keeps unset options
    unset), only the options given are returned, None refused like any bad value."""
    for name in given:
        if name not in _WHERE:
            raise unknown_name("run option", name, _RUN_OPTION_NAMES)
    out = {}
    for p in RUN_OPTIONS:
        if p.name in given and (given[p.name] is not None or not defaults):
            out[p.name] = p.coerce(given[p.name], "run", where=_WHERE[p.name])
        elif defaults:
            out[p.name] = p.default
    return out


def control_for(opts: dict, *, gap: bool, f_star=None, gradient_test: bool = True,
                minimizers=None, dim=None, board=None) -> Control:
    """The :class:`Control` of options checked by :func:`run_options` (not checked again):
    the gap test only when ``gap`` and ``f_star`` is known, the gradient-norm test only with
    ``gradient_test``; rtol and ftol at 0 are off."""
    if minimizers is None or len(minimizers) == 0:
        known = np.empty((0, 0 if dim is None else dim))
    else:
        known = np.ascontiguousarray(np.array(minimizers, dtype=np.float64, ndmin=2))
    return Control(opts["max_iter"], opts["tol"] if gradient_test else -1.0,
                   opts["rtol"] if opts["rtol"] > 0 else -1.0,
                   opts["ftol"] if opts["ftol"] > 0 else -1.0, opts["ftol_window"],
                   opts["gap_tol"] if gap and f_star is not None else -math.inf,
                   float(f_star) if f_star is not None else math.nan,
                   opts["time_limit"], opts["record_every"], opts["record_x"], known,
                   _new_board() if board is None else board)


def make_control(max_iter=1000, tol=1e-6, gap_tol=None, f_star=None, time_limit=math.inf,
                 record_every=1, record_x=False, board=None, rtol=0.0, ftol=0.0,
                 ftol_window=5, minimizers=None, dim=None):
    """A validated :class:`Control` for calling compiled solvers from Python.

    ``gap_tol`` applies only with ``f_star`` (the problem's optimal value, or a lower bound of
    it); ``tol=None`` turns the gradient-norm test off, ``rtol`` / ``ftol`` 0 leave theirs
    off; ``record_x`` adds the iterate to every history row; ``minimizers`` (vectors of
    length ``dim``) fill the ``dist`` column; ``board`` (default: a fresh one) is where the
    loop publishes its state and reads a stop request (see :mod:`optbench.board`). Invalid
    values raise ``InvalidValueError`` naming the option.
    """
    opts = run_options({"max_iter": max_iter, "tol": 0.0 if tol is None else tol,
                        "rtol": rtol, "ftol": ftol, "ftol_window": ftol_window,
                        "gap_tol": 0.0 if gap_tol is None else gap_tol,
                        "time_limit": time_limit, "record_every": record_every,
                        "record_x": record_x})
    return control_for(opts, gap=gap_tol is not None, f_star=f_star,
                       gradient_test=tol is not None, minimizers=minimizers, dim=dim,
                       board=board)


def _new_board():
    from .board import new_board  # numba's intrinsics live there: loaded only when a run is

    return new_board()
