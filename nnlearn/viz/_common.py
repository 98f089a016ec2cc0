"""Shared plotting helpers: figures that pyplot does not track, colors, arrays."""

from __future__ import annotations

import numpy as np

from .. import backend as _backend
from .._display import new_figure

__all__ = ["figure_and_axes", "as_numpy", "COLORS"]

#: Matplotlib's default color cycle (tab10), for lines that must match across panels.
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def figure_and_axes(ax=None, nrows=1, ncols=1, figsize=None, **kw):
    """A new (pyplot-free) figure with a grid of axes, or ``ax``'s figure and ``ax``.

    Returns ``(fig, axes)`` with ``axes`` a 2-D array of Axes.
    """
    if ax is not None:
        if nrows * ncols != 1:
            raise ValueError("ax= can only be given for a single-panel plot")
        return ax.figure, np.array([[ax]])
    if figsize is None:
        figsize = (4.8 * ncols, 3.6 * nrows)
    fig = new_figure(figsize=figsize)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def as_numpy(a, dtype=np.float64) -> np.ndarray:
    """Any array, Tensor or list as a NumPy array (on the host)."""
    out = np.asarray(_backend.to_numpy(a))
    return out.astype(dtype, copy=False) if dtype is not None else out
