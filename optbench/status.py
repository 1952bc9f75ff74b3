"""How a run ended: integer reason codes (set inside compiled code) and their meaning.

This is the one place where stopping reasons are coded (their words are defined in
:mod:`optbench.columns`). Compiled code returns a reason code;
:func:`describe` turns it into the status word and the message users see.

Codes below ``FIRST_REFUSAL`` are returned after a step that moved x (or by the loop's own
tests); codes from ``FIRST_REFUSAL`` on are returned by a step that could not be taken, and x
is left as it was.
"""

from __future__ import annotations

from .columns import (
    CONVERGED,
    DIVERGED,
    FAILED_STATUSES,
    METHOD_FAILURES,
    NO_OUTCOME,
    STATUSES,
)

__all__ = ["RUNNING", "GRAD_TOL", "GAP_TOL", "NO_MISTAKES", "ROOT_FOUND", "MAX_ITER",
           "TIME_LIMIT", "NOT_FINITE", "INTERRUPTED", "REL_GRAD_TOL", "F_TOL", "METHOD_TEST",
           "METHOD_FAILED", "SIMPLEX_TOL", "FIRST_REFUSAL",
           "SINGULAR", "LINE_SEARCH", "RANK_DEFICIENT",
           "NOT_DESCENT", "ZERO_DERIVATIVE", "NEGATIVE_CURVATURE", "PRECISION_LIMIT",
           "RADIUS_COLLAPSED", "MODEL_NOT_FINITE", "STATUSES",
           "METHOD_FAILURES", "NO_OUTCOME", "FAILED_STATUSES", "STATUS_CODES", "EXIT_CODES",
           "EXIT_BAD_INPUT", "EXIT_STOPPED", "EXIT_FAILED", "EXIT_ERRORS", "EXIT_FAULT",
           "EXIT_SIGNAL", "describe", "status_of", "exit_code", "diverged"]

RUNNING = 0
GRAD_TOL = 1         # converged: gradient norm below tol
GAP_TOL = 2          # converged: f - f* below gap_tol
NO_MISTAKES = 3      # converged: a perceptron epoch without a mistake
ROOT_FOUND = 4       # converged: the Newton correction |f/f'| below tol (root finding)
MAX_ITER = 5         # ran out of iterations
TIME_LIMIT = 6       # ran out of time
NOT_FINITE = 7       # diverged: f or the gradient became inf or NaN
INTERRUPTED = 8      # stopped by a signal (Ctrl-C, SIGTERM) at a checkpoint
REL_GRAD_TOL = 9     # converged: gradient norm below rtol times the start's
F_TOL = 10           # converged: f decreased by at most ftol (relative) over the window
METHOD_TEST = 11     # converged: by the method's own test (a Python solver that says so)
SIMPLEX_TOL = 12     # converged: Nelder-Mead's simplex test (vertices within xatol, f within fatol)

FIRST_REFUSAL = 20
SINGULAR = 20        # failed: singular Hessian (no Newton step exists)
LINE_SEARCH = 21     # line search found no acceptable step
NOT_DESCENT = 22     # failed: the search direction is not a descent direction
ZERO_DERIVATIVE = 23  # failed: f'(x) = 0 in a root-finding step
NEGATIVE_CURVATURE = 24  # failed: p'Ap <= 0 in linear CG (the Hessian is not positive definite)
PRECISION_LIMIT = 25  # a line search cannot decrease f by more than its rounding error
METHOD_FAILED = 26   # failed: a Python solver returned failure, or returned without meeting
                     # the run's tests (its x is the point it returned)
RADIUS_COLLAPSED = 27  # a trust radius below the rounding level of x (trust-region methods)
MODEL_NOT_FINITE = 28  # failed: the trust-region model (the Hessian) is not finite
RANK_DEFICIENT = 29  # failed: J'J has no Cholesky factor (J rank-deficient): no Gauss-Newton step

# reason -> (status word, message template); templates may use {iteration}, {tol},
# {gap_tol}, {max_iter}, {time_limit}, {grad_norm}, {signal}, {rtol}, {ftol}, {ftol_window}
_REASONS = {
    GRAD_TOL: ("converged", "gradient norm <= tol={tol:g}"),
    GAP_TOL: ("converged", "f - f* <= gap_tol={gap_tol:g}"),
    REL_GRAD_TOL: ("converged", "gradient norm <= rtol={rtol:g} x |grad f(x0)|"),
    METHOD_TEST: ("converged", "the solver's own test: {detail}"),
    SIMPLEX_TOL: ("converged", "simplex test: every vertex within xatol of the best in every "
                               "coordinate and every f within fatol of the best f"),
    METHOD_FAILED: ("failed", "{detail}"),
    F_TOL: ("converged", "f decreased by at most ftol={ftol:g} x max(|f|, 1) over the last "
                         "{ftol_window} iterations"),
    NO_MISTAKES: ("converged", "an epoch without mistakes"),
    ROOT_FOUND: ("converged", "Newton correction |f/f'| <= tol={tol:g} (1 + |x|)"),
    MAX_ITER: ("max_iter", "reached max_iter={max_iter}"),
    TIME_LIMIT: ("time_limit", "reached time_limit={time_limit:g} s"),
    NOT_FINITE: ("diverged", "f or the gradient became non-finite at iteration {iteration}"),
    INTERRUPTED: ("interrupted", "stopped by {signal} at iteration {iteration}"),
    SINGULAR: ("failed", "singular Hessian at iteration {iteration}: no Newton step"),
    LINE_SEARCH: ("line_search_failed",
                  "the line search found no acceptable step at iteration {iteration}"),
    NOT_DESCENT: ("failed", "not a descent direction at iteration {iteration}"),
    ZERO_DERIVATIVE: ("failed", "f'(x) = 0 at iteration {iteration}: no Newton root step"),
    NEGATIVE_CURVATURE: ("failed", "direction of non-positive curvature p'Ap <= 0 at iteration "
                                   "{iteration}: the Hessian is not positive definite"),
    RANK_DEFICIENT: ("failed", "J'J is singular at iteration {iteration} (no Cholesky factor: "
                               "the Jacobian is rank-deficient to working precision): no "
                               "Gauss-Newton step"),
    PRECISION_LIMIT: ("precision_limit",
                      "f cannot be decreased further in floating point at iteration {iteration}"
                      ": the line search's shortest step asked for less decrease than the "
                      "rounding error of f (|grad| = {grad_norm:.3g}, tol={tol:g} not met)"),
    RADIUS_COLLAPSED: ("precision_limit",
                       "the trust radius fell below the rounding level of x at iteration "
                       "{iteration}: the model's steps kept failing to decrease f as predicted "
                       "(|grad| = {grad_norm:.3g}, tol={tol:g} not met)"),
    MODEL_NOT_FINITE: ("failed", "the trust-region model is not finite at iteration "
                                 "{iteration}: the Hessian has an inf or NaN"),
}

# the status words (STATUSES, METHOD_FAILURES, the sweep-only NO_OUTCOME) are defined in
# optbench.columns; every word a reason maps to is one of them (checked at import)
if {word for word, _ in _REASONS.values()} != set(STATUSES):  # pragma: no cover
    raise ImportError("optbench.status: the words of the reason codes "
                      f"{sorted({w for w, _ in _REASONS.values()})} are not STATUSES "
                      f"{sorted(STATUSES)} (optbench.columns): update one of them")

# An integer per status word, as scipy's OptimizeResult.status (Result.code)
STATUS_CODES = {"converged": 0, "max_iter": 1, "precision_limit": 2, "time_limit": 3,
                "interrupted": 4, "diverged": 5, "failed": 6, "line_search_failed": 7}

# Exit status of `optbench run` by status word; of `optbench sweep`: 0 when every cell ran
# (outcomes are data there), EXIT_ERRORS when some cell raised. 2 is bad input.
EXIT_BAD_INPUT = 2
EXIT_STOPPED = 3   # stopped before the tolerance was met: max_iter, time_limit, precision_limit
EXIT_FAILED = 4    # diverged, failed, line_search_failed
EXIT_ERRORS = 4    # a sweep in which some cell raised or crashed (status error, crashed)
EXIT_FAULT = 5     # a sweep stopped by a fault of the machine or its workers (cells kept)
EXIT_CODES = {"converged": 0, "max_iter": EXIT_STOPPED, "time_limit": EXIT_STOPPED,
              "precision_limit": EXIT_STOPPED, "diverged": EXIT_FAILED, "failed": EXIT_FAILED,
              "line_search_failed": EXIT_FAILED}
EXIT_SIGNAL = 128  # + the signal number: 130 after Ctrl-C (SIGINT), 143 after SIGTERM


def exit_code(status: str) -> int:
    """The exit status of a run that ended with ``status`` (see ``EXIT_CODES``)."""
    return EXIT_CODES[status]


def diverged(status, f, f0):
    """The one rule for "diverged", in runs, sweeps, summaries and every figure: the status
    says so (f or the gradient became non-finite), or the run ended, not converged, with a
    final f above a finite f(x0), or not finite (a step past the edge that has not
    overflowed yet). f or f0 None (unknown): the status alone decides.

    For one run (a status word and two numbers: a bool) or a table of runs (arrays of
    each: a bool array)."""
    import numpy as np

    status = np.asarray(status, dtype=object)
    if f is None or f0 is None:
        out = status == DIVERGED
    else:
        f, f0 = np.asarray(f, dtype=float), np.asarray(f0, dtype=float)
        with np.errstate(invalid="ignore"):
            grew = np.isfinite(f0) & ~(f <= f0)
        out = (status == DIVERGED) | ((status != CONVERGED) & grew)
    return bool(out) if out.ndim == 0 else out


def status_of(reason: int) -> str:
    """The status word of a reason code (``converged``, ``max_iter`` ...)."""
    return _REASONS[int(reason)][0]


def describe(reason: int, detail: str = "", **context) -> tuple[str, str]:
    """(status word, message) for a reason code, the message filled from ``context``;
    ``detail``, a Python solver's own words about its stop, is quoted after it."""
    status, template = _REASONS[int(reason)]
    message = template.format(detail=detail, **context)
    if detail and "{detail}" not in template:
        message += f" (the solver said: {detail})"
    return status, message
