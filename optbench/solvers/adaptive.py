"""Adaptive stochastic methods for finite sums: Adam (AMSGrad, decoupled weight decay: AdamW),
AdaGrad and RMSProp.

Each is an update rule plugged into the stochastic pieces of :mod:`optbench.solvers.stochastic`
(seeded shuffling, epochs of mini-batches, the learning-rate decay, per-epoch or per-step
recording): only the rule differs from ``sgd``. Per coordinate i, with ``gb`` the mini-batch's
mean gradient, ``eta`` the learning rate lr / (e + 1)^decay_power of epoch e and ``t`` the
steps taken (this one included), all state starting at 0:

* Adam: m <- b1 m + (1-b1) gb; v <- b2 v + (1-b2) gb^2; x <- x - eta m^/(sqrt(v^) + eps) with
  m^ = m/(1-b1^t), v^ = v/(1-b2^t); AMSGrad uses v_max <- max(v_max, v) in place of v;
  weight decay (AdamW) also subtracts (eta/lr) wd x, decoupled from m and v.
* AdaGrad: s <- s + gb^2; x <- x - eta gb/(sqrt(s) + eps).
* RMSProp: v <- b2 v + (1-b2) gb^2; x <- x - eta gb/(sqrt(v) + eps).

The extra columns and the evaluation counts are sgd's: ``epochs``, ``steps``, ``batch_f``;
a mini-batch of b samples costs b/m of an evaluation (see :mod:`optbench.oracle`).
"""

from __future__ import annotations

import math

from .._jit import jit
from ..params import Param
from ..registry import AT_ROWS, Plan, Solver, register_solver
from ._loop import drive_without_fg
from .stochastic import (
    COLUMNS,
    DECAY,
    SAMPLING_PARAMS,
    Stochastic,
    check_below_one,
    check_sampling,
    epoch,
    one_step,
    stochastic_init,
)

__all__ = ["adam", "adam_steps", "adagrad", "adagrad_steps", "rmsprop", "rmsprop_steps"]


# -- the update rules (protocol: optbench.solvers.stochastic) -------------------------------------
@jit(inline=True)
def _adam_rule(x, gb, memory, hyper, eta, schedule, t):
    """m, v <- b1 m + (1-b1) g, b2 v + (1-b2) g^2; x <- x - eta m^/(sqrt(v^)+eps) - schedule wd x"""
    beta1, beta2, eps, weight_decay, amsgrad = hyper
    bias1 = 1.0 - math.pow(beta1, t)
    bias2 = 1.0 - math.pow(beta2, t)
    shrink = schedule * weight_decay
    for i in range(x.shape[0]):
        gi = gb[i]
        memory[0, i] = beta1 * memory[0, i] + (1.0 - beta1) * gi
        memory[1, i] = beta2 * memory[1, i] + (1.0 - beta2) * (gi * gi)
        second = memory[1, i]
        if amsgrad:
            second = max(memory[2, i], second)
            memory[2, i] = second
        m_hat = memory[0, i] / bias1
        v_hat = second / bias2
        x[i] -= eta * m_hat / (math.sqrt(v_hat) + eps) + shrink * x[i]


@jit(inline=True)
def _adagrad_rule(x, gb, memory, hyper, eta, schedule, t):
    """s <- s + g^2;  x <- x - eta g / (sqrt(s) + eps)   (memory[0] = s, hyper = (eps,))"""
    eps = hyper[0]
    for i in range(x.shape[0]):
        gi = gb[i]
        memory[0, i] += gi * gi
        x[i] -= eta * gi / (math.sqrt(memory[0, i]) + eps)


@jit(inline=True)
def _rmsprop_rule(x, gb, memory, hyper, eta, schedule, t):
    """v <- b2 v + (1-b2) g^2;  x <- x - eta g / (sqrt(v) + eps)   (hyper = (b2, eps))"""
    beta2, eps = hyper
    for i in range(x.shape[0]):
        gi = gb[i]
        memory[0, i] = beta2 * memory[0, i] + (1.0 - beta2) * (gi * gi)
        x[i] -= eta * gi / (math.sqrt(memory[0, i]) + eps)


# -- each rule handed to the shared epoch and single step -----------------------------------------
@jit(inline=True)
def _adam_epoch(oracle, x, g, fx, work, params, k, extras):
    """one epoch of Adam steps"""
    return epoch(oracle, x, g, work, params, k, extras, _adam_rule)


@jit(inline=True)
def _adam_step(oracle, x, g, fx, work, params, k, extras):
    """one Adam step"""
    return one_step(oracle, x, g, work, params, extras, _adam_rule)


@jit(inline=True)
def _adagrad_epoch(oracle, x, g, fx, work, params, k, extras):
    """one epoch of AdaGrad steps"""
    return epoch(oracle, x, g, work, params, k, extras, _adagrad_rule)


@jit(inline=True)
def _adagrad_step(oracle, x, g, fx, work, params, k, extras):
    """one AdaGrad step"""
    return one_step(oracle, x, g, work, params, extras, _adagrad_rule)


@jit(inline=True)
def _rmsprop_epoch(oracle, x, g, fx, work, params, k, extras):
    """one epoch of RMSProp steps"""
    return epoch(oracle, x, g, work, params, k, extras, _rmsprop_rule)


@jit(inline=True)
def _rmsprop_step(oracle, x, g, fx, work, params, k, extras):
    """one RMSProp step"""
    return one_step(oracle, x, g, work, params, extras, _rmsprop_rule)


# -- the compiled entries --------------------------------------------------------------------------
@jit
def adam(oracle, x0, samples, batch_size, lr, decay_power, beta1, beta2, eps, weight_decay,
         amsgrad, seed, control):
    """Adam on a finite sum, one epoch of shuffled mini-batches per iteration (as :func:`sgd`).

    Per mini-batch B, with gb = 1/|B| sum_{i in B} grad f_i(x) and t the steps so far::

        m <- beta1 m + (1 - beta1) gb,          v <- beta2 v + (1 - beta2) gb^2
        m^ = m / (1 - beta1^t),                 v^ = v / (1 - beta2^t)
        x <- x - eta m^ / (sqrt(v^) + eps) - (eta / lr) weight_decay x

    coordinate-wise, from m = v = 0, with ``eta = lr / (e + 1)^decay_power`` in epoch e.
    ``amsgrad`` replaces v by its running maximum v_max <- max(v_max, v) in v^ (bias-corrected
    like v, as PyTorch does). ``weight_decay`` is decoupled (AdamW): it shrinks x directly and
    never enters m or v; eta / lr is the schedule multiplier of Loshchilov & Hutter, so
    PyTorch's ``AdamW(lr=a, weight_decay=w)`` is ``lr=a, weight_decay=a*w`` here. The shuffled
    orders, rates and extra columns (``epochs``, ``steps``, ``batch_f``) are :func:`sgd`'s.

    Compiled; callable from your own ``@njit`` code::

        control = optbench.make_control(max_iter=50, tol=1e-8)
        x, history, reason, epochs = optbench.solvers.adaptive.adam(
            problem.oracle, problem.x0, problem.samples, 16, 1e-3, 0.0, 0.9, 0.999, 1e-8,
            0.0, False, 0, control)

    Reference: Kingma & Ba, *Adam: a method for stochastic optimization*, ICLR (2015),
    algorithm 1; Reddi, Kale & Kumar, *On the convergence of Adam and beyond*, ICLR (2018)
    (AMSGrad); Loshchilov & Hutter, *Decoupled weight decay regularization*, ICLR (2019),
    algorithm 2.
    """
    params = Stochastic(samples, batch_size, lr, decay_power, seed, 3,
                        (beta1, beta2, eps, weight_decay, amsgrad))
    return drive_without_fg(oracle, x0, params, stochastic_init, _adam_epoch, 3, control)


@jit
def adam_steps(oracle, x0, samples, batch_size, lr, decay_power, beta1, beta2, eps,
               weight_decay, amsgrad, seed, control):
    """:func:`adam` with one iteration per mini-batch step (as :func:`sgd_steps`): the same
    iterates, recorded after every step, the full f and gradient evaluated after each."""
    params = Stochastic(samples, batch_size, lr, decay_power, seed, 3,
                        (beta1, beta2, eps, weight_decay, amsgrad))
    return drive_without_fg(oracle, x0, params, stochastic_init, _adam_step, 3, control)


@jit
def adagrad(oracle, x0, samples, batch_size, lr, decay_power, eps, seed, control):
    """AdaGrad (diagonal) on a finite sum, one epoch of shuffled mini-batches per iteration.

    Per mini-batch, with gb its mean gradient, coordinate-wise from s = 0::

        s <- s + gb^2,        x <- x - eta gb / (sqrt(s) + eps)

    ``eta = lr / (e + 1)^decay_power`` in epoch e (AdaGrad's own decay is the growth of s:
    decay none is the published method). Sampling and columns as :func:`sgd`.

    Reference: Duchi, Hazan & Singer, *Adaptive subgradient methods for online learning and
    stochastic optimization*, JMLR 12 (2011), section 1 (diagonal update).
    """
    params = Stochastic(samples, batch_size, lr, decay_power, seed, 1, (eps,))
    return drive_without_fg(oracle, x0, params, stochastic_init, _adagrad_epoch, 3, control)


@jit
def adagrad_steps(oracle, x0, samples, batch_size, lr, decay_power, eps, seed, control):
    """:func:`adagrad` with one iteration per mini-batch step."""
    params = Stochastic(samples, batch_size, lr, decay_power, seed, 1, (eps,))
    return drive_without_fg(oracle, x0, params, stochastic_init, _adagrad_step, 3, control)


@jit
def rmsprop(oracle, x0, samples, batch_size, lr, decay_power, beta2, eps, seed, control):
    """RMSProp on a finite sum, one epoch of shuffled mini-batches per iteration.

    Per mini-batch, with gb its mean gradient, coordinate-wise from v = 0::

        v <- beta2 v + (1 - beta2) gb^2,        x <- x - eta gb / (sqrt(v) + eps)

    ``eta = lr / (e + 1)^decay_power`` in epoch e; no bias correction and no momentum (the
    lecture's method). Sampling and columns as :func:`sgd`.

    Reference: Tieleman & Hinton, *Neural networks for machine learning*, lecture 6.5 (2012).
    """
    params = Stochastic(samples, batch_size, lr, decay_power, seed, 1, (beta2, eps))
    return drive_without_fg(oracle, x0, params, stochastic_init, _rmsprop_epoch, 3, control)


@jit
def rmsprop_steps(oracle, x0, samples, batch_size, lr, decay_power, beta2, eps, seed, control):
    """:func:`rmsprop` with one iteration per mini-batch step."""
    params = Stochastic(samples, batch_size, lr, decay_power, seed, 1, (beta2, eps))
    return drive_without_fg(oracle, x0, params, stochastic_init, _rmsprop_step, 3, control)


# -- registration ----------------------------------------------------------------------------------
def _lr(default):
    return Param("lr", default, float, "initial learning rate eta0", low=0.0, strict=True)


_BETA1 = Param("beta1", 0.9, float, "decay of the first moment m, in [0, 1)", low=0.0, high=1.0)
_BETA2 = Param("beta2", 0.999, float, "decay of the second moment v, in [0, 1)", low=0.0,
               high=1.0)
_EPS = Param("eps", 1e-8, float, "added to sqrt(v) in the denominator", low=0.0, strict=True)
_AMSGRAD = Param("amsgrad", False, bool, "use the running maximum of v (AMSGrad)")
# PyTorch's AdamW defaults (lr 1e-3, weight_decay 1e-2, decay applied as lr * wd) are 1e-5 here
_WEIGHT_DECAY = Param("weight_decay", 1e-5, float, "decoupled weight decay wd: x shrinks by "
                      "(eta/lr) wd x per step, in [0, 1]", low=0.0, high=1.0)
_SAMPLING = (SAMPLING_PARAMS["batch_size"], SAMPLING_PARAMS["decay"], SAMPLING_PARAMS["seed"],
             SAMPLING_PARAMS["per_step"])
_NEEDS = frozenset({"grad", "finite_sum"})


def _plan_adam(problem, v) -> Plan:
    m = check_sampling(problem, v)
    check_below_one(v, "beta1", "the first moment's bias correction 1 - beta1^t is 0 otherwise")
    check_below_one(v, "beta2", "the second moment's bias correction 1 - beta2^t is 0 otherwise")
    entry = adam_steps if v["per_step"] else adam
    return Plan(entry, (m, v["batch_size"], v["lr"], DECAY[v["decay"]], v["beta1"], v["beta2"],
                        v["eps"], v.get("weight_decay", 0.0), v["amsgrad"], v["seed"]), COLUMNS)


def _plan_adagrad(problem, v) -> Plan:
    m = check_sampling(problem, v)
    entry = adagrad_steps if v["per_step"] else adagrad
    return Plan(entry, (m, v["batch_size"], v["lr"], DECAY[v["decay"]], v["eps"], v["seed"]),
                COLUMNS)


def _plan_rmsprop(problem, v) -> Plan:
    m = check_sampling(problem, v)
    check_below_one(v, "beta2", "v would never forget its start at 0")
    entry = rmsprop_steps if v["per_step"] else rmsprop
    return Plan(entry, (m, v["batch_size"], v["lr"], DECAY[v["decay"]], v["beta2"], v["eps"],
                        v["seed"]), COLUMNS)


_ADAM_REFERENCE = "Kingma & Ba, ICLR (2015), algorithm 1; Reddi, Kale & Kumar, ICLR (2018)"

register_solver(Solver(
    name="adam", entry=adam, family="stochastic",
    params=(_lr(1e-3), _BETA1, _BETA2, _EPS, _AMSGRAD, *_SAMPLING),
    summary="Adam: bias-corrected moment estimates per coordinate (AMSGrad option), "
            "shuffled epochs of mini-batches",
    formula="m, v <- EMAs of g, g^2; x <- x - eta_t m^/(sqrt(v^) + eps), m^ = m/(1-b1^t), "
            "v^ = v/(1-b2^t)",
    reference=_ADAM_REFERENCE, needs=_NEEDS, columns=COLUMNS, table_point=AT_ROWS,
    prepare=_plan_adam,
))

register_solver(Solver(
    name="adamw", entry=adam, family="stochastic",
    params=(_lr(1e-3), _BETA1, _BETA2, _EPS, _WEIGHT_DECAY, _AMSGRAD, *_SAMPLING),
    summary="Adam with decoupled weight decay (AdamW), shuffled epochs of mini-batches",
    formula="x <- x - eta_t m^/(sqrt(v^) + eps) - (eta_t/lr) wd x  (m, v as Adam's, from g "
            "alone)",
    reference="Loshchilov & Hutter, ICLR (2019), algorithm 2; " + _ADAM_REFERENCE,
    needs=_NEEDS, columns=COLUMNS, table_point=AT_ROWS, prepare=_plan_adam,
))

register_solver(Solver(
    name="adagrad", entry=adagrad, family="stochastic",
    params=(_lr(0.1), Param("eps", 1e-10, float, "added to sqrt(s) in the denominator",
                            low=0.0, strict=True), *_SAMPLING),
    summary="AdaGrad: steps scaled per coordinate by the root of the summed squared gradients",
    formula="s <- s + g^2; x <- x - eta_t g/(sqrt(s) + eps)",
    reference="Duchi, Hazan & Singer, JMLR 12 (2011)",
    needs=_NEEDS, columns=COLUMNS, table_point=AT_ROWS, prepare=_plan_adagrad,
))

register_solver(Solver(
    name="rmsprop", entry=rmsprop, family="stochastic",
    params=(_lr(0.01), Param("beta2", 0.9, float, "decay of the mean square v, in [0, 1)",
                             low=0.0, high=1.0), _EPS, *_SAMPLING),
    summary="RMSProp: steps scaled per coordinate by a running root mean square of gradients",
    formula="v <- b2 v + (1-b2) g^2; x <- x - eta_t g/(sqrt(v) + eps)",
    reference="Tieleman & Hinton, Neural Networks for Machine Learning, lecture 6.5 (2012)",
    needs=_NEEDS, columns=COLUMNS, table_point=AT_ROWS, prepare=_plan_rmsprop,
))
