r"""Layers and containers, with PyTorch's names (``torch.nn``).

A :class:`Module` holds :class:`Parameter` tensors and other modules, finds
them by attribute assignment (``self.fc = Linear(2, 3)``) and names them as
PyTorch does (``"fc.weight"``, ``"0.bias"`` inside a :class:`Sequential`), so
state dicts line up with PyTorch's for the same architecture.

>>> import nnlearn
>>> from nnlearn import nn
>>> model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
>>> [name for name, p in model.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']

Layers compute with :class:`~nnlearn.Tensor` operations, so their backward
passes come from autodiff; each docstring gives the forward formula and the
gradients that autodiff produces.
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import Iterator

import numpy as np

from .. import backend as _backend
from .. import losses as _losses
from .._tensor import Tensor, linear

__all__ = [
    "Parameter",
    "Module",
    "RemovableHandle",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "Linear",
    "Embedding",
    "ReLU",
    "LeakyReLU",
    "GELU",
    "Tanh",
    "Sigmoid",
    "Softmax",
    "LogSoftmax",
    "Identity",
    "Flatten",
    "Dropout",
    "BatchNorm1d",
    "LayerNorm",
    "MSELoss",
    "L1Loss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
]


class Parameter(Tensor):
    """A Tensor that is a learnable parameter: ``requires_grad=True`` by
    default, and registered by a :class:`Module` when assigned as an attribute.

    A Tensor given as ``data`` keeps its backend and shares its array.
    """

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data.detach() if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)


def _F():
    from . import functional

    return functional


def _to_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return lines[0] + "".join("\n" + " " * spaces + line for line in lines[1:])


def _check_size(layer: str, name: str, v, shape) -> None:
    """A layer size: an int (TypeError otherwise) that is not negative
    (RuntimeError, PyTorch's type and message, with the argument named)."""
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise TypeError(f"{layer}: {name} must be an int, not {type(v).__name__} ({v!r})")
    if v < 0:
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {v}: {list(shape)} "
            f"({layer}'s {name} is {v}; a layer size must be >= 0)"
        )


def _check_number(layer: str, name: str, v, lo=None, hi=None, *, allow_none=False) -> None:
    """A real-valued argument in ``[lo, hi]`` (TypeError / ValueError)."""
    if v is None and allow_none:
        return
    if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool):
        raise TypeError(f"{layer}: {name} must be a number{' or None' if allow_none else ''}, "
                        f"not {type(v).__name__} ({v!r})")
    if (lo is not None and not v >= lo) or (hi is not None and not v <= hi):
        rng = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ValueError(f"{layer}: {name} must be {rng}, got {v!r}")


def _check_name(kind: str, name) -> None:
    """A registered name becomes a state-dict key part: a non-empty str without dots."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{kind} name can't be empty or contain \".\" (it is a state-dict key "
                       f"part), got {name!r}")


def _raw(t):
    """The backend array behind a Tensor."""
    return t._data


_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class RemovableHandle:
    """Returned by ``register_forward_hook``: ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict, hook):
        if not callable(hook):
            raise TypeError(f"a hook must be a function, got {type(hook).__name__}")
        self.hooks, self.id = hooks, RemovableHandle._next_id
        RemovableHandle._next_id += 1
        hooks[self.id] = hook

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _state_value(name, value, t):
    """``value`` converted to the backend and dtype of ``t``, or ValueError
    naming ``name``; nothing is written."""
    if isinstance(value, Tensor):
        value = _raw(value)
    try:
        host = _backend.to_numpy(value)
        host = np.asarray(host)
    except Exception as e:  # anything that is not array-like
        raise ValueError(f"While copying the parameter named \"{name}\", expected a Tensor or array "
                         f"from checkpoint but received {type(value).__name__} ({e})") from None
    if host.dtype.kind not in "biuf":
        what = "complex values (the imaginary part would be lost)" if host.dtype.kind == "c" else \
            f"values of dtype {host.dtype}"
        raise ValueError(f"While copying the parameter named \"{name}\": the checkpoint holds {what}; "
                         f"the model's {name} has dtype {_dtype_name(_raw(t).dtype)}")
    if tuple(host.shape) != tuple(t.shape):
        raise ValueError(f"size mismatch for {name}: copying a param with shape {tuple(host.shape)} "
                         f"from checkpoint, the shape in current model is {tuple(t.shape)}.")
    target_is_int = not t.xp.isdtype(_raw(t).dtype, ("real floating", "complex floating"))
    if target_is_int and host.dtype.kind == "f" and not np.all(np.mod(host, 1) == 0):
        raise ValueError(f"While copying the parameter named \"{name}\": the checkpoint holds "
                         f"non-integer values for an integer ({_dtype_name(_raw(t).dtype)}) entry")
    return t.backend.asarray(host, dtype=_raw(t).dtype)


def _dtype_name(dtype) -> str:
    return getattr(dtype, "name", None) or str(dtype).replace("torch.", "")


_FLOAT_DTYPES = {"float16", "bfloat16", "float32", "float64", "half", "float", "double"}
_DTYPE_NAMES = _FLOAT_DTYPES | {"int8", "int16", "int32", "int64", "uint8", "bool", "long", "int",
                                "complex64", "complex128"}
_DTYPE_ALIASES = {"half": "float16", "float": "float32", "double": "float64", "long": "int64", "int": "int32"}


def _as_dtype_name(x):
    """The dtype name ``x`` stands for, or None if ``x`` is not a dtype."""
    if x is float:
        return _backend.get_default_dtype()
    if isinstance(x, str):
        name = x.replace("torch.", "")
        return _DTYPE_ALIASES.get(name, name) if name in _DTYPE_NAMES else None
    if isinstance(x, type) and issubclass(x, np.generic):
        return np.dtype(x).name
    if isinstance(x, np.dtype):
        return x.name
    if type(x).__name__ == "dtype":  # a torch dtype, or an nnlearn dtype object
        return _DTYPE_ALIASES.get(_dtype_name(x), _dtype_name(x))
    name = getattr(x, "name", None)
    if isinstance(name, str) and name in _DTYPE_NAMES and not isinstance(x, Tensor):
        return name
    return None


def _as_device_name(x):
    """The backend name a device argument stands for (None: keep the backend).

    ``"cpu"`` keeps a CPU backend (numpy or torch) and maps ``"cuda"`` to
    ``"torch"``; ``"cuda:0"`` is ``"cuda"``; a ``torch.device`` is read by its
    string form.
    """
    if x is None:
        return None
    if isinstance(x, Tensor):
        return x.backend.name
    name = str(x).lower()
    if name.startswith("cuda"):
        return "cuda"
    if name == "cpu":
        return "cpu"
    if name in _backend.NAMES:
        return name
    raise _backend.BackendError(
        f"to(): unknown device or backend {x!r}; use 'cpu', 'cuda', or a backend name "
        f"({', '.join(repr(n) for n in _backend.NAMES)})"
    )


def _parse_to_args(args, kwargs):
    """``(device, dtype)`` from the arguments of ``to``, as PyTorch reads them."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy"}
    if unknown:
        raise TypeError(f"to() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.backend.name, _dtype_name(_raw(a).dtype)
        elif _as_dtype_name(a) is not None:
            dtype = a
        else:
            device = a
    if len([a for a in args if not isinstance(a, bool)]) > 2:
        raise TypeError(f"to() takes at most a device and a dtype, got {args!r}")
    dname = None
    if dtype is not None:
        dname = _as_dtype_name(dtype)
        if dname is None:
            raise TypeError(f"to(): {dtype!r} is not a dtype (use e.g. 'float32' or nnlearn.float64)")
        if dname not in ("float16", "bfloat16", "float32", "float64"):
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dname}")
    return _as_device_name(device), dname


def _move(t, device, dtype_name) -> None:
    """Move Tensor ``t`` (in place) to backend ``device`` and, if it is a
    floating-point tensor, to dtype ``dtype_name``; its gradient follows."""
    arr = _raw(t)
    src = t.backend
    name = src.name if device in (None, "cpu") and not (device == "cpu" and src.name == "cuda") \
        else ("torch" if device == "cpu" else device)
    is_float = t.xp.isdtype(arr.dtype, "real floating")
    target_dtype = dtype_name if (dtype_name is not None and is_float) else _dtype_name(arr.dtype)
    if name == src.name and target_dtype == _dtype_name(arr.dtype):
        return
    b = src if name == src.name else _backend_named(name)
    grad = t.grad
    t.data = _convert_array(arr, b, target_dtype)       # replaces the storage (and the backend)
    t.backend, t.xp = b, b.xp
    if grad is not None:
        t.grad = _convert_array(_raw(grad), b, target_dtype)


def _backend_named(name):
    with _backend.use(name) as b:
        return b


def _convert_array(arr, b, dtype_name):
    """``arr`` as an array of backend ``b`` with dtype ``dtype_name`` (a copy)."""
    if _backend.backend_of(arr) == b.name:
        return b.xp.astype(arr, getattr(b.xp, dtype_name))
    host = _backend.to_numpy(arr)
    return b.asarray(np.array(host, dtype=dtype_name), dtype=getattr(b.xp, dtype_name))


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign parameters and
    sub-modules as attributes, and define ``forward``; calling the module
    calls ``forward``.

    Notes
    -----
    Departures from PyTorch: :meth:`state_dict` returns *copies* of the arrays
    (PyTorch returns tensors sharing memory, which is why its users
    ``deepcopy`` a state dict before training on); :meth:`load_state_dict`
    copies nothing unless everything fits; layers take no ``device`` and
    ``dtype`` arguments (build the model under a backend, or move it with
    :meth:`to`); only forward hooks and forward pre-hooks exist.
    """

    def __init__(self):
        d = self.__dict__
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["training"] = True

    # ----------------------------------------------------------- registration
    def _registries(self):
        try:
            return self.__dict__["_parameters"], self.__dict__["_buffers"], self.__dict__["_modules"]
        except KeyError:
            raise AttributeError(
                f"cannot assign parameters or modules before Module.__init__() has run: "
                f"call super().__init__() first in {type(self).__name__}.__init__"
            ) from None

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            params, buffers, modules = self._registries()
            buffers.pop(name, None)
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params, buffers, modules = self._registries()
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        else:
            params = self.__dict__.get("_parameters")
            if params is not None and name in params:
                if value is not None:
                    raise TypeError(
                        f"cannot assign {type(value).__name__} as parameter {name!r} of "
                        f"{type(self).__name__} (a Parameter or None is expected); to change "
                        f"its values, assign to .{name}.data"
                    )
                params[name] = None
            elif name in self.__dict__.get("_buffers", ()):
                if value is not None and not isinstance(value, Tensor):
                    raise TypeError(
                        f"cannot assign {type(value).__name__} as buffer {name!r} "
                        "(a Tensor or None is expected)"
                    )
                self._buffers[name] = value
            elif name in self.__dict__.get("_modules", ()):
                if value is not None:
                    raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r}")
                self._modules[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            self.__dict__.get(registry, {}).pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or ``None``, a declared but absent parameter such as
        ``bias=False``)."""
        params, _, _ = self._registries()
        _check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot register {type(param).__name__} as parameter {name!r} (Parameter or None expected)")
        params[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a buffer: state that is not learned by gradient descent but is
        saved in the state dict (BatchNorm's running statistics). ``tensor``
        may be a Tensor, an array or ``None``."""
        _, buffers, _ = self._registries()
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a child module under ``name``."""
        _, _, modules = self._registries()
        _check_name("module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        modules[name] = module
        object.__setattr__(self, name, module)

    # ------------------------------------------------------------- traversal
    def named_modules(self, memo=None, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """``(name, module)`` for this module (name ``""``) and every module
        inside it, depth first, each once."""
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        """This module and all modules inside it."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """``(name, module)`` for the direct children."""
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator["Module"]:
        """The direct children."""
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs with PyTorch's dotted names; a parameter
        shared by two modules appears once."""
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, p in mod._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """All parameters (what an optimizer needs)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """``(name, buffer)`` pairs."""
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, b in mod._buffers.items():
                if b is not None:
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """All buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn) -> "Module":
        """Call ``fn(module)`` on every sub-module and then on this one
        (e.g. a custom initialization); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> "Module":
        """Training mode (dropout drops, batch norm uses batch statistics);
        returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) expects a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> "Module":
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to ``None`` (the default, as in
        PyTorch) or to zeros."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p._grad is not None:
                p._grad._data[...] = 0

    # ------------------------------------------------------------ state dict
    def _state_items(self, prefix: str = ""):
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                yield prefix + name, b
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_items(prefix + name + ".")

    def state_dict(self) -> "OrderedDict[str, object]":
        """Parameters and persistent buffers by name (PyTorch's names and order),
        as *copies* of their arrays."""
        return OrderedDict(
            (name, t.xp.asarray(t._data, copy=True)) for name, t in self._state_items()
        )

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values into the parameters and buffers, in place, all or nothing.

        Values may be Tensors, arrays of any backend, nested lists or PyTorch
        tensors (so a ``torch.nn`` model's ``state_dict()`` loads into the same
        architecture); each is converted to its parameter's backend and dtype.

        Every key, shape and dtype is checked *before* anything is copied: on
        any error the model is exactly as it was, and the ``RuntimeError``
        lists the problems, the first offending key first, with both shapes
        (PyTorch copies the matching entries before it raises). With
        ``strict`` (the default) missing or unexpected keys are errors, as in
        PyTorch; a shape mismatch always is. Complex values, and non-integral
        values for an integer buffer, are refused rather than truncated.

        Returns ``(missing_keys, unexpected_keys)``, a named tuple as in PyTorch.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        own = OrderedDict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        converted = []
        for name, t in own.items():
            if name in state_dict:
                try:
                    converted.append((t, _state_value(name, state_dict[name], t)))
                except ValueError as e:
                    errors.append(str(e))
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__} (nothing was "
                "loaded; the model is unchanged):\n\t" + "\n\t".join(errors)
                + f"\nThis model's keys and shapes: "
                + ", ".join(f"{k} {tuple(t.shape)}" for k, t in own.items()) + "."
            )
        for t, value in converted:
            _raw(t)[...] = value
            t._bump_version()
        return _IncompatibleKeys(missing, unexpected)

    def to(self, *args, **kwargs) -> "Module":
        """Move and/or cast every parameter and buffer, in place; returns self.

        As ``torch.nn.Module.to``: ``to(device)``, ``to(dtype)``,
        ``to(device, dtype)`` or ``to(tensor)`` (its backend and dtype), with
        ``device=`` and ``dtype=`` keywords too. A device is a backend name
        (``"numpy"``, ``"torch"``, ``"cuda"``), ``"cpu"`` (leaves a CPU backend
        as it is and brings a GPU model back to ``"torch"``), ``"cuda:0"`` or a
        ``torch.device``. A dtype (``"float32"``, ``nnlearn.float32``,
        ``torch.float64``, ...) casts the floating-point parameters and buffers
        only; integer buffers (``num_batches_tracked``) keep theirs.
        Gradients move with their parameters; optimizers keep working, because
        the Parameter objects stay the same.
        """
        device, dtype = _parse_to_args(args, kwargs)
        for mod in self.modules():
            for registry in (mod._parameters, mod._buffers):
                for t in registry.values():
                    if t is not None:
                        _move(t, device, dtype)
        return self

    def float(self) -> "Module":
        """Cast floating-point parameters and buffers to float32; returns self."""
        return self.to(dtype="float32")

    def double(self) -> "Module":
        """Cast floating-point parameters and buffers to float64; returns self."""
        return self.to(dtype="float64")

    def cpu(self) -> "Module":
        """``to("cpu")``."""
        return self.to("cpu")

    def cuda(self) -> "Module":
        """``to("cuda")`` (needs a CUDA GPU)."""
        return self.to("cuda")

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Set ``requires_grad`` of every parameter (freeze with ``False``); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # ------------------------------------------------------------- hooks
    def register_forward_pre_hook(self, hook) -> "RemovableHandle":
        """Call ``hook(module, args)`` before each forward; a non-None return
        value replaces the arguments (a tuple, or a single argument). Returns a
        handle whose ``remove()`` unregisters the hook."""
        return RemovableHandle(self.__dict__.setdefault("_forward_pre_hooks", OrderedDict()), hook)

    def register_forward_hook(self, hook) -> "RemovableHandle":
        """Call ``hook(module, args, output)`` after each forward (to record
        activations, for example); a non-None return value replaces the output.
        Returns a handle whose ``remove()`` unregisters the hook."""
        return RemovableHandle(self.__dict__.setdefault("_forward_hooks", OrderedDict()), hook)

    # ------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        pre, post = d.get("_forward_pre_hooks"), d.get("_forward_hooks")
        if pre:
            for hook in list(pre.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        if post:
            for hook in list(post.values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        return out

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, child in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(child), 2))
        if not self._modules:
            return f"{type(self).__name__}({extra})"
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"


# --------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------

class Sequential(Module):
    """Modules applied one after the other: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    The modules are named ``"0"``, ``"1"``, ... (or by the keys of an
    ``OrderedDict`` passed as the only argument), as in PyTorch. Supports
    indexing (an int gives a module, a slice a new ``Sequential`` that shares
    the modules and keeps their names), ``len``, iteration and :meth:`append`.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, m in items:
            if not isinstance(m, Module):
                raise TypeError(
                    f"Sequential: item {name} is a {type(m).__name__}, not a Module "
                    "(did you pass a class instead of an instance, e.g. nn.ReLU instead of nn.ReLU()?)"
                )
            self.add_module(name, m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        try:
            return items[idx][1]
        except IndexError:
            raise IndexError(f"index {idx} is out of range for a Sequential of length {len(items)}") from None

    def append(self, module: Module) -> "Sequential":
        """Add ``module`` at the end; returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append expects a Module, got {type(module).__name__}")
        self.add_module(str(len(self)), module)
        return self

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(Module):
    """A list of modules, registered so that their parameters belong to the
    owner (a plain Python list would hide them from ``parameters()``).

    Named ``"0"``, ``"1"``, ... as in PyTorch; supports indexing (a slice
    gives a new ``ModuleList``), ``len``, iteration, ``append``, ``extend``,
    ``insert``, ``+=`` and ``del``. It has no ``forward``: the owner decides
    how to call the modules.

    >>> layers = ModuleList([Linear(4, 4) for _ in range(3)])
    >>> len(list(layers.parameters()))
    6
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _check(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__} can only hold Modules, got {type(module).__name__}")
        return module

    def _index(self, idx: int) -> int:
        n = len(self)
        if not isinstance(idx, int) or isinstance(idx, bool):
            raise TypeError(f"{type(self).__name__} indices must be integers or slices, not {type(idx).__name__}")
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a {type(self).__name__} of length {n}")
        return idx % n

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(self._index(idx))]

    def __setitem__(self, idx, module) -> None:
        self.add_module(str(self._index(idx)), self._check(module))

    def __delitem__(self, idx) -> None:
        keep = list(self._modules.values())
        del keep[idx if isinstance(idx, slice) else self._index(idx)]
        for name in list(self._modules):
            delattr(self, name)
        self.extend(keep)

    def __iadd__(self, modules):
        return self.extend(modules)

    def append(self, module: Module) -> "ModuleList":
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), self._check(module))
        return self

    def extend(self, modules) -> "ModuleList":
        """Append every module of an iterable; returns self."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError(f"{type(self).__name__}.extend should be called with an iterable of "
                            f"Modules, but got {type(modules).__name__}")
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``."""
        items = list(self._modules.values())
        items.insert(index, self._check(module))
        for name in list(self._modules):
            delattr(self, name)
        self.extend(items)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(): iterate over it in the owner's forward")

    def __repr__(self) -> str:
        # as PyTorch: runs of identical modules are shown once, "(0-1): 2 x Linear(...)"
        if not self._modules:
            return f"{type(self).__name__}()"
        reprs = [_addindent(repr(m), 2) for m in self._modules.values()]
        lines, start = [], 0
        for i in range(1, len(reprs) + 1):
            if i == len(reprs) or reprs[i] != reprs[start]:
                n = i - start
                key = f"({start})" if n == 1 else f"({start}-{i - 1}): {n} x"
                lines.append(f"{key}: {reprs[start]}" if n == 1 else f"{key} {reprs[start]}")
                start = i
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules, registered under their keys (``"encoder.weight"``).

    Keeps insertion order; supports ``d[key]``, ``d[key] = module``,
    ``del d[key]``, ``len``, iteration over keys, ``in``, ``keys()``,
    ``values()``, ``items()``, ``update()``, ``pop()`` and ``clear()``, as
    ``torch.nn.ModuleDict``.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        try:
            return self._modules[key]
        except KeyError:
            raise KeyError(f"{key!r} is not in this ModuleDict (keys: {', '.join(self._modules)})") from None

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict keys must be strings, got {type(key).__name__}")
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict can only hold Modules, got {type(module).__name__}")
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        self[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules))

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        """Add the ``(key, module)`` pairs of a mapping or an iterable of pairs."""
        pairs = modules.items() if isinstance(modules, (Mapping, ModuleDict)) else modules
        for j, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(f"ModuleDict update sequence element #{j} has length {len(pair)}; 2 is required")
            self[pair[0]] = pair[1]

    def pop(self, key: str) -> Module:
        m = self[key]
        del self[key]
        return m

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward(): call its modules in the owner's forward")


# --------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------

class Linear(Module):
    r"""Affine layer :math:`y = x W^\top + b`.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output sample.
    bias : bool, default True
        Whether to learn the bias :math:`b`.

    Attributes
    ----------
    weight : Parameter of shape ``(out_features, in_features)``
        Initialized as PyTorch does: ``kaiming_uniform_(weight, a=sqrt(5))``,
        i.e. :math:`U(-1/\sqrt{\text{fan\_in}},\, 1/\sqrt{\text{fan\_in}})`, whose
        variance is :math:`1/(3\,\text{fan\_in})`.
    bias : Parameter of shape ``(out_features,)`` or None
        :math:`U(-1/\sqrt{\text{fan\_in}},\, 1/\sqrt{\text{fan\_in}})`.

    Notes
    -----
    With a batch :math:`X` of shape ``(n, in_features)`` (rows are samples, as
    in PyTorch) and :math:`\bar{Y} = \partial L/\partial Y`, autodiff gives
    :math:`\bar{X} = \bar{Y} W`, :math:`\bar{W} = \bar{Y}^\top X` and
    :math:`\bar{b} = \sum_i \bar{Y}_{i,:}`. The forward and backward are one
    fused node (:func:`nnlearn._tensor.linear`).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            _check_size("Linear", name, v, (out_features, in_features))
        self.in_features = in_features
        self.out_features = out_features
        b = _backend.current()
        self.weight = Parameter(b.xp.zeros((out_features, in_features), dtype=b.dtype, device=b.device))
        if bias:
            self.bias = Parameter(b.xp.zeros((out_features,), dtype=b.dtype, device=b.device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the initial weights as PyTorch does (see the class docstring)."""
        from . import init

        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x) -> Tensor:
        if not isinstance(x, Tensor):
            x = self.weight._coerce(x, "Linear")
        shape = x._data.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}) "
                f"got input of shape {tuple(shape)}: expected (*, {self.in_features})"
            )
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    r"""A lookup table: row :math:`i` of ``weight`` is the vector of index :math:`i`.

    ``Embedding(num_embeddings, embedding_dim)(idx)`` returns ``weight[idx]``,
    of shape ``idx.shape + (embedding_dim,)``. It equals ``one_hot(idx) @
    weight`` without building the one-hot matrix, so the gradient of row
    :math:`i` is the sum of the upstream gradients at the positions holding
    :math:`i` (rows not looked up get zero).

    Parameters
    ----------
    num_embeddings, embedding_dim : int
    padding_idx : int, optional
        A row that starts at zero and receives no gradient (its value is still
        returned), as in PyTorch.

    Attributes
    ----------
    weight : Parameter of shape ``(num_embeddings, embedding_dim)``, drawn from
        :math:`\mathcal{N}(0, 1)` as in PyTorch.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None):
        super().__init__()
        _check_size("Embedding", "num_embeddings", num_embeddings, (num_embeddings, embedding_dim))
        _check_size("Embedding", "embedding_dim", embedding_dim, (num_embeddings, embedding_dim))
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        b = _backend.current()
        self.weight = Parameter(b.xp.zeros((num_embeddings, embedding_dim), dtype=b.dtype, device=b.device))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r""":math:`\mathcal{N}(0, 1)`, with the padding row zeroed."""
        from . import init

        init.normal_(self.weight)
        if self.padding_idx is not None:
            _raw(self.weight)[self.padding_idx] = 0

    def forward(self, input) -> Tensor:
        idx = _raw(input) if isinstance(input, Tensor) else self.weight.backend.asarray(input)
        if self.weight.xp.isdtype(idx.dtype, ("real floating", "complex floating", "bool")):
            raise TypeError(f"Embedding: expected integer indices (Long), got dtype {_dtype_name(idx.dtype)}")
        if idx.shape and (int(self.weight.xp.min(idx)) < 0 or int(self.weight.xp.max(idx)) >= self.num_embeddings):
            raise IndexError(f"Embedding: index out of range in self: indices must be in "
                             f"[0, {self.num_embeddings - 1}]")
        idx = self.weight.xp.astype(idx, self.weight.xp.int64)
        if self.padding_idx is None:
            return self.weight[idx]
        # value weight[idx] everywhere, gradient only for the non-padding rows
        keep = self.weight.backend.asarray(np.arange(self.num_embeddings) != self.padding_idx,
                                           dtype=_raw(self.weight).dtype)[:, None]
        return (self.weight * keep)[idx] + (self.weight.detach() * (1 - keep))[idx]

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class ReLU(Module):
    r""":math:`\max(x, 0)` elementwise (derivative 1 for :math:`x > 0`, else 0)."""

    def forward(self, x) -> Tensor:
        return _to_tensor(x).relu()


class LeakyReLU(Module):
    r""":math:`\max(x, 0) + \text{negative\_slope}\cdot\min(x, 0)` elementwise
    (derivative 1 for :math:`x > 0`, ``negative_slope`` for :math:`x < 0`)."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        _check_number("LeakyReLU", "negative_slope", negative_slope)
        self.negative_slope = negative_slope

    def forward(self, x) -> Tensor:
        return _F().leaky_relu(_to_tensor(x), self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    r"""Gaussian error linear unit (Hendrycks & Gimpel, 2016):
    :math:`x\,\Phi(x)`, with :math:`\Phi` the standard normal CDF.

    With ``approximate="tanh"``:
    :math:`\tfrac12 x\bigl(1 + \tanh\bigl(\sqrt{2/\pi}\,(x + 0.044715 x^3)\bigr)\bigr)`.
    Derivative of the exact form: :math:`\Phi(x) + x\,\varphi(x)`.
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x) -> Tensor:
        return _F().gelu(_to_tensor(x), approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Tanh(Module):
    r""":math:`\tanh x` elementwise (derivative :math:`1 - \tanh^2 x`)."""

    def forward(self, x) -> Tensor:
        return _to_tensor(x).tanh()


class Sigmoid(Module):
    r""":math:`\sigma(x) = 1/(1 + e^{-x})` elementwise (derivative
    :math:`\sigma(x)(1 - \sigma(x))`)."""

    def forward(self, x) -> Tensor:
        return _to_tensor(x).sigmoid()


class Softmax(Module):
    r""":math:`\operatorname{softmax}(x)_k = e^{x_k} / \sum_j e^{x_j}` along ``dim``
    (:func:`nnlearn.losses.softmax`)."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        if dim is not None and (not isinstance(dim, (int, np.integer)) or isinstance(dim, bool)):
            raise TypeError(f"{type(self).__name__}: dim must be an int (the axis that sums to 1) or None, "
                            f"got {type(dim).__name__} {dim!r}")
        self.dim = dim

    def forward(self, x) -> Tensor:
        x = _to_tensor(x)
        return _losses.softmax(x, dim=_softmax_dim(self, x))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    r""":math:`\log\operatorname{softmax}(x)` along ``dim``, computed stably
    (:func:`nnlearn.losses.log_softmax`)."""

    def forward(self, x) -> Tensor:
        x = _to_tensor(x)
        return _losses.log_softmax(x, dim=_softmax_dim(self, x))


def _softmax_dim(module, x) -> int:
    if module.dim is not None:
        return module.dim
    # PyTorch's legacy rule for a missing dim, with its warning
    warnings.warn(f"Implicit dimension choice for {type(module).__name__.lower()} has been deprecated. "
                  "Change the call to include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if x.ndim in (0, 1, 3) else 1


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge dimensions ``start_dim`` to ``end_dim`` (default: all but the batch
    axis), e.g. images ``(n, 8, 8)`` to rows ``(n, 64)``."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x) -> Tensor:
        return _to_tensor(x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    r"""Inverted dropout: in training, zero each entry with probability ``p``
    and scale the survivors by :math:`1/(1-p)`; in evaluation, the identity.

    .. math::

        y = \frac{m \odot x}{1 - p}, \qquad m_i \sim \text{Bernoulli}(1 - p),

    so :math:`\mathbb{E}[y] = x` and nothing needs rescaling at test time. The
    gradient is :math:`\bar{x} = m \odot \bar{y} / (1-p)`: dropped units pass
    no gradient.

    Parameters
    ----------
    p : float, default 0.5
        Probability of *dropping* a unit (as in PyTorch; some texts, and the
        ``keep_prob`` of TensorFlow 1, give the probability of keeping it).

    Notes
    -----
    The mask is drawn from :func:`nnlearn.backend.rng` on the host and copied
    to the device, so a seed gives the same masks on every backend (but not
    the masks PyTorch would draw). ``p=1`` gives zeros.
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: p is the probability of dropping a unit and must be between 0 and 1, got {p!r}")
        self.p = float(p)

    def forward(self, x) -> Tensor:
        x = _to_tensor(x)
        if not self.training or self.p == 0:
            return x
        if self.p == 1:
            return x * 0.0
        keep = _backend.rng().random(x.shape) >= self.p
        # the mask lives where the input lives (not on the current backend)
        mask = x.backend.asarray(keep * (1.0 / (1.0 - self.p)), dtype=_raw(x).dtype)
        return x * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    r"""Batch normalization (Ioffe & Szegedy, 2015) of inputs ``(N, C)`` or ``(N, C, L)``.

    Training mode, per feature (channel) over the :math:`m` values of the batch
    (Algorithm 1 of the paper):

    .. math::

        \mu_B = \frac{1}{m}\sum_{i=1}^m x_i, \qquad
        \sigma_B^2 = \frac{1}{m}\sum_{i=1}^m (x_i - \mu_B)^2, \qquad
        \hat{x}_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad
        y_i = \gamma \hat{x}_i + \beta .

    Backward (the paper's formulas, which autodiff reproduces from the
    forward operations):

    .. math::

        \bar{\hat{x}}_i &= \bar{y}_i\,\gamma, \\
        \bar{\sigma_B^2} &= \sum_i \bar{\hat{x}}_i (x_i - \mu_B)
            \cdot -\tfrac12 (\sigma_B^2 + \epsilon)^{-3/2}, \\
        \bar{\mu}_B &= \sum_i \bar{\hat{x}}_i \frac{-1}{\sqrt{\sigma_B^2 + \epsilon}}
            + \bar{\sigma_B^2} \frac{\sum_i -2(x_i - \mu_B)}{m}, \\
        \bar{x}_i &= \frac{\bar{\hat{x}}_i}{\sqrt{\sigma_B^2 + \epsilon}}
            + \bar{\sigma_B^2}\frac{2(x_i - \mu_B)}{m} + \frac{\bar{\mu}_B}{m}, \\
        \bar{\gamma} &= \sum_i \bar{y}_i \hat{x}_i, \qquad
        \bar{\beta} = \sum_i \bar{y}_i .

    Running statistics, updated in training (no gradient flows through them):

    .. math::

        \hat{\mu} \leftarrow (1 - \text{momentum})\,\hat{\mu} + \text{momentum}\,\mu_B,
        \qquad
        \hat{\sigma}^2 \leftarrow (1 - \text{momentum})\,\hat{\sigma}^2
            + \text{momentum}\,\frac{m}{m-1}\sigma_B^2 ;

    evaluation mode normalizes with :math:`\hat{\mu}, \hat{\sigma}^2` instead.

    Parameters
    ----------
    num_features : int
        :math:`C`.
    eps : float, default 1e-5
        :math:`\epsilon`.
    momentum : float or None, default 0.1
        Weight of the *new* batch statistic in the running average (the
        opposite of an optimizer's momentum), in :math:`[0, 1]` (PyTorch
        accepts any number; outside that range the average diverges);
        ``None`` gives the cumulative average over all batches seen.
    affine : bool, default True
        Learn :math:`\gamma` (``weight``, initialized to 1) and :math:`\beta`
        (``bias``, initialized to 0).
    bias : bool, default True (keyword only)
        With ``affine``, whether to learn :math:`\beta` (PyTorch 2.x's ``bias``).
    track_running_stats : bool, default True
        Keep ``running_mean``, ``running_var`` and ``num_batches_tracked``
        buffers; without them the batch statistics are used in evaluation too.

    Notes
    -----
    The slides (text 002) and PyTorch agree with the paper on the training
    forward pass: the *biased* variance :math:`\sigma_B^2` (divide by
    :math:`m`) normalizes the batch, and the backward formulas above are its
    exact gradients. For inference, the paper uses the population variance
    estimated with the unbiased factor :math:`m/(m-1)`; PyTorch (and nnlearn)
    keep an exponential moving average of the unbiased batch variance instead
    of the paper's average over all training batches.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True):
        super().__init__()
        _check_size(type(self).__name__, "num_features", num_features, (num_features,))
        _check_number(type(self).__name__, "eps", eps, 0)
        _check_number(type(self).__name__, "momentum", momentum, 0, 1, allow_none=True)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.use_bias = bias
        b = _backend.current()
        xp = b.xp
        if affine:
            self.weight = Parameter(xp.ones((num_features,), dtype=b.dtype, device=b.device))
            if bias:
                self.bias = Parameter(xp.zeros((num_features,), dtype=b.dtype, device=b.device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", xp.zeros((num_features,), dtype=b.dtype, device=b.device))
            self.register_buffer("running_var", xp.ones((num_features,), dtype=b.dtype, device=b.device))
            self.register_buffer("num_batches_tracked", xp.asarray(0, dtype=xp.int64, device=b.device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def _name(self) -> str:
        return f"BatchNorm1d({self.num_features})"

    def forward(self, x) -> Tensor:
        x = _to_tensor(x)
        shape = x.shape
        if x.ndim not in (2, 3) or shape[1] != self.num_features:
            raise ValueError(
                f"{self._name()} expects input of shape (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got {shape}"
            )
        axes = (0,) if x.ndim == 2 else (0, 2)
        pshape = (1, self.num_features) if x.ndim == 2 else (1, self.num_features, 1)
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            m = math.prod(shape[a] for a in axes)
            if m <= 1:
                raise ValueError(
                    f"{self._name()}: expected more than 1 value per channel when training, got "
                    f"input of shape {shape}. A batch of one sample has zero variance: use "
                    "batches of at least 2 samples, or call model.eval() to use the running "
                    "statistics."
                )
            mean = x.mean(axes, keepdims=True)
            d = x - mean
            var = (d * d).mean(axes, keepdims=True)  # biased: divides by m
            x_hat = d * (var + self.eps) ** -0.5
            if self.training and self.track_running_stats:
                self._check_same_backend(x)
                self._update_running_stats(_raw(mean), _raw(var), m)
        else:
            self._check_same_backend(x)
            rm = _raw(self.running_mean).reshape(pshape)
            rv = _raw(self.running_var).reshape(pshape)
            x_hat = (x - rm) * ((rv + self.eps) ** -0.5)
        if self.affine:
            x_hat = x_hat * self.weight.reshape(pshape)
            if self.bias is not None:
                x_hat = x_hat + self.bias.reshape(pshape)
        return x_hat

    def _check_same_backend(self, x) -> None:
        if self.running_mean is not None and self.running_mean.backend.name != x.backend.name:
            raise _backend.BackendError(
                f"{self._name()}: the input is on backend {x.backend.name!r} but the running "
                f"statistics are on {self.running_mean.backend.name!r}; move the model with "
                f"model.to({x.backend.name!r})"
            )

    def _update_running_stats(self, mean, var, m: int) -> None:
        """In place, on the arrays (outside the graph)."""
        _raw(self.num_batches_tracked)[...] += 1
        if self.momentum is None:
            factor = 1.0 / float(_raw(self.num_batches_tracked))
        else:
            factor = self.momentum
        rm, rv = _raw(self.running_mean), _raw(self.running_var)
        rm *= 1 - factor
        rm += factor * mean.reshape(rm.shape)
        rv *= 1 - factor
        rv += (factor * m / (m - 1)) * var.reshape(rv.shape)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.use_bias}, "
                f"track_running_stats={self.track_running_stats}")


class LayerNorm(Module):
    r"""Layer normalization (Ba, Kiros & Hinton, 2016): each *sample* is
    normalized over its last dimensions ``normalized_shape``,

    .. math::

        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}}\,\gamma + \beta,

    with the mean and the biased variance taken over those dimensions, the
    same in training and evaluation (no running statistics, unlike
    :class:`BatchNorm1d`). :math:`\gamma` (``weight``, ones) and :math:`\beta`
    (``bias``, zeros) have shape ``normalized_shape``.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        for n in shape:
            _check_size("LayerNorm", "normalized_shape", n, shape)
        _check_number("LayerNorm", "eps", eps, 0)
        self.normalized_shape, self.eps, self.elementwise_affine = tuple(int(n) for n in shape), eps, elementwise_affine
        b = _backend.current()
        if elementwise_affine:
            self.weight = Parameter(b.xp.ones(self.normalized_shape, dtype=b.dtype, device=b.device))
            if bias:
                self.bias = Parameter(b.xp.zeros(self.normalized_shape, dtype=b.dtype, device=b.device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x) -> Tensor:
        return _F().layer_norm(_to_tensor(x), self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


# --------------------------------------------------------------------------
# Losses as modules
# --------------------------------------------------------------------------

class _Loss(Module):
    _fn = None

    def __init__(self, *, reduction: str = "mean"):
        super().__init__()
        _losses._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def forward(self, input, target) -> Tensor:
        return type(self)._fn(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """:func:`nnlearn.losses.mse_loss` as a module."""

    _fn = staticmethod(_losses.mse_loss)


class L1Loss(_Loss):
    """:func:`nnlearn.nn.functional.l1_loss` (mean absolute error) as a module."""

    _fn = staticmethod(lambda input, target, reduction: _F().l1_loss(input, target, reduction=reduction))


class NLLLoss(_Loss):
    """:func:`nnlearn.losses.nll_loss` as a module (log-probabilities and class indices)."""

    _fn = staticmethod(_losses.nll_loss)


class CrossEntropyLoss(_Loss):
    """:func:`nnlearn.losses.cross_entropy` as a module (logits and class indices)."""

    _fn = staticmethod(_losses.cross_entropy)


class BCELoss(_Loss):
    """:func:`nnlearn.losses.binary_cross_entropy` as a module (probabilities)."""

    _fn = staticmethod(_losses.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """:func:`nnlearn.losses.binary_cross_entropy_with_logits` as a module (logits)."""

    _fn = staticmethod(_losses.binary_cross_entropy_with_logits)
