"""Classification pictures: on 2-D labelled data, the decision boundary each run learned
(perceptron rules, logistic or softmax regression, an MLP such as the XOR network), and the
training points it misclassifies, epoch after epoch."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidValueError
from ._data import colours, integer_ticks, new_figure, setting_labels
from .trajectories import _problem, run_specs

__all__ = ["plot_classification", "model_of", "network_logits"]

GRID = 220
_SIGMOID, _TANH = 0, 1  # activation codes of the mlp problems (problems/mlp.py); 2 is relu


def _act(code: int, z):
    if code == _SIGMOID:
        return 1.0 / (1.0 + np.exp(-z))
    if code == _TANH:
        return np.tanh(z)
    return np.maximum(z, 0.0)


def network_logits(x, sizes, activation: int, points) -> np.ndarray:
    """The output logits z_L (m x n_L) of the mlp with weights ``x`` (layout W_1, b_1, ...,
    row-major) at ``points`` (m x n_0)."""
    a = np.asarray(points, dtype=float)
    at = 0
    last = len(sizes) - 1
    for layer in range(1, last + 1):
        nin, nout = int(sizes[layer - 1]), int(sizes[layer])
        W = x[at: at + nout * nin].reshape(nout, nin)
        b = x[at + nout * nin: at + nout * nin + nout]
        at += nout * nin + nout
        z = a @ W.T + b
        a = z if layer == last else _act(activation, z)
    return a


def _decide(scores: np.ndarray) -> np.ndarray:
    """Predicted class (0, 1, ...) from scores: one column -> score > 0, else argmax."""
    scores = np.atleast_2d(scores.T).T if scores.ndim == 1 else scores
    return (scores[:, 0] > 0).astype(int) if scores.shape[1] == 1 else np.argmax(scores, 1)


def model_of(problem):
    """(X, classes, scores): the 2-D features, the true class of every point (0, 1, ...) and
    a function ``scores(x, points)`` giving the model's scores at points (one column: the
    class is score > 0; several: the argmax)."""
    args = problem.oracle.args
    if problem.family == "mlp":
        X, T, sizes, act = args[0], args[1], args[2], int(args[3])
        if int(args[4]) == 0:  # linear output with squared error: regression
            raise InvalidValueError(f"problem {problem.name!r} is a regression: no classes "
                                    "to draw (use a classification dataset)")
        classes = (T[:, 0] > 0.5).astype(int) if T.shape[1] == 1 else np.argmax(T, axis=1)
        return X, classes, lambda x, P: network_logits(x, sizes, act, P)
    if problem.labelled and problem.dim == args[0].shape[1] + 1:  # x = (w, b)
        X, y = args[0], args[1]
        return X, (y > 0).astype(int), lambda x, P: (P @ x[:-1] + x[-1])[:, None]
    if problem.name == "softmax-regression":
        X, c = args[0], args[1]
        K, d = int(c.max()) + 1, X.shape[1]

        def scores(x, P):
            W, b = x[: K * d].reshape(K, d), x[K * d:]
            return P @ W.T + b
        return X, np.asarray(c, dtype=int), scores
    raise InvalidValueError(f"no classification picture for problem {problem.name!r}: it "
                            "needs labelled data and a linear or mlp model (perceptron, "
                            "logistic-regression, softmax-regression, xor-mlp, mlp)")


def _default_runs(problem) -> list:
    if problem.family == "perceptron":
        return ["perceptron"]
    return ["lbfgs"]


def _errors_per_row(result, X, classes, scores) -> np.ndarray:
    if "errors" in result.extra_columns:
        return result.table["errors"].to_numpy()
    it = result.iterates
    return np.array([np.sum(_decide(scores(x, X)) != classes) for x in it])


def plot_classification(problem, runs=None, *, dim=None, seed=None, problem_params=None,
                        max_iter: int = 200, tol: float = 1e-6, title: str | None = None,
                        **run_options):
    """Left: the labelled points and the decision boundary of each run's final weights
    (the first run's regions shaded); right: misclassified training points against the
    epoch (perceptron rules count them themselves; for the others they are counted from the
    recorded iterates).

    Parameters
    ----------
    problem : str or Problem
        A labelled problem with 2 features: ``perceptron`` (blobs), ``logistic-regression``
        (``dim=2``), ``softmax-regression`` (``dim=2``), ``xor-mlp``, ``mlp`` (moons ...).
    runs : list, optional
        Solver names, ``(solver, params)`` pairs or Results (with ``record_x=True``);
        default: the perceptron rule for the perceptron problem, L-BFGS otherwise.

    Examples
    --------
    >>> fig = optbench.plot_classification("xor-mlp", ["bfgs"])      # doctest: +SKIP
    """
    prob = _problem(problem, dim, seed, problem_params)
    X, classes, scores = model_of(prob)
    if X.shape[1] != 2:
        raise InvalidValueError(f"classification pictures need 2 features; problem "
                                f"{prob.name!r} has {X.shape[1]} (option --dim 2 or a 2-D "
                                "dataset)")
    results = run_specs(prob, runs or _default_runs(prob), max_iter=max_iter, tol=tol,
                        **run_options)
    labels = setting_labels(results)
    palette = colours(len(results) + 2)[2:] if len(results) <= 8 else colours(len(results))
    fig, axes = new_figure(1, 2, width=5.8, height=5.0)
    left, right = axes[0]
    pad = 0.15 * (X.max(axis=0) - X.min(axis=0)) + 1e-9
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID)
    GX, GY = np.meshgrid(gx, gy)
    P = np.column_stack([GX.ravel(), GY.ravel()])
    n_classes = int(classes.max()) + 1
    class_colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
                     "#7f7f7f", "#bcbd22", "#17becf", "#ff7f0e"]
    for k, (r, label, colour) in enumerate(zip(results, labels, palette, strict=True)):
        S = scores(r.x, P)
        pred = _decide(S).reshape(GX.shape)
        if k == 0:
            from matplotlib.colors import ListedColormap

            left.contourf(GX, GY, pred, levels=np.arange(n_classes + 1) - 0.5,
                          cmap=ListedColormap(class_colours[:n_classes]), alpha=0.12)
        field = S[:, 0].reshape(GX.shape) if S.shape[1] == 1 else pred.astype(float)
        levels = [0.0] if S.shape[1] == 1 else list(np.arange(n_classes - 1) + 0.5)
        left.contour(GX, GY, field, levels=levels, colors=[colour], linewidths=2.2)
        wrong = int(np.sum(_decide(scores(r.x, X)) != classes))
        left.plot([], [], color=colour, lw=2.2,
                  label=f"{label}: boundary, {wrong} misclassified")
        errs = _errors_per_row(r, X, classes, scores)
        right.plot(r.table["iteration"], errs, "-o", color=colour, ms=3, lw=1.6,
                   label=f"{label} ({r.status})")
    for c in range(n_classes):
        pts = X[classes == c]
        left.scatter(pts[:, 0], pts[:, 1], s=22 if len(X) > 20 else 90,
                     color=class_colours[c % len(class_colours)], edgecolor="black",
                     linewidths=0.5, label=f"class {c}", zorder=3)
    left.set_xlim(lo[0], hi[0])
    left.set_ylim(lo[1], hi[1])
    left.set_xlabel("feature 1")
    left.set_ylabel("feature 2")
    left.set_title("Data and learned decision boundaries")
    left.legend(fontsize="small", loc="best", framealpha=0.9)
    right.set_xlabel("epoch" if any("mistakes" in r.extra_columns for r in results)
                     else "iteration")
    right.set_ylabel("misclassified training points")
    right.set_title("Training mistakes as learning proceeds")
    right.set_ylim(bottom=-0.5)
    right.grid(True, alpha=0.3)
    integer_ticks(right.xaxis)  # epochs (or iterations) and points are counts
    integer_ticks(right.yaxis)
    right.legend(fontsize="small")
    fig.suptitle(title or f"{prob.name}: {len(X)} points, {n_classes} classes")
    return fig
