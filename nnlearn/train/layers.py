r"""Inside a network, one layer at a time: activations and back-propagated gradients.

For a multilayer perceptron written as an :class:`nnlearn.nn.Sequential`, layer
:math:`l` computes the pre-activation and the activation

.. math::

    \mathbf u^{(l)} = \mathbf z^{(l-1)} W^{(l)\top} + \mathbf b^{(l)}, \qquad
    \mathbf z^{(l)} = f(\mathbf u^{(l)}),

and backpropagation passes back the gradients
:math:`\partial E/\partial \mathbf u^{(l)}` (the :math:`\boldsymbol\delta` of the
slides) and :math:`\partial E/\partial W^{(l)}`. Glorot and Bengio (2010) plot
the distribution of :math:`\mathbf z^{(l)}` (their figure 6) and of
:math:`\partial E/\partial \mathbf u^{(l)}` (figure 7) layer by layer;
:func:`layer_statistics` computes all of these on one batch.

nnlearn's modules have no forward hooks, so the model is run module by module:
it must be a :class:`~nnlearn.nn.Sequential` (nested ones are flattened).
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from .. import backend as _backend
from .. import nn
from .._display import Table
from .._tensor import Tensor, enable_grad, no_grad

__all__ = ["LayerRecord", "LayerStats", "layer_statistics", "layer_blocks", "linear_layers"]

_PASS_THROUGH = (nn.Dropout, nn.Identity, nn.Flatten)


def on_backend(b):
    """A context in which ``b`` (a Backend) is the current backend, so that new
    Tensors (batches, probes) are created where the model's parameters live."""
    if _backend.current().name == b.name:
        return contextlib.nullcontext()
    return _backend.use(b.name)


def _leaves(model):
    """The modules of a (possibly nested) Sequential, in order."""
    for m in model:
        if isinstance(m, nn.Sequential):
            yield from _leaves(m)
        else:
            yield m


def _is_affine(m) -> bool:
    return isinstance(m, nn.Linear)


def _is_activation(m) -> bool:
    if isinstance(m, _PASS_THROUGH) or _is_affine(m):
        return False
    return not any(True for _ in m.parameters()) and not isinstance(m, nn.Sequential)


def layer_blocks(model):
    """Cut a Sequential into layers: ``(prefix, blocks)``.

    ``prefix`` is the list of modules before the first ``Linear`` (such as a
    ``Flatten``); each block is the list of modules from one ``Linear`` up to
    the next, e.g. ``[Linear, BatchNorm1d, Tanh, Dropout]``.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(
            f"this function runs the model layer by layer, so it needs an nn.Sequential; "
            f"got {type(model).__name__}. (nnlearn modules have no forward hooks.) Write the "
            "network as nn.Sequential(nn.Linear(...), nn.Tanh(), ...)."
        )
    prefix, blocks = [], []
    for m in _leaves(model):
        if _is_affine(m):
            blocks.append([m])
        elif blocks:
            blocks[-1].append(m)
        else:
            prefix.append(m)
    if not blocks:
        raise ValueError(f"the model has no Linear layer: {model!r}")
    return prefix, blocks


def linear_layers(model) -> list[tuple[str, "nn.Linear"]]:
    """``(name, module)`` of every ``Linear`` in ``model``, in order (any Module)."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]


def _describe(block) -> str:
    lin = block[0]
    parts = [f"Linear({lin.in_features}→{lin.out_features})"]
    parts += [type(m).__name__ for m in block[1:]]
    return " + ".join(parts)


def _np(x):
    return None if x is None else np.array(_backend.to_numpy(x), dtype=np.float64, copy=True)


class LayerRecord:
    r"""One layer's values on the batch (NumPy arrays, one row per sample).

    Attributes
    ----------
    name : str
        ``"Layer 1"``, ``"Layer 2"``, ... (the output layer is ``"Output"``).
    description : str
        E.g. ``"Linear(64→128) + Tanh"``.
    activation_name : str or None
        The class name of the non-linearity (``"Tanh"``), ``None`` for the
        output layer.
    pre_activation : ndarray
        :math:`\mathbf u^{(l)}`, the input of the non-linearity (after batch
        normalization, if the layer has one).
    activation : ndarray or None
        :math:`\mathbf z^{(l)} = f(\mathbf u^{(l)})`.
    pre_activation_grad, activation_grad : ndarray or None
        :math:`\partial E/\partial \mathbf u^{(l)}` and
        :math:`\partial E/\partial \mathbf z^{(l)}` (with a loss only).
    weight, weight_grad : ndarray or None
        :math:`W^{(l)}` and :math:`\partial E/\partial W^{(l)}`.
    """

    def __init__(self, name, description, activation_name, pre_activation, activation,
                 pre_activation_grad, activation_grad, weight, weight_grad):
        self.name = name
        self.description = description
        self.activation_name = activation_name
        self.pre_activation = pre_activation
        self.activation = activation
        self.pre_activation_grad = pre_activation_grad
        self.activation_grad = activation_grad
        self.weight = weight
        self.weight_grad = weight_grad

    @property
    def units(self) -> int:
        return int(self.pre_activation.shape[-1])

    def values(self, kind: str):
        """The array for ``kind``: ``"activation"``, ``"pre_activation"``,
        ``"gradient"`` (:math:`\\partial E/\\partial \\mathbf u`) or
        ``"activation_gradient"``."""
        table = {
            "activation": self.activation,
            "pre_activation": self.pre_activation,
            "gradient": self.pre_activation_grad,
            "activation_gradient": self.activation_grad,
        }
        if kind not in table:
            raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(map(repr, table))}")
        return table[kind]

    def saturated_fraction(self, threshold: float = 0.99) -> float:
        r"""Fraction of activations within :math:`1 - \text{threshold}` of the
        bounds of a saturating non-linearity: :math:`|z| > 0.99` for tanh,
        :math:`a < 0.01` or :math:`a > 0.99` for the sigmoid; NaN for others."""
        a = self.activation
        if a is None or a.size == 0:
            return math.nan
        if self.activation_name == "Tanh":
            return float(np.mean(np.abs(a) > threshold))
        if self.activation_name == "Sigmoid":
            return float(np.mean((a > threshold) | (a < 1 - threshold)))
        return math.nan

    def zero_fraction(self) -> float:
        """Fraction of activations exactly 0 (inactive ReLUs)."""
        a = self.activation
        return math.nan if a is None or a.size == 0 else float(np.mean(a == 0))

    def dead_fraction(self) -> float:
        """Fraction of units that are 0 for *every* sample of the batch (dead ReLUs)."""
        a = self.activation
        if a is None or a.size == 0:
            return math.nan
        return float(np.mean(np.all(a.reshape(a.shape[0], -1) == 0, axis=0)))

    def weight_grad_norm(self) -> float:
        r""":math:`\|\partial E/\partial W^{(l)}\|_F`."""
        g = self.weight_grad
        return math.nan if g is None else float(np.sqrt(np.sum(g * g)))

    def __repr__(self):
        return f"LayerRecord({self.name}: {self.description})"


def _mean_std(a):
    if a is None or a.size == 0:
        return math.nan, math.nan
    return float(np.mean(a)), float(np.std(a))


class LayerStats:
    """The :class:`LayerRecord` of every layer, from :func:`layer_statistics`.

    Iterable and indexable (``stats[0]`` is layer 1); ``len(stats)`` is the
    number of layers. ``stats.table()`` summarizes them.
    """

    def __init__(self, layers, loss=None, title=None):
        self.layers = list(layers)
        self.loss = loss
        self.title = title

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    @property
    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    def values(self, kind: str) -> list:
        """One array per layer (see :meth:`LayerRecord.values`)."""
        return [layer.values(kind) for layer in self.layers]

    def weight_grad_norms(self) -> np.ndarray:
        r""":math:`\|\partial E/\partial W^{(l)}\|_F` for each layer."""
        return np.array([layer.weight_grad_norm() for layer in self.layers])

    def summary(self) -> dict[str, np.ndarray]:
        """Per-layer numbers as arrays: activation ``mean``/``std``,
        ``saturated``, ``zero``, ``dead`` fractions, ``grad_std`` (of
        :math:`\\partial E/\\partial z`) and ``weight_grad_norm``."""
        rows = {k: [] for k in ("mean", "std", "saturated", "zero", "dead", "grad_std",
                                "weight_grad_norm")}
        for layer in self.layers:
            m, s = _mean_std(layer.activation)
            rows["mean"].append(m)
            rows["std"].append(s)
            rows["saturated"].append(layer.saturated_fraction())
            rows["zero"].append(layer.zero_fraction())
            rows["dead"].append(layer.dead_fraction())
            rows["grad_std"].append(_mean_std(layer.pre_activation_grad)[1])
            rows["weight_grad_norm"].append(layer.weight_grad_norm())
        return {k: np.array(v, dtype=np.float64) for k, v in rows.items()}

    def table(self, digits: int = 3) -> Table:
        """One row per layer: the activations' mean and standard deviation, the
        saturated/zero/dead fractions, the standard deviation of
        :math:`\\partial E/\\partial z` and the norm of :math:`\\partial E/\\partial W`."""
        s = self.summary()
        columns = ["layer", "units", "act. mean", "act. std", "saturated", "zero", "dead units",
                   "std ∂E/∂u", "‖∂E/∂W‖"]
        rows = []
        for i, layer in enumerate(self.layers):
            rows.append([layer.name, layer.units] + [
                "" if math.isnan(s[k][i]) else s[k][i]
                for k in ("mean", "std", "saturated", "zero", "dead", "grad_std",
                          "weight_grad_norm")])
        title = self.title or "Layer statistics"
        if self.loss is not None:
            title += f" (loss {self.loss:.4g})"
        return Table(columns, rows, title=title, digits=digits)

    def _repr_html_(self):
        return self.table()._repr_html_()

    def __repr__(self):
        return str(self.table())


def layer_statistics(model, X, y=None, loss_fn=None, *, train: bool = False,
                     include_output: bool = False, title: str | None = None) -> LayerStats:
    r"""Activations, pre-activations and their back-propagated gradients, layer by layer, for one batch.

    Runs ``model`` (an :class:`~nnlearn.nn.Sequential`) on ``X`` module by
    module, keeps each layer's :math:`\mathbf u^{(l)}` and
    :math:`\mathbf z^{(l)}` with ``retain_grad()``, and, when ``y`` and
    ``loss_fn`` are given, calls ``loss_fn(model(X), y).backward()`` so that
    each gets its gradient :math:`\partial E/\partial \mathbf u^{(l)}`,
    :math:`\partial E/\partial \mathbf z^{(l)}`; also
    :math:`\partial E/\partial W^{(l)}`.

    The model's parameters, their ``.grad`` and its train/eval mode are left
    as they were.

    Parameters
    ----------
    model : nnlearn.nn.Sequential
        Layers are cut at each ``Linear``: a layer is a ``Linear`` and the
        modules up to the next one (batch norm, the non-linearity, dropout).
    X : array_like or Tensor
        The batch (a fixed "probe" batch, to compare layers or epochs).
    y : array_like or Tensor, optional
        Targets, for the gradients.
    loss_fn : callable, optional
        ``loss_fn(output, y)``, a scalar Tensor.
    train : bool, default False
        Run in training mode (dropout active, batch norm on batch statistics
        and *updating its running statistics*). The default, eval mode, is
        deterministic.
    include_output : bool, default False
        Also return the last ``Linear`` (the output layer, which has no
        non-linearity), named ``"Output"``.
    title : str, optional
        Title of the summary table (and of plots that use it).

    Returns
    -------
    LayerStats

    Examples
    --------
    >>> from nnlearn import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    >>> stats = layer_statistics(model, np.ones((5, 4)), np.array([0, 1, 2, 0, 1]),
    ...                          nn.CrossEntropyLoss())                # doctest: +SKIP
    >>> stats[0].pre_activation_grad.shape                                # doctest: +SKIP
    (5, 8)
    """
    prefix, blocks = layer_blocks(model)
    with_grad = y is not None and loss_fn is not None
    if (y is None) != (loss_fn is None):
        raise ValueError("layer_statistics: give both y and loss_fn for the gradients, or neither")
    params = list(model.parameters())
    saved_grads = [p.grad for p in params]
    saved_modes = [(m, m.training) for m in model.modules()]
    model.train(bool(train))
    b = params[0].backend if params else _backend.current()
    with on_backend(b):
        return _layer_statistics(model, prefix, blocks, X, y, loss_fn, with_grad, params,
                                 saved_grads, saved_modes, include_output, title, b)


def _layer_statistics(model, prefix, blocks, X, y, loss_fn, with_grad, params, saved_grads,
                      saved_modes, include_output, title, b):
    x = X if isinstance(X, Tensor) else Tensor(b.asarray(_backend.to_numpy(X)))
    try:
        ctx = enable_grad() if with_grad else no_grad()
        with ctx:
            for m in prefix:
                x = m(x)
            recorded = []  # (block, z, a)
            for block in blocks:
                z, a = None, None
                act_name = None
                for m in block:
                    if _is_activation(m) and a is None and z is None:
                        z = x
                        if with_grad and z.requires_grad:
                            z.retain_grad()
                        x = m(x)
                        a = x
                        if with_grad and a.requires_grad:
                            a.retain_grad()
                        act_name = type(m).__name__
                    else:
                        x = m(x)
                if z is None:  # no non-linearity: the output layer
                    z = x
                    if with_grad and z.requires_grad:
                        z.retain_grad()
                recorded.append((block, z, a, act_name))
            loss = None
            if with_grad:
                for p in params:
                    p.grad = None
                out = loss_fn(x, y if isinstance(y, Tensor) else Tensor(b.asarray(_backend.to_numpy(y))))
                out.backward()
                loss = float(out.item())
        records = []
        hidden = 0
        for block, z, a, act_name in recorded:
            lin = block[0]
            is_output = a is None
            if is_output and not include_output:
                continue
            if not is_output:
                hidden += 1
            records.append(LayerRecord(
                name="Output" if is_output else f"Layer {hidden}",
                description=_describe(block),
                activation_name=act_name,
                pre_activation=_np(z._data),
                activation=None if a is None else _np(a._data),
                pre_activation_grad=_np(z.grad) if with_grad else None,
                activation_grad=_np(a.grad) if (with_grad and a is not None) else None,
                weight=_np(lin.weight._data),
                weight_grad=_np(lin.weight.grad) if with_grad else None,
            ))
    finally:
        for p, g in zip(params, saved_grads):
            p.grad = g
        for m, mode in saved_modes:
            m.__dict__["training"] = mode
    return LayerStats(records, loss=loss, title=title)
