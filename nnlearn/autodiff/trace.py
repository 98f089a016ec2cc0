"""Evaluation traces: the tables of automatic differentiation.

``trace(f, x1=2, x2=5)`` runs ``f`` on :class:`~nnlearn.autodiff.Value` inputs
named ``x1`` and ``x2``, then lays out what happened as the slides do
(Griewank & Walther's notation, slide text 003):

- the **forward primal trace**: inputs :math:`v_{1-n}, \\dots, v_0`, then one
  intermediate variable :math:`v_1, v_2, \\dots` per operation, in evaluation
  order, each with its definition and value;
- the **reverse adjoint trace**: :math:`\\bar v_i = \\partial y/\\partial v_i`
  accumulated from the output back to the inputs, one row per edge of the graph,
  :math:`\\bar v_p \\mathrel{+}= \\bar v_i\\,\\partial v_i/\\partial v_p`;
- the **forward tangent trace** for one input :math:`x_j`:
  :math:`\\dot v_i = \\partial v_i/\\partial x_j = \\sum_p (\\partial v_i/\\partial v_p)\\,\\dot v_p`.

Every number in these tables comes from the same local derivatives that
``Value.backward`` uses (:data:`nnlearn.autodiff.value.RULES`).
"""

from __future__ import annotations

import inspect
import math
from typing import Callable

from .._display import Math, Table
from .value import RULES, Value, _fmt_const

__all__ = ["Trace", "trace", "path_products", "finite_difference"]

_SUB = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


def _sub(i: int) -> str:
    return str(i).translate(_SUB)


class Trace:
    """The record of one evaluation of a function on named inputs.

    Build it with :func:`trace`. Attributes: ``output`` (float), ``gradients``
    (input name → :math:`\\partial y/\\partial x`), ``inputs`` (name →
    ``Value``), ``variables`` (the ``Value`` of every row of the forward trace,
    inputs first), ``output_value`` (the output ``Value``).
    """

    def __init__(self, output: Value, inputs: dict[str, Value], numbering: str = "griewank"):
        if numbering not in ("griewank", "from_one"):
            raise ValueError("numbering must be 'griewank' (inputs v₋ₙ₊₁ … v₀, slide text 003) "
                             "or 'from_one' (inputs v₁ … vₙ, slide text 002)")
        self.output_value = output
        self.inputs = dict(inputs)
        first = 1 - len(inputs) if numbering == "griewank" else 1
        order = output.topological_order()
        input_ids = {id(v) for v in inputs.values()}
        intermediates = [v for v in order if v._prev]
        self.variables = list(inputs.values()) + intermediates
        self._index = {id(v): first + i for i, v in enumerate(self.variables)}
        self._input_name = {id(v): name for name, v in inputs.items()}
        # leaves that are neither inputs nor lifted constants (a Value made inside f) are constants too
        self._constants = {id(v) for v in order if not v._prev and id(v) not in input_ids}
        output.backward(retain_graph=True)
        self.output = output.data
        self.gradients = {name: v.grad for name, v in inputs.items()}
        self.adjoints = {id(v): v.grad for v in self.variables}

    # -- naming --------------------------------------------------------------
    def _name(self, v: Value, accent: str = "") -> Math:
        if id(v) in self._constants:
            c_tex = _fmt_const(v.data)
            c = c_tex.replace("-", "−")
            return Math(f"({c})" if v.data < 0 else c, f"({c_tex})" if v.data < 0 else c_tex)
        i = self._index[id(v)]
        mark = {"": "", "bar": "\u0304", "dot": "\u0307"}[accent]
        tex = {"": "v", "bar": "\\bar v", "dot": "\\dot v"}[accent]
        return Math(f"v{mark}{_sub(i)}", f"{tex}_{{{i}}}")

    def _expr(self, v: Value) -> Math:
        rule = RULES[v._op]
        names = [self._name(p) for p in v._prev]
        k = "" if v._k is None else _fmt_const(v._k)
        text = rule.text.format(*names, k=k)
        if v._op == "**":
            text = f"{names[0]}{_superscript(k)}"
        return Math(text, rule.latex.format(*[n.latex for n in names], k=k))

    def _with_numbers(self, v: Value) -> str:
        rule = RULES[v._op]
        nums = []
        for j, p in enumerate(v._prev):
            s = _fmt_num(p.data)
            first_of_binary = j == 0 and len(v._prev) == 2
            nums.append(f"({s})" if p.data < 0 and not first_of_binary else s)
        k = "" if v._k is None else _fmt_const(v._k)
        if v._op == "**":
            return f"{nums[0]}{_superscript(k)}"
        return rule.text.format(*nums, k=k)

    def _partial(self, v: Value, j: int) -> Math:
        """The formula of ∂v/∂(j-th operand) in terms of the trace's variables."""
        rule = RULES[v._op]
        names = [self._name(p) for p in v._prev]
        out = self._name(v)
        k = "" if v._k is None else _fmt_const(v._k)
        km1 = "" if v._k is None else _fmt_const(v._k - 1)
        text = rule.partial_text[j].format(*names, out=out, k=k, km1=km1).replace("^(1)", "")
        tex = rule.partial_latex[j].format(*[n.latex for n in names], out=out.latex, k=k, km1=km1)
        return Math(text, tex.replace("^{1}", ""))

    # -- the tables ------------------------------------------------------------
    def forward_table(self, partials: bool = False) -> Table:
        """The forward primal trace: one row per variable, inputs first.

        Columns: ``variable``, ``definition`` (in terms of earlier variables),
        ``with numbers`` (the definition with values substituted) and
        ``value``; with ``partials=True`` also the local partial derivatives of
        each operation (the layout of slide text 002).
        """
        cols = ["variable", "definition", "with numbers", "value"] + (["local partials"] if partials else [])
        rows = []
        for v in self.variables:
            if not v._prev:
                name = self._input_name[id(v)]
                row = [self._name(v), Math(_text_name(name), _tex_name(name)), _fmt_num(v.data), v.data]
            else:
                row = [self._name(v), self._expr(v), self._with_numbers(v), v.data]
            if partials:
                row.append(self._partials_cell(v))
            rows.append(row)
        out = self._output_row()
        rows.append([Math("y", "y"), out, "", self.output] + ([""] if partials else []))
        return Table(cols, rows, title="Forward primal trace",
                     separators=[len(self.inputs), len(rows) - 1])

    def _output_row(self) -> Math:
        o = self.output_value
        return self._name(o) if id(o) in self._index else Math(_fmt_num(o.data), _fmt_num(o.data))

    def _partials_cell(self, v: Value) -> Math:
        if not v._prev:
            return Math("", "")
        parts_t, parts_x = [], []
        for j, (p, d) in enumerate(zip(v._prev, v.local_partials())):
            if id(p) in self._constants:
                continue
            f = self._partial(v, j)
            parts_t.append(f"∂{self._name(v)}/∂{self._name(p)} = {f}")
            parts_x.append(f"\\partial {self._name(v).latex}/\\partial {self._name(p).latex} = {f.latex}")
        return Math(",  ".join(parts_t), ",\\quad ".join(parts_x))

    def reverse_table(self) -> Table:
        """The reverse adjoint trace, in the order the adjoints are computed.

        Starts from :math:`\\bar v_{\\text{out}} = \\bar y = 1`; then, for each
        operation from the last to the first, one row per operand ``p``:
        :math:`\\bar v_p \\leftarrow \\bar v_p + \\bar v_i\\,\\partial v_i/\\partial v_p`
        (the first contribution to an adjoint has no ``v̄_p +``). The last rows
        read off :math:`\\bar x_j`. Columns: ``adjoint``, ``update``,
        ``local partial`` (formula), ``∂ value``, ``value`` (the adjoint after
        the update).
        """
        cols = ["adjoint", "update", "local partial", "∂ value", "value"]
        o = self.output_value
        rows = []
        if id(o) not in self._index:
            return Table(cols, rows, title="Reverse adjoint trace")
        acc: dict[int, float] = {id(o): 1.0}
        rows.append([self._name(o, "bar"), Math("ȳ", "\\bar y"), "", "", 1.0])
        for v in reversed(self.variables):
            if not v._prev:
                continue
            vbar = acc.get(id(v), 0.0)
            for j, (p, d) in enumerate(zip(v._prev, v.local_partials())):
                if id(p) in self._constants:
                    continue
                pb, vb = self._name(p, "bar"), self._name(v, "bar")
                f = self._partial(v, j)
                first = id(p) not in acc
                acc[id(p)] = acc.get(id(p), 0.0) + vbar * d
                update_t = f"{vb} × {_paren(f)}" if first else f"{pb} + {vb} × {_paren(f)}"
                update_x = (f"{vb.latex} \\times {_paren_tex(f)}" if first
                            else f"{pb.latex} + {vb.latex} \\times {_paren_tex(f)}")
                rows.append([pb, Math(update_t, update_x), f, d, acc[id(p)]])
        n_before = len(rows)
        for name, x in self.inputs.items():
            rows.append([Math(_text_name(name, "\u0304"), f"\\bar{{{_tex_name(name)}}}"), self._name(x, "bar"), "", "",
                         acc.get(id(x), 0.0)])
        return Table(cols, rows, title="Reverse adjoint trace", separators=[1, n_before])

    def tangent_table(self, wrt: str) -> Table:
        """The forward-mode tangent trace with respect to the input ``wrt``.

        :math:`\\dot v_i = \\partial v_i/\\partial x_{\\text{wrt}}`, seeded with
        1 for that input and 0 for the others, then
        :math:`\\dot v_i = \\sum_p (\\partial v_i/\\partial v_p)\\,\\dot v_p`
        alongside the primal values. Its last row is one *column* of the
        Jacobian; the reverse trace gives one *row*.
        """
        if wrt not in self.inputs:
            raise KeyError(f"tangent_table(wrt={wrt!r}): no input of that name; the inputs are "
                           + ", ".join(repr(n) for n in self.inputs))
        cols = ["tangent", "update", "value"]
        dot: dict[int, float] = {}
        rows = []
        for name, x in self.inputs.items():
            dot[id(x)] = 1.0 if name == wrt else 0.0
            rows.append([self._name(x, "dot"), Math(f"∂{_text_name(name)}/∂{_text_name(wrt)}",
                                                    f"\\partial {_tex_name(name)}/\\partial {_tex_name(wrt)}"),
                         dot[id(x)]])
        for v in self.variables[len(self.inputs):]:
            terms_t, terms_x, total = [], [], 0.0
            for j, (p, d) in enumerate(zip(v._prev, v.local_partials())):
                if id(p) in self._constants:
                    continue
                f = self._partial(v, j)
                pd = self._name(p, "dot")
                terms_t.append(f"{_paren(f)} × {pd}" if str(f) not in ("1", "−1") else
                               (str(pd) if str(f) == "1" else f"−{pd}"))
                terms_x.append(f"{_paren_tex(f)} \\, {pd.latex}" if str(f) not in ("1", "−1") else
                               (pd.latex if str(f) == "1" else f"-{pd.latex}"))
                total += d * dot[id(p)]
            dot[id(v)] = total
            rows.append([self._name(v, "dot"), Math(" + ".join(terms_t).replace("+ −", "− "),
                                                    " + ".join(terms_x).replace("+ -", "- ")), total])
        o = self.output_value
        rows.append([Math("ẏ", "\\dot y"), self._name(o, "dot") if id(o) in self._index else "", dot.get(id(o), 0.0)])
        return Table(cols, rows, title=f"Forward tangent trace (with respect to {wrt})",
                     separators=[len(self.inputs), len(rows) - 1])

    def check_gradients(self, h: float = 1e-6) -> Table:
        """Compare each gradient with a central finite difference.

        .. math:: \\frac{\\partial y}{\\partial x_j} \\approx
                  \\frac{f(\\dots, x_j + h, \\dots) - f(\\dots, x_j - h, \\dots)}{2h}

        The error of the central difference is :math:`O(h^2)`; with
        :math:`h = 10^{-6}` in double precision, agreement to about
        :math:`10^{-9}` relative error is expected. Columns: ``input``,
        ``autodiff``, ``finite difference``, ``relative error``.
        """
        rows = []
        point = {n: v.data for n, v in self.inputs.items()}
        for name, g in self.gradients.items():
            fd = finite_difference(self._f, wrt=name, h=h, **point)
            rel = abs(g - fd) / max(abs(g), abs(fd), 1e-12)
            rows.append([Math(_text_name(name), _tex_name(name)), g, fd, f"{rel:.1e}"])
        return Table(["input", "autodiff", "finite difference", "relative error"], rows,
                     title="Gradients checked by central differences", digits=8)

    def graph(self, **kwargs):
        """A drawing of the computational graph (matplotlib; see :func:`nnlearn.autodiff.graph.draw`)."""
        from .graph import draw

        names = {id(v): str(self._name(v)) for v in self.variables}
        for name, x in self.inputs.items():
            names[id(x)] = f"{name}"
        return draw(self.output_value, names=names, **kwargs)

    def __repr__(self) -> str:
        grads = ", ".join(f"{k}={v:.6g}" for k, v in self.gradients.items())
        return f"Trace(output={self.output:.6g}, gradients: {grads})"


def _paren(f: Math) -> str:
    s = str(f)
    return f"({s})" if (any(c in s for c in " +/") or s.startswith("−")) and not s.startswith("(") else s


_SUP = str.maketrans("-0123456789.", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹·")


def _superscript(k: str) -> str:
    return k.translate(_SUP)


def _text_name(name: str, accent: str = "") -> str:
    """``x1`` → ``x₁`` (with an optional combining accent on the letter)."""
    import re

    m = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
    if m:
        return f"{m.group(1)}{accent}{m.group(2).translate(_SUB)}"
    greek = {"mu": "μ", "sigma": "σ", "theta": "θ", "phi": "φ"}
    return greek.get(name, name) + accent


def _paren_tex(f: Math) -> str:
    s = f.latex
    return f"\\left({s}\\right)" if any(c in s for c in " +/") or s.startswith("-") else s


def _tex_name(name: str) -> str:
    import re

    m = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    greek = {"mu": "\\mu", "sigma": "\\sigma", "theta": "\\theta", "phi": "\\phi"}
    return greek.get(name, f"\\mathrm{{{name}}}" if len(name) > 1 else name)


def _fmt_num(x: float) -> str:
    s = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s.replace("-", "−")


def trace(f: Callable, *, numbering: str = "griewank", **inputs) -> Trace:
    """Evaluate ``f`` on named inputs and record its evaluation trace.

    Parameters
    ----------
    f : callable
        A function of ``Value`` arguments, written with ``Value`` operations
        (``+ - * / **``, ``.log()``, ``.sin()``, ...).
    numbering : {"griewank", "from_one"}
        Number the inputs :math:`v_{1-n}, \\dots, v_0` (slide text 003) or
        :math:`v_1, \\dots, v_n` (slide text 002).
    **inputs
        The input values, by the names of ``f``'s parameters.

    Returns
    -------
    Trace
        With ``.output``, ``.gradients``, ``.forward_table()``,
        ``.reverse_table()``, ``.tangent_table(wrt=...)`` and ``.graph()``.

    Examples
    --------
    >>> t = trace(lambda x1, x2: x1.log() + x1 * x2 - x2.sin(), x1=2, x2=5)
    >>> round(t.output, 3), round(t.gradients["x1"], 3), round(t.gradients["x2"], 3)
    (11.652, 5.5, 1.716)
    """
    if not callable(f):
        raise TypeError(f"trace() needs a function as its first argument, got {type(f).__name__}")
    if not inputs:
        raise TypeError("trace() needs the input values as keyword arguments, e.g. trace(f, x1=2, x2=5)")
    _check_names(f, inputs)
    values = {}
    for name, x in inputs.items():
        if isinstance(x, Value):
            x = x.data
        try:
            values[name] = Value(x, label=name)
        except TypeError:
            raise TypeError(f"trace(): input {name}={x!r} is not a number ({type(x).__name__}); "
                            "give each input an int or a float") from None
    out = f(**values)
    if not isinstance(out, Value):
        raise TypeError(
            f"the traced function returned {type(out).__name__} {out!r}, not a Value: build the output "
            "from the inputs with Value operations (use x.sin(), not math.sin(x))."
        )
    t = Trace(out, values, numbering=numbering)
    t._f = f
    return t


def finite_difference(f: Callable, wrt: str, h: float = 1e-6, **inputs) -> float:
    """The central difference :math:`(f(x + h e_j) - f(x - h e_j)) / 2h`
    for the input named ``wrt``, evaluating ``f`` on ``Value`` inputs."""
    if wrt not in inputs:
        raise KeyError(f"finite_difference(wrt={wrt!r}): no input of that name; the inputs are "
                       + ", ".join(repr(n) for n in inputs))
    if isinstance(h, bool) or not isinstance(h, (int, float)) or not 0 < h < math.inf:
        raise ValueError(f"finite_difference: the step h must be a finite number > 0, got {h!r}")

    def at(shift):
        args = {n: Value(float(x) + (shift if n == wrt else 0.0), label=n) for n, x in inputs.items()}
        out = f(**args)
        return out.data if isinstance(out, Value) else float(out)

    return (at(h) - at(-h)) / (2 * h)


def _check_names(f: Callable, inputs: dict) -> None:
    try:
        params = inspect.signature(f).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return
    names = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    required = [n for n in names if params[n].default is inspect.Parameter.empty]
    unknown = [n for n in inputs if n not in names]
    missing = [n for n in required if n not in inputs]
    if unknown or missing:
        msg = f"trace(): the function's inputs are named ({', '.join(names)})"
        if unknown:
            msg += f"; unknown input name{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}"
        if missing:
            msg += f"; missing: {', '.join(missing)}"
        raise TypeError(msg + ".")


def path_products(y: Value, x: Value, max_rows: int = 100) -> Table:
    """Every path from ``x`` to ``y`` through the graph, with the product of the
    local derivatives along it.

    The chain rule multiplies along a path; the sum rule adds across paths, so
    the column ``product`` sums to :math:`\\partial y/\\partial x`.
    The last row is that sum. Unlabelled intermediate nodes are named
    ``v₁, v₂, …`` in evaluation order.

    The number of paths can grow exponentially with the size of the graph
    (:math:`n` nested squarings :math:`y = (\\dots(x^2)^2\\dots)^2` written as
    ``y = y * y`` have :math:`2^n` paths). So the paths are first *counted*,
    in one pass over the graph (the paths from a node to ``x`` are the sum of
    those of its operands), and at most ``max_rows`` of them are listed; a row
    then says how many more there are and what their products add up to, and
    the last row is still the sum over *all* paths, computed in the same single
    pass (that pass is forward-mode differentiation). Time and memory are
    linear in the size of the graph plus the rows listed.
    """
    if not isinstance(y, Value) or not isinstance(x, Value):
        bad = "y" if not isinstance(y, Value) else "x"
        raise TypeError(f"path_products(y, x) needs two Values (the output and an input of the "
                        f"graph); {bad} is a {type(y if bad == 'y' else x).__name__}")
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        raise ValueError(f"path_products: max_rows must be a positive integer, got {max_rows!r}")
    order = y.topological_order()
    names = {}
    counter = 0
    for v in order:
        if v.label:
            names[id(v)] = v.label
        elif v._prev:
            counter += 1
            names[id(v)] = f"v{_sub(counter)}"
        else:
            names[id(v)] = _fmt_num(v.data)
    # one pass in evaluation order: the number of paths from each node down to x,
    # and the sum over those paths of the products of the local derivatives
    count: dict[int, int] = {}
    partials: dict[int, tuple] = {}
    tangent: dict[int, float] = {}
    for v in order:
        if v is x:
            count[id(v)], tangent[id(v)] = 1, 1.0
            continue
        count[id(v)] = sum(count[id(p)] for p in v._prev)
        if count[id(v)]:
            partials[id(v)] = v.local_partials()
            tangent[id(v)] = sum(d * tangent[id(p)] for p, d in zip(v._prev, partials[id(v)])
                                 if count[id(p)])
    n_paths = count.get(id(y), 0)
    rows, listed = [], 0.0
    stack = [(y, [y], [])] if n_paths else []   # depth-first search from y back to x
    while stack and len(rows) < max_rows:
        node, path, factors = stack.pop()
        if node is x:
            prod = 1.0
            for d in factors:
                prod *= d
            listed += prod
            rows.append([" → ".join(names[id(v)] for v in reversed(path)),
                         " × ".join(_fmt_num(d) for d in reversed(factors)), prod])
            continue
        for p, d in reversed(list(zip(node._prev, partials[id(node)]))):
            if count[id(p)]:         # only operands from which x can be reached
                stack.append((p, path + [p], factors + [d]))
    n = len(rows)
    if n_paths > n:
        total = tangent[id(y)]
        rows.append([f"… {n_paths - n:,} more paths, not listed", "", total - listed])
        rows.append([f"sum over all {n_paths:,} paths", "", total])
    else:
        rows.append(["sum over paths", "", listed])
    return Table(["path", "local derivatives", "product"], rows,
                 title=f"Paths from {names.get(id(x), x.label or 'x')} to {names.get(id(y), 'y')}", separators=[n])
