r"""Minibatches: ``DataLoader``.

One pass over the data set is an *epoch*. Minibatch gradient descent cuts each
epoch into batches of ``batch_size`` samples; with ``shuffle=True`` the samples
are dealt out in a new random order every epoch, so the batches differ from
epoch to epoch while every sample is still used exactly once per epoch.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ._checks import generator, is_array, num_rows, positive_int, same_length, unwrap

__all__ = ["DataLoader"]


def index_batches(num_samples, batch_size, shuffle=False, drop_last=False, rng=None):
    """The sample indices (NumPy int arrays) of each batch of one epoch.

    In order, or in a fresh permutation drawn from ``rng`` (nnlearn's generator
    when None) if ``shuffle``; the last, smaller batch is skipped if
    ``drop_last``. Shared by this DataLoader and ``nnlearn.utils.data``'s.
    """
    if shuffle:
        order = (rng if rng is not None else backend.rng()).permutation(num_samples)
    else:
        order = np.arange(num_samples)
    stop = num_samples - num_samples % batch_size if drop_last else num_samples
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]


class DataLoader:
    r"""Iterate over ``(X, y)`` in minibatches of nnlearn Tensors.

    Parameters
    ----------
    X : array_like of shape ``(n, ...)``
        Features, one sample per row.
    y : array_like of shape ``(n, ...)``, optional
        Targets. Integer class labels stay integer.
    batch_size : int
        Samples per batch.
    shuffle : bool
        Deal the samples out in a fresh random order at the start of every epoch.
    drop_last : bool
        Skip the last batch when it is smaller than ``batch_size``.
    seed : int or None
        Seed of the shuffling generator: two loaders with the same seed give the
        same sequence of epochs. ``None`` draws from nnlearn's generator, which
        ``nnlearn.manual_seed`` reseeds.

    Notes
    -----
    ``X`` and ``y`` are converted once, at construction, to arrays of the backend
    current then (``nnlearn.backend.current``); build the loader under the
    backend you train on. Each batch is picked out with ``xp.take`` along axis 0,
    which works on every backend.

    Departures from ``torch.utils.data.DataLoader``: it takes arrays, not a
    ``Dataset``; it has ``seed=`` instead of ``generator=``; it has no workers,
    samplers or ``collate_fn``. Iterating yields ``(X_batch, y_batch)`` Tensors,
    or a single Tensor when ``y`` is None. ``len(loader)`` is the number of
    batches per epoch, as in PyTorch.

    Examples
    --------
    >>> from nnlearn.data import DataLoader, two_moons
    >>> X, y = two_moons(100)
    >>> loader = DataLoader(X, y, batch_size=32, shuffle=True, seed=0)
    >>> len(loader)                     # 32 + 32 + 32 + 4
    4
    >>> [xb.shape[0] for xb, yb in loader]
    [32, 32, 32, 4]
    """

    def __init__(self, X, y=None, batch_size=32, shuffle=False, drop_last=False, seed=None):
        where = "DataLoader"
        self.batch_size = positive_int(batch_size, "batch_size", where)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        X = unwrap(X)
        y = unwrap(y) if y is not None else None
        if not is_array(X):
            X = np.asarray(X)
        if getattr(X, "ndim", 0) == 0:
            raise ValueError(f"{where}: X must have one row per sample, got a scalar.")
        if y is not None:
            if not is_array(y):
                y = np.asarray(y)
            if getattr(y, "ndim", 0) == 0:
                raise ValueError(f"{where}: y must have one entry per sample, got a scalar.")
            same_length(X, y, where)
        self.backend = backend.current()
        self.X = self.backend.asarray(X)
        self.y = None if y is None else self.backend.asarray(y)
        self.num_samples = num_rows(self.X)
        self._rng = generator(seed, where) if seed is not None else None

    def __len__(self):
        if self.drop_last:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self):
        from .._tensor import _result

        b_, xp = self.backend, self.backend.xp

        def tensor(arr):  # a batch stays on the loader's backend, whatever is current now
            return _result(arr, b_, xp, "", (), False)

        for idx in index_batches(self.num_samples, self.batch_size, self.shuffle, self.drop_last, self._rng):
            idx = b_.asarray(idx)
            xb = tensor(xp.take(self.X, idx, axis=0))
            if self.y is None:
                yield xb
            else:
                yield xb, tensor(xp.take(self.y, idx, axis=0))

    def __repr__(self):
        return (
            f"DataLoader({self.num_samples} samples, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, {len(self)} batches)"
        )
