"""The perceptron family: Rosenblatt's rule, the batch perceptron, the pocket algorithm,
ADALINE (LMS) and MADALINE (MRII), each run one epoch per iteration.

The linear members train x = (w, b) on labelled data (X, y), y in {-1, +1}; a point counts
as misclassified when y_i (w.x_i + b) <= 0. Their tables have the columns ``mistakes``
(misclassified points met during the epoch), ``errors`` (points misclassified by the row's x)
and ``margin`` = min_i y_i (w.x_i + b) / ||w|| (the signed distance of the worst point to
the hyperplane: negative while some point is misclassified; NaN for w = 0). The table's f and
grad_norm are the problem's (the perceptron criterion on the ``perceptron`` problem),
evaluated by the loop at the rows it keeps, uncounted and untimed; the gradient-norm test is
off, the rules' own test is an epoch without mistakes.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from .._jit import jit
from ..errors import IncompatibleError
from ..kernels import add_scaled_row, affine_score
from ..oracle import charge
from ..params import Param
from ..registry import AT_ROWS, Plan, Solver, register_solver
from ..status import NO_MISTAKES, RUNNING
from ._loop import drive_without_fg, without_grad_test
from .step_sizes import diminishing
from .stochastic import DECAY

__all__ = ["perceptron", "batch_perceptron", "pocket", "adaline", "madaline",
           "perceptron_epoch", "classify"]

_SEED = Param("seed", 0, int, "seed of the shuffling", low=0, high=2**32 - 1)


# -- shared helpers --------------------------------------------------------------------------
@jit
def perceptron_epoch(X, y, w, order, eta):
    """One pass in ``order``: where y_i (w.x_i + b) <= 0, w += eta y_i x_i and b += eta y_i.

    ``w`` holds the weights then the bias; returns the number of mistakes."""
    mistakes = 0
    for i in order:
        if y[i] * affine_score(X, i, w) <= 0.0:
            mistakes += 1
            add_scaled_row(w, X, i, eta * y[i])
    return mistakes


@jit
def classify(X, y, w):
    """(errors, margin, mse) of w = (weights, bias) with s_i = w.x_i + b: errors = number of
    y_i s_i <= 0, margin = min_i y_i s_i / ||weights|| (NaN if the weights are 0),
    mse = mean_i (y_i - s_i)^2."""
    m, d = X.shape
    errors = 0
    worst = np.inf
    sq = 0.0
    for i in range(m):
        s = affine_score(X, i, w)
        ys = y[i] * s
        if ys <= 0.0:
            errors += 1
        worst = min(worst, ys)
        sq += (y[i] - s) * (y[i] - s)
    norm = 0.0
    for j in range(d):
        norm += w[j] * w[j]
    margin = worst / math.sqrt(norm) if norm > 0.0 else np.nan
    return errors, margin, sq / m


@jit
def _count_errors(X, y, w):
    """number of i with y_i (w.x_i + b) <= 0"""
    errors = 0
    for i in range(X.shape[0]):
        if y[i] * affine_score(X, i, w) <= 0.0:
            errors += 1
    return errors


@jit(inline=True)
def _shuffled_init(oracle, x, g, params):
    """seed the shuffling; work = (order,)"""
    np.random.seed(params[-1])
    return (np.arange(oracle.args[0].shape[0]),), math.nan


def _linear_prepare(name, entry, columns, problem, values) -> Plan:
    """Refuse problems whose x is not (w, b) for their features; the call in declared order."""
    d = problem.oracle.args[0].shape[1]
    if problem.dim != d + 1:
        raise IncompatibleError(
            f"solver {name!r} trains one linear unit, x = (w, b) of dimension d + 1 = {d + 1} "
            f"for the d = {d} features of problem {problem.name!r}, whose x has dimension "
            f"{problem.dim}; use it on a problem such as 'perceptron'")
    return Plan(entry, tuple(DECAY[v] if k == "decay" else v for k, v in values.items()),
                columns)


def _register(name, entry, params, columns, **fields):
    register_solver(Solver(
        name=name, entry=entry, family="perceptron", params=params, columns=columns,
        needs=frozenset({"labelled"}), prepare=partial(_linear_prepare, name, entry, columns),
        table_point=AT_ROWS, **fields))


# -- Rosenblatt ------------------------------------------------------------------------------
@jit(inline=True)
def _perceptron_step(oracle, x, g, fx, work, params, k, extras):
    """one epoch of the online rule in a freshly shuffled order"""
    (order,) = work
    eta = params[0]
    X, y = oracle.args[0], oracle.args[1]
    np.random.shuffle(order)
    mistakes = perceptron_epoch(X, y, x, order, eta)
    charge(oracle, 1.0, 1.0, 0.0)  # one pass: every f_i checked, its gradient used
    errors, margin, mse = classify(X, y, x)
    extras[0] = mistakes
    extras[1] = errors
    extras[2] = margin
    return math.nan, eta, NO_MISTAKES if mistakes == 0 else RUNNING


@jit
def perceptron(oracle, x0, eta, seed, control):
    """Rosenblatt's perceptron rule, online, one epoch per iteration.

    For each sample in a shuffled order (seeded): if ``y_i (w.x_i + b) <= 0`` then
    ``w += eta y_i x_i`` and ``b += eta y_i``. Stops after an epoch without mistakes. On data
    separable with margin gamma and radius R it makes at most (R/gamma)^2 mistakes in all
    (Novikoff). The table's ``f`` and ``grad_norm`` are the perceptron criterion's; the
    gradient-norm test is off (the rule's own test is an epoch without mistakes). Columns:
    ``mistakes`` (updates in the epoch), ``errors``, ``margin`` (of the weights after it).

    Compiled; callable from your own ``@njit`` code::

        x, history, reason, epochs = optbench.solvers.perceptron(
            problem.oracle, problem.x0, 1.0, 0, optbench.make_control(max_iter=100))

    Reference: Rosenblatt (1958); Novikoff, *On convergence proofs for perceptrons* (1962).
    """
    return drive_without_fg(oracle, x0, (eta, seed), _shuffled_init, _perceptron_step, 3,
                 without_grad_test(control))


_register(
    "perceptron", perceptron,
    (Param("eta", 1.0, float, "learning rate", low=0.0, strict=True), _SEED),
    ("mistakes", "errors", "margin"),
    summary="Rosenblatt's online perceptron rule (one epoch per iteration)",
    formula="if y_i (w.x_i + b) <= 0: w += eta y_i x_i, b += eta y_i",
    reference="Rosenblatt (1958); Novikoff (1962)")


# -- batch perceptron ------------------------------------------------------------------------
@jit(inline=True)
def _batch_init(oracle, x, g, params):
    return (np.empty(x.shape[0]),), math.nan


@jit(inline=True)
def _batch_step(oracle, x, g, fx, work, params, k, extras):
    """x += eta * sum over misclassified i of y_i (x_i, 1)"""
    (u,) = work
    eta = params[0]
    X, y = oracle.args[0], oracle.args[1]
    m, d = X.shape
    for j in range(d + 1):
        u[j] = 0.0
    mistakes = 0
    for i in range(m):
        if y[i] * affine_score(X, i, x) <= 0.0:
            mistakes += 1
            add_scaled_row(u, X, i, y[i])
    for j in range(d + 1):
        x[j] += eta * u[j]
    charge(oracle, 1.0, 1.0, 0.0)  # one pass: the full gradient of the criterion
    errors, margin, mse = classify(X, y, x)
    extras[0] = mistakes
    extras[1] = errors
    extras[2] = margin
    return math.nan, eta, NO_MISTAKES if mistakes == 0 else RUNNING


@jit
def batch_perceptron(oracle, x0, eta, control):
    """The batch perceptron: one update per epoch with every misclassified point.

    ``w += eta sum_{i in M} y_i x_i`` and ``b += eta sum_{i in M} y_i`` with M the points
    where ``y_i (w.x_i + b) <= 0``: gradient descent with step eta*m on the perceptron
    criterion 1/m sum_i max(0, -y_i (w.x_i + b)). Deterministic; stops after an epoch with
    M empty; converges in finitely many epochs on separable data. ``mistakes`` is |M|;
    ``errors`` and ``margin`` are those of the weights after the update.

    Compiled; callable from your own ``@njit`` code::

        x, history, reason, epochs = optbench.solvers.perceptron.batch_perceptron(
            problem.oracle, problem.x0, 0.1, optbench.make_control(max_iter=500))

    Reference: Duda, Hart & Stork, *Pattern Classification* (2001), 5.5.1 (algorithm 3).
    """
    return drive_without_fg(oracle, x0, (eta,), _batch_init, _batch_step, 3,
                            without_grad_test(control))


_register(
    "batch-perceptron", batch_perceptron,
    (Param("eta", 1.0, float, "learning rate", low=0.0, strict=True),),
    ("mistakes", "errors", "margin"),
    summary="the batch perceptron: one update per epoch with all misclassified points",
    formula="w += eta sum_{y_i (w.x_i + b) <= 0} y_i (x_i, 1)",
    reference="Duda, Hart & Stork, Pattern Classification (2001), 5.5.1")


# -- pocket ------------------------------------------------------------------------------------
@jit(inline=True)
def _pocket_init(oracle, x, g, params):
    """x holds the pocket weights; the perceptron runs on its own copy w"""
    np.random.seed(params[-1])
    X, y = oracle.args[0], oracle.args[1]
    # pocket errors, pocket run, current run, current errors (-1: not counted since the update)
    state = np.zeros(4, dtype=np.int64)
    state[0] = _count_errors(X, y, x)
    state[3] = state[0]
    return (np.arange(X.shape[0]), x.copy(), state), math.nan


@jit(inline=True)
def _pocket_step(oracle, x, g, fx, work, params, k, extras):
    """a Rosenblatt epoch on w; w goes into the pocket x when it has a longer run of correct
    classifications than the pocket's and fewer errors (ratchet), or fewer errors at the end"""
    order, w, state = work
    eta = params[0]
    X, y = oracle.args[0], oracle.args[1]
    d = X.shape[1]
    np.random.shuffle(order)
    mistakes = 0
    for i in order:
        if y[i] * affine_score(X, i, w) <= 0.0:
            mistakes += 1
            add_scaled_row(w, X, i, eta * y[i])
            state[2] = 0
            state[3] = -1
        else:
            state[2] += 1
            if state[2] > state[1]:
                if state[3] < 0:
                    state[3] = _count_errors(X, y, w)
                    charge(oracle, 1.0, 0.0, 0.0)  # the candidate's errors: one pass
                if state[3] < state[0]:
                    for j in range(d + 1):
                        x[j] = w[j]
                    state[0] = state[3]
                    state[1] = state[2]
    if state[3] < 0:
        state[3] = _count_errors(X, y, w)
        charge(oracle, 1.0, 0.0, 0.0)
    if state[3] < state[0]:
        for j in range(d + 1):
            x[j] = w[j]
        state[0] = state[3]
        state[1] = state[2]
    charge(oracle, 1.0, 1.0, 0.0)  # the rule's pass over the data
    errors, margin, mse = classify(X, y, x)
    extras[0] = mistakes
    extras[1] = errors
    extras[2] = state[3]
    extras[3] = margin
    return math.nan, eta, NO_MISTAKES if mistakes == 0 else RUNNING


@jit
def pocket(oracle, x0, eta, seed, control):
    """The pocket algorithm with ratchet: Rosenblatt's rule that keeps the best weights seen.

    The perceptron rule runs on weights w (from x0, shuffled epochs as in :func:`perceptron`).
    Whenever w's current run of consecutive correct classifications is longer than the
    pocket's and w misclassifies fewer training points (the ratchet), and again at the end
    of each epoch if w misclassifies fewer points, w is copied into the pocket. The iterate
    x, its f, its columns and the returned x are the pocket's, so ``errors`` never increases
    and ends at most at the best end-of-epoch errors of w (``current_errors``); ``mistakes``
    counts the updates of w in the epoch. For data that is not separable.

    Compiled; callable from your own ``@njit`` code::

        x, history, reason, epochs = optbench.solvers.perceptron.pocket(
            problem.oracle, problem.x0, 1.0, 0, optbench.make_control(max_iter=100))

    Reference: Gallant, *Perceptron-based learning algorithms*, IEEE Trans. Neural Networks
    1(2) (1990).
    """
    return drive_without_fg(oracle, x0, (eta, seed), _pocket_init, _pocket_step, 4,
                 without_grad_test(control))


_register(
    "pocket", pocket,
    (Param("eta", 1.0, float, "learning rate of the perceptron rule", low=0.0, strict=True),
     _SEED),
    ("mistakes", "errors", "current_errors", "margin"),
    summary="the pocket algorithm with ratchet: perceptron rule keeping the best weights",
    formula="perceptron rule on w; pocket <- w when w has a longer run and fewer errors",
    reference="Gallant, IEEE Trans. Neural Networks (1990)")


# -- ADALINE -----------------------------------------------------------------------------------
@jit(inline=True)
def _adaline_step(oracle, x, g, fx, work, params, k, extras):
    """one epoch of the LMS rule in a fresh order: w += eta_k (y_i - s_i) (x_i, 1)"""
    (order,) = work
    eta0, power = params[0], params[1]
    X, y = oracle.args[0], oracle.args[1]
    eta = diminishing(eta0, power, k)
    np.random.shuffle(order)
    mistakes = 0
    for i in order:
        s = affine_score(X, i, x)
        if y[i] * s <= 0.0:
            mistakes += 1
        add_scaled_row(x, X, i, eta * (y[i] - s))
    charge(oracle, 1.0, 1.0, 0.0)  # one pass of the LMS rule
    errors, margin, mse = classify(X, y, x)
    extras[0] = mistakes
    extras[1] = errors
    extras[2] = mse
    extras[3] = margin
    return math.nan, eta, RUNNING


@jit
def adaline(oracle, x0, eta, decay_power, seed, control):
    """ADALINE trained by the Widrow-Hoff LMS rule, online, one epoch per iteration.

    For each sample in a shuffled order: ``s = w.x_i + b``, ``w += eta_t (y_i - s) x_i`` and
    ``b += eta_t (y_i - s)``: stochastic gradient descent on the squared error
    1/2 (y_i - s_i)^2 of the linear output (not of the thresholded one), so the weights
    approach the least-squares fit of the +-1 labels. ``eta_t = eta / (t + 1)^decay_power``
    over epochs t, as in :func:`optbench.solvers.stochastic.sgd`; a constant eta below about
    2 / max ||(x_i, 1)||^2 is stable and leaves a fluctuation of order eta around that fit.
    Runs to ``max_iter`` (or the time limit). Columns: ``mistakes`` (sign errors met during
    the epoch), ``errors``, ``mse`` = mean (y_i - s_i)^2 and ``margin`` of the weights after
    the epoch.

    Compiled; callable from your own ``@njit`` code::

        x, history, reason, epochs = optbench.solvers.perceptron.adaline(
            problem.oracle, problem.x0, 0.05, 1.0, 0, optbench.make_control(max_iter=200))

    Reference: Widrow & Hoff, *Adaptive switching circuits*, IRE WESCON (1960); Widrow &
    Lehr, *30 years of adaptive neural networks*, Proc. IEEE 78(9) (1990).
    """
    return drive_without_fg(oracle, x0, (eta, decay_power, seed), _shuffled_init, _adaline_step, 4,
                 without_grad_test(control))


_register(
    "adaline", adaline,
    (Param("eta", 0.05, float, "LMS learning rate eta0", low=0.0, strict=True),
     Param("decay", "none", str, "learning-rate schedule over epochs t: none = eta0, "
           "sqrt = eta0/sqrt(t+1), inverse = eta0/(t+1)", choices=tuple(DECAY)),
     _SEED),
    ("mistakes", "errors", "mse", "margin"),
    summary="ADALINE: the Widrow-Hoff LMS rule on the linear output, online",
    formula="w += eta_t (y_i - w.x_i - b) (x_i, 1)",
    reference="Widrow & Hoff (1960); Widrow & Lehr, Proc. IEEE (1990)")


# -- MADALINE ----------------------------------------------------------------------------------
@jit
def network_output(o, rule):
    """The fixed output unit on hidden outputs o in {-1, +1}: OR (rule 0: +1 if any is +1)
    or majority (rule 1: +1 if more than half are +1)."""
    positive = 0
    for h in range(o.shape[0]):
        if o[h] > 0.0:
            positive += 1
    if rule == 0:
        return 1.0 if positive > 0 else -1.0
    return 1.0 if 2 * positive > o.shape[0] else -1.0


@jit
def _hidden(x, X, i, s, o):
    """nets s_h = w_h.x_i + b_h and outputs o_h = +1 if s_h >= 0 else -1"""
    d = X.shape[1]
    for h in range(s.shape[0]):
        base = h * (d + 1)
        z = x[base + d]
        for j in range(d):
            z += x[base + j] * X[i, j]
        s[h] = z
        o[h] = 1.0 if z >= 0.0 else -1.0


@jit
def network_errors(x, X, y, rule, s, o):
    """(errors, margin) of the network: errors = points whose output differs from y_i;
    margin = min_i c_i min_h |s_h(x_i)| / ||w_h|| with c_i = +1 if x_i is classified
    correctly, else -1 (units with w_h = 0 skipped; NaN if all are)."""
    d = X.shape[1]
    H = s.shape[0]
    errors = 0
    worst = np.inf
    for i in range(X.shape[0]):
        _hidden(x, X, i, s, o)
        wrong = network_output(o, rule) != y[i]
        if wrong:
            errors += 1
        near = np.inf
        for h in range(H):
            base = h * (d + 1)
            norm = 0.0
            for j in range(d):
                norm += x[base + j] * x[base + j]
            if norm > 0.0:
                near = min(near, abs(s[h]) / math.sqrt(norm))
        worst = min(worst, -near if wrong else near)
    return errors, worst if worst < np.inf else np.nan


@jit
def _least_disturbance(s, o, target, rule, flipped):
    """The set of hidden units to flip for the output to become ``target``: fewest units,
    then the smallest sum of |s_h| (MRII's minimal disturbance). Fills ``flipped`` (0/1),
    returns False if no set works."""
    H = s.shape[0]
    best_mask = 0
    best_count = H + 1
    best_cost = np.inf
    for mask in range(1, 1 << H):
        count = 0
        cost = 0.0
        for h in range(H):
            if (mask >> h) & 1:
                count += 1
                cost += abs(s[h])
        if count > best_count or (count == best_count and cost >= best_cost):
            continue
        for h in range(H):
            if (mask >> h) & 1:
                o[h] = -o[h]
        works = network_output(o, rule) == target
        for h in range(H):
            if (mask >> h) & 1:
                o[h] = -o[h]
        if works:
            best_mask, best_count, best_cost = mask, count, cost
    for h in range(H):
        flipped[h] = (best_mask >> h) & 1
    return best_mask != 0


@jit(inline=True)
def _madaline_init(oracle, x, g, params):
    np.random.seed(params[-1])
    X, H = oracle.args[0], oracle.args[2]
    work = (np.arange(X.shape[0]), np.empty(H), np.empty(H), np.empty(H, dtype=np.int64))
    return work, math.nan


@jit(inline=True)
def _madaline_step(oracle, x, g, fx, work, params, k, extras):
    """one MRII epoch: for each wrongly classified pattern, adapt the least-disturbance set
    of hidden units towards their flipped outputs by alpha-LMS"""
    order, s, o, flipped = work
    eta = params[0]
    X, y, rule = oracle.args[0], oracle.args[1], oracle.args[3]
    d = X.shape[1]
    np.random.shuffle(order)
    mistakes = 0
    for i in order:
        _hidden(x, X, i, s, o)
        if network_output(o, rule) == y[i]:
            continue
        mistakes += 1
        if not _least_disturbance(s, o, y[i], rule, flipped):
            continue
        sq = 1.0
        for j in range(d):
            sq += X[i, j] * X[i, j]
        for h in range(s.shape[0]):
            if flipped[h]:
                base = h * (d + 1)
                e = eta * (-o[h] - s[h]) / sq
                for j in range(d):
                    x[base + j] += e * X[i, j]
                x[base + d] += e
    charge(oracle, 1.0, 0.0, 0.0)  # one pass (trial flips of a pattern count in its check)
    errors, margin = network_errors(x, X, y, rule, s, o)
    extras[0] = mistakes
    extras[1] = errors
    extras[2] = margin
    return math.nan, eta, NO_MISTAKES if mistakes == 0 else RUNNING


@jit
def madaline(oracle, x0, eta, seed, control):
    """MADALINE trained by MRII (Madaline rule II), one epoch per iteration.

    A two-layer network of threshold units: H hidden ADALINEs ``o_h = sgn(w_h.x + b_h)``
    (+1 at 0) feeding a fixed output unit (OR, or majority; ``oracle.args = (X, y, H, rule)``
    with x the hidden weights, unit h at ``x[h(d+1) : (h+1)(d+1)]`` = (w_h, b_h)). For each
    pattern in a shuffled order whose output is wrong, the smallest set of hidden units whose
    flipped outputs make it right, and among those the one with the least total |net input|
    (the minimal disturbance principle), is adapted towards the flipped outputs by alpha-LMS:
    ``(w_h, b_h) += eta (-o_h - s_h) (x_i, 1) / (1 + ||x_i||^2)`` (eta = 1 puts s_h exactly
    on -o_h). Greedy: it may stall in a local configuration, depending on the start and the
    order; stops after an epoch without mistakes. Columns: ``mistakes`` (wrong outputs met
    during the epoch), ``errors`` and ``margin`` (min over points of the distance to the
    nearest hidden hyperplane, negative for a misclassified point) after the epoch.

    Compiled; callable from your own ``@njit`` code::

        x, history, reason, epochs = optbench.solvers.perceptron.madaline(
            problem.oracle, problem.x0, 1.0, 0, optbench.make_control(max_iter=200))

    Reference: Winter & Widrow, *MADALINE RULE II: a training algorithm for neural networks*,
    IEEE ICNN (1988); Widrow & Lehr, Proc. IEEE 78(9) (1990), section V.
    """
    return drive_without_fg(oracle, x0, (eta, seed), _madaline_init, _madaline_step, 3,
                 without_grad_test(control))


def _madaline_prepare(problem, values) -> Plan:
    net = problem.extra.get("network")
    if net is None or len(problem.oracle.args) != 4:
        raise IncompatibleError(
            f"solver 'madaline' needs a network of threshold units (x = hidden weights, data "
            f"(X, y, H, output rule)), which problem {problem.name!r} does not describe; use "
            "it on the 'madaline' problem")
    return Plan(madaline, (values["eta"], values["seed"]), ("mistakes", "errors", "margin"))


register_solver(Solver(
    name="madaline", entry=madaline, family="perceptron", table_point=AT_ROWS,
    params=(Param("eta", 1.0, float, "alpha-LMS rate of the adapted hidden units", low=0.0,
                  strict=True), _SEED),
    summary="MADALINE by MRII: greedy minimal-disturbance training of threshold units",
    formula="adapt the fewest, least-confident hidden units whose flip fixes the output",
    reference="Winter & Widrow, IEEE ICNN (1988); Widrow & Lehr, Proc. IEEE (1990)",
    needs=frozenset({"labelled"}), columns=("mistakes", "errors", "margin"),
    prepare=_madaline_prepare,
))
