r"""Loss functions, with PyTorch's names and semantics (``torch.nn.functional``).

Every loss takes the network output ``input`` and the ``target`` and returns
the per-sample losses combined by ``reduction``:

``"mean"`` (the default)
    :math:`\frac{1}{N}\sum_i \ell_i`, the average over all elements,
``"sum"``
    :math:`\sum_i \ell_i`,
``"none"``
    the per-element losses :math:`\ell_i`, unreduced.

Each docstring gives the loss and the gradient with respect to the logits or
outputs that the book derives; with ``reduction="mean"`` every gradient is
divided by :math:`N`. The pairs to remember (output activation + loss, whose
gradient with respect to the pre-activation is "prediction minus target"):

===========================================================  ======================================================
output and loss                                              :math:`\partial \ell / \partial z`
===========================================================  ======================================================
identity + squared error (``mse_loss``)                      :math:`2(z - t)` (PyTorch's loss has no ½)
sigmoid + log loss (``binary_cross_entropy_with_logits``)    :math:`\sigma(z) - t`
softmax + cross-entropy (``cross_entropy``)                  :math:`\operatorname{softmax}(z) - \text{onehot}(t)`
===========================================================  ======================================================

All of them stay finite, and raise no floating-point warnings, for logits as
large as :math:`\pm 10^4`. A NaN in the input gives a NaN loss; an empty batch
gives NaN for the mean (as PyTorch). Integer class labels of any integer dtype
(uint8 included) are class indices, on every backend.
"""

from __future__ import annotations

import math

from . import _tensor
from ._tensor import _SELF, Tensor, _result, _ver

__all__ = [
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "log_softmax",
    "softmax",
]

_REDUCTIONS = ("mean", "sum", "none")


def _as_tensor(x, like: Tensor, op: str) -> Tensor:
    """``x`` (a Tensor or anything array-like) as a Tensor on ``like``'s backend."""
    return like._coerce(x, op)


def _check_input(input, op: str) -> Tensor:
    if not isinstance(input, Tensor):
        input = Tensor(input)
    return input


def _grad_enabled() -> bool:
    return _tensor._mode.enabled


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _check_same_shape(input: Tensor, target: Tensor, op: str) -> None:
    if tuple(input._data.shape) != tuple(target._data.shape):
        raise ValueError(
            f"{op}: input has shape {input.shape} and target has shape {target.shape}; "
            "they must be equal. (Broadcasting them, e.g. (N, 1) against (N,), would "
            "compare every prediction with every target: reshape one of them.)"
        )


# --------------------------------------------------------------------------
# Regression
# --------------------------------------------------------------------------

def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    r"""Mean squared error :math:`\frac{1}{N}\sum_i (x_i - t_i)^2`.

    Gradient: :math:`\partial \ell / \partial x_i = \frac{2}{N}(x_i - t_i)`
    (with ``reduction="mean"``). The slides' :math:`\tfrac12\sum` loss, whose
    gradient is :math:`y - d`, is ``0.5 * mse_loss(y, d, reduction="sum")``.

    Note: PyTorch broadcasts ``input`` against a ``target`` of a different
    shape, with a warning; nnlearn raises ``ValueError`` instead, since that
    broadcast is almost always a bug.
    """
    op = "mse_loss"
    _check_reduction(reduction, op)
    input = _check_input(input, op)
    target = _as_tensor(target, input, op)
    _check_same_shape(input, target, op)
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input, target, reduction: str = "mean") -> Tensor:
    r"""Mean absolute error :math:`\frac{1}{N}\sum_i |x_i - t_i|`.

    Gradient: :math:`\partial \ell / \partial x_i = \frac{1}{N}\operatorname{sign}(x_i - t_i)`
    (0 where :math:`x_i = t_i`, as in PyTorch). Shapes must match, as for
    :func:`mse_loss`.
    """
    op = "l1_loss"
    _check_reduction(reduction, op)
    input = _check_input(input, op)
    target = _as_tensor(target, input, op)
    _check_same_shape(input, target, op)
    return _reduce((input - target).abs(), reduction)


# --------------------------------------------------------------------------
# Binary classification
# --------------------------------------------------------------------------

def binary_cross_entropy(input, target, reduction: str = "mean") -> Tensor:
    r"""Log loss of probabilities :math:`p \in [0, 1]` against targets :math:`t \in [0, 1]`:

    .. math::

        \ell_i = -\bigl(t_i \ln p_i + (1 - t_i) \ln(1 - p_i)\bigr).

    Each logarithm is clamped at :math:`-100`, as PyTorch does, so
    :math:`p = 0` or :math:`1` gives a loss of at most 100 instead of
    :math:`\infty`. The gradient is PyTorch's (one node):

    .. math::

        \frac{\partial \ell_i}{\partial p_i}
          = \frac{p_i - t_i}{\max\bigl(p_i(1 - p_i),\ 10^{-12}\bigr)},

    so at :math:`p \in \{0, 1\}` it is large (up to :math:`10^{12}`), not 0;
    composed with :math:`p = \sigma(z)` it becomes :math:`\sigma(z) - t`, which
    :func:`binary_cross_entropy_with_logits` computes directly and stably.
    With respect to the target it is :math:`\ln(1-p_i) - \ln p_i` (clamped logs).

    Raises ``ValueError`` when an input lies outside :math:`[0, 1]` (raw scores
    belong in :func:`binary_cross_entropy_with_logits`). A NaN probability
    gives a NaN loss.
    """
    op = "binary_cross_entropy"
    _check_reduction(reduction, op)
    input = _check_input(input, op)
    target = _as_tensor(target, input, op)
    _check_same_shape(input, target, op)
    xp = input.xp
    p, t = input._data, target._data
    if math.prod(p.shape) and (bool(xp.any(p < 0)) or bool(xp.any(p > 1))):
        raise ValueError(
            f"{op}: input must hold probabilities in [0, 1], got values from "
            f"{float(xp.min(p)):.4g} to {float(xp.max(p)):.4g}. If these are raw scores "
            "(logits), use binary_cross_entropy_with_logits, which applies the sigmoid itself."
        )
    if t.dtype != p.dtype and not target.requires_grad:  # 0/1 labels of any dtype (bool too)
        t = xp.astype(t, p.dtype)
    if math.prod(t.shape) and (bool(xp.any(t < 0)) or bool(xp.any(t > 1))):
        raise ValueError(f"{op}: all elements of target should be between 0 and 1, got values from "
                         f"{float(xp.min(t)):.4g} to {float(xp.max(t)):.4g}")
    log_p, log_q = _clamped_log(p, xp), _clamped_log(1 - p, xp)
    losses = -(t * log_p + (1 - t) * log_q)
    ri, rt = input.requires_grad, target.requires_grad
    out = _result(losses, input.backend, xp, op, (input, target), _grad_enabled() and (ri or rt))
    if out.requires_grad:
        out._saved = (input, _ver(input), target, _ver(target))

        def _backward(g):
            if ri:
                input._accumulate(g * (p - t) / xp.maximum(p * (1 - p), 1e-12), True)
            if rt:
                target._accumulate(g * (log_q - log_p), True)

        out._backward = _backward
    return _reduce(out, reduction)


def _clamped_log(p, xp):
    r""":math:`\max(\ln p, -100)`, computed without ever taking :math:`\ln 0`
    (NumPy would warn); NaN stays NaN."""
    usable = (p > 0) | (p != p)
    return xp.maximum(xp.where(usable, xp.log(xp.where(usable, p, 1)), -100.0), -100.0)


def binary_cross_entropy_with_logits(input, target, reduction: str = "mean") -> Tensor:
    r"""Log loss of logits :math:`z` (sigmoid and log loss in one, stably).

    .. math::

        \ell_i = -\bigl(t_i \ln \sigma(z_i) + (1 - t_i)\ln(1 - \sigma(z_i))\bigr)
               = (1 - t_i)\,z_i + \operatorname{softplus}(-z_i),

    PyTorch's form: it never overflows, and it does not cancel for large
    logits with soft targets (:math:`\operatorname{softplus}(z) - z t`, the
    same value on paper, loses every digit at :math:`z = 10^{20}` with
    :math:`t` just below 1). Gradient:
    :math:`\partial \ell_i / \partial z_i = \sigma(z_i) - t_i`.
    """
    op = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, op)
    input = _check_input(input, op)
    target = _as_tensor(target, input, op)
    _check_same_shape(input, target, op)
    return _reduce((1 - target) * input + (-input).softplus(), reduction)


# --------------------------------------------------------------------------
# Multi-class classification
# --------------------------------------------------------------------------

def log_softmax(input, axis: int = -1, *, dim: int | None = None) -> Tensor:
    r""":math:`\ln \operatorname{softmax}(z)_k = z_k - \ln\sum_j e^{z_j}`, along ``axis``.

    Computed as :math:`(z_k - m) - \ln\sum_j e^{z_j - m}` with
    :math:`m = \max_j z_j`, so no exponential overflows. With :math:`y` the
    output and :math:`p = e^y` the softmax, the gradient is

    .. math::

        \bar{z}_k = \bar{y}_k - p_k \textstyle\sum_j \bar{y}_j .

    ``dim`` is PyTorch's name for ``axis`` (PyTorch requires it; nnlearn
    defaults to the last axis).
    """
    if dim is not None:
        axis = dim
    input = _check_input(input, "log_softmax")
    xp = input.xp
    z = input._data
    if z.ndim == 0:
        raise ValueError("log_softmax: input must have at least one dimension")
    if not isinstance(axis, int) or isinstance(axis, bool) or not -z.ndim <= axis < z.ndim:
        raise IndexError(f"log_softmax: dim {axis!r} is out of range for an input with {z.ndim} "
                         f"dimensions (valid: {-z.ndim} to {z.ndim - 1})")
    s = z - xp.max(z, axis=axis, keepdims=True)
    y = s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))
    out = _result(y, input.backend, xp, "log_softmax", (input,), _grad_enabled() and input.requires_grad)
    if out.requires_grad:
        out._saved = (_SELF, 0)
        def _backward(g):
            input._accumulate(g - xp.exp(y) * xp.sum(g, axis=axis, keepdims=True), True)

        out._backward = _backward
    return out


def softmax(input, axis: int = -1, *, dim: int | None = None) -> Tensor:
    r""":math:`\operatorname{softmax}(z)_k = e^{z_k} / \sum_j e^{z_j}`, as
    ``log_softmax(z).exp()`` (stable; the gradient comes from those two)."""
    return log_softmax(input, axis, dim=dim).exp()


def _check_classes(input: Tensor, target, op: str):
    """The target as an integer array of shape ``input.shape[:1]`` with valid
    class indices; the class axis is 1 (or 0 for one unbatched sample)."""
    x = input._data
    if x.ndim not in (1, 2):
        raise ValueError(
            f"{op}: input must have shape (N, C) (a batch of N rows of C class scores) "
            f"or (C,) (one sample), got {input.ndim} dimensions, shape {input.shape}"
        )
    if isinstance(target, Tensor):
        t = input._coerce(target, op)._data   # (a target on another backend raises here)
    else:
        t = input.backend.asarray(target)
    xp = input.xp
    if t.dtype != xp.int64 and _is_integral(t.dtype, xp):
        t = xp.astype(t, xp.int64)   # uint8 would be a boolean mask to PyTorch's indexing
    if not _is_integral(t.dtype, xp):
        raise TypeError(
            f"{op} expects integer class indices (one per sample, shape {input.shape[:-1]}), "
            f"got a {str(t.dtype).replace('torch.', '')} target of shape {tuple(t.shape)}. "
            "For one-hot or probability targets take target.argmax(axis=1), or compute "
            "-(target * log_softmax(input, axis=1)).sum(axis=1).mean(); for float labels "
            "that hold class numbers, convert them with dtype='int64'. (PyTorch reads a "
            "float target of the input's shape as class probabilities; nnlearn does not.)"
        )
    expected = tuple(x.shape[:-1])
    if tuple(t.shape) != expected:
        raise ValueError(
            f"{op}: input has shape {input.shape} and target has shape {tuple(t.shape)}: "
            f"expected a target of shape {expected}, one class index per "
            f"{'row' if x.ndim == 2 else 'sample'}"
        )
    # Indexing would wrap a negative label around silently, and would report
    # a too-large one in its own words: check both here.
    if t.ndim and t.shape[0] and (int(t.min()) < 0 or int(t.max()) >= x.shape[-1]):
        _raise_class_range(t, x.shape[-1], op)
    elif not t.ndim and not 0 <= int(t) < x.shape[-1]:
        _raise_class_range(t, x.shape[-1], op)
    return t


def _raise_class_range(t, n_classes: int, op: str):
    lo, hi = int(t.min()), int(t.max())
    bad = lo if lo < 0 else hi
    raise ValueError(
        f"{op}: class index {bad} is out of range for {n_classes} classes "
        f"(valid indices: 0 to {n_classes - 1})"
    )


_INTEGRAL = {}


def _is_integral(dtype, xp) -> bool:
    """``xp.isdtype(dtype, "integral")``, remembered per dtype (it is asked on
    every training step)."""
    try:
        return _INTEGRAL[dtype]
    except KeyError:
        _INTEGRAL[dtype] = result = bool(xp.isdtype(dtype, "integral"))
        return result


_ROWS = {}


def _row_indices(x, xp):
    """``arange(n)`` on ``x``'s device, cached: it indexes one entry per row."""
    n = x.shape[0]
    device = getattr(x, "device", None)
    key = (n, str(device), xp.__name__)
    rows = _ROWS.get(key)
    if rows is None:
        rows = xp.arange(n) if device is None else xp.arange(n, device=device)
        if len(_ROWS) > 64:
            _ROWS.clear()
        _ROWS[key] = rows
    return rows


def nll_loss(input, target, reduction: str = "mean") -> Tensor:
    r"""Negative log-likelihood of log-probabilities: :math:`\ell_i = -y_{i, t_i}`.

    ``input`` holds log-probabilities of shape ``(N, C)`` (the output of
    :func:`log_softmax`), ``target`` the class indices of shape ``(N,)``.
    Gradient: :math:`-1` at the target entry of each row, 0 elsewhere (divided
    by :math:`N` for the mean). PyTorch's ``weight`` and ``ignore_index`` are
    not supported.
    """
    op = "nll_loss"
    _check_reduction(reduction, op)
    input = _check_input(input, op)
    t = _check_classes(input, target, op)
    if input.ndim == 1:
        picked = input[t]
    else:
        picked = input[_row_indices(input._data, input.xp), t]
    return _reduce(-picked, reduction)


def cross_entropy(input, target, reduction: str = "mean") -> Tensor:
    r"""Softmax cross-entropy of logits ``input`` (shape ``(N, C)``) against
    integer class indices ``target`` (shape ``(N,)``):

    .. math::

        \ell_i = -\ln \operatorname{softmax}(z_i)_{t_i}
               = \ln \sum_j e^{z_{ij}} - z_{i t_i},

    the same as ``nll_loss(log_softmax(input, axis=1), target)``. The
    log-sum-exp is taken after subtracting each row's maximum, so logits of any
    size are safe. Gradient with respect to the logits, with
    :math:`p_i = \operatorname{softmax}(z_i)`:

    .. math::

        \frac{\partial L}{\partial z_{ij}} = \frac{1}{N}\bigl(p_{ij} - [j = t_i]\bigr)

    for the mean over :math:`N` rows, i.e. :math:`(P - \text{onehot}(t))/N`,
    the "output minus target" delta of the slides.

    This is one node of the graph (faster than the two above for small
    networks). Unlike PyTorch, a float target of the input's shape (class
    probabilities) is rejected, and ``weight``, ``ignore_index`` and
    ``label_smoothing`` are not supported.
    """
    op = "cross_entropy"
    _check_reduction(reduction, op)
    input = _check_input(input, op)
    t = _check_classes(input, target, op)
    xp = input.xp
    z = input._data
    single = z.ndim == 1
    if single:
        z = xp.reshape(z, (1, -1))
        t = xp.reshape(t, (1,))
    n = z.shape[0]
    rows = _row_indices(z, xp)
    s = z - xp.max(z, axis=1, keepdims=True)
    e = xp.exp(s)
    se = e.sum(axis=1, keepdims=True)  # the method is faster than xp.sum
    losses = xp.log(se)[:, 0] - s[rows, t]
    if reduction == "mean":
        data = losses.sum() * (1.0 / n if n else math.nan)   # an empty batch: NaN, as PyTorch
    elif reduction == "sum":
        data = losses.sum()
    else:
        data = losses[0] if single else losses
    out = _result(data, input.backend, xp, "cross_entropy", (input,),
                  _grad_enabled() and input.requires_grad)
    if out.requires_grad:
        out._saved = ()   # (its own arrays, freed after backward)

        def _backward(g):
            d = e / se
            d[rows, t] -= 1
            if reduction == "mean":
                d *= g * (1.0 / n if n else math.nan)
            elif reduction == "sum" or single:
                d *= g
            else:
                d *= xp.reshape(g, (n, 1))
            input._accumulate(xp.reshape(d, input._data.shape) if single else d, True)

        out._backward = _backward
    return out
