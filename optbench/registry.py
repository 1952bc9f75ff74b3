"""One lookup for problems and solvers, by name; errors list what exists.

Problem families register where they are defined, with :func:`register_problem`; the built-in
catalogue (``problems/``), directories named by ``--problems-dir`` or ``OPTBENCH_PROBLEMS_PATH``,
and modules advertised under the entry-point group ``optbench.problems`` are loaded by path on
first lookup. Solvers register with :func:`register_solver`: the built-ins in
``optbench/solvers/``, a user's from directories named by ``--solvers-dir`` or
``OPTBENCH_SOLVERS_PATH`` and modules of the entry-point group ``optbench.solvers``, loaded the
same way (:func:`load_code_dir`).
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
           "solver_names", "load_problem_dir", "load_solver_dir", "load_code_dir",
           "load_code_dirs", "with_identity", "builtin_problems_dir", "missing_capabilities",
           "fits", "fitted_plan", "ProblemSet", "register_problem_set",
           "problem_set_names", "get_problem_set"]

ENV_PATH = "OPTBENCH_PROBLEMS_PATH"
ENTRY_POINT_GROUP = "optbench.problems"
SOLVERS_ENV_PATH = "OPTBENCH_SOLVERS_PATH"
SOLVERS_ENTRY_POINT_GROUP = "optbench.solvers"
_CAPABILITY_TEXT = {
    "grad": "a gradient", "hess": "a Hessian", "labelled": "labelled data (X, y)",
    "1d": "a one-dimensional x", "quadratic": "a quadratic objective (constant Hessian)",
    "finite_sum": "a finite-sum objective with per-batch gradients",
    "f_star": "a known optimal value f*", "L": "a known Lipschitz constant L of the gradient",
    "residuals": "least-squares structure (residuals and their Jacobian, in extra)",
}


# Which point a solver's f and grad_norm columns refer to (Solver.table_point).
AT_ITERATE = "x_k; f and grad_norm: the method's own evaluations"
_ASIDE = "the loop's, uncounted and untimed"
GRAD_AT_ITERATE = f"x_k; grad_norm: the method's gradient; f: {_ASIDE}"
AT_ROWS = f"x_k; f and grad_norm: {_ASIDE}"
AT_CALLBACK = ("x_k, the iterate at each callback; f and grad_norm: the solver's own "
               "evaluations there, else the harness's, uncounted and untimed")

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
    rule, a variant) with its arguments. ``source`` is where it was registered
    (``file.py:line``, set by :func:`register_solver`). ``table_point`` says which point the
    history's f and grad_norm refer to, and whether the method evaluated them (one of the
    ``AT_*`` texts here, or the solver's own).

    A plain ``numba.njit`` entry (given here or by ``prepare``) is compiled by
    :func:`optbench.jit` instead, which gives it an identity by content (see
    :mod:`optbench._jit`): its disk cache then hits in a new process and is never stale.
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
    source: str = field(default="", compare=False)
    table_point: str = AT_ITERATE

    def plan(self, problem: Problem, values: dict) -> Plan:
        if self.prepare is not None:
            plan = self.prepare(problem, values)
            entry = with_identity(plan.entry)
            return plan if entry is plan.entry else dataclasses.replace(plan, entry=entry)
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
_loaded_dirs: set[tuple[str, Path]] = set()  # (kind, directory) loaded in this process


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


@dataclass(frozen=True)
class ProblemSet:
    """A named collection of problem instances run as one (``--problems mgh``): each entry
    is a family name and its parameters."""

    name: str
    entries: tuple[tuple[str, dict], ...]
    summary: str
    source: str = ""


_sets: dict[str, ProblemSet] = {}


def register_problem_set(name: str, entries, *, summary: str, replace: bool = False) -> None:
    """Register the problem set ``name``: ``entries`` are (family, parameters) pairs,
    validated when the set is used. A name taken by another set or by a problem family is
    refused (unless ``replace=True`` for a set)."""
    entries = tuple((str(family), dict(params)) for family, params in entries)
    if not entries:
        raise OptbenchError(f"problem set {name!r} has no entries")
    caller = traceback.extract_stack(limit=2)[0]
    source = f"{caller.filename}:{caller.lineno}"
    old = _sets.get(name)
    if old is not None and not replace and old.source != source:
        raise OptbenchError(f"problem set {name!r} is registered twice: by {old.source} and "
                            f"by {source}; rename one, or pass replace=True")
    if name in _families:
        raise OptbenchError(f"problem set {name!r} has the name of a problem family "
                            f"({_families[name].source}); choose another")
    _sets[name] = ProblemSet(name, entries, summary, source)


def problem_set_names() -> list[str]:
    _ensure_catalogue()
    return sorted(_sets)


def get_problem_set(name: str) -> ProblemSet | None:
    """The set called ``name`` (None when no set has that name)."""
    _ensure_catalogue()
    return _sets.get(name)


# Modules that register solvers on their caller's behalf (optbench.external makes Python
# solvers): a registration's source is the first caller outside them.
_REGISTERING_MODULES = ("optbench.registry", "optbench.external")


def _caller_source() -> str:
    """``file.py:line`` of the code registering (outside the registering helpers)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") in _REGISTERING_MODULES:
        frame = frame.f_back
    return "?" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def register_solver(solver: Solver, *, replace: bool = False) -> Solver:
    """Register ``solver`` under ``solver.name`` (lower-case, hyphens); return it as
    registered (with its ``source``, and a plain ``numba.njit`` entry compiled by
    :func:`optbench.jit` instead).

    As with :func:`register_problem`, a name that is already registered by other code (a
    built-in or another file) is refused, naming both places, unless ``replace=True`` asks to
    replace it on purpose; registering from the same place again (a module imported twice)
    replaces it silently. What the record declares is checked here: ``params`` are
    :class:`~optbench.Param`, ``needs`` known capabilities, ``columns`` distinct names.

    >>> optbench.register_solver(Solver(name="my-gd", entry=my_gd, params=(...), ...))
    """
    if not isinstance(solver, Solver):
        raise InvalidTypeError(f"register_solver takes an optbench.Solver; got "
                               f"{type(solver).__name__}")
    source = _caller_source()
    solver = dataclasses.replace(
        solver, params=tuple(solver.params), needs=frozenset(solver.needs),
        columns=tuple(solver.columns), entry=with_identity(solver.entry), source=source)
    _check_solver(solver)
    old = _solvers.get(solver.name)
    if old is not None and not replace and old.source != source:
        raise OptbenchError(
            f"solver {solver.name!r} is registered twice: by {old.source} and by {source}; "
            "rename one, or pass replace=True to register_solver to replace the first on "
            "purpose")
    _solvers[solver.name] = solver
    return solver


def _check_solver(solver: Solver) -> None:
    """Refuse a solver record that cannot work, naming the solver and where it registers
    (a column named like a table's own is found by the generated checks, optbench.checks)."""
    name = solver.name
    if not isinstance(name, str) or not name or name.strip() != name or " " in name:
        raise InvalidValueError(f"a solver name is a word (lower-case, hyphens); got "
                                f"{name!r} (registered at {solver.source})")
    owner = f"solver {name!r} ({solver.source})"
    if not callable(solver.entry):
        raise InvalidTypeError(f"{owner}: entry must be a compiled function (optbench.jit); "
                               f"got {type(solver.entry).__name__}")
    for p in solver.params:
        if not isinstance(p, Param):
            raise InvalidTypeError(f"{owner}: params must be optbench.Param records; got "
                                   f"{type(p).__name__}")
    known = {"f", *_CAPABILITY_TEXT}
    for need in sorted(solver.needs - known):
        raise unknown_name("capability", need, known, where=f"{owner} (its needs)")
    for column in solver.columns:
        if not isinstance(column, str) or not column.isidentifier() or \
                solver.columns.count(column) > 1:
            raise InvalidValueError(f"{owner}: columns must be distinct names (identifiers); "
                                    f"got {solver.columns!r}")


_given_identity: dict = {}  # a plain numba entry -> the same function compiled by jit


def with_identity(entry):
    """``entry`` compiled by :func:`optbench.jit` when it is a plain ``numba.njit`` function
    (once per function), so that it has an identity by content like every compiled function
    of optbench and of user problems; anything else (optbench's own compiled functions, a
    Python solver's function) is returned unchanged."""
    from ._jit import is_optbench_jitted, jit
    from ._numba import is_cpu_dispatcher, target_options

    if not is_cpu_dispatcher(entry) or is_optbench_jitted(entry):
        return entry
    made = _given_identity.get(id(entry))
    if made is None or made[0] is not entry:
        made = _given_identity[id(entry)] = (
            entry, jit(entry, fastmath=target_options(entry).get("fastmath", False)))
    return made[1]


# -- loading the catalogue ---------------------------------------------------------------------
# Problems and solvers are loaded the same way: directories of user code (imported as a
# package each), a path variable listing such directories and an entry-point group, all
# loaded on first lookup, after the built-ins.
@dataclass(frozen=True)
class _CodeKind:
    word: str        # "problem" / "solver": what the files define
    option: str      # the command-line option naming a directory
    env: str         # the path variable
    group: str       # the entry-point group


CODE_KINDS = {
    "problems": _CodeKind("problem", "--problems-dir", ENV_PATH, ENTRY_POINT_GROUP),
    "solvers": _CodeKind("solver", "--solvers-dir", SOLVERS_ENV_PATH, SOLVERS_ENTRY_POINT_GROUP),
}


def builtin_problems_dir() -> Path:
    """``problems/`` next to the package (editable install) or inside it (wheel)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_problems", here.parent / "problems"):
        if candidate.is_dir():
            return candidate
    raise OptbenchError(f"the built-in problem catalogue is missing (looked in {here})")


BUILTIN_PACKAGE = "optbench_problems"


def _package_for(directory: Path, builtin: bool, kind: str = "problems") -> str:
    """The package a directory of problem (solver) files is imported as (made once per
    process): its files are its modules, so that they can import their siblings
    (``from ._helpers import r``)."""
    name = BUILTIN_PACKAGE if builtin else \
        f"optbench_user_{kind}_" + hashlib.sha256(str(directory).encode()).hexdigest()[:10]
    if name not in sys.modules:
        package = types.ModuleType(name, f"{kind} loaded from {directory}")
        package.__path__ = [str(directory)]
        package.__file__ = str(directory / "__init__.py")
        package.__package__ = name
        package.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        package.__spec__.submodule_search_locations = [str(directory)]
        sys.modules[name] = package
    return name


_PACKAGE_DIR = Path(__file__).resolve().parent
_IMPORTLIB_DIR = Path(importlib.__file__).resolve().parent


def _user_line(exc: BaseException, directory: Path | None = None) -> str | None:
    """``file.py:line`` of the innermost frame of ``exc``'s traceback in ``directory`` (or,
    without one, in neither optbench nor the import machinery): the user's line at fault."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        where = Path(frame.filename).resolve()
        if directory is not None:
            if where.parent == directory:
                return f"{where}:{frame.lineno}"
        elif not frame.filename.startswith("<") and \
                not where.is_relative_to(_PACKAGE_DIR) and not where.is_relative_to(_IMPORTLIB_DIR):
            return f"{where}:{frame.lineno}"
    return None


def _load_error(path: Path, exc: BaseException, kind: str = "problems") -> OptbenchError:
    """A problem (solver) file that failed to import: the error and the line of that file."""
    where = _user_line(exc, path.parent) or str(path)
    if isinstance(exc, OptbenchError):
        return type(exc)(f"{exc} (in {where})")
    text = " ".join(str(exc).split())
    return OptbenchError(f"could not load {CODE_KINDS[kind].word} file {where}: "
                         f"{type(exc).__name__}: {text[:300]}")


def load_code_dir(directory, kind: str = "problems", *, builtin: bool = False) -> None:
    """Import every ``*.py`` file of ``directory`` not starting with ``_`` as a module of one
    package, so files may share helpers: ``from ._helpers import residual`` imports
    ``_helpers.py`` of the same directory (which is not itself a problem or solver file).

    ``kind`` says what the directory holds, ``"problems"`` or ``"solvers"`` (for error
    messages, and the package's name); a directory is loaded once per kind and process."""
    k = CODE_KINDS[kind]
    if not isinstance(directory, str | os.PathLike) or not str(directory).strip():
        raise InvalidValueError(f"a {kind} directory must be a path; got {directory!r} "
                                f"(option {k.option} or {k.env})")
    directory = Path(directory).expanduser().resolve()
    if (kind, directory) in _loaded_dirs:
        return
    if not directory.is_dir():
        raise InvalidValueError(
            f"{kind} directory {str(directory)!r} does not exist (option {k.option} or "
            f"{k.env})")
    _loaded_dirs.add((kind, directory))
    package = _package_for(directory, builtin, kind)
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
            raise _load_error(path, exc, kind) from exc


def load_problem_dir(directory, *, builtin: bool = False) -> None:
    """Load the problem files of ``directory`` (see :func:`load_code_dir`)."""
    load_code_dir(directory, "problems", builtin=builtin)


def load_solver_dir(directory) -> None:
    """Load the solver files of ``directory`` (see :func:`load_code_dir`): each registers
    its solvers with :func:`register_solver`."""
    load_code_dir(directory, "solvers")


def load_code_dirs(dirs) -> None:
    """Load ``(kind, directory)`` pairs in order (a bare path is a problems directory)."""
    for item in dirs:
        kind, directory = ("problems", item) if isinstance(item, str | os.PathLike) else item
        load_code_dir(directory, kind)


_kinds_loaded: set[str] = set()


def _ensure_loaded(kind: str) -> None:
    """On first lookup: the built-ins of ``kind``, then the directories of its path variable,
    then the modules of its entry-point group."""
    if kind in _kinds_loaded:
        return
    _kinds_loaded.add(kind)
    k = CODE_KINDS[kind]
    if kind == "problems":
        load_code_dir(builtin_problems_dir(), kind, builtin=True)
    else:
        importlib.import_module("optbench.solvers")  # registers the built-in solvers
    for entry in os.environ.get(k.env, "").split(os.pathsep):
        if entry.strip():
            load_code_dir(entry.strip(), kind)
    for ep in entry_points(group=k.group):
        try:
            ep.load()
        except Exception as exc:
            where = _user_line(exc)
            at = f" at {where}" if where else ""
            if isinstance(exc, OptbenchError):
                raise type(exc)(f"{exc} (entry point {ep.name!r} of {k.group}{at})") from exc
            raise OptbenchError(f"could not load {kind} from entry point {ep.name!r} "
                                f"({ep.value}){at}: {type(exc).__name__}: "
                                f"{' '.join(str(exc).split())[:300]}") from exc


def _ensure_catalogue() -> None:
    _ensure_loaded("problems")


def _ensure_solvers() -> None:
    _ensure_loaded("solvers")


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
        if name in _sets:
            raise InvalidValueError(
                f"{name!r} is a problem set ({len(_sets[name].entries)} problems), not one "
                f"problem: run it with `optbench sweep --problems {name} ...`, list it with "
                f"`optbench list problems --set {name}`") from None
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


def fitted_plan(problem: Problem, solver: Solver, values: dict) -> Plan:
    """The one fitting rule: the :class:`Plan` of ``solver`` with its parameter ``values``
    (coerced, every parameter) on ``problem``, or ``IncompatibleError`` saying why it does
    not fit: a capability the problem lacks (``needs``), or what the solver's ``prepare``
    refuses for this problem. :func:`fits` is the same rule as a reason or None."""
    missing = missing_capabilities(solver, problem)
    if missing:
        needs = f"needs {' and '.join(missing)}"
        error = IncompatibleError(
            f"solver {solver.name!r} {needs}, which problem {problem.name!r} does not "
            f"provide; see `optbench info {problem.name}` for the solvers that fit")
        error.reason = needs
        raise error
    return solver.plan(problem, values)


def fits(problem, solver, params: dict | None = None) -> str | None:
    """None when ``solver`` (a name or a Solver) with ``params`` (the others at their
    defaults) can run on ``problem`` (a Problem, or a name: the instance built with its
    default parameters); else why not, as a short phrase (``needs a Hessian``, or the first
    clause of what the solver's ``prepare`` refuses). Run, sweeps, ``optbench info``,
    ``optbench check`` and the asv suites all decide by this (:func:`fitted_plan`).

    >>> fits("rosenbrock", "cg")
    'needs a quadratic objective (constant Hessian)'
    """
    problem = make_problem(problem) if isinstance(problem, str) else problem
    solver = get_solver(solver) if isinstance(solver, str) else solver
    values = coerce_all(solver.params, params or {}, f"solver {solver.name!r}")
    try:
        fitted_plan(problem, solver, values)
    except IncompatibleError as exc:
        return getattr(exc, "reason", None) or str(exc).split(";")[0]
    return None
