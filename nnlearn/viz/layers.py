r"""Inside the network: per-layer histograms and gradient norms.

:func:`layer_histograms` draws what Glorot and Bengio (2010) draw in their
figures 6 and 7: for each layer, the normalized histogram of the activations
:math:`\mathbf z^{(l)}` (or of the back-propagated gradients
:math:`\partial E/\partial \mathbf u^{(l)}`) over a batch, all layers overlaid
in one axes, optionally one row per setting (standard vs normalized
initialization). :func:`gradient_norms` draws
:math:`\|\partial E/\partial W^{(l)}\|` against the layer or against the
training step, on a log scale, where vanishing and exploding gradients show
up as lines that sit orders of magnitude apart.
"""

from __future__ import annotations

import numpy as np

from ._common import as_numpy, color, figure_and_axes

__all__ = ["layer_histograms", "gradient_norms", "histogram_lines"]

_XLABELS = {
    "activation": "activation $z$",
    "pre_activation": "pre-activation $u$",
    "gradient": r"back-propagated gradient $\partial E/\partial u$",
    "activation_gradient": r"gradient $\partial E/\partial z$",
}


def _rows(stats):
    """``[(title, LayerStats)]`` from one LayerStats, a list, a dict, or a recorder."""
    from ..train.callbacks import ActivationStatsRecorder
    from ..train.layers import LayerStats

    if isinstance(stats, ActivationStatsRecorder):
        if not stats.records:
            raise ValueError("layer_histograms: the recorder holds no records yet (run fit first)")
        picks = [0, len(stats.records) - 1] if len(stats.records) > 1 else [0]
        return [(f"epoch {stats.epochs[i]}", stats.records[i]) for i in picks]
    if isinstance(stats, LayerStats):
        return [(stats.title, stats)]
    if isinstance(stats, dict):
        items = list(stats.items())
    elif isinstance(stats, (list, tuple)):
        items = [(getattr(s, "title", None), s) for s in stats]
    else:
        raise TypeError(
            "layer_histograms expects LayerStats (from nnlearn.train.layer_statistics), a list or "
            f"dict of them, or an ActivationStatsRecorder; got {type(stats).__name__}"
        )
    for title, s in items:
        if not isinstance(s, LayerStats):
            raise TypeError(f"layer_histograms: {title!r} is a {type(s).__name__}, not LayerStats")
    return items


def _default_range(arrays, kind, activation_names):
    allv = np.concatenate([a.ravel() for a in arrays if a is not None and a.size])
    allv = allv[np.isfinite(allv)]
    if allv.size == 0:
        return (-1.0, 1.0)
    if kind == "activation":
        names = set(activation_names)
        if names == {"Tanh"}:
            return (-1.0, 1.0)
        if names == {"Sigmoid"}:
            return (0.0, 1.0)
        lo, hi = np.percentile(allv, [0.5, 99.5])
        if names == {"ReLU"}:
            lo = 0.0
        return (float(lo), float(hi) if hi > lo else float(lo) + 1.0)
    q = float(np.percentile(np.abs(allv), 99.5))
    if kind in ("gradient", "activation_gradient") or allv.min() < 0:
        q = q if q > 0 else 1.0
        return (-q, q)
    return (0.0, q if q > 0 else 1.0)


def histogram_lines(arrays, bins=51, range=None):
    """Shared bin centres and one normalized histogram (fractions summing to 1
    over the bins) per array: ``(centres, [fractions, ...])``.

    Values outside ``range`` are not counted, so the fractions of a layer sum to
    the fraction of its values inside the range.
    """
    if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
        raise ValueError(f"histogram_lines: bins must be a positive int, got {bins!r}")
    if range is None:
        finite = [v[np.isfinite(v)] for v in (as_numpy(a).ravel() for a in arrays)]
        finite = [v for v in finite if v.size]
        lo = min((float(v.min()) for v in finite), default=0.0)
        hi = max((float(v.max()) for v in finite), default=1.0)
        range = (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)
    edges = np.linspace(range[0], range[1], bins + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    out = []
    for a in arrays:
        a = as_numpy(a).ravel()
        counts, _ = np.histogram(a[np.isfinite(a)], bins=edges)
        out.append(counts / max(a.size, 1))
    return centres, out


def layer_histograms(stats, kind: str = "activation", *, bins: int = 51, range=None,
                     layers=None, titles=None, log_y: bool = False, sharex: bool = True,
                     ax=None, figsize=None):
    r"""Per-layer normalized histograms, all layers of a network in one axes.

    Parameters
    ----------
    stats : LayerStats, list or dict of LayerStats, or ActivationStatsRecorder
        One row of axes per LayerStats (a dict's keys, or ``titles``, title the
        rows: e.g. ``{"standard init": s1, "normalized init": s2}`` gives
        Glorot and Bengio's two rows). A recorder gives its first and last
        records.
    kind : {"activation", "gradient", "pre_activation", "activation_gradient"}
        What to histogram: :math:`\mathbf z^{(l)}`, the back-propagated
        :math:`\partial E/\partial \mathbf u^{(l)}` (figure 7), ...
    bins : int
    range : (float, float), optional
        Shared histogram range; default: :math:`[-1, 1]` for tanh activations,
        :math:`[0, 1]` for sigmoid, else the central 99% of all values
        (symmetric for gradients), the same for every row so rows compare.
    layers : list of int, optional
        Which layers (0-based) to draw; default all.
    log_y : bool
        Logarithmic y axis (heavy-tailed gradients).
    ax : matplotlib Axes, optional
        Draw a single row into this axes.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per row with one line per layer (legend "Layer 1", ...,
        "Layer L"); y is the fraction of the layer's values in each bin.
    """
    if kind not in _XLABELS:
        raise ValueError(f"layer_histograms: kind must be one of {', '.join(map(repr, _XLABELS))}, got {kind!r}")
    rows = _rows(stats)
    if titles is not None:
        if len(titles) != len(rows):
            raise ValueError(f"layer_histograms: {len(titles)} titles for {len(rows)} rows")
        rows = [(t, s) for t, (_, s) in zip(titles, rows)]
    all_arrays, act_names = [], []
    for _, s in rows:
        for i, layer in enumerate(s):
            if layers is not None and i not in layers:
                continue
            v = layer.values(kind)
            if v is None:
                hint = (" Pass y and loss_fn to layer_statistics for the gradients."
                        if "gradient" in kind else "")
                raise ValueError(f"layer_histograms: {layer.name} has no {kind!r} values.{hint}")
            all_arrays.append(v)
            act_names.append(layer.activation_name)
    if range is None:
        range = _default_range(all_arrays, kind, act_names)
    nrows = len(rows)
    if figsize is None:
        figsize = (7.0, 2.9 * nrows)
    if ax is not None:
        if nrows != 1:
            raise ValueError("layer_histograms: ax= draws one row; give one LayerStats")
        fig, axes = figure_and_axes(ax)
    else:
        fig, axes = figure_and_axes(nrows=nrows, ncols=1, figsize=figsize, sharex=sharex)
    for r, (title, s) in enumerate(rows):
        ax = axes[r, 0]
        chosen = [(i, layer) for i, layer in enumerate(s) if layers is None or i in layers]
        centres, fracs = histogram_lines([layer.values(kind) for _, layer in chosen], bins, range)
        for (i, layer), f in zip(chosen, fracs):
            ax.plot(centres, f, color=color(i), lw=1.5, label=layer.name)
        if log_y:
            ax.set_yscale("log")
        ax.set_ylabel("fraction of values")
        if title:
            ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", ncol=2 if len(chosen) > 5 else 1)
        if r == nrows - 1 or not sharex:
            ax.set_xlabel(_XLABELS[kind])
    return fig


def _norm_source(norms, layer_names):
    """``("step", steps, matrix, names, xlabel)`` or ``("layer", {label: vector}, names)``."""
    from ..train.callbacks import GradientNormRecorder
    from ..train.layers import LayerStats

    if isinstance(norms, GradientNormRecorder):
        if len(norms.steps) == 0:
            raise ValueError("gradient_norms: the recorder holds no records yet (run fit first)")
        xlabel = "step" if norms.every == "step" else "epoch"
        return "step", norms.steps, norms.norms, layer_names or norms.layer_names, xlabel
    if isinstance(norms, LayerStats):
        return "layer", {None: norms.weight_grad_norms()}, layer_names or norms.names, None
    if isinstance(norms, dict):
        if not norms:
            raise ValueError("gradient_norms: the dict of norms is empty; give {label: per-layer norms}")
        curves = {}
        for k, v in norms.items():
            curves[k] = v.weight_grad_norms() if isinstance(v, LayerStats) else as_numpy(v).ravel()
        return "layer", curves, layer_names, None
    try:
        v = as_numpy(norms)
    except (TypeError, ValueError):
        raise TypeError(f"gradient_norms: cannot read norms from a {type(norms).__name__}; give a "
                        "GradientNormRecorder, LayerStats, an array or a dict of them") from None
    if v.size == 0:
        raise ValueError("gradient_norms: no norms to plot (an empty array)")
    if v.ndim == 1:
        return "layer", {None: v}, layer_names, None
    if v.ndim == 2:
        return "step", np.arange(1, v.shape[0] + 1), v, layer_names, "step"
    raise TypeError(f"gradient_norms: cannot read norms of type {type(norms).__name__} and shape {v.shape}")


def gradient_norms(norms, *, x: str = "auto", layer_names=None, log_y: bool = True,
                   title: str | None = None, ax=None, figsize=(6.4, 4.0)):
    r"""Per-layer gradient norms :math:`\|\partial E/\partial W^{(l)}\|`, on a log scale.

    Parameters
    ----------
    norms : GradientNormRecorder, LayerStats, array, or dict
        A :class:`~nnlearn.train.GradientNormRecorder` (after ``fit``) draws one
        line per layer against the step (or epoch): vanishing gradients show
        the first layers' lines far below the last ones'. A LayerStats or a 1-D
        array (one norm per layer) draws the norm against the layer index; a
        dict ``{label: LayerStats or 1-D array}`` draws one such line per label
        (e.g. sigmoid vs ReLU, or two initializations). A 2-D array is
        ``(steps, layers)``.
    x : {"auto", "step", "layer"}
        With a recorder, ``"layer"`` plots the total over all records per
        layer instead (the "sum of gradient norms" against the layer).
    layer_names : list of str, optional
    log_y : bool, default True

    Returns
    -------
    matplotlib.figure.Figure
    """
    if x not in ("auto", "step", "layer"):
        raise ValueError(f"gradient_norms: x must be 'auto', 'step' or 'layer', got {x!r}")
    src = _norm_source(norms, layer_names)
    fig, axes = figure_and_axes(ax, figsize=figsize)
    ax = axes[0, 0]
    if src[0] == "step" and x == "layer":
        _, steps, matrix, names, _ = src
        src = ("layer", {"sum over training": matrix.sum(axis=0)}, names, None)
    if src[0] == "step":
        _, steps, matrix, names, xlabel = src
        names = names or [f"Layer {i + 1}" for i in range(matrix.shape[1])]
        for i in range(matrix.shape[1]):
            ax.plot(steps, matrix[:, i], color=color(i), lw=1.2, label=names[i])
        ax.set_xlabel(xlabel)
        default_title = "Gradient norm of each layer during training"
    else:
        _, curves, names, _ = src
        n = max(len(v) for v in curves.values())
        idx = np.arange(1, n + 1)
        for k, (label, v) in enumerate(curves.items()):
            ax.plot(idx[:len(v)], v, "o-", color=color(k), lw=1.5, label=label)
        ax.set_xticks(idx)
        if names is not None and len(names) == n:
            ax.set_xticklabels(names, rotation=30 if n > 6 else 0)
        ax.set_xlabel("layer")
        default_title = "Gradient norm per layer"
    if log_y:
        ax.set_yscale("log")
    ax.set_ylabel(r"$\|\partial E/\partial W\|$")
    ax.set_title(default_title if title is None else title)
    ax.grid(alpha=0.3, which="both")
    h, lab = ax.get_legend_handles_labels()
    if any(not str(t).startswith("_") for t in lab):
        ax.legend(fontsize="small")
    return fig
