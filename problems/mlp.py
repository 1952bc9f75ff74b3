"""The XOR problem on a 2-H-1 sigmoid network (H = 2: the classic 2-2-1), squared error."""

import math

import numpy as np

import optbench
from optbench import Oracle, Param, Problem, jit


@jit
def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


@jit
def xor_fg(x, args, out):
    """Forward pass per sample, then backpropagation of the squared error.

    x = [W1 (H x 2, row-major), b1 (H), w2 (H), b2]; loss 1/2 sum_i (sigma(w2.a_i + b2) - t_i)^2
    with a_i = sigma(W1 p_i + b1)."""
    P, T, H = args
    nin = P.shape[1]
    b1 = H * nin
    w2 = b1 + H
    b2 = w2 + H
    for j in range(out.shape[0]):
        out[j] = 0.0
    a = np.empty(H)
    loss = 0.0
    for i in range(P.shape[0]):
        z2 = x[b2]
        for h in range(H):
            z = x[b1 + h]
            for k in range(nin):
                z += x[h * nin + k] * P[i, k]
            a[h] = _sigmoid(z)
            z2 += x[w2 + h] * a[h]
        o = _sigmoid(z2)
        e = o - T[i]
        loss += 0.5 * e * e
        d2 = e * o * (1.0 - o)  # dL/dz2
        out[b2] += d2
        for h in range(H):
            out[w2 + h] += d2 * a[h]
            d1 = d2 * x[w2 + h] * a[h] * (1.0 - a[h])  # dL/dz1_h
            out[b1 + h] += d1
            for k in range(nin):
                out[h * nin + k] += d1 * P[i, k]
    return loss


@jit
def xor_f(x, args):
    P, T, H = args
    nin = P.shape[1]
    b1 = H * nin
    w2 = b1 + H
    b2 = w2 + H
    loss = 0.0
    for i in range(P.shape[0]):
        z2 = x[b2]
        for h in range(H):
            z = x[b1 + h]
            for k in range(nin):
                z += x[h * nin + k] * P[i, k]
            z2 += x[w2 + h] * _sigmoid(z)
        e = _sigmoid(z2) - T[i]
        loss += 0.5 * e * e
    return loss


@jit
def xor_grad(x, args, out):
    xor_fg(x, args, out)


@jit
def xor_batch(x, args, idx, out):
    """Mean of f_i = m/2 (sigma(...) - t_i)^2 over the samples idx (m = 4 points, so that
    1/m sum_i f_i = f), its mean gradient into out; no temporaries (hidden activations are
    computed again for the backward pass)."""
    P, T, H = args
    m, nin = P.shape
    b1 = H * nin
    w2 = b1 + H
    b2 = w2 + H
    for j in range(out.shape[0]):
        out[j] = 0.0
    loss = 0.0
    for i in idx:
        z2 = x[b2]
        for h in range(H):
            z = x[b1 + h]
            for k in range(nin):
                z += x[h * nin + k] * P[i, k]
            z2 += x[w2 + h] * _sigmoid(z)
        o = _sigmoid(z2)
        e = o - T[i]
        loss += 0.5 * e * e
        d2 = e * o * (1.0 - o)
        out[b2] += d2
        for h in range(H):
            z = x[b1 + h]
            for k in range(nin):
                z += x[h * nin + k] * P[i, k]
            a = _sigmoid(z)
            out[w2 + h] += d2 * a
            d1 = d2 * x[w2 + h] * a * (1.0 - a)
            out[b1 + h] += d1
            for k in range(nin):
                out[h * nin + k] += d1 * P[i, k]
    scale = m / idx.shape[0]
    for j in range(out.shape[0]):
        out[j] *= scale
    return scale * loss


@optbench.register_problem(
    "xor-mlp",
    params=(Param("hidden", 2, int, "hidden units H (2: the classic 2-2-1 network)", low=1),
            Param("seed", 0, int, "seed of the initial weights (standard normal)", low=0)),
    summary="XOR on a 2-H-1 sigmoid network, squared error, backpropagation",
)
def xor_mlp(hidden, seed):
    P = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    T = np.array([0.0, 1.0, 1.0, 0.0])
    dim = hidden * 2 + hidden + hidden + 1
    x0 = np.random.default_rng(seed).standard_normal(dim)
    return Problem(
        name="xor-mlp", family="mlp", oracle=Oracle(xor_f, xor_grad, xor_fg, None,
                                                    (P, T, hidden), batch=xor_batch),
        x0=x0,
        formula="f(x) = 1/2 sum_i (sigma(w2 . sigma(W1 p_i + b1) + b2) - t_i)^2 on XOR",
        reference="Rumelhart, Hinton & Williams, Nature 323 (1986); course notes, "
                  "backpropagation",
        f_star=0.0, samples=P.shape[0],
        notes="non-convex; f* = 0 is the infimum (approached, never reached: sigmoid outputs "
              "lie strictly in (0, 1)); some starts end in a local minimum or a plateau; "
              "finite sum of f_i = 4/2 (output_i - t_i)^2 over the 4 points",
        extra={"inputs": P, "targets": T, "layout": "W1 (H x 2), b1 (H), w2 (H), b2"},
    )
