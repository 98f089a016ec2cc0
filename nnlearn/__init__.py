"""nnlearn: the companion package of *How neural networks are trained*.

The package has two sides, and imports only run from the second to the first.

**The engine**, which mirrors PyTorch (a learner who knows ``torch.nn.functional``
finds ``nnlearn.nn.functional``). Read it simple to complex:

- :mod:`nnlearn.autodiff` — scalar reverse-mode autodiff (``Value``) and trace tables,
- :mod:`nnlearn.backend` — where arrays live (NumPy, PyTorch on CPU or CUDA),
- :class:`nnlearn.Tensor` — autodiff over arrays (:mod:`nnlearn._tensor`), made by
  :mod:`nnlearn.creation` (``nnlearn.tensor``, ``zeros``, ``randn``, ...), with the
  methods as functions (``nnlearn.exp(x)``, :mod:`nnlearn._functions`), dtypes
  (``nnlearn.float32``) and devices (``nnlearn.device``, ``nnlearn.cuda``),
- :mod:`nnlearn.autograd` — ``Function`` (your own backward) and ``grad``,
- :mod:`nnlearn.nn` (with :mod:`~nnlearn.nn.functional` and :mod:`~nnlearn.nn.init`),
  :mod:`nnlearn.losses`, :mod:`nnlearn.optim`,
- :mod:`nnlearn.gradcheck` — finite-difference checks.

``import nnlearn as torch`` runs PyTorch tutorial code; each docstring says where
nnlearn departs from PyTorch (most visibly: floats default to float64).

**The course's tools**, built on the engine:

- :mod:`nnlearn.data` — the course's offline data sets and preprocessing,
- :mod:`nnlearn.train` — ``fit``, ``History``, callbacks, metrics,
- :mod:`nnlearn.experiment` — seeds and comparisons with their uncertainty,
- :mod:`nnlearn.viz`, :mod:`nnlearn.widgets` — plots and widgets (they read
  training results; training never imports them),
- :mod:`nnlearn.course` — what only the book needs: backprop by hand, the
  chapters' experiment helpers, the slides' errata,
- :mod:`nnlearn.exercises` — the workbooks' checkers.
"""

from importlib import import_module as _import_module

from . import backend
from .backend import manual_seed

__version__ = "0.1.0"

_lazy = {
    # the Tensor and the graph switches
    **{name: ("nnlearn._tensor", name) for name in (
        "Tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "is_tensor",
        "cat", "concat", "stack", "where", "maximum", "minimum")},
    # making tensors (torch.tensor, torch.zeros, torch.randn, ...)
    **{name: ("nnlearn.creation", name) for name in (
        "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye", "arange",
        "linspace", "rand", "randn", "randint", "randperm", "normal", "zeros_like", "ones_like",
        "full_like", "empty_like", "rand_like", "randn_like")},
    # the Tensor methods as functions (torch.exp(x), torch.matmul(a, b), ...)
    **{name: ("nnlearn._functions", name) for name in (
        "exp", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square", "sin", "cos", "tanh",
        "sigmoid", "relu", "abs", "sign", "erf", "neg", "reciprocal", "clamp", "clip", "pow",
        "matmul", "mm", "mv", "dot", "t", "sum", "mean", "var", "std", "max", "min", "amax",
        "amin", "argmax", "argmin", "logsumexp", "norm", "all", "any", "reshape", "flatten",
        "squeeze", "unsqueeze", "transpose", "permute", "numel", "clone", "allclose", "equal",
        "add", "sub", "mul", "div")},
    # data types and devices
    "dtype": ("nnlearn.backend", "dtype"),
    "device": ("nnlearn.backend", "device"),
    "get_default_dtype": ("nnlearn.backend", "get_default_dtype"),
    "set_default_dtype": ("nnlearn.backend", "set_default_dtype"),
    "Table": ("nnlearn._display", "Table"),
    "save": ("nnlearn.serialization", "save"),
    "load": ("nnlearn.serialization", "load"),
}
_submodules = {
    "autodiff", "autograd", "cuda", "nn", "losses", "optim", "gradcheck", "utils",
    "data", "train", "experiment", "viz", "widgets", "course", "exercises",
    "utils", "serialization",
}
# Names of the API contract that live one level down.
_aliases = {
    "init": "nnlearn.nn.init",
    "manual": "nnlearn.course.manual",
}


def __getattr__(name):
    # Submodules load on first use, so `import nnlearn` stays fast and a
    # chapter that only needs scalar autodiff never imports matplotlib.
    if name in _lazy:
        module, attr = _lazy[name]
        return getattr(_import_module(module), attr)
    if name in _submodules:
        return _import_module(f"nnlearn.{name}")
    if name in _aliases:
        return _import_module(_aliases[name])
    # nnlearn.float32, nnlearn.long, ... (the same objects on every backend)
    dt = backend._DTYPES.get(backend.DTYPE_ALIASES.get(name, name))
    if dt is not None:
        return dt
    raise AttributeError(f"module 'nnlearn' has no attribute {name!r}")


__all__ = ["backend", "manual_seed", *_lazy, *sorted(_submodules), *_aliases]
