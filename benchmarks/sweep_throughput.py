"""Sweep throughput: cells per second on 1 and 2 worker processes, and the results store.

    python benchmarks/sweep_throughput.py [--cells 240] [--rounds 3]     # 50-D cells (as before)
    python benchmarks/sweep_throughput.py tiny [--cells 4000] [--rounds 3]
    python benchmarks/sweep_throughput.py store [--sizes 10000,100000,1000000]
        [--legacy 10000] [--pythonpath DIR] [--against DIR] [--settings 2] [--shuffled]
    python benchmarks/sweep_throughput.py plan [--cells 1000000] [--rounds 3]

Default (medium cells): each measurement uses an executor that has already run a warm-up
sweep (workers started, numba's compiled code loaded from its disk cache), so start-up is
not counted; the sweep writes into a fresh results directory every time. Reported per
worker count: wall seconds (minimum over rounds), the sum of the cells' solve seconds
(measured inside the compiled loop), and the per-cell overhead = (wall x workers - solve
sum) / cells: everything that is not the solver (building the problem, dispatch, moving the
result between processes, writing the Parquet file). Rounds alternate 1 and 2 workers so
that load on a shared machine hits both alike. Also the in-process run (workers=1, no pool)
for comparison, and, each round, how many cores the machine actually gives two processes
(on a shared host it can be well under 2, which caps any speed-up).

``tiny``: the same on tiny cells (gd, 2-D quadratic, 100 iterations): cells per second and
per core on 1 and 2 warm workers, minimum wall over rounds, side by side.

``store``: a results directory of N cells written directly (synthetic: gd on a 2-D
quadratic, 11 recorded rows per cell, parts of 50,000 cells as a finished sweep leaves them;
``--settings K`` step sizes, so K (instance, setting) pairs to summarize; ``--shuffled``: each
part holds its cells in a random order, as parts written by several workers do), then
``load_runs`` + ``summarize`` (what ``optbench results`` does) in a fresh subprocess: wall
seconds including imports and peak memory, best of the rounds. ``peak MB`` is the
subprocess's own peak RSS (``VmHWM``); ``maxrss`` its ``ru_maxrss``, which Linux carries
over from the parent (this script, holding what it wrote) when the child starts, so that it
is never below the parent's RSS at that moment. ``--legacy N`` also writes N cells in the
previous layout (one file per cell) and loads them; ``--pythonpath DIR`` loads with the
optbench found in DIR (e.g. the code before parts, for before/after figures);
``--against DIR`` loads every directory with both this checkout and DIR, rounds
alternating, and prints their ratios. Each row names the optbench it loaded. Worker
processes use one BLAS / numba thread each (``threadpool_limits(1)``,
``numba.set_num_threads(1)``); the loading subprocess runs with OPENBLAS_NUM_THREADS=1.

``plan``: a plan of N tiny cells (default 10^6) in a fresh process: seconds until its first
cell exists and the memory the plan adds; then, with every other cell finished, seconds
until the first missing cell is found (resume) and the memory that adds.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import optbench

STEPS = (0.2, 0.5, 1.0, 1.5)


def tiny_config(cells: int) -> dict:
    """``cells`` runs of gd on 2-D quadratics, 100 iterations each (microseconds of solver)."""
    return {"problems": [{"name": "quadratic", "dim": 2}],
            "solvers": [{"name": "gd", "params": {"step": [0.5, 1.0]}}],
            "seeds": f"0-{max(cells // 2, 1) - 1}", "run": {"max_iter": 100, "tol": 0.0}}


def config(cells: int) -> dict:
    """``cells`` runs of gd on 50-D quadratics (about 10-20 ms of solver time each)."""
    seeds = max(cells // len(STEPS), 1)
    return {"problems": [{"name": "quadratic", "dim": 50, "params": {"cond": 100.0}}],
            "solvers": [{"name": "gd", "params": {"step": list(STEPS)}}],
            "seeds": f"0-{seeds - 1}",
            "run": {"max_iter": 20_000, "tol": 0.0, "record_every": 1000}}


def _busy(n: int) -> float:
    """A CPU-bound loop (pure Python: no shared memory traffic); returns its seconds."""
    t = time.perf_counter()
    x = 0
    for i in range(n):
        x += i
    return time.perf_counter() - t


def capacity(pools: dict, n: int = 10_000_000) -> float:
    """How many cores this machine gives two processes right now: the same busy loop, once
    on one worker, then at once on each of two workers (2 on an idle 2-core machine)."""
    one = pools[1].submit(_busy, n).result()
    both = [f.result() for f in [pools[2].submit(_busy, n) for _ in range(2)]]
    return 2 * one / max(both)


def _ignore_sigint() -> None:
    """Set up a pool worker as a sweep's own workers are: Ctrl-C is the parent's to handle,
    no signal watcher around each run, one BLAS / numba thread."""
    import numba
    from threadpoolctl import threadpool_limits

    from optbench import board

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    board.WATCH_SIGNALS = False
    threadpool_limits(1)
    numba.set_num_threads(1)


def _pool(workers: int) -> cf.Executor:
    return cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_ignore_sigint)


def _timed(cfg: dict, executor, workers: int, root: Path, tag: str) -> dict:
    out = root / tag
    t = time.perf_counter()
    runs = optbench.sweep(cfg, out, workers=workers, executor=executor, progress=False)
    wall = time.perf_counter() - t
    solve = float(runs["solve_seconds"].sum())
    return {"seconds": wall, "cells": len(runs), "solve_seconds": solve,
            "per_cell_overhead_ms": (wall * workers - solve) / len(runs) * 1e3}


def measure(workers: int, cells: int = 240, rounds: int = 1, executor=None,
            make=None) -> dict:
    """Best of ``rounds`` timed sweeps of ``cells`` cells on ``workers`` warm processes
    (``workers=0``: in this process, no pool); ``make(cells)`` builds the config."""
    cfg = (make or config)(cells)
    own = executor is None and workers > 0
    if own:
        executor = _pool(workers)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            warm = dict(cfg, seeds=f"1000-{1000 + 4 * max(workers, 1) - 1}")
            optbench.sweep(warm, root / "warm", workers=max(workers, 1), executor=executor,
                           progress=False)
            best = None
            for r in range(rounds):
                got = _timed(cfg, executor, max(workers, 1), root, f"r{r}")
                if best is None or got["seconds"] < best["seconds"]:
                    best = got
            return best
    finally:
        if own:
            executor.shutdown()


def main_tiny(cells: int, rounds: int) -> None:
    pools = {1: _pool(1), 2: _pool(2)}
    best: dict[int, dict] = {}
    cores = []
    try:
        for w, pool in pools.items():
            measure(w, cells=200, executor=pool, make=tiny_config)
        for _ in range(rounds):
            cores.append(capacity(pools))
            for w in (1, 2):
                got = measure(w, cells, executor=pools[w], make=tiny_config)
                if w not in best or got["seconds"] < best[w]["seconds"]:
                    best[w] = got
    finally:
        for pool in pools.values():
            pool.shutdown()
    print(f"sweep of {best[1]['cells']} tiny cells (gd, 2-D quadratic, 100 iterations), best "
          f"of {rounds} rounds, warm workers, one thread each")
    print(f"{'':22}{'wall s':>9}{'cells/s':>10}{'cells/s/core':>14}")
    for w in (1, 2):
        rate = best[w]["cells"] / best[w]["seconds"]
        print(f"{w} worker process{'es' if w > 1 else '':3}{best[w]['seconds']:9.3f}"
              f"{rate:10.0f}{rate / w:14.0f}")
    print(f"speed-up, 2 workers over 1: {best[1]['seconds'] / best[2]['seconds']:.2f}x; "
          "capacity for two processes in the same rounds: "
          + ", ".join(f"{c:.2f}" for c in cores))


# -- the store ---------------------------------------------------------------------------------
_ROWS = 11  # recorded rows per synthetic cell


def _synthetic_table(start: int, n: int, settings: int = 2, shuffled: bool = False):
    """``n`` cells of the part form (see optbench.store), built column by column: gd with
    ``settings`` step sizes from 0.5 to 1.0 (f shrinking by 0.8 to 0.5 per recorded row);
    ``shuffled``: rows in a random order."""
    import pyarrow as pa

    idx = np.arange(start, start + n)
    if shuffled:
        idx = np.random.default_rng(start + 1).permutation(idx)
    rng = np.random.default_rng(start)
    share = (idx % settings) / max(settings - 1, 1)
    steps = 0.5 + 0.5 * share
    f0 = rng.uniform(1, 2, n)
    rate = 0.8 - 0.3 * share
    f = f0[:, None] * rate[:, None] ** np.arange(_ROWS)[None, :]
    offsets = pa.array(np.arange(0, (n + 1) * _ROWS, _ROWS, dtype=np.int32))

    def lists(values, kind=None):
        return pa.ListArray.from_arrays(offsets, pa.array(np.ravel(values),
                                                          kind or pa.float64()))

    it = np.tile(np.arange(0, 101, 10), n)
    target = 1e-6 * f[:, 0]
    hit = f <= target[:, None]
    reached, first = hit.any(axis=1), hit.argmax(axis=1)
    text = lambda v: pa.array(v, pa.string())  # noqa: E731
    data = {
        "cell": text([f"{i:020x}" for i in idx]), "index": pa.array(idx),
        "problem": text(["quadratic"] * n), "solver": text(["gd"] * n),
        "dim": pa.array(np.full(n, 2)), "seed": pa.array(idx // settings),
        "instance": text(["quadratic(dim=2)"] * n),
        "setting": text([f"gd(step={s:g})" for s in steps]),
        "status": text(["max_iter"] * n), "message": text(["reached max_iter=100"] * n),
        "iterations": pa.array(np.full(n, 100)), "f": pa.array(f[:, -1]),
        "f_star": pa.array(np.zeros(n)), "f_star_tol": pa.array(np.zeros(n)),
        "gap": pa.array(f[:, -1]), "grad_norm": pa.array(f[:, -1]),
        "nfev": pa.array(np.full(n, 101.0)), "ngev": pa.array(np.full(n, 101.0)),
        "nhev": pa.array(np.zeros(n)), "solve_seconds": pa.array(np.full(n, 1e-5)),
        "call_seconds": pa.array(np.full(n, 5e-5)), "compile_seconds": pa.array(np.zeros(n)),
        "seeded": pa.array(np.ones(n, bool)), "cache_hit": pa.array(np.ones(n, bool)),
        "worker": text(["bench"] * n), "problem_params": text(['{"dim": 2}'] * n),
        "solver_values": text([json.dumps({"step": s}) for s in steps]),
        # what the worker derives (optbench.store.summarize_cells); f* = 0, tau = 1e-6
        "f0": pa.array(f[:, 0]), "f_min": pa.array(f.min(axis=1)),
        "f_target": pa.array(target),
        **{name: pa.array(np.where(reached, cost[np.arange(n), first], np.nan))
           for name, cost in (("iterations_to_tol", it.reshape(n, _ROWS) * 1.0),
                              ("seconds_to_tol", np.tile(np.arange(_ROWS) * 1e-6, (n, 1))),
                              ("nfev_to_tol", it.reshape(n, _ROWS) + 1.0),
                              ("ngev_to_tol", it.reshape(n, _ROWS) + 1.0))},
        "h_iteration": lists(it, pa.int64()), "h_f": lists(f), "h_gap": lists(f),
        "h_grad_norm": lists(f), "h_step": lists(np.repeat(steps, _ROWS)),
        "h_time": lists(np.tile(np.arange(_ROWS) * 1e-6, n)),
        "h_nfev": lists(it + 1.0), "h_ngev": lists(it + 1.0), "h_nhev": lists(it * 0.0),
        "h_dist": lists(f),
    }
    return pa.table(data)


def _manifest(root: Path, cells: int) -> None:
    from optbench.grid import config_hash

    cfg = tiny_config(cells)
    root.mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps({
        "config": cfg, "config_hash": config_hash(cfg), "cells": cells, "skipped": [],
        "sessions": []}))


def write_store(root: Path, cells: int, per_part: int = 50_000, settings: int = 2,
                shuffled: bool = False) -> float:
    """A synthetic results directory of ``cells`` cells in parts; returns the seconds."""
    import pyarrow.parquet as pq

    from optbench.store import PART_FORMAT, PART_META

    _manifest(root, cells)
    (root / "parts").mkdir()
    t = time.perf_counter()
    for number, start in enumerate(range(0, cells, per_part), 1):
        table = _synthetic_table(start, min(per_part, cells - start), settings, shuffled)
        meta = {PART_META: json.dumps({"format": PART_FORMAT}).encode()}
        pq.write_table(table.replace_schema_metadata(meta),
                       root / "parts" / f"part-{number:010d}.parquet", compression="zstd",
                       row_group_size=10_000)
    return time.perf_counter() - t


def write_legacy(root: Path, cells: int) -> float:
    """The same cells in the previous layout: one Parquet file per cell."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    _manifest(root, cells)
    (root / "cells").mkdir()
    t = time.perf_counter()
    table = _synthetic_table(0, cells).to_pylist()
    for row in table:
        record = {k: v for k, v in row.items() if not k.startswith("h_")}
        record["problem_params"] = json.loads(record["problem_params"])
        record["solver_values"] = json.loads(record["solver_values"])
        history = pa.table({k[2:]: v for k, v in row.items() if k.startswith("h_")})
        pq.write_table(history.replace_schema_metadata(
            {b"optbench.cell": json.dumps(record).encode()}),
            root / "cells" / f"{row['cell']}.parquet", compression="none")
    return time.perf_counter() - t


# peak memory: VmHWM (this process's own peak RSS, kB); ru_maxrss also counts the RSS of
# the parent at the moment it started the child (Linux keeps it across fork/vfork + exec)
_LOAD = ("import resource, sys, time\n"
         "t = time.perf_counter()\n"
         "import optbench\n"
         "from optbench.store import format_summary, load_runs, summarize\n"
         "runs = load_runs(sys.argv[1])\n"
         "format_summary(summarize(runs))\n"
         "seconds = time.perf_counter() - t\n"
         "maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
         "with open('/proc/self/status') as f:\n"
         "    hwm = next(int(l.split()[1]) for l in f if l.startswith('VmHWM'))\n"
         "print(len(runs), seconds, hwm, maxrss, optbench.__file__)\n")


def load_in_subprocess(root: Path, pythonpath: str | None) \
        -> tuple[int, float, float, float, str]:
    """(cells, wall seconds with imports, own peak MB, ru_maxrss MB, the optbench it
    imported) of load_runs + summarize in a fresh process, started in ``root`` (no optbench
    there to shadow ``pythonpath``; without it, the optbench this script imported)."""
    here = str(Path(optbench.__file__).parent.parent)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=pythonpath or here)
    out = subprocess.run([sys.executable, "-c", _LOAD, str(root)], env=env, check=True,
                         capture_output=True, text=True, cwd=root).stdout.split()
    return (int(out[0]), float(out[1]), int(out[2]) / 1024, int(out[3]) / 1024,
            str(Path(out[4]).parent.parent))


def main_store(sizes: list[int], legacy: int, pythonpath: str | None, rounds: int,
               against: str | None = None, settings: int = 2, shuffled: bool = False) -> None:
    print("results directory: write (synthetic parts, "
          f"{settings} settings{', rows shuffled' if shuffled else ''}) and load_runs + "
          f"summarize in a fresh process (imports included), best of {rounds}; "
          "OPENBLAS_NUM_THREADS=1, pyarrow's default threads")
    print(f"{'layout':10}{'cells':>10}{'files':>9}{'write s':>9}{'load s':>9}{'peak MB':>9}"
          f"{'maxrss':>8}  optbench loaded")
    codes = [pythonpath, *([against] if against else [])]
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [("parts", n, lambda r, c: write_store(r, c, settings=settings,
                                                      shuffled=shuffled)) for n in sizes]
        if legacy:
            jobs.append(("cells", legacy, write_legacy))
        for layout, n, writer in jobs:
            root = Path(tmp) / f"{layout}-{n}"
            wrote = writer(root, n)
            files = len(list((root / layout).iterdir()))
            loads = {code: [] for code in codes}
            for _ in range(rounds):  # alternating, so that load on the machine hits both
                for code in codes:
                    loads[code].append(load_in_subprocess(root, code))
            best = {}
            for code, got in loads.items():
                assert all(x[0] == n for x in got), got
                best[code] = (min(x[1] for x in got), min(x[2] for x in got))
                print(f"{layout:10}{n:10,}{files:9,}{wrote:9.2f}{best[code][0]:9.2f}"
                      f"{best[code][1]:9.0f}{min(x[3] for x in got):8.0f}  {got[0][4]}")
            if against:
                mine, other = best[pythonpath], best[against]
                print(f"{'':10}{'ratio, this / --against:':>37}{mine[0] / other[0]:9.2f}"
                      f"{mine[1] / other[1]:9.2f}")


_PLAN_SCRIPT = r"""
import json, resource, sys, time
import numpy as np
from optbench.grid import plan_sweep
from optbench.sweep import _missing

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

cells = int(sys.argv[1])
config = {"problems": [{"name": "quadratic", "dim": 2}],
          "solvers": [{"name": "gd", "params": {"step": [0.5, 1.0]}}],
          "seeds": f"0-{cells // 2 - 1}", "run": {"max_iter": 100, "tol": 0.0}}
base = peak_mb()
t = time.perf_counter()
plan = plan_sweep(config, max_cells=cells)
first = next(plan.iter_cells())
start = time.perf_counter() - t
planned = peak_mb()
done = np.sort(np.concatenate(list(plan.keys()))[::2])  # as the store hands them over
held = peak_mb()
t = time.perf_counter()
todo, count, _ = _missing(plan, done, done)
next(todo)
resume = time.perf_counter() - t
print(json.dumps({"count": plan.count, "start": start, "plan_mb": planned - base,
                  "resume": resume, "missing": count, "keys_mb": held - planned,
                  "resume_mb": peak_mb() - held}))
"""


def main_plan(cells: int, rounds: int) -> None:
    """A plan of ``cells`` tiny cells in a fresh process: seconds until its first cell exists
    and the peak memory the plan adds; then, with every other cell finished (their keys
    sorted, as the store hands them over), seconds until the first missing cell and the
    memory that adds (the keys are compared a chunk at a time)."""
    got = []
    for _ in range(rounds):
        out = subprocess.run([sys.executable, "-c", _PLAN_SCRIPT, str(cells)], check=True,
                             capture_output=True, text=True)
        got.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = {k: min(g[k] for g in got) for k in got[0]}
    print(f"a plan of {best['count']:,} tiny cells in a fresh process, best of {rounds}")
    print(f"  to the first cell: {best['start']:.2f} s, plan memory +{best['plan_mb']:.0f} MB")
    print(f"  resume with {best['count'] - best['missing']:,} finished "
          f"(their sorted keys +{best['keys_mb']:.0f} MB): first missing cell after "
          f"{best['resume']:.2f} s, +{best['resume_mb']:.0f} MB")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", nargs="?", choices=("medium", "tiny", "store", "plan"),
                        default="medium")
    parser.add_argument("--cells", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--legacy", type=int, default=0)
    parser.add_argument("--pythonpath", default=None)
    parser.add_argument("--against", default=None)
    parser.add_argument("--settings", type=int, default=2)
    parser.add_argument("--shuffled", action="store_true")
    args = parser.parse_args(argv)
    if args.what == "tiny":
        main_tiny(args.cells or 4000, args.rounds)
        return 0
    if args.what == "plan":
        main_plan(args.cells or 1_000_000, args.rounds)
        return 0
    if args.what == "store":
        main_store([int(n) for n in args.sizes.split(",") if n], args.legacy, args.pythonpath,
                   args.rounds, args.against, args.settings, args.shuffled)
        return 0
    args.cells = args.cells or 240
    pools = {1: _pool(1), 2: _pool(2)}
    best: dict[int, dict] = {}
    cores = []
    try:
        for w, pool in pools.items():  # warm both before any timing
            measure(w, cells=8, executor=pool)
        for _ in range(args.rounds):
            cores.append(capacity(pools))
            for w in (1, 2):
                got = measure(w, args.cells, executor=pools[w])
                if w not in best or got["seconds"] < best[w]["seconds"]:
                    best[w] = got
        inproc = measure(0, args.cells, rounds=args.rounds)
    finally:
        for pool in pools.values():
            pool.shutdown()
    print(f"sweep of {best[1]['cells']} cells (gd on a 50-D quadratic, 20000 iterations each), "
          f"best of {args.rounds} rounds, warm workers")
    print(f"{'':22}{'wall s':>9}{'solve s':>10}{'overhead ms/cell':>18}")
    for label, got in (("in-process", inproc), ("1 worker process", best[1]),
                       ("2 worker processes", best[2])):
        print(f"{label:22}{got['seconds']:9.3f}{got['solve_seconds']:10.3f}"
              f"{got['per_cell_overhead_ms']:18.2f}")
    print(f"speed-up, 2 workers over 1: {best[1]['seconds'] / best[2]['seconds']:.2f}x")
    print("the machine's capacity for two processes in the same rounds (a busy loop on two "
          "workers at once against one; 2.0 = two free cores): "
          + ", ".join(f"{c:.2f}" for c in cores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
