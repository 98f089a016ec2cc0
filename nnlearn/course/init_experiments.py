r"""Experiments on initialization and input scaling (chapter 5).

Deep networks with a named initialization, the variance of the signal layer by
layer (measured, and predicted by the variance argument), gradient descent until
a target loss, and the plots of chapter 5.

The notation is the book's: layer :math:`l` computes the pre-activations
:math:`\mathbf u^{(l)} = W^{(l)} \mathbf z^{(l-1)} + \mathbf b^{(l)}` and the
activations :math:`\mathbf z^{(l)} = f(\mathbf u^{(l)})`, with
:math:`\mathbf z^{(0)} = \mathbf x`. (:func:`nnlearn.train.layer_statistics`,
which these functions use, calls them ``pre_activation`` and ``activation``.)

The variance argument
---------------------
With weights drawn independently of each other and of the inputs, with mean 0,

.. math::

    \operatorname{Var}\bigl(u^{(l)}_j\bigr)
    = n_{l-1} \operatorname{Var}(w)\, \mathbb E\bigl[(z^{(l-1)})^2\bigr],

which :func:`signal_by_layer` checks on every layer of a real network, using
the weights actually drawn and the activations actually computed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend as _backend
from ..nn import init as _init
from .. import nn, optim
from .._display import Table, new_figure
from .._tensor import Tensor

__all__ = [
    "INITIALIZATIONS",
    "initialize_",
    "mlp",
    "signal_by_layer",
    "VarianceSweep",
    "variance_sweep",
    "steps_to_loss",
    "steps_table",
    "logistic_step_limits",
    "scatter_panels",
    "row_spread",
    "distinct_rows",
    "symmetry_runs",
    "spread_during_training",
    "initializer_table",
    "Factorial",
    "activation_init_factorial",
    "logistic_accuracy",
    "mean_activation_during_training",
]

INITIALIZATIONS = {
    "zeros": "every weight 0",
    "standard": "U(−1/√n_in, 1/√n_in): Glorot and Bengio's 'standard', PyTorch's default weight",
    "lecun": "N(0, 1/n_in) (LeCun et al., 1998)",
    "xavier": "U(±√(6/(n_in + n_out))): Glorot and Bengio's 'normalized' (Xavier)",
    "he": "N(0, 2/n_in) (He et al., 2015)",
}

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "identity": nn.Identity}


def _draw(weight, init):
    if callable(init):
        init(weight)
    elif init == "zeros":
        _init.zeros_(weight)
    elif init == "standard":
        _init.kaiming_uniform_(weight, a=math.sqrt(5))     # U(-1/sqrt(n_in), 1/sqrt(n_in))
    elif init == "lecun":
        _init.lecun_normal_(weight)
    elif init == "xavier":
        _init.xavier_uniform_(weight)
    elif init == "he":
        _init.kaiming_normal_(weight, nonlinearity="relu")
    else:
        raise ValueError(f"initialize_: unknown initialization {init!r}; use one of "
                         f"{', '.join(map(repr, INITIALIZATIONS))} or a function weight -> None.")


def initialize_(model, init="lecun", scale=1.0, bias=0.0):
    r"""Re-initialize every ``Linear`` layer of ``model`` in place; return ``model``.

    Parameters
    ----------
    model : nnlearn.nn.Module
    init : str or callable
        A key of :obj:`INITIALIZATIONS` (``"zeros"``, ``"standard"``,
        ``"lecun"``, ``"xavier"``, ``"he"``), or a function that fills a weight
        in place (e.g. ``lambda w: nnlearn.nn.init.normal_(w, std=0.01)``).
    scale : float
        Multiplies every weight after drawing it (the standard deviation is
        multiplied by ``scale``, the variance by ``scale**2``).
    bias : float or None
        The value of every bias (Glorot and Bengio, He et al. start from 0);
        ``None`` leaves the biases alone.

    Notes
    -----
    Weights come from nnlearn's generator: call ``nnlearn.manual_seed`` first
    for reproducible weights.
    """
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError(f"initialize_: the model has no Linear layer: {model!r}")
    for lin in layers:
        _draw(lin.weight, init)
        if scale != 1.0:
            lin.weight.data[...] = lin.weight.data * scale
        if bias is not None and lin.bias is not None:
            _init.constant_(lin.bias, bias)
    return model


def mlp(sizes, activation="tanh", init=None, scale=1.0):
    r"""A multilayer perceptron ``Linear, f, Linear, f, ..., Linear``.

    Parameters
    ----------
    sizes : sequence of int
        :math:`[n_0, n_1, \dots, n_L]`; the last ``Linear`` (the output layer)
        has no activation after it.
    activation : {"tanh", "relu", "sigmoid", "identity"}
    init : str, callable or None
        ``None`` keeps ``nn.Linear``'s default (PyTorch's: weights and biases
        from :math:`U(-1/\sqrt{n_\text{in}}, 1/\sqrt{n_\text{in}})`); otherwise
        passed to :func:`initialize_` with ``scale``, and the biases are set
        to 0.

    Returns
    -------
    nnlearn.nn.Sequential
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"mlp: sizes must list at least the input and output widths, got {sizes}.")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"mlp: activation must be one of {', '.join(_ACTIVATIONS)}, got {activation!r}.")
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    model = nn.Sequential(*layers)
    if init is not None:
        initialize_(model, init, scale)
    elif scale != 1.0:
        raise ValueError("mlp: scale needs an init (the default init is PyTorch's, unscaled).")
    return model


def signal_by_layer(model, X):
    r"""The variance of the signal in every hidden layer, measured and predicted.

    Runs ``model`` (a ``Sequential`` of ``Linear`` layers and activations) on
    the batch ``X`` and returns, for hidden layers :math:`l = 1, \dots, L-1`
    (NumPy arrays of length :math:`L-1`):

    ``var_u``
        :math:`\operatorname{Var}(u^{(l)})`, over all samples and units;
    ``mean_z2``
        :math:`\mathbb E[(z^{(l)})^2]`, the mean square of the activations;
    ``var_z``
        :math:`\operatorname{Var}(z^{(l)})`;
    ``predicted_var_u``
        :math:`n_{l-1} \operatorname{Var}(W^{(l)})\, \mathbb E[(z^{(l-1)})^2]`
        from the weights actually drawn (their variance around 0, the mean
        of :math:`w^2`) and the previous layer's activations
        (:math:`\mathbf z^{(0)} = \mathbf x`).

    The prediction assumes zero biases, weights independent of the inputs and
    a mean-zero weight distribution; it is the variance argument of slide
    text 004.
    """
    from ..train import layer_statistics

    stats = layer_statistics(model, X)
    previous = np.asarray(_backend.to_numpy(X._data if isinstance(X, Tensor) else X), dtype=float)
    out = {k: [] for k in ("var_u", "mean_z2", "var_z", "predicted_var_u")}
    for layer in stats:
        w = layer.weight
        out["predicted_var_u"].append(w.shape[1] * np.mean(w * w) * np.mean(previous ** 2))
        out["var_u"].append(np.var(layer.pre_activation))
        out["mean_z2"].append(np.mean(layer.activation ** 2))
        out["var_z"].append(np.var(layer.activation))
        previous = layer.activation
    return {k: np.array(v) for k, v in out.items()}


class VarianceSweep:
    r"""The result of :func:`variance_sweep`: per-layer signal variances for
    several initializations and activations.

    Attributes
    ----------
    results : dict
        ``results[activation][label]`` is the dict of :func:`signal_by_layer`.
    depth, width : int
    """

    def __init__(self, results, depth, width):
        self.results, self.depth, self.width = results, depth, width

    def var_u(self, activation, label):
        r""":math:`\operatorname{Var}(u^{(l)})` for :math:`l = 1, \dots,` ``depth``."""
        return self.results[activation][label]["var_u"]

    def worst_ratio(self, activation, theory) -> float:
        r"""The largest factor, up or down, between a measured
        :math:`\operatorname{Var}(u^{(l)})` and its prediction, over every label of
        ``theory`` (a dict label → predicted variances, layer 1 first) and every layer."""
        return float(max(np.exp(np.max(np.abs(np.log(np.asarray(self.var_u(activation, label))
                                                      / np.asarray(predicted)))))
                         for label, predicted in theory.items()))

    def table(self, layers=(1, 2, 5, 10), key="var_u", digits=3):
        """One row per activation and initialization, one column per layer in ``layers``."""
        layers = [l for l in layers if 1 <= l <= self.depth]
        rows = []
        for act, by_label in self.results.items():
            for label, r in by_label.items():
                rows.append([act, label] + [float(r[key][l - 1]) for l in layers])
        name = {"var_u": "Var(u)", "mean_z2": "E[z²]", "var_z": "Var(z)"}.get(key, key)
        return Table(["activation", "initialization"] + [f"layer {l}" for l in layers], rows,
                     title=f"{name} by layer ({self.depth} layers of {self.width} units)",
                     digits=digits)

    def plot(self, theory=None, key="var_u", figsize=None):
        r"""One panel per activation: ``key`` against the layer, log scale.

        ``theory``, optional: ``{activation: {label: array}}`` drawn dashed in
        the colour of the measured line.
        """
        from ..viz._common import color

        acts = list(self.results)
        fig = new_figure(figsize=figsize or (5.0 * len(acts), 4.0))
        axes = fig.subplots(1, len(acts), squeeze=False)[0]
        layers = np.arange(1, self.depth + 1)
        for ax, act in zip(axes, acts):
            for k, (label, r) in enumerate(self.results[act].items()):
                ax.plot(layers, r[key], "o-", ms=3.5, color=color(k), label=label)
                if theory and act in theory and label in theory[act]:
                    ax.plot(layers, theory[act][label], "--", color=color(k), lw=1)
            ax.set_yscale("log")
            ax.set_xticks(layers)
            ax.set_xlabel("layer $l$")
            ax.set_ylabel({"var_u": r"$\mathrm{Var}(u^{(l)})$", "mean_z2": r"$E[(z^{(l)})^2]$",
                           "var_z": r"$\mathrm{Var}(z^{(l)})$"}.get(key, key))
            ax.set_title(f"{act}, {self.width} units per layer")
            ax.grid(alpha=0.3, which="both")
        axes[0].legend(fontsize="small")
        return fig


def variance_sweep(inits, X, activations=("tanh", "relu"), depth=10, seed=0):
    r"""Build a deep network for every activation and initialization, run it on ``X``.

    Parameters
    ----------
    inits : dict
        ``{label: (init, scale)}``, e.g. ``{"He": ("he", 1.0)}``; ``init`` as
        in :func:`initialize_`.
    X : array of shape ``(N, width)``
        The input batch; every hidden layer has ``width`` units (square
        weight matrices, so that :math:`n_\text{in} = n_\text{out}`).
    activations : sequence of str
    depth : int
        Number of hidden layers.
    seed : int
        Every network is drawn after ``nnlearn.manual_seed(seed)``, inside
        ``nnlearn.backend.fork_rng`` so the caller's random state is left
        alone.

    Returns
    -------
    VarianceSweep
    """
    width = int(np.shape(_backend.to_numpy(X))[1])
    results = {}
    for act in activations:
        results[act] = {}
        for label, (init, scale) in inits.items():
            with _backend.fork_rng(seed):
                model = mlp([width] * (depth + 1), act, init, scale)
            # mlp leaves the last Linear without activation: add it back
            model = nn.Sequential(*list(model), _ACTIVATIONS[act]())
            results[act][label] = signal_by_layer(model, X)
    return VarianceSweep(results, depth, width)


def logistic_step_limits(X, y, iters: int = 50):
    r"""Learning-rate limits of gradient descent on a logistic unit's mean cross-entropy.

    With :math:`\tilde X = [X\;\mathbf 1]` the curvature is
    :math:`H(w) = \tilde X^\top \operatorname{diag}(y_n(1-y_n))\,\tilde X / N \preceq
    \tfrac14 \tilde X^\top\tilde X/N`, so descent is guaranteed stable below
    ``bound`` :math:`= 2/(\lambda_{\max}/4)`. Near the minimum :math:`w^*` (found by
    Newton's method, ``iters`` steps) the local limit is ``at_minimum``
    :math:`= 2/\lambda_{\max}(H(w^*))`, never below the bound.

    Returns
    -------
    dict with ``bound`` and ``at_minimum``.
    """
    Xt = np.column_stack([np.asarray(X, dtype=float), np.ones(len(X))])
    t = np.asarray(y, dtype=float).ravel()
    lam_max = np.linalg.eigvalsh(Xt.T @ Xt / len(Xt))[-1]
    def gradient_and_curvature(w):
        p = 1 / (1 + np.exp(-(Xt @ w)))
        return Xt.T @ (p - t) / len(Xt), (Xt * (p * (1 - p))[:, None]).T @ Xt / len(Xt)

    w = np.zeros(Xt.shape[1])
    for _ in range(iters):
        g, H = gradient_and_curvature(w)
        w = w - np.linalg.solve(H, g)
    H = gradient_and_curvature(w)[1]
    return {"bound": float(8 / lam_max), "at_minimum": float(2 / np.linalg.eigvalsh(H)[-1])}


def steps_to_loss(model, loss_fn, X, y, lr, target, max_steps=1000):
    r"""Full-batch gradient descent on ``(X, y)`` until the loss is at most ``target``.

    Each step is ``optimizer.zero_grad(); loss.backward(); optimizer.step()``
    with ``nnlearn.optim.SGD(model.parameters(), lr)`` on the whole data set.

    Returns
    -------
    steps : int or None
        The number of steps taken when the loss first reached ``target``
        (0 if it starts there); ``None`` if it did not within ``max_steps``
        steps, or if the loss became non-finite (divergence).
    losses : ndarray
        The loss before each step (and after the last one).
    """
    params = list(model.parameters())
    b = params[0].backend if params else _backend.current()
    Xt = X if isinstance(X, Tensor) else Tensor(b.asarray(_backend.to_numpy(X)))
    yt = y if isinstance(y, Tensor) else Tensor(b.asarray(_backend.to_numpy(y)))
    opt = optim.SGD(params, lr=lr)
    history = []
    with warnings.catch_warnings():
        # a diverging run overflows; that is reported as None, not as a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        for step in range(max_steps + 1):
            opt.zero_grad()
            loss = loss_fn(model(Xt), yt)
            value = float(loss.item())
            history.append(value)
            if not math.isfinite(value):
                return None, np.array(history)
            if value <= target:
                return step, np.array(history)
            if step < max_steps:
                loss.backward()
                opt.step()
    return None, np.array(history)


def steps_table(datasets, y, make_model, loss_fn, lrs, target, max_steps=1000, seed=0):
    r"""Steps of :func:`steps_to_loss` for every data set and learning rate.

    Parameters
    ----------
    datasets : dict
        ``{name: X}``, the same samples preprocessed in different ways.
    y : array
        The targets (shared).
    make_model : callable
        ``make_model()`` returns a fresh model; it is called after
        ``nnlearn.manual_seed(seed)`` (inside ``fork_rng``), so every run
        starts from the same weights.
    lrs : sequence of float
    target, max_steps : as in :func:`steps_to_loss`

    Returns
    -------
    (Table, dict)
        The table (a row per data set, a column per learning rate, "—" where
        the target was not reached) and ``{name: {lr: steps or None}}``.
    """
    found, rows = {}, []
    for name, X in datasets.items():
        found[name] = {}
        for lr in lrs:
            with _backend.fork_rng(seed):
                model = make_model()
            found[name][lr] = steps_to_loss(model, loss_fn, X, y, lr, target, max_steps)[0]
        rows.append([name] + ["—" if s is None else s for s in found[name].values()])
    table = Table(["inputs"] + [f"lr = {lr:g}" for lr in lrs], rows,
                  title=f"Steps of gradient descent until the loss ≤ {target:.4g} "
                        f"(— : not within {max_steps})")
    return table, found


def scatter_panels(datasets, labels=None, same_limits=False, ncols=None, figsize=None):
    r"""2-D data sets side by side, with the origin and the data's extent.

    Each panel shows one ``(n, 2)`` array, the coordinate axes through the
    origin (marked +), and two red bars crossing at the data's mean: along
    each feature, from its 1st to its 99th percentile (the extent of the cloud
    in that direction). Equal aspect ratio, so that a cloud that is wider than
    tall looks it.

    Parameters
    ----------
    datasets : dict
        ``{title: X}``.
    labels : array, optional
        Class labels, to colour the points.
    same_limits : bool
        The same axis limits in every panel.
    ncols : int, optional
        Panels per row (default: all in one row).
    """
    from ..viz._common import color

    arrays = {k: np.asarray(_backend.to_numpy(v), dtype=float) for k, v in datasets.items()}
    ncols = len(arrays) if ncols is None else int(ncols)
    nrows = -(-len(arrays) // ncols)
    fig = new_figure(figsize=figsize or (3.3 * ncols, 3.6 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(arrays):]:
        ax.set_visible(False)
    c = None if labels is None else [color(int(k)) for k in np.asarray(labels)]
    span = max(np.abs(a).max() for a in arrays.values())
    for ax, (title, A) in zip(axes, arrays.items()):
        ax.scatter(A[:, 0], A[:, 1], s=6, c=c if c is not None else color(0), alpha=0.5)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(0, color="0.5", lw=0.8)
        ax.plot([0], [0], "k+", ms=10, mew=1.5)
        (lo1, lo2), (hi1, hi2) = np.percentile(A, [1, 99], axis=0)
        m1, m2 = A.mean(axis=0)
        ax.plot([lo1, hi1], [m2, m2], color="tab:red", lw=2.5)
        ax.plot([m1, m1], [lo2, hi2], color="tab:red", lw=2.5)
        if same_limits:
            ax.set_xlim(-span, span)
            ax.set_ylim(-span, span)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(title)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.grid(alpha=0.3)
    return fig


# ---------------------------------------------------------------------------
# Symmetry: identical starting weights
# ---------------------------------------------------------------------------

def row_spread(weight) -> float:
    r"""The largest difference between a row of ``weight`` and its first row,
    :math:`\max_{j,i} |W_{ji} - W_{1i}|`: 0 exactly when all units of the layer
    have the same incoming weights (twins)."""
    W = np.asarray(_backend.to_numpy(weight.data if isinstance(weight, Tensor) else weight), dtype=float)
    return float(np.abs(W - W[:1]).max())


def distinct_rows(weight, tol: float = 0.0) -> int:
    r"""The number of distinct rows of ``weight``: row :math:`j` counts when it differs
    by more than ``tol`` (in some entry) from every earlier row.

    With ``tol = 0`` rows must be bit-for-bit equal to count as one; a small
    ``tol`` (``1e-6``, say) asks "equal to six decimals", the precision at
    which twin units matter.
    """
    W = np.asarray(_backend.to_numpy(weight.data if isinstance(weight, Tensor) else weight), dtype=float)
    kept = []
    for row in W:
        if not any(np.abs(row - k).max() <= tol for k in kept):
            kept.append(row)
    return len(kept)


def symmetry_runs(X, y, starts, sizes=(2, 16, 3), activation="tanh", steps=1000, lr=0.05, seed=0,
                  tol=1e-6):
    r"""Train one network per starting rule with the same full-batch Adam steps.

    For each ``name: init`` of ``starts`` (``init`` as in :func:`mlp`;
    ``None`` is ``nn.Linear``'s default), ``nnlearn.manual_seed(seed)``, build
    ``mlp(sizes, activation, init)`` and take ``steps`` full-batch steps of
    ``optim.Adam(lr)`` on the cross-entropy.

    Returns
    -------
    models : dict of str to Sequential
    table : Table
        Per start: the last loss, the accuracy, the number of distinct rows of
        :math:`W^{(1)}` at tolerance ``tol`` (:func:`distinct_rows`) and the
        largest difference between two of its rows (:func:`row_spread`).
    """
    from .. import losses, train

    models, rows = {}, []
    for name, start in starts.items():
        _backend.manual_seed(seed)
        model = models[name] = mlp(list(sizes), activation, init=start)
        h = train.fit(model, losses.cross_entropy, optim.Adam(model.parameters(), lr=lr), (X, y),
                      epochs=steps, batch_size=len(X), metrics=["accuracy"], progress=False)
        W1 = model[0].weight
        rows.append([name, float(h["loss"][-1]), float(h["accuracy"][-1]),
                     distinct_rows(W1, tol), f"{row_spread(W1):.1e}"])
    return models, Table(["initial weights", "loss, last step", "accuracy",
                          f"distinct rows of W⁽¹⁾ (to {tol:g})", "max |row − row₁|"], rows, digits=3)


def spread_during_training(X, y, init, sizes=(2, 16, 3), activation="tanh", steps=300, every=10,
                           lr=0.05, seed=0):
    r""":func:`row_spread` of :math:`W^{(1)}` every ``every`` full-batch Adam steps.

    Returns ``(steps_taken, spreads)``, two arrays. Started from identical rows,
    exact arithmetic keeps the spread at 0 forever; in floating point it stays
    0 only if the machine rounds the twin units' sums identically.
    """
    from .. import losses, train

    _backend.manual_seed(seed)
    model = mlp(list(sizes), activation, init=init)
    opt = optim.Adam(model.parameters(), lr=lr)
    taken, spreads = [0], [row_spread(model[0].weight)]
    for t in range(every, steps + 1, every):
        train.fit(model, losses.cross_entropy, opt, (X, y), epochs=every, batch_size=len(X),
                  progress=False)
        taken.append(t)
        spreads.append(row_spread(model[0].weight))
    return np.array(taken), np.array(spreads)


# ---------------------------------------------------------------------------
# Initializers against their formulas and PyTorch
# ---------------------------------------------------------------------------

def initializer_table(fan_in=512, fan_out=256, seed=0):
    r"""LeCun, Xavier, He and ``nn.Linear``'s default: the formula's standard deviation
    against one ``(fan_out, fan_in)`` weight drawn by nnlearn and one by PyTorch (float64).

    Rows: LeCun :math:`\sqrt{1/n_\text{in}}` (``lecun_normal_``; PyTorch
    ``kaiming_normal_(nonlinearity="linear")``), Xavier
    :math:`\sqrt{2/(n_\text{in}+n_\text{out})}` (``xavier_uniform_``), He
    :math:`\sqrt{2/n_\text{in}}` (``kaiming_normal_(nonlinearity="relu")``)
    and the default :math:`\sqrt{1/(3n_\text{in})}`
    (``kaiming_uniform_(a=√5)``).
    """
    import torch

    t = torch.nn.init
    rules = {
        "LeCun": (1 / fan_in, _init.lecun_normal_, lambda w: t.kaiming_normal_(w, nonlinearity="linear")),
        "Xavier": (2 / (fan_in + fan_out), _init.xavier_uniform_, t.xavier_uniform_),
        "He": (2 / fan_in, lambda w: _init.kaiming_normal_(w, nonlinearity="relu"),
               lambda w: t.kaiming_normal_(w, nonlinearity="relu")),
        "nn.Linear default": (1 / (3 * fan_in), lambda w: _init.kaiming_uniform_(w, a=math.sqrt(5)),
                              lambda w: t.kaiming_uniform_(w, a=math.sqrt(5))),
    }
    _backend.manual_seed(seed)
    torch.manual_seed(seed)
    shape = (fan_out, fan_in)
    rows = [[name, math.sqrt(v), float(np.std(ours(np.empty(shape)))),
             theirs(torch.empty(shape, dtype=torch.float64)).std().item()]
            for name, (v, ours, theirs) in rules.items()]
    return Table(["rule", "std, formula", "std, nnlearn", "std, PyTorch"], rows)


# ---------------------------------------------------------------------------
# Activation × initialization: a factorial experiment
# ---------------------------------------------------------------------------

class Factorial:
    r"""The result of :func:`activation_init_factorial`.

    Attributes
    ----------
    cells : dict of (activation, init label) to dict
        ``"ratio"``: per seed, :math:`\|\partial E/\partial W^{(L)}\| / \|\partial E/\partial W^{(1)}\|`
        at initialization; ``"val_accuracy"``: per seed, after training.
    """

    def __init__(self, cells, seeds, epochs):
        self.cells, self.seeds, self.epochs = cells, list(seeds), epochs

    def mean_accuracy(self, activation, label):
        return float(np.mean(self.cells[(activation, label)]["val_accuracy"]))

    def ratio(self, activation, label):
        """The geometric mean over the seeds of the output/first-layer gradient ratio."""
        return float(np.exp(np.mean(np.log(self.cells[(activation, label)]["ratio"]))))

    def table(self):
        rows = []
        for (act, label), c in self.cells.items():
            acc = np.asarray(c["val_accuracy"])
            rows.append([act, label, f"{self.ratio(act, label):.2g}",
                         f"{acc.mean():.2f} ± {acc.std(ddof=1):.2f}" if acc.size > 1 else f"{acc.mean():.2f}"])
        return Table(["activation", "initialization", "grad ratio output / layer 1, at init",
                      f"val accuracy after {self.epochs} epochs (mean ± sd)"], rows,
                     title=f"{len(self.seeds)} seeds per cell")

    def _repr_html_(self):
        return self.table()._repr_html_()

    def __repr__(self):
        return str(self.table())


def activation_init_factorial(split, design, sizes, seeds=(0, 1, 2), epochs=5, lr=0.1, batch_size=64):
    r"""Every combination of activation and initialization, several seeds each.

    ``design`` maps ``(activation, label)`` to an ``init`` for :func:`mlp`
    (``None`` for ``nn.Linear``'s default). For each cell and seed:
    ``nnlearn.manual_seed(seed)``, build ``mlp(sizes, activation, init)``,
    measure the weight-gradient norms of every layer at initialization on the
    first 256 training samples (:func:`nnlearn.train.layer_statistics`), then
    train ``epochs`` epochs of minibatch SGD (``lr``, ``batch_size``, the
    minibatch order of ``seed``) and record the final validation accuracy.

    A factorial design changes one factor at a time *and* every combination:
    it tells the effect of each factor apart, and shows whether they interact.
    """
    from .. import losses, train

    X, y = split.train
    cells = {}
    for (act, label), init in design.items():
        ratios, accs = [], []
        for seed in seeds:
            _backend.manual_seed(seed)
            model = mlp(list(sizes), act, init)
            g = train.layer_statistics(model, X[:256], y[:256], losses.cross_entropy,
                                       include_output=True).weight_grad_norms()
            ratios.append(float(g[-1] / g[0]))
            h = train.fit(model, losses.cross_entropy, optim.SGD(model.parameters(), lr=lr), split.train,
                          epochs=epochs, batch_size=batch_size, val_data=split.val, metrics=["accuracy"],
                          progress=False, seed=seed)
            accs.append(float(h["val_accuracy"][-1]))
        cells[(act, label)] = {"ratio": np.array(ratios), "val_accuracy": np.array(accs)}
    return Factorial(cells, seeds, epochs)


def logistic_accuracy(X, y, epochs=300, lr=0.1, seed=0) -> float:
    r"""Fit one logistic unit ``nn.Linear(d, 1)`` to ``(X, y)`` and return its accuracy there.

    ``nnlearn.manual_seed(seed)``, then ``epochs`` full-batch steps of
    ``optim.Adam(lr)`` on ``binary_cross_entropy_with_logits``; a sample counts
    as class 1 when the logit is positive. ``y`` is 0/1 of shape ``(N, 1)``.
    """
    from .. import losses, train

    X = np.asarray(_backend.to_numpy(X), dtype=float)
    y = np.asarray(_backend.to_numpy(y), dtype=float).reshape(-1, 1)
    _backend.manual_seed(seed)
    unit = nn.Linear(X.shape[1], 1)
    train.fit(unit, losses.binary_cross_entropy_with_logits, optim.Adam(unit.parameters(), lr=lr),
              (X, y), epochs=epochs, batch_size=len(X), progress=False)
    return float(np.mean((train.predict(unit, X) > 0) == (y > 0.5)))


def mean_activation_during_training(split, sizes, activation="sigmoid", init="standard", epochs=10,
                                    lr=0.1, batch_size=10, seed=0, probe=300):
    r"""The mean activation :math:`\mathbb E[z^{(l)}]` of every hidden layer, on the first
    ``probe`` training samples, before training and after each epoch of minibatch SGD.

    Glorot and Bengio's figure 2 tracks this for a deep sigmoid network with the
    standard initialization: the top hidden layer is driven to 0, the saturated end
    of the sigmoid, early in training. Returns an array ``(epochs + 1, hidden layers)``.
    """
    from .. import losses, train

    X = split.train[0][:probe]
    _backend.manual_seed(seed)
    model = mlp(list(sizes), activation, init)
    opt = optim.SGD(model.parameters(), lr=lr)

    def means():
        return [float(np.mean(v)) for v in train.layer_statistics(model, X).values("activation")]

    out = [means()]
    for epoch in range(epochs):
        train.fit(model, losses.cross_entropy, opt, split.train, epochs=1, batch_size=batch_size,
                  progress=False, seed=1000 * seed + epoch)
        out.append(means())
    return np.array(out)
