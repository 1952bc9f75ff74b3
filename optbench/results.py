"""Run results: the tidy convergence table, the summary, saving and loading.

The table's column names are defined in :mod:`optbench.columns` (re-exported here). A table
has one row per recorded iteration:
``iteration, f, gap, grad_norm, step, time, nfev, ngev, nhev, dist`` (the evaluations of f,
the gradient and the Hessian so far, see :mod:`optbench.oracle`; the distance to the nearest
known minimizer, NaN when none is known), the solver's own columns
(``mistakes``...), then ``x_1 ... x_n`` when the run recorded its iterates (``record_x``),
then the run's identity:
``problem, solver, dim, seed`` and one ``p_<name>`` column per solver parameter. pandas is
imported only when a table is built (the CLI prints without it).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .columns import (
    CONVERGED,
    HISTORY_COLUMNS,
    ID_COLUMNS,
    MEASURE_COLUMNS,
    PARAM_PREFIX,
    X_PREFIX,
)
from .errors import InvalidValueError
from .paths import output_file
from .status import STATUS_CODES

__all__ = ["Result", "measure_columns", "build_table", "save_table", "load_table",
           "check_output_path", "x_columns", "iterate_columns",
           "MEASURE_COLUMNS", "ID_COLUMNS", "TABLE_FORMATS"]

TABLE_FORMATS = {".csv": "CSV", ".parquet": "Parquet"}


def x_columns(n: int) -> tuple[str, ...]:
    """The names of the iterate columns of an n-dimensional problem: ``x_1 ... x_n``."""
    return tuple(f"{X_PREFIX}{i}" for i in range(1, n + 1))


def iterate_columns(columns) -> list[str]:
    """The iterate columns (``x_1 ... x_n``, in order) among ``columns`` (a table's columns)."""
    found = {}
    for name in columns:
        name = str(name)
        if name.startswith(X_PREFIX) and name[len(X_PREFIX):].isdigit():
            found[int(name[len(X_PREFIX):])] = name
    return [found[i] for i in sorted(found)]


def measure_columns(history: np.ndarray, extra_columns, f_star) -> dict[str, np.ndarray]:
    """The measured columns of one run (``MEASURE_COLUMNS``, the solver's own, then
    ``x_1 ... x_n`` when the history holds the iterates: any columns after the extras)."""
    named = HISTORY_COLUMNS + tuple(extra_columns)
    n_x = history.shape[1] - len(named)
    if n_x < 0:
        raise ValueError(f"history has {history.shape[1]} columns; expected at least "
                         f"{len(named)} ({', '.join(named)})")
    raw = dict(zip(named + x_columns(n_x), history.T, strict=True))
    raw["iteration"] = raw["iteration"].astype(np.int64)
    raw["gap"] = raw["f"] - f_star if f_star is not None else np.full(len(history), np.nan)
    return {name: raw[name] for name in MEASURE_COLUMNS + tuple(extra_columns) + x_columns(n_x)}


def build_table(history: np.ndarray, extra_columns, f_star, identity: dict[str, Any],
                params: dict[str, Any]):
    """The tidy pandas table of one run from the compiled loop's history array: the measured
    columns, then the run's identity and ``p_<name>`` columns (one value repeated)."""
    constants = {name: identity.get(name) for name in ID_COLUMNS}
    constants.update((PARAM_PREFIX + name, value) for name, value in params.items())
    return _frame(measure_columns(history, extra_columns, f_star), constants, len(history))


def _frame(columns: dict[str, np.ndarray], constants: dict[str, Any], rows: int):
    """A DataFrame of ``columns`` then ``constants`` (each value repeated on every row), with
    the dtypes pandas gives ``table[name] = value``. Built from one 2-D block per NumPy
    dtype (pandas >= 3: ``create_dataframe_from_blocks``), not column by column: a run's
    table takes tens of microseconds instead of milliseconds."""
    import pandas as pd

    try:
        from pandas.api.internals import create_dataframe_from_blocks
    except ImportError:
        create_dataframe_from_blocks = None
    if create_dataframe_from_blocks is None or int(pd.__version__.split(".")[0]) < 3:
        # pandas 2: column by column (its text columns are object arrays)
        table = pd.DataFrame(columns)
        for name, value in constants.items():
            table[name] = value
        return table
    groups: dict[np.dtype, list] = {}  # NumPy dtype -> [(position, values)]
    blocks = []
    for i, (name, values) in enumerate([*columns.items(), *constants.items()]):
        if name in columns:
            groups.setdefault(values.dtype, []).append((i, values))
        elif type(values) in _CONSTANT_DTYPES:
            groups.setdefault(_CONSTANT_DTYPES[type(values)], []).append((i, values))
        elif isinstance(values, np.generic) and values.dtype.kind in "biuf":
            groups.setdefault(values.dtype, []).append((i, values))
        elif isinstance(values, str):
            blocks.append((_repeated_text(values, rows), np.array([i])))
        else:  # None, or another kind of value: an object column
            groups.setdefault(np.dtype(object), []).append((i, values))
    for dtype, members in groups.items():
        block = np.empty((len(members), rows), dtype=dtype)
        for row, (_, values) in enumerate(members):
            block[row] = values
        blocks.append((block, np.array([i for i, _ in members])))
    return create_dataframe_from_blocks(blocks, index=pd.RangeIndex(rows),
                                        columns=_column_index((*columns, *constants)))


_CONSTANT_DTYPES = {float: np.dtype(np.float64), int: np.dtype(np.int64),
                    bool: np.dtype(np.bool_)}


def _repeated_text(value: str, rows: int):
    """``value`` on ``rows`` rows, as the array pandas makes for a text column (a new array:
    tables share no column). With pyarrow storage (pandas 3's default) the array is made by
    ``pyarrow.repeat``, a third of the cost of ``take``."""
    one, scalar = _text(value)
    if scalar is None:
        return one.take(np.zeros(rows, dtype=np.intp))
    import pyarrow as pa

    return type(one)(pa.chunked_array([pa.repeat(scalar, rows)]), dtype=one.dtype)


@functools.lru_cache(maxsize=1024)
def _text(value: str):
    """``value`` as a one-row array of the dtype pandas gives a column of text (``str`` in
    pandas 3, by default; never changed, only taken from), and as a pyarrow scalar of the
    array's type when pandas keeps text in pyarrow (else None)."""
    import pandas as pd

    one = pd.array([value], dtype=pd.Series(["text"]).dtype)
    if type(one) is not getattr(pd.arrays, "ArrowStringArray", None):
        return one, None
    import pyarrow as pa

    return one, pa.array(one)[0]


@functools.lru_cache(maxsize=1024)
def _column_index(names: tuple[str, ...]):
    """The (immutable) pandas Index of these column names."""
    import pandas as pd

    return pd.Index(names)


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise InvalidValueError(
            f"cannot use {str(path)!r}: a table file name must end in "
            f"{' or '.join(TABLE_FORMATS)} (option --out)")
    return suffix


def check_output_path(path) -> str:
    """Refuse, before any work is done, a table path that cannot be written (see
    :mod:`optbench.paths`); returns its suffix."""
    return output_file(path, "--out", tuple(TABLE_FORMATS)).suffix.lower()


def save_table(table, path) -> Path:
    """Write ``table`` as CSV or Parquet (by suffix) atomically: a temporary file, then rename."""
    path = Path(path)
    suffix = check_output_path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if suffix == ".csv":
            table.to_csv(tmp, index=False)
        else:
            _one_type_per_column(table).to_parquet(tmp, index=False)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _one_type_per_column(table):
    """Parquet columns have one type: a parameter column that mixes numbers and words (a
    sweep of ``step`` = 0.1 and ``armijo``) is written as text, missing values kept."""
    mixed = {}
    for name in table.columns:
        if table[name].dtype.kind == "O" and \
                len({type(v) for v in table[name] if v is not None and v == v}) > 1:
            mixed[name] = table[name].map(lambda v: v if v is None or v != v else str(v))
    return table.assign(**mixed) if mixed else table


def load_table(path):
    """Read a table written by :func:`save_table` (or ``optbench run --out``)."""
    import pandas as pd

    path = Path(path)
    suffix = _check_suffix(path)
    return pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)


@dataclass(eq=False)
class Result:
    """The outcome of :func:`optbench.run`.

    ``status`` is one of ``optbench.status.STATUSES`` (``converged``, ``max_iter``,
    ``precision_limit`` ...); ``message`` says why; ``table`` is the tidy convergence table
    (pandas); ``summary`` holds iterations, final f, gap and gradient norm, the evaluations
    (``nfev``, ``ngev``, ``nhev``), solve seconds (measured inside the compiled loop, so
    neither compilation nor the call from Python counts), seconds per iteration, call seconds
    (the whole call from Python), compile seconds and whether the compiled code came from the
    disk cache.

    The names scipy's ``OptimizeResult`` users reach for are here too: ``fun``, ``nit``,
    ``nfev``, ``njev`` (gradient evaluations), ``nhev``, ``success`` (True only for
    ``converged``), ``jac`` (the gradient at ``x``, computed when asked) and ``code``, an
    integer beside the status word (``optbench.status.STATUS_CODES``: 0 converged, 1
    max_iter, 2 precision_limit ...). Two Results are equal only when they are the same object
    (two runs are two results, whatever their numbers).
    """

    problem: str
    solver: str
    x: np.ndarray
    status: str
    message: str
    history: np.ndarray
    extra_columns: tuple[str, ...]
    f_star: float | None
    identity: dict[str, Any]
    params: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)
    gradient_at: Any = field(default=None, repr=False)  # x -> grad f(x), for ``jac``

    @functools.cached_property
    def table(self):
        return build_table(self.history, self.extra_columns, self.f_star, self.identity,
                           self.params)

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """The measured columns as NumPy arrays (no pandas needed)."""
        return measure_columns(self.history, self.extra_columns, self.f_star)

    @property
    def iterates(self) -> np.ndarray | None:
        """The recorded iterates, one row per table row (None unless run with record_x)."""
        n_x = self.history.shape[1] - len(HISTORY_COLUMNS) - len(self.extra_columns)
        return self.history[:, self.history.shape[1] - n_x:] if n_x > 0 else None

    @property
    def iterations(self) -> int:
        return int(self.summary["iterations"])

    # -- the names of scipy.optimize.OptimizeResult ----------------------------------------
    @property
    def fun(self) -> float:
        return float(self.summary["f"])

    @property
    def nit(self) -> int:
        return self.iterations

    @property
    def nfev(self) -> float:
        return self.summary["nfev"]

    @property
    def njev(self) -> float:
        return self.summary["ngev"]

    @property
    def nhev(self) -> float:
        return self.summary["nhev"]

    @property
    def success(self) -> bool:
        return self.status == CONVERGED

    @property
    def code(self) -> int:
        return STATUS_CODES[self.status]

    @functools.cached_property
    def jac(self) -> np.ndarray | None:
        return None if self.gradient_at is None else self.gradient_at(self.x)

    def save(self, path) -> Path:
        return save_table(self.table, path)

    def summary_line(self) -> str:
        s = self.summary
        gap = "" if math.isnan(s["gap"]) else f"  gap={s['gap']:.3e}"
        cache = ("a Python solver (not compiled)" if s.get("python")
                 else "loaded from cache" if s["cache_hit"]
                 else "already compiled in this process" if s["compile_seconds"] == 0
                 else f"compiled in {s['compile_seconds']:.2f} s")
        evals = ", ".join(f"{s[key]:g} {name}" for key, name in
                          (("nfev", "f"), ("ngev", "grad"), ("nhev", "Hessian")) if s[key])
        return (f"{self.status}: {self.message}. {s['iterations']} iterations"
                + (f" ({evals} evaluations)" if evals else "")
                + f", f={s['f']:.6g}{gap}  |grad|={s['grad_norm']:.3e}  "
                f"solve {s['solve_seconds'] * 1e3:.3f} ms "
                f"({s['seconds_per_iter'] * 1e9:.0f} ns/iter), {cache}")

    def __repr__(self) -> str:
        return f"<Result {self.problem} / {self.solver}: {self.summary_line()}>"

    def _repr_html_(self) -> str:
        """Jupyter: the summary line and the table's first and last rows."""
        import html

        import pandas as pd

        table = self.table[list(self.columns)]  # the measured columns, not the identity
        shown = table if len(table) <= 6 else pd.concat([table.head(3), table.tail(3)])
        return (f"<p><b>{html.escape(self.problem)} / {html.escape(self.solver)}</b>: "
                f"{html.escape(self.summary_line())}</p>"
                + shown.to_html(float_format=lambda v: f"{v:.6g}"))
