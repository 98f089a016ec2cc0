r"""Forward mode in code: dual numbers.

A *dual number* :math:`x + \dot x\,\varepsilon` carries a value and a tangent,
with the rule :math:`\varepsilon^2 = 0`. Then, for any differentiable
:math:`\phi`,

.. math::

    \phi(a + \dot a\,\varepsilon) = \phi(a) + \phi'(a)\,\dot a\,\varepsilon ,

so evaluating a function on dual numbers computes its value and, alongside,
the tangent :math:`\dot v_i = \sum_p (\partial v_i/\partial v_p)\,\dot v_p` of
every intermediate variable: the forward tangent trace of chapter 3, with no
trace stored. Seeding the inputs with a direction :math:`\dot x` gives the
Jacobian-vector product (JVP) :math:`\dot y = J\dot x` in one evaluation.

:class:`Dual` has the methods of :class:`~nnlearn.autodiff.Value`, so a function
written for ``Value`` runs on ``Dual`` unchanged. Each operation computes its
primal result with ``Value`` and takes its local partial derivatives from the
one table :data:`nnlearn.autodiff.value.RULES`: no derivative is written twice.

>>> x1, x2 = Dual(2.0, 1.0), Dual(5.0, 0.0)       # seed: d/dx1
>>> y = x1.log() + x1 * x2 - x2.sin()
>>> round(y.value, 3), round(y.tangent, 3)
(11.652, 5.5)
"""

from __future__ import annotations

import numbers
import operator
from typing import Callable, Sequence

from .value import Value

__all__ = ["Dual", "jvp_dual"]

# How each primitive of RULES is applied to Values (for its primal result).
_APPLY = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow, "neg": operator.neg,
    "exp": Value.exp, "log": Value.log, "sin": Value.sin, "cos": Value.cos,
    "tanh": Value.tanh, "sigmoid": Value.sigmoid, "relu": Value.relu,
}


class Dual:
    r"""A number with a tangent: :math:`v + \dot v\,\varepsilon`, :math:`\varepsilon^2 = 0`.

    Parameters
    ----------
    value : float
        The primal value :math:`v`.
    tangent : float
        :math:`\dot v = \partial v/\partial(\text{seed direction})`; 0 for a
        constant.
    """

    __slots__ = ("value", "tangent")

    def __init__(self, value, tangent=0.0):
        for what, x in (("value", value), ("tangent", tangent)):
            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                raise TypeError(f"Dual needs a real number as its {what}, got {x!r}")
        self.value, self.tangent = float(value), float(tangent)

    def _op(self, op, *others, k=None):
        operands = (self, *(o if isinstance(o, Dual) else Dual(o) for o in others))
        v = _APPLY[op](*(Value(a.value) for a in operands), *(() if k is None else (k,)))
        # v̇ = Σ_p ∂v/∂p · ṗ, with ∂v/∂p read from RULES
        tangent = sum(d * a.tangent for d, a in zip(v.local_partials(), operands))
        return Dual(v.data, tangent)

    def __add__(self, other): return self._op("+", other)
    def __radd__(self, other): return Dual(other)._op("+", self)
    def __sub__(self, other): return self._op("-", other)
    def __rsub__(self, other): return Dual(other)._op("-", self)
    def __mul__(self, other): return self._op("*", other)
    def __rmul__(self, other): return Dual(other)._op("*", self)
    def __truediv__(self, other): return self._op("/", other)
    def __rtruediv__(self, other): return Dual(other)._op("/", self)
    def __neg__(self): return self._op("neg")

    def __pow__(self, k):
        if isinstance(k, Dual):
            raise TypeError("a Dual can only be raised to a constant power (x**2, x**-1); "
                            "for a variable exponent write (b * x.log()).exp().")
        return self._op("**", k=k)

    def exp(self): return self._op("exp")
    def log(self): return self._op("log")
    def sin(self): return self._op("sin")
    def cos(self): return self._op("cos")
    def tanh(self): return self._op("tanh")
    def sigmoid(self): return self._op("sigmoid")
    def relu(self): return self._op("relu")

    def __repr__(self):
        return f"Dual(value={self.value:.6g}, tangent={self.tangent:.6g})"


def jvp_dual(f: Callable, primals: Sequence[float], tangents: Sequence[float]):
    r"""One forward-mode evaluation of ``f`` on dual numbers: :math:`(f(x),\ J\dot x)`.

    Parameters
    ----------
    f : callable
        A function of :math:`n` numbers written with ``Value``-style operations,
        returning one number or a list/tuple of :math:`m`.
    primals : sequence of float
        The point :math:`x`.
    tangents : sequence of float
        The direction :math:`\dot x`; :math:`e_j` gives column :math:`j` of the
        Jacobian.

    Returns
    -------
    (outputs, output_tangents)
        Floats (or lists of :math:`m` floats, if ``f`` returns a list), as
        ``torch.func.jvp(f, primals, tangents)`` returns its pair.

    >>> jvp_dual(lambda x1, x2: x1 * x2, [2.0, 5.0], [1.0, -1.0])
    (10.0, 3.0)
    """
    primals, tangents = list(primals), list(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp_dual: {len(primals)} primals but {len(tangents)} tangents; give one "
                         "tangent per input.")
    out = f(*(Dual(x, t) for x, t in zip(primals, tangents)))
    if isinstance(out, (list, tuple)):
        outs = [o if isinstance(o, Dual) else Dual(o) for o in out]
        return [o.value for o in outs], [o.tangent for o in outs]
    out = out if isinstance(out, Dual) else Dual(out)
    return out.value, out.tangent
