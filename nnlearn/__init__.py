"""nnlearn: the companion package of *How neural networks are trained*.

The package has two sides, and imports only run from the second to the first.

**The engine**, which mirrors PyTorch (a learner who knows ``torch.nn.functional``
finds ``nnlearn.nn.functional``). Read it simple to complex:

- :mod:`nnlearn.autodiff` — scalar reverse-mode autodiff (``Value``) and trace tables,
- :mod:`nnlearn.backend` — where arrays live (NumPy, PyTorch on CPU or CUDA),
- :class:`nnlearn.Tensor` — autodiff over arrays (:mod:`nnlearn._tensor`),
- :mod:`nnlearn.nn` (with :mod:`~nnlearn.nn.functional` and :mod:`~nnlearn.nn.init`),
  :mod:`nnlearn.losses`, :mod:`nnlearn.optim`,
- :mod:`nnlearn.gradcheck` — finite-difference checks.

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
    "Tensor": ("nnlearn._tensor", "Tensor"),
    "tensor": ("nnlearn._tensor", "tensor"),
    "no_grad": ("nnlearn._tensor", "no_grad"),
    "enable_grad": ("nnlearn._tensor", "enable_grad"),
    "is_grad_enabled": ("nnlearn._tensor", "is_grad_enabled"),
    "Table": ("nnlearn._display", "Table"),
    "save": ("nnlearn.serialization", "save"),
    "load": ("nnlearn.serialization", "load"),
}
_submodules = {
    "autodiff", "nn", "losses", "optim", "gradcheck",
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
    raise AttributeError(f"module 'nnlearn' has no attribute {name!r}")


__all__ = ["backend", "manual_seed", *_lazy, *sorted(_submodules), *_aliases]
