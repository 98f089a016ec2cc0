"""Exercises of chapter 1, the chain rule and the sum rule (``notebooks/01_chain_rule.md``).

Each reference is computed from the formula the chapter derives, not typed in.
"""

import math

import numpy as np

from .core import ArrayExercise, ChoiceExercise, FunctionExercise, Mistake, NumberExercise

# 1.1: a = 2x + 1, y = 3a², at x = 1
_x = 1.0
_a = 2 * _x + 1

# 1.2: a1 = x², a2 = 3x, y = a1·a2, at x = 2
_x2 = 2.0
_a1, _a2 = _x2**2, 3 * _x2

# 1.4: example 3 of the chapter, at a point the chapter does not print
_X = -1.5
_W1 = np.array([1.0, -0.5, 2.0])
_W2 = np.array([0.5, 3.0, -1.0])

EXERCISES = [
    NumberExercise(
        id="1.1",
        title="a chain of three: dy/dx for y = 3a², a = 2x + 1, at x = 1",
        reference=6 * _a * 2,
        hint="Write the two local derivatives, ∂y/∂a and ∂a/∂x, and multiply them; then put in x = 1.",
        mistakes=[
            Mistake(6 * _a, "That is ∂y/∂a only: multiply by the local derivative ∂a/∂x along the path."),
            Mistake(3 * _a**2, "That is the value of y at x = 1, not its slope."),
            Mistake(6 * _x * 2, "∂y/∂a = 6a is evaluated at a = 2x + 1, not at x."),
        ],
        solution="answer_1_1 = trace(lambda x: 3 * (2 * x + 1) ** 2, x=1).gradients['x']",
    ),
    NumberExercise(
        id="1.2",
        title="two paths that multiply: dy/dx for y = a1·a2, a1 = x², a2 = 3x, at x = 2",
        reference=_a2 * 2 * _x2 + _a1 * 3,
        hint="There are two paths from x to y; write the product of local derivatives along each and add them.",
        mistakes=[
            Mistake(_a2 * 2 * _x2, "That is the path through a1 only; x also reaches y through a2."),
            Mistake(_a1 * 3, "That is the path through a2 only; x also reaches y through a1."),
            Mistake((_a2 * 2 * _x2) * (_a1 * 3), "You multiplied the two paths' contributions: across "
                    "paths the sum rule adds."),
        ],
        solution="answer_1_2 = 6 * (2 * 2) + 4 * 3",
    ),
    ChoiceExercise(
        id="1.3",
        title="find the mistake in (2·3)·(1·(−1)) = −6",
        options={
            "a": "A local derivative is wrong: ∂a2/∂x should be +1.",
            "b": "The contributions of the two paths were multiplied; they should be added.",
            "c": "The chain rule does not apply to linear functions.",
            "d": "Nothing: dy/dx really is −6.",
        },
        reference="b",
        hint="Which rule combines the contributions of different paths?",
        mistakes=[
            Mistake("a", "a2 = −x, so ∂a2/∂x = −1 is right; look at how the two paths were combined."),
            Mistake("c", "The chain rule holds for any differentiable functions, linear ones included."),
            Mistake("d", "y = 6x − x = 5x increases with x, so its slope cannot be negative."),
        ],
        solution='answer_1_3 = "b"',
    ),
    ArrayExercise(
        id="1.4",
        title="the hidden layer by hand: rows ∂y/∂w⁽¹⁾ and ∂y/∂w⁽²⁾",
        reference=np.stack([_W2 * _X, _W1 * _X]),
        hint="Row 1: ∂y/∂w⁽¹⁾_i = (∂y/∂u_i)(∂u_i/∂w⁽¹⁾_i). Row 2: ∂y/∂w⁽²⁾_i is what w⁽²⁾_i multiplies.",
        mistakes=[
            Mistake(np.stack([_W1 * _X, _W2 * _X]), "Your rows are swapped: the first row is ∂y/∂w⁽¹⁾."),
            Mistake(np.stack([_W2, _W1 * _X]), "Row 1: follow the path from w⁽¹⁾_i to y; which "
                    "local derivatives lie on it?"),
            Mistake(np.stack([_W2 * _X, _W1]), "Row 2 should be u_i = w⁽¹⁾_i x, the value the weight multiplies."),
        ],
        solution="answer_1_4 = np.array([w2 * x, w1 * x])",
    ),
    FunctionExercise(
        id="1.5",
        title="write the derivative of f(x) = exp(sin x)",
        reference=lambda x: math.exp(math.sin(x)) * math.cos(x),
        inputs=lambda rng: {"x": float(rng.uniform(-3.0, 3.0))},
        n=None,
        hint="With v = sin x and f = e^v, multiply df/dv by dv/dx.",
        mistakes=[
            Mistake(lambda x: math.exp(math.sin(x)), "That is f itself: the derivative of e^v is e^v, "
                    "but the chain rule multiplies it by dv/dx."),
            Mistake(lambda x: math.cos(x), "That is only dv/dx = cos x: multiply by df/dv = e^(sin x)."),
            Mistake(lambda x: math.exp(math.cos(x)), "The chain rule multiplies the outer derivative by the "
                    "inner one; it does not differentiate inside the exponent."),
        ],
        solution="def dfdx(x):\n    return math.exp(math.sin(x)) * math.cos(x)",
    ),
    FunctionExercise(
        id="1.6",
        title="a nonlinear fan-out: dy/dx for y = x·sin x",
        reference=lambda x: math.sin(x) + x * math.cos(x),
        inputs=lambda rng: {"x": float(rng.uniform(-3.0, 3.0))},
        n=None,
        hint="x reaches y along two paths: directly into the product, and through v1 = sin x. "
             "Write the product of local derivatives along each path and add them.",
        mistakes=[
            Mistake(lambda x: x * math.cos(x), "That is the path through v1 = sin x only; x is also "
                    "the other factor of the product y = x · v1."),
            Mistake(lambda x: math.sin(x), "That is the direct path only, through the product; x "
                    "also reaches y through v1 = sin x."),
            Mistake(lambda x: math.sin(x) * x * math.cos(x), "You multiplied the two paths' "
                    "contributions: across paths the sum rule adds."),
            Mistake(lambda x: math.cos(x), "The multiplication y = x · v1 swaps its inputs: the "
                    "derivative with respect to one factor is the other factor, not 1."),
        ],
        solution="def dydx(x):\n    return math.sin(x) + x * math.cos(x)",
    ),
]
