"""Compiled solvers. Each public function here is an ``@njit`` function that users may call
from their own compiled code: ``solver(problem.oracle, x0, *params, control)`` returns
``(x, history, reason, iterations)``; see :mod:`optbench.solvers._loop` for the protocol.

One module per family; importing a module registers its solvers."""

from . import scipy_methods  # noqa: F401  (registers scipy's methods, as Python solvers)
from ._loop import Control, make_control
from .conjugate import cg, ncg
from .gradient import gd, gd_armijo, gd_bb, gd_diminishing, gd_exact, gd_polyak
from .momentum import heavy_ball, nesterov
from .newton import newton, newton_ls, newton_root, newton_safe
from .perceptron import adaline, batch_perceptron, madaline, perceptron, pocket
from .quasi_newton import bfgs, lbfgs
from .stochastic import sgd, sgd_steps

__all__ = [
    "Control", "make_control",
    "gd", "gd_diminishing", "gd_armijo", "gd_exact", "gd_bb", "gd_polyak",
    "heavy_ball", "nesterov",
    "newton", "newton_ls", "newton_safe", "newton_root",
    "cg", "ncg", "bfgs", "lbfgs",
    "sgd", "sgd_steps",
    "perceptron", "batch_perceptron", "pocket", "adaline", "madaline",
]
