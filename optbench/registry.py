"""One lookup for problems and solvers, by name; errors list what exists.

Problem families register where they are defined, with :func:`register_problem`; the built-in
catalogue (``problems/``), directories named by ``--problems-dir`` or ``OPTBENCH_PROBLEMS_PATH``,
and modules advertised under the entry-point group ``optbench.problems`` are loaded by path on
first lookup. Solvers register in ``optbench/solvers/`` with :func:`register_solver`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.machinery
import os
import sys
import traceback
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from .errors import (
    IncompatibleError,
    InvalidTypeError,
    InvalidValueError,
    OptbenchError,
    unknown_name,
)
from .params import Param, coerce_all
from .problem import Problem

__all__ = ["ProblemFamily", "Solver", "Plan", "register_problem", "register_solver",
           "get_family", "get_solver", "make_problem", "problem_options", "problem_names",
           "solver_names", "load_problem_dir", "builtin_problems_dir", "missing_capabilities",
           "unfit_reason", "check_fits"]

ENV_PATH = "OPTBENCH_PROBLEMS_PATH"
ENTRY_POINT_GROUP = "optbench.problems"
_CAPABILITY_TEXT = {
    "grad": "a gradient", "hess": "a Hessian", "labelled": "labelled data (X, y)",
    "1d": "a one-dimensional x", "quadratic": "a quadratic objective (constant Hessian)",
    "finite_sum": "a finite-sum objective with per-batch gradients",
    "f_star": "a known optimal value f*", "L": "a known Lipschitz constant L of the gradient",
}


@dataclass(frozen=True)
class ProblemFamily:
    """A registered problem: a builder taking the declared parameters, returning a Problem."""

    name: str
    build: Callable[..., Problem]
    params: tuple[Param, ...]
    summary: str
    source: str = ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class Plan:
    """How one run calls the compiled code: ``entry(oracle, x0, *args, control)``, the extra
    history columns that call fills and, when the plan resolved a parameter for this problem
    (gd's ``step=auto`` becomes ``1/L`` or ``armijo``), the parameter values as run."""

    entry: Any
    args: tuple
    columns: tuple[str, ...] = ()
    values: dict | None = None  # the parameter values as run, when the plan resolved one


@dataclass(frozen=True)
class Solver:
    """A registered solver.

    ``entry`` is the public compiled function, called as
    ``entry(oracle, x0, *[values of params, in order], control)``; ``needs`` lists the problem
    capabilities it requires; ``columns`` names the extra history columns it fills.
    ``prepare(problem, values) -> Plan``, when given, replaces that default call: it checks
    what depends on the problem (a known L, f*...) and picks the compiled entry (a step-size
    rule, a variant) with its arguments.
    """

    name: str
    entry: Any
    params: tuple[Param, ...]
    family: str
    summary: str
    formula: str
    reference: str
    needs: frozenset[str] = frozenset({"grad"})
    columns: tuple[str, ...] = ()
    prepare: Callable[[Problem, dict], Plan] | None = field(default=None, compare=False)
    shortcut_of: str = ""

    def plan(self, problem: Problem, values: dict) -> Plan:
        if self.prepare is not None:
            return self.prepare(problem, values)
        return Plan(self.entry, tuple(values[p.name] for p in self.params), self.columns)

    def with_defaults(self, name: str, summary: str, needs=None, **defaults) -> Solver:
        """A named shortcut of this solver (``gd-armijo``) with other parameter defaults
        (and, when those defaults need more of a problem, other ``needs``)."""
        params = tuple(dataclasses.replace(p, default=defaults.pop(p.name, p.default))
                       for p in self.params)
        if defaults:
            raise KeyError(f"{self.name} has no parameters {sorted(defaults)}")
        return dataclasses.replace(self, name=name, summary=summary, params=params,
                                   shortcut_of=self.name,
                                   needs=frozenset(needs) if needs else self.needs)


_families: dict[str, ProblemFamily] = {}
_solvers: dict[str, Solver] = {}
_loaded_dirs: set[Path] = set()
_catalogue_loaded = False


# -- registration ----------------------------------------------------------------------------
def _source(build) -> str:
    """Where a builder is defined: ``file.py:line``."""
    code = getattr(build, "__code__", None)
    if code is None:
        return getattr(build, "__module__", "?")
    return f"{code.co_filename}:{code.co_firstlineno}"


def register_problem(name: str, *, params=(), summary: str, replace: bool = False):
    """Decorator registering a problem family under ``name`` (lower-case, hyphens).

    The decorated builder receives the declared parameters as keywords and returns a
    :class:`~optbench.Problem`. A name that is already registered by other code (a built-in
    or another file) is refused, naming both places, unless ``replace=True`` asks to replace
    it on purpose. Running the same definition again (a module imported twice) replaces it
    silently."""

    def deco(build):
        old = _families.get(name)
        if old is not None and not replace and old.source != _source(build):
            raise OptbenchError(
                f"problem {name!r} is registered twice: by {old.source} and by "
                f"{_source(build)}; rename one, or pass replace=True to register_problem "
                "to replace the first on purpose")
        _families[name] = ProblemFamily(name, build, tuple(params), summary,
                                        source=_source(build))
        return build

    return deco


def register_solver(solver: Solver) -> Solver:
    _solvers[solver.name] = solver
    return solver


# -- loading the catalogue ---------------------------------------------------------------------
def builtin_problems_dir() -> Path:
    """``problems/`` next to the package (editable install) or inside it (wheel)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_problems", here.parent / "problems"):
        if candidate.is_dir():
            return candidate
    raise OptbenchError(f"the built-in problem catalogue is missing (looked in {here})")


BUILTIN_PACKAGE = "optbench_problems"


def _package_for(directory: Path, builtin: bool) -> str:
    """The package a problems directory is imported as (made once per process): its files
    are its modules, so that they can import their siblings (``from ._helpers import r``)."""
    name = BUILTIN_PACKAGE if builtin else \
        "optbench_user_problems_" + hashlib.sha256(str(directory).encode()).hexdigest()[:10]
    if name not in sys.modules:
        package = types.ModuleType(name, f"problems loaded from {directory}")
        package.__path__ = [str(directory)]
        package.__file__ = str(directory / "__init__.py")
        package.__package__ = name
        package.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        package.__spec__.submodule_search_locations = [str(directory)]
        sys.modules[name] = package
    return name


def _load_error(path: Path, exc: BaseException) -> OptbenchError:
    """A problem file that failed to import: the error and the line of that file."""
    line = next((f.lineno for f in reversed(traceback.extract_tb(exc.__traceback__))
                 if Path(f.filename).resolve().parent == path.parent), None)
    where = f"{path}:{line}" if line else str(path)
    if isinstance(exc, OptbenchError):
        return type(exc)(f"{exc} (in {where})")
    text = " ".join(str(exc).split())
    return OptbenchError(f"could not load problem file {where}: {type(exc).__name__}: "
                         f"{text[:300]}")


def load_problem_dir(directory, *, builtin: bool = False) -> None:
    """Import every ``*.py`` file of ``directory`` not starting with ``_`` as a module of one
    package, so files may share helpers: ``from ._helpers import residual`` imports
    ``_helpers.py`` of the same directory (which is not itself a problem file)."""
    if not isinstance(directory, str | os.PathLike) or not str(directory).strip():
        raise InvalidValueError(f"a problems directory must be a path; got {directory!r} "
                                f"(option --problems-dir or {ENV_PATH})")
    directory = Path(directory).expanduser().resolve()
    if directory in _loaded_dirs:
        return
    if not directory.is_dir():
        raise InvalidValueError(
            f"problems directory {str(directory)!r} does not exist (option --problems-dir "
            f"or {ENV_PATH})")
    _loaded_dirs.add(directory)
    package = _package_for(directory, builtin)
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"{package}.{path.stem}"
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise _load_error(path, exc) from exc


def _ensure_catalogue() -> None:
    global _catalogue_loaded
    if _catalogue_loaded:
        return
    _catalogue_loaded = True
    load_problem_dir(builtin_problems_dir(), builtin=True)
    for entry in os.environ.get(ENV_PATH, "").split(os.pathsep):
        if entry.strip():
            load_problem_dir(entry.strip())
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as exc:
            raise OptbenchError(f"could not load problems from entry point {ep.name!r} "
                                f"({ep.value}): {type(exc).__name__}: {exc}") from exc


def _ensure_solvers() -> None:
    from . import solvers  # noqa: F401  (registers the built-in solvers)


# -- lookup --------------------------------------------------------------------------------------
def problem_names() -> list[str]:
    _ensure_catalogue()
    return sorted(_families)


def solver_names() -> list[str]:
    _ensure_solvers()
    return sorted(_solvers)


def get_family(name: str) -> ProblemFamily:
    _ensure_catalogue()
    try:
        return _families[name]
    except KeyError:
        raise unknown_name("problem", name, _families) from None


def get_solver(name: str) -> Solver:
    _ensure_solvers()
    try:
        return _solvers[name]
    except KeyError:
        raise unknown_name("solver", name, _solvers) from None


def named_values(values, option: str) -> dict:
    """A copy of a NAME: VALUE mapping given from Python (None: empty); anything else is an
    error naming ``option``."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise InvalidTypeError(f"{option} must be a dict of NAME: VALUE; got "
                               f"{type(values).__name__} (option {option})")
    return dict(values)


def problem_options(dim=None, seed=None, params: dict | None = None) -> dict:
    """``params`` with ``dim`` and ``seed`` added (options of their own on the command line and
    in :func:`optbench.run`, but problem parameters all the same); given both ways: an error."""
    merged = named_values(params, "problem_params")
    for key, value in (("dim", dim), ("seed", seed)):
        if value is None:
            continue
        if merged.get(key) is not None:
            raise InvalidValueError(
                f"{key} is given twice ({key}={value} and problem parameter {key}="
                f"{merged[key]}); give it once (option --{key} or -P {key})")
        merged[key] = value
    return merged


def make_problem(name: str, **params) -> Problem:
    """Build the problem ``name`` with ``params`` (validated; ``None`` values mean default)."""
    family = get_family(name)
    given = {k: v for k, v in params.items() if v is not None}
    data_keys = [k for k in ("data", "target", "standardize") if k in given]
    if data_keys and family.param("data") is None:
        takers = [n for n in sorted(_families) if _families[n].param("data") is not None]
        raise InvalidValueError(
            f"problem {name!r} does not take a dataset; problems that do: "
            f"{', '.join(takers)} (option --{data_keys[0]})")
    for key in ("dim", "seed"):
        if key in given and family.param(key) is None:
            if key == "seed":  # a deterministic problem simply has no randomness to seed
                del given[key]
                continue
            raise InvalidValueError(
                f"problem {name!r} has a fixed dimension; drop --dim (option dim)")
    values = coerce_all(family.params, given, f"problem {name!r}")
    try:
        problem = family.build(**values)
    except OptbenchError:
        raise
    except (ValueError, TypeError) as exc:  # the builder refused these values: say which
        shown = ", ".join(f"{k}={v!r}" for k, v in values.items()) or "no parameters"
        kind = InvalidTypeError if isinstance(exc, TypeError) else InvalidValueError
        raise kind(f"problem {name!r} with {shown}: its builder ({family.source}) raised "
                   f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from exc
    except MemoryError as exc:  # numpy refuses an allocation larger than the machine
        sizes = [k for k in ("dim", "samples", "hidden", "data") if k in given] or list(given)
        shown = ", ".join(f"{k}={given[k]}" for k in sizes)
        raise InvalidValueError(
            f"problem {name!r} with {shown} needs more memory than this machine has "
            f"({exc}); choose a smaller size (option {' / '.join(sizes) or 'dim'})") from None
    if not isinstance(problem, Problem):
        raise OptbenchError(f"problem family {name!r} returned {type(problem).__name__}, "
                            "expected an optbench.Problem")
    problem.params = values
    return problem


def missing_capabilities(solver: Solver, problem: Problem) -> list[str]:
    """What ``solver`` needs that ``problem`` lacks, as readable phrases (empty if it fits)."""
    return [_CAPABILITY_TEXT.get(c, c) for c in sorted(solver.needs - problem.capabilities)]


def unfit_reason(solver: Solver, problem: Problem) -> str | None:
    """Why ``solver`` with its default parameters cannot run on ``problem`` (None if it can):
    a missing capability, or what the solver's ``prepare`` step refuses."""
    missing = missing_capabilities(solver, problem)
    if missing:
        return f"needs {' and '.join(missing)}"
    try:
        solver.plan(problem, coerce_all(solver.params, {}, f"solver {solver.name!r}"))
    except IncompatibleError as exc:
        return str(exc).split(";")[0]
    return None


def check_fits(solver: Solver, problem: Problem) -> None:
    missing = missing_capabilities(solver, problem)
    if missing:
        raise IncompatibleError(
            f"solver {solver.name!r} needs {' and '.join(missing)}, which problem "
            f"{problem.name!r} does not provide; see `optbench info {problem.name}` for the "
            "solvers that fit")
