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
is ``a * b**-1``, ``mean`` is ``sum`` times :math:`1/n`), so each derivative is
written in exactly one place. :meth:`Tensor.backward` visits the graph in
reverse topological order and calls the closures.

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

Example
-------
>>> import nnlearn
>>> x = nnlearn.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> loss = (x * x).sum()
>>> loss.backward()
>>> x.grad
Tensor([[2., 4.],
        [6., 8.]])
"""

from __future__ import annotations

import functools
import math
from typing import Any

from . import backend as _backend
from .backend import BackendError

__all__ = [
    "Tensor",
    "tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "linear",
]

# Recording the graph is switched off inside ``no_grad()``. A module global is
# the cheapest flag to read on every operation.
_grad_enabled = True

_new = object.__new__


class no_grad:
    """Context manager (and decorator) that stops recording the graph.

    Inside ``with nnlearn.no_grad():`` operations compute their values but
    build no backward closures and keep no references to their inputs, exactly
    as ``torch.no_grad()``: use it for evaluation and for parameter updates.

    Examples
    --------
    >>> import nnlearn
    >>> w = nnlearn.Tensor([1.0, 2.0], requires_grad=True)
    >>> with nnlearn.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    >>> @nnlearn.no_grad()
    ... def predict(x):
    ...     return x * w
    """

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous
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

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = True
        return self


def is_grad_enabled() -> bool:
    """True unless inside :class:`no_grad`."""
    return _grad_enabled


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
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimension"
                f"{'s' if ndim != 1 else ''} (valid: {-ndim} to {ndim - 1})"
            )
        out.append(a % ndim)
    return tuple(sorted(set(out)))


def _axis_alias(axis, dim, keepdims, keepdim, op):
    """Accept PyTorch's ``dim``/``keepdim`` as aliases of ``axis``/``keepdims``."""
    if dim is not None:
        if axis is not None and axis != dim:
            raise TypeError(f"{op}: give either axis= or its PyTorch alias dim=, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return axis, bool(keepdims)


def _is_float(arr, xp) -> bool:
    return xp.isdtype(arr.dtype, "real floating")


def _dtype_arg(dtype, b):
    """A dtype given as a string, a Python type or a backend dtype."""
    if dtype is None:
        return None
    if dtype is float:
        return b.dtype
    if dtype is int:
        return b.xp.int64
    if dtype is bool:
        return b.xp.bool
    if isinstance(dtype, str):
        try:
            return getattr(b.xp, dtype)
        except AttributeError:
            raise TypeError(f"unknown dtype {dtype!r}; use e.g. 'float64', 'float32' or 'int64'") from None
    return dtype


def _dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "").replace("<class '", "").replace("'>", "")


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


# NumPy ufunc name -> (Tensor method, reflected method), for ``array <op> tensor``.
_NUMPY_OPERATORS = {
    "add": ("__add__", "__radd__"),
    "subtract": ("__sub__", "__rsub__"),
    "multiply": ("__mul__", "__rmul__"),
    "true_divide": ("__truediv__", "__rtruediv__"),
    "power": ("__pow__", "__rpow__"),
    "matmul": ("__matmul__", "__rmatmul__"),
    "less": ("__lt__", "__gt__"),
    "less_equal": ("__le__", "__ge__"),
    "greater": ("__gt__", "__lt__"),
    "greater_equal": ("__ge__", "__le__"),
    "equal": ("__eq__", "__eq__"),
    "not_equal": ("__ne__", "__ne__"),
}


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


# --------------------------------------------------------------------------
# Tensor
# --------------------------------------------------------------------------

class Tensor:
    r"""An array that remembers how it was computed, so that gradients can flow back.

    Parameters
    ----------
    data : array_like or Tensor
        Numbers, nested lists, a NumPy array or an array of any backend. It
        becomes an array of the backend current at creation
        (:func:`nnlearn.backend.current`): floats get the backend's default
        float dtype (float64 unless changed), integers stay integers (class
        labels). A Tensor given as ``data`` keeps its backend and shares its
        array.
    requires_grad : bool, default False
        Whether gradients should be accumulated into ``.grad``. Only
        floating-point tensors can require gradients.
    dtype : str or dtype, optional
        ``"float32"``, ``"float64"``, ``"int64"``, ``float``, ``int`` or a
        backend dtype.

    Attributes
    ----------
    requires_grad : bool
        Whether operations on this tensor are recorded.
    backend : nnlearn.backend.Backend
        Where the array lives; ``xp`` is its array namespace.

    Notes
    -----
    Departures from PyTorch, each a deliberate simplification:

    - Gradients of *leaves* (tensors you created) accumulate across
      ``backward()`` calls, as in PyTorch; reset them with ``p.grad = None``
      (what ``optimizer.zero_grad()`` does). Gradients of *intermediate*
      tensors are freed during ``backward()``, as in PyTorch, unless
      :meth:`retain_grad` was called.
    - The graph is kept after ``backward()`` (PyTorch frees it unless
      ``retain_graph=True``), so calling ``backward()`` twice works and
      accumulates twice into the leaves.
    - ``max``/``min`` with an axis return the values only (PyTorch returns
      values and indices); like ``torch.amax`` they split the gradient equally
      between tied maxima.
    - Reductions take NumPy's ``axis``/``keepdims``; PyTorch's ``dim``/
      ``keepdim`` are accepted as aliases.
    """

    # The values and the gradient live in private slots as raw backend arrays
    # (``_data``; ``_grad`` holds the gradient Tensor of a leaf, ``_g`` the
    # gradient being accumulated during ``backward()``): the engine, the
    # optimizers and the layers read those, and ``.data``/``.grad`` wrap them.
    __slots__ = (
        "_data", "_grad", "_g", "_g_owned", "requires_grad", "backend", "xp", "_vc",
        "_backward", "_prev", "_op", "_grad_owned", "_retains_grad", "__weakref__",
    )

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

    def __init__(self, data: Any, requires_grad: bool = False, dtype=None):
        if isinstance(data, Tensor):
            b = data.backend
            arr = data._data
            if dtype is not None:
                arr = b.asarray(arr, _dtype_arg(dtype, b))
        else:
            b = _backend.current()
            arr = b.asarray(data, _dtype_arg(dtype, b))
            if dtype is None and arr.dtype != b.dtype and _is_float(arr, b.xp):
                # (the backend leaves its own float arrays as they are)
                arr = b.xp.astype(arr, b.dtype)
        self._data = arr
        self._grad = None
        self._g = None
        self._vc = None
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
        ``_version``); shared with ``.data`` and ``detach()``."""
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
        if not _grad_enabled:
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
        """``other`` as something this tensor's arrays combine with."""
        if isinstance(other, Tensor):
            return self._coerce(other, op)._data
        if isinstance(other, (int, float, bool)):
            return other
        return self.backend.asarray(other)

    def _inplace(self, fn, other, op: str) -> "Tensor":
        self._check_inplace(other)
        o = self._operand(other, op)
        x = self._data
        try:
            fn(x, o)
        except (ValueError, RuntimeError, TypeError) as e:
            oshape = tuple(getattr(o, "shape", ()))
            odtype = _dtype_name(getattr(o, "dtype", type(o)))
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
        this dtype), as ``torch.Tensor.copy_``."""
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
        """In place: the values limited to ``[min, max]`` (see :meth:`clip`)."""
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

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self._data.shape)

    @property
    def dtype(self):
        """The array's dtype (a dtype of the tensor's backend)."""
        return self._data.dtype

    @property
    def device(self):
        """The backend's device (``None`` for NumPy)."""
        return self.backend.device

    @property
    def is_leaf(self) -> bool:
        """True for tensors created directly (not computed from tensors that
        require grad); only leaves keep their ``.grad`` after ``backward()``."""
        return self._backward is None

    def numel(self) -> int:
        """Number of elements."""
        return math.prod(self._data.shape)

    def __len__(self) -> int:
        if not self._data.shape:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place (checked: floats only) and return self."""
        if requires_grad and not _is_float(self._data, self.xp):
            raise TypeError(
                f"only floating-point tensors can require gradients, but this one has "
                f"dtype {self._data.dtype}: a derivative with respect to an integer is not "
                f"defined. Create it from floats, e.g. Tensor(data, dtype='float64', "
                f"requires_grad=True)."
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> "Tensor":
        """Keep this intermediate tensor's ``.grad`` after ``backward()`` (as in
        PyTorch; leaves always keep theirs)."""
        self._retains_grad = True
        return self

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's array, cut from the graph."""
        return _result(self._data, self.backend, self.xp, "", (), False)

    def item(self):
        """The single value as a Python number."""
        if math.prod(self._data.shape) != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element, this one has shape "
                f"{self.shape}; reduce it first (e.g. .sum() or .mean())"
            )
        return self._data.item()

    def numpy(self):
        """A NumPy copy of the values (copied off the GPU if needed)."""
        return _backend.to_numpy(self._data).copy()

    def tolist(self):
        """The values as nested Python lists."""
        return self.numpy().tolist()

    def __array__(self, dtype=None, copy=None):
        a = _backend.to_numpy(self._data)
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if math.prod(self._data.shape) != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use (t > 0).all() style reductions or .item() on one element"
            )
        return bool(self._data.item())

    def to(self, name: str) -> "Tensor":
        """A copy on backend ``name`` (a new leaf with the same dtype and
        ``requires_grad``; PyTorch's ``.to`` is differentiable, this one is not)."""
        host = _backend.to_numpy(self._data).copy()
        with _backend.use(name) as b:
            arr = b.asarray(host, dtype=getattr(b.xp, host.dtype.name))
        out = _result(arr, b, b.xp, "", (), False)
        out.requires_grad = self.requires_grad
        return out

    def __repr__(self) -> str:
        name = type(self).__name__
        body = repr(_backend.to_numpy(self._data))  # "array([...], dtype=...)"
        body = body[len("array("):-1]
        if ", dtype=" in body:
            body = body[: body.index(", dtype=")]
        body = body.replace("\n" + " " * len("array("), "\n" + " " * (len(name) + 1))
        extras = []
        dtype = str(self._data.dtype).replace("torch.", "")
        if dtype != self.backend.float_dtype_name:
            extras.append(f"dtype={dtype}")
        if self.backend.name != "numpy":
            extras.append(f"backend={self.backend.name!r}")
        if self._backward is not None:
            extras.append(f"op={self._op!r}")
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
        else:
            self._g = cur + g
            self._g_owned = True

    def _coerce(self, other, op: str) -> "Tensor":
        """``other`` as a Tensor on this tensor's backend."""
        if isinstance(other, Tensor):
            if other.backend is not self.backend and other.backend.name != self.backend.name:
                raise BackendError(
                    f"{op}: cannot combine a tensor on backend {self.backend.name!r} with one "
                    f"on backend {other.backend.name!r}. Create both under the same backend "
                    f"(nnlearn.backend.use(...)), or move one with .to({self.backend.name!r})."
                )
            return other
        b = self.backend
        return _result(b.asarray(other), b, self.xp, "", (), False)

    # ---------------------------------------------------------- arithmetic
    def __add__(self, other) -> "Tensor":
        if isinstance(other, (int, float)):
            out = _result(self._data + other, self.backend, self.xp, "+",
                          (self,), _grad_enabled and self.requires_grad)
            if out.requires_grad:
                a = self

                def _backward(g):
                    a._accumulate(g, False)

                out._backward = _backward
            return out
        other = self._coerce(other, "add (+)")
        try:
            data = self._data + other._data
        except (ValueError, RuntimeError) as e:
            raise _shape_error("add (+)", self._data, other._data, _BROADCAST_HINT) from e
        a, b = self, other
        out = _result(data, self.backend, self.xp, "+", (a, b),
                      _grad_enabled and (a.requires_grad or b.requires_grad))
        if out.requires_grad:
            a_shape, b_shape = a._data.shape, b._data.shape

            def _backward(g):
                if a.requires_grad:
                    ga = _unbroadcast(g, a_shape)
                    a._accumulate(ga, ga is not g)
                if b.requires_grad:
                    gb = _unbroadcast(g, b_shape)
                    b._accumulate(gb, gb is not g)

            out._backward = _backward
        return out

    __radd__ = __add__

    def __mul__(self, other) -> "Tensor":
        if isinstance(other, (int, float)):
            out = _result(self._data * other, self.backend, self.xp, "*",
                          (self,), _grad_enabled and self.requires_grad)
            if out.requires_grad:
                a, c = self, other

                def _backward(g):
                    a._accumulate(g * c, True)

                out._backward = _backward
            return out
        other = self._coerce(other, "multiply (*)")
        try:
            data = self._data * other._data
        except (ValueError, RuntimeError) as e:
            raise _shape_error("multiply (*)", self._data, other._data, _BROADCAST_HINT) from e
        a, b = self, other
        out = _result(data, self.backend, self.xp, "*", (a, b),
                      _grad_enabled and (a.requires_grad or b.requires_grad))
        if out.requires_grad:
            a_data, b_data = a._data, b._data

            def _backward(g):
                if a.requires_grad:
                    a._accumulate(_unbroadcast(g * b_data, a_data.shape), True)
                if b.requires_grad:
                    b._accumulate(_unbroadcast(g * a_data, b_data.shape), True)

            out._backward = _backward
        return out

    __rmul__ = __mul__

    def __neg__(self) -> "Tensor":
        return self * -1.0

    def __sub__(self, other) -> "Tensor":
        if isinstance(other, (int, float)):
            return self + (-other)
        return self + (-self._coerce(other, "subtract (-)"))

    def __rsub__(self, other) -> "Tensor":
        return (-self) + other

    def __truediv__(self, other) -> "Tensor":
        if isinstance(other, (int, float)):
            return self * (1.0 / other)
        return self * self._coerce(other, "divide (/)") ** -1

    def __rtruediv__(self, other) -> "Tensor":
        return self**-1 * other

    def __pow__(self, exponent) -> "Tensor":
        r"""``x ** p`` for a number ``p``: :math:`\partial x^p/\partial x = p\,x^{p-1}`."""
        if isinstance(exponent, Tensor) or not isinstance(exponent, (int, float)):
            raise TypeError(
                "Tensor ** exponent: the exponent must be a Python number, got "
                f"{type(exponent).__name__}. For a tensor exponent write (b * a.log()).exp()."
            )
        x = self._data
        p = exponent
        out = _result(x**p, self.backend, self.xp, f"**{p}", (self,),
                      _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self

            def _backward(g):
                a._accumulate(g * (p * x ** (p - 1)), True)

            out._backward = _backward
        return out

    def __rpow__(self, base) -> "Tensor":
        """``c ** x`` for a positive number ``c``, computed as ``exp(x ln c)``."""
        if not isinstance(base, (int, float)) or base <= 0:
            raise ValueError(f"number ** Tensor needs a positive base, got {base!r}")
        return (self * math.log(base)).exp()

    # -------------------------------------------------------------- matmul
    def __matmul__(self, other) -> "Tensor":
        r"""Matrix product (``@``) of 1-D, 2-D or batched operands, as ``numpy.matmul``.

        For :math:`Y = AB`: :math:`\bar{A} = \bar{Y} B^\top`,
        :math:`\bar{B} = A^\top \bar{Y}`; a 1-D operand is treated as a row
        (left) or column (right) vector, and broadcast batch axes are summed.
        """
        other = self._coerce(other, "matmul (@)")
        A, B = self._data, other._data
        _check_matmul(A, B)
        try:
            data = A @ B
        except (ValueError, RuntimeError) as e:
            raise ValueError(
                f"matmul (@): shapes {_shape(A)} and {_shape(B)}: the batch dimensions "
                f"(all but the last two) cannot be broadcast together."
            ) from e
        a, b = self, other
        out = _result(data, self.backend, self.xp, "@", (a, b),
                      _grad_enabled and (a.requires_grad or b.requires_grad))
        if out.requires_grad:
            xp = self.xp

            def _backward(g):
                if A.ndim == 2 and B.ndim == 2:
                    if a.requires_grad:
                        a._accumulate(g @ B.T, True)
                    if b.requires_grad:
                        b._accumulate(A.T @ g, True)
                    return
                A2 = A if A.ndim > 1 else A.reshape(1, -1)
                B2 = B if B.ndim > 1 else B.reshape(-1, 1)
                G = g
                if A.ndim == 1:
                    G = xp.expand_dims(G, axis=-2 if B.ndim > 1 else 0)
                if B.ndim == 1:
                    G = xp.expand_dims(G, axis=-1)
                if a.requires_grad:
                    ga = _unbroadcast(G @ xp.matrix_transpose(B2), A2.shape)
                    a._accumulate(ga.reshape(A.shape), True)
                if b.requires_grad:
                    gb = _unbroadcast(xp.matrix_transpose(A2) @ G, B2.shape)
                    b._accumulate(gb.reshape(B.shape), True)

            out._backward = _backward
        return out

    def __rmatmul__(self, other) -> "Tensor":
        return self._coerce(other, "matmul (@)") @ self

    # ----------------------------------------------------- elementwise math
    def exp(self) -> "Tensor":
        r""":math:`e^x`; derivative :math:`e^x` (the output itself)."""
        y = self.xp.exp(self._data)
        out = _result(y, self.backend, self.xp, "exp", (self,), _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self

            def _backward(g):
                a._accumulate(g * y, True)

            out._backward = _backward
        return out

    def log(self) -> "Tensor":
        r"""Natural logarithm; derivative :math:`1/x`."""
        x = self._data
        out = _result(self.xp.log(x), self.backend, self.xp, "log", (self,),
                      _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self

            def _backward(g):
                a._accumulate(g / x, True)

            out._backward = _backward
        return out

    def log1p(self) -> "Tensor":
        r""":math:`\ln(1 + x)`, accurate for small :math:`x`; derivative :math:`1/(1+x)`."""
        x = self._data
        out = _result(self.xp.log1p(x), self.backend, self.xp, "log1p", (self,),
                      _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self

            def _backward(g):
                a._accumulate(g / (1 + x), True)

            out._backward = _backward
        return out

    def tanh(self) -> "Tensor":
        r""":math:`\tanh x`; derivative :math:`1 - \tanh^2 x`."""
        y = self.xp.tanh(self._data)
        out = _result(y, self.backend, self.xp, "tanh", (self,), _grad_enabled and self.requires_grad)
        if out.requires_grad:
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
        out = _result(y, self.backend, self.xp, "sigmoid", (self,), _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self

            def _backward(g):
                a._accumulate(g * (y * (1 - y)), True)

            out._backward = _backward
        return out

    def relu(self) -> "Tensor":
        r""":math:`\max(x, 0)`; derivative 1 for :math:`x > 0`, else 0 (0 at the
        kink :math:`x = 0`, as in PyTorch)."""
        y = self.xp.maximum(self._data, 0)
        out = _result(y, self.backend, self.xp, "relu", (self,), _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self

            def _backward(g):
                a._accumulate(g * (y > 0), True)

            out._backward = _backward
        return out

    def abs(self) -> "Tensor":
        r""":math:`|x|`; derivative :math:`\operatorname{sign}(x)` (0 at 0, as in PyTorch)."""
        x = self._data
        out = _result(self.xp.abs(x), self.backend, self.xp, "abs", (self,),
                      _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self
            xp = self.xp

            def _backward(g):
                a._accumulate(g * xp.sign(x), True)

            out._backward = _backward
        return out

    __abs__ = abs

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
        out = _result(y, self.backend, xp, "softplus", (self,), _grad_enabled and self.requires_grad)
        if out.requires_grad:
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
        y = x
        if min is not None:
            y = xp.maximum(y, min)
        if max is not None:
            y = xp.minimum(y, max)
        out = _result(y, self.backend, xp, "clip", (self,), _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self

            def _backward(g):
                inside = xp.ones_like(x, dtype=xp.bool)
                if min is not None:
                    inside = inside & (x >= min)
                if max is not None:
                    inside = inside & (x <= max)
                a._accumulate(g * inside, True)

            out._backward = _backward
        return out

    clamp = clip

    def sqrt(self) -> "Tensor":
        r""":math:`\sqrt{x}`, as ``x ** 0.5``."""
        return self**0.5

    # ---------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        r"""Sum over ``axis`` (all axes by default).

        Every input entry enters the sum once, so its gradient is the upstream
        gradient of the sum it went into, broadcast back to the input's shape.
        ``dim``/``keepdim`` are accepted as PyTorch aliases.
        """
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "sum")
        xp = self.xp
        x = self._data
        axes = _normalize_axes(axis, x.ndim, "sum")
        # The array method (shared by NumPy, PyTorch and CuPy) is faster than xp.sum.
        data = x.sum() if not keepdims and len(axes) == x.ndim else x.sum(axis=axes, keepdims=keepdims)
        out = _result(data, self.backend, xp, "sum", (self,), _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self
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
        entries averaged. ``dim``/``keepdim`` are PyTorch aliases."""
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "mean")
        axes = _normalize_axes(axis, self._data.ndim, "mean")
        n = math.prod(self._data.shape[i] for i in axes)
        return self.sum(axes, keepdims) * (1.0 / n)

    def var(self, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        r"""Variance :math:`\frac{1}{n - c}\sum_i (x_i - \bar{x})^2` over ``axis``.

        ``correction`` :math:`c` defaults to 1 (the unbiased estimate), as in
        PyTorch; NumPy's ``var`` defaults to 0. Built from ``mean``, ``-``,
        ``*`` and ``sum``, so its gradient needs no code of its own.
        """
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "var")
        axes = _normalize_axes(axis, self._data.ndim, "var")
        n = math.prod(self._data.shape[i] for i in axes)
        d = self - self.mean(axes, keepdims=True)
        if n - correction <= 0:
            raise ValueError(
                f"var: with correction={correction} at least {correction + 1} values are needed "
                f"along the reduced axes, got {n} (tensor of shape {self.shape})"
            )
        return (d * d).sum(axes, keepdims) * (1.0 / (n - correction))

    def std(self, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        r"""Standard deviation: ``var(...) ** 0.5`` (``correction=1`` as in PyTorch)."""
        return self.var(axis, correction, keepdims, dim=dim, keepdim=keepdim) ** 0.5

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        r"""Largest value over ``axis`` (values only, like ``torch.amax``).

        The gradient goes to the entries that attain the maximum; when several
        tie, it is split equally between them (as ``torch.amax``).
        """
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "max")
        xp = self.xp
        x = self._data
        axes = _normalize_axes(axis, x.ndim, "max")
        m = xp.max(x, axis=axes, keepdims=True)
        data = m if keepdims else xp.reshape(m, tuple(n for i, n in enumerate(x.shape) if i not in axes))
        out = _result(data, self.backend, xp, "max", (self,), _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self

            def _backward(g):
                mask = x == m
                count = xp.sum(mask, axis=axes, keepdims=True)
                g = xp.reshape(g, m.shape)
                a._accumulate(g * mask / count, True)

            out._backward = _backward
        return out

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        """Smallest value over ``axis``: ``-(-x).max(...)``."""
        return -((-self).max(axis, keepdims, dim=dim, keepdim=keepdim))

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        r""":math:`\ln \sum_i e^{x_i}`, computed as :math:`m + \ln\sum_i e^{x_i - m}`
        with :math:`m = \max_i x_i` held constant (so nothing overflows). Its
        gradient is the softmax of :math:`x`."""
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "logsumexp")
        m = self.max(axis, keepdims=True).detach()
        out = (self - m).exp().sum(axis, keepdims=True).log() + m
        if not keepdims:
            axes = _normalize_axes(axis, self._data.ndim, "logsumexp")
            out = out.reshape(tuple(n for i, n in enumerate(self._data.shape) if i not in axes))
        return out

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> "Tensor":
        """Index of the largest value (an integer tensor; not differentiable)."""
        axis, keepdims = _axis_alias(axis, dim, keepdims, keepdim, "argmax")
        data = self.xp.argmax(self._data, axis=axis, keepdims=keepdims)
        return _result(data, self.backend, self.xp, "argmax", (), False)

    # --------------------------------------------------------------- shape
    def reshape(self, *shape) -> "Tensor":
        """The same values in a new shape (``-1`` infers one dimension)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        x = self._data
        try:
            data = x.reshape(shape)
        except (ValueError, RuntimeError) as e:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {_shape(x)} "
                f"({math.prod(x.shape)} elements) into {tuple(shape)}"
            ) from e
        out = _result(data, self.backend, self.xp, "reshape", (self,), _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self
            old = x.shape

            def _backward(g):
                a._accumulate(g.reshape(old), False)

            out._backward = _backward
        return out

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """Merge dimensions ``start_dim`` to ``end_dim`` into one (as PyTorch)."""
        shape = self.shape
        if not shape:
            return self.reshape(1)
        s, e = start_dim % len(shape), end_dim % len(shape)
        return self.reshape(shape[:s] + (math.prod(shape[s: e + 1]),) + shape[e + 1:])

    def permute(self, *axes) -> "Tensor":
        """Reorder the axes: ``y.shape[i] == x.shape[axes[i]]``; the gradient is
        permuted back by the inverse permutation."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        x = self._data
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"permute: {axes} is not a permutation of the {x.ndim} axes of shape {_shape(x)}")
        axes = tuple(a % x.ndim for a in axes)
        xp = self.xp
        out = _result(xp.permute_dims(x, axes), self.backend, xp, "permute", (self,),
                      _grad_enabled and self.requires_grad)
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
        axes = list(range(n))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return self.permute(*axes)

    @property
    def T(self) -> "Tensor":
        """All axes reversed (the matrix transpose for 2-D)."""
        return self.permute(*reversed(range(self._data.ndim)))

    def __getitem__(self, index) -> "Tensor":
        r"""Indexing: basic slices and integer-array indexing such as
        ``logits[rows, labels]`` (pick one entry per row).

        The gradient is zero except at the picked entries, where it is the
        upstream gradient; an entry picked twice receives both contributions.
        """
        xp = self.xp
        x = self._data
        idx = _convert_index(index, self.backend)
        try:
            data = x[idx]
        except IndexError as e:
            raise IndexError(f"index {index!r} is out of range for a tensor of shape {_shape(x)}: {e}") from e
        out = _result(data, self.backend, xp, "[]", (self,), _grad_enabled and self.requires_grad)
        if out.requires_grad:
            a = self

            def _backward(g):
                a._accumulate(_scatter_add(xp, x, idx, g), True)

            out._backward = _backward
        return out

    # ---------------------------------------------------------- comparisons
    def _compare(self, other, fn) -> "Tensor":
        o = other._data if isinstance(other, Tensor) else other
        return _result(fn(self._data, o), self.backend, self.xp, "", (), False)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __eq__(self, other):
        if other is None:
            return False
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        if other is None:
            return True
        return self._compare(other, lambda a, b: a != b)

    # -------------------------------------------------------------- backward
    def backward(self, gradient=None, retain_graph=None) -> None:
        r"""Backpropagate: fill ``.grad`` of every leaf this tensor depends on.

        Visits the graph in reverse topological order (found iteratively, so a
        chain of :math:`10^5` operations is fine) and calls each node's
        ``_backward``, which adds :math:`\bar{y}\,\partial y/\partial x` into its
        inputs' gradients.

        Parameters
        ----------
        gradient : array or Tensor, optional
            :math:`\partial L/\partial \text{self}`. May be omitted only for a
            scalar (one-element) tensor, where it is 1.
        retain_graph : ignored
            Accepted for PyTorch compatibility; nnlearn always keeps the graph.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of the "
                "tensors it was computed from has requires_grad=True (or it was computed "
                "inside no_grad()). Create the inputs with requires_grad=True."
            )
        xp = self.xp
        if gradient is None:
            if math.prod(self._data.shape) != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs: backward() was "
                    f"called on a tensor of shape {self.shape}. Reduce it to a scalar first "
                    f"(.sum() or .mean()), or pass gradient= an array of shape {self.shape}."
                )
            seed = self._data**0  # 1 in the output's dtype (x**0 is 1 even for inf and nan)
        else:
            seed = gradient._data if isinstance(gradient, Tensor) else self.backend.asarray(gradient)
            if tuple(seed.shape) != self.shape:
                raise ValueError(
                    f"backward: gradient has shape {_shape(seed)} but the tensor has shape "
                    f"{self.shape}; they must be equal"
                )
        order = _topological_order(self)
        self._accumulate(seed, False)
        for node in reversed(order):
            g = node._g
            node._g = None
            fn = node._backward
            if fn is not None:
                if g is not None:
                    fn(g)
                    if node._retains_grad:
                        node._g_owned = False  # (g went on to the inputs: keep a copy)
                        node._store_grad(g)
            elif g is not None:
                node._store_grad(g)

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


def _topological_order(root: Tensor) -> list:
    """Nodes that require grad, each after all of its inputs (iterative DFS).

    Also clears the gradients being accumulated, ready for a new pass.
    """
    order = []
    visited = set()
    stack = [(root, False)]
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


def _convert_index(index, b):
    """Tensors and lists inside an index become arrays of backend ``b``."""
    if isinstance(index, tuple):
        return tuple(_convert_index(i, b) for i in index)
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, (int, slice)) or index is None or index is Ellipsis:
        return index
    return b.asarray(index)


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
    z = xp.zeros_like(x)
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
    p, v = pos[order], xp.reshape(g, (-1,))[order]
    rank = xp.arange(p.shape[0], **device) - xp.searchsorted(p, p)
    zflat = xp.reshape(z, (-1,))
    for r in range(int(xp.max(rank)) + 1):
        sel = rank == r
        zflat[p[sel]] += v[sel]
    return xp.reshape(zflat, x.shape)


# --------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------

def tensor(data: Any, requires_grad: bool = False, dtype=None) -> Tensor:
    """Create a :class:`Tensor` (as ``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


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
    if input.backend is not weight.backend:
        weight._coerce(input, "linear")
    try:
        y = x @ W.T
    except (RuntimeError, TypeError) as e:
        raise TypeError(
            f"linear: input dtype {x.dtype} and weight dtype {W.dtype} cannot be "
            "multiplied; convert one of them"
        ) from e
    needs = input.requires_grad or weight.requires_grad
    if bias is not None:
        if bias.backend is not weight.backend:
            weight._coerce(bias, "linear")
        y += bias._data
        needs = needs or bias.requires_grad
    parents = (input, weight) if bias is None else (input, weight, bias)
    out = _result(y, weight.backend, weight.xp, "linear", parents, _grad_enabled and needs)
    if out.requires_grad:
        n_out = W.shape[0]

        def _backward(g):
            if input.requires_grad:
                input._accumulate(g @ W, True)
            if x.ndim == 2:
                g2, x2 = g, x
            elif x.ndim == 1:
                g2, x2 = g.reshape(1, -1), x.reshape(1, -1)
            else:
                g2, x2 = g.reshape(-1, n_out), x.reshape(-1, x.shape[-1])
            if weight.requires_grad:
                weight._accumulate(g2.T @ x2, True)
            if bias is not None and bias.requires_grad:
                bias._accumulate(g2.sum(0), True)

        out._backward = _backward
    return out
