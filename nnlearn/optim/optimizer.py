r"""The base class of every optimizer: parameter groups, state, ``zero_grad``.

An optimizer holds the parameters to update, grouped in ``param_groups`` (a
list of dicts, each with a ``"params"`` list and its own hyperparameters, as in
PyTorch), and a ``state`` per parameter (momentum buffers, running averages),
created on the first ``step()``. Subclasses only write ``step()``.

The training loop is PyTorch's::

    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
"""

from __future__ import annotations

import copy
import math
import inspect
import numbers
from collections.abc import Mapping, MutableMapping

import array_api_compat
import numpy as np

from .. import backend

__all__ = ["Optimizer"]

_required = object()


class _ParamState(MutableMapping):
    """``{parameter: state dict}`` keyed by the parameter's identity.

    Like PyTorch's ``defaultdict(dict)``: ``state[p]`` is an empty dict until
    the first step fills it. Parameters are keyed by identity, so Tensors need
    not be hashable.
    """

    def __init__(self):
        self._items = {}  # id(p) -> (p, state)

    def __getitem__(self, p):
        if id(p) not in self._items:
            self._items[id(p)] = (p, {})
        return self._items[id(p)][1]

    def __setitem__(self, p, value):
        self._items[id(p)] = (p, value)

    def __delitem__(self, p):
        del self._items[id(p)]

    def __contains__(self, p):
        return id(p) in self._items

    def __iter__(self):
        return (p for p, _ in self._items.values())

    def __len__(self):
        return len(self._items)

    def __repr__(self):
        return f"<optimizer state of {len(self)} parameters>"


def _copy_array(a):
    """A copy of a backend array, on the same backend; other values unchanged."""
    if array_api_compat.is_array_api_obj(a):
        xp = backend.namespace_of(a)
        return xp.asarray(a, copy=True)
    return copy.deepcopy(a)


class Optimizer:
    """Base class for optimizers, as ``torch.optim.Optimizer``.

    Parameters
    ----------
    params : iterable
        The Parameters (Tensors) to optimize, e.g. ``model.parameters()``, or
        an iterable of dicts, each with a ``"params"`` entry and hyperparameters
        that override the defaults for that group::

            SGD([{"params": model[0].parameters(), "lr": 0.1},
                 {"params": model[2].parameters()}], lr=0.01)
    defaults : dict
        The default hyperparameters of every group.

    Attributes
    ----------
    param_groups : list of dict
        Each group's ``"params"`` and hyperparameters. A learning-rate
        scheduler changes ``group["lr"]`` here; ``step()`` reads it each time.
    state : mapping
        Per-parameter state (``optimizer.state[p]``), created on the first step.

    Notes
    -----
    ``step()`` is plain in-place array arithmetic on the arrays behind each
    parameter and its gradient (``p._data``, ``p.grad._data``); parameters
    whose ``grad`` is ``None`` are skipped, as in PyTorch. Each step counts as
    an in-place change of the parameter (its version goes up), so a graph that
    saved the old values refuses to backpropagate through them, as in PyTorch.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = _ParamState()
        self.param_groups = []
        if _is_tensor(params):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Parameters (for "
                f"example model.parameters()) or of dicts, got a single "
                f"{type(params).__name__}. Wrap it in a list: [p]."
            )
        if params is None or isinstance(params, (str, bytes)) or not hasattr(params, "__iter__"):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Parameters (for example "
                f"model.parameters()) or of dicts, got {type(params).__name__} {params!r}."
            )
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(
                f"{type(self).__name__} got an empty parameter list: did the model "
                "register its parameters (model.parameters() is empty)?"
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``"params"``), with its own
        hyperparameters; missing ones take the optimizer's defaults.

        Useful to unfreeze layers while training, or to give the last layer a
        different learning rate.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}.")
        group = dict(param_group)
        if "params" not in group:
            raise ValueError("a parameter group needs a 'params' entry (a list of Parameters).")
        params = group["params"]
        group["params"] = [params] if _is_tensor(params) else list(params)
        for p in group["params"]:
            if not _is_tensor(p):
                raise TypeError(
                    f"{type(self).__name__} can only optimize Tensors (nnlearn.nn.Parameter), "
                    f"got {type(p).__name__}. Pass model.parameters()."
                )
            if not (p.is_leaf or getattr(p, "_retains_grad", False)):
                # its .grad is freed by backward(), so the optimizer would never move it
                raise ValueError(
                    "can't optimize a non-leaf Tensor: this tensor was computed from others "
                    f"(op {getattr(p, '_op', '?')!r}), so backward() frees its gradient. "
                    "Optimize the leaf it came from, or make it a leaf with "
                    "nn.Parameter(t.detach())."
                )
        for name, default in self.defaults.items():
            if default is _required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required argument {name!r}.")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        ids = [id(p) for p in group["params"]]
        if len(set(ids)) != len(ids) or seen & set(ids):
            raise ValueError(
                "some parameters appear more than once in the parameter groups; "
                "each parameter may belong to one group only."
            )
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients before the next ``backward()``.

        With ``set_to_none=True`` (the default, as in PyTorch) each ``p.grad``
        becomes ``None``; otherwise it is filled with zeros in place.
        Gradients accumulate across ``backward()`` calls, so call this once per
        step.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    p._grad._data[...] = 0

    def step(self, closure=None):
        """Update the parameters once (subclasses implement ``_update``).

        ``closure``, if given, is called first (it should zero the gradients,
        compute the loss, call ``backward()`` and return the loss), as in
        PyTorch; its value is returned.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is not None:
                    state = self.state[p]
                    if state:
                        _follow(state, p._data)
                    self._update(p, p._grad._data, state, group)
                    p._bump_version()
        return loss

    def _update(self, p, g, state, group):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must define _update(p, g, state, group): "
                                  "the update rule for one parameter")

    # ------------------------------------------------------------------
    # Checkpoints
    # ------------------------------------------------------------------

    def state_dict(self):
        """The optimizer's state as a dict, in PyTorch's layout.

        ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``,
        parameters being numbered in the order of the groups.

        Notes
        -----
        Arrays are *copied* (PyTorch returns references, which later in-place
        steps modify), so a saved state dict stays as it was saved.
        """
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {
            index[id(p)]: {k: _copy_array(v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a state saved by :obj:`state_dict`, all or nothing.

        The optimizer must have been built on parameters of the same shapes in
        the same order. The new state is built and checked completely first
        (groups and their sizes, parameter indices, each buffer's shape and
        dtype, JSON-style lists converted to arrays on each parameter's backend
        and dtype, string keys such as ``"0"`` read as indices); only then is it
        swapped in. On any error the optimizer is exactly as before. A missing
        ``"state"`` or ``"param_groups"`` entry raises ``KeyError``, as in
        PyTorch.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict expects a dict with 'state' and "
                f"'param_groups' (from optimizer.state_dict()), got {type(state_dict).__name__}."
            )
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(
                    f"{key!r}: the optimizer state dict has no {key!r} entry (it has "
                    f"{sorted(map(str, state_dict))}); save it with optimizer.state_dict()."
                )
        saved = state_dict["param_groups"]
        if not isinstance(saved, (list, tuple)) or not all(isinstance(g, Mapping) for g in saved):
            raise ValueError("the state dict's 'param_groups' must be a list of dicts.")
        if len(saved) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved)} parameter groups, this optimizer "
                f"has {len(self.param_groups)}."
            )
        params = {}
        for i, (mine, theirs) in enumerate(zip(self.param_groups, saved)):
            indices = theirs.get("params")
            if not isinstance(indices, (list, tuple)):
                raise ValueError(f"parameter group {i} of the state dict has no 'params' list.")
            if len(mine["params"]) != len(indices):
                raise ValueError(
                    f"parameter group {i}: loaded state dict has {len(indices)} "
                    f"parameters, this optimizer has {len(mine['params'])}."
                )
            for p, k in zip(mine["params"], indices):
                params[_index(k)] = p
        if not isinstance(state_dict["state"], Mapping):
            raise ValueError("the state dict's 'state' must be a dict {parameter index: {name: value}}.")
        new_state = _ParamState()
        for k, s in state_dict["state"].items():
            idx = _index(k)
            if idx not in params:
                raise ValueError(
                    f"the state dict has state for parameter index {idx}, but its param_groups "
                    f"list the indices {sorted(params)} only."
                )
            if not isinstance(s, Mapping):
                raise ValueError(f"state of parameter {idx} must be a dict, got {type(s).__name__}.")
            p = params[idx]
            missing = [name for name, v in s.items() if v is None and name != "momentum_buffer"]
            if missing:  # SGD's momentum_buffer is None before its first step, as in torch
                raise ValueError(f"state of parameter {idx}: {missing[0]!r} is None; a saved "
                                 "optimizer state holds numbers or arrays there.")
            new_state[p] = {name: _state_entry(v, p, idx, name)
                            for name, v in s.items() if v is not None}
        new_groups = []
        for i, (mine, theirs) in enumerate(zip(self.param_groups, saved)):
            group = {key: _like(copy.deepcopy(value), mine.get(key))
                     for key, value in theirs.items() if key != "params"}
            _check_hyperparameters(type(self), group, mine["params"], i)
            group["params"] = mine["params"]
            new_groups.append(group)
        # everything is checked: swap it in
        self.state = new_state
        for mine, group in zip(self.param_groups, new_groups):
            mine.update(group)


def _check_hyperparameters(cls, group, params, i) -> None:
    """Check a loaded group's hyperparameters with the constructor's own checks
    (lr, betas, momentum, ...), so that a bad value fails here, not at step()."""
    if not params:
        return
    accepted = inspect.signature(cls.__init__).parameters
    hyper = {k: v for k, v in group.items() if k in accepted and k not in ("self", "params")}
    try:
        cls(list(params[:1]), **hyper)
    except (TypeError, ValueError) as e:
        raise type(e)(f"parameter group {i} of the state dict: {e}") from None


def _index(k) -> int:
    """A parameter index: an int, or its string form (JSON turns keys into strings)."""
    try:
        if isinstance(k, bool):
            raise ValueError
        if isinstance(k, str):
            return int(k)
        if isinstance(k, numbers.Integral):
            return int(k)
    except ValueError:
        pass
    raise ValueError(f"parameter indices in an optimizer state dict are integers, got {k!r}.")


def _state_entry(value, p, idx, name):
    """One entry of a parameter's state, converted to ``p``'s backend and dtype.

    Scalars (``step``) become Python numbers; arrays, Tensors and nested lists
    become arrays of ``p``'s shape, or raise ValueError."""
    if hasattr(value, "grad") and hasattr(value, "data") and not array_api_compat.is_array_api_obj(value):
        value = value._data  # a Tensor
    if isinstance(value, (bool, str)):
        raise ValueError(f"state of parameter {idx}: {name!r} is {value!r}, not a number or an array.")
    if isinstance(value, numbers.Number):
        if name == "step" and not (value >= 0 and math.isfinite(value)):
            raise ValueError(f"state of parameter {idx}: 'step' is {value!r}; a step count is >= 0.")
        return value
    try:
        host = np.asarray(backend.to_numpy(value))
    except Exception:
        raise ValueError(
            f"state of parameter {idx}: {name!r} is a {type(value).__name__}, not a number or an array."
        ) from None
    if host.dtype.kind not in "biuf":
        raise ValueError(f"state of parameter {idx}: {name!r} has dtype {host.dtype}; expected real numbers.")
    if host.ndim == 0 and name == "step":
        v = host.item()
        if not (v >= 0 and math.isfinite(v)):
            raise ValueError(f"state of parameter {idx}: 'step' is {v!r}; a step count is >= 0.")
        return int(v) if float(v).is_integer() else v
    shape = tuple(p._data.shape)
    if tuple(host.shape) != shape:
        raise ValueError(
            f"state of parameter {idx}: {name!r} has shape {tuple(host.shape)}, but the "
            f"parameter has shape {shape}."
        )
    return _to_param_backend(host, p)


def _like(value, current):
    """A hyperparameter from a state dict, as a tuple where the optimizer keeps
    a tuple (``betas`` come back from JSON as lists)."""
    if isinstance(current, tuple) and isinstance(value, list):
        return tuple(value)
    return value


def _follow(state, arr) -> None:
    """Move the state's arrays to the backend, device and dtype of the
    parameter's array ``arr`` if the parameter moved (``model.to(...)``)."""
    for name, v in state.items():
        if array_api_compat.is_array_api_obj(v) and (
            type(v) is not type(arr) or v.dtype != arr.dtype
            or getattr(v, "device", None) != getattr(arr, "device", None)
        ):
            host = np.asarray(backend.to_numpy(v))
            xp = backend.namespace_of(arr)
            state[name] = xp.asarray(host, dtype=arr.dtype, device=array_api_compat.device(arr), copy=True)


def _is_tensor(x):
    """A Tensor/Parameter (has ``._data`` and ``.grad``) rather than a raw array."""
    return hasattr(x, "grad") and hasattr(x, "_data") and not array_api_compat.is_array_api_obj(x)


def _to_param_backend(value, p):
    if array_api_compat.is_array_api_obj(value):
        xp = backend.namespace_of(p._data)
        host = np.asarray(backend.to_numpy(value))
        return xp.asarray(host, dtype=p._data.dtype, device=array_api_compat.device(p._data), copy=True)
    return copy.deepcopy(value)
