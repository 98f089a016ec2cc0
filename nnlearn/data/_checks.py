"""Argument checks and seeding shared by the ``nnlearn.data`` modules.

Every message names the function, what it expected, what it got and what to do.
"""

from __future__ import annotations

import math
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
    """``value`` as a float, with a clear error if it is negative, not finite or not a number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a number >= 0, got {value!r}.")
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value}.")
    return float(value)


def finite_numbers(value, name: str, where: str, length: int | None = None) -> np.ndarray:
    """``value`` (a number or a sequence of numbers) as a float64 NumPy array,
    with a clear error unless every entry is a finite real number (and, with
    ``length``, unless it has that many entries)."""
    want = f"{length} finite numbers" if length else "finite numbers"
    try:
        a = np.asarray(backend.to_numpy(unwrap(value)), dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{where}: {name} must be {want}, got {_short(value)}.") from None
    if length is not None and a.shape != (length,):
        raise ValueError(f"{where}: {name} must be {want}, got {_short(value)}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{where}: {name} must be {want}, got {_short(value)}.")
    return a


def check_finite(X, where: str, name: str = "X") -> None:
    """Raise ``ValueError`` if the array ``X`` holds nan or inf (as scikit-learn
    does), naming the first offending entry."""
    xp = backend.namespace_of(X)
    if bool(xp.all(xp.isfinite(X))):
        return
    host = np.asarray(backend.to_numpy(X))
    bad = ~np.isfinite(host)
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    value = host[first]
    what = "NaN" if np.isnan(value) else "infinity"
    at = f"row {first[0]}" + (f", column {first[1]}" if len(first) > 1 else "")
    rows = (f"{name}[np.isfinite({name})]" if host.ndim == 1 else
            f"{name}[np.isfinite({name}).all(axis=1)]" if host.ndim == 2 else
            f"{name}[np.isfinite({name}).reshape(len({name}), -1).all(axis=1)]")
    raise ValueError(
        f"{where}: {name} contains {what} ({at}; {int(bad.sum())} non-finite "
        f"entr{'y' if bad.sum() == 1 else 'ies'} in all). Remove or impute the missing or "
        f"broken values first, e.g. keep the rows {rows}."
    )


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def unwrap(a):
    """The array inside an nnlearn Tensor; anything else unchanged."""
    if type(a).__module__.startswith("nnlearn") and hasattr(a, "_data"):
        return a._data
    return a


def is_array(a) -> bool:
    return array_api_compat.is_array_api_obj(a)


def num_rows(a, where: str = "", name: str = "X") -> int:
    shape = getattr(a, "shape", None)
    if shape is None or len(shape) == 0:
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}{name} must be an array with one row per sample, got "
                         f"{describe(a)}")
    return int(shape[0])


def describe(a) -> str:
    """A few words for a value that should have been an array."""
    if a is None:
        return "None"
    if isinstance(a, str):
        return "a string"
    if hasattr(a, "__next__"):
        return f"a {type(a).__name__} (an iterator: convert it with np.array(list(...)))"
    if getattr(a, "shape", None) == ():
        return "a single number"
    name = type(a).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def as_array(a, where: str, name: str = "X"):
    """``a`` unwrapped from a Tensor, and a list converted to a NumPy array; a
    clear error for None, strings, iterators, dicts and ragged lists."""
    a = unwrap(a)
    if is_array(a):
        return a
    if a is None or isinstance(a, (str, bytes, dict, set)) or hasattr(a, "__next__"):
        raise TypeError(f"{where}: {name} must be an array with one row per sample, got "
                        f"{describe(a)}.")
    try:
        return np.asarray(a)
    except ValueError:
        raise ValueError(f"{where}: {name} is a ragged list: its rows have different lengths.") from None


def same_length(X, y, where: str) -> None:
    """Raise if ``X`` and ``y`` do not hold the same number of samples."""
    nx, ny = num_rows(X, where, "X"), num_rows(y, where, "y")
    if nx != ny:
        raise ValueError(
            f"{where}: X has {nx} samples (rows) but y has {ny}; "
            "they must have the same length, one target per row of X."
        )


def float_namespace(*args, where: str = ""):
    """The array namespace of the array arguments, and the arguments as float
    arrays of that namespace (Python numbers and lists are converted)."""
    args = [unwrap(a) for a in args]
    arrays = [a for a in args if is_array(a)]
    if not arrays:
        try:
            args = [np.asarray(a, dtype=np.float64) for a in args]
        except (TypeError, ValueError):
            raise TypeError((f"{where}: " if where else "") + "expected numbers or arrays of numbers, got "
                            + ", ".join(describe(a) if not isinstance(a, (list, tuple, numbers.Number))
                                        else _short(a) for a in args)) from None
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
