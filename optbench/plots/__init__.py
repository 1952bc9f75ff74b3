"""Pictures of runs and sweeps, as matplotlib figures (``pip install "optbench[plot]"``).

=========================  =================================================================
``plot_convergence``       gap (or gradient norm) against iteration and time, median and
                           quartile band over seeds, one line per setting
``plot_trajectories``      iterates on the contours of a 2-D problem (graph of a 1-D one)
``plot_sensitivity``       final gap or iterations to tolerance against a step size, log-log
``plot_profiles``          Dolan-More performance and More-Wild data profiles of a sweep
``plot_theory``            the GD bound on quadratics, the perceptron's mistake bound
``plot_classification``    decision boundaries on 2-D labelled data, mistakes per epoch
``write_report``           one self-contained HTML file for a results directory
=========================  =================================================================

matplotlib is imported when a figure is made, not when this package is imported; the
profile computations (``performance_profile``, ``data_profile``) need only pandas. The names
below are imported from their modules on first use (the command line imports only what a
command draws).
"""

import importlib

_LAZY = {
    "plot_classification": ".classification", "plot_convergence": ".convergence",
    **dict.fromkeys(("cost_matrix", "data_profile", "performance_profile", "plot_profiles"),
                    ".profiles"),
    "report_html": ".report", "write_report": ".report",
    "plot_sensitivity": ".sensitivity", "sensitivity_table": ".sensitivity",
    **dict.fromkeys(("plot_gd_bound", "plot_mistake_bound", "plot_theory"), ".theory"),
    "plot_trajectories": ".trajectories",
}

__all__ = ["plot_convergence", "plot_trajectories", "plot_sensitivity", "plot_profiles",
           "plot_theory", "plot_gd_bound", "plot_mistake_bound", "plot_classification",
           "performance_profile", "data_profile", "cost_matrix", "sensitivity_table",
           "write_report", "report_html"]


def __getattr__(name):
    """A plot function, imported from its module on first use; a submodule, imported."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    if not name.startswith("__"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})
