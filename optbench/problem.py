"""The problem record (the tuple compiled solvers receive is in :mod:`optbench.oracle`).

A problem instance is a :class:`Problem`: compiled functions plus data plus the facts that
tests, solvers and plots read (``f_star``, minimizers, ``L``, ``mu``, convexity...). Compiled
solvers receive its :class:`Oracle`, a small namedtuple of compiled functions and a data tuple,
so that calls inside the solver are direct and inlined.

Function conventions (``args`` is the problem's data tuple, ``out`` a preallocated array)::

    f(x, args) -> float                 value
    grad(x, args, out) -> None          out[:] = grad f(x)
    fg(x, args, out) -> float           out[:] = grad f(x); returns f(x)   (optional)
    hess(x, args, out) -> None          out[:, :] = Hessian at x          (optional)
    batch(x, args, idx, out) -> float   mean f_i and mean grad f_i over samples idx
                                        (optional; finite sums f = 1/m sum_i f_i)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .oracle import Oracle, value_and_grad

__all__ = ["Oracle", "Problem", "value_and_grad"]

@dataclass
class Problem:
    """One problem instance: its compiled oracle, start point and known facts.

    ``minimizers`` lists the known global minimizers (several for ``double-well``);
    ``x_star`` is the minimizer when it is unique. ``labelled`` means ``args[0]`` is the
    feature matrix X (samples x features) and ``args[1]`` the labels y in {-1, +1}.
    ``gradient=False`` marks an objective without a usable gradient (piecewise constant:
    its ``grad`` only fills zeros), so gradient-based solvers refuse it.
    ``f_star_tol`` is the accuracy of ``f_star`` (0: exact): it bounds both how far f* may be
    from the true minimum and the rounding of f near a minimizer, so that no computed gap
    ``f - f_star`` of a run is below ``-f_star_tol``; the gap stopping test and "solved" count
    from ``f_star - f_star_tol``. ``quadratic`` means the Hessian is constant; ``samples`` is
    m for finite sums f = 1/m sum_i f_i (whose oracle has ``batch``).
    ``extra`` holds family-specific facts (the true separator and margin of generated data...).
    """

    name: str
    family: str
    oracle: Oracle
    x0: np.ndarray
    formula: str
    reference: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    f_star: float | None = None
    f_star_tol: float = 0.0
    minimizers: tuple[np.ndarray, ...] = ()
    L: float | None = None
    mu: float | None = None
    convex: bool = False
    smooth: bool = True
    labelled: bool = False
    gradient: bool = True
    quadratic: bool = False
    samples: int | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.x0 = self._vector("x0", self.x0)
        if self.x0.ndim != 1 or self.x0.size == 0:
            self._refuse(f"x0 must be a non-empty vector; got shape {self.x0.shape}")
        self.minimizers = tuple(self._vector(f"minimizers[{i}]", m)
                                for i, m in enumerate(self.minimizers))
        for i, m in enumerate(self.minimizers):
            if m.shape != self.x0.shape:
                self._refuse(f"minimizers[{i}] has shape {m.shape}; x0 has {self.x0.shape}")
        self.f_star = self._number("f_star", self.f_star)
        self.f_star_tol = self._number("f_star_tol", self.f_star_tol)
        if self.f_star_tol is None or self.f_star_tol < 0:
            self._refuse(f"f_star_tol must be a number >= 0; got {self.f_star_tol}")
        self.L = self._number("L", self.L)
        self.mu = self._number("mu", self.mu)
        if self.L is not None and not self.L > 0:
            self._refuse(f"L must be > 0 (or None when unknown); got {self.L}")
        if self.mu is not None and not self.mu >= 0:
            self._refuse(f"mu must be >= 0 (or None when unknown); got {self.mu}")
        if self.L is not None and self.mu is not None and self.mu > self.L:
            self._refuse(f"mu = {self.mu} exceeds L = {self.L}; mu <= L always holds")
        if not isinstance(self.oracle, Oracle):
            self._refuse(f"oracle must be an optbench.Oracle; got {type(self.oracle).__name__}")
        for role in ("f", "grad", "fg", "hess", "batch"):
            fn = getattr(self.oracle, role)
            if fn is None and role in ("fg", "hess", "batch"):
                continue
            if not hasattr(fn, "py_func"):
                self._refuse(f"oracle.{role} must be a function compiled with optbench.jit; "
                             f"got {type(fn).__name__}")
        # the identities of the compiled functions, before any solver's cache names them
        for fn in self.oracle[:4] + (self.oracle.batch,):
            getattr(fn, "identity", None)

    def _refuse(self, what: str):
        from .errors import InvalidValueError

        raise InvalidValueError(f"problem {self.name!r}: {what}")

    def _vector(self, name: str, value) -> np.ndarray:
        try:
            v = np.ascontiguousarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            self._refuse(f"{name} must be a vector of numbers; got {value!r:.80}")
        if not np.all(np.isfinite(v)):
            self._refuse(f"{name} has entries that are not finite")
        return v

    def _number(self, name: str, value) -> float | None:
        if value is None:
            return None
        try:
            v = float(value)
        except (TypeError, ValueError):
            self._refuse(f"{name} must be a number or None; got {value!r:.80}")
        if not math.isfinite(v):
            self._refuse(f"{name} must be finite (or None when unknown); got {v}")
        return v

    # -- facts derived from fields (never from names) ------------------------------------
    @property
    def dim(self) -> int:
        return int(self.x0.shape[0])

    @property
    def x_star(self) -> np.ndarray | None:
        return self.minimizers[0] if len(self.minimizers) == 1 else None

    @property
    def has_hessian(self) -> bool:
        return self.oracle.hess is not None

    @property
    def capabilities(self) -> frozenset[str]:
        """What solvers may require: 'grad', 'hess', 'labelled', '1d', 'quadratic',
        'finite_sum', 'f_star', 'L', 'residuals' (a sum of squares f = c sum_i r_i(x)^2 whose
        ``extra`` holds the compiled ``residuals(x, out)``, ``jacobian(x, out)`` and ``m``, and
        c as ``residual_scale`` when it is not 1; see :mod:`optbench.solvers.least_squares`)."""
        caps = {"f"}
        flags = {"grad": self.gradient, "hess": self.has_hessian, "labelled": self.labelled,
                 "1d": self.dim == 1,
                 "quadratic": self.quadratic and self.has_hessian,
                 "finite_sum": self.oracle.batch is not None and self.samples is not None,
                 "f_star": self.f_star is not None, "L": self.L is not None,
                 "residuals": all(k in self.extra for k in ("residuals", "jacobian", "m"))}
        caps.update(name for name, present in flags.items() if present)
        return frozenset(caps)

    # -- Python-side convenience (tests, notebooks) ----------------------------------------
    def f(self, x) -> float:
        return float(self.oracle.f(np.ascontiguousarray(x, dtype=np.float64), self.oracle.args))

    def grad(self, x) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty_like(x)
        self.oracle.grad(x, self.oracle.args, out)
        return out

    def value_and_grad(self, x) -> tuple[float, np.ndarray]:
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty_like(x)
        return float(value_and_grad(self.oracle, x, out)), out

    def hess(self, x) -> np.ndarray:
        if not self.has_hessian:
            raise AttributeError(f"problem {self.name!r} has no Hessian")
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty((x.shape[0], x.shape[0]))
        self.oracle.hess(x, self.oracle.args, out)
        return out

    def describe(self) -> dict[str, Any]:
        """The facts shown by ``optbench info``, as plain values."""
        return {
            "name": self.name, "family": self.family, "formula": self.formula,
            "dimension": self.dim, "parameters": self.params,
            "f_star": self.f_star, "f_star_tol": self.f_star_tol,
            "x_star": None if self.x_star is None else self.x_star.tolist(),
            "minimizers": len(self.minimizers), "L": self.L, "mu": self.mu,
            "condition": (self.L / self.mu) if (self.L and self.mu) else None,
            "convex": self.convex, "smooth": self.smooth, "hessian": self.has_hessian,
            "labelled": self.labelled, "notes": self.notes, "reference": self.reference,
        }
