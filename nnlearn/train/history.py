r"""``History``: what :func:`nnlearn.train.fit` records, epoch by epoch."""

from __future__ import annotations

import math

from .._display import Table, format_number

__all__ = ["History"]


class History:
    r"""Per-epoch training record returned by :func:`nnlearn.train.fit`.

    Attributes
    ----------
    epoch : list of int
        The epochs run, ``[1, 2, ..., E]``.
    history : dict of str to list of float
        One list per quantity, one value per epoch: ``"loss"`` (the mean of the
        minibatch losses during the epoch, weighted by batch size), each metric
        (``"accuracy"``, ...), and with validation data ``"val_loss"``,
        ``"val_accuracy"``, ... (computed at the end of the epoch, in eval
        mode). Keras's layout; ``history["loss"]`` is a shortcut.
    initial : dict of str to float
        The same quantities before the first update (epoch 0, eval mode), when
        ``fit(record_initial=True)``.
    lr : list of float
        The learning rate of the first parameter group during each epoch.
    epoch_time : list of float
        Wall-clock seconds per epoch (kept out of ``history`` so that two seeded
        runs compare equal).
    monitor : str
        The quantity that defines the best epoch (``"val_loss"`` when there are
        validation data, else ``"loss"``, unless early stopping monitors another).
    best_epoch : int or None
        The epoch with the best ``monitor`` value.
    stopped_epoch : int or None
        The last epoch run when early stopping ended training early, else ``None``.
    restored_best : bool
        Whether the model's weights were reset to those of ``best_epoch``.
    chance_loss : float or None
        The loss of a model that knows nothing: :math:`\ln C` for
        cross-entropy with :math:`C` classes (uniform predictions),
        :math:`\ln 2` for binary cross-entropy, and for the squared error the
        variance of the training targets (always predicting their mean).
    diverged : dict or None
        Where training stopped on a non-finite loss (``fit(on_divergence="stop")``).
    interrupted : dict or None
        Where an exception (``KeyboardInterrupt``, an error raised in a
        callback, ...) ended training: ``{"epoch", "batch", "step",
        "exception"}``. ``fit`` then re-raises it with this history attached
        as ``.history``.
    params : dict
        The settings of the run (epochs, batch size, number of samples, ...).
    """

    def __init__(self, keys=("loss",), monitor: str = "loss", higher_is_better: bool = False):
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {k: [] for k in keys}
        self.initial: dict[str, float] = {}
        self.lr: list[float] = []
        self.epoch_time: list[float] = []
        self.monitor = monitor
        self._higher_is_better = higher_is_better
        self.best_epoch: int | None = None
        self._best_value: float | None = None
        self.stopped_epoch: int | None = None
        self.restored_best = False
        self.chance_loss: float | None = None
        self.diverged: dict | None = None
        self.interrupted: dict | None = None
        self.params: dict = {}

    # ------------------------------------------------------------ recording
    def append(self, epoch: int, logs: dict, lr: float | None = None, seconds: float | None = None):
        """Record one epoch (``logs`` maps every key of ``history`` to a number)."""
        missing = [k for k in self.history if k not in logs]
        if missing:
            raise KeyError(f"History.append: no value for {missing} at epoch {epoch}")
        self.epoch.append(int(epoch))
        for k in self.history:
            self.history[k].append(float(logs[k]))
        if lr is not None:
            self.lr.append(float(lr))
        if seconds is not None:
            self.epoch_time.append(float(seconds))
        self._update_best(epoch)

    def _update_best(self, epoch: int) -> None:
        # a running best: constant work per epoch (the first epoch reaching the best value wins ties)
        values = self.history.get(self.monitor)
        if not values or not math.isfinite(values[-1]):
            return
        v = values[-1]
        if self._best_value is None or (v > self._best_value if self._higher_is_better else v < self._best_value):
            self._best_value = v
            self.best_epoch = int(epoch)

    # -------------------------------------------------------------- access
    def __getitem__(self, key: str) -> list[float]:
        try:
            return self.history[key]
        except KeyError:
            raise KeyError(f"History has no {key!r}; it has {', '.join(map(repr, self.history))}") from None

    def __contains__(self, key) -> bool:
        return key in self.history

    def keys(self):
        """The recorded quantities."""
        return self.history.keys()

    def __len__(self) -> int:
        return len(self.epoch)

    @property
    def metric_names(self) -> list[str]:
        """The metrics recorded besides the loss (without the ``val_`` prefix)."""
        return [k for k in self.history if k != "loss" and not k.startswith("val_")]

    @property
    def best(self) -> dict[str, float]:
        """Every recorded quantity at ``best_epoch`` (empty if there is none)."""
        if self.best_epoch is None:
            return {}
        i = self.epoch.index(self.best_epoch)
        return {k: v[i] for k, v in self.history.items()}

    @property
    def final(self) -> dict[str, float]:
        """Every recorded quantity at the last epoch."""
        return {k: v[-1] for k, v in self.history.items() if v}

    def to_dict(self) -> dict:
        """Plain Python data: lists and numbers (for JSON or a DataFrame)."""
        return {
            "epoch": list(self.epoch),
            **{k: list(v) for k, v in self.history.items()},
            "lr": list(self.lr),
            "epoch_time": list(self.epoch_time),
            "initial": dict(self.initial),
            "monitor": self.monitor,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "restored_best": self.restored_best,
            "chance_loss": self.chance_loss,
            "diverged": None if self.diverged is None else dict(self.diverged),
            "interrupted": None if self.interrupted is None else dict(self.interrupted),
            "params": dict(self.params),
        }

    # --------------------------------------------------------------- display
    def table(self, digits: int = 4) -> Table:
        """One row per epoch (row 0 for ``initial``, if recorded); the best
        epoch is marked in the last column, and the title says where the best
        epoch was and whether the run stopped early, diverged or was interrupted."""
        keys = list(self.history)
        columns = ["epoch", *keys] + (["lr"] if self.lr else []) + ["best"]
        rows = []
        if self.initial:
            rows.append([0, *[self.initial.get(k, "") for k in keys]]
                        + ([""] if self.lr else []) + [""])
        for i, e in enumerate(self.epoch):
            row = [e, *[self.history[k][i] for k in keys]]
            if self.lr:
                row.append(self.lr[i])
            row.append("◀" if e == self.best_epoch else "")
            rows.append(row)
        notes = []
        if self.best_epoch is not None:
            notes.append(f"best {self.monitor} at epoch {self.best_epoch}")
            start = self.initial.get(self.monitor)
            if start is not None and not (self._best_value > start if self._higher_is_better
                                          else self._best_value < start):
                notes[-1] += ", no better than at epoch 0"
        notes += self._ending(detail=False)
        title = "Training history" + (f" ({'; '.join(notes)})" if notes else "")
        return Table(columns, rows, title=title, digits=digits)

    def __repr__(self) -> str:
        n = len(self.epoch)
        if n == 0:
            if self.interrupted is not None:
                return f"History(0 epochs; interrupted in epoch {self.interrupted['epoch']})"
            return "History(0 epochs)"
        parts = [f"{n} epoch{'s' if n != 1 else ''}"]
        for k in ("loss", "val_loss"):
            if k in self.history:
                v = self.history[k]
                start = self.initial.get(k, v[0])
                parts.append(f"{k} {format_number(start)} → {format_number(v[-1])}")
        if self.best_epoch is not None:
            parts.append(f"best {self.monitor} {format_number(self.best[self.monitor])} "
                         f"at epoch {self.best_epoch}")
        parts += self._ending(detail=True)
        return "History(" + "; ".join(parts) + ")"

    def _ending(self, detail: bool) -> list[str]:
        """How the run ended, if not at its last planned epoch: stopped early, diverged,
        interrupted (``detail``: with the exception that interrupted it)."""
        notes = []
        if self.stopped_epoch is not None:
            notes.append(f"stopped early after epoch {self.stopped_epoch}")
        if self.diverged is not None:
            notes.append(f"diverged in epoch {self.diverged['epoch']}")
        if self.interrupted is not None:
            notes.append(f"interrupted in epoch {self.interrupted['epoch']}"
                         + (f" ({self.interrupted['exception']})" if detail else ""))
        return notes
