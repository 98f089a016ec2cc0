"""``nnlearn.cuda``: the few ``torch.cuda`` calls tutorial code makes.

>>> import nnlearn
>>> device = "cuda" if nnlearn.cuda.is_available() else "cpu"

``x.to(device)`` then moves tensors to the CUDA backend when there is a GPU
and leaves them on the host otherwise (see :meth:`nnlearn.Tensor.to`).
"""

from __future__ import annotations

from . import backend as _backend

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize"]


def is_available() -> bool:
    """True when PyTorch is installed and sees a CUDA GPU."""
    return _backend.cuda_is_available()


def device_count() -> int:
    """The number of CUDA GPUs (0 without one)."""
    return _backend.cuda_device_count()


def manual_seed(seed: int) -> None:
    """Seed nnlearn's generator: random numbers are drawn on the host and copied
    to the GPU, so one seed serves every backend (see :func:`nnlearn.backend.manual_seed`)."""
    _backend.manual_seed(seed)


manual_seed_all = manual_seed


def synchronize() -> None:
    """Wait for the GPU to finish its queued work (a no-op without a GPU)."""
    _backend.cuda_synchronize()
