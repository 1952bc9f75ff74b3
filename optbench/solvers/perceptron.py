"""The perceptron family: Rosenblatt's online rule."""

from __future__ import annotations

import numpy as np

from .._jit import jit
from ..params import Param
from ..problem import value_and_grad
from ..registry import Solver, register_solver
from ..status import NO_MISTAKES, RUNNING
from ._loop import drive, without_grad_test

__all__ = ["perceptron"]


@jit
def perceptron_epoch(X, y, w, order, eta):
    """One pass in ``order``: where y_i (w.x_i + b) <= 0, w += eta y_i x_i and b += eta y_i.

    ``w`` holds the weights then the bias; returns the number of mistakes."""
    d = X.shape[1]
    mistakes = 0
    for i in order:
        s = w[d]
        for j in range(d):
            s += w[j] * X[i, j]
        if y[i] * s <= 0.0:
            mistakes += 1
            for j in range(d):
                w[j] += eta * y[i] * X[i, j]
            w[d] += eta * y[i]
    return mistakes


@jit(inline=True)
def _perceptron_init(oracle, x, g, params):
    eta, seed = params
    np.random.seed(seed)
    return (np.arange(oracle.args[0].shape[0]),), value_and_grad(oracle, x, g)


@jit(inline=True)
def _perceptron_step(oracle, x, g, fx, work, params, k, extras):
    """one epoch of the online rule in a freshly shuffled order"""
    (order,) = work
    eta = params[0]
    np.random.shuffle(order)
    mistakes = perceptron_epoch(oracle.args[0], oracle.args[1], x, order, eta)
    extras[0] = mistakes
    fx = value_and_grad(oracle, x, g)
    return fx, eta, NO_MISTAKES if mistakes == 0 else RUNNING


@jit
def perceptron(oracle, x0, eta, seed, control):
    """Rosenblatt's perceptron rule, online, one epoch per iteration.

    For each sample in a shuffled order (seeded): if ``y_i (w.x_i + b) <= 0`` then
    ``w += eta y_i x_i`` and ``b += eta y_i``. Stops after an epoch without mistakes. On data
    separable with margin gamma and radius R it makes at most (R/gamma)^2 mistakes in all
    (Novikoff). The table's ``f`` and ``grad_norm`` are the perceptron criterion's; the
    gradient-norm test is off (the rule's own test is an epoch without mistakes).

    Reference: Rosenblatt (1958); Novikoff, *On convergence proofs for perceptrons* (1962).
    """
    return drive(oracle, x0, (eta, seed), _perceptron_init, _perceptron_step, 1,
                 without_grad_test(control))


register_solver(Solver(
    name="perceptron", entry=perceptron, family="perceptron",
    params=(Param("eta", 1.0, float, "learning rate", low=0.0, strict=True),
            Param("seed", 0, int, "seed of the shuffling", low=0)),
    summary="Rosenblatt's online perceptron rule (one epoch per iteration)",
    formula="if y_i (w.x_i + b) <= 0: w += eta y_i x_i, b += eta y_i",
    reference="Rosenblatt (1958); Novikoff (1962)",
    needs=frozenset({"labelled"}),
    columns=("mistakes",),
))
