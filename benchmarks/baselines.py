"""The code a user would write instead of optbench, for ``benchmarks/compare.py``.

Each baseline does the same arithmetic as the optbench run it is compared with (same problem,
same start, same step), written the way its tool is normally used: a hand-written scalar
``@numba.njit`` loop, plain Python, NumPy array expressions in a Python loop, scipy.optimize,
PyTorch with autograd, JAX with ``jit(value_and_grad)``. PyTorch and JAX are imported only by
the functions that use them (they are optional; see :func:`optional`).

No name here starts with ``time_``/``track_``: asv imports every module of ``benchmarks/``.
"""

from __future__ import annotations

import importlib
import math

import numba
import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.special

import optbench
from optbench.kernels import THREADED_MIN


def print_machine() -> None:
    """Print the CPU, the library versions and numba's thread settings (the facts every
    benchmark's figures depend on)."""
    import os
    import platform

    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}, {os.cpu_count()} cores; python {platform.python_version()}, "
          f"numpy {np.__version__}, numba {numba.__version__}")
    print(f"numba: NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}, threading layer "
          f"{numba.config.THREADING_LAYER!r}")


def same_path_problem(problem: str, m: int, n: int, **params):
    """A small instance of ``problem`` with the compiled functions its builder picks at size
    m x n (the threaded ones from ``THREADED_MIN`` entries on, unless ``parallel=False``):
    its oracle takes m x n data without building (and solving) the problem at that size."""
    threaded = m * n >= THREADED_MIN
    samples, dim = (THREADED_MIN // 64, 64) if threaded else (40, 4)
    return optbench.make_problem(problem, samples=samples, dim=dim, **params)


def optional(name: str):
    """The module ``name`` if it can be imported, else None (PyTorch, JAX)."""
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - any import failure means: not available here
        return None


# == 1. gradient descent on a 2-D quadratic 1/2 x'Ax - b'x ======================================
def python_quadratic_gd(A, b, x0, step, iters):
    """Pure Python floats; returns (x1, x2)."""
    (a11, a12), (a21, a22) = A.tolist()
    b1, b2 = b.tolist()
    x1, x2 = float(x0[0]), float(x0[1])
    for _ in range(iters):
        g1 = a11 * x1 + a12 * x2 - b1
        g2 = a21 * x1 + a22 * x2 - b2
        x1 -= step * g1
        x2 -= step * g2
    return x1, x2


def numpy_quadratic_gd(A, b, x0, step, iters):
    """NumPy array expressions in a Python loop."""
    x = x0.copy()
    for _ in range(iters):
        x -= step * (A @ x - b)
    return x


def scipy_bfgs(A, b, x0):
    """scipy.optimize.minimize(method='BFGS') with the exact gradient; returns its result."""
    def fun(x):
        return 0.5 * x @ (A @ x) - b @ x

    def jac(x):
        return A @ x - b

    return scipy.optimize.minimize(fun, x0, jac=jac, method="BFGS",
                                   options={"gtol": 1e-12, "maxiter": 10_000})


# == 2. gradient descent on least squares 1/2 ||Ax - y||^2 ========================================
def numpy_lsq_gd(A, y, x0, step, iters):
    """x <- x - step A'(Ax - y): two BLAS matrix-vector products per iteration."""
    x = x0.copy()
    for _ in range(iters):
        x -= step * (A.T @ (A @ x - y))
    return x


# == 3a. XOR on the 2-2-1 sigmoid network (optbench's layout: W1 (2x2), b1 (2), w2 (2), b2) =====
@numba.njit(cache=True)
def _sig(t):
    return 1.0 / (1.0 + math.exp(-t))


@numba.njit(cache=True)
def njit_xor_gd(x0, P, T, eta, iters):
    """Hand-written GD on the summed squared error, every unit a scalar; returns x."""
    w = x0.copy()
    g = np.empty(9)
    for _ in range(iters):
        for j in range(9):
            g[j] = 0.0
        for i in range(4):
            p0 = P[i, 0]
            p1 = P[i, 1]
            h0 = _sig(w[0] * p0 + w[1] * p1 + w[4])
            h1 = _sig(w[2] * p0 + w[3] * p1 + w[5])
            o = _sig(w[6] * h0 + w[7] * h1 + w[8])
            do = (o - T[i]) * o * (1.0 - o)
            g[6] += do * h0
            g[7] += do * h1
            g[8] += do
            d0 = do * w[6] * h0 * (1.0 - h0)
            d1 = do * w[7] * h1 * (1.0 - h1)
            g[0] += d0 * p0
            g[1] += d0 * p1
            g[4] += d0
            g[2] += d1 * p0
            g[3] += d1 * p1
            g[5] += d1
        for j in range(9):
            w[j] -= eta * g[j]
    return w


def _xor_parts(x):
    return x[0:4].reshape(2, 2), x[4:6], x[6:8], x[8]


def numpy_xor_gd(x0, P, T, eta, iters):
    """Vectorized NumPy backpropagation over the 4 points, one step per Python iteration."""
    x = x0.copy()
    for _ in range(iters):
        W1, b1, w2, b2 = _xor_parts(x)
        H = 1.0 / (1.0 + np.exp(-(P @ W1.T + b1)))
        o = 1.0 / (1.0 + np.exp(-(H @ w2 + b2)))
        do = (o - T) * o * (1.0 - o)
        dH = np.outer(do, w2) * H * (1.0 - H)
        g = np.concatenate([(dH.T @ P).ravel(), dH.sum(0), H.T @ do, [do.sum()]])
        x -= eta * g
    return x


def torch_xor_step(torch, x0, P, T, eta):
    """A function doing one autograd GD step of the 2-2-1 network in PyTorch (float64)."""
    W1, b1, w2, b2 = (torch.tensor(np.asarray(a, dtype=np.float64).copy(), requires_grad=True)
                      for a in _xor_parts(x0))
    Pt, Tt = torch.tensor(P), torch.tensor(T)
    params = (W1, b1, w2, b2)

    def step():
        H = torch.sigmoid(Pt @ W1.T + b1)
        o = torch.sigmoid(H @ w2 + b2)
        loss = 0.5 * ((o - Tt) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= eta * p.grad
                p.grad = None
        return loss

    return step, params


# == 3b. a 64-32-10 tanh network, softmax cross-entropy, full batch ================================
def unpack_mlp(x, sizes):
    """[(W_l (n_l x n_(l-1)), b_l)] views of optbench's layout."""
    layers, at = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        W = x[at:at + n_out * n_in].reshape(n_out, n_in)
        at += n_out * n_in
        layers.append((W, x[at:at + n_out]))
        at += n_out
    return layers


def numpy_mlp_gradient(x, G, X, T, sizes, loss=False):
    """The gradient of the mean softmax cross-entropy of a tanh MLP (optbench's layout) into
    G, by BLAS products; the loss too when ``loss`` (else None)."""
    layers, grads = unpack_mlp(x, sizes), unpack_mlp(G, sizes)
    acts = [X]
    for W, b in layers[:-1]:
        acts.append(np.tanh(acts[-1] @ W.T + b))
    W, b = layers[-1]
    Z = acts[-1] @ W.T + b
    Z -= Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    S = E.sum(axis=1, keepdims=True)
    value = float(np.mean(np.log(S[:, 0]) - (T * Z).sum(axis=1))) if loss else None
    D = (E / S - T) / X.shape[0]
    for (W, _), (gW, gb), A in zip(reversed(layers), reversed(grads), reversed(acts),
                                   strict=True):
        np.matmul(D.T, A, out=gW)
        D.sum(axis=0, out=gb)
        if A is not X:
            D = (D @ W) * (1.0 - A * A)
    return value


def numpy_mlp_epoch(x, X, T, sizes, eta):
    """One full-batch GD epoch in place on x: tanh hidden layers, softmax + mean CE."""
    G = np.empty_like(x)
    numpy_mlp_gradient(x, G, X, T, sizes)
    x -= eta * G
    return x


def torch_mlp_epoch(torch, x0, X, T, sizes, eta):
    """A function doing one full-batch autograd GD epoch in PyTorch (float64)."""
    params = []
    for W, b in unpack_mlp(x0.copy(), sizes):
        params += [torch.tensor(W.copy(), requires_grad=True),
                   torch.tensor(b.copy(), requires_grad=True)]
    Xt = torch.tensor(X)
    labels = torch.tensor(T.argmax(axis=1))

    def epoch():
        a = Xt
        for k in range(0, len(params) - 2, 2):
            a = torch.tanh(a @ params[k].T + params[k + 1])
        Z = a @ params[-2].T + params[-1]
        loss = torch.nn.functional.cross_entropy(Z, labels)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= eta * p.grad
                p.grad = None
        return loss

    return epoch


def jax_mlp_epoch(jax, x0, X, T, sizes, eta):
    """A jitted JAX function params -> params doing one full-batch GD epoch (float64),
    and its initial params."""
    jnp = jax.numpy
    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in unpack_mlp(x0.copy(), sizes)]
    Xj, Tj = jnp.asarray(X), jnp.asarray(T)

    def loss(params):
        a = Xj
        for W, b in params[:-1]:
            a = jnp.tanh(a @ W.T + b)
        W, b = params[-1]
        Z = a @ W.T + b
        return jnp.mean(jax.nn.logsumexp(Z, axis=1) - jnp.sum(Tj * Z, axis=1))

    @jax.jit
    def epoch(params):
        grads = jax.grad(loss)(params)
        return jax.tree_util.tree_map(lambda p, g: p - eta * g, params, grads)

    return epoch, params


# == 4. Newton's method on L2-regularized logistic regression ====================================
def numpy_newton_logistic(X1, y, lam, x0, iters):
    """x <- x - H^-1 g with H = 1/m X1' S X1 + lam I formed as (sqrt(S) X1)'(sqrt(S) X1)
    (NumPy's symmetric product) and solved by Cholesky (SciPy); X1 = (X, 1), y in {-1, +1}."""
    m, n = X1.shape
    x = x0.copy()
    for _ in range(iters):
        z = X1 @ x
        p = scipy.special.expit(-y * z)             # sigma(-y z)
        g = X1.T @ (-y * p) / m + lam * x
        s = p * (1.0 - p)                           # sigma(z) sigma(-z)
        B = X1 * np.sqrt(s)[:, None]
        H = B.T @ B
        H /= m
        H.flat[::n + 1] += lam
        x -= scipy.linalg.cho_solve(scipy.linalg.cho_factor(H, lower=True), g)
    return x


# == 6. first-order methods on least squares and logistic regression, at any size ================
def numpy_lsq_grad(A, y, x):
    """A'(Ax - y): two BLAS matrix-vector products."""
    return A.T @ (A @ x - y)


def numpy_lsq_fg(A, y, x):
    """(1/2 ||Ax - y||^2, A'(Ax - y))"""
    r = A @ x - y
    return 0.5 * r @ r, A.T @ r


def numpy_logistic_grad(X1, y, lam, x):
    """gradient of 1/m sum_i log(1 + exp(-y_i x_i1.x)) + lam/2 ||x||^2, X1 = (X, 1)"""
    return X1.T @ (-y * scipy.special.expit(-y * (X1 @ x))) / X1.shape[0] + lam * x


def numpy_logistic_fg(X1, y, lam, x):
    """(f, gradient) of the L2-regularized logistic loss, X1 = (X, 1), y in {-1, +1}"""
    t = -y * (X1 @ x)
    f = np.mean(np.logaddexp(0.0, t)) + 0.5 * lam * x @ x
    return f, X1.T @ (-y * scipy.special.expit(t)) / X1.shape[0] + lam * x


def numpy_gd(grad, x0, step, iters):
    """x <- x - step grad(x), in a Python loop."""
    x = x0.copy()
    for _ in range(iters):
        x -= step * grad(x)
    return x


def numpy_nesterov(grad, x0, step, iters):
    """y = x_k + (k - 1)/(k + 2) (x_k - x_{k-1}); x_{k+1} = y - step grad(y)."""
    x = x0.copy()
    prev = x.copy()
    for k in range(iters):
        y = x + (k - 1) / (k + 2) * (x - prev) if k else x
        prev = x
        x = y - step * grad(y)
    return x


def scipy_lbfgs(fg, x0, iters):
    """scipy.optimize.minimize(method='L-BFGS-B', jac=True) for ``iters`` iterations (no
    tolerance stops it before); returns its result."""
    return scipy.optimize.minimize(fg, x0, jac=True, method="L-BFGS-B",
                                   options={"maxiter": iters, "ftol": 0.0, "gtol": 0.0,
                                            "maxcor": 10})


def torch_gd(torch, loss, x0, step):
    """A function doing one autograd GD step in PyTorch (float64) on loss(x) of a tensor."""
    x = torch.tensor(x0.copy(), requires_grad=True)

    def step_once():
        value = loss(x)
        value.backward()
        with torch.no_grad():
            x.sub_(step * x.grad)
            x.grad = None
        return value

    return step_once


def jax_gd(jax, loss, x0, step):
    """A jitted JAX function x -> x doing one GD step (float64) on loss(x), and the start."""
    grad = jax.grad(loss)

    @jax.jit
    def step_once(x):
        return x - step * grad(x)

    return step_once, jax.numpy.asarray(x0)
