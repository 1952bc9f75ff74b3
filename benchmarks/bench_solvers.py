"""asv suite: time per run and iterations to tolerance, for every solver on every problem.

The parameters come from the registry: every problem crossed with every solver; a pair the
solver does not fit (``missing_capabilities`` non-empty) raises ``NotImplementedError`` in
``setup``, which asv reports as skipped. Problems are built with their registered defaults
(all small). Compilation, or loading from numba's disk cache, happens in ``setup`` (a call
with ``max_iter=0`` and the same argument types), never in a timed function.

Run against an existing environment (no build, no install)::

    asv machine --yes
    export NUMBA_CACHE_DIR=.asv/numba-cache
    asv run -E existing:$(which python) --quick --set-commit-hash $(git rev-parse HEAD)

asv's output goes to ``.asv/`` (see ``asv.conf.json``); ``NUMBA_CACHE_DIR`` puts numba's
compiled-code cache there too (without it numba writes into ``__pycache__`` next to the
sources). The first run compiles every pair (minutes); later runs load from the cache.

``time_run`` times one call of 200 iterations. On these small problems that call is
dominated by its fixed cost (typing the argument tuples and dispatch, ~0.2 ms here), not by
the iterations: see ``benchmarks/loop_overhead.py`` for the per-iteration figures.
"""

import optbench
from optbench.params import coerce_all
from optbench.registry import missing_capabilities
from optbench.status import GAP_TOL, GRAD_TOL, NO_MISTAKES

TIME_ITERATIONS = 200     # iterations of time_run; one history row at each end
TRACK_TOL = 1e-6          # gradient-norm tolerance of track_iterations_to_tol
TRACK_MAX_ITER = 10_000   # its budget; also the value reported when a run does not converge
_CONVERGED = (GRAD_TOL, GAP_TOL, NO_MISTAKES)


class SolverIteration:
    """One registered solver, with its default parameters, on one registered problem."""

    params = [optbench.problem_names(), optbench.solver_names()]
    param_names = ["problem", "solver"]

    def setup(self, problem_name, solver_name):
        problem = optbench.make_problem(problem_name)
        solver = optbench.get_solver(solver_name)
        missing = missing_capabilities(solver, problem)
        if missing:
            raise NotImplementedError(f"{solver_name} needs {' and '.join(missing)}")
        values = coerce_all(solver.params, {}, f"solver {solver_name!r}")
        plan = solver.plan(problem, values)
        self.entry = plan.entry
        # every argument passed explicitly and typed as in a real run: one specialisation
        self.args = (problem.oracle, problem.x0, *plan.args)
        # tol=0: run all TIME_ITERATIONS unless the gradient is exactly 0 or the run diverges
        self.control = optbench.make_control(max_iter=TIME_ITERATIONS, tol=0.0,
                                             record_every=TIME_ITERATIONS)
        self.track_control = optbench.make_control(max_iter=TRACK_MAX_ITER, tol=TRACK_TOL,
                                                   record_every=TRACK_MAX_ITER)
        self.entry(*self.args, self.control._replace(max_iter=0))  # compile / load from cache

    def time_run(self, problem_name, solver_name):
        self.entry(*self.args, self.control)

    def track_iterations_to_tol(self, problem_name, solver_name):
        """Iterations until ||grad f|| <= 1e-6 (lower is better); the budget if never."""
        _x, _history, reason, iterations = self.entry(*self.args, self.track_control)
        return int(iterations) if reason in _CONVERGED else TRACK_MAX_ITER

    track_iterations_to_tol.unit = "iterations"
