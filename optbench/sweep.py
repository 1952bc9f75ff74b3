"""Sweeps: every cell of a grid run once, in parallel, into a resumable results directory.

``sweep(config, out)`` checks the configuration (:mod:`optbench.grid`), skips the cells the
results directory already holds (:mod:`optbench.store`; with ``retry_errors=True``, all but
those whose run raised), and runs the others on

- a pool of long-lived worker processes, one per core by default (``workers``); each worker
  compiles a solver once, or loads it from numba's disk cache, which all workers share;
- an existing dask.distributed cluster (``scheduler="tcp://host:8786"``), unchanged;
- any ``concurrent.futures.Executor`` you pass (``executor=``), or in this process
  (``workers=1``).

The parent process writes each finished cell as it arrives, so nothing that finished is lost
when the sweep is interrupted; a cell that raises is recorded with its error (status
``error``) and the sweep goes on, and ``retry_errors=True`` runs such cells again once their
cause is fixed. Cells are independent and seeded, so the values (all but the timings) do not
depend on where or in which order they ran.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import sys
from collections import deque
from typing import Any

import numpy as np

from .errors import InvalidTypeError, InvalidValueError, MissingDependencyError, OptbenchError
from .grid import Cell, SweepPlan, plan_sweep
from .results import MEASURE_COLUMNS
from .status import FAILED_STATUSES
from .store import ResultsStore, encode_cell, load_runs

__all__ = ["sweep", "run_cell", "SweepError"]

_IN_FLIGHT_PER_WORKER = 2   # cells queued per worker: keeps workers busy, memory bounded


class SweepError(OptbenchError, RuntimeError):
    """The sweep could not go on (a worker process died, the cluster went away)."""


# -- the worker side ---------------------------------------------------------------------------
_prepared: set = set()


def _prepare_worker(problems_dirs: tuple[str, ...], single_thread: bool) -> None:
    """Once per process: the user's problem directories; one BLAS / numba thread per worker
    when the workers already use every core."""
    key = (problems_dirs, single_thread)
    if key in _prepared:
        return
    from .registry import load_problem_dir

    for directory in problems_dirs:
        load_problem_dir(directory)
    if single_thread:
        import numba
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        numba.set_num_threads(1)
    _prepared.add(key)


def run_cell(cell: Cell, problems_dirs: tuple[str, ...] = (), single_thread: bool = False
             ) -> dict[str, Any]:
    """Run one cell; return its record (identity, outcome) and its cell file's bytes. Never
    raises for a problem of the cell itself: an exception becomes status ``error``."""
    from .harness import run

    _prepare_worker(problems_dirs, single_thread)
    params = dict(cell.problem_params)
    dim = params.pop("dim", None)
    record = {"cell": cell.key, "index": cell.index, "problem": cell.problem,
              "solver": cell.solver, "dim": dim, "seed": cell.seed,
              "instance": cell.instance, "setting": cell.setting,
              "problem_params": cell.problem_params, "solver_values": cell.solver_values,
              "worker": f"{os.uname().nodename}:{os.getpid()}"}
    try:
        result = run(cell.problem, cell.solver, dim=dim, seed=cell.seed, problem_params=params,
                     solver_params=cell.solver_params, **cell.run)
    except Exception as exc:  # recorded, and the sweep goes on
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        record.update(status="error", message=message, iterations=0, f=None, f_star=None,
                      gap=None, grad_norm=None, solve_seconds=None)
        empty = {name: np.empty(0, np.int64 if name == "iteration" else np.float64)
                 for name in MEASURE_COLUMNS}
        return {"record": record, "parquet": encode_cell(empty, record)}
    s = result.summary
    record.update(dim=result.identity["dim"], solver_values=result.params,
                  status=result.status, message=result.message, f_star=result.f_star,
                  **{k: s[k] for k in ("iterations", "f", "gap", "grad_norm", "solve_seconds",
                                       "call_seconds", "compile_seconds", "cache_hit")})
    return {"record": record, "parquet": encode_cell(result.columns, record)}


# -- where cells run -----------------------------------------------------------------------------
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


def _ignore_sigint() -> None:  # pool workers: Ctrl-C is the parent's to handle
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _dask_executor(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise MissingDependencyError('--scheduler needs dask.distributed: pip install '
                                     '"optbench[dask]"') from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InvalidValueError(f"cannot connect to a dask scheduler at {address!r}: {exc} "
                                "(option --scheduler)") from None
    slots = max(sum(client.nthreads().values()), 1)
    return client.get_executor(pure=False), slots, client


def _open_executor(workers: int | None, scheduler: str | None, executor):
    """(executor, parallel slots, a thing to close or None, whether workers are single-threaded)"""
    if executor is not None:
        if not isinstance(executor, cf.Executor):
            raise InvalidTypeError(f"executor must be a concurrent.futures.Executor; got "
                                   f"{type(executor).__name__} (option executor)")
        return executor, max(workers or os.cpu_count() or 1, 1), None, False
    if scheduler is not None:
        ex, slots, client = _dask_executor(scheduler)
        return ex, slots, client, True
    if workers == 1:
        return _InProcess(), 1, None, False
    import multiprocessing

    pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_ignore_sigint)
    return pool, workers, pool, True


def _check_workers(workers) -> int:
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidValueError(f"workers must be an integer >= 1; got {workers!r} "
                                "(option --workers)")
    return workers


# -- the sweep ---------------------------------------------------------------------------------
def sweep(config, out, *, workers: int | None = None, scheduler: str | None = None,
          executor: cf.Executor | None = None, progress: bool = True,
          retry_errors: bool = False):
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
        Run the cells on this executor (kept open: the caller owns it).
    progress : bool
        Show a progress bar (tqdm) on stderr, after a line saying how many errored cells
        are run again (``retry_errors``).
    retry_errors : bool
        Also run again the cells of ``out`` whose run raised (status ``error``), e.g. after
        fixing a data file; each new result replaces the old file atomically. Every other
        finished cell is still skipped.

    Returns
    -------
    pandas.DataFrame
        One row per cell (see :func:`optbench.load_runs`); ``.attrs["skipped"]`` lists the
        solver / problem pairs left out because they do not fit, ``.attrs["retried"]`` the
        keys of the cells in error that this call ran again (empty without
        ``retry_errors``).

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
    plan = plan_sweep(config)
    # where the cells run, before anything is written (a wrong scheduler address writes
    # nothing); a local pool starts its processes only when the first cell is submitted
    ex, slots, owned, single = _open_executor(_check_workers(workers), scheduler, executor)
    interrupted = True
    try:
        with ResultsStore(out, plan.config, plan.hash, len(plan.cells), plan.skipped) as store:
            done = store.done(retry_errors=retry_errors)
            todo = [c for c in plan.cells if c.key not in done]
            retried = [c.key for c in todo if store.has(c.key)]  # in error: run again
            if retried and progress:
                print(f"optbench: retrying {len(retried)} of {len(plan.cells)} cells, those "
                      "that ended in an error", file=sys.stderr)
            if todo:
                _run_cells(plan, todo, store, ex, slots, single, progress,
                           already=len(plan.cells) - len(todo), retrying=bool(retried))
        interrupted = False
    finally:
        _close(owned, wait=not interrupted)
    runs = load_runs(out)
    runs.attrs["skipped"] = plan.skipped
    runs.attrs["retried"] = retried
    return runs


def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="cell", desc="sweep", disable=not enabled,
                file=sys.stderr, dynamic_ncols=True, smoothing=0.1)


def _run_cells(plan: SweepPlan, todo: list[Cell], store: ResultsStore, ex: cf.Executor,
               slots: int, single: bool, progress: bool, already: int,
               retrying: bool = False) -> None:
    queue = _PilotQueue(todo)
    inflight: dict[cf.Future, Cell] = {}
    counts = {"failed": 0, "diverged": 0}
    bar = _progress_bar(len(plan.cells), already, progress)

    def submit_next() -> None:
        while len(inflight) < window and (cell := queue.pop()) is not None:
            inflight[ex.submit(run_cell, cell, plan.problems_dirs, single)] = cell

    def write(future: cf.Future, cell: Cell) -> None:
        outcome = _outcome(future, cell)
        store.write_cell(cell.key, outcome["parquet"])
        status = outcome["record"]["status"]
        counts["failed"] += status in FAILED_STATUSES
        counts["diverged"] += status == "diverged"
        bar.set_postfix(counts, refresh=False)
        bar.update()

    interrupted = True
    try:
        window = 1 if isinstance(ex, _InProcess) else slots * _IN_FLIGHT_PER_WORKER
        submit_next()
        while inflight:
            finished, _ = cf.wait(inflight, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                cell = inflight.pop(future)
                write(future, cell)
                queue.finished(cell)
            submit_next()
        interrupted = False
    finally:
        for future, cell in inflight.items():
            if interrupted and future.done() and not future.cancelled() \
                    and future.exception() is None:
                write(future, cell)  # finished while we were interrupted: keep it
            future.cancel()
        bar.close()
        if interrupted:
            again = " with --retry-errors (retry_errors=True)" if retrying else ""
            print(f"optbench: {len(store.done(retry_errors=retrying))} of {len(plan.cells)} "
                  f"cells are finished in {str(store.root)!r}; run the same sweep again"
                  f"{again} to resume", file=sys.stderr)


class _PilotQueue:
    """Cells in sweep order, but only one *pilot* cell per compilation group until it has
    finished: the pilot compiles the solver for that problem (and writes numba's disk cache)
    while other workers take other groups, instead of every worker compiling the same code
    at once on a cold cache. Then the group's other cells follow, loading from the cache."""

    def __init__(self, cells: list[Cell]):
        self._waiting: dict[tuple, deque[Cell]] = {}
        for cell in cells:
            self._waiting.setdefault(_compile_group(cell), deque()).append(cell)
        self._ready = deque(group.popleft() for group in self._waiting.values())

    def pop(self) -> Cell | None:
        return self._ready.popleft() if self._ready else None

    def finished(self, cell: Cell) -> None:
        rest = self._waiting.pop(_compile_group(cell), None)
        if rest:
            self._ready.extend(rest)


def _compile_group(cell: Cell) -> tuple:
    """Cells that (very likely) run the same compiled code: same problem and solver, and the
    same words among their parameter values (``step=armijo`` picks another compiled rule
    than ``step=0.1``; numbers of one kind share the compiled code)."""
    def kinds(values: dict) -> tuple:
        return tuple(sorted((k, v if isinstance(v, str) else type(v).__name__)
                            for k, v in values.items()))
    return cell.problem, kinds(cell.problem_params), cell.solver, kinds(cell.solver_params)


def _outcome(future: cf.Future, cell: Cell) -> dict[str, Any]:
    try:
        return future.result()
    except cf.process.BrokenProcessPool:
        raise SweepError(f"a worker process died while running {cell.setting} on "
                         f"{cell.instance} (seed {cell.seed}); the finished cells are kept, "
                         "run the same sweep again to resume") from None
    except OptbenchError:
        raise
    except Exception as exc:  # a cluster-side failure: the cell itself never raises
        raise SweepError(f"running {cell.setting} on {cell.instance} failed outside the "
                         f"cell: {type(exc).__name__}: {exc}") from exc


def _close(owned, wait: bool) -> None:
    if owned is None:
        return
    if isinstance(owned, cf.Executor):
        owned.shutdown(wait=wait, cancel_futures=True)
    else:  # a dask Client
        owned.close()
