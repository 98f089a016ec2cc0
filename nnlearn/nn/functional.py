r"""Operations as functions, with PyTorch's names (``torch.nn.functional``).

Import it as PyTorch code does::

    import nnlearn.nn.functional as F
    loss = F.cross_entropy(model(X), y)

Each function computes with :class:`~nnlearn.Tensor` operations, so its
gradient comes from the derivatives written once in :mod:`nnlearn._tensor`;
the losses themselves are documented in :mod:`nnlearn.losses`.
"""

from .._tensor import linear
from ..losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    log_softmax,
    mse_loss,
    nll_loss,
    softmax,
)

__all__ = [
    "linear",
    "mse_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "log_softmax",
    "softmax",
]


# ---------------------------------------------------------------------------
# Used by the layers of nnlearn.nn.modules (LeakyReLU, GELU, LayerNorm,
# Embedding, L1Loss); written with Tensor operations, so each gradient comes
# from the primitives' derivatives.
# ---------------------------------------------------------------------------

import math as _math

from .._tensor import Tensor as _Tensor
from ..losses import _check_reduction, _reduce


def _t(x):
    return x if isinstance(x, _Tensor) else _Tensor(x)


def leaky_relu(input, negative_slope: float = 0.01):
    r""":math:`\max(x, 0) + a\min(x, 0)` with :math:`a` = ``negative_slope``,
    as ``relu(x) - a relu(-x)`` (derivative 1 for :math:`x > 0`, :math:`a`
    for :math:`x < 0`)."""
    x = _t(input)
    return x.relu() - negative_slope * (-x).relu()


def gelu(input, approximate: str = "none"):
    r"""GELU, :math:`x\,\Phi(x)`; ``approximate="tanh"`` uses
    :math:`\tfrac12 x (1 + \tanh(\sqrt{2/\pi}(x + 0.044715 x^3)))`."""
    x = _t(input)
    if approximate == "tanh":
        inner = _math.sqrt(2 / _math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + inner.tanh())
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return x * _normal_cdf(x)


def _normal_cdf(x):
    r""":math:`\Phi(x) = \tfrac12(1 + \operatorname{erf}(x/\sqrt2))`, whose
    derivative is :math:`\varphi(x) = e^{-x^2/2}/\sqrt{2\pi}`.

    ``erf`` is not a Tensor primitive: the value is computed off the graph and
    the derivative attached as ``(x - x.detach()) * phi`` (zero in value, phi
    in gradient).
    """
    import numpy as np

    from .. import backend

    host = backend.to_numpy(x._data)
    erf = np.vectorize(_math.erf, otypes=[host.dtype])(host / _math.sqrt(2)) if host.size else host
    cdf = x._coerce(0.5 * (1 + erf), "gelu")
    xd = x.detach()
    pdf = (xd * xd * -0.5).exp() * (1 / _math.sqrt(2 * _math.pi))
    return cdf + (x - xd) * pdf


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    r"""Normalize over the last ``len(normalized_shape)`` axes of each sample:
    :math:`y = (x - \mu)/\sqrt{\sigma^2 + \epsilon}\cdot\gamma + \beta`, with
    the biased variance (as BatchNorm in training, but per sample)."""
    x = _t(input)
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


def l1_loss(input, target, reduction: str = "mean"):
    r"""Mean absolute error :math:`\frac1N\sum_i |x_i - y_i|` (``reduction``
    as in :func:`mse_loss`); gradient :math:`\operatorname{sign}(x - y)/N`."""
    _check_reduction(reduction, "l1_loss")
    x = _t(input)
    t = target if isinstance(target, _Tensor) else x._coerce(target, "l1_loss")
    if tuple(x.shape) != tuple(t.shape):
        raise ValueError(f"l1_loss: input has shape {x.shape} and target has shape {t.shape}; "
                         "they must be equal")
    return _reduce((x - t).abs(), reduction)


__all__ += ["leaky_relu", "gelu", "layer_norm", "l1_loss"]
