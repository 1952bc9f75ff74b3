"""What does one ``optbench.run`` cost from Python, next to the compiled solve it wraps?

For each case, in one process and interleaved round by round, per call:

  run (instance)  ``optbench.run(problem, solver, ...)`` with the Problem already built
  run (name)      ``optbench.run("quadratic", ...)``: the problem is built on every call
  call            the compiled call alone, timed inside run (``summary["call_seconds"]``:
                  the compiled entry, its history allocation and the boxing of its results)
  solve           the iterations alone, timed inside the compiled loop
                  (``summary["solve_seconds"]``)
  python          run (instance) - call, per call: validation, dispatch, signal watch,
                  summary (the Python side of a run)
  table           building ``Result.table`` (pandas) from the history

Cases: a 2-D quadratic with gd, 200 iterations (tol=0: all iterations run), and one larger
case (quadratic, dim=200, 200 iterations). Each call is timed on its own; every figure is
the minimum over rounds of the median over the round's calls (a shared machine preempts
some calls: medians are steadier than means). Compilation happens before timing. Only the
public API is used,
so the same script measures another checkout: ``PYTHONPATH=/path/to/checkout python
benchmarks/run_overhead.py``.

Threads: NUMBA_NUM_THREADS, OMP/OPENBLAS/MKL_NUM_THREADS are set to 1 before numpy and
numba are imported (unless already set) and printed. No timing is asserted: read the table.
"""

from __future__ import annotations

import argparse
import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import time  # noqa: E402

import optbench  # noqa: E402
from optbench.registry import make_problem  # noqa: E402

CASES = (("quadratic", 2, "gd", 200), ("quadratic", 200, "gd", 200))


def _timed(fn, calls: int) -> list[float]:
    """Seconds of each of ``calls`` calls of ``fn``."""
    out = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def measure(name: str, dim: int, solver: str, iterations: int, calls: int, rounds: int):
    problem = make_problem(name, dim=dim)
    options = {"max_iter": iterations, "tol": 0.0}
    first = optbench.run(problem, solver, **options)  # compiles (or loads) before timing
    assert first.iterations == iterations, first.summary_line()
    _ = first.table  # pandas imported before timing
    best = dict.fromkeys(("instance", "name", "call", "solve", "python", "table"),
                         float("inf"))
    results = []

    def by_instance():
        results.append(optbench.run(problem, solver, **options))

    def by_name():
        optbench.run(name, solver, dim=dim, **options)

    def table():
        result = results[-1]
        result.__dict__.pop("table", None)  # Result.table is a cached property
        return result.table

    for _ in range(rounds):
        results.clear()
        walls = _timed(by_instance, calls)
        figures = {
            "instance": walls,
            "name": _timed(by_name, max(calls // 10, 1)),
            "call": [r.summary["call_seconds"] for r in results],
            "solve": [r.summary["solve_seconds"] for r in results],
            "python": [w - r.summary["call_seconds"] for w, r in zip(walls, results,
                                                                     strict=True)],
            "table": _timed(table, max(calls // 10, 1)),
        }
        for key, values in figures.items():
            best[key] = min(best[key], statistics.median(values))
    return best, len(first.table)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (the minimum is kept)")
    args = parser.parse_args(argv)
    print(f"optbench from {os.path.dirname(optbench.__file__)}")
    print("threads: " + ", ".join(f"{v}={os.environ[v]}" for v in (
        "NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")))
    print(f"{args.rounds} rounds of {args.calls} calls (by name and table: a tenth); "
          "microseconds per call, minimum over rounds of the median")
    header = ("case", "rows", "run(inst)", "run(name)", "call", "solve", "python", "table")
    print(f"{header[0]:<28}" + "".join(f"{h:>11}" for h in header[1:]))
    for name, dim, solver, iterations in CASES:
        best, rows = measure(name, dim, solver, iterations, args.calls, args.rounds)
        label = f"{name} dim={dim} {solver} {iterations} it"
        print(f"{label:<28}{rows:>11}" + "".join(
            f"{best[k] * 1e6:>11.1f}" for k in ("instance", "name", "call", "solve", "python",
                                                "table")))


if __name__ == "__main__":
    main()
