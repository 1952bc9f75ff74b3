"""The one rule for "diverged" (optbench.status.diverged), pinned on a hand-made table of
runs, and the runs tables and the sensitivity figure's counts that read it."""

import math

import numpy as np
import pytest

from optbench.control import HISTORY_COLUMNS
from optbench.plots import sensitivity_table
from optbench.plots._data import runs_table
from optbench.results import Result
from optbench.status import diverged

NAN, INF = math.nan, math.inf
# status, final f, f(x0), diverged? -- written from the rule's statement: a run diverged when
# its status says so (f or the gradient became non-finite), or when it ended without
# converging with a final f that is not finite or is above a finite f(x0)
TABLE = [
    ("diverged", 1.0, 2.0, True),            # the status says so, whatever f shows
    ("diverged", NAN, NAN, True),
    ("converged", 5.0, 1.0, False),          # a converged run never diverged
    ("converged", NAN, 1.0, False),
    ("max_iter", 3.0, 2.0, True),            # ended above its start
    ("max_iter", 2.0, 2.0, False),           # at its start: not above it
    ("max_iter", 1.0, 2.0, False),
    ("time_limit", NAN, 2.0, True),          # f not finite (not caught as non-finite yet)
    ("failed", INF, 2.0, True),
    ("line_search_failed", -INF, 2.0, False),  # -inf is below f(x0): unbounded below
    ("precision_limit", 3.0, NAN, False),    # f(x0) unknown: nothing to compare with
    ("max_iter", 3.0, INF, False),
    ("error", NAN, NAN, False),              # a sweep cell that raised: no outcome
    ("crashed", NAN, NAN, False),
]


@pytest.mark.parametrize("status, f, f0, expected", TABLE)
def test_one_run(status, f, f0, expected):
    assert diverged(status, f, f0) is expected


def test_a_table_of_runs_at_once():
    status, f, f0, expected = (list(c) for c in zip(*TABLE, strict=True))
    got = diverged(np.array(status, object), np.array(f), np.array(f0))
    assert got.dtype == bool and got.tolist() == expected


def test_unknown_f_leaves_the_status_to_decide():
    assert diverged("diverged", None, None) is True
    assert diverged("max_iter", None, 1.0) is False
    assert diverged("max_iter", 5.0, None) is False


def _result(i: int, status: str, f: float, f0: float, step: float) -> Result:
    """A hand-made Result of two history rows, f0 then f (no run needed)."""
    history = np.zeros((2, len(HISTORY_COLUMNS)))
    history[:, HISTORY_COLUMNS.index("iteration")] = (0, 10)
    history[:, HISTORY_COLUMNS.index("f")] = (f0, f)
    summary = {"iterations": 10, "f": f, "gap": f, "grad_norm": 1.0, "solve_seconds": 1e-3}
    return Result("quadratic", "gd", np.zeros(2), status, "", history, (), 0.0,
                  {"problem": "quadratic", "solver": "gd", "dim": 2, "seed": i},
                  {"step": step}, summary)


def test_the_runs_table_of_results_and_the_sensitivity_counts_follow_the_rule():
    # two step values, each with every row of the table as a seed
    results = [_result(i, status, f, f0, step)
               for step in (0.1, 1.0) for i, (status, f, f0, _) in enumerate(TABLE)]
    runs = runs_table(results)
    expected = [row[3] for _ in (0.1, 1.0) for row in TABLE]
    assert runs["diverged"].astype(bool).tolist() == expected
    table = sensitivity_table(results, "step")
    assert table["diverged"].tolist() == [sum(row[3] for row in TABLE)] * 2
