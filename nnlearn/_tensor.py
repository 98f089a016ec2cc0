r"""Reverse-mode automatic differentiation over arrays.

:class:`Tensor` is micrograd's ``Value`` scaled up from numbers to arrays. Each
*primitive* operation does three things:

1. compute the output array (kept in the private slot ``out._data``) from its
   inputs' arrays,
2. record the operation's name in ``out._op`` and its inputs in ``out._prev``
   (that is all a graph drawing or a trace table needs),
3. attach a short closure ``out._backward(g)`` that receives
   :math:`\bar{y} = \partial L / \partial y`, the gradient of the final scalar
   :math:`L` with respect to the output, and *adds* each input's share
   :math:`\bar{x} = \bar{y}\, \partial y / \partial x` into that input's gradient.

Everything else is built from primitives (``a - b`` is ``a + (-b)``, ``a / b``
is ``a * b**-1``, ``mean`` is ``sum`` times :math:`1/n`, ``x.max(dim)`` picks
entries by indexing), so each derivative is written in exactly one place.
:meth:`Tensor.backward` visits the graph in reverse topological order and calls
the closures.

Two rules make array gradients different from scalar ones:

Broadcasting
    ``x + b`` with ``x`` of shape ``(n, d)`` and ``b`` of shape ``(d,)`` uses
    every entry of ``b`` :math:`n` times, so by the sum rule its gradient is the
    upstream gradient summed over the broadcast axis:
    :math:`\bar{b}_j = \sum_i \bar{y}_{ij}`. One helper, ``_unbroadcast``,
    does that for every operation.
Matrix products
    for :math:`Y = XW`, :math:`\bar{X} = \bar{Y} W^\top` and
    :math:`\bar{W} = X^\top \bar{Y}` (the shapes leave no other choice).

Two rules keep a gradient honest, as in PyTorch:

Saved values and the version counter
    A backward closure that needs a value (``x * y`` needs both factors) keeps
    the array and remembers the tensor's *version*, a counter that every
    in-place change raises (``+=``, ``add_``, ``t[i] = v``, an optimizer step,
    a change through ``.data``). If the version moved before ``backward()``,
    backward raises instead of computing a gradient from the new values.
The graph is freed
    ``backward()`` releases the values each node saved, so a second
    ``backward()`` through the same graph raises, unless the first was called
    with ``retain_graph=True``.

Example
-------
>>> import nnlearn
>>> x = nnlearn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> loss = (x * x).sum()
>>> loss.backward()
>>> x.grad
Tensor([[2., 4.],
        [6., 8.]])
"""

from __future__ import annotations

import collections
import functools
import math
import threading
from typing import Any

from . import backend as _backend
from .backend import BackendError

__all__ = [
    "Tensor",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "is_tensor",
    "linear",
    "cat",
    "concat",
    "stack",
    "where",
    "maximum",
    "minimum",
]


# --------------------------------------------------------------------------
# Recording on or off (per thread, as PyTorch's grad mode)
# --------------------------------------------------------------------------

class _GradMode(threading.local):
    """Whether operations record the graph, per thread: a ``no_grad()`` block in
    one thread leaves the others recording."""

    enabled = True


_mode = _GradMode()
_new = object.__new__


class no_grad:
    """Context manager (and decorator) that stops recording the graph.

    Inside ``with nnlearn.no_grad():`` operations compute their values but
    build no backward closures and keep no references to their inputs, exactly
    as ``torch.no_grad()``: use it for evaluation and for parameter updates.
    The switch is per thread, as in PyTorch.

    Examples
    --------
    >>> import nnlearn
    >>> w = nnlearn.tensor([1.0, 2.0], requires_grad=True)
    >>> with nnlearn.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    >>> @nnlearn.no_grad()
    ... def predict(x):
    ...     return x * w
    """

    _target = False

    def __enter__(self):
        self._previous = _mode.enabled
        _mode.enabled = self._target
        return self

    def __exit__(self, *exc):
        _mode.enabled = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):
    """Switch graph recording back on inside a ``no_grad()`` block (as
    ``torch.enable_grad``)."""

    _target = True


class set_grad_enabled(no_grad):
    """``set_grad_enabled(False)`` as a context manager is ``no_grad()``;
    called on its own it switches recording for the current thread (as
    ``torch.set_grad_enabled``)."""

    def __init__(self, mode: bool):
        self._target = bool(mode)
        self._previous = _mode.enabled
        _mode.enabled = self._target

    def __enter__(self):
        return self

    def __call__(self, func):
        _mode.enabled = self._previous  # used as a decorator: switch at call time

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self._target):
                return func(*args, **kwargs)

        return wrapper


def is_grad_enabled() -> bool:
    """True unless inside :class:`no_grad` (in this thread)."""
    return _mode.enabled


def is_tensor(obj) -> bool:
    """True if ``obj`` is an nnlearn :class:`Tensor` (as ``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def _shape(a) -> tuple:
    return tuple(a.shape)


def _unbroadcast(g, shape):
    """Sum the gradient ``g`` back to ``shape``, the shape of an operand that
    was broadcast in the forward pass (sum rule: a broadcast entry was used
    once per copy)."""
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
    )
    if axes:  # (torch reads an empty tuple as "all axes")
        g = g.sum(axes)
    if g.shape != shape:
        g = g.reshape(shape)
    return g


def _normalize_axes(axis, ndim: int, op: str) -> tuple:
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (list, tuple)):
        axes = tuple(axis)
    else:
        axes = (axis,)
    out = []
    for a in axes:
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError(
                f"{op}: dim (axis) must be an int or a tuple of ints, got {axis!r} "
                f"of type {type(axis).__name__}"
            )
        out.append(_normalize_dim(a, ndim, op))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: a dim appears more than once in {axis!r} (PyTorch: \"dim appears "
                         "multiple times in the list of dims\")")
    return tuple(sorted(set(out)))


class _DimensionError(IndexError, ValueError):
    """A dimension out of range: an IndexError, as in PyTorch (and a
    ValueError, as nnlearn raised before)."""


def _normalize_dim(d, ndim: int, op: str) -> int:
    """One dimension index, negative ones counted from the end (as PyTorch)."""
    if not isinstance(d, int) or isinstance(d, bool):
        raise TypeError(f"{op}: dim must be an int, got {d!r} of type {type(d).__name__}")
    n = max(ndim, 1)
    if not -n <= d < n:
        raise _DimensionError(
            f"{op}: dimension {d} is out of range for a tensor with {ndim} "
            f"dimension{'s' if ndim != 1 else ''} (valid: {-n} to {n - 1})"
        )
    return d % n


def _axis_alias(axis, dim, keepdims, keepdim, op):
    """Accept PyTorch's ``dim``/``keepdim`` as aliases of ``axis``/``keepdims``."""
    if dim is not None:
        if axis is not None and axis != dim:
            raise TypeError(f"{op}: give either axis= or its PyTorch alias dim=, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return axis, bool(keepdims)


def _sizes(args, op: str, kw=None) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))`` (``kw``: the keyword
    arguments left over) as the tuple ``(2, 3)``."""
    if kw:
        if set(kw) != {"size"} or args:
            extra = ", ".join(sorted(set(kw) - {"size"})) or "size given twice"
            raise TypeError(f"{op}() got an unexpected keyword argument ({extra})")
        size = kw["size"]
        args = (size,) if isinstance(size, (tuple, list)) else (size,) if isinstance(size, int) else size
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for n in args:
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"{op}: sizes must be ints, got {args!r}")
    return tuple(args)


_FLOATING: dict = {}


def _floating(dt) -> bool:
    """Whether the backend dtype ``dt`` is a real floating type (remembered)."""
    r = _FLOATING.get(dt)
    if r is None:
        r = _FLOATING[dt] = _backend.dtype_of(dt).is_floating_point
    return r


def _is_float(arr, xp=None) -> bool:
    return _floating(arr.dtype)


_HOST_SCALAR = _backend.HOST_SCALAR


def _py_scalar(v):
    """A NumPy scalar (``np.float64(0.5)``) as the Python number it holds: PyTorch
    treats it as a Python number (it does not change a tensor's dtype), while
    NumPy 2 would let ``float32_array * np.float64(0.5)`` become float64."""
    return v.item()


def _bool_subtraction():
    raise TypeError(
        "Subtraction, the `-` operator, with a bool tensor is not supported (as in PyTorch). "
        "To invert a mask, compare it instead: mask == False."
    )


def _category(dt) -> int:
    """PyTorch's dtype category: 0 bool, 1 integer, 2 floating (remembered)."""
    r = _CATEGORY.get(dt)
    if r is None:
        d = _backend.dtype_of(dt)
        r = _CATEGORY[dt] = 2 if d.is_floating_point else 0 if d.name == "bool" else 1
    return r


_CATEGORY: dict = {}


def _align(x, y, xp):
    """Arrays ``x``, ``y`` of different dtypes ready to combine, with PyTorch's
    promotion rules (NumPy's differ in two places):

    - an operand of a higher category (bool < integer < floating) gives its
      dtype: ``int64 * float32`` is float32 (NumPy: float64);
    - within one category, a tensor with dimensions wins over a 0-d one:
      ``float32[3] * float64[]`` is float32 (NumPy 2: float64), as for a
      Python number; two operands that both have dimensions (or both none)
      promote to the wider type (``float32[3] + float64[3]`` is float64).
    """
    dx, dy = x.dtype, y.dtype
    if dx is dy or dx == dy:
        return x, y
    cx, cy = _category(dx), _category(dy)
    if cx > cy:
        return x, xp.astype(y, dx)
    if cy > cx:
        return xp.astype(x, dy), y
    zx, zy = x.ndim == 0, y.ndim == 0
    if zx and not zy:
        return xp.astype(x, dy), y
    if zy and not zx:
        return x, xp.astype(y, dx)
    return x, y


def _backend_dtype(d, b):
    """A dtype given any way (nnlearn dtype, name, NumPy/PyTorch dtype, Python
    type) as a dtype of backend ``b``."""
    if d is None:
        return None
    return getattr(b.xp, _backend._dtype_name(d))


def _dtype_name(dt) -> str:
    return _backend.dtype_of(dt).name if not isinstance(dt, str) else dt


def _ver(t) -> int:
    """A tensor's version (how often it was changed in place)."""
    vc = t._vc
    return 0 if vc is None else vc[0]


# A node that saved its own output (exp, tanh, relu, ...) refers to it as None
# in ``_saved``, so that it does not hold a reference to itself.
_SELF = None


def _result(data, backend, xp, op, parents, needs_grad) -> "Tensor":
    """A new Tensor holding ``data``, the output of ``op`` on ``parents``.

    The parents are recorded only when a gradient will flow (``needs_grad``):
    outside that case nothing keeps the inputs alive.
    """
    out = _new(Tensor)
    out._data = data
    out._grad = None
    out._g = None
    out._vc = None
    out._saved = None
    out.backend = backend
    out.xp = xp
    out._op = op
    out._backward = None
    out._grad_owned = False
    out._retains_grad = False
    if needs_grad:
        out.requires_grad = True
        out._prev = parents
    else:
        out.requires_grad = False
        out._prev = ()
    return out


def _shape_error(op, a, b, detail=""):
    return ValueError(
        f"{op}: shapes {_shape(a)} and {_shape(b)} are not compatible"
        + (f" ({detail})" if detail else "")
        + "."
    )


_BROADCAST_HINT = (
    "broadcasting compares shapes from the right; each pair of dimensions must be "
    "equal or one of them 1"
)


def _freed(g):
    raise RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved "
        "tensors after they have already been freed). Saved intermediate values of the graph "
        "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
        "you need to backward through the graph a second time or if you need to access saved "
        "tensors after calling backward."
    )


# NumPy ufunc name -> (Tensor method, reflected method), for ``array <op> tensor``.
_NUMPY_OPERATORS = {
    "add": ("__add__", "__radd__"),
    "subtract": ("__sub__", "__rsub__"),
    "multiply": ("__mul__", "__rmul__"),
    "true_divide": ("__truediv__", "__rtruediv__"),
    "divide": ("__truediv__", "__rtruediv__"),   # NumPy 2's name for true_divide
    "power": ("__pow__", "__rpow__"),
    "matmul": ("__matmul__", "__rmatmul__"),
    "less": ("__lt__", "__gt__"),
    "less_equal": ("__le__", "__ge__"),
    "greater": ("__gt__", "__lt__"),
    "greater_equal": ("__ge__", "__le__"),
    "equal": ("__eq__", "__eq__"),
    "not_equal": ("__ne__", "__ne__"),
}

# PyTorch's names of the backward nodes, for ``grad_fn``.
_GRAD_FN_NAMES = {
    "+": "AddBackward0", "*": "MulBackward0", "@": "MmBackward0", "**": "PowBackward0",
    "sum": "SumBackward0", "reshape": "ViewBackward0", "permute": "PermuteBackward0",
    "[]": "IndexBackward0", "linear": "AddmmBackward0", "cross_entropy": "NllLossBackward0",
    "log_softmax": "LogSoftmaxBackward0", "amax": "AmaxBackward0", "relu": "ReluBackward0",
    "clip": "ClampBackward1", "expand": "ExpandBackward0", "cat": "CatBackward0",
    "where": "WhereBackward0", "maximum": "MaximumBackward0", "clone": "CloneBackward0",
    "to": "ToCopyBackward0", "binary_cross_entropy": "BinaryCrossEntropyBackward0",
}


class _GradFn:
    """What ``t.grad_fn`` returns for a computed tensor: the backward node, named
    as PyTorch names it (``MulBackward0``). ``next_functions`` lists the nodes
    the gradient goes to next (``AccumulateGrad`` for a leaf)."""

    __slots__ = ("_node",)

    def __init__(self, node):
        self._node = node

    def name(self) -> str:
        op = self._node._op
        if op.startswith("**"):
            op = "**"
        return _GRAD_FN_NAMES.get(op) or op.title().replace("_", "") + "Backward0"

    @property
    def next_functions(self) -> tuple:
        return tuple(
            (_GradFn(p) if p._backward is not None else _AccumulateGrad(p), 0)
            for p in self._node._prev if p.requires_grad
        )

    def __call__(self, *grads):
        raise RuntimeError("calling a grad_fn directly is not supported; use backward()")

    def __repr__(self) -> str:
        return f"<{self.name()} object>"

    def __eq__(self, other):
        return isinstance(other, _GradFn) and other._node is self._node

    def __hash__(self):
        return id(self._node)


class _AccumulateGrad(_GradFn):
    __slots__ = ()

    def name(self) -> str:
        return "AccumulateGrad"

    @property
    def variable(self):
        return self._node

    @property
    def next_functions(self) -> tuple:
        return ()


_max_result = collections.namedtuple("max", ["values", "indices"])
_min_result = collections.namedtuple("min", ["values", "indices"])


# --------------------------------------------------------------------------
# Tensor
# --------------------------------------------------------------------------

class Tensor:
    r"""An array that remembers how it was computed, so that gradients can flow back.

    Parameters
    ----------
    data : array_like or Tensor
        Numbers, nested lists, a NumPy array or an array of any backend. It
        becomes a *new* array (a copy, as ``torch.tensor``) of the backend
        current at creation (:func:`nnlearn.backend.current`). Arrays keep
        their dtype (a float32 array stays float32, uint8 labels stay uint8);
        Python floats and lists of floats get the default float dtype
        (float64 unless changed), Python ints int64. ``None``, complex
        numbers and strings raise ``TypeError``. A Tensor given as ``data``
        keeps its backend and shares its storage (use ``clone()`` to copy).
    requires_grad : bool, default False
        Whether gradients should be accumulated into ``.grad``. Only
        floating-point tensors can require gradients.
    dtype : dtype, optional
        ``nnlearn.float32``, ``nnlearn.int64``, ..., their names
        (``"float32"``), ``float``/``int``/``bool`` or a backend dtype.
    device : str, optional
        A backend name or ``"cpu"``/``"cuda"`` (see :meth:`to`).

    Attributes
    ----------
    requires_grad : bool
        Whether operations on this tensor are recorded.
    backend : nnlearn.backend.Backend
        Where the array lives; ``xp`` is its array namespace.

    Notes
    -----
    ``.data`` and ``.grad`` are Tensors, as in PyTorch. Departures from
    PyTorch, each deliberate:

    - **float64 by default.** Python floats and lists become float64 tensors
      (PyTorch: float32), so that finite-difference checks are accurate;
      arrays keep their own dtype, so a float32 model fed float32 arrays runs
      in float32. :func:`nnlearn.backend.set_default_dtype` changes it.
    - A raw array or list combined with a tensor takes the tensor's float
      dtype (as a Python number does); two Tensors of different float widths
      promote as in PyTorch.
    - ``numpy()`` works on a tensor that requires grad (PyTorch asks for
      ``detach()`` first); it shares memory on the CPU, as PyTorch's does.
    - A change made through ``.data`` counts as an in-place change (the
      version counter is shared), so ``backward()`` through a graph that saved
      the old values raises; PyTorch misses such changes.
    - In-place operations on a tensor that is part of a graph (a non-leaf that
      requires grad, outside ``no_grad``) raise: nnlearn does not record them
      (PyTorch does). Write the out-of-place form (``y = y + 1``).
    - Reductions take NumPy's ``axis``/``keepdims`` as well as PyTorch's
      ``dim``/``keepdim``.
    """

    # The values and the gradient live in private slots: ``_data`` is the raw
    # backend array, ``_grad`` a leaf's gradient Tensor, ``_g`` the gradient
    # being accumulated during ``backward()``. The engine, the optimizers and
    # the layers read those; ``.data``/``.grad`` wrap them as Tensors.
    __slots__ = (
        "_data", "_grad", "_g", "_g_owned", "requires_grad", "backend", "xp", "_vc", "_saved",
        "_backward", "_prev", "_op", "_grad_owned", "_retains_grad", "__weakref__",
    )

    def __init__(self, data: Any, requires_grad: bool = False, dtype=None, device=None):
        if isinstance(data, Tensor):
            b = data.backend
            arr = data._data
            if dtype is not None:
                arr = b.asarray(arr, _backend_dtype(dtype, b))
            self._vc = data._version_box() if arr is data._data else None
        else:
            b = _backend.backend_for_device(device)
            arr = b.asarray(data, _backend_dtype(dtype, b), copy=True)
            self._vc = None
        if device is not None and isinstance(data, Tensor):
            target = _backend.backend_for_device(device)
            if target.name != b.name:
                raise BackendError(
                    f"Tensor(data, device={device!r}): data is a tensor on backend "
                    f"{b.name!r}; move it with .to({str(device)!r})"
                )
        self._data = arr
        self._grad = None
        self._g = None
        self._saved = None
        self.backend = b
        self.xp = b.xp
        self._backward = None
        self._prev = ()
        self._op = ""
        self._grad_owned = False
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -------------------------------------------------------- data and grad
    @property
    def data(self) -> "Tensor":
        """The values as a Tensor cut from the graph that shares this tensor's
        storage (as ``torch.Tensor.data``): ``p.data.sub_(x)`` changes ``p``.

        Assigning ``p.data = t`` (a Tensor or a backend array) replaces the
        storage. Note: the result shares this tensor's *version counter*, so a
        change made through ``.data`` after the graph saved the tensor makes
        ``backward()`` raise; PyTorch misses such changes and silently returns
        a gradient computed from the new values.
        """
        out = _result(self._data, self.backend, self.xp, "", (), False)
        out._vc = self._version_box()
        return out

    @data.setter
    def data(self, value) -> None:
        if isinstance(value, Tensor):
            arr, b = value._data, value.backend
        elif _backend.is_backend_array(value):
            arr, b = value, _backend.backend_for(value)
        else:
            raise TypeError(
                f"data must be set to a Tensor or a backend array, got {type(value).__name__}"
                " (wrap it: t.data = nnlearn.tensor(values))"
            )
        self._data = arr
        if b.name != self.backend.name:
            self.backend, self.xp = b, b.xp

    @property
    def grad(self):
        r""":math:`\partial L/\partial\,\text{self}` after ``L.backward()``: a
        Tensor of this tensor's shape and dtype, or ``None``.

        Leaves accumulate it across ``backward()`` calls (reset it with
        ``p.grad = None`` or ``p.grad.zero_()``); assign a Tensor, a backend
        array of the same shape and dtype, or ``None``.
        """
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is None:
            self._grad = None
            return
        if value is self._grad:  # ``p.grad *= c`` assigns the same Tensor back
            return
        if isinstance(value, Tensor):
            if value.backend.name != self.backend.name:
                raise RuntimeError(
                    f"assigned grad is on backend {value.backend.name!r} but the tensor is on "
                    f"backend {self.backend.name!r}"
                )
            t = value
        elif _backend.is_backend_array(value):
            if _backend.backend_of(value) != self.backend.name:
                raise RuntimeError(
                    f"assigned grad is an array of backend {_backend.backend_of(value)!r} but the "
                    f"tensor is on backend {self.backend.name!r}"
                )
            t = _result(value, self.backend, self.xp, "", (), False)
        else:
            raise TypeError(
                f"assigned grad expected to be a Tensor, a backend array or None but got "
                f"{type(value).__name__}"
            )
        if tuple(t._data.shape) != tuple(self._data.shape):
            raise RuntimeError(
                f"assigned grad has data of a different size: shape {tuple(t._data.shape)}, "
                f"but the tensor has shape {self.shape}"
            )
        if t._data.dtype != self._data.dtype:
            raise RuntimeError(
                f"assigned grad has data of a different type: {_dtype_name(t._data.dtype)}, "
                f"but the tensor is {_dtype_name(self._data.dtype)}"
            )
        self._grad = t
        self._grad_owned = False

    # --------------------------------------------------- in-place operations
    def _version_box(self) -> list:
        """The shared version counter (a one-element list), created on demand."""
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    @property
    def _version(self) -> int:
        """How many times the values were changed in place (as PyTorch's
        ``_version``); shared with ``.data``, ``detach()`` and views."""
        vc = self._vc
        return 0 if vc is None else vc[0]

    def _bump_version(self) -> None:
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1

    def _check_inplace(self, other=None) -> None:
        """PyTorch's rules for changing a tensor in place while recording."""
        if not _mode.enabled:
            return
        if self.requires_grad:
            if self._backward is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation. "
                    "(Update parameters inside `with nnlearn.no_grad():`, or change p.data.)"
                )
            raise RuntimeError(
                "in-place operation on a tensor that is part of a graph: nnlearn does not "
                "record in-place operations (PyTorch does). Write the out-of-place form "
                "instead, e.g. y = y + 1 rather than y += 1."
            )
        if isinstance(other, Tensor) and other.requires_grad:
            raise RuntimeError(
                "in-place operation would make a tensor that does not require grad depend on "
                "one that does: nnlearn does not record in-place operations (PyTorch does). "
                "Write the out-of-place form instead, e.g. x = x + w rather than x += w."
            )

    def _operand(self, other, op: str):
        """``other`` as something this tensor's array combines with."""
        if isinstance(other, Tensor):
            return self._coerce(other, op)._data
        if isinstance(other, (int, float, bool)):
            return other
        return self._coerce(other, op)._data

    def _inplace(self, fn, other, op: str) -> "Tensor":
        self._check_inplace(other)
        o = self._operand(other, op) if other is not None else None
        x = self._data
        if not hasattr(x, "__setitem__"):  # a NumPy scalar (from a reduction): make it an array
            x = self._data = self.xp.asarray(x)
        try:
            fn(x, o)
        except (ValueError, RuntimeError, TypeError) as e:
            oshape = tuple(getattr(o, "shape", ()))
            odtype = _dtype_name(o.dtype) if hasattr(o, "dtype") else type(o).__name__
            raise RuntimeError(
                f"{op}: cannot update a tensor of shape {_shape(x)} and dtype "
                f"{_dtype_name(x.dtype)} in place with a value of shape {oshape} and dtype "
                f"{odtype}: an in-place result keeps the tensor's shape and dtype ({e})"
            ) from e
        self._bump_version()
        return self

    def __iadd__(self, other) -> "Tensor":
        return self._inplace(_iadd, other, "add_ (+=)")

    def __isub__(self, other) -> "Tensor":
        return self._inplace(_isub, other, "sub_ (-=)")

    def __imul__(self, other) -> "Tensor":
        return self._inplace(_imul, other, "mul_ (*=)")

    def __itruediv__(self, other) -> "Tensor":
        return self._inplace(_idiv, other, "div_ (/=)")

    def add_(self, other, *, alpha=1) -> "Tensor":
        """In place: ``self += alpha * other`` (as ``torch.Tensor.add_``)."""
        return self._inplace(_iadd, other if alpha == 1 else other * alpha, "add_")

    def sub_(self, other, *, alpha=1) -> "Tensor":
        """In place: ``self -= alpha * other``."""
        return self._inplace(_isub, other if alpha == 1 else other * alpha, "sub_")

    def mul_(self, other) -> "Tensor":
        """In place: ``self *= other``."""
        return self._inplace(_imul, other, "mul_")

    def div_(self, other) -> "Tensor":
        """In place: ``self /= other``."""
        return self._inplace(_idiv, other, "div_")

    def copy_(self, src) -> "Tensor":
        """In place: the values of ``src`` (broadcast to this shape, converted to
        this dtype, from any backend), as ``torch.Tensor.copy_``."""
        if isinstance(src, Tensor) and src.backend.name != self.backend.name:
            src = src.to(self.backend.name)
        return self._inplace(_icopy, src, "copy_")

    def fill_(self, value) -> "Tensor":
        """In place: every entry set to the number ``value``."""
        return self._inplace(_icopy, value, "fill_")

    def zero_(self) -> "Tensor":
        """In place: every entry set to 0 (e.g. ``p.grad.zero_()``)."""
        return self._inplace(_icopy, 0, "zero_")

    def clamp_(self, min=None, max=None) -> "Tensor":
        """In place: the values limited to ``[min, max]`` (see :meth:`clamp`)."""
        if min is None and max is None:
            raise ValueError("clamp_: give at least one of min and max")
        xp = self.xp

        def fn(x, _):
            y = x
            if min is not None:
                y = xp.maximum(y, min)
            if max is not None:
                y = xp.minimum(y, max)
            x[...] = y

        return self._inplace(fn, None, "clamp_")

    clip_ = clamp_

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        r"""In place: values drawn from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`
        with nnlearn's generator (:func:`nnlearn.backend.manual_seed`), the same on
        every backend."""
        draw = _backend.rng().normal(mean, std, size=self.shape)
        return self._inplace(_icopy, self.backend.asarray(draw, dtype=self._data.dtype), "normal_")

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        """In place: values drawn from :math:`U(a, b)` with nnlearn's generator."""
        draw = _backend.rng().uniform(a, b, size=self.shape)
        return self._inplace(_icopy, self.backend.asarray(draw, dtype=self._data.dtype), "uniform_")

    def __setitem__(self, index, value) -> None:
        """``t[index] = value`` in place (as PyTorch): a number, an array or a
        Tensor broadcast to the selected entries."""
        idx = _convert_index(index, self.backend)

        def fn(x, v):
            x[idx] = v

        self._inplace(fn, value, "setitem (t[...] = value)")

    # ----------------------------------------------------------------- info
    @property
    def shape(self) -> tuple:
        """The shape as a tuple of ints."""
        return tuple(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape (``size()``), or the length of dimension ``dim``."""
        shape = tuple(self._data.shape)
        if dim is None:
            return shape
        return shape[_normalize_dim(dim, len(shape), "size")]

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self._data.shape)

    def dim(self) -> int:
        """Number of dimensions (PyTorch's name)."""
        return len(self._data.shape)

    @property
    def dtype(self) -> "_backend.dtype":
        """The data type, e.g. ``nnlearn.float64``: the same object on every
        backend, equal to the backend's own dtype and to its name."""
        return _backend.dtype_of(self._data.dtype)

    def is_floating_point(self) -> bool:
        """True for a float dtype."""
        return _floating(self._data.dtype)

    @property
    def device(self) -> "_backend.device":
        """``device("cpu")`` on the NumPy and PyTorch-CPU backends,
        ``device("cuda")`` on the GPU (the backend itself is ``.backend``)."""
        return _backend.device_of(self.backend)

    @property
    def is_cuda(self) -> bool:
        """True on a GPU backend."""
        return self.backend.name in ("cuda", "cupy")

    @property
    def is_leaf(self) -> bool:
        """True for tensors created directly (not computed from tensors that
        require grad); only leaves keep their ``.grad`` after ``backward()``."""
        return self._backward is None

    @property
    def grad_fn(self):
        """The backward node that made this tensor (``None`` for a leaf), named
        as in PyTorch: ``(x * y).grad_fn`` is ``<MulBackward0 object>``."""
        return None if self._backward is None else _GradFn(self)

    def numel(self) -> int:
        """Number of elements."""
        return math.prod(self._data.shape)

    nelement = numel

    def __len__(self) -> int:
        if not self._data.shape:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if not self._data.shape:  # else Python would iterate by indexing and stop at once
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place (checked: floats only, leaves only)
        and return self."""
        if requires_grad and not _floating(self._data.dtype):
            raise TypeError(
                f"only floating-point tensors can require gradients, but this one has "
                f"dtype {_dtype_name(self._data.dtype)}: a derivative with respect to an "
                f"integer is not defined. Create it from floats, e.g. "
                f"nnlearn.tensor(data, dtype=nnlearn.float64, requires_grad=True)."
            )
        if not requires_grad and self._backward is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> "Tensor":
        """Keep this intermediate tensor's ``.grad`` after ``backward()`` (as in
        PyTorch; leaves always keep theirs)."""
        if self._backward is not None:
            self._retains_grad = True
        return self

    @property
    def retains_grad(self) -> bool:
        """Whether :meth:`retain_grad` was called on this non-leaf."""
        return self._retains_grad

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's storage (and its version counter),
        cut from the graph."""
        out = _result(self._data, self.backend, self.xp, "", (), False)
        out._vc = self._version_box()
        return out

    def detach_(self) -> "Tensor":
        """Cut this tensor from the graph, in place (it becomes a leaf)."""
        self._backward = None
        self._prev = ()
        self._saved = None
        self.requires_grad = False
        return self

    def clone(self) -> "Tensor":
        """A copy with its own storage; the gradient flows back unchanged (the
        derivative of the identity)."""
        x = self._data
        out = _result(self.xp.asarray(x, copy=True), self.backend, self.xp, "clone", (self,),
                      _mode.enabled and self.requires_grad)
        if out.requires_grad:
            a = self

            def _backward(g):
                a._accumulate(g, False)

            out._backward = _backward
        return out

    def item(self):
        """The single value as a Python number."""
        if math.prod(self._data.shape) != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element, this one has shape "
                f"{self.shape}; reduce it first (e.g. .sum() or .mean())"
            )
        return self._data.item()

    def numpy(self):
        """The values as a NumPy array that *shares memory* with the tensor on
        the CPU (as PyTorch's ``numpy()``: an in-place change of one shows in
        the other); copied off a GPU. Take ``.copy()`` for a snapshot.

        Unlike PyTorch, this also works on a tensor that requires grad (no
        ``detach()`` needed)."""
        return _backend.to_numpy(self._data)

    def tolist(self):
        """The values as nested Python lists."""
        return _backend.to_numpy(self._data).tolist()

    def __array__(self, dtype=None, copy=None):
        a = _backend.to_numpy(self._data)
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """NumPy meets a Tensor: ``array + tensor`` (and the other operators)
        is the Tensor operation, recorded in the graph; any other NumPy
        function (``np.isfinite(t)``, ``np.all(t == 0)``) computes on the
        values and returns NumPy, as on an array."""
        if method == "__call__" and not kwargs and len(inputs) == 2:
            ops = _NUMPY_OPERATORS.get(ufunc.__name__)
            if ops is not None:
                a, b = inputs
                if isinstance(a, Tensor):
                    return getattr(a, ops[0])(b)
                return getattr(b, ops[1])(a)
        if any(isinstance(o, Tensor) for o in kwargs.get("out", ())):
            return NotImplemented
        args = [_backend.to_numpy(x) if isinstance(x, Tensor) else x for x in inputs]
        return getattr(ufunc, method)(*args, **kwargs)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if _floating(self._data.dtype) or math.prod(self._data.shape) != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if math.prod(self._data.shape) != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use (t > 0).all() style reductions or .item() on one element"
            )
        return bool(self._data.item())

    def __format__(self, spec: str) -> str:
        if spec and math.prod(self._data.shape) == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    # ------------------------------------------------ dtype and device moves
    def to(self, *args, **kwargs) -> "Tensor":
        """A tensor of another dtype and/or on another backend (as PyTorch's
        ``.to``): ``t.to(nnlearn.float32)``, ``t.to("cuda")``, ``t.to("cpu")``,
        ``t.to(device, dtype)``, ``t.to(other_tensor)``, or keywords
        ``dtype=``/``device=``.

        A backend name (``"numpy"``, ``"torch"``, ``"cuda"``) moves to that
        backend; ``"cpu"`` stays on the current host backend (NumPy or PyTorch
        on the CPU) and moves a GPU tensor to PyTorch's CPU backend. Returns
        ``self`` when nothing changes, as PyTorch does. Differentiable: the
        gradient flows back, converted to this tensor's dtype and backend.
        """
        dtype, where = kwargs.pop("dtype", None), kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype, where = a.dtype, a.backend
            elif _is_place(a):
                where = a
            else:
                dtype = a
        out = self
        if where is not None:
            b = _backend.backend_for_device(where)
            if b.name != self.backend.name:
                out = out._to_backend(b)
        if dtype is not None:
            target = _backend_dtype(dtype, out.backend)
            if target != out._data.dtype:
                out = out._cast(target)
        if copy and out is self:
            out = self.clone()
        return out

    def _to_backend(self, b) -> "Tensor":
        """The same values on backend ``b`` (the gradient is moved back)."""
        host = _backend.to_numpy(self._data)
        arr = b.asarray(host, dtype=getattr(b.xp, host.dtype.name), copy=True)
        out = _result(arr, b, b.xp, "to", (self,), _mode.enabled and self.requires_grad)
        if out.requires_grad:
            a = self

            def _backward(g):
                a._accumulate(a.backend.asarray(_backend.to_numpy(g), dtype=a._data.dtype), True)

            out._backward = _backward
        elif self.requires_grad and self._backward is None:
            out.requires_grad = True  # a leaf moved under no_grad stays a leaf that requires grad
        return out

    def _cast(self, dt) -> "Tensor":
        """The values converted to the backend dtype ``dt``; the gradient is
        converted back (to an integer dtype, no gradient flows)."""
        xp = self.xp
        x = self._data
        needs = _mode.enabled and self.requires_grad and _floating(dt)
        out = _result(xp.astype(x, dt), self.backend, xp, "to", (self,), needs)
        if needs:
            a = self
            old = x.dtype

            def _backward(g):
                a._accumulate(xp.astype(g, old), True)

            out._backward = _backward
        return out

    def type(self, dtype=None):
        """Without an argument, the type's name (``"nnlearn.FloatTensor"``);
        with one, the tensor converted to that dtype (as ``.to(dtype)``)."""
        if dtype is None:
            names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                     "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
            return f"nnlearn.{names.get(self.dtype.name, self.dtype.name)}Tensor"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            names = {"Float": "float32", "Double": "float64", "Half": "float16", "Long": "int64",
                     "Int": "int32", "Short": "int16", "Char": "int8", "Byte": "uint8", "Bool": "bool"}
            dtype = names[dtype.split(".")[-1][: -len("Tensor")]]
        return self.to(dtype=dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        """Converted to ``other``'s dtype."""
        return self.to(dtype=other.dtype)

    def float(self) -> "Tensor":
        """As float32 (PyTorch's ``float``; nnlearn's default is float64)."""
        return self.to(dtype="float32")

    def double(self) -> "Tensor":
        """As float64."""
        return self.to(dtype="float64")

    def half(self) -> "Tensor":
        """As float16."""
        return self.to(dtype="float16")

    def long(self) -> "Tensor":
        """As int64 (class labels)."""
        return self.to(dtype="int64")

    def int(self) -> "Tensor":
        """As int32."""
        return self.to(dtype="int32")

    def bool(self) -> "Tensor":
        """As bool."""
        return self.to(dtype="bool")

    def cpu(self) -> "Tensor":
        """On the host: ``to("cpu")``."""
        return self.to("cpu")

    def cuda(self) -> "Tensor":
        """On the GPU: ``to("cuda")`` (raises with a hint where there is none)."""
        return self.to("cuda")

    def __repr__(self) -> str:
        name = type(self).__name__
        body = repr(_backend.to_numpy(self._data))  # "array([...], dtype=...)"
        body = body[len("array("):-1]
        if ", dtype=" in body:
            body = body[: body.index(", dtype=")]
        body = body.replace("\n" + " " * len("array("), "\n" + " " * (len(name) + 1))
        extras = []
        dtype = _dtype_name(self._data.dtype)
        if dtype != self.backend.float_dtype_name:
            extras.append(f"dtype={dtype}")
        if self.backend.name != "numpy":
            extras.append(f"backend={self.backend.name!r}")
        if self._backward is not None:
            extras.append(f"grad_fn=<{_GradFn(self).name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"{name}({body}{''.join(', ' + e for e in extras)})"

    __hash__ = object.__hash__

    # ------------------------------------------------------------ plumbing
    def _accumulate(self, g, fresh: bool) -> None:
        """Add ``g`` into the gradient being accumulated by ``backward()``.

        ``fresh`` says whether ``g`` is a new array that nobody else holds.
        A borrowed array (the upstream gradient passed through by ``+`` or a
        view made by ``reshape``) is stored as is but never modified in place;
        the first later accumulation replaces it by a new array, which is then
        owned and updated in place.
        """
        cur = self._g
        if cur is None:
            self._g = g
            self._g_owned = fresh
        elif self._g_owned:
            cur += g
            self._g = cur  # (a NumPy scalar from 0-d arithmetic is immutable)
        else:
            self._g = cur + g
            self._g_owned = True

    def _coerce(self, other, op: str) -> "Tensor":
        """``other`` as a Tensor on this tensor's backend.

        A Tensor on another backend raises ``BackendError``. Anything else
        (a number, a list, an array) becomes a constant; if it holds floats
        and this tensor is floating point, it takes this tensor's dtype (as a
        Python number would).
        """
        if isinstance(other, Tensor):
            if other.backend is not self.backend and other.backend.name != self.backend.name:
                raise BackendError(
                    f"{op}: cannot combine a tensor on backend {self.backend.name!r} with one "
                    f"on backend {other.backend.name!r}. Create both under the same backend "
                    f"(nnlearn.backend.use(...)), or move one with .to({self.backend.name!r})."
                )
            return other
        if isinstance(other, tuple) and getattr(other, "_fields", None) == ("values", "indices"):
            raise TypeError(
                f"{op}: cannot combine a Tensor with the (values, indices) pair that "
                f"max(dim)/min(dim) return: take .values, or use amax(dim)/amin(dim)"
            )
        if type(other).__module__.startswith("nnlearn"):
            raise TypeError(
                f"{op}: cannot combine a Tensor with a {type(other).__name__} (scalar autodiff "
                "lives in nnlearn.autodiff, tensors in nnlearn.Tensor; the two graphs do not "
                "mix). Use the Value's number (.data) or make both Tensors."
            )
        b = self.backend
        if isinstance(other, _HOST_SCALAR):
            other = _py_scalar(other)   # a NumPy scalar counts as a Python number
        try:
            arr = b.asarray(other)
        except BackendError:
            raise
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"{op}: cannot combine a Tensor with {type(other).__name__} {other!r:.60}: {e}"
            ) from e
        x = self._data
        if arr.dtype != x.dtype and _floating(x.dtype) and _floating(arr.dtype):
            arr = self.xp.astype(arr, x.dtype)
        return _result(arr, b, self.xp, "", (), False)

    # ---------------------------------------------------------- arithmetic
    def __add__(self, other) -> "Tensor":
        if isinstance(other, _HOST_SCALAR):
            other = _py_scalar(other)
        if isinstance(other, (int, float)):
            x = self._data
            if isinstance(other, float) and not _floating(x.dtype):
                x = self.xp.astype(x, self.backend.dtype)  # int + 0.5 is a float (default dtype)
            out = _result(x + other, self.backend, self.xp, "+",
                          (self,), _mode.enabled and self.requires_grad)
            if out.requires_grad:
                a = self

                def _backward(g):
                    a._accumulate(g, False)

                out._backward = _backward
            return out
        other = self._coerce(other, "add (+)")
        x, y = self._data, other._data
        if x.dtype != y.dtype:
            x, y = _align(x, y, self.xp)
        try:
            data = x + y
        except (ValueError, RuntimeError) as e:
            raise _shape_error("add (+)", x, y, _BROADCAST_HINT) from e
        a, b = self, other
        ra, rb = a.requires_grad, b.requires_grad
        out = _result(data, self.backend, self.xp, "+", (a, b), _mode.enabled and (ra or rb))
        if out.requires_grad:
            a_shape, b_shape = x.shape, y.shape

            def _backward(g):
                if ra:
                    ga = _unbroadcast(g, a_shape)
                    a._accumulate(ga, ga is not g)
                if rb:
                    gb = _unbroadcast(g, b_shape)
                    b._accumulate(gb, gb is not g)

            out._backward = _backward
        return out

    __radd__ = __add__

    def __mul__(self, other) -> "Tensor":
        if isinstance(other, _HOST_SCALAR):
            other = _py_scalar(other)
        if isinstance(other, (int, float)):
            x = self._data
            if isinstance(other, float) and not _floating(x.dtype):
                x = self.xp.astype(x, self.backend.dtype)
            out = _result(x * other, self.backend, self.xp, "*",
                          (self,), _mode.enabled and self.requires_grad)
            if out.requires_grad:
                a, c = self, other

                def _backward(g):
                    a._accumulate(g * c, True)

                out._backward = _backward
            return out
        other = self._coerce(other, "multiply (*)")
        x, y = self._data, other._data
        if x.dtype != y.dtype:
            x, y = _align(x, y, self.xp)
        try:
            data = x * y
        except (ValueError, RuntimeError) as e:
            raise _shape_error("multiply (*)", x, y, _BROADCAST_HINT) from e
        a, b = self, other
        ra, rb = a.requires_grad, b.requires_grad
        out = _result(data, self.backend, self.xp, "*", (a, b), _mode.enabled and (ra or rb))
        if out.requires_grad:
            # each factor's gradient needs the other factor's values
            out._saved = (a, _ver(a), b, _ver(b))

            def _backward(g):
                if ra:
                    a._accumulate(_unbroadcast(g * y, x.shape), True)
                if rb:
                    b._accumulate(_unbroadcast(g * x, y.shape), True)

            out._backward = _backward
        return out

    __rmul__ = __mul__

    def __neg__(self) -> "Tensor":
        return self * -1

    def __pos__(self) -> "Tensor":
        return self

    def __sub__(self, other) -> "Tensor":
        if isinstance(other, _HOST_SCALAR):
            other = _py_scalar(other)
        if isinstance(other, (int, float)):
            if other is True or other is False or _category(self._data.dtype) == 0:
                _bool_subtraction()
            return self + (-other)
        other = self._coerce(other, "subtract (-)")
        if _category(self._data.dtype) == 0 or _category(other._data.dtype) == 0:
            _bool_subtraction()
        return self + (-other)

    def __rsub__(self, other) -> "Tensor":
        if isinstance(other, _HOST_SCALAR):
            other = _py_scalar(other)
        if other is True or other is False or _category(self._data.dtype) == 0:
            _bool_subtraction()
        return (-self) + other

    def _as_float(self) -> "Tensor":
        """Self, or its values as the default float dtype if it holds integers
        (true division of integers gives floats, as in PyTorch)."""
        if _floating(self._data.dtype):
            return self
        return self._cast(self.backend.dtype)

    def __truediv__(self, other) -> "Tensor":
        if isinstance(other, _HOST_SCALAR):
            other = _py_scalar(other)
        if isinstance(other, (int, float)) and other != 0:  # x / 0.0 is inf or nan, as in torch
            return self._as_float() * (1.0 / other)
        other = self._coerce(other, "divide (/)")
        fa, fb = _floating(self._data.dtype), _floating(other._data.dtype)
        if fa or fb:   # an integer operand takes the float one's dtype (int / float32 is float32)
            a = self if fa else self._cast(other._data.dtype)
            b = other if fb else other._cast(self._data.dtype)
        else:          # int / int: both in the default float dtype
            a, b = self._as_float(), other._cast(self.backend.dtype)
        return a * b**-1

    def __rtruediv__(self, other) -> "Tensor":
        return self._as_float() ** -1 * other

    def __floordiv__(self, other) -> "Tensor":
        r"""``a // b``: the quotient rounded toward :math:`-\infty`, as ``torch.floor_divide``.

        Integers stay integers; an integer and a float give the float's dtype.
        It has no derivative (rounding makes it 0 almost everywhere): as in
        PyTorch, the result requires grad when an input does, and ``backward()``
        through it raises. Use ``/`` for a differentiable quotient.
        """
        return self._floor_divide(other, reverse=False)

    def __rfloordiv__(self, other) -> "Tensor":
        return self._floor_divide(other, reverse=True)

    def _floor_divide(self, other, reverse: bool) -> "Tensor":
        if isinstance(other, _HOST_SCALAR):
            other = _py_scalar(other)
        other = self._coerce(other, "floor divide (//)")
        a, b = (other, self) if reverse else (self, other)
        fa, fb = _floating(a._data.dtype), _floating(b._data.dtype)
        if fa != fb:   # an integer operand takes the float one's dtype
            a = a if fa else a._cast(b._data.dtype)
            b = b if fb else b._cast(a._data.dtype)
        if not (fa or fb) and bool(self.xp.any(b._data == 0)):
            raise ZeroDivisionError("floor divide (//): integer division by zero (PyTorch raises too; "
                                    "NumPy would give 0); make one operand a float to get inf")
        needs = _mode.enabled and (a.requires_grad or b.requires_grad)
        out = _result(self.xp.floor_divide(a._data, b._data), self.backend, self.xp, "//",
                      (a, b), needs)
        if needs:
            def _backward(g):
                raise RuntimeError("derivative for floor_divide is not implemented (as in PyTorch): "
                                   "// rounds, so its derivative is 0 almost everywhere; use / for a "
                                   "differentiable quotient, or .detach() the input")

            out._backward = _backward
        return out

    def __pow__(self, exponent) -> "Tensor":
        r"""``x ** p`` for a number or a tensor ``p``:

        .. math::

            \frac{\partial x^p}{\partial x} = p\,x^{p-1}, \qquad
            \frac{\partial x^p}{\partial p} = x^p \ln x

        (the second taken as 0 where :math:`x = 0` and :math:`p \ge 0`, as
        PyTorch does).
        """
        xp = self.xp
        x = self._data
        if isinstance(exponent, _HOST_SCALAR):
            exponent = _py_scalar(exponent)
        if _category(x.dtype) == 0:
            if isinstance(exponent, bool) or (
                    isinstance(exponent, Tensor) and _category(exponent._data.dtype) == 0):
                raise TypeError("power (**) of a bool tensor to a bool exponent is not "
                                "supported: convert it first, e.g. t.long()")
            if isinstance(exponent, int):
                x = xp.astype(x, xp.int64)   # bool ** 2 is int64, as in PyTorch
        if isinstance(exponent, (int, float)):
            p = exponent
            if isinstance(p, float) and not _floating(x.dtype):
                x = xp.astype(x, self.backend.dtype)
            elif isinstance(p, int) and p < 0 and not _floating(x.dtype):
                raise RuntimeError(
                    "Integers to negative integer powers are not allowed (as in PyTorch): "
                    "convert the tensor first, e.g. t.double() ** -1"
                )
            ra, rb, b = self.requires_grad, False, None
            op = f"**{p}"
        else:
            b = self._coerce(exponent, "power (**)")
            p = b._data
            if x.dtype != p.dtype:
                x, p = _align(x, p, xp)
            ra, rb = self.requires_grad, b.requires_grad
            op = "**"
        try:
            y = x**p
        except (ValueError, RuntimeError) as e:
            raise _shape_error("power (**)", x, p, _BROADCAST_HINT) from e
        a = self
        parents = (a,) if b is None else (a, b)
        out = _result(y, self.backend, xp, op, parents, _mode.enabled and (ra or rb))
        if out.requires_grad:
            out._saved = (a, _ver(a)) if b is None else (a, _ver(a), b, _ver(b), _SELF, 0)

            def _backward(g):
                if ra:
                    a._accumulate(_unbroadcast(g * (p * x ** (p - 1)), x.shape), True)
                if rb:
                    gp = g * y * xp.log(xp.where(x == 0, 1, x))
                    gp = xp.where((x == 0) & (p >= 0), 0, gp)
                    b._accumulate(_unbroadcast(gp, p.shape), True)

            out._backward = _backward
        return out

    def __rpow__(self, base) -> "Tensor":
        """``c ** x``: the number ``c`` raised to this tensor (derivative
        :math:`c^x \\ln c`)."""
        return self._coerce(base, "power (**)") ** self

    def pow(self, exponent) -> "Tensor":
        """``self ** exponent`` (a number or a tensor)."""
        return self**exponent

    # -------------------------------------------------------------- matmul
    def __matmul__(self, other) -> "Tensor":
        r"""Matrix product (``@``) of 1-D, 2-D or batched operands, as ``numpy.matmul``.

        For :math:`Y = AB`: :math:`\bar{A} = \bar{Y} B^\top`,
        :math:`\bar{B} = A^\top \bar{Y}`; a 1-D operand is treated as a row
        (left) or column (right) vector, and broadcast batch axes are summed.
        Both operands must have the same float dtype, as in PyTorch.
        """
        other = self._coerce(other, "matmul (@)")
        A, B = self._data, other._data
        _check_matmul(A, B)
        if A.dtype != B.dtype:
            A, B = _align(A, B, self.xp)
            _check_same_dtype("matmul (@)", A, B)
        try:
            data = A @ B
        except (ValueError, RuntimeError) as e:
            raise ValueError(
                f"matmul (@): shapes {_shape(A)} and {_shape(B)}: the batch dimensions "
                f"(all but the last two) cannot be broadcast together."
            ) from e
        a, b = self, other
        ra, rb = a.requires_grad, b.requires_grad
        out = _result(data, self.backend, self.xp, "@", (a, b), _mode.enabled and (ra or rb))
        if out.requires_grad:
            out._saved = (a, _ver(a), b, _ver(b))
            xp = self.xp

            def _backward(g):
                if A.ndim == 2 and B.ndim == 2:
                    if ra:
                        a._accumulate(g @ B.T, True)
                    if rb:
                        b._accumulate(A.T @ g, True)
                    return
                A2 = A if A.ndim > 1 else A.reshape(1, -1)
                B2 = B if B.ndim > 1 else B.reshape(-1, 1)
                G = g
                if A.ndim == 1:
                    G = xp.expand_dims(G, axis=-2 if B.ndim > 1 else 0)
                if B.ndim == 1:
                    G = xp.expand_dims(G, axis=-1)
                if ra:
                    ga = _unbroadcast(G @ xp.matrix_transpose(B2), A2.shape)
                    a._accumulate(ga.reshape(A.shape), True)
                if rb:
                    gb = _unbroadcast(xp.matrix_transpose(A2) @ G, B2.shape)
                    b._accumulate(gb.reshape(B.shape), True)

            out._backward = _backward
        return out

    def __rmatmul__(self, other) -> "Tensor":
        return self._coerce(other, "matmul (@)") @ self

    def matmul(self, other) -> "Tensor":
        """``self @ other``."""
        return self @ other

    def mm(self, other) -> "Tensor":
        """Product of two matrices (2-D only, as ``torch.mm``)."""
        other = self._coerce(other, "mm")
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError(f"mm: both operands must be matrices (2-D), got shapes {self.shape} and {other.shape}")
        return self @ other

    def mv(self, vec) -> "Tensor":
        """Matrix times vector."""
        vec = self._coerce(vec, "mv")
        if self.ndim != 2 or vec.ndim != 1:
            raise RuntimeError(f"mv: expected a matrix and a vector, got shapes {self.shape} and {vec.shape}")
        return self @ vec

    def dot(self, other) -> "Tensor":
        """Inner product of two 1-D tensors (as ``torch.dot``)."""
        other = self._coerce(other, "dot")
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"dot: 1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        return self @ other

    # ----------------------------------------------------- elementwise math
    def exp(self) -> "Tensor":
        r""":math:`e^x`; derivative :math:`e^x` (the output itself)."""
        x = self._data
        if not _floating(x.dtype):
            x = self.xp.astype(x, self.backend.dtype)
        y = self.xp.exp(x)
        out = _result(y, self.backend, self.xp, "exp", (self,), _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (_SELF, 0)
            a = self

            def _backward(g):
                a._accumulate(g * y, True)

            out._backward = _backward
        return out

    def log(self) -> "Tensor":
        r"""Natural logarithm; derivative :math:`1/x`."""
        x = self._data
        if not _floating(x.dtype):
            x = self.xp.astype(x, self.backend.dtype)
        out = _result(self.xp.log(x), self.backend, self.xp, "log", (self,),
                      _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (self, _ver(self))
            a = self

            def _backward(g):
                a._accumulate(g / x, True)

            out._backward = _backward
        return out

    def log1p(self) -> "Tensor":
        r""":math:`\ln(1 + x)`, accurate for small :math:`x`; derivative :math:`1/(1+x)`."""
        x = self._data
        out = _result(self.xp.log1p(x), self.backend, self.xp, "log1p", (self,),
                      _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (self, _ver(self))
            a = self

            def _backward(g):
                a._accumulate(g / (1 + x), True)

            out._backward = _backward
        return out

    def log2(self) -> "Tensor":
        r""":math:`\log_2 x = \ln x / \ln 2`."""
        return self.log() * (1 / math.log(2))

    def log10(self) -> "Tensor":
        r""":math:`\log_{10} x = \ln x / \ln 10`."""
        return self.log() * (1 / math.log(10))

    def sin(self) -> "Tensor":
        r""":math:`\sin x`; derivative :math:`\cos x`."""
        x = self._data
        out = _result(self.xp.sin(x), self.backend, self.xp, "sin", (self,),
                      _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (self, _ver(self))
            a, xp = self, self.xp

            def _backward(g):
                a._accumulate(g * xp.cos(x), True)

            out._backward = _backward
        return out

    def cos(self) -> "Tensor":
        r""":math:`\cos x`; derivative :math:`-\sin x`."""
        x = self._data
        out = _result(self.xp.cos(x), self.backend, self.xp, "cos", (self,),
                      _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (self, _ver(self))
            a, xp = self, self.xp

            def _backward(g):
                a._accumulate(-g * xp.sin(x), True)

            out._backward = _backward
        return out

    def tanh(self) -> "Tensor":
        r""":math:`\tanh x`; derivative :math:`1 - \tanh^2 x`."""
        y = self.xp.tanh(self._data)
        out = _result(y, self.backend, self.xp, "tanh", (self,), _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (_SELF, 0)
            a = self

            def _backward(g):
                a._accumulate(g * (1 - y * y), True)

            out._backward = _backward
        return out

    def sigmoid(self) -> "Tensor":
        r"""Logistic sigmoid :math:`\sigma(x) = 1/(1+e^{-x})`; derivative
        :math:`\sigma(x)(1-\sigma(x))`.

        Computed from :math:`e = e^{-|x|} \le 1` as :math:`1/(1+e)` for
        :math:`x \ge 0` and :math:`e/(1+e)` for :math:`x < 0`, so no
        exponential overflows (finite and warning-free for :math:`x = \pm 10^4`).
        """
        y = _stable_sigmoid(self._data, self.xp)
        out = _result(y, self.backend, self.xp, "sigmoid", (self,), _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (_SELF, 0)
            a = self

            def _backward(g):
                a._accumulate(g * (y * (1 - y)), True)

            out._backward = _backward
        return out

    def relu(self) -> "Tensor":
        r""":math:`\max(x, 0)`; derivative 1 for :math:`x > 0`, else 0 (0 at the
        kink :math:`x = 0`, as in PyTorch)."""
        y = self.xp.maximum(self._data, 0)
        out = _result(y, self.backend, self.xp, "relu", (self,), _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (_SELF, 0)
            a = self

            def _backward(g):
                a._accumulate(g * (y > 0), True)

            out._backward = _backward
        return out

    def abs(self) -> "Tensor":
        r""":math:`|x|`; derivative :math:`\operatorname{sign}(x)` (0 at 0, as in PyTorch)."""
        x = self._data
        out = _result(self.xp.abs(x), self.backend, self.xp, "abs", (self,),
                      _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (self, _ver(self))
            a = self
            xp = self.xp

            def _backward(g):
                a._accumulate(g * xp.sign(x), True)

            out._backward = _backward
        return out

    __abs__ = abs

    def sign(self) -> "Tensor":
        """-1, 0 or 1 (not differentiable: its derivative is 0 almost everywhere)."""
        return _result(self.xp.sign(self._data), self.backend, self.xp, "sign", (), False)

    def erf(self) -> "Tensor":
        r"""The error function; derivative :math:`\frac{2}{\sqrt\pi} e^{-x^2}`."""
        x = self._data
        out = _result(self.backend.erf(x), self.backend, self.xp, "erf", (self,),
                      _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (self, _ver(self))
            a, xp = self, self.xp

            def _backward(g):
                a._accumulate(g * (2 / math.sqrt(math.pi)) * xp.exp(-x * x), True)

            out._backward = _backward
        return out

    def softplus(self) -> "Tensor":
        r""":math:`\operatorname{softplus}(x) = \ln(1 + e^x)`; derivative :math:`\sigma(x)`.

        Computed as :math:`\max(x, 0) + \ln(1 + e^{-|x|})`, which never
        overflows. (PyTorch has this as ``torch.nn.functional.softplus``, which
        switches to :math:`x` above a threshold; nnlearn uses the exact formula.)
        """
        xp = self.xp
        x = self._data
        e = xp.exp(-xp.abs(x))
        y = xp.maximum(x, 0) + xp.log1p(e)
        out = _result(y, self.backend, xp, "softplus", (self,), _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (self, _ver(self))
            a = self

            def _backward(g):
                s = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
                a._accumulate(g * s, True)

            out._backward = _backward
        return out

    def clip(self, min=None, max=None) -> "Tensor":
        r"""Limit the values to ``[min, max]`` (PyTorch: ``clamp``/``clip``).

        The derivative is 1 where :math:`\text{min} \le x \le \text{max}` and 0
        where the value was clipped (PyTorch's convention at the boundaries).
        """
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        xp = self.xp
        x = self._data
        lo = min._data if isinstance(min, Tensor) else min
        hi = max._data if isinstance(max, Tensor) else max
        y = x
        if lo is not None:
            y = xp.maximum(y, lo)
        if hi is not None:
            y = xp.minimum(y, hi)
        out = _result(y, self.backend, xp, "clip", (self,), _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (self, _ver(self))
            a = self

            def _backward(g):
                inside = xp.ones_like(x, dtype=xp.bool)
                if lo is not None:
                    inside = inside & (x >= lo)
                if hi is not None:
                    inside = inside & (x <= hi)
                a._accumulate(g * inside, True)

            out._backward = _backward
        return out

    clamp = clip

    def sqrt(self) -> "Tensor":
        r""":math:`\sqrt{x}`, as ``x ** 0.5``."""
        return self**0.5

    def rsqrt(self) -> "Tensor":
        r""":math:`1/\sqrt{x}`, as ``x ** -0.5``."""
        return self._as_float() ** -0.5

    def square(self) -> "Tensor":
        """:math:`x^2`, as ``x * x``."""
        return self * self

    def reciprocal(self) -> "Tensor":
        """:math:`1/x`, as ``x ** -1``."""
        return self._as_float() ** -1

    def neg(self) -> "Tensor":
        """:math:`-x`."""
        return -self

    def add(self, other, *, alpha=1) -> "Tensor":
        """``self + alpha * other``."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1) -> "Tensor":
        """``self - alpha * other``."""
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other) -> "Tensor":
        """``self * other``."""
        return self * other

    def div(self, other) -> "Tensor":
        """``self / other``."""
        return self / other

    def maximum(self, other) -> "Tensor":
        """Elementwise maximum with ``other`` (see :func:`maximum`)."""
        return maximum(self, other)

    def minimum(self, other) -> "Tensor":
        """Elementwise minimum with ``other`` (see :func:`minimum`)."""
        return minimum(self, other)

    def where(self, condition, other) -> "Tensor":
        """``self`` where ``condition`` holds, else ``other`` (see :func:`where`)."""
        return where(condition, self, other)

    # ---------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None) -> "Tensor":
        r"""Sum over ``axis`` (all axes by default).

        Every input entry enters the sum once, so its gradient is the upstream
        gradient of the sum it went into, broadcast back to the input's shape.
        ``dim``/``keepdim`` are accepted as PyTorch aliases.
        """
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "sum")
        src = self if dtype is None else self.to(dtype=dtype)
        xp = src.xp
        x = src._data
        axes = _normalize_axes(axis, x.ndim, "sum")
        # The array method (shared by NumPy, PyTorch and CuPy) is faster than xp.sum.
        data = x.sum() if not keepdims and len(axes) == x.ndim else x.sum(axis=axes, keepdims=keepdims)
        out = _result(data, src.backend, xp, "sum", (src,), _mode.enabled and src.requires_grad)
        if out.requires_grad:
            a = src
            shape = x.shape
            kshape = tuple(1 if i in axes else n for i, n in enumerate(shape))

            def _backward(g):
                if not keepdims:
                    g = xp.reshape(g, kshape)
                a._accumulate(xp.broadcast_to(g, shape), False)

            out._backward = _backward
        return out

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        r"""Mean over ``axis``: the sum times :math:`1/n`, :math:`n` the number of
        entries averaged (NaN for an empty tensor, as in PyTorch).
        ``dim``/``keepdim`` are PyTorch aliases."""
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "mean")
        axes = _normalize_axes(axis, self._data.ndim, "mean")
        n = math.prod(self._data.shape[i] for i in axes)
        return self.sum(axes, keepdims) * (1.0 / n if n else math.nan)

    def var(self, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None,
            unbiased=None) -> "Tensor":
        r"""Variance :math:`\frac{1}{n - c}\sum_i (x_i - \bar{x})^2` over ``axis``.

        ``correction`` :math:`c` defaults to 1 (the unbiased estimate), as in
        PyTorch (``unbiased=False`` is ``correction=0``); NumPy's ``var``
        defaults to 0. Built from ``mean``, ``-``, ``*`` and ``sum``, so its
        gradient needs no code of its own.
        """
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "var")
        if unbiased is not None:
            correction = 1 if unbiased else 0
        axes = _normalize_axes(axis, self._data.ndim, "var")
        n = math.prod(self._data.shape[i] for i in axes)
        if n - correction <= 0:
            raise ValueError(
                f"var: with correction={correction} at least {correction + 1} values are needed "
                f"along the reduced axes, got {n} (tensor of shape {self.shape})"
            )
        d = self - self.mean(axes, keepdims=True)
        return (d * d).sum(axes, keepdims) * (1.0 / (n - correction))

    def std(self, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None,
            unbiased=None) -> "Tensor":
        r"""Standard deviation: ``var(...) ** 0.5`` (``correction=1`` as in PyTorch)."""
        return self.var(axis, correction, keepdims, dim=dim, keepdim=keepdim, unbiased=unbiased) ** 0.5

    def amax(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        r"""Largest value over ``axis`` (all axes by default), as ``torch.amax``.

        The gradient goes to the entries that attain the maximum; when several
        tie, it is split equally between them (as ``torch.amax``).
        """
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "amax")
        xp = self.xp
        x = self._data
        axes = _normalize_axes(axis, x.ndim, "amax")
        if 0 in (x.shape[i] for i in axes):
            raise RuntimeError(f"amax: cannot take the maximum over an empty dimension (shape {self.shape})")
        m = xp.max(x, axis=axes, keepdims=True)
        data = m if keepdims else xp.reshape(m, tuple(n for i, n in enumerate(x.shape) if i not in axes))
        out = _result(data, self.backend, xp, "amax", (self,), _mode.enabled and self.requires_grad)
        if out.requires_grad:
            out._saved = (self, _ver(self))
            a = self

            def _backward(g):
                mask = x == m
                count = xp.sum(mask, axis=axes, keepdims=True)
                g = xp.reshape(g, m.shape)
                a._accumulate(g * mask / count, True)

            out._backward = _backward
        return out

    def amin(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        """Smallest value over ``axis``: ``-(-x).amax(...)`` (ties split the
        gradient, as ``torch.amin``)."""
        return -((-self).amax(axis, keepdims, dim=dim, keepdim=keepdim))

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """As PyTorch's ``max``, in three forms:

        - ``x.max()``: the largest value (ties split the gradient, as ``amax``);
        - ``x.max(dim)``: a named tuple ``(values, indices)`` of the maxima
          along ``dim`` and where they are; the gradient goes to the entry
          at the returned index (as PyTorch's ``max(dim)``);
        - ``x.max(other)``: the elementwise maximum (see :func:`maximum`).

        For the maxima over one or several dims without indices use
        :meth:`amax`.
        """
        return self._extreme(dim, keepdim, axis, keepdims, True)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """As :meth:`max`, for the smallest values: ``x.min()``, ``x.min(dim)``
        → ``(values, indices)``, ``x.min(other)``. An integer tensor's minimum
        stays an integer."""
        return self._extreme(dim, keepdim, axis, keepdims, False)

    def _extreme(self, dim, keepdim, axis, keepdims, largest: bool):
        name = "max" if largest else "min"
        if axis is not None:
            if dim is not None:
                raise TypeError(f"{name}: give either dim= or its NumPy alias axis=, not both")
            dim = axis
        if keepdims is not None:
            keepdim = keepdims
        if isinstance(dim, Tensor):
            return maximum(self, dim) if largest else minimum(self, dim)
        if dim is None:
            return self.amax() if largest else self.amin()
        if isinstance(dim, (tuple, list)):
            raise TypeError(
                f"{name}(dim) takes one dimension (and returns values and indices); for the "
                f"{'largest' if largest else 'smallest'} values over several dims use "
                f"a{name}(dim={tuple(dim)!r})"
            )
        xp = self.xp
        x = self._data
        d = _normalize_dim(dim, x.ndim, name)
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"{name}(): cannot reduce over an empty dimension (shape {self.shape})")
        idx = xp.argmax(x, axis=d) if largest else xp.argmin(x, axis=d)
        if x.ndim == 0:
            values, indices = self, _result(idx, self.backend, xp, "", (), False)
        else:
            # the values are the entries at the indices: picking them by indexing
            # sends each gradient to the returned index, as in PyTorch
            device = {} if getattr(x, "device", None) is None else {"device": x.device}
            pick = []
            for k, n in enumerate(x.shape):
                if k == d:
                    pick.append(idx)
                elif k != d:
                    shape = [1] * (x.ndim - 1)
                    shape[k if k < d else k - 1] = n
                    pick.append(xp.reshape(xp.arange(n, **device), tuple(shape)))
            values = self._take(tuple(pick))
            values._op = name   # (PyTorch's MaxBackward0 / MinBackward0)
            indices = _result(idx, self.backend, xp, "", (), False)
            if keepdim:
                values, indices = values.unsqueeze(d), indices.unsqueeze(d)
        return (_max_result if largest else _min_result)(values, indices)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        r""":math:`\ln \sum_i e^{x_i}`, computed as :math:`m + \ln\sum_i e^{x_i - m}`
        with :math:`m = \max_i x_i` held constant (so nothing overflows; a row of
        :math:`-\infty` gives :math:`-\infty` and a :math:`+\infty` entry gives
        :math:`+\infty`, as in PyTorch). Its gradient is the softmax of :math:`x`."""
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "logsumexp")
        m = self.amax(axis, keepdims=True).detach()
        xp = self.xp
        m._data = xp.where(xp.isfinite(m._data), m._data, 0)   # ±inf: shift by 0 instead
        s = (self - m).exp().sum(axis, keepdims=True)
        positive = s._data > 0                                   # a row of -inf sums to 0
        out = where(positive, where(positive, s, 1.0).log(), -math.inf) + m
        if not keepdims:
            axes = _normalize_axes(axis, self._data.ndim, "logsumexp")
            out = out.reshape(tuple(n for i, n in enumerate(self._data.shape) if i not in axes))
        return out

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        """Index of the largest value (an integer tensor; not differentiable)."""
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "argmax")
        if axis is not None:
            axis = _normalize_dim(axis, self._data.ndim, "argmax")
        if 0 in tuple(self._data.shape) and (axis is None or self._data.shape[axis] == 0):
            raise ValueError(f"argmax: the tensor of shape {_shape(self._data)} is empty"
                             f"{'' if axis is None else f' along dim {axis}'}, so it has no maximum")
        data = self.xp.argmax(self._data, axis=axis, keepdims=keepdims)
        return _result(data, self.backend, self.xp, "argmax", (), False)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        """Index of the smallest value (an integer tensor; not differentiable)."""
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "argmin")
        if axis is not None:
            axis = _normalize_dim(axis, self._data.ndim, "argmin")
        if 0 in tuple(self._data.shape) and (axis is None or self._data.shape[axis] == 0):
            raise ValueError(f"argmin: the tensor of shape {_shape(self._data)} is empty"
                             f"{'' if axis is None else f' along dim {axis}'}, so it has no minimum")
        data = self.xp.argmin(self._data, axis=axis, keepdims=keepdims)
        return _result(data, self.backend, self.xp, "argmin", (), False)

    def all(self, dim=None, keepdim=False, *, axis=None, out=None) -> "Tensor":
        """True where every entry (along ``dim``) is nonzero (not differentiable)."""
        dim = axis if dim is None else dim
        data = self.xp.all(self._data, axis=dim, keepdims=keepdim)
        return _result(data, self.backend, self.xp, "all", (), False)

    def any(self, dim=None, keepdim=False, *, axis=None, out=None) -> "Tensor":
        """True where some entry (along ``dim``) is nonzero (not differentiable)."""
        dim = axis if dim is None else dim
        data = self.xp.any(self._data, axis=dim, keepdims=keepdim)
        return _result(data, self.backend, self.xp, "any", (), False)

    def norm(self, p="fro", dim=None, keepdim=False) -> "Tensor":
        r"""The vector norm :math:`\bigl(\sum_i |x_i|^p\bigr)^{1/p}` over ``dim``
        (all entries by default; ``p=2`` or ``"fro"`` is the Euclidean norm,
        ``p=1`` the sum of absolute values, ``p=inf`` the largest one). Built
        from ``abs``, ``**``, ``sum`` and ``amax``."""
        if p in ("fro", 2, 2.0):
            return (self * self).sum(dim, keepdim) ** 0.5
        if p in (1, 1.0):
            return self.abs().sum(dim, keepdim)
        if p in (math.inf, float("inf")):
            return self.abs().amax(dim, keepdim)
        if not isinstance(p, (int, float)) or p <= 0:
            raise ValueError(f"norm: p must be a positive number, 'fro' or inf, got {p!r}")
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    # --------------------------------------------------------------- shape
    def reshape(self, *shape) -> "Tensor":
        """The same values in a new shape (``-1`` infers one dimension)."""
        shape = _sizes(shape, "reshape")
        if any(n < -1 for n in shape) or list(shape).count(-1) > 1:
            raise ValueError(f"reshape: invalid shape {tuple(shape)}: sizes must be >= 0, and only "
                             "one of them may be -1 (inferred)")
        x = self._data
        try:
            data = x.reshape(shape)
        except (ValueError, RuntimeError) as e:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {_shape(x)} "
                f"({math.prod(x.shape)} elements) into {tuple(shape)}"
            ) from e
        out = _result(data, self.backend, self.xp, "reshape", (self,), _mode.enabled and self.requires_grad)
        out._vc = self._version_box()  # a view: one version counter for both
        if out.requires_grad:
            a = self
            old = x.shape

            def _backward(g):
                a._accumulate(g.reshape(old), False)

            out._backward = _backward
        return out

    def view(self, *shape) -> "Tensor":
        """The same values in a new shape, as :meth:`reshape` (nnlearn does not
        distinguish views from copies)."""
        return self.reshape(*shape)

    def view_as(self, other: "Tensor") -> "Tensor":
        """Reshaped to ``other``'s shape."""
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """Merge dimensions ``start_dim`` to ``end_dim`` into one (as PyTorch)."""
        shape = self.shape
        if not shape:
            _normalize_dim(start_dim, 0, "flatten")  # a 0-d tensor has dims -1 and 0 only
            _normalize_dim(end_dim, 0, "flatten")
            return self.reshape(1)
        s = _normalize_dim(start_dim, len(shape), "flatten")
        e = _normalize_dim(end_dim, len(shape), "flatten")
        return self.reshape(shape[:s] + (math.prod(shape[s: e + 1]),) + shape[e + 1:])

    def unsqueeze(self, dim: int) -> "Tensor":
        """A new dimension of size 1 at position ``dim`` (``-1``: last)."""
        shape = list(self.shape)
        d = _normalize_dim(dim, len(shape) + 1, "unsqueeze")
        shape.insert(d, 1)
        return self.reshape(tuple(shape))

    def squeeze(self, dim=None) -> "Tensor":
        """Without ``dim``, remove every dimension of size 1; with ``dim`` (an
        int or a tuple), remove those among them that have size 1."""
        shape = self.shape
        if dim is None:
            dims = {i for i, n in enumerate(shape) if n == 1}
        else:
            dims = {d for d in _normalize_axes(dim, len(shape), "squeeze") if shape and shape[d] == 1}
        return self.reshape(tuple(n for i, n in enumerate(shape) if i not in dims))

    def expand(self, *sizes) -> "Tensor":
        """The tensor broadcast to ``sizes`` without copying (``-1`` keeps a
        dimension); the gradient is summed back over the broadcast entries."""
        sizes = _sizes(sizes, "expand")
        x = self._data
        lead = len(sizes) - x.ndim
        if lead < 0:
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal "
                f"to the number of dimensions in the tensor ({x.ndim})"
            )
        target = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        try:
            data = self.xp.broadcast_to(x, target)
        except (ValueError, RuntimeError) as e:
            raise RuntimeError(
                f"expand: the tensor of shape {_shape(x)} cannot be expanded to {sizes}: only "
                "dimensions of size 1 can grow"
            ) from e
        out = _result(data, self.backend, self.xp, "expand", (self,), _mode.enabled and self.requires_grad)
        out._vc = self._version_box()
        if out.requires_grad:
            a = self
            shape = x.shape

            def _backward(g):
                ga = _unbroadcast(g, shape)
                a._accumulate(ga, ga is not g)

            out._backward = _backward
        return out

    def expand_as(self, other: "Tensor") -> "Tensor":
        """Broadcast to ``other``'s shape."""
        return self.expand(other.shape)

    def repeat(self, *sizes) -> "Tensor":
        """The tensor tiled ``sizes[i]`` times along each dimension (as
        ``torch.Tensor.repeat``), built from ``reshape`` and ``expand``."""
        sizes = _sizes(sizes, "repeat")
        if len(sizes) < self.ndim:
            raise RuntimeError(
                "repeat: number of dimensions of repeat dims can not be smaller than number of "
                f"dimensions of tensor ({len(sizes)} < {self.ndim})"
            )
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        split, grown = [], []
        for r, n in zip(sizes, shape):
            split += [1, n]
            grown += [r, n]
        return self.reshape(tuple(split)).expand(tuple(grown)).reshape(
            tuple(r * n for r, n in zip(sizes, shape)))

    def permute(self, *axes) -> "Tensor":
        """Reorder the axes: ``y.shape[i] == x.shape[axes[i]]``; the gradient is
        permuted back by the inverse permutation."""
        axes = _sizes(axes, "permute")
        x = self._data
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"permute: {axes} is not a permutation of the {x.ndim} axes of shape {_shape(x)}")
        axes = tuple(a % x.ndim for a in axes)
        xp = self.xp
        out = _result(xp.permute_dims(x, axes), self.backend, xp, "permute", (self,),
                      _mode.enabled and self.requires_grad)
        out._vc = self._version_box()
        if out.requires_grad:
            a = self
            inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))

            def _backward(g):
                a._accumulate(xp.permute_dims(g, inverse), False)

            out._backward = _backward
        return out

    def transpose(self, dim0: int = -2, dim1: int = -1) -> "Tensor":
        """Swap two axes (PyTorch's ``transpose(dim0, dim1)``; NumPy's
        ``transpose`` permutes all axes instead, see :meth:`permute`)."""
        n = self._data.ndim
        if n < 2 and (dim0, dim1) == (-2, -1):
            raise IndexError(
                f"transpose: a tensor with {n} dimension{'s' if n != 1 else ''} has no two axes "
                "to swap; give dim0 and dim1, or use t() (which leaves 1-D tensors alone)"
            )
        d0 = _normalize_dim(dim0, n, "transpose")
        d1 = _normalize_dim(dim1, n, "transpose")
        axes = list(range(n))
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return self.permute(*axes) if n else self

    def t(self) -> "Tensor":
        """The transpose of a matrix (1-D and 0-D tensors are returned as they
        are), as ``torch.Tensor.t``."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self) -> "Tensor":
        """All axes reversed (the matrix transpose for 2-D)."""
        return self.permute(*reversed(range(self._data.ndim)))

    def __getitem__(self, index) -> "Tensor":
        r"""Indexing: basic slices and integer-array indexing such as
        ``logits[rows, labels]`` (pick one entry per row).

        The gradient is zero except at the picked entries, where it is the
        upstream gradient; an entry picked twice receives both contributions.
        Integer index arrays of any integer dtype (uint8 included) are
        positions, never a boolean mask, on every backend.
        """
        return self._take(_convert_index(index, self.backend), index)

    def _take(self, idx, shown=None) -> "Tensor":
        xp = self.xp
        x = self._data
        try:
            data = x[idx]
            if not hasattr(data, "__setitem__"):  # NumPy gives a scalar for a single entry
                data = x[(idx if isinstance(idx, tuple) else (idx,)) + (...,)] if not _has_array(idx) \
                    else xp.asarray(data)
        except IndexError as e:
            raise IndexError(
                f"index {idx if shown is None else shown!r} is out of range for a tensor of "
                f"shape {_shape(x)}: {e}"
            ) from e
        out = _result(data, self.backend, xp, "[]", (self,), _mode.enabled and self.requires_grad)
        if not _has_array(idx):
            out._vc = self._version_box()  # basic indexing gives a view
        if out.requires_grad:
            a = self

            def _backward(g):
                a._accumulate(_scatter_add(xp, x, idx, g), True)

            out._backward = _backward
        return out

    # ---------------------------------------------------------- comparisons
    def _compare(self, other, fn, op: str) -> "Tensor":
        o = other if isinstance(other, (int, float)) else self._coerce(other, op)._data
        return _result(fn(self._data, o), self.backend, self.xp, "", (), False)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b, "compare (<)")

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b, "compare (<=)")

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b, "compare (>)")

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b, "compare (>=)")

    def __eq__(self, other):
        if other is None:
            return False
        return self._compare(other, lambda a, b: a == b, "compare (==)")

    def __ne__(self, other):
        if other is None:
            return True
        return self._compare(other, lambda a, b: a != b, "compare (!=)")

    def eq(self, other) -> "Tensor":
        """``self == other`` elementwise."""
        return self == other

    def equal(self, other) -> bool:
        """True if ``other`` has the same shape and values (as ``torch.equal``)."""
        other = self._coerce(other, "equal")
        return self.shape == other.shape and bool(self.xp.all(self._data == other._data))

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08) -> bool:
        """True if every entry is within ``atol + rtol * |other|`` (as ``torch.allclose``)."""
        other = self._coerce(other, "allclose")
        xp = self.xp
        return bool(xp.all(xp.abs(self._data - other._data) <= atol + rtol * xp.abs(other._data)))

    # -------------------------------------------------------------- backward
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        r"""Backpropagate: fill ``.grad`` of every leaf this tensor depends on.

        Visits the graph in reverse topological order (found iteratively, so a
        chain of :math:`10^5` operations is fine) and calls each node's
        ``_backward``, which adds :math:`\bar{y}\,\partial y/\partial x` into its
        inputs' gradients. Leaves *accumulate*: a second ``backward()`` adds to
        ``.grad``.

        Parameters
        ----------
        gradient : array or Tensor, optional
            :math:`\partial L/\partial \text{self}`. May be omitted only for a
            scalar (one-element) tensor, where it is 1.
        retain_graph : bool, optional
            Keep the values the graph saved, so that ``backward()`` can run
            through it again. By default they are freed, as in PyTorch, and a
            second ``backward()`` through the same graph raises.
        create_graph, inputs
            PyTorch's higher-order gradients and partial backward are not
            supported (``create_graph=True`` raises).

        Raises
        ------
        RuntimeError
            If a value the graph saved was changed in place since the forward
            pass, or the graph was already freed, as in PyTorch.
        """
        if create_graph:
            raise NotImplementedError("backward(create_graph=True): nnlearn has no higher-order gradients")
        if inputs is not None:
            raise NotImplementedError("backward(inputs=...): use nnlearn.autograd.grad(outputs, inputs)")
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of the "
                "tensors it was computed from has requires_grad=True (or it was computed "
                "inside no_grad()). Create the inputs with requires_grad=True."
            )
        _run_backward([(self, self._seed(gradient, "backward"))], bool(retain_graph), None)

    def _seed(self, gradient, op: str):
        """The starting gradient :math:`\\partial L/\\partial\\,\\text{self}` as an array."""
        if gradient is None:
            if math.prod(self._data.shape) != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs: {op}() was "
                    f"called on a tensor of shape {self.shape}. Reduce it to a scalar first "
                    f"(.sum() or .mean()), or pass gradient= an array of shape {self.shape}."
                )
            return self._data**0  # 1 in the output's dtype (x**0 is 1 even for inf and nan)
        seed = self._coerce(gradient, op)._data
        if tuple(seed.shape) != self.shape:
            raise ValueError(
                f"{op}: gradient has shape {_shape(seed)} but the tensor has shape "
                f"{self.shape}; they must be equal"
            )
        return seed

    def _store_grad(self, g) -> None:
        """Add a leaf's gradient from one ``backward()`` into ``.grad``.

        It becomes an array of the leaf's dtype (a NumPy scalar from 0-d
        arithmetic, or another dtype from mixed precision, is converted, as in
        PyTorch) that the leaf owns: a borrowed array is copied, so later
        in-place updates of one gradient cannot change another.
        """
        xp = self.xp
        data = self._data
        owned = self._g_owned
        if type(g) is not type(data) or g.dtype != data.dtype:
            g = xp.asarray(g, dtype=data.dtype, copy=True)
            owned = True
        current = self._grad
        if current is None:
            self._grad = _result(g if owned else xp.asarray(g, copy=True), self.backend, xp, "", (), False)
            self._grad_owned = True
        elif self._grad_owned:
            current._data += g  # accumulate in place, like PyTorch
        else:
            self._grad = _result(current._data + g, self.backend, xp, "", (), False)
            self._grad_owned = True


# --------------------------------------------------------------------------
# The backward pass
# --------------------------------------------------------------------------

def _run_backward(roots, retain_graph: bool, capture):
    """Backpropagate from ``roots`` (pairs of a tensor and its gradient).

    With ``capture`` (a dict ``id(tensor) -> None``), the gradients of those
    tensors are collected into it instead of being added to ``.grad``
    (what :func:`nnlearn.autograd.grad` needs).
    """
    order = _topological_order([t for t, _ in roots])
    for t, seed in roots:
        t._accumulate(seed, False)
    for node in reversed(order):
        g = node._g
        node._g = None
        if capture is not None and id(node) in capture and g is not None:
            capture[id(node)] = g if node._g_owned else node.xp.asarray(g, copy=True)
        fn = node._backward
        if fn is not None:
            if g is not None:
                if node._saved:
                    _check_saved(node)
                fn(g)
                if node._retains_grad and capture is None:
                    node._g_owned = False  # (g went on to the inputs: keep a copy)
                    node._store_grad(g)
            if not retain_graph and node._saved is not None:
                node._backward = _freed   # the graph is freed, as in PyTorch
                node._saved = None
        elif g is not None and capture is None:
            node._store_grad(g)


def _topological_order(roots) -> list:
    """Nodes that require grad, each after all of its inputs (iterative DFS).

    Also clears the gradients being accumulated, ready for a new pass.
    """
    order = []
    visited = set()
    stack = [(root, False) for root in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            node._g = None  # a gradient is rebuilt on every pass
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node._prev:
            if parent.requires_grad and parent not in visited:
                stack.append((parent, False))
    return order


def _check_saved(node) -> None:
    """Raise PyTorch's error if a value ``node`` saved was changed in place."""
    saved = node._saved
    for i in range(0, len(saved), 2):
        t = saved[i]
        role = "an input"
        if t is _SELF:
            t, role = node, "output 0"
        now = _ver(t)
        if now != saved[i + 1]:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{type(t).__name__} of shape {t.shape}, "
                f"{_dtype_name(t._data.dtype)}], which is {role} of {_GradFn(node).name()}, is at "
                f"version {now}; expected version {saved[i + 1]} instead. Hint: the values were "
                "changed in place (+=, add_, t[...] = ..., .data, an optimizer step) after the "
                "forward pass used them; change them after backward(), or run the forward "
                "pass again."
            )


def _stable_sigmoid(x, xp):
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _check_matmul(A, B) -> None:
    if A.ndim == 0 or B.ndim == 0:
        raise ValueError(
            f"matmul (@): both operands need at least one dimension, got shapes "
            f"{_shape(A)} and {_shape(B)}; use * to multiply by a scalar"
        )
    k_left = A.shape[-1]
    k_right = B.shape[-2] if B.ndim > 1 else B.shape[0]
    if k_left != k_right:
        raise ValueError(
            f"matmul (@): shapes {_shape(A)} and {_shape(B)} are not aligned: the last "
            f"dimension of the left operand ({k_left}) must equal the "
            f"{'second-to-last' if B.ndim > 1 else 'only'} dimension of the right "
            f"operand ({k_right})"
        )


def _check_same_dtype(op: str, A, B) -> None:
    """Matrix products need one float dtype, as in PyTorch (which raises
    "expected m1 and m2 to have the same dtype"): promoting silently would run
    a float32 model in float64 at half the speed."""
    if A.dtype != B.dtype:
        names = {_dtype_name(A.dtype), _dtype_name(B.dtype)}
        hint = ""
        if names == {"float32", "float64"}:
            hint = (". nnlearn's default float dtype is float64 (PyTorch's is float32), so "
                    "parameters and tensors made from Python numbers are float64 while data "
                    "loaded as float32 arrays stays float32: convert the data (x.double()) or "
                    "the model (model.float()), or call nnlearn.set_default_dtype(nnlearn.float32) "
                    "before building the model")
        raise TypeError(
            f"{op}: expected both operands to have the same dtype (as PyTorch), got "
            f"{_dtype_name(A.dtype)} and {_dtype_name(B.dtype)}; convert one of them, e.g. with "
            f".float() or .double(){hint}"
        )


def _is_place(a) -> bool:
    """A device or backend (rather than a dtype) given to ``to()``."""
    if isinstance(a, (_backend.device, _backend.Backend)):
        return True
    if isinstance(a, str):
        return a.split(":")[0].lower() in _backend.NAMES + ("cpu",)
    return type(a).__name__ == "device"   # torch.device


def _convert_index(index, b):
    """Tensors and lists inside an index become arrays of backend ``b``;
    integer index arrays become int64 (a uint8 array would be a mask to
    PyTorch, a position list to NumPy)."""
    if isinstance(index, tuple):
        return tuple(_convert_index(i, b) for i in index)
    if isinstance(index, (int, slice)) or index is None or index is Ellipsis:
        return index
    if isinstance(index, Tensor):
        arr = index._data if index.backend.name == b.name else b.asarray(_backend.to_numpy(index._data))
    else:
        arr = b.asarray(index)
    kind = _backend.dtype_of(arr.dtype)
    if not kind.is_floating_point and kind.name not in ("bool", "int64"):
        arr = b.xp.astype(arr, b.xp.int64)
    return arr


def _has_array(idx) -> bool:
    parts = idx if isinstance(idx, tuple) else (idx,)
    return any(not (isinstance(i, (int, slice)) or i is None or i is Ellipsis) for i in parts)


def _scatter_add(xp, x, idx, g):
    """Zeros shaped like ``x`` with ``g`` added at ``x[idx]``, duplicates summed.

    Basic indexing (ints, slices) and boolean masks select every entry at most
    once, so assignment is enough. An integer array may pick an entry several
    times; then the contributions are added in rounds, one per repetition,
    because ``z[idx] += g`` keeps only one of several writes to the same place.
    """
    z = xp.zeros_like(x, dtype=g.dtype) if g.dtype != x.dtype else xp.zeros_like(x)
    if not _has_array(idx):
        z[idx] = g
        return z
    device = {} if getattr(x, "device", None) is None else {"device": x.device}
    pos = xp.reshape(xp.arange(math.prod(x.shape), **device), x.shape)[idx]
    pos = xp.reshape(pos, (-1,))
    if xp.unique_values(pos).shape[0] == pos.shape[0]:
        z[idx] = g
        return z
    order = xp.argsort(pos)
    p, v = pos[order], xp.reshape(xp.broadcast_to(g, pos.shape if g.ndim == 0 else g.shape), (-1,))[order]
    rank = xp.arange(p.shape[0], **device) - xp.searchsorted(p, p)
    zflat = xp.reshape(z, (-1,))
    for r in range(int(xp.max(rank)) + 1):
        sel = rank == r
        zflat[p[sel]] += v[sel]
    return xp.reshape(zflat, x.shape)


def _iadd(x, o):
    x += o


def _isub(x, o):
    x -= o


def _imul(x, o):
    x *= o


def _idiv(x, o):
    x /= o


def _icopy(x, o):
    x[...] = o


# --------------------------------------------------------------------------
# Operations on several tensors
# --------------------------------------------------------------------------

def _as_tensor(x, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return like._coerce(x, "") if like is not None else Tensor(x)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""The affine map :math:`Y = X W^\top + b` as one node of the graph
    (PyTorch: ``torch.nn.functional.linear``).

    With :math:`X` of shape ``(n, in)`` (or ``(in,)``, or ``(..., in)``),
    :math:`W` of shape ``(out, in)`` and :math:`b` of shape ``(out,)``:

    .. math::

        \bar{X} = \bar{Y} W, \qquad
        \bar{W} = \bar{Y}^\top X, \qquad
        \bar{b} = \textstyle\sum_i \bar{Y}_{i,:}.

    ``X @ W.T + b`` gives the same values and gradients through three nodes;
    this single node is faster, which matters for small layers, and skips
    :math:`\bar{X}` entirely when the input does not require grad (the data).
    A raw array input takes the weight's float dtype; two Tensors of
    different float dtypes raise, as in PyTorch.
    """
    if not isinstance(input, Tensor):
        input = weight._coerce(input, "linear")
    x, W = input._data, weight._data
    if W.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {_shape(W)}")
    if x.ndim == 0 or x.shape[-1] != W.shape[1]:
        raise ValueError(
            f"linear: input of shape {_shape(x)} does not match weight of shape "
            f"{_shape(W)}: expected input of shape (*, {W.shape[1]})"
        )
    if bias is not None and tuple(getattr(bias, "shape", ())) not in ((W.shape[0],), (), (1,)):
        raise ValueError(f"linear: bias of shape {tuple(bias.shape)} does not match weight of shape "
                         f"{_shape(W)}: expected a bias of shape ({W.shape[0]},)")
    if input.backend is not weight.backend:
        weight._coerce(input, "linear")
    if x.dtype != W.dtype:
        x, W = _align(x, W, weight.xp)
        _check_same_dtype("linear", x, W)
    y = x @ W.T
    ri, rw = input.requires_grad, weight.requires_grad
    rb = False
    if bias is not None:
        if bias.backend is not weight.backend:
            weight._coerce(bias, "linear")
        y += bias._data
        rb = bias.requires_grad
    parents = (input, weight) if bias is None else (input, weight, bias)
    out = _result(y, weight.backend, weight.xp, "linear", parents, _mode.enabled and (ri or rw or rb))
    if out.requires_grad:
        out._saved = (input, _ver(input), weight, _ver(weight))
        n_out = W.shape[0]

        def _backward(g):
            if ri:
                input._accumulate(g @ W, True)
            if x.ndim == 2:
                g2, x2 = g, x
            elif x.ndim == 1:
                g2, x2 = g.reshape(1, -1), x.reshape(1, -1)
            else:
                g2, x2 = g.reshape(-1, n_out), x.reshape(-1, x.shape[-1])
            if rw:
                weight._accumulate(g2.T @ x2, True)
            if rb:
                bias._accumulate(g2.sum(0), True)

        out._backward = _backward
    return out


def cat(tensors, dim: int = 0) -> Tensor:
    r"""Join tensors along an existing dimension ``dim`` (as ``torch.cat``).

    The gradient is split back: each input receives the slice of
    :math:`\bar{y}` that its entries occupy.
    """
    ts = list(tensors)
    if not ts:
        raise ValueError("cat: expected a non-empty list of tensors")
    first = next((t for t in ts if isinstance(t, Tensor)), None)
    ts = [_as_tensor(t, first) for t in ts]
    first = ts[0]
    xp = first.xp
    arrays = [first._coerce(t, "cat")._data for t in ts]
    if any(a.dtype != arrays[0].dtype for a in arrays):
        floats = [a.dtype for a in arrays if _floating(a.dtype)]
        if floats:
            target = max(floats, key=lambda d: _backend.dtype_of(d).itemsize)
            arrays = [a if a.dtype == target else xp.astype(a, target) for a in arrays]
    ndim = arrays[0].ndim
    d = _normalize_dim(dim, ndim, "cat")
    for t, a in zip(ts, arrays):
        if a.ndim != ndim or a.shape[:d] + a.shape[d + 1:] != arrays[0].shape[:d] + arrays[0].shape[d + 1:]:
            raise ValueError(
                f"cat: sizes of tensors must match except in dimension {d}: got shapes "
                f"{[tuple(x.shape) for x in arrays]}"
            )
    data = xp.concat(arrays, axis=d)
    needs = [t.requires_grad for t in ts]
    out = _result(data, first.backend, xp, "cat", tuple(ts), _mode.enabled and any(needs))
    if out.requires_grad:
        bounds = []
        start = 0
        for a in arrays:
            bounds.append((start, start + a.shape[d]))
            start += a.shape[d]

        def _backward(g):
            for t, r, (lo, hi) in zip(ts, needs, bounds):
                if r:
                    t._accumulate(g[(slice(None),) * d + (slice(lo, hi),)], False)

        out._backward = _backward
    return out


concat = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of the same shape along a *new* dimension ``dim`` (as
    ``torch.stack``): ``cat`` of the tensors each unsqueezed at ``dim``."""
    ts = list(tensors)
    if not ts:
        raise ValueError("stack: expected a non-empty list of tensors")
    first = next((t for t in ts if isinstance(t, Tensor)), None)
    ts = [_as_tensor(t, first) for t in ts]
    shapes = {t.shape for t in ts}
    if len(shapes) > 1:
        raise ValueError(f"stack: expects each tensor to be equal size, got shapes {sorted(shapes)}")
    d = _normalize_dim(dim, ts[0].ndim + 1, "stack")
    return cat([t.unsqueeze(d) for t in ts], d)


def where(condition, input, other) -> Tensor:
    r"""``input`` where ``condition`` is true, ``other`` elsewhere (broadcast,
    as ``torch.where``). Each branch receives the upstream gradient where it
    was chosen and 0 elsewhere."""
    first = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    if first is None:
        first = Tensor(input)
    a, b = _as_tensor(input, first), _as_tensor(other, first)
    cond = condition._data if isinstance(condition, Tensor) else first.backend.asarray(condition)
    import numpy as _np

    xp = first.xp
    x, y = a._data, b._data
    try:
        _np.broadcast_shapes(tuple(cond.shape), tuple(x.shape), tuple(y.shape))
    except ValueError:
        raise ValueError(f"where: condition of shape {tuple(cond.shape)}, input of shape "
                         f"{tuple(x.shape)} and other of shape {tuple(y.shape)} cannot be "
                         "broadcast to one shape") from None
    if cond.dtype != xp.bool:  # a number is true where nonzero, on every backend (as NumPy)
        cond = cond != 0
    if x.dtype != y.dtype:
        x, y = _align(x, y, xp)
    data = xp.where(cond, x, y)
    ra, rb = a.requires_grad, b.requires_grad
    out = _result(data, first.backend, xp, "where", (a, b), _mode.enabled and (ra or rb))
    if out.requires_grad:
        def _backward(g):
            if ra:
                a._accumulate(_unbroadcast(xp.where(cond, g, 0), x.shape), True)
            if rb:
                b._accumulate(_unbroadcast(xp.where(cond, 0, g), y.shape), True)

        out._backward = _backward
    return out


def maximum(input, other) -> Tensor:
    r"""The elementwise maximum of two tensors (as ``torch.maximum``, and
    ``torch.max(a, b)``). The gradient goes to the larger entry; where the two
    are equal, each receives half (as PyTorch)."""
    first = input if isinstance(input, Tensor) else _as_tensor(other)
    a, b = _as_tensor(input, first), _as_tensor(other, first)
    xp = first.xp
    x, y = a._data, b._data
    if x.dtype != y.dtype:
        x, y = _align(x, y, xp)
    data = xp.maximum(x, y)
    ra, rb = a.requires_grad, b.requires_grad
    out = _result(data, first.backend, xp, "maximum", (a, b), _mode.enabled and (ra or rb))
    if out.requires_grad:
        out._saved = (a, _ver(a), b, _ver(b))

        def _backward(g):
            share = xp.astype(x > y, g.dtype) + 0.5 * xp.astype(x == y, g.dtype)  # a's share
            if ra:
                a._accumulate(_unbroadcast(g * share, x.shape), True)
            if rb:
                b._accumulate(_unbroadcast(g * (1 - share), y.shape), True)

        out._backward = _backward
    return out


def minimum(input, other) -> Tensor:
    """The elementwise minimum: ``-maximum(-input, -other)``."""
    first = input if isinstance(input, Tensor) else _as_tensor(other)
    return -maximum(-_as_tensor(input, first), -_as_tensor(other, first))
