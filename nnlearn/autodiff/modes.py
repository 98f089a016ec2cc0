r"""Forward mode and reverse mode on the same graph, with their operation counts.

A function :math:`f:\mathbb{R}^n \to \mathbb{R}^m` written with
:class:`~nnlearn.autodiff.Value` operations is a graph whose edges
:math:`p \to v` carry local partial derivatives
:math:`\partial v/\partial p` (from ``nnlearn.autodiff.value.RULES``, read
through ``Value.local_partials()``). Both modes of automatic
differentiation sweep over that graph once per *seed*, and each sweep uses
every edge exactly once, for one multiply-add:

**Forward mode** (tangent trace), one sweep in evaluation order per input
direction :math:`\dot x \in \mathbb{R}^n`:

.. math::

    \dot v_i = \sum_{p \to i} \frac{\partial v_i}{\partial v_p}\,\dot v_p,
    \qquad \dot y = J\,\dot x .

**Reverse mode** (adjoint trace), one sweep against evaluation order per
output weighting :math:`\bar y \in \mathbb{R}^m`:

.. math::

    \bar v_p \mathrel{+}= \bar v_i\,\frac{\partial v_i}{\partial v_p}
    \quad\text{for every edge } p \to i,
    \qquad \bar x = J^\top \bar y .

The full Jacobian :math:`J \in \mathbb{R}^{m\times n}` therefore costs
:math:`n` forward sweeps (one column each, seeds :math:`\dot x = e_j`) or
:math:`m` reverse sweeps (one row each, seeds :math:`\bar y = e_i`), that is
:math:`n\,|\mathcal{E}|` or :math:`m\,|\mathcal{E}|` multiply-adds for a graph with :math:`|\mathcal{E}|`
edges (Griewank & Walther, 2008, chapter 3; Baydin et al., 2018). A loss has
:math:`m = 1`: one reverse sweep gives the whole gradient, whatever :math:`n`.

Edges from constants (the ``2`` in ``2 * x``) are not counted and not
swept: nothing is differentiated with respect to a constant. Each sweep visits
the whole graph, even the parts the seed cannot reach, as a tool that
differentiates a program (rather than one output) does.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

from .value import Value

__all__ = ["Sweep", "JacobianResult", "GraphSize", "jvp", "vjp", "jacobian_forward",
           "jacobian_reverse", "graph_size", "reverse_visits", "tanh_layer"]


class Sweep(NamedTuple):
    """The result of one sweep: the derivative values and the multiply-adds used."""

    values: list
    multiply_adds: int


class JacobianResult(NamedTuple):
    r"""A Jacobian as a list of :math:`m` rows of :math:`n` floats, and the
    number of multiply-adds (local-partial uses) spent computing it."""

    jacobian: list
    multiply_adds: int


class GraphSize(NamedTuple):
    r"""Inputs :math:`n`, outputs :math:`m`, operations (non-input, non-constant
    nodes) and edges :math:`|\mathcal{E}|` (operand → result, constants excluded)."""

    inputs: int
    outputs: int
    operations: int
    edges: int


class _Graph:
    """The graph of ``f`` at ``inputs``, with every local partial evaluated once
    (as the forward pass of an autodiff tool stores them)."""

    def __init__(self, f: Callable, inputs: Sequence, who: str):
        if not callable(f):
            raise TypeError(f"{who}: f must be a function of the inputs, got {type(f).__name__} {f!r}")
        try:
            values = [float(x) for x in inputs]
        except (TypeError, ValueError):
            raise TypeError(f"{who}: inputs must be a sequence of numbers, e.g. [2.0, 5.0]; "
                            f"got {type(inputs).__name__}") from None
        if not values:
            raise ValueError(f"{who}: f needs at least one input.")
        self.xs = [Value(x, label=f"x{j + 1}") for j, x in enumerate(values)]
        out = f(*self.xs)
        self.single = isinstance(out, Value)
        outs = [out] if self.single else list(out) if isinstance(out, (list, tuple)) else None
        if not outs or not all(isinstance(o, Value) for o in outs):
            raise TypeError(
                f"{who}: f must return a Value or a list/tuple of Values built from its inputs "
                f"with Value operations; it returned {type(out).__name__}."
            )
        self.ys = outs
        seen: dict[int, Value] = {}
        for y in outs:
            for v in y.topological_order():
                seen[id(v)] = v
        self.order = sorted(seen.values(), key=lambda v: v._id)  # creation order is topological
        inputs_ = {id(x) for x in self.xs}
        self.is_var = {id(v): bool(v._prev) or id(v) in inputs_ for v in self.order}
        # per operation: the (operand, ∂v/∂operand) pairs that matter
        self.edges = {
            id(v): [(p, d) for p, d in zip(v._prev, v.local_partials()) if self.is_var[id(p)]]
            for v in self.order if v._prev
        }
        self.n_edges = sum(len(e) for e in self.edges.values())

    def forward_sweep(self, seed: Sequence[float]) -> Sweep:
        dot = {id(x): float(s) for x, s in zip(self.xs, seed)}
        count = 0
        for v in self.order:
            if v._prev:
                total = 0.0
                for p, d in self.edges[id(v)]:
                    total += d * dot[id(p)]
                    count += 1
                dot[id(v)] = total
        return Sweep([dot.get(id(y), 0.0) for y in self.ys], count)

    def reverse_sweep(self, seed: Sequence[float]) -> Sweep:
        bar: dict[int, float] = {}
        for y, s in zip(self.ys, seed):
            bar[id(y)] = bar.get(id(y), 0.0) + float(s)
        count = 0
        for v in reversed(self.order):
            if v._prev:
                vbar = bar.get(id(v), 0.0)
                for p, d in self.edges[id(v)]:
                    bar[id(p)] = bar.get(id(p), 0.0) + vbar * d
                    count += 1
        return Sweep([bar.get(id(x), 0.0) for x in self.xs], count)

    def check_seed(self, seed, length: int, what: str, who: str) -> list:
        try:
            seed = [float(s) for s in seed]
        except (TypeError, ValueError):
            raise TypeError(f"{who}: the seed {what} must be a sequence of numbers, got "
                            f"{type(seed).__name__} {seed!r}") from None
        if len(seed) != length:
            raise ValueError(f"{who}: the seed {what} needs {length} entries (one per "
                             f"{'input' if what == 'ẋ' else 'output'}), got {len(seed)}.")
        return seed


def jvp(f: Callable, inputs: Sequence, tangent: Sequence) -> Sweep:
    r"""One forward-mode sweep: the Jacobian-vector product :math:`J\dot x`.

    Parameters
    ----------
    f : callable
        A function of :math:`n` ``Value`` arguments returning a ``Value`` or a
        list/tuple of :math:`m` ``Value`` s.
    inputs : sequence of float
        The point :math:`x`.
    tangent : sequence of float
        The seed :math:`\dot x` (:math:`n` entries); :math:`e_j` gives column
        :math:`j` of the Jacobian, :math:`\partial y/\partial x_j`.

    Returns
    -------
    Sweep
        ``values`` (:math:`m` floats, :math:`\dot y = J\dot x`) and
        ``multiply_adds`` (:math:`|\mathcal{E}|`).
    """
    g = _Graph(f, inputs, "jvp")
    return g.forward_sweep(g.check_seed(tangent, len(g.xs), "ẋ", "jvp"))


def vjp(f: Callable, inputs: Sequence, cotangent: Sequence | float = 1.0) -> Sweep:
    r"""One reverse-mode sweep: the vector-Jacobian product :math:`\bar y^\top J`.

    ``cotangent`` is the seed :math:`\bar y` (:math:`m` entries, or one number
    for a scalar ``f``; default 1, which gives the gradient of a scalar
    function). Returns a :class:`Sweep` with :math:`\bar x = J^\top \bar y`
    (:math:`n` floats) and the :math:`|\mathcal{E}|` multiply-adds used.
    """
    g = _Graph(f, inputs, "vjp")
    if isinstance(cotangent, (int, float)):
        cotangent = [cotangent]
    return g.reverse_sweep(g.check_seed(cotangent, len(g.ys), "ȳ", "vjp"))


def jacobian_forward(f: Callable, inputs: Sequence) -> JacobianResult:
    r"""The Jacobian by forward mode: :math:`n` sweeps, seeds :math:`\dot x = e_1, \dots, e_n`.

    Sweep :math:`j` fills column :math:`j`. Costs :math:`n\,|\mathcal{E}|` multiply-adds.

    Examples
    --------
    >>> J, ops = jacobian_forward(lambda x1, x2: [x1 * x2, x1.sin()], [2.0, 5.0])
    >>> [[round(v, 4) for v in row] for row in J], ops
    ([[5.0, 2.0], [-0.4161, 0.0]], 6)
    """
    g = _Graph(f, inputs, "jacobian_forward")
    n, m = len(g.xs), len(g.ys)
    J = [[0.0] * n for _ in range(m)]
    total = 0
    for j in range(n):
        col, count = g.forward_sweep([1.0 if k == j else 0.0 for k in range(n)])
        total += count
        for i in range(m):
            J[i][j] = col[i]
    return JacobianResult(J, total)


def jacobian_reverse(f: Callable, inputs: Sequence) -> JacobianResult:
    r"""The Jacobian by reverse mode: :math:`m` sweeps, seeds :math:`\bar y = e_1, \dots, e_m`.

    Sweep :math:`i` fills row :math:`i` (the gradient of output :math:`i`).
    Costs :math:`m\,|\mathcal{E}|` multiply-adds.

    Examples
    --------
    >>> J, ops = jacobian_reverse(lambda x1, x2: [x1 * x2, x1.sin()], [2.0, 5.0])
    >>> [[round(v, 4) for v in row] for row in J], ops
    ([[5.0, 2.0], [-0.4161, 0.0]], 6)
    """
    g = _Graph(f, inputs, "jacobian_reverse")
    m = len(g.ys)
    J, total = [], 0
    for i in range(m):
        row, count = g.reverse_sweep([1.0 if k == i else 0.0 for k in range(m)])
        total += count
        J.append(row)
    return JacobianResult(J, total)


def graph_size(f: Callable, inputs: Sequence) -> GraphSize:
    """Count the inputs, outputs, operations and edges of ``f``'s graph at ``inputs``."""
    g = _Graph(f, inputs, "graph_size")
    return GraphSize(len(g.xs), len(g.ys), sum(1 for v in g.order if v._prev), g.n_edges)


def reverse_visits(f: Callable, inputs: Sequence) -> int:
    r"""The edges that :math:`m` reverse sweeps visit when each starts from one output and,
    like ``Value.backward()`` or PyTorch, goes only through that output's ancestors.

    :func:`jacobian_reverse` charges every sweep for the whole graph (the simplest cost
    model, :math:`m\,|\mathcal{E}|`); this counts what such engines touch. When the
    outputs share no nodes, as in :func:`tanh_layer`, every edge lies below exactly one
    output and the total is :math:`|\mathcal{E}|`; when they share most of the graph,
    it approaches :math:`m\,|\mathcal{E}|`.

    >>> reverse_visits(tanh_layer([[1.0, 2.0], [3.0, 4.0]]), [0.5, -0.5])
    10
    """
    g = _Graph(f, inputs, "reverse_visits")
    return sum(len(g.edges[id(v)]) for y in g.ys for v in y.topological_order() if v._prev)


def tanh_layer(W) -> Callable:
    r"""The function :math:`x \mapsto \bigl[\tanh(\sum_j W_{ij} x_j)\bigr]_{i=1}^m` of
    :math:`n` ``Value`` arguments, for a weight matrix ``W`` of shape :math:`(m, n)`
    (a list of lists or an array): a dense layer as a graph of scalar operations,
    with :math:`|\mathcal{E}| = m(3n - 1)` edges: per output, :math:`n` products
    :math:`W_{ij}x_j` (one edge each: a constant weight is not an edge),
    :math:`n - 1` additions (two edges each) and one ``tanh`` (one edge).

    >>> graph_size(tanh_layer([[1.0, 2.0], [3.0, 4.0]]), [0.5, -0.5]).edges
    10
    """
    rows = [[float(w) for w in row] for row in (W.tolist() if hasattr(W, "tolist") else W)]

    def f(*x):
        outputs = []
        for row in rows:
            u = row[0] * x[0]
            for w, xj in zip(row[1:], x[1:]):
                u = u + w * xj
            outputs.append(u.tanh())
        return outputs
    return f
