"""asv suite: first-order solvers on least squares and logistic regression from 200 x 20 to
20000 x 1000, on 1 and 2 threads, against NumPy written as a user would (the sizes of
``benchmarks/compare.py --only 6``).

Each case is (problem, size, solver, threads). ``setup`` builds the data once per process
(no optimum is computed: see ``compare.size_instance``) and compiles the solver, or loads it
from numba's disk cache, with a run of no iterations; threads are set for BLAS (threadpoolctl)
and numba (``numba.set_num_threads``) and restored in ``teardown``.

* ``track_seconds_per_iteration``: the compiled loop's own clock over one run, per iteration,
  the least of 3 runs (neither the call from Python nor the set-up counts);
* ``track_ratio_to_numpy``: seconds per iteration of optbench / of NumPy (SciPy L-BFGS-B for
  lbfgs), measured side by side in this process: <= 1 means optbench is as fast or faster.
"""

from __future__ import annotations

import math
from functools import cache

import numba
from threadpoolctl import threadpool_limits

import optbench
from optbench.control import HISTORY_COLUMNS
from optbench.params import coerce_all

if __package__:  # imported by asv's discovery
    from .compare import SIZE_SOLVERS, SIZES, numpy_per_iteration, size_instance, size_iterations
else:  # run as a script
    from compare import SIZE_SOLVERS, SIZES, numpy_per_iteration, size_instance, size_iterations

TIME_COLUMN = HISTORY_COLUMNS.index("time")
PROBLEMS = ("least-squares", "logistic-regression")
REPEATS = 3


@cache
def _instance(problem: str, size: str):
    m, n = (int(v) for v in size.split("x"))
    return size_instance(problem, m, n)


class SizeSweep:
    params = [list(PROBLEMS), [f"{m}x{n}" for m, n in SIZES], list(SIZE_SOLVERS), [1, 2]]
    param_names = ["problem", "size", "solver", "threads"]

    def setup(self, problem, size, solver, threads):
        self.p, self.grad, self.fg, _ = _instance(problem, size)
        spec = optbench.get_solver(solver)
        plan = spec.plan(self.p, coerce_all(spec.params, {}, f"solver {solver!r}"))
        self.entry, self.args = plan.entry, (self.p.oracle, self.p.x0, *plan.args)
        m, n = self.p.oracle.args[0].shape
        self.iters = size_iterations(m, n, solver)
        self.control = optbench.make_control(max_iter=self.iters, tol=0.0,
                                             record_every=self.iters)
        self.limits = threadpool_limits(threads)
        self.threads_before = numba.get_num_threads()
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        self.entry(*self.args, optbench.make_control(max_iter=0))  # compile / load from cache

    def teardown(self, problem, size, solver, threads):
        numba.set_num_threads(self.threads_before)
        self.limits.restore_original_limits()

    def _per_iteration(self) -> float:
        best = math.inf
        for _ in range(REPEATS):
            _x, history, _reason, done = self.entry(*self.args, self.control)
            best = min(best, float(history[-1, TIME_COLUMN]) / max(int(done), 1))
        return best

    def track_seconds_per_iteration(self, problem, size, solver, threads):
        return self._per_iteration()

    track_seconds_per_iteration.unit = "seconds"

    def track_ratio_to_numpy(self, problem, size, solver, threads):
        """optbench / NumPy seconds per iteration, measured side by side."""
        return self._per_iteration() / numpy_per_iteration(solver, self.p, self.grad, self.fg,
                                                           self.iters)

    track_ratio_to_numpy.unit = "ratio"
