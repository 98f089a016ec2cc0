r"""Karpathy's debugging checks, as functions and a callback.

Three checks from "A recipe for training neural networks" and CS231n that
catch bugs a loss curve hides:

:func:`input_independent_baseline`
    Train the same set-up once on the real inputs and once with every input
    set to zero. The zeroed run can only learn the class frequencies; if the
    real run does not do clearly better, the network is not using its input
    (a data pipeline that feeds the wrong array, say).
:func:`batch_dependency`
    Take the loss of *one* sample, :math:`\sum_k u_{ik}` of the outputs of
    sample :math:`i`, and backpropagate it to the inputs of the whole batch.
    Only row :math:`i` may receive a gradient. Gradient on another row means
    the model mixes samples: a ``view`` or ``transpose`` that scrambles the
    batch axis, a softmax or normalization over the wrong axis, or batch
    normalization in training mode (which mixes on purpose).
:class:`UpdateRatio`
    A callback recording, for each parameter tensor and each step,

    .. math::

        r = \frac{\lVert \Delta\mathbf w \rVert}{\lVert \mathbf w \rVert} ,

    the size of the update relative to the weights before it. CS231n's rule of thumb is
    :math:`r \approx 10^{-3}`: much smaller and the learning rate is probably
    too low, much larger (:math:`10^{-1}`) and it is probably too high.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend as _backend
from .callbacks import Callback

__all__ = ["input_independent_baseline", "batch_dependency", "UpdateRatio"]


def _np(x) -> np.ndarray:
    return np.asarray(_backend.to_numpy(x))


def input_independent_baseline(train_and_score, X_train, X_val, metric: str = "val_loss") -> dict:
    r"""Score a set-up on its real inputs and on all-zero inputs.

    Parameters
    ----------
    train_and_score : callable
        ``train_and_score(X_train, X_val) -> dict`` trains a fresh model on
        ``X_train`` (with the usual labels) and returns metrics measured on
        ``X_val``; it is called twice, with the real arrays and with arrays of
        zeros of the same shapes.
    X_train, X_val : array
    metric : str
        The metric to compare (lower is better when its name contains "loss").

    Returns
    -------
    dict
        ``real`` and ``zeroed`` (the two metric dicts), and ``uses_input``:
        whether the real run beats the zeroed one on ``metric``.
    """
    real = train_and_score(X_train, X_val)
    zeroed = train_and_score(np.zeros_like(_np(X_train)), np.zeros_like(_np(X_val)))
    lower = "loss" in metric or "error" in metric
    a, b = float(real[metric]), float(zeroed[metric])
    return {"real": real, "zeroed": zeroed, "uses_input": bool(a < b if lower else a > b)}


def batch_dependency(model, X, index: int = 0) -> list[int]:
    r"""The rows of ``X`` (other than ``index``) that the outputs of sample ``index`` depend on.

    Computes :math:`\partial \big(\sum_k u_{\text{index},k}\big) / \partial X`
    by backpropagation and returns the rows whose gradient is not exactly
    zero. A model that treats samples independently returns ``[]``.

    The model is run in its current mode (``model.train()`` or ``model.eval()``):
    batch normalization mixes the batch in training mode only.
    """
    from .._tensor import Tensor

    Xn = np.array(_np(X), dtype=float)
    if Xn.ndim < 2 or len(Xn) < 2:
        raise ValueError(f"batch_dependency: X needs a batch of at least 2 samples, got shape {Xn.shape}")
    if not 0 <= index < len(Xn):
        raise IndexError(f"batch_dependency: index {index} is outside the batch of {len(Xn)}")
    x = Tensor(Xn, requires_grad=True)
    out = model(x)
    out[index].sum().backward()
    g = _np(x.grad).reshape(len(Xn), -1)
    return [i for i in range(len(Xn)) if i != index and np.any(g[i] != 0)]


class UpdateRatio(Callback):
    r"""Record :math:`\lVert\Delta\mathbf w\rVert / \lVert\mathbf w\rVert` of every parameter at every step.

    Attach to ``fit(..., callbacks=[ratio])``. After training,
    ``ratio.ratios`` maps each parameter's name to the list of its ratios, one
    per step, and :meth:`summary` gives the median of each over the run.

    Parameters
    ----------
    weights_only : bool, default True
        Record only parameters with two or more dimensions (the weight
        matrices), as CS231n does; biases start at small values, and their
        ratios say little.
    every : int, default 1
        Record every ``every``-th step only (the check costs a copy of the
        weights).
    """

    def __init__(self, weights_only: bool = True, every: int = 1):
        self.weights_only = weights_only
        self.every = int(every)
        self.ratios: dict[str, list[float]] = {}
        self._before = None

    def _params(self, model):
        for name, p in model.named_parameters():
            if not self.weights_only or len(_np(p).shape) >= 2:
                yield name, p

    def on_train_begin(self, state):
        self.ratios = {name: [] for name, _ in self._params(state.model)}

    def on_after_backward(self, state):
        if state.step % self.every == 0:
            self._before = {name: _np(p).copy() for name, p in self._params(state.model)}

    def on_batch_end(self, state):
        if self._before is None:
            return
        for name, p in self._params(state.model):
            before = self._before[name]
            norm = float(np.linalg.norm(before))
            step = float(np.linalg.norm(_np(p) - before))
            self.ratios[name].append(step / norm if norm > 0 else math.inf)
        self._before = None

    def summary(self) -> dict[str, float]:
        """The median ratio of each recorded parameter over the run."""
        return {name: float(np.median(r)) for name, r in self.ratios.items() if r}
