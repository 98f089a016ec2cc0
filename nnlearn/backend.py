"""Where arrays live: the backend switch.

nnlearn's array code is written once, against the `Python array API standard
<https://data-apis.org/array-api/latest/>`_, through `array-api-compat
<https://data-apis.org/array-api-compat/>`_ (the way SciPy and scikit-learn do
it). A *backend* bundles the three things that code needs to know:

``xp``
    the array namespace (``xp.exp``, ``xp.sum``, ``xp.matmul``, ...),
``device``
    where new arrays are created,
``dtype``
    the default floating-point type.

Three backends are built in:

========== ================================================ =========================
name       arrays                                           use it for
========== ================================================ =========================
``numpy``  NumPy arrays (the default)                       reading, plotting, CI
``torch``  PyTorch tensors on the CPU                       testing the GPU code path
``cuda``   PyTorch tensors on a CUDA GPU                    speed
``cupy``   CuPy arrays on a CUDA GPU (if CuPy is installed) speed without PyTorch
========== ================================================ =========================

``torch`` and ``cuda`` run *the same code*; only the device differs. That is how
the continuous-integration machine, which has no GPU, tests the GPU code path.

The environment variable ``NNLEARN_BACKEND`` (``numpy``, ``torch`` or ``cuda``)
chooses the backend that is current when nnlearn is imported, so a whole
notebook or test run can move to the GPU code path without editing a line::

    NNLEARN_BACKEND=torch python -m pytest book

Select a backend for the whole session, or for a block::

    import nnlearn
    nnlearn.backend.use("torch")            # from now on
    with nnlearn.backend.use("numpy"):      # only inside the block
        ...
    nnlearn.backend.current().name          # 'torch'

Library names (numpy, torch, cupy) appear in this module only: everything else
asks the backend for its namespace.

Random numbers come from one NumPy generator, whatever the backend, and are
copied to the device. That costs a host-to-device copy, but it means that
``nnlearn.manual_seed(0)`` gives the *same* initial weights and dropout masks
on every backend, so a run on the GPU can be compared with a run on the CPU
number for number.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from dataclasses import dataclass, field
from typing import Any

import array_api_compat
import numpy as np

__all__ = [
    "Backend",
    "available",
    "current",
    "use",
    "to_numpy",
    "asarray",
    "namespace_of",
    "manual_seed",
    "rng",
    "fork_rng",
    "set_default_dtype",
    "get_default_dtype",
    "cuda_is_available",
    "BackendError",
]

NAMES = ("numpy", "torch", "cuda", "cupy")


class BackendError(RuntimeError):
    """A backend was asked for that this machine cannot provide, or arrays from
    two backends met in one operation."""


@dataclass
class Backend:
    """An array namespace, a device and a default float dtype."""

    name: str
    xp: Any
    device: Any = None
    float_dtype_name: str = "float64"
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def dtype(self):
        """The default floating-point dtype of this backend."""
        return getattr(self.xp, self.float_dtype_name)

    def asarray(self, data, dtype=None):
        """Copy-free where possible: ``data`` as an array of this backend.

        Python numbers and lists become arrays of the default float dtype
        unless ``dtype`` says otherwise; integer NumPy arrays keep an integer
        dtype (class labels stay labels).
        """
        xp = self.xp
        if _is_array_of(data, self):
            if dtype is not None and data.dtype != dtype:
                return xp.astype(data, dtype)
            return data
        if not isinstance(data, np.ndarray):
            if _is_foreign_array(data):
                data = to_numpy(data)
            else:
                data = np.asarray(data)
        if dtype is None:
            if data.dtype.kind in "fc" or data.dtype.kind not in "iub":
                dtype = self.dtype
                data = data.astype(self.float_dtype_name, copy=False)
            else:
                dtype = getattr(xp, data.dtype.name if data.dtype.kind != "b" else "bool")
        return xp.asarray(data, dtype=dtype, device=self.device)

    def to_numpy(self, a) -> np.ndarray:
        """The array ``a`` of this backend as a NumPy array (copied off the GPU)."""
        return to_numpy(a)

    def __repr__(self) -> str:
        where = "" if self.device is None else f", device={self.device}"
        return f"Backend({self.name!r}{where}, dtype={self.float_dtype_name})"


# --------------------------------------------------------------------------
# Building the backends (the only place where library names appear)
# --------------------------------------------------------------------------

def _torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def cuda_is_available() -> bool:
    """True when PyTorch is installed and sees a CUDA device."""
    if not _torch_available():
        return False
    import torch

    return bool(torch.cuda.is_available())


def _cupy_available() -> bool:
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver, no device
        return False


def available() -> list[str]:
    """The backend names that work on this machine."""
    names = ["numpy"]
    if _torch_available():
        names.append("torch")
        if cuda_is_available():
            names.append("cuda")
    if _cupy_available():
        names.append("cupy")
    return names


def _alternatives(name: str) -> str:
    others = [n for n in available() if n != name]
    return ", ".join(repr(n) for n in others)


def _build(name: str, dtype_name: str) -> Backend:
    if name not in NAMES:
        raise BackendError(
            f"unknown backend {name!r}. Valid names are: "
            + ", ".join(repr(n) for n in NAMES)
            + f" (available on this machine: {', '.join(available())})."
        )
    if name == "numpy":
        import array_api_compat.numpy as xp

        return Backend("numpy", xp, None, dtype_name)
    if name in ("torch", "cuda"):
        if not _torch_available():
            raise BackendError(
                f"backend {name!r} needs PyTorch, which is not installed. "
                "Install it with `pip install torch` (or `pip install nnlearn[torch]`), "
                f"or use one of: {_alternatives(name)}."
            )
        import array_api_compat.torch as xp
        import torch

        if name == "cuda":
            if not torch.cuda.is_available():
                raise BackendError(
                    "backend 'cuda' needs a CUDA GPU, and PyTorch sees none on this "
                    "machine. In Colab choose Runtime → Change runtime type → GPU. "
                    "To run the same code path on the CPU use backend 'torch'; "
                    f"the backends available here are: {', '.join(available())}."
                )
            return Backend("cuda", xp, torch.device("cuda"), dtype_name)
        return Backend("torch", xp, torch.device("cpu"), dtype_name)
    # cupy
    if not _cupy_available():
        raise BackendError(
            "backend 'cupy' needs CuPy and a CUDA GPU, and this machine has "
            f"{'no GPU' if importlib.util.find_spec('cupy') else 'no CuPy'}. "
            f"Use one of: {_alternatives(name)}."
        )
    import array_api_compat.cupy as xp

    return Backend("cupy", xp, None, dtype_name)


# --------------------------------------------------------------------------
# The current backend
# --------------------------------------------------------------------------

_state = {"backend": None, "dtype": "float64"}

ENV_VAR = "NNLEARN_BACKEND"


def _from_environment() -> Backend | None:
    """The backend that ``NNLEARN_BACKEND`` names, or None when it is unset."""
    name = os.environ.get(ENV_VAR, "").strip().lower()
    if not name:
        return None
    try:
        return _build(name, _state["dtype"])
    except BackendError as e:
        raise BackendError(f"{ENV_VAR}={os.environ[ENV_VAR]!r}: {e}") from None


def current() -> Backend:
    """The backend new tensors are created on."""
    if _state["backend"] is None:
        _state["backend"] = _build("numpy", _state["dtype"])
    return _state["backend"]


class _Use(contextlib.AbstractContextManager):
    """Returned by :func:`use`: the switch has already happened; as a context
    manager it switches back on exit."""

    def __init__(self, previous: Backend, now: Backend):
        self.previous, self.backend = previous, now

    def __enter__(self) -> Backend:
        return self.backend

    def __exit__(self, *exc) -> None:
        _state["backend"] = self.previous

    def __repr__(self) -> str:
        return repr(self.backend)


def use(name: str) -> _Use:
    """Make ``name`` the current backend.

    Works as a plain call (``use("torch")``) and as a context manager
    (``with use("torch"): ...``), which restores the previous backend on exit.
    An unknown name lists the valid ones; ``"cuda"`` on a machine without a GPU
    says so and names the alternatives.
    """
    if not isinstance(name, str):
        raise TypeError(f"backend name must be a string such as 'numpy', got {name!r}")
    previous = current()
    now = _build(name.lower(), _state["dtype"])
    _state["backend"] = now
    return _Use(previous, now)


def set_default_dtype(dtype: str) -> None:
    """Set the default float dtype (``"float64"``, the default, or ``"float32"``).

    Note: nnlearn defaults to float64 so that finite-difference gradient checks
    are accurate; PyTorch defaults to float32.
    """
    name = getattr(dtype, "name", None) or str(dtype).replace("torch.", "")
    if name not in ("float32", "float64"):
        raise ValueError(f"default dtype must be 'float32' or 'float64', got {dtype!r}")
    _state["dtype"] = name
    if _state["backend"] is not None:
        _state["backend"] = _build(_state["backend"].name, name)


def get_default_dtype() -> str:
    """The name of the default float dtype."""
    return _state["dtype"]


# --------------------------------------------------------------------------
# Arrays of any backend
# --------------------------------------------------------------------------

def namespace_of(*arrays):
    """The array namespace shared by ``arrays`` (array-api-compat's
    ``array_namespace``), with a clear error when they come from two libraries."""
    try:
        return array_api_compat.array_namespace(*arrays)
    except TypeError as e:
        kinds = sorted({type(a).__module__.split(".")[0] + "." + type(a).__name__ for a in arrays})
        raise BackendError(
            "arrays from different backends met in one operation "
            f"({' and '.join(kinds)}). Create all tensors under the same backend, "
            "or move one with nnlearn.backend.asarray(...)."
        ) from e


def _is_foreign_array(x) -> bool:
    return array_api_compat.is_array_api_obj(x) and not isinstance(x, np.ndarray)


def _is_array_of(x, b: Backend) -> bool:
    if b.name == "numpy":
        return isinstance(x, np.ndarray)
    if b.name in ("torch", "cuda"):
        return array_api_compat.is_torch_array(x) and x.device.type == b.device.type
    return array_api_compat.is_cupy_array(x)


def asarray(data, dtype=None, backend: Backend | None = None):
    """``data`` as an array of ``backend`` (the current one by default)."""
    return (backend or current()).asarray(data, dtype)


def to_numpy(x) -> np.ndarray:
    """Any array or Tensor as a NumPy array: the one call before plotting.

    A NumPy array (or a Tensor of the numpy backend) is returned as is, not
    copied."""
    if type(x).__module__.startswith("nnlearn"):  # a Tensor (or a scalar Value)
        x = x._data if hasattr(x, "_data") else x.data
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(x):
        return x.get()
    return np.asarray(x)


def is_backend_array(x) -> bool:
    """True for an array of any nnlearn backend (NumPy, PyTorch, CuPy)."""
    return isinstance(x, np.ndarray) or array_api_compat.is_array_api_obj(x)


def backend_for(array) -> Backend:
    """The Backend that ``array`` belongs to (the current one if it matches)."""
    name = backend_of(array)
    b = current()
    if b.name == name:
        return b
    return _build(name, b.float_dtype_name)


def backend_of(array) -> str:
    """The name of the backend an array (or a Tensor) belongs to."""
    if type(array).__module__.startswith("nnlearn") and hasattr(array, "_data"):
        return array.backend.name
    if isinstance(array, np.ndarray):
        return "numpy"
    if array_api_compat.is_torch_array(array):
        return "cuda" if array.device.type == "cuda" else "torch"
    if array_api_compat.is_cupy_array(array):
        return "cupy"
    raise TypeError(f"not an array of any nnlearn backend: {type(array).__name__}")


# --------------------------------------------------------------------------
# Random numbers: one NumPy generator for every backend
# --------------------------------------------------------------------------

_rng = {"gen": np.random.default_rng(0)}


def manual_seed(seed: int) -> np.random.Generator:
    """Seed nnlearn's random number generator (as ``torch.manual_seed`` does).

    The same seed gives the same numbers on every backend.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    _rng["gen"] = np.random.default_rng(int(seed))
    return _rng["gen"]


@contextlib.contextmanager
def fork_rng(seed: int | None = None):
    """Run a block with its own generator, then give the previous one back
    untouched (PyTorch's ``torch.random.fork_rng``).

    >>> with fork_rng(0):
    ...     ...   # draws here do not disturb the caller's random state
    """
    saved = _rng["gen"]
    _rng["gen"] = np.random.default_rng(seed)
    try:
        yield _rng["gen"]
    finally:
        _rng["gen"] = saved


def rng() -> np.random.Generator:
    """The generator nnlearn draws from (initial weights, dropout masks, shuffles)."""
    return _rng["gen"]


# The backend current at import: NNLEARN_BACKEND's choice (checked now, so that a
# typo fails at `import nnlearn`, not later), NumPy otherwise.
_state["backend"] = _from_environment()
