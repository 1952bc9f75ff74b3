"""Compile time: what a user waits for before the first run of a new problem.

    python benchmarks/compile_time.py [--problem quadratic] [--solvers gd,bfgs,...]
                                      [--edit-solver gd] [--threads 1]

1. **Every fitting solver, nothing cached.** One new Python process with an empty numba
   cache (``NUMBA_CACHE_DIR`` a new directory) makes the problem and runs each registered
   solver that fits it once (``max_iter=2``), one after the other, as a sweep over all
   solvers would; each solver's figure is its ``compile_seconds`` (the run's warm-up: typing,
   lowering, LLVM, writing the cache). Code shared by several solvers is compiled by the
   first that needs it. Then the same in a second process on the filled cache (the load
   times), and the total of each.
2. **Rerun after editing the problem.** A problem file of one's own (a 3-D shifted sphere,
   ``--problems-dir``) is run with ``--edit-solver`` in a new process (cold), its value
   function is then edited (a constant changes) and it is run again in a new process with
   the same cache: the second figure is what each edit of a problem costs.

Every process gets NUMBA_NUM_THREADS and the BLAS thread variables set to ``--threads``.
Compile time depends on the CPU and the load: run it on a quiet machine, twice.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

_CHILD = """
import json, sys
import optbench
problem_name, solvers, problems_dir = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
if problems_dir:
    optbench.load_problem_dir(problems_dir)
problem = optbench.make_problem(problem_name)
out = {}
for name in solvers:
    try:
        result = optbench.run(problem, name, max_iter=2)
    except optbench.IncompatibleError:
        continue
    out[name] = [result.summary["compile_seconds"], bool(result.summary["cache_hit"])]
print(json.dumps(out))
"""

_PROBLEM = '''
import numpy as np
import optbench
from optbench import Oracle, Param, Problem, jit

@jit
def f(x, args):
    (c,) = args
    return {scale} * np.sum((x - c) ** 2)

@jit
def grad(x, args, out):
    (c,) = args
    for i in range(x.shape[0]):
        out[i] = {twice} * (x[i] - c)

@optbench.register_problem("edited", params=(Param("dim", 3, int, "dimension", low=1),),
                           summary="a shifted sphere, edited between runs")
def edited(dim):
    return Problem(name="edited", family="edited", oracle=Oracle(f, grad, None, None, (1.5,)),
                   x0=np.zeros(dim), formula="s ||x - 1.5||^2", f_star=0.0,
                   minimizers=(np.full(dim, 1.5),), L={twice}, mu={twice}, convex=True)
'''


def _environment(cache: Path, threads: int) -> dict[str, str]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    for name in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                 "MKL_NUM_THREADS"):
        env[name] = str(threads)
    return env


def compile_seconds(problem: str, solvers: list[str], cache: Path, threads: int = 1,
                    problems_dir: str = "") -> dict[str, tuple[float, bool]]:
    """{solver: (compile seconds, loaded from the cache)} of each of ``solvers`` that fits
    ``problem``, run one after the other in a new process on the numba cache ``cache``."""
    proc = subprocess.run([sys.executable, "-c", _CHILD, problem, ",".join(solvers),
                           problems_dir], env=_environment(cache, threads),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"the child process failed:\n{proc.stderr}")
    return {k: (v[0], v[1]) for k, v in json.loads(proc.stdout.splitlines()[-1]).items()}


def _write_problem(folder: Path, scale: float) -> None:
    (folder / "edited.py").write_text(textwrap.dedent(
        _PROBLEM.format(scale=repr(scale), twice=repr(2 * scale))))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problem", default="quadratic")
    parser.add_argument("--solvers", help="comma-separated (default: every registered one)")
    parser.add_argument("--edit-solver", default="gd")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    import optbench

    solvers = args.solvers.split(",") if args.solvers else optbench.solver_names()
    with tempfile.TemporaryDirectory(prefix="optbench-compile-") as tmp:
        cache = Path(tmp) / "cache"
        cold = compile_seconds(args.problem, solvers, cache, args.threads)
        warm = compile_seconds(args.problem, list(cold), cache, args.threads)
        print(f"{args.problem}: {len(cold)} fitting solvers, a new numba cache, one process "
              f"({args.threads} thread{'s' if args.threads > 1 else ''})")
        print(f"{'solver':16}{'cold s':>9}{'warm s':>9}")
        for name, (seconds, _) in sorted(cold.items(), key=lambda kv: -kv[1][0]):
            print(f"{name:16}{seconds:9.2f}{warm[name][0]:9.2f}")
        print(f"{'total':16}{sum(s for s, _ in cold.values()):9.2f}"
              f"{sum(s for s, _ in warm.values()):9.2f}")

        folder = Path(tmp) / "problems"
        folder.mkdir()
        _write_problem(folder, 1.0)
        edit_cache = Path(tmp) / "edit-cache"
        first = compile_seconds("edited", [args.edit_solver], edit_cache, args.threads,
                                str(folder))
        _write_problem(folder, 3.0)
        again = compile_seconds("edited", [args.edit_solver], edit_cache, args.threads,
                                str(folder))
        (s1, _), (s2, hit) = first[args.edit_solver], again[args.edit_solver]
        print(f"a problem of one's own, {args.edit_solver}: first run {s1:.2f} s; after "
              f"editing its f: {s2:.2f} s ({'loaded from the cache' if hit else 'compiled'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
