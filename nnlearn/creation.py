r"""Making tensors, with PyTorch's names and signatures (``torch.tensor``,
``torch.zeros``, ``torch.randn``, ...).

Three ways to turn data into a tensor, as in PyTorch:

======================  ==============================================
``tensor(data)``        always a *copy*: later changes to ``data`` do not reach the tensor
``as_tensor(data)``     shares memory with an array of the same backend and dtype
``from_numpy(array)``   shares memory with the NumPy array (on the CPU)
======================  ==============================================

The sizes of the constructors are given as separate ints, one tuple or
PyTorch's keyword (``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``); every one takes ``dtype=``,
``device=`` and ``requires_grad=``. ``device`` is a backend name
(``"numpy"``, ``"torch"``, ``"cuda"``) or PyTorch's ``"cpu"``/``"cuda"``
(``nnlearn.backend.backend_for_device``); by default the current
backend.

Note: nnlearn's default float dtype is float64 (PyTorch's is float32); the
float constructors follow :func:`nnlearn.backend.get_default_dtype`.

Random tensors are drawn from nnlearn's single NumPy generator
(:func:`nnlearn.backend.manual_seed`) and copied to the backend, so a seed gives
the same numbers on every backend (not the numbers PyTorch would draw).

>>> import nnlearn
>>> nnlearn.zeros(2, 3).shape
(2, 3)
>>> nnlearn.arange(4)
Tensor([0, 1, 2, 3], dtype=int64)
"""

from __future__ import annotations

import numpy as np  # host-side values; copied to the backend

from . import backend as _backend
from ._tensor import Tensor, _backend_dtype, _result, _sizes

__all__ = [
    "tensor", "as_tensor", "from_numpy",
    "zeros", "ones", "full", "empty", "eye", "arange", "linspace",
    "rand", "randn", "randint", "randperm", "normal",
    "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like",
]


def _size(size, op: str, kw=None) -> tuple:
    """Sizes (positional, or ``size=``) as a tuple of non-negative ints (torch: "negative dimension")."""
    sizes = _sizes(size, op, kw)
    for n in sizes:
        if n < 0:
            raise ValueError(f"{op}: trying to create a tensor with negative dimension {n}: "
                             f"{list(sizes)}; sizes must be >= 0")
    return sizes


def _count(n, name: str, op: str) -> int:
    """A non-negative int argument (a length, a number of rows)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be an int, got {type(n).__name__} {n!r}")
    if n < 0:
        raise ValueError(f"{op}: {name} must be >= 0, got {n}")
    return int(n)


def _float_dtype(dtype, op: str) -> None:
    """Random floats cannot be drawn in an integer dtype (torch: "not implemented for 'Long'")."""
    if dtype is not None and not _backend.dtype_of(dtype).is_floating_point:
        raise TypeError(f"{op}: dtype must be a floating-point dtype, got {dtype}; "
                        "draw floats and round them, or use randint for integers")


def _check_int_cast(data, dtype, op: str) -> None:
    """Converting to an integer dtype must not wrap around or turn NaN into a number
    (torch: "value cannot be converted to type int64 without overflow")."""
    if dtype is None:
        return
    target = _backend.dtype_of(dtype)
    if target.is_floating_point or target.name == "bool":
        return
    try:
        src = np.asarray(data if isinstance(data, np.ndarray) or not hasattr(data, "shape")
                         else _backend.to_numpy(data))
    except Exception:  # noqa: BLE001 - the conversion itself reports odd data
        return
    if src.dtype.kind not in "biuf" or src.size == 0:
        return
    info = np.iinfo(target.name)
    bad = ~np.isfinite(src) if src.dtype.kind == "f" else np.zeros(src.shape, bool)
    with np.errstate(invalid="ignore"):
        bad |= (src < info.min) | (src > info.max)
    if bad.any():
        v = src[bad].flat[0]
        raise ValueError(f"{op}: value {v.item()} cannot be converted to type {target.name} without "
                         f"overflow (its range is {info.min} to {info.max}; NaN and inf have no "
                         "integer value)")


def _finish(arr, b, requires_grad: bool) -> Tensor:
    out = _result(arr, b, b.xp, "", (), False)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _host_to(values: np.ndarray, dtype, device, requires_grad, default=None) -> Tensor:
    """A NumPy array as a new tensor of ``dtype`` on ``device``."""
    b = _backend.backend_for_device(device)
    dt = _backend_dtype(dtype, b) if dtype is not None else (default or b.dtype)
    return _finish(b.asarray(values, dtype=dt, copy=True), b, requires_grad)


# --------------------------------------------------------------------------
# From data
# --------------------------------------------------------------------------

def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a *copy* of ``data`` (as ``torch.tensor``).

    ``data`` may be a number, nested lists, an array of any backend or a
    Tensor. Arrays keep their dtype (float32 stays float32); Python floats
    become the default float dtype (float64 unless changed; PyTorch: float32),
    Python ints int64. ``None``, complex numbers and strings raise.
    """
    if isinstance(data, Tensor):
        data = data._data
    b = _backend.backend_for_device(device)
    _check_int_cast(data, dtype, "tensor")
    arr = b.asarray(data, _backend_dtype(dtype, b), copy=True)
    return _finish(arr, b, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, *sharing memory* when it already is an array of
    the target backend and dtype (as ``torch.as_tensor``): then an in-place
    change of one shows in the other. A Tensor of the right dtype and backend
    is returned as it is."""
    b = _backend.backend_for_device(device)
    if isinstance(data, Tensor):
        if data.backend.name == b.name and (dtype is None or data.dtype == dtype):
            return data
        return data.to(b.name if device is not None else data.backend.name, dtype=dtype)
    arr = b.asarray(data, _backend_dtype(dtype, b))
    return _result(arr, b, b.xp, "", (), False)


def from_numpy(ndarray) -> Tensor:
    """A tensor that *shares memory* with the NumPy array ``ndarray`` (as
    ``torch.from_numpy``): changing one changes the other. On a GPU backend the
    values must be copied to the device, so nothing is shared there."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(ndarray).__name__}")
    b = _backend.current()
    return _result(b.asarray(ndarray), b, b.xp, "", (), False)


# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------

def zeros(*size, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:
    """A tensor of zeros of shape ``size`` (default float dtype)."""
    return _host_to(np.zeros(_size(size, "zeros", kw)), dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:
    """A tensor of ones of shape ``size`` (default float dtype)."""
    return _host_to(np.ones(_size(size, "ones", kw)), dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:
    """A tensor of shape ``size``. Note: nnlearn fills it with zeros (PyTorch
    leaves the memory uninitialized, so never read it before writing)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad, **kw)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``; its dtype follows
    the value as in PyTorch (a float: the default float dtype; an int: int64;
    a bool: bool) unless ``dtype`` is given."""
    size = _size((size,) if isinstance(size, int) else (size,), "full")
    b = _backend.backend_for_device(device)
    default = b.xp.bool if isinstance(fill_value, bool) else \
        b.xp.int64 if isinstance(fill_value, int) else b.dtype
    return _host_to(np.full(size, fill_value), dtype, device, requires_grad, default)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The ``n × m`` identity matrix (``m = n`` by default)."""
    n = _count(n, "n", "eye")
    m = n if m is None else _count(m, "m", "eye")
    return _host_to(np.eye(n, n if m is None else m), dtype, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``[start, start + step, ...)`` up to (not including) ``end``, as
    ``torch.arange``: ``arange(5)`` is ``0..4``. Integers give int64, any
    float the default float dtype."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    for name, v in (("start", start), ("end", end), ("step", step)):
        if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool):
            raise TypeError(f"arange: {name} must be a number, got {type(v).__name__} {v!r}")
        if not np.isfinite(v):
            raise ValueError(f"arange: {name} must be finite, got {v}")
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: upper bound and lower bound inconsistent with step sign "
                         f"(start={start}, end={end}, step={step}); for a decreasing range give "
                         "a negative step")
    values = np.arange(start, end, step)
    b = _backend.backend_for_device(device)
    is_int = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end, step))
    return _host_to(values, dtype, device, requires_grad, b.xp.int64 if is_int else b.dtype)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    return _host_to(np.linspace(float(start), float(end), steps), dtype, device, requires_grad)


# --------------------------------------------------------------------------
# Random
# --------------------------------------------------------------------------

def rand(*size, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:
    """Uniform random numbers on :math:`[0, 1)` of shape ``size``."""
    _float_dtype(dtype, "rand")
    return _host_to(_backend.rng().random(_size(size, "rand", kw)), dtype, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:
    """Standard normal random numbers :math:`\\mathcal{N}(0, 1)` of shape ``size``."""
    _float_dtype(dtype, "randn")
    return _host_to(_backend.rng().standard_normal(_size(size, "randn", kw)), dtype, device, requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Random integers in ``[low, high)`` (``randint(high, size)`` starts at 0),
    of shape ``size`` (int64)."""
    if high is None or isinstance(high, (tuple, list)):
        low, high, size = 0, low, size if high is None else high
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"randint: {name} must be an int, got {type(v).__name__} {v!r}")
    if low >= high:
        raise ValueError(f"randint: low must be smaller than high (the range is [low, high)), "
                         f"got low={low}, high={high}")
    size = _size(size, "randint")
    b = _backend.backend_for_device(device)
    values = _backend.rng().integers(low, high, size=tuple(size))
    return _host_to(values, dtype, device, requires_grad, b.xp.int64)


def randperm(n: int, dtype=None, device=None) -> Tensor:
    """A random permutation of ``0..n-1`` (int64)."""
    n = _count(n, "n", "randperm")
    b = _backend.backend_for_device(device)
    return _host_to(_backend.rng().permutation(n), dtype, device, False, b.xp.int64)


def normal(mean=0.0, std=1.0, size=None, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    r"""Normal random numbers :math:`\mathcal{N}(\text{mean}, \text{std}^2)`, as
    ``torch.normal``: ``normal(0, 0.01, size=(2, 1))`` with numbers and a size,
    or ``normal(mean_tensor, std_tensor)`` elementwise (broadcast)."""
    _float_dtype(dtype, "normal")
    s_ = np.asarray(std.detach().numpy() if isinstance(std, Tensor) else std, dtype=float)
    if not (s_ >= 0).all():  # also catches NaN
        raise ValueError(f"normal expects std >= 0.0, but found std {s_[~(s_ >= 0)].flat[0]}")
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = np.asarray(mean, dtype=float)
        s = np.asarray(std, dtype=float)
        like = mean if isinstance(mean, Tensor) else std
        values = _backend.rng().normal(m, s, size=np.broadcast_shapes(m.shape, s.shape))
        return _host_to(values, dtype or like.dtype, device or like.backend, requires_grad)
    if size is None:
        raise TypeError("normal(mean, std) with numbers needs size=, e.g. normal(0, 1, size=(3,))")
    size = _size((size,) if isinstance(size, int) else (size,), "normal")
    return _host_to(_backend.rng().normal(mean, std, size=size), dtype, device, requires_grad)


# --------------------------------------------------------------------------
# Shaped like another tensor
# --------------------------------------------------------------------------

def _like(input, dtype, device):
    t = input if isinstance(input, Tensor) else tensor(input)
    return t.shape, t.dtype if dtype is None else dtype, t.backend if device is None else device


def zeros_like(input, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``input``'s shape, dtype and backend."""
    shape, dtype, device = _like(input, dtype, device)
    return zeros(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones of ``input``'s shape, dtype and backend."""
    shape, dtype, device = _like(input, dtype, device)
    return ones(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """As :func:`zeros_like` (see :func:`empty`)."""
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` in ``input``'s shape, dtype and backend."""
    shape, dtype, device = _like(input, dtype, device)
    return full(shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """:func:`rand` in ``input``'s shape, dtype and backend."""
    shape, dtype, device = _like(input, dtype, device)
    return rand(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """:func:`randn` in ``input``'s shape, dtype and backend."""
    shape, dtype, device = _like(input, dtype, device)
    return randn(shape, dtype=dtype, device=device, requires_grad=requires_grad)

