"""nnlearn.autodiff: Value against PyTorch and finite differences; the slides' traces row by row."""

import math

import matplotlib
import pytest
import torch
from hypothesis import assume, given, settings, strategies as st

matplotlib.use("Agg")

from nnlearn.autodiff import Value, path_products, trace  # noqa: E402
from nnlearn.autodiff.value import RULES  # noqa: E402


def slide003(x1, x2):
    v1 = x1.log()
    v2 = x1 * x2
    v3 = x2.sin()
    v4 = v1 + v2
    return v4 - v3


def lognormal(y, mu, sigma):
    return -0.5 * ((y - mu) / sigma) ** 2 - sigma.log() - 0.5 * math.log(2 * math.pi)


# ---------------------------------------------------------------- the slides' traces
def test_slide003_output_and_gradients():
    t = trace(slide003, x1=2, x2=5)
    assert round(t.output, 3) == 11.652
    assert round(t.gradients["x1"], 3) == 5.5
    assert round(t.gradients["x2"], 3) == 1.716
    # and by hand: dy/dx1 = 1/x1 + x2, dy/dx2 = x1 - cos x2
    assert t.gradients["x1"] == pytest.approx(1 / 2 + 5, abs=1e-15)
    assert t.gradients["x2"] == pytest.approx(2 - math.cos(5), abs=1e-15)


def test_slide003_forward_primal_trace_row_by_row():
    rows = trace(slide003, x1=2, x2=5).forward_table().records()
    assert [str(r["variable"]) for r in rows] == ["v₋₁", "v₀", "v₁", "v₂", "v₃", "v₄", "v₅", "y"]
    assert [str(r["definition"]) for r in rows] == ["x₁", "x₂", "ln v₋₁", "v₋₁ × v₀", "sin v₀", "v₁ + v₂", "v₄ − v₃", "v₅"]
    slide_values = [2, 5, 0.693, 10, -0.959, 10.693, 11.652, 11.652]
    assert [round(r["value"], 3) for r in rows] == slide_values


def test_slide003_reverse_adjoint_trace_row_by_row():
    rows = trace(slide003, x1=2, x2=5).reverse_table().records()
    # the slide's table read from the bottom (v̄5 = ȳ = 1) up to x̄1, x̄2
    expected = [("v̄₅", 1), ("v̄₄", 1), ("v̄₃", -1), ("v̄₁", 1), ("v̄₂", 1), ("v̄₀", -0.284),
                ("v̄₋₁", 5), ("v̄₀", 1.716), ("v̄₋₁", 5.5), ("x̄₁", 5.5), ("x̄₂", 1.716)]
    assert [(str(r["adjoint"]), round(r["value"], 3)) for r in rows] == expected
    updates = [str(r["update"]) for r in rows]
    assert updates[5] == "v̄₃ × (cos v₀)"
    assert updates[7] == "v̄₀ + v̄₂ × v₋₁"          # the second contribution accumulates
    assert updates[8] == "v̄₋₁ + v̄₁ × (1/v₋₁)"


def test_slide003_tangent_trace_gives_the_same_gradient_as_reverse():
    t = trace(slide003, x1=2, x2=5)
    for name in ("x1", "x2"):
        tangent = t.tangent_table(wrt=name).records()
        assert tangent[-1]["value"] == pytest.approx(t.gradients[name], abs=1e-14)
    rows = t.tangent_table(wrt="x1").records()
    assert str(rows[3]["update"]) == "v₀ × v̇₋₁ + v₋₁ × v̇₀"
    assert rows[3]["value"] == 5


def test_slide002_lognormal_trace_row_by_row():
    y, mu, sigma = 1.5, 1.0, 2.0
    t = trace(lognormal, y=y, mu=mu, sigma=sigma, numbering="from_one")
    rows = t.forward_table(partials=True).records()
    assert [str(r["definition"]) for r in rows[3:10]] == [
        "v₁ − v₂", "v₄ / v₃", "v₅²", "(−0.5) × v₆", "ln v₃", "v₇ − v₈", "v₉ − 0.918939"]
    assert [str(r["local partials"]) for r in rows[3:10]] == [
        "∂v₄/∂v₁ = 1,  ∂v₄/∂v₂ = −1",
        "∂v₅/∂v₄ = 1/v₃,  ∂v₅/∂v₃ = −v₄/v₃²",
        "∂v₆/∂v₅ = 2·v₅",
        "∂v₇/∂v₆ = (−0.5)",
        "∂v₈/∂v₃ = 1/v₃",
        "∂v₉/∂v₇ = 1,  ∂v₉/∂v₈ = −1",
        "∂v₁₀/∂v₉ = 1",
    ]
    z = (y - mu) / sigma
    assert t.output == pytest.approx(-0.5 * z**2 - math.log(sigma) - 0.5 * math.log(2 * math.pi), abs=1e-15)
    # the log-density's gradients, by hand
    assert t.gradients["y"] == pytest.approx(-(y - mu) / sigma**2, abs=1e-15)
    assert t.gradients["mu"] == pytest.approx((y - mu) / sigma**2, abs=1e-15)
    assert t.gradients["sigma"] == pytest.approx((y - mu) ** 2 / sigma**3 - 1 / sigma, abs=1e-15)


def test_tables_render_as_text_html_and_markdown():
    t = trace(slide003, x1=2, x2=5)
    table = t.reverse_table()
    assert "v̄₋₁" in str(table) and "5.5" in str(table)
    html = table._repr_html_()
    assert "<table" in html and "\\bar v_{-1}" in html
    assert table.to_markdown().count("\n") >= len(table) + 1


# ---------------------------------------------------------------- against PyTorch
UNARY = ["exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "neg", "square"]
BINARY = ["+", "-", "*", "/"]


@st.composite
def expressions(draw_, depth=4):
    """A random expression tree over inputs a, b, c, as nested tuples."""
    if depth == 0 or draw_(st.booleans()) and depth < 4:
        return draw_(st.sampled_from(["a", "b", "c", 0.5, -1.5, 2.0]))
    if draw_(st.booleans()):
        return (draw_(st.sampled_from(UNARY)), draw_(expressions(depth=depth - 1)))
    return (draw_(st.sampled_from(BINARY)), draw_(expressions(depth=depth - 1)), draw_(expressions(depth=depth - 1)))


def evaluate(expr, env, lib):
    if isinstance(expr, str):
        return env[expr]
    if isinstance(expr, float):
        return expr
    op, *args = expr
    xs = [evaluate(a, env, lib) for a in args]
    if op in BINARY:
        a, b = xs
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[op]()
    (x,) = xs
    if isinstance(x, float):
        x = lib["const"](x)
    if op == "neg":
        return -x
    if op == "square":
        return x**2
    if op == "log":
        return lib["log"](x)
    return lib[op](x)


VALUE_LIB = {"const": Value, "log": lambda x: x.log(), "exp": lambda x: x.exp(), "sin": lambda x: x.sin(),
             "cos": lambda x: x.cos(), "tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid(),
             "relu": lambda x: x.relu()}
TORCH_LIB = {"const": lambda c: torch.tensor(c, dtype=torch.float64), "log": torch.log, "exp": torch.exp,
             "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


@settings(max_examples=300, deadline=None)
@given(expr=expressions(),
       a=st.floats(-3, 3).filter(lambda v: abs(v) > 1e-2), b=st.floats(-3, 3).filter(lambda v: abs(v) > 1e-2),
       c=st.floats(0.1, 3))
def test_random_expressions_match_torch_autograd(expr, a, b, c):
    env_v = {k: Value(v, label=k) for k, v in dict(a=a, b=b, c=c).items()}
    try:
        out = evaluate(expr, env_v, VALUE_LIB)
    except (ValueError, ZeroDivisionError, OverflowError):
        assume(False)  # log of a non-positive number etc.: outside the function's domain
    assume(isinstance(out, Value) and any(v.label in env_v for v in out.topological_order()))
    assume(all(abs(v.data) > 1e-6 for v in out.topological_order() if v._op == "relu"))  # no kink
    assume(all(abs(v.data) < 1e6 for v in out.topological_order()))   # well-conditioned
    env_t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in dict(a=a, b=b, c=c).items()}
    out_t = evaluate(expr, env_t, TORCH_LIB)
    out.backward()
    out_t.backward()
    assert out.data == pytest.approx(out_t.item(), rel=1e-12, abs=1e-12)
    for k in "abc":
        g_t = 0.0 if env_t[k].grad is None else env_t[k].grad.item()
        assert env_v[k].grad == pytest.approx(g_t, rel=1e-9, abs=1e-9), k


@pytest.mark.parametrize("op", [op for op in RULES])
def test_every_rule_matches_central_differences(op):
    x0, y0, h = 0.7, 1.3, 1e-6

    def f(x, y):
        if op in ("+", "-", "*", "/"):
            return {"+": x + y, "-": x - y, "*": x * y, "/": x / y}[op]
        if op == "**":
            return x**3
        if op == "neg":
            return -x
        return getattr(x, op)()

    x, y = Value(x0), Value(y0)
    out = f(x, y)
    out.backward()
    for var, name in ((x, "x"), (y, "y")):
        plus = f(Value(x0 + h), Value(y0)) if name == "x" else f(Value(x0), Value(y0 + h))
        minus = f(Value(x0 - h), Value(y0)) if name == "x" else f(Value(x0), Value(y0 - h))
        numeric = (plus.data - minus.data) / (2 * h)
        assert var.grad == pytest.approx(numeric, rel=1e-7, abs=1e-8), (op, name)


# ---------------------------------------------------------------- properties
@given(st.floats(-5, 5), st.floats(-5, 5), st.floats(-3, 3), st.floats(-3, 3))
def test_gradient_is_linear(x0, y0, alpha, beta):
    x, y = Value(x0), Value(y0)
    f = x * y + x.sin()
    g = (x - y).tanh()
    h = alpha * f + beta * g
    h.backward()
    expected_x = alpha * (y0 + math.cos(x0)) + beta * (1 - math.tanh(x0 - y0) ** 2)
    assert x.grad == pytest.approx(expected_x, rel=1e-12, abs=1e-12)


@given(st.floats(-10, 10))
def test_fan_out_sums_over_uses(x0):
    x = Value(x0)
    y = x * x + x  # x is used three times
    y.backward()
    assert x.grad == pytest.approx(2 * x0 + 1, abs=1e-12)


@given(st.floats(-1e4, 1e4))
def test_sigmoid_is_finite_for_large_inputs(x0):
    x = Value(x0)
    s = x.sigmoid()
    s.backward()
    assert 0.0 <= s.data <= 1.0 and math.isfinite(x.grad)


def test_deep_chain_of_100000_operations():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0   # 200,000 nodes
    y.backward()
    assert x.grad == 1.0


def test_second_backward_raises_like_pytorch():
    x = Value(2.0)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_accumulates_input_gradients_like_pytorch():
    x = Value(2.0)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    xt = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    yt = xt * xt
    yt.backward(retain_graph=True)
    yt.backward()
    assert x.grad == xt.grad.item() == 8.0
    assert y.grad == 1.0   # an intermediate's adjoint is recomputed, not summed


# ---------------------------------------------------------------- student errors
def test_math_function_on_a_value_says_what_to_use():
    x = Value(1.0, label="x")
    with pytest.raises(TypeError, match=r"x\.sin\(\)"):
        math.sin(x)


@pytest.mark.parametrize("bad", ["abc", None, [1.0], True])
def test_non_numeric_input(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(bad)
    with pytest.raises(TypeError, match="not a number"):
        trace(lambda x: x * 2, x=bad)


def test_log_of_non_positive_names_the_node():
    with pytest.raises(ValueError, match=r"log of a non-positive number: 'x1 − x2' = -3"):
        trace(lambda x1, x2: (x1 - x2).log(), x1=2, x2=5)
    with pytest.raises(ValueError, match=r"'margin' = 0"):
        Value(0.0, label="margin").log()


def test_division_by_zero_names_the_node():
    with pytest.raises(ZeroDivisionError, match=r"denominator 'x2 − 5' is 0"):
        trace(lambda x1, x2: x1 / (x2 - 5), x1=2, x2=5)


def test_unknown_and_missing_input_names():
    with pytest.raises(TypeError, match=r"unknown input name: z.*missing: x2"):
        trace(slide003, x1=2, z=5)
    with pytest.raises(KeyError, match="no input of that name"):
        trace(slide003, x1=2, x2=5).tangent_table(wrt="x3")


def test_function_returning_a_float_is_explained():
    with pytest.raises(TypeError, match="not a Value"):
        trace(lambda x: 3.0, x=1)


# ---------------------------------------------------------------- drawings and paths
def test_graph_draws_one_box_per_variable_and_one_arrow_per_edge():
    fig = trace(slide003, x1=2, x2=5).graph(show_partials=True)
    ax = fig.axes[0]
    assert len(ax.patches) == 7          # 2 inputs + 5 operations
    arrows = [t for t in ax.texts if isinstance(t, matplotlib.text.Annotation)]
    assert len(arrows) == 8              # ln: 1, ×: 2, sin: 1, +: 2, −: 2
    edge_labels = sorted(t.get_text() for t in ax.texts if t.get_color() == "#b22")
    assert edge_labels == sorted(["0.5", "5", "2", "0.2837", "1", "1", "1", "-1"])


def test_path_products_apply_chain_rule_along_and_sum_rule_across_paths():
    x = Value(3.0, label="x")
    a1 = 3 * x
    a1.label = "a1"
    a2 = -x
    a2.label = "a2"
    y = 2 * a1 + a2
    table = path_products(y, x)
    products = table.column("product")
    assert products[:-1] == [6.0, -1.0]
    assert products[-1] == 5.0
    y.backward()
    assert x.grad == 5.0


# --------------------------------------------------------------------------
# Reliability (issue 12): edge cases of **, overflow, and path counts
# --------------------------------------------------------------------------

@pytest.mark.parametrize("k", [0.5, 0.25, 1 / 3])
def test_a_fractional_power_at_zero_says_its_derivative_is_infinite(k):
    # defect 18: the partial k·0^(k−1) used to raise "0.0 cannot be raised to a negative power"
    x = Value(0.0, label="x")
    y = x ** k
    assert y.data == 0.0
    with pytest.raises(ZeroDivisionError) as info:
        y.backward()
    msg = str(info.value)
    assert "derivative of x^" in msg and "at x = 0 is infinite" in msg and "'x^" in msg
    assert "negative power" not in msg
    # torch agrees that there is no finite derivative there
    t = torch.tensor(0.0, requires_grad=True)
    (t ** k).backward()
    assert math.isinf(t.grad.item())


def test_the_derivative_of_x_to_the_zero_is_zero_everywhere_as_in_torch():
    for x0 in (0.0, 2.5, -3.0):
        x = Value(x0)
        y = x ** 0
        y.backward()
        t = torch.tensor(x0, requires_grad=True)
        (t ** 0).backward()
        assert (y.data, x.grad) == (1.0, t.grad.item() + 0.0) == (1.0, 0.0)
    x = Value(0.0)
    (x ** 1.5).backward()               # finite at 0: 1.5·0^0.5 = 0
    assert x.grad == 0.0


def test_overflow_and_huge_numbers_get_clear_messages():
    with pytest.raises(OverflowError, match=r"^'w' = 1e\+200 raised to the power 2 overflows"):
        Value(1e200, label="w") ** 2
    with pytest.raises(OverflowError, match=r"raised to the power -1 overflows"):
        Value(1e-320) ** -1
    with pytest.raises(OverflowError, match=r"Value needs a number a float can hold .* an integer with 401 digits"):
        Value(10 ** 400)
    x = Value(1e-200)
    y = x ** -1                         # 1e200 is fine; its derivative −1e400 is not
    with pytest.raises(OverflowError, match=r"local derivative of '1e-200\^-1' overflows"):
        y.backward()
    with pytest.raises(ValueError, match=r"sin of an infinite number is not defined: 'a' = inf"):
        Value(float("inf"), label="a").sin()
    with pytest.raises(ValueError, match=r"cos of an infinite number"):
        Value(-float("inf")).cos()
    with pytest.raises(OverflowError, match="exp overflows"):
        Value(1000.0).exp()


def _nested_squares(n, x0=1.0001):
    x = Value(x0, label="x")
    y = x
    for _ in range(n):
        y = y * y
    return x, y


def test_path_products_counts_before_listing_and_stays_fast():
    # defect 19/21: 16 nested squarings have 65,536 paths; listing them all took > 0.5 s and
    # 25 squarings did not finish. Now the paths are counted and at most max_rows listed.
    x, y = _nested_squares(16)
    table = path_products(y, x)
    products = table.column("product")
    paths = table.column("path")
    assert len(paths) == 100 + 2
    assert paths[-2] == "… 65,436 more paths, not listed" and paths[-1] == "sum over all 65,536 paths"
    # each path multiplies the 16 partials v (of v·v with respect to either factor);
    # the sum over the paths is dy/dx = 2^16 · x^(2^16 − 1)
    y.backward()
    assert products[-1] == pytest.approx(x.grad, rel=1e-12)
    assert products[-1] == pytest.approx(2 ** 16 * 1.0001 ** (2 ** 16 - 1), rel=1e-9)
    assert sum(products[:-1]) == pytest.approx(products[-1], rel=1e-12)
    assert all(p == pytest.approx(products[0], rel=1e-12) for p in products[:100])
    x, y = _nested_squares(200, 1.0)     # 2^200 paths: counted, never enumerated
    paths = path_products(y, x, max_rows=3).column("path")
    assert paths[-1] == f"sum over all {2 ** 200:,} paths" and len(paths) == 5


def test_path_products_of_an_unrelated_input_and_of_the_input_itself():
    x, z = Value(2.0, label="x"), Value(5.0, label="z")
    y = x * x
    t = path_products(y, z)
    assert t.column("product") == [0.0] and t.title == "Paths from z to v₁"
    assert path_products(x, x).column("product") == [1.0, 1.0]
    with pytest.raises(ValueError, match="max_rows must be a positive integer"):
        path_products(y, x, max_rows=0)


def test_arguments_found_by_the_probe_get_clear_errors():
    import numpy as np
    from nnlearn.autodiff import finite_difference
    with pytest.raises(ValueError, match="the step h must be a finite number > 0, got 0"):
        finite_difference(lambda x: x * 2, wrt="x", h=0, x=1.0)
    with pytest.raises(ValueError, match="the step h must be a finite number > 0"):
        trace(lambda x: x * 2, x=1.0).check_gradients(h=float("nan"))
    with pytest.raises(TypeError, match=r"path_products\(y, x\) needs two Values .* x is a float"):
        path_products(Value(2.0) * 3, 2.0)
    with pytest.raises(ZeroDivisionError, match=r"^division by zero: the denominator is 0 \(numerator 1\)\.$"):
        Value(1.0) / 0
    with pytest.raises(ValueError, match=r"^'w' = -4 is negative and cannot be raised to the non-integer power 0.5"):
        Value(-4.0, label="w") ** 0.5
    # a 0-d NumPy array holds one number, as a NumPy scalar does
    assert Value(np.array(2.5)).data == Value(np.float64(2.5)).data == 2.5
    with pytest.raises(TypeError, match="Value needs a real number"):
        Value(np.array([1.0, 2.0]))
