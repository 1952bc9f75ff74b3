"""Stochastic gradient methods for finite sums f = 1/m sum_i f_i: SGD and mini-batch SGD,
and the shared pieces every stochastic method is built from.

The problem's ``batch(x, args, idx, out)`` gives the mean of f_i and of grad f_i over the
samples ``idx`` (see :class:`optbench.Oracle`). One iteration is one epoch: a pass over the
samples in a freshly shuffled order, in mini-batches; the method's cost is its batches, b/m
of an evaluation each (see :mod:`optbench.oracle`). The full f and grad f of the table are
evaluated by the loop at the rows it keeps (:func:`._loop.drive_without_fg`: uncounted, the
clock stopped), so every stopping test runs at those rows. ``sgd_steps`` counts every
mini-batch step as an iteration instead (with ``record_every=1`` the full f and gradient
are evaluated after every step: meant for small problems).

A stochastic method is an **update rule** plugged into these pieces: the epoch, the single
step, the seeded shuffling, the mini-batches and the learning-rate decay are written once
here; a method supplies ``rule(x, gb, memory, hyper, eta, schedule, t)`` (x updated in place
from the mini-batch gradient ``gb``; ``memory`` the method's ``slots`` state vectors, rows of
a (slots, n) array of zeros at the start; ``hyper`` its constants; ``eta`` the step's learning
rate, ``schedule`` = 1/(e + 1)^decay_power = eta / lr the decay's multiplier in epoch e,
``t`` the steps taken so far, this one included), and two one-line step kernels handing its
rule to :func:`epoch` and :func:`one_step` (a rule named there, not carried in a tuple, is
inlined into the loop like every kernel). SGD's rule is heavy ball;
:mod:`optbench.solvers.adaptive` adds Adam, AdaGrad, RMSProp.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .._jit import jit
from ..errors import InvalidValueError, UnfitValueError
from ..oracle import batch
from ..params import Param
from ..registry import AT_ROWS, Plan, Solver, register_solver
from ..status import RUNNING
from ._loop import drive_without_fg
from .step_sizes import diminishing

__all__ = ["sgd", "sgd_steps", "DECAY", "Stochastic", "SAMPLING_PARAMS", "COLUMNS",
           "check_sampling", "check_below_one", "stochastic_init", "epoch", "one_step"]

# learning-rate schedules over epochs t: eta_t = eta0 / (t + 1)^power, by name -> power
DECAY = {"none": 0.0, "sqrt": 0.5, "inverse": 1.0}

Stochastic = namedtuple("Stochastic", ["samples", "batch_size", "lr", "decay_power", "seed",
                                       "slots", "hyper"])
Stochastic.__doc__ = """The parameters of a stochastic method: the sampling (``samples`` m,
``batch_size``, ``seed`` of the shuffling), the learning rate ``lr`` decayed per epoch t as
lr / (t + 1)^decay_power, the number ``slots`` of state vectors its rule keeps and the rule's
constants ``hyper`` (a tuple)."""


@jit(inline=True)
def stochastic_init(oracle, x, g, params):
    """order = 0..m-1, batch index buffers, the batch gradient, counters, the rule's memory
    (slots x n zeros); no evaluation (the loop's drive_without_fg evaluates the table's)"""
    np.random.seed(params.seed)
    n = x.shape[0]
    m, batch_size = params.samples, params.batch_size
    order = np.arange(m)
    idx_full = np.empty(batch_size, dtype=np.int64)
    idx_last = np.empty(m % batch_size, dtype=np.int64)  # the short last batch of an epoch
    state = np.zeros(3, dtype=np.int64)  # position in the order, epochs done, steps done
    memory = np.zeros((params.slots, n))
    work = (order, idx_full, idx_last, np.empty(n), state, memory)
    return work, math.nan  # f and g for the table: the loop's, at its rows


@jit(inline=True)
def _minibatch_step(oracle, x, work, pos, params, eta, schedule, rule):
    """gb <- mean grad f_i over the batch from position ``pos`` of the order, then the rule's
    update of x. Returns (mean f_i over the batch, batch size)."""
    order, idx_full, idx_last, gb, state, memory = work
    nb = min(idx_full.shape[0], order.shape[0] - pos)
    idx = idx_full if nb == idx_full.shape[0] else idx_last
    for j in range(nb):
        idx[j] = order[pos + j]
    fb = batch(oracle, x, idx, gb, order.shape[0])
    state[2] += 1
    rule(x, gb, memory, params.hyper, eta, schedule, state[2])
    return fb, nb


@jit(inline=True)
def epoch(oracle, x, g, work, params, k, extras, rule):
    """one epoch of mini-batch ``rule`` steps in a fresh order (the step kernel's result: NaN
    for f, the epoch's rate eta, RUNNING)"""
    order, state = work[0], work[4]
    m = params.samples
    eta = diminishing(params.lr, params.decay_power, k)
    schedule = diminishing(1.0, params.decay_power, k)
    np.random.shuffle(order)
    pos = 0
    seen = 0.0
    while pos < m:
        fb, nb = _minibatch_step(oracle, x, work, pos, params, eta, schedule, rule)
        seen += fb * nb
        pos += nb
    state[1] += 1
    extras[0] = state[1]
    extras[1] = state[2]
    extras[2] = seen / m
    return math.nan, eta, RUNNING  # f and g for the table: the loop's, at its rows


@jit(inline=True)
def one_step(oracle, x, g, work, params, extras, rule):
    """one mini-batch ``rule`` step (a new shuffled order at each epoch's start)"""
    order, state = work[0], work[4]
    m = params.samples
    pos = state[0]
    if pos == 0:
        np.random.shuffle(order)
    eta = diminishing(params.lr, params.decay_power, state[1])
    schedule = diminishing(1.0, params.decay_power, state[1])
    fb, nb = _minibatch_step(oracle, x, work, pos, params, eta, schedule, rule)
    pos += nb
    if pos == m:
        pos = 0
        state[1] += 1
    state[0] = pos
    extras[0] = state[1] + pos / m
    extras[1] = state[2]
    extras[2] = fb
    return math.nan, eta, RUNNING  # f and g for the table: the loop's, at its rows


@jit(inline=True)
def _momentum_rule(x, gb, memory, hyper, eta, schedule, t):
    """v <- beta v + gb;  x <- x - eta v   (memory[0] = v, hyper = (beta,))"""
    beta = hyper[0]
    for i in range(x.shape[0]):
        memory[0, i] = beta * memory[0, i] + gb[i]
        x[i] -= eta * memory[0, i]


@jit(inline=True)
def _sgd_epoch(oracle, x, g, fx, work, params, k, extras):
    """one epoch of heavy-ball mini-batch steps"""
    return epoch(oracle, x, g, work, params, k, extras, _momentum_rule)


@jit(inline=True)
def _sgd_step(oracle, x, g, fx, work, params, k, extras):
    """one heavy-ball mini-batch step"""
    return one_step(oracle, x, g, work, params, extras, _momentum_rule)


@jit
def sgd(oracle, x0, samples, batch_size, lr, decay_power, momentum, seed, control):
    """Mini-batch stochastic gradient descent with heavy-ball momentum, one epoch per iteration.

    Each epoch shuffles the ``samples`` indices (seeded once, ``np.random.seed(seed)``) and
    walks through them in batches B of ``batch_size`` (the last one shorter when it does not
    divide m)::

        v <- momentum * v + 1/|B| sum_{i in B} grad f_i(x),     x <- x - eta_t * v

    with ``eta_t = lr / (t + 1)^decay_power`` and ``t`` the number of completed epochs (every
    step of an epoch uses the same rate): ``DECAY`` maps the registry's schedules to powers,
    none = 0 (constant), sqrt = 1/2, inverse = 1. ``batch_size = samples`` with
    ``momentum = 0`` is gradient descent. Needs ``oracle.batch``; ``samples`` is the
    problem's m. The table's ``f`` and ``grad_norm`` are the full objective's at the end of
    each epoch; the extra columns are ``epochs``, ``steps`` (mini-batch steps so far) and
    ``batch_f`` (the mean of the f_i met during the epoch, each at its own iterate).

    Compiled; callable from your own ``@njit`` code::

        control = optbench.make_control(max_iter=50, tol=1e-8)
        x, history, reason, epochs = optbench.solvers.stochastic.sgd(
            problem.oracle, problem.x0, problem.samples, 16, 0.1, 1.0, 0.0, 0, control)

    Reference: Robbins & Monro, *A stochastic approximation method* (1951); Bottou, Curtis &
    Nocedal, *Optimization methods for large-scale machine learning*, SIAM Review (2018),
    sections 4-5; Polyak (1964) for the momentum term.
    """
    return drive_without_fg(oracle, x0, Stochastic(samples, batch_size, lr, decay_power, seed, 1,
                                        (momentum,)), stochastic_init, _sgd_epoch, 3, control)


@jit
def sgd_steps(oracle, x0, samples, batch_size, lr, decay_power, momentum, seed, control):
    """:func:`sgd` with one iteration per mini-batch step instead of per epoch.

    The same iterates as :func:`sgd` for the same arguments (the same shuffled orders and the
    same per-epoch rates), one iteration per step: ``max_iter`` counts steps, and the full
    f and grad f are evaluated at every recorded row (untimed, uncounted; m / batch_size
    times the cost of a step).
    The ``epochs`` column is fractional (samples seen / m); ``batch_f`` is the step's batch.

    Compiled; callable from your own ``@njit`` code like :func:`sgd`::

        x, history, reason, steps = optbench.solvers.stochastic.sgd_steps(
            problem.oracle, problem.x0, problem.samples, 1, 0.05, 0.0, 0.0, 0, control)

    Reference: Bottou, Curtis & Nocedal (2018), algorithm 4.1.
    """
    return drive_without_fg(oracle, x0, Stochastic(samples, batch_size, lr, decay_power, seed, 1,
                                        (momentum,)), stochastic_init, _sgd_step, 3, control)


def check_sampling(problem, values) -> int:
    """The problem's number of samples m, after refusing a ``batch_size`` larger than m."""
    m = int(problem.samples)
    if values["batch_size"] > m:
        raise UnfitValueError(
            f"parameter 'batch_size' must be at most the number of samples m={m} of problem "
            f"{problem.name!r}; got {values['batch_size']} (use batch_size={m} for full-batch "
            "gradient descent)")
    return m


def check_below_one(values, name, why) -> None:
    """Refuse a coefficient ``values[name]`` >= 1 (its Param bounds it to [0, 1])."""
    if values[name] >= 1.0:
        raise InvalidValueError(f"parameter {name!r} must be < 1 ({why}); got "
                                f"{values[name]!r}")


def _prepare(problem, values) -> Plan:
    m = check_sampling(problem, values)
    check_below_one(values, "momentum", "the heavy-ball velocity does not fade otherwise")
    entry = sgd_steps if values["per_step"] else sgd
    return Plan(entry, (m, values["batch_size"], values["lr"], DECAY[values["decay"]],
                        values["momentum"], values["seed"]), COLUMNS)


COLUMNS = ("epochs", "steps", "batch_f")
# The sampling parameters of every stochastic method (lr's default is the method's own).
SAMPLING_PARAMS = {
    "batch_size": Param("batch_size", 1, int, "samples per mini-batch (at most m)", low=1),
    "lr": Param("lr", 0.1, float, "initial learning rate eta0", low=0.0, strict=True),
    "decay": Param("decay", "none", str, "learning-rate schedule over epochs t: none = eta0, "
                   "sqrt = eta0/sqrt(t+1), inverse = eta0/(t+1)", choices=tuple(DECAY)),
    "seed": Param("seed", 0, int, "seed of the shuffling", low=0, high=2**32 - 1),
    "per_step": Param("per_step", False, bool, "one iteration (table row) per mini-batch step "
                      "instead of per epoch"),
}

SGD = register_solver(Solver(
    name="sgd", entry=sgd, family="stochastic",
    params=(SAMPLING_PARAMS["batch_size"], SAMPLING_PARAMS["lr"], SAMPLING_PARAMS["decay"],
            Param("momentum", 0.0, float, "heavy-ball coefficient beta, in [0, 1)", low=0.0,
                  high=1.0),
            SAMPLING_PARAMS["seed"], SAMPLING_PARAMS["per_step"]),
    summary="stochastic gradient descent, shuffled epochs of mini-batches, optional momentum",
    formula="v <- beta v + mean_{i in B} grad f_i(x); x <- x - eta_t v  (eta_t per epoch t)",
    reference="Robbins & Monro (1951); Bottou, Curtis & Nocedal, SIAM Review (2018)",
    needs=frozenset({"grad", "finite_sum"}),
    columns=COLUMNS, prepare=_prepare, table_point=AT_ROWS,
))

register_solver(SGD.with_defaults(
    "minibatch-sgd", "mini-batch SGD: sgd with 16 samples per batch", batch_size=16))
