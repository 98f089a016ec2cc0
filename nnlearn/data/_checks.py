"""Argument checks and seeding shared by the ``nnlearn.data`` modules.

Every message names the function, what it expected, what it got and what to do.
"""

from __future__ import annotations

import numbers

import array_api_compat
import numpy as np

from .. import backend


def generator(seed, where: str) -> np.random.Generator:
    """The NumPy generator a data function draws from.

    An integer seed gives a fresh ``numpy.random.default_rng(seed)`` (the same
    seed, the same numbers, bit for bit); ``None`` draws from nnlearn's one
    generator (``nnlearn.backend.rng``, reseeded by
    ``nnlearn.manual_seed``); a ``Generator`` is used as it is.
    """
    if seed is None:
        return backend.rng()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{where}: seed must be an integer (or None to draw from nnlearn's generator), "
            f"got {seed!r} of type {type(seed).__name__}."
        )
    if seed < 0:
        raise ValueError(f"{where}: seed must be a non-negative integer, got {seed}.")
    return np.random.default_rng(int(seed))


def positive_int(value, name: str, where: str, minimum: int = 1) -> int:
    """``value`` as an int, with a clear error if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{where}: {name} must be an integer >= {minimum}, "
            f"got {value!r} of type {type(value).__name__}."
        )
    if value < minimum:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum}, got {value}.")
    return int(value)


def non_negative(value, name: str, where: str) -> float:
    """``value`` as a float, with a clear error if it is negative or not a number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a number >= 0, got {value!r}.")
    if not value >= 0:
        raise ValueError(f"{where}: {name} must be >= 0, got {value}.")
    return float(value)


def unwrap(a):
    """The array inside an nnlearn Tensor; anything else unchanged."""
    if type(a).__module__.startswith("nnlearn") and hasattr(a, "_data"):
        return a._data
    return a


def is_array(a) -> bool:
    return array_api_compat.is_array_api_obj(a)


def num_rows(a) -> int:
    shape = getattr(a, "shape", None)
    if shape is None or len(shape) == 0:
        raise ValueError("expected an array with one row per sample, got a scalar")
    return int(shape[0])


def same_length(X, y, where: str) -> None:
    """Raise if ``X`` and ``y`` do not hold the same number of samples."""
    nx, ny = num_rows(X), num_rows(y)
    if nx != ny:
        raise ValueError(
            f"{where}: X has {nx} samples (rows) but y has {ny}; "
            "they must have the same length, one target per row of X."
        )


def float_namespace(*args):
    """The array namespace of the array arguments, and the arguments as float
    arrays of that namespace (Python numbers and lists are converted)."""
    args = [unwrap(a) for a in args]
    arrays = [a for a in args if is_array(a)]
    if not arrays:
        args = [np.asarray(a, dtype=np.float64) for a in args]
        arrays = args
    xp = backend.namespace_of(*arrays)
    device = array_api_compat.device(arrays[0])
    out = []
    for a in args:
        if not is_array(a):
            a = xp.asarray(a, dtype=xp.float64, device=device)
        elif not xp.isdtype(a.dtype, "real floating"):
            a = xp.astype(a, xp.float64)
        out.append(a)
    return xp, out
