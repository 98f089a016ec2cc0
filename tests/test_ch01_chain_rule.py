"""Chapter 1's claims: the examples' derivatives, the longer chain that is a chain, the gate
patterns, and the exercises' references, against hand formulas, finite differences and torch."""

import math

import numpy as np
import pytest
import torch

from nnlearn.autodiff import Value, path_products, trace
from nnlearn.exercises import ch01


def test_examples_1_and_2_by_the_chain_and_sum_rules():
    assert trace(lambda x: 2 * (3 * x), x=1.5).gradients["x"] == 6.0
    x = Value(1.5, label="x")
    a1, a2 = 3 * x, -x
    b = 2 * a1
    b.label = "2a1"
    y = b + a2
    table = path_products(y, x)
    assert table.column("product") == [6.0, -1.0, 5.0]
    assert table.column("path")[0].split(" → ")[2] == "2a1"       # D1: the node has its name


def test_example_3_gradients_and_their_check():
    x, w1, w2 = 2.0, [0.5, -1.0, 1.5], [2.0, 0.5, -1.0]
    f = lambda x, w1_1, w1_2, w1_3, w2_1, w2_2, w2_3: (w2_1 * (w1_1 * x) + w2_2 * (w1_2 * x)
                                                        + w2_3 * (w1_3 * x))
    point = dict(x=x, **{f"w1_{j}": w for j, w in enumerate(w1, 1)}, **{f"w2_{j}": w for j, w in enumerate(w2, 1)})
    t = trace(f, **point)
    assert t.gradients["x"] == sum(p * q for p, q in zip(w1, w2))
    assert [t.gradients[f"w2_{j}"] for j in (1, 2, 3)] == [w * x for w in w1]     # u_j
    assert [t.gradients[f"w1_{j}"] for j in (1, 2, 3)] == [w * x for w in w2]
    for rel in t.check_gradients().column("relative error"):
        assert float(rel) < 1e-8


def test_the_longer_chain_is_a_chain():
    """A4: with y = z ** 2 every row of the reverse table is one product (no accumulation)
    and the gradient is 3 e^{sin z²} cos(z²) 2z."""
    def chain(z):
        return 3 * (z ** 2).sin().exp()
    t = trace(chain, z=0.8)
    rows = t.reverse_table().records()
    updates = [str(r["update"]) for r in rows[1:-1]]
    assert len(updates) == 4 and not any(" + " in u for u in updates)
    z = 0.8
    assert t.gradients["z"] == pytest.approx(3 * math.exp(math.sin(z * z)) * math.cos(z * z) * 2 * z,
                                             rel=1e-14)
    assert round(t.gradients["z"], 10) == 6.9956188874


def test_gate_patterns():
    """C4/B6: an addition distributes, a multiplication swaps, a maximum routes."""
    x, y, z = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    ((x + y) * z).backward()
    X, Y, Z = Value(-2.0), Value(5.0), Value(-4.0)
    ((X + Y) * Z).backward()
    assert (X.grad, Y.grad, Z.grad) == (x.grad.item(), y.grad.item(), z.grad.item()) == (-4.0, -4.0, 3.0)
    for a_val, b_val in ((3.0, 1.0), (1.0, 3.0)):
        a, b = Value(a_val), Value(b_val)
        m = b + (a - b).relu()
        m.backward()
        assert m.data == max(a_val, b_val)
        assert (a.grad, b.grad) == ((1.0, 0.0) if a_val > b_val else (0.0, 1.0))
    s = Value(2.0) + Value(3.0)          # seed 000's f(a, b) = a + b: local derivatives 1 and 1
    assert s._op == "+" and s.local_partials() == (1.0, 1.0)


def test_exercise_references():
    refs = {e.id: e for e in ch01.EXERCISES}
    assert refs["1.1"].reference == trace(lambda x: 3 * (2 * x + 1) ** 2, x=1).gradients["x"] == 36
    np.testing.assert_allclose(refs["1.4"].reference, [[-0.75, -4.5, 1.5], [-1.5, 0.75, -3.0]])
    w1 = torch.tensor([1.0, -0.5, 2.0], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([0.5, 3.0, -1.0], dtype=torch.float64, requires_grad=True)
    (w2 * (w1 * -1.5)).sum().backward()
    np.testing.assert_allclose(refs["1.4"].reference, np.stack([w1.grad.numpy(), w2.grad.numpy()]))
    # 1.4 no longer asks for numbers the chapter prints (its Example 3 is at x = 2)
    assert not np.allclose(refs["1.4"].reference, [[4, 1, -2], [1, -2, 3]])
    for x in (-2.0, 0.3, 1.7):
        assert refs["1.6"].reference(x) == pytest.approx(trace(lambda x: x * x.sin(), x=x).gradients["x"],
                                                         rel=1e-14)
        assert refs["1.5"].reference(x) == pytest.approx(trace(lambda x: x.sin().exp(), x=x).gradients["x"],
                                                         rel=1e-14)


def test_gate_max_and_chain_pass_the_finite_difference_check_the_page_shows():
    """B1 (rev12): the gate example, the max away from its tie and the longer chain are each
    checked by central differences on the page; the check passes (and catches a wrong
    derivative, so it is not vacuous)."""
    cases = [(lambda x, y, z: (x + y) * z, dict(x=-2.0, y=5.0, z=-4.0)),
             (lambda a, b: b + (a - b).relu(), dict(a=3.0, b=1.0)),
             (lambda z: 3 * (z ** 2).sin().exp(), dict(z=0.8))]
    for f, point in cases:
        errors = [float(r) for r in trace(f, **point).check_gradients().column("relative error")]
        assert len(errors) == len(point) and max(errors) < 1e-7
    t = trace(lambda x, y, z: (x + y) * z, x=-2.0, y=5.0, z=-4.0)
    assert (t.gradients["x"], t.gradients["y"], t.gradients["z"]) == (-4.0, -4.0, 3.0)
    # the same central difference tells a wrong gradient: the max at its tie is a kink
    tie = trace(lambda a, b: b + (a - b).relu(), a=1.0, b=1.0).check_gradients()
    assert max(float(r) for r in tie.column("relative error")) > 0.1


def test_workbook_1_2_graph_does_not_print_the_local_derivatives_it_asks_for():
    """r2a C2: exercise 1.2 asks for the local derivatives along two paths; the graph drawn
    before the answer cell shows the paths, not the numbers on the edges."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "notebooks" / "01_chain_rule.md").read_text(
        encoding="utf-8")
    before_answer = text[text.index("## Exercise 1.2"):text.index("answer_1_2 = ...")]
    assert "draw(y)" in before_answer and "show_partials" not in before_answer
