r"""``nnlearn.save`` and ``nnlearn.load``: state dicts on disk, in a format that
cannot run code when it is loaded.

PyTorch's ``torch.save`` pickles, and unpickling a file from someone else can
execute any code it names (hence ``torch.load(..., weights_only=True)``, a
restricted unpickler). nnlearn does not pickle at all. A file is a NumPy
``.npz`` archive:

- every array (a Tensor's values, an array in an optimizer's state) is stored
  as its own ``.npy`` member, ``a0``, ``a1``, ...;
- the structure around them (dicts and their keys, lists, tuples, numbers,
  strings, booleans, None, and which arrays were Tensors, Parameters or
  arrays of which backend) is one JSON document, in the member ``structure``.

Loading reads the archive with ``numpy.load(..., allow_pickle=False)`` and the
JSON with ``json.loads``: neither can call a function, so a malicious file can
at worst fail to load. What can be saved is therefore limited to those types
(everything a module's or an optimizer's ``state_dict()`` holds)::

    nnlearn.save(model.state_dict(), "model.pt")
    model.load_state_dict(nnlearn.load("model.pt"))

    nnlearn.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                  "epoch": 7}, "checkpoint.pt")
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile

import numpy as np

from . import backend as _backend

__all__ = ["save", "load"]

_FORMAT = "nnlearn-npz-1"


def _raw(t):
    """The backend array behind a Tensor."""
    return t._data


def _encode(obj, arrays):
    from ._tensor import Tensor

    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else {"__float__": repr(f)}
    if isinstance(obj, Tensor):
        arr = _raw(obj)
        arrays.append(_backend.to_numpy(arr))
        return {"__tensor__": len(arrays) - 1, "backend": obj.backend.name,
                "requires_grad": bool(obj.requires_grad), "parameter": type(obj).__name__ == "Parameter"}
    if isinstance(obj, np.ndarray) or _backend._is_foreign_array(obj):
        arrays.append(np.asarray(_backend.to_numpy(obj)))
        return {"__array__": len(arrays) - 1, "backend": _backend.backend_of(obj)}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays) for v in obj]
    raise TypeError(
        f"nnlearn.save can store Tensors, arrays, numbers, strings, booleans, None and dicts, "
        f"lists and tuples of them (what a state_dict() holds), not {type(obj).__name__}. "
        "Save model.state_dict() rather than the model itself."
    )


def save(obj, f) -> None:
    """Save ``obj`` (a state dict, or nested dicts/lists/tuples of Tensors,
    arrays, numbers and strings) to the path or binary file ``f``.

    The file is a NumPy ``.npz`` archive plus a JSON description (see the
    module docstring); nothing is pickled. The name is used as given (no
    ``.npz`` is appended).
    """
    if not isinstance(f, (str, os.PathLike)) and not hasattr(f, "write"):
        raise TypeError(f"nnlearn.save: f must be a file path or a binary file opened for writing, "
                        f"got {type(f).__name__} {f!r}")
    arrays = []
    try:
        structure = json.dumps({"format": _FORMAT, "object": _encode(obj, arrays)})
    except RecursionError:
        raise ValueError("nnlearn.save: the object contains itself (a list or dict inside itself), "
                         "or is nested too deeply to save") from None
    for a in arrays:
        if a.dtype.kind not in "biufc":
            raise TypeError(f"nnlearn.save: cannot store an array of dtype {a.dtype} (only numbers)")
    members = {f"a{i}": a for i, a in enumerate(arrays)}
    members["structure"] = np.frombuffer(structure.encode("utf-8"), dtype=np.uint8)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            np.savez(fh, **members)
    else:
        np.savez(f, **members)


class _Loader:
    def __init__(self, archive, map_location):
        self.archive, self.map_location = archive, map_location

    def backend_for(self, saved: str) -> str:
        loc = self.map_location
        if loc is None:
            return saved if saved in _backend.available() else "numpy"
        name = str(loc).lower()
        if name == "cpu":
            return "torch" if saved == "cuda" else saved
        if name.startswith("cuda"):
            return "cuda"
        return name

    def array(self, i):
        key = f"a{int(i)}"
        if key not in self.archive.files:
            raise ValueError(f"nnlearn.load: the file refers to array {key}, which it does not contain")
        return self.archive[key]

    def decode(self, node):
        from ._tensor import Tensor

        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or len(node) == 0:
            raise ValueError(f"nnlearn.load: unexpected entry {node!r} in the file's structure")
        if "__float__" in node:
            return float(node["__float__"])
        if "__tuple__" in node:
            return tuple(self.decode(v) for v in node["__tuple__"])
        if "__dict__" in node:
            out = {}
            for key, value in node["__dict__"]:
                key = self.decode(key)
                out[tuple(key) if isinstance(key, list) else key] = self.decode(value)
            return out
        if "__array__" in node:
            host = self.array(node["__array__"])
            name = self.backend_for(node.get("backend", "numpy"))
            if name == "numpy":
                return host
            with _backend.use(name) as b:
                return b.asarray(host, dtype=getattr(b.xp, host.dtype.name))
        if "__tensor__" in node:
            host = self.array(node["__tensor__"])
            with _backend.use(self.backend_for(node.get("backend", "numpy"))):
                t = Tensor(host, dtype=host.dtype.name)
                if node.get("parameter"):
                    from .nn import Parameter

                    return Parameter(t, requires_grad=bool(node.get("requires_grad")))
                return t.requires_grad_(bool(node.get("requires_grad"))) if node.get("requires_grad") else t
        raise ValueError(f"nnlearn.load: unexpected entry {sorted(node)} in the file's structure")


def load(f, map_location=None, weights_only: bool = True):
    """Load what :func:`save` stored, from a path or a binary file.

    Arrays and Tensors come back on the backend they were saved from (if this
    machine has it; NumPy otherwise), or on ``map_location``: ``"cpu"`` (a
    CUDA array comes back on ``"torch"``), ``"cuda"`` or a backend name.

    ``weights_only`` is accepted for PyTorch compatibility: nnlearn's format
    holds only weights and plain data whatever its value, and loading it never
    unpickles anything. A file that is not an nnlearn file (a pickle, a
    ``torch.save`` archive) raises ``ValueError`` without being executed.
    """
    try:
        archive = np.load(f, allow_pickle=False)
    except ValueError as e:  # NumPy refuses a pickle without unpickling it
        raise ValueError(
            f"nnlearn.load: {_name(f)} is not an nnlearn file ({e}). nnlearn never unpickles "
            "files, because unpickling can run arbitrary code; a torch.save file can be read with "
            "torch.load(..., weights_only=True) and its state dict passed to load_state_dict."
        ) from None
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"nnlearn.load: {_name(f)} is not an nnlearn file ({type(e).__name__}: {e})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile) or "structure" not in archive.files:
        raise ValueError(
            f"nnlearn.load: {_name(f)} is not an nnlearn file (no 'structure' member"
            + ("" if isinstance(archive, np.lib.npyio.NpzFile) else "; it is a bare .npy array")
            + "); files written by torch.save are read with torch.load(..., weights_only=True)."
        )
    with archive:
        try:
            raw = archive["structure"]
        except ValueError as e:  # an object array: would need pickle
            raise ValueError(f"nnlearn.load: {_name(f)} has a pickled 'structure' member; refusing it ({e})") from None
        try:
            doc = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"nnlearn.load: the structure of {_name(f)} is not valid JSON ({e})") from None
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise ValueError(f"nnlearn.load: {_name(f)} is not in nnlearn's format {_FORMAT!r}")
        try:
            return _Loader(archive, map_location).decode(doc["object"])
        except ValueError as e:
            if "allow_pickle" in str(e):
                raise ValueError(f"nnlearn.load: {_name(f)} contains a pickled array; refusing it") from None
            raise


def _name(f) -> str:
    return repr(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else "the file"
