"""The whole job of issue 23, end to end: a small sweep, its report and its convergence plot,
every step a new process, as a user types it.

    python benchmarks/whole_job.py [--rounds 5] [--cold-rounds 1] [--threads 1]
                                   [--tree DIR ...] [--benchopt CMD]

Steps (wall seconds of one ``python -m optbench ...`` process each):

  sweep cold     optbench sweep --problems least-squares --solvers gd-lipschitz,nesterov,lbfgs
                 -P samples=1000 --dim 100 --seeds 0 --out DIR, NUMBA_CACHE_DIR a new empty
                 directory (compiles the three solvers)
  sweep warm     the same into a new DIR, the cache filled by the cold sweep
  report         optbench report DIR
  plot           optbench plot convergence DIR
  (also, warm: the sweep in this process (--workers 1), run quadratic gd, results DIR and
  plot profiles DIR)

Each step runs ``--rounds`` times (the cold sweep ``--cold-rounds`` times) and the minimum is
reported (the machine is shared: the minimum is the least disturbed). With several
``--tree DIR`` (optbench source trees, put first on PYTHONPATH), every round runs each step
for each tree one after the other, so that load hits them alike, and the ratios to the first
tree are printed. Every process gets NUMBA_NUM_THREADS, OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and MKL_NUM_THREADS set to ``--threads``. A step that fails stops the
benchmark with its output (nothing is timed around a failure).

With ``--benchopt CMD`` (the ``benchopt`` command of an environment that has it; benchopt is
not a dependency of optbench), the same job through benchopt: a benchmark written to a
temporary directory (the same least-squares data shape, gradient descent with step 1/L,
Nesterov's method and scipy's L-BFGS-B, in NumPy), ``benchopt run`` twice (the first run
in a fresh benchmark directory, the second with its cache off) and the HTML plot it writes.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SWEEP = ["sweep", "--problems", "least-squares", "--solvers", "gd-lipschitz,nesterov,lbfgs",
         "-P", "samples=1000", "--dim", "100", "--seeds", "0", "--no-progress"]
THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                    "MKL_NUM_THREADS")


class StepFailed(RuntimeError):
    pass


CPU = []  # CPU seconds (user + system) of every process timed, its workers included


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict) -> tuple[float, str]:
    """Wall seconds of one process running ``cmd``, and its output; StepFailed if it fails.
    Its CPU seconds (with those of the processes it waited for) go to ``CPU``."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    CPU.append(_children_cpu() - cpu)
    if proc.returncode != 0:
        raise StepFailed(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n"
                         f"{proc.stderr}")
    return seconds, proc.stdout


class Tree:
    """One optbench source tree (or the installed optbench: ``path`` None) and its scratch."""

    def __init__(self, path: str | None, scratch: Path, threads: int, index: int):
        self.label = path or "installed optbench"
        self.work = scratch / f"tree{index}"
        self.work.mkdir()
        self.env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
                        **dict.fromkeys(THREAD_VARIABLES, str(threads)))
        if path is not None:
            self.env["PYTHONPATH"] = os.pathsep.join(
                [str(Path(path).resolve()), *filter(None, [os.environ.get("PYTHONPATH")])])
        self.cache = self.work / "numba-cache"
        self.results = self.work / "results-warm"
        self.summary = ""
        self._n = 0

    def optbench(self, *args, cache: Path | None = None) -> tuple[float, str]:
        env = dict(self.env, NUMBA_CACHE_DIR=str(cache or self.cache))
        return timed([sys.executable, "-m", "optbench", *map(str, args)], env)

    def fresh(self, name: str) -> Path:
        self._n += 1
        return self.work / f"{name}-{self._n}"

    def sweep_cold(self) -> float:
        cache = self.fresh("cold-cache")
        seconds, _ = self.optbench(*SWEEP, "--out", self.fresh("cold-results"), cache=cache)
        shutil.rmtree(cache, ignore_errors=True)
        return seconds

    def prepare(self) -> None:
        """Fill the cache and the results directory the warm steps read (untimed)."""
        _, self.summary = self.optbench(*SWEEP, "--out", self.results)

    def sweep_warm(self, *options) -> float:
        out = self.fresh("warm-results")
        seconds, _ = self.optbench(*SWEEP, "--out", out, *options)
        shutil.rmtree(out, ignore_errors=True)
        return seconds

    def steps(self) -> dict:
        return {
            "sweep warm": self.sweep_warm,
            "report": lambda: self.optbench("report", self.results,
                                            "-o", self.work / "report.html")[0],
            "plot convergence": lambda: self.optbench("plot", "convergence", self.results,
                                                      "-o", self.work / "convergence.png")[0],
            "sweep warm -w 1": lambda: self.sweep_warm("--workers", "1"),
            "run quadratic gd": lambda: self.optbench("run", "quadratic", "gd")[0],
            "results": lambda: self.optbench("results", self.results)[0],
            "plot profiles": lambda: self.optbench("plot", "profiles", self.results,
                                                   "-o", self.work / "profiles.png")[0],
        }


# -- benchopt ----------------------------------------------------------------------------------
BENCHOPT_OBJECTIVE = '''
from benchopt import BaseObjective
import numpy as np


class Objective(BaseObjective):
    name = "least-squares"
    min_benchopt_version = "1.5"

    def set_data(self, A, b):
        self.A, self.b = A, b

    def evaluate_result(self, x):
        r = self.A @ x - self.b
        return dict(value=0.5 * r @ r / len(self.b))

    def get_one_result(self):
        return dict(x=np.zeros(self.A.shape[1]))

    def get_objective(self):
        return dict(A=self.A, b=self.b)
'''
BENCHOPT_DATASET = '''
from benchopt import BaseDataset
import numpy as np


class Dataset(BaseDataset):
    name = "gaussian"
    parameters = {"samples": [1000], "dim": [100]}

    def get_data(self):
        rng = np.random.default_rng(0)
        A = rng.standard_normal((self.samples, self.dim))
        b = A @ rng.standard_normal(self.dim) + 0.1 * rng.standard_normal(self.samples)
        return dict(A=A, b=b)
'''
BENCHOPT_SOLVERS = {
    "gd.py": '''
from benchopt import BaseSolver
import numpy as np


class Solver(BaseSolver):
    name = "gd-lipschitz"
    sampling_strategy = "iteration"

    def set_objective(self, A, b):
        self.A, self.b = A, b
        self.L = np.linalg.norm(A, 2) ** 2 / len(b)

    def run(self, n_iter):
        A, b, m = self.A, self.b, len(self.b)
        x = np.zeros(A.shape[1])
        for _ in range(n_iter):
            x = x - (A.T @ (A @ x - b) / m) / self.L
        self.x = x

    def get_result(self):
        return dict(x=self.x)
''',
    "nesterov.py": '''
from benchopt import BaseSolver
import numpy as np


class Solver(BaseSolver):
    name = "nesterov"
    sampling_strategy = "iteration"

    def set_objective(self, A, b):
        self.A, self.b = A, b
        self.L = np.linalg.norm(A, 2) ** 2 / len(b)

    def run(self, n_iter):
        A, b, m = self.A, self.b, len(self.b)
        x = y = np.zeros(A.shape[1])
        t = 1.0
        for _ in range(n_iter):
            x_new = y - (A.T @ (A @ y - b) / m) / self.L
            t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
            y = x_new + (t - 1) / t_new * (x_new - x)
            x, t = x_new, t_new
        self.x = x

    def get_result(self):
        return dict(x=self.x)
''',
    "lbfgs.py": '''
from benchopt import BaseSolver, safe_import_context

with safe_import_context() as import_ctx:
    import numpy as np
    from scipy.optimize import minimize


class Solver(BaseSolver):
    name = "lbfgs"
    sampling_strategy = "iteration"

    def set_objective(self, A, b):
        self.A, self.b = A, b

    def run(self, n_iter):
        A, b, m = self.A, self.b, len(self.b)

        def fg(x):
            r = A @ x - b
            return 0.5 * r @ r / m, A.T @ r / m

        x0 = np.zeros(A.shape[1])
        self.x = x0 if n_iter == 0 else minimize(
            fg, x0, jac=True, method="L-BFGS-B", options=dict(maxiter=n_iter)).x

    def get_result(self):
        return dict(x=self.x)
''',
}


def write_benchopt_benchmark(root: Path) -> Path:
    root.mkdir()
    (root / "objective.py").write_text(BENCHOPT_OBJECTIVE)
    (root / "datasets").mkdir()
    (root / "datasets" / "gaussian.py").write_text(BENCHOPT_DATASET)
    (root / "solvers").mkdir()
    for name, text in BENCHOPT_SOLVERS.items():
        (root / "solvers" / name).write_text(text)
    return root


def benchopt_job(cmd: str, scratch: Path, threads: int, rounds: int) -> dict[str, float]:
    """``benchopt run`` of the same job (its HTML plot included, as optbench's report and
    plot are): once in a fresh benchmark directory, then again with benchopt's result cache
    off (so that the solvers run again, as in optbench's warm sweep); minimum over rounds."""
    env = dict(os.environ, **dict.fromkeys(THREAD_VARIABLES, str(threads)))
    root = write_benchopt_benchmark(scratch / "benchopt-least-squares")
    run = [cmd, "run", str(root), "-n", "100", "-r", "1", "--no-display"]
    first, _ = timed(run, env)
    again = min(timed([*run, "--no-cache"], env)[0] for _ in range(rounds))
    return {"benchopt run (first)": first, "benchopt run (again)": again}


def print_table(table: dict[str, list[float]], n: int) -> None:
    head = "".join(f"{f'[{i}]':>9}" for i in range(n))
    ratios = "".join(f"{f'[{i}]/[0]':>9}" for i in range(1, n))
    print(f"{'step':<18}{head}{ratios}")
    job, parts = [0.0] * n, 0
    for name, row in table.items():
        if name in ("sweep cold", "sweep warm", "report", "plot convergence"):
            job, parts = [a + b for a, b in zip(job, row, strict=True)], parts + 1
        print(f"{name:<18}" + "".join(f"{t:9.2f}" for t in row)
              + "".join(f"{t / row[0]:9.2f}" for t in row[1:]))
    print(f"{f'job (sum of {parts})':<18}" + "".join(f"{t:9.2f}" for t in job)
          + "".join(f"{t / job[0]:9.2f}" for t in job[1:]))


# -- main ----------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the warm steps")
    parser.add_argument("--cold-rounds", type=int, default=1, help="rounds of the cold sweep "
                                                                    "(0: skip it)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS / numba threads of every "
                                                                "process (default 1)")
    parser.add_argument("--tree", action="append", metavar="DIR",
                        help="an optbench source tree to time (repeatable; default: the "
                             "optbench this Python imports)")
    parser.add_argument("--benchopt", metavar="CMD",
                        help="the benchopt command: also time the job through benchopt")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.cold_rounds < 0 or args.threads < 1:
        parser.error("--rounds and --threads take a positive integer, --cold-rounds >= 0")
    scratch = Path(tempfile.mkdtemp(prefix="optbench-whole-job-"))
    try:
        trees = [Tree(path, scratch, args.threads, i)
                 for i, path in enumerate(args.tree or [None])]
        print(f"python {sys.version.split()[0]}; {os.cpu_count()} cores; threads per process: "
              f"{args.threads} ({', '.join(THREAD_VARIABLES)}); sweep workers: optbench's "
              "default (one per core)")
        best: dict[str, list[float]] = {}  # wall seconds, per step and tree
        cpu: dict[str, list[float]] = {}  # CPU seconds of the same runs

        def keep(name, i, step):
            t = step()
            row = best.setdefault(name, [float("inf")] * len(trees))
            row[i] = min(row[i], t)
            row = cpu.setdefault(name, [float("inf")] * len(trees))
            row[i] = min(row[i], CPU[-1])

        for _ in range(args.cold_rounds):
            for i, tree in enumerate(trees):
                keep("sweep cold", i, tree.sweep_cold)
        for tree in trees:
            tree.prepare()
        for _ in range(args.rounds):
            for name in trees[0].steps():
                for i, tree in enumerate(trees):
                    keep(name, i, tree.steps()[name])
        for i, tree in enumerate(trees):
            print(f"\n[{i}] {tree.label}: the warm sweep's summary\n{tree.summary.rstrip()}")
        for what, table in (("wall", best), ("CPU (user + system, workers included)", cpu)):
            print(f"\n{what} seconds, minimum of {args.rounds} rounds (cold sweep: "
                  f"{args.cold_rounds})")
            print_table(table, len(trees))
        if args.benchopt:
            print("\nbenchopt, the same job (seconds):")
            for name, t in benchopt_job(args.benchopt, scratch, args.threads,
                                        args.rounds).items():
                print(f"  {name:<24}{t:7.2f}")
    except StepFailed as exc:
        print(f"whole_job: a step failed, nothing reported:\n{exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
