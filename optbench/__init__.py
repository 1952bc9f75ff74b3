"""optbench: run and compare optimization algorithms, every solver of its own compiled by numba
(scipy's methods and a user's Python solvers run beside them: optbench.external).

>>> import optbench
>>> result = optbench.run("quadratic", "gd", dim=2, step=1.0)
>>> result.table            # one row per recorded iteration
>>> result.summary_line()
"""

from ._jit import jit
from .checks import check_solver
from .errors import (
    IncompatibleError,
    InvalidTypeError,
    InvalidValueError,
    OptbenchError,
    UnknownNameError,
)
from .external import python_solver
from .harness import Interrupted, run
from .params import Param
from .problem import Oracle, Problem, value_and_grad
from .registry import (
    Plan,
    Solver,
    get_solver,
    load_problem_dir,
    load_solver_dir,
    make_problem,
    problem_names,
    register_problem,
    register_problem_set,
    register_solver,
    solver_names,
)
from .results import Result, load_table
from .solvers import Control, make_control
from .solvers._loop import drive
from .store import load_history, load_runs, summarize
from .sweep import sweep

__version__ = "0.1.0"

__all__ = [
    "jit", "run", "Interrupted", "python_solver", "Param", "Oracle", "Problem",
    "value_and_grad", "Solver", "register_problem", "register_problem_set", "register_solver",
    "make_problem", "get_solver", "problem_names",
    "solver_names", "load_problem_dir", "load_solver_dir", "Plan", "drive", "check_solver",
    "Result", "load_table", "Control", "make_control",
    "sweep", "load_runs", "load_history", "summarize",
    "OptbenchError", "UnknownNameError", "InvalidValueError", "InvalidTypeError",
    "IncompatibleError", "__version__",
    *(_PLOTS := ("plot_convergence", "plot_trajectories", "plot_sensitivity", "plot_profiles",
                 "plot_theory", "plot_classification", "performance_profile", "data_profile",
                 "write_report")),
]


def __getattr__(name):
    """The plot functions, imported on first use (``import optbench`` stays matplotlib-free)."""
    if name in _PLOTS:
        from . import plots

        return getattr(plots, name)
    raise AttributeError(f"module 'optbench' has no attribute {name!r}")
