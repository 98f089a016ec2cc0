"""Settings for the whole test run (unit tests, notebooks under nbval, the book build).

One BLAS/OpenMP thread per process: the suite runs two pytest workers on two
cores, each starting notebook kernels, and multi-threaded BLAS on small matrices
collapses when threads outnumber cores. Set the variables yourself to override.

Checked notebook outputs (cells tagged ``nbval-check-output``) are compared
after the sanitizers of ``tools/nbval_sanitize.cfg`` (timings, object
addresses, progress bars, negative zero), and a cell also tagged
``nbval-printed-precision`` compares its numbers at the precision it prints
(``tools/nbval_precision.py``; README, "Editing a chapter").
"""

import os
import sys
from pathlib import Path

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_TOOLS = Path(__file__).resolve().parent / "tools"
SANITIZE = _TOOLS / "nbval_sanitize.cfg"


def pytest_configure(config):
    for var in _THREAD_VARS:
        os.environ.setdefault(var, "1")     # inherited by kernels and the book build
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(int(os.environ["OMP_NUM_THREADS"]))   # this process, too
    except ImportError:
        pass
    if config.pluginmanager.hasplugin("nbval"):
        if getattr(config.option, "nbval_sanitize_with", "unset") is None:
            config.option.nbval_sanitize_with = str(SANITIZE)   # an absolute path: works from any directory
        sys.path.insert(0, str(_TOOLS))
        import nbval_precision

        nbval_precision.install()
