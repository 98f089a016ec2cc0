"""The Tensor methods in PyTorch's function form: ``nnlearn.exp(x)`` is ``x.exp()``.

PyTorch code calls ``torch.exp(x)``, ``torch.matmul(a, b)``, ``torch.sum(x,
dim=0)``; each function here converts a non-Tensor ``input`` and calls the
method of the same name, whose docstring carries the math. (The operations on
several tensors, ``cat``, ``stack``, ``where``, ``maximum``, ``minimum``, live
in :mod:`nnlearn._tensor` beside ``Tensor``.)
"""

from ._tensor import Tensor, _category, _icopy, is_grad_enabled


def _function_form(name: str):
    method = getattr(Tensor, name)

    def f(input, *args, out=None, **kwargs):
        result = method(input if isinstance(input, Tensor) else Tensor(input), *args, **kwargs)
        return result if out is None else _write_out(result, out, name)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"``nnlearn.{name}(input, ..., out=None)`` is ``input.{name}(...)``: see "
                 f":meth:`Tensor.{name}`. ``out=t`` writes the result into the tensor ``t``.")
    return f


_EXACT_OUT = {"matmul", "mm", "mv", "dot"}   # their out= must have the result's dtype


def _write_out(result, out, name: str) -> Tensor:
    """``torch.f(..., out=t)``: the result written into ``t`` in place, with
    PyTorch's rules: ``t`` has the result's shape (nnlearn does not resize a
    non-empty ``t``; PyTorch does, with a warning), its dtype is one the result
    can be cast to without changing kind (a float result cannot go into an int
    tensor), and no argument may require grad (``out=`` is not recorded)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be a Tensor, not {type(out).__name__}")
    if not isinstance(result, Tensor):
        raise TypeError(f"{name}(): out= is not supported for a result of type {type(result).__name__}")
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad (as in PyTorch)."
        )
    if out.shape != result.shape:
        if out.numel() != 0:
            raise RuntimeError(
                f"{name}(): out= has shape {out.shape} but the result has shape {result.shape}; "
                "nnlearn does not resize a non-empty out tensor (PyTorch resizes it with a warning)"
            )
        out._data = out.xp.empty(result.shape, dtype=out._data.dtype, device=out.backend.device) \
            if out.backend.device is not None else out.xp.empty(result.shape, dtype=out._data.dtype)
    if name in _EXACT_OUT and out._data.dtype != result._data.dtype:
        raise RuntimeError(
            f"{name}(): expected out tensor to have dtype {result.dtype}, but got {out.dtype} "
            "instead (matrix products do not cast, as in PyTorch)"
        )
    if _category(result._data.dtype) > _category(out._data.dtype):
        raise RuntimeError(
            f"{name}(): result type {result.dtype} can't be cast to the desired output type {out.dtype}"
        )
    return out._inplace(_icopy, result, f"{name}(out=)")


FUNCTION_FORMS = (
    "exp", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square", "sin", "cos", "tanh",
    "sigmoid", "relu", "abs", "sign", "erf", "neg", "reciprocal", "clamp", "clip", "pow",
    "matmul", "mm", "mv", "dot", "t", "sum", "mean", "var", "std", "max", "min", "amax", "amin",
    "argmax", "argmin", "logsumexp", "norm", "all", "any", "reshape", "flatten", "squeeze",
    "unsqueeze", "transpose", "permute", "numel", "clone", "allclose", "equal", "add", "sub",
    "mul", "div",
)
for _name in FUNCTION_FORMS:
    globals()[_name] = _function_form(_name)
del _name

__all__ = list(FUNCTION_FORMS)
