"""Compiled solvers. Each public function here is an ``@njit`` function that users may call
from their own compiled code: ``solver(problem.oracle, x0, *params, control)`` returns
``(x, history, reason, iterations)``; see :mod:`optbench.solvers._loop` for the protocol.

One module per family; importing a module registers its solvers."""

from ..control import Control, make_control
from . import scipy_methods  # noqa: F401  (registers scipy's methods, as Python solvers)
from .adaptive import adagrad, adagrad_steps, adam, adam_steps, rmsprop, rmsprop_steps
from .conjugate import cg, ncg
from .gradient import gd, gd_armijo, gd_bb, gd_diminishing, gd_exact, gd_polyak
from .least_squares import gauss_newton, levenberg_marquardt
from .momentum import heavy_ball, nesterov
from .nelder_mead import nelder_mead
from .newton import newton, newton_ls, newton_root, newton_safe
from .perceptron import adaline, batch_perceptron, madaline, perceptron, pocket
from .quasi_newton import bfgs, lbfgs
from .stochastic import sgd, sgd_steps
from .trust_region import trust_cauchy, trust_dogleg, trust_exact, trust_sr1, trust_steihaug

__all__ = [
    "Control", "make_control",
    "gd", "gd_diminishing", "gd_armijo", "gd_exact", "gd_bb", "gd_polyak",
    "heavy_ball", "nesterov",
    "newton", "newton_ls", "newton_safe", "newton_root", "nelder_mead",
    "cg", "ncg", "bfgs", "lbfgs",
    "gauss_newton", "levenberg_marquardt",
    "trust_cauchy", "trust_dogleg", "trust_steihaug", "trust_exact", "trust_sr1",
    "sgd", "sgd_steps",
    "adam", "adam_steps", "adagrad", "adagrad_steps", "rmsprop", "rmsprop_steps",
    "perceptron", "batch_perceptron", "pocket", "adaline", "madaline",
]
