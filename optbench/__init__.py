"""optbench: run and compare optimization algorithms, every solver of its own compiled by numba
(scipy's methods and a user's Python solvers run beside them: optbench.external).

>>> import optbench
>>> result = optbench.run("quadratic", "gd", dim=2, step=1.0)
>>> result.table            # one row per recorded iteration
>>> result.summary_line()

``import optbench`` imports nothing heavy: each name below is imported from its module on
first use, so reading a results directory (``optbench.load_runs``, ``optbench report``) never
loads numba, scipy or the solver catalogue, and plotting never loads them unless it runs a
solver.
"""

import sys
import types

from ._lazy import lazy_names
from .errors import (
    IncompatibleError,
    InvalidTypeError,
    InvalidValueError,
    OptbenchError,
    UnknownNameError,
)

__version__ = "0.1.0"

# public name -> the module (relative to optbench) that defines it
_LAZY = {
    "jit": "._jit", "check_solver": ".checks", "python_solver": ".external",
    "Interrupted": ".harness", "run": ".harness", "Param": ".params",
    "Oracle": ".problem", "Problem": ".problem", "value_and_grad": ".problem",
    **dict.fromkeys(("Plan", "Solver", "fits", "get_solver", "load_problem_dir",
                     "load_solver_dir", "make_problem", "problem_names", "register_problem",
                     "register_problem_set", "register_solver", "solver_names"), ".registry"),
    "Result": ".results", "load_table": ".results",
    "Control": ".control", "make_control": ".control", "drive": ".solvers._loop",
    "load_history": ".store", "load_runs": ".store", "summarize": ".store",
    "sweep": ".sweep", "SweepError": ".faults", "EnvironmentFault": ".faults",
    **dict.fromkeys(("plot_convergence", "plot_trajectories", "plot_sensitivity",
                     "plot_profiles", "plot_theory", "plot_classification",
                     "performance_profile", "data_profile", "write_report"), ".plots"),
}

__all__ = [
    "jit", "run", "Interrupted", "python_solver", "Param", "Oracle", "Problem",
    "value_and_grad", "Solver", "register_problem", "register_problem_set", "register_solver",
    "make_problem", "get_solver", "fits", "problem_names",
    "solver_names", "load_problem_dir", "load_solver_dir", "Plan", "drive", "check_solver",
    "Result", "load_table", "Control", "make_control",
    "sweep", "SweepError", "EnvironmentFault", "load_runs", "load_history", "summarize",
    "OptbenchError", "UnknownNameError", "InvalidValueError", "InvalidTypeError",
    "IncompatibleError", "__version__",
    "plot_convergence", "plot_trajectories", "plot_sensitivity", "plot_profiles",
    "plot_theory", "plot_classification", "performance_profile", "data_profile",
    "write_report",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals(), __all__)


class _Package(types.ModuleType):
    """Keeps ``optbench.sweep`` the function: importing the submodule ``optbench.sweep`` later
    would otherwise bind the module over it (the name then resolves through __getattr__)."""

    def __setattr__(self, name, value):
        if not (name in _LAZY and isinstance(value, types.ModuleType)):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
