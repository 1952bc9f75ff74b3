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

from .._lazy import lazy_names

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


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals(), __all__)
