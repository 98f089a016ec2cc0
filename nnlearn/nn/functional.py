r"""Operations as functions, with PyTorch's names (``torch.nn.functional``).

Import it as PyTorch code does::

    import nnlearn.nn.functional as F
    loss = F.cross_entropy(model(X), y)

Each function computes with :class:`~nnlearn.Tensor` operations, so its
gradient comes from the derivatives written once in :mod:`nnlearn._tensor`
(and, for the fused losses, in :mod:`nnlearn.losses`, where the losses are
documented). The ``nn`` layer classes call these.
"""

from __future__ import annotations

import math

from .. import backend as _backend
from .._tensor import Tensor, _result, linear, where
from ..losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    log_softmax,
    mse_loss,
    nll_loss,
    softmax,
)

__all__ = [
    "linear",
    "relu",
    "leaky_relu",
    "gelu",
    "sigmoid",
    "tanh",
    "softplus",
    "softmax",
    "log_softmax",
    "dropout",
    "one_hot",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
]


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def relu(input, inplace: bool = False) -> Tensor:
    r""":math:`\max(x, 0)` (see :meth:`~nnlearn._tensor.Tensor.relu`). ``inplace=True`` is
    accepted and computes out of place."""
    return _tensor(input).relu()


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    r""":math:`x` for :math:`x > 0`, else :math:`\alpha x` with
    :math:`\alpha` = ``negative_slope``; derivative 1 or :math:`\alpha`
    (:math:`\alpha` at 0, as PyTorch)."""
    x = _tensor(input)
    return where(x > 0, x, x * negative_slope)


def gelu(input, approximate: str = "none") -> Tensor:
    r"""Gaussian error linear unit :math:`x\,\Phi(x)`, with
    :math:`\Phi(x) = \tfrac12\bigl(1 + \operatorname{erf}(x/\sqrt2)\bigr)` the
    standard normal CDF; ``approximate="tanh"`` uses
    :math:`\tfrac12 x\bigl(1 + \tanh(\sqrt{2/\pi}\,(x + 0.044715 x^3))\bigr)`."""
    x = _tensor(input)
    if approximate == "tanh":
        return 0.5 * x * (1 + (math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)).tanh())
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return x * (0.5 * (1 + (x * (1 / math.sqrt(2))).erf()))


def sigmoid(input) -> Tensor:
    r""":math:`\sigma(x) = 1/(1+e^{-x})` (see :meth:`~nnlearn._tensor.Tensor.sigmoid`)."""
    return _tensor(input).sigmoid()


def tanh(input) -> Tensor:
    r""":math:`\tanh x` (see :meth:`~nnlearn._tensor.Tensor.tanh`)."""
    return _tensor(input).tanh()


def softplus(input, beta: float = 1.0) -> Tensor:
    r""":math:`\frac1\beta\ln(1 + e^{\beta x})` (see :meth:`~nnlearn._tensor.Tensor.softplus`;
    exact everywhere, where PyTorch switches to :math:`x` above a threshold)."""
    x = _tensor(input)
    if beta == 0:
        raise ValueError("softplus: beta must be nonzero (the function is ln(1 + e^(beta x)) / beta)")
    return x.softplus() if beta == 1 else (x * beta).softplus() * (1.0 / beta)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    r"""Inverted dropout: in training, zero each entry with probability ``p``
    and scale the survivors by :math:`1/(1-p)`; otherwise the identity.

    .. math::

        y = \frac{m \odot x}{1 - p}, \qquad m_i \sim \text{Bernoulli}(1 - p),

    so :math:`\mathbb{E}[y] = x`; the gradient is :math:`m \odot \bar{y}/(1-p)`.
    The mask is drawn from :func:`nnlearn.backend.rng` on the host and copied
    to the tensor's backend, so a seed gives the same masks on every backend
    (not the masks PyTorch would draw). ``p = 1`` gives zeros.
    """
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
    x = _tensor(input)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    keep = _backend.rng().random(x.shape) >= p
    mask = x.backend.asarray(keep * (1.0 / (1.0 - p)), dtype=x._data.dtype)
    return x * _result(mask, x.backend, x.xp, "", (), False)   # (on x's backend, whatever is current)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """Class indices of shape ``(*)`` as one-hot rows of shape ``(*, C)``
    (int64, as ``torch.nn.functional.one_hot``); ``num_classes=-1`` takes
    :math:`C` = the largest index + 1."""
    t = _tensor(tensor)
    xp = t.xp
    idx = t._data
    if t.is_floating_point():
        raise RuntimeError("one_hot is only applicable to index tensor (an integer dtype)")
    if num_classes == -1:
        if not t.numel():
            raise RuntimeError("one_hot: can not infer the number of classes from an empty tensor; "
                               "pass num_classes")
        num_classes = int(xp.max(idx)) + 1
    if t.numel() and (int(xp.min(idx)) < 0 or int(xp.max(idx)) >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes - 1}]")
    device = {} if getattr(idx, "device", None) is None else {"device": idx.device}
    classes = xp.arange(num_classes, **device)
    data = xp.astype(xp.astype(idx, xp.int64)[..., None] == classes, xp.int64)
    return _result(data, t.backend, xp, "", (), False)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    r"""Normalize over the last ``len(normalized_shape)`` axes of each sample:
    :math:`y = (x - \mu)/\sqrt{\sigma^2 + \epsilon}\cdot\gamma + \beta`, with
    the mean and the biased variance over those axes (as :class:`~nnlearn.nn.BatchNorm1d`
    in training, but per sample); ``weight`` :math:`\gamma` and ``bias``
    :math:`\beta` have shape ``normalized_shape``."""
    x = _tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size {list(x.shape)}"
        )
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mean = x.mean(axes, keepdims=True)
    d = x - mean
    y = d * ((d * d).mean(axes, keepdims=True) + eps) ** -0.5
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


__all__ += ["layer_norm"]
