"""Run results: the tidy convergence table, the summary, saving and loading.

Column names live here and nowhere else. A table has one row per recorded iteration:
``iteration, f, gap, grad_norm, step, time``, the solver's own columns (``mistakes``...), then
the run's identity: ``problem, solver, dim, seed`` and one ``p_<name>`` column per solver
parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidValueError
from .solvers._loop import HISTORY_COLUMNS

__all__ = ["Result", "build_table", "save_table", "load_table", "MEASURE_COLUMNS",
           "ID_COLUMNS", "TABLE_FORMATS"]

MEASURE_COLUMNS = ("iteration", "f", "gap", "grad_norm", "step", "time")
ID_COLUMNS = ("problem", "solver", "dim", "seed")
TABLE_FORMATS = {".csv": "CSV", ".parquet": "Parquet"}


def build_table(history: np.ndarray, extra_columns, f_star, identity: dict[str, Any],
                params: dict[str, Any]) -> pd.DataFrame:
    """The tidy table of one run from the compiled loop's history array."""
    base = dict(zip(HISTORY_COLUMNS + tuple(extra_columns), history.T))
    data = {
        "iteration": base["iteration"].astype(np.int64),
        "f": base["f"],
        "gap": base["f"] - f_star if f_star is not None else np.full(len(history), np.nan),
        "grad_norm": base["grad_norm"],
        "step": base["step"],
        "time": base["time"],
    }
    for name in extra_columns:
        data[name] = base[name]
    table = pd.DataFrame(data)
    for name in ID_COLUMNS:
        table[name] = identity.get(name)
    for name, value in params.items():
        table[f"p_{name}"] = value
    return table


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise InvalidValueError(
            f"cannot write {str(path)!r}: the file name must end in "
            f"{' or '.join(TABLE_FORMATS)} (option --out)")
    return suffix


def save_table(table: pd.DataFrame, path) -> Path:
    """Write ``table`` as CSV or Parquet (by suffix) atomically: a temporary file, then rename."""
    path = Path(path)
    suffix = _check_suffix(path)
    if not path.parent.exists():
        raise InvalidValueError(f"cannot write {str(path)!r}: directory "
                                f"{str(path.parent)!r} does not exist (option --out)")
    tmp = path.with_name(f".{path.name}.tmp")
    if suffix == ".csv":
        table.to_csv(tmp, index=False)
    else:
        table.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def load_table(path) -> pd.DataFrame:
    path = Path(path)
    suffix = _check_suffix(path)
    return pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)


@dataclass
class Result:
    """The outcome of :func:`optbench.run`.

    ``status`` is one of ``converged, max_iter, time_limit, diverged, failed``; ``message``
    says why; ``table`` is the tidy convergence table; ``summary`` holds iterations, final f,
    gap and gradient norm, solve seconds (compilation excluded), seconds per iteration,
    compile seconds and whether the compiled code came from the disk cache.
    """

    problem: str
    solver: str
    x: np.ndarray
    status: str
    message: str
    table: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def iterations(self) -> int:
        return int(self.summary["iterations"])

    @property
    def f(self) -> float:
        return float(self.summary["f"])

    def save(self, path) -> Path:
        return save_table(self.table, path)

    def summary_line(self) -> str:
        s = self.summary
        gap = "" if s["gap"] is None or math.isnan(s["gap"]) else f"  gap={s['gap']:.3e}"
        cache = "cached" if s["cache_hit"] else f"compiled in {s['compile_seconds']:.2f} s"
        return (f"{self.status}: {self.message}. {s['iterations']} iterations, "
                f"f={s['f']:.6g}{gap}  |grad|={s['grad_norm']:.3e}  "
                f"solve {s['solve_seconds'] * 1e3:.3f} ms "
                f"({s['seconds_per_iter'] * 1e9:.0f} ns/iter), {cache}")

    def __repr__(self) -> str:
        return f"<Result {self.problem} / {self.solver}: {self.summary_line()}>"
