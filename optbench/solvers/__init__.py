"""Compiled solvers. Each public function here is an ``@njit`` function that users may call
from their own compiled code: ``solver(problem.oracle, x0, *params, control)`` returns
``(x, history, reason, iterations)``; see :mod:`optbench.solvers._loop` for the protocol."""

from ._loop import Control, make_control
from .gradient import gd
from .newton import newton
from .perceptron import perceptron

__all__ = ["Control", "make_control", "gd", "newton", "perceptron"]
