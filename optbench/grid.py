"""A sweep's configuration, checked and expanded into cells.

A configuration (a TOML file or the same structure as a dict) names problems with their
parameters, solvers with parameter grids, seeds, the stopping rules of every run and the
tolerance that counts a run as *solved*::

    seeds = "0-4"            # or [0, 1, 2]
    solved = 1e-6            # solved when f <= f_L + solved * (f(x0) - f_L)  (More & Wild)
    problems_dirs = []       # extra directories of problem files (optional)
    solvers_dirs = []        # extra directories of solver files (optional)

    [run]                    # options of every run (optbench run --help)
    max_iter = 500
    tol = 1e-8

    [[problems]]
    name = "quadratic"
    dim = [2, 10]            # a value or a list: every list is a grid axis
    params = { cond = [10, 100] }

    [[solvers]]
    name = "gd"
    params = { step = [0.01, 0.1, 1.0] }

A *cell* is one run: a problem instance (name, parameters, seed), a solver with one value of
each parameter, and the run options. Its key is a hash of exactly those, so a cell means the
same run in every sweep that contains it. Everything is validated before any run starts: an
unknown key, problem, solver or parameter, or a value out of bounds, is refused with the
option named; a solver that does not fit a problem is left out and reported, not run.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .control import RUN_OPTIONS, run_options
from .errors import (
    IncompatibleError,
    InvalidTypeError,
    InvalidValueError,
    OptbenchError,
    unknown_name,
)
from .params import INT_LIMIT, coerce_all, shown
from .registry import (
    fits,
    get_family,
    get_problem_set,
    get_solver,
    load_code_dir,
    make_problem,
)

__all__ = ["Cell", "SweepPlan", "plan_sweep", "load_config", "parse_seeds", "seed_count",
           "cell_key", "config_hash", "DEFAULT_SOLVED", "MAX_CELLS"]

DEFAULT_SOLVED = 1e-6
_TOP_KEYS = ("problems", "solvers", "seeds", "run", "solved", "problems_dirs", "solvers_dirs")
_ENTRY_KEYS = {"problems": ("name", "dim", "params"), "solvers": ("name", "params")}


@dataclass(frozen=True)
class Cell:
    """One run of a sweep, everything a worker needs to repeat it (plain data: picklable)."""

    key: str
    problem: str
    problem_params: dict[str, Any]   # as given (dim included), coerced to their kinds
    seed: int
    solver: str
    solver_params: dict[str, Any]    # as given, coerced
    run: dict[str, Any]              # the run options given, coerced
    instance: str                    # "quadratic(dim=2, cond=10)": the problem without seed
    setting: str                     # "gd(step=0.1)": the solver with its grid values
    solver_values: dict[str, Any] = field(default_factory=dict)  # every solver parameter
    index: int = 0                   # position in the sweep (tables list cells in this order)


@dataclass
class SweepPlan:
    """A checked sweep whose cells are listed on demand: ``count`` of them, in sweep order
    (problem instance, then solver setting, then seed), each made when asked for
    (:meth:`iter_cells`, :meth:`cell`), their keys in chunks (:meth:`keys`). The plan itself
    holds the instances, the settings, which pairs fit, and the seeds."""

    config: dict[str, Any]
    hash: str
    instances: list[tuple[str, dict[str, Any], str]]         # (problem, params, label)
    settings: list[tuple[str, dict[str, Any], dict[str, Any], str]]  # (solver, given,
    pairs: list[tuple[int, int]]     # fitting (instance, setting)       values, label)
    seeds: list[int]
    run: dict[str, Any]
    skipped: list[str]               # "cg on rosenbrock: needs a quadratic objective"
    problems_dirs: tuple[str, ...]
    solved: float
    solvers_dirs: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.pairs) * len(self.seeds)

    @property
    def cells(self) -> list[Cell]:
        """Every cell as a list (small plans; a sweep streams them with iter_cells)."""
        return list(self.iter_cells())

    def iter_cells(self, indices=None) -> Iterator[Cell]:
        """The cells in sweep order, or those at ``indices`` (increasing)."""
        if indices is None:
            indices = range(self.count)
        for index in indices:
            yield self.cell(int(index))

    def cell(self, index: int) -> Cell:
        pair, j = divmod(index, len(self.seeds))
        i, k = self.pairs[pair]
        problem, pparams, instance = self.instances[i]
        solver, given, values, setting = self.settings[k]
        seed = self.seeds[j]
        return Cell(self._key(pair, seed), problem, pparams, seed, solver, given, self.run,
                    instance, setting, values, index)

    def keys(self, chunk: int = 1 << 16) -> Iterator[np.ndarray]:
        """The cell keys in sweep order, in arrays of up to ``chunk`` 20-byte keys."""
        out = []
        for pair in range(len(self.pairs)):
            for seed in self.seeds:
                out.append(self._key(pair, seed))
                if len(out) == chunk:
                    yield np.array(out, "S20")
                    out = []
        if out:
            yield np.array(out, "S20")

    def _key(self, pair: int, seed: int) -> str:
        """sha256 of the cell's identity as canonical JSON (``_canonical``), first 20 hex
        digits: the identity's text is the same for every seed of a pair but the seed, so
        its two sides are made once per pair."""
        cache = self.__dict__.setdefault("_halves", {})
        halves = cache.get(pair)
        if halves is None:
            if len(cache) > 4096:
                cache.clear()
            i, k = self.pairs[pair]
            problem, pparams, _ = self.instances[i]
            solver, given, _, _ = self.settings[k]
            halves = cache[pair] = _key_halves(problem, pparams, solver, given, self.run)
        return hashlib.sha256(b"%s%d%s" % (halves[0], seed, halves[1])).hexdigest()[:20]

    @property
    def code_dirs(self) -> tuple[tuple[str, str], ...]:
        """The user's directories as ``(kind, path)`` pairs, for the workers to load
        (:func:`optbench.registry.load_code_dirs`)."""
        return (*(("problems", d) for d in self.problems_dirs),
                *(("solvers", d) for d in self.solvers_dirs))


def load_config(source) -> dict[str, Any]:
    """A configuration from a dict (returned as is) or a TOML file path (UTF-8, a byte-order
    mark allowed)."""
    if isinstance(source, dict):
        return source
    if not isinstance(source, str | Path):
        raise InvalidTypeError(f"a sweep config is a dict or the path of a TOML file; got "
                               f"{type(source).__name__} (option CONFIG)")
    path = Path(source)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidValueError(f"cannot read sweep config {str(path)!r}: {exc.strerror} "
                                "(option CONFIG)") from None
    except UnicodeDecodeError as exc:
        raise InvalidValueError(f"sweep config {str(path)!r} is not UTF-8 text (byte "
                                f"{exc.start}); a config is a TOML file (option CONFIG)") \
            from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidValueError(f"sweep config {str(path)!r} is not valid TOML: {exc} "
                                "(option CONFIG)") from None


_DIGITS = re.compile(r"[0-9]+")


def seed_count(value) -> int:
    """How many seeds ``value`` names, counted without listing them (so that
    ``"0-2000000000"`` is refused by its size, not by the memory it would take)."""
    if isinstance(value, str):
        total = 0
        for part in value.replace(" ", "").split(","):
            lo, dash, hi = part.partition("-")
            if not _DIGITS.fullmatch(lo) or (dash and not _DIGITS.fullmatch(hi)):
                raise _bad_seeds(value)
            total += max(int(hi) - int(lo) + 1, 0) if dash else 1
        return total
    return len(value) if isinstance(value, list | tuple) else 1


def _bad_seeds(value):
    return InvalidValueError(f"seeds must be a list of integers, 'A-B' or 'A,B,C' (ASCII "
                             f"digits, at most 2^62); got {shown(value)} (option seeds / "
                             "--seeds)")


def parse_seeds(value) -> list[int]:
    """``[0, 1]``, ``3`` (one seed), ``"0-4"`` (inclusive) or ``"0,2,5"``, as a list of ints."""
    if isinstance(value, bool):
        raise _bad_seeds(value)
    if isinstance(value, int):
        seeds = [value]
    elif isinstance(value, str):
        seed_count(value)  # the form is checked before anything is listed
        seeds = []
        for part in value.replace(" ", "").split(","):
            lo, dash, hi = part.partition("-")
            seeds.extend(range(int(lo), int(hi) + 1) if dash else [int(lo)])
    elif isinstance(value, list | tuple):
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in value):
            raise _bad_seeds(value)
        seeds = list(value)
    else:
        raise _bad_seeds(value)
    if not seeds or any(s < 0 or s > INT_LIMIT for s in seeds):
        raise _bad_seeds(value)
    if len(set(seeds)) != len(seeds):
        raise InvalidValueError(f"seeds repeat a value: {shown(value)} (option seeds / --seeds)")
    return seeds


def cell_key(problem: str, problem_params: dict, seed: int, solver: str,
             solver_params: dict, run: dict) -> str:
    """The key of a cell: a hash of exactly the run it stands for."""
    identity = {"problem": problem, "problem_params": problem_params, "seed": seed,
                "solver": solver, "solver_params": solver_params, "run": run}
    return hashlib.sha256(_canonical(identity).encode()).hexdigest()[:20]


_SEED_MARK = ',"seed":0,"solver":'


def _key_halves(problem, pparams, solver, given, run) -> tuple[bytes, bytes]:
    """The canonical identity text of a pair's cells before and after the seed's digits
    (its top-level keys sort as problem, problem_params, run, seed, solver, solver_params;
    quotes inside values are escaped, so the mark occurs once, at the top level)."""
    text = _canonical({"problem": problem, "problem_params": pparams, "seed": 0,
                       "solver": solver, "solver_params": given, "run": run})
    at = text.index(_SEED_MARK) + len(',"seed":')
    return text[:at].encode(), text[at + 1:].encode()


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(config).encode()).hexdigest()[:16]


def _canonical(obj) -> str:
    """One spelling of a config or a cell (keys sorted; inf as Infinity; others as str)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def _check_keys(table: dict, valid, where: str) -> None:
    if not isinstance(table, dict):
        raise InvalidTypeError(f"{where} must be a table of settings; got {shown(table)}")
    for key in table:
        if key not in valid:
            raise unknown_name("key", key, valid, where=where)


def _axis(value, where: str = "") -> list:
    """A grid axis: a list of values, or one value; an empty list is refused (naming
    ``where``), since it would make the grid empty."""
    if isinstance(value, list | tuple):
        if not value and where:
            raise InvalidValueError(f"{where} is an empty list: a grid axis needs at least "
                                    "one value")
        return list(value)
    return [value]


def _code_dirs(config: dict, kind: str) -> tuple[str, ...]:
    """The directories of problem (``kind="problems"``) or solver files the config names
    (``problems_dirs`` / ``solvers_dirs``), as absolute paths."""
    key = f"{kind}_dirs"
    value = config.get(key, [])
    items = value if isinstance(value, list | tuple) else [value]
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise InvalidTypeError(f"{key}[{i}] of the sweep config must be the path of "
                                   f"a directory; got {shown(item)} (option {key} / "
                                   f"--{kind}-dir)")
    return tuple(str(Path(d).expanduser().resolve()) for d in items)


def _entries(config: dict, kind: str) -> list[dict]:
    raw = config.get(kind)
    if not raw:
        raise InvalidValueError(f"the sweep config names no {kind} (option {kind} / "
                                f"--{kind})")
    entries = []
    for i, entry in enumerate(_axis(raw)):
        entry = {"name": entry} if isinstance(entry, str) else entry
        where = f"{kind}[{i}] of the sweep config"
        _check_keys(entry, _ENTRY_KEYS[kind], where)
        if not isinstance(entry.get("name"), str):
            raise InvalidValueError(f"{where} needs a name (option name)")
        if not isinstance(entry.get("params", {}), dict):
            raise InvalidTypeError(f"params of {where} must be a table of NAME = value(s)")
        entries.append(entry)
    return entries


def _grid(params: dict[str, Any]) -> list[dict[str, Any]]:
    names = list(params)
    return [dict(zip(names, values, strict=True))
            for values in itertools.product(*(_axis(params[n]) for n in names))]


def _label(name: str, values: dict[str, Any]) -> str:
    if not values:
        return name
    return f"{name}({', '.join(f'{k}={_short(v)}' for k, v in values.items())})"


def _short(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _set_instances(entry: dict, problem_set) -> tuple[list[tuple[str, dict[str, Any]]], dict]:
    """The instances of a problem set named in place of a problem: each with its own
    parameters (which the entry cannot change)."""
    given = [k for k in ("dim", "params") if entry.get(k)]
    if given:
        raise InvalidValueError(
            f"problem set {problem_set.name!r} fixes the parameters of its problems; drop "
            f"{given[0]} from its entry, or list the problems one by one (option problems)")
    instances = []
    for family_name, params in problem_set.entries:
        family = get_family(family_name)
        owner = f"problem {family.name!r} of set {problem_set.name!r}"
        coerce_all(family.params, params, owner)  # names and bounds
        instances.append((family.name, {k: family.param(k).coerce(v, owner)
                                        for k, v in params.items()}))
    return instances, {"name": problem_set.name, "params": {}}


def _problem_instances(entry: dict) -> tuple[list[tuple[str, dict[str, Any]]], dict]:
    """The instances of one problem entry (a problem family with grid axes, or a problem
    set), and the entry with its values coerced."""
    problem_set = get_problem_set(entry["name"])
    if problem_set is not None:
        return _set_instances(entry, problem_set)
    family = get_family(entry["name"])
    owner = f"problem {family.name!r}"
    axes = dict(entry.get("params", {}))
    if "dim" in entry:
        axes = {"dim": entry["dim"], **axes}
    if "seed" in axes:
        raise InvalidValueError(f"{owner}: give seeds with the sweep's seeds option, not as "
                                "a problem parameter (option seeds)")
    coerced = {}
    for name, values in axes.items():
        param = family.param(name)
        if param is None:
            raise unknown_name("parameter", name, [p.name for p in family.params],
                               where=owner)
        coerced[name] = [param.coerce(v, owner)
                         for v in _axis(values, f"params.{name} of {owner}")]
    instances = [(family.name, given) for given in _grid(coerced)]
    return instances, {"name": family.name, "params": coerced}


def _solver_settings(entry: dict) -> tuple[list[tuple[str, dict, dict]], dict]:
    """(name, the grid values, every parameter's value) per setting, and the entry with its
    values coerced."""
    solver = get_solver(entry["name"])
    owner = f"solver {solver.name!r}"
    axes = entry.get("params", {})
    coerce_all(solver.params, {k: _axis(v, f"params.{k} of {owner}")[0]
                               for k, v in axes.items()}, owner)  # names
    params = {p.name: p for p in solver.params}
    coerced = {k: [params[k].coerce(v, owner) for v in _axis(vs, f"params.{k} of {owner}")]
               for k, vs in axes.items()}
    settings = [(solver.name, given, coerce_all(solver.params, given, owner))
                for given in _grid(coerced)]
    return settings, {"name": solver.name, "params": coerced}


def _run_options(config: dict) -> dict[str, Any]:
    """The run options the config gives, coerced (the others keep optbench.run's defaults:
    ``gap_tol`` unset is not the same run as ``gap_tol = 0``)."""
    given = config.get("run", {})
    _check_keys(given, [p.name for p in RUN_OPTIONS], "[run] of the sweep config")
    return run_options(given, defaults=False)


def plan_sweep(source, *, max_cells: int | None = None) -> SweepPlan:
    """Check a configuration and plan its cells (nothing is run; the cells are listed on
    demand, see :class:`SweepPlan`).

    The cells are counted first: more than ``max_cells`` (default ``MAX_CELLS``) is refused
    unless raised on purpose (``--yes`` / ``yes=True``), and a grid whose runs table alone
    would not fit in memory is refused with the figure."""
    config = load_config(source)
    _check_keys(config, _TOP_KEYS, "the sweep config")
    dirs = _code_dirs(config, "problems")
    solver_dirs = _code_dirs(config, "solvers")
    for kind, directory in (*(("problems", d) for d in dirs),
                            *(("solvers", d) for d in solver_dirs)):
        load_code_dir(directory, kind)
    _check_size(config, MAX_CELLS if max_cells is None else max_cells)
    seeds = parse_seeds(config.get("seeds", [0]))
    solved = config.get("solved", DEFAULT_SOLVED)
    if isinstance(solved, bool) or not isinstance(solved, int | float) or not 0 <= solved < 1:
        raise InvalidValueError(f"solved must be a number in [0, 1); got {solved!r} "
                                "(option solved / --solved)")
    run = _run_options(config)
    problems = [_problem_instances(e) for e in _entries(config, "problems")]
    solvers = [_solver_settings(e) for e in _entries(config, "solvers")]
    instances = [inst for expanded, _ in problems for inst in expanded]
    settings = [s for expanded, _ in solvers for s in expanded]

    labelled = [(problem, pparams, _label(problem, pparams)) for problem, pparams in instances]
    labelled_settings = [(solver, given, values, _label(solver, given))
                         for solver, given, values in settings]
    pairs, skipped = [], []
    for i, (problem, pparams, instance) in enumerate(labelled):
        probe = None
        for k, (solver, _, values, setting) in enumerate(labelled_settings):
            if probe is None:  # built once per instance to check what fits
                probe = _probe(problem, seeds[0], pparams)
            reason = fits(probe, solver, values) if probe is not _UNBUILT else None
            if reason:
                skipped.append(f"{setting} on {instance}: {reason}")
                continue
            pairs.append((i, k))
    if not pairs:
        raise IncompatibleError("no solver of the sweep fits any of its problems: "
                                + "; ".join(skipped))
    # two cells have one key when the same instance or setting is listed twice
    if len({_canonical(inst[:2]) for inst in labelled}) != len(labelled) or \
            len({_canonical(st[:2]) for st in labelled_settings}) != len(labelled_settings):
        raise InvalidValueError("the sweep config lists the same run twice (a problem or a "
                                "solver setting repeated); remove the duplicate")
    normalized = dict(config, seeds=seeds, solved=float(solved), run=run,
                      problems=[e for _, e in problems], solvers=[e for _, e in solvers],
                      problems_dirs=list(dirs))
    normalized.pop("solvers_dirs", None)  # recorded when given (older configs keep their hash)
    if solver_dirs:
        normalized["solvers_dirs"] = list(solver_dirs)
    return SweepPlan(normalized, config_hash(normalized), labelled, labelled_settings, pairs,
                     seeds, run, skipped, dirs, float(solved), solver_dirs)


_UNBUILT = object()  # a problem instance whose builder raised while planning
MAX_CELLS = 100_000   # cells a sweep plans without --yes (yes=True)
_CELL_BYTES = 1_000   # memory one cell takes in the runs table a sweep returns, about


def _probe(problem: str, seed: int, params: dict[str, Any]):
    """The instance used to check which solvers fit; ``_UNBUILT`` when its builder raises
    something other than an optbench error (a data file it cannot read...): its cells are
    planned and record that error when they run, as any cell would."""
    try:
        return make_problem(problem, seed=seed, **params)
    except OptbenchError:
        raise
    except Exception:  # noqa: BLE001 - recorded per cell at run time
        return _UNBUILT


def _check_size(config: dict, limit: int) -> None:
    """Refuse a grid of more than ``limit`` cells (or than memory holds) before listing it."""
    def axis_len(value):
        return len(value) if isinstance(value, list | tuple) else 1

    instances = 0
    for entry in _entries(config, "problems"):
        problem_set = get_problem_set(entry["name"])
        if problem_set is not None:
            instances += len(problem_set.entries)
            continue
        n = axis_len(entry.get("dim", 1))
        for values in entry.get("params", {}).values():
            n *= axis_len(values)
        instances += n
    settings = 0
    for entry in _entries(config, "solvers"):
        n = 1
        for values in entry.get("params", {}).values():
            n *= axis_len(values)
        settings += n
    cells = instances * settings * seed_count(config.get("seeds", [0]))
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        memory = None
    if memory is not None and cells * _CELL_BYTES > memory // 4:
        raise InvalidValueError(
            f"the sweep has {cells:,} cells ({instances:,} problem instances x {settings:,} "
            f"solver settings x seeds); their runs table alone needs about "
            f"{cells * _CELL_BYTES / 2**30:.1f} GiB, more than a quarter of this machine's "
            "memory: make the grid smaller (options problems, solvers, seeds)")
    if cells > limit:
        raise InvalidValueError(
            f"the sweep has {cells:,} cells, more than {limit:,}; if that is what you want, "
            "say so with --yes (yes=True in Python) (options problems, solvers, seeds)")


def config_from_options(*, problems: str | None, solvers: str | None, solver_params=(),
                        problem_params=(), dims: str | None = None) -> dict[str, Any]:
    """The problems and solvers of a config from the command line's shorthand:
    ``--problems a,b --solvers x,y -p [SOLVER.]NAME=V1,V2 -P [PROBLEM.]NAME=V1,V2 --dim 2,10``.

    An unqualified ``NAME`` applies to every listed solver (problem) that has that
    parameter; grid values are separated by commas."""
    if not problems or not solvers:
        raise InvalidValueError("a sweep needs problems and solvers: give a CONFIG file, or "
                                "--problems A,B and --solvers X,Y")
    p_entries = [{"name": n, "params": {}} for n in _names(problems)]
    s_entries = [{"name": n, "params": {}} for n in _names(solvers)]
    _assign(s_entries, solver_params, "-p", lambda n: get_solver(n).params)
    def family_params(name):  # a problem set's members keep their own parameters
        return () if get_problem_set(name) is not None else get_family(name).params

    _assign(p_entries, problem_params, "-P", family_params)
    if dims:
        _assign(p_entries, [f"dim={dims}"], "--dim", family_params)
    return {"problems": p_entries, "solvers": s_entries}


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _assign(entries: list[dict], pairs, option: str, params_of) -> None:
    for pair in pairs or ():
        target, sep, values = pair.partition("=")
        owner, dot, name = target.strip().rpartition(".")
        if not sep or not name or not values.strip():
            raise InvalidValueError(f"{option} takes [NAME.]PARAM=V1,V2,...; got {pair!r}")
        chosen = [e for e in entries if (e["name"] == owner if dot else
                                         any(p.name == name for p in params_of(e["name"])))]
        if not chosen:
            where = (f"{owner!r} is not among the sweep's {[e['name'] for e in entries]}"
                     if dot else f"none of {[e['name'] for e in entries]} has a parameter "
                                 f"{name!r}")
            raise InvalidValueError(f"{option} {pair!r}: {where} (option {option})")
        for entry in chosen:
            if name in entry["params"]:
                raise InvalidValueError(
                    f"{option} {pair!r}: {name} of {entry['name']!r} is already given; list "
                    f"all its values once, {name}=V1,V2,... (option {option})")
            entry["params"][name] = [v.strip() for v in values.split(",")]
