r"""Initial weights: PyTorch's ``torch.nn.init``, with the derivations.

Every function fills its argument *in place* and returns it, as PyTorch's
functions with a trailing underscore do. The argument is an
:class:`nnlearn.Tensor` (its ``.data`` array is overwritten) or a raw backend
array (a NumPy array or a PyTorch tensor). Random numbers come from
``nnlearn.backend.rng()``, the one NumPy generator behind every backend, are
cast to the array's dtype and copied to its device; so
``nnlearn.manual_seed(0)`` gives the same weights on every backend. (PyTorch's
``generator=`` argument is therefore not offered: seed with
``nnlearn.manual_seed``.)

Why the scale matters
---------------------
For a layer :math:`u_j = \sum_{i=1}^{n_\text{in}} w_{ji} z_i` with independent,
zero-mean weights, independent of the inputs,

.. math::

    \operatorname{Var}(u_j) = n_\text{in} \operatorname{Var}(w)\,
    \mathbb{E}[z_i^2].

Keeping the variance of the signal the same from layer to layer in the
*forward* pass asks for :math:`\operatorname{Var}(w) = 1/n_\text{in}` when
:math:`\mathbb{E}[z^2] = \operatorname{Var}(u)` (identity or tanh near 0:
LeCun's rule) and :math:`\operatorname{Var}(w) = 2/n_\text{in}` after a ReLU,
which zeroes half of its inputs so that
:math:`\mathbb{E}[z^2] = \tfrac12 \operatorname{Var}(u)` (He's rule). In the
*backward* pass the gradient is multiplied by :math:`W^\top`, whose sums run
over :math:`n_\text{out}` terms, so keeping the variance of the gradient asks
for :math:`1/n_\text{out}` instead: that is the choice ``mode="fan_out"``
makes. Glorot and Bengio's compromise averages the two:
:math:`\operatorname{Var}(w) = 2/(n_\text{in} + n_\text{out})`.

``fan_in`` and ``fan_out`` follow PyTorch's layout: a ``Linear`` weight has
shape ``(out_features, in_features)``, so ``fan_in = shape[1]`` and
``fan_out = shape[0]`` (times the receptive-field size for convolution
kernels of more than two dimensions).

.. note::

   **PyTorch's default is not** :math:`\operatorname{Var}(w) = 1/n_\text{in}`.
   ``torch.nn.Linear`` (and ``nnlearn.nn.Linear``) initialize the weight with
   ``kaiming_uniform_(w, a=math.sqrt(5))``: the gain is
   :math:`\sqrt{2/(1+5)} = 1/\sqrt3`, the bound
   :math:`\text{gain}\cdot\sqrt{3/n_\text{in}} = 1/\sqrt{n_\text{in}}`, so
   :math:`w \sim \mathcal{U}(-1/\sqrt{n_\text{in}}, 1/\sqrt{n_\text{in}})` with

   .. math::

       \operatorname{Var}(w) = \frac{(2/\sqrt{n_\text{in}})^2}{12}
       = \frac{1}{3\,n_\text{in}},

   a third of LeCun's variance (:obj:`default_linear_variance`). The bias is
   drawn from the same interval.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend

__all__ = [
    "calculate_gain",
    "zeros_",
    "ones_",
    "constant_",
    "normal_",
    "uniform_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "lecun_uniform_",
    "lecun_normal_",
    "trunc_normal_",
    "orthogonal_",
    "default_linear_variance",
]

_LINEAR_FNS = (
    "linear", "identity", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
)


# --------------------------------------------------------------------------
# Helpers: the array behind a tensor, its shape, filling it in place
# --------------------------------------------------------------------------

def _array(tensor):
    """The backend array behind ``tensor`` (a Tensor or a raw array)."""
    data = getattr(tensor, "_data", None)  # a Tensor's raw array
    if data is None and backend.is_backend_array(tensor):
        return tensor
    if data is None:
        raise TypeError(
            "nnlearn.nn.init expects an nnlearn.Tensor or a backend array "
            f"(NumPy array or PyTorch tensor), got {type(tensor).__name__}."
        )
    backend.backend_of(data)  # raises a clear TypeError for anything else
    return data


def _fill(tensor, values):
    """Copy the NumPy array ``values`` into ``tensor`` in place, on its backend."""
    arr = _array(tensor)
    xp = backend.namespace_of(arr)
    new = xp.asarray(np.asarray(values), dtype=arr.dtype, device=_device(arr))
    arr[...] = new
    bump = getattr(tensor, "_bump_version", None)
    if bump is not None:  # a Tensor changed in place (what a saved graph checks)
        bump()
    return tensor


def _device(arr):
    import array_api_compat

    return array_api_compat.device(arr)


def _shape(tensor):
    return tuple(int(s) for s in _array(tensor).shape)


def _is_empty(tensor, name):
    if 0 in _shape(tensor):
        warnings.warn(f"init.{name}: initializing a zero-element tensor is a no-op", stacklevel=3)
        return True
    return False


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight, as in PyTorch.

    For a weight of shape ``(out_features, in_features, *kernel)``,
    ``fan_in = in_features * prod(kernel)`` and
    ``fan_out = out_features * prod(kernel)``. A ``Linear`` weight of shape
    ``(n_out, n_in)`` has ``fan_in = n_in``.

    Raises
    ------
    ValueError
        For fewer than two dimensions (a bias has no fan-in), as PyTorch does.
    """
    shape = _shape(tensor)
    if len(shape) < 2:
        raise ValueError(
            "fan_in and fan_out cannot be computed for a tensor with fewer than 2 "
            f"dimensions (got shape {shape}). These initializers are for weight "
            "matrices of shape (out_features, in_features); initialize a bias with "
            "uniform_, normal_ or zeros_ instead."
        )
    receptive_field = math.prod(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    """``fan_in`` or ``fan_out`` according to ``mode``, as in PyTorch."""
    if not isinstance(mode, str) or mode.lower() not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} is not supported: use 'fan_in' or 'fan_out'.")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode.lower() == "fan_in" else fan_out


# --------------------------------------------------------------------------
# Gains
# --------------------------------------------------------------------------

def calculate_gain(nonlinearity, param=None):
    r"""The factor by which to scale the standard deviation for ``nonlinearity``.

    ================================================== ========================================================
    nonlinearity                                       gain
    ================================================== ========================================================
    ``linear``, ``identity``, ``conv*``, ``sigmoid``   :math:`1`
    ``tanh``                                           :math:`5/3`
    ``relu``                                           :math:`\sqrt{2}`
    ``leaky_relu``                                     :math:`\sqrt{2/(1 + \text{negative}\_\text{slope}^2)}`
    ``selu``                                           :math:`3/4`
    ================================================== ========================================================

    The ReLU gain :math:`\sqrt2` makes up for the half of the signal a ReLU
    zeroes (He et al., 2015); a leaky ReLU zeroes less of it. The tanh and
    SELU values are empirical choices of PyTorch.

    Parameters
    ----------
    nonlinearity : str
        The name of the function, as in ``torch.nn.functional``.
    param : float, optional
        The negative slope of ``leaky_relu`` (default 0.01).

    Returns
    -------
    float

    Notes
    -----
    nnlearn also accepts ``"identity"`` as a synonym of ``"linear"`` (PyTorch
    does not).

    Examples
    --------
    >>> calculate_gain("leaky_relu", 0.2)  # doctest: +ELLIPSIS
    1.386...
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number.")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}. Use one of "
        "'linear', 'identity', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu' or a conv name."
    )


# --------------------------------------------------------------------------
# Constants and plain distributions
# --------------------------------------------------------------------------

def constant_(tensor, val):
    """Fill ``tensor`` with the value ``val``.

    Example: ``constant_(layer.bias, 0.1)``.
    """
    return _fill(tensor, np.full(_shape(tensor), float(val)))


def zeros_(tensor):
    """Fill ``tensor`` with zeros.

    Zero weights make every hidden unit of a layer compute the same function
    and receive the same gradient, so they stay equal forever (the symmetry
    problem); zeros are fine for biases.

    Example: ``zeros_(layer.bias)``.
    """
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill ``tensor`` with ones.

    Example: ``ones_(batchnorm.weight)``.
    """
    return constant_(tensor, 1.0)


def uniform_(tensor, a=0.0, b=1.0):
    r"""Fill ``tensor`` with draws from :math:`\mathcal{U}(a, b)`.

    The variance of :math:`\mathcal{U}(a, b)` is :math:`(b - a)^2 / 12`.

    Example: ``uniform_(w, -0.1, 0.1)``.
    """
    if not a <= b:
        raise ValueError(f"uniform_: expected a <= b, got a={a}, b={b}.")
    return _fill(tensor, backend.rng().uniform(a, b, size=_shape(tensor)))


def normal_(tensor, mean=0.0, std=1.0):
    r"""Fill ``tensor`` with draws from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    Note the second argument is the standard deviation, as in PyTorch and
    NumPy, not the variance.

    Example: ``normal_(w, std=0.01)`` (LeCun et al.'s "small random weights").
    """
    if std < 0:
        raise ValueError(f"normal_: std must be non-negative, got {std}.")
    return _fill(tensor, backend.rng().normal(mean, std, size=_shape(tensor)))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    r"""Fill ``tensor`` with draws from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`
    truncated to :math:`[a, b]` (the bounds are in the same units as the values,
    as in PyTorch, not in standard deviations).

    Sampled by inverting the CDF, as PyTorch does: with
    :math:`\Phi` the standard normal CDF, :math:`\alpha = \Phi((a-\mu)/\sigma)`
    and :math:`\beta = \Phi((b-\mu)/\sigma)`, draw
    :math:`u \sim \mathcal{U}(\alpha, \beta)` and return
    :math:`\mu + \sigma\,\Phi^{-1}(u)`. The result has a smaller variance than
    :math:`\sigma^2` (about :math:`0.774\,\sigma^2` for the default
    :math:`\pm 2\sigma`), which is why Keras' ``lecun_normal`` rescales it.

    Example: ``trunc_normal_(w, std=0.02)`` (the initialization of ViT and GPT-2).
    """
    from scipy.special import ndtr, ndtri

    if std < 0:
        raise ValueError(f"trunc_normal_: std must be non-negative, got {std}.")
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}.")
    if std == 0:
        return _fill(tensor, np.full(_shape(tensor), min(max(mean, a), b)))
    lo, hi = ndtr((a - mean) / std), ndtr((b - mean) / std)
    u = backend.rng().uniform(lo, hi, size=_shape(tensor))
    return _fill(tensor, np.clip(mean + std * ndtri(u), a, b))


def orthogonal_(tensor, gain=1.0):
    r"""Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain``.

    Saxe, McClelland & Ganguli (2014), *Exact solutions to the nonlinear
    dynamics of learning in deep linear neural networks*, ICLR. The tensor is
    viewed as a matrix of ``shape[0]`` rows (the other dimensions flattened);
    a Gaussian matrix is factored :math:`A = QR` and
    :math:`Q\operatorname{diag}(\operatorname{sign} R_{ii})` kept (the sign fix
    makes :math:`Q` uniformly distributed over orthogonal matrices). Its rows
    (if there are fewer rows than columns) or columns are orthonormal, so
    every singular value is ``gain``: a product of such layers neither grows
    nor shrinks a signal. As ``torch.nn.init.orthogonal_``.

    Example: ``orthogonal_(w)``; ``orthogonal_(w, gain=calculate_gain("relu"))``.
    """
    shape = _shape(tensor)
    if len(shape) < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if math.prod(shape) == 0:
        return tensor
    rows, cols = shape[0], math.prod(shape[1:])
    flat = backend.rng().normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(shape))


# --------------------------------------------------------------------------
# Variance-scaling initializers
# --------------------------------------------------------------------------

def xavier_uniform_(tensor, gain=1.0):
    r"""Glorot (Xavier) uniform initialization.

    Glorot, X. & Bengio, Y. (2010), *Understanding the difficulty of training
    deep feedforward neural networks*, AISTATS. Fills ``tensor`` with draws from
    :math:`\mathcal{U}(-a, a)` where

    .. math::

        a = \text{gain} \times \sqrt{\frac{6}{\text{fan}\_\text{in} + \text{fan}\_\text{out}}},
        \qquad
        \operatorname{Var}(w) = \frac{a^2}{3}
        = \text{gain}^2 \, \frac{2}{\text{fan}\_\text{in} + \text{fan}\_\text{out}}.

    Also known as the "normalized initialization" of the paper. Keeping the
    forward variance asks for :math:`1/\text{fan}\_\text{in}`, keeping the backward
    variance asks for :math:`1/\text{fan}\_\text{out}`; the harmonic mean of the two
    is the compromise.

    Example: ``xavier_uniform_(w, gain=calculate_gain("tanh"))``.
    """
    if _is_empty(tensor, "xavier_uniform_"):
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor, gain=1.0):
    r"""Glorot (Xavier) normal initialization.

    Glorot, X. & Bengio, Y. (2010). Fills ``tensor`` with draws from
    :math:`\mathcal{N}(0, \text{std}^2)` where

    .. math::

        \text{std} = \text{gain} \times \sqrt{\frac{2}{\text{fan}\_\text{in} + \text{fan}\_\text{out}}}.

    The same variance as :obj:`xavier_uniform_`, from a normal distribution.

    Example: ``xavier_normal_(w)``.
    """
    if _is_empty(tensor, "xavier_normal_"):
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    r"""He (Kaiming) uniform initialization.

    He, K., Zhang, X., Ren, S. & Sun, J. (2015), *Delving deep into rectifiers:
    surpassing human-level performance on ImageNet classification*, ICCV.
    Fills ``tensor`` with draws from :math:`\mathcal{U}(-\text{bound}, \text{bound})`
    where

    .. math::

        \text{bound} = \text{gain} \times \sqrt{\frac{3}{\text{fan}\_\text{mode}}},
        \qquad
        \operatorname{Var}(w) = \frac{\text{gain}^2}{\text{fan}\_\text{mode}},

    with :math:`\text{gain} =` ``calculate_gain(nonlinearity, a)``. With
    ``nonlinearity="relu"`` this is :math:`\operatorname{Var}(w) = 2/\text{fan}\_\text{in}`.

    Parameters
    ----------
    tensor : Tensor or array
        A weight of at least two dimensions, ``(out_features, in_features, ...)``.
    a : float
        The negative slope of the leaky ReLU after this layer (only used with
        ``nonlinearity="leaky_relu"``).
    mode : {"fan_in", "fan_out"}
        ``"fan_in"`` keeps the variance of the activations in the forward pass,
        ``"fan_out"`` the variance of the gradients in the backward pass.
    nonlinearity : str
        See :obj:`calculate_gain`; meant for ``"relu"`` and ``"leaky_relu"``.

    Notes
    -----
    ``nn.Linear``'s default initialization, in PyTorch and in nnlearn, is
    ``kaiming_uniform_(w, a=math.sqrt(5))``: bound :math:`1/\sqrt{\text{fan}\_\text{in}}`,
    variance :math:`1/(3\,\text{fan}\_\text{in})` (see :obj:`default_linear_variance`),
    not the :math:`1/\text{fan}\_\text{in}` that is sometimes quoted as PyTorch's default.

    Example: ``kaiming_uniform_(w, nonlinearity="relu")``.
    """
    if _is_empty(tensor, "kaiming_uniform_"):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    r"""He (Kaiming) normal initialization.

    He, K. et al. (2015). Fills ``tensor`` with draws from
    :math:`\mathcal{N}(0, \text{std}^2)` where

    .. math::

        \text{std} = \frac{\text{gain}}{\sqrt{\text{fan}\_\text{mode}}}.

    With ``nonlinearity="relu"``, :math:`\operatorname{Var}(w) = 2/\text{fan}\_\text{in}`:
    a ReLU zeroes half of its inputs, so
    :math:`\mathbb{E}[z^2] = \tfrac12\operatorname{Var}(u)` and the factor 2
    restores the variance. Arguments as in :obj:`kaiming_uniform_`.

    Example: ``kaiming_normal_(w, mode="fan_out", nonlinearity="relu")``.
    """
    if _is_empty(tensor, "kaiming_normal_"):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return normal_(tensor, 0.0, gain / math.sqrt(fan))


def lecun_normal_(tensor):
    r"""LeCun normal initialization: :math:`w \sim \mathcal{N}(0, 1/\text{fan}\_\text{in})`.

    LeCun, Y., Bottou, L., Orr, G. & Müller, K.-R. (1998), *Efficient
    BackProp*, in *Neural Networks: Tricks of the Trade*: draw weights with
    standard deviation :math:`\text{fan}\_\text{in}^{-1/2}`, so that a unit with
    unit-variance inputs has unit-variance pre-activation,

    .. math::

        \text{std} = \frac{1}{\sqrt{\text{fan}\_\text{in}}},\qquad
        \operatorname{Var}(w) = \frac{1}{\text{fan}\_\text{in}}.

    Notes
    -----
    Not in ``torch.nn.init``; in PyTorch write
    ``kaiming_normal_(w, nonlinearity="linear")``, which is the same
    distribution. Keras and JAX's ``lecun_normal`` draw from a *truncated*
    normal rescaled to this variance; nnlearn uses the plain normal.

    Example: ``lecun_normal_(w)``.
    """
    return kaiming_normal_(tensor, mode="fan_in", nonlinearity="linear")


def lecun_uniform_(tensor):
    r"""LeCun uniform initialization: variance :math:`1/\text{fan}\_\text{in}` from a uniform.

    LeCun et al. (1998). Draws from :math:`\mathcal{U}(-a, a)` with

    .. math::

        a = \sqrt{\frac{3}{\text{fan}\_\text{in}}},\qquad
        \operatorname{Var}(w) = \frac{a^2}{3} = \frac{1}{\text{fan}\_\text{in}}.

    Notes
    -----
    Not in ``torch.nn.init``; in PyTorch write
    ``kaiming_uniform_(w, nonlinearity="linear")``.

    Example: ``lecun_uniform_(w)``.
    """
    return kaiming_uniform_(tensor, mode="fan_in", nonlinearity="linear")


def default_linear_variance(fan_in):
    r"""The variance of ``nn.Linear``'s default weights: :math:`1/(3\,\text{fan}\_\text{in})`.

    PyTorch (and nnlearn) draw a ``Linear`` weight from
    :math:`\mathcal{U}(-1/\sqrt{\text{fan}\_\text{in}}, 1/\sqrt{\text{fan}\_\text{in}})`
    (``kaiming_uniform_(w, a=math.sqrt(5))``), whose variance is
    :math:`(2/\sqrt{\text{fan}\_\text{in}})^2/12 = 1/(3\,\text{fan}\_\text{in})`. It is *not*
    LeCun's :math:`1/\text{fan}\_\text{in}`.

    Example: ``default_linear_variance(100)`` is ``1/300``.
    """
    if fan_in <= 0:
        raise ValueError(f"default_linear_variance: fan_in must be positive, got {fan_in}.")
    return 1.0 / (3.0 * fan_in)
