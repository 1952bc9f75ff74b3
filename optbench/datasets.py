"""Datasets the problems draw from: generated (with a seed), scikit-learn's bundled ones, files.

Every source ends in the same :class:`Dataset` record: ``X`` (float64, C-contiguous,
samples x features), ``y`` (float64), the task (``binary``, ``multiclass``, ``regression``),
the original class values and the generator's known truths (the separator ``w_true`` and the
margin of ``blobs``, ``w_true`` and the noise of ``regression`` ...) in ``extra``.

- Generated (:data:`GENERATORS`, deterministic with ``seed``, the global NumPy random state is
  never touched): ``blobs`` (separable with margin gamma, or with a fraction of labels
  flipped), ``xor``, ``moons``, ``circles``, ``spirals``, ``regression`` (y = X w + noise, X
  with a chosen condition number).
- Real (:data:`REAL`): iris, breast cancer, digits and diabetes, shipped inside scikit-learn
  and read offline; install the extra with ``pip install "optbench[datasets]"``.
- Files: CSV or Parquet (a header row; the target column chosen with ``target``, by default
  the last one; every other column a numeric feature) and NPZ (arrays ``X`` and ``y``).

Binary targets come as y in {-1, +1} (``labels="pm1"``) or {0, 1} (``labels="01"``): the class
``classes[1]`` is the positive one. Multiclass targets come as 0..K-1, ``classes[k]`` being
the class coded k. Bad input raises one error naming the option to change.

>>> from optbench.datasets import load
>>> d = load("blobs", samples=200, dim=3, margin=0.2, seed=1)
>>> d.X.shape, d.task, d.classes
((200, 3), 'binary', (-1, 1))
>>> bool(min(d.y * (d.X @ d.extra["w_true"])) >= 0.2)
True
"""

from __future__ import annotations

import os
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import (
    InvalidTypeError,
    InvalidValueError,
    MissingDependencyError,
    UnknownNameError,
    unknown_name,
)
from .params import Param, coerce_all

__all__ = ["Dataset", "Generator", "GENERATORS", "REAL", "TASKS", "FILE_SUFFIXES",
           "MissingDependencyError", "load", "from_arrays", "require_classes",
           "dataset_names", "two_gaussian_classes", "gaussian_classes"]

TASKS = ("binary", "multiclass", "regression")
LABELS = ("pm1", "01")
FILE_SUFFIXES = (".csv", ".npz", ".parquet", ".pq")
REAL = ("iris", "breast-cancer", "digits", "diabetes")
EXTRA_HINT = 'pip install "optbench[datasets]"'
# A numeric target with integer values and at most this many distinct values is read as class
# labels; anything else is a regression target (task= decides when this guess is wrong).
MAX_INFERRED_CLASSES = 20


# ----------------------------------------------------------------------------- the record


@dataclass(frozen=True, eq=False)
class Dataset:
    """Samples ``X`` (m x n, float64, C-contiguous) and targets ``y`` (m, float64).

    ``task``: ``binary`` (y in {-1, +1} or {0, 1}; ``classes[1]`` is the positive class),
    ``multiclass`` (y = k for the class ``classes[k]``) or ``regression`` (``classes == ()``).
    ``source`` says where the data came from (``generated: blobs (seed 0)``,
    ``scikit-learn: iris``, ``file: /abs/path.csv``); ``extra`` holds known truths.
    Arrays are converted on construction, so ``Dataset(X=..., y=..., ...)`` accepts lists."""

    X: np.ndarray
    y: np.ndarray
    name: str
    source: str
    task: str
    classes: tuple = ()
    feature_names: tuple[str, ...] = ()
    target_name: str = "y"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        X = np.ascontiguousarray(self.X, dtype=np.float64)
        y = np.ascontiguousarray(self.y, dtype=np.float64)
        if X.ndim != 2:
            raise InvalidValueError(f"dataset {self.name!r}: X must be 2-D (samples x "
                                    f"features); got shape {X.shape}.")
        if y.shape != (X.shape[0],):
            raise InvalidValueError(f"dataset {self.name!r}: y must have one value per row "
                                    f"of X ({X.shape[0]}); got shape {y.shape}.")
        if self.task not in TASKS:
            raise InvalidValueError(f"dataset {self.name!r}: task must be one of "
                                    f"{', '.join(TASKS)}; got {self.task!r}.")
        names = tuple(str(n) for n in self.feature_names) or _default_feature_names(X.shape[1])
        if len(names) != X.shape[1]:
            raise InvalidValueError(f"dataset {self.name!r}: {len(names)} feature names for "
                                    f"{X.shape[1]} features.")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "feature_names", names)

    @property
    def samples(self) -> int:
        return self.X.shape[0]

    @property
    def features(self) -> int:
        return self.X.shape[1]

    def describe(self) -> str:
        """One line: ``iris: 150 samples x 4 features, multiclass (3 classes); scikit-learn...``"""
        what = self.task if self.task == "regression" else (
            f"{self.task} ({len(self.classes)} classes)")
        return (f"{self.name}: {self.samples} samples x {self.features} features, {what}; "
                f"{self.source}")

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, X={self.samples}x{self.features}, task={self.task!r}, "
                f"classes={self.classes!r}, source={self.source!r})")


def two_gaussian_classes(samples: int, dim: int, separation: float, seed: int):
    """(X, y, direction): two Gaussian classes of ``samples // 2`` and the rest, y in {-1, +1}
    shuffled, unit covariance, means +-separation/2 along a random unit ``direction`` (the
    data of ``logistic-regression``)."""
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal(dim)
    direction /= np.linalg.norm(direction)
    y = np.ones(samples)
    y[: samples // 2] = -1.0
    rng.shuffle(y)
    X = rng.standard_normal((samples, dim)) + 0.5 * separation * y[:, None] * direction
    return np.ascontiguousarray(X), y, direction


def gaussian_classes(samples: int, dim: int, classes: int, separation: float, seed: int):
    """(X, c, means): ``classes`` Gaussian classes of about equal size, labels 0..classes-1
    shuffled, unit covariance; the means are orthogonal directions ``separation`` apart when
    classes <= dim, else random with pairwise distances about ``separation`` (the data of
    ``softmax-regression``)."""
    rng = np.random.default_rng(seed)
    if classes <= dim:
        Q, _ = np.linalg.qr(rng.standard_normal((dim, classes)))
        means = separation / np.sqrt(2.0) * Q.T
    else:
        means = separation / np.sqrt(2.0 * dim) * rng.standard_normal((classes, dim))
    c = np.arange(samples, dtype=np.int64) % classes
    rng.shuffle(c)
    return np.ascontiguousarray(rng.standard_normal((samples, dim)) + means[c]), c, means


def _default_feature_names(n: int) -> tuple[str, ...]:
    return tuple(f"x{j + 1}" for j in range(n))


# ----------------------------------------------------------------------------- generators


@dataclass(frozen=True)
class Generator:
    """A registered data generator: ``make(rng, **values) -> (X, y, extra)`` with y in
    {-1, +1} for two classes (``classes``) or real values (``task == "regression"``).
    Calling it is ``load(name, **options)``."""

    name: str
    make: Callable[..., tuple[np.ndarray, np.ndarray, dict]]
    params: tuple[Param, ...]
    summary: str
    task: str

    def __call__(self, **options) -> Dataset:
        return load(self.name, **options)


GENERATORS: dict[str, Generator] = {}


def _generator(name: str, *, params, summary: str, task: str = "binary"):
    def register(make):
        GENERATORS[name] = Generator(name, make, tuple(params), summary, task)
        return make
    return register


def _samples(default: int, low: int) -> Param:
    return Param("samples", default, int, "number of points", low=low)


_PLANE = Param("dim", 2, int, "number of features (points in the plane)", choices=(2,))


def _jitter(noise: float) -> Param:
    return Param("noise", noise, float, "standard deviation of the Gaussian jitter", low=0.0)


@_generator(
    "blobs",
    params=(_samples(100, 2), Param("dim", 2, int, "number of features", low=1),
            Param("margin", 0.1, float, "margin gamma of the true separator", low=0.0,
                  high=0.99),
            Param("noise", 0.0, float, "fraction of labels flipped (0: separable)", low=0.0,
                  high=0.5)),
    summary="points uniform in the unit ball outside the slab |w*.x| < gamma, y = sign(w*.x), "
            "a fraction of labels flipped",
)
def _blobs(rng, samples, dim, margin, noise):
    """Uniform in {x : ||x|| <= 1, |w*.x| >= gamma}, w* a random unit normal through the
    origin, y = sign(w*.x); then round(noise * samples) labels flipped. The draws are those of
    the ``perceptron`` problem, so the same seed gives the same points."""
    w_true = rng.standard_normal(dim)
    w_true /= np.linalg.norm(w_true)
    X = _ball_outside_slab(rng, samples, w_true, margin)
    y = np.where(X @ w_true > 0, 1.0, -1.0)
    flipped = rng.permutation(samples)[: int(round(noise * samples))]
    y[flipped] *= -1.0
    return X, y, {"w_true": w_true, "margin": margin, "flipped": np.sort(flipped),
                  "separable": len(flipped) == 0,
                  "radius": float(np.sqrt(1.0 + np.max(np.sum(X * X, axis=1))))}


def _slab_tail(dim: int, margin: float) -> float:
    """P(|w.x| >= margin) for x uniform in the unit ball of R^dim, w a unit vector:
    1 - (w.x)^2 ~ Beta((dim + 1)/2, 1/2), so it is I_{1 - margin^2}((dim + 1)/2, 1/2)."""
    from scipy.special import betainc
    return float(betainc((dim + 1) / 2.0, 0.5, 1.0 - margin * margin)) if margin > 0 else 1.0


def _ball_outside_slab(rng, samples, w, margin):
    """``samples`` points uniform in the unit ball with |w.x| >= margin (w a unit vector).

    By rejection while at least 5% of the ball is kept (the draws of the perceptron problem);
    beyond that (a wide margin in many dimensions) by the exact conditional law: t = w.x with
    1 - t^2 ~ Beta((d+1)/2, 1/2) truncated to t^2 >= margin^2, a random sign, then a point
    uniform in the (d-1)-ball of radius sqrt(1 - t^2) orthogonal to w."""
    dim = w.size
    if _slab_tail(dim, margin) >= 0.05:
        X = np.empty((samples, dim))
        filled = 0
        while filled < samples:
            cand = rng.standard_normal((2 * samples, dim))
            cand *= (rng.uniform(size=(2 * samples, 1)) ** (1.0 / dim)
                     / np.linalg.norm(cand, axis=1, keepdims=True))
            cand = cand[np.abs(cand @ w) >= margin]
            take = min(len(cand), samples - filled)
            X[filled:filled + take] = cand[:take]
            filled += take
        return X
    from scipy.special import betainc, betaincinv
    a = (dim + 1) / 2.0
    s = betaincinv(a, 0.5, rng.uniform(size=samples) * betainc(a, 0.5, 1.0 - margin * margin))
    t = np.clip(np.sqrt(1.0 - s), margin, 1.0) * rng.choice([-1.0, 1.0], size=samples)
    X = t[:, None] * w
    if dim > 1:
        z = rng.standard_normal((samples, dim))
        z -= np.outer(z @ w, w)
        z /= np.linalg.norm(z, axis=1, keepdims=True)
        r = np.sqrt(1.0 - t * t) * rng.uniform(size=samples) ** (1.0 / (dim - 1))
        X += r[:, None] * z
    return X


XOR_CORNERS = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
XOR_LABELS = np.array([-1.0, 1.0, 1.0, -1.0])  # y = -x1 x2: +1 where the signs differ


@_generator(
    "xor",
    params=(Param("samples", 4, int, "number of points (the 4 corners, cycled)", low=4),
            _PLANE,
            Param("noise", 0.0, float, "standard deviation of the Gaussian jitter around the "
                  "corners (0 with 4 samples: the exact XOR points)", low=0.0)),
    summary="XOR: the corners of [-1, 1]^2, y = -x1 x2; cycled and jittered for more samples",
)
def _xor(rng, samples, dim, noise):
    """Point i at the corner i mod 4 of {-1, 1}^2 plus noise * N(0, I); y = -x1 x2 of the
    corner (the classes are balanced). No linear separator exists (the four corners)."""
    idx = np.arange(samples) % 4
    X = XOR_CORNERS[idx] + noise * rng.standard_normal((samples, 2))
    return X, XOR_LABELS[idx].copy(), {"corners": XOR_CORNERS.copy(), "noise": noise}


def _halves(samples):
    """Class sizes: the -1 class gets the odd sample."""
    return samples - samples // 2, samples // 2


def _shuffled(rng, X, y, noise):
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


@_generator(
    "moons",
    params=(_samples(100, 2), _PLANE, _jitter(0.1)),
    summary="two interleaved half circles",
)
def _moons(rng, samples, dim, noise):
    """-1: (cos t, sin t), +1: (1 - cos t, 1/2 - sin t), t evenly spaced in [0, pi]; jitter
    noise * N(0, I), then shuffled."""
    n_neg, n_pos = _halves(samples)
    a, b = np.linspace(0.0, np.pi, n_neg), np.linspace(0.0, np.pi, n_pos)
    X = np.vstack([np.column_stack([np.cos(a), np.sin(a)]),
                   np.column_stack([1.0 - np.cos(b), 0.5 - np.sin(b)])])
    y = np.r_[-np.ones(n_neg), np.ones(n_pos)]
    X, y = _shuffled(rng, X, y, noise)
    return X, y, {"noise": noise}


@_generator(
    "circles",
    params=(_samples(100, 2), _PLANE, _jitter(0.05),
            Param("factor", 0.5, float, "radius of the inner circle (the outer one has 1)",
                  low=0.0, strict=True, high=0.99)),
    summary="two concentric circles: -1 outside (radius 1), +1 inside (radius factor)",
)
def _circles(rng, samples, dim, noise, factor):
    """-1 on the unit circle, +1 on the circle of radius ``factor``, angles evenly spaced;
    jitter noise * N(0, I), then shuffled."""
    n_neg, n_pos = _halves(samples)
    a = np.linspace(0.0, 2.0 * np.pi, n_neg, endpoint=False)
    b = np.linspace(0.0, 2.0 * np.pi, n_pos, endpoint=False)
    X = np.vstack([np.column_stack([np.cos(a), np.sin(a)]),
                   factor * np.column_stack([np.cos(b), np.sin(b)])])
    y = np.r_[-np.ones(n_neg), np.ones(n_pos)]
    X, y = _shuffled(rng, X, y, noise)
    return X, y, {"noise": noise, "factor": factor}


@_generator(
    "spirals",
    params=(_samples(100, 2), _PLANE, _jitter(0.05),
            Param("turns", 1.5, float, "turns of each spiral", low=0.0, strict=True,
                  high=10.0)),
    summary="two interleaved spirals (the second is the first turned by pi)",
)
def _spirals(rng, samples, dim, noise, turns):
    """-1: r (cos theta, sin theta) with r = 0.1 + 0.9 s, theta = 2 pi turns s, s evenly
    spaced in [0, 1]; +1: the same turned by pi; jitter noise * N(0, I), then shuffled."""
    n_neg, n_pos = _halves(samples)
    parts = []
    for n, sign in ((n_neg, 1.0), (n_pos, -1.0)):
        s = np.linspace(0.0, 1.0, n)
        r, theta = 0.1 + 0.9 * s, 2.0 * np.pi * turns * s
        parts.append(sign * np.column_stack([r * np.cos(theta), r * np.sin(theta)]))
    y = np.r_[-np.ones(n_neg), np.ones(n_pos)]
    X, y = _shuffled(rng, np.vstack(parts), y, noise)
    return X, y, {"noise": noise, "turns": turns}


@_generator(
    "regression",
    params=(_samples(100, 1), Param("dim", 10, int, "number of features", low=1),
            Param("cond", 10.0, float, "condition number of X (singular values log-spaced)",
                  low=1.0),
            Param("noise", 0.1, float, "standard deviation of the noise on y", low=0.0)),
    summary="y = X w* + noise, X with singular values log-spaced in [1/cond, 1]",
    task="regression",
)
def _regression(rng, samples, dim, cond, noise):
    """X = U diag(s) V' with U, V random orthonormal columns and s log-spaced from 1 down to
    1/cond (so kappa(X) = cond when min(samples, dim) >= 2); w* ~ N(0, I), y = X w* + noise
    * N(0, I). The draws are those of the ``least-squares`` problem."""
    k = min(samples, dim)
    U, _ = np.linalg.qr(rng.standard_normal((samples, k)))
    V, _ = np.linalg.qr(rng.standard_normal((dim, k)))
    sv = np.logspace(0.0, -np.log10(cond), k)
    X = (U * sv) @ V.T
    w_true = rng.standard_normal(dim)
    y = X @ w_true + noise * rng.standard_normal(samples)
    return X, y, {"w_true": w_true, "noise": noise, "cond": cond, "singular_values": sv}


def dataset_names() -> tuple[str, ...]:
    """Every dataset name :func:`load` knows: the generators, then the real datasets."""
    return tuple(GENERATORS) + REAL


# ----------------------------------------------------------------------------- real datasets


def _sklearn_datasets(name: str):
    try:
        from sklearn import datasets
    except ImportError as exc:
        raise MissingDependencyError(
            f"the dataset {name!r} ships with scikit-learn, which could not be imported "
            f"({exc}); install it with {EXTRA_HINT}, or choose a generated dataset or a file "
            f"(option --data).") from None
    return datasets


def _real(name: str):
    """(X, codes or values, classes, feature names, target name, extra) of a bundled dataset."""
    ds = _sklearn_datasets(name)
    if name == "diabetes":  # features mean-centred and scaled by std * sqrt(samples)
        bunch = ds.load_diabetes()
        return (bunch.data, bunch.target, (), bunch.feature_names, "progression",
                {"description": "disease progression one year after baseline"})
    loader, target_name = {"iris": (ds.load_iris, "species"),
                           "breast-cancer": (ds.load_breast_cancer, "diagnosis"),
                           "digits": (ds.load_digits, "digit")}[name]
    bunch = loader()
    classes = tuple(_py(c) for c in bunch.target_names)
    return bunch.data, bunch.target, classes, bunch.feature_names, target_name, {}


# ----------------------------------------------------------------------------- files


def _resolve(name) -> tuple[str, Any]:
    """("generator" | "real", key) or ("file", Path) for the ``--data`` argument."""
    if isinstance(name, os.PathLike):
        return "file", Path(name)
    if not isinstance(name, str):
        raise InvalidTypeError(f"the dataset must be a name or a file path; got "
                               f"{name!r} ({type(name).__name__}) (option --data).")
    text = name.strip()
    key = text.lower().replace("_", "-")
    if key in GENERATORS:
        return "generator", key
    if key in REAL:
        return "real", key
    if text.lower().endswith(FILE_SUFFIXES) or "/" in text or os.sep in text or (
            text and os.path.exists(text)):
        return "file", Path(text)
    err = unknown_name("dataset", text, dataset_names())
    raise UnknownNameError(f"{err} Or a file ending in {', '.join(FILE_SUFFIXES)} "
                           "(option --data).")


def _check_file(path: Path) -> Path:
    path = path.expanduser().absolute()
    if not path.exists():
        raise InvalidValueError(f"data file '{path}' does not exist (option --data).")
    if path.is_dir():
        raise InvalidValueError(f"'{path}' is a directory; expected a data file ending in "
                                f"{', '.join(FILE_SUFFIXES)} (option --data).")
    if not path.name.lower().endswith(FILE_SUFFIXES):
        raise InvalidValueError(f"cannot tell the format of '{path}': expected a name ending "
                                f"in {', '.join(FILE_SUFFIXES)} (option --data).")
    if path.stat().st_size == 0:
        raise InvalidValueError(f"data file '{path}' is empty (option --data).")
    return path


def _unreadable(path: Path, kind: str, exc: BaseException) -> InvalidValueError:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return InvalidValueError(f"could not read '{path}' as {kind}: {detail} (option --data).")


def _read_table(path: Path):
    """A pandas DataFrame from a CSV or Parquet file; errors name the file."""
    if path.name.lower().endswith(".csv"):
        import pandas as pd
        try:
            with warnings.catch_warnings():  # extra fields: refused, not silently dropped
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(path, index_col=False)
        except pd.errors.EmptyDataError:
            raise InvalidValueError(f"data file '{path}' is empty (option --data).") from None
        except pd.errors.ParserWarning:
            raise InvalidValueError(f"could not read '{path}' as CSV: some rows have more "
                                    "fields than the header (option --data).") from None
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
            raise _unreadable(path, "CSV", exc) from None
        names_ = [str(c) for c in frame.columns]
        if names_ and all(_is_number(c) for c in names_) and names_ != [
                str(j) for j in range(len(names_))]:
            raise InvalidValueError(f"the first line of '{path}' holds numbers "
                                    f"({', '.join(names_[:3])}...), not column names: add a "
                                    "header row (option --data).")
        return frame
    try:
        import pandas as pd
        import pyarrow  # noqa: F401  (pandas' Parquet engine; a core dependency)
    except ImportError as exc:
        raise MissingDependencyError(f"reading Parquet needs pyarrow ({exc}): pip install "
                                     "pyarrow, or give a CSV or NPZ file (option --data).")\
            from None
    try:
        return pd.read_parquet(path)
    except (ValueError, OSError) as exc:  # pyarrow.ArrowInvalid is a ValueError
        raise _unreadable(path, "Parquet", exc) from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _from_table(frame, path: Path, target):
    """(X, target values, feature names, target name) from a DataFrame, every column checked."""
    import pandas as pd
    frame = frame.rename(columns=str)
    columns = list(frame.columns)
    if frame.shape[0] == 0:
        raise InvalidValueError(f"data file '{path}' has no rows (only the header "
                                f"{', '.join(columns)}) (option --data).")
    if target is None:
        target = columns[-1]
    elif not isinstance(target, str):
        raise InvalidTypeError(f"the target must be a column name; got {target!r} "
                               "(option --target).")
    if target not in columns:
        err = unknown_name("column", target, columns, where=f"'{path.name}'")
        raise UnknownNameError(f"{str(err).rstrip('.')} (option --target).")
    features = [c for c in columns if c != target]
    if not features:
        raise InvalidValueError(f"data file '{path}' has only the target column {target!r}; "
                                "it needs feature columns too (option --data).")
    for c in features:
        col = frame[c]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            continue
        as_num = pd.to_numeric(col, errors="coerce")
        bad = np.flatnonzero((as_num.isna() & col.notna()).to_numpy())
        example = f" ({col.iloc[bad[0]]!r} at data row {bad[0] + 1})" if bad.size else ""
        raise InvalidTypeError(f"column {c!r} of '{path}' is not numeric{example}; features "
                               "must be numbers: encode or drop the column, or make it the "
                               "target (option --data).")
    missing = frame.isna().sum()
    holes = [c for c in columns if missing[c] > 0]
    if holes:
        c = holes[0]
        first = int(np.flatnonzero(frame[c].isna().to_numpy())[0]) + 1
        also = f"; also in {', '.join(map(repr, holes[1:]))}" if len(holes) > 1 else ""
        raise InvalidValueError(f"column {c!r} of '{path}' has {missing[c]} missing "
                                f"value{'s' if missing[c] > 1 else ''} (first at data row "
                                f"{first}){also}; fill or drop them (option --data).")
    X = frame[features].to_numpy(dtype=np.float64)
    col = frame[target]
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        values = col.to_numpy()
    else:
        values = col.astype(str).to_numpy(dtype=object)
    return X, values, features, target


def _read_npz(path: Path, target):
    """(X, y, feature names, target key) from an NPZ with arrays X and y (or ``target``)."""
    key = "y" if target is None else target
    if not isinstance(key, str) or key == "X":
        raise InvalidTypeError(f"the target must be the name of an array other than X; got "
                               f"{target!r} (option --target).")
    unreadable = (ValueError, OSError, EOFError, zipfile.BadZipFile)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
        is_zip = zipfile.is_zipfile(path)
    except OSError as exc:
        raise _unreadable(path, "NPZ", exc) from None
    if magic == b"\x93NUMPY":  # a single array: an .npy file under another name
        raise InvalidValueError(f"data file '{path}' holds one array, not arrays X and y; "
                                "save it with np.savez(path, X=..., y=...) (option --data).")
    if not is_zip:
        raise InvalidValueError(f"could not read '{path}' as NPZ: it is not a zip archive "
                                "of arrays; save it with np.savez(path, X=..., y=...) "
                                "(option --data).")
    try:
        npz = np.load(path, allow_pickle=False)
    except unreadable as exc:
        raise _unreadable(path, "NPZ", exc) from None
    with npz:
        keys = list(npz.files)
        if "X" not in keys:
            raise InvalidValueError(f"data file '{path}' has no array 'X' (it has "
                                    f"{', '.join(keys) or 'none'}); save it with "
                                    "np.savez(path, X=..., y=...) (option --data).")
        if key not in keys:
            err = unknown_name("array", key, [k for k in keys if k != "X"],
                               where=f"'{path.name}'")
            raise UnknownNameError(f"{str(err).rstrip('.')} (option --target).")
        try:
            X, y = npz["X"], npz[key]
            feature_names = npz["feature_names"] if "feature_names" in keys else None
        except unreadable as exc:
            raise _unreadable(path, "NPZ", exc) from None
    if X.ndim == 1:  # one feature
        X = X[:, None]
    if feature_names is not None and feature_names.shape != (X.shape[1],):
        feature_names = None
    return X, y, (None if feature_names is None else [str(f) for f in feature_names]), key


# ----------------------------------------------------------------------------- targets


def _py(value):
    """A NumPy scalar as a plain Python value (class labels in ``Dataset.classes``)."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _class_codes(values: np.ndarray, forced: bool):
    """(codes, classes) of raw target values, or None when they look like a regression
    target: numbers that are not integers or take more than MAX_INFERRED_CLASSES values.
    ``forced`` (the caller asked for classes): integers always count as classes, other
    numbers when few."""
    if values.dtype.kind in "fiu":
        values = values.astype(np.float64)
        uniq = np.unique(values)
        integers = bool(np.all(uniq == np.round(uniq)))
        few = uniq.size <= MAX_INFERRED_CLASSES
        if not ((integers and (few or forced)) or (forced and few)):
            return None
    else:
        values = values.astype(bool) if values.dtype.kind == "b" else values.astype(str)
        uniq = np.unique(values)
    return np.searchsorted(uniq, values), tuple(_py(c) for c in uniq)


def _match_class(positive, classes, target_desc):
    """Index of the class ``positive`` names: equal as text (then in any case), equal as a
    number, or the code of a named class (positive=0 is 'setosa' for iris)."""
    text = str(positive).strip()
    for same in (lambda c: str(c) == text, lambda c: str(c).lower() == text.lower()):
        hits = [k for k, c in enumerate(classes) if same(c)]
        if hits:
            return hits[0]
    if _is_number(text):
        number = float(text)
        hits = [k for k, c in enumerate(classes)
                if isinstance(c, int | float) and not isinstance(c, bool) and c == number]
        if hits:
            return hits[0]
        if all(isinstance(c, str) for c in classes) and number.is_integer() and (
                0 <= number < len(classes)):
            return int(number)
    err = unknown_name("class", text, [str(c) for c in classes], where=target_desc)
    raise UnknownNameError(f"{str(err).rstrip('.')} (option positive=).")


def _encode(values, *, classes, task, positive, labels, target_desc, from_file):
    """(y, task, classes): the target coded as documented on :class:`Dataset`.

    ``classes``: None for raw target values to be inferred (files, arrays); ``()`` for a
    known regression target; the class values when ``values`` are codes into them
    (generated and bundled data). ``from_file``: --target can pick another column."""
    option = "option --target" if from_file else "option --data"
    values = np.asarray(values)
    if values.ndim != 1:
        raise InvalidValueError(f"{target_desc} must be a vector; got shape {values.shape} "
                                f"({option}).")
    if values.dtype.kind not in "fiubUSO":
        raise InvalidTypeError(f"{target_desc} has values of type {values.dtype}; expected "
                               f"numbers or class names ({option}).")
    numeric = values.dtype.kind in "fiub"
    if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        bad = int(np.count_nonzero(~np.isfinite(values)))
        raise InvalidValueError(f"{target_desc} has {bad} missing or infinite value"
                                f"{'s' if bad > 1 else ''}; fill or drop them ({option}).")
    wants_classes = task in ("binary", "multiclass") or positive is not None
    if task == "regression" and positive is not None:
        raise InvalidValueError("positive= picks a class, but task='regression' "
                                "(option positive=).")
    if classes is None:
        if task == "regression" and not numeric:
            raise InvalidTypeError(f"{target_desc} is not numeric (e.g. {values[0]!r}); a "
                                   f"regression target must be numbers ({option}).")
        coded = None if task == "regression" else _class_codes(values, forced=wants_classes)
        if coded is None:
            classes = ()
        else:
            codes, classes = coded
    elif classes:
        if task == "regression":
            raise InvalidValueError(f"{target_desc} holds class labels ({_listing(classes)}); "
                                    f"this problem needs a regression target (option --data).")
        codes = values.astype(np.int64)
    if not classes:
        if wants_classes:
            n = np.unique(values).size
            raise InvalidValueError(f"{target_desc} is a regression target ({n} distinct "
                                    "real values), this problem needs class labels; choose "
                                    f"{'--target or ' if from_file else ''}"
                                    "another dataset (option --data).")
        return values.astype(np.float64), "regression", ()
    if len(classes) < 2:
        raise InvalidValueError(f"{target_desc} has a single class ({_listing(classes)}); "
                                f"a classification target needs at least 2 ({option}).")
    if positive is not None:
        if task == "multiclass":
            raise InvalidValueError("positive= makes the target binary, but task='multiclass' "
                                    "(option positive=).")
        k = _match_class(positive, classes, target_desc)
        chosen = classes[k]
        rest = [c for c in classes if c != chosen]
        other = rest[0] if len(rest) == 1 else f"not {chosen}"
        codes, classes = (codes == k).astype(np.int64), (other, chosen)
    if task is None:
        task = "binary" if len(classes) == 2 else "multiclass"
    if task == "binary" and len(classes) != 2:
        raise InvalidValueError(_wrong_classes(target_desc, classes, 2, from_file))
    if task == "binary" and labels == "pm1":
        return np.where(codes == 1, 1.0, -1.0), task, classes
    return codes.astype(np.float64), task, classes


def _listing(classes, limit=6) -> str:
    shown = ", ".join(map(str, classes[:limit]))
    return shown + (f", ... ({len(classes)} in all)" if len(classes) > limit else "")


def _wrong_classes(target_desc, classes, k, from_file) -> str:
    choose = "--target or positive=" if from_file else "positive="
    example = f" (e.g. positive={classes[0]})" if classes else ""
    return (f"{target_desc} has {len(classes)} classes ({_listing(classes)}), this problem "
            f"needs {k}; choose {choose}{example}.")


def require_classes(dataset: Dataset, k: int) -> Dataset:
    """``dataset`` if its target has exactly ``k`` classes, else an error saying which option
    picks another target (a binary problem calls ``require_classes(d, 2)``)."""
    desc = f"the target {dataset.target_name!r} of {dataset.name!r}"
    if dataset.task == "regression":
        raise InvalidValueError(f"{desc} is a regression target (real values), this problem "
                                f"needs {k} classes; choose another dataset or --target "
                                f"(option --data).")
    if len(dataset.classes) != k:
        raise InvalidValueError(_wrong_classes(desc, dataset.classes, k,
                                               dataset.source.startswith("file:")))
    return dataset


# ----------------------------------------------------------------------------- building


def _check_features(X, feature_names, where: str, option: str) -> np.ndarray:
    X = np.asarray(X)
    if X.dtype.kind not in "fiub":
        raise InvalidTypeError(f"the features of {where} have type {X.dtype}; expected numbers "
                               f"({option}).")
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise InvalidValueError(f"the features of {where} must be 2-D (samples x features); "
                                f"got shape {X.shape} ({option}).")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise InvalidValueError(f"{where} has no samples or no features (shape {X.shape}) "
                                f"({option}).")
    for what, bad in (("missing", np.isnan(X)), ("infinite", np.isinf(X))):
        counts = bad.sum(axis=0)
        if counts.any():
            j = int(np.flatnonzero(counts)[0])
            first = int(np.flatnonzero(bad[:, j])[0]) + 1
            raise InvalidValueError(f"feature {feature_names[j]!r} of {where} has {counts[j]} "
                                    f"{what} value{'s' if counts[j] > 1 else ''} (first at "
                                    f"data row {first}); fill or drop them ({option}).")
    return X


def _standardize(X: np.ndarray):
    """(X - mean) / std column by column; constant columns become 0 (their scale is 1)."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    constant = np.ptp(X, axis=0) == 0
    scale[constant] = 1.0
    Z = (X - mean) / scale
    Z[:, constant] = 0.0
    return np.ascontiguousarray(Z), mean, scale


def _build(X, values, *, name, source, feature_names, target_name, classes, task, positive,
           labels, standardize, extra, option) -> Dataset:
    X = np.asarray(X)
    names_ = (tuple(str(f) for f in feature_names) if feature_names is not None
              else _default_feature_names(X.shape[1] if X.ndim == 2 else 0))
    X = _check_features(X, names_, f"{name!r}", option)
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    target_desc = f"the target {target_name!r} of {name!r}"
    if values.shape[:1] != X.shape[:1]:
        raise InvalidValueError(f"{target_desc} has {values.shape[0] if values.ndim else 1} "
                                f"values for {X.shape[0]} samples ({option}).")
    y, task, classes = _encode(values, classes=classes, task=task, positive=positive,
                               labels=labels, target_desc=target_desc,
                               from_file=source.startswith("file:"))
    if standardize:
        X, mean, scale = _standardize(X)
        extra = {"mean": mean, "scale": scale, "raw": extra}
    return Dataset(X=X, y=y, name=name, source=source, task=task, classes=classes,
                   feature_names=names_, target_name=target_name, extra=extra)


def _options(task, labels, standardize):
    if task is not None and task not in TASKS:
        raise InvalidValueError(f"task must be one of {', '.join(TASKS)}; got {task!r} "
                                "(option task=).")
    if labels not in LABELS:
        raise InvalidValueError(f"labels must be one of {', '.join(LABELS)}; got {labels!r} "
                                "(option labels=).")
    return Param("standardize", False, bool).coerce(standardize, "",
                                                    where="option --standardize")


def from_arrays(X, y, *, name: str = "arrays", feature_names=None, target_name: str = "y",
                task: str | None = None, positive=None, labels: str = "pm1",
                standardize: bool = False) -> Dataset:
    """A :class:`Dataset` from arrays already in memory, checked and coded like a file.

    ``y`` holds numbers or class names; its task is inferred (integer values with at most
    20 distinct values, or text: class labels; other numbers: regression) unless ``task``
    says. See :func:`load` for ``positive``, ``labels`` and ``standardize``.

    >>> d = from_arrays([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], ["a", "b", "a"])
    >>> d.task, d.classes, d.y.tolist()
    ('binary', ('a', 'b'), [-1.0, 1.0, -1.0])
    """
    standardize = _options(task, labels, standardize)
    return _build(X, y, name=name, source="arrays", feature_names=feature_names,
                  target_name=target_name, classes=None, task=task, positive=positive,
                  labels=labels, standardize=standardize, extra={}, option="argument X")


def load(name, *, samples=None, dim=None, noise=None, margin=None, cond=None, seed=0,
         target=None, standardize=False, positive=None, labels="pm1", task=None,
         **params) -> Dataset:
    """Load the dataset ``name``: a generator, a real dataset or a file (``--data``).

    Parameters
    ----------
    name : str or path
        A name in :data:`GENERATORS` (``blobs``, ``xor``, ``moons``, ``circles``, ``spirals``,
        ``regression``), in :data:`REAL` (``iris``, ``breast-cancer``, ``digits``,
        ``diabetes``; needs ``pip install "optbench[datasets]"``), or a path ending in .csv,
        .npz, .parquet (or any existing file path). Names win over files of the same name;
        write ``./moons`` for the file.
    samples, dim, noise, margin, cond, **params
        Generator parameters; ``None`` means the generator's default, and a parameter the
        generator does not take is refused (``GENERATORS[name].params`` lists them).
    seed : int
        Seed of generated data (``np.random.default_rng(seed)``); ignored by fixed data.
    target : str, optional
        Files only: the target column (CSV, Parquet; default the last column) or array (NPZ;
        default ``y``, with features in ``X``).
    standardize : bool
        Features to zero mean and unit variance (constant columns to 0); ``extra`` then holds
        ``mean``, ``scale`` and, under ``raw``, the facts about the data before (the true
        separator, the margin ... no longer hold in the new coordinates).
    positive : class name or value, optional
        Makes the target binary: this class (+1) against the rest (-1), e.g. ``positive=
        "setosa"`` (or ``0``, its code) for iris.
    labels : {"pm1", "01"}
        Binary targets as {-1, +1} or {0, 1}. Multiclass targets are always 0..K-1.
    task : {"binary", "multiclass", "regression"}, optional
        What the caller needs; refused with an error naming the option when the target does
        not fit (three classes for a binary problem ...). ``None``: inferred.

    Examples
    --------
    >>> load("xor").X.tolist()
    [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
    >>> float(load("regression", samples=50, dim=5, cond=100.0).extra["singular_values"][-1])
    0.01
    """
    standardize = _options(task, labels, standardize)
    kind, key = _resolve(name)
    given = {k: v for k, v in dict(samples=samples, dim=dim, noise=noise, margin=margin,
                                   cond=cond, **params).items() if v is not None}
    common = dict(task=task, positive=positive, labels=labels, standardize=standardize)
    if kind == "generator":
        if target is not None:
            raise InvalidValueError(f"target= picks a column of a data file; the generated "
                                    f"dataset {key!r} has its own target (option --target).")
        gen = GENERATORS[key]
        owner = f"dataset {key!r}"
        values = coerce_all(gen.params, given, owner)
        seed = Param("seed", 0, int, low=0).coerce(seed, owner, where="option --seed")
        X, y, extra = gen.make(np.random.default_rng(seed), **values)
        extra = {**extra, "params": {**values, "seed": seed}}
        if gen.task == "regression":
            return _build(X, y, name=key, source=f"generated: {key} (seed {seed})",
                          feature_names=None, target_name="y", classes=(), extra=extra,
                          option=f"dataset {key!r}", **common)
        return _build(X, (y > 0).astype(np.int64), name=key,
                      source=f"generated: {key} (seed {seed})", feature_names=None,
                      target_name="y", classes=(-1, 1), extra=extra,
                      option=f"dataset {key!r}", **common)
    if given:
        what = "a bundled dataset" if kind == "real" else "a data file"
        listed = ", ".join(f"{k}=" for k in given)
        verb = "applies" if len(given) == 1 else "apply"
        raise InvalidValueError(f"{listed} {verb} only to generated datasets, and "
                                f"{str(key)!r} is {what} (option --data).")
    if kind == "real":
        if target is not None:
            raise InvalidValueError(f"target= picks a column of a data file; {key!r} has its "
                                    f"own target (option --target).")
        X, values, classes, feature_names, target_name, extra = _real(key)
        return _build(X, values, name=key, source=f"scikit-learn: {key}",
                      feature_names=feature_names, target_name=target_name, classes=classes,
                      extra=extra, option="option --data", **common)
    path = _check_file(key)
    if path.name.lower().endswith(".npz"):
        X, values, feature_names, target_name = _read_npz(path, target)
    else:
        X, values, feature_names, target_name = _from_table(_read_table(path), path, target)
    stem = path.name.rsplit(".", 1)[0]
    return _build(X, values, name=stem, source=f"file: {path}", feature_names=feature_names,
                  target_name=target_name, classes=None, extra={}, option="option --data",
                  **common)


# ------------------------------------------------------------ problem families built on data
def data_params(default: str) -> tuple[Param, ...]:
    """The parameters of a problem family that draws its data from this layer.

    ``data`` names a generator, a bundled dataset or a file (``--data``); the generator
    parameters default to None, meaning the generator's own default (and are refused for a
    bundled dataset or a file); ``target``, ``positive`` and ``standardize`` are those of
    :func:`load`. The family adds its own ``seed``."""
    return (
        Param("data", default, str, "a generator (" + ", ".join(GENERATORS) + "), a bundled "
              "dataset (" + ", ".join(REAL) + ") or a .csv/.npz/.parquet file"),
        Param("samples", None, int, "number of generated points", low=1),
        Param("dim", None, int, "number of generated features", low=1),
        Param("noise", None, float, "noise of generated data (label flips for blobs)",
              low=0.0),
        Param("margin", None, float, "margin of generated blobs", low=0.0, high=0.99),
        Param("cond", None, float, "condition number of generated regression data", low=1.0),
        Param("target", None, str, "files: the target column (default: the last one)"),
        Param("positive", None, str, "class against the rest, for a binary problem"),
        Param("standardize", False, bool, "features to zero mean and unit variance"),
    )


def load_for(values: dict, *, task: str, labels: str = "pm1") -> Dataset:
    """Load the dataset described by a family's :func:`data_params` values (plus ``seed``)."""
    positive = values.get("positive")
    if positive is not None and _is_number(positive):
        positive = float(positive) if "." in positive else int(positive)
    return load(values["data"], samples=values.get("samples"), dim=values.get("dim"),
                noise=values.get("noise"), margin=values.get("margin"),
                cond=values.get("cond"), seed=values.get("seed", 0),
                target=values.get("target"), positive=positive,
                standardize=values.get("standardize", False), labels=labels, task=task)
