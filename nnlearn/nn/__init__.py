r"""Layers, containers and losses as modules, with PyTorch's names (``torch.nn``).

- :mod:`nnlearn.nn.modules` — :class:`Module`, :class:`Parameter` and the layers,
- :mod:`nnlearn.nn.functional` — the same operations as functions (``F.relu``, ``F.cross_entropy``),
- :mod:`nnlearn.nn.init` — initializers (also reachable as ``nnlearn.nn.init``).

>>> from nnlearn import nn
>>> model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
>>> [name for name, p in model.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
"""

from . import functional, init
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all

__all__ = [*_modules_all, "functional", "init"]
