r"""Batch normalization with its backward pass derived by hand (no autodiff).

Ioffe & Szegedy (2015), Algorithm 1, for one feature over a batch of
:math:`N` values :math:`x_1, \dots, x_N` (the paper writes :math:`m` for the
batch size; the book keeps :math:`N`, and writes :math:`\mu_B, \sigma_B^2` for
the batch's mean and variance so that :math:`\sigma` alone stays the sigmoid):

.. math::

    \mu_B = \frac1N \sum_{i=1}^N x_i, \qquad
    \sigma_B^2 = \frac1N \sum_{i=1}^N (x_i - \mu_B)^2, \qquad
    \hat x_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad
    y_i = \gamma \hat x_i + \beta .

Given :math:`\partial\ell/\partial y_i` from the layer above, the paper's
backward pass applies the chain rule node by node through that little graph
(:math:`\hat x_i` depends on :math:`x_i` directly, through :math:`\mu_B` and
through :math:`\sigma_B^2`; :math:`\sigma_B^2` depends on :math:`\mu_B`):

.. math::

    \begin{aligned}
    \frac{\partial \ell}{\partial \hat x_i} &= \frac{\partial \ell}{\partial y_i}\,\gamma \\
    \frac{\partial \ell}{\partial \sigma_B^2} &= \sum_{i=1}^N \frac{\partial \ell}{\partial \hat x_i}
        \,(x_i - \mu_B)\cdot\Bigl(-\tfrac12\Bigr)(\sigma_B^2 + \epsilon)^{-3/2} \\
    \frac{\partial \ell}{\partial \mu_B} &= \sum_{i=1}^N \frac{\partial \ell}{\partial \hat x_i}
        \,\frac{-1}{\sqrt{\sigma_B^2 + \epsilon}}
        + \frac{\partial \ell}{\partial \sigma_B^2}\,\frac{\sum_{i=1}^N -2(x_i - \mu_B)}{N} \\
    \frac{\partial \ell}{\partial x_i} &= \frac{\partial \ell}{\partial \hat x_i}
        \,\frac{1}{\sqrt{\sigma_B^2 + \epsilon}}
        + \frac{\partial \ell}{\partial \sigma_B^2}\,\frac{2(x_i - \mu_B)}{N}
        + \frac{\partial \ell}{\partial \mu_B}\,\frac1N \\
    \frac{\partial \ell}{\partial \gamma} &= \sum_{i=1}^N \frac{\partial \ell}{\partial y_i}\,\hat x_i,
    \qquad
    \frac{\partial \ell}{\partial \beta} = \sum_{i=1}^N \frac{\partial \ell}{\partial y_i} .
    \end{aligned}

The term :math:`\sum_i -2(x_i - \mu_B)/N` is zero (deviations from the mean
sum to zero), and substituting the rest gives the one-line form used by
:func:`batchnorm_backward_compact`, with :math:`g_i = \partial\ell/\partial y_i`
and :math:`\langle\cdot\rangle` the batch mean:

.. math::

    \frac{\partial \ell}{\partial x_i} = \frac{\gamma}{\sqrt{\sigma_B^2 + \epsilon}}
    \Bigl(g_i - \langle g\rangle - \hat x_i\,\langle g\,\hat x\rangle\Bigr).

Every feature (column) is normalized on its own; inputs of shape
:math:`(N, C)` use the :math:`N` values of a column, inputs of shape
:math:`(N, C, L)` the :math:`NL` values of a channel (``m`` in the code), as
``nnlearn.nn.BatchNorm1d`` and ``torch.nn.BatchNorm1d`` in training mode.

Departure from PyTorch: these functions take :math:`\gamma` and
:math:`\beta` as ``gamma`` and ``beta`` (the module's ``weight`` and ``bias``)
and keep no running statistics: this is the training-mode computation only.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np  # host side only: the arrays handed to and from the libraries

from .. import backend

__all__ = ["BatchNormCache", "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_compact",
           "graph_nodes", "autodiff_gradients", "scalar_graph"]


class BatchNormCache(NamedTuple):
    """What the forward pass keeps for the backward pass.

    ``x`` the input, ``x_hat`` :math:`\\hat x`, ``mu`` :math:`\\mu`, ``var``
    :math:`\\sigma^2` (biased, divided by :math:`m`), ``inv_std``
    :math:`1/\\sqrt{\\sigma^2+\\epsilon}` (``mu``, ``var`` and ``inv_std`` keep
    the reduced axes, shape :math:`(1, C)` or :math:`(1, C, 1)`), ``gamma``
    reshaped likewise, ``eps``, ``axes`` (the batch axes) and ``m`` (values
    per feature).
    """

    x: Any
    x_hat: Any
    mu: Any
    var: Any
    inv_std: Any
    gamma: Any
    eps: float
    axes: tuple
    m: int


def _array(a):
    return a._data if type(a).__module__.startswith("nnlearn") and hasattr(a, "_data") else a


def batchnorm_forward(x, gamma, beta, eps: float = 1e-5):
    r"""Training-mode batch normalization :math:`y = \gamma\hat x + \beta`.

    Parameters
    ----------
    x : array, shape (N, C) or (N, C, L)
        An array of the current backend (an nnlearn ``Tensor`` is read through
        its ``.data``; no graph is built).
    gamma, beta : array, shape (C,)
        Scale :math:`\gamma` and shift :math:`\beta`.
    eps : float, default 1e-5
        :math:`\epsilon`, as ``BatchNorm1d``.

    Returns
    -------
    y : array, same shape as ``x``
    cache : BatchNormCache
        For :func:`batchnorm_backward`.
    """
    x, gamma, beta = _array(x), _array(gamma), _array(beta)
    xp = backend.namespace_of(x, gamma, beta)
    if x.ndim not in (2, 3):
        raise ValueError(f"batchnorm_forward: x must have shape (N, C) or (N, C, L), got {tuple(x.shape)}.")
    C = x.shape[1]
    for name, p in (("gamma", gamma), ("beta", beta)):
        if tuple(p.shape) != (C,):
            raise ValueError(f"batchnorm_forward: {name} must have shape ({C},), one entry per "
                             f"feature of x (shape {tuple(x.shape)}); got {tuple(p.shape)}.")
    axes = (0,) if x.ndim == 2 else (0, 2)
    m = x.shape[0] * (1 if x.ndim == 2 else x.shape[2])
    if m < 2:
        raise ValueError(f"batchnorm_forward: each feature needs at least 2 values in the batch, "
                         f"got x of shape {tuple(x.shape)} (a single value has zero variance).")
    pshape = (1, C) if x.ndim == 2 else (1, C, 1)
    mu = xp.mean(x, axis=axes, keepdims=True)                     # μ
    var = xp.mean((x - mu) ** 2, axis=axes, keepdims=True)        # σ² (divide by m)
    inv_std = 1.0 / xp.sqrt(var + eps)                           # 1/√(σ² + ε)
    x_hat = (x - mu) * inv_std                                   # x̂
    g = xp.reshape(gamma, pshape)
    y = g * x_hat + xp.reshape(beta, pshape)                     # y = γ x̂ + β
    return y, BatchNormCache(x, x_hat, mu, var, inv_std, g, float(eps), axes, m)


def _check_grad(grad_out, cache: BatchNormCache, who: str):
    grad_out = _array(grad_out)
    if tuple(grad_out.shape) != tuple(cache.x.shape):
        raise ValueError(f"{who}: grad_out (∂ℓ/∂y) must have the shape of x, "
                         f"{tuple(cache.x.shape)}; got {tuple(grad_out.shape)}.")
    return grad_out


def batchnorm_backward(grad_out, cache: BatchNormCache):
    r"""The backward pass, the paper's formulas line by line (see the module docstring).

    Parameters
    ----------
    grad_out : array, shape of ``x``
        :math:`\partial \ell/\partial y`.
    cache : BatchNormCache
        From :func:`batchnorm_forward`.

    Returns
    -------
    dx : array, shape of ``x``
        :math:`\partial \ell/\partial x`.
    dgamma, dbeta : array, shape (C,)
        :math:`\partial \ell/\partial \gamma`, :math:`\partial \ell/\partial \beta`.
    """
    dy = _check_grad(grad_out, cache, "batchnorm_backward")
    xp = backend.namespace_of(dy, cache.x)
    x, mu, var, eps, m, axes = cache.x, cache.mu, cache.var, cache.eps, cache.m, cache.axes

    def total(a):
        return xp.sum(a, axis=axes, keepdims=True)

    dx_hat = dy * cache.gamma                                                    # ∂ℓ/∂x̂
    dvar = total(dx_hat * (x - mu)) * (-0.5) * (var + eps) ** -1.5               # ∂ℓ/∂σ²
    dmu = total(dx_hat * (-1.0 / xp.sqrt(var + eps))) + dvar * total(-2.0 * (x - mu)) / m   # ∂ℓ/∂μ
    dx = dx_hat / xp.sqrt(var + eps) + dvar * 2.0 * (x - mu) / m + dmu / m       # ∂ℓ/∂x
    dgamma = xp.sum(dy * cache.x_hat, axis=axes)                                 # ∂ℓ/∂γ
    dbeta = xp.sum(dy, axis=axes)                                                # ∂ℓ/∂β
    return dx, dgamma, dbeta


def batchnorm_backward_compact(grad_out, cache: BatchNormCache):
    r"""The same gradients from the simplified form

    .. math::

        \frac{\partial \ell}{\partial x_i} = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}}
        \bigl(g_i - \langle g\rangle - \hat x_i \langle g\,\hat x\rangle\bigr),
        \qquad g_i = \frac{\partial \ell}{\partial y_i},

    where :math:`\langle\cdot\rangle` is the mean over the batch. Returns
    ``(dx, dgamma, dbeta)`` as :func:`batchnorm_backward`.
    """
    g = _check_grad(grad_out, cache, "batchnorm_backward_compact")
    xp = backend.namespace_of(g, cache.x)
    x_hat, axes = cache.x_hat, cache.axes
    mean_g = xp.mean(g, axis=axes, keepdims=True)
    mean_gx = xp.mean(g * x_hat, axis=axes, keepdims=True)
    dx = cache.gamma * cache.inv_std * (g - mean_g - x_hat * mean_gx)
    return dx, xp.sum(g * x_hat, axis=axes), xp.sum(g, axis=axes)


def graph_nodes(output) -> list:
    """The operations autodiff recorded to compute ``output`` (an nnlearn ``Tensor``).

    Returns one ``(op, shape)`` pair per operation node, in evaluation order:
    each is an array that the graph keeps alive until ``backward()`` and a
    ``_backward`` closure that ``backward()`` runs. Leaves (inputs and
    parameters) are not listed. For ``BatchNorm1d`` in training mode this is
    the price of getting the backward pass "for free", to compare with the six
    array expressions of :func:`batchnorm_backward`.
    """
    order, seen, stack = [], set(), [(output, False)]
    while stack:  # iterative depth-first search: operands before results
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node._prev))
    return [(node._op, tuple(node.shape)) for node in order if node._prev]


def autodiff_gradients(x, gamma, beta, grad_out, library: str = "nnlearn"):
    r"""``(∂ℓ/∂x, ∂ℓ/∂γ, ∂ℓ/∂β)`` from a library's ``BatchNorm1d`` in training
    mode and its autodiff, for :math:`\ell = \sum_{i,c} g_{ic}\,y_{ic}` (so that
    :math:`\partial\ell/\partial y = g`, ``grad_out``). NumPy arrays in and out.

    ``library="nnlearn"`` runs ``nnlearn.nn.BatchNorm1d`` on the current
    backend, whose backward pass is autodiff through its forward operations;
    ``"torch"`` runs ``torch.nn.BatchNorm1d`` in float64, whose backward pass
    is a hand-written kernel. Also returns the output tensor, for
    :func:`graph_nodes` or ``grad_fn``: ``(dx, dgamma, dbeta, y)``.
    """
    x, g = np.asarray(x, dtype=float), np.asarray(grad_out, dtype=float)
    C = x.shape[1]
    if library == "nnlearn":
        from .. import nn
        from .._tensor import Tensor

        b = backend.current()
        bn = nn.BatchNorm1d(C)                       # a new module is in training mode
        bn.weight.data = b.asarray(np.asarray(gamma, dtype=float))
        bn.bias.data = b.asarray(np.asarray(beta, dtype=float))
        xt = Tensor(b.asarray(x), requires_grad=True)
        y = bn(xt)
        y.backward(Tensor(b.asarray(g)))
        grads = (xt.grad, bn.weight.grad, bn.bias.grad)
    elif library == "torch":
        import torch

        bn = torch.nn.BatchNorm1d(C, dtype=torch.float64)
        with torch.no_grad():
            bn.weight.copy_(torch.tensor(np.asarray(gamma, dtype=float)))
            bn.bias.copy_(torch.tensor(np.asarray(beta, dtype=float)))
        xt = torch.tensor(x, requires_grad=True)
        y = bn(xt)
        y.backward(torch.tensor(g))
        grads = (xt.grad, bn.weight.grad, bn.bias.grad)
    else:
        raise ValueError(f"autodiff_gradients: library must be 'nnlearn' or 'torch', got {library!r}.")
    return tuple(np.asarray(backend.to_numpy(a), dtype=float) for a in grads) + (y,)


def scalar_graph(x, gamma: float, beta: float, grad_out, eps: float = 1e-5):
    r"""Batch norm of one feature written with scalar ``Value`` s, for drawing.

    Builds :math:`\ell = \sum_i g_i\,(\gamma\hat x_i + \beta)` from the
    :math:`N` numbers ``x`` (keep :math:`N` small, say 3) with every node of
    Algorithm 1 labelled (``x₁``, ``μ_B``, ``σ²_B``, ``x̂₁``, ``y₁``, ...), and
    returns ``(ell, inputs)`` with ``inputs`` the ``Value`` s of :math:`x_i`,
    :math:`\gamma`, :math:`\beta`. ``ell.backward()`` then gives the same
    gradients as :func:`batchnorm_backward`; ``nnlearn.autodiff.draw(ell)``
    shows the fan-out of :math:`\mu_B` and :math:`\sigma_B^2`.
    """
    from ..autodiff import Value

    sub = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    xs = [Value(float(v), label=f"x{str(i).translate(sub)}") for i, v in enumerate(x, 1)]
    N = len(xs)
    g, b = Value(float(gamma), label="γ"), Value(float(beta), label="β")

    def named(v, label):
        v.label = label
        return v

    total = xs[0]
    for v in xs[1:]:
        total = total + v
    mu = named(total / N, "μ_B")
    devs = [named(v - mu, f"x{str(i).translate(sub)} − μ_B") for i, v in enumerate(xs, 1)]
    sq = devs[0] ** 2
    for d in devs[1:]:
        sq = sq + d ** 2
    var = named(sq / N, "σ²_B")
    std = named((var + eps) ** 0.5, "√(σ²_B + ε)")
    ell = None
    for i, (d, gi) in enumerate(zip(devs, grad_out), 1):
        k = str(i).translate(sub)
        y = named(g * named(d / std, f"x̂{k}") + b, f"y{k}")
        term = y * float(gi)
        ell = term if ell is None else ell + term
    return named(ell, "ℓ"), (*xs, g, b)
