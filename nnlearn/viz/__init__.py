r"""Plots for the course, with matplotlib. Every function returns the Figure.

Figures are created with ``nnlearn._display.new_figure``, not through
pyplot: a returned figure shows exactly once in a notebook and is freed when
no longer used. Save one with ``fig.savefig("name.png")``.

Training
    :func:`learning_curves` (with :func:`diagnose`: the four questions to ask
    of a learning curve).
Optimization
    :func:`loss_surface` with paths from :func:`optimizer_path`.
Inside the network
    :func:`layer_histograms` (Glorot and Bengio's figures 6–7),
    :func:`gradient_norms` (vanishing and exploding gradients).
Results
    :func:`decision_boundary`, :func:`regression_fit`,
    :func:`regression_fits`, :func:`confusion_matrix`.
"""

from .curves import Diagnosis, Finding, diagnose, learning_curves
from .fits import confusion_counts, confusion_matrix, decision_boundary, regression_fit, regression_fits
from .layers import gradient_norms, histogram_lines, layer_histograms
from .surface import loss_surface, optimizer_path

__all__ = [
    "learning_curves",
    "diagnose",
    "Diagnosis",
    "Finding",
    "loss_surface",
    "optimizer_path",
    "layer_histograms",
    "histogram_lines",
    "gradient_norms",
    "decision_boundary",
    "regression_fit",
    "regression_fits",
    "confusion_matrix",
    "confusion_counts",
]
