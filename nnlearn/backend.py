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
import threading
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
    "dtype",
    "device",
]

NAMES = ("numpy", "torch", "cuda", "cupy")

# NumPy's scalar types (``np.float64(0.5)``): Tensor treats them as Python numbers
HOST_SCALAR = np.generic


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

    def asarray(self, data, dtype=None, copy=None):
        """``data`` as an array of this backend, sharing memory where possible.

        - Arrays (of any backend) keep their dtype: a float32 array stays
          float32, integer labels stay integers of their width.
        - Python numbers and (nested) lists take the default float dtype if
          they hold floats, int64 if they hold ints, bool for bools.
        - ``None``, complex numbers, strings and objects raise ``TypeError``
          (PyTorch raises too; NumPy would make NaN, drop the imaginary part,
          or build an object array).

        ``copy=True`` always returns a new array; ``None`` copies only when a
        conversion needs it.
        """
        xp = self.xp
        if _is_array_of(data, self):
            if _dtype_name(data.dtype, strict=False) is None:
                _raise_unsupported(str(data.dtype))
            if dtype is not None and data.dtype != dtype:
                return xp.astype(data, dtype)
            return xp.asarray(data, copy=True) if copy else data
        from_python = False
        if not isinstance(data, (np.ndarray, np.generic)):
            if _is_foreign_array(data):
                data = to_numpy(data)
            else:
                _check_python_data(data)
                try:
                    data = np.asarray(data)
                except ValueError as e:
                    if "inhomogeneous" not in str(e):
                        raise
                    raise ValueError(
                        "cannot make a tensor from nested lists of different lengths (a ragged "
                        f"list, or a list that contains itself): NumPy says {e} Give every row "
                        "the same length."
                    ) from None
                from_python, copy = True, None  # a new array already
        kind = data.dtype.kind
        if kind not in "biuf":
            _raise_unsupported(str(data.dtype))
        if dtype is None:
            if kind == "f":
                dtype = self.dtype if from_python else getattr(xp, data.dtype.name)
            else:
                dtype = getattr(xp, "bool" if kind == "b" else data.dtype.name)
        target = _dtype_name(dtype)
        if data.dtype.name != target:
            # convert on the host first: torch.asarray(ndarray, dtype=other, copy=True)
            # raises "can't alias tensor with dtype 'Double' into dtype 'Float'"
            data, copy = data.astype(target), None
        return xp.asarray(data, dtype=dtype, device=self.device, copy=True if copy else None)

    def erf(self, x):
        r"""The error function :math:`\operatorname{erf}(x) = \frac{2}{\sqrt\pi}
        \int_0^x e^{-t^2}\,dt` of an array of this backend (the array API has
        no ``erf``: SciPy's for NumPy, PyTorch's for torch, CuPy's for CuPy)."""
        if self.name == "numpy":
            from scipy.special import erf

            return erf(x)
        if self.name in ("torch", "cuda"):
            import torch

            return torch.special.erf(x)
        import cupyx.scipy.special

        return cupyx.scipy.special.erf(x)

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


def cuda_device_count() -> int:
    """The number of CUDA GPUs PyTorch sees (0 without PyTorch or a GPU)."""
    if not cuda_is_available():
        return 0
    import torch

    return int(torch.cuda.device_count())


def cuda_synchronize() -> None:
    """Wait for the GPU's queued work to finish (nothing to do without a GPU)."""
    if cuda_is_available():
        import torch

        torch.cuda.synchronize()


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

class _Current(threading.local):
    """The current backend, per thread: a ``with use(...)`` block in one thread
    leaves the others alone (as PyTorch's grad mode is per thread)."""

    backend = None


_local = _Current()
_state = {"default": None, "dtype": "float64"}   # the process-wide defaults
_built: dict = {}

ENV_VAR = "NNLEARN_BACKEND"


def _get(name: str, dtype_name: str) -> Backend:
    """The Backend ``name`` with default float ``dtype_name`` (built once)."""
    key = (name, dtype_name)
    b = _built.get(key)
    if b is None:
        b = _built[key] = _build(name, dtype_name)
    return b


def _from_environment() -> Backend | None:
    """The backend that ``NNLEARN_BACKEND`` names, or None when it is unset."""
    name = os.environ.get(ENV_VAR, "").strip().lower()
    if not name:
        return None
    try:
        return _get(name, _state["dtype"])
    except BackendError as e:
        raise BackendError(f"{ENV_VAR}={os.environ[ENV_VAR]!r}: {e}") from None


def current() -> Backend:
    """The backend new tensors are created on (in this thread)."""
    b = _local.backend
    if b is None:
        b = _state["default"]
        if b is None:
            b = _state["default"] = _get("numpy", _state["dtype"])
    if b.float_dtype_name != _state["dtype"]:  # set_default_dtype was called since
        b = _get(b.name, _state["dtype"])
    return b


class _Use(contextlib.AbstractContextManager):
    """Returned by :func:`use`: the switch has already happened; as a context
    manager it switches back on exit, and affects only the current thread."""

    def __init__(self, previous: Backend | None, previous_default: Backend | None, now: Backend):
        self.previous, self.previous_default, self.backend = previous, previous_default, now

    def __enter__(self) -> Backend:
        # a block changes this thread only: give the process default back
        _state["default"] = self.previous_default
        return self.backend

    def __exit__(self, *exc) -> None:
        _local.backend = self.previous

    def __repr__(self) -> str:
        return repr(self.backend)


def use(name: str) -> _Use:
    """Make ``name`` the current backend.

    Works as a plain call (``use("torch")``: from now on, in this thread and
    in threads started later) and as a context manager (``with use("torch"):
    ...``), which switches only the current thread and restores its previous
    backend on exit. An unknown name lists the valid ones; ``"cuda"`` on a
    machine without a GPU says so and names the alternatives.
    """
    if not isinstance(name, str):
        raise TypeError(f"backend name must be a string such as 'numpy', got {name!r}")
    now = _get(name.lower(), _state["dtype"])
    previous, previous_default = _local.backend, _state["default"]
    _local.backend = now
    _state["default"] = now
    return _Use(previous, previous_default, now)


def set_default_dtype(dtype: str) -> None:
    """Set the default float dtype (``"float64"``, the default, or ``"float32"``).

    Note: nnlearn defaults to float64 so that finite-difference gradient checks
    are accurate; PyTorch defaults to float32.
    """
    if dtype is None:
        raise TypeError("set_default_dtype: dtype must be nnlearn.float32 or nnlearn.float64, not None")
    name = _dtype_name(dtype)
    if name not in ("float32", "float64"):
        raise ValueError(f"default dtype must be 'float32' or 'float64', got {dtype!r}")
    _state["dtype"] = name   # current() rebuilds each thread's backend with it


def get_default_dtype() -> "dtype":
    """The default float dtype (``nnlearn.float64`` unless changed); it compares
    equal to its name, ``"float64"``."""
    return _DTYPES[_state["dtype"]]


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
# Data types and devices: the same objects on every backend
# --------------------------------------------------------------------------

class dtype:
    """A data type, the same object whatever the backend (as ``torch.float32``).

    ``t.dtype`` returns one of these, and it compares equal to the backend's
    own dtype and to its name, so ``t.dtype == nnlearn.float32``,
    ``t.dtype == "float32"`` and ``t.dtype == numpy.float32`` all hold for a
    float32 tensor on NumPy or PyTorch. NumPy accepts it where it takes a
    dtype (``np.zeros(3, dtype=nnlearn.float32)``).
    """

    __slots__ = ("name", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str):
        np_dtype = np.dtype(name)
        self.name = name
        self.is_floating_point = np_dtype.kind == "f"
        self.is_signed = np_dtype.kind in "if"
        self.itemsize = np_dtype.itemsize

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the same name (how NumPy reads this object)."""
        return np.dtype(self.name)

    def __repr__(self) -> str:
        return f"nnlearn.{self.name}"

    def __str__(self) -> str:
        return self.name   # as NumPy prints a dtype (``str(t.dtype) == "float32"``)

    def __eq__(self, other) -> bool:
        if isinstance(other, dtype):
            return other.name == self.name
        name = _dtype_name(other, strict=False)
        return NotImplemented if name is None else name == self.name

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


_DTYPES = {n: dtype(n) for n in ("float16", "float32", "float64", "int8", "int16", "int32",
                                 "int64", "uint8", "uint16", "uint32", "uint64", "bool")}
# PyTorch's other names for them (nnlearn.float is float32, nnlearn.long is int64, ...)
DTYPE_ALIASES = {"half": "float16", "float": "float32", "double": "float64", "short": "int16",
                 "int": "int32", "long": "int64"}


def _dtype_by_name(name: str) -> dtype:
    return _DTYPES[name]


def _dtype_name(d, strict: bool = True):
    """The canonical name (``"float32"``) of a dtype given as an nnlearn dtype,
    a NumPy or PyTorch dtype, a string or ``float``/``int``/``bool``."""
    if isinstance(d, dtype):
        return d.name
    if isinstance(d, str):
        name = d.replace("torch.", "").replace("nnlearn.", "")
        name = DTYPE_ALIASES.get(name, name) if d.startswith(("torch.", "nnlearn.")) else name
        if name in _DTYPES:
            return name
    elif d is float:
        return _state["dtype"]
    elif d is int:
        return "int64"
    elif d is bool:
        return "bool"
    elif type(d).__module__ == "torch":  # torch.float32 prints as "torch.float32"
        name = str(d).replace("torch.", "")
        if name in _DTYPES:
            return name
    else:
        try:
            name = np.dtype(d).name
        except TypeError:
            name = None
        if name in _DTYPES:
            return name
    if strict:
        raise TypeError(
            f"unknown dtype {d!r}; use one of nnlearn.float32, nnlearn.float64, nnlearn.int64, "
            "nnlearn.bool ... (or their names, e.g. 'float32')"
        )
    return None


_FROM_ARRAY_DTYPE: dict = {}


def dtype_of(array_dtype) -> dtype:
    """The nnlearn dtype of a backend array's dtype (remembered per dtype)."""
    d = _FROM_ARRAY_DTYPE.get(array_dtype)
    if d is None:
        d = _FROM_ARRAY_DTYPE[array_dtype] = _DTYPES[_dtype_name(array_dtype)]
    return d


def _check_python_data(data) -> None:
    """Refuse Python input that NumPy would turn into a wrong number silently."""
    if data is None:
        raise TypeError(
            "cannot make a tensor from None (NumPy would make it NaN); give numbers, a list "
            "of numbers or an array"
        )
    if isinstance(data, complex):
        _raise_unsupported("complex128")


def _raise_unsupported(dtype_name: str) -> None:
    if "complex" in dtype_name:
        raise TypeError(
            "complex numbers are not supported: nnlearn's tensors hold real numbers (NumPy "
            "would drop the imaginary part when a gradient meets a real tensor). Take .real "
            "or abs() first if that is what you mean."
        )
    raise TypeError(
        f"cannot make a tensor from data of type {dtype_name} (objects, strings or None "
        "inside a list?); give numbers, nested lists of numbers or a numeric array"
    )


class device:
    """Where a tensor lives, in PyTorch's terms: ``device("cpu")`` or
    ``device("cuda")`` (``device("cuda:0")``, ``device("cuda", 0)``).

    nnlearn's NumPy and PyTorch-on-CPU backends are both ``cpu``; the ``cuda``
    backend is ``cuda``. ``t.to(device)`` and ``model.to(device)`` accept one.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index
        text = str(type)
        if ":" in text:
            text, idx = text.split(":", 1)
            index = int(idx)
        if text not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        self.type, self.index = text, index

    def __repr__(self) -> str:
        return f"device(type={self.type!r}" + ("" if self.index is None else f", index={self.index}") + ")"

    def __str__(self) -> str:
        return self.type + ("" if self.index is None else f":{self.index}")

    def __eq__(self, other) -> bool:
        if isinstance(other, (device, str)) or type(other).__module__ == "torch":
            try:
                o = device(str(other))
            except (RuntimeError, ValueError):
                return False
            return o.type == self.type and (o.index is None or self.index is None or o.index == self.index)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.type)


def device_of(b: Backend) -> device:
    """The PyTorch-style device of backend ``b``."""
    return device("cuda" if b.name in ("cuda", "cupy") else "cpu")


def backend_for_device(where) -> Backend:
    """The backend a ``device=`` argument or ``.to(...)`` name means.

    A backend name (``"numpy"``, ``"torch"``, ``"cuda"``) is that backend;
    ``"cpu"`` keeps the current backend if it is on the host (NumPy or PyTorch
    on the CPU) and is PyTorch's CPU backend otherwise; ``"cuda"`` (or
    ``"cuda:0"``) is the CUDA backend.
    """
    if where is None:
        return current()
    if isinstance(where, Backend):
        return where
    text = str(where).lower()
    if text in NAMES:
        return _get(text, _state["dtype"])
    d = device(text)
    if d.type == "cuda":
        return _get("cuda", _state["dtype"])
    b = current()
    return b if b.name in ("numpy", "torch") else _get("torch", _state["dtype"])


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
    seed = int(seed)
    if seed < 0:  # as torch: a negative seed is read as its 64-bit two's complement
        seed += 2 ** 64
    _rng["gen"] = np.random.default_rng(seed)
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
_state["default"] = _from_environment()
