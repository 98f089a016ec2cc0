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
from collections.abc import MutableMapping

import array_api_compat

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
                    self._update(p, p._grad._data, self.state[p], group)
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
        """Restore a state saved by :obj:`state_dict`.

        The optimizer must have been built on parameters of the same shapes in
        the same order. Arrays are copied onto each parameter's backend and
        dtype.
        """
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved)} parameter groups, this optimizer "
                f"has {len(self.param_groups)}."
            )
        for i, (mine, theirs) in enumerate(zip(self.param_groups, saved)):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError(
                    f"parameter group {i}: loaded state dict has {len(theirs['params'])} "
                    f"parameters, this optimizer has {len(mine['params'])}."
                )
        params = {}
        for mine, theirs in zip(self.param_groups, saved):
            for p, k in zip(mine["params"], theirs["params"]):
                params[k] = p
        self.state = _ParamState()
        for k, s in state_dict["state"].items():
            p = params[int(k)]
            self.state[p] = {name: _to_param_backend(v, p) for name, v in s.items()}
        for mine, theirs in zip(self.param_groups, saved):
            for key, value in theirs.items():
                if key != "params":
                    mine[key] = copy.deepcopy(value)


def _is_tensor(x):
    """A Tensor/Parameter (has ``._data`` and ``.grad``) rather than a raw array."""
    return hasattr(x, "grad") and hasattr(x, "_data") and not array_api_compat.is_array_api_obj(x)


def _to_param_backend(value, p):
    if array_api_compat.is_array_api_obj(value):
        xp = backend.namespace_of(p._data)
        host = backend.to_numpy(value)
        return xp.asarray(host, dtype=p._data.dtype, device=array_api_compat.device(p._data), copy=True)
    return copy.deepcopy(value)
