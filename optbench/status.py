"""How a run ended: integer reason codes (set inside compiled code) and their meaning.

This is the one place where stopping reasons are named. Compiled code returns a reason code;
:func:`describe` turns it into the status word and the message users see.
"""

from __future__ import annotations

__all__ = ["RUNNING", "GRAD_TOL", "GAP_TOL", "NO_MISTAKES", "MAX_ITER", "TIME_LIMIT",
           "NOT_FINITE", "SINGULAR", "FIRST_REFUSAL", "STATUSES", "describe"]

RUNNING = 0
GRAD_TOL = 1      # converged: gradient norm below tol
GAP_TOL = 2       # converged: f - f* below gap_tol
NO_MISTAKES = 3   # converged: a perceptron epoch without a mistake
MAX_ITER = 4      # ran out of iterations
TIME_LIMIT = 5    # ran out of time
NOT_FINITE = 6    # diverged: f or the gradient became inf or NaN
SINGULAR = 7      # failed: singular Hessian (no Newton step exists)

# Codes from FIRST_REFUSAL on are returned by a step that could not be taken: x is unchanged.
FIRST_REFUSAL = SINGULAR

# reason -> (status word, message template); templates may use {iteration}, {tol},
# {gap_tol}, {max_iter}, {time_limit}
_REASONS = {
    GRAD_TOL: ("converged", "gradient norm <= tol={tol:g}"),
    GAP_TOL: ("converged", "f - f* <= gap_tol={gap_tol:g}"),
    NO_MISTAKES: ("converged", "an epoch without mistakes"),
    MAX_ITER: ("max_iter", "reached max_iter={max_iter}"),
    TIME_LIMIT: ("time_limit", "reached time_limit={time_limit:g} s"),
    NOT_FINITE: ("diverged", "f or the gradient became non-finite at iteration {iteration}"),
    SINGULAR: ("failed", "singular Hessian at iteration {iteration}: no Newton step"),
}

STATUSES = ("converged", "max_iter", "time_limit", "diverged", "failed")


def describe(reason: int, **context) -> tuple[str, str]:
    """(status word, message) for a reason code, the message filled from ``context``."""
    status, template = _REASONS[int(reason)]
    return status, template.format(**context)
