"""Labelled points for the perceptron: separable with a known margin, or with label noise."""

import numpy as np

import optbench
from optbench import Oracle, Param, Problem, jit
from optbench.datasets import data_params, load_for
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
    params=(*data_params("blobs"),
            Param("seed", 0, int, "seed of the generated data", low=0)),
    summary="perceptron criterion on labelled points (default: blobs separable with a margin)",
)
def perceptron(seed, **data):
    ds = load_for({**data, "seed": seed}, task="binary")
    X, y = ds.X, ds.y
    facts = ds.extra.get("raw", ds.extra)  # a standardized dataset keeps its facts under raw
    separable = bool(ds.extra.get("separable", False))
    m, d = X.shape
    if separable:
        notes = f"separable with margin {ds.extra['margin']:g} by a unit w* through the origin"
    elif "flipped" in facts:
        notes = f"{len(facts['flipped'])} of {m} labels flipped: not separable"
    else:
        notes = f"{ds.source}: classes {ds.classes[0]} (-1) and {ds.classes[1]} (+1)"
    return Problem(
        name="perceptron", family="perceptron", oracle=Oracle(crit_f, crit_grad, crit_fg, None,
                                                              (X, y), batch=crit_batch),
        x0=np.zeros(d + 1),
        formula="f(w, b) = 1/m sum_i max(0, -y_i (w.x_i + b))  (perceptron criterion)",
        reference="Rosenblatt (1958); Duda, Hart & Stork, Pattern Classification (2001), 5.5",
        f_star=0.0 if separable else None, convex=True, smooth=False, labelled=True,
        samples=m, notes=notes,
        extra={**{k: ds.extra[k] for k in ("w_true", "margin", "flipped") if k in ds.extra},
               "radius": float(np.sqrt(1.0 + np.max(np.sum(X * X, axis=1)))),
               "dataset": ds.describe()},
    )
