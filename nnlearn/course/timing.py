r"""Timing a computation fairly: the best of a few repeats, optionally on one core.

A single timing of a fast function is mostly noise: the first call may pay for
imports and caches, and other programs steal the processor now and then. The
usual remedy (that of Python's ``timeit`` module) is to run the function
``number`` times in a row, repeat that ``repeat`` times, and keep the
*smallest* total: noise only ever adds time, so the minimum is the best
estimate of what the computation itself costs.

Linear-algebra libraries (OpenBLAS, MKL, PyTorch's OpenMP pool) split large
matrix products over several threads. That speeds up large products on an idle
machine but can slow down small ones, and on a busy machine with few cores the
threads compete with everything else. ``threads=1`` runs the timed calls with
those thread pools limited to one thread (through ``threadpoolctl``), so that a
comparison measures the computations themselves, not how many cores a library
managed to grab.

>>> from nnlearn.course.timing import best_time
>>> t = best_time(lambda: sum(range(1000)), number=10, repeat=3)
>>> 0 < t < 1
True
"""

from __future__ import annotations

import time
from contextlib import nullcontext

__all__ = ["best_time"]


def best_time(fn, number: int = 1, repeat: int = 3, threads: int | None = None) -> float:
    r"""Seconds per call of ``fn()``: the best of ``repeat`` runs of ``number`` calls.

    .. math::

        t = \min_{r = 1, \dots, \text{repeat}} \frac{T_r}{\text{number}},

    where :math:`T_r` is the wall-clock time of run :math:`r`, measured with
    ``time.perf_counter`` (the same as
    ``min(timeit.repeat(fn, number=number, repeat=repeat)) / number``).

    Parameters
    ----------
    fn : callable
        Called with no argument; its result is ignored.
    number : int
        Calls per run (use more for functions that take well under a millisecond).
    repeat : int
        Runs; the fastest one counts.
    threads : int, optional
        Limit the thread pools of the linear-algebra and OpenMP libraries to
        this many threads while timing (needs ``threadpoolctl``, which
        scikit-learn installs). ``None`` leaves them as they are.

    Returns
    -------
    float
        Seconds per call.
    """
    if int(number) < 1 or int(repeat) < 1:
        raise ValueError(f"best_time: number and repeat must be >= 1, got number={number}, "
                         f"repeat={repeat}.")
    if threads is None:
        limit = nullcontext()
    else:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            raise ImportError(
                "best_time(threads=...) needs the threadpoolctl package "
                "(pip install threadpoolctl); or call it with threads=None."
            ) from None
        limit = threadpool_limits(limits=int(threads))
    best = float("inf")
    with limit:
        for _ in range(int(repeat)):
            start = time.perf_counter()
            for _ in range(int(number)):
                fn()
            best = min(best, time.perf_counter() - start)
    return best / int(number)
