"""The results directory of a sweep: one Parquet file per finished cell, and a manifest.

Layout::

    DIR/manifest.json        the config, its hash, package versions, machine facts, sessions
    DIR/cells/KEY.parquet    one finished cell: its history rows; the cell's identity and
                             outcome as JSON in the file's metadata (key b"optbench.cell")
    DIR/.lock                held (flock) by the sweep writing the directory

Every file is written under a temporary name and renamed, so a reader never sees a partial
file and a killed sweep loses only the cells still running. One sweep writes a directory at
a time (a second one is refused while the lock is held; the lock dies with its process).
Reading needs no lock: :func:`load_runs` (one row per cell, with the solved / tolerance
columns), :func:`load_history` (one row per recorded iteration) and :func:`summarize`.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import math
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InvalidValueError
from .status import METHOD_FAILURES

__all__ = ["ResultsStore", "encode_cell", "load_runs", "load_history", "load_manifest", "summarize",
           "read_cell", "RUN_COLUMNS"]

CELL_META = b"optbench.cell"
MANIFEST = "manifest.json"
CELLS = "cells"
_TMP = ".tmp-"
# the columns of a runs table, before the problem_<name> and p_<name> columns
RUN_COLUMNS = ("cell", "problem", "solver", "dim", "seed", "instance", "setting", "status",
               "message", "iterations", "f0", "f", "f_star", "gap", "grad_norm", "solve_seconds",
               "f_target", "solved", "iterations_to_tol", "seconds_to_tol", "diverged")
_VERSIONED = ("optbench", "numba", "numpy", "scipy", "pandas", "pyarrow", "dask",
              "distributed")


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f"{_TMP}{os.getpid()}-{path.name}")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        memory = None
    return {"node": platform.node(), "platform": platform.platform(), "cpu": cpu,
            "cpus": os.cpu_count(), "memory_bytes": memory}


class ResultsStore:
    """A results directory opened for writing by one sweep (use as a context manager)."""

    def __init__(self, root, config: dict[str, Any], config_hash: str, cells: int,
                 skipped: list[str]):
        self.root = Path(root)
        self.cells_dir = self.root / CELLS
        self._config, self._hash = config, config_hash
        self._planned, self._skipped = cells, skipped
        self._lock = None

    def __enter__(self) -> ResultsStore:
        if self.root.exists() and not self.root.is_dir():
            raise InvalidValueError(f"cannot write results to {str(self.root)!r}: it is a "
                                    "file (option --out)")
        try:
            self.cells_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidValueError(f"cannot write results to {str(self.root)!r}: "
                                    f"{exc.strerror} (option --out)") from None
        self._take_lock()
        try:
            self._write_manifest()
            for stray in self.cells_dir.glob(f"{_TMP}*"):  # left by a killed sweep
                stray.unlink(missing_ok=True)
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._release()

    def _take_lock(self) -> None:
        lock = open(self.root / ".lock", "a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            lock.close()
            raise InvalidValueError(f"results directory {str(self.root)!r} is being written "
                                    f"by another sweep ({holder}); wait for it or choose "
                                    "another directory (option --out)") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()} on {platform.node()}\n")
        lock.flush()
        self._lock = lock

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the flock
            self._lock = None

    def _write_manifest(self) -> None:
        path = self.root / MANIFEST
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        session = {"started": now, "versions": _versions(), "machine": _machine()}
        if path.exists():
            manifest = load_manifest(self.root)
            if manifest.get("config_hash") != self._hash:
                raise InvalidValueError(
                    f"{str(self.root)!r} holds the results of another sweep config (hash "
                    f"{manifest.get('config_hash')}, this one {self._hash}); use a new "
                    "directory (option --out)")
            manifest["sessions"].append(session)
        else:
            manifest = {"config": self._config, "config_hash": self._hash,
                        "cells": self._planned, "skipped": self._skipped,
                        "created": now, "versions": session["versions"],
                        "machine": session["machine"], "sessions": [session]}
        text = json.dumps(manifest, indent=2, default=str)
        _atomic_write(path, lambda tmp: tmp.write_text(text))

    def done(self, retry_errors: bool = False) -> set[str]:
        """Keys of the finished cells, which a sweep skips: every cell written, or with
        ``retry_errors`` every cell written except those whose status is ``error`` (their run
        raised), so that they run again and their files are replaced."""
        paths = [p for p in self.cells_dir.glob("*.parquet") if not p.name.startswith(_TMP)]
        if retry_errors:
            paths = [p for p in paths if _cell_status(p) != "error"]
        return {p.stem for p in paths}

    def has(self, key: str) -> bool:
        """Whether a file for the cell ``key`` is written (finished, or in error)."""
        return (self.cells_dir / f"{key}.parquet").exists()

    def write_cell(self, key: str, data: bytes) -> None:
        """Write one finished cell (the bytes of :func:`encode_cell`) atomically."""
        _atomic_write(self.cells_dir / f"{key}.parquet", lambda tmp: tmp.write_bytes(data))


def encode_cell(columns: dict[str, np.ndarray], record: dict[str, Any]) -> bytes:
    """One cell as the bytes of a Parquet file: its history ``columns``, and its ``record``
    (identity, outcome) as JSON in the file's metadata. Done by the worker, so the process
    writing the results directory only moves bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({name: np.asarray(v) for name, v in columns.items()})
    meta = json.dumps(record, default=_json_value).encode()
    sink = pa.BufferOutputStream()
    pq.write_table(table.replace_schema_metadata({CELL_META: meta}), sink, compression="none")
    return sink.getvalue().to_pybytes()


def _json_value(value):
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def load_manifest(root) -> dict[str, Any]:
    path = Path(root) / MANIFEST
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, NotADirectoryError):
        raise InvalidValueError(f"{str(root)!r} is not a results directory: it has no "
                                f"{MANIFEST} (option DIR)") from None
    except OSError as exc:
        raise InvalidValueError(f"cannot read {str(path)!r}: {exc.strerror} (option DIR)") \
            from None
    except json.JSONDecodeError as exc:
        raise InvalidValueError(f"{str(path)!r} is corrupt ({exc}); it is written "
                                "atomically, so something else changed it") from None


def _cell_files(root) -> list[Path]:
    load_manifest(root)  # refuses a directory that is not a results directory
    return sorted(p for p in (Path(root) / CELLS).glob("*.parquet")
                  if not p.name.startswith(_TMP))


def _cell_status(path: Path) -> str:
    """The status recorded in a cell file, read from its metadata alone."""
    import pyarrow.parquet as pq

    return json.loads(pq.read_schema(path).metadata[CELL_META])["status"]


def read_cell(path, columns=None) -> tuple[dict[str, Any], Any]:
    """The record and the history table (pyarrow) of one cell file."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path).read(columns=columns)
    record = json.loads(table.schema.metadata[CELL_META])
    return record, table


def _identity_columns(record: dict[str, Any]) -> dict[str, Any]:
    out = {k: record[k] for k in ("cell", "problem", "solver", "dim", "seed", "instance",
                                  "setting")}
    out.update({f"problem_{k}": v for k, v in record["problem_params"].items() if k != "dim"})
    out.update({f"p_{k}": v for k, v in record["solver_values"].items()})
    return out


def load_runs(root):
    """One row per finished cell (columns ``RUN_COLUMNS``, then ``problem_<name>`` and
    ``p_<name>``), with the More-Wild solved test applied (see :mod:`optbench.grid`)."""
    import pandas as pd

    tau = float(load_manifest(root)["config"].get("solved", 1e-6))
    rows, traces = [], []
    for path in _cell_files(root):
        record, table = read_cell(path, columns=["iteration", "f", "time"])
        rows.append({"index": record.get("index", 0), **_identity_columns(record),
                     **{k: record[k] for k in (
            "status", "message", "iterations", "f", "f_star", "gap", "grad_norm",
            "solve_seconds")}})
        traces.append({k: table.column(k).to_numpy() for k in ("iteration", "f", "time")})
    if not rows:
        return pd.DataFrame(columns=list(RUN_COLUMNS))
    order = np.argsort([r.pop("index") for r in rows], kind="stable")
    rows, traces = [rows[i] for i in order], [traces[i] for i in order]
    runs = pd.DataFrame(rows)
    f0 = [tr["f"][0] if len(tr["f"]) else math.nan for tr in traces]
    fmin = [np.nanmin(np.where(np.isfinite(tr["f"]), tr["f"], np.nan))
            if np.isfinite(tr["f"]).any() else math.nan for tr in traces]
    runs["f0"] = f0
    runs["f_star"] = runs["f_star"].astype(float)  # NaN where the problem does not know it
    f_star = runs["f_star"]
    best = pd.Series(fmin, index=runs.index).groupby([runs["instance"], runs["seed"]]) \
        .transform("min")
    f_low = f_star.where(f_star.notna(), best)
    runs["f_target"] = f_low + tau * (runs["f0"] - f_low).clip(lower=0)
    hit_it, hit_s = [], []
    for tr, target in zip(traces, runs["f_target"], strict=True):
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero(tr["f"] <= target) if math.isfinite(target) else []
        hit_it.append(float(tr["iteration"][hits[0]]) if len(hits) else math.nan)
        hit_s.append(float(tr["time"][hits[0]]) if len(hits) else math.nan)
    runs["iterations_to_tol"] = hit_it
    runs["seconds_to_tol"] = hit_s
    runs["solved"] = runs["iterations_to_tol"].notna()
    runs["diverged"] = runs["status"] == "diverged"
    extra = [c for c in runs.columns if c not in RUN_COLUMNS]
    return runs[list(RUN_COLUMNS) + extra]


def load_history(root):
    """Every recorded iteration of every finished cell, with the cell's identity columns."""
    import pandas as pd

    cells = sorted((read_cell(path) for path in _cell_files(root)),
                   key=lambda cell: cell[0].get("index", 0))
    frames = []
    for record, table in cells:
        frame = table.to_pandas()
        for name, value in {**_identity_columns(record), "status": record["status"]}.items():
            frame[name] = value
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _quartiles(series, name: str) -> dict[str, float]:
    q = series.quantile([0.25, 0.5, 0.75]) if series.notna().any() else None
    if q is None:
        return {f"{name}_q1": math.nan, f"{name}_median": math.nan, f"{name}_q3": math.nan}
    return {f"{name}_q1": q[0.25], f"{name}_median": q[0.5], f"{name}_q3": q[0.75]}


def summarize(runs):
    """Per (problem instance, solver setting): runs, share solved, median and quartiles of
    iterations and seconds to tolerance (over the solved runs), median final gap, and how
    many runs diverged, failed or raised."""
    import pandas as pd

    out = []
    for (instance, setting), g in runs.groupby(["instance", "setting"], sort=False):
        out.append({
            "instance": instance, "setting": setting, "runs": len(g),
            "solved": g["solved"].mean(),
            **_quartiles(g["iterations_to_tol"], "iterations"),
            **_quartiles(g["seconds_to_tol"], "seconds"),
            "final_gap_median": g["gap"].median(),
            "diverged": int(g["diverged"].sum()),
            "failed": int(g["status"].isin(METHOD_FAILURES).sum()),
            "errors": int((g["status"] == "error").sum()),
        })
    return pd.DataFrame(out)


def format_summary(summary) -> str:
    """The summary table as text: one line per (instance, setting)."""
    def spread(row, name, scale=1.0, fmt="{:.4g}"):
        if math.isnan(row[f"{name}_median"]):
            return "-"
        q = [fmt.format(row[f"{name}_{k}"] * scale) for k in ("median", "q1", "q3")]
        return f"{q[0]} [{q[1]}, {q[2]}]"

    rows = [{"problem": r["instance"], "solver": r["setting"], "runs": r["runs"],
             "solved": f"{r['solved']:.0%}",
             "iterations to tol (median [q1, q3])": spread(r, "iterations", fmt="{:.0f}"),
             "ms to tol": spread(r, "seconds", 1e3, "{:.3g}"),
             "final gap": "-" if math.isnan(r["final_gap_median"])
             else f"{r['final_gap_median']:.2e}",
             "diverged": r["diverged"], "failed": r["failed"] + r["errors"]}
            for _, r in summary.iterrows()]
    if not rows:
        return "(no finished cells)"
    import pandas as pd

    return pd.DataFrame(rows).to_string(index=False)
