"""``Value``: a scalar that remembers how it was computed.

This is Andrej Karpathy's micrograd ``Value`` with three changes a course needs:

1. **Each primitive's local derivatives are written once**, in the table
   :data:`RULES`. The backward pass, the reverse adjoint table, the forward
   tangent table and the graph drawing all read that one table, so a derivative
   cannot be right in one place and wrong in another.
2. **The topological sort is iterative**, so a chain of 100,000 operations
   back-propagates without ``RecursionError``.
3. **A second** ``backward()`` **behaves as in PyTorch**: the first call frees the
   graph, and calling it again raises an error unless the first call was
   ``backward(retain_graph=True)``; gradients of *inputs* (leaves) accumulate
   across calls, as in PyTorch, while the adjoints of intermediate nodes are
   recomputed by each call (PyTorch does not keep them at all; we keep them,
   as micrograd does, because the book prints them).

Subtraction and division are primitives here (micrograd builds them from
``+``, ``*`` and ``**``) so that a trace has one row per operation, exactly as in
the slides' tables.

The local derivatives, for an operation :math:`v = \\phi(a, b)`:

.. list-table::
   :header-rows: 1

   * - op
     - value :math:`v`
     - :math:`\\partial v/\\partial a`
     - :math:`\\partial v/\\partial b`
   * - ``+``
     - :math:`a + b`
     - :math:`1`
     - :math:`1`
   * - ``-``
     - :math:`a - b`
     - :math:`1`
     - :math:`-1`
   * - ``*``
     - :math:`a b`
     - :math:`b`
     - :math:`a`
   * - ``/``
     - :math:`a / b`
     - :math:`1/b`
     - :math:`-a/b^2`
   * - ``**k``
     - :math:`a^k`
     - :math:`k a^{k-1}`
     -
   * - neg
     - :math:`-a`
     - :math:`-1`
     -
   * - exp
     - :math:`e^a`
     - :math:`e^a = v`
     -
   * - log
     - :math:`\\ln a`
     - :math:`1/a`
     -
   * - sin
     - :math:`\\sin a`
     - :math:`\\cos a`
     -
   * - cos
     - :math:`\\cos a`
     - :math:`-\\sin a`
     -
   * - tanh
     - :math:`\\tanh a`
     - :math:`1 - v^2`
     -
   * - sigmoid
     - :math:`\\sigma(a)`
     - :math:`v(1 - v)`
     -
   * - relu
     - :math:`\\max(a, 0)`
     - :math:`1` if :math:`a > 0` else :math:`0`
     -
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass
from typing import Callable

__all__ = ["Value", "RULES", "Rule"]

_counter = itertools.count()


@dataclass(frozen=True)
class Rule:
    """How one primitive is written and differentiated.

    ``text``/``latex`` are templates for the expression (``{0}``, ``{1}`` are
    the operands, ``{k}`` a constant exponent); ``partials(out, *operands, k)``
    returns :math:`\\partial v/\\partial` operand for each operand, and
    ``partial_text``/``partial_latex`` are templates for those derivatives
    (``{out}`` is the node itself).
    """

    text: str
    latex: str
    partials: Callable[..., tuple]
    partial_text: tuple
    partial_latex: tuple


def _relu_grad(a: float) -> float:
    return 1.0 if a > 0 else 0.0  # 0 at a = 0, as PyTorch


def _pow_grad(a: float, k: float) -> float:
    r""":math:`k a^{k-1}`, the derivative of :math:`a^k`.

    For :math:`k = 0` it is 0 everywhere, :math:`a = 0` included (``x**0`` is
    the constant 1; PyTorch gives 0 too). For :math:`0 < k < 1` it is infinite
    at :math:`a = 0` (the tangent of :math:`\sqrt a` at 0 is vertical): that
    raises ``ZeroDivisionError`` rather than returning ``inf``.
    """
    if k == 0:
        return 0.0
    if a == 0 and k < 1:
        raise ZeroDivisionError(
            f"the derivative of x^{_fmt_const(k)} at x = 0 is infinite: {_fmt_const(k)}·0^"
            f"({_fmt_const(k - 1)}) divides by zero (the graph of x^{_fmt_const(k)} has a "
            "vertical tangent at 0)"
        )
    return k * a ** (k - 1)


#: The local derivatives of every primitive, keyed by op name: the one place
#: where a derivative of :class:`Value` is written.
RULES: dict[str, Rule] = {
    "+": Rule("{0} + {1}", "{0} + {1}", lambda o, a, b, k: (1.0, 1.0), ("1", "1"), ("1", "1")),
    "-": Rule("{0} − {1}", "{0} - {1}", lambda o, a, b, k: (1.0, -1.0), ("1", "−1"), ("1", "-1")),
    "*": Rule("{0} × {1}", "{0} \\times {1}", lambda o, a, b, k: (b, a), ("{1}", "{0}"), ("{1}", "{0}")),
    "/": Rule("{0} / {1}", "{0} / {1}", lambda o, a, b, k: (1.0 / b, -(a / b) / b),
              ("1/{1}", "−{0}/{1}²"), ("1/{1}", "-{0}/{1}^2")),
    "**": Rule("{0}^{k}", "{0}^{{{k}}}", lambda o, a, k: (_pow_grad(a, k),),
               ("{k}·{0}^({km1})",), ("{k}\\,{0}^{{{km1}}}",)),
    "neg": Rule("−{0}", "-{0}", lambda o, a, k: (-1.0,), ("−1",), ("-1",)),
    "exp": Rule("exp {0}", "e^{{{0}}}", lambda o, a, k: (o,), ("exp {0}",), ("e^{{{0}}}",)),
    "log": Rule("ln {0}", "\\ln {0}", lambda o, a, k: (1.0 / a,), ("1/{0}",), ("1/{0}",)),
    "sin": Rule("sin {0}", "\\sin {0}", lambda o, a, k: (math.cos(a),), ("cos {0}",), ("\\cos {0}",)),
    "cos": Rule("cos {0}", "\\cos {0}", lambda o, a, k: (-math.sin(a),), ("−sin {0}",), ("-\\sin {0}",)),
    "tanh": Rule("tanh {0}", "\\tanh {0}", lambda o, a, k: (1.0 - o * o,), ("1 − {out}²",), ("1 - {out}^2",)),
    "sigmoid": Rule("σ({0})", "\\sigma({0})", lambda o, a, k: (o * (1.0 - o),),
                    ("{out}(1 − {out})",), ("{out}(1 - {out})",)),
    "relu": Rule("relu({0})", "\\mathrm{{relu}}({0})", lambda o, a, k: (_relu_grad(a),),
                 ("[{0} > 0]",), ("[{0} > 0]",)),
}


def _check_number(x, what: str = "Value") -> float:
    if getattr(x, "shape", None) == () and getattr(getattr(x, "dtype", None), "kind", "") in "iuf":
        x = x.item()  # a 0-d NumPy array (or torch scalar) holding one real number
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        text = repr(x) if len(repr(x)) <= 60 else repr(x)[:57] + "..."
        raise TypeError(
            f"{what} needs a real number, got {text} ({type(x).__name__}). "
            "Pass an int or a float, e.g. Value(2.0)."
        )
    try:
        return float(x)
    except OverflowError:
        digits = len(str(abs(int(x)))) if isinstance(x, numbers.Integral) else None
        size = f"an integer with {digits} digits" if digits else "a number"
        raise OverflowError(
            f"{what} needs a number a float can hold (at most about 1.8e308 in size), got "
            f"{size}."
        ) from None


class Value:
    """A scalar in a computational graph.

    Parameters
    ----------
    data : float
        The number.
    label : str, optional
        A name used in error messages, tables and drawings.

    Attributes
    ----------
    data : float
        The value computed in the forward pass.
    grad : float
        :math:`\\partial y/\\partial v` for the output :math:`y` on which
        ``backward()`` was last called (for an input: summed over calls).

    Examples
    --------
    >>> x = Value(3.0, label="x")
    >>> y = 2 * (3 * x)          # y = 2a, a = 3x
    >>> y.backward()
    >>> x.grad
    6.0
    """

    __slots__ = ("data", "grad", "label", "_op", "_prev", "_k", "_id", "_const", "_freed")

    def __init__(self, data, label: str = "", _children: tuple = (), _op: str = "", _k=None, _const=False):
        self.data = _check_number(data)
        self.grad = 0.0
        self.label = label
        self._op = _op
        self._prev = tuple(_children)
        self._k = _k
        self._id = next(_counter)
        self._const = _const
        self._freed = False

    # -- building the graph -------------------------------------------------
    @staticmethod
    def _lift(other) -> "Value":
        if isinstance(other, Value):
            return other
        return Value(_check_number(other, "an arithmetic operand of a Value"), label=_fmt_const(other), _const=True)

    def _unary(self, op: str, data: float, k=None) -> "Value":
        return Value(data, _children=(self,), _op=op, _k=k)

    def __add__(self, other):
        other = self._lift(other)
        return Value(self.data + other.data, _children=(self, other), _op="+")

    def __sub__(self, other):
        other = self._lift(other)
        return Value(self.data - other.data, _children=(self, other), _op="-")

    def __mul__(self, other):
        other = self._lift(other)
        return Value(self.data * other.data, _children=(self, other), _op="*")

    def __truediv__(self, other):
        other = self._lift(other)
        if other.data == 0:
            den = _describe(other)
            den = "" if den == f"{other.data:g}" else f" {den}"
            raise ZeroDivisionError(
                f"division by zero: the denominator{den} is 0 (numerator {_named(self)})."
            )
        return Value(self.data / other.data, _children=(self, other), _op="/")

    def __pow__(self, k):
        if isinstance(k, Value):
            raise TypeError(
                "a Value can only be raised to a constant power (x**2, x**-1, x**0.5); "
                "for a variable exponent write (b * x.log()).exp()."
            )
        k = _check_number(k, "the exponent of **")
        if self.data == 0 and k < 0:
            raise ZeroDivisionError(f"division by zero: {_named(self)} to the power {k:g} is "
                                    f"1/0^{-k:g}.")
        if self.data < 0 and not float(k).is_integer():
            raise ValueError(
                f"{_named(self)} is negative and cannot be raised to the "
                f"non-integer power {k:g} (the result would be complex)."
            )
        try:
            data = self.data ** k
        except OverflowError:
            raise OverflowError(
                f"{_named(self)} raised to the power {_fmt_const(k)} overflows: the result is "
                "too large for a float (at most about 1.8e308)."
            ) from None
        return self._unary("**", data, k=k)

    def __neg__(self):
        return self._unary("neg", -self.data)

    def __radd__(self, other):
        return self._lift(other) + self

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rmul__(self, other):
        return self._lift(other) * self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __rpow__(self, other):
        raise TypeError(
            f"{other!r} ** Value is not supported: write (x * math.log({other!r})).exp() for a constant base."
        )

    def exp(self):
        """:math:`e^x`."""
        try:
            return self._unary("exp", math.exp(self.data))
        except OverflowError:
            raise OverflowError(f"exp overflows: {_describe(self)} = {self.data:g} is too large.") from None

    def log(self):
        """:math:`\\ln x` (natural logarithm); ``x`` must be positive."""
        if self.data <= 0:
            raise ValueError(
                f"log of a non-positive number: {_describe(self)} = {self.data:g}. "
                "The natural logarithm is only defined for positive inputs."
            )
        return self._unary("log", math.log(self.data))

    def sin(self):
        """:math:`\\sin x`."""
        self._finite_for("sin")
        return self._unary("sin", math.sin(self.data))

    def cos(self):
        """:math:`\\cos x`."""
        self._finite_for("cos")
        return self._unary("cos", math.cos(self.data))

    def _finite_for(self, name: str) -> None:
        if math.isinf(self.data):
            raise ValueError(f"{name} of an infinite number is not defined: {_named(self)} "
                             "(an overflow earlier in the computation?).")

    def tanh(self):
        """:math:`\\tanh x`."""
        return self._unary("tanh", math.tanh(self.data))

    def sigmoid(self):
        """:math:`\\sigma(x) = 1/(1 + e^{-x})`, computed without overflow."""
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return self._unary("sigmoid", s)

    def relu(self):
        """:math:`\\max(x, 0)`; its derivative at 0 is taken to be 0, as in PyTorch."""
        return self._unary("relu", self.data if self.data > 0 else 0.0)

    # -- differentiating ---------------------------------------------------
    def local_partials(self) -> tuple:
        """:math:`\\partial v/\\partial p` for each parent :math:`p`, from :data:`RULES`."""
        if not self._prev:
            return ()
        args = [p.data for p in self._prev]
        try:
            return RULES[self._op].partials(self.data, *args, self._k)
        except ZeroDivisionError as e:
            raise ZeroDivisionError(f"cannot differentiate {_describe(self)}: {e}. Evaluate it "
                                    "at another point.") from None
        except OverflowError:
            raise OverflowError(f"the local derivative of {_describe(self)} overflows (it is too "
                                "large for a float) at this point.") from None

    def topological_order(self) -> list["Value"]:
        """Every node this one depends on, in evaluation order (itself last).

        Found without recursion. Nodes are numbered as they are created and an
        operand always exists before its result, so creation order *is* a
        topological order.
        """
        seen, stack = {id(self): self}, [self]
        while stack:
            for p in stack.pop()._prev:
                if id(p) not in seen:
                    seen[id(p)] = p
                    stack.append(p)
        return sorted(seen.values(), key=lambda v: v._id)

    def backward(self, retain_graph: bool = False) -> None:
        """Reverse-mode accumulation: fill ``.grad`` of every node with
        :math:`\\partial\\,\\mathrm{self}/\\partial v`.

        Each node, visited from the output back to the inputs, adds
        ``local partial × its own grad`` into each parent's ``grad`` — the sum
        rule over all paths, applied one edge at a time.

        Parameters
        ----------
        retain_graph : bool
            As in PyTorch: by default the graph is freed and a second
            ``backward()`` through it raises ``RuntimeError``. With
            ``retain_graph=True`` it may be called again, and the gradients of
            the inputs add up.
        """
        topo = self.topological_order()
        for v in topo:
            if v._freed:
                raise RuntimeError(
                    "Trying to backward through the graph a second time: the first backward() "
                    "freed it, as PyTorch does. Recompute the expression from its inputs, or call "
                    "backward(retain_graph=True) the first time if you really want the input "
                    "gradients to add up (set x.grad = 0 to start from zero)."
                )
        for v in topo:
            if v._prev:
                v.grad = 0.0
        if self._prev:
            self.grad = 1.0
        else:
            self.grad += 1.0
        for v in reversed(topo):
            if v._prev:
                for parent, d in zip(v._prev, v.local_partials()):
                    parent.grad += d * v.grad
        if not retain_graph:
            for v in topo:
                if v._prev:
                    v._freed = True

    # -- guarding against common mistakes -----------------------------------
    def __float__(self):
        raise TypeError(
            f"a Value ({_describe(self)}) was converted to a plain float, so its gradient would be lost. "
            "This happens when a function from the math module (math.sin, math.exp, math.log, ...) "
            "is applied to a Value: use the Value's own methods instead — x.sin(), x.exp(), x.log(), "
            "x.tanh(), x.sigmoid(), x.relu() — or x.data if you want the number itself."
        )

    def __repr__(self) -> str:
        lab = f", label={self.label!r}" if self.label and not self._const else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{lab})"

    __hash__ = object.__hash__


def _fmt_const(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:.6g}"


def _describe(v: Value, depth: int = 3) -> str:
    """A short name for a node in error messages: its label, else its expression."""
    if v.label:
        return v.label if v._const else repr(v.label)
    if not v._prev or depth == 0:
        return "an intermediate value" if v._prev else f"{v.data:g}"
    parts = [_describe_inner(p, depth - 1) for p in v._prev]
    rule = RULES[v._op]
    k = "" if v._k is None else _fmt_const(v._k)
    return "'" + rule.text.format(*parts, k=k) + "'"


def _named(v: Value) -> str:
    """``'label' = 3.5``, or just ``3.5`` for an unlabelled leaf."""
    name, value = _describe(v), f"{v.data:g}"
    return value if name == value else f"{name} = {value}"


def _describe_inner(v: Value, depth: int) -> str:
    if v.label:
        return v.label
    if not v._prev or depth == 0:
        return "…" if v._prev else f"{v.data:g}"
    inner = [_describe_inner(p, depth - 1) for p in v._prev]
    k = "" if v._k is None else _fmt_const(v._k)
    return "(" + RULES[v._op].text.format(*inner, k=k) + ")"
