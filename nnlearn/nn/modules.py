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
from collections import OrderedDict
from typing import Iterator

from .. import backend as _backend
from .. import losses as _losses
from .._tensor import Tensor, linear

__all__ = [
    "Parameter",
    "Module",
    "Sequential",
    "Linear",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "Identity",
    "Flatten",
    "Dropout",
    "BatchNorm1d",
    "MSELoss",
    "CrossEntropyLoss",
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


def _to_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return lines[0] + "".join("\n" + " " * spaces + line for line in lines[1:])


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign parameters and
    sub-modules as attributes, and define ``forward``; calling the module
    calls ``forward``.

    Notes
    -----
    Departures from PyTorch: :meth:`state_dict` returns *copies* of the arrays
    (PyTorch returns tensors sharing memory, which is why its users
    ``deepcopy`` a state dict before training on); hooks, ``device`` and
    ``dtype`` arguments do not exist; :meth:`to` takes a backend name.
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
        """Copy values into the parameters and buffers, in place.

        Values may be arrays of any backend, Tensors, or PyTorch tensors (so a
        ``torch.nn`` model's ``state_dict()`` loads into the same architecture).
        With ``strict`` (the default) missing or unexpected keys raise
        ``RuntimeError``, as in PyTorch; a shape mismatch always does. Returns
        ``(missing_keys, unexpected_keys)``.
        """
        own = OrderedDict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append("missing key(s): " + ", ".join(repr(k) for k in missing))
            if unexpected:
                parts.append("unexpected key(s): " + ", ".join(repr(k) for k in unexpected))
            raise RuntimeError(
                f"error loading state_dict into {type(self).__name__}: " + "; ".join(parts)
                + f". This model's keys are: {', '.join(own)}."
            )
        for name, t in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            if isinstance(value, Tensor):
                value = value._data
            value = t.backend.asarray(_backend.to_numpy(value), dtype=t._data.dtype)
            if tuple(value.shape) != tuple(t._data.shape):
                raise RuntimeError(
                    f"size mismatch for {name!r}: the state dict has shape "
                    f"{tuple(value.shape)}, the model has shape {tuple(t._data.shape)}"
                )
            t._data[...] = value
            t._bump_version()
        return missing, unexpected

    def to(self, name: str) -> "Module":
        """Move every parameter and buffer to backend ``name`` (``"numpy"``,
        ``"torch"``, ``"cuda"``), in place; returns self. Gradients are reset."""
        with _backend.use(name) as b:
            for mod in self.modules():
                for registry in (mod._parameters, mod._buffers):
                    for t in registry.values():
                        if t is None:
                            continue
                        host = _backend.to_numpy(t._data).copy()
                        t._data = b.asarray(host, dtype=getattr(b.xp, host.dtype.name))
                        t.backend, t.xp, t._grad = b, b.xp, None
        return self

    # ------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

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
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {v!r}")
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


class ReLU(Module):
    r""":math:`\max(x, 0)` elementwise (derivative 1 for :math:`x > 0`, else 0)."""

    def forward(self, x) -> Tensor:
        return _to_tensor(x).relu()


class Tanh(Module):
    r""":math:`\tanh x` elementwise (derivative :math:`1 - \tanh^2 x`)."""

    def forward(self, x) -> Tensor:
        return _to_tensor(x).tanh()


class Sigmoid(Module):
    r""":math:`\sigma(x) = 1/(1 + e^{-x})` elementwise (derivative
    :math:`\sigma(x)(1 - \sigma(x))`)."""

    def forward(self, x) -> Tensor:
        return _to_tensor(x).sigmoid()


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
        mask = x.backend.asarray(keep * (1.0 / (1.0 - self.p)), dtype=x._data.dtype)
        return x * Tensor(mask)

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
        opposite of an optimizer's momentum); ``None`` gives the cumulative
        average over all batches seen.
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
                self._update_running_stats(mean._data, var._data, m)
        else:
            rm = self.running_mean._data.reshape(pshape)
            rv = self.running_var._data.reshape(pshape)
            x_hat = (x - Tensor(rm)) * Tensor((rv + self.eps) ** -0.5)
        if self.affine:
            x_hat = x_hat * self.weight.reshape(pshape)
            if self.bias is not None:
                x_hat = x_hat + self.bias.reshape(pshape)
        return x_hat

    def _update_running_stats(self, mean, var, m: int) -> None:
        """In place, on the arrays (outside the graph)."""
        self.num_batches_tracked._data += 1
        if self.momentum is None:
            factor = 1.0 / float(self.num_batches_tracked._data)
        else:
            factor = self.momentum
        rm, rv = self.running_mean._data, self.running_var._data
        rm *= 1 - factor
        rm += factor * mean.reshape(rm.shape)
        rv *= 1 - factor
        rv += (factor * m / (m - 1)) * var.reshape(rv.shape)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.use_bias}, "
                f"track_running_stats={self.track_running_stats}")


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


class CrossEntropyLoss(_Loss):
    """:func:`nnlearn.losses.cross_entropy` as a module (logits and class indices)."""

    _fn = staticmethod(_losses.cross_entropy)


class BCELoss(_Loss):
    """:func:`nnlearn.losses.binary_cross_entropy` as a module (probabilities)."""

    _fn = staticmethod(_losses.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """:func:`nnlearn.losses.binary_cross_entropy_with_logits` as a module (logits)."""

    _fn = staticmethod(_losses.binary_cross_entropy_with_logits)
