r"""Regularization and model selection: weight penalties, cross-validation,
dropout's average, and learning-rate sweeps.

Weight penalties
    :func:`l2_penalty` and :func:`l1_penalty` add
    :math:`\tfrac{\lambda}{2}\sum\|W\|^2` or :math:`\lambda\sum|W_{ji}|` to a
    loss, over the *weights* only (:func:`weight_parameters`): biases shift a
    unit's output without making the function any more wiggly, so they are
    not penalized. :func:`weight_decay_groups` gives an optimizer the same
    split, as parameter groups.
Choosing hyperparameters without the test set
    :func:`kfold_indices` and :func:`cross_validate` (:math:`k`-fold
    cross-validation).
Dropout as an average
    :func:`dropout_average`: the mean output of many randomly thinned
    networks, to compare with the evaluation-mode network.
Learning-rate ranges
    :func:`learning_rate_sweep` trains one or more architectures at each of
    several learning rates and records which ones diverge.

PyTorch has none of these as functions: its users write the penalty into the
loss by hand, build parameter groups by hand, and take cross-validation from
scikit-learn (``sklearn.model_selection.KFold``, whose fold sizes
:func:`kfold_indices` reproduces).
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, Mapping, Sequence

import numpy as np  # host-side only: fold indices, Monte Carlo averages, result tables

from .. import backend as _backend
from .._display import Table

__all__ = [
    "weight_parameters",
    "l2_penalty",
    "l1_penalty",
    "weight_decay_groups",
    "kfold_indices",
    "cross_validate",
    "CrossValidation",
    "dropout_average",
    "learning_rate_sweep",
    "LearningRateSweep",
]


# --------------------------------------------------------------------------
# Weight penalties
# --------------------------------------------------------------------------

def _check_module(model, where):
    from ..nn import Module

    if not isinstance(model, Module):
        raise TypeError(f"{where}: expected an nnlearn.nn.Module (the model), got "
                        f"{type(model).__name__}.")


def _check_strength(value, name, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{where}: {name} must be a number >= 0, got {value!r}.")
    return float(value)


def weight_parameters(model, include_bias: bool = False) -> list:
    r"""The parameters a weight penalty applies to.

    By default the *weights*: every parameter with two or more dimensions
    (``Linear.weight`` of shape ``(out, in)``), the ones that multiply a
    layer's inputs. Biases and the other one-dimensional parameters
    (BatchNorm's :math:`\gamma` and :math:`\beta`) are left out: a bias moves
    a unit's output up or down without making the network's function any
    steeper, and penalizing it would pull the fit towards zero output for no
    gain (Bishop, *Pattern Recognition and Machine Learning*, §5.5.1, shows
    that a penalty on the biases also breaks the invariance of the network
    under a shift of its inputs or targets).

    Parameters
    ----------
    model : nnlearn.nn.Module
    include_bias : bool, default False
        Return every parameter instead (what an optimizer's ``weight_decay``
        applies to).

    Returns
    -------
    list of Parameter
        In the order of ``model.parameters()``.
    """
    _check_module(model, "weight_parameters")
    params = list(model.parameters())
    return params if include_bias else [p for p in params if p.ndim >= 2]


def _zero_like_model(model):
    from .._tensor import Tensor

    for p in model.parameters():
        return Tensor(p.xp.zeros((), dtype=p._data.dtype, device=p.device))
    return Tensor(0.0)


def l2_penalty(model, weight_decay: float, include_bias: bool = False):
    r"""The L2 penalty :math:`\tfrac{\lambda}{2}\sum_l \|W^{(l)}\|_F^2` as a scalar Tensor.

    Add it to the loss, :math:`\tilde E(\theta) = E(\theta) +
    \tfrac{\lambda}{2}\sum_l\|W^{(l)}\|^2`; its gradient with respect to a
    weight is :math:`\lambda W_{ji}`, so one gradient-descent step becomes

    .. math::

        W \leftarrow W - \eta\bigl(\nabla_W E + \lambda W\bigr)
          = (1 - \eta\lambda)\,W - \eta\nabla_W E :

    every step first shrinks the weights by the factor :math:`1 - \eta\lambda`,
    hence the name *weight decay*. That gradient :math:`\lambda\theta` is what
    ``optim.SGD(..., weight_decay=λ)`` and ``optim.Adam(..., weight_decay=λ)``
    add (to every parameter, biases included, unless told otherwise by
    :func:`weight_decay_groups`).

    Parameters
    ----------
    model : nnlearn.nn.Module
    weight_decay : float
        :math:`\lambda \ge 0`.
    include_bias : bool, default False
        Penalize every parameter, as an optimizer's ``weight_decay`` does.

    Returns
    -------
    Tensor
        A scalar, on the model's backend, differentiable with respect to the
        weights.
    """
    _check_module(model, "l2_penalty")
    lam = _check_strength(weight_decay, "weight_decay", "l2_penalty")
    total = _zero_like_model(model)
    for W in weight_parameters(model, include_bias):
        total = total + (W * W).sum()
    return (0.5 * lam) * total


def l1_penalty(model, strength: float, include_bias: bool = False):
    r"""The L1 penalty :math:`\lambda\sum_l\sum_{j,i} |W^{(l)}_{ji}|` as a scalar Tensor.

    Its (sub)gradient is :math:`\lambda\,\operatorname{sign}(W_{ji})` (0 at
    0): a push of the same size :math:`\eta\lambda` towards zero at every
    step, however small the weight already is. The L2 gradient
    :math:`\lambda W_{ji}` fades as the weight shrinks, so L2 makes weights
    small but leaves them non-zero, while L1 drives the weights that the data
    does not need to zero, or, with gradient steps, to within about one step
    of it (the weight then jumps across zero from step to step; an exact zero
    needs a proximal "soft-thresholding" step instead).

    Parameters
    ----------
    model : nnlearn.nn.Module
    strength : float
        :math:`\lambda \ge 0`.
    include_bias : bool, default False
        Penalize every parameter.

    Returns
    -------
    Tensor
        A scalar on the model's backend.
    """
    _check_module(model, "l1_penalty")
    lam = _check_strength(strength, "strength", "l1_penalty")
    total = _zero_like_model(model)
    for W in weight_parameters(model, include_bias):
        total = total + W.abs().sum()
    return lam * total


def weight_decay_groups(model, weight_decay: float) -> list:
    r"""Parameter groups that apply an optimizer's ``weight_decay`` to the weights only.

    ``optim.SGD(weight_decay_groups(model, 1e-3), lr=0.1)`` decays the
    weights (:func:`weight_parameters`) and leaves biases and BatchNorm
    parameters alone: the same gradients as adding :func:`l2_penalty` to the
    loss, for SGD and Adam.

    Returns
    -------
    list of dict
        ``[{"params": weights, "weight_decay": λ}, {"params": others,
        "weight_decay": 0.0}]``, without an empty group.
    """
    _check_module(model, "weight_decay_groups")
    lam = _check_strength(weight_decay, "weight_decay", "weight_decay_groups")
    weights = weight_parameters(model)
    chosen = {id(p) for p in weights}
    others = [p for p in model.parameters() if id(p) not in chosen]
    groups = [{"params": weights, "weight_decay": lam}, {"params": others, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    if not groups:
        raise ValueError("weight_decay_groups: the model has no parameters.")
    return groups


# --------------------------------------------------------------------------
# Cross-validation
# --------------------------------------------------------------------------

def kfold_indices(n: int, k: int = 5, seed: int | None = 0, shuffle: bool = True) -> list:
    r"""Split ``n`` sample indices into ``k`` folds for cross-validation.

    Fold :math:`i` serves once as the validation set while the other
    :math:`k-1` folds train. The first :math:`n \bmod k` folds hold
    :math:`\lceil n/k\rceil` samples and the rest :math:`\lfloor n/k\rfloor`
    (the sizes of scikit-learn's ``KFold``); every index is in exactly one
    validation fold. ``k = n`` is leave-one-out.

    Parameters
    ----------
    n : int
        Number of samples.
    k : int
        Number of folds, :math:`2 \le k \le n`.
    seed : int or None
        Seed of the shuffle (``None``: nnlearn's generator,
        ``nnlearn.manual_seed``).
    shuffle : bool
        Shuffle before cutting into folds (otherwise fold :math:`i` is a
        contiguous block).

    Returns
    -------
    list of (train_idx, val_idx)
        ``k`` pairs of sorted int64 NumPy arrays.
    """
    for name, v in (("n", n), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"kfold_indices: {name} must be an integer, got {v!r}.")
    if not 2 <= k <= n:
        raise ValueError(f"kfold_indices: need 2 <= k <= n folds, got k={k} for n={n} samples "
                         "(k = n is leave-one-out).")
    order = np.arange(n)
    if shuffle:
        rng = _backend.rng() if seed is None else np.random.default_rng(seed)
        order = rng.permutation(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    folds, start = [], 0
    for size in sizes:
        val = np.sort(order[start:start + size])
        train = np.sort(np.concatenate([order[:start], order[start + size:]]))
        folds.append((train.astype(np.int64), val.astype(np.int64)))
        start += size
    return folds


def _take(a, idx):
    from .._tensor import Tensor

    if isinstance(a, Tensor):
        a = a._data
    if isinstance(a, np.ndarray):
        return a[idx]
    xp = _backend.namespace_of(a)
    return xp.take(a, xp.asarray(idx, device=getattr(a, "device", None)), axis=0)


class CrossValidation:
    r"""The results of :func:`cross_validate`: one dict of numbers per fold.

    Attributes
    ----------
    folds : list of dict
        What the training function returned for each fold.
    sizes : list of (int, int)
        Training and validation samples per fold.
    """

    def __init__(self, folds: list, sizes: list):
        self.folds = folds
        self.sizes = sizes

    @property
    def keys(self) -> list:
        """The quantities recorded (the keys of the first fold's dict)."""
        return list(self.folds[0]) if self.folds else []

    def values(self, key: str) -> np.ndarray:
        """One value per fold."""
        if key not in self.keys:
            raise KeyError(f"CrossValidation records {self.keys}, not {key!r}")
        return np.array([float(f[key]) for f in self.folds])

    def mean(self, key: str) -> float:
        """The mean over the folds, :math:`\\frac1k\\sum_i v_i`."""
        return float(np.mean(self.values(key)))

    def std(self, key: str) -> float:
        """The sample standard deviation over the folds (``ddof=1``)."""
        v = self.values(key)
        return float(np.std(v, ddof=1)) if v.size > 1 else math.nan

    def table(self, digits: int = 4) -> Table:
        """One row per fold, then the mean."""
        rows = [[i + 1, *s, *(f[k] for k in self.keys)] for i, (f, s) in enumerate(zip(self.folds, self.sizes))]
        rows.append(["mean", "", "", *(self.mean(k) for k in self.keys)])
        return Table(["fold", "train", "val", *self.keys], rows, digits=digits,
                     separators=[len(self.folds)], title=f"{len(self.folds)}-fold cross-validation")

    def _repr_html_(self):
        return self.table()._repr_html_()

    def __repr__(self):
        return str(self.table())


def cross_validate(train_and_evaluate: Callable, X, y, k: int = 5, seed: int | None = 0) -> CrossValidation:
    r""":math:`k`-fold cross-validation of a training procedure.

    For each fold :math:`i` of :func:`kfold_indices`, calls
    ``train_and_evaluate((X_train, y_train), (X_val, y_val))`` on the other
    folds and fold :math:`i`, and collects the dict of numbers it returns
    (a validation error, the best epoch found by early stopping, ...). Every
    sample is used for validation exactly once and for training
    :math:`k - 1` times, so no data is set aside for good; the test set is not
    involved at all.

    Typical uses (slide text 001): the mean best epoch over the folds is the
    number of epochs to train the final model for, on all the data; the mean
    validation error of each candidate number of hidden units picks the
    architecture.

    Parameters
    ----------
    train_and_evaluate : callable
        ``(train_data, val_data) -> dict`` of numbers; it should build a new
        model each time.
    X, y : arrays
        All the data available for training and model selection.
    k : int
        Number of folds.
    seed : int or None
        Seed of the split into folds.

    Returns
    -------
    CrossValidation
    """
    if not callable(train_and_evaluate):
        raise TypeError("cross_validate: train_and_evaluate must be a function "
                        "(train_data, val_data) -> dict of numbers.")
    n = len(X)
    if len(y) != n:
        raise ValueError(f"cross_validate: X has {n} samples but y has {len(y)}.")
    results, sizes = [], []
    for train_idx, val_idx in kfold_indices(n, k, seed):
        out = train_and_evaluate((_take(X, train_idx), _take(y, train_idx)),
                                 (_take(X, val_idx), _take(y, val_idx)))
        if not isinstance(out, Mapping):
            raise TypeError(f"cross_validate: train_and_evaluate must return a dict of numbers, "
                            f"got {type(out).__name__}.")
        results.append(dict(out))
        sizes.append((len(train_idx), len(val_idx)))
    return CrossValidation(results, sizes)


# --------------------------------------------------------------------------
# Dropout as model averaging
# --------------------------------------------------------------------------

def dropout_average(model, X, samples: int = 1000):
    r"""Mean and standard deviation of the outputs of ``samples`` randomly thinned networks.

    Each sample is one forward pass with fresh dropout masks: the
    ``nn.Dropout`` layers in training mode, every other module
    (BatchNorm in particular) in evaluation mode, no gradients. The mean
    estimates the average prediction of the thinned networks,

    .. math::

        \bar y(\mathbf x) = \mathbb{E}_{\mathbf m}\bigl[y(\mathbf x; \mathbf m)\bigr]
        \approx \frac1S\sum_{s=1}^S y(\mathbf x; \mathbf m_s),

    which the evaluation-mode network (no dropout, nothing rescaled, thanks
    to inverted dropout) approximates in one pass. The approximation is exact
    when the output is linear in the dropped units (a single dropout layer
    before a linear output layer) and close otherwise (Srivastava et al.,
    2014, §7.5). The spread over the masks is what "Monte Carlo dropout" (Gal
    & Ghahramani, 2016) reads as model uncertainty.

    Parameters
    ----------
    model : nnlearn.nn.Module
    X : array of shape ``(n, ...)``
    samples : int
        Number of masks :math:`S`. The masks come from
        ``nnlearn.backend.rng()``: seed with ``nnlearn.manual_seed``.

    Returns
    -------
    mean, std : numpy.ndarray
        Of the model's output shape; ``std`` is the standard deviation over
        the masks (``ddof=0``), not the error of the mean (which is
        :math:`\text{std}/\sqrt{S}`).
    """
    from ..nn import Dropout
    from .._tensor import Tensor, no_grad

    _check_module(model, "dropout_average")
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral) or samples < 1:
        raise ValueError(f"dropout_average: samples must be a positive integer, got {samples!r}.")
    drops = [m for m in model.modules() if isinstance(m, Dropout)]
    if not drops:
        raise ValueError("dropout_average: the model has no nn.Dropout layer, so every sample "
                         "would be the same network.")
    saved = [(m, m.training) for m in model.modules()]
    b = next((p.backend for p in model.parameters()), None) or _backend.current()
    data = X._data if isinstance(X, Tensor) else X
    x = Tensor(b.asarray(_backend.to_numpy(data)))
    total = total_sq = None
    try:
        model.eval()
        for m in drops:
            m.__dict__["training"] = True
        with no_grad():
            for _ in range(int(samples)):
                out = _backend.to_numpy(model(x)._data).astype(np.float64)
                if total is None:
                    total, total_sq = np.zeros_like(out), np.zeros_like(out)
                total += out
                total_sq += out * out
    finally:
        for m, mode in saved:
            m.__dict__["training"] = mode
    mean = total / samples
    var = np.maximum(total_sq / samples - mean * mean, 0.0)
    return mean, np.sqrt(var)


# --------------------------------------------------------------------------
# Learning-rate sweeps
# --------------------------------------------------------------------------

class LearningRateSweep:
    r"""The results of :func:`learning_rate_sweep`.

    Attributes
    ----------
    lrs : list of float
    names : list of str
        The architectures, in the order given.
    scores : dict of str to ndarray of shape ``(len(lrs), len(seeds))``
        The final value of ``metric``; ``nan`` where training diverged.
    metric : str
    seeds : list of int
    """

    def __init__(self, lrs, names, scores, metric, seeds):
        self.lrs, self.names, self.scores = list(lrs), list(names), scores
        self.metric, self.seeds = metric, list(seeds)

    def mean(self, name: str) -> np.ndarray:
        """Mean over the seeds per learning rate; ``nan`` if any seed diverged."""
        return self.scores[name].mean(axis=1)

    def diverged(self, name: str) -> np.ndarray:
        """How many seeds diverged, per learning rate."""
        return np.isnan(self.scores[name]).sum(axis=1)

    def table(self, digits: int = 3) -> Table:
        """One row per learning rate, one column per architecture ("diverged" where any seed did)."""
        rows = []
        for i, lr in enumerate(self.lrs):
            row = [lr]
            for name in self.names:
                d = int(self.diverged(name)[i])
                row.append(f"diverged ({d}/{len(self.seeds)})" if d else float(self.mean(name)[i]))
            rows.append(row)
        what = f"final {self.metric}" + (f", mean of {len(self.seeds)} seeds" if len(self.seeds) > 1 else "")
        return Table(["lr", *self.names], rows, digits=digits, title=what)

    def plot(self, ax=None, figsize=(5.6, 3.6)):
        """The metric against the learning rate (log axis), one line per architecture;
        a cross on the axis where training diverged."""
        from ..viz._common import color, figure_and_axes

        fig, axes = figure_and_axes(ax, figsize=figsize)
        ax = axes[0, 0]
        lrs = np.array(self.lrs, dtype=float)
        for j, name in enumerate(self.names):
            m = self.mean(name)
            ax.plot(lrs, m, "o-", color=color(j), label=name)
            bad = self.diverged(name) > 0
            if bad.any():
                ax.plot(lrs[bad], np.zeros(bad.sum()), "x", color=color(j), ms=9, mew=2,
                        label=f"{name}: diverged", clip_on=False)
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel(self.metric)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
        return fig

    def _repr_html_(self):
        return self.table()._repr_html_()

    def __repr__(self):
        return str(self.table())


def learning_rate_sweep(models: Mapping[str, Callable], lrs: Sequence[float], train_data, val_data,
                        *, loss_fn, epochs: int, batch_size: int, optimizer=None,
                        metric: str = "val_accuracy", seeds: Sequence[int] = (0,)) -> LearningRateSweep:
    r"""Train each architecture at each learning rate; record the final ``metric``.

    For every name in ``models``, learning rate and seed:
    ``nnlearn.manual_seed(seed)``, build the model with ``models[name]()``,
    train it with ``nnlearn.train.fit`` (the same minibatch order for
    every run of a seed), and keep ``history[metric][-1]``. A run whose loss
    or weights stop being finite (``TrainingDiverged``)
    is recorded as ``nan``.

    Parameters
    ----------
    models : dict of str to callable
        ``{name: function of no argument returning a new model}``.
    lrs : sequence of float
    train_data, val_data : (X, y) pairs
    loss_fn : callable
    epochs, batch_size : int
    optimizer : callable, optional
        ``optimizer(params, lr)``; default plain SGD, ``optim.SGD(params, lr=lr)``.
    metric : str
        A key of the history, e.g. ``"val_accuracy"`` or ``"loss"``; an
        accuracy is recorded when the key contains "accuracy".
    seeds : sequence of int

    Returns
    -------
    LearningRateSweep
    """
    from .. import optim as _optim
    from ..train import TrainingDiverged, fit

    if optimizer is None:
        def optimizer(params, lr):
            return _optim.SGD(params, lr=lr)
    metrics = ["accuracy"] if "accuracy" in metric else []
    scores = {}
    for name, make in models.items():
        table = np.full((len(lrs), len(seeds)), np.nan)
        for i, lr in enumerate(lrs):
            for j, seed in enumerate(seeds):
                _backend.manual_seed(seed)
                model = make()
                try:
                    h = fit(model, loss_fn, optimizer(model.parameters(), lr), train_data,
                            epochs=epochs, batch_size=batch_size, val_data=val_data,
                            metrics=metrics, progress=False, seed=seed)
                except TrainingDiverged:
                    continue
                if metric not in h:
                    raise KeyError(f"learning_rate_sweep: the history has no {metric!r}; it "
                                   f"records {list(h.keys())}.")
                table[i, j] = float(h[metric][-1])
        scores[name] = table
    return LearningRateSweep(lrs, list(models), scores, metric, seeds)
