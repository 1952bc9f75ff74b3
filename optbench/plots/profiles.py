"""Dolan-More performance profiles and More-Wild data profiles over a sweep.

For problems p and settings s (a solver with its parameters), let t_{p,s} be the cost of s to
solve p, infinite when it never did: iterations, seconds, evaluations of f (``nfev``) or of
the gradient (``ngev``), or simplex gradients (``simplex``: nfev / (n + 1), Moré & Wild's
budget unit), counted until the run first met the sweep's "solved" test.

A problem is an instance with its seed when the seed changes the instance; an instance
without randomness (rosenbrock...) is one problem however many seeds the sweep ran, its cost
the median over those runs (a solver that shuffles may still differ between them).

* performance profile (Dolan & More 2002): r_{p,s} = t_{p,s} / min_s t_{p,s} and
  rho_s(tau) = |{p : r_{p,s} <= tau}| / |P|, the fraction of problems s solves within a
  factor tau of the best setting; rho_s(1) is how often s is (one of) the fastest, the limit
  for large tau how often it solves at all.
* data profile (More & Wild 2009): d_s(alpha) = |{p : t_{p,s} <= alpha}| / |P|, the fraction
  of problems s solves within a budget of alpha iterations (or seconds).

Iteration costs are counted from 1 (a start point that already passes the test costs one
iteration), so that ratios are defined.

References: E. D. Dolan and J. J. More, Benchmarking optimization software with performance
profiles, Math. Program. 91 (2002) 201-213; J. J. More and S. M. Wild, Benchmarking
derivative-free optimization algorithms, SIAM J. Optim. 20 (2009) 172-191.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidValueError
from ._data import (
    colours,
    figure_title,
    linestyle,
    new_figure,
    ordered,
    plain_log_ticks,
    runs_table,
)

__all__ = ["cost_matrix", "performance_profile", "data_profile", "plot_profiles"]

COSTS = {"iterations": "iterations_to_tol", "time": "seconds_to_tol",
         "nfev": "nfev_to_tol", "ngev": "ngev_to_tol", "simplex": "nfev_to_tol"}
COST_LABELS = {"iterations": "iterations", "time": "seconds", "nfev": "f evaluations",
               "ngev": "gradient evaluations", "simplex": "simplex gradients (n + 1 f evaluations)"}


def _problem_keys(runs):
    """``instance seed=k`` where the seed makes the instance, else ``instance``."""
    keys = runs["instance"].astype(str)
    if "seed" not in runs.columns:
        return keys
    seeds = runs["seed"].astype(object).where(runs["seed"].notna(), "-").astype(str)
    with_seed = keys + " seed=" + seeds
    if "seeded" not in runs.columns:  # runs of an older sweep: every seed its own problem
        return with_seed
    return with_seed.where(runs["seeded"].astype(object).fillna(True).astype(bool), keys)


def cost_matrix(runs, cost: str = "iterations"):
    """Costs t_{p,s}: a DataFrame with one row per problem (``instance seed=k``), one column
    per setting, ``inf`` where the setting did not solve the problem (or did not run on it).

    ``runs`` is a runs table (:func:`optbench.load_runs`) with ``instance``, ``setting``,
    ``seed``, ``solved`` and ``iterations_to_tol`` / ``seconds_to_tol``; or a results
    directory, a Result or a list of Results."""
    if cost not in COSTS:
        raise InvalidValueError(f"cost must be one of {', '.join(COSTS)}; got {cost!r} "
                                "(option --cost)")
    runs = runs_table(runs)
    column = COSTS[cost]
    missing = [c for c in ("instance", "setting", "solved", column) if c not in runs.columns]
    if missing:
        raise InvalidValueError(f"the runs table lacks the column(s) {', '.join(missing)} "
                                "needed for profiles (use optbench.load_runs on a sweep)")
    values = runs[column].to_numpy(dtype=float).copy()
    if cost == "simplex":
        if "dim" not in runs.columns:
            raise InvalidValueError("simplex-gradient budgets need the runs' dimensions (a "
                                    "dim column; use optbench.load_runs on a sweep)")
        values = values / (runs["dim"].to_numpy(dtype=float) + 1.0)
    values[~runs["solved"].to_numpy(dtype=bool) | ~np.isfinite(values)] = np.inf
    if cost == "iterations":
        values = np.maximum(values, 1.0)
    frame = runs.assign(_problem=_problem_keys(runs).to_numpy(), _cost=values)
    matrix = frame.pivot_table(index="_problem", columns="setting", values="_cost",
                               aggfunc="median", sort=False)
    matrix = matrix[ordered(runs["setting"])].fillna(np.inf)
    matrix.index.name, matrix.columns.name = "problem", "setting"
    return matrix


def _fractions(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each a in ``at``: the fraction of ``values`` that are <= a."""
    finite = np.sort(values[np.isfinite(values)])
    return np.searchsorted(finite, at, side="right") / max(len(values), 1)


def _long(table, x_name: str, grid: np.ndarray):
    import pandas as pd

    rows = []
    for setting in table.columns:
        fr = _fractions(table[setting].to_numpy(dtype=float), grid)
        rows.append(pd.DataFrame({"setting": setting, x_name: grid, "fraction": fr}))
    return pd.concat(rows, ignore_index=True)


def performance_profile(runs, cost: str = "iterations", taus=None):
    """The Dolan-More performance profile: a long DataFrame ``setting, tau, fraction``.

    ``taus`` defaults to every ratio that occurs (the profile's breakpoints), with 1 first.

    >>> # costs {p1: A 10, B 20; p2: A 20, B 10; p3: A unsolved, B 40}
    >>> # rho_A(1) = 2/3 = rho_A(inf); rho_B(1) = 2/3, rho_B(2) = 1
    """
    return _performance(cost_matrix(runs, cost), taus)


def _performance(matrix, taus=None):
    """performance_profile of a cost matrix."""
    best = matrix.min(axis=1).to_numpy()
    with np.errstate(invalid="ignore"):  # inf / inf where nobody solved p
        ratios = matrix.to_numpy() / best[:, None]
    ratios[~np.isfinite(best)] = np.inf  # nobody solved p
    ratio_table = matrix.copy()
    ratio_table[:] = ratios
    if taus is None:
        found = ratios[np.isfinite(ratios)]
        taus = np.unique(np.concatenate([[1.0], found]))
    return _long(ratio_table, "tau", np.asarray(taus, dtype=float))


def data_profile(runs, cost: str = "iterations", budgets=None):
    """The More-Wild data profile: a long DataFrame ``setting, budget, fraction``.

    ``budgets`` defaults to every cost that occurs (the profile's breakpoints)."""
    return _data(cost_matrix(runs, cost), budgets)


def _data(matrix, budgets=None):
    """data_profile of a cost matrix."""
    if budgets is None:
        values = matrix.to_numpy()
        budgets = np.unique(values[np.isfinite(values)])
        if budgets.size == 0:
            budgets = np.array([1.0])
    return _long(matrix, "budget", np.asarray(budgets, dtype=float))


def _draw(ax, profile, x_name: str, settings, palette, x_max: float) -> None:
    for i, (setting, colour) in enumerate(zip(settings, palette, strict=True)):
        part = profile[profile["setting"] == setting]
        x = np.concatenate([part[x_name].to_numpy(), [x_max]])
        y = np.concatenate([part["fraction"].to_numpy(), part["fraction"].to_numpy()[-1:]])
        ax.step(x, y, where="post", color=colour, lw=2, ls=linestyle(i), label=setting)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xscale("log")
    plain_log_ticks(ax.xaxis)
    ax.grid(True, which="both", alpha=0.3)


def plot_profiles(data, *, cost: str = "iterations", kind: str = "both", title: str | None = None):
    """Performance and data profiles of a sweep, one line per setting.

    Parameters
    ----------
    data : results directory, runs DataFrame, Result or list of Results
    cost : "iterations", "time", "nfev", "ngev" or "simplex"
        What counts as the cost to solve a problem (see the module doc).
    kind : "both", "performance" or "data"

    Returns a matplotlib Figure.

    Examples
    --------
    >>> fig = optbench.plot_profiles("results/")                    # doctest: +SKIP
    >>> fig.savefig("profiles.png")                                  # doctest: +SKIP
    """
    if kind not in ("both", "performance", "data"):
        raise InvalidValueError(f"kind must be both, performance or data; got {kind!r} "
                                "(option --kind)")
    runs = runs_table(data)
    matrix = cost_matrix(runs, cost)
    settings = list(matrix.columns)
    palette = colours(len(settings))
    kinds = ["performance", "data"] if kind == "both" else [kind]
    fig, axes = new_figure(1, len(kinds), width=6.0, height=4.4, layout="fixed")
    n_problems = len(matrix)
    unit = COST_LABELS[cost]
    for ax, which in zip(axes[0], kinds, strict=True):
        if which == "performance":
            prof = _performance(matrix)
            finite = prof["tau"].to_numpy()
            x_max = max(2.0, float(finite.max()) * 1.5)
            _draw(ax, prof, "tau", settings, palette, x_max)
            ax.set_xlim(1.0, x_max)
            ax.set_xlabel(f"tau (ratio of {unit} to the best setting's, log scale)")
            ax.set_ylabel("fraction of problems with ratio <= tau")
            ax.set_title(f"Performance profile ({n_problems} problems, cost: {unit})",
                         fontsize="medium")
        else:
            prof = _data(matrix)
            b = prof["budget"].to_numpy()
            x_min = float(b.min()) / 1.5 if b.size else 1.0
            x_max = float(b.max()) * 1.5 if b.size else 10.0
            _draw(ax, prof, "budget", settings, palette, x_max)
            ax.set_xlim(x_min, x_max)
            ax.set_xlabel(f"budget ({unit}, log scale)")
            ax.set_ylabel("fraction of problems solved within budget")
            ax.set_title(f"Data profile ({n_problems} problems, cost: {unit})",
                         fontsize="medium")
    axes[0][-1].legend(loc="lower right", fontsize="small", title="setting")
    if title:
        figure_title(fig, title)
    return fig
