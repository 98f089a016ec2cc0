r"""Callbacks: code that :func:`nnlearn.train.fit` runs at fixed points of the loop.

The loop, and where each hook is called::

    on_train_begin(state)
    for epoch in 1..epochs:
        on_epoch_begin(state)
        for batch in loader:
            on_batch_begin(state)
            loss = loss_fn(model(X), y); loss.backward()
            on_after_backward(state)        # gradients are in p.grad
            optimizer.step()
            on_batch_end(state)
        (validation)
        on_epoch_end(state)                 # state.logs holds the epoch's numbers
    on_train_end(state)

Every hook receives the same :class:`TrainState`; setting
``state.stop_training = True`` ends training after the current epoch.

Provided here: :class:`EarlyStopping`, :class:`GradientNormRecorder` (per-layer
gradient norms, per step or per epoch: the vanishing/exploding gradient
plot) and :class:`ActivationStatsRecorder` (per-layer activation and gradient
statistics on a fixed probe batch, every few epochs).
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend as _backend
from .layers import layer_statistics, linear_layers

__all__ = [
    "TrainState",
    "Callback",
    "LambdaCallback",
    "EarlyStopping",
    "GradientNormRecorder",
    "ActivationStatsRecorder",
]


class TrainState:
    """What a callback can see and change during :func:`~nnlearn.train.fit`.

    Attributes
    ----------
    model, loss_fn, optimizer
        As passed to ``fit``.
    history : History
        Filled epoch by epoch.
    epoch : int
        The current epoch, from 1 (0 before the first).
    batch : int
        The current batch within the epoch, from 1.
    num_batches : int
        Batches per epoch.
    step : int
        Optimizer steps taken so far in this run (updated after each step).
    loss : float or None
        The current batch's loss.
    logs : dict
        The epoch's numbers (``"loss"``, ``"val_loss"``, metrics) in
        ``on_epoch_end``.
    stop_training : bool
        Set it to ``True`` to stop after this epoch.
    """

    def __init__(self, model, loss_fn, optimizer, history, num_batches, epochs):
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.history = history
        self.num_batches = num_batches
        self.epochs = epochs
        self.epoch = 0
        self.batch = 0
        self.step = 0
        self.loss = None
        self.logs = {}
        self.stop_training = False

    def __repr__(self):
        return (f"TrainState(epoch={self.epoch}, batch={self.batch}/{self.num_batches}, "
                f"step={self.step})")


class Callback:
    """Base class: override the hooks you need (each receives a :class:`TrainState`)."""

    def on_train_begin(self, state):
        pass

    def on_epoch_begin(self, state):
        pass

    def on_batch_begin(self, state):
        pass

    def on_after_backward(self, state):
        pass

    def on_batch_end(self, state):
        pass

    def on_epoch_end(self, state):
        pass

    def on_train_end(self, state):
        pass


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda s: print(s.logs))``."""

    _HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_begin", "on_after_backward",
              "on_batch_end", "on_epoch_end", "on_train_end")

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if name not in self._HOOKS:
                raise TypeError(f"LambdaCallback: unknown hook {name!r}; hooks are {', '.join(self._HOOKS)}")
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, got {fn!r}")
            setattr(self, name, fn)


# --------------------------------------------------------------------------
# Early stopping
# --------------------------------------------------------------------------

def _higher_is_better(monitor: str) -> bool:
    name = monitor[4:] if monitor.startswith("val_") else monitor
    return name in ("accuracy",)


class EarlyStopping(Callback):
    r"""Stop when the monitored quantity has not improved for ``patience`` epochs,
    and go back to the best weights.

    After each epoch the value :math:`v_e` of ``monitor`` is compared with the
    best so far :math:`v^*`; it is an improvement when
    :math:`v_e < v^* - \text{min\_delta}` (or :math:`>` for a quantity to
    maximize such as accuracy). Then the weights are saved (a
    ``model.state_dict()`` copy). After ``patience`` epochs in a row without
    improvement training stops; with ``restore_best_weights`` the saved weights
    are loaded back at the end of training, whether or not it stopped early.

    Parameters
    ----------
    patience : int, default 5
        Epochs without improvement to tolerate.
    min_delta : float, default 0
        The smallest change that counts as an improvement.
    monitor : str, default ``"val_loss"``
        A key of the history: ``"val_loss"``, ``"val_accuracy"``, ``"loss"``, ...
    mode : {"auto", "min", "max"}
        Whether smaller or larger is better; ``"auto"`` maximizes accuracies
        and minimizes everything else.
    restore_best_weights : bool, default True

    Attributes
    ----------
    best_epoch, best_value, stopped_epoch, best_state

    Notes
    -----
    PyTorch has no early stopping; the names follow Keras, except that
    ``restore_best_weights`` defaults to ``True`` here (Keras: ``False``),
    because returning the best weights is the point of early stopping.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, monitor: str = "val_loss",
                 mode: str = "auto", restore_best_weights: bool = True):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0 (epochs), got {patience!r}")
        if not isinstance(min_delta, (int, float)) or min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got {min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.patience = patience
        self.min_delta = float(min_delta)
        self.monitor = monitor
        self.mode = mode
        self.restore_best_weights = bool(restore_best_weights)
        self._reset()

    @property
    def higher_is_better(self) -> bool:
        if self.mode == "auto":
            return _higher_is_better(self.monitor)
        return self.mode == "max"

    def _reset(self):
        self.best_value = None
        self.best_epoch = None
        self.best_state = None
        self.stopped_epoch = None
        self.wait = 0

    def _improved(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.best_value is None:
            return True
        if self.higher_is_better:
            return value > self.best_value + self.min_delta
        return value < self.best_value - self.min_delta

    def on_train_begin(self, state):
        self._reset()
        if self.monitor not in state.history:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which this run does not record; "
                f"it records {', '.join(map(repr, state.history.keys()))}."
                + (" Pass val_data to fit, or monitor='loss'." if self.monitor.startswith("val_") else "")
            )

    def on_epoch_end(self, state):
        value = float(state.logs[self.monitor])
        if self._improved(value):
            self.best_value = value
            self.best_epoch = state.epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_state = state.model.state_dict()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = state.epoch
                state.stop_training = True

    def on_train_end(self, state):
        if self.restore_best_weights and self.best_state is not None:
            state.model.load_state_dict(self.best_state)

    def __repr__(self):
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
                f"monitor={self.monitor!r}, restore_best_weights={self.restore_best_weights})")


# --------------------------------------------------------------------------
# Gradient norms per layer
# --------------------------------------------------------------------------

class GradientNormRecorder(Callback):
    r"""Record :math:`\|\partial E/\partial W^{(l)}\|_F` for every ``Linear`` layer.

    The norms are taken right after ``backward()``, before any gradient
    clipping and before the optimizer step.

    Parameters
    ----------
    every : {"step", "epoch"}
        ``"step"`` records each minibatch; ``"epoch"`` records, once per epoch,
        the sum over the epoch's steps (``reduce="sum"``, the "sum of the
        gradient norms" of slide text 001's plot) or their mean
        (``reduce="mean"``).
    param : {"weight", "bias", "all"}
        Which gradients to take the norm of (``"all"``: weight and bias
        together).
    reduce : {"sum", "mean"}
        How per-step norms are combined with ``every="epoch"``.

    Attributes
    ----------
    layer_names : list of str
        ``"Layer 1"``, ... for the ``Linear`` layers in order (the last one is
        the output layer).
    module_names : list of str
        Their names in the model (``"0"``, ``"2"``, ...).
    norms : ndarray of shape ``(records, layers)``
    steps : ndarray of int
        The optimizer step (``every="step"``) or epoch (``every="epoch"``) of
        each record.
    """

    def __init__(self, every: str = "step", param: str = "weight", reduce: str = "sum"):
        if every not in ("step", "epoch"):
            raise ValueError(f"GradientNormRecorder: every must be 'step' or 'epoch', got {every!r}")
        if param not in ("weight", "bias", "all"):
            raise ValueError(f"GradientNormRecorder: param must be 'weight', 'bias' or 'all', got {param!r}")
        if reduce not in ("sum", "mean"):
            raise ValueError(f"GradientNormRecorder: reduce must be 'sum' or 'mean', got {reduce!r}")
        self.every, self.param, self.reduce = every, param, reduce
        self.layer_names: list[str] = []
        self.module_names: list[str] = []
        self._records: list[np.ndarray] = []
        self._steps: list[int] = []
        self._acc = None
        self._count = 0

    def on_train_begin(self, state):
        layers = linear_layers(state.model)
        if not layers:
            raise ValueError("GradientNormRecorder: the model has no Linear layer")
        self._layers = [m for _, m in layers]
        self.module_names = [name for name, _ in layers]
        self.layer_names = [f"Layer {i + 1}" for i in range(len(layers))]

    def _current(self) -> np.ndarray:
        out = np.empty(len(self._layers))
        for i, m in enumerate(self._layers):
            tensors = {"weight": [m.weight], "bias": [m.bias],
                       "all": [m.weight, m.bias]}[self.param]
            total = 0.0
            for t in tensors:
                if t is None or t.grad is None:
                    continue
                g = t.grad._data
                xp = _backend.namespace_of(g)
                total += float(xp.sum(g * g))
            out[i] = math.sqrt(total)
        return out

    def on_after_backward(self, state):
        norms = self._current()
        if self.every == "step":
            self._records.append(norms)
            self._steps.append(state.step + 1)
        else:
            self._acc = norms if self._acc is None else self._acc + norms
            self._count += 1

    def on_epoch_end(self, state):
        if self.every == "epoch" and self._acc is not None:
            self._records.append(self._acc / self._count if self.reduce == "mean" else self._acc)
            self._steps.append(state.epoch)
            self._acc, self._count = None, 0

    @property
    def norms(self) -> np.ndarray:
        n = len(self.layer_names)
        return np.array(self._records).reshape(-1, n)

    @property
    def steps(self) -> np.ndarray:
        return np.array(self._steps, dtype=np.int64)

    def __repr__(self):
        return f"GradientNormRecorder(every={self.every!r}, {len(self._records)} records, {len(self.layer_names)} layers)"


# --------------------------------------------------------------------------
# Activation statistics on a probe batch
# --------------------------------------------------------------------------

class ActivationStatsRecorder(Callback):
    r"""Run :func:`~nnlearn.train.layer_statistics` on a fixed probe batch
    before training and every ``every`` epochs.

    Parameters
    ----------
    X : array_like
        The probe batch (keep it fixed, so that records are comparable).
    y : array_like, optional
        Its targets: with them, the back-propagated gradients
        :math:`\partial E/\partial \mathbf u^{(l)}` are recorded too (using the
        ``loss_fn`` given to ``fit``).
    every : int, default 1
        Record every ``every`` epochs (epoch 0, before training, is always
        recorded).
    keep_values : bool, default True
        Keep the raw values for histograms; ``False`` keeps only the per-layer
        summary numbers.

    Attributes
    ----------
    epochs : list of int
        The epoch of each record.
    records : list of LayerStats
    """

    def __init__(self, X, y=None, every: int = 1, keep_values: bool = True):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"ActivationStatsRecorder: every must be an integer >= 1, got {every!r}")
        self.X, self.y, self.every, self.keep_values = X, y, every, bool(keep_values)
        self.epochs: list[int] = []
        self.records = []

    def _record(self, state):
        stats = layer_statistics(
            state.model, self.X, self.y, state.loss_fn if self.y is not None else None,
            title=f"epoch {state.epoch}",
        )
        if not self.keep_values:
            summary = stats.summary()
            for layer in stats:
                layer.pre_activation = layer.pre_activation[:0]
                layer.activation = None if layer.activation is None else layer.activation[:0]
                layer.pre_activation_grad = layer.activation_grad = None
                layer.weight = layer.weight_grad = None
            stats.saved_summary = summary
        self.epochs.append(state.epoch)
        self.records.append(stats)

    def on_train_begin(self, state):
        self._record(state)

    def on_epoch_end(self, state):
        if state.epoch % self.every == 0:
            self._record(state)

    def summary(self, key: str) -> np.ndarray:
        """``(records, layers)`` array of one summary number (``"mean"``,
        ``"std"``, ``"saturated"``, ``"zero"``, ``"dead"``, ``"grad_std"``,
        ``"weight_grad_norm"``), one row per recorded epoch."""
        rows = [getattr(s, "saved_summary", None) or s.summary() for s in self.records]
        if rows and key not in rows[0]:
            raise KeyError(f"no summary {key!r}; use one of {', '.join(map(repr, rows[0]))}")
        return np.array([r[key] for r in rows])

    def __repr__(self):
        return f"ActivationStatsRecorder({len(self.records)} records at epochs {self.epochs})"
