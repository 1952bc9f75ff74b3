"""Adaptive stochastic methods in plain NumPy, transcribed from their papers: Adam (Kingma & Ba
2015, algorithm 1; AMSGrad: Reddi, Kale & Kumar 2018; decoupled weight decay: Loshchilov &
Hutter 2019, algorithm 2), AdaGrad (Duchi, Hazan & Singer 2011), RMSProp (Tieleman & Hinton
2012, lecture 6.5); mini-batch gradients of least squares and logistic regression; and the
epochs of shuffled mini-batches that optbench's stochastic solvers walk through.

Shuffling: the compiled solvers call numba's ``np.random.seed(seed)`` once, then
``np.random.shuffle(order)`` at each epoch's start. Numba implements NumPy's legacy Mersenne
Twister and its shuffle (Fisher-Yates drawing bounded integers the same way), so
``np.random.RandomState(seed).shuffle`` gives the same orders (checked in
tests/test_adaptive.py for several seeds and sizes).
"""

import numpy as np


def epoch_orders(seed, m):
    """The orders of the samples, one per epoch, as the compiled solvers shuffle them."""
    rs = np.random.RandomState(seed)
    order = np.arange(m)
    while True:
        rs.shuffle(order)
        yield order.copy()


def lsq_batch_grad(A, y):
    """Mean gradient over rows idx of f_i = m/2 (a_i.x - y_i)^2 (so 1/m sum f_i = 1/2|Ax-y|^2)."""
    m = A.shape[0]

    def grad(x, idx):
        Ab = A[idx]
        return m / len(idx) * (Ab.T @ (Ab @ x - y[idx]))

    return grad


def logistic_batch_grad(X, y, lam):
    """Mean gradient over idx of f_i = log(1 + exp(-y_i (w.x_i + b))) + lam/2 |(w, b)|^2."""
    X1 = np.column_stack([X, np.ones(X.shape[0])])

    def grad(x, idx):
        Xb, yb = X1[idx], y[idx]
        z = yb * (Xb @ x)
        weight = -yb / (1.0 + np.exp(z))  # -y_i sigma(-y_i z_i)
        return Xb.T @ weight / len(idx) + lam * x

    return grad


# -- the published updates: state dict, t = steps taken (this one included) ----------------------
def adam(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False):
    """Kingma & Ba algorithm 1 (+ AMSGrad's max of v, + decoupled decay (eta/lr) wd x)."""

    def update(x, g, state, t, eta, multiplier):
        m = state.setdefault("m", np.zeros_like(x))
        v = state.setdefault("v", np.zeros_like(x))
        m[:] = beta1 * m + (1 - beta1) * g
        v[:] = beta2 * v + (1 - beta2) * g * g
        second = v
        if amsgrad:
            v_max = state.setdefault("v_max", np.zeros_like(x))
            np.maximum(v_max, v, out=v_max)
            second = v_max
        m_hat = m / (1 - beta1 ** t)
        v_hat = second / (1 - beta2 ** t)
        return x - multiplier * weight_decay * x - eta * m_hat / (np.sqrt(v_hat) + eps)

    return update


def adagrad(eps=1e-10):
    """Duchi, Hazan & Singer, diagonal: s <- s + g^2, x <- x - eta g / (sqrt(s) + eps)."""

    def update(x, g, state, t, eta, multiplier):
        s = state.setdefault("s", np.zeros_like(x))
        s += g * g
        return x - eta * g / (np.sqrt(s) + eps)

    return update


def rmsprop(beta2=0.9, eps=1e-8):
    """Tieleman & Hinton: v <- beta2 v + (1 - beta2) g^2, x <- x - eta g / (sqrt(v) + eps)."""

    def update(x, g, state, t, eta, multiplier):
        v = state.setdefault("v", np.zeros_like(x))
        v[:] = beta2 * v + (1 - beta2) * g * g
        return x - eta * g / (np.sqrt(v) + eps)

    return update


def run(update, batch_grad, x0, m, batch_size, lr, decay_power, seed, epochs):
    """Every iterate (x0 first, then one per mini-batch step) of ``update`` walking through
    ``epochs`` shuffled epochs in batches of ``batch_size`` (the last one shorter), with rate
    lr / (e + 1)^decay_power in epoch e; returns an array (steps + 1, n)."""
    x = np.array(x0, dtype=float)
    xs, state, t = [x.copy()], {}, 0
    orders = epoch_orders(seed, m)
    for e in range(epochs):
        order = next(orders)
        multiplier = 1.0 / (e + 1.0) ** decay_power
        eta = lr * multiplier
        for start in range(0, m, batch_size):
            t += 1
            x = update(x, batch_grad(x, order[start:start + batch_size]), state, t, eta,
                       multiplier)
            xs.append(x.copy())
    return np.array(xs)
