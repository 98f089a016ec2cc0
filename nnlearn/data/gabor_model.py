r"""The Gabor model: a two-parameter model with a loss surface full of local minima.

Prince (*Understanding Deep Learning*, 2023, chapter 6) fits the model

.. math::

    f[x, \boldsymbol\phi] = \sin(\phi_0 + 0.06\,\phi_1 x)\,
    \exp\!\left(-\frac{(\phi_0 + 0.06\,\phi_1 x)^2}{32}\right)

to noisy samples of itself. It has only two parameters, so its loss
:math:`L(\phi_0, \phi_1)` can be drawn as a picture, and that picture has one
global minimum and several local ones: the smallest example on which
gradient descent visibly gets stuck and stochastic gradient descent sometimes
does not.

Every function here takes the parameters as ``phi`` with a leading axis of
length 2, :math:`(\phi_0, \phi_1)`: either a pair of numbers or a pair of grids
(``phi`` of shape ``(2, ...)``, or a tuple ``(phi0, phi1)`` of arrays that
broadcast together, such as the output of ``numpy.meshgrid``). The grid axes
come first in every result, the data axes last, so one call evaluates the loss
over a whole grid of :math:`\boldsymbol\phi`.

The functions work on the arrays of any nnlearn backend (NumPy arrays or
PyTorch tensors): their namespace is taken from the inputs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import backend
from ._checks import finite_numbers, float_namespace, generator, non_negative, positive_int

__all__ = [
    "gabor",
    "gabor_grad",
    "gabor_loss",
    "gabor_loss_grad",
    "gabor_data",
    "gabor_loss_surface",
    "GaborSurface",
    "GABOR_PHI",
]

#: The true parameters :math:`(\phi_0, \phi_1)` that ``gabor_data`` samples from.
GABOR_PHI = (0.5, 15.0)

_SLOPE = 0.06   # the 0.06 in 0.06·φ1·x
_WIDTH = 32.0   # the 32 in exp(-u²/32)


def _parts(phi, x, where):
    """(xp, φ0, φ1, x) with φ0 and φ1 shaped ``grid + (1,) * x.ndim`` so that
    they broadcast against ``x``."""
    if isinstance(phi, (tuple, list)):
        if len(phi) != 2:
            raise ValueError(
                f"{where}: phi must hold the two parameters (phi0, phi1), got {len(phi)} values."
            )
        xp, (p0, p1, x) = float_namespace(phi[0], phi[1], x, where=where)
        p0, p1 = xp.broadcast_arrays(p0, p1)
    else:
        xp, (phi, x) = float_namespace(phi, x, where=where)
        if phi.ndim == 0 or phi.shape[0] != 2:
            raise ValueError(
                f"{where}: phi must have shape (2,) or (2, ...), the pair (phi0, phi1) "
                f"or a pair of grids, got shape {tuple(phi.shape)}."
            )
        p0, p1 = phi[0, ...], phi[1, ...]
    tail = (1,) * x.ndim
    return xp, xp.reshape(p0, tuple(p0.shape) + tail), xp.reshape(p1, tuple(p1.shape) + tail), x


def gabor(x, phi):
    r"""The Gabor model :math:`f[x, \boldsymbol\phi]` at every ``x``, for one or a grid of ``phi``.

    .. math::

        u = \phi_0 + 0.06\,\phi_1 x, \qquad f[x, \boldsymbol\phi] = \sin(u)\, e^{-u^2/32}.

    Parameters
    ----------
    x : array_like
        Inputs, any shape (a column ``(n, 1)`` of a data set is fine).
    phi : array_like of shape ``(2,)`` or ``(2, ...)``, or a tuple ``(phi0, phi1)``
        The parameters :math:`(\phi_0, \phi_1)`, or grids of them.

    Returns
    -------
    array of shape ``phi.shape[1:] + x.shape``
        The model's output for every parameter on the grid (first axes) and every
        input (last axes).

    Examples
    --------
    >>> round(float(gabor(0.0, (1.0, 10.0))), 4)   # sin(1) exp(-1/32)
    0.8156
    """
    xp, p0, p1, x = _parts(phi, x, "gabor")
    u = p0 + _SLOPE * p1 * x
    return xp.sin(u) * xp.exp(-u**2 / _WIDTH)


def gabor_grad(x, phi):
    r"""The gradient :math:`\partial f / \partial \boldsymbol\phi` of the Gabor model, derived by hand.

    Write :math:`u = \phi_0 + 0.06\,\phi_1 x` and :math:`g(u) = \sin(u)\,e^{-u^2/32}`,
    so :math:`f = g(u)`. The product rule gives

    .. math::

        g'(u) = \cos(u)\,e^{-u^2/32} + \sin(u)\,e^{-u^2/32}\cdot\left(-\frac{2u}{32}\right)
              = e^{-u^2/32}\left(\cos u - \frac{u}{16}\sin u\right),

    and since :math:`\partial u/\partial\phi_0 = 1` and
    :math:`\partial u/\partial\phi_1 = 0.06\,x`, the chain rule gives

    .. math::

        \frac{\partial f}{\partial \phi_0} = g'(u), \qquad
        \frac{\partial f}{\partial \phi_1} = 0.06\,x\,g'(u).

    Parameters
    ----------
    x, phi
        As for ``gabor``.

    Returns
    -------
    array of shape ``(2,) + phi.shape[1:] + x.shape``
        ``[0]`` is :math:`\partial f/\partial\phi_0`, ``[1]`` is
        :math:`\partial f/\partial\phi_1`.
    """
    xp, p0, p1, x = _parts(phi, x, "gabor_grad")
    u = p0 + _SLOPE * p1 * x
    dg_du = xp.exp(-u**2 / _WIDTH) * (xp.cos(u) - u / 16.0 * xp.sin(u))
    return xp.stack([dg_du, dg_du * _SLOPE * x])


def _flat_data(x, y, where):
    xp, (x, y) = float_namespace(x, y, where=where)
    x, y = xp.reshape(x, (-1,)), xp.reshape(y, (-1,))
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{where}: x has {x.shape[0]} values but y has {y.shape[0]}; "
            "give one target y per input x."
        )
    if x.shape[0] == 0:
        raise ValueError(f"{where}: x and y are empty; the loss needs at least one point.")
    return xp, x, y


def gabor_loss(phi, x, y):
    r"""The least-squares loss of the Gabor model, the *mean* over the data points.

    .. math::

        L(\boldsymbol\phi) = \frac{1}{N}\sum_{i=1}^{N}\bigl(f[x_i, \boldsymbol\phi] - y_i\bigr)^2

    This is ``mse_loss`` with its default ``reduction="mean"``. Prince sums over the
    points instead of averaging; the surface has the same shape and the same
    minima, only its values (and so the step a given learning rate takes) are
    :math:`N` times smaller here.

    Parameters
    ----------
    phi : array_like of shape ``(2,)`` or ``(2, ...)``, or a tuple ``(phi0, phi1)``
        One parameter pair or a grid of them.
    x, y : array_like
        The training inputs and targets, ``N`` of each (any shapes with ``N``
        elements, e.g. the ``(N, 1)`` columns ``gabor_data`` returns).

    Returns
    -------
    array of shape ``phi.shape[1:]``
        The loss at every parameter of the grid (a 0-d array for one pair).
    """
    xp, x, y = _flat_data(x, y, "gabor_loss")
    residual = gabor(x, phi) - y
    return xp.mean(residual**2, axis=-1)


def gabor_loss_grad(phi, x, y):
    r"""The gradient of ``gabor_loss`` with respect to :math:`\boldsymbol\phi`.

    Differentiating the mean of squares and using ``gabor_grad``:

    .. math::

        \frac{\partial L}{\partial \phi_k}
        = \frac{2}{N}\sum_{i=1}^{N}\bigl(f[x_i, \boldsymbol\phi] - y_i\bigr)
          \frac{\partial f[x_i, \boldsymbol\phi]}{\partial \phi_k}, \qquad k = 0, 1.

    Returns
    -------
    array of shape ``(2,) + phi.shape[1:]``
        ``[0]`` is :math:`\partial L/\partial\phi_0`, ``[1]`` is
        :math:`\partial L/\partial\phi_1`. With ``phi`` the ``.data`` of a
        parameter, the result can be assigned to its ``.grad`` and handed to any
        ``nnlearn.optim`` optimizer.
    """
    xp, x, y = _flat_data(x, y, "gabor_loss_grad")
    residual = gabor(x, phi) - y
    return 2.0 * xp.mean(residual * gabor_grad(x, phi), axis=-1)


def gabor_data(n=30, phi=GABOR_PHI, noise=0.1, seed=0):
    r"""Training data for the Gabor model: ``n`` noisy samples of :math:`f[x, \boldsymbol\phi]`.

    .. math::

        x_i \sim \mathcal U[-15, 15], \qquad
        y_i = f[x_i, \boldsymbol\phi] + \varepsilon_i, \quad
        \varepsilon_i \sim \mathcal N(0, \sigma^2),\ \sigma = \texttt{noise}.

    With the defaults (:math:`\boldsymbol\phi = (0.5, 15)`, :math:`\sigma = 0.1`,
    ``seed=0``) the mean squared loss over :math:`\phi_0 \in [-10, 10]`,
    :math:`\phi_1 \in [2.5, 22.5]` has its global minimum at about
    :math:`(0.52, 15.00)` (loss 0.0095, close to :math:`\sigma^2`) and local
    minima at about :math:`(-5.70, 14.96)` (loss 0.115) and :math:`(6.43, 15.02)`
    (loss 0.126), where the model's central bump sits on a neighbouring peak of
    the data, plus shallower ones at smaller :math:`\phi_1`.

    Parameters
    ----------
    n : int
        Number of points.
    phi : pair of float
        The true :math:`(\phi_0, \phi_1)`.
    noise : float
        Standard deviation :math:`\sigma` of the Gaussian noise added to ``y``.
    seed : int or None
        Seed of ``numpy.random.default_rng``; ``None`` draws from nnlearn's
        generator.

    Returns
    -------
    X : ndarray of shape ``(n, 1)``, float64
    y : ndarray of shape ``(n, 1)``, float64
    """
    n = positive_int(n, "n", "gabor_data")
    noise = non_negative(noise, "noise", "gabor_data")
    rng = generator(seed, "gabor_data")
    x = rng.uniform(-15.0, 15.0, size=n)
    phi = finite_numbers(phi, "phi", "gabor_data", length=2)
    y = np.asarray(gabor(x, tuple(float(p) for p in phi))) + noise * rng.standard_normal(n)
    return x.reshape(n, 1), y.reshape(n, 1)


class GaborSurface(NamedTuple):
    """The loss over a grid of parameters, ready for ``plt.contourf(*surface)``."""

    phi0: np.ndarray
    phi1: np.ndarray
    loss: np.ndarray


def gabor_loss_surface(x, y, phi0_range=(-10.0, 10.0), phi1_range=(2.5, 22.5), num=201):
    r"""The loss ``gabor_loss`` on a regular grid of :math:`(\phi_0, \phi_1)`.

    Returns
    -------
    GaborSurface
        ``(phi0, phi1, loss)``, three NumPy arrays of shape ``(num, num)`` from
        ``numpy.meshgrid`` (``phi0`` varies along columns, ``phi1`` along rows),
        so ``plt.contourf(*surface)`` draws it with :math:`\phi_0` horizontal.
    """
    num = positive_int(num, "num", "gabor_loss_surface", minimum=2)
    phi0_range = finite_numbers(phi0_range, "phi0_range", "gabor_loss_surface", length=2)
    phi1_range = finite_numbers(phi1_range, "phi1_range", "gabor_loss_surface", length=2)
    P0, P1 = np.meshgrid(np.linspace(*phi0_range, num), np.linspace(*phi1_range, num))
    x, y = backend.to_numpy(x), backend.to_numpy(y)
    return GaborSurface(P0, P1, np.asarray(gabor_loss((P0, P1), x, y)))
