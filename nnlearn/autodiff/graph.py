"""Drawing a computational graph with matplotlib (no Graphviz binary needed).

Inputs sit on the left; every other node is placed one column to the right of
its right-most operand, so edges always point forward in evaluation order.
Constants (the ``2`` in ``2 * a``) are written into the operation's node
instead of getting a node of their own.
"""

from __future__ import annotations

import math

from .value import Value, _fmt_const

_SYMBOL = {"+": "+", "-": "−", "*": "×", "/": "÷", "neg": "−x", "exp": "exp", "log": "ln",
           "sin": "sin", "cos": "cos", "tanh": "tanh", "sigmoid": "σ", "relu": "relu"}


def _op_label(v: Value) -> str:
    if v._op == "**":
        # "(·)²", not "x^2": the graph may have an input called x
        return "(·)" + _fmt_const(v._k).translate(str.maketrans("-0123456789.", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹·"))
    sym = _SYMBOL[v._op]
    consts = [p for p in v._prev if p._const]
    if consts and len(v._prev) == 2:
        c = _fmt_const(consts[0].data)
        return f"{c} {sym}" if v._prev[0]._const else f"{sym} {c}"
    return sym


def _layout(nodes: list[Value]) -> dict[int, tuple[float, float]]:
    col: dict[int, int] = {}
    for v in nodes:  # evaluation order: operands are placed before results
        ops = [p for p in v._prev if not p._const]
        col[id(v)] = 1 + max((col[id(p)] for p in ops), default=-1)
    # an input (leaf) sits just left of its first use, so weights appear next to the unit they feed
    first_use: dict[int, int] = {}
    for v in nodes:
        for p in v._prev:
            if not p._prev and not p._const:
                first_use[id(p)] = min(first_use.get(id(p), 10**9), col[id(v)])
    for v in nodes:
        if not v._prev and id(v) in first_use:
            col[id(v)] = first_use[id(v)] - 1
    columns: dict[int, list[Value]] = {}
    for v in nodes:
        columns.setdefault(col[id(v)], []).append(v)
    users: dict[int, list[Value]] = {}
    for v in nodes:
        for p in v._prev:
            users.setdefault(id(p), []).append(v)
    y: dict[int, float] = {}

    def place(layer):
        n = len(layer)
        for i, v in enumerate(layer):
            y[id(v)] = (n - 1) / 2.0 - i

    for layer in columns.values():
        place(layer)

    def mean(vals, default):
        vals = list(vals)
        return sum(vals) / len(vals) if vals else default

    # a few sweeps of barycentre ordering (Sugiyama): few crossings in small graphs
    for _ in range(4):
        for c in sorted(columns)[1:]:
            layer = columns[c]
            layer.sort(key=lambda v: -mean((y[id(p)] for p in v._prev if id(p) in y and not p._const),
                                           mean((y[id(u)] for u in users.get(id(v), [])), y[id(v)])))
            place(layer)
        for c in sorted(columns, reverse=True)[1:]:
            layer = columns[c]
            layer.sort(key=lambda v: -mean((y[id(u)] for u in users.get(id(v), [])), y[id(v)]))
            place(layer)
    return {id(v): (float(col[id(v)]), y[id(v)]) for v in nodes}


def draw(output: Value, names: dict | None = None, show_values: bool = True, show_grads: bool = False,
         show_partials: bool = False, title: str | None = None, ax=None, direction: str = "right"):
    """Draw the computational graph that computed ``output``.

    Parameters
    ----------
    output : Value
        The result; everything it depends on is drawn.
    names : dict, optional
        ``id(node) -> name`` overrides (``Trace.graph`` uses it to print
        :math:`v_i`); otherwise a node's ``label`` is used.
    show_values, show_grads : bool
        Print each node's value and/or its gradient (after ``backward()``).
    show_partials : bool
        Label each edge :math:`p \\to v` with the local derivative
        :math:`\\partial v/\\partial p` — the factor the chain rule multiplies.
    ax : matplotlib Axes, optional
    direction : {"right", "down"}
        Where the computation flows: inputs on the left (default), or at the
        top, which suits a deep graph (many operations in a row) on a page.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import FancyBboxPatch

    from .._display import new_figure

    if not isinstance(output, Value):
        raise TypeError(f"draw() needs a Value, got {type(output).__name__}")
    names = names or {}
    nodes = [v for v in output.topological_order() if not v._const]
    if direction not in ("right", "down"):
        raise ValueError(f"draw(): direction must be 'right' or 'down', got {direction!r}")
    pos = _layout(nodes)
    ncols = 1 + max(p[0] for p in pos.values())
    nrows = max(sum(1 for p in pos.values() if p[0] == c) for c in range(int(ncols)))
    down = direction == "down"
    if down:  # depth runs down the page, each layer of the graph across it
        pos = {k: (-yy, -c) for k, (c, yy) in pos.items()}
    if ax is None:
        # a Figure outside pyplot: shown once when returned in a notebook, never leaked
        size = (max(4.0, 1.6 * nrows), max(2.2, 1.15 * ncols)) if down else \
            (max(4.0, 2.3 * ncols), max(2.2, 1.5 * nrows))
        fig = new_figure(figsize=size, layout=None)
        ax = fig.subplots()
    else:
        fig = ax.figure
    w, h = 0.62, 0.56
    for v in nodes:
        x, y = pos[id(v)]
        for j, (p, d) in enumerate(zip(v._prev, v.local_partials())):
            if p._const:
                continue
            px, py = pos[id(p)]
            start, end = ((px, py - h / 2), (x, y + h / 2)) if down else ((px + w / 2, py), (x - w / 2, y))
            ax.annotate("", xy=end, xytext=start,
                        arrowprops=dict(arrowstyle="-|>", color="#555", lw=1.2, shrinkA=0, shrinkB=0))
            if show_partials:
                # near the edge's start, at most 0.15 along it: on an edge that spans
                # several columns, 30 % of the way would put it beside another box
                length = math.hypot(end[0] - start[0], end[1] - start[1])
                t = min(0.3, 0.15 / length) if length > 0 else 0.0
                tx, ty = (a + t * (b - a) for a, b in zip(start, end))
                ax.text(tx, ty + 0.08, f"{d:.4g}", ha="center", va="bottom", fontsize=8.5, color="#b22",
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    for v in nodes:
        x, y = pos[id(v)]
        leaf = not v._prev
        name = names.get(id(v), v.label)
        face = "#dbe9f6" if leaf else ("#fde9c9" if v is output else "#f2f2f2")
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                    fc=face, ec="#333", lw=1.1))
        lines = [name] if leaf else ([name, _op_label(v)] if name else [_op_label(v)])
        if show_values:
            lines.append(f"{v.data:.4g}")
        ax.text(x, y, "\n".join(l for l in lines if l), ha="center", va="center", fontsize=9)
        if show_grads:
            ax.text(x, y - h / 2 - 0.06, f"grad {v.grad:.4g}", ha="center", va="top", fontsize=8, color="#1a5fb4")
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
