"""Labelled points for the perceptron: separable with a known margin, or with label noise."""

import numpy as np

import optbench
from optbench import Oracle, Param, Problem, jit
from optbench.kernels import add_scaled_row, affine_score


@jit
def _hinge(x, X, y, i, out, weight):
    """f_i = max(0, -y_i (w.x_i + b)); adds weight * (a subgradient of f_i) to out."""
    z = y[i] * affine_score(X, i, x)
    if z <= 0.0:
        add_scaled_row(out, X, i, -weight * y[i])
        return -z
    return 0.0


@jit
def crit_fg(x, args, out):
    X, y = args
    m = X.shape[0]
    out[:] = 0.0
    s = 0.0
    for i in range(m):
        s += _hinge(x, X, y, i, out, 1.0 / m)
    return s / m


@jit
def crit_f(x, args):
    X, y = args
    m = X.shape[0]
    s = 0.0
    for i in range(m):
        s += max(0.0, -y[i] * affine_score(X, i, x))
    return s / m


@jit
def crit_grad(x, args, out):
    crit_fg(x, args, out)


@jit
def crit_batch(x, args, idx, out):
    """Mean of f_i = max(0, -y_i (w.x_i + b)) over idx; its mean subgradient into out."""
    X, y = args
    nb = idx.shape[0]
    out[:] = 0.0
    s = 0.0
    for i in idx:
        s += _hinge(x, X, y, i, out, 1.0 / nb)
    return s / nb


@optbench.register_problem(
    "perceptron",
    params=(Param("samples", 100, int, "number of points", low=2),
            Param("dim", 2, int, "number of features", low=1),
            Param("margin", 0.1, float, "margin gamma of the true separator", low=0.0,
                  high=0.9),
            Param("noise", 0.0, float, "fraction of labels flipped (0: separable)", low=0.0,
                  high=0.5),
            Param("seed", 0, int, "seed of the generated data", low=0)),
    summary="perceptron criterion on points in the unit ball, separable with margin gamma",
)
def perceptron(samples, dim, margin, noise, seed):
    rng = np.random.default_rng(seed)
    w_true = rng.standard_normal(dim)
    w_true /= np.linalg.norm(w_true)
    X = np.empty((samples, dim))
    filled = 0
    while filled < samples:  # uniform in the unit ball, outside the slab |w.x| < margin
        cand = rng.standard_normal((2 * samples, dim))
        cand *= (rng.uniform(size=(2 * samples, 1)) ** (1.0 / dim)
                 / np.linalg.norm(cand, axis=1, keepdims=True))
        cand = cand[np.abs(cand @ w_true) >= margin]
        take = min(len(cand), samples - filled)
        X[filled:filled + take] = cand[:take]
        filled += take
    y = np.where(X @ w_true > 0, 1.0, -1.0)
    flipped = rng.permutation(samples)[: int(round(noise * samples))]
    y[flipped] *= -1.0
    separable = len(flipped) == 0
    return Problem(
        name="perceptron", family="perceptron", oracle=Oracle(crit_f, crit_grad, crit_fg, None,
                                                              (X, y), batch=crit_batch),
        x0=np.zeros(dim + 1),
        formula="f(w, b) = 1/m sum_i max(0, -y_i (w.x_i + b))  (perceptron criterion)",
        reference="Rosenblatt (1958); Duda, Hart & Stork, Pattern Classification (2001), 5.5",
        f_star=0.0 if separable else None, convex=True, smooth=False, labelled=True,
        samples=samples,
        notes=(f"separable with margin {margin:g} by a unit w* through the origin"
               if separable else f"{len(flipped)} of {samples} labels flipped: not separable"),
        extra={"w_true": w_true, "margin": margin, "flipped": flipped,
               "radius": float(np.sqrt(1.0 + np.max(np.sum(X * X, axis=1))))},
    )
