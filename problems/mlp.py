"""Multilayer perceptrons trained by backpropagation: ``mlp`` on any dataset, ``xor-mlp`` preset.

``mlp``: layer sizes n_0 (features), n_1 ... n_{L-1} (hidden), n_L (outputs); hidden units
sigmoid, tanh or relu; the output and loss from ``loss`` and the data's task:

==============  =============================================  ===========================
task            loss="squared"                                 loss="cross-entropy"
==============  =============================================  ===========================
binary          1 sigmoid unit, 1/2 (o - t)^2, t in {0, 1}     1 sigmoid unit, binary CE
multiclass (K)  K sigmoid units, 1/2 ||o - t||^2, t one-hot    softmax over K units, CE
regression      1 linear unit, 1/2 (z - y)^2                   (refused)
==============  =============================================  ===========================

Squared error on classes acts on the *sigmoid* outputs, as in the 1986 networks (targets 0/1,
the outputs bounded); on a regression target on the raw (linear) output. Cross-entropy is
computed from the logits z (binary: t softplus(-z) + (1 - t) softplus(z); softmax:
logsumexp(z) - sum_k t_k z_k), never as log of a rounded probability.

f(x) = 1/m sum_i loss_i(x) + lam/2 sum_l ||W_l||_F^2 (biases are not penalized: the usual
weight decay, Bishop 2006, 5.5), a finite sum of f_i = loss_i + lam/2 sum_l ||W_l||^2.

The weights x, layer after layer (l = 1..L): W_l (n_l x n_{l-1}, row-major: row j holds the
weights into unit j), then b_l (n_l). The compiled functions take the sizes at run time::

    args = (X (m x n_0), T (m x n_L), sizes (int64 [n_0, ..., n_L]), activation (int code),
            head (int code: output unit + loss), lam, denom)

``T`` holds the targets (one column, or one-hot rows for K classes); ``denom`` divides the
sum of the per-sample losses: m for ``mlp`` (a mean), 1 for ``xor-mlp`` (the classic sum).
Every instance of ``mlp`` has the same argument types, so a solver compiled for one serves all.
``xor-mlp`` takes the same arguments but has its 2-H-1 network written out (``xor_f`` ...):
on 4 points the general code's per-call set-up would dominate.

Each function allocates one work array per call (2 x the number of units: the stored
activations a and the backpropagated errors d), never per sample. Per sample the forward pass
stores a_0 = s_i, a_l = act(W_l a_{l-1} + b_l) and the logits z_L; the backward pass starts
from d_L = dloss/dz_L and reuses the stored a_l:
grad W_l += d_l a_{l-1}', grad b_l += d_l, d_{l-1} = act'(a_{l-1}) * (W_l' d_l), with act'
written in terms of the activation (sigma' = a (1 - a), tanh' = 1 - a^2, relu' = [a > 0]).

From ``BLAS_MIN_WORK`` samples x parameters in one call (every call but those over a few
samples of a tiny network), the same passes run layer by layer over all samples at once, the
products A_(l-1) W_l', D_l' A_(l-1) and D_l W_l by BLAS (np.dot): per-sample loops are
several times slower there. Both paths sit in the same compiled functions (one compilation
serves all). tanh is :func:`optbench.vecmath.tanh` (arithmetic only, within 3 ulp), so the
matrix path's loop of activations vectorizes; numba's ``math.tanh`` calls the C library for
each number and took more than half of a full-batch epoch.
"""

import math

import numpy as np

import optbench
from optbench import Oracle, Param, Problem, jit
from optbench.datasets import data_params, load_for
from optbench.errors import InvalidValueError
from optbench.vecmath import tanh

# hidden activations (args[3])
SIGMOID, TANH, RELU = 0, 1, 2
ACTIVATIONS = {"sigmoid": SIGMOID, "tanh": TANH, "relu": RELU}
# output unit + loss (args[4])
LINEAR_SQUARED, SIGMOID_SQUARED, SIGMOID_CE, SOFTMAX_CE = 0, 1, 2, 3
HEADS = {LINEAR_SQUARED: "linear output, squared error",
         SIGMOID_SQUARED: "sigmoid output, squared error",
         SIGMOID_CE: "sigmoid output, binary cross-entropy",
         SOFTMAX_CE: "softmax output, cross-entropy"}
LOSSES = ("squared", "cross-entropy")
INITS = ("auto", "glorot", "he")


# -- scalar pieces ---------------------------------------------------------------------------------
@jit(inline=True)
def _sigmoid(z):
    """1 / (1 + e^-z): e^-z overflows to inf for z < -709 and the result is 0, no NaN"""
    return 1.0 / (1.0 + math.exp(-z))


@jit(inline=True)
def _softplus(t):
    """log(1 + e^t) without overflow"""
    if t > 0.0:
        return t + math.log1p(math.exp(-t))
    return math.log1p(math.exp(t))


@jit(inline=True)
def _activate(kind, z):
    """act(z) for the hidden activation code ``kind``"""
    if kind == SIGMOID:
        return _sigmoid(z)
    if kind == TANH:
        return tanh(z)  # optbench's: a loop of them vectorizes, unlike math.tanh
    return z if z > 0.0 else 0.0


@jit(inline=True)
def _through(kind, back, a):
    """back * act'(z) written with the unit's output a = act(z) (relu'(0) taken as 0)"""
    if kind == SIGMOID:
        return back * a * (1.0 - a)
    if kind == TANH:
        return back * (1.0 - a * a)
    return back if a > 0.0 else 0.0


# -- one sample: forward pass, loss, backward pass -------------------------------------------------
@jit(inline=True)
def _forward(x, X, i, sizes, act, a):
    """a <- activations of sample i: a_0 = X[i], a_l = act(W_l a_{l-1} + b_l) for hidden
    layers, and the logits z_L = W_L a_{L-1} + b_L for the output layer (layers stored one
    after the other in a)."""
    for k in range(sizes[0]):
        a[k] = X[i, k]
    last = sizes.shape[0] - 1
    w = 0  # offset of W_l in x
    src = 0  # offset of layer l - 1 in a
    for layer in range(1, last + 1):
        nin = sizes[layer - 1]
        nout = sizes[layer]
        dst = src + nin
        b = w + nout * nin
        for j in range(nout):
            z = x[b + j]
            row = w + j * nin
            for k in range(nin):
                z += x[row + k] * a[src + k]
            a[dst + j] = z if layer == last else _activate(act, z)
        w = b + nout
        src = dst


@jit(inline=True)
def _head(head, a, d, o, T, i):
    """Loss of sample i from the logits a[o:o + K] (K = T.shape[1]); d[o:o + K] <- dloss/dz."""
    K = T.shape[1]
    loss = 0.0
    if head == SOFTMAX_CE:  # logsumexp(z) - sum_k t_k z_k, gradient softmax(z) - t
        zmax = -math.inf
        for k in range(K):
            zmax = max(zmax, a[o + k])
        total = 0.0
        for k in range(K):
            d[o + k] = math.exp(a[o + k] - zmax)
            total += d[o + k]
        lse = zmax + math.log(total)
        for k in range(K):
            loss += T[i, k] * (lse - a[o + k])
            d[o + k] = d[o + k] / total - T[i, k]
        return loss
    for k in range(K):
        z = a[o + k]
        t = T[i, k]
        if head == LINEAR_SQUARED:
            e = z - t
            loss += 0.5 * e * e
            d[o + k] = e
        elif head == SIGMOID_SQUARED:
            s = _sigmoid(z)
            e = s - t
            loss += 0.5 * e * e
            d[o + k] = e * s * (1.0 - s)
        else:  # SIGMOID_CE: -t log s - (1 - t) log(1 - s) from the logit
            loss += t * _softplus(-z) + (1.0 - t) * _softplus(z)
            d[o + k] = _sigmoid(z) - t
    return loss


@jit(inline=True)
def _backward(x, sizes, act, a, d, out):
    """out += dloss/dx of one sample, from d_L (in d, at the output layer's offset) and the
    activations a stored by the forward pass; d is overwritten layer by layer."""
    last = sizes.shape[0] - 1
    dst = 0  # offset of layer l in a and d
    for layer in range(last):
        dst += sizes[layer]
    end = x.shape[0]  # end of (W_l, b_l) in x
    for layer in range(last, 0, -1):
        nin = sizes[layer - 1]
        nout = sizes[layer]
        src = dst - nin
        b = end - nout
        w = b - nout * nin
        for j in range(nout):
            dj = d[dst + j]
            out[b + j] += dj
            row = w + j * nin
            for k in range(nin):
                out[row + k] += dj * a[src + k]
        if layer > 1:  # d_{l-1} = act'(a_{l-1}) * (W_l' d_l), W_l read row by row
            for k in range(nin):
                d[src + k] = 0.0
            for j in range(nout):
                dj = d[dst + j]
                row = w + j * nin
                for k in range(nin):
                    d[src + k] += x[row + k] * dj
            for k in range(nin):
                d[src + k] = _through(act, d[src + k], a[src + k])
        dst = src
        end = w


# -- many samples at once: layer by layer, products by BLAS ------------------------------------
BLAS_MIN_WORK = 256  # samples x parameters from which a call takes the matrix path (measured:
# below it, for a 2-4-1 or 3-6-3 network over about 4 samples, the loops are faster; above it
# the matrix path is, from 1.3x at 16 samples of 2-4-1 to 10x at 32 samples of 64-32-10)


@jit(inline=True)
def takes_matrix_path(samples, n):
    """True when a call over ``samples`` samples of a network of n parameters takes the
    matrix path (BLAS products), else per-sample loops"""
    return samples * n >= BLAS_MIN_WORK
_LOGITS = -1  # "activation" of the output layer in _add_bias_activate: none


@jit(inline=True)
def _add_bias_activate(Z, bias, kind):
    """Z[i, j] <- act(Z[i, j] + bias[j]), one loop per kind (a loop without branches or
    calls vectorizes)"""
    m, n = Z.shape
    if kind == TANH:
        for i in range(m):
            for j in range(n):
                Z[i, j] = tanh(Z[i, j] + bias[j])
    elif kind == SIGMOID:
        for i in range(m):
            for j in range(n):
                Z[i, j] = _sigmoid(Z[i, j] + bias[j])
    elif kind == RELU:
        for i in range(m):
            for j in range(n):
                z = Z[i, j] + bias[j]
                Z[i, j] = z if z > 0.0 else 0.0
    else:
        for i in range(m):
            for j in range(n):
                Z[i, j] += bias[j]


@jit
def _matrix_pass(x, X, T, sizes, act, head, out, want_grad):
    """sum_i loss_i over the rows of X with A_l = act(A_(l-1) W_l' + b_l) (rows: samples);
    with want_grad, out <- its gradient: grad W_l = D_l' A_(l-1), grad b_l = 1'D_l,
    D_(l-1) = act'(A_(l-1)) * (D_l W_l). Same arithmetic as the per-sample passes, in
    matrix products (np.dot: BLAS) instead of loops."""
    m = X.shape[0]
    last = sizes.shape[0] - 1
    units = 0  # units of layers 1..L, stored layer after layer, each an m x n_l block
    for layer in range(1, last + 1):
        units += sizes[layer]
    acts = np.empty(m * units)
    deltas = np.empty(m * units)
    prev = X
    w = 0
    at = 0
    for layer in range(1, last + 1):
        nin = sizes[layer - 1]
        nout = sizes[layer]
        b = w + nout * nin
        cur = acts[at * m:(at + nout) * m].reshape((m, nout))
        np.dot(prev, x[w:b].reshape((nout, nin)).T, cur)
        _add_bias_activate(cur, x[b:b + nout], _LOGITS if layer == last else act)
        prev = cur
        w = b + nout
        at += nout
    K = sizes[last]
    D = deltas[(units - K) * m:units * m].reshape((m, K))
    s = 0.0
    for i in range(m):
        s += _head(head, prev[i], D[i], 0, T, i)
    if want_grad:
        end = x.shape[0]
        at = units - K  # first unit of the current layer
        for layer in range(last, 0, -1):
            nin = sizes[layer - 1]
            nout = sizes[layer]
            b = end - nout
            w = b - nout * nin
            below = X if layer == 1 else acts[(at - nin) * m:at * m].reshape((m, nin))
            np.dot(D.T, below, out[w:b].reshape((nout, nin)))
            for j in range(nout):
                out[b + j] = 0.0
            for i in range(m):
                for j in range(nout):
                    out[b + j] += D[i, j]
            if layer > 1:
                back = deltas[(at - nin) * m:at * m].reshape((m, nin))
                np.dot(D, x[w:b].reshape((nout, nin)), back)
                for i in range(m):
                    for k in range(nin):
                        back[i, k] = _through(act, back[i, k], below[i, k])
                D = back
            end = w
            at -= nin
    return s


# -- the sums ----------------------------------------------------------------------------------
@jit(inline=True)
def _units(sizes):
    n = 0
    for layer in range(sizes.shape[0]):
        n += sizes[layer]
    return n


@jit(inline=True)
def _penalty(x, sizes):
    """1/2 sum_l ||W_l||_F^2 (the biases excluded)"""
    s = 0.0
    w = 0
    for layer in range(1, sizes.shape[0]):
        count = sizes[layer] * sizes[layer - 1]
        for j in range(w, w + count):
            s += x[j] * x[j]
        w += count + sizes[layer]
    return 0.5 * s


@jit(inline=True)
def _value(x, sizes, lam, s, n):
    """s / n + lam/2 sum_l ||W_l||^2"""
    if lam == 0.0:
        return s / n
    return s / n + lam * _penalty(x, sizes)


@jit(inline=True)
def _finish(x, sizes, lam, s, n, out):
    """out <- out / n + lam (W_l, 0 for b_l); returns s / n + lam/2 sum_l ||W_l||^2"""
    for j in range(out.shape[0]):
        out[j] = out[j] / n
    if lam != 0.0:
        w = 0
        for layer in range(1, sizes.shape[0]):
            count = sizes[layer] * sizes[layer - 1]
            for j in range(w, w + count):
                out[j] += lam * x[j]
            w += count + sizes[layer]
    return _value(x, sizes, lam, s, n)


@jit
def mlp_f(x, args):
    """1/denom sum_i loss_i + lam/2 sum_l ||W_l||^2 (forward passes only)"""
    X, T, sizes, act, head, lam, denom = args
    if takes_matrix_path(X.shape[0], x.shape[0]):
        s = _matrix_pass(x, X, T, sizes, act, head, np.empty(0), False)
        return _value(x, sizes, lam, s, denom)
    U = _units(sizes)
    work = np.empty(2 * U)
    a = work[:U]
    d = work[U:]
    o = U - sizes[sizes.shape[0] - 1]
    s = 0.0
    for i in range(X.shape[0]):
        _forward(x, X, i, sizes, act, a)
        s += _head(head, a, d, o, T, i)
    return _value(x, sizes, lam, s, denom)


@jit
def mlp_fg(x, args, out):
    """f(x), its gradient into out: a forward and a backward pass per sample (matrix products
    from BLAS_MIN_WORK samples x parameters on)"""
    X, T, sizes, act, head, lam, denom = args
    if takes_matrix_path(X.shape[0], x.shape[0]):
        s = _matrix_pass(x, X, T, sizes, act, head, out, True)
        return _finish(x, sizes, lam, s, denom, out)
    U = _units(sizes)
    work = np.empty(2 * U)
    a = work[:U]
    d = work[U:]
    o = U - sizes[sizes.shape[0] - 1]
    for j in range(out.shape[0]):
        out[j] = 0.0
    s = 0.0
    for i in range(X.shape[0]):
        _forward(x, X, i, sizes, act, a)
        s += _head(head, a, d, o, T, i)
        _backward(x, sizes, act, a, d, out)
    return _finish(x, sizes, lam, s, denom, out)


@jit
def mlp_grad(x, args, out):
    mlp_fg(x, args, out)


@jit
def mlp_batch(x, args, idx, out):
    """Mean over i in idx of f_i = (m / denom) loss_i + lam/2 sum_l ||W_l||^2, whose mean
    over all m samples is f; its mean gradient into out."""
    X, T, sizes, act, head, lam, denom = args
    # (|idx| denom) / m is exactly denom when idx holds all m samples: batch = f, bit for bit
    scale = idx.shape[0] * denom / X.shape[0]
    if takes_matrix_path(idx.shape[0], x.shape[0]):  # rows gathered: the path of f and fg
        Xb = np.empty((idx.shape[0], X.shape[1]))
        Tb = np.empty((idx.shape[0], T.shape[1]))
        for r in range(idx.shape[0]):
            for k in range(X.shape[1]):
                Xb[r, k] = X[idx[r], k]
            for k in range(T.shape[1]):
                Tb[r, k] = T[idx[r], k]
        s = _matrix_pass(x, Xb, Tb, sizes, act, head, out, True)
        return _finish(x, sizes, lam, s, scale, out)
    U = _units(sizes)
    work = np.empty(2 * U)
    a = work[:U]
    d = work[U:]
    o = U - sizes[sizes.shape[0] - 1]
    for j in range(out.shape[0]):
        out[j] = 0.0
    s = 0.0
    for i in idx:
        _forward(x, X, i, sizes, act, a)
        s += _head(head, a, d, o, T, i)
        _backward(x, sizes, act, a, d, out)
    return _finish(x, sizes, lam, s, scale, out)


# -- Python side -------------------------------------------------------------------------------
def parameter_count(sizes) -> int:
    """Length of x: sum_l n_l (n_{l-1} + 1)."""
    return int(sum(sizes[k] * (sizes[k - 1] + 1) for k in range(1, len(sizes))))


def layout(sizes) -> str:
    """The layout of x in words, e.g. 'W1 (8 x 2) [0:16], b1 (8) [16:24], ...'."""
    parts, at = [], 0
    for k in range(1, len(sizes)):
        w, b = sizes[k] * sizes[k - 1], sizes[k]
        parts.append(f"W{k} ({sizes[k]} x {sizes[k - 1]}) [{at}:{at + w}]")
        parts.append(f"b{k} ({b}) [{at + w}:{at + w + b}]")
        at += w + b
    return ", ".join(parts)


def parse_hidden(text) -> tuple[int, ...]:
    """'16,8' -> (16, 8); '' or 'none' -> () (no hidden layer: a linear or logistic model)."""
    spec = str(text).strip().lower()
    if spec in ("", "none"):
        return ()
    try:
        sizes = tuple(int(part) for part in spec.replace(" ", "").split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise InvalidValueError(f"parameter 'hidden' of mlp must be hidden layer sizes >= 1 "
                                f"separated by commas (e.g. '8' or '16,8'), or 'none'; got "
                                f"{text!r}.")
    return sizes


def init_weights(sizes, rule: str, rng) -> np.ndarray:
    """Weights W_l ~ N(0, s_l^2) with s_l = sqrt(2 / (n_{l-1} + n_l)) (Glorot) or
    sqrt(2 / n_{l-1}) (He), biases 0, in the layout of x."""
    parts = []
    for k in range(1, len(sizes)):
        fan_in, fan_out = sizes[k - 1], sizes[k]
        std = np.sqrt(2.0 / (fan_in + fan_out)) if rule == "glorot" else np.sqrt(2.0 / fan_in)
        parts.append(std * rng.standard_normal(fan_out * fan_in))
        parts.append(np.zeros(fan_out))
    return np.concatenate(parts)


def make_oracle(X, T, sizes, activation: int, head: int, lam: float, denom: float) -> Oracle:
    """The compiled oracle of a network (argument types fixed: one compilation for all)."""
    args = (np.ascontiguousarray(X, dtype=np.float64),
            np.ascontiguousarray(T, dtype=np.float64).reshape(len(X), -1),
            np.ascontiguousarray(sizes, dtype=np.int64), int(activation), int(head),
            float(lam), float(denom))
    if args[1].shape[1] != args[2][-1] or args[0].shape[1] != args[2][0]:
        raise ValueError(f"sizes {args[2].tolist()} do not fit X {args[0].shape} and T "
                         f"{args[1].shape}")
    return Oracle(mlp_f, mlp_grad, mlp_fg, None, args, batch=mlp_batch)


def _targets(ds, loss: str):
    """(T, head): the target matrix and the output unit + loss for the data's task."""
    if ds.task == "regression":
        if loss != "squared":
            raise InvalidValueError(f"cross-entropy needs class labels, and {ds.name!r} has "
                                    "a regression target; use loss=squared (option loss=) or "
                                    "another dataset (option --data).")
        return ds.y[:, None].copy(), LINEAR_SQUARED
    if ds.task == "binary":
        T = ds.y[:, None].copy()  # {0, 1}: classes[1] is 1
        return T, SIGMOID_SQUARED if loss == "squared" else SIGMOID_CE
    T = np.zeros((ds.samples, len(ds.classes)))
    T[np.arange(ds.samples), ds.y.astype(np.int64)] = 1.0
    return T, SIGMOID_SQUARED if loss == "squared" else SOFTMAX_CE


def _formula(sizes, activation: str, head: int, denom: str) -> str:
    L = len(sizes) - 1
    hidden = (f"a_l = {activation}(W_l a_(l-1) + b_l) for l < {L}, " if L > 1 else "")
    loss = {LINEAR_SQUARED: "1/2 (z_i - y_i)^2",
            SIGMOID_SQUARED: "1/2 ||sigma(z_i) - t_i||^2",
            SIGMOID_CE: "-t_i log sigma(z_i) - (1 - t_i) log(1 - sigma(z_i))",
            SOFTMAX_CE: "-sum_k t_ik log softmax(z_i)_k"}[head]
    return (f"f(x) = {denom} sum_i {loss} + lam/2 sum_l ||W_l||^2; a_0 = s_i, {hidden}"
            f"z_i = W_{L} a_{L - 1} + b_{L}; sizes {'-'.join(map(str, sizes))}")


REFERENCE = ("Rumelhart, Hinton & Williams, Learning representations by back-propagating "
             "errors, Nature 323 (1986) 533-536; course notes, backpropagation")


@optbench.register_problem(
    "mlp",
    params=(*data_params("moons"),
            Param("hidden", "8", str, "hidden layer sizes, comma-separated ('16,8'), or "
                  "'none'"),
            Param("activation", "tanh", str, "hidden units", choices=tuple(ACTIVATIONS)),
            Param("loss", "cross-entropy", str, "squared error (sigmoid output for classes, "
                  "linear for regression) or cross-entropy (sigmoid / softmax output)",
                  choices=LOSSES),
            Param("lam", 0.0, float, "L2 coefficient on the weights (not the biases)",
                  low=0.0),
            Param("init", "auto", str, "initial weights: glorot N(0, 2/(fan_in + fan_out)), "
                  "he N(0, 2/fan_in), auto = he for relu, else glorot; biases 0",
                  choices=INITS),
            Param("seed", 0, int, "seed of the generated data and of the initial weights",
                  low=0)),
    summary="multilayer perceptron on a dataset (any layer sizes), mean loss, backpropagation",
)
def mlp(hidden, activation, loss, lam, init, seed, **data):
    layers = parse_hidden(hidden)
    ds = load_for({**data, "seed": seed}, task=None, labels="01")
    T, head = _targets(ds, loss)
    sizes = (ds.features, *layers, T.shape[1])
    rule = ("he" if activation == "relu" else "glorot") if init == "auto" else init
    # the weights' stream differs from the data's (default_rng(seed)) for the same seed
    x0 = init_weights(sizes, rule, np.random.default_rng([seed, 1]))
    m = ds.samples
    oracle = make_oracle(ds.X, T, sizes, ACTIVATIONS[activation], head, lam, m)
    return Problem(
        name="mlp", family="mlp", oracle=oracle, x0=x0,
        formula=_formula(sizes, activation, head, "1/m"),
        reference=REFERENCE + "; initialization: Glorot & Bengio, AISTATS (2010), He et al., "
                  "ICCV (2015)",
        f_star=None, convex=False, smooth=activation != "relu", samples=m,
        notes=f"non-convex, f* unknown; {HEADS[head]}; {ds.describe()}; x = {layout(sizes)} "
              f"(W_l row-major, row j = weights into unit j); {rule} initialization; "
              "finite sum of f_i = loss_i + lam/2 sum_l ||W_l||^2",
        extra={"sizes": sizes, "layout": layout(sizes), "activation": activation,
               "head": HEADS[head], "init": rule, "dataset": ds.describe(),
               "task": ds.task, "classes": ds.classes, "targets": T, "labels": ds.y},
    )


# -- the XOR network 2-H-1 written out: no work array, no loop over layers --------------------
# x = W1 (H x 2, row-major) [0:2H], b1 [2H:3H], w2 [3H:4H], b2 [4H]; the same layout, values and
# argument types as the general network above (tests/test_mlp.py checks they agree), 3-4x faster
# per step on 4 points, where the general code's per-call set-up dominates.
@jit(inline=True)
def _xor_point(x, H, p0, p1, t, a, out, want_grad):
    """1/2 (o - t)^2 for one point, o = sigma(w2 . sigma(W1 p + b1) + b2), the hidden
    activations into a; with want_grad its gradient is added to out"""
    z = x[4 * H]
    for j in range(H):
        a[j] = _sigmoid(x[2 * j] * p0 + x[2 * j + 1] * p1 + x[2 * H + j])
        z += x[3 * H + j] * a[j]
    o = _sigmoid(z)
    e = o - t
    if want_grad:
        do = e * o * (1.0 - o)
        out[4 * H] += do
        for j in range(H):
            out[3 * H + j] += do * a[j]
            dh = do * x[3 * H + j] * a[j] * (1.0 - a[j])
            out[2 * j] += dh * p0
            out[2 * j + 1] += dh * p1
            out[2 * H + j] += dh
    return 0.5 * e * e


@jit
def xor_f(x, args):
    """1/denom sum_i 1/2 (o_i - t_i)^2 over the 4 XOR points"""
    P, T, sizes, denom = args[0], args[1], args[2], args[6]
    a = np.empty(sizes[1])
    s = 0.0
    for i in range(P.shape[0]):
        s += _xor_point(x, sizes[1], P[i, 0], P[i, 1], T[i, 0], a, x, False)
    return s / denom


@jit
def xor_fg(x, args, out):
    """f(x), and its gradient into out by backpropagation, point by point"""
    P, T, sizes, denom = args[0], args[1], args[2], args[6]
    a = np.empty(sizes[1])
    for j in range(out.shape[0]):
        out[j] = 0.0
    s = 0.0
    for i in range(P.shape[0]):
        s += _xor_point(x, sizes[1], P[i, 0], P[i, 1], T[i, 0], a, out, True)
    for j in range(out.shape[0]):
        out[j] /= denom
    return s / denom


@jit
def xor_grad(x, args, out):
    xor_fg(x, args, out)


@jit
def xor_batch(x, args, idx, out):
    """Mean over i in idx of f_i = (m / denom) loss_i, and its gradient into out"""
    P, T, sizes, denom = args[0], args[1], args[2], args[6]
    a = np.empty(sizes[1])
    scale = idx.shape[0] * denom / P.shape[0]
    for j in range(out.shape[0]):
        out[j] = 0.0
    s = 0.0
    for i in idx:
        s += _xor_point(x, sizes[1], P[i, 0], P[i, 1], T[i, 0], a, out, True)
    for j in range(out.shape[0]):
        out[j] /= scale
    return s / scale


XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([0.0, 1.0, 1.0, 0.0])


@optbench.register_problem(
    "xor-mlp",
    params=(Param("hidden", 2, int, "hidden units H (2: the classic 2-2-1 network)", low=1),
            Param("seed", 0, int, "seed of the initial weights (standard normal)", low=0)),
    summary="XOR on a 2-H-1 sigmoid network, squared error, backpropagation",
)
def xor_mlp(hidden, seed):
    """The ``mlp`` network 2-H-1 with sigmoid units and squared error on the 4 XOR points
    (inputs in {0, 1}), summed (denom = 1) rather than averaged, without penalty."""
    P, T = XOR_INPUTS.copy(), XOR_TARGETS.copy()
    sizes = (2, hidden, 1)
    x0 = np.random.default_rng(seed).standard_normal(parameter_count(sizes))
    general = make_oracle(P, T, sizes, SIGMOID, SIGMOID_SQUARED, 0.0, 1.0)
    return Problem(
        name="xor-mlp", family="mlp",
        oracle=general._replace(f=xor_f, grad=xor_grad, fg=xor_fg, batch=xor_batch),
        x0=x0,
        formula="f(x) = 1/2 sum_i (sigma(w2 . sigma(W1 p_i + b1) + b2) - t_i)^2 on XOR",
        reference=REFERENCE,
        f_star=0.0, samples=P.shape[0],
        notes="non-convex; f* = 0 is the infimum (approached, never reached: sigmoid outputs "
              "lie strictly in (0, 1)); some starts end in a local minimum or a plateau; "
              "finite sum of f_i = 4/2 (output_i - t_i)^2 over the 4 points; the mlp network "
              "2-H-1 (sigmoid, squared error) summed instead of averaged",
        extra={"inputs": P, "targets": T, "layout": "W1 (H x 2), b1 (H), w2 (H), b2",
               "sizes": sizes},
    )
