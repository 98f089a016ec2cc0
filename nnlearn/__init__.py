"""nnlearn: the companion package of *How neural networks are trained*.

Read it in the order of the book, simple to complex:

- :mod:`nnlearn.autodiff` — scalar reverse-mode autodiff (``Value``) and trace tables,
- :mod:`nnlearn.backend` — where arrays live (NumPy, PyTorch on CPU or CUDA),
- :class:`nnlearn.Tensor` — autodiff over arrays,
- :mod:`nnlearn.nn`, :mod:`nnlearn.losses`, :mod:`nnlearn.init`, :mod:`nnlearn.optim`,
- :mod:`nnlearn.manual` — backpropagation written out by hand, no autodiff,
- :mod:`nnlearn.gradcheck` — finite-difference checks,
- :mod:`nnlearn.data`, :mod:`nnlearn.train`, :mod:`nnlearn.experiment`,
  :mod:`nnlearn.viz`, :mod:`nnlearn.widgets`, :mod:`nnlearn.exercises`.
"""

from importlib import import_module as _import_module

from . import backend
from .backend import manual_seed

__version__ = "0.1.0"

_lazy = {
    "Tensor": ("nnlearn.tensor", "Tensor"),
    "no_grad": ("nnlearn.tensor", "no_grad"),
    "Table": ("nnlearn._display", "Table"),
}
_submodules = {
    "autodiff", "tensor", "nn", "losses", "init", "optim", "manual", "gradcheck",
    "data", "train", "experiment", "viz", "widgets", "exercises", "batchnorm_manual", "errata", "compare", "timing", "init_experiments", "regularization", "recipe",
}


def __getattr__(name):
    # Submodules load on first use, so `import nnlearn` stays fast and a
    # chapter that only needs scalar autodiff never imports matplotlib.
    if name in _lazy:
        module, attr = _lazy[name]
        return getattr(_import_module(module), attr)
    if name in _submodules:
        return _import_module(f"nnlearn.{name}")
    raise AttributeError(f"module 'nnlearn' has no attribute {name!r}")


__all__ = ["backend", "manual_seed", "Tensor", "no_grad", "Table", *sorted(_submodules)]
