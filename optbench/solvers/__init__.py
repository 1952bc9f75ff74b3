"""Compiled solvers. Each public function here is an ``@njit`` function that users may call
from their own compiled code: ``solver(problem.oracle, x0, *params, control)`` returns
``(x, history, reason, iterations)``; see :mod:`optbench.solvers._loop` for the protocol.

One module per family; importing a module registers its solvers."""

from . import conjugate, gradient, momentum, newton, perceptron, quasi_newton, stochastic
from ._loop import Control, make_control
from .gradient import gd
from .newton import newton
from .perceptron import perceptron

__all__ = ["Control", "make_control", "gd", "newton", "perceptron", "conjugate", "gradient",
           "momentum", "quasi_newton", "stochastic"]
