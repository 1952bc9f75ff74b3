"""What does optbench's generic compiled loop cost per iteration, next to hand-written code?

Measured side by side in one process, on a 2-D quadratic f(x) = 1/2 x'Ax - b'x (so the
gradient g = A x - b is a handful of flops and any per-iteration bookkeeping shows):

  (a)  scalar      a hand-written ``@numba.njit`` gradient-descent loop; x1, x2 and the
                   gradient live in scalars, the entries of A and b are scalar arguments;
                   stops when g1^2 + g2^2 <= tol^2. The floor.
  (a+) scalar+f    (a) plus what optbench's loop also does every iteration: evaluate f and
                   test f and ||g||^2 for finiteness. Separates "more work" from "overhead".
  (b)  gd          ``optbench.get_solver("gd").entry(p.oracle, p.x0, step, control)`` on
                   ``make_problem("quadratic", dim=2, cond=10)``, record_every = max_iter
                   (one history row at each end: recording off the hot path).
  (c)  gd rec=1    the same with record_every=1: a history row (and two clock reads) every
                   iteration, and a history array of max_iter + 2 rows allocated up front.
  (d)  fused       a hand-fused array version: x and g preallocated numpy arrays, loops over
                   A, same stopping test as (a). What "no framework, arrays" costs.

All variants use the same A, b, x0, step (0.5) and tol = 0, and run exactly max_iter
iterations (the iteration counts are printed; a variant that stopped early is flagged). Each
variant is compiled and run once before timing; then the variants are run interleaved for
several rounds (the order rotates every round) and the minimum (and median) time per
iteration is reported, with the ratio to (a).

Three diagnostics explain the figures: the cost of one reading of optbench's in-loop clock,
the cost of allocating (c)'s history array alone, and the fixed cost of one call of the
compiled entry from Python (argument typing and dispatch, with max_iter=0).

Finally, unless ``--no-cli``, the wall time of ``optbench run quadratic gd`` in fresh
subprocesses: once cold (a fresh, empty ``NUMBA_CACHE_DIR``: everything compiles) and three
times warm (the same cache directory: everything loads from the cache).

Run from the repository root::

    python benchmarks/loop_overhead.py                   # 3 million iterations, 7 rounds
    python benchmarks/loop_overhead.py --iterations 1000000 --rounds 3 --no-cli

The loops are single-threaded; the thread settings are printed anyway, since other work on a
shared machine moves these numbers. No timing is asserted: read the table.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

import optbench
from optbench._clock import now  # the clock the generic loop reads (private; diagnostics only)

STEP = 0.5   # same step for every variant; the quadratic's L is 1, so 0.5 < 2/L converges
TOL = 0.0    # stop only if the gradient becomes exactly zero: we want max_iter iterations
N_HISTORY_COLUMNS = 5  # iteration, f, grad_norm, step, time (gd has no extra columns)


# -- (a) and (a+): hand-written scalar loops ---------------------------------------------------
@numba.njit
def scalar_gd(a11, a12, a21, a22, b1, b2, x1, x2, step, tol, max_iter):
    """GD on 1/2 x'Ax - b'x in scalars; returns (x1, x2, iterations)."""
    g1 = a11 * x1 + a12 * x2 - b1
    g2 = a21 * x1 + a22 * x2 - b2
    tol2 = tol * tol
    k = 0
    while k < max_iter and g1 * g1 + g2 * g2 > tol2:
        x1 -= step * g1
        x2 -= step * g2
        g1 = a11 * x1 + a12 * x2 - b1
        g2 = a21 * x1 + a22 * x2 - b2
        k += 1
    return x1, x2, k


@numba.njit
def scalar_gd_f(a11, a12, a21, a22, b1, b2, x1, x2, step, tol, max_iter):
    """(a) plus f(x) and the finiteness test of f and ||g||^2 every iteration."""
    g1 = a11 * x1 + a12 * x2 - b1
    g2 = a21 * x1 + a22 * x2 - b2
    fx = x1 * (0.5 * (g1 + b1) - b1) + x2 * (0.5 * (g2 + b2) - b2)
    tol2 = tol * tol
    k = 0
    while k < max_iter:
        gsq = g1 * g1 + g2 * g2
        if not (np.isfinite(fx) and np.isfinite(gsq)) or gsq <= tol2:
            break
        x1 -= step * g1
        x2 -= step * g2
        ax1 = a11 * x1 + a12 * x2
        ax2 = a21 * x1 + a22 * x2
        g1 = ax1 - b1
        g2 = ax2 - b2
        fx = x1 * (0.5 * ax1 - b1) + x2 * (0.5 * ax2 - b2)
        k += 1
    return x1, x2, k


# -- (d): hand-fused array loop ------------------------------------------------------------------
@numba.njit
def fused_gd(A, b, x0, step, tol, max_iter):
    """GD with x, g preallocated arrays and explicit loops; returns (x, iterations)."""
    n = x0.shape[0]
    x = x0.copy()
    g = np.empty(n)
    for i in range(n):
        s = -b[i]
        for j in range(n):
            s += A[i, j] * x[j]
        g[i] = s
    tol2 = tol * tol
    k = 0
    while k < max_iter:
        gsq = 0.0
        for i in range(n):
            gsq += g[i] * g[i]
        if gsq <= tol2:
            break
        for i in range(n):
            x[i] -= step * g[i]
        for i in range(n):
            s = -b[i]
            for j in range(n):
                s += A[i, j] * x[j]
            g[i] = s
        k += 1
    return x, k


# -- diagnostics -----------------------------------------------------------------------------------
@numba.njit
def clock_loop(n):
    """n readings of optbench's in-loop clock (summed so none is optimised away)."""
    s = 0.0
    for _ in range(n):
        s += now()
    return s


# -- the variants, as Python callables returning (final x, iterations) -----------------------------
def make_variants(max_iter: int):
    problem = optbench.make_problem("quadratic", dim=2, cond=10)
    A, b, _c = problem.oracle.args
    x0 = problem.x0
    (a11, a12), (a21, a22) = A
    b1, b2 = b
    entry = optbench.get_solver("gd").entry
    # One Control per setting; only record_every differs, so both share one compiled
    # specialisation (the same argument types).
    off = optbench.make_control(max_iter=max_iter, tol=TOL, record_every=max_iter)
    every = optbench.make_control(max_iter=max_iter, tol=TOL, record_every=1)

    def scalar():
        x1, x2, k = scalar_gd(a11, a12, a21, a22, b1, b2, x0[0], x0[1], STEP, TOL, max_iter)
        return np.array([x1, x2]), k

    def scalar_f():
        x1, x2, k = scalar_gd_f(a11, a12, a21, a22, b1, b2, x0[0], x0[1], STEP, TOL, max_iter)
        return np.array([x1, x2]), k

    def generic(control):
        def call():
            x, _history, _reason, k = entry(problem.oracle, x0, STEP, control)
            return x, k
        return call

    def fused():
        return fused_gd(A, b, x0, STEP, TOL, max_iter)

    variants = {
        "(a)  scalar njit": scalar,
        "(a+) scalar njit + f + isfinite": scalar_f,
        "(b)  optbench gd, record_every=max_iter": generic(off),
        "(c)  optbench gd, record_every=1": generic(every),
        "(d)  fused arrays njit": fused,
    }
    return problem, variants


def measure_once(fn):
    """(seconds, result) of one call, with the garbage collector out of the way."""
    gc.collect()
    gc.disable()
    try:
        t = time.perf_counter()
        out = fn()
        return time.perf_counter() - t, out
    finally:
        gc.enable()


def bench_loops(max_iter: int, rounds: int) -> None:
    problem, variants = make_variants(max_iter)
    names = list(variants)

    print(f"problem: quadratic dim=2 cond=10 (L={problem.L:g}, mu={problem.mu:g}), "
          f"step={STEP}, tol={TOL}, max_iter={max_iter:,}, rounds={rounds}")

    # Warm up: compile every variant (and gd's specialisation) before any timing.
    t = time.perf_counter()
    for fn in variants.values():
        fn()
    print(f"warm-up (compile or load from cache): {time.perf_counter() - t:.2f} s")

    times = {name: [] for name in names}
    results = {}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]  # rotate the order
        for name in order:
            seconds, (x, k) = measure_once(variants[name])
            times[name].append(seconds)
            results[name] = (x, k)

    # Table: iterations run, min and median ns/iteration, ratio of the minima to (a).
    base_name = names[0]
    base = min(times[base_name]) / max(results[base_name][1], 1)
    x_star = problem.x_star
    width = max(len(n) for n in names)
    print()
    print(f"{'variant':<{width}}  {'iterations':>10}  {'min ns/it':>9}  {'median':>8}  "
          f"{'x/(a)':>6}  {'|x - x*|':>9}")
    early = []
    for name in names:
        x, k = results[name]
        per_it = [s / max(k, 1) * 1e9 for s in times[name]]
        ratio = (min(times[name]) / max(k, 1)) / base
        print(f"{name:<{width}}  {k:>10,}  {min(per_it):>9.2f}  "
              f"{statistics.median(per_it):>8.2f}  {ratio:>6.2f}  "
              f"{np.abs(x - x_star).max():>9.1e}")
        if k != max_iter:
            early.append(name)
    if early:
        print(f"WARNING: stopped before max_iter (gradient exactly 0?): {', '.join(early)}; "
              "their ns/iteration is over the iterations actually run")
    else:
        print(f"all variants ran exactly max_iter={max_iter:,} iterations")

    # Diagnostics for (c) and for short runs.
    print()
    n_clock = 1_000_000
    clock_loop(10)
    clock_ns = min(measure_once(lambda: clock_loop(n_clock))[0] for _ in range(rounds)) \
        / n_clock * 1e9
    print(f"one reading of optbench's clock (clock_gettime, in njit): {clock_ns:.1f} ns")

    rows = max_iter // 1 + 2  # the history (c) allocates up front, filled with NaN
    alloc = min(measure_once(lambda: np.full((rows, N_HISTORY_COLUMNS), np.nan))[0]
                for _ in range(rounds))
    print(f"allocating (c)'s history alone ({rows:,} x {N_HISTORY_COLUMNS} float64, "
          f"{rows * N_HISTORY_COLUMNS * 8 / 2**20:.0f} MiB): {alloc * 1e3:.1f} ms "
          f"= {alloc / max_iter * 1e9:.1f} ns per iteration")

    entry = optbench.get_solver("gd").entry
    zero = optbench.make_control(max_iter=0, tol=TOL, record_every=1)
    n_calls = 200
    per_call = min(measure_once(lambda: [entry(problem.oracle, problem.x0, STEP, zero)
                                      for _ in range(n_calls)])[0]
                   for _ in range(3)) / n_calls
    print(f"fixed cost of one call of gd's entry from Python (max_iter=0: typing the "
          f"Oracle/Control tuples, dispatch, set-up): {per_call * 1e6:.1f} us "
          f"= {per_call / (min(times[names[2]]) / max_iter):,.0f} iterations of (b)")


# -- the command line, cold and warm ---------------------------------------------------------------
def optbench_command() -> list[str]:
    """The ``optbench`` console script: on PATH, else next to this interpreter, else -m."""
    found = shutil.which("optbench")
    if found:
        return [found]
    beside = Path(sys.executable).with_name("optbench")
    if beside.exists():
        return [str(beside)]
    return [sys.executable, "-m", "optbench.cli"]


def bench_cli(warm_runs: int = 3) -> None:
    command = optbench_command() + ["run", "quadratic", "gd"]
    print()
    print(f"command line: {' '.join(command)}  (fresh subprocesses, wall time)")
    with tempfile.TemporaryDirectory(prefix="optbench-numba-cache-") as cache_dir:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)

        def once():
            t = time.perf_counter()
            proc = subprocess.run(command, env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - t
            if proc.returncode != 0:
                raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n"
                                 f"{proc.stderr}")
            summary = proc.stdout.strip().splitlines()[-1]  # ends "compiled in ..." or
            return seconds, "loaded from cache" in summary, summary  # "loaded from cache"

        cold, hit, summary = once()
        print(f"  cold (empty NUMBA_CACHE_DIR): {cold:6.2f} s   cache hit: {hit}")
        print(f"    {summary}")
        warm = [once() for _ in range(warm_runs)]
        seconds = [w[0] for w in warm]
        print(f"  warm x{warm_runs} (same cache dir): min {min(seconds):.2f} s, "
              f"median {statistics.median(seconds):.2f} s   "
              f"cache hits: {[w[1] for w in warm]}")
        print(f"    {warm[-1][2]}")


# -- machine and threads ---------------------------------------------------------------------------
def describe_machine() -> None:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh
                          if line.startswith("model name")), None)
        cpu = f"{model} ({platform.machine()})" if model else cpu
    except OSError:
        pass
    print(f"machine: {cpu}, os.cpu_count()={os.cpu_count()}, {platform.system()} "
          f"{platform.release()}")
    print(f"python {platform.python_version()}, numba {numba.__version__}, "
          f"numpy {np.__version__}, optbench {optbench.__version__}")
    print(f"threads: NUMBA_NUM_THREADS env={os.environ.get('NUMBA_NUM_THREADS', '(unset)')}, "
          f"numba.config.NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}, "
          f"numba.get_num_threads()={numba.get_num_threads()} "
          "(every loop here is single-threaded)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--iterations", type=int, default=3_000_000,
                        help="iterations per timed run (default 3,000,000)")
    parser.add_argument("--rounds", type=int, default=7,
                        help="interleaved rounds; the minimum is reported (default 7)")
    parser.add_argument("--no-cli", action="store_true",
                        help="skip the cold/warm `optbench run` subprocess timings")
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.rounds < 1:
        parser.error("--iterations and --rounds must be at least 1")

    describe_machine()
    bench_loops(args.iterations, args.rounds)
    if not args.no_cli:
        bench_cli()
    return 0


if __name__ == "__main__":
    sys.exit(main())
