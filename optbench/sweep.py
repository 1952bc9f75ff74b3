"""Sweeps: every cell of a grid run once, in parallel, into a resumable results directory.

``sweep(config, out)`` checks the configuration (:mod:`optbench.grid`), skips the cells the
results directory already holds (:mod:`optbench.store`; with ``retry_errors=True``, all but
those whose run raised), and runs the others on

- a pool of long-lived worker processes, one per core by default (``workers``); each worker
  compiles a solver once, or loads it from numba's disk cache, which all workers share;
- an existing dask.distributed cluster (``scheduler="tcp://host:8786"``), unchanged;
- any ``concurrent.futures.Executor`` you pass (``executor=``), or in this process
  (``workers=1``).

Cells run in *batches*: a worker runs the cells of one task one after the other and sends
back one Parquet part file's bytes (:func:`run_batch`). The first task of each compilation
group is one *pilot* cell (it compiles, or loads the compiled code); then batches are sized
from the cell times measured so far to take about ``_BATCH_SECONDS`` each, and made smaller
near the end so that every worker stays busy. The parent process (for dask: the client)
writes each batch's part file as it arrives, so nothing that finished is lost when the
sweep is interrupted but the batches still running; a cell that raises is recorded with
its error (status ``error``) and the sweep goes on, and ``retry_errors=True`` runs such
cells again once their cause is fixed. Cells are independent and seeded, so the values (all
but the timings) do not depend on where, in which batch or in which order they ran.

Faults:

- **Ctrl-C / SIGTERM** stop the sweep at once: a cell running in this process stops at its
  next checkpoint (the cells its batch finished before are kept), worker processes are
  killed; the running batches are not stored (they run again on resume), the finished ones
  are kept, and a line says how to resume.
- **Worker processes die with their parent**, however it died (Linux ``PR_SET_PDEATHSIG``).
- **A cell that kills its worker** (a segmentation fault in a problem's code): each worker
  tells the parent which cell of its batch it starts, so the right cell is known; it runs
  once more, alone in its batch, in a fresh pool, and if it kills that worker too it is
  recorded as ``crashed`` with the signal. The other cells of the lost batches run again,
  unblamed.
- **Faults of the environment** (disk full, memory, the cache or results directory unusable;
  :mod:`optbench.faults`) stop the sweep with one line naming the cause; nothing is recorded
  for the cell (the cells its batch finished before are kept).
- **dask**: a cluster without workers, or whose last worker went away, stops the sweep after
  ``worker_timeout`` seconds (``--worker-timeout``), finished cells kept.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np

from .board import signal_name
from .columns import CRASHED, DIVERGED, ERROR, FAILED_STATUSES, MEASURE_COLUMNS
from .errors import InvalidTypeError, InvalidValueError, MissingDependencyError, OptbenchError
from .faults import EnvironmentFault, SweepError, environment_cause
from .grid import DEFAULT_SOLVED, Cell, SweepPlan, plan_sweep
from .params import shown
from .paths import output_dir
from .store import ResultsStore, discard_spooled, encode_part, spool_part, summarize_cells

__all__ = ["sweep", "run_batch", "SweepError", "EnvironmentFault", "WORKER_TIMEOUT"]

_IN_FLIGHT_PER_WORKER = 2   # batches queued per worker: keeps workers busy, memory bounded
_BATCH_SECONDS = 0.2        # aimed duration of one batch, from the measured cell times
_MAX_BATCH = 2_000          # cells per batch at most
_MIN_BATCH_SECONDS = 0.02   # and at least this long, near the end too: each batch has a cost
_READ_AHEAD = 20_000        # cells of the plan made ahead of the workers at most
_READ_CHUNK = 512           # cells of the plan made at a time
_WAIT_STEP = 0.5            # seconds between looks at the workers (crashes, lost dask workers)
WORKER_TIMEOUT = 60.0       # seconds a dask sweep waits for a worker (--worker-timeout)
_CRASHES_ALLOWED = 1        # a cell that kills its worker runs once more, then is "crashed"
_BREAKS_ALLOWED = 3         # the pool breaking this many times in a row, no cell finished
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _signals_deferred():
    """Ctrl-C and SIGTERM arriving in the block take effect when it ends (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = {s: signal.signal(s, lambda n, frame: received.append(n)) for s in _STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for number in received[:1]:
            handler = previous[number]
            if callable(handler):
                handler(number, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(number)


# -- the worker side ---------------------------------------------------------------------------
_prepared: set = set()
_running = None  # in a pool worker: (shared board, offset of this worker's slot), see _Board


class _Board:
    """Which cell each pool worker is running, in shared memory: one slot per worker, its
    pid then the key of its cell (blank between batches). A worker writes its slot (no
    message, no work for the parent); the parent reads it only after a worker died, to
    blame the cell that killed it."""

    PID, KEY = 8, 20  # bytes of a slot: the pid, then the cell key (20 hex digits)

    def __init__(self, ctx, workers: int):
        self.memory = ctx.RawArray("c", workers * (self.PID + self.KEY))
        self.claimed = ctx.Value("i", 0)

    @classmethod
    def claim(cls, memory, claimed) -> int | None:
        """In a new worker: the offset of its own slot (None when every slot is taken)."""
        with claimed.get_lock():
            slot, claimed.value = claimed.value, claimed.value + 1
        at = slot * (cls.PID + cls.KEY)
        if at >= len(memory):
            return None
        memory[at:at + cls.PID] = os.getpid().to_bytes(cls.PID, "little")
        return at

    def running(self) -> dict[int, str]:
        """{pid: key of the cell it runs, "" between batches} of every worker started."""
        size, out = self.PID + self.KEY, {}
        for at in range(0, len(self.memory), size):
            pid = int.from_bytes(self.memory[at:at + self.PID], "little")
            if pid:
                out[pid] = self.memory[at + self.PID:at + size].rstrip(b"\0").decode()
        return out


def _report(key: str) -> None:
    """In a pool worker: say on the board which cell it starts ("" when its batch ends)."""
    if _running is not None:
        memory, at = _running
        memory[at + _Board.PID:at + _Board.PID + _Board.KEY] = \
            key.encode().ljust(_Board.KEY, b"\0")


def _prepare_worker(code_dirs: tuple, single_thread: bool) -> None:
    """Once per process: the user's problem and solver directories (``(kind, path)`` pairs,
    see ``SweepPlan.code_dirs``; a bare path is a problems directory); one BLAS / numba
    thread per worker when the workers already use every core."""
    key = (tuple(code_dirs), single_thread)
    if key in _prepared:
        return
    from .registry import load_code_dirs

    load_code_dirs(code_dirs)
    if single_thread:
        import numba
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        numba.set_num_threads(1)
    _prepared.add(key)


def _worker_init(memory, claimed, parent: int) -> None:
    """A pool worker: Ctrl-C and SIGTERM are the parent's to handle (it kills the workers),
    the worker dies with its parent, and it shows the cells it starts on the board
    (``memory``, its slot claimed with the counter ``claimed``; see :class:`_Board`)."""
    global _running
    from . import board

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    board.WATCH_SIGNALS = False
    try:  # Linux: the kernel sends SIGKILL when the parent dies, however it died
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:  # the parent died before that took effect
        os._exit(1)
    at = _Board.claim(memory, claimed)
    _running = None if at is None else (memory, at)


def _cell_record(cell: Cell) -> dict[str, Any]:
    params = dict(cell.problem_params)
    return {"cell": cell.key, "index": cell.index, "problem": cell.problem,
            "solver": cell.solver, "dim": params.get("dim"), "seed": cell.seed,
            "instance": cell.instance, "setting": cell.setting,
            "problem_params": cell.problem_params, "solver_values": cell.solver_values,
            "worker": f"{os.uname().nodename}:{os.getpid()}"}


def _no_run(record: dict[str, Any], status: str, message: str):
    """The outcome of a cell that has no history: it raised, or crashed its worker."""
    record.update(status=status, message=message, iterations=0, f=None, f_star=None,
                  gap=None, grad_norm=None, nfev=None, ngev=None, nhev=None,
                  solve_seconds=None)
    empty = {name: np.empty(0, np.int64 if name == "iteration" else np.float64)
             for name in MEASURE_COLUMNS}
    return record, empty


def run_batch(cells: list[Cell], code_dirs: tuple = (), single_thread: bool = False,
              environment: tuple[str, ...] = (), solved: float = DEFAULT_SOLVED,
              spool: str | None = None) -> dict[str, Any]:
    """Run ``cells`` one after the other; return the bytes of their part file (``"part"``,
    see :func:`optbench.store.encode_part`; with ``spool``, the parts directory of a
    results directory on this machine, the name of the temporary file holding them there,
    see :func:`optbench.store.spool_part`), their runs columns (``"runs"``, held by the
    sweep so that it need not read the part back), ``"keys"`` and ``"statuses"``, and the
    ``"seconds"`` each took without compilation. ``code_dirs`` are the user's directories to
    load first, ``(kind, path)`` pairs; ``solved`` is the sweep's tolerance tau (the costs
    to reach it are derived here, :func:`optbench.store.summarize_cells`). An exception of a
    cell's problem or solver becomes status ``error``; a fault of the environment (an OS
    error on a file under ``environment`` or the compiled-code cache, memory, a full disk)
    ends the batch: ``"fault"`` says what it
    was, and the cells finished before it are returned as usual. A Ctrl-C in this process
    (``KeyboardInterrupt``) carries the cells finished before it as ``exc.finished``."""
    rows, seconds, fault = [], [], None
    try:
        for cell in cells:
            _report(cell.key)
            t = time.perf_counter()
            try:
                record, columns = _run_cell(cell, code_dirs, single_thread, environment)
            except EnvironmentFault as exc:
                fault = str(exc)
                break
            seconds.append(time.perf_counter() - t - (record.get("compile_seconds") or 0.0))
            rows.append((record, columns))
    except KeyboardInterrupt as exc:
        exc.finished = _batch_outcome(rows, seconds, None, solved) if rows else None
        raise
    finally:
        _report("")
    return _batch_outcome(rows, seconds, fault, solved, spool)


def _batch_outcome(rows: list, seconds: list[float], fault: str | None,
                   solved: float, spool: str | None = None) -> dict[str, Any]:
    summarize_cells(rows, solved)
    part, runs = encode_part(rows) if rows else (None, None)
    if part is not None and spool is not None:
        try:
            part = spool_part(spool, part)
        except OSError as exc:  # the cells are lost (they run again on resume)
            part, fault = None, f"cannot write {exc.filename or spool}: {exc.strerror or exc}"
    return {"part": part, "runs": runs, "keys": [r["cell"] for r, _ in rows],
            "statuses": [r["status"] for r, _ in rows], "seconds": seconds, "fault": fault}


def _run_cell(cell, code_dirs, single_thread, environment):
    """(record, history columns) of one cell; raises EnvironmentFault (see run_batch)."""
    from ._numba import cache_dir_setting
    from .harness import run

    _prepare_worker(code_dirs, single_thread)
    params = dict(cell.problem_params)
    dim = params.pop("dim", None)
    record = _cell_record(cell)
    try:
        result = run(cell.problem, cell.solver, dim=dim, seed=cell.seed, problem_params=params,
                     solver_params=cell.solver_params, **cell.run)
    except (Exception, SystemExit) as exc:  # recorded, and the sweep goes on
        cause = environment_cause(exc, (*environment, cache_dir_setting()))
        if cause is not None:
            raise EnvironmentFault(f"{cause} (while running {cell.setting} on "
                                   f"{cell.instance})") from exc
        return _no_run(record, ERROR, " ".join(f"{type(exc).__name__}: {exc}".split()))
    s = result.summary
    record.update(dim=result.identity["dim"], seeded=result.identity["seeded"],
                  solver_values=result.params,
                  status=result.status, message=result.message, f_star=result.f_star,
                  f_star_tol=result.summary["f_star_tol"],
                  **{k: s[k] for k in ("iterations", "f", "gap", "grad_norm", "nfev", "ngev",
                                       "nhev", "solve_seconds", "call_seconds",
                                       "compile_seconds", "cache_hit")})
    return record, result.columns


# -- where cells run -----------------------------------------------------------------------------
class _Where:
    """Where cells run: ``submit`` them; the loop looks in every ``_WAIT_STEP`` (``look``:
    raises when the cells can no longer run), asks which cell a dead worker was running
    (``crashed``), and at the end ``close``s, or ``kill``s at once when interrupted."""

    slots = 1
    single = False  # workers use every core: one BLAS / numba thread each
    spools = False  # workers write their parts into the results directory (this machine)

    def __init__(self, executor: cf.Executor, slots: int = 1, owned=None):
        self.executor, self.slots, self._owned = executor, slots, owned

    def submit(self, *args) -> cf.Future:
        return self.executor.submit(*args)

    def look(self) -> None:
        pass

    def crashed(self) -> tuple[dict[str, int], bool]:
        """({cell key: exit code of its worker, -N for signal N}, whether that is known for
        sure)."""
        return {}, False

    def restart(self) -> None:
        raise SweepError("a worker process died; the finished cells are kept, run the same "
                         "sweep again to resume")

    def close(self) -> None:
        if isinstance(self._owned, cf.Executor):
            self._owned.shutdown(wait=True)

    def kill(self) -> None:
        if isinstance(self._owned, cf.Executor):
            self._owned.shutdown(wait=False, cancel_futures=True)


class _InProcess(cf.Executor):
    """Runs each cell when it is submitted (``workers=1``): same code path, no processes."""

    def submit(self, fn, /, *args, **kwargs):
        future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
            if isinstance(exc, KeyboardInterrupt):
                raise
        return future


class _Pool(_Where):
    """Local worker processes (spawned), restarted after a crash, killed at once when the
    sweep is interrupted. Each shows the cell it runs on a shared board (:class:`_Board`),
    so a crash is blamed right."""

    single = spools = True

    def __init__(self, workers: int):
        main = getattr(sys.modules.get("__main__"), "__file__", None)
        if main is not None and not os.path.isfile(main):  # each worker would read it again
            raise InvalidValueError(
                f"worker processes cannot start from a script that is not a file ({main!r}, "
                "e.g. read from standard input): save it to a file, or run the cells in this "
                "process with workers=1 (option workers / --workers)")
        self.slots = workers
        self._ctx = multiprocessing.get_context("spawn")
        self._start()

    def _start(self) -> None:
        self._board = _Board(self._ctx, self.slots)
        self.executor = cf.ProcessPoolExecutor(
            self.slots, mp_context=self._ctx, initializer=_worker_init,
            initargs=(self._board.memory, self._board.claimed, os.getpid()))
        self._processes: dict[int, Any] = {}

    def submit(self, *args) -> cf.Future:
        # a submit may start a worker process: Ctrl-C raised half-way through would leave it
        # without its start-up data (a traceback on stderr), so it is handled just after
        with _signals_deferred():
            future = self.executor.submit(*args)
            self._processes.update(self.executor._processes or {})  # started on submit
        return future

    def crashed(self) -> tuple[dict[str, int], bool]:
        for proc in self._processes.values():
            proc.join(timeout=2.0)
        died = {pid: proc.exitcode for pid, proc in self._processes.items()
                if proc.exitcode not in (None, -signal.SIGTERM)}  # the pool ending the rest
        running = self._board.running()  # (a worker ending normally shows no cell)
        blamed = {running[pid]: code for pid, code in died.items() if running.get(pid)}
        if blamed:
            return blamed, True
        running = [key for key in running.values() if key]
        return {key: -signal.SIGKILL for key in running}, False

    def restart(self) -> None:
        self.kill()
        self._start()

    def close(self) -> None:
        self.executor.shutdown(wait=True)

    def kill(self) -> None:
        for proc in self._processes.values():
            try:
                proc.kill()
            except (OSError, ValueError, AttributeError):
                pass
        self.executor.shutdown(wait=False, cancel_futures=True)
        for proc in self._processes.values():
            proc.join(timeout=2.0)


class _Dask(_Where):
    """A dask.distributed cluster: a sweep that has had no worker for ``timeout`` seconds
    stops with a clear line (finished cells kept)."""

    single = True

    def __init__(self, address: str, timeout: float):
        try:
            from distributed import Client
        except ImportError:
            raise MissingDependencyError('--scheduler needs dask.distributed: pip install '
                                         '"optbench[dask]"') from None
        try:
            self._client = Client(address, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InvalidValueError(f"cannot connect to a dask scheduler at {address!r}: "
                                    f"{exc} (option --scheduler)") from None
        self._address, self._timeout = address, timeout
        try:
            self._client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            self._client.close()
            raise SweepError(f"the dask scheduler at {address!r} has no workers (waited "
                             f"{timeout:g} s, option --worker-timeout); nothing was run") \
                from None
        self.slots = max(sum(self._client.nthreads().values()), 1)
        self.executor = self._client.get_executor(pure=False)
        self._alone_since = None

    def look(self) -> None:
        if self._client.nthreads():
            self._alone_since = None
            return
        now = time.monotonic()
        self._alone_since = self._alone_since or now
        if now - self._alone_since > self._timeout:
            raise SweepError(f"the dask cluster at {self._address!r} has had no workers for "
                             f"{self._timeout:g} s (option --worker-timeout)")

    def close(self) -> None:
        self._client.close()

    kill = close


def _where(workers: int | None, scheduler: str | None, executor, timeout: float) -> _Where:
    if executor is not None:
        if not isinstance(executor, cf.Executor):
            raise InvalidTypeError(f"executor must be a concurrent.futures.Executor; got "
                                   f"{type(executor).__name__} (option executor)")
        where = _Where(executor, max(workers or os.cpu_count() or 1, 1))
        where.spools = isinstance(executor, cf.ProcessPoolExecutor | cf.ThreadPoolExecutor)
        return where
    if scheduler is not None:
        return _Dask(scheduler, timeout)
    if workers == 1:
        return _Where(_InProcess(), 1)
    return _Pool(workers)


def _check_workers(workers) -> int:
    cores = os.cpu_count() or 1
    if workers is None:
        return cores
    limit = 64 * cores
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= limit:
        raise InvalidValueError(f"workers must be an integer from 1 to {limit} (64 per core); "
                                f"got {shown(workers)} (option --workers)")
    return workers


def _check_timeout(timeout) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or \
            not 0 < timeout < float("inf"):
        raise InvalidValueError(f"worker_timeout must be a number of seconds > 0; got "
                                f"{timeout!r} (option --worker-timeout)")
    return float(timeout)


# -- the sweep ---------------------------------------------------------------------------------
def sweep(config, out, *, workers: int | None = None, scheduler: str | None = None,
          executor: cf.Executor | None = None, progress: bool = True,
          retry_errors: bool = False, worker_timeout: float = WORKER_TIMEOUT,
          yes: bool = False):
    """Run every cell of ``config`` not yet in ``out``; return the runs table of ``out``.

    Parameters
    ----------
    config : dict or path
        The sweep configuration (see :mod:`optbench.grid`), or a TOML file holding it.
    out : path
        The results directory; created if needed, resumed if it holds this config already.
    workers : int, optional
        Worker processes (default: one per core); 1 runs the cells in this process.
    scheduler : str, optional
        Address of a dask.distributed scheduler to run the cells on instead.
    executor : concurrent.futures.Executor, optional
        Run the cells on this executor (kept open: the caller owns it). The processes or
        threads of a ``ProcessPoolExecutor`` / ``ThreadPoolExecutor`` write their batches
        into ``out`` themselves; with any other executor the results come back to this
        process, which writes them.
    progress : bool
        Show a progress bar (tqdm) on stderr, after a line saying how many errored cells
        are run again (``retry_errors``).
    retry_errors : bool
        Also run again the cells of ``out`` whose run raised (status ``error``), e.g. after
        fixing a data file; each new result replaces the old file atomically. Every other
        finished cell is still skipped.
    worker_timeout : float
        With ``scheduler``: seconds to wait for a dask worker, at the start and whenever the
        cluster has none, before the sweep stops (finished cells kept).
    yes : bool
        Run a grid of more than ``optbench.grid.MAX_CELLS`` (100,000) cells; without it such
        a grid is refused before it is listed.

    Returns
    -------
    pandas.DataFrame
        One row per cell (see :func:`optbench.load_runs`); ``.attrs["skipped"]`` lists the
        solver / problem pairs left out because they do not fit, ``.attrs["retried"]`` the
        keys of the cells in error that this call ran again (empty without
        ``retry_errors``).

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C (or SIGTERM, as ``optbench.Interrupted`` from a cell run in this process):
        the finished cells are kept, the running batches stopped and not stored.
    EnvironmentFault
        The machine failed (disk, memory, the cache or results directory): the finished
        cells are kept, nothing is recorded for the cell; fix the cause and run again.
    SweepError
        The cells could not run (no dask workers, a pool that could not be restarted).

    Examples
    --------
    >>> runs = optbench.sweep("sweep.toml", "results/first")         # doctest: +SKIP
    >>> # fix what made some cells raise (a data file ...), then run only those again:
    >>> runs = optbench.sweep("sweep.toml", "results/first", retry_errors=True)  # doctest: +SKIP
    >>> len(runs.attrs["retried"])                                    # doctest: +SKIP
    """
    if not isinstance(retry_errors, bool):
        raise InvalidTypeError(f"retry_errors must be True or False; got {retry_errors!r} "
                               "(option retry_errors / --retry-errors)")
    if not isinstance(yes, bool):
        raise InvalidTypeError(f"yes must be True or False; got {yes!r} (option yes / --yes)")
    output_dir(out, "--out")  # before anything: a path that cannot hold results
    plan = plan_sweep(config, max_cells=sys.maxsize if yes else None)
    timeout = _check_timeout(worker_timeout)
    # where the cells run, before anything is written (a wrong scheduler address writes
    # nothing); a local pool starts its processes only when the first cell is submitted
    where = _where(_check_workers(workers), scheduler, executor, timeout)
    finished = False
    try:
        with ResultsStore(out, plan.config, plan.hash, plan.count, plan.skipped) as store:
            todo, count, retried = _missing(plan, *store.finished(retry_errors=retry_errors))
            if retried and progress:
                print(f"optbench: retrying {len(retried)} of {plan.count} cells, those "
                      "that ended in an error or whose file was not valid", file=sys.stderr)
            if count:
                _run_cells(plan, todo, count, store, where, progress,
                           already=plan.count - count, retrying=bool(retried))
            store.merge_parts()
        finished = True
    finally:
        (where.close if finished else where.kill)()
    runs = store.runs()  # the parts this sweep wrote are not read back
    runs.attrs["skipped"] = plan.skipped
    runs.attrs["retried"] = retried
    return runs


def _missing(plan: SweepPlan, done: np.ndarray, held: np.ndarray):
    """(the cells to run, as a stream; how many; the keys of those run again): the plan's
    keys are compared, a chunk at a time, with the sorted arrays of finished and held keys
    (no finished cell becomes a Python object)."""
    if not len(held):
        return plan.iter_cells(), plan.count, []
    missing, retried, start = [], [], 0
    for keys in plan.keys():
        gone = ~_among(keys, done)
        missing.append(start + np.flatnonzero(gone))
        retried.extend(k.decode() for k in keys[gone & _among(keys, held)])
        start += len(keys)
    indices = np.concatenate(missing)
    return plan.iter_cells(indices), len(indices), retried


def _among(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Which of ``keys`` are in the sorted array ``sorted_keys`` (binary search)."""
    at = np.searchsorted(sorted_keys, keys).clip(max=max(len(sorted_keys) - 1, 0))
    return (sorted_keys[at] == keys) if len(sorted_keys) else np.zeros(len(keys), bool)


class _Progress:
    """A tqdm bar on a terminal; elsewhere (a log file) a plain line per tenth of the cells,
    never carriage returns."""

    def __init__(self, total: int, initial: int, enabled: bool):
        from tqdm import tqdm  # not tqdm.auto: no ipywidgets warning in notebooks

        self._plain = enabled and not _is_terminal()
        self._total, self._done, self._next = total, initial, 0
        self._bar = tqdm(total=total, initial=initial, unit="cell", desc="sweep",
                         disable=not enabled or self._plain, file=sys.stderr,
                         dynamic_ncols=True, smoothing=0.1)

    def update(self, counts: dict, cells: int = 1) -> None:
        self._done += cells
        self._bar.set_postfix(counts, refresh=False)
        self._bar.update(cells)
        if self._plain and self._done * 10 >= self._next * self._total:
            print(f"optbench: sweep {self._done}/{self._total} cells, "
                  + ", ".join(f"{k} {v}" for k, v in counts.items()), file=sys.stderr,
                  flush=True)
            self._next = self._done * 10 // max(self._total, 1) + 1

    def close(self) -> None:
        self._bar.close()


def _is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _run_cells(plan: SweepPlan, todo: Iterator[Cell], count: int, store: ResultsStore,
               where: _Where, progress: bool, already: int, retrying: bool = False) -> None:
    window = 1 if isinstance(where.executor, _InProcess) else \
        where.slots * _IN_FLIGHT_PER_WORKER
    queue = _BatchQueue(todo, count, window)
    inflight: dict[cf.Future, list[Cell]] = {}
    crashes: Counter = Counter()
    counts = {"failed": 0, "diverged": 0}
    bar = _Progress(plan.count, already, progress)
    breaks = 0  # times in a row the pool broke with no cell finished in between
    environment = (str(store.root.resolve()),)
    spool = str(store.parts_dir.resolve()) if where.spools else None

    def submit_next() -> None:
        while len(inflight) < window and (batch := queue.pop()) is not None:
            future = where.submit(run_batch, batch, plan.code_dirs, where.single,
                                  environment, plan.solved, spool)
            inflight[future] = batch

    def write(outcome: dict, batch: list[Cell]) -> None:
        nonlocal breaks
        if outcome["part"] is not None:
            breaks = 0
            try:
                store.write_part(outcome["part"], outcome["runs"])
            except OSError as exc:
                raise EnvironmentFault(f"cannot write {exc.filename or store.parts_dir}: "
                                       f"{exc.strerror or exc}") from exc
            for status in outcome["statuses"]:
                counts["failed"] += status in FAILED_STATUSES
                counts["diverged"] += status == DIVERGED
            bar.update(counts, len(outcome["keys"]))
            queue.finished(batch[:len(outcome["keys"])], outcome["seconds"])
        if outcome["fault"] is not None:
            raise EnvironmentFault(outcome["fault"])

    def after_crash(lost: list[list[Cell]]) -> None:
        """The pool broke: blame the cell a dead worker was running, run it once more alone
        in a fresh pool (crashed the second time), and the other lost cells again."""
        nonlocal breaks
        blamed, sure = where.crashed()
        breaks += 1
        if breaks > _BREAKS_ALLOWED:
            how = ", ".join(sorted({_death(code) for code in blamed.values()})) if sure else \
                "cause unknown" if blamed else "before any cell"
            raise SweepError(f"the worker processes died {breaks} times in a row with no cell "
                             f"finished ({how}); see their error output above. "
                             "The finished cells are kept")
        where.restart()
        for batch in lost:
            others = []
            for cell in batch:
                code = blamed.get(cell.key)
                if code is None or not sure:
                    others.append(cell)
                    continue
                crashes[cell.key] += 1
                if crashes[cell.key] > _CRASHES_ALLOWED:
                    record, columns = _no_run(
                        _cell_record(cell), CRASHED,
                        f"the worker process died ({_death(code)}) running this cell, "
                        f"{crashes[cell.key]} times")
                    write(_batch_outcome([(record, columns)], [0.0], None, plan.solved),
                          [cell])
                else:
                    queue.again([cell])
            if others:
                queue.again(others)

    try:
        submit_next()
        while inflight:
            ready, _ = cf.wait(inflight, timeout=_WAIT_STEP, return_when=cf.FIRST_COMPLETED)
            where.look()
            lost = []
            for future in ready:
                batch = inflight.pop(future)
                outcome = _outcome(future, batch)
                if outcome is None:  # its worker process died (this batch or another)
                    lost.append(batch)
                else:
                    write(outcome, batch)
            if lost:
                for future, batch in list(inflight.items()):  # fail with the broken pool
                    if _outcome(future, batch, wait=True) is None:
                        lost.append(batch)
                        del inflight[future]
                after_crash(lost)
            submit_next()
    except BaseException as exc:
        partial = getattr(exc, "finished", None)  # a batch in this process, interrupted
        if isinstance(partial, dict):
            write(partial, [])
        for future, batch in inflight.items():  # finished as we stopped: keep it
            if future.done() and not future.cancelled() and future.exception() is None:
                write(future.result(), batch)
            elif not future.cancel() and spool is not None:  # running on: its part goes
                future.add_done_callback(_discard_spooled(spool))
        if where.spools:  # no worker writes any more: their unfinished parts go
            where.kill()
            with contextlib.suppress(OSError):  # the directory itself may be what failed
                store.remove_strays()
        again = " with --retry-errors (retry_errors=True)" if retrying else ""
        try:
            done, _ = store.finished(retry_errors=retrying)
            finished = f"{len(done)} of {plan.count} cells are"
        except (OptbenchError, OSError):  # the directory itself is what failed
            finished = "the cells written so far are"
        print(f"optbench: {finished} finished in {str(store.root)!r}; run the same sweep "
              f"again{again} to resume", file=sys.stderr)
        raise
    finally:
        bar.close()


def _discard_spooled(parts_dir):
    """A done-callback for a batch still running when the sweep stopped (on an executor the
    sweep cannot kill, a caller's): remove the part it spooled, which nothing will rename."""
    def discard(future: cf.Future) -> None:
        if not future.cancelled() and future.exception() is None and \
                isinstance(part := future.result().get("part"), str):
            discard_spooled(parts_dir, part)

    return discard


def _death(code: int) -> str:
    """How a worker process ended: ``SIGSEGV`` for exit code -11, ``exit code 3``."""
    return signal_name(-code) if code < 0 else f"exit code {code}"


class _BatchQueue:
    """Cells in sweep order, read from a stream up to ``_READ_AHEAD`` at a time, handed out
    in batches of one compilation group. Only one *pilot* cell per group runs until it has
    finished: the pilot compiles the solver for that problem (and writes numba's disk cache)
    while other workers take other groups, instead of every worker compiling the same code
    at once on a cold cache. Then the group's other cells follow in batches of about
    ``_BATCH_SECONDS`` by the group's measured cell times (at most ``_MAX_BATCH``, and no
    more than an even share of what is left per slot of the ``window``, two per worker, so
    that no worker idles at the end, but no less than ``_MIN_BATCH_SECONDS``: each batch
    costs a part file and a message)."""

    def __init__(self, cells: Iterator[Cell], count: int, window: int):
        self._source = iter(cells)
        self._waiting: dict[tuple, deque[Cell]] = {}  # read, by group
        self._pilots: deque[Cell] = deque()
        self._ready: list[tuple] = []  # groups whose pilot finished
        self._again: deque[list[Cell]] = deque()
        self._seconds: dict[tuple, float] = {}
        self._left, self._read, self._window = count, 0, window

    def _fill(self, count: int = _READ_CHUNK) -> None:
        """Read up to ``count`` more cells of the stream (at most ``_READ_AHEAD`` waiting): a
        chunk at a time, so that the first cells start before the plan is read far ahead."""
        for _ in range(min(count, _READ_AHEAD - self._read)):
            cell = next(self._source, None)
            if cell is None:
                return
            group = _compile_group(cell)
            if group not in self._waiting:
                self._waiting[group] = deque()
                self._pilots.append(cell)
            else:
                self._waiting[group].append(cell)
            self._read += 1

    def pop(self) -> list[Cell] | None:
        if self._again:
            return self._again.popleft()
        while True:  # read on until a cell can run, or nothing more can be read
            read = self._read
            self._fill()
            if self._pilots:
                return self._take([self._pilots.popleft()])
            for group in self._ready:
                cells = self._waiting[group]
                size = self._size(group)
                if len(cells) < size:
                    self._fill(size - len(cells))
                if cells:
                    return self._take([cells.popleft() for _ in range(min(size, len(cells)))])
            if self._read == read:
                return None

    def _take(self, batch: list[Cell]) -> list[Cell]:
        self._left -= len(batch)
        self._read -= len(batch)
        return batch

    def _size(self, group: tuple) -> int:
        per_cell = max(self._seconds.get(group, _BATCH_SECONDS), 1e-6)
        share = max(-(-self._left // self._window), _MIN_BATCH_SECONDS / per_cell)
        return int(max(1, min(_BATCH_SECONDS / per_cell, _MAX_BATCH, share)))

    def again(self, cells: list[Cell]) -> None:
        """Cells that did not finish (their worker died): first in line again."""
        self._again.appendleft(cells)

    def finished(self, cells: list[Cell], seconds: list[float]) -> None:
        """The cells of a batch finished, each in ``seconds`` (compilation left out)."""
        if not cells:
            return
        group = _compile_group(cells[0])
        if seconds:
            self._seconds[group] = float(np.median(seconds))
        if group not in self._ready:
            self._ready.append(group)


def _compile_group(cell: Cell) -> tuple:
    """Cells that (very likely) run the same compiled code: same problem and solver, and the
    same words among their parameter values (``step=armijo`` picks another compiled rule
    than ``step=0.1``; numbers of one kind share the compiled code)."""
    def kinds(values: dict) -> tuple:
        return tuple(sorted((k, v if isinstance(v, str) else type(v).__name__)
                            for k, v in values.items()))
    return cell.problem, kinds(cell.problem_params), cell.solver, kinds(cell.solver_params)


def _outcome(future: cf.Future, batch: list[Cell], wait: bool = False) -> dict[str, Any] | None:
    """The batch's outcome; None when its worker process died (the pool is broken)."""
    try:
        return future.result(timeout=None if wait else 0)
    except BrokenProcessPool:
        return None
    except OptbenchError:
        raise
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # a cluster-side failure: the cell itself never raises
        cell = batch[0]
        raise SweepError(f"running {cell.setting} on {cell.instance} (and {len(batch) - 1} more "
                         f"cells of its batch) failed outside the cells: "
                         f"{type(exc).__name__}: {exc}") from exc
