r"""Data sets and minibatches with PyTorch's interface (``torch.utils.data``).

A *data set* is anything with ``len(ds)`` and ``ds[i]`` (one sample, usually a
tuple ``(x, y)``); a :class:`DataLoader` deals its samples out in minibatches,
one pass over the data per epoch::

    from nnlearn.utils.data import TensorDataset, DataLoader
    train_ds = TensorDataset(x_train, y_train)
    train_dl = DataLoader(train_ds, batch_size=64, shuffle=True)
    for xb, yb in train_dl:
        loss = loss_fn(model(xb), yb)

The order of the samples within an epoch comes from
``nnlearn.data.loader.index_batches``, shared with the course's
:class:`nnlearn.data.DataLoader` (which takes arrays, ``DataLoader(X, y)``);
random orders come from nnlearn's generator, so ``nnlearn.manual_seed`` fixes
them on every backend.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import backend as _backend
from .._tensor import Tensor
from ..data.loader import index_batches

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate"]


class Dataset:
    """Base class of map-style data sets: subclasses define ``__getitem__(i)``
    (one sample) and ``__len__()``, as ``torch.utils.data.Dataset``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index), returning one sample")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__(), the number of samples")


class TensorDataset(Dataset):
    """Samples that are rows of tensors: ``ds[i] == (t0[i], t1[i], ...)``.

    All tensors must have the same first dimension. An index may be an int, a
    slice (``ds[0:5]`` gives the first five rows of each tensor, as in PyTorch)
    or an array of indices. Arrays given instead of Tensors are converted with
    :class:`nnlearn.Tensor`.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        n = [t.shape[0] if t.ndim else None for t in tensors]
        if None in n or len(set(n)) != 1:
            raise ValueError(
                "Size mismatch between tensors: every tensor of a TensorDataset needs the same "
                f"first dimension (one row per sample), got shapes {[t.shape for t in tensors]}"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t.detach()[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


def default_collate(batch):
    """Stack a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors and arrays are stacked along a new first axis (on the backend of
    the first Tensor, or the current one); Python ints become an int64 Tensor,
    floats a float Tensor; tuples and lists are collated position by position
    (a tuple of batches), dicts key by key; strings stay a list.
    """
    elem = batch[0]
    kinds = {type(b) for b in batch}
    if len(kinds) > 1 and not all(isinstance(b, numbers.Number) for b in batch):
        raise TypeError(f"default_collate: the samples of a batch must be of one kind, got "
                        f"{sorted(k.__name__ for k in kinds)}")
    shapes = {tuple(getattr(b, "shape", ())) for b in batch}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but the "
                           f"samples have shapes {sorted(shapes)}")
    if isinstance(elem, Tensor):
        arrays = [_array(b) for b in batch]
        xp = elem.xp
        return _wrap(xp.stack(arrays), elem.backend)
    if isinstance(elem, (np.ndarray, np.generic)) or _backend._is_foreign_array(elem):
        return _wrap(np.stack([_backend.to_numpy(b) for b in batch]))
    if isinstance(elem, bool):
        return _wrap(np.array(batch, dtype=bool))
    if isinstance(elem, numbers.Integral):
        return _wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return _wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, str):
        return list(batch)
    if isinstance(elem, dict):
        return {k: default_collate([b[k] for b in batch]) for k in elem}
    if isinstance(elem, (tuple, list)):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return tuple(default_collate(list(column)) for column in zip(*batch))
    raise TypeError(f"default_collate: batch must contain Tensors, arrays, numbers, strings, dicts or "
                    f"sequences; found {type(elem).__name__}")


def _array(t: Tensor):
    return t._data


def _wrap(arr, b=None):
    """A Tensor holding ``arr`` on backend ``b`` (the current one by default)."""
    if b is None or b is _backend.current() or b.name == _backend.current().name:
        return Tensor(arr)
    with _backend.use(b.name):
        return Tensor(arr)


class DataLoader:
    r"""Iterate over a data set in minibatches (``torch.utils.data.DataLoader``).

    Parameters
    ----------
    dataset : Dataset
        A :class:`TensorDataset` or any object with ``__len__`` and ``__getitem__``.
    batch_size : int or None, default 1
        Samples per batch (PyTorch's default); ``None`` yields the samples one by one.
    shuffle : bool, default False
        A fresh random order every epoch (from nnlearn's generator).
    drop_last : bool, default False
        Skip the last batch when it is smaller than ``batch_size``.
    collate_fn : callable, optional
        Turns a list of samples into a batch (default :func:`default_collate`).
    seed : int, optional
        Shuffle with a generator of its own, seeded once (nnlearn's addition;
        PyTorch passes a ``generator``).
    num_workers, pin_memory : accepted and ignored
        Batches are always made in the main process (so are the other
        arguments of PyTorch's loader that concern workers).

    Yields
    ------
    tuple of Tensor
        One batch at a time (``for xb, yb in loader``). ``len(loader)`` is the
        number of batches per epoch and ``loader.dataset`` the data set
        (``len(loader.dataset)`` samples), as in PyTorch.

    Notes
    -----
    A :class:`TensorDataset` is batched by indexing each of its tensors once per
    batch (no per-sample Python loop), on the tensors' own backend; other data
    sets are read sample by sample and collated.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, generator=None, *, seed=None, **ignored):
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader needs a map-style data set (with __len__ and __getitem__), got "
                            f"{type(dataset).__name__}; for arrays use TensorDataset(X, y)")
        if sampler is not None or batch_sampler is not None:
            raise NotImplementedError("DataLoader: samplers are not supported; use shuffle=True or False")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.collate_fn = collate_fn
        self.num_workers = num_workers
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        elif isinstance(generator, np.random.Generator):
            self._rng = generator
        else:
            self._rng = None

    def __len__(self):
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        size = 1 if self.batch_size is None else self.batch_size
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        for idx in index_batches(n, size, self.shuffle, self.drop_last and self.batch_size is not None, self._rng):
            if self.batch_size is None:
                yield self.dataset[int(idx[0])]
            elif fast:
                yield self.dataset[idx]
            else:
                samples = [self.dataset[int(i)] for i in idx]
                yield (self.collate_fn or default_collate)(samples)

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)} samples, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})")
