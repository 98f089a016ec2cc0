r"""The training loop: ``fit``, ``evaluate``, ``predict``.

``fit`` runs PyTorch's loop, epoch after epoch::

    for X_batch, y_batch in loader:          # a new shuffle every epoch
        optimizer.zero_grad()
        loss = loss_fn(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()

and around it records the losses and metrics, validates, schedules the
learning rate, stops early, and stops with a clear message when the loss
stops being a number.
"""

from __future__ import annotations

import math
import numbers
import time
import warnings

import numpy as np

from .. import backend as _backend
from .. import losses as _losses
from .. import nn
from ..data import DataLoader, StandardScaler, train_val_test_split
from .._tensor import Tensor, no_grad
from .callbacks import Callback, EarlyStopping, TrainState
from .history import History
from .layers import on_backend
from .metrics import resolve_metrics

__all__ = [
    "fit",
    "evaluate",
    "predict",
    "TrainingDiverged",
    "DivergenceWarning",
    "clip_grad_norm_",
    "standardized_split",
]

_EVAL_BATCH = 1024


class TrainingDiverged(RuntimeError):
    """The loss (or a weight) stopped being a finite number during :func:`fit`.

    Attributes
    ----------
    epoch, batch : int
        Where it happened (both counted from 1).
    num_batches : int
        Batches per epoch.
    step : int
        Optimizer steps completed before it (the model holds the weights after
        step ``step``).
    loss : float
        The offending loss value (``nan``, ``inf``), or the last finite loss
        when it was the update that produced non-finite weights.
    reason : str
        ``"loss"`` or ``"update"``.
    history : History
        The epochs completed before it, for plotting.
    """

    def __init__(self, message, *, epoch, batch, num_batches, step, loss, reason, history):
        super().__init__(message)
        self.epoch, self.batch, self.num_batches, self.step = epoch, batch, num_batches, step
        self.loss, self.reason, self.history = loss, reason, history


class DivergenceWarning(UserWarning):
    """Issued by ``fit(on_divergence="stop")`` when training stops on a non-finite loss."""


# --------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------

def _positive_int(value, name, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"fit: {name} must be a positive integer, got {value!r} ({type(value).__name__})")
    if value < 1:
        hint = " (a batch needs at least one sample)" if name == "batch_size" else ""
        raise ValueError(f"fit: {name} must be >= 1, got {value}{hint}")
    return int(value)


def _model_backend(model):
    if isinstance(model, nn.Module):
        for p in model.parameters():
            return p.backend
    return _backend.current()


def _to_loader(data, role, batch_size, shuffle, seed, b, where):
    """``data`` as a DataLoader on backend ``b``, with readable errors."""
    if isinstance(data, DataLoader):
        if seed is not None:
            raise ValueError(
                f"{where}: {role} is a DataLoader, which shuffles with its own seed; give the seed "
                "to the DataLoader (DataLoader(X, y, ..., seed=...)) instead of to fit."
            )
        if batch_size is not None and batch_size != data.batch_size and role == "train_data":
            raise ValueError(
                f"{where}: train_data is a DataLoader with batch_size={data.batch_size}, but "
                f"batch_size={batch_size} was also given; leave batch_size out (the loader's "
                "own is used) or build the loader with the size you want."
            )
        if data.y is None:
            raise ValueError(f"{where}: {role} is a DataLoader without targets y; build it as DataLoader(X, y, ...)")
        if data.backend.name != b.name:
            raise ValueError(
                f"{where}: {role} is a DataLoader on backend {data.backend.name!r} but the model's "
                f"parameters are on {b.name!r}; build the loader under the model's backend."
            )
        return data
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        got = f"a {type(data).__name__}" + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else "")
        raise TypeError(
            f"{where}: {role} must be a pair (X, y) of arrays or an nnlearn.data.DataLoader, "
            f"got {got}."
        )
    X, y = data
    for name, a in (("X", X), ("y", y)):
        if a is None:
            raise TypeError(f"{where}: {role} has {name} = None; give ({role.split('_')[0]} X, y) arrays")
        shape = getattr(a._data if isinstance(a, Tensor) else a, "shape", None)
        if shape is None:
            shape = np.shape(a)
        if len(shape) == 0:
            raise ValueError(f"{where}: {role}: {name} must have one row per sample, got a scalar")
    nX, ny = len(X), len(y)
    if nX != ny:
        raise ValueError(
            f"{where}: {role} has {nX} samples in X but {ny} in y; they must have the same "
            "length (one target per row of X)."
        )
    if nX == 0:
        raise ValueError(f"{where}: {role} is empty (0 samples)")
    if batch_size is None:
        batch_size = 32 if role == "train_data" else _EVAL_BATCH
    X = X._data if isinstance(X, Tensor) else X
    y = y._data if isinstance(y, Tensor) else y
    with _backend.use(b.name):
        loader = DataLoader(X, y, batch_size=batch_size, shuffle=shuffle, seed=seed)
    if b.xp.isdtype(loader.X.dtype, "integral") or loader.X.dtype == b.xp.bool:
        loader.X = b.xp.astype(loader.X, b.dtype)  # pixel counts, 0/1 features: inputs are real
    return loader


def _feature_shape(loader):
    return tuple(loader.X.shape[1:])


def _check_model_and_optimizer(model, loss_fn, optimizer, where="fit"):
    if not isinstance(model, nn.Module) and not callable(model):
        raise TypeError(f"{where}: model must be an nnlearn.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(
            f"{where}: loss_fn must be callable as loss_fn(output, target), got "
            f"{type(loss_fn).__name__} {loss_fn!r}. Pass e.g. nnlearn.losses.cross_entropy or "
            "nnlearn.nn.CrossEntropyLoss() (an instance, with the parentheses)."
        )
    if isinstance(loss_fn, type):
        raise TypeError(
            f"{where}: loss_fn is the class {loss_fn.__name__}, not an instance; write "
            f"{loss_fn.__name__}() with parentheses."
        )
    if optimizer is None or not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(
            f"{where}: optimizer must have step() and zero_grad() (e.g. "
            f"nnlearn.optim.SGD(model.parameters(), lr=0.1)), got {type(optimizer).__name__}"
        )
    groups = getattr(optimizer, "param_groups", None)
    if groups is not None and isinstance(model, nn.Module):
        mine = {id(p) for p in model.parameters()}
        theirs = {id(p) for g in groups for p in g["params"]}
        if mine and not (mine & theirs):
            raise ValueError(
                f"{where}: the optimizer does not hold any of this model's parameters: it was "
                "built for another model (a common slip after re-creating the model in a "
                "notebook). Create the optimizer from this model: optim.SGD(model.parameters(), ...)."
            )


def _probabilities_loss(loss_fn) -> bool:
    return loss_fn is _losses.binary_cross_entropy or isinstance(loss_fn, nn.BCELoss)


def _chance_loss(loss_fn, y_train, n_outputs):
    r"""The loss of a model that has learned nothing, or None if unknown."""
    if loss_fn is _losses.cross_entropy or isinstance(loss_fn, nn.CrossEntropyLoss):
        return math.log(n_outputs) if n_outputs and n_outputs > 1 else None
    if loss_fn in (_losses.binary_cross_entropy, _losses.binary_cross_entropy_with_logits) \
            or isinstance(loss_fn, (nn.BCELoss, nn.BCEWithLogitsLoss)):
        return math.log(2.0)
    if loss_fn is _losses.mse_loss or isinstance(loss_fn, nn.MSELoss):
        t = np.asarray(_backend.to_numpy(y_train), dtype=np.float64)
        return float(np.mean((t - t.mean(axis=0)) ** 2))
    return None


# --------------------------------------------------------------------------
# Helpers used by fit, evaluate and tests
# --------------------------------------------------------------------------

def clip_grad_norm_(parameters, max_norm: float) -> float:
    r"""Rescale the gradients so that their joint norm is at most ``max_norm``.

    With :math:`\|g\| = \sqrt{\sum_p \|g_p\|^2}` over all parameters, each
    gradient is multiplied by :math:`\min(1, \text{max\_norm}/(\|g\| + 10^{-6}))`,
    as ``torch.nn.utils.clip_grad_norm_`` does. Returns :math:`\|g\|` before
    clipping.
    """
    params = [p for p in parameters if p.grad is not None]
    total = 0.0
    for p in params:
        g = p.grad._data
        xp = _backend.namespace_of(g)
        total += float(xp.sum(g * g))
    norm = math.sqrt(total)
    coef = max_norm / (norm + 1e-6)
    if coef < 1.0:
        for p in params:
            p.grad = p.grad._data * coef
    return norm


def _finite(params) -> bool:
    ok = True
    for p in params:
        xp = p.xp
        ok = ok and bool(xp.all(xp.isfinite(p._data)))
        if not ok:
            return False
    return True


class _Accumulator:
    """Sums of loss and metrics over the batches of an epoch."""

    def __init__(self, metrics, probabilities):
        self.metrics, self.probabilities = metrics, probabilities
        self.loss_sum, self.n = 0.0, 0
        self.sums = {m.name: [0.0, 0] for m in metrics}

    def add(self, loss_value, output, target, n):
        self.loss_sum += loss_value * n
        self.n += n
        for m in self.metrics:
            s, c = m.sum_and_count(output, target, self.probabilities)
            acc = self.sums[m.name]
            acc[0] += s
            acc[1] += c

    def result(self, prefix=""):
        out = {prefix + "loss": self.loss_sum / self.n if self.n else math.nan}
        for name, (s, c) in self.sums.items():
            out[prefix + name] = s / c if c else math.nan
        return out


def _set_modes(model, modes):
    for m, mode in modes:
        m.__dict__["training"] = mode


def _evaluate_loader(model, loss_fn, loader, metrics, probabilities, prefix=""):
    acc = _Accumulator(metrics, probabilities)
    saved = [(m, m.training) for m in model.modules()] if isinstance(model, nn.Module) else []
    if saved:
        model.eval()
    try:
        with no_grad():
            for xb, yb in loader:
                out = model(xb)
                acc.add(float(loss_fn(out, yb).item()), out, yb, xb.shape[0])
    finally:
        _set_modes(model, saved)
    return acc.result(prefix)


def evaluate(model, loss_fn, data, metrics=(), batch_size: int = _EVAL_BATCH) -> dict:
    """The loss and metrics of ``model`` on ``data``, in eval mode without gradients.

    Parameters
    ----------
    model : nnlearn.nn.Module
    loss_fn : callable
        ``loss_fn(output, target)``, averaging over the batch.
    data : (X, y) pair or DataLoader
    metrics : sequence of str or callable
        Names from ``nnlearn.train.METRICS`` (``"accuracy"``,
        ``"mse"``, ``"mae"``) or functions.
    batch_size : int
        Samples per forward pass (only memory depends on it).

    Returns
    -------
    dict
        ``{"loss": ..., "accuracy": ..., ...}``; the loss is the mean over all
        samples (batch means weighted by batch size). The model's train/eval
        mode is restored afterwards.
    """
    _check_model_and_optimizer(model, loss_fn, _NoOptimizer(), "evaluate")
    ms = resolve_metrics(metrics, "evaluate")
    bs = _positive_int(batch_size, "batch_size")
    b = _model_backend(model)
    loader = _to_loader(data, "data", bs, False, None, b, "evaluate")
    with on_backend(b):
        return _evaluate_loader(model, loss_fn, loader, ms, _probabilities_loss(loss_fn))


class _NoOptimizer:
    param_groups = None

    def step(self):
        pass

    def zero_grad(self):
        pass


def predict(model, X, batch_size: int = _EVAL_BATCH) -> np.ndarray:
    """The model's outputs for ``X``, as a NumPy array (eval mode, no gradients).

    Runs in batches of ``batch_size`` rows and restores the model's mode.
    PyTorch has no such function (it is ``model.eval()`` plus ``with
    torch.no_grad(): model(X)``); nnlearn returns NumPy because predictions
    are usually plotted or compared with labels on the host.
    """
    bs = _positive_int(batch_size, "batch_size")
    b = _model_backend(model) if isinstance(model, nn.Module) else _backend.current()
    arr = X._data if isinstance(X, Tensor) else X
    arr = b.asarray(_backend.to_numpy(arr)) if not hasattr(arr, "shape") or \
        _backend.backend_of(arr) != b.name else arr
    if b.xp.isdtype(arr.dtype, "integral"):
        arr = b.xp.astype(arr, b.dtype)
    saved = [(m, m.training) for m in model.modules()] if isinstance(model, nn.Module) else []
    if saved:
        model.eval()
    outs = []
    try:
        with no_grad(), on_backend(b):
            n = arr.shape[0]
            for start in range(0, max(n, 1), bs):
                out = model(Tensor(arr[start:start + bs]))
                outs.append(_backend.to_numpy(out._data if isinstance(out, Tensor) else out))
    finally:
        _set_modes(model, saved)
    return np.concatenate(outs, axis=0)


def standardized_split(X, y, val_size=0.2, test_size=0.2, seed=0, stratify=None):
    r"""Split ``(X, y)`` into training, validation and test sets, and standardize
    all three with the mean and standard deviation of the *training* split.

    :func:`nnlearn.data.train_val_test_split`, then a
    :class:`nnlearn.data.StandardScaler` fitted on the training inputs only and
    applied unchanged to the validation and test inputs (statistics taken from
    validation or test data would leak them into training).

    Returns
    -------
    split : nnlearn.data.Split
        ``split.train``, ``split.val``, ``split.test``: standardized ``(X, y)`` pairs.
    scaler : nnlearn.data.StandardScaler
        Fitted on the training inputs (``scaler.mean_``, ``scaler.scale_``), for
        new data.
    """
    s = train_val_test_split(X, y, val_size=val_size, test_size=test_size, seed=seed,
                             stratify=stratify)
    scaler = StandardScaler().fit(s.train[0])
    pairs = [(scaler.transform(Xs), ys) for Xs, ys in s]
    return type(s)(*pairs), scaler


# --------------------------------------------------------------------------
# fit
# --------------------------------------------------------------------------

_ON_DIVERGENCE = ("raise", "stop")


def _progress_bar(enabled, epochs):
    if not enabled:
        return None
    from ._frontend import display_mode

    mode = display_mode()
    if mode == "static":
        return None
    if mode == "live":
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm(total=epochs, desc="fit", unit="epoch", leave=True)


def _divergence_message(epoch, batch, num_batches, loss_value, reason, lr):
    where = f"epoch {epoch}, batch {batch} of {num_batches}"
    if reason == "loss":
        what = f"the loss became {loss_value} at {where}"
        kept = "The model keeps its weights from before this batch (all finite)."
    else:
        what = (f"the update at {where} made some weights non-finite (the gradient was "
                f"inf/nan or too large; the batch loss was {loss_value:.4g})")
        kept = "The update was undone: the model keeps its weights from before this batch (all finite)."
    lr_text = f" (now {lr:g})" if lr is not None else ""
    return (
        f"training diverged: {what}. {kept} Likely causes: the learning rate is too "
        f"high{lr_text}, try 3 to 10 times smaller; the initial weights are too large (bad "
        "initialization); the loss takes the log of 0 or the exp of a large number (use "
        "cross_entropy or binary_cross_entropy_with_logits on logits instead of the log of a "
        "softmax or sigmoid); or the inputs are not standardized."
    )


def fit(model, loss_fn, optimizer, train_data, epochs, batch_size=None, val_data=None, *,
        metrics=(), scheduler=None, early_stopping=None, callbacks=(), progress=True,
        seed=None, shuffle=True, clip_grad_norm=None, on_divergence="raise",
        record_initial=True, eval_train=False) -> History:
    r"""Train ``model`` by minibatch gradient descent; return the :class:`History`.

    Each epoch deals the training samples out in minibatches (a new random
    order every epoch when ``shuffle``) and takes one optimizer step per batch
    in train mode; then evaluates the validation data in eval mode under
    ``no_grad``; then steps the learning-rate scheduler and the callbacks.

    Parameters
    ----------
    model : nnlearn.nn.Module
    loss_fn : callable
        ``loss_fn(output, target)`` returning the batch-mean loss (a scalar
        Tensor): ``nnlearn.losses.cross_entropy``, ``nn.MSELoss()``, ...
    optimizer : nnlearn.optim.Optimizer
        Built on ``model.parameters()``.
    train_data : (X, y) pair or nnlearn.data.DataLoader
        Arrays of any backend (NumPy, PyTorch) or Tensors; they are moved to the
        backend of the model's parameters.
    epochs : int
        Passes over the training data (at most, with early stopping).
    batch_size : int, optional
        Samples per step (default 32). ``len(X)`` gives full-batch gradient
        descent. With a DataLoader, leave it out.
    val_data : (X, y) pair or DataLoader, optional
        Evaluated after every epoch (``val_loss``, ``val_<metric>``).
    metrics : sequence of str or callable
        ``"accuracy"``, ``"mse"``, ``"mae"`` (``nnlearn.train.metrics`` defines them)
        or functions ``metric(output, target) -> float``.
    scheduler : learning-rate scheduler, optional
        Stepped once per epoch, after validation; a ``ReduceLROnPlateau``
        receives ``val_loss`` (``loss`` without validation data).
    early_stopping : int or EarlyStopping, optional
        An int is the patience of ``EarlyStopping(patience, monitor="val_loss")``
        (``"loss"`` without validation data). The best weights are restored at
        the end.
    callbacks : sequence of Callback
    progress : bool, default True
        A progress bar over the epochs showing the losses: a widget in a live
        notebook, text in a terminal, nothing in a notebook executed without
        a viewer (the book's build).
    seed : int, optional
        Seed of the shuffling of an ``(X, y)`` pair (a DataLoader has its own
        ``seed`` and ``shuffle``), so that two runs see the same minibatches. The
        initial weights and dropout masks come from nnlearn's generator: call
        ``nnlearn.manual_seed`` before building the model for a fully
        reproducible run (bit for bit on the NumPy backend).
    shuffle : bool, default True
        Deal an ``(X, y)`` pair out in a new random order every epoch.
    clip_grad_norm : float, optional
        Clip the joint gradient norm to this value before each step
        (:func:`clip_grad_norm_`).
    on_divergence : {"raise", "stop"}
        What to do when a loss or an updated weight is not finite. ``"raise"``
        (the default) raises :class:`TrainingDiverged`, whose message names the
        epoch and batch and the likely causes and whose ``.history`` holds the
        epochs completed; ``"stop"`` issues a :class:`DivergenceWarning`,
        records the place in ``history.diverged`` and returns the history. In
        both cases the model keeps its last finite weights (an update that
        produces a non-finite weight is undone), except that with ``"stop"``
        early stopping still restores the best epoch's weights.
    record_initial : bool, default True
        Evaluate the loss and metrics before training (``history.initial``,
        plotted as epoch 0): the loss at initialization is the first thing to
        check.
    eval_train : bool, default False
        Also re-evaluate the training data at the end of each epoch in eval
        mode and report that as ``loss`` (instead of the running mean of the
        batch losses, which mixes weights from the whole epoch and includes
        dropout). Costs one more pass over the training data.

    Returns
    -------
    History

    Raises
    ------
    TrainingDiverged
        On a non-finite loss or weight, with ``on_divergence="raise"``.

    Notes
    -----
    PyTorch has no ``fit``; this is the loop PyTorch users write, with the
    bookkeeping of Keras's ``Model.fit`` (whose ``History.history`` layout and
    ``EarlyStopping`` names it borrows). Floating-point warnings (overflow,
    invalid value) from the array library are silenced inside ``fit``, because
    every loss and every update is checked for non-finite values and reported
    as described above. The model's train/eval mode is restored at the end.

    Examples
    --------
    >>> history = fit(model, losses.cross_entropy, optim.Adam(model.parameters()),
    ...               (X_train, y_train), epochs=20, batch_size=32,
    ...               val_data=(X_val, y_val), metrics=["accuracy"],
    ...               early_stopping=5)                       # doctest: +SKIP
    """
    where = "fit"
    _check_model_and_optimizer(model, loss_fn, optimizer, where)
    epochs = _positive_int(epochs, "epochs")
    batch_size = _positive_int(batch_size, "batch_size", allow_none=True)
    if on_divergence not in _ON_DIVERGENCE:
        raise ValueError(f"fit: on_divergence must be 'raise' or 'stop', got {on_divergence!r}")
    if clip_grad_norm is not None and not (isinstance(clip_grad_norm, (int, float)) and clip_grad_norm > 0):
        raise ValueError(f"fit: clip_grad_norm must be a positive number or None, got {clip_grad_norm!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise TypeError(f"fit: seed must be a non-negative integer or None, got {seed!r}")
    ms = resolve_metrics(metrics, where)
    b = _model_backend(model)
    train_loader = _to_loader(train_data, "train_data", batch_size, shuffle, seed, b, where)
    val_loader = None
    if val_data is not None:
        val_loader = _to_loader(val_data, "val_data", None, False, None, b, where)
        if _feature_shape(val_loader) != _feature_shape(train_loader):
            raise ValueError(
                f"fit: val_data has samples of shape {_feature_shape(val_loader)} but train_data "
                f"has {_feature_shape(train_loader)}; they must match (same features, same "
                "preprocessing)."
            )

    cbs = list(callbacks or ())
    for cb in cbs:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be nnlearn.train.Callback instances, got {cb!r}")
    stopper = None
    if early_stopping is not None and early_stopping is not False:
        if isinstance(early_stopping, EarlyStopping):
            stopper = early_stopping
        elif isinstance(early_stopping, numbers.Integral) and not isinstance(early_stopping, bool):
            stopper = EarlyStopping(int(early_stopping),
                                    monitor="val_loss" if val_loader is not None else "loss")
        else:
            raise TypeError(
                f"fit: early_stopping must be a patience (int) or an EarlyStopping, got {early_stopping!r}"
            )
        cbs.append(stopper)

    keys = ["loss", *[m.name for m in ms]]
    if val_loader is not None:
        keys += ["val_" + k for k in keys]
    if stopper is not None:
        monitor, higher = stopper.monitor, stopper.higher_is_better
    else:
        monitor = "val_loss" if val_loader is not None else "loss"
        higher = False
    history = History(keys, monitor=monitor, higher_is_better=higher)
    probabilities = _probabilities_loss(loss_fn)
    params = list(model.parameters()) if isinstance(model, nn.Module) else []
    saved_modes = [(m, m.training) for m in model.modules()] if isinstance(model, nn.Module) else []
    state = TrainState(model, loss_fn, optimizer, history, len(train_loader), epochs)
    history.params = {
        "epochs": epochs, "batch_size": train_loader.batch_size,
        "num_samples": train_loader.num_samples, "num_batches": len(train_loader),
        "val_samples": None if val_loader is None else val_loader.num_samples,
        "shuffle": bool(shuffle), "seed": seed, "backend": b.name,
        "optimizer": type(optimizer).__name__, "metrics": [m.name for m in ms],
    }

    def current_lr():
        groups = getattr(optimizer, "param_groups", None)
        return float(groups[0]["lr"]) if groups else None

    bar = None
    with warnings.catch_warnings(), on_backend(b):
        # every loss and update is checked below; the library's own overflow
        # warnings would only repeat that message less clearly
        for msg in ("overflow", "invalid value", "divide by zero"):
            warnings.filterwarnings("ignore", message=f".*{msg}.*", category=RuntimeWarning)
        try:
            if record_initial:
                init = _evaluate_loader(model, loss_fn, _as_eval(train_loader), ms, probabilities)
                if val_loader is not None:
                    init.update(_evaluate_loader(model, loss_fn, val_loader, ms, probabilities, "val_"))
                history.initial = init
            n_out = _output_width(model, train_loader)
            history.chance_loss = _chance_loss(loss_fn, train_loader.y, n_out)
            for cb in cbs:
                cb.on_train_begin(state)
            bar = _progress_bar(progress, epochs)
            for epoch in range(1, epochs + 1):
                t0 = time.perf_counter()
                state.epoch, state.batch, state.logs = epoch, 0, {}
                lr = current_lr()
                if isinstance(model, nn.Module):
                    model.train()
                for cb in cbs:
                    cb.on_epoch_begin(state)
                acc, diverged = _train_one_epoch(model, loss_fn, optimizer, train_loader, params,
                                                 cbs, state, ms, probabilities, clip_grad_norm)
                if diverged is not None:
                    reason, value = diverged
                    message = _divergence_message(epoch, state.batch, len(train_loader), value,
                                                  reason, lr)
                    history.diverged = {"epoch": epoch, "batch": state.batch, "loss": value,
                                        "reason": reason, "step": state.step}
                    if on_divergence == "raise":
                        raise TrainingDiverged(message, epoch=epoch, batch=state.batch,
                                               num_batches=len(train_loader), step=state.step,
                                               loss=value, reason=reason, history=history)
                    warnings.warn(message, DivergenceWarning, stacklevel=2)
                    break
                logs = acc.result()
                if eval_train:
                    logs.update(_evaluate_loader(model, loss_fn, _as_eval(train_loader), ms,
                                                 probabilities))
                if val_loader is not None:
                    logs.update(_evaluate_loader(model, loss_fn, val_loader, ms, probabilities, "val_"))
                state.logs = logs
                history.append(epoch, logs, lr=lr, seconds=time.perf_counter() - t0)
                if scheduler is not None:
                    _step_scheduler(scheduler, logs, val_loader is not None)
                for cb in cbs:
                    cb.on_epoch_end(state)
                if bar is not None:
                    bar.set_postfix({k: f"{logs[k]:.4g}" for k in ("loss", "val_loss") if k in logs},
                                    refresh=False)
                    bar.update(1)
                if state.stop_training:
                    break
            if stopper is not None:
                history.stopped_epoch = stopper.stopped_epoch
            for cb in cbs:
                cb.on_train_end(state)
            if stopper is not None:
                if stopper.best_epoch is not None:
                    history.best_epoch = stopper.best_epoch
                history.restored_best = bool(stopper.restore_best_weights and stopper.best_state is not None)
        finally:
            if bar is not None:
                bar.close()
            _set_modes(model, saved_modes)
    return history


def _train_one_epoch(model, loss_fn, optimizer, loader, params, cbs, state, metrics,
                     probabilities, clip):
    """One pass over ``loader``, one optimizer step per batch.

    Returns the epoch's sums and ``None``, or ``(reason, loss)`` when a loss or
    an updated weight is not finite; the model then holds the weights from
    before the offending batch.
    """
    acc = _Accumulator(metrics, probabilities)
    for i, (xb, yb) in enumerate(loader, start=1):
        state.batch = i
        for cb in cbs:
            cb.on_batch_begin(state)
        optimizer.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss_value = float(loss.item())
        state.loss = loss_value
        if not math.isfinite(loss_value):
            return acc, ("loss", loss_value)
        loss.backward()
        for cb in cbs:
            cb.on_after_backward(state)
        if clip is not None:
            clip_grad_norm_(params, clip)
        snapshot = [p.xp.asarray(p._data, copy=True) for p in params]
        optimizer.step()
        if not _finite(params):
            for p, saved in zip(params, snapshot):
                p._data[...] = saved
                p._bump_version()
            return acc, ("update", loss_value)
        state.step += 1
        with no_grad():
            acc.add(loss_value, out.detach(), yb, xb.shape[0])
        for cb in cbs:
            cb.on_batch_end(state)
    return acc, None


def _as_eval(loader):
    """The same data in big batches, in order (for evaluation)."""
    bs = max(loader.batch_size, _EVAL_BATCH)
    if not loader.shuffle and loader.batch_size == bs:
        return loader
    with _backend.use(loader.backend.name):
        return DataLoader(loader.X, loader.y, batch_size=bs, shuffle=False)


def _output_width(model, loader):
    """The number of outputs per sample (one forward pass of one sample)."""
    try:
        saved = [(m, m.training) for m in model.modules()] if isinstance(model, nn.Module) else []
        if saved:
            model.eval()
        with no_grad():
            out = model(Tensor(loader.X[:1]))
        return out.shape[-1] if out.ndim >= 2 else 1
    except Exception:
        return None
    finally:
        _set_modes(model, saved)


def _step_scheduler(scheduler, logs, has_val):
    from ..optim.lr_scheduler import ReduceLROnPlateau

    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs["val_loss"] if has_val else logs["loss"])
    else:
        scheduler.step()
