"""Settings for the whole test run (unit tests, notebooks under nbval, the book build).

One BLAS/OpenMP thread per process: the suite runs two pytest workers on two
cores, each starting notebook kernels, and multi-threaded BLAS on small matrices
collapses when threads outnumber cores. Set the variables yourself to override.
"""

import os

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pytest_configure(config):
    for var in _THREAD_VARS:
        os.environ.setdefault(var, "1")     # inherited by kernels and the book build
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(int(os.environ["OMP_NUM_THREADS"]))   # this process, too
    except ImportError:
        pass
