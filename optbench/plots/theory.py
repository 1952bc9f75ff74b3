"""Theory next to measurement.

* Gradient descent on a quadratic f = 1/2 x'Ax - b'x with eigenvalues of A in [mu, L],
  kappa = L/mu: the error e_k = x_k - x* obeys e_k = (I - tA)^k e_0, so with a constant step t
  every eigen-component shrinks by |1 - t lambda| <= q(t) = max(|1 - t mu|, |1 - t L|) per
  iteration and f(x_k) - f* = 1/2 e_k'Ae_k <= q(t)^(2k) (f(x_0) - f*). The best constant step
  t = 2/(L + mu) gives q = (kappa - 1)/(kappa + 1): ||x_k - x*|| <= ((kappa-1)/(kappa+1))^k
  ||x_0 - x*|| and the gap shrinks by ((kappa-1)/(kappa+1))^2 per step; t = 1/L gives
  q = 1 - 1/kappa. Steepest descent with exact line search obeys the same gap bound as the
  best constant step, ((kappa-1)/(kappa+1))^(2k) (Kantorovich).
* The perceptron on data separable with margin gamma by a unit vector, in a ball of radius
  R (points augmented with the constant 1 of the bias), makes at most (R/gamma)^2 mistakes in
  all, whatever the order of the points (Novikoff 1962).

References: Nesterov, Lectures on Convex Optimization (2018), 2.1.5; Luenberger & Ye, Linear
and Nonlinear Programming (2008), 8.6; Novikoff, On convergence proofs on perceptrons (1962).
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidValueError
from ._data import colours, floor_positive, integer_ticks, new_figure, setting_labels
from .trajectories import _problem, run_specs

__all__ = ["plot_theory", "plot_gd_bound", "plot_mistake_bound", "quadratic_spectrum",
           "gd_rate", "mistake_bound"]


def quadratic_spectrum(problem) -> tuple[float, float]:
    """(mu, L): the extreme eigenvalues of the (constant) Hessian of a quadratic problem."""
    if not (problem.quadratic and problem.has_hessian):
        raise InvalidValueError(f"problem {problem.name!r} is not a quadratic with a Hessian: "
                                "the GD bound needs one (e.g. quadratic)")
    eig = np.linalg.eigvalsh(problem.hess(problem.x0))
    return float(eig[0]), float(eig[-1])


def gd_rate(step, mu: float, L: float) -> float:
    """q(t) = max(|1 - t mu|, |1 - t L|): the contraction of ||x_k - x*|| per constant step
    t; for ``step="exact"`` the exact-line-search factor (kappa - 1)/(kappa + 1)."""
    if step == "exact":
        kappa = L / mu
        return (kappa - 1.0) / (kappa + 1.0)
    t = float(step)
    return max(abs(1.0 - t * mu), abs(1.0 - t * L))


def mistake_bound(problem) -> float:
    """(R/gamma)^2 for a separable perceptron problem (radius and margin from its facts)."""
    margin = problem.extra.get("margin")
    radius = problem.extra.get("radius")
    if not margin or not radius or problem.f_star != 0.0:
        raise InvalidValueError(f"problem {problem.name!r} is not known to be separable with "
                                "a margin: the mistake bound needs separable data (the "
                                "perceptron problem's default blobs)")
    return (float(radius) / float(margin)) ** 2


def _step_of(result, L: float, mu: float):
    if result.solver == "gd-exact" or result.params.get("step") == "exact":
        return "exact"
    step = result.params.get("step")
    if isinstance(step, int | float) and not isinstance(step, bool):
        return float(step)
    if step == "1/L":
        return 1.0 / L
    return None


def plot_gd_bound(problem="quadratic", runs=None, *, dim=None, seed=None, problem_params=None,
                  max_iter: int = 200, tol: float = 1e-12, title: str | None = None):
    """Measured gap ratio (f(x_k) - f*)/(f(x_0) - f*) of gradient descent on a quadratic next
    to its bound q(t)^(2k) (dashed), and the textbook ((kappa-1)/(kappa+1))^k (dotted).

    ``runs`` default: gd with t = 2/(L + mu), gd with t = 1/L and steepest descent with exact
    line search (gd-exact); kappa and q(t) come from the eigenvalues of A.
    """
    prob = _problem(problem, dim, seed, problem_params)
    mu, L = quadratic_spectrum(prob)
    if prob.f_star is None:
        raise InvalidValueError(f"problem {prob.name!r} does not know f*")
    if runs is None:
        runs = [("gd", {"step": 2.0 / (L + mu)}), ("gd", {"step": 1.0 / L}), "gd-exact"]
    results = run_specs(prob, runs, max_iter=max_iter, tol=tol)
    kappa = L / mu
    rho = (kappa - 1.0) / (kappa + 1.0)
    fig, axes = new_figure(1, 1, width=7.4, height=5.0)
    ax = axes[0][0]
    k_max = 1
    for r, label, colour in zip(results, setting_labels(results), colours(len(results)),
                                strict=True):
        t = r.table
        gap0 = float(t["gap"].iloc[0])
        k = t["iteration"].to_numpy()
        k_max = max(k_max, int(k[-1]))
        ax.plot(k, floor_positive(t["gap"].to_numpy() / gap0), color=colour, lw=2,
                label=f"{label}: measured")
        step = _step_of(r, L, mu)
        if step is not None:
            q = gd_rate(step, mu, L)
            kk = np.arange(0, int(k[-1]) + 1)
            name = ("((kappa-1)/(kappa+1))^(2k)" if step == "exact"
                    else f"q(t)^(2k), q = {q:.4f}")
            ax.plot(kk, floor_positive(q ** (2.0 * kk)), "--", color=colour, lw=1.4,
                    label=f"{label}: bound {name}")
    kk = np.arange(0, k_max + 1)
    ax.plot(kk, floor_positive(rho ** kk), ":", color="black", lw=1.6,
            label=f"((kappa-1)/(kappa+1))^k, kappa = {kappa:.4g}")
    ax.set_yscale("log")
    ax.set_ylim(bottom=1e-16, top=2.0)
    ax.set_xlabel("iteration k")
    ax.set_ylabel("(f(x_k) - f*) / (f(x_0) - f*)  (log scale)")
    ax.set_title(title or f"{prob.name} (dim {prob.dim}, kappa = {kappa:.4g}): gradient "
                          "descent against its bound")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def plot_mistake_bound(problem="perceptron", runs=None, *, dim=None, seed=None,
                       problem_params=None, max_iter: int = 100, title: str | None = None):
    """Cumulative mistakes of perceptron rules against epochs, next to Novikoff's bound
    (R/gamma)^2, and the mistakes of each epoch."""
    prob = _problem(problem, dim, seed, problem_params)
    bound = mistake_bound(prob)
    results = run_specs(prob, runs or ["perceptron"], max_iter=max_iter)
    no_column = [r.solver for r in results if "mistakes" not in r.extra_columns]
    if no_column:
        raise InvalidValueError(f"solver {no_column[0]!r} does not count mistakes; use a "
                                "perceptron rule (perceptron, batch-perceptron, pocket)")
    fig, axes = new_figure(1, 2, width=5.6, height=4.4)
    left, right = axes[0]
    for r, label, colour in zip(results, setting_labels(results), colours(len(results)),
                                strict=True):
        t = r.table
        epochs = t["iteration"].to_numpy()
        per_epoch = np.nan_to_num(t["mistakes"].to_numpy(), nan=0.0)
        left.step(epochs, np.cumsum(per_epoch), where="post", color=colour, lw=2,
                  label=f"{label}: {int(per_epoch.sum())} mistakes, {r.status}")
        right.plot(epochs[1:], per_epoch[1:], "-o", color=colour, ms=4, label=label)
    left.axhline(bound, color="black", ls="--", lw=1.5,
                 label=f"bound (R/gamma)^2 = {bound:.4g}")
    R, g = prob.extra["radius"], prob.extra["margin"]
    left.set_xlabel("epoch")
    left.set_ylabel("cumulative mistakes (updates)")
    left.set_title(f"Mistakes against the bound (R = {R:.3g}, gamma = {g:.3g})")
    left.set_ylim(0, max(bound, 1.0) * 1.1)
    left.legend(fontsize="small", loc="center right")
    right.set_xlabel("epoch")
    right.set_ylabel("mistakes in the epoch")
    right.set_title("Mistakes per epoch")
    right.legend(fontsize="small")
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
        integer_ticks(ax.xaxis)  # epochs and mistakes are counts
        integer_ticks(ax.yaxis)
    fig.suptitle(title or f"{prob.name}: the perceptron's mistake bound "
                          f"({prob.samples} points, dimension {prob.dim - 1})")
    return fig


def plot_theory(problem, runs=None, **options):
    """The theory overlay that fits ``problem``: the GD bound on a quadratic, the mistake
    bound on separable labelled data."""
    prob = _problem(problem, options.pop("dim", None), options.pop("seed", None),
                    options.pop("problem_params", None))
    if prob.quadratic and prob.has_hessian:
        return plot_gd_bound(prob, runs, **options)
    if prob.labelled and prob.extra.get("margin"):
        return plot_mistake_bound(prob, runs, **options)
    raise InvalidValueError(f"no theory overlay for problem {prob.name!r}: overlays exist for "
                            "quadratics (the GD bound) and separable labelled data (the "
                            "perceptron's mistake bound)")


