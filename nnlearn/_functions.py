"""The Tensor methods in PyTorch's function form: ``nnlearn.exp(x)`` is ``x.exp()``.

PyTorch code calls ``torch.exp(x)``, ``torch.matmul(a, b)``, ``torch.sum(x,
dim=0)``; each function here converts a non-Tensor ``input`` and calls the
method of the same name, whose docstring carries the math. (The operations on
several tensors, ``cat``, ``stack``, ``where``, ``maximum``, ``minimum``, live
in :mod:`nnlearn._tensor` beside ``Tensor``.)
"""

from ._tensor import Tensor

def _function_form(name: str):
    method = getattr(Tensor, name)

    def f(input, *args, **kwargs):
        return method(input if isinstance(input, Tensor) else Tensor(input), *args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``nnlearn.{name}(input, ...)`` is ``input.{name}(...)``: see :meth:`Tensor.{name}`."
    return f


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
