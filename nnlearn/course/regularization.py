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
    "sinusoid_net",
    "train_full_batch",
    "rms",
    "TanhNets",
    "train_tanh_nets",
    "Selection",
    "select_within_noise",
    "fold_masks",
    "plot_by_size",
    "train_with_decay",
    "plot_dropout_average",
    "running_statistics_table",
    "deep_relu_mlp",
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
        return Tensor(p.xp.zeros((), dtype=p._data.dtype, device=p.backend.device))
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

    def table(self, digits: int = 3, spread: bool = False) -> Table:
        """One row per learning rate, one column per architecture ("diverged" where any seed did);
        ``spread=True`` adds the sample standard deviation over the seeds (mean ± sd)."""
        rows = []
        for i, lr in enumerate(self.lrs):
            row = [lr]
            for name in self.names:
                d = int(self.diverged(name)[i])
                m = float(self.mean(name)[i])
                if d:
                    row.append(f"diverged ({d}/{len(self.seeds)})")
                elif spread and len(self.seeds) > 1:
                    row.append(f"{m:.{digits}f} ± {float(np.std(self.scores[name][i], ddof=1)):.{digits}f}")
                else:
                    row.append(m)
            rows.append(row)
        what = f"final {self.metric}" + (f", mean{' ± sd' if spread else ''} of {len(self.seeds)} seeds"
                                         if len(self.seeds) > 1 else "")
        return Table(["lr", *self.names], rows, digits=digits, title=what)

    def verdicts(self, name: str, learns: float, fails: float) -> list:
        """Per learning rate: "learns" if every seed ends above ``learns``, "fails" if every seed
        ends below ``fails`` or diverged, "mixed" otherwise.

        A diverged seed counts as failed rather than getting a verdict of its own: whether a
        run that fails overflows, or only ends at chance, can turn on the last bit of a dot
        product, and a verdict must hold on every machine. :meth:`diverged` counts them.
        """
        out = []
        for row in self.scores[name]:
            if np.all(row > learns):
                out.append("learns")
            elif np.all(np.nan_to_num(row, nan=-np.inf) < fails):
                out.append("fails")
            else:
                out.append("mixed")
        return out

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


# --------------------------------------------------------------------------
# Bishop's sinusoid networks, many at once
# --------------------------------------------------------------------------

def sinusoid_net(M: int):
    r"""Bishop's network for the sinusoid: 1 input, ``M`` tanh hidden units, 1 linear output.

    ``nn.Sequential(nn.Linear(1, M), nn.Tanh(), nn.Linear(M, 1))``, with
    ``nn.Linear``'s default initialization (call ``nnlearn.manual_seed`` first).
    """
    from .. import nn

    return nn.Sequential(nn.Linear(1, int(M)), nn.Tanh(), nn.Linear(int(M), 1))


def train_full_batch(model, X, d, steps: int = 5000, lr: float = 0.02, penalty: Callable | None = None):
    r"""Full-batch Adam on :math:`E = \frac1N\sum_n \tfrac12 (y_n - d_n)^2` (+ ``penalty(model)``).

    ``steps`` times: ``zero_grad``, the loss ``0.5 * mse_loss(model(X), d)``
    plus the penalty, ``backward``, ``step``, with
    ``optim.Adam(model.parameters(), lr)``. ``train.fit(..., batch_size=N)``
    runs the same loop; written out, it leaves room for a penalty term.
    Returns the model.
    """
    from .. import losses, optim
    from .._tensor import Tensor

    opt = optim.Adam(model.parameters(), lr=lr)
    X, d = Tensor(X), Tensor(d)
    for _ in range(int(steps)):
        opt.zero_grad()
        loss = 0.5 * losses.mse_loss(model(X), d)
        if penalty is not None:
            loss = loss + penalty(model)
        loss.backward()
        opt.step()
    return model


def rms(model, X, d) -> float:
    r"""Root-mean-square error :math:`\sqrt{\frac1N\sum_n (y_n - d_n)^2}` of a model (or a
    plain function of ``X``, such as ``data.sinusoid_curve``) on ``(X, d)``."""
    from ..nn import Module
    from ..train import predict

    y = predict(model, X) if isinstance(model, Module) else model(X)
    return float(np.sqrt(np.mean((np.asarray(y, dtype=float) - np.asarray(d, dtype=float)) ** 2)))


def _per_net(a, K, name):
    a = np.asarray(_backend.to_numpy(a), dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[1] not in (1, K):
        raise ValueError(f"train_tanh_nets: {name} must have shape (N, 1) or (N, {K}) (one column "
                         f"per network), got {a.shape}.")
    return np.broadcast_to(a, (a.shape[0], K))


class TanhNets:
    r"""Networks :math:`1 \to M_k \text{ tanh} \to 1`, trained side by side by :func:`train_tanh_nets`.

    Network :math:`k` computes
    :math:`y_k(x) = \sum_{j=1}^{M_k} w^{(2)}_{kj}\tanh(w^{(1)}_{kj}x + b^{(1)}_{kj}) + b^{(2)}_k`.

    Attributes
    ----------
    sizes, seeds : list of int
        :math:`M_k` and the seed that drew network :math:`k`'s initial weights.
    params : list of dict
        Per network, NumPy arrays ``w1, b1, w2`` (length :math:`M_k`) and ``b2``.
    val_curve : ndarray of shape ``(steps + 1, K)`` or None
        With ``val``: the validation RMS after ``0, 1, ..., steps`` steps.
    best_step : ndarray of int or None
        With ``val``: the step of the lowest validation RMS (the first, on ties).
    """

    def __init__(self, sizes, seeds, params, val_curve=None):
        self.sizes, self.seeds, self.params = list(sizes), list(seeds), params
        self.val_curve = val_curve
        self.best_step = None if val_curve is None else np.argmin(val_curve, axis=0)

    def __len__(self):
        return len(self.sizes)

    def predict(self, X) -> np.ndarray:
        """Outputs of every network, shape ``(N, K)``; ``X`` is ``(N, 1)`` (shared) or ``(N, K)``."""
        X = _per_net(X, len(self), "X")
        out = np.empty(X.shape)
        for k, p in enumerate(self.params):
            h = np.tanh(X[:, k:k + 1] * p["w1"] + p["b1"])
            out[:, k] = h @ p["w2"] + p["b2"]
        return out

    def squared_errors(self, X, d) -> np.ndarray:
        """:math:`(y_k(x_n) - d_n)^2`, shape ``(N, K)``."""
        return (self.predict(X) - _per_net(d, len(self), "d")) ** 2

    def rms(self, X, d, mask=None) -> np.ndarray:
        """The RMS error of each network, shape ``(K,)``, over the points where ``mask`` is 1."""
        e = self.squared_errors(X, d)
        m = np.ones_like(e) if mask is None else _per_net(mask, len(self), "mask")
        return np.sqrt((e * m).sum(axis=0) / m.sum(axis=0))

    def weights(self, k) -> np.ndarray:
        """Network ``k``'s :math:`2M_k` weights (biases left out), as one array."""
        return np.concatenate([self.params[k]["w1"], self.params[k]["w2"]])

    def model(self, k):
        """Network ``k`` as an ``nn.Sequential`` (a copy, on the current backend)."""
        from .. import nn

        m, p = sinusoid_net(self.sizes[k]), self.params[k]
        m[0].weight.data[...] = _backend.current().asarray(p["w1"][:, None])
        m[0].bias.data[...] = _backend.current().asarray(p["b1"])
        m[2].weight.data[...] = _backend.current().asarray(p["w2"][None, :])
        m[2].bias.data[...] = _backend.current().asarray(np.array([p["b2"]]))
        return m


def train_tanh_nets(sizes, seeds, X, d, *, mask=None, steps: int = 3000, lr: float = 0.02,
                    penalty: str | None = None, strength: float = 0.0, val=None) -> TanhNets:
    r"""Train many small networks :func:`sinusoid_net`, each on its own data, all at once.

    Network :math:`k` starts from ``nnlearn.manual_seed(seeds[k]);
    sinusoid_net(sizes[k])`` and takes ``steps`` full-batch Adam steps
    (``lr``) on

    .. math::

        E_k = \frac{1}{N_k}\sum_{n:\,\text{mask}_{nk}=1} \tfrac12\bigl(y_k(x_{nk}) - d_{nk}\bigr)^2
              \;+\; \text{penalty},

    exactly what :func:`train_full_batch` does for one network. The networks
    of one size are stacked into arrays of shape ``(K, M)`` and the losses
    summed: network :math:`k`'s parameters receive the gradient of
    :math:`E_k` alone, and Adam updates every entry on its own, so each
    network follows its own training run (up to the order of floating-point
    sums). That is how a chapter can afford dozens of seeds, folds and data
    draws.

    Parameters
    ----------
    sizes : sequence of int
        :math:`M_k`, one per network.
    seeds : sequence of int, or int
        The seed of each network's initial weights.
    X, d : arrays of shape ``(N, 1)`` or ``(N, K)``
        Inputs and targets, shared or one column per network.
    mask : array of shape ``(N, K)`` or ``(N, 1)``, optional
        1 where a point is in network :math:`k`'s training set, 0 elsewhere
        (cross-validation folds); default all points.
    penalty : {None, "l2", "l1"}
        :math:`\tfrac{\lambda}{2}\sum w^2` or :math:`\lambda\sum|w|` over the
        weights (not the biases), :math:`\lambda` = ``strength``.
    val : (X_val, d_val) or (X_val, d_val, val_mask), optional
        Record the validation RMS after every step (``TanhNets.val_curve``)
        and keep, for each network, the parameters of its best step
        (retrospective early stopping over a fixed budget).

    Returns
    -------
    TanhNets
    """
    from .. import optim
    from ..nn import Parameter
    from .._tensor import Tensor, no_grad

    sizes = [int(M) for M in sizes]
    K = len(sizes)
    seeds = [int(seeds)] * K if isinstance(seeds, numbers.Integral) else [int(s) for s in seeds]
    if len(seeds) != K or K == 0:
        raise ValueError(f"train_tanh_nets: need one seed per network, got {len(seeds)} seeds "
                         f"for {K} sizes.")
    if penalty not in (None, "l2", "l1"):
        raise ValueError(f"train_tanh_nets: penalty must be None, 'l2' or 'l1', got {penalty!r}.")
    X, d = _per_net(X, K, "X"), _per_net(d, K, "d")
    mask = np.ones(X.shape) if mask is None else _per_net(mask, K, "mask")
    if np.any(mask.sum(axis=0) == 0):
        raise ValueError("train_tanh_nets: some network has no training point in its mask.")
    if val is not None:
        Xv, dv = _per_net(val[0], K, "X_val"), _per_net(val[1], K, "d_val")
        mv = np.ones(Xv.shape) if len(val) < 3 else _per_net(val[2], K, "val mask")
    b = _backend.current()
    Mmax = max(sizes)
    # every network padded to Mmax units; a padded unit has w1 = b1 = w2 = 0, so its output
    # tanh(0) = 0 and all three of its gradients are exactly 0, and Adam leaves it at 0
    init = {key: np.zeros((K, 1, Mmax)) for key in ("w1", "b1", "w2")}
    init["b2"] = np.zeros((K, 1, 1))
    for k in range(K):
        with _backend.fork_rng(seeds[k]):
            m = sinusoid_net(sizes[k])
        for key, p in zip(("w1", "b1", "w2", "b2"), m.parameters()):
            v = np.asarray(_backend.to_numpy(p.data), dtype=np.float64).reshape(-1)
            init[key][k, 0, :v.size] = v
    P = {key: Parameter(Tensor(b.asarray(v))) for key, v in init.items()}
    opt = optim.Adam(list(P.values()), lr=lr)

    def as_tensor(a):
        return Tensor(b.asarray(np.ascontiguousarray(a)))

    x, t = as_tensor(X.T[:, :, None]), as_tensor(d.T)                       # (K, N, 1), (K, N)
    c = as_tensor((0.5 * mask / mask.sum(axis=0)).T)

    def forward(inputs):
        h = (inputs * P["w1"] + P["b1"]).tanh()                             # (K, N, Mmax)
        return (h * P["w2"]).sum(axis=2) + P["b2"].reshape(K, 1)            # (K, N)

    curve = None
    if val is not None:
        xv, tv, cv = as_tensor(Xv.T[:, :, None]), np.ascontiguousarray(dv.T), (mv / mv.sum(axis=0)).T
        curve = np.empty((int(steps) + 1, K))
        best = {key: np.array(v) for key, v in init.items()}
        best_val = np.full(K, np.inf)

    def record(step):
        with no_grad():
            r = np.asarray(_backend.to_numpy(forward(xv).data), dtype=np.float64) - tv
        v = np.sqrt((cv * r * r).sum(axis=1))
        curve[step] = v
        better = v < best_val
        best_val[better] = v[better]
        for key, p in P.items():
            best[key][better] = _backend.to_numpy(p.data)[better]

    for step in range(int(steps)):
        if val is not None:
            record(step)
        opt.zero_grad()
        r = forward(x) - t
        loss = (c * r * r).sum()
        if penalty == "l2":
            loss = loss + (0.5 * strength) * ((P["w1"] * P["w1"]).sum() + (P["w2"] * P["w2"]).sum())
        elif penalty == "l1":
            loss = loss + strength * (P["w1"].abs().sum() + P["w2"].abs().sum())
        loss.backward()
        opt.step()
    if val is not None:
        record(int(steps))
        final = best
    else:
        final = {key: np.asarray(_backend.to_numpy(p.data), dtype=np.float64) for key, p in P.items()}
    params = [{"w1": final["w1"][k, 0, :M].copy(), "b1": final["b1"][k, 0, :M].copy(),
               "w2": final["w2"][k, 0, :M].copy(), "b2": float(final["b2"][k, 0, 0])}
              for k, M in enumerate(sizes)]
    return TanhNets(sizes, seeds, params, curve)


# --------------------------------------------------------------------------
# Choosing with the noise in view
# --------------------------------------------------------------------------

class Selection:
    r"""The result of :func:`select_within_noise`.

    Attributes
    ----------
    candidates : list
    rms : ndarray
        :math:`\sqrt{\bar e_c}`, the RMS error of each candidate.
    best
        The candidate with the lowest mean squared error.
    diff, lower, upper : ndarray
        Per candidate: the mean paired difference :math:`\bar D_c` of squared
        errors against the best, and its confidence interval.
    tied : list
        The candidates whose interval contains 0 (the best included): the ones
        the data cannot tell apart from the best.
    """

    def __init__(self, candidates, rms, best, diff, lower, upper, n, confidence):
        self.candidates, self.rms, self.best = list(candidates), rms, best
        self.diff, self.lower, self.upper, self.n, self.confidence = diff, lower, upper, n, confidence
        self.tied = [c for c, lo in zip(self.candidates, lower) if lo <= 0.0]

    def table(self, name: str = "candidate", digits: int = 3) -> Table:
        """One row per candidate: its RMS, and the difference to the best with its interval."""
        pct = f"{100 * self.confidence:g}%"
        rows = [[c, r, "best" if c == self.best else float(m), "" if c == self.best else f"[{lo:.{digits}f}, {hi:.{digits}f}]",
                 "yes" if c in self.tied else "no"]
                for c, r, m, lo, hi in zip(self.candidates, self.rms, self.diff, self.lower, self.upper)]
        return Table([name, "RMS", "Δ mean sq. error vs best", f"{pct} interval of Δ", "within noise"],
                     rows, digits=digits, title=f"paired over {self.n} points")

    def _repr_html_(self):
        return self.table()._repr_html_()

    def __repr__(self):
        return str(self.table())


def select_within_noise(errors: Mapping, confidence: float = 0.95) -> Selection:
    r"""Pick the candidate with the lowest mean error, and say which others are within noise of it.

    ``errors[c]`` holds candidate :math:`c`'s squared errors
    :math:`e_{c,n}` on the *same* :math:`n = 1, \dots, N` validation points
    (averaged over initializations, if there are several). The best
    candidate :math:`c^*` minimizes :math:`\bar e_c`. Because every candidate
    is scored on the same points, the comparison is *paired*: with
    :math:`D_n = e_{c,n} - e_{c^*,n}`,

    .. math::

        \bar D \pm t_{N-1}\,\frac{s_D}{\sqrt N},

    where :math:`s_D` is the sample standard deviation of the :math:`D_n` and
    :math:`t_{N-1}` the two-sided Student quantile for ``confidence``. An
    interval that contains 0 means the validation points cannot tell
    :math:`c` from :math:`c^*`: the choice between them is too close to call.
    This accounts for the noise of the *validation sample*; a new draw of the
    training data would move every candidate's score as well.
    """
    from scipy import stats

    cands = list(errors)
    E = np.array([np.asarray(errors[c], dtype=np.float64).ravel() for c in cands])
    if E.ndim != 2 or E.shape[1] < 2:
        raise ValueError("select_within_noise: every candidate needs squared errors on the same "
                         "two or more points.")
    mean = E.mean(axis=1)
    i = int(np.argmin(mean))
    D = E - E[i]
    n = E.shape[1]
    q = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    half = q * D.std(axis=1, ddof=1) / math.sqrt(n)
    diff = D.mean(axis=1)
    return Selection(cands, np.sqrt(mean), cands[i], diff, diff - half, diff + half, n, confidence)


def fold_masks(n: int, k: int = 5, seed: int | None = 0) -> np.ndarray:
    r"""The folds of :func:`kfold_indices` as training masks, shape ``(n, k)``.

    Column :math:`i` is 1 for the samples that train in fold :math:`i` and 0 for
    the ones it validates on (``1 - mask``), ready for :func:`train_tanh_nets`.
    """
    masks = np.zeros((n, k))
    for i, (train_idx, _) in enumerate(kfold_indices(n, k, seed)):
        masks[train_idx, i] = 1.0
    return masks


def plot_by_size(sizes, scores: Mapping, floor=None, ax=None, figsize=(6, 3.6)):
    r"""RMS errors against the number of hidden units: a line through the means over the
    starts and a dot per start, for each of ``scores = {label: array (len(sizes), starts)}``;
    ``floor``, a dotted line (the noise level)."""
    from ..viz._common import color, figure_and_axes

    fig, axes = figure_and_axes(ax, figsize=figsize)
    ax = axes[0, 0]
    for j, (label, s) in enumerate(scores.items()):
        s = np.asarray(s, dtype=float)
        ax.plot(sizes, s.mean(axis=1), "o-", color=color(j), label=label)
        ax.plot(np.repeat(sizes, s.shape[1]), s.ravel(), ".", color=color(j), alpha=0.5)
    if floor is not None:
        ax.axhline(floor, color="0.5", ls=":", label="noise level")
    ax.set(xlabel="hidden units M", ylabel="RMS error", xticks=list(sizes))
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def train_with_decay(model, X, d, make_optimizer, *, lam: float, lr: float, where: str, steps: int = 100):
    r"""Full-batch training on :math:`E = \frac1N\sum\tfrac12(y-d)^2` with weight decay put in one of
    three places, to compare them; returns the model.

    ``where="loss"``: :math:`\tfrac{\lambda}{2}\|\theta\|^2` (every parameter) added to the loss;
    ``"optimizer"``: ``make_optimizer(params, lr=lr, weight_decay=lam)``;
    ``"decoupled"``: before each step every parameter is multiplied by :math:`1 - \eta\lambda`
    and the optimizer sees the plain gradient (SGDW / AdamW written out).
    ``make_optimizer(params, lr=..., weight_decay=...)`` is an optimizer class or factory.
    """
    from .. import losses
    from .._tensor import Tensor

    if where not in ("loss", "optimizer", "decoupled"):
        raise ValueError(f"train_with_decay: where must be 'loss', 'optimizer' or 'decoupled', got {where!r}.")
    opt = make_optimizer(model.parameters(), lr=lr, weight_decay=lam if where == "optimizer" else 0.0)
    Xt, dt = Tensor(X), Tensor(d)
    for _ in range(int(steps)):
        opt.zero_grad()
        loss = 0.5 * losses.mse_loss(model(Xt), dt)
        if where == "loss":
            loss = loss + l2_penalty(model, lam, include_bias=True)
        loss.backward()
        if where == "decoupled":
            for p in model.parameters():
                p.data[...] = p.data * (1 - lr * lam)
        opt.step()
    return model


def plot_dropout_average(model, grid, mean, std, data=None, ax=None, figsize=(6, 3.6)):
    r"""The average of the thinned networks (± one standard deviation over the masks) and
    the evaluation-mode network on a 1-D ``grid``; ``data = (X, d)`` as points."""
    from ..train import predict
    from ..viz._common import figure_and_axes

    fig, axes = figure_and_axes(ax, figsize=figsize)
    ax = axes[0, 0]
    x, m, s = np.asarray(grid)[:, 0], np.asarray(mean)[:, 0], np.asarray(std)[:, 0]
    ax.fill_between(x, m - s, m + s, alpha=0.25, label="thinned networks: mean ± 1 std")
    ax.plot(x, m, lw=2, label=f"average of the thinned networks")
    ax.plot(x, np.asarray(predict(model, grid))[:, 0], "--", lw=2, label="evaluation-mode network")
    if data is not None:
        ax.plot(np.asarray(data[0])[:, 0], np.asarray(data[1])[:, 0], "o", mfc="none", label="data")
    ax.set(xlabel="$x$", ylabel="$y$")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def running_statistics_table(bn, batch, probe, checkpoints=(0, 1, 5, 10, 20, 50)) -> Table:
    r"""How a ``BatchNorm1d``'s running mean approaches the data's, and evaluation mode with it.

    Feeds ``bn`` (in training mode) fresh batches from ``batch()`` until it has
    seen ``k`` of them, for each ``k`` of ``checkpoints``, and reports its
    running mean of feature 1 against :math:`\mu(1 - 0.9^k)` (``momentum=0.1``,
    starting from 0, for data of mean :math:`\mu`; the table's formula column
    assumes :math:`\mu = 5`) and the largest difference between ``bn`` in
    evaluation mode and a fresh layer in training mode on ``probe``.
    """
    from ..nn import BatchNorm1d
    from .._tensor import Tensor

    in_training = _backend.to_numpy(BatchNorm1d(bn.num_features)(Tensor(probe)).data)
    rows, seen = [], 0
    for k in checkpoints:
        for _ in range(k - seen):
            bn.train()(Tensor(batch()))          # updates the running statistics
        seen = k
        gap = np.abs(_backend.to_numpy(bn.eval()(Tensor(probe)).data) - in_training).max()
        rows.append([k, float(_backend.to_numpy(bn.running_mean.data)[0]), 5 * (1 - 0.9 ** k), float(gap)])
    return Table(["batches seen", "running mean (feature 1)", "5·(1 − 0.9ᵏ)",
                  "max |eval − train| on the probe"], rows, digits=3)


def deep_relu_mlp(batch_norm: bool, depth: int = 6, width: int = 64, n_in: int = 64, n_out: int = 10):
    r"""``depth`` hidden ReLU layers of ``width`` units (He-initialized weights,
    ``kaiming_normal_(nonlinearity="relu")``), each ``Linear`` followed by a
    ``BatchNorm1d`` when ``batch_norm``, then a linear output layer."""
    from .. import nn
    from ..nn import init

    layers, n = [], n_in
    for _ in range(depth):
        linear = nn.Linear(n, width)
        init.kaiming_normal_(linear.weight, nonlinearity="relu")
        layers += [linear, *([nn.BatchNorm1d(width)] if batch_norm else []), nn.ReLU()]
        n = width
    return nn.Sequential(*layers, nn.Linear(n, n_out))
