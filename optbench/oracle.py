"""The tuple compiled solvers receive, and every call of a problem's functions, counted.

A solver never calls ``oracle.f`` and friends directly: it calls :func:`value`,
:func:`gradient`, :func:`value_and_grad`, :func:`hessian` or :func:`batch`, which call the
problem and add the evaluation to ``oracle.counts`` (when the oracle carries counts: the
shared loop gives every run a counted oracle, see :mod:`optbench.solvers._loop`). This is the
one place where evaluations are counted, so every solver's history has the standard cost
columns of optimization benchmarking:

* ``nfev``: evaluations of f, ``ngev``: of the gradient, ``nhev``: of the Hessian; a
  combined value-and-gradient call counts one of each;
* a mini-batch of b samples of a finite sum f = 1/m sum_i f_i counts b/m of a function and
  of a gradient evaluation (a full pass over the data is one evaluation);
* what the harness computes only to fill its table or test its stopping rule is not charged
  to the method: the shared loop evaluates those through :func:`observed`, the same oracle
  without counts, with its clock stopped (f for gradient-only methods such as gd and
  Nesterov, the full f and gradient of SGD or linear CG: see
  :mod:`optbench.solvers._loop`).

Kernels that read the data themselves (the perceptron rules pass over the samples) say what
their pass costs with :func:`charge`.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import types
from numba.extending import overload

from ._jit import jit

__all__ = ["Oracle", "NFEV", "NGEV", "NHEV", "new_counts", "evaluations", "value_and_grad",
           "value",
           "gradient", "hessian", "batch", "charge", "counted", "observed"]

Oracle = namedtuple("Oracle", ["f", "grad", "fg", "hess", "args", "batch", "counts"],
                    defaults=(None, None))
Oracle.__doc__ = """What a compiled solver receives: compiled ``f``, ``grad``, ``fg`` (value and
gradient together, or None), ``hess`` (or None), the data tuple ``args`` and, for finite sums
f = 1/m sum_i f_i, ``batch(x, args, idx, out) -> mean of f_i over idx`` writing the mean
gradient over the samples ``idx`` into ``out`` (or None). ``counts`` (None unless a run set
it) holds the evaluations made so far: nfev, ngev, nhev."""

NFEV, NGEV, NHEV = 0, 1, 2
SAMPLES, TERMS = 3, 4  # samples met in mini-batches, and m, the finite sum's terms
N_COUNTS = 5


def new_counts() -> np.ndarray:
    return np.zeros(N_COUNTS)


@jit(inline=True)
def evaluations(counts):
    """(nfev, ngev, nhev) from ``counts``: whole evaluations, plus the samples met in
    mini-batches as a share of m (summed as integers, divided once: exact)."""
    share = counts[SAMPLES] / counts[TERMS] if counts[TERMS] > 0.0 else 0.0
    return counts[NFEV] + share, counts[NGEV] + share, counts[NHEV]


# -- counting: compiled away when the oracle carries no counts -----------------------------------
def _has_counts(oracle) -> bool:
    return not isinstance(oracle.types[oracle.fields.index("counts")], types.NoneType)


def charge(oracle, nf, ng, nh):
    """Add evaluations to ``oracle.counts`` (nothing when it has none)."""
    if oracle.counts is not None:
        oracle.counts[NFEV] += nf
        oracle.counts[NGEV] += ng
        oracle.counts[NHEV] += nh


@overload(charge, inline="always")
def _charge_compiled(oracle, nf, ng, nh):
    if not _has_counts(oracle):
        def impl(oracle, nf, ng, nh):
            pass
    else:
        def impl(oracle, nf, ng, nh):
            c = oracle.counts
            c[0] += nf
            c[1] += ng
            c[2] += nh
    return impl


# -- the calls -----------------------------------------------------------------------------------
def value_and_grad(oracle, x, g):
    """``f(x)``, writing the gradient into ``g``; uses ``fg`` when the problem has one.
    Counts one evaluation of f and one of the gradient."""
    charge(oracle, 1.0, 1.0, 0.0)
    if oracle.fg is not None:
        return oracle.fg(x, oracle.args, g)
    oracle.grad(x, oracle.args, g)
    return oracle.f(x, oracle.args)


@overload(value_and_grad, inline="always")
def _value_and_grad_compiled(oracle, x, g):
    has_fg = not isinstance(oracle.types[oracle.fields.index("fg")], types.NoneType)
    if has_fg:
        def impl(oracle, x, g):
            charge(oracle, 1.0, 1.0, 0.0)
            return oracle.fg(x, oracle.args, g)
    else:
        def impl(oracle, x, g):
            charge(oracle, 1.0, 1.0, 0.0)
            oracle.grad(x, oracle.args, g)
            return oracle.f(x, oracle.args)
    return impl


@jit(inline=True)
def value(oracle, x):
    """f(x); counts one evaluation of f."""
    charge(oracle, 1.0, 0.0, 0.0)
    return oracle.f(x, oracle.args)


@jit(inline=True)
def gradient(oracle, x, out):
    """out <- grad f(x); counts one gradient evaluation."""
    charge(oracle, 0.0, 1.0, 0.0)
    oracle.grad(x, oracle.args, out)


@jit(inline=True)
def hessian(oracle, x, out):
    """out <- the Hessian at x; counts one Hessian evaluation."""
    charge(oracle, 0.0, 0.0, 1.0)
    oracle.hess(x, oracle.args, out)


def _count_samples(oracle, nb, m):
    """Add ``nb`` samples of a finite sum of ``m`` terms to ``oracle.counts``."""


@overload(_count_samples, inline="always")
def _count_samples_compiled(oracle, nb, m):
    if not _has_counts(oracle):
        def impl(oracle, nb, m):
            pass
    else:
        def impl(oracle, nb, m):
            oracle.counts[3] += nb
            oracle.counts[4] = m
    return impl


@jit(inline=True)
def batch(oracle, x, idx, out, m):
    """The mean of f_i over the samples ``idx`` (their mean gradient into ``out``), for a
    finite sum of ``m`` terms; counts len(idx)/m of an evaluation of f and of the gradient."""
    _count_samples(oracle, idx.shape[0], m)
    return oracle.batch(x, oracle.args, idx, out)


@jit(inline=True)
def counted(oracle, counts):
    """``oracle`` counting its evaluations into ``counts``."""
    return Oracle(oracle.f, oracle.grad, oracle.fg, oracle.hess, oracle.args, oracle.batch,
                  counts)


@jit(inline=True)
def observed(oracle):
    """``oracle`` without counts: for what only the harness needs (the table, its tests)."""
    return Oracle(oracle.f, oracle.grad, oracle.fg, oracle.hess, oracle.args, oracle.batch,
                  None)
