r"""What a trained model does: decision regions, regression fits, confusion matrices."""

from __future__ import annotations

import numpy as np

from ._common import as_numpy, color, figure_and_axes

__all__ = ["decision_boundary", "regression_fit", "regression_fits", "confusion_matrix",
           "confusion_counts"]


def _outputs(model, X):
    """The model's outputs for NumPy inputs ``X`` (a Module or any function)."""
    from ..nn import Module
    from ..train import predict

    if isinstance(model, Module):
        return predict(model, X)
    if not callable(model):
        raise TypeError(f"expected an nnlearn.nn.Module or a function X -> outputs, got {type(model).__name__}")
    return as_numpy(model(X))


def _classes_from_outputs(out, probabilities):
    out = as_numpy(out)
    if out.ndim == 2 and out.shape[1] >= 2:
        return np.argmax(out, axis=1)
    return (out.reshape(-1) > (0.5 if probabilities else 0.0)).astype(np.int64)


def decision_boundary(model, X, y, *, resolution: int = 200, padding: float = 0.5,
                      probabilities: bool = False, class_names=None, ax=None,
                      title: str | None = "Decision regions", figsize=(5.2, 4.4)):
    r"""The class a 2-D classifier predicts at every point of the plane, with the data.

    Parameters
    ----------
    model : nnlearn.nn.Module or callable
        Maps inputs of shape ``(n, 2)`` to class scores ``(n, C)`` (predicted
        class :math:`\arg\max`) or to one logit per sample (class 1 where
        the logit is positive; where the probability exceeds ½ with
        ``probabilities=True``).
    X : array of shape ``(n, 2)``
    y : array of int of shape ``(n,)``
    resolution : int
        Grid points per axis.
    padding : float
        Margin around the data.

    Returns
    -------
    matplotlib.figure.Figure
        The axes holds one image (the predicted class on a
        ``resolution × resolution`` grid), the boundary contour, and one
        scatter collection per class (legend "class 0", ...).
    """
    X = as_numpy(X)
    y = as_numpy(y, dtype=None).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary needs 2-D inputs of shape (n, 2), got shape {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"decision_boundary: X has {len(X)} rows but y has {len(y)}")
    if len(X) == 0:
        raise ValueError("decision_boundary: X has no rows; give at least one point to frame the plot")
    if not np.isfinite(X).all():
        raise ValueError("decision_boundary: X holds NaN or inf; the plot's range needs finite points")
    if not isinstance(resolution, int) or isinstance(resolution, bool) or resolution < 2:
        raise ValueError(f"decision_boundary: resolution must be an int >= 2 (grid points per axis), "
                         f"got {resolution!r}")
    y = y.astype(np.int64)
    (x0, y0), (x1, y1) = X.min(axis=0) - padding, X.max(axis=0) + padding
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    pred = _classes_from_outputs(_outputs(model, grid), probabilities).reshape(gx.shape)
    n_classes = int(max(pred.max(), y.max()) + 1)
    from matplotlib.colors import BoundaryNorm, ListedColormap

    cmap = ListedColormap([color(k) for k in range(n_classes)])
    norm = BoundaryNorm(np.arange(-0.5, n_classes + 0.5), n_classes)
    fig, axes = figure_and_axes(ax, figsize=figsize)
    ax = axes[0, 0]
    ax.imshow(pred, origin="lower", extent=(x0, x1, y0, y1), cmap=cmap, norm=norm, alpha=0.28,
              aspect="auto", interpolation="nearest")
    if n_classes > 1:
        ax.contour(gx, gy, pred, levels=np.arange(0.5, n_classes - 0.5 + 1e-9), colors="k",
                   linewidths=0.8)
    for k in range(n_classes):
        mask = y == k
        if not mask.any():
            continue
        name = class_names[k] if class_names is not None else f"class {k}"
        ax.scatter(X[mask, 0], X[mask, 1], s=14, color=color(k), edgecolors="k",
                   linewidths=0.3, label=name)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small", loc="best")
    return fig


def _draw_fit(ax, model, X, t, truth, n_grid, label, xlim):
    X = as_numpy(X).reshape(-1)
    t = as_numpy(t).reshape(-1)
    if len(X) != len(t):
        raise ValueError(f"regression_fit: X has {len(X)} points but t has {len(t)}")
    lo, hi = (X.min(), X.max()) if xlim is None else xlim
    xs = np.linspace(lo, hi, n_grid)
    if truth is not None:
        ax.plot(xs, as_numpy(truth(xs)).reshape(-1), color="#2ca02c", lw=1.5, ls="--", label="truth")
    ys = as_numpy(_outputs(model, xs.reshape(-1, 1))).reshape(-1)
    ax.plot(xs, ys, color="#d62728", lw=2.0, label=label)
    ax.scatter(X, t, s=30, facecolors="none", edgecolors="#1f77b4", linewidths=1.3, label="data",
               zorder=3)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$t$")
    ax.grid(alpha=0.3)


def regression_fit(model, X, t, truth=None, *, n_grid: int = 200, label: str = "network",
                   xlim=None, ax=None, title: str | None = None, figsize=(5.0, 3.6)):
    r"""A 1-D regression: the data, the model's curve and, optionally, the true curve.

    Parameters
    ----------
    model : nnlearn.nn.Module or callable
        Maps inputs of shape ``(n, 1)`` to outputs ``(n, 1)``.
    X, t : arrays of n values
        Inputs and targets (e.g. ``nnlearn.data.sinusoid()``).
    truth : callable, optional
        The noise-free curve (``nnlearn.data.sinusoid_curve``), drawn dashed.
    n_grid : int
        Points on the model's curve.

    Returns
    -------
    matplotlib.figure.Figure
        Lines: the truth (if given), then the model's curve; the data is a
        scatter collection. Legend "truth", ``label``, "data".
    """
    fig, axes = figure_and_axes(ax, figsize=figsize)
    ax = axes[0, 0]
    _draw_fit(ax, model, X, t, truth, n_grid, label, xlim)
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return fig


def regression_fits(models, X, t, truth=None, *, titles=None, n_grid: int = 200, xlim=None,
                    figsize=None):
    """:func:`regression_fit` for several models side by side, sharing the y axis
    (Bishop's figure 5.9: networks with :math:`M = 1, 3, 10` hidden units).

    ``models`` is a list (titles from ``titles``) or a dict ``{title: model}``.
    """
    if isinstance(models, dict):
        titles = list(models) if titles is None else titles
        models = list(models.values())
    models = list(models)
    if not models:
        raise ValueError("regression_fits: no models given")
    if titles is not None and len(titles) != len(models):
        raise ValueError(f"regression_fits: {len(titles)} titles for {len(models)} models")
    n = len(models)
    fig, axes = figure_and_axes(nrows=1, ncols=n, figsize=figsize or (3.8 * n, 3.3), sharey=True)
    for j, m in enumerate(models):
        ax = axes[0, j]
        _draw_fit(ax, m, X, t, truth, n_grid, "network", xlim)
        if titles is not None:
            ax.set_title(titles[j])
        if j > 0:
            ax.set_ylabel("")
    axes[0, 0].legend(fontsize="small")
    return fig


def confusion_counts(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    r"""The confusion matrix :math:`C_{ij}` = number of samples of true class
    :math:`i` predicted as class :math:`j` (rows: truth, columns: prediction, as
    in scikit-learn)."""
    t = as_numpy(y_true, dtype=None).reshape(-1)
    p = as_numpy(y_pred, dtype=None).reshape(-1)
    if len(t) != len(p):
        raise ValueError(f"confusion_counts: {len(t)} true labels but {len(p)} predictions")
    for name, a in (("y_true", t), ("y_pred", p)):
        if a.size and (a.dtype.kind not in "iub" or a.min() < 0):
            raise ValueError(f"confusion_counts: {name} must hold class indices 0, 1, ...; got {a[:5]}...")
    t, p = t.astype(np.int64), p.astype(np.int64)
    top = int(max(t.max(initial=-1), p.max(initial=-1)) + 1)
    k = num_classes if num_classes is not None else top
    if k < top:
        raise ValueError(f"confusion_counts: num_classes={num_classes}, but the labels go up to "
                         f"class {top - 1}")
    C = np.zeros((k, k), dtype=np.int64)
    np.add.at(C, (t, p), 1)
    return C


def confusion_matrix(y_true, y_pred, classes=None, *, normalize: bool = False, ax=None,
                     title: str | None = "Confusion matrix", cmap: str = "Blues", figsize=None):
    r"""The confusion matrix as an image with the count in every cell.

    Parameters
    ----------
    y_true, y_pred : arrays of class indices
        (Predicted classes, e.g. ``predict(model, X).argmax(1)``.)
    classes : list of str or int, optional
        Class names for the ticks; their number fixes the matrix size.
    normalize : bool
        Color by the fraction of each true class (row) instead of the count;
        the cells still show the counts.

    Returns
    -------
    matplotlib.figure.Figure
        One image of shape ``(C, C)``; one text per cell holding
        :math:`C_{ij}` (rows: true class, columns: predicted class).
    """
    n = len(classes) if classes is not None else None
    C = confusion_counts(y_true, y_pred, n)
    k = C.shape[0]
    if classes is None:
        classes = list(range(k))
    fig, axes = figure_and_axes(ax, figsize=figsize or (1.0 + 0.55 * k, 0.6 + 0.5 * k))
    ax = axes[0, 0]
    shown = C / np.maximum(C.sum(axis=1, keepdims=True), 1) if normalize else C
    im = ax.imshow(shown, cmap=cmap, vmin=0)
    threshold = shown.max() / 2 if shown.max() > 0 else 1
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(C[i, j]), ha="center", va="center", fontsize="small",
                    color="white" if shown[i, j] > threshold else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels([str(c) for c in classes])
    ax.set_yticklabels([str(c) for c in classes])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title:
        acc = np.trace(C) / C.sum() if C.sum() else float("nan")
        ax.set_title(f"{title} (accuracy {acc:.3f})")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04,
                 label="fraction of the true class" if normalize else "count")
    return fig

