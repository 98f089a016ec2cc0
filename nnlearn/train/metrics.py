r"""Named metrics for :func:`nnlearn.train.fit` and :func:`nnlearn.train.evaluate`.

A metric is computed batch by batch as a *sum* and a *count*, so that the value
reported for an epoch is exact however the data are cut into batches:

``"accuracy"``
    the fraction of samples whose predicted class is the target class,
    :math:`\frac{1}{N}\sum_i [\hat y_i = y_i]`. The predicted class is
    :math:`\hat y_i = \arg\max_k z_{ik}` for outputs of shape ``(N, C)``
    (targets: class indices of shape ``(N,)`` or one-hot rows of shape
    ``(N, C)``), and :math:`\hat y_i = [z_i > 0]` for a single output column
    (logits, as ``binary_cross_entropy_with_logits`` expects; the threshold is
    :math:`\tfrac12` instead when the loss is ``binary_cross_entropy``, whose
    inputs are probabilities).
``"mse"``
    mean squared error over all elements, :math:`\frac{1}{N}\sum_i (z_i - t_i)^2`.
``"mae"``
    mean absolute error over all elements, :math:`\frac{1}{N}\sum_i |z_i - t_i|`.

Any callable ``metric(output, target) -> float`` may be given instead of a
name; its batch values are averaged, weighted by batch size.
"""

from __future__ import annotations

import math
from typing import Callable

from .. import backend as _backend
from .._tensor import Tensor

__all__ = ["METRICS", "accuracy", "mse", "mae", "resolve_metrics", "Metric"]


def _arrays(output, target):
    out = output._data if isinstance(output, Tensor) else output
    tgt = target._data if isinstance(target, Tensor) else target
    if not hasattr(out, "shape"):
        out = _backend.current().asarray(out)
    if not hasattr(tgt, "shape") or _backend.backend_of(tgt) != _backend.backend_of(out):
        xp = _backend.namespace_of(out)
        tgt = xp.asarray(_backend.to_numpy(tgt) if hasattr(tgt, "shape") else tgt,
                         device=getattr(out, "device", None))
    return _backend.namespace_of(out, tgt), out, tgt


def _accuracy_sum(output, target, probabilities=False):
    """(number correct, number of samples)."""
    xp, z, t = _arrays(output, target)
    n = z.shape[0] if z.ndim else 1
    if z.ndim == 2 and z.shape[1] >= 2:
        pred = xp.argmax(z, axis=1)
        if t.ndim == 2 and t.shape == z.shape:
            t = xp.argmax(t, axis=1)
        elif t.ndim != 1 or t.shape[0] != n:
            raise ValueError(
                f"accuracy: outputs of shape {tuple(z.shape)} (one score per class) need "
                f"targets of shape ({n},) (class indices) or {tuple(z.shape)} (one-hot rows), "
                f"got targets of shape {tuple(t.shape)}"
            )
        correct = pred == xp.astype(t, pred.dtype)
    elif z.ndim == 1 or (z.ndim == 2 and z.shape[1] == 1):
        z = xp.reshape(z, (-1,))
        t = xp.reshape(t, (-1,))
        if t.shape[0] != z.shape[0]:
            raise ValueError(
                f"accuracy: {z.shape[0]} outputs but {t.shape[0]} targets; give one 0/1 label "
                "per sample"
            )
        pred = z > (0.5 if probabilities else 0.0)
        correct = pred == (xp.astype(t, z.dtype) > 0.5)
    else:
        raise ValueError(
            f"accuracy needs outputs of shape (N, C) (class scores) or (N,)/(N, 1) (one "
            f"logit for a binary label), got shape {tuple(z.shape)}"
        )
    return float(xp.sum(xp.astype(correct, z.dtype))), n


def _squared_sum(output, target, probabilities=False):
    xp, z, t = _arrays(output, target)
    z, t = _same_shape(z, t, xp, "mse")
    d = z - xp.astype(t, z.dtype)
    return float(xp.sum(d * d)), math.prod(z.shape)


def _absolute_sum(output, target, probabilities=False):
    xp, z, t = _arrays(output, target)
    z, t = _same_shape(z, t, xp, "mae")
    return float(xp.sum(xp.abs(z - xp.astype(t, z.dtype)))), math.prod(z.shape)


def _same_shape(z, t, xp, name):
    if tuple(z.shape) == tuple(t.shape):
        return z, t
    if math.prod(z.shape) == math.prod(t.shape) and z.shape[:1] == t.shape[:1]:
        return xp.reshape(z, (-1,)), xp.reshape(t, (-1,))  # (N, 1) against (N,)
    raise ValueError(
        f"{name}: outputs of shape {tuple(z.shape)} and targets of shape {tuple(t.shape)} "
        "do not match"
    )


class Metric:
    """A named metric: ``sum_and_count(output, target)`` per batch, and the
    epoch value is the sum of the sums divided by the sum of the counts."""

    def __init__(self, name: str, sum_and_count: Callable, higher_is_better: bool):
        self.name = name
        self.sum_and_count = sum_and_count
        self.higher_is_better = higher_is_better

    def __repr__(self):
        return f"Metric({self.name!r})"


def _callable_metric(name, fn):
    def sum_and_count(output, target, probabilities=False):
        n = output.shape[0] if getattr(output, "shape", ()) else 1
        value = fn(output, target)
        try:
            value = float(value)
        except Exception:  # noqa: BLE001 - a str, None, an array of several numbers, ...
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise TypeError(f"the metric {name!r} returned {shown} ({type(value).__name__}), "
                            "not a number: a metric function must return one float for the "
                            "batch.") from None
        return value * n, n

    return Metric(name, sum_and_count, higher_is_better=False)


#: The metrics that can be named in ``metrics=(...)``.
METRICS = {
    "accuracy": Metric("accuracy", _accuracy_sum, higher_is_better=True),
    "mse": Metric("mse", _squared_sum, higher_is_better=False),
    "mae": Metric("mae", _absolute_sum, higher_is_better=False),
}


def _ratio(s, n, name: str) -> float:
    if n == 0:
        raise ValueError(f"{name}: no samples (an empty batch), so there is nothing to average")
    return s / n


def accuracy(output, target, probabilities: bool = False) -> float:
    """The fraction of correctly classified samples (see the module docstring).

    >>> accuracy([[2.0, 1.0], [0.0, 3.0]], [0, 0])
    0.5
    """
    s, n = _accuracy_sum(output, target, probabilities)
    return _ratio(s, n, "accuracy")


def mse(output, target) -> float:
    """Mean squared error over all elements."""
    s, n = _squared_sum(output, target)
    return _ratio(s, n, "mse")


def mae(output, target) -> float:
    """Mean absolute error over all elements."""
    s, n = _absolute_sum(output, target)
    return _ratio(s, n, "mae")


def resolve_metrics(metrics, where: str = "fit") -> list[Metric]:
    """``metrics`` (names, callables, or a dict name → callable) as a list of
    :class:`Metric`, with a clear error for an unknown name."""
    if metrics is None:
        return []
    if isinstance(metrics, (str, Metric)) or callable(metrics):
        metrics = [metrics]
    items = list(metrics.items()) if isinstance(metrics, dict) else [(None, m) for m in metrics]
    out = []
    for name, m in items:
        if isinstance(m, Metric):
            out.append(m)
        elif isinstance(m, str):
            key = m.lower()
            if key not in METRICS:
                raise ValueError(
                    f"{where}: unknown metric {m!r}. Valid names are: "
                    + ", ".join(repr(k) for k in METRICS)
                    + "; or pass a function metric(output, target) -> float."
                )
            out.append(METRICS[key])
        elif callable(m):
            out.append(_callable_metric(name or getattr(m, "__name__", "metric"), m))
        else:
            raise TypeError(
                f"{where}: a metric must be a name such as 'accuracy' or a function "
                f"metric(output, target) -> float, got {m!r}"
            )
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: metric names must be distinct, got {names}")
    if {"loss"} & set(names):
        raise ValueError(f"{where}: 'loss' is always recorded; it is not a metric name")
    return out
