r"""Your own operations with their own backward, and gradients on demand
(PyTorch's ``torch.autograd``).

A :class:`Function` is a primitive written by hand, the way every operation in
:mod:`nnlearn._tensor` is written: ``forward`` computes the output and saves
what the backward pass needs, ``backward`` turns :math:`\bar{y} = \partial
L/\partial y` into :math:`\bar{x} = \bar{y}\,\partial y/\partial x` for each
input. As in PyTorch::

    class Cube(nnlearn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2

    y = Cube.apply(x)

:func:`grad` returns :math:`\partial L/\partial x` for chosen inputs without
touching their ``.grad``.
"""

from __future__ import annotations

from ._tensor import Tensor, _mode, _result, _run_backward, _ver, no_grad

__all__ = ["Function", "FunctionCtx", "grad", "backward"]


class FunctionCtx:
    """The ``ctx`` handed to ``Function.forward`` and
    ``Function.backward``: save tensors with :meth:`save_for_backward`,
    read them back with :attr:`saved_tensors`; any other attribute
    (``ctx.alpha = 0.5``) is kept as it is."""

    def __init__(self):
        self._saved = ()
        self._versions = ()
        self._freed = False
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` (inputs or outputs of ``forward``) for the backward
        pass; if one of them is changed in place before ``backward()``, the
        backward pass raises, as in PyTorch."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save tensors (or None), got {type(t).__name__}; "
                    "keep other values as attributes of ctx"
                )
        self._saved = tensors
        self._versions = tuple(None if t is None else _ver(t) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to :meth:`save_for_backward`."""
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Specify retain_graph=True if you "
                "need to backward through the graph a second time."
            )
        for t, v in zip(self._saved, self._versions):
            if t is not None and _ver(t) != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [Tensor of shape {t.shape}] is at version {_ver(t)}; "
                    f"expected version {v} instead."
                )
        return self._saved

    def mark_non_differentiable(self, *tensors) -> None:
        """Accepted for PyTorch compatibility (integer outputs never get gradients)."""

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted for PyTorch compatibility (gradients are always materialized)."""


class Function:
    """Base class of an operation with a hand-written backward (as
    ``torch.autograd.Function``).

    Subclasses define two static methods:

    ``forward(ctx, *args, **kwargs)``
        computes the output Tensor from the inputs (it runs without recording
        a graph) and may call ``ctx.save_for_backward(...)``;
    ``backward(ctx, grad_output)``
        receives :math:`\\partial L/\\partial\\,\\text{output}` as a Tensor and
        returns one gradient per positional input of ``forward`` (``None``
        for inputs that need none), each of its input's shape.

    Call ``MyFunction.apply(*args)``, never ``forward`` directly. One output
    tensor per function is supported.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        if not isinstance(result, Tensor):
            raise TypeError(
                f"{cls.__name__}.forward must return a Tensor (nnlearn's Function supports one "
                f"output tensor), got {type(result).__name__}"
            )
        inputs = [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not (_mode.enabled and inputs):
            return result
        out = _result(result._data, result.backend, result.xp, cls.__name__,
                      tuple(a for _, a in inputs), True)
        out._saved = () if ctx._saved else None   # what ctx saved is freed after backward()

        def _backward(g):
            grads = cls.backward(ctx, _result(g, out.backend, out.xp, "", (), False))
            if not isinstance(grads, tuple):
                grads = (grads,)
            if len(grads) < len(args):
                raise RuntimeError(
                    f"{cls.__name__}.backward returned {len(grads)} gradient(s), but forward took "
                    f"{len(args)} positional input(s): return one per input (None for those "
                    "that need none)"
                )
            for i, a in inputs:
                gi = grads[i]
                if gi is None:
                    continue
                gi = a._coerce(gi, f"{cls.__name__}.backward")
                if gi.shape != a.shape:
                    raise RuntimeError(
                        f"Function {cls.__name__}Backward returned an invalid gradient at index {i} "
                        f"- got {gi.shape} but expected shape compatible with {a.shape}"
                    )
                a._accumulate(gi._data, False)

        def _backward_without_graph(g):
            with no_grad():
                _backward(g)

        out._backward = _backward_without_graph
        return out


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    r"""The gradients :math:`\partial L/\partial x` of ``outputs`` with respect
    to each of ``inputs``, returned as a tuple of Tensors (as
    ``torch.autograd.grad``); the inputs' ``.grad`` are left alone.

    ``outputs`` is a tensor or a sequence of tensors (each scalar, or with its
    ``grad_outputs`` entry given); the graph is freed afterwards unless
    ``retain_graph=True``. An input the outputs do not depend on raises,
    unless ``allow_unused=True`` (then its gradient is ``None``).
    """
    if create_graph:
        raise NotImplementedError("grad(create_graph=True): nnlearn has no higher-order gradients")
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    roots = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        roots.append((out, out._seed(g, "grad")))
    capture = {id(x): None for x in inputs}
    _run_backward(roots, bool(retain_graph), capture)
    result = []
    for x in inputs:
        g = capture[id(x)]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
            continue
        if g.dtype != x._data.dtype:
            g = x.xp.astype(g, x._data.dtype)
        result.append(_result(g, x.backend, x.xp, "", (), False))
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph=None) -> None:
    """``torch.autograd.backward``: backpropagate from several tensors at once
    (each with its gradient), accumulating into the leaves' ``.grad``."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors) if grad_tensors is None else [grad_tensors]
    _run_backward([(t, t._seed(g, "backward")) for t, g in zip(tensors, grad_tensors)],
                  bool(retain_graph), None)

