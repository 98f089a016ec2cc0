r"""Loss surfaces of two parameters, with the paths optimizers take on them.

With two parameters :math:`(\phi_0, \phi_1)` the loss
:math:`L(\phi_0, \phi_1)` is a landscape that can be drawn as a filled contour
map, and an optimizer's iterates :math:`\boldsymbol\phi_0, \boldsymbol\phi_1,
\dots` are a path on it. :func:`optimizer_path` runs any
:mod:`nnlearn.optim` optimizer from a gradient function;
:func:`loss_surface` draws the map and the paths.
"""

from __future__ import annotations

import numpy as np

from .. import backend as _backend
from ._common import as_numpy, color, figure_and_axes

__all__ = ["loss_surface", "optimizer_path"]


def _grid(surface, x_range, y_range, num):
    """``(X, Y, Z, is_gabor)`` from a GaborSurface, an (X, Y, Z) triple or a function."""
    from ..data import GaborSurface

    if isinstance(surface, GaborSurface):
        return as_numpy(surface.phi0), as_numpy(surface.phi1), as_numpy(surface.loss), True
    if isinstance(surface, (tuple, list)) and len(surface) == 3 and not callable(surface):
        X, Y, Z = (as_numpy(a) for a in surface)
        if not (X.ndim == Y.ndim == Z.ndim == 2 and X.shape == Y.shape == Z.shape):
            raise ValueError(
                "loss_surface: an (X, Y, Z) triple needs three 2-D arrays of the same shape "
                f"(from numpy.meshgrid), got shapes {X.shape}, {Y.shape}, {Z.shape}"
            )
        return X, Y, Z, False
    if callable(surface):
        if x_range is None or y_range is None:
            raise ValueError("loss_surface: with a function, give x_range=(lo, hi) and y_range=(lo, hi)")
        X, Y = np.meshgrid(np.linspace(*x_range, num), np.linspace(*y_range, num))
        try:
            Z = as_numpy(surface(X, Y))
            if Z.shape != X.shape:
                raise ValueError
        except Exception:  # not vectorized: evaluate point by point
            Z = np.array([[float(as_numpy(surface(a, b))) for a, b in zip(ra, rb)]
                          for ra, rb in zip(X, Y)])
        return X, Y, Z, False
    raise TypeError(
        "loss_surface expects a GaborSurface (nnlearn.data.gabor_loss_surface), an (X, Y, Z) "
        f"triple of grids, or a function f(x, y) with x_range and y_range; got {type(surface).__name__}"
    )


def _paths(paths):
    if paths is None:
        return []
    if isinstance(paths, dict):
        items = list(paths.items())
    elif hasattr(paths, "shape") or (isinstance(paths, (list, tuple)) and paths
                                     and not isinstance(paths[0], (tuple, list))
                                     and hasattr(paths[0], "__len__") and len(paths[0]) == 2
                                     and not isinstance(paths[0][0], str)):
        items = [("path", paths)]
    else:
        items = list(paths)
    out = []
    for item in items:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str)):
            raise TypeError(
                "loss_surface: paths must be a dict {name: array of shape (steps, 2)}, a list of "
                f"(name, array) pairs, or one array; got an item {item!r:.60}"
            )
        name, p = item
        p = as_numpy(p)
        if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 1:
            raise ValueError(f"loss_surface: path {name!r} must have shape (steps, 2), got {p.shape}")
        out.append((name, p))
    return out


def loss_surface(surface, paths=None, *, x_range=None, y_range=None, num: int = 101,
                 levels: int = 30, log_levels: bool = False, mark_minimum: bool = True,
                 colorbar: bool = True, ax=None, title: str | None = None,
                 xlabel: str | None = None, ylabel: str | None = None, figsize=(6.0, 4.8)):
    r"""Filled contour map of a loss over two parameters, with optimizer paths.

    Parameters
    ----------
    surface : GaborSurface, (X, Y, Z) triple, or callable
        The output of :func:`nnlearn.data.gabor_loss_surface`; three 2-D grids
        from ``numpy.meshgrid``; or a function ``f(x, y)`` of two parameters
        (vectorized or not) together with ``x_range`` and ``y_range``.
    paths : dict, list of (name, array) or array, optional
        Each path an array of shape ``(steps, 2)`` (e.g. from
        :func:`optimizer_path`), drawn as a line with a circle at its start and
        a star at its end; the legend names the paths.
    x_range, y_range : (float, float)
        Ranges for a callable ``surface``.
    num : int
        Grid points per axis for a callable ``surface``.
    levels : int
        Number of contour levels.
    log_levels : bool
        Space the levels geometrically (for losses spanning orders of magnitude).
    mark_minimum : bool
        Mark the lowest grid point with a white cross.
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Its axes hold the filled contours (``ax.collections``/``ContourSet``),
        and per path three lines: the path, its start and its end marker.
    """
    X, Y, Z, is_gabor = _grid(surface, x_range, y_range, num)
    fig, axes = figure_and_axes(ax, figsize=figsize)
    ax = axes[0, 0]
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("loss_surface: the loss is not finite anywhere on the grid")
    if log_levels:
        lo = finite[finite > 0].min() if np.any(finite > 0) else 1e-12
        lv = np.geomspace(lo, finite.max(), levels)
    else:
        lv = np.linspace(finite.min(), finite.max(), levels)
    if np.allclose(lv[0], lv[-1]):
        lv = levels
    cs = ax.contourf(X, Y, Z, levels=lv, cmap="viridis", extend="neither")
    ax.contour(X, Y, Z, levels=cs.levels, colors="k", linewidths=0.3, alpha=0.35)
    if colorbar:
        cb = fig.colorbar(cs, ax=ax)
        cb.set_label("loss")
    handles = []
    if mark_minimum:
        i = np.unravel_index(np.nanargmin(np.where(np.isfinite(Z), Z, np.inf)), Z.shape)
        ax.plot(X[i], Y[i], "x", color="white", ms=9, mew=2, label="grid minimum")
    from matplotlib.lines import Line2D

    for k, (name, p) in enumerate(_paths(paths)):
        c = color(k + 1) if k + 1 < 10 else color(k)
        ax.plot(p[:, 0], p[:, 1], "-", color=c, lw=1.6, marker=".", ms=3, label=name)
        ax.plot(p[0, 0], p[0, 1], "o", color=c, mec="white", ms=7, label="_start")
        ax.plot(p[-1, 0], p[-1, 1], "*", color=c, mec="white", ms=13, label="_end")
        if k == 0:
            handles = [Line2D([], [], ls="", marker="o", color="0.2", label="start"),
                       Line2D([], [], ls="", marker="*", color="0.2", ms=10, label="end")]
    ax.set_xlim(X.min(), X.max())
    ax.set_ylim(Y.min(), Y.max())
    ax.set_xlabel(xlabel or (r"$\phi_0$" if is_gabor else "parameter 1"))
    ax.set_ylabel(ylabel or (r"$\phi_1$" if is_gabor else "parameter 2"))
    if title is not None:
        ax.set_title(title)
    elif is_gabor:
        ax.set_title("Loss of the Gabor model")
    h, lab = ax.get_legend_handles_labels()
    if h:
        ax.legend(h + handles, lab + [x.get_label() for x in handles], fontsize="small",
                  loc="upper right", framealpha=0.85)
    return fig


def _optimizer(optimizer, params, hyper):
    from .. import optim

    if isinstance(optimizer, str):
        names = {n.lower(): n for n in ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW")}
        key = optimizer.lower()
        if key not in names:
            raise ValueError(f"optimizer_path: unknown optimizer {optimizer!r}; use one of "
                             + ", ".join(repr(v) for v in names.values()))
        return getattr(optim, names[key])(params, **hyper)
    if isinstance(optimizer, type):
        return optimizer(params, **hyper)
    if callable(optimizer):
        if hyper:
            raise TypeError("optimizer_path: give hyperparameters either to the factory or as keywords, not both")
        return optimizer(params)
    raise TypeError(f"optimizer_path: optimizer must be a name, an optimizer class or a factory, got {optimizer!r}")


def optimizer_path(grad, start, optimizer="SGD", steps: int = 50, **hyperparameters) -> np.ndarray:
    r"""The iterates of an :mod:`nnlearn.optim` optimizer on a two-parameter problem.

    Starting from :math:`\boldsymbol\phi_0 =` ``start``, each step sets the
    parameter's gradient to ``grad(phi)`` and calls ``optimizer.step()``.

    Parameters
    ----------
    grad : callable
        ``grad(phi)`` returns :math:`\nabla L(\boldsymbol\phi)`, an array of
        shape ``(2,)`` (e.g. ``lambda phi: gabor_loss_grad(phi, x, y)``; a
        stochastic gradient for SGD on minibatches).
    start : pair of float
    optimizer : str, Optimizer class, or callable
        ``"SGD"``, ``"Adam"``, ... with ``hyperparameters`` as keywords
        (``lr=0.1, momentum=0.9``), a class, or a factory ``params -> optimizer``.
    steps : int

    Returns
    -------
    ndarray of shape ``(steps + 1, 2)``
        :math:`\boldsymbol\phi_0, \dots, \boldsymbol\phi_{\text{steps}}`; shorter
        if an iterate stops being finite (the non-finite one is not included).
    """
    from ..nn import Parameter

    start = np.array(start, dtype=np.float64).reshape(-1)   # a copy: the caller's start is left alone
    if start.shape != (2,):
        raise ValueError(f"optimizer_path: start must be a pair (phi0, phi1), got shape {start.shape}")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"optimizer_path: steps must be an int >= 0, got {steps!r}")
    b = _backend.current()
    p = Parameter(b.asarray(start))
    opt = _optimizer(optimizer, [p], hyperparameters)
    out = [start.copy()]
    for _ in range(int(steps)):
        g = grad(p._data)
        p.grad = b.asarray(_backend.to_numpy(g) if _backend.backend_of(g) != b.name else g) \
            if hasattr(g, "shape") else b.asarray(g)
        opt.step()
        now = _backend.to_numpy(p._data).astype(np.float64).copy()
        if not np.all(np.isfinite(now)):
            break
        out.append(now)
    return np.array(out)
