"""Utilities with PyTorch's names: :mod:`nnlearn.utils.data` (``Dataset``,
``TensorDataset``, ``DataLoader``), as ``torch.utils.data``."""

from . import data

__all__ = ["data"]
