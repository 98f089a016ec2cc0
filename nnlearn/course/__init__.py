"""What only the book needs, kept apart from the engine that mirrors PyTorch.

Everything here is built *on* nnlearn's engine (never the other way round):

- :mod:`~nnlearn.course.manual` — backpropagation written out by hand, no autodiff (chapter 2),
- :mod:`~nnlearn.course.batchnorm_manual` — batch norm's backward pass by hand (chapter 3),
- :mod:`~nnlearn.course.compare` — the same gradients from autodiff, finite differences and PyTorch,
- :mod:`~nnlearn.course.timing` — small timing helpers for the cost comparisons,
- :mod:`~nnlearn.course.paths` — optimizer paths on the Gabor loss surface (chapter 4),
- :mod:`~nnlearn.course.init_experiments` — the initialization experiments (chapter 5),
- :mod:`~nnlearn.course.regularization` — the regularization experiments (chapter 6),
- :mod:`~nnlearn.course.recipe` — the training recipe's helpers (chapter 7),
- :mod:`~nnlearn.course.errata` — the slides' mistakes, runnable (appendix),
- :func:`~nnlearn.course.pages.glue` — hand a cell's number or verdict to the page's prose.

Submodules load on first use, so importing one chapter's helpers stays cheap.
"""

from importlib import import_module as _import_module

from .pages import glue

_submodules = (
    "manual", "batchnorm_manual", "compare", "timing", "paths",
    "init_experiments", "regularization", "recipe", "errata", "pages",
)


def __getattr__(name):
    if name in _submodules:
        return _import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["glue", *_submodules]
