"""Run options are validated once (optbench.control.run_options): optbench.run, sweep plans
and make_control refuse the same values with the same words, and the Control they build
says what the options say."""

import math

import pytest

import optbench
from optbench.control import RUN_OPTIONS, control_for, make_control, run_options
from optbench.errors import InvalidTypeError, InvalidValueError, UnknownNameError
from optbench.grid import plan_sweep
from optbench.harness import _prepare

# option, a value outside what its documentation (optbench run --help) allows
BAD = [("max_iter", -1), ("max_iter", 1.5), ("tol", -1e-3), ("rtol", math.nan),
       ("ftol_window", 0), ("gap_tol", -1.0), ("time_limit", 0.0), ("record_every", 0),
       ("record_x", "maybe")]


@pytest.mark.parametrize("name, value", BAD)
def test_run_sweep_and_make_control_refuse_alike(name, value):
    where = f"option {name} (--{name.replace('_', '-')})"
    refusals = []
    for attempt in (lambda: optbench.run("quadratic", "gd", dim=2, **{name: value}),
                    lambda: plan_sweep({"problems": ["quadratic"], "solvers": ["gd"],
                                        "run": {name: value}}),
                    lambda: make_control(**{name: value})):
        with pytest.raises((InvalidValueError, InvalidTypeError)) as refused:
            attempt()
        refusals.append(str(refused.value))
    assert refusals[0].startswith(where)
    assert refusals[0] == refusals[1] == refusals[2]


def test_defaults_fill_what_a_run_leaves_unset_and_a_sweep_keeps_unset():
    assert run_options({}) == {p.name: p.default for p in RUN_OPTIONS}
    assert run_options({"tol": None, "max_iter": "7"}) == \
        {**{p.name: p.default for p in RUN_OPTIONS}, "max_iter": 7}
    assert run_options({"max_iter": "7"}, defaults=False) == {"max_iter": 7}
    with pytest.raises(InvalidTypeError, match="option gap_tol"):
        run_options({"gap_tol": None}, defaults=False)  # unset is not the same run as 0
    with pytest.raises(UnknownNameError, match="max_iter"):
        run_options({"max_iters": 3})


def test_the_control_says_what_the_options_say():
    opts = run_options({"max_iter": 9, "tol": 1e-4, "ftol": 1e-3, "gap_tol": 1e-2})
    c = control_for(opts, gap=True, f_star=2.0, dim=3)
    assert (c.max_iter, c.tol, c.rtol, c.ftol, c.gap_tol, c.f_star) == \
        (9, 1e-4, -1.0, 1e-3, 1e-2, 2.0)  # rtol 0: off (-1)
    assert c.minimizers.shape == (0, 3)
    off = control_for(opts, gap=True, f_star=None, gradient_test=False)
    assert off.gap_tol == -math.inf and math.isnan(off.f_star) and off.tol == -1.0
    assert control_for(opts, gap=False, f_star=2.0).gap_tol == -math.inf
    assert make_control(tol=None).tol == -1.0 and make_control().tol == 1e-6


def test_a_run_tests_the_gap_only_when_gap_tol_is_given():
    p = optbench.make_problem("quadratic", dim=2)
    given = [None] * len(RUN_OPTIONS)
    unset = _prepare(p, "gd", None, None, tuple(given), None, None, {}).control
    given[[o.name for o in RUN_OPTIONS].index("gap_tol")] = 0.5
    chosen = _prepare(p, "gd", None, None, tuple(given), None, None, {}).control
    assert unset.gap_tol == -math.inf
    assert chosen.gap_tol == 0.5 and chosen.f_star == p.f_star - p.f_star_tol
