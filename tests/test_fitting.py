"""Whether a solver fits a problem is decided once (optbench.registry.fits): run, sweeps,
``optbench info`` and the asv suites agree with it on every built-in problem x solver pair,
and its two parts (capabilities, a solver's ``prepare``) say why a pair does not fit."""

import re
import sys
from pathlib import Path

import pytest

import optbench
from optbench.cli import main
from optbench.errors import IncompatibleError, InvalidValueError
from optbench.grid import plan_sweep
from optbench.harness import _prepare
from optbench.registry import Plan, Solver, fits

ROOT = Path(__file__).resolve().parent.parent


# listed at collection: problems other tests register while they run (their data files gone
# by then) are not built-in ones
BUILT_IN = optbench.problem_names()
BUILT_IN_SOLVERS = optbench.solver_names()


@pytest.fixture(scope="module")
def catalogue():
    """Every built-in problem with its default parameters (as run, info and asv build it)
    and with seed 0 (as a sweep's first seed builds it), and every solver name."""
    problems = BUILT_IN
    return ({p: optbench.make_problem(p) for p in problems},
            {p: optbench.make_problem(p, seed=0) for p in problems},
            BUILT_IN_SOLVERS)


def _unfit(instances, solvers) -> dict[tuple[str, str], str]:
    return {(p, s): reason for p, problem in instances.items() for s in solvers
            if (reason := fits(problem, s)) is not None}


@pytest.mark.slow
def test_run_sweep_info_and_asv_agree_with_fits(catalogue, capsys):
    defaults, seeded, solvers = catalogue
    unfit = _unfit(defaults, solvers)
    assert unfit and len(unfit) < len(defaults) * len(solvers)  # both kinds of pair exist

    # run: refuses exactly the pairs that do not fit, before any work, saying why
    for (p, s), reason in unfit.items():
        with pytest.raises(IncompatibleError) as refused:
            optbench.run(defaults[p], s)
        assert reason in str(refused.value)
    for p, problem in defaults.items():  # the rest pass run's checks (nothing compiled)
        for s in solvers:
            if (p, s) not in unfit:
                _prepare(problem, s, None, None, (None,) * 9, None, None, {})

    # a sweep of everything: the skipped pairs are the unfit ones, with the same reasons
    plan = plan_sweep({"problems": list(seeded), "solvers": solvers, "seeds": [0]})
    sweep_unfit = _unfit(seeded, solvers)
    assert sorted(plan.skipped) == sorted(f"{s} on {p}: {r}"
                                          for (p, s), r in sweep_unfit.items())
    kept = {(plan.instances[i][0], plan.settings[k][0]) for i, k in plan.pairs}
    assert kept == {(p, s) for p in seeded for s in solvers} - set(sweep_unfit)

    # optbench info: its "solvers" line and its "not fitting" lines
    for p in defaults:
        assert main(["info", p]) == 0
        out = capsys.readouterr().out
        listed = re.search(r"^  solvers     (.*)$", out, re.M).group(1)
        fitting = [s for s in solvers if (p, s) not in unfit]
        assert (listed.split(", ") if listed else []) == fitting
        assert re.findall(r"^  not fitting (.*)$", out, re.M) == \
            [f"{s} ({unfit[p, s]})" for s in solvers if (p, s) in unfit]

    # the asv suites: a small case for exactly the pairs that fit
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_solvers

    small = {tuple(c.split("/")[:2]) for c in bench_solvers.cases() if c.endswith("/small")}
    small = {(p, s) for p, s in small if p in defaults}  # (not problems tests registered)
    assert small == {(p, s) for p in bench_solvers.family_representatives() for s in solvers
                     if p in defaults and (p, s) not in unfit}


def test_a_missing_capability_is_named_and_refused_with_the_whole_sentence():
    p = optbench.make_problem("rosenbrock")
    assert fits(p, "newton") is None  # a gradient and a Hessian: both there
    reason = fits(p, "cg")
    assert reason == "needs a quadratic objective (constant Hessian)"
    with pytest.raises(IncompatibleError, match=re.escape(
            f"solver 'cg' {reason}, which problem 'rosenbrock' does not provide")):
        optbench.run(p, "cg")


def test_what_prepare_refuses_is_the_reason_up_to_its_hint():
    """A solver's prepare refusal: fits returns its first clause, run raises all of it."""
    base = optbench.get_solver("gd")

    def prepare(problem, values):
        if problem.dim > 2:
            raise IncompatibleError(f"dimension {problem.dim} is too large; use dim=2")
        return Plan(base.entry, tuple(values[q.name] for q in base.params))

    solver = Solver(name="gd-small", entry=base.entry, params=base.params, family="test",
                    summary="", formula="", reference="", prepare=prepare)
    big, small = (optbench.make_problem("quadratic", dim=d) for d in (3, 2))
    assert fits(big, solver) == "dimension 3 is too large"
    assert fits(small, solver) is None
    with pytest.raises(IncompatibleError, match="dimension 3 is too large; use dim=2"):
        optbench.run(big, solver)


def test_a_value_the_problem_cannot_take_is_a_misfit_and_still_a_bad_value():
    """batch_size above the problem's samples: a sweep leaves the setting out for that
    problem only, while a run refuses the value (InvalidValueError, as before)."""
    small = optbench.make_problem("xor-mlp")  # m = 4 samples
    assert small.samples == 4
    assert "batch_size" in fits(small, "minibatch-sgd", {"batch_size": 16})
    assert fits(small, "minibatch-sgd", {"batch_size": 4}) is None
    with pytest.raises(InvalidValueError, match="batch_size"):
        optbench.run(small, "minibatch-sgd", batch_size=16)
    plan = plan_sweep({"problems": ["xor-mlp", {"name": "least-squares"}],
                       "solvers": [{"name": "minibatch-sgd",
                                    "params": {"batch_size": [4, 16]}}]})
    assert [s.split(":")[0] for s in plan.skipped] == ["minibatch-sgd(batch_size=16) on xor-mlp"]
    assert len(plan.pairs) == 3


def test_fits_takes_a_problem_by_name_as_built_with_its_defaults(catalogue):
    """``optbench.fits("rosenbrock", "cg")``: the name means the default instance."""
    defaults, _, solvers = catalogue
    assert optbench.fits is fits
    for problem in ("rosenbrock", "quadratic", "perceptron", "xor-mlp"):
        for solver in solvers:
            assert fits(problem, solver) == fits(defaults[problem], solver), (problem, solver)
    assert fits("rosenbrock", "cg") == "needs a quadratic objective (constant Hessian)"
    with pytest.raises(optbench.UnknownNameError, match="unknown problem 'nope'"):
        fits("nope", "gd")
