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

A results directory is data that people share, so every file is checked before use, and
nothing in it is executed or unpickled. A cell file that is not what a sweep writes (not a
regular file, a name that is not a cell key, not Parquet, metadata missing or of the wrong
shape, a key that does not match its name) is skipped by readers with one warning naming it
(readers never change the directory); a sweep resuming the directory moves it to
``cells/.quarantine/`` and runs that cell again. A manifest of the wrong shape is one error
naming the file and what is wrong.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import logging
import math
import os
import platform
import re
import stat
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InvalidValueError
from .faults import environment_fault
from .paths import output_dir
from .status import METHOD_FAILURES, NO_OUTCOME, STATUSES, diverged

log = logging.getLogger("optbench")

__all__ = ["ResultsStore", "encode_cell", "load_runs", "load_history", "load_manifest", "summarize",
           "read_cell", "check_cell", "cell_records", "RUN_COLUMNS",
           "CELL_STATUSES"]

CELL_META = b"optbench.cell"
MANIFEST = "manifest.json"
CELLS = "cells"
QUARANTINE = ".quarantine"
_TMP = ".tmp-"
KEY = re.compile(r"[0-9a-f]{20}")  # a cell key (grid.py): 20 hex digits, the file's stem
# statuses a cell file may hold: a run's, or "error" (its run raised), "crashed" (it killed
# its worker process twice)
CELL_STATUSES = (*STATUSES, "error", "crashed")
# the columns of a runs table, before the problem_<name> and p_<name> columns
RUN_COLUMNS = ("cell", "problem", "solver", "dim", "seed", "instance", "setting", "status",
               "message", "iterations", "f0", "f", "f_star", "f_star_tol", "gap", "grad_norm",
               "nfev",
               "ngev", "nhev", "solve_seconds", "f_target", "solved", "iterations_to_tol",
               "seconds_to_tol", "nfev_to_tol", "ngev_to_tol", "diverged")
# the costs read from a run's history at the row where it first reached f_target
_COSTS_TO_TOL = {"iterations_to_tol": "iteration", "seconds_to_tol": "time",
                 "nfev_to_tol": "nfev", "ngev_to_tol": "ngev"}
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
        output_dir(self.root, "--out")
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
        """Keys of the finished cells, which a sweep skips: every valid cell file but those
        whose status is ``error`` from a fault of the environment (see
        :func:`environment_fault`), and with ``retry_errors`` every cell but those in
        ``error`` at all, so that they run again and their files are replaced. A file that is
        not a valid cell is moved to ``cells/.quarantine/`` (one warning) and run again."""
        done = set()
        for path, record in cell_records(self.root, on_bad=self._quarantine):
            if record["status"] == "error" and (retry_errors or
                                                environment_fault(record["message"])):
                continue
            done.add(path.stem)
        return done

    def _quarantine(self, path: Path, reason: str) -> None:
        target = self.cells_dir / QUARANTINE
        target.mkdir(exist_ok=True)
        name = path.name
        while (target / name).exists():
            name = "_" + name
        try:
            os.replace(path, target / name)
        except OSError:
            (path.unlink if not path.is_dir() or path.is_symlink() else path.rmdir)()
        log.warning("optbench: warning: %s is not a valid cell (%s); moved to %s, the cell "
                    "runs again", path, reason, target / name)

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


_MANIFEST_FIELDS = {"config": dict, "config_hash": str, "cells": int, "sessions": list}


def load_manifest(root) -> dict[str, Any]:
    """The manifest of a results directory, checked: one error naming the file and what is
    wrong when it is missing, unreadable, not JSON, or not of the shape a sweep writes."""
    path = Path(root) / MANIFEST
    if not Path(root).is_dir():
        raise InvalidValueError(f"{str(root)!r} is not a results directory: "
                                f"{'no such directory' if not Path(root).exists() else 'a file'}"
                                " (option DIR)")
    try:
        text = path.read_bytes().decode("utf-8")
        manifest = json.loads(text)
    except (FileNotFoundError, NotADirectoryError):
        raise InvalidValueError(f"{str(root)!r} is not a results directory: it has no "
                                f"{MANIFEST} (option DIR)") from None
    except OSError as exc:
        raise InvalidValueError(f"cannot read {str(path)!r}: {exc.strerror} (option DIR)") \
            from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidValueError(f"{str(path)!r} is not a valid manifest: not JSON text "
                                f"({str(exc)[:120]}); sweeps write it atomically, so something "
                                "else changed it") from None
    if not isinstance(manifest, dict):
        raise InvalidValueError(f"{str(path)!r} is not a valid manifest: it holds a "
                                f"{type(manifest).__name__}, not an object")
    for key, kind in _MANIFEST_FIELDS.items():
        if not isinstance(manifest.get(key), kind) or isinstance(manifest.get(key), bool):
            got = "missing" if key not in manifest else \
                f"a {type(manifest[key]).__name__}"
            raise InvalidValueError(f"{str(path)!r} is not a valid manifest: {key!r} must be "
                                    f"a {kind.__name__}; it is {got}")
    solved = manifest["config"].get("solved", 1e-6)
    if isinstance(solved, bool) or not isinstance(solved, int | float) or \
            not 0 <= solved < math.inf:
        raise InvalidValueError(f"{str(path)!r} is not a valid manifest: config 'solved' must "
                                f"be a number >= 0; it is {solved!r:.60}")
    return manifest


# -- cell files, checked ---------------------------------------------------------------------------
_RECORD_FIELDS = {"cell": str, "problem": str, "solver": str, "instance": str, "setting": str,
                  "status": str, "message": str, "iterations": int,
                  "problem_params": dict, "solver_values": dict}
_OPTIONAL_NUMBERS = ("f", "f_star", "f_star_tol", "gap", "grad_norm", "solve_seconds", "nfev",
                     "ngev", "nhev")
_HISTORY = ("iteration", "f", "time")


def _bad_record(record, stem: str) -> str | None:
    """What is wrong with a cell's metadata record (None when it is what a sweep writes)."""
    if not isinstance(record, dict):
        return f"its metadata is a {type(record).__name__}, not an object"
    for key, kind in _RECORD_FIELDS.items():
        value = record.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"metadata {key!r} is {'missing' if key not in record else repr(value)[:40]}"
    if record["cell"] != stem:
        return f"its metadata names cell {record['cell'][:40]!r}, not {stem!r}"
    if record["status"] not in CELL_STATUSES:
        return f"unknown status {record['status'][:40]!r}"
    for key in ("dim", "seed", "index"):
        value = record.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            return f"metadata {key!r} is {repr(value)[:40]}"
    for key in _OPTIONAL_NUMBERS:
        value = record.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"metadata {key!r} is {repr(value)[:40]}"
    return None


def check_cell(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(record, None) for a valid cell file, else (None, what is wrong)."""
    import pyarrow.parquet as pq

    if not (path.suffix == ".parquet" and KEY.fullmatch(path.stem)):
        return None, "its name is not a cell key (20 hex digits) with .parquet"
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return None, exc.strerror
    if not stat.S_ISREG(mode):
        return None, "not a regular file" + (" (a symbolic link)" if stat.S_ISLNK(mode) else "")
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # noqa: BLE001 - any failure to parse: not a cell file
        return None, f"not a Parquet file ({type(exc).__name__})"
    meta = (schema.metadata or {}).get(CELL_META)
    if meta is None:
        return None, "no optbench metadata (a Parquet file from elsewhere)"
    try:
        record = json.loads(meta)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "its metadata is not JSON"
    reason = _bad_record(record, path.stem)
    if reason is None and not set(_HISTORY) <= set(schema.names):
        reason = f"its table lacks the columns {', '.join(_HISTORY)}"
    return (None, reason) if reason else (record, None)


def _skip(path: Path, reason: str) -> None:
    log.warning("optbench: warning: skipped %s: not a valid cell (%s); a sweep resuming "
                "this directory moves it to cells/%s and runs the cell again", path, reason,
                QUARANTINE)


def cell_records(root, on_bad=_skip) -> list[tuple[Path, dict[str, Any]]]:
    """(path, record) of every valid cell file of a results directory, in file-name order;
    each invalid one is passed to ``on_bad(path, reason)`` (by default: one warning)."""
    load_manifest(root)  # refuses a directory that is not a results directory
    cells = Path(root) / CELLS
    if not cells.is_dir():
        raise InvalidValueError(f"{str(root)!r} is not a complete results directory: it has "
                                f"no {CELLS}/ directory (option DIR)")
    out = []
    for path in sorted(cells.iterdir()):
        if path.name.startswith(_TMP) or path.name == QUARANTINE:
            continue
        record, reason = check_cell(path)
        if reason is not None:
            on_bad(path, reason)
        else:
            out.append((path, record))
    return out


def read_cell(path, columns=None) -> tuple[dict[str, Any], Any]:
    """The record and the history table (pyarrow) of one cell file (checked: an invalid
    file is an InvalidValueError naming it)."""
    import pyarrow.parquet as pq

    path = Path(path)
    record, reason = check_cell(path)
    if reason is not None:
        raise InvalidValueError(f"{str(path)!r} is not a valid cell ({reason})")
    try:
        table = pq.ParquetFile(path).read(columns=columns)
    except Exception as exc:  # noqa: BLE001 - a file damaged past its schema
        raise InvalidValueError(f"{str(path)!r} is not a valid cell (its table cannot be read: "
                                f"{type(exc).__name__})") from None
    return record, table


def _read_valid(root, columns=None) -> list[tuple[dict[str, Any], Any]]:
    """(record, table) of each valid cell; a file whose table turns out unreadable is
    skipped with a warning like the rest."""
    out = []
    for path, _ in cell_records(root):
        try:
            out.append(read_cell(path, columns))
        except InvalidValueError as exc:
            _skip(path, str(exc).split("(", 1)[-1].rstrip(")"))
    return out


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
    for record, table in _read_valid(root):
        rows.append({"index": record.get("index", 0), **_identity_columns(record),
                     **{k: record.get(k) for k in (
            "status", "message", "iterations", "f", "f_star", "f_star_tol", "gap",
            "grad_norm", "nfev", "ngev", "nhev", "solve_seconds", "seeded")}})
        traces.append({k: table.column(k).to_numpy() if k in table.column_names
                       else np.full(table.num_rows, np.nan)
                       for k in {"f", *_COSTS_TO_TOL.values()}})
    if not rows:
        return pd.DataFrame(columns=list(RUN_COLUMNS))
    order = np.argsort([r.pop("index") or 0 for r in rows], kind="stable")
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
    # the lowest f* can be (f_star_tol: its accuracy), so that "solved" never claims more
    tol = runs["f_star_tol"].astype(float).fillna(0.0)
    f_low = (f_star - tol).where(f_star.notna(), best)
    runs["f_target"] = f_low + tau * (runs["f0"] - f_low).clip(lower=0)
    first_hit = []
    for tr, target in zip(traces, runs["f_target"], strict=True):
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero(tr["f"] <= target) if math.isfinite(target) else []
        first_hit.append(hits[0] if len(hits) else None)
    for column, source in _COSTS_TO_TOL.items():
        runs[column] = [math.nan if i is None else float(tr[source][i])
                        for tr, i in zip(traces, first_hit, strict=True)]
    runs["solved"] = runs["iterations_to_tol"].notna()
    runs["diverged"] = [diverged(s, f, f0) for s, f, f0 in
                        zip(runs["status"], runs["f"], runs["f0"], strict=True)]
    extra = [c for c in runs.columns if c not in RUN_COLUMNS]
    return runs[list(RUN_COLUMNS) + extra]


def load_history(root):
    """Every recorded iteration of every finished cell, with the cell's identity columns."""
    import pandas as pd

    cells = sorted(_read_valid(root), key=lambda cell: cell[0].get("index") or 0)
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
            "errors": int(g["status"].isin(NO_OUTCOME).sum()),
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
