"""The results directory of a sweep: Parquet part files, one per batch of cells, and a manifest.

Layout::

    DIR/manifest.json             the config, its hash, package versions, machine facts, sessions
    DIR/parts/part-NNNNNNNNNN.parquet
                                  one batch of finished cells, one row per cell: its identity
                                  and outcome as columns (``problem_params`` and
                                  ``solver_values`` as JSON text), its history as list columns
                                  ``h_<name>`` (``h_iteration``, ``h_f``, ``h_time`` ...)
    DIR/cells/KEY.parquet         one cell per file: what sweeps wrote before parts (still read)
    DIR/.lock                     held (flock) by the sweep writing the directory

Every file is written under a temporary name and renamed, so a reader never sees a partial
file and a killed sweep loses only the cells still running. When a cell is in two files
(run again with ``retry_errors``, or a merge of parts killed half-way) the newest holds it:
legacy ``cells/`` files are older than every part, and parts are numbered in the order they
were written. One sweep writes a directory at a time (a second one is refused while the
lock is held; the lock dies with its process). Reading needs no lock: :func:`load_runs` (one
row per cell, with the solved / tolerance columns), :func:`load_history` (one row per
recorded iteration, filters pushed down to Parquet) and :func:`summarize`. Other tools read
the parts directly, e.g. ``pandas.read_parquet(DIR / "parts")`` or DuckDB's
``read_parquet('DIR/parts/*.parquet', union_by_name = true)``.

A results directory is data that people share, so every file is checked before use, and
nothing in it is executed or unpickled. A part or cell file that is not what a sweep writes
(not a regular file, a name of the wrong form, not Parquet, metadata or columns missing or
of the wrong type, a cell key, status or JSON value of the wrong form) is skipped by readers
with one warning naming it (readers never change the directory); a sweep resuming the
directory moves it to ``parts/.quarantine/`` (``cells/.quarantine/``) and runs its cells
again. A manifest of the wrong shape is one error naming the file and what is wrong.
"""

from __future__ import annotations

import datetime
import fcntl
import functools
import json
import logging
import math
import os
import platform
import re
import stat
import sys
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .columns import (
    CELL_STATUSES,
    ERROR,
    HISTORY_PREFIX,
    METHOD_FAILURES,
    NO_OUTCOME,
    PARAM_PREFIX,
    RUN_COLUMNS,
)
from .errors import InvalidValueError
from .faults import environment_fault
from .paths import output_dir
from .status import diverged

log = logging.getLogger("optbench")

__all__ = ["ResultsStore", "encode_part", "summarize_cells", "load_runs", "load_history",
           "load_manifest", "summarize", "read_cell", "check_cell", "cell_records", "RUN_COLUMNS",
           "CELL_STATUSES"]

CELL_META = b"optbench.cell"   # legacy cell files: the record as JSON
PART_META = b"optbench.part"   # part files: the format version as JSON
PART_FORMAT = 1
MANIFEST = "manifest.json"
CELLS = "cells"
PARTS = "parts"
QUARANTINE = ".quarantine"
_TMP = ".tmp-"
KEY = re.compile(r"[0-9a-f]{20}")  # a cell key (grid.py): 20 hex digits
PART = re.compile(r"part-([0-9]{10})\.parquet")
# the costs read from a run's history at the row where it first reached f_target
_COSTS_TO_TOL = {"iterations_to_tol": "iteration", "seconds_to_tol": "time",
                 "nfev_to_tol": "nfev", "ngev_to_tol": "ngev"}
_VERSIONED = ("optbench", "numba", "numpy", "scipy", "pandas", "pyarrow", "dask",
              "distributed")
_MERGE_CELLS = 50_000  # cells per part when a finished sweep merges its parts
_READ_THREADS = 4      # part files read at once
_MERGE_PARTS = 64      # a finished sweep merges the parts when there are this many
_HELD_PARTS = _MERGE_PARTS  # parts whose runs columns a sweep holds (past it they merge)


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f"{_TMP}{os.getpid()}-{path.name}")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _versions() -> dict[str, str]:
    return dict(_installed_versions())


@functools.cache
def _installed_versions() -> dict[str, str]:
    """Read once per process (8 ms: importlib.metadata searches every path entry)."""
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
        self.parts_dir = self.root / PARTS
        self._config, self._hash = config, config_hash
        self._planned, self._skipped = cells, skipped
        self._lock = None
        self._next = 0
        self._held: dict[str, bytes] = {}  # part name -> its runs columns, see write_part

    def __enter__(self) -> ResultsStore:
        output_dir(self.root, "--out")
        try:
            self.parts_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidValueError(f"cannot write results to {str(self.root)!r}: "
                                    f"{exc.strerror} (option --out)") from None
        self._take_lock()
        try:
            self._write_manifest()
            self.remove_strays()  # left by a killed sweep
            self._next = 1 + max((int(m.group(1)) for p in self.parts_dir.iterdir()
                                  if (m := PART.fullmatch(p.name))), default=0)
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

    def finished(self, retry_errors: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(keys a sweep skips, keys held at all), each a sorted array of 20-byte keys.

        Skipped: every cell held but those whose status is ``error`` from a fault of the
        environment (see :func:`environment_fault`), and with ``retry_errors`` every cell
        but those in ``error`` at all, so that they run again (the new result supersedes
        the old). A file that is not valid is moved to ``.quarantine/`` (one warning) and
        its cells run again: the columns :func:`load_runs` reads are read and checked."""
        table = _latest(self.root, _RUNS_READ, on_bad=self._quarantine)
        keys = table.column("cell").to_numpy(zero_copy_only=False).astype("S20")
        status = table.column("status").to_numpy(zero_copy_only=False)
        again = np.zeros(len(keys), bool)
        for i in np.flatnonzero(status == ERROR):
            again[i] = retry_errors or environment_fault(table.column("message")[i].as_py())
        return np.sort(keys[~again]), np.sort(keys)

    def _quarantine(self, path: Path, reason: str) -> None:
        target = path.parent / QUARANTINE
        target.mkdir(exist_ok=True)
        name = path.name
        while (target / name).exists():
            name = "_" + name
        try:
            os.replace(path, target / name)
        except OSError:
            (path.unlink if not path.is_dir() or path.is_symlink() else path.rmdir)()
        log.warning("optbench: warning: %s is not valid (%s); moved to %s, its cells "
                    "run again", path, reason, target / name)

    def remove_strays(self) -> None:
        """Remove the temporary files of writes that never finished."""
        for folder in (self.parts_dir, self.root / CELLS):
            for stray in folder.glob(f"{_TMP}*"):
                stray.unlink(missing_ok=True)

    def write_part(self, data: bytes | str, runs: bytes | None = None) -> Path:
        """Write one batch of finished cells atomically, as the next part file: the bytes of
        :func:`encode_part`, or the name of the file :func:`spool_part` wrote in the parts
        directory (then only renamed). ``runs``, the part's runs columns as encode_part
        gives them, is held (for up to ``_HELD_PARTS`` parts) so that :meth:`runs` need not
        read this part back."""
        path = self.parts_dir / f"part-{self._next:010d}.parquet"
        if isinstance(data, str):
            os.replace(self.parts_dir / _spooled(data), path)
        else:
            _atomic_write(path, lambda tmp: tmp.write_bytes(data))
        self._next += 1
        if runs is not None and len(self._held) < _HELD_PARTS:
            self._held[path.name] = runs
        return path

    def runs(self):
        """The runs table of the directory (:func:`load_runs`), the parts written by this
        store taken from what it holds instead of being read back."""
        return _load_runs(self.root, self._held)

    def merge_parts(self, min_parts: int = _MERGE_PARTS) -> None:
        """Merge the part files into parts of up to ``_MERGE_CELLS`` cells (the newest
        version of each cell only) when there are at least ``min_parts`` of them: fewer,
        larger files read faster. The merged parts are written (atomically, numbered after
        every old one) before any old one is removed, so a kill at any moment loses nothing:
        a cell then in both holds the same values, and the merged copy is the newest."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        old = _part_paths(self.root)
        if len(old) < min_parts:
            return
        index = _latest(self.root, ["cell"], on_bad=self._quarantine, source=True)
        winners = {}
        for number, row in zip(index.column("_part").to_numpy(),
                               index.column("_row").to_numpy(), strict=True):
            winners.setdefault(int(number), []).append(int(row))
        buffer, count = [], 0
        for path in _part_paths(self.root):
            number = int(PART.fullmatch(path.name).group(1))
            rows = winners.get(number)
            if not rows:
                continue
            buffer.append(pq.read_table(path).take(np.sort(rows)))
            count += len(rows)
            if count >= _MERGE_CELLS:
                self._write_merged(pa.concat_tables(buffer, promote_options="default"))
                buffer, count = [], 0
        if buffer:
            self._write_merged(pa.concat_tables(buffer, promote_options="default"))
        for path in old:  # legacy cells/ files stay: every part is newer than they are
            path.unlink(missing_ok=True)
        self._held.clear()

    def _write_merged(self, table) -> None:
        self.write_part(_part_bytes(table, row_group_size=10_000, compression="zstd"))


# -- part files: written by workers, one row per cell ------------------------------------------
_STRING, _INT, _FLOAT, _BOOL = "string", "int64", "double", "bool"
_SCALARS = {"cell": _STRING, "index": _INT, "problem": _STRING, "solver": _STRING,
            "dim": _INT, "seed": _INT, "instance": _STRING, "setting": _STRING,
            "status": _STRING, "message": _STRING, "iterations": _INT,
            "f": _FLOAT, "f_star": _FLOAT, "f_star_tol": _FLOAT, "gap": _FLOAT,
            "grad_norm": _FLOAT, "nfev": _FLOAT, "ngev": _FLOAT, "nhev": _FLOAT,
            "solve_seconds": _FLOAT, "call_seconds": _FLOAT, "compile_seconds": _FLOAT,
            "seeded": _BOOL, "cache_hit": _BOOL, "worker": _STRING,
            "problem_params": _STRING, "solver_values": _STRING,
            "f0": _FLOAT, "f_min": _FLOAT, "f_target": _FLOAT, "iterations_to_tol": _FLOAT,
            "seconds_to_tol": _FLOAT, "nfev_to_tol": _FLOAT, "ngev_to_tol": _FLOAT}
_JSON_COLUMNS = ("problem_params", "solver_values")
_HISTORY = ("iteration", "f", "time")  # history columns every cell has


def _column(rows, name: str, kind: str):
    """The pyarrow array of record field ``name`` of every row (JSON text for the parameter
    dicts; NumPy scalars and Python numbers as the column's type)."""
    import pyarrow as pa

    if name in _JSON_COLUMNS:
        return pa.array([json.dumps(r.get(name), default=_json_value) for r, _ in rows],
                        type=kind)
    values = [r.get(name) for r, _ in rows]
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # e.g. an int in a float column
        return pa.array([_plain(v, kind) for v in values], type=kind)


def _plain(value, kind: str):
    if isinstance(value, np.generic):
        value = value.item()
    if kind == _FLOAT and value is not None:
        return float(value)
    return value


def part_table(rows: list[tuple[dict[str, Any], dict[str, np.ndarray]]]):
    """A pyarrow table of finished cells: one row per ``(record, history columns)``."""
    import pyarrow as pa

    data = {name: _column(rows, name, kind) for name, kind in _SCALARS.items()}
    names = list(dict.fromkeys(name for _, columns in rows for name in columns))
    for name in names:
        lengths = np.array([len(c[name]) if name in c else 0 for _, c in rows], np.int64)
        offsets = np.zeros(len(rows) + 1, np.int32)
        np.cumsum(lengths, out=offsets[1:])
        kind = np.int64 if name == "iteration" else np.float64
        values = np.concatenate([np.asarray(c[name], kind) for _, c in rows if name in c])
        missing = np.array([name not in c for _, c in rows])
        data[HISTORY_PREFIX + name] = pa.ListArray.from_arrays(
            pa.array(offsets), pa.array(values),
            mask=pa.array(missing) if missing.any() else None)
    return pa.table(data)


_TEXT_COLUMNS = [name for name, kind in _SCALARS.items() if kind == _STRING]


def _part_bytes(table, row_group_size: int | None = None, compression: str = "snappy") -> bytes:
    """The bytes of a part file: snappy by default (a worker writes a batch in a third of
    zstd's time), zstd for merged parts (written once, 15 % smaller)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = json.dumps({"format": PART_FORMAT}).encode()
    sink = pa.BufferOutputStream()
    # dictionary encoding and statistics for the text columns only: for numbers and
    # histories they cost writing time and save no space (statistics serve the filters of
    # load_history, on text columns)
    text = _present(_TEXT_COLUMNS, table.column_names)
    pq.write_table(table.replace_schema_metadata({PART_META: meta}), sink,
                   compression=compression, row_group_size=row_group_size,
                   use_dictionary=text, write_statistics=text)
    return sink.getvalue().to_pybytes()


def encode_part(rows: list[tuple[dict[str, Any], dict[str, np.ndarray]]]) -> tuple[bytes, bytes]:
    """A batch of finished cells as the bytes of a part file (:func:`part_table`), and the
    columns :func:`load_runs` reads from it, as Arrow IPC bytes (:meth:`ResultsStore.runs`
    uses them instead of reading the part back). Done by the worker, so the process writing
    the results directory only moves bytes."""
    import pyarrow as pa

    table = part_table(rows)
    runs = _as_words(table.select(_present(_RUNS_READ, table.column_names)))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, runs.schema) as writer:
        writer.write_table(runs)
    return _part_bytes(table), sink.getvalue().to_pybytes()


def _present(names, among: list[str]) -> list[str]:
    """The ``names`` that are ``among`` the given ones, in their order (``among`` is read
    once: pyarrow makes a new list each time ``column_names`` is read)."""
    among = set(among)
    return [name for name in names if name in among]


def _held_table(runs: bytes, columns):
    """The table of ``runs`` bytes (see :func:`encode_part`): its ``columns`` (all when None)."""
    import pyarrow as pa

    table = pa.ipc.open_stream(runs).read_all()
    return table if columns is None else \
        table.select(_present(columns, table.column_names))


def _spooled(name: str) -> str:
    """``name`` when it is one :func:`spool_part` gives (a temporary name, no directory)."""
    if not (name.startswith(_TMP) and Path(name).name == name):
        raise ValueError(f"not a spooled part: {name!r}")
    return name


def discard_spooled(parts_dir, name: str) -> None:
    """Remove the part :func:`spool_part` wrote as ``name``, which will not be renamed (its
    sweep stopped while the batch ran on)."""
    (Path(parts_dir) / _spooled(name)).unlink(missing_ok=True)


def spool_part(parts_dir, data: bytes) -> str:
    """Write the bytes of a part under a temporary name in ``parts_dir`` (readers skip it)
    and return that name: a worker process on this machine writes its own batch, and the
    sweep only renames it into place (:meth:`ResultsStore.write_part`)."""
    name = f"{_TMP}{os.getpid()}-{uuid.uuid4().hex}.parquet"
    path = Path(parts_dir) / name
    try:
        path.write_bytes(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return name


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



# -- legacy cell files (one per cell), checked -----------------------------------------------
_RECORD_FIELDS = {"cell": str, "problem": str, "solver": str, "instance": str, "setting": str,
                  "status": str, "message": str, "iterations": int,
                  "problem_params": dict, "solver_values": dict}
_OPTIONAL_NUMBERS = ("f", "f_star", "f_star_tol", "gap", "grad_norm", "solve_seconds", "nfev",
                     "ngev", "nhev")


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


def _parquet_schema(path: Path):
    """(schema, None) for a regular file (not a link) that parses as Parquet, else
    (None, what is wrong): the check every file read from a results directory passes first."""
    import pyarrow.parquet as pq

    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return None, exc.strerror
    if not stat.S_ISREG(mode):
        return None, "not a regular file" + (" (a symbolic link)" if stat.S_ISLNK(mode) else "")
    try:
        return pq.read_schema(path), None
    except Exception as exc:  # noqa: BLE001 - any failure to parse: not a results file
        return None, f"not a Parquet file ({type(exc).__name__})"


def check_cell(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(record, None) for a valid cell file, else (None, what is wrong)."""
    if not (path.suffix == ".parquet" and KEY.fullmatch(path.stem)):
        return None, "its name is not a cell key (20 hex digits) with .parquet"
    schema, reason = _parquet_schema(path)
    if reason:
        return None, reason
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
    kind = "cell" if path.parent.name == CELLS else "part"
    log.warning("optbench: warning: skipped %s: not a valid %s file (%s); a sweep resuming "
                "this directory moves it to %s/%s and runs its cells again", path, kind,
                reason, path.parent.name, QUARANTINE)


def cell_records(root, on_bad=_skip) -> list[tuple[Path, dict[str, Any]]]:
    """(path, record) of every valid legacy cell file (``cells/KEY.parquet``) of a results
    directory, in file-name order; each invalid one is passed to ``on_bad(path, reason)``
    (by default: one warning)."""
    cells = Path(root) / CELLS
    if not cells.is_dir():
        return []
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
    """The record and the history table (pyarrow) of one cell: ``DIR/cells/KEY.parquet``,
    read from that legacy file when it exists, else from the part that holds cell KEY
    (checked: an invalid file, or a cell no file holds, is an InvalidValueError naming it)."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not os.path.lexists(path) and path.parent.name == CELLS and \
            (path.parent.parent / PARTS).is_dir():
        return _cell_from_parts(path.parent.parent, path.stem, columns)
    record, reason = check_cell(path)
    if reason is not None:
        raise InvalidValueError(f"{str(path)!r} is not a valid cell ({reason})")
    try:
        table = pq.ParquetFile(path).read(columns=columns)
    except Exception as exc:  # noqa: BLE001 - a file damaged past its schema
        raise InvalidValueError(f"{str(path)!r} is not a valid cell (its table cannot be read: "
                                f"{type(exc).__name__})") from None
    return record, table


# -- part files, checked -----------------------------------------------------------------------
def _part_paths(root) -> list[Path]:
    """The files of ``DIR/parts/`` in the order they were written (temporary files and the
    quarantine left out; files of another name included, so that readers name them)."""
    parts = Path(root) / PARTS
    if not parts.is_dir():
        return []
    return sorted(p for p in parts.iterdir()
                  if not p.name.startswith(_TMP) and p.name != QUARANTINE)


def _bad_schema(schema) -> str | None:
    """What is wrong with a part file's schema (None when it is what a sweep writes)."""
    import pyarrow as pa

    meta = (schema.metadata or {}).get(PART_META)
    if meta is None:
        return "no optbench metadata (a Parquet file from elsewhere)"
    try:
        version = json.loads(meta)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "its metadata is not JSON"
    if not isinstance(version, dict) or version.get("format") != PART_FORMAT:
        return f"its metadata is not part format {PART_FORMAT}"
    names = set(schema.names)
    for name, kind in _SCALARS.items():
        if name not in names:
            return f"it has no column {name!r}"
        if str(schema.field(name).type) != kind:
            return f"column {name!r} is {schema.field(name).type}, not {kind}"
    for name in _HISTORY:
        if HISTORY_PREFIX + name not in names:
            return f"it has no column {HISTORY_PREFIX + name!r}"
    for field in schema:
        if field.name.startswith(HISTORY_PREFIX) and not (
                pa.types.is_list(field.type) and str(field.type.value_type) in (_INT, _FLOAT)):
            return f"column {field.name!r} is {field.type}, not a list of numbers"
    return None


def _check_part(path: Path):
    """(schema, None) for a file of the form of a part, else (None, what is wrong)."""
    if not PART.fullmatch(path.name):
        return None, "its name is not part-NNNNNNNNNN.parquet"
    schema, reason = _parquet_schema(path)
    if reason:
        return None, reason
    reason = _bad_schema(schema)
    return (None, reason) if reason else (schema, None)


_REQUIRED = ("problem", "solver", "instance", "setting", "message", "iterations", "index",
             *_JSON_COLUMNS)


def _bad_values(table) -> str | None:
    """What is wrong with the values read from a part (None when a sweep could write them)."""
    import pyarrow.compute as pc

    names = set(table.column_names)
    if not table.num_rows:
        return None
    cell = table.column("cell")
    if cell.null_count:
        return "a cell key is missing"
    codes = _key_codes(cell)
    if isinstance(codes, str):
        return codes
    codes = np.sort(codes)
    if (codes[1:] == codes[:-1]).any() and \
            len(set(cell.to_pylist())) != table.num_rows:  # (or 64-bit codes that collide)
        return "it holds a cell twice"
    if "status" in names:
        status = table.column("status")
        if status.null_count or not set(_distinct(status)) <= set(CELL_STATUSES):
            return "a status is not one a sweep writes"
    for name in _REQUIRED:
        if name in names and table.column(name).null_count:
            return f"a value of {name!r} is missing"
    for name in _JSON_COLUMNS:
        if name in names:
            for text in _distinct(table.column(name)):
                try:
                    value = json.loads(text)
                except (TypeError, json.JSONDecodeError):
                    value = None
                if not isinstance(value, dict):
                    return f"a value of {name!r} is not a JSON object"
    history = [n for n in table.column_names if n.startswith(HISTORY_PREFIX)]
    if history:
        lengths = [pc.list_value_length(table.column(n)) for n in history]
        base = lengths[0].fill_null(0)
        for n, got in zip(history, lengths, strict=True):
            if not pc.all(pc.or_kleene(pc.is_null(got), pc.equal(got, base))).as_py():
                return f"column {n!r} has not one value per recorded row"
    return None


_HEX = np.full(256, 255, np.uint8)
_HEX[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_HEX[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd constant: mixes two 8-byte words into one


def _key_codes(keys) -> np.ndarray | str:
    """A 64-bit code of each cell key (a string column) from its 20 hex digits (equal keys,
    equal codes; different keys rarely collide, and callers then compare the keys), or what
    is wrong with a key that is not 20 hex digits."""
    import pyarrow as pa

    keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    n = len(keys)
    if not n:
        return np.zeros(0, np.uint64)
    _, offsets_buf, data_buf = keys.buffers()
    offsets = np.frombuffer(offsets_buf, np.int32)[keys.offset:keys.offset + n + 1]
    text = None
    if (np.diff(offsets) == 20).all():
        text = np.frombuffer(data_buf, np.uint8)[offsets[0]:offsets[-1]].reshape(n, 20)
    bad = np.flatnonzero(np.diff(offsets) != 20) if text is None else \
        np.flatnonzero(np.max(_HEX[text], axis=1) == 255)
    if len(bad):
        return f"cell key {keys[int(bad[0])].as_py()[:40]!r} is not 20 hex digits"
    words = np.ascontiguousarray(text[:, :16]).view(np.uint64)
    tail = np.ascontiguousarray(text[:, 16:]).view(np.uint32)[:, 0].astype(np.uint64)
    with np.errstate(over="ignore"):
        return (words[:, 0] * _MIX + words[:, 1]) * _MIX + tail


def _distinct(column) -> list:
    """The distinct values of a string column (of a dictionary column: its dictionaries)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type):
        return list({v for chunk in column.chunks for v in chunk.dictionary.to_pylist()})
    return pc.unique(column).to_pylist()


def _empty(columns):
    import pyarrow as pa

    kinds = {**{n: pa.type_for_alias(k) for n, k in _SCALARS.items()},
             HISTORY_PREFIX + "iteration": pa.list_(pa.int64())}
    names = [*_SCALARS, HISTORY_PREFIX + "iteration"] if columns is None else columns
    return pa.table({n: pa.array([], kinds.get(n, pa.list_(pa.float64()))) for n in names})


def _legacy_table(root, columns, on_bad):
    """The valid legacy cell files (``cells/KEY.parquet``) as one table of the part form."""
    rows = []
    for path, _ in cell_records(root, on_bad):
        try:
            record, table = read_cell(path)
        except InvalidValueError as exc:
            on_bad(path, str(exc).split("(", 1)[-1].rstrip(")"))
            continue
        rows.append((record, {n: table.column(n).to_numpy() for n in table.column_names}))
    if not rows:
        return None
    table = _as_words(part_table(rows))
    return table if columns is None else \
        table.select(_present(columns, table.column_names))


def _latest(root, columns=None, filters=None, on_bad=None, source=False, held=None):
    """Every cell of a results directory as one pyarrow table (``columns``: those only; the
    cell key always), the newest version of each: legacy cell files first, then parts in
    the order written. ``filters`` (pyarrow's list of ``(column, op, value)``) are pushed
    down to Parquet. Each invalid file goes to ``on_bad(path, reason)`` (default: one
    warning). ``source`` adds ``_part`` and ``_row``: where each cell was read. The
    columns of repeated words (``_WORDS``) stay dictionary-encoded, as read: decode them
    with :func:`_pandas` or :func:`_factorize`. ``held`` maps part names to their runs
    columns (:meth:`ResultsStore.runs`): those parts are taken from it, not read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    on_bad = on_bad or _skip
    load_manifest(root)  # refuses a directory that is not a results directory
    root = Path(root)
    if not (root / PARTS).is_dir() and not (root / CELLS).is_dir():
        raise InvalidValueError(f"{str(root)!r} is not a complete results directory: it has "
                                f"no {PARTS}/ directory (option DIR)")
    if columns is not None:
        columns = list(dict.fromkeys(["cell", *columns]))
    tables = []
    legacy = _legacy_table(root, columns, on_bad)
    if legacy is not None:
        if filters:
            legacy = legacy.filter(pq.filters_to_expression(filters))
        tables.append(_sourced(legacy, -1) if source else legacy)
    paths = _part_paths(root)
    held = {} if held is None or filters else held
    unread = [path for path in paths if path.name not in held]
    with _readers(len(unread)) as pool:  # parts are read and checked side by side
        read = dict(zip(unread, pool.map(lambda path: _read_part(path, columns, filters),
                                         unread), strict=True))
        for path in paths:
            table, reason = read[path] if path in read else \
                (_held_table(held[path.name], columns), None)
            if reason is not None:
                on_bad(path, reason)
                continue
            if source:
                table = _sourced(table, int(PART.fullmatch(path.name).group(1)))
            tables.append(table.replace_schema_metadata(None))
    if not tables:
        return _empty(columns)
    table = pa.concat_tables(tables, promote_options="default")
    keys = table.column("cell")
    codes = np.sort(_key_codes(keys))
    if len(tables) > 1 and (codes[1:] == codes[:-1]).any():  # a cell in two files
        import pandas as pd

        older = pd.Index(keys.to_numpy(zero_copy_only=False)).duplicated(keep="last")
        table = table.filter(pa.array(~older))
    return table


def _readers(parts: int):
    """Threads reading part files (pyarrow releases the GIL while it decodes)."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max(1, min(parts, os.cpu_count() or 1, _READ_THREADS)))


def _read_part(path: Path, columns, filters):
    """(the part's table, None) or (None, why it is not valid): its ``columns`` (all when
    None) that it has, the ``_WORDS`` among them dictionary-encoded."""
    import pyarrow.parquet as pq

    schema, reason = _check_part(path)
    if reason is not None:
        return None, reason
    wanted = None if columns is None else _present(columns, schema.names)
    words = [c for c in _WORDS if wanted is None or c in wanted]
    try:  # words repeated from cell to cell are decoded once per part
        if filters:
            table = pq.read_table(path, columns=wanted, filters=filters, read_dictionary=words)
        else:  # the file alone: no dataset machinery, less memory held
            with pq.ParquetFile(path, read_dictionary=words) as file:
                table = file.read(columns=wanted)
    except Exception as exc:  # noqa: BLE001 - a file damaged past its schema
        return None, f"its table cannot be read ({type(exc).__name__})"
    reason = _bad_values(table)
    return (None, reason) if reason else (table, None)


_WORDS = ("problem", "solver", "instance", "setting", "status", "message", "worker",
          "problem_params", "solver_values")


def _as_words(table):
    """The table with its ``_WORDS`` columns dictionary-encoded, as parts are read."""
    for name in _present(_WORDS, table.column_names):
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, table.column(i).dictionary_encode())
    return table


def _pandas(column):
    """A column as pandas converts it, a dictionary column decoded first (plain strings,
    not a categorical)."""
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column.to_pandas()


def _factorize(column) -> tuple[np.ndarray, list]:
    """(codes, values) of a string column without nulls: ``values`` the distinct strings in
    the order they first appear, ``codes`` the position of each row's string in them. A
    dictionary column is factorized by its indices (no string is built per row)."""
    import pandas as pd
    import pyarrow as pa

    if not pa.types.is_dictionary(column.type):
        codes, values = pd.factorize(column.to_numpy(zero_copy_only=False))
        return codes, list(values)
    column = column.unify_dictionaries().combine_chunks() \
        if isinstance(column, pa.ChunkedArray) else column
    codes, used = pd.factorize(column.indices.to_numpy(zero_copy_only=False))
    return codes, column.dictionary.take(used).to_pylist()


def _release() -> None:
    """Hand the memory pyarrow's pool holds but no longer uses back to the system: its
    allocator (mimalloc) keeps freed pages for a while, which a large read followed by a
    column-by-column rewrite would otherwise pile up (measured: ~100 MB at 10^6 cells)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _sourced(table, number: int):
    return table.append_column("_part", [np.full(table.num_rows, number, np.int64)]) \
        .append_column("_row", [np.arange(table.num_rows, dtype=np.int64)])


def _sweep_order(table) -> np.ndarray:
    """The permutation that lists the cells of ``table`` in sweep order."""
    return np.argsort(table.column("index").fill_null(0).to_numpy(), kind="stable")


def _record_of(table, i: int) -> dict[str, Any]:
    record = {n: table.column(n)[i].as_py() for n in _present(_SCALARS, table.column_names)}
    for name in _JSON_COLUMNS:
        if name in record:
            record[name] = json.loads(record[name])
    return record


def _cell_from_parts(root: Path, key: str, columns=None):
    import pyarrow as pa

    table = _latest(root, filters=[("cell", "=", key)])
    if not table.num_rows:
        raise InvalidValueError(f"no file of {str(root)!r} holds cell {key!r}")
    history = {n[len(HISTORY_PREFIX):]: table.column(n)[0].values for n in table.column_names
               if n.startswith(HISTORY_PREFIX) and table.column(n)[0].is_valid}
    if columns is not None:
        history = {n: v for n, v in history.items() if n in columns}
    return _record_of(table, 0), pa.table(history)


# -- the tables --------------------------------------------------------------------------------
def _lengths(table) -> np.ndarray:
    import pyarrow.compute as pc

    return pc.list_value_length(table.column(HISTORY_PREFIX + "iteration")).fill_null(0) \
        .to_numpy().astype(np.int64)


def _flatten(table, name: str, lengths: np.ndarray) -> np.ndarray:
    """The values of history column ``name`` of every cell, one after the other (NaN for
    a cell that does not have that column)."""
    import pyarrow.compute as pc

    column = HISTORY_PREFIX + name
    if column not in table.column_names:
        return np.full(int(lengths.sum()), np.nan)
    lists = table.column(column)
    values = pc.list_flatten(lists).to_numpy()
    if lists.null_count == 0:
        return values
    out = np.full(int(lengths.sum()), np.nan)
    out[np.repeat(lists.is_valid().to_numpy(zero_copy_only=False), lengths)] = values
    return out


_ID_COLUMNS = ("cell", "problem", "solver", "dim", "seed", "instance", "setting")


def _identity(table) -> dict[str, Any]:
    """The identity columns of each cell of ``table`` as pandas columns: cell, problem,
    solver, dim, seed, instance, setting, then ``problem_<name>`` and ``p_<name>`` from the
    JSON columns (each distinct JSON text parsed once; the names in the order the rows first
    give them)."""
    import pandas as pd

    out = {n: _pandas(table.column(n)) for n in _ID_COLUMNS}
    for column, prefix in (("problem_params", "problem_"), ("solver_values", PARAM_PREFIX)):
        codes, texts = _factorize(table.column(column))
        parsed = [json.loads(t) for t in texts]
        names = dict.fromkeys(k for d in parsed for k in d
                              if not (prefix == "problem_" and k == "dim"))
        for name in names:
            per = np.empty(len(parsed), object)
            per[:] = [d.get(name) for d in parsed]
            out[prefix + name] = pd.Series(per[codes].tolist())
    return out


_RUN_VALUES = ("status", "message", "iterations", "f", "f_star", "f_star_tol", "gap",
               "grad_norm", "nfev", "ngev", "nhev", "solve_seconds", "seeded")
_IDENTITY = ("problem", "solver", "dim", "seed", "instance", "setting", "problem_params",
             "solver_values", "index")


_PRECOMPUTED = ("f0", "f_min", "f_target", *_COSTS_TO_TOL)  # by the worker (summarize_cells)
_RUNS_READ = ["cell", *_IDENTITY, *_RUN_VALUES, *_PRECOMPUTED]
_TRACES = ("f", *_COSTS_TO_TOL.values())


def _f_range(f: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x0) and the lowest finite f of each cell (NaN without one), from the values ``f``
    of every cell one after the other (``lengths`` rows each)."""
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    some = lengths > 0
    f0 = np.full(len(lengths), np.nan)
    f0[some] = f[starts[some]]
    fmin = np.full(len(lengths), np.inf)
    if some.any():
        fmin[some] = np.minimum.reduceat(np.where(np.isfinite(f), f, np.inf), starts[some])
    fmin[~np.isfinite(fmin)] = np.nan
    return f0, fmin


def _targets(f_star, f_star_tol, f0, best, tau: float) -> np.ndarray:
    """More & Wild's target f_L + tau (f0 - f_L), f_L the lowest f* can be (f* minus its
    accuracy f_star_tol, so that "solved" never claims more), or without f* the best f any
    run of the same instance and seed reached."""
    f_star, f0, best = (np.asarray(v, float) for v in (f_star, f0, best))
    f_low = np.where(np.isnan(f_star), best, f_star - np.nan_to_num(np.asarray(f_star_tol,
                                                                               float)))
    return f_low + tau * np.clip(f0 - f_low, 0, None)


def _costs_to_tol(flat: dict[str, np.ndarray], lengths: np.ndarray,
                  target: np.ndarray) -> dict[str, np.ndarray]:
    """Per cell, the costs (``_COSTS_TO_TOL``) at the first recorded row with f <= target;
    NaN when there is none or the target is not finite."""
    target = np.where(np.isfinite(target), target, -np.inf)
    with np.errstate(invalid="ignore"):
        hits = np.flatnonzero(flat["f"] <= np.repeat(target, lengths))
    owner = np.repeat(np.arange(len(lengths)), lengths)[hits]
    cells, first = np.unique(owner, return_index=True)
    out = {}
    for column, source in _COSTS_TO_TOL.items():
        values = np.full(len(lengths), np.nan)
        values[cells] = np.asarray(flat[source], float)[hits[first]]
        out[column] = values
    return out


def summarize_cells(rows: list[tuple[dict[str, Any], dict[str, np.ndarray]]],
                    tau: float) -> None:
    """Add to each ``(record, history columns)`` what :func:`load_runs` derives from the
    history, computed where the cells ran (for a whole batch at once) so that loading reads
    no history: f0, the lowest f, and with a known f* the target and the costs to reach it
    (without f*, the target depends on the other cells: NaN here, and load_runs reads the
    history)."""
    if not rows:
        return
    lengths = np.array([len(columns["f"]) for _, columns in rows], np.int64)
    flat = {name: np.concatenate([np.asarray(columns[name], float) for _, columns in rows])
            for name in _TRACES}
    f0, fmin = _f_range(flat["f"], lengths)
    f_star = np.array([np.nan if r["f_star"] is None else r["f_star"] for r, _ in rows],
                      float)
    f_star_tol = np.array([r.get("f_star_tol") or 0.0 for r, _ in rows], float)
    target = _targets(f_star, f_star_tol, f0, fmin, tau)
    target[np.isnan(f_star)] = np.nan
    costs = _costs_to_tol(flat, lengths, target)
    for i, (record, _) in enumerate(rows):
        record.update(f0=float(f0[i]), f_min=float(fmin[i]))
        if not np.isnan(f_star[i]):
            record.update(f_target=float(target[i]),
                          **{name: float(values[i]) for name, values in costs.items()})


def _history_of(root, table, rows: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(lengths, flattened trace columns) of the cells at ``rows`` of ``table``, read."""
    import pandas as pd

    keys = table.column("cell").take(rows).to_pylist()
    filters = None if len(rows) == table.num_rows else [("cell", "in", keys)]
    history = _latest(root, ["cell", *(HISTORY_PREFIX + n for n in _TRACES)], filters)
    at = pd.Index(history.column("cell").to_numpy(zero_copy_only=False)).get_indexer(keys)
    history = history.take(at)
    lengths = _lengths(history)
    return lengths, {n: _flatten(history, n, lengths) for n in _TRACES}


def load_runs(root):
    """One row per finished cell (columns ``RUN_COLUMNS``, then ``problem_<name>`` and
    ``p_<name>``), with the More-Wild solved test applied (see :mod:`optbench.grid`).

    Reads the cells' outcome columns only; the history of a cell is read when the worker
    could not derive the costs to tolerance (no known f*, or a legacy cell file). Text
    columns are read dictionary-encoded and decoded one column at a time, into the
    table's own string dtype (not categoricals)."""
    return _load_runs(root)


def _load_runs(root, held=None):
    """:func:`load_runs`, the parts named in ``held`` taken from it (see :func:`_latest`)."""
    import pandas as pd

    tau = float(load_manifest(root)["config"].get("solved", 1e-6))
    table = _latest(root, _RUNS_READ, held=held)
    _release()
    if not table.num_rows:
        return pd.DataFrame(columns=list(RUN_COLUMNS))
    order = _sweep_order(table)
    for i in range(table.num_columns):  # into sweep order, one column held twice at most
        table = table.set_column(i, table.field(i), table.column(i).take(order))
        _release()
    legacy = table.column("f0").is_null().to_numpy(zero_copy_only=False)
    derived = ~table.column("f_target").is_null().to_numpy(zero_copy_only=False)
    stored = {n: table.column(n).to_numpy(zero_copy_only=False) for n in _PRECOMPUTED}
    read = np.flatnonzero(legacy | ~derived)
    if len(read):  # completed from the histories
        stored = {n: np.array(v, float) for n, v in stored.items()}
        lengths, flat = _history_of(root, table, read)
        stored["f0"][read], stored["f_min"][read] = _f_range(flat["f"], lengths)
    f_star = _pandas(table.column("f_star")).astype(float)  # NaN where no f* is known
    instance, _ = _factorize(table.column("instance"))
    best = pd.Series(stored["f_min"]) \
        .groupby([instance, _pandas(table.column("seed")).to_numpy()]).transform("min")
    target = _targets(f_star, _pandas(table.column("f_star_tol")), stored["f0"], best, tau)
    costs = {n: stored[n] for n in _COSTS_TO_TOL}
    if len(read):
        for name, values in _costs_to_tol(flat, lengths, target[read]).items():
            costs[name][read] = values
    codes, words = _factorize(table.column("status"))
    f = table.column("f").to_numpy(zero_copy_only=False)
    computed = {**_identity(table), "f0": stored["f0"], "f_star": f_star,
                "f_target": np.where(derived, stored["f_target"], target), **costs,
                "solved": ~np.isnan(costs["iterations_to_tol"]),
                "diverged": diverged(np.array(words, object)[codes], f, stored["f0"])}
    del stored, costs, best, target, f
    table = table.drop_columns([*_PRECOMPUTED, "index"])
    runs = pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    # one column at a time, in the final order, each read column dropped once converted:
    # NumPy columns set as arrays, which pandas copies into writable memory of its own
    # (Arrow's are read-only), text columns decoded one by one
    for name in dict.fromkeys([*RUN_COLUMNS, *computed, *_RUN_VALUES]):
        if name in computed:
            value = computed.pop(name)
        else:
            value = _pandas(table.column(name))
            table = table.drop_columns([name])
        numpy = not isinstance(value, pd.Series) or isinstance(value.dtype, np.dtype)
        runs[name] = np.asarray(value) if numpy else value
        del value
        _release()
    return runs


def _filters(**given) -> list | None:
    out = []
    for name, value in given.items():
        if value is None:
            continue
        values = [value] if isinstance(value, str) else \
            list(value) if isinstance(value, list | tuple | set) else None
        if not values or not all(isinstance(v, str) for v in values):
            raise InvalidValueError(f"{name} must be a name or a list of names; got "
                                    f"{value!r:.80} (option {name})")
        out.append((name, "in", values))
    return out or None


def load_history(root, *, problem=None, solver=None, setting=None):
    """Every recorded iteration of every finished cell, with the cell's identity columns.

    ``problem``, ``solver``, ``setting`` (a name or a list of names; ``setting`` as in the
    runs table, ``"gd(step=0.1)"``) keep only those cells, read from Parquet with the
    filter pushed down (files and row groups that cannot match are not read)."""
    import pandas as pd

    table = _latest(root, filters=_filters(problem=problem, solver=solver, setting=setting))
    table = table.take(_sweep_order(table))
    lengths = _lengths(table)
    if not lengths.sum():
        return pd.DataFrame()
    table, lengths = table.filter(lengths > 0), lengths[lengths > 0]
    names = [n[len(HISTORY_PREFIX):] for n in table.column_names
             if n.startswith(HISTORY_PREFIX)]
    frame = pd.DataFrame({n: _flatten(table, n, lengths) for n in names})
    identity = pd.DataFrame(_identity(table))
    identity["status"] = _pandas(table.column("status"))
    owner = np.repeat(np.arange(len(lengths)), lengths)
    return pd.concat([frame, identity.iloc[owner].reset_index(drop=True)], axis=1)


_QUARTILES = {0.25: "q1", 0.5: "median", 0.75: "q3"}


def summarize(runs):
    """Per (problem instance, solver setting): runs, share solved, median and quartiles of
    iterations and seconds to tolerance (over the solved runs), median final gap, and how
    many runs diverged, failed or raised. One grouping of the few columns it reads (no
    copy of the runs table per group), in the order the pairs first appear."""
    import pandas as pd

    if not len(runs):
        return pd.DataFrame()
    status = runs["status"]
    values = pd.DataFrame({"solved": runs["solved"], "iterations": runs["iterations_to_tol"],
                           "seconds": runs["seconds_to_tol"], "gap": runs["gap"],
                           "diverged": runs["diverged"],
                           "failed": status.isin(METHOD_FAILURES),
                           "errors": status.isin(NO_OUTCOME)})
    groups = values.groupby([runs["instance"], runs["setting"]], sort=False)
    spread = groups[["iterations", "seconds"]].quantile(list(_QUARTILES)).unstack()
    out = pd.DataFrame({"runs": groups.size(), "solved": groups["solved"].mean()})
    for name in ("iterations", "seconds"):
        for q, label in _QUARTILES.items():
            out[f"{name}_{label}"] = spread[(name, q)]
    out["final_gap_median"] = groups["gap"].median()
    for name in ("diverged", "failed", "errors"):
        out[name] = groups[name].sum().astype(np.int64)
    return out.rename_axis(["instance", "setting"]).reset_index()


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
